/* prep_json.c — transformers to JSON text and back (cJSON). Doubles are written with %.17g so that a
 * round trip is exact; NaN is written as null. Reading checks every field and reports the path of the
 * first problem: a corrupt or foreign document never gives a half-built transformer. */
#include "knob/json_io.h"
#include "prep_impl.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREP_FORMAT "knob.transformer"
#define PREP_VERSION 1
#define JERR "transformer JSON: "

/* ---- parameters, described once for writing and reading ---- */

enum { P_BOOL, P_NUM, P_NUM_OR_NAN, P_INT, P_CHOICE, P_PAIR, P_LEVEL };

typedef struct {
    const char *name;
    int type;
    unsigned kinds;           /* bit k: used by kind k */
    size_t off, off2;         /* offsets in knob_prep_params (off2: second number of a pair) */
    const char *const *choices;
} pdesc;

#define K(k) (1u << (k))
#define OFF(f) offsetof(knob_prep_params, f)

static const char *const strategy_names[] = {"mean", "median", "most_frequent", "constant", NULL};
static const char *const unknown_names[] = {"error", "ignore", "use_encoded_value", NULL};
static const char *const drop_names[] = {"none", "first", "if_binary", NULL};
static const char *const missing_names[] = {"category", "error", NULL};

static const pdesc params_desc[] = {
    {"with_mean", P_BOOL, K(KNOB_PREP_STANDARDIZE), OFF(with_mean), 0, NULL},
    {"with_std", P_BOOL, K(KNOB_PREP_STANDARDIZE), OFF(with_std), 0, NULL},
    {"range", P_PAIR, K(KNOB_PREP_MINMAX), OFF(range_min), OFF(range_max), NULL},
    {"quantile_range", P_PAIR, K(KNOB_PREP_ROBUST), OFF(q_low), OFF(q_high), NULL},
    {"with_centering", P_BOOL, K(KNOB_PREP_ROBUST), OFF(with_centering), 0, NULL},
    {"with_scaling", P_BOOL, K(KNOB_PREP_ROBUST), OFF(with_scaling), 0, NULL},
    {"strategy", P_CHOICE, K(KNOB_PREP_IMPUTE), OFF(strategy), 0, strategy_names},
    {"fill_value", P_NUM, K(KNOB_PREP_IMPUTE), OFF(fill_value), 0, NULL},
    {"fill_level", P_LEVEL, K(KNOB_PREP_IMPUTE), OFF(fill_level), 0, NULL},
    {"handle_unknown", P_CHOICE, K(KNOB_PREP_ONEHOT) | K(KNOB_PREP_ORDINAL), OFF(handle_unknown), 0, unknown_names},
    {"drop", P_CHOICE, K(KNOB_PREP_ONEHOT), OFF(drop), 0, drop_names},
    {"missing", P_CHOICE, K(KNOB_PREP_ONEHOT), OFF(missing), 0, missing_names},
    {"unknown_value", P_NUM_OR_NAN, K(KNOB_PREP_ORDINAL), OFF(unknown_value), 0, NULL},
    {"degree", P_INT, K(KNOB_PREP_POLY), OFF(degree), 0, NULL},
    {"interaction_only", P_BOOL, K(KNOB_PREP_POLY), OFF(interaction_only), 0, NULL},
    {"include_bias", P_BOOL, K(KNOB_PREP_POLY), OFF(include_bias), 0, NULL},
    {"threshold", P_NUM, K(KNOB_PREP_VARIANCE) | K(KNOB_PREP_CORR), OFF(threshold), 0, NULL},
};
#define N_PARAMS (sizeof params_desc / sizeof params_desc[0])
_Static_assert(N_PARAMS < 32, "read_params keeps one bit per parameter (and one for columns) in an unsigned long");

/* ---- writing ---- */

typedef struct {
    int failed;               /* an allocation failed */
    int nonfinite;            /* an infinite number was met */
} jwriter;

static cJSON *jnum(jwriter *w, double v)
{
    if (isnan(v)) return cJSON_CreateNull();
    if (isinf(v)) {
        w->nonfinite = 1;
        return cJSON_CreateNull();
    }
    return knob_json_exact(v);
}

static void put(jwriter *w, cJSON *obj, const char *key, cJSON *item)
{
    if (!item || !(key ? cJSON_AddItemToObject(obj, key, item) : cJSON_AddItemToArray(obj, item))) {
        cJSON_Delete(item);
        w->failed = 1;
    }
}

