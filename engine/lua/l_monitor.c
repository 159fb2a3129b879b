/*
 * l_monitor.c — knob.core.monitor: the drift and comparison statistics of drift.h on Lua arrays, the
 * monitor section of a Model, and JSON encoding for reports. stdlib/knob/monitor.lua is the user API.
 *
 *   numeric_ref(values, {bins = 10, sample = 1000}) -> {count, missing, edges, counts, sample}
 *   bin_counts(values, edges)                -> counts (#edges + 1), missing
 *   psi(ref_counts, new_counts, {epsilon = 1e-4})  -> psi
 *   ks(a, b, {method = "auto"|"exact"|"asymp"})    -> statistic, p_value, method used (NaN values dropped)
 *   chi2(ref_counts, new_counts)             -> statistic, dof, p_value
 *   mcnemar(b, c, {exact = true})            -> statistic, p_value
 *   corrected_ttest(a, b, n_train, n_test)   -> t, p_value
 *   bootstrap_weights(n, seed, replicate)    -> n weights (draw counts)
 *   chi2_sf(x, dof)  t_two_sided(t, df)  binom_half(k, n)
 *   attach(model, json_text|nil)  attached(model) -> json_text|nil     (the model's "monitor" section)
 *   encode(value) -> JSON text;  decode(text) -> value | nil, msg    (null decodes as NaN)
 */
#include "l_modules.h"

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/drift.h"
#include "knob/json_io.h"
#include "knob/model.h"
#include "knob/util.h"
#include "l_aux.h"

static lua_Integer check_count(lua_State *L, int idx, const char *what)
{
    lua_Integer v = luaL_checkinteger(L, idx);
    if (v < 0) luaL_error(L, "%s must be >= 0 (got %I)", what, (LUAI_UACINT)v);
    return v;
}

/* The non-NaN values of the array at idx, sorted, in a stack-anchored buffer. */
static double *sorted_values(lua_State *L, int idx, const char *what, size_t *n, size_t *total)
{
    size_t len, m = 0;
    double *v = l_check_number_array(L, idx, what, &len, 1);
    for (size_t i = 0; i < len; i++)
        if (!isnan(v[i])) v[m++] = v[i];
    qsort(v, m, sizeof *v, knob_cmp_double);
    *n = m;
    if (total) *total = len;
    return v;
}

static int l_numeric_ref(lua_State *L)
{
    static const char *const valid[] = {"bins", "sample", NULL};
    lua_settop(L, 2);
    l_check_options(L, 2, "numeric_ref", valid);
    lua_Integer bins = l_opt_integer(L, 2, "numeric_ref", "bins", 10);
    lua_Integer cap = l_opt_integer(L, 2, "numeric_ref", "sample", 1000);
    if (bins < 2 || bins > 1000) luaL_error(L, "numeric_ref: option 'bins' must be in 2..1000 (got %I)", (LUAI_UACINT)bins);
    if (cap < 2) luaL_error(L, "numeric_ref: option 'sample' must be >= 2 (got %I)", (LUAI_UACINT)cap);
    size_t total, n;
    double *v = sorted_values(L, 1, "numeric_ref: values", &n, &total);
    size_t keep = n < (size_t)cap ? n : (size_t)cap;
    double *edges = l_alloc_anchored(L, ((size_t)bins + keep + 1) * sizeof *edges);
    double *sample = edges + bins;
    size_t n_edges = 0, missing;
    knob_err err;
    if (n && knob_drift_quantile_edges(v, n, (size_t)bins, edges, &n_edges, &err)) return l_raise(L, &err);
    double *counts = l_alloc_anchored(L, (n_edges + 1) * sizeof *counts);
    knob_drift_bin_counts(edges, n_edges, v, n, counts, &missing);
    knob_drift_subsample(v, n, (size_t)cap, sample);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, "count");
    lua_pushinteger(L, (lua_Integer)(total - n));
    lua_setfield(L, -2, "missing");
    l_push_numbers(L, edges, n_edges);
    lua_setfield(L, -2, "edges");
    l_push_numbers(L, counts, n_edges + 1);
    lua_setfield(L, -2, "counts");
    l_push_numbers(L, sample, keep);
    lua_setfield(L, -2, "sample");
    return 1;
}

