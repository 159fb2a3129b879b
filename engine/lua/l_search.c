/*
 * l_search.c — knob.core.search: the numerics under knob.samplers (search.h).
 *
 *   rng(seed)                          a knob.Rng: :uniform() in [0,1), :int(lo, hi) inclusive, :normal()
 *   parzen(dims, obs, opts)            a knob.Parzen: :sample(rng, n) -> rows, :log_pdf(rows) -> numbers,
 *                                      :n_components()
 *   tpe_sample(dims, below, above, opts)   the TPE choice -> row, score (one call: both estimators + choice)
 *   tpe_split(keys, values, n_below)   -> array of booleans: true for the n_below best (stable sort)
 *   tpe_weights(n)                     Optuna's default_weights(n)
 *   tpe_obs()                          a knob.TPEObs, TPE's observation store (search.h, rows and columns
 *                                      1-based): :add(number, key, value) -> row, :set(row, col, v),
 *                                      :rows(), :truncate(n), :split(n_below), :count(cols, dims) -> n_below,
 *                                      n_above, :sample(cols, dims, opts) -> row, score (opts: the Parzen
 *                                      options, rng, n_candidates, weights_below, weights_above)
 *   qmc{kind = "sobol"|"halton", dim =, scramble = true, seed = 0}
 *                                      a knob.QMC: :point(i) (0-based index) -> array, :points(i, n) -> rows
 *   pareto_fronts(values)              values: rows of losses (minimize every objective) -> front numbers
 *                                      (1 = non-dominated, 2 = next, ...), pareto.h
 *   crowding_distance(values, fronts)  NSGA-II crowding distance within each front (extremes: inf)
 *   hypervolume(values, ref)           exact dominated hypervolume w.r.t. ref (any number of objectives)
 *   hv_contributions(values, ref)      hypervolume lost by removing each point
 *   eigh(matrix)                       symmetric eigen decomposition (LAPACK dsyev) -> values ascending,
 *                                      vectors (rows of V; column j is the j-th eigenvector), eigh.h
 *   gp_kernel(X1, X2, hyper)           Matérn 5/2 kernel rows (gp.h); hyper = {lengthscales = {...},
 *                                      signal_var = 1, noise_var = 0, categorical = {j, ...} (1-based)}
 *   gp_log_marginal(X, y, hyper)       -> lml, gradient over (log 1/l^2..., log s2, log(noise - 1e-6))
 *                                      (the gradient only when noise_var > 1e-6)
 *   gp_predict(X, y, hyper, Xq)        -> posterior means, latent variances
 *   gp_fit(X, y, {categorical = ...})  -> fitted hyper, log marginal likelihood + log prior
 *   gp_log_h(z)                        log(phi(z) + z Phi(z)), the log EI of a standard normal
 *   gp_suggest(dims, obs, y, {rng =, n_candidates = 2048, n_local = 5, hyper = nil, init = nil})
 *                                      one GP-BO step minimizing y -> row, log EI, hyper used (hyper: fixed
 *                                      hyperparameters, no fit; init: where the fit starts)
 *
 * A dimension is a table {kind = "float"|"int"|"categorical", low =, high =, step =, log =, choices = {...}
 * (or n_choices =)}; categorical values are 0-based choice indices. Observations and points are arrays of
 * rows, or flat row-major arrays of numbers (a plain array of numbers for one dimension).
 * Options of parzen / tpe_sample: weights (parzen; tpe_sample: weights_below / weights_above), consider_prior,
 * prior_weight, magic_clip, endpoints (consider_endpoints), multivariate, scaled (true: proper densities;
 * false: Optuna 3.1's score without 1/sigma, see search.h); tpe_sample also takes rng and n_candidates (24).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/eigh.h"
#include "knob/pareto.h"
#include "knob/gp.h"
#include "knob/search.h"
#include "l_aux.h"
#include "l_modules.h"

#define RNG_MT "knob.Rng"
#define PARZEN_MT "knob.Parzen"
#define QMC_MT "knob.QMC"

/* ------------------------------------------------------------------------------------------------ rng */

typedef struct {
    knob_rng rng;
    lua_Integer seed;
} rng_box;

static knob_rng *check_rng(lua_State *L, int idx)
{
    return &((rng_box *)luaL_checkudata(L, idx, RNG_MT))->rng;
}

static int l_rng(lua_State *L)
{
    lua_Integer seed = luaL_checkinteger(L, 1);
    if (seed < 0) luaL_argerror(L, 1, "seed must be >= 0");
    rng_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    knob_rng_seed(&b->rng, (uint64_t)seed);
    b->seed = seed;
    luaL_setmetatable(L, RNG_MT);
    return 1;
}

static int rng_uniform(lua_State *L)
{
    lua_pushnumber(L, knob_rng_uniform(check_rng(L, 1)));
    return 1;
}

static int rng_int(lua_State *L)
{
    knob_rng *r = check_rng(L, 1);
    lua_Integer lo = luaL_checkinteger(L, 2), hi = luaL_checkinteger(L, 3);
    if (lo > hi) return luaL_error(L, "rng:int: lo %I is greater than hi %I", (LUAI_UACINT)lo, (LUAI_UACINT)hi);
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    uint64_t v = span == UINT64_MAX ? knob_rng_u64(r) : knob_rng_below(r, span + 1);
    lua_pushinteger(L, (lua_Integer)((uint64_t)lo + v));
    return 1;
}

static int rng_normal(lua_State *L)
{
    lua_pushnumber(L, knob_rng_normal(check_rng(L, 1)));
    return 1;
}

static int rng_tostring(lua_State *L)
{
    rng_box *b = luaL_checkudata(L, 1, RNG_MT);
    lua_pushfstring(L, "knob.Rng<seed %I>", (LUAI_UACINT)b->seed);
    return 1;
}

/* ----------------------------------------------------------------------------------------- dimensions */

static const char *const kind_names[] = {"float", "int", "categorical", NULL};
static const char *const dim_keys[] = {"kind", "low", "high", "step", "log", "choices", "n_choices", NULL};