static cJSON *jstrings(char *const *a, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *s = cJSON_CreateString(a[i]);
        if (!s || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *write_params(jwriter *w, const knob_prep_params *par)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    const char *base = (const char *)par;
    for (size_t i = 0; i < N_PARAMS; i++) {
        const pdesc *d = &params_desc[i];
        if (!(d->kinds & K(par->kind))) continue;
        const int *ip = (const int *)(base + d->off);
        const double *dp = (const double *)(base + d->off);
        switch (d->type) {
        case P_BOOL: put(w, o, d->name, cJSON_CreateBool(*ip)); break;
        case P_INT:
        case P_NUM: put(w, o, d->name, d->type == P_INT ? jnum(w, *ip) : jnum(w, *dp)); break;
        case P_NUM_OR_NAN: put(w, o, d->name, jnum(w, *dp)); break;
        case P_CHOICE: put(w, o, d->name, cJSON_CreateString(d->choices[*ip])); break;
        case P_LEVEL: {
            const char *s = *(const char *const *)(base + d->off);
            put(w, o, d->name, s ? cJSON_CreateString(s) : cJSON_CreateNull());
            break;
        }
        case P_PAIR: {
            cJSON *a = cJSON_CreateArray();
            put(w, o, d->name, a);
            if (a) {
                put(w, a, NULL, jnum(w, *dp));
                put(w, a, NULL, jnum(w, *(const double *)(base + d->off2)));
            }
            break;
        }
        }
    }
    if (par->columns) put(w, o, "columns", jstrings((char *const *)par->columns, par->n_columns));
    return o;
}

static cJSON *write_schema(jwriter *w, const prep_state *st)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t j = 0; arr && j < st->n_in; j++) {
        const prep_col *c = &st->cols[j];
        cJSON *o = cJSON_CreateObject();
        put(w, arr, NULL, o);
        if (!o) break;
        put(w, o, "name", cJSON_CreateString(c->name));
        put(w, o, "kind", cJSON_CreateString(c->kind == KNOB_COL_CATEGORICAL ? "categorical" : "numeric"));
        if (c->kind == KNOB_COL_CATEGORICAL) put(w, o, "levels", jstrings(c->levels, c->n_levels));
    }
    return arr;
}

/* An array (added to obj under key) with one entry per processed column, made by fn. */
typedef cJSON *(*col_item_fn)(jwriter *w, const prep_state *st, const prep_col *c);

static void put_per_column(jwriter *w, cJSON *obj, const char *key, const prep_state *st, col_item_fn fn)
{
    cJSON *arr = cJSON_CreateArray();
    put(w, obj, key, arr);
    for (size_t j = 0; arr && j < st->n_in; j++)
        if (st->cols[j].role != PREP_PASS) put(w, arr, NULL, fn(w, st, &st->cols[j]));
}

static cJSON *item_name(jwriter *w, const prep_state *st, const prep_col *c)
{
    (void)w, (void)st;
    return cJSON_CreateString(c->name);
}
static cJSON *item_stat0(jwriter *w, const prep_state *st, const prep_col *c)
{
    (void)st;
    return jnum(w, c->stat[0]);
}
static cJSON *item_stat1(jwriter *w, const prep_state *st, const prep_col *c)
{
    (void)st;
    return jnum(w, c->stat[1]);
}
static cJSON *item_scale(jwriter *w, const prep_state *st, const prep_col *c)
{
    (void)st;
    return jnum(w, c->scale);
}
static cJSON *item_fill(jwriter *w, const prep_state *st, const prep_col *c)
{
    (void)st;
    return c->kind == KNOB_COL_CATEGORICAL ? cJSON_CreateString(c->fill_level) : jnum(w, c->stat[0]);
}
static cJSON *item_cats(jwriter *w, const prep_state *st, const prep_col *c)
{
    (void)w, (void)st;
    return jstrings(c->cats, c->n_cats);
}
static cJSON *item_nan_cat(jwriter *w, const prep_state *st, const prep_col *c)
{
    (void)w, (void)st;
    return cJSON_CreateBool(c->nan_cat);
}

