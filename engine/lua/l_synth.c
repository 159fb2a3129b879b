/* l_synth.c — knob.core.synth: seeded synthetic datasets (make_classification, make_regression,
 * make_friedman1, make_hastie_10_2, make_blobs). Each takes one options table (nil = all defaults); the
 * seed option defaults to 0, so a call without a seed is reproducible too. */
#include "l_modules.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

#include "knob/synth.h"
#include "l_aux.h"

static int64_t opt_int(lua_State *L, const char *fn, const char *name, int64_t def)
{
    return (int64_t)l_opt_integer(L, 1, fn, name, (lua_Integer)def);
}

/* Seed the generator from the seed option (default 0) and clear the error record. */
static void prepare(lua_State *L, const char *fn, knob_rng *rng, knob_err *err)
{
    knob_rng_seed(rng, (uint64_t)l_opt_seed(L, 1, fn, 0));
    knob_err_clear(err);
}

/* Push option `name` of the options table (argument 1) and return its type. */
static int push_opt(lua_State *L, const char *name)
{
    luaL_checkstack(L, 4, "too many options");
    if (lua_isnoneornil(L, 1)) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    return lua_getfield(L, 1, name);
}

/* The list of numbers at the top of the stack (left there, with its anchor, so the array lives as long as
 * the call). */
static double *top_list(lua_State *L, const char *fn, const char *name, size_t *n)
{
    int idx = lua_gettop(L);
    lua_pushfstring(L, "%s: option '%s'", fn, name);
    return l_check_number_array(L, idx, lua_tostring(L, -1), n, 0);
}

/* Option `name` as a list of numbers, or NULL when absent; anything else raises. */
static double *opt_list(lua_State *L, const char *fn, const char *name, size_t *n)
{
    int t = push_opt(L, name);
    *n = 0;
    if (t == LUA_TNIL) return NULL;
    if (t != LUA_TTABLE)
        luaL_error(L, "%s: option '%s' must be a list of numbers (got %s)", fn, name, luaL_typename(L, -1));
    return top_list(L, fn, name, n);
}

/* shift / scale: a number, a list with one number per feature, or "random". */
static void opt_per_feature(lua_State *L, const char *fn, const char *name, knob_synth_per_feature *pf)
{
    int t = push_opt(L, name);
    if (t == LUA_TNUMBER) {
        pf->value = lua_tonumber(L, -1);
    } else if (t == LUA_TTABLE) {
        pf->values = top_list(L, fn, name, &pf->n_values);
    } else if (t == LUA_TSTRING && strcmp(lua_tostring(L, -1), "random") == 0) {
        pf->random = 1;
    } else if (t != LUA_TNIL) {
        luaL_error(L, "%s: option '%s' must be a number, a list of numbers or \"random\" (got %s)", fn, name,
                   t == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1));
    }
}

static int raise_or_push(lua_State *L, knob_dataset *ds, const knob_err *err)
{
    if (!ds) return l_raise(L, err);
    l_push_dataset(L, ds);
    return 1;
}