static int l_bin_counts(lua_State *L)
{
    lua_settop(L, 2);
    size_t n, n_edges, missing;
    const double *x = l_check_number_array(L, 1, "bin_counts: values", &n, 1);
    const double *edges = l_check_number_array(L, 2, "bin_counts: edges", &n_edges, 0);
    for (size_t i = 1; i < n_edges; i++)
        if (!(edges[i] > edges[i - 1])) luaL_error(L, "bin_counts: edges must be strictly increasing (entry %d)", (int)i + 1);
    double *counts = l_alloc_anchored(L, (n_edges + 1) * sizeof *counts);
    knob_drift_bin_counts(edges, n_edges, x, n, counts, &missing);
    l_push_numbers(L, counts, n_edges + 1);
    lua_pushinteger(L, (lua_Integer)missing);
    return 2;
}

/* Two count arrays of equal length at 1 and 2. */
static size_t count_pair(lua_State *L, const char *fn, const double **a, const double **b)
{
    size_t na, nb;
    char what[64];
    snprintf(what, sizeof what, "%s: reference counts", fn);
    *a = l_check_number_array(L, 1, what, &na, 0);
    snprintf(what, sizeof what, "%s: new counts", fn);
    *b = l_check_number_array(L, 2, what, &nb, 0);
    if (na != nb) luaL_error(L, "%s: the count arrays have different lengths (%d and %d)", fn, (int)na, (int)nb);
    return na;
}

static int l_psi(lua_State *L)
{
    static const char *const valid[] = {"epsilon", NULL};
    lua_settop(L, 3);
    l_check_options(L, 3, "psi", valid);
    double eps = l_opt_number(L, 3, "psi", "epsilon", KNOB_DRIFT_PSI_EPS);
    const double *a, *b;
    size_t k = count_pair(L, "psi", &a, &b);
    knob_err err;
    double v;
    if (knob_drift_psi(a, b, k, eps, &v, &err)) return l_raise(L, &err);
    lua_pushnumber(L, v);
    return 1;
}

static int l_chi2(lua_State *L)
{
    lua_settop(L, 2);
    const double *a, *b;
    size_t k = count_pair(L, "chi2", &a, &b);
    knob_err err;
    double stat, dof, p;
    if (knob_drift_chi2(a, b, k, &stat, &dof, &p, &err)) return l_raise(L, &err);
    lua_pushnumber(L, stat);
    lua_pushinteger(L, (lua_Integer)dof);
    lua_pushnumber(L, p);
    return 3;
}

static int l_ks(lua_State *L)
{
    static const char *const valid[] = {"method", NULL};
    static const char *const methods[] = {"auto", "exact", "asymp", NULL};
    lua_settop(L, 3);
    l_check_options(L, 3, "ks", valid);
    int method = l_opt_choice(L, 3, "ks", "method", methods, KNOB_DRIFT_KS_AUTO);
    size_t na, nb;
    const double *a = sorted_values(L, 1, "ks: first sample", &na, NULL);
    const double *b = sorted_values(L, 2, "ks: second sample", &nb, NULL);
    knob_err err;
    double d, p;
    int used;
    if (knob_drift_ks(a, na, b, nb, method, &d, &p, &used, &err)) return l_raise(L, &err);
    lua_pushnumber(L, d);
    lua_pushnumber(L, p);
    lua_pushstring(L, methods[used]);
    return 3;
}

static int l_mcnemar(lua_State *L)
{
    static const char *const valid[] = {"exact", NULL};
    lua_settop(L, 3);
    l_check_options(L, 3, "mcnemar", valid);
    uint64_t b = (uint64_t)check_count(L, 1, "mcnemar: b"), c = (uint64_t)check_count(L, 2, "mcnemar: c");
    int exact = l_opt_boolean(L, 3, "mcnemar", "exact", 1);
    double stat, p;
    knob_drift_mcnemar(b, c, exact, &stat, &p);
    lua_pushnumber(L, stat);
    lua_pushnumber(L, p);
    return 2;
}