static void check_dim(lua_State *L, int idx, size_t i, knob_dist *d)
{
    char what[64];
    snprintf(what, sizeof what, "search: dimension %zu", i);
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) luaL_error(L, "%s must be a table (got %s)", what, luaL_typename(L, idx));
    l_check_options(L, idx, what, dim_keys);
    memset(d, 0, sizeof *d);
    if (lua_getfield(L, idx, "kind") == LUA_TNIL) luaL_error(L, "%s: missing kind", what);
    lua_pop(L, 1);
    d->kind = l_opt_choice(L, idx, what, "kind", kind_names, 0);
    if (d->kind == KNOB_DIST_CATEGORICAL) {
        int t = lua_getfield(L, idx, "choices");
        if (t == LUA_TTABLE) d->n_choices = (size_t)luaL_len(L, -1);
        else if (t != LUA_TNIL) luaL_error(L, "%s: choices must be a table (got %s)", what, luaL_typename(L, -1));
        lua_pop(L, 1);
        if (t == LUA_TNIL) {
            lua_Integer n = l_opt_integer(L, idx, what, "n_choices", 0);
            d->n_choices = n > 0 ? (size_t)n : 0;
        }
    } else {
        if (lua_getfield(L, idx, "low") != LUA_TNUMBER || lua_getfield(L, idx, "high") != LUA_TNUMBER)
            luaL_error(L, "%s: low and high must be numbers", what);
        lua_pop(L, 2);
        d->low = l_opt_number(L, idx, what, "low", 0);
        d->high = l_opt_number(L, idx, what, "high", 0);
        d->step = l_opt_number(L, idx, what, "step", 0);
        d->log = l_opt_boolean(L, idx, what, "log", 0);
    }
    knob_err err = {0};
    if (knob_dist_check(d, what, &err)) l_raise(L, &err);
}

/* The dimensions at idx (an array of dimension tables) in anchored memory. */
static knob_dist *check_dims(lua_State *L, int idx, size_t *n)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_Integer len = luaL_len(L, idx);
    if (len < 1) luaL_error(L, "search: no dimensions");
    knob_dist *d = l_alloc_anchored(L, (size_t)len * sizeof *d);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, idx, i);
        check_dim(L, -1, (size_t)i, &d[i - 1]);
        lua_pop(L, 1);
    }
    *n = (size_t)len;
    return d;
}