/* make_classification{...} -> Dataset */
static int l_make_classification(lua_State *L)
{
    static const char fn[] = "make_classification";
    static const char *const valid[] = {"n_samples", "n_features", "n_informative", "n_redundant", "n_repeated",
                                        "n_classes", "n_clusters_per_class", "weights", "flip_y", "class_sep",
                                        "hypercube", "shift", "scale", "shuffle", "seed", NULL};
    l_check_options(L, 1, fn, valid);
    knob_synth_classification_opts o;
    knob_synth_classification_init(&o);
    o.n_samples = opt_int(L, fn, "n_samples", o.n_samples);
    o.n_features = opt_int(L, fn, "n_features", o.n_features);
    o.n_informative = opt_int(L, fn, "n_informative", o.n_informative);
    o.n_redundant = opt_int(L, fn, "n_redundant", o.n_redundant);
    o.n_repeated = opt_int(L, fn, "n_repeated", o.n_repeated);
    o.n_classes = opt_int(L, fn, "n_classes", o.n_classes);
    o.n_clusters_per_class = opt_int(L, fn, "n_clusters_per_class", o.n_clusters_per_class);
    o.weights = opt_list(L, fn, "weights", &o.n_weights);
    o.flip_y = l_opt_number(L, 1, fn, "flip_y", o.flip_y);
    o.class_sep = l_opt_number(L, 1, fn, "class_sep", o.class_sep);
    o.hypercube = l_opt_boolean(L, 1, fn, "hypercube", o.hypercube);
    opt_per_feature(L, fn, "shift", &o.shift);
    opt_per_feature(L, fn, "scale", &o.scale);
    o.shuffle = l_opt_boolean(L, 1, fn, "shuffle", o.shuffle);
    knob_rng rng;
    knob_err err;
    prepare(L, fn, &rng, &err);
    return raise_or_push(L, knob_synth_classification(&o, &rng, &err), &err);
}

/* make_regression{...} -> Dataset, coefficients (one per feature, in column order) */
static int l_make_regression(lua_State *L)
{
    static const char fn[] = "make_regression";
    static const char *const valid[] = {"n_samples", "n_features", "n_informative", "n_targets", "bias",
                                        "effective_rank", "tail_strength", "noise", "shuffle", "seed", NULL};
    l_check_options(L, 1, fn, valid);
    knob_synth_regression_opts o;
    knob_synth_regression_init(&o);
    o.n_samples = opt_int(L, fn, "n_samples", o.n_samples);
    o.n_features = opt_int(L, fn, "n_features", o.n_features);
    /* the default n_informative (10) is capped at n_features; an explicit one is not */
    o.n_informative = opt_int(L, fn, "n_informative", o.n_features < 10 ? o.n_features : 10);
    o.n_targets = opt_int(L, fn, "n_targets", o.n_targets);
    o.bias = l_opt_number(L, 1, fn, "bias", o.bias);
    int has_rank = push_opt(L, "effective_rank") != LUA_TNIL, has_tail = push_opt(L, "tail_strength") != LUA_TNIL;
    lua_pop(L, 2);
    o.effective_rank = opt_int(L, fn, "effective_rank", 0);
    if (has_rank && o.effective_rank < 1)
        return luaL_error(L, "%s: option 'effective_rank' must be an integer >= 1 (got %I)", fn,
                          (LUAI_UACINT)o.effective_rank);
    if (has_tail && !has_rank) return luaL_error(L, "%s: option 'tail_strength' needs effective_rank", fn);
    o.tail_strength = l_opt_number(L, 1, fn, "tail_strength", o.tail_strength);
    o.noise = l_opt_number(L, 1, fn, "noise", o.noise);
    o.shuffle = l_opt_boolean(L, 1, fn, "shuffle", o.shuffle);
    knob_rng rng;
    knob_err err;
    prepare(L, fn, &rng, &err);
    if (knob_synth_regression_check(&o, &err)) return l_raise(L, &err);
    double *coef = l_alloc_anchored(L, (size_t)o.n_features * sizeof *coef);
    raise_or_push(L, knob_synth_regression(&o, &rng, coef, &err), &err);
    l_push_numbers(L, coef, (size_t)o.n_features);
    return 2;
}

/* make_friedman1{n_samples=100, n_features=10, noise=0, seed=0} -> Dataset */
static int l_make_friedman1(lua_State *L)
{
    static const char fn[] = "make_friedman1";
    static const char *const valid[] = {"n_samples", "n_features", "noise", "seed", NULL};
    l_check_options(L, 1, fn, valid);
    int64_t n = opt_int(L, fn, "n_samples", 100), p = opt_int(L, fn, "n_features", 10);
    double noise = l_opt_number(L, 1, fn, "noise", 0);
    knob_rng rng;
    knob_err err;
    prepare(L, fn, &rng, &err);
    return raise_or_push(L, knob_synth_friedman1(n, p, noise, &rng, &err), &err);
}

