/* l_prep.c — knob.core.prep: the preprocessing transformers (engine/include/knob/prep.h) as the
 * "knob.Transformer" userdata, constructors taking one options table, and JSON text in and out. */
#include "l_modules.h"

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/prep.h"
#include "l_aux.h"

#define TRANSFORMER_MT "knob.Transformer"

typedef struct {
    knob_prep *p;
} l_prep_box;

static void push_prep(lua_State *L, knob_prep *p)
{
    l_prep_box *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->p = p;
    luaL_setmetatable(L, TRANSFORMER_MT);
}

static knob_prep *check_prep(lua_State *L, int idx)
{
    l_prep_box *box = luaL_checkudata(L, idx, TRANSFORMER_MT);
    if (!box->p) luaL_error(L, "transformer is closed");
    return box->p;
}

/* ---- constructors ---- */

/* columns = {"a", "b"}: the strings stay anchored in the options table, the array on the stack. */
static void opt_columns(lua_State *L, const char *what, knob_prep_params *par)
{
    if (lua_isnoneornil(L, 1)) return;
    int t = lua_getfield(L, 1, "columns");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE) luaL_error(L, "%s: option 'columns' must be a list of column names (got %s)", what, luaL_typename(L, -1));
    lua_Integer n = luaL_len(L, -1);
    const char **names = l_alloc_anchored(L, (size_t)(n > 0 ? n : 1) * sizeof *names);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, -2, i) != LUA_TSTRING)
            luaL_error(L, "%s: option 'columns': entry %I must be a column name (got %s)", what, (LUAI_UACINT)i,
                       luaL_typename(L, -1));
        names[i - 1] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    par->columns = names;
    par->n_columns = (size_t)(n > 0 ? n : 0);
    lua_remove(L, -2); /* keep the anchor of names on the stack, drop the table (still in the options) */
}