static cJSON *write_state(jwriter *w, const knob_prep *p)
{
    const prep_state *st = p->st;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    put_per_column(w, o, "columns", st, item_name);
    switch (p->par.kind) {
    case KNOB_PREP_STANDARDIZE:
        put_per_column(w, o, "mean", st, item_stat0);
        put_per_column(w, o, "var", st, item_stat1);
        put_per_column(w, o, "scale", st, item_scale);
        break;
    case KNOB_PREP_MINMAX:
        put_per_column(w, o, "data_min", st, item_stat0);
        put_per_column(w, o, "data_max", st, item_stat1);
        break;
    case KNOB_PREP_ROBUST:
        put_per_column(w, o, "center", st, item_stat0);
        put_per_column(w, o, "scale", st, item_stat1);
        break;
    case KNOB_PREP_IMPUTE: put_per_column(w, o, "statistics", st, item_fill); break;
    case KNOB_PREP_ONEHOT:
        put_per_column(w, o, "categories", st, item_cats);
        put_per_column(w, o, "nan_category", st, item_nan_cat);
        break;
    case KNOB_PREP_ORDINAL: put_per_column(w, o, "categories", st, item_cats); break;
    case KNOB_PREP_VARIANCE: put_per_column(w, o, "variances", st, item_stat0); break;
    case KNOB_PREP_CORR: {
        cJSON *dropped = cJSON_CreateArray(), *with = cJSON_CreateArray(), *r = cJSON_CreateArray();
        put(w, o, "dropped", dropped);
        put(w, o, "correlated_with", with);
        put(w, o, "r", r);
        for (size_t j = 0; dropped && with && r && j < st->n_in; j++) {
            const prep_col *c = &st->cols[j];
            if (c->role != PREP_DROP) continue;
            put(w, dropped, NULL, cJSON_CreateString(c->name));
            put(w, with, NULL, cJSON_CreateString(st->cols[c->partner].name));
            put(w, r, NULL, jnum(w, c->r));
        }
        break;
    }
    default:
        break;
    }
    return o;
}

char *knob_prep_to_json(const knob_prep *p, knob_err *err)
{
    jwriter w = {0, 0};
    cJSON *root = cJSON_CreateObject();
    if (!root) goto oom;
    put(&w, root, "format", cJSON_CreateString(PREP_FORMAT));
    put(&w, root, "version", cJSON_CreateNumber(PREP_VERSION));
    put(&w, root, "kind", cJSON_CreateString(knob_prep_kind_name(p->par.kind)));
    put(&w, root, "params", write_params(&w, &p->par));
    put(&w, root, "fitted", cJSON_CreateBool(p->st != NULL));
    if (p->st) {
        put(&w, root, "schema", write_schema(&w, p->st));
        put(&w, root, "state", write_state(&w, p));
    }
    if (w.failed) goto oom;
    if (w.nonfinite) {
        cJSON_Delete(root);
        knob_err_set(err, KNOB_EINVAL, "%s: cannot serialize an infinite value", knob_prep_kind_name(p->par.kind));
        return NULL;
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) goto oom;
    return text;
oom:
    cJSON_Delete(root);
    knob_err_set(err, KNOB_ENOMEM, "out of memory writing transformer JSON");
    return NULL;
}

/* ---- reading ---- */

typedef struct {
    knob_err *err;
    char path[160];           /* where we are, for messages */
} jreader;

static int bad(jreader *r, const char *what)
{
    knob_err_set(r->err, KNOB_EPARSE, JERR "%s %s", r->path, what);
    return KNOB_EPARSE;
}

/* The member key of obj; sets r->path to prefix.key. Missing → error unless optional. */
static const cJSON *member(jreader *r, const cJSON *obj, const char *prefix, const char *key, int optional,
                           int *rc)
{
    snprintf(r->path, sizeof r->path, "%s%s%s", prefix, prefix[0] ? "." : "", key);
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it && !optional) *rc = bad(r, "is missing");
    return it;
}

static int get_number(jreader *r, const cJSON *it, int nan_ok, double *out)
{
    if (nan_ok && cJSON_IsNull(it)) {
        *out = NAN;
        return KNOB_OK;
    }
    if (!cJSON_IsNumber(it)) return bad(r, nan_ok ? "must be a number or null" : "must be a number");
    if (!isfinite(it->valuedouble)) return bad(r, "must be a finite number"); /* 1e999 parses as inf */
    *out = it->valuedouble;
    return KNOB_OK;
}

static int get_string(jreader *r, const cJSON *it, const char **out)
{
    if (!cJSON_IsString(it) || !it->valuestring) return bad(r, "must be a string");
    *out = it->valuestring;
    return KNOB_OK;
}

