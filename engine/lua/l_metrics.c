/*
 * l_metrics.c — knob.core.metrics: the metrics core on Lua arrays of numbers.
 *
 * This is the low-level layer; stdlib/knob/metrics.lua maps user labels (numbers or strings) to class
 * codes and offers the user-facing API. Every function here raises on misuse and on undefined values.
 *
 *   Labels (codes 0..k-1), opts = {n_classes = k, sample_weight = {...}}:
 *     accuracy(y_true, y_pred, opts)  balanced_accuracy(...)  mcc(...)          -> number
 *     kappa(y_true, y_pred, opts + {weights = "none"|"linear"|"quadratic"})      -> number
 *     confusion(y_true, y_pred, opts)                                            -> {{...}, ...} (k x k)
 *     prf(y_true, y_pred, opts + {average = "binary"|"micro"|"macro"|"weighted"|"none", pos = code,
 *         beta = 1, zero_division = 0})      -> precision, recall, fscore (numbers, or arrays for "none"),
 *                                               support (array of k per-class true counts)
 *   Binary scores, y01 in {0,1}, opts = {sample_weight = {...}}:
 *     roc_auc(y01, score, opts)  average_precision(...)  log_loss_binary(y01, p, opts)  brier(y01, p, opts)
 *   Multiclass, y_true codes, proba = array of n rows of k numbers (k = n_classes):
 *     roc_auc_ovr(y_true, proba, opts + {average = "macro"|"weighted"|"none"})  average_precision_ovr(...)
 *     log_loss(y_true, proba, opts)
 *   Regression, opts = {sample_weight = {...}}:
 *     mse rmse mae r2 mape explained_variance median_absolute_error (y_true, y_pred, opts); max_error(a, b)
 */
#include "l_modules.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>

#include "knob/metrics.h"
#include "l_aux.h"

static const char *const opts_weight[] = {"sample_weight", NULL};
static const char *const opts_labels[] = {"n_classes", "sample_weight", NULL};

/* Both arrays at 1 and 2 (as numbers, no NaN), with equal lengths. */
static size_t check_pair(lua_State *L, const char *fn, const char *a_name, const char *b_name, const double **a,
                         const double **b)
{
    char what[96];
    size_t na, nb;
    snprintf(what, sizeof what, "%s: %s", fn, a_name);
    *a = l_check_number_array(L, 1, what, &na, 0);
    snprintf(what, sizeof what, "%s: %s", fn, b_name);
    *b = l_check_number_array(L, 2, what, &nb, 0);
    if (na != nb)
        luaL_error(L, "%s: %s and %s have different lengths (%d and %d)", fn, a_name, b_name, (int)na, (int)nb);
    return na;
}

/* Optional sample_weight of the options at idx: NULL when absent, else n numbers. */
static const double *opt_weights(lua_State *L, int idx, const char *fn, size_t n)
{
    if (lua_isnoneornil(L, idx) || lua_getfield(L, idx, "sample_weight") == LUA_TNIL) return NULL;
    char what[96];
    size_t nw;
    snprintf(what, sizeof what, "%s: sample_weight", fn);
    int t = lua_gettop(L);
    const double *w = l_check_number_array(L, t, what, &nw, 0); /* anchor stays above the options */
    if (nw != n) luaL_error(L, "%s: sample_weight has %d entries, expected %d", fn, (int)nw, (int)n);
    return w;
}

static size_t opt_classes(lua_State *L, int idx, const char *fn)
{
    lua_Integer k = l_opt_integer(L, idx, fn, "n_classes", 0);
    if (k < 1) luaL_error(L, "%s: option 'n_classes' must be an integer >= 1", fn);
    return (size_t)k;
}

/* Push *v, or raise err when rc is a failure. (v by address: C leaves argument evaluation order open.) */
static int push_result(lua_State *L, int rc, const knob_err *err, const double *v)
{
    if (rc) return l_raise(L, err);
    lua_pushnumber(L, *v);
    return 1;
}