static int l_corrected_ttest(lua_State *L)
{
    lua_settop(L, 4);
    double n_train = luaL_checknumber(L, 3), n_test = luaL_checknumber(L, 4);
    size_t na, nb;
    const double *a = l_check_number_array(L, 1, "corrected_ttest: scores_a", &na, 0);
    const double *b = l_check_number_array(L, 2, "corrected_ttest: scores_b", &nb, 0);
    if (na != nb)
        luaL_error(L, "corrected_ttest: scores_a and scores_b have different lengths (%d and %d)", (int)na, (int)nb);
    knob_err err;
    double t, p;
    if (knob_drift_corrected_ttest(a, b, na, n_train, n_test, &t, &p, &err)) return l_raise(L, &err);
    lua_pushnumber(L, t);
    lua_pushnumber(L, p);
    return 2;
}

static int l_bootstrap_weights(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    if (n < 1) luaL_error(L, "bootstrap_weights: n must be >= 1 (got %I)", (LUAI_UACINT)n);
    uint64_t seed = (uint64_t)check_count(L, 2, "bootstrap_weights: seed");
    uint64_t rep = (uint64_t)check_count(L, 3, "bootstrap_weights: replicate");
    double *w = l_alloc_anchored(L, (size_t)n * sizeof *w);
    knob_drift_bootstrap_weights(seed, rep, (size_t)n, w);
    l_push_numbers(L, w, (size_t)n);
    return 1;
}