/* An array of exactly n entries (n == (size_t)-1: any length, returned in *n_out). */
static int get_array(jreader *r, const cJSON *it, size_t n, size_t *n_out)
{
    if (!cJSON_IsArray(it)) return bad(r, "must be an array");
    size_t len = (size_t)cJSON_GetArraySize(it);
    if (n != (size_t)-1 && len != n) {
        char what[96];
        snprintf(what, sizeof what, "must have %zu entries (one per processed column), not %zu", n, len);
        return bad(r, what);
    }
    if (n_out) *n_out = len;
    return KNOB_OK;
}

/* An array of strings, copied into *out (n entries). */
static int get_strings(jreader *r, const cJSON *it, char ***out, size_t *n)
{
    size_t len;
    if (get_array(r, it, (size_t)-1, &len)) return KNOB_EPARSE;
    char **a = calloc(len ? len : 1, sizeof *a);
    if (!a) return knob_err_set(r->err, KNOB_ENOMEM, "out of memory");
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, it)
    {
        const char *s = NULL;
        if (get_string(r, e, &s)) {
            knob_free_strings(a, i);
            return KNOB_EPARSE;
        }
        if (!(a[i] = knob_strdup(s))) {
            knob_free_strings(a, i);
            return knob_err_set(r->err, KNOB_ENOMEM, "out of memory");
        }
        i++;
    }
    *out = a;
    *n = len;
    return KNOB_OK;
}

static int read_choice(jreader *r, const cJSON *it, const char *const *choices, int *out)
{
    const char *s = NULL;
    if (get_string(r, it, &s)) return KNOB_EPARSE;
    for (int k = 0; choices[k]; k++)
        if (strcmp(s, choices[k]) == 0) {
            *out = k;
            return KNOB_OK;
        }
    char what[160];
    snprintf(what, sizeof what, "has an unknown value '%.60s'", s);
    return bad(r, what);
}

static int read_param(jreader *r, const pdesc *d, const cJSON *it, knob_prep_params *par, char **level)
{
    char *base = (char *)par;
    int *ip = (int *)(base + d->off);
    double *dp = (double *)(base + d->off), v = 0;
    switch (d->type) {
    case P_BOOL:
        if (!cJSON_IsBool(it)) return bad(r, "must be true or false");
        *ip = cJSON_IsTrue(it);
        return KNOB_OK;
    case P_NUM:
    case P_NUM_OR_NAN: return get_number(r, it, d->type == P_NUM_OR_NAN, dp);
    case P_INT:
        if (get_number(r, it, 0, &v)) return KNOB_EPARSE;
        if (!(v == floor(v) && fabs(v) < 1e9)) return bad(r, "must be an integer");
        *ip = (int)v;
        return KNOB_OK;
    case P_CHOICE: return read_choice(r, it, d->choices, ip);
    case P_LEVEL: {
        const char *s = NULL;
        if (cJSON_IsNull(it)) return KNOB_OK;
        if (get_string(r, it, &s)) return KNOB_EPARSE;
        if (!(*level = knob_strdup(s))) return knob_err_set(r->err, KNOB_ENOMEM, "out of memory");
        par->fill_level = *level;
        return KNOB_OK;
    }
    case P_PAIR:
        if (get_array(r, it, 2, NULL) || get_number(r, cJSON_GetArrayItem(it, 0), 0, dp) ||
            get_number(r, cJSON_GetArrayItem(it, 1), 0, (double *)(base + d->off2)))
            return KNOB_EPARSE;
        return KNOB_OK;
    }
    return KNOB_OK;
}