/* make_hastie_10_2{n_samples=12000, seed=0} -> Dataset */
static int l_make_hastie_10_2(lua_State *L)
{
    static const char fn[] = "make_hastie_10_2";
    static const char *const valid[] = {"n_samples", "seed", NULL};
    l_check_options(L, 1, fn, valid);
    int64_t n = opt_int(L, fn, "n_samples", 12000);
    knob_rng rng;
    knob_err err;
    prepare(L, fn, &rng, &err);
    return raise_or_push(L, knob_synth_hastie_10_2(n, &rng, &err), &err);
}

/* blobs n_samples: an integer, or a list of per-centre counts (sets *k). */
static void blobs_samples(lua_State *L, const char *fn, knob_synth_blobs_opts *o, size_t *k)
{
    int t = push_opt(L, "n_samples");
    if (t != LUA_TTABLE) {
        lua_pop(L, 1);
        o->n_samples = opt_int(L, fn, "n_samples", o->n_samples);
        return;
    }
    size_t n;
    double *v = top_list(L, fn, "n_samples", &n);
    int64_t *counts = l_alloc_anchored(L, n * sizeof *counts);
    for (size_t c = 0; c < n; c++) {
        if (v[c] != floor(v[c]) || fabs(v[c]) > 9.0e15)
            luaL_error(L, "%s: option 'n_samples' entry %d must be an integer (got %f)", fn, (int)c + 1, v[c]);
        counts[c] = (int64_t)v[c];
    }
    if (n == 0) luaL_error(L, "%s: option 'n_samples' must not be an empty list", fn);
    o->samples_per_center = counts;
    *k = n;
}