/* Points at idx: an array of rows of D numbers, or a flat row-major array. Anchored; *n receives rows. */
static double *check_points(lua_State *L, int idx, const char *what, size_t D, size_t *n)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) luaL_error(L, "%s must be a table (got %s)", what, luaL_typename(L, idx));
    lua_Integer len = luaL_len(L, idx);
    int rows = len > 0 && lua_geti(L, idx, 1) == LUA_TTABLE;
    if (len > 0) lua_pop(L, 1);
    if (!rows) {
        size_t m;
        double *a = l_check_number_array(L, idx, what, &m, 0);
        if (m % D) luaL_error(L, "%s: %d numbers is not a multiple of %d dimensions", what, (int)m, (int)D);
        *n = m / D;
        return a;
    }
    double *a = l_alloc_anchored(L, (size_t)len * D * sizeof *a);
    for (lua_Integer i = 1; i <= len; i++) {
        if (lua_geti(L, idx, i) != LUA_TTABLE)
            luaL_error(L, "%s: row %d must be a table (got %s)", what, (int)i, luaL_typename(L, -1));
        if ((size_t)luaL_len(L, -1) != D)
            luaL_error(L, "%s: row %d has %d values (expected %d)", what, (int)i, (int)luaL_len(L, -1), (int)D);
        for (size_t j = 0; j < D; j++) {
            int isnum = 0;
            lua_geti(L, -1, (lua_Integer)j + 1);
            double v = lua_tonumberx(L, -1, &isnum);
            if (!isnum || lua_type(L, -1) != LUA_TNUMBER || isnan(v))
                luaL_error(L, "%s: row %d, value %d must be a number (got %s)", what, (int)i, (int)j + 1,
                           isnum ? "NaN" : luaL_typename(L, -1));
            a[(size_t)(i - 1) * D + j] = v;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    *n = (size_t)len;
    return a;
}

static void push_row(lua_State *L, const knob_dist *dims, const double *x, size_t D)
{
    lua_createtable(L, (int)D, 0);
    for (size_t j = 0; j < D; j++) {
        if (dims && dims[j].kind != KNOB_DIST_FLOAT) lua_pushinteger(L, (lua_Integer)x[j]);
        else lua_pushnumber(L, x[j]);
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
}

static const char *const parzen_keys[] = {"weights",   "consider_prior", "prior_weight", "magic_clip",
                                          "endpoints", "multivariate",   "scaled",       NULL};
static const char *const tpe_keys[] = {"weights_below", "weights_above", "consider_prior", "prior_weight",
                                       "magic_clip",    "endpoints",     "multivariate",   "scaled",
                                       "rng",           "n_candidates",  NULL};

static void parzen_opts(lua_State *L, int idx, const char *what, knob_parzen_opts *o)
{
    knob_parzen_opts_default(o);
    o->consider_prior = l_opt_boolean(L, idx, what, "consider_prior", o->consider_prior);
    o->prior_weight = l_opt_number(L, idx, what, "prior_weight", o->prior_weight);
    o->magic_clip = l_opt_boolean(L, idx, what, "magic_clip", o->magic_clip);
    o->endpoints = l_opt_boolean(L, idx, what, "endpoints", o->endpoints);
    o->multivariate = l_opt_boolean(L, idx, what, "multivariate", o->multivariate);
    o->scaled = l_opt_boolean(L, idx, what, "scaled", o->scaled);
    if (!(o->prior_weight > 0) || !isfinite(o->prior_weight))
        luaL_error(L, "%s: option 'prior_weight' must be > 0 (got %f)", what, o->prior_weight);
}

/* Optional weights array option: NULL when absent; must have n entries. */
static double *opt_weights(lua_State *L, int idx, const char *what, const char *name, size_t n)
{
    if (lua_isnoneornil(L, idx)) return NULL;
    int t = lua_getfield(L, idx, name);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    char w[96];
    snprintf(w, sizeof w, "%s: option '%s'", what, name);
    if (t != LUA_TTABLE) luaL_error(L, "%s must be an array of numbers (got %s)", w, luaL_typename(L, -1));
    size_t m;
    double *a = l_check_number_array(L, -1, w, &m, 0);
    if (m != n) luaL_error(L, "%s has %d entries for %d observations", w, (int)m, (int)n);
    lua_replace(L, -2); /* keep the anchor, drop the table */
    return a;
}

/* The options shared by tpe_sample and obs:sample at idx: weights_below / weights_above (nb / na entries),
 * the Parzen options, n_candidates (24) and rng (required; the returned generator stays on the stack). */
static knob_rng *tpe_opts(lua_State *L, int idx, const char *what, size_t nb, size_t na, double **wb,
                          double **wa, knob_parzen_opts *o, size_t *n_cand)
{
    *wb = opt_weights(L, idx, what, "weights_below", nb);
    *wa = opt_weights(L, idx, what, "weights_above", na);
    parzen_opts(L, idx, what, o);
    lua_Integer nc = l_opt_integer(L, idx, what, "n_candidates", 24);
    if (nc < 1 || nc > 1000000) luaL_error(L, "%s: option 'n_candidates' must be in 1..1e6 (got %d)", what, (int)nc);
    *n_cand = (size_t)nc;
    if (lua_getfield(L, idx, "rng") != LUA_TUSERDATA || !luaL_testudata(L, -1, RNG_MT))
        luaL_error(L, "%s: option 'rng' must be a knob.Rng (got %s)", what, luaL_typename(L, -1));
    return check_rng(L, -1);
}

/* --------------------------------------------------------------------------------------------- parzen */

typedef struct {
    knob_parzen *p;
    size_t n_dims;
    knob_dist *dims; /* owned copy for output conversion */
} parzen_box;

static parzen_box *check_parzen(lua_State *L, int idx)
{
    parzen_box *b = luaL_checkudata(L, idx, PARZEN_MT);
    if (!b->p) luaL_error(L, "parzen is closed");
    return b;
}

static int l_parzen(lua_State *L)
{
    const char *what = "search.parzen";
    lua_settop(L, 3);
    l_check_options(L, 3, what, parzen_keys);
    size_t D, n;
    knob_dist *dims = check_dims(L, 1, &D);
    double *obs = check_points(L, 2, "search.parzen: observations", D, &n);
    double *w = opt_weights(L, 3, what, "weights", n);
    knob_parzen_opts o;
    parzen_opts(L, 3, what, &o);
    parzen_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    luaL_setmetatable(L, PARZEN_MT);
    b->dims = malloc(D * sizeof *dims);
    if (!b->dims) return luaL_error(L, "search.parzen: out of memory");
    memcpy(b->dims, dims, D * sizeof *dims);
    b->n_dims = D;
    knob_err err = {0};
    if (knob_parzen_new(&b->p, dims, D, obs, n, w, &o, &err)) return l_raise(L, &err);
    return 1;
}

static int parzen_sample(lua_State *L)
{
    parzen_box *b = check_parzen(L, 1);
    knob_rng *r = check_rng(L, 2);
    lua_Integer n = luaL_checkinteger(L, 3);
    if (n < 0 || n > 100000000) luaL_argerror(L, 3, "n must be in 0..1e8");
    double *out = l_alloc_anchored(L, (size_t)n * b->n_dims * sizeof *out);
    knob_parzen_sample(b->p, r, (size_t)n, out);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        push_row(L, b->dims, out + (size_t)i * b->n_dims, b->n_dims);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int parzen_log_pdf(lua_State *L)
{
    parzen_box *b = check_parzen(L, 1);
    size_t n;
    double *x = check_points(L, 2, "parzen:log_pdf: points", b->n_dims, &n);
    double *out = l_alloc_anchored(L, n * sizeof *out);
    knob_err err = {0};
    if (knob_parzen_log_pdf(b->p, x, n, out, &err)) return l_raise(L, &err);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, out[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int parzen_n_components(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)knob_parzen_n_components(check_parzen(L, 1)->p));
    return 1;
}

/* parzen:params(d) -> {weights =, mus =, sigmas =, low =, high =} of dimension d (1-based; numeric
 * fields only for a numeric dimension), as knob_parzen_params. */
static int parzen_params(lua_State *L)
{
    parzen_box *b = check_parzen(L, 1);
    lua_Integer d = luaL_checkinteger(L, 2);
    if (d < 1 || (size_t)d > b->n_dims)
        return luaL_error(L, "parzen:params: dimension %d is not in 1..%d", (int)d, (int)b->n_dims);
    size_t K = knob_parzen_n_components(b->p);
    double *a = l_alloc_anchored(L, (3 * K + 2) * sizeof *a);
    knob_err err = {0};
    if (knob_parzen_params(b->p, (size_t)d - 1, a, a + K, a + 2 * K, a + 3 * K, &err)) return l_raise(L, &err);
    lua_createtable(L, 0, 5);
    l_push_numbers(L, a, K);
    lua_setfield(L, -2, "weights");
    if (b->dims[d - 1].kind != KNOB_DIST_CATEGORICAL) {
        l_push_numbers(L, a + K, K);
        lua_setfield(L, -2, "mus");
        l_push_numbers(L, a + 2 * K, K);
        lua_setfield(L, -2, "sigmas");
        lua_pushnumber(L, a[3 * K]);
        lua_setfield(L, -2, "low");
        lua_pushnumber(L, a[3 * K + 1]);
        lua_setfield(L, -2, "high");
    }
    return 1;
}

static int parzen_close(lua_State *L)
{
    parzen_box *b = luaL_checkudata(L, 1, PARZEN_MT);
    knob_parzen_free(&b->p);
    free(b->dims);
    b->dims = NULL;
    return 0;
}

static int parzen_tostring(lua_State *L)
{
    parzen_box *b = luaL_checkudata(L, 1, PARZEN_MT);
    if (!b->p) lua_pushliteral(L, "knob.Parzen<closed>");
    else
        lua_pushfstring(L, "knob.Parzen<%d dims, %d components>", (int)b->n_dims,
                        (int)knob_parzen_n_components(b->p));
    return 1;
}

/* ------------------------------------------------------------------------------------------------ tpe */

/* Owns the two estimators of a tpe_sample call so a raise cannot leak them. */
typedef struct {
    knob_parzen *below, *above;
} tpe_pair;

static int tpe_pair_gc(lua_State *L)
{
    tpe_pair *t = lua_touserdata(L, 1);
    knob_parzen_free(&t->below);
    knob_parzen_free(&t->above);
    return 0;
}

static int l_tpe_sample(lua_State *L)
{
    const char *what = "search.tpe_sample";
    lua_settop(L, 4);
    l_check_options(L, 4, what, tpe_keys);
    size_t D, nb, na;
    knob_dist *dims = check_dims(L, 1, &D);
    double *below = check_points(L, 2, "search.tpe_sample: below", D, &nb);
    double *above = check_points(L, 3, "search.tpe_sample: above", D, &na);
    double *wb, *wa;
    knob_parzen_opts o;
    size_t nc;
    knob_rng *r = tpe_opts(L, 4, what, nb, na, &wb, &wa, &o, &nc);
    tpe_pair *t = lua_newuserdatauv(L, sizeof *t, 0);
    t->below = t->above = NULL;
    if (luaL_newmetatable(L, "knob.tpe_pair")) {
        lua_pushcfunction(L, tpe_pair_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    double *best = l_alloc_anchored(L, D * sizeof *best);
    double score = 0;
    knob_err err = {0};
    if (knob_parzen_new(&t->below, dims, D, below, nb, wb, &o, &err) ||
        knob_parzen_new(&t->above, dims, D, above, na, wa, &o, &err) ||
        knob_tpe_choose(t->below, t->above, r, nc, best, &score, &err))
        return l_raise(L, &err);
    knob_parzen_free(&t->below);
    knob_parzen_free(&t->above);
    push_row(L, dims, best, D);
    lua_pushnumber(L, score);
    return 2;
}

static int l_tpe_split(lua_State *L)
{
    size_t nk, nv;
    double *keys = l_check_number_array(L, 1, "search.tpe_split: keys", &nk, 0);
    double *values = l_check_number_array(L, 2, "search.tpe_split: values", &nv, 1);
    lua_Integer nb = luaL_checkinteger(L, 3);
    if (nk != nv) return luaL_error(L, "search.tpe_split: %d keys and %d values", (int)nk, (int)nv);
    if (nb < 0) return luaL_argerror(L, 3, "n_below must be >= 0");
    unsigned char *below = l_alloc_anchored(L, nk);
    knob_err err = {0};
    if (knob_tpe_split(nk, keys, values, (size_t)nb, below, &err)) return l_raise(L, &err);
    lua_createtable(L, (int)nk, 0);
    for (size_t i = 0; i < nk; i++) {
        lua_pushboolean(L, below[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int l_tpe_weights(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    if (n < 0 || n > 100000000) return luaL_argerror(L, 1, "n must be in 0..1e8");
    double *w = l_alloc_anchored(L, (size_t)n * sizeof *w);
    knob_tpe_default_weights((size_t)n, w);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_pushnumber(L, w[i]);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* -------------------------------------------------------------------------------- tpe observation store */

#define OBS_MT "knob.TPEObs"

typedef struct {
    knob_tpe_obs *o;
} obs_box;

static knob_tpe_obs *check_obs(lua_State *L, int idx)
{
    obs_box *b = luaL_checkudata(L, idx, OBS_MT);
    if (!b->o) luaL_error(L, "tpe observations are closed");
    return b->o;
}

static int l_tpe_obs(lua_State *L)
{
    obs_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->o = NULL;
    luaL_setmetatable(L, OBS_MT);
    knob_err err = {0};
    if (knob_tpe_obs_new(&b->o, &err)) return l_raise(L, &err);
    return 1;
}

static int obs_add(lua_State *L)
{
    knob_tpe_obs *o = check_obs(L, 1);
    knob_err err = {0};
    if (knob_tpe_obs_add(o, luaL_checknumber(L, 2), luaL_checknumber(L, 3), luaL_checknumber(L, 4), &err))
        return l_raise(L, &err);
    lua_pushinteger(L, (lua_Integer)knob_tpe_obs_rows(o));
    return 1;
}

static size_t check_pos(lua_State *L, int idx, const char *what)
{
    lua_Integer i = luaL_checkinteger(L, idx);
    if (i < 1) luaL_error(L, "tpe observations: %s must be >= 1 (got %I)", what, (LUAI_UACINT)i);
    return (size_t)i - 1;
}

static int obs_set(lua_State *L)
{
    knob_tpe_obs *o = check_obs(L, 1);
    size_t row = check_pos(L, 2, "row"), col = check_pos(L, 3, "column");
    knob_err err = {0};
    if (knob_tpe_obs_set(o, row, col, luaL_checknumber(L, 4), &err)) return l_raise(L, &err);
    return 0;
}

static int obs_rows(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)knob_tpe_obs_rows(check_obs(L, 1)));
    return 1;
}

static int obs_truncate(lua_State *L)
{
    knob_tpe_obs *o = check_obs(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n < 0) return luaL_argerror(L, 2, "rows must be >= 0");
    knob_tpe_obs_truncate(o, (size_t)n);
    return 0;
}

static int obs_split(lua_State *L)
{
    knob_tpe_obs *o = check_obs(L, 1);
    lua_Integer nb = luaL_checkinteger(L, 2);
    if (nb < 0) return luaL_argerror(L, 2, "n_below must be >= 0");
    knob_err err = {0};
    if (knob_tpe_obs_split(o, (size_t)nb, &err)) return l_raise(L, &err);
    return 0;
}

static const char *const obs_sample_keys[] = {"consider_prior", "prior_weight",  "magic_clip",    "endpoints",
                                              "multivariate",   "scaled",        "rng",           "n_candidates",
                                              "weights_below",  "weights_above", NULL};

/* Columns (1-based in Lua) and dimensions of obs:sample / obs:count, in anchored memory. */
static size_t *check_obs_cols(lua_State *L, const char *what, size_t *D, knob_dist **dims)
{
    size_t nc;
    *dims = check_dims(L, 3, D);
    double *c = l_check_number_array(L, 2, "tpe observations: columns", &nc, 0);
    if (nc != *D) luaL_error(L, "%s: %d columns for %d dimensions", what, (int)nc, (int)*D);
    size_t *cols = l_alloc_anchored(L, *D * sizeof *cols);
    for (size_t d = 0; d < *D; d++) {
        if (!(c[d] >= 1) || c[d] != floor(c[d])) luaL_error(L, "%s: column %d must be an integer >= 1", what, (int)d + 1);
        cols[d] = (size_t)c[d] - 1;
    }
    return cols;
}

/* obs:count(cols, dims) -> n_below, n_above */
static int obs_count(lua_State *L)
{
    knob_tpe_obs *o = check_obs(L, 1);
    size_t D, nb, na;
    knob_dist *dims;
    size_t *cols = check_obs_cols(L, "tpe observations:count", &D, &dims);
    knob_err err = {0};
    if (knob_tpe_obs_count(o, cols, dims, D, &nb, &na, &err)) return l_raise(L, &err);
    lua_pushinteger(L, (lua_Integer)nb);
    lua_pushinteger(L, (lua_Integer)na);
    return 2;
}

/* obs:sample(cols, dims, opts) -> row of values, score */
static int obs_sample(lua_State *L)
{
    const char *what = "tpe observations:sample";
    knob_tpe_obs *o = check_obs(L, 1);
    lua_settop(L, 4);
    l_check_options(L, 4, what, obs_sample_keys);
    size_t D, nb, na;
    knob_dist *dims;
    size_t *cols = check_obs_cols(L, what, &D, &dims);
    knob_err err = {0};
    if (knob_tpe_obs_count(o, cols, dims, D, &nb, &na, &err)) return l_raise(L, &err);
    double *wb, *wa;
    knob_parzen_opts po;
    size_t n_cand;
    knob_rng *r = tpe_opts(L, 4, what, nb, na, &wb, &wa, &po, &n_cand);
    double *best = l_alloc_anchored(L, D * sizeof *best);
    double score = 0;
    if (knob_tpe_obs_sample(o, cols, dims, D, &po, wb, wa, r, n_cand, best, &score, &err))
        return l_raise(L, &err);
    push_row(L, dims, best, D);
    lua_pushnumber(L, score);
    return 2;
}

static int obs_close(lua_State *L)
{
    obs_box *b = luaL_checkudata(L, 1, OBS_MT);
    knob_tpe_obs_free(&b->o);
    return 0;
}

static int obs_tostring(lua_State *L)
{
    obs_box *b = luaL_checkudata(L, 1, OBS_MT);
    if (!b->o) lua_pushliteral(L, "knob.TPEObs<closed>");
    else lua_pushfstring(L, "knob.TPEObs<%d rows>", (int)knob_tpe_obs_rows(b->o));
    return 1;
}

/* ----------------------------------------------------------------------------------------------- gp */

static const char *const gp_hyper_keys[] = {"lengthscales", "signal_var", "noise_var", "categorical", NULL};

/* Hyperparameters at idx ({lengthscales = {...}, signal_var =, noise_var =, categorical = {j, ...}}, the
 * categorical coordinates 1-based); need_ls: lengthscales required (else only categorical is read). Fills
 * *d (from the lengthscales, or 0), the anchored lengthscales and categorical flags (NULL when none). */
static void gp_hyper(lua_State *L, int idx, const char *what, int need_ls, size_t *d, knob_gp_hyper *h,
                     unsigned char **is_cat)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) luaL_error(L, "%s: hyperparameters must be a table (got %s)", what, luaL_typename(L, idx));
    l_check_options(L, idx, what, gp_hyper_keys);
    memset(h, 0, sizeof *h);
    *d = 0;
    if (need_ls) {
        if (lua_getfield(L, idx, "lengthscales") != LUA_TTABLE)
            luaL_error(L, "%s: option 'lengthscales' must be an array of numbers (got %s)", what, luaL_typename(L, -1));
        h->lengthscales = l_check_number_array(L, -1, what, d, 0);
        lua_replace(L, -2);
        if (*d == 0) luaL_error(L, "%s: option 'lengthscales' is empty", what);
        h->signal_var = l_opt_number(L, idx, what, "signal_var", 1.0);
        h->noise_var = l_opt_number(L, idx, what, "noise_var", 0.0);
    }
    *is_cat = NULL;
    int t = lua_getfield(L, idx, "categorical");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (t != LUA_TTABLE) luaL_error(L, "%s: option 'categorical' must be an array of indices (got %s)", what, luaL_typename(L, -1));
    size_t m;
    double *c = l_check_number_array(L, -1, what, &m, 0);
    lua_replace(L, -2);
    size_t D = need_ls ? *d : 0;
    for (size_t i = 0; i < m; i++)
        if (c[i] > (double)D) D = (size_t)c[i];
    *is_cat = l_alloc_anchored(L, D + 1);
    memset(*is_cat, 0, D + 1);
    for (size_t i = 0; i < m; i++) {
        if (c[i] < 1 || c[i] != floor(c[i]) || (need_ls && c[i] > (double)*d))
            luaL_error(L, "%s: option 'categorical': entry %d (%f) is not a coordinate index", what, (int)i + 1, c[i]);
        (*is_cat)[(size_t)c[i] - 1] = 1;
    }
}

static void push_hyper(lua_State *L, const knob_gp_hyper *h, size_t d)
{
    lua_createtable(L, 0, 3);
    l_push_numbers(L, h->lengthscales, d);
    lua_setfield(L, -2, "lengthscales");
    lua_pushnumber(L, h->signal_var);
    lua_setfield(L, -2, "signal_var");
    lua_pushnumber(L, h->noise_var);
    lua_setfield(L, -2, "noise_var");
}

/* X (points) and y at idx, idx + 1 for d coordinates. */
static knob_gp_data gp_data(lua_State *L, int idx, const char *what, size_t d, const unsigned char *is_cat)
{
    knob_gp_data g = {0};
    char w[96];
    snprintf(w, sizeof w, "%s: X", what);
    g.X = check_points(L, idx, w, d, &g.n);
    snprintf(w, sizeof w, "%s: y", what);
    size_t ny;
    g.y = l_check_number_array(L, idx + 1, w, &ny, 0);
    if (ny != g.n) luaL_error(L, "%s: %d points and %d outputs", what, (int)g.n, (int)ny);
    if (g.n == 0) luaL_error(L, "%s: no points", what);
    g.d = d;
    g.is_cat = is_cat;
    return g;
}

/* gp_kernel(X1, X2, hyper) -> rows of k(X1[a], X2[b]) */
static int l_gp_kernel(lua_State *L)
{
    const char *what = "search.gp_kernel";
    size_t d, n1, n2;
    knob_gp_hyper h;
    unsigned char *cat;
    gp_hyper(L, 3, what, 1, &d, &h, &cat);
    double *X1 = check_points(L, 1, "search.gp_kernel: X1", d, &n1);
    double *X2 = check_points(L, 2, "search.gp_kernel: X2", d, &n2);
    double *K = l_alloc_anchored(L, (n1 * n2 + 1) * sizeof *K);
    knob_err err = {0};
    if (knob_gp_kernel(X1, n1, X2, n2, d, cat, &h, K, &err)) return l_raise(L, &err);
    lua_createtable(L, (int)n1, 0);
    for (size_t a = 0; a < n1; a++) {
        l_push_numbers(L, K + a * n2, n2);
        lua_rawseti(L, -2, (lua_Integer)a + 1);
    }
    return 1;
}

/* gp_log_marginal(X, y, hyper) -> lml, gradient (array; only when noise_var > 1e-6) */
static int l_gp_log_marginal(lua_State *L)
{
    const char *what = "search.gp_log_marginal";
    size_t d;
    knob_gp_hyper h;
    unsigned char *cat;
    gp_hyper(L, 3, what, 1, &d, &h, &cat);
    knob_gp_data g = gp_data(L, 1, what, d, cat);
    double *grad = l_alloc_anchored(L, (d + 2) * sizeof *grad);
    int want = h.noise_var > KNOB_GP_MIN_NOISE;
    double lml;
    knob_err err = {0};
    if (knob_gp_log_marginal(&g, &h, &lml, want ? grad : NULL, &err)) return l_raise(L, &err);
    lua_pushnumber(L, lml);
    if (!want) return 1;
    l_push_numbers(L, grad, d + 2);
    return 2;
}

/* gp_predict(X, y, hyper, Xq) -> means, variances */
static int l_gp_predict(lua_State *L)
{
    const char *what = "search.gp_predict";
    size_t d, m;
    knob_gp_hyper h;
    unsigned char *cat;
    gp_hyper(L, 3, what, 1, &d, &h, &cat);
    knob_gp_data g = gp_data(L, 1, what, d, cat);
    double *Xq = check_points(L, 4, "search.gp_predict: Xq", d, &m);
    double *out = l_alloc_anchored(L, (2 * m + 1) * sizeof *out);
    knob_err err = {0};
    if (knob_gp_predict(&g, &h, Xq, m, out, out + m, &err)) return l_raise(L, &err);
    l_push_numbers(L, out, m);
    l_push_numbers(L, out + m, m);
    return 2;
}

/* gp_fit(X, y, {categorical = ...}) -> hyper, objective */
static int l_gp_fit(lua_State *L)
{
    const char *what = "search.gp_fit";
    size_t d = 0;
    knob_gp_hyper h;
    unsigned char *cat = NULL;
    if (!lua_isnoneornil(L, 3)) gp_hyper(L, 3, what, 0, &d, &h, &cat);
    /* the number of coordinates comes from the first row of X */
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_geti(L, 1, 1) != LUA_TTABLE) luaL_error(L, "%s: X must be an array of rows", what);
    d = (size_t)luaL_len(L, -1);
    lua_pop(L, 1);
    if (d == 0) luaL_error(L, "%s: X has rows with no values", what);
    if (cat) { /* flags sized for the largest categorical index: re-anchor for d coordinates */
        unsigned char *c2 = l_alloc_anchored(L, d);
        memset(c2, 0, d);
        for (size_t j = 0; j < d; j++) c2[j] = cat[j];
        cat = c2;
    }
    knob_gp_data g = gp_data(L, 1, what, d, cat);
    memset(&h, 0, sizeof h);
    h.lengthscales = l_alloc_anchored(L, d * sizeof *h.lengthscales);
    double obj;
    knob_err err = {0};
    if (knob_gp_fit(&g, &h, &obj, &err)) return l_raise(L, &err);
    push_hyper(L, &h, d);
    lua_pushnumber(L, obj);
    return 2;
}

/* gp_log_h(z) -> log(phi(z) + z Phi(z)) */
static int l_gp_log_h(lua_State *L)
{
    lua_pushnumber(L, knob_gp_log_h(luaL_checknumber(L, 1)));
    return 1;
}

static const char *const gp_suggest_keys[] = {"rng", "n_candidates", "n_local", "hyper", "init", NULL};

/* gp_suggest(dims, obs, y, {rng =, n_candidates = 2048, n_local = 5, hyper = nil, init = nil}) -> row, log_ei,
 * hyper (hyper: fixed hyperparameters, no fit; init: the fit's starting point) */
static int l_gp_suggest(lua_State *L)
{
    const char *what = "search.gp_suggest";
    lua_settop(L, 4);
    luaL_checktype(L, 4, LUA_TTABLE);
    l_check_options(L, 4, what, gp_suggest_keys);
    size_t D, n, ny;
    knob_dist *dims = check_dims(L, 1, &D);
    double *obs = check_points(L, 2, "search.gp_suggest: observations", D, &n);
    double *y = l_check_number_array(L, 3, "search.gp_suggest: y", &ny, 0);
    if (ny != n) return luaL_error(L, "%s: %d observations and %d outputs", what, (int)n, (int)ny);
    knob_gp_opts o;
    knob_gp_opts_default(&o);
    lua_Integer nc = l_opt_integer(L, 4, what, "n_candidates", (lua_Integer)o.n_candidates);
    lua_Integer nl = l_opt_integer(L, 4, what, "n_local", (lua_Integer)o.n_local);
    if (nc < 1 || nc > 10000000) return luaL_error(L, "%s: option 'n_candidates' must be in 1..1e7 (got %d)", what, (int)nc);
    if (nl < 0 || nl > 1000) return luaL_error(L, "%s: option 'n_local' must be in 0..1000 (got %d)", what, (int)nl);
    o.n_candidates = (size_t)nc, o.n_local = (size_t)nl;
    knob_gp_hyper h;
    memset(&h, 0, sizeof h);
    if (lua_getfield(L, 4, "hyper") != LUA_TNIL) {
        size_t d;
        unsigned char *cat;
        gp_hyper(L, -1, what, 1, &d, &h, &cat);
        if (d != D) return luaL_error(L, "%s: option 'hyper' has %d lengthscales for %d dimensions", what, (int)d, (int)D);
        o.fit = 0;
    } else {
        h.lengthscales = l_alloc_anchored(L, D * sizeof *h.lengthscales);
    }
    knob_gp_hyper init;
    if (lua_getfield(L, 4, "init") != LUA_TNIL) {
        size_t d;
        unsigned char *cat;
        gp_hyper(L, -1, what, 1, &d, &init, &cat);
        if (d != D) return luaL_error(L, "%s: option 'init' has %d lengthscales for %d dimensions", what, (int)d, (int)D);
        o.init = &init;
    }
    if (lua_getfield(L, 4, "rng") != LUA_TUSERDATA || !luaL_testudata(L, -1, RNG_MT))
        return luaL_error(L, "%s: option 'rng' must be a knob.Rng (got %s)", what, luaL_typename(L, -1));
    knob_rng *r = check_rng(L, -1);
    double *best = l_alloc_anchored(L, D * sizeof *best);
    double lei = 0;
    knob_err err = {0};
    if (knob_gp_suggest(dims, D, obs, y, n, &o, r, best, &lei, &h, &err)) return l_raise(L, &err);
    push_row(L, dims, best, D);
    lua_pushnumber(L, lei);
    push_hyper(L, &h, D);
    return 3;
}

/* ------------------------------------------------------------------------------------------------ qmc */

typedef struct {
    knob_qmc *q;
    int kind, scramble;
} qmc_box;

static const char *const qmc_kinds[] = {"sobol", "halton", NULL};
static const char *const qmc_keys[] = {"kind", "dim", "scramble", "seed", NULL};

static knob_qmc *check_qmc(lua_State *L, int idx)
{
    qmc_box *b = luaL_checkudata(L, idx, QMC_MT);
    if (!b->q) luaL_error(L, "qmc is closed");
    return b->q;
}

static int l_qmc(lua_State *L)
{
    const char *what = "search.qmc";
    luaL_checktype(L, 1, LUA_TTABLE);
    l_check_options(L, 1, what, qmc_keys);
    int kind = l_opt_choice(L, 1, what, "kind", qmc_kinds, KNOB_QMC_SOBOL);
    lua_Integer dim = l_opt_integer(L, 1, what, "dim", 0);
    int scramble = l_opt_boolean(L, 1, what, "scramble", 1);
    lua_Integer seed = l_opt_seed(L, 1, what, 0);
    size_t maxd = knob_qmc_max_dim(kind);
    if (dim < 1 || (size_t)dim > maxd)
        return luaL_error(L, "%s: option 'dim' must be in 1..%d for %s (got %d)", what, (int)maxd, qmc_kinds[kind],
                          (int)dim);
    qmc_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->q = NULL;
    b->kind = kind;
    b->scramble = scramble;
    luaL_setmetatable(L, QMC_MT);
    knob_err err = {0};
    if (knob_qmc_new(&b->q, kind, (size_t)dim, scramble, (uint64_t)seed, &err)) return l_raise(L, &err);
    return 1;
}

static uint64_t check_index(lua_State *L, int idx)
{
    lua_Integer i = luaL_checkinteger(L, idx);
    if (i < 0) luaL_argerror(L, idx, "index must be >= 0");
    return (uint64_t)i;
}

static int qmc_point(lua_State *L)
{
    knob_qmc *q = check_qmc(L, 1);
    uint64_t i = check_index(L, 2);
    size_t D = knob_qmc_dim(q);
    double *x = l_alloc_anchored(L, D * sizeof *x);
    knob_err err = {0};
    if (knob_qmc_point(q, i, x, &err)) return l_raise(L, &err);
    push_row(L, NULL, x, D);
    return 1;
}

static int qmc_points(lua_State *L)
{
    knob_qmc *q = check_qmc(L, 1);
    uint64_t start = check_index(L, 2);
    lua_Integer n = luaL_checkinteger(L, 3);
    if (n < 0 || n > 100000000) return luaL_argerror(L, 3, "n must be in 0..1e8");
    size_t D = knob_qmc_dim(q);
    double *x = l_alloc_anchored(L, D * sizeof *x);
    lua_createtable(L, (int)n, 0);
    knob_err err = {0};
    for (lua_Integer i = 0; i < n; i++) {
        if (knob_qmc_point(q, start + (uint64_t)i, x, &err)) return l_raise(L, &err);
        push_row(L, NULL, x, D);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int qmc_dim(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)knob_qmc_dim(check_qmc(L, 1)));
    return 1;
}

static int qmc_close(lua_State *L)
{
    qmc_box *b = luaL_checkudata(L, 1, QMC_MT);
    knob_qmc_free(&b->q);
    return 0;
}

static int qmc_tostring(lua_State *L)
{
    qmc_box *b = luaL_checkudata(L, 1, QMC_MT);
    if (!b->q) lua_pushliteral(L, "knob.QMC<closed>");
    else
        lua_pushfstring(L, "knob.QMC<%s, %d dims%s>", qmc_kinds[b->kind], (int)knob_qmc_dim(b->q),
                        b->scramble ? ", scrambled" : "");
    return 1;
}

/* ------------------------------------------------------------------------------------- pareto, eigh */

/* Objective vectors at idx: an array of rows of m numbers (m from the first row). Anchored; *n rows. */
static double *check_objectives(lua_State *L, int idx, const char *what, size_t *n, size_t *m)
{
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx)) luaL_error(L, "%s: values must be an array of rows (got %s)", what, luaL_typename(L, idx));
    *m = 0;
    if (luaL_len(L, idx) == 0) {
        *n = 0;
        return l_alloc_anchored(L, sizeof(double));
    }
    if (lua_geti(L, idx, 1) != LUA_TTABLE) luaL_error(L, "%s: values must be an array of rows (row 1 is %s)", what,
                                                      luaL_typename(L, -1));
    lua_Integer d = luaL_len(L, -1);
    lua_pop(L, 1);
    if (d < 1) luaL_error(L, "%s: row 1 has no values", what);
    *m = (size_t)d;
    char w[96];
    snprintf(w, sizeof w, "%s: values", what);
    return check_points(L, idx, w, *m, n);
}

static double *check_ref(lua_State *L, int idx, const char *what, size_t m)
{
    char w[96];
    snprintf(w, sizeof w, "%s: reference point", what);
    size_t k;
    if (!lua_istable(L, idx)) luaL_error(L, "%s must be an array of numbers (got %s)", w, luaL_typename(L, idx));
    double *ref = l_check_number_array(L, idx, w, &k, 0);
    if (m > 0 && k != m) luaL_error(L, "%s has %d values for %d objectives", w, (int)k, (int)m);
    if (k == 0) luaL_error(L, "%s is empty", w);
    return ref;
}

/* pareto_fronts(values) -> array of front numbers (1 = non-dominated); values are losses (minimize) */
static int l_pareto_fronts(lua_State *L)
{
    size_t n, m;
    double *v = check_objectives(L, 1, "search.pareto_fronts", &n, &m);
    int *rank = l_alloc_anchored(L, (n ? n : 1) * sizeof *rank);
    knob_err err = {0};
    if (n && knob_pareto_rank(v, n, m, rank, &err)) return l_raise(L, &err);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, rank[i] + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* crowding_distance(values, fronts) -> array of distances (points with equal front numbers form a front) */
static int l_crowding(lua_State *L)
{
    const char *what = "search.crowding_distance";
    size_t n, m, k;
    double *v = check_objectives(L, 1, what, &n, &m);
    luaL_checktype(L, 2, LUA_TTABLE);
    double *f = l_check_number_array(L, 2, "search.crowding_distance: fronts", &k, 0);
    if (k != n) return luaL_error(L, "%s: %d fronts for %d points", what, (int)k, (int)n);
    int *rank = l_alloc_anchored(L, (n ? n : 1) * sizeof *rank);
    for (size_t i = 0; i < n; i++) {
        if (f[i] != floor(f[i]) || f[i] < 1 || f[i] > 1e9)
            return luaL_error(L, "%s: front %d must be an integer >= 1 (got %f)", what, (int)i + 1, f[i]);
        rank[i] = (int)f[i] - 1;
    }
    double *out = l_alloc_anchored(L, (n ? n : 1) * sizeof *out);
    knob_err err = {0};
    if (n && knob_pareto_crowding(v, n, m, rank, out, &err)) return l_raise(L, &err);
    l_push_numbers(L, out, n);
    return 1;
}

/* hypervolume(values, ref) -> number (losses; exact, any number of objectives) */
static int l_hypervolume(lua_State *L)
{
    size_t n, m;
    double *v = check_objectives(L, 1, "search.hypervolume", &n, &m);
    double *ref = check_ref(L, 2, "search.hypervolume", m);
    double hv = 0;
    knob_err err = {0};
    if (n && knob_pareto_hypervolume(v, n, m, ref, &hv, &err)) return l_raise(L, &err);
    lua_pushnumber(L, hv);
    return 1;
}

/* hv_contributions(values, ref) -> array: hypervolume lost when each point is removed */
static int l_hv_contributions(lua_State *L)
{
    size_t n, m;
    double *v = check_objectives(L, 1, "search.hv_contributions", &n, &m);
    double *ref = check_ref(L, 2, "search.hv_contributions", m);
    double *out = l_alloc_anchored(L, (n ? n : 1) * sizeof *out);
    knob_err err = {0};
    if (n && knob_pareto_hv_contributions(v, n, m, ref, out, &err)) return l_raise(L, &err);
    l_push_numbers(L, out, n);
    return 1;
}

/* eigh(matrix) -> eigenvalues (ascending), eigenvectors (rows of the matrix V: column j is vector j) */
static int l_eigh(lua_State *L)
{
    const char *what = "search.eigh";
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n < 1 || n > 4096) return luaL_error(L, "%s: the matrix must have 1..4096 rows (got %d)", what, (int)n);
    size_t rows;
    double *a = check_points(L, 1, "search.eigh: matrix", (size_t)n, &rows);
    if (rows != (size_t)n) return luaL_error(L, "%s: the matrix must be square", what);
    double *w = l_alloc_anchored(L, (size_t)n * sizeof *w);
    double *vec = l_alloc_anchored(L, (size_t)n * (size_t)n * sizeof *vec);
    knob_err err = {0};
    if (knob_search_eigh(a, (size_t)n, w, vec, &err)) return l_raise(L, &err);
    l_push_numbers(L, w, (size_t)n);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        push_row(L, NULL, vec + (size_t)i * (size_t)n, (size_t)n);
        lua_rawseti(L, -2, i + 1);
    }
    return 2;
}

int l_open_search(lua_State *L)
{
    static const luaL_Reg rng_methods[] = {
        {"uniform", rng_uniform}, {"int", rng_int}, {"normal", rng_normal}, {NULL, NULL}};
    static const luaL_Reg rng_meta[] = {{"__tostring", rng_tostring}, {NULL, NULL}};
    static const luaL_Reg parzen_methods[] = {{"sample", parzen_sample},
                                              {"log_pdf", parzen_log_pdf},
                                              {"n_components", parzen_n_components},
                                              {"params", parzen_params},
                                              {"close", parzen_close},
                                              {NULL, NULL}};
    static const luaL_Reg parzen_meta[] = {
        {"__gc", parzen_close}, {"__close", parzen_close}, {"__tostring", parzen_tostring}, {NULL, NULL}};
    static const luaL_Reg qmc_methods[] = {{"point", qmc_point}, {"points", qmc_points}, {"dim", qmc_dim},
                                           {"close", qmc_close}, {NULL, NULL}};
    static const luaL_Reg qmc_meta[] = {
        {"__gc", qmc_close}, {"__close", qmc_close}, {"__tostring", qmc_tostring}, {NULL, NULL}};
    static const luaL_Reg obs_methods[] = {{"add", obs_add},       {"set", obs_set},     {"rows", obs_rows},
                                           {"truncate", obs_truncate}, {"split", obs_split}, {"sample", obs_sample},
                                           {"count", obs_count},
                                           {"close", obs_close},   {NULL, NULL}};
    static const luaL_Reg obs_meta[] = {
        {"__gc", obs_close}, {"__close", obs_close}, {"__tostring", obs_tostring}, {NULL, NULL}};
    static const luaL_Reg fns[] = {{"rng", l_rng},
                                   {"parzen", l_parzen},
                                   {"tpe_sample", l_tpe_sample},
                                   {"tpe_split", l_tpe_split},
                                   {"tpe_weights", l_tpe_weights},
                                   {"tpe_obs", l_tpe_obs},
                                   {"qmc", l_qmc},
                                   {"pareto_fronts", l_pareto_fronts},
                                   {"crowding_distance", l_crowding},
                                   {"hypervolume", l_hypervolume},
                                   {"hv_contributions", l_hv_contributions},
                                   {"eigh", l_eigh},
                                   {"gp_kernel", l_gp_kernel},
                                   {"gp_log_marginal", l_gp_log_marginal},
                                   {"gp_predict", l_gp_predict},
                                   {"gp_fit", l_gp_fit},
                                   {"gp_log_h", l_gp_log_h},
                                   {"gp_suggest", l_gp_suggest},
                                   {NULL, NULL}};
    l_new_class(L, RNG_MT, rng_methods, rng_meta);
    l_new_class(L, PARZEN_MT, parzen_methods, parzen_meta);
    l_new_class(L, QMC_MT, qmc_methods, qmc_meta);
    l_new_class(L, OBS_MT, obs_methods, obs_meta);
    luaL_newlib(L, fns);
    return 1;
}