/* Read "params" into a new unfitted transformer. */
static knob_prep *read_params(jreader *r, const cJSON *obj, int kind)
{
    knob_prep_params par;
    knob_prep_params_init(&par, kind);
    char **cols = NULL, *level = NULL;
    size_t n_cols = 0;
    knob_prep *p = NULL;
    snprintf(r->path, sizeof r->path, "params");
    if (!cJSON_IsObject(obj)) {
        bad(r, "must be an object");
        return NULL;
    }
    const cJSON *it;
    unsigned long seen = 0; /* bit i: params_desc[i] read; bit N_PARAMS: columns read */
    cJSON_ArrayForEach(it, obj)
    {
        snprintf(r->path, sizeof r->path, "params.%.100s", it->string ? it->string : "?");
        const pdesc *d = NULL;
        size_t bit = N_PARAMS;
        for (size_t i = 0; i < N_PARAMS; i++)
            if (it->string && strcmp(it->string, params_desc[i].name) == 0 && (params_desc[i].kinds & K(kind)))
                d = &params_desc[i], bit = i;
        if ((d || (it->string && strcmp(it->string, "columns") == 0)) && (seen & (1ul << bit))) {
            bad(r, "is given twice"); /* JSON allows a repeated key; a transformer file never has one */
            goto done;
        }
        seen |= 1ul << bit;
        if (d ? read_param(r, d, it, &par, &level) : 0) goto done;
        if (!d && it->string && strcmp(it->string, "columns") == 0) {
            if (get_strings(r, it, &cols, &n_cols)) goto done;
            par.columns = (const char *const *)cols;
            par.n_columns = n_cols;
        } else if (!d) {
            bad(r, "is not a parameter of this transformer");
            goto done;
        }
    }
    for (size_t i = 0; i < N_PARAMS; i++) {
        int rc = KNOB_OK;
        if ((params_desc[i].kinds & K(kind)) && params_desc[i].type != P_LEVEL &&
            !member(r, obj, "params", params_desc[i].name, 0, &rc) && rc)
            goto done;
    }
    knob_err e;
    if (!(p = knob_prep_new(&par, &e))) knob_err_set(r->err, e.code == KNOB_ENOMEM ? KNOB_ENOMEM : KNOB_EPARSE,
                                                     JERR "params: %s", e.msg);
done:
    knob_free_strings(cols, n_cols);
    free(level);
    return p;
}

static int read_schema(jreader *r, const cJSON *arr, prep_state *st)
{
    snprintf(r->path, sizeof r->path, "schema");
    size_t n;
    if (get_array(r, arr, (size_t)-1, &n)) return KNOB_EPARSE;
    if (!(st->cols = calloc(n ? n : 1, sizeof *st->cols))) return knob_err_set(r->err, KNOB_ENOMEM, "out of memory");
    st->n_in = n;
    for (size_t j = 0; j < n; j++) {
        const cJSON *o = cJSON_GetArrayItem(arr, (int)j);
        prep_col *c = &st->cols[j];
        char at[32];
        const char *s = NULL;
        int rc = KNOB_OK;
        snprintf(at, sizeof at, "schema[%zu]", j + 1);
        snprintf(r->path, sizeof r->path, "%s", at);
        if (!cJSON_IsObject(o)) return bad(r, "must be an object");
        const cJSON *name = member(r, o, at, "name", 0, &rc);
        if (rc || get_string(r, name, &s)) return KNOB_EPARSE;
        if (!s[0]) return bad(r, "must not be empty");
        if (!(c->name = knob_strdup(s))) return knob_err_set(r->err, KNOB_ENOMEM, "out of memory");
        const cJSON *kind = member(r, o, at, "kind", 0, &rc);
        static const char *const kinds[] = {"numeric", "categorical", NULL};
        if (rc || read_choice(r, kind, kinds, &c->kind)) return KNOB_EPARSE;
        const cJSON *levels = member(r, o, at, "levels", c->kind == KNOB_COL_NUMERIC, &rc);
        if (rc) return rc;
        if (levels && c->kind == KNOB_COL_NUMERIC) return bad(r, "is given for a numeric column");
        if (levels && get_strings(r, levels, &c->levels, &c->n_levels)) return KNOB_EPARSE;
    }
    return KNOB_OK;
}