/* blobs centers: a count, or a list of points (sets n_centers, centers, n_features). */
static void blobs_centers(lua_State *L, const char *fn, knob_synth_blobs_opts *o, size_t k_from_samples)
{
    int has_features = push_opt(L, "n_features") != LUA_TNIL;
    lua_pop(L, 1);
    int t = push_opt(L, "centers");
    if (t != LUA_TTABLE) {
        if (t != LUA_TNIL && !lua_isinteger(L, -1))
            luaL_error(L, "%s: option 'centers' must be an integer or a list of points (got %s)", fn,
                       t == LUA_TNUMBER ? "a non-integer number" : luaL_typename(L, -1));
        o->n_centers = t == LUA_TNIL ? (k_from_samples ? (int64_t)k_from_samples : o->n_centers)
                                     : (int64_t)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (k_from_samples && o->n_centers != (int64_t)k_from_samples)
            luaL_error(L, "%s: option 'n_samples' has %d entries but centers is %d", fn, (int)k_from_samples,
                       (int)o->n_centers);
        return;
    }
    int idx = lua_gettop(L);
    size_t k = (size_t)luaL_len(L, idx), p = 0;
    if (k == 0) luaL_error(L, "%s: option 'centers' must not be an empty list", fn);
    if (k_from_samples && k != k_from_samples)
        luaL_error(L, "%s: option 'n_samples' has %d entries but centers has %d", fn, (int)k_from_samples, (int)k);
    for (size_t c = 0; c < k; c++) { /* shape first */
        if (lua_geti(L, idx, (lua_Integer)c + 1) != LUA_TTABLE)
            luaL_error(L, "%s: option 'centers' entry %d must be a list of coordinates (got %s)", fn, (int)c + 1,
                       luaL_typename(L, -1));
        size_t m = (size_t)luaL_len(L, -1);
        if (c == 0 && m == 0) luaL_error(L, "%s: option 'centers' entry 1 must have at least one coordinate", fn);
        if (c == 0) p = m;
        if (m != p)
            luaL_error(L, "%s: option 'centers' entry %d has %d coordinates but entry 1 has %d", fn, (int)c + 1,
                       (int)m, (int)p);
        lua_pop(L, 1);
    }
    double *C = l_alloc_anchored(L, k * p * sizeof *C);
    for (size_t c = 0; c < k; c++) {
        lua_geti(L, idx, (lua_Integer)c + 1);
        for (size_t j = 0; j < p; j++) {
            if (lua_geti(L, -1, (lua_Integer)j + 1) != LUA_TNUMBER)
                luaL_error(L, "%s: option 'centers' entry %d coordinate %d must be a number (got %s)", fn,
                           (int)c + 1, (int)j + 1, luaL_typename(L, -1));
            C[c * p + j] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (has_features && opt_int(L, fn, "n_features", 0) != (int64_t)p)
        luaL_error(L, "%s: option 'n_features' (%d) does not match the %d coordinates of the centers", fn,
                   (int)opt_int(L, fn, "n_features", 0), (int)p);
    o->n_centers = (int64_t)k;
    o->n_features = (int64_t)p;
    o->centers = C;
}

/* make_blobs{...} -> Dataset, centres (list of points) */
static int l_make_blobs(lua_State *L)
{
    static const char fn[] = "make_blobs";
    static const char *const valid[] = {"n_samples", "n_features", "centers", "cluster_std", "center_box",
                                        "shuffle", "seed", NULL};
    l_check_options(L, 1, fn, valid);
    knob_synth_blobs_opts o;
    knob_synth_blobs_init(&o);
    size_t k_from_samples = 0;
    blobs_samples(L, fn, &o, &k_from_samples);
    o.n_features = opt_int(L, fn, "n_features", o.n_features);
    blobs_centers(L, fn, &o, k_from_samples);
    size_t n_std = 0, n_box = 0;
    int t = push_opt(L, "cluster_std");
    if (t == LUA_TNUMBER) {
        o.cluster_std = lua_tonumber(L, -1);
    } else if (t == LUA_TTABLE) {
        o.cluster_stds = top_list(L, fn, "cluster_std", &n_std);
        if (n_std != (size_t)o.n_centers)
            luaL_error(L, "%s: option 'cluster_std' must have one entry per centre (%d) (got %d)", fn,
                       (int)o.n_centers, (int)n_std);
    } else if (t != LUA_TNIL) {
        luaL_error(L, "%s: option 'cluster_std' must be a number or a list of numbers (got %s)", fn,
                   luaL_typename(L, -1));
    }
    const double *box = opt_list(L, fn, "center_box", &n_box);
    if (box) {
        if (n_box != 2) luaL_error(L, "%s: option 'center_box' must be {low, high} (got %d entries)", fn, (int)n_box);
        if (o.centers) luaL_error(L, "%s: option 'center_box' is only used when centers is a number", fn);
        o.center_box[0] = box[0];
        o.center_box[1] = box[1];
    }
    o.shuffle = l_opt_boolean(L, 1, fn, "shuffle", o.shuffle);
    knob_rng rng;
    knob_err err;
    prepare(L, fn, &rng, &err);
    if (knob_synth_blobs_check(&o, &err)) return l_raise(L, &err);
    size_t k = (size_t)o.n_centers, p = (size_t)o.n_features;
    double *C = l_alloc_anchored(L, k * p * sizeof *C);
    raise_or_push(L, knob_synth_blobs(&o, &rng, C, &err), &err);
    lua_createtable(L, (int)k, 0);
    for (size_t c = 0; c < k; c++) {
        l_push_numbers(L, C + c * p, p);
        lua_rawseti(L, -2, (lua_Integer)c + 1);
    }
    return 2;
}

int l_open_synth(lua_State *L)
{
    static const luaL_Reg fns[] = {{"make_classification", l_make_classification},
                                   {"make_regression", l_make_regression},
                                   {"make_friedman1", l_make_friedman1},
                                   {"make_hastie_10_2", l_make_hastie_10_2},
                                   {"make_blobs", l_make_blobs},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