/* ---- two arrays (+ weights) -> number ---- */

/* (a, b, w, n): regression, binary ranking and probability metrics. */
typedef int (*pair_metric)(const double *, const double *, const double *, size_t, double *, knob_err *);
/* (y_true, y_pred, w, n, k): label metrics. */
typedef int (*label_metric)(const double *, const double *, const double *, size_t, size_t, double *,
                            knob_err *);

typedef struct {
    const char *name, *a_name, *b_name;
    pair_metric pair;   /* one of pair / label is set */
    label_metric label; /* takes the option n_classes */
} metric_desc;

static int l_metric(lua_State *L)
{
    lua_settop(L, 3); /* options at 3; scratch anchors go above */
    const metric_desc *d = lua_touserdata(L, lua_upvalueindex(1));
    l_check_options(L, 3, d->name, d->label ? opts_labels : opts_weight);
    const double *a, *b;
    size_t n = check_pair(L, d->name, d->a_name, d->b_name, &a, &b);
    size_t k = d->label ? opt_classes(L, 3, d->name) : 0;
    const double *w = opt_weights(L, 3, d->name, n);
    knob_err err;
    double v = 0;
    int rc = d->label ? d->label(a, b, w, n, k, &v, &err) : d->pair(a, b, w, n, &v, &err);
    return push_result(L, rc, &err, &v);
}

static int l_max_error(lua_State *L)
{
    lua_settop(L, 3); /* options at 3; scratch anchors go above */
    static const char *const none[] = {NULL};
    l_check_options(L, 3, "max_error", none);
    const double *a, *b;
    size_t n = check_pair(L, "max_error", "y_true", "y_pred", &a, &b);
    knob_err err;
    double v = 0;
    return push_result(L, knob_metrics_max_error(a, b, n, &v, &err), &err, &v);
}

static int l_kappa(lua_State *L)
{
    lua_settop(L, 3); /* options at 3; scratch anchors go above */
    static const char *const valid[] = {"n_classes", "sample_weight", "weights", NULL};
    static const char *const weights[] = {"none", "linear", "quadratic", NULL};
    l_check_options(L, 3, "kappa", valid);
    const double *a, *b;
    size_t n = check_pair(L, "kappa", "y_true", "y_pred", &a, &b);
    size_t k = opt_classes(L, 3, "kappa");
    int wt = l_opt_choice(L, 3, "kappa", "weights", weights, 0);
    const double *w = opt_weights(L, 3, "kappa", n);
    knob_err err;
    double v = 0;
    return push_result(L, knob_metrics_kappa(a, b, w, n, k, wt, &v, &err), &err, &v);
}

/* Scratch array of n doubles anchored on the stack. */
static double *scratch(lua_State *L, size_t n)
{
    if (n > ((size_t)-1) / sizeof(double)) luaL_error(L, "too many values");
    return l_alloc_anchored(L, n * sizeof(double));
}

