/*
 * l_ensemble.c — knob.core.ensemble: the numerics under knob.ensemble (nnls.h).
 *   nnls(A, rows, cols, b [, {max_iter =}])      x (array), rnorm; or nil, msg when it does not converge
 *   simplex_logloss(Q, rows, cols [, {max_iter =, tol =}])   w (array), loss, iterations
 * A and Q are row-major matrices given as flat arrays of rows * cols numbers (knob.ensemble flattens).
 */
#include "l_aux.h"
#include "l_modules.h"

#include "knob/nnls.h"

/* The flat matrix at idx with its dimensions at idx + 1, idx + 2 (checked against its length). */
static const double *check_flat(lua_State *L, int idx, const char *what, size_t *rows, size_t *cols)
{
    lua_Integer r = luaL_checkinteger(L, idx + 1), c = luaL_checkinteger(L, idx + 2);
    if (r < 1 || c < 1) luaL_error(L, "%s: rows and cols must be >= 1 (got %I x %I)", what, (LUAI_UACINT)r, (LUAI_UACINT)c);
    size_t n;
    const double *m = l_check_number_array(L, idx, what, &n, 0);
    if ((lua_Unsigned)n / (lua_Unsigned)c != (lua_Unsigned)r || n % (size_t)c != 0)
        luaL_error(L, "%s: the matrix has %I entries, not %I x %I", what, (LUAI_UACINT)n, (LUAI_UACINT)r,
                   (LUAI_UACINT)c);
    *rows = (size_t)r;
    *cols = (size_t)c;
    return m;
}

static lua_Integer opt_iter(lua_State *L, int idx, const char *what)
{
    lua_Integer it = l_opt_integer(L, idx, what, "max_iter", 0);
    if (it < 0) luaL_error(L, "%s: option 'max_iter' must be >= 0 (got %I)", what, (LUAI_UACINT)it);
    return it;
}

static int l_nnls(lua_State *L)
{
    const char *what = "nnls";
    static const char *const valid[] = {"max_iter", NULL};
    l_check_options(L, 5, what, valid);
    lua_Integer max_iter = opt_iter(L, 5, what);
    size_t rows, cols, nb;
    const double *A = check_flat(L, 1, what, &rows, &cols);
    const double *b = l_check_number_array(L, 4, "nnls: b", &nb, 0);
    if (nb != rows) luaL_error(L, "%s: b has %I entries but A has %I rows", what, (LUAI_UACINT)nb, (LUAI_UACINT)rows);
    double *x = l_alloc_anchored(L, cols * sizeof *x);
    double rnorm = 0;
    knob_err err;
    int st = knob_nnls_solve(A, rows, cols, b, (size_t)max_iter, x, &rnorm, &err);
    if (st == KNOB_EUNDEF) return l_fail(L, &err);
    if (st) return l_raise(L, &err);
    l_push_numbers(L, x, cols);
    lua_pushnumber(L, rnorm);
    return 2;
}

static int l_simplex_logloss(lua_State *L)
{
    const char *what = "simplex_logloss";
    static const char *const valid[] = {"max_iter", "tol", NULL};
    l_check_options(L, 4, what, valid);
    lua_Integer max_iter = opt_iter(L, 4, what);
    double tol = l_opt_number(L, 4, what, "tol", 1e-10);
    if (!(tol > 0)) luaL_error(L, "%s: option 'tol' must be > 0 (got %f)", what, tol);
    size_t rows, cols;
    const double *Q = check_flat(L, 1, what, &rows, &cols);
    double *w = l_alloc_anchored(L, cols * sizeof *w);
    double loss = 0;
    size_t iters = 0;
    knob_err err;
    if (knob_nnls_simplex_logloss(Q, rows, cols, (size_t)max_iter, tol, w, &loss, &iters, &err)) return l_raise(L, &err);
    l_push_numbers(L, w, cols);
    lua_pushnumber(L, loss);
    lua_pushinteger(L, (lua_Integer)iters);
    return 3;
}

int l_open_ensemble(lua_State *L)
{
    static const luaL_Reg fns[] = {{"nnls", l_nnls}, {"simplex_logloss", l_simplex_logloss}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