/* name = {lo, hi}: two numbers. */
static void opt_pair(lua_State *L, const char *what, const char *name, double *lo, double *hi)
{
    if (lua_isnoneornil(L, 1)) return;
    int t = lua_getfield(L, 1, name);
    if (t != LUA_TNIL) {
        char label[96];
        size_t n;
        snprintf(label, sizeof label, "%s: option '%s'", what, name);
        if (t != LUA_TTABLE) luaL_error(L, "%s must be a pair {low, high} (got %s)", label, luaL_typename(L, -1));
        double *a = l_check_number_array(L, -1, label, &n, 0);
        if (n != 2) luaL_error(L, "%s must be a pair {low, high} (got %d numbers)", label, (int)n);
        *lo = a[0];
        *hi = a[1];
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void opts_standardize(lua_State *L, const char *what, knob_prep_params *par)
{
    par->with_mean = l_opt_boolean(L, 1, what, "with_mean", par->with_mean);
    par->with_std = l_opt_boolean(L, 1, what, "with_std", par->with_std);
}

static void opts_minmax(lua_State *L, const char *what, knob_prep_params *par)
{
    opt_pair(L, what, "range", &par->range_min, &par->range_max);
}

static void opts_robust(lua_State *L, const char *what, knob_prep_params *par)
{
    opt_pair(L, what, "quantile_range", &par->q_low, &par->q_high);
    par->with_centering = l_opt_boolean(L, 1, what, "with_centering", par->with_centering);
    par->with_scaling = l_opt_boolean(L, 1, what, "with_scaling", par->with_scaling);
}

static void opts_impute(lua_State *L, const char *what, knob_prep_params *par)
{
    static const char *const strategies[] = {"mean", "median", "most_frequent", "constant", NULL};
    par->strategy = l_opt_choice(L, 1, what, "strategy", strategies, KNOB_IMPUTE_MEAN);
    if (!lua_isnoneornil(L, 1)) {
        int t = lua_getfield(L, 1, "fill_value");
        if (t == LUA_TNUMBER) par->fill_value = lua_tonumber(L, -1);
        else if (t == LUA_TSTRING) par->fill_level = lua_tostring(L, -1); /* anchored in the options */
        else if (t != LUA_TNIL)
            luaL_error(L, "%s: option 'fill_value' must be a number (numeric columns) or a string (categorical "
                          "columns) (got %s)", what, luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    par->fill_level = l_opt_string(L, 1, what, "fill_level", par->fill_level);
}

static void opts_onehot(lua_State *L, const char *what, knob_prep_params *par)
{
    static const char *const unknown[] = {"error", "ignore", NULL};
    static const char *const drop[] = {"none", "first", "if_binary", NULL};
    static const char *const missing[] = {"category", "error", NULL};
    par->handle_unknown = l_opt_choice(L, 1, what, "handle_unknown", unknown, 0) ? KNOB_UNKNOWN_IGNORE
                                                                                   : KNOB_UNKNOWN_ERROR;
    par->drop = l_opt_choice(L, 1, what, "drop", drop, KNOB_DROP_NONE);
    par->missing = l_opt_choice(L, 1, what, "missing", missing, KNOB_MISSING_CATEGORY);
}

static void opts_ordinal(lua_State *L, const char *what, knob_prep_params *par)
{
    static const char *const unknown[] = {"error", "use_encoded_value", NULL};
    int has_value = 0;
    if (!lua_isnoneornil(L, 1)) {
        int t = lua_getfield(L, 1, "unknown_value");
        if (t == LUA_TNUMBER) {
            par->unknown_value = lua_tonumber(L, -1); /* NaN allowed */
            has_value = 1;
        } else if (t != LUA_TNIL)
            luaL_error(L, "%s: option 'unknown_value' must be a number (got %s)", what, luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    int h = l_opt_choice(L, 1, what, "handle_unknown", unknown, has_value ? 1 : 0);
    if (h == 1 && !has_value)
        luaL_error(L, "%s: handle_unknown = 'use_encoded_value' needs option 'unknown_value'", what);
    par->handle_unknown = h ? KNOB_UNKNOWN_VALUE : KNOB_UNKNOWN_ERROR;
}

static void opts_poly(lua_State *L, const char *what, knob_prep_params *par)
{
    lua_Integer d = l_opt_integer(L, 1, what, "degree", par->degree);
    if (d < 1 || d > 16) luaL_error(L, "%s: option 'degree' must be in 1..16 (got %I)", what, (LUAI_UACINT)d);
    par->degree = (int)d;
    par->interaction_only = l_opt_boolean(L, 1, what, "interaction_only", par->interaction_only);
    par->include_bias = l_opt_boolean(L, 1, what, "include_bias", par->include_bias);
}

static void opts_threshold(lua_State *L, const char *what, knob_prep_params *par)
{
    par->threshold = l_opt_number(L, 1, what, "threshold", par->threshold);
}

typedef struct {
    int kind;
    const char *const *valid;
    void (*read)(lua_State *L, const char *what, knob_prep_params *par);
} ctor_spec;

static int construct(lua_State *L, const ctor_spec *spec)
{
    const char *what = knob_prep_kind_name(spec->kind);
    l_check_options(L, 1, what, spec->valid);
    knob_prep_params par;
    knob_prep_params_init(&par, spec->kind);
    opt_columns(L, what, &par);
    spec->read(L, what, &par);
    knob_err err = {0, ""};
    knob_prep *p = knob_prep_new(&par, &err);
    if (!p) return l_raise(L, &err);
    push_prep(L, p);
    return 1;
}

#define CTOR(fname, kind, readfn, ...)                                                                     \
    static int fname(lua_State *L)                                                                         \
    {                                                                                                      \
        static const char *const valid[] = {"columns", __VA_ARGS__, NULL};                                 \
        static const ctor_spec spec = {kind, valid, readfn};                                               \
        return construct(L, &spec);                                                                        \
    }

CTOR(l_standardize, KNOB_PREP_STANDARDIZE, opts_standardize, "with_mean", "with_std")
CTOR(l_minmax, KNOB_PREP_MINMAX, opts_minmax, "range")
CTOR(l_robust, KNOB_PREP_ROBUST, opts_robust, "quantile_range", "with_centering", "with_scaling")
CTOR(l_impute, KNOB_PREP_IMPUTE, opts_impute, "strategy", "fill_value", "fill_level")
CTOR(l_onehot, KNOB_PREP_ONEHOT, opts_onehot, "handle_unknown", "drop", "missing")
CTOR(l_ordinal, KNOB_PREP_ORDINAL, opts_ordinal, "handle_unknown", "unknown_value")
CTOR(l_poly, KNOB_PREP_POLY, opts_poly, "degree", "interaction_only", "include_bias")
CTOR(l_variance_filter, KNOB_PREP_VARIANCE, opts_threshold, "threshold")
CTOR(l_corr_filter, KNOB_PREP_CORR, opts_threshold, "threshold")

static int l_from_json(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    knob_err err = {0, ""};
    knob_prep *p = knob_prep_from_json(text, len, &err);
    if (!p) return l_fail(L, &err);
    push_prep(L, p);
    return 1;
}

/* ---- methods ---- */

static int m_fit(lua_State *L)
{
    knob_prep *p = check_prep(L, 1);
    knob_dataset *ds = l_check_dataset(L, 2);
    knob_err err = {0, ""};
    if (knob_prep_fit(p, ds, &err)) return l_raise(L, &err);
    lua_settop(L, 1);
    return 1;
}

/* transform(ds), or fit_transform(ds) when refit: a new Dataset. */
static int apply(lua_State *L, int refit)
{
    knob_prep *p = check_prep(L, 1);
    knob_dataset *ds = l_check_dataset(L, 2);
    knob_err err = {0, ""};
    knob_dataset *out = refit ? knob_prep_fit_transform(p, ds, &err) : knob_prep_transform(p, ds, &err);
    if (!out) return l_raise(L, &err);
    l_push_dataset(L, out);
    return 1;
}

static int m_transform(lua_State *L)
{
    return apply(L, 0);
}

static int m_fit_transform(lua_State *L)
{
    return apply(L, 1);
}

static int m_to_json(lua_State *L)
{
    knob_err err = {0, ""};
    char *text = knob_prep_to_json(check_prep(L, 1), &err);
    if (!text) return l_raise(L, &err);
    lua_pushstring(L, text);
    free(text);
    return 1;
}

/* Push a JSON value as Lua: objects → tables, arrays → sequences, null → NaN (knob writes NaN as null). */
static void push_json(lua_State *L, const cJSON *v)
{
    luaL_checkstack(L, 3, "JSON too deeply nested");
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int is_array = cJSON_IsArray(v);
        lua_createtable(L, is_array ? cJSON_GetArraySize(v) : 0, is_array ? 0 : cJSON_GetArraySize(v));
        lua_Integer i = 1;
        const cJSON *e;
        cJSON_ArrayForEach(e, v)
        {
            push_json(L, e);
            if (is_array) lua_seti(L, -2, i++);
            else lua_setfield(L, -2, e->string);
        }
    } else if (cJSON_IsString(v)) lua_pushstring(L, v->valuestring);
    else if (cJSON_IsNumber(v)) lua_pushnumber(L, v->valuedouble);
    else if (cJSON_IsBool(v)) lua_pushboolean(L, cJSON_IsTrue(v));
    else lua_pushnumber(L, NAN);
}

/* Push member key of the transformer's JSON document as a Lua table. */
static int push_json_member(lua_State *L, const knob_prep *p, const char *key)
{
    knob_err err = {0, ""};
    char *text = knob_prep_to_json(p, &err);
    if (!text) return l_raise(L, &err);
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return luaL_error(L, "out of memory");
    push_json(L, cJSON_GetObjectItemCaseSensitive(root, key));
    cJSON_Delete(root);
    return 1;
}

static int m_params(lua_State *L)
{
    return push_json_member(L, check_prep(L, 1), "params");
}

static int m_state(lua_State *L)
{
    knob_prep *p = check_prep(L, 1);
    if (!knob_prep_is_fitted(p))
        return luaL_error(L, "%s: transformer is not fitted (call fit first)", knob_prep_kind_name(knob_prep_get_params(p)->kind));
    return push_json_member(L, p, "state");
}

static int m_kind(lua_State *L)
{
    lua_pushstring(L, knob_prep_kind_name(knob_prep_get_params(check_prep(L, 1))->kind));
    return 1;
}

static int m_fitted(lua_State *L)
{
    lua_pushboolean(L, knob_prep_is_fitted(check_prep(L, 1)));
    return 1;
}

static int m_close(lua_State *L)
{
    l_prep_box *box = luaL_checkudata(L, 1, TRANSFORMER_MT);
    knob_prep_free(&box->p);
    return 0;
}

static int m_tostring(lua_State *L)
{
    l_prep_box *box = luaL_checkudata(L, 1, TRANSFORMER_MT);
    if (!box->p) {
        lua_pushliteral(L, "knob.Transformer<closed>");
        return 1;
    }
    const char *kn = knob_prep_kind_name(knob_prep_get_params(box->p)->kind);
    if (knob_prep_is_fitted(box->p))
        lua_pushfstring(L, "knob.Transformer<%s, fitted on %I columns>", kn, (LUAI_UACINT)knob_prep_n_inputs(box->p));
    else lua_pushfstring(L, "knob.Transformer<%s, not fitted>", kn);
    return 1;
}

int l_open_prep(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"fit", m_fit},       {"transform", m_transform}, {"fit_transform", m_fit_transform},
        {"to_json", m_to_json}, {"params", m_params},     {"state", m_state},
        {"kind", m_kind},     {"fitted", m_fitted},       {"close", m_close},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL},
    };
    static const luaL_Reg fns[] = {
        {"standardize", l_standardize},
        {"minmax", l_minmax},
        {"robust", l_robust},
        {"impute", l_impute},
        {"onehot", l_onehot},
        {"ordinal", l_ordinal},
        {"poly", l_poly},
        {"variance_filter", l_variance_filter},
        {"corr_filter", l_corr_filter},
        {"from_json", l_from_json},
        {NULL, NULL},
    };
    l_new_class(L, TRANSFORMER_MT, methods, meta);
    luaL_newlib(L, fns);
    return 1;
}