static int l_confusion(lua_State *L)
{
    lua_settop(L, 3); /* options at 3; scratch anchors go above */
    l_check_options(L, 3, "confusion_matrix", opts_labels);
    const double *a, *b;
    size_t n = check_pair(L, "confusion_matrix", "y_true", "y_pred", &a, &b);
    size_t k = opt_classes(L, 3, "confusion_matrix");
    const double *w = opt_weights(L, 3, "confusion_matrix", n);
    if (k > ((size_t)-1) / k) luaL_error(L, "confusion_matrix: too many classes");
    double *cm = scratch(L, k * k);
    knob_err err;
    if (knob_metrics_confusion(a, b, w, n, k, cm, &err)) return l_raise(L, &err);
    lua_createtable(L, (int)k, 0);
    for (size_t i = 0; i < k; i++) {
        l_push_numbers(L, cm + i * k, k);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static const char *const averages[] = {"binary", "micro", "macro", "weighted", "none", NULL};

static int l_prf(lua_State *L)
{
    lua_settop(L, 3); /* options at 3; scratch anchors go above */
    static const char *const valid[] = {"average", "beta", "n_classes", "pos", "sample_weight", "zero_division",
                                        NULL};
    const char *fn = "precision_recall_fscore";
    l_check_options(L, 3, fn, valid);
    const double *a, *b;
    size_t n = check_pair(L, fn, "y_true", "y_pred", &a, &b);
    size_t k = opt_classes(L, 3, fn);
    knob_prf_params prm = knob_prf_params_default();
    prm.average = l_opt_choice(L, 3, fn, "average", averages, KNOB_AVERAGE_BINARY);
    lua_Integer pos = l_opt_integer(L, 3, fn, "pos", 1);
    if (pos < 0) luaL_error(L, "%s: option 'pos' must be a class code >= 0", fn);
    prm.pos_label = (size_t)pos;
    prm.beta = l_opt_number(L, 3, fn, "beta", 1.0);
    prm.zero_division = l_opt_number(L, 3, fn, "zero_division", 0.0);
    const double *w = opt_weights(L, 3, fn, n);
    size_t m = prm.average == KNOB_AVERAGE_NONE ? k : 1;
    double *out = scratch(L, 3 * m + k);
    knob_err err;
    if (knob_metrics_prf(a, b, w, n, k, &prm, out, out + m, out + 2 * m, out + 3 * m, &err)) return l_raise(L, &err);
    for (int j = 0; j < 3; j++) {
        if (prm.average == KNOB_AVERAGE_NONE) l_push_numbers(L, out + (size_t)j * m, m);
        else lua_pushnumber(L, out[j]);
    }
    l_push_numbers(L, out + 3 * m, k);
    return 4;
}

/* ---- multiclass probability matrices ---- */

/* The array of rows at idx as an n x k row-major matrix (k = length of the first row). */
static const double *check_matrix(lua_State *L, int idx, const char *fn, size_t *n, size_t *k)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_Integer rows = luaL_len(L, idx), cols = 0;
    if (rows > 0) {
        if (lua_geti(L, idx, 1) == LUA_TTABLE) cols = luaL_len(L, -1); /* other types: reported below */
        lua_pop(L, 1);
    }
    size_t nr = (size_t)(rows > 0 ? rows : 0), nc = (size_t)cols;
    if (nc && nr > ((size_t)-1) / nc) luaL_error(L, "%s: y_score is too large", fn);
    double *m = scratch(L, nr * nc);
    for (size_t i = 0; i < nr; i++) {
        if (lua_geti(L, idx, (lua_Integer)i + 1) != LUA_TTABLE)
            luaL_error(L, "%s: y_score row %d must be a table (got %s)", fn, (int)i + 1, luaL_typename(L, -1));
        lua_Integer len = luaL_len(L, -1);
        if (len < 1) luaL_error(L, "%s: y_score row %d is empty", fn, (int)i + 1);
        if ((size_t)len != nc)
            luaL_error(L, "%s: y_score row %d has %d entries, expected %d", fn, (int)i + 1, (int)len, (int)nc);
        for (size_t c = 0; c < nc; c++) {
            int isnum = 0;
            lua_geti(L, -1, (lua_Integer)c + 1);
            double v = lua_tonumberx(L, -1, &isnum);
            if (!isnum || lua_type(L, -1) != LUA_TNUMBER)
                luaL_error(L, "%s: y_score row %d entry %d must be a number (got %s)", fn, (int)i + 1, (int)c + 1,
                           luaL_typename(L, -1));
            if (isnan(v)) luaL_error(L, "%s: y_score row %d entry %d is NaN", fn, (int)i + 1, (int)c + 1);
            m[i * nc + c] = v;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    *n = nr;
    *k = nc;
    return m;
}

typedef int (*ovr_metric)(const double *, const double *, const double *, size_t, size_t, int, double *,
                          knob_err *);

typedef struct {
    const char *name;
    ovr_metric fn; /* NULL: log loss (no average) */
} ovr_desc;

static int l_ovr(lua_State *L)
{
    lua_settop(L, 3); /* options at 3; scratch anchors go above */
    static const char *const valid_avg[] = {"average", "sample_weight", NULL};
    static const char *const ovr_averages[] = {"macro", "weighted", "none", NULL};
    const ovr_desc *d = lua_touserdata(L, lua_upvalueindex(1));
    l_check_options(L, 3, d->name, d->fn ? valid_avg : opts_weight);
    char what[96];
    size_t n, nm, k;
    snprintf(what, sizeof what, "%s: y_true", d->name);
    const double *y = l_check_number_array(L, 1, what, &n, 0);
    const double *proba = check_matrix(L, 2, d->name, &nm, &k);
    if (n != nm) luaL_error(L, "%s: y_true and y_score have different lengths (%d and %d)", d->name, (int)n, (int)nm);
    int avg = KNOB_AVERAGE_MACRO;
    if (d->fn) avg = KNOB_AVERAGE_MACRO + l_opt_choice(L, 3, d->name, "average", ovr_averages, 0);
    const double *w = opt_weights(L, 3, d->name, n);
    double *out = scratch(L, k ? k : 1);
    knob_err err;
    int rc = d->fn ? d->fn(y, proba, w, n, k, avg, out, &err) : knob_metrics_log_loss(y, proba, w, n, k, out, &err);
    if (rc) return l_raise(L, &err);
    if (avg == KNOB_AVERAGE_NONE) l_push_numbers(L, out, k);
    else lua_pushnumber(L, out[0]);
    return 1;
}

/* ---- registration ---- */

static const metric_desc two_arrays[] = {
    {"mse", "y_true", "y_pred", knob_metrics_mse, NULL},
    {"rmse", "y_true", "y_pred", knob_metrics_rmse, NULL},
    {"mae", "y_true", "y_pred", knob_metrics_mae, NULL},
    {"r2", "y_true", "y_pred", knob_metrics_r2, NULL},
    {"mape", "y_true", "y_pred", knob_metrics_mape, NULL},
    {"explained_variance", "y_true", "y_pred", knob_metrics_explained_variance, NULL},
    {"median_absolute_error", "y_true", "y_pred", knob_metrics_median_absolute_error, NULL},
    {"roc_auc", "y_true", "y_score", knob_metrics_roc_auc, NULL},
    {"average_precision", "y_true", "y_score", knob_metrics_average_precision, NULL},
    {"log_loss_binary", "y_true", "y_proba", knob_metrics_log_loss_binary, NULL},
    {"brier", "y_true", "y_prob", knob_metrics_brier, NULL},
    {"accuracy", "y_true", "y_pred", NULL, knob_metrics_accuracy},
    {"balanced_accuracy", "y_true", "y_pred", NULL, knob_metrics_balanced_accuracy},
    {"mcc", "y_true", "y_pred", NULL, knob_metrics_mcc},
};

static const ovr_desc ovrs[] = {
    {"roc_auc_ovr", knob_metrics_roc_auc_ovr},
    {"average_precision_ovr", knob_metrics_average_precision_ovr},
    {"log_loss", NULL},
};

static void set_closure(lua_State *L, const char *name, lua_CFunction f, const void *desc)
{
    lua_pushlightuserdata(L, (void *)desc);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

int l_open_metrics(lua_State *L)
{
    static const luaL_Reg fns[] = {{"kappa", l_kappa},     {"confusion", l_confusion},
                                   {"prf", l_prf},         {"max_error", l_max_error},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    for (size_t i = 0; i < sizeof two_arrays / sizeof two_arrays[0]; i++)
        set_closure(L, two_arrays[i].name, l_metric, &two_arrays[i]);
    for (size_t i = 0; i < sizeof ovrs / sizeof ovrs[0]; i++) set_closure(L, ovrs[i].name, l_ovr, &ovrs[i]);
    return 1;
}