/* Mark the columns named in state.columns as processed; fills at[] with their schema indices. */
static int read_state_columns(jreader *r, const knob_prep *p, const cJSON *state, prep_state *st, size_t **at,
                              size_t *n)
{
    int rc = KNOB_OK;
    const cJSON *cols = member(r, state, "state", "columns", 0, &rc);
    if (rc || get_array(r, cols, (size_t)-1, n)) return KNOB_EPARSE;
    prep_name *idx = malloc((st->n_in ? st->n_in : 1) * sizeof *idx);
    *at = malloc((*n ? *n : 1) * sizeof **at);
    if (!idx || !*at) {
        free(idx);
        return knob_err_set(r->err, KNOB_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < st->n_in; j++) idx[j] = (prep_name){st->cols[j].name, j};
    const char *dup = prep_name_sort(idx, st->n_in);
    if (dup) {
        snprintf(r->path, sizeof r->path, "schema");
        char what[160];
        snprintf(what, sizeof what, "names column '%.100s' twice", dup);
        rc = bad(r, what);
    }
    for (size_t i = 0; !rc && i < *n; i++) {
        const char *s = NULL;
        snprintf(r->path, sizeof r->path, "state.columns[%zu]", i + 1);
        if ((rc = get_string(r, cJSON_GetArrayItem(cols, (int)i), &s))) break;
        size_t j = prep_name_find(idx, st->n_in, s);
        if (j == (size_t)-1) rc = bad(r, "is not a column of the schema");
        else if (st->cols[j].role != PREP_PASS) rc = bad(r, "lists a column twice");
        else if (!prep_accepts(&p->par, st->cols[j].kind)) rc = bad(r, "is a column of the wrong kind");
        else if (i > 0 && j < (*at)[i - 1]) rc = bad(r, "is not in schema order");
        else {
            st->cols[j].role = PREP_XFORM;
            (*at)[i] = j;
        }
    }
    free(idx);
    return rc;
}

/* Per-column number arrays: state.key[i] → cols[at[i]] at the given offset in prep_col. */
static int read_col_numbers(jreader *r, const cJSON *state, const char *key, prep_state *st, const size_t *at,
                            size_t n, size_t off, int nan_ok)
{
    int rc = KNOB_OK;
    const cJSON *arr = member(r, state, "state", key, 0, &rc);
    if (rc || get_array(r, arr, n, NULL)) return KNOB_EPARSE;
    for (size_t i = 0; i < n; i++) {
        snprintf(r->path, sizeof r->path, "state.%s[%zu]", key, i + 1);
        double *dst = (double *)((char *)&st->cols[at[i]] + off);
        if (get_number(r, cJSON_GetArrayItem(arr, (int)i), nan_ok, dst)) return KNOB_EPARSE;
    }
    return KNOB_OK;
}

#define COL_OFF(f) offsetof(prep_col, f)

static int check_range(jreader *r, const char *key, size_t i, int ok, const char *what)
{
    if (ok) return KNOB_OK;
    snprintf(r->path, sizeof r->path, "state.%s[%zu]", key, i + 1);
    return bad(r, what);
}

static int read_categories(jreader *r, const knob_prep *p, const cJSON *state, prep_state *st, const size_t *at,
                           size_t n)
{
    int rc = KNOB_OK;
    const cJSON *arr = member(r, state, "state", "categories", 0, &rc);
    if (rc || get_array(r, arr, n, NULL)) return KNOB_EPARSE;
    for (size_t i = 0; i < n; i++) {
        prep_col *c = &st->cols[at[i]];
        snprintf(r->path, sizeof r->path, "state.categories[%zu]", i + 1);
        if (get_strings(r, cJSON_GetArrayItem(arr, (int)i), &c->cats, &c->n_cats)) return KNOB_EPARSE;
        if (!prep_strings_strictly_sorted(c->cats, c->n_cats)) return bad(r, "must be sorted and distinct");
        const knob_prep_params *par = &p->par;
        if (par->kind == KNOB_PREP_ORDINAL && par->handle_unknown == KNOB_UNKNOWN_VALUE && par->unknown_value >= 0 &&
            par->unknown_value < (double)c->n_cats)
            return bad(r, "has a category coded like params.unknown_value");
    }
    if (p->par.kind != KNOB_PREP_ONEHOT) return KNOB_OK;
    arr = member(r, state, "state", "nan_category", 0, &rc);
    if (rc || get_array(r, arr, n, NULL)) return KNOB_EPARSE;
    for (size_t i = 0; i < n; i++) {
        const cJSON *b = cJSON_GetArrayItem(arr, (int)i);
        snprintf(r->path, sizeof r->path, "state.nan_category[%zu]", i + 1);
        if (!cJSON_IsBool(b)) return bad(r, "must be true or false");
        st->cols[at[i]].nan_cat = cJSON_IsTrue(b);
    }
    return KNOB_OK;
}

static int read_impute(jreader *r, const cJSON *state, prep_state *st, const size_t *at, size_t n)
{
    int rc = KNOB_OK;
    const cJSON *arr = member(r, state, "state", "statistics", 0, &rc);
    if (rc || get_array(r, arr, n, NULL)) return KNOB_EPARSE;
    for (size_t i = 0; i < n; i++) {
        prep_col *c = &st->cols[at[i]];
        const cJSON *e = cJSON_GetArrayItem(arr, (int)i);
        const char *s = NULL;
        snprintf(r->path, sizeof r->path, "state.statistics[%zu]", i + 1);
        if (c->kind == KNOB_COL_CATEGORICAL) {
            if (get_string(r, e, &s)) return KNOB_EPARSE;
            if (!s[0]) return bad(r, "must not be empty");
            if (!(c->fill_level = knob_strdup(s))) return knob_err_set(r->err, KNOB_ENOMEM, "out of memory");
        } else {
            if (get_number(r, e, 0, &c->stat[0])) return KNOB_EPARSE;
        }
    }
    return KNOB_OK;
}

static int read_corr(jreader *r, const knob_prep *p, const cJSON *state, prep_state *st)
{
    int rc = KNOB_OK;
    const cJSON *dropped = member(r, state, "state", "dropped", 0, &rc);
    size_t n;
    if (rc || get_array(r, dropped, (size_t)-1, &n)) return KNOB_EPARSE;
    const cJSON *with = member(r, state, "state", "correlated_with", 0, &rc);
    if (rc || get_array(r, with, n, NULL)) return KNOB_EPARSE;
    const cJSON *rs = member(r, state, "state", "r", 0, &rc);
    if (rc || get_array(r, rs, n, NULL)) return KNOB_EPARSE;
    for (size_t i = 0; i < n; i++) {
        const char *a = NULL, *b = NULL;
        double v = 0;
        snprintf(r->path, sizeof r->path, "state.dropped[%zu]", i + 1);
        if (get_string(r, cJSON_GetArrayItem(dropped, (int)i), &a)) return KNOB_EPARSE;
        size_t ja = (size_t)-1, jb = (size_t)-1;
        for (size_t j = 0; j < st->n_in; j++)
            if (st->cols[j].role == PREP_XFORM && strcmp(st->cols[j].name, a) == 0) ja = j;
        if (ja == (size_t)-1) return bad(r, "is not a kept column of state.columns");
        snprintf(r->path, sizeof r->path, "state.correlated_with[%zu]", i + 1);
        if (get_string(r, cJSON_GetArrayItem(with, (int)i), &b)) return KNOB_EPARSE;
        for (size_t j = 0; j < ja; j++)
            if (st->cols[j].role == PREP_XFORM && strcmp(st->cols[j].name, b) == 0) jb = j;
        if (jb == (size_t)-1) return bad(r, "is not a kept column of state.columns before the dropped one");
        snprintf(r->path, sizeof r->path, "state.r[%zu]", i + 1);
        if (get_number(r, cJSON_GetArrayItem(rs, (int)i), 0, &v)) return KNOB_EPARSE;
        if (!(fabs(v) <= 1 && fabs(v) > p->par.threshold)) return bad(r, "must satisfy threshold < |r| <= 1");
        st->cols[ja].role = PREP_DROP;
        st->cols[ja].partner = jb;
        st->cols[ja].r = v;
    }
    return KNOB_OK;
}

static int read_state(jreader *r, const knob_prep *p, const cJSON *state, prep_state *st)
{
    size_t *at = NULL, n = 0;
    snprintf(r->path, sizeof r->path, "state");
    if (!cJSON_IsObject(state)) return bad(r, "must be an object");
    int rc = read_state_columns(r, p, state, st, &at, &n);
    const knob_prep_params *par = &p->par;
    switch (rc ? -1 : par->kind) {
    case KNOB_PREP_STANDARDIZE:
        if ((rc = read_col_numbers(r, state, "mean", st, at, n, COL_OFF(stat[0]), 0)) ||
            (rc = read_col_numbers(r, state, "var", st, at, n, COL_OFF(stat[1]), 0)) ||
            (rc = read_col_numbers(r, state, "scale", st, at, n, COL_OFF(scale), 0)))
            break;
        for (size_t i = 0; !rc && i < n; i++) {
            const prep_col *c = &st->cols[at[i]];
            rc = check_range(r, "scale", i, c->scale > 0 && c->stat[1] >= 0, "must be > 0 (and var >= 0)");
        }
        break;
    case KNOB_PREP_MINMAX:
        if ((rc = read_col_numbers(r, state, "data_min", st, at, n, COL_OFF(stat[0]), 0)) ||
            (rc = read_col_numbers(r, state, "data_max", st, at, n, COL_OFF(stat[1]), 0)))
            break;
        for (size_t i = 0; !rc && i < n; i++)
            rc = check_range(r, "data_max", i, st->cols[at[i]].stat[1] >= st->cols[at[i]].stat[0], "is below data_min");
        break;
    case KNOB_PREP_ROBUST:
        if ((rc = read_col_numbers(r, state, "center", st, at, n, COL_OFF(stat[0]), 0)) ||
            (rc = read_col_numbers(r, state, "scale", st, at, n, COL_OFF(stat[1]), 0)))
            break;
        for (size_t i = 0; !rc && i < n; i++) rc = check_range(r, "scale", i, st->cols[at[i]].stat[1] > 0, "must be > 0");
        break;
    case KNOB_PREP_IMPUTE: rc = read_impute(r, state, st, at, n); break;
    case KNOB_PREP_ONEHOT:
    case KNOB_PREP_ORDINAL: rc = read_categories(r, p, state, st, at, n); break;
    case KNOB_PREP_VARIANCE:
        if ((rc = read_col_numbers(r, state, "variances", st, at, n, COL_OFF(stat[0]), 1))) break;
        for (size_t i = 0; !rc && i < n; i++) {
            prep_col *c = &st->cols[at[i]];
            rc = check_range(r, "variances", i, isnan(c->stat[0]) || c->stat[0] >= 0, "must be >= 0 or null");
            if (!(c->stat[0] > par->threshold)) c->role = PREP_DROP;
        }
        break;
    case KNOB_PREP_CORR: rc = read_corr(r, p, state, st); break;
    default: break;
    }
    free(at);
    return rc;
}

knob_prep *knob_prep_from_json(const char *text, size_t len, knob_err *err)
{
    knob_err local;
    if (!err) err = &local;
    jreader r = {err, ""};
    knob_prep *p = NULL;
    prep_state *st = NULL;
    if (!text) {
        knob_err_set(err, KNOB_EINVAL, JERR "no text");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        knob_err_set(err, KNOB_EPARSE, JERR "invalid JSON at byte %zu of %zu", at + 1, len);
        return NULL;
    }
    int rc = KNOB_OK;
    const char *s = NULL;
    double v = 0;
    if (!cJSON_IsObject(root)) {
        knob_err_set(err, KNOB_EPARSE, JERR "not a knob transformer (expected an object)");
        goto fail;
    }
    const cJSON *fmt = member(&r, root, "", "format", 1, &rc);
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, PREP_FORMAT) != 0) {
        knob_err_set(err, KNOB_EPARSE, JERR "not a knob transformer (format is %s%.60s%s, expected '" PREP_FORMAT "')",
                     cJSON_IsString(fmt) ? "'" : "", cJSON_IsString(fmt) ? fmt->valuestring : "missing",
                     cJSON_IsString(fmt) ? "'" : "");
        goto fail;
    }
    const cJSON *ver = member(&r, root, "", "version", 0, &rc);
    if (rc || get_number(&r, ver, 0, &v)) goto fail;
    if (v != PREP_VERSION) {
        knob_err_set(err, KNOB_EPARSE, JERR "unsupported version %g (this knob reads version %d)", v, PREP_VERSION);
        goto fail;
    }
    const cJSON *kind = member(&r, root, "", "kind", 0, &rc);
    if (rc || get_string(&r, kind, &s)) goto fail;
    int k = knob_prep_kind_from_name(s);
    if (k < 0) {
        knob_err_set(err, KNOB_EPARSE, JERR "unknown kind '%.60s'", s);
        goto fail;
    }
    const cJSON *params = member(&r, root, "", "params", 0, &rc);
    if (rc || !(p = read_params(&r, params, k))) goto fail;
    const cJSON *fitted = member(&r, root, "", "fitted", 0, &rc);
    if (rc) goto fail;
    if (!cJSON_IsBool(fitted)) {
        bad(&r, "must be true or false");
        goto fail;
    }
    if (cJSON_IsFalse(fitted)) goto done;
    if (!(st = calloc(1, sizeof *st))) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        goto fail;
    }
    const cJSON *schema = member(&r, root, "", "schema", 0, &rc);
    if (rc || read_schema(&r, schema, st)) goto fail;
    const cJSON *state = member(&r, root, "", "state", 0, &rc);
    if (rc || read_state(&r, p, state, st)) goto fail;
    knob_err e;
    if (prep_state_derive(p, st, &e)) {
        knob_err_set(err, e.code == KNOB_ENOMEM ? KNOB_ENOMEM : KNOB_EPARSE, JERR "%s", e.msg);
        goto fail;
    }
    p->st = st;
done:
    cJSON_Delete(root);
    return p;
fail:
    prep_state_free(&st);
    knob_prep_free(&p);
    cJSON_Delete(root);
    return NULL;
}