static int l_chi2_sf(lua_State *L)
{
    lua_pushnumber(L, knob_drift_chi2_sf(luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
    return 1;
}

static int l_t_two_sided(lua_State *L)
{
    lua_pushnumber(L, knob_drift_t_two_sided(luaL_checknumber(L, 1), luaL_checknumber(L, 2)));
    return 1;
}

static int l_binom_half(lua_State *L)
{
    uint64_t k = (uint64_t)check_count(L, 1, "binom_half: k"), n = (uint64_t)check_count(L, 2, "binom_half: n");
    if (k > n) luaL_error(L, "binom_half: k must be <= n");
    lua_pushnumber(L, knob_drift_binom_half(k, n));
    return 1;
}

/* ---- the model's monitor section ---------------------------------------------------------------- */

static int l_attach(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    const char *text = luaL_optstring(L, 2, NULL);
    if (text && !m->fitted) return luaL_error(L, "monitor: the model is not fitted");
    char *copy = NULL;
    if (text) {
        cJSON *o = cJSON_Parse(text);
        int ok = cJSON_IsObject(o);
        cJSON_Delete(o);
        if (!ok) return luaL_error(L, "monitor: attach: the reference must be the JSON text of an object");
        if (!(copy = knob_strdup(text))) return luaL_error(L, "out of memory");
    }
    free(m->monitor);
    m->monitor = copy;
    return 0;
}

static int l_attached(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    if (m->monitor) lua_pushstring(L, m->monitor);
    else lua_pushnil(L);
    return 1;
}

/* ---- JSON ---------------------------------------------------------------------------------------- */

/* A sequence 1..n (n >= 0) with no other keys? Empty tables count as arrays. */
static int is_sequence(lua_State *L, int idx, lua_Integer *n)
{
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len) {
            lua_pop(L, 1);
            return 0;
        }
    }
    *n = len;
    return count == len;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Encode the value at idx and add it to parent (an array when key is NULL) before filling it, so a raise
 * part way leaves nothing unowned. */
static void add_json(lua_State *L, int idx, cJSON *parent, const char *key, int depth)
{
    idx = lua_absindex(L, idx);
    if (depth > 64) luaL_error(L, "encode: value nested too deeply");
    cJSON *item = NULL;
    lua_Integer n = 0;
    int seq = 0;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: item = cJSON_CreateNull(); break;
    case LUA_TBOOLEAN: item = cJSON_CreateBool(lua_toboolean(L, idx)); break;
    case LUA_TNUMBER:
        item = lua_isinteger(L, idx) ? cJSON_CreateNumber((double)lua_tointeger(L, idx)) : knob_json_exact(lua_tonumber(L, idx));
        break;
    case LUA_TSTRING: item = cJSON_CreateString(lua_tostring(L, idx)); break;
    case LUA_TTABLE:
        luaL_checkstack(L, 4, "encode: value nested too deeply");
        seq = is_sequence(L, idx, &n);
        item = seq ? cJSON_CreateArray() : cJSON_CreateObject();
        break;
    default: luaL_error(L, "encode: cannot encode a %s", luaL_typename(L, idx));
    }
    if (!item) luaL_error(L, "out of memory");
    if (key) cJSON_AddItemToObject(parent, key, item);
    else cJSON_AddItemToArray(parent, item);
    if (lua_type(L, idx) != LUA_TTABLE) return;
    if (seq) {
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            add_json(L, -1, item, NULL, depth + 1);
            lua_pop(L, 1);
        }
        return;
    }
    /* keys in sorted order, so the same table always gives the same text */
    size_t n_keys = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "encode: object keys must be strings (got %s)", luaL_typename(L, -2));
        n_keys++;
        lua_pop(L, 1);
    }
    const char **keys = l_alloc_anchored(L, (n_keys ? n_keys : 1) * sizeof *keys);
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        keys[k++] = lua_tostring(L, -2); /* stays valid: the key is referenced by the table */
        lua_pop(L, 1);
    }
    qsort(keys, n_keys, sizeof *keys, cmp_key);
    for (k = 0; k < n_keys; k++) {
        lua_getfield(L, idx, keys[k]);
        add_json(L, -1, item, keys[k], depth + 1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the key buffer */
}

/* Encoding may raise on a bad value; the partial cJSON tree is kept in a userdata so its __gc frees it. */
static int json_box_gc(lua_State *L)
{
    cJSON **box = lua_touserdata(L, 1);
    cJSON_Delete(*box);
    *box = NULL;
    return 0;
}

static int l_encode(lua_State *L)
{
    lua_settop(L, 1);
    cJSON **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, json_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    *box = cJSON_CreateArray(); /* the root goes in here so a raise below frees what was built */
    if (!*box) return luaL_error(L, "out of memory");
    add_json(L, 1, *box, NULL, 0);
    char *text = cJSON_PrintUnformatted(cJSON_GetArrayItem(*box, 0));
    if (!text) return luaL_error(L, "out of memory");
    lua_pushstring(L, text);
    cJSON_free(text);
    return 1;
}

static void push_json(lua_State *L, const cJSON *v)
{
    luaL_checkstack(L, 3, "decode: JSON nested too deeply");
    if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        int arr = cJSON_IsArray(v);
        lua_createtable(L, arr ? cJSON_GetArraySize(v) : 0, arr ? 0 : cJSON_GetArraySize(v));
        lua_Integer i = 1;
        for (const cJSON *e = v->child; e; e = e->next) {
            push_json(L, e);
            if (arr) lua_rawseti(L, -2, i++);
            else lua_setfield(L, -2, e->string);
        }
        return;
    }
    if (cJSON_IsString(v)) lua_pushstring(L, v->valuestring);
    else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0) lua_pushinteger(L, (lua_Integer)d);
        else lua_pushnumber(L, d);
    } else if (cJSON_IsBool(v)) lua_pushboolean(L, cJSON_IsTrue(v));
    else lua_pushnumber(L, (lua_Number)NAN);
}

static int l_decode(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        lua_pushnil(L);
        lua_pushstring(L, "not valid JSON");
        return 2;
    }
    push_json(L, root);
    cJSON_Delete(root);
    return 1;
}

int l_open_monitor(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"numeric_ref", l_numeric_ref},
        {"bin_counts", l_bin_counts},
        {"psi", l_psi},
        {"chi2", l_chi2},
        {"ks", l_ks},
        {"mcnemar", l_mcnemar},
        {"corrected_ttest", l_corrected_ttest},
        {"bootstrap_weights", l_bootstrap_weights},
        {"chi2_sf", l_chi2_sf},
        {"t_two_sided", l_t_two_sided},
        {"binom_half", l_binom_half},
        {"attach", l_attach},
        {"attached", l_attached},
        {"encode", l_encode},
        {"decode", l_decode},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    lua_pushnumber(L, KNOB_DRIFT_PSI_EPS);
    lua_setfield(L, -2, "PSI_EPSILON");
    return 1;
}
