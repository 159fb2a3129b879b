/*
 * l_importance.c — knob.core.importance: the numerics under knob.importance (importance.h).
 *
 *   permute(ds, column, seed)            a copy of ds (own frame) with feature column (1-based) shuffled
 *   correlation(ds, columns, spearman)   the matrix (array of rows) of the 1-based feature columns
 *   fanova(model, lo, hi)                -> importance, std: per feature, fANOVA variance fractions over trees
 *   marginal(model, column, lo, hi, grid) -> mean, std: the single-feature marginal at the grid values
 */
#include <math.h>
#include <stdlib.h>

#include "knob/importance.h"
#include "l_aux.h"
#include "l_modules.h"

static size_t check_column(lua_State *L, int idx, size_t p)
{
    lua_Integer j = luaL_checkinteger(L, idx);
    if (j < 1 || (size_t)j > p)
        luaL_argerror(L, idx, lua_pushfstring(L, "column %I is out of range (1..%I)", (LUAI_UACINT)j, (LUAI_UACINT)p));
    return (size_t)j - 1;
}

static int l_permute(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    size_t j = check_column(L, 2, ds->frame->n_features);
    lua_Integer seed = luaL_checkinteger(L, 3);
    if (seed < 0) return luaL_argerror(L, 3, "seed must be >= 0");
    knob_rng rng;
    knob_rng_seed(&rng, (uint64_t)seed);
    knob_err err = {0};
    knob_dataset *c = knob_dataset_permute_column(ds, j, &rng, &err);
    if (!c) return l_raise(L, &err);
    l_push_dataset(L, c);
    return 1;
}

static int l_correlation(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    size_t m, p = ds->frame->n_features;
    double *c = l_check_number_array(L, 2, "correlation: columns", &m, 0);
    int spearman = lua_toboolean(L, 3);
    size_t *cols = l_alloc_anchored(L, (m ? m : 1) * sizeof *cols);
    for (size_t a = 0; a < m; a++) {
        if (!(c[a] >= 1 && c[a] <= (double)p && c[a] == floor(c[a])))
            return luaL_error(L, "correlation: column %f is out of range (1..%d)", c[a], (int)p);
        cols[a] = (size_t)c[a] - 1;
    }
    double *out = l_alloc_anchored(L, (m ? m * m : 1) * sizeof *out);
    knob_err err = {0};
    if (knob_dataset_correlation(ds, cols, m, spearman, out, &err)) return l_raise(L, &err);
    lua_createtable(L, (int)m, 0);
    for (size_t a = 0; a < m; a++) {
        l_push_numbers(L, out + a * m, m);
        lua_rawseti(L, -2, (lua_Integer)a + 1);
    }
    return 1;
}

/* The bounds lo, hi at idx, idx + 1: arrays of the model's n_features numbers. */
static void check_bounds(lua_State *L, int idx, size_t p, double **lo, double **hi)
{
    size_t nl, nh;
    *lo = l_check_number_array(L, idx, "fanova: lo", &nl, 0);
    *hi = l_check_number_array(L, idx + 1, "fanova: hi", &nh, 0);
    if (nl != p || nh != p)
        luaL_error(L, "fanova: lo and hi need one bound per feature (%d; got %d and %d)", (int)p, (int)nl, (int)nh);
}

static int l_fanova(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    size_t p = m->schema.n_features;
    double *lo, *hi;
    if (!m->fitted) return luaL_error(L, "fanova: the %s model is not fitted", m->vt->kind);
    check_bounds(L, 2, p, &lo, &hi);
    double *imp = l_alloc_anchored(L, 2 * p * sizeof *imp);
    knob_err err = {0};
    if (knob_fanova_importance(m, lo, hi, imp, imp + p, &err)) return l_raise(L, &err);
    l_push_numbers(L, imp, p);
    l_push_numbers(L, imp + p, p);
    return 2;
}

static int l_marginal(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    if (!m->fitted) return luaL_error(L, "fanova: the %s model is not fitted", m->vt->kind);
    size_t p = m->schema.n_features, n;
    size_t j = check_column(L, 2, p);
    double *lo, *hi;
    check_bounds(L, 3, p, &lo, &hi);
    double *grid = l_check_number_array(L, 5, "fanova: grid", &n, 0);
    double *out = l_alloc_anchored(L, (n ? 2 * n : 1) * sizeof *out);
    knob_err err = {0};
    if (knob_fanova_marginal(m, lo, hi, j, grid, n, out, out + n, &err)) return l_raise(L, &err);
    l_push_numbers(L, out, n);
    l_push_numbers(L, out + n, n);
    return 2;
}

int l_open_importance(lua_State *L)
{
    static const luaL_Reg fns[] = {{"permute", l_permute}, {"correlation", l_correlation}, {"fanova", l_fanova},
                                   {"marginal", l_marginal}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
