/* l_mlp.c — knob.core.mlp: extras of the mlp model kind (knob/mlp.h): the learning-rate range test and the
 * gradient-check test hook. The model itself goes through knob.core.model like every kind. */
#include <stdlib.h>

#include "knob/mlp.h"
#include "l_aux.h"
#include "l_modules.h"

static void push_array(lua_State *L, const double *v, size_t n, const char *field)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, field);
}

/* lr_range_test(model, ds, {lr_min, lr_max, steps, smoothing, stop_factor}) -> {lrs, losses, smoothed} */
static int l_lr_range_test(lua_State *L)
{
    static const char what[] = "lr_range_test";
    static const char *const valid[] = {"lr_min", "lr_max", "steps", "smoothing", "stop_factor", NULL};
    knob_model *m = l_check_model(L, 1);
    knob_dataset *ds = l_check_dataset(L, 2);
    l_check_options(L, 3, what, valid);
    knob_mlp_lr_range_opts o;
    knob_mlp_lr_range_init(&o);
    o.lr_min = l_opt_number(L, 3, what, "lr_min", o.lr_min);
    o.lr_max = l_opt_number(L, 3, what, "lr_max", o.lr_max);
    lua_Integer steps = l_opt_integer(L, 3, what, "steps", (lua_Integer)o.steps);
    if (steps < 2) return luaL_error(L, "%s: option 'steps' must be >= 2 (got %d)", what, (int)steps);
    o.steps = (size_t)steps;
    o.smoothing = l_opt_number(L, 3, what, "smoothing", o.smoothing);
    o.stop_factor = l_opt_number(L, 3, what, "stop_factor", o.stop_factor);
    knob_mlp_lr_range r;
    knob_err err = {0};
    if (knob_mlp_lr_range_test(m, ds, &o, &r, &err)) return l_raise(L, &err);
    lua_createtable(L, 0, 3);
    push_array(L, r.lrs, r.n, "lrs");
    push_array(L, r.losses, r.n, "losses");
    push_array(L, r.smoothed, r.n, "smoothed");
    knob_mlp_lr_range_free(&r);
    return 1;
}

/* _grad_check{rows, features, hidden, activation, classes, dropout, weight_decay, weighted, seed}
 * -> max relative error, max absolute error (test hook) */
static int l_grad_check(lua_State *L)
{
    static const char what[] = "_grad_check";
    static const char *const valid[] = {"rows",    "features",     "hidden",   "activation", "classes",
                                        "dropout", "weight_decay", "weighted", "seed",       NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    l_check_options(L, 1, what, valid);
    knob_mlp_grad_check_opts o = {0};
    lua_Integer rows = l_opt_integer(L, 1, what, "rows", 5), feats = l_opt_integer(L, 1, what, "features", 3);
    lua_Integer classes = l_opt_integer(L, 1, what, "classes", 0);
    if (rows < 1 || feats < 1 || classes < 0) return luaL_error(L, "%s: rows and features must be >= 1", what);
    o.n_rows = (size_t)rows;
    o.n_features = (size_t)feats;
    o.n_classes = (size_t)classes;
    o.activation = l_opt_string(L, 1, what, "activation", "relu");
    o.dropout = l_opt_number(L, 1, what, "dropout", 0);
    o.weight_decay = l_opt_number(L, 1, what, "weight_decay", 0);
    o.weighted = l_opt_boolean(L, 1, what, "weighted", 0);
    o.seed = (uint64_t)l_opt_seed(L, 1, what, 0);
    size_t n = 0, *hidden = NULL;
    lua_getfield(L, 1, "hidden");
    if (!lua_isnil(L, -1)) {
        double *h = l_check_number_array(L, -1, "_grad_check: hidden", &n, 0);
        hidden = l_alloc_anchored(L, (n ? n : 1) * sizeof *hidden);
        for (size_t l = 0; l < n; l++) {
            if (!(h[l] >= 1 && h[l] <= 4096)) return luaL_error(L, "%s: hidden sizes must be in [1, 4096]", what);
            hidden[l] = (size_t)h[l];
        }
    }
    o.hidden = hidden;
    o.n_hidden = n;
    double rel, abs_err;
    knob_err err = {0};
    if (knob_mlp_grad_check(&o, &rel, &abs_err, &err)) return l_raise(L, &err);
    lua_pushnumber(L, rel);
    lua_pushnumber(L, abs_err);
    return 2;
}

int l_open_mlp(lua_State *L)
{
    static const luaL_Reg fns[] = {{"lr_range_test", l_lr_range_test}, {"_grad_check", l_grad_check}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
