/* l_model.c — knob.core.model: the Model userdata over the generic model interface (model.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/model.h"
#include "l_aux.h"
#include "l_modules.h"


typedef struct {
    knob_model *m;
} model_box;

knob_model *l_check_model(lua_State *L, int idx)
{
    model_box *b = luaL_checkudata(L, idx, MODEL_MT);
    if (!b->m) luaL_error(L, "model is closed");
    return b->m;
}

static void push_model(lua_State *L, knob_model *m)
{
    model_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->m = m;
    luaL_setmetatable(L, MODEL_MT);
}

/* Set the hyperparameters from the table at idx; raises on an unknown name, wrong type or bad range. */
static void set_params(lua_State *L, knob_model *m, int idx)
{
    if (lua_isnoneornil(L, idx)) return;
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    knob_err err = {0};
    const char *kind = m->vt->kind;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "%s: hyperparameter names must be strings (got %s)", kind, luaL_typename(L, -2));
        const char *name = lua_tostring(L, -2);
        int i = knob_params_find(&m->params, name);
        int rc = KNOB_OK;
        int t = lua_type(L, -1);
        int ptype = i >= 0 ? m->params.spec[i].type : 0;
        if (i < 0) {
            rc = knob_params_set_num(&m->params, kind, name, 0, &err); /* fills "unknown ... (valid: ...)" */
        } else if (ptype == KNOB_PT_BOOL) {
            if (t != LUA_TBOOLEAN) luaL_error(L, "%s: hyperparameter '%s' must be a boolean (got %s)", kind, name, luaL_typename(L, -1));
            rc = knob_params_set_num(&m->params, kind, name, lua_toboolean(L, -1), &err);
        } else if (ptype == KNOB_PT_STR) {
            if (t != LUA_TSTRING) luaL_error(L, "%s: hyperparameter '%s' must be a string (got %s)", kind, name, luaL_typename(L, -1));
            rc = knob_params_set_str(&m->params, kind, name, lua_tostring(L, -1), &err);
        } else if (ptype == KNOB_PT_LIST || ptype == KNOB_PT_NUM_LIST) {
            size_t n;
            char what[160];
            snprintf(what, sizeof what, "%s: hyperparameter '%s'", kind, name);
            if (t != LUA_TTABLE)
                luaL_error(L, "%s must be a list of %s (got %s)", what, ptype == KNOB_PT_LIST ? "integers" : "numbers",
                           luaL_typename(L, -1));
            double *v = l_check_number_array(L, -1, what, &n, 0);
            rc = knob_params_set_list(&m->params, kind, name, v, n, &err);
            lua_pop(L, 1); /* the array's anchor */
        } else {
            if (t != LUA_TNUMBER) luaL_error(L, "%s: hyperparameter '%s' must be a number (got %s)", kind, name, luaL_typename(L, -1));
            rc = knob_params_set_num(&m->params, kind, name, lua_tonumber(L, -1), &err);
        }
        if (rc) l_raise(L, &err);
        lua_pop(L, 1);
    }
}

static int l_new(lua_State *L)
{
    lua_settop(L, 2); /* the model is pushed at 3: params stay at 2 */
    const char *kind = luaL_checkstring(L, 1);
    knob_err err = {0};
    knob_model *m = knob_model_new(kind, &err);
    if (!m) return l_raise(L, &err);
    push_model(L, m); /* owned by Lua from here: a raise below cannot leak it */
    set_params(L, m, 2);
    if (knob_model_check(m, &err)) return l_raise(L, &err);
    return 1;
}

static void push_param_value(lua_State *L, const knob_param_spec *s, const knob_param_value *v)
{
    if (!v->is_set) {
        lua_pushnil(L);
    } else if (s->type == KNOB_PT_STR) {
        lua_pushstring(L, v->str);
    } else if (s->type == KNOB_PT_BOOL) {
        lua_pushboolean(L, v->num != 0);
    } else if (s->type == KNOB_PT_INT) {
        lua_pushinteger(L, (lua_Integer)v->num);
    } else if (s->type == KNOB_PT_LIST || s->type == KNOB_PT_NUM_LIST) {
        lua_createtable(L, (int)v->n_list, 0);
        for (size_t k = 0; k < v->n_list; k++) {
            if (s->type == KNOB_PT_LIST) lua_pushinteger(L, (lua_Integer)v->list[k]);
            else lua_pushnumber(L, v->list[k]);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
    } else {
        lua_pushnumber(L, v->num);
    }
}

static int l_params(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    lua_newtable(L);
    for (size_t i = 0; i < m->params.n; i++) {
        push_param_value(L, &m->params.spec[i], &m->params.v[i]);
        lua_setfield(L, -2, m->params.spec[i].name);
    }
    return 1;
}

static int l_clone(lua_State *L)
{
    lua_settop(L, 2); /* the clone is pushed at 3: overrides stay at 2 */
    knob_model *m = l_check_model(L, 1);
    knob_err err = {0};
    knob_model *c = knob_model_clone(m, &err);
    if (!c) return l_raise(L, &err);
    push_model(L, c);
    set_params(L, c, 2);
    if (knob_model_check(c, &err)) return l_raise(L, &err);
    return 1;
}

/* --- fit with a Lua callback: the callback runs under pcall so a Lua error never longjmps through C --- */

typedef struct {
    lua_State *L;
    int fn;        /* stack index of the callback function */
    int failed;    /* the callback raised: its message is kept in the registry slot below */
} cb_ctx;

static void set_num_field(lua_State *L, const char *k, double v)
{
    if (isnan(v)) return;
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static int fit_callback(void *ud, const knob_iter_info *info, knob_err *err)
{
    cb_ctx *c = ud;
    lua_State *L = c->L;
    if (!lua_checkstack(L, 4)) return knob_err_set(err, KNOB_ENOMEM, "Lua stack overflow in the fit callback");
    lua_pushvalue(L, c->fn);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, (lua_Integer)info->iteration);
    lua_setfield(L, -2, "iteration");
    set_num_field(L, "train_loss", info->train_loss);
    set_num_field(L, "valid_loss", info->valid_loss);
    set_num_field(L, "valid_metric", info->valid_metric);
    set_num_field(L, "learning_rate", info->learning_rate);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        c->failed = 1;
        lua_setfield(L, LUA_REGISTRYINDEX, "knob.fit_callback_error");
        return knob_err_set(err, KNOB_EINVAL, "fit callback failed");
    }
    int stop = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return stop ? 1 : 0;
}

static const char *const fit_opts[] = {"sample_weight", "eval_set", "callback", "threads", NULL};

static int l_fit(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    knob_dataset *ds = l_check_dataset(L, 2);
    l_check_options(L, 3, "fit", fit_opts);
    knob_fit_opts o = {0};
    cb_ctx ctx = {L, 0, 0};
    if (!lua_isnoneornil(L, 3)) {
        lua_getfield(L, 3, "sample_weight");
        if (!lua_isnil(L, -1)) {
            size_t n;
            o.sample_weight = l_check_number_array(L, -1, "fit: sample_weight", &n, 0);
            if (n != ds->n_rows)
                return luaL_error(L, "fit: sample_weight has %d entries but the data has %d rows", (int)n, (int)ds->n_rows);
            /* the anchor stays on the stack until we return */
        }
        lua_getfield(L, 3, "eval_set");
        if (!lua_isnil(L, -1)) {
            o.eval_set = l_test_dataset(L, -1);
            if (!o.eval_set) return luaL_error(L, "fit: option 'eval_set' must be a knob.Dataset (got %s)", luaL_typename(L, -1));
        }
        lua_getfield(L, 3, "callback");
        if (!lua_isnil(L, -1)) {
            if (!lua_isfunction(L, -1)) return luaL_error(L, "fit: option 'callback' must be a function (got %s)", luaL_typename(L, -1));
            ctx.fn = lua_gettop(L);
            o.callback = fit_callback;
            o.callback_ud = &ctx;
        }
        lua_Integer threads = l_opt_integer(L, 3, "fit", "threads", 0);
        if (threads < 0) return luaL_error(L, "fit: option 'threads' must be >= 0");
        o.threads = (int)threads;
    }
    knob_err err = {0};
    int rc = knob_model_fit(m, ds, &o, &err);
    if (rc) {
        if (ctx.failed) {
            lua_getfield(L, LUA_REGISTRYINDEX, "knob.fit_callback_error");
            lua_pushnil(L);
            lua_setfield(L, LUA_REGISTRYINDEX, "knob.fit_callback_error");
            return lua_error(L);
        }
        return l_raise(L, &err);
    }
    lua_settop(L, 1);
    return 1;
}

static void push_labels(lua_State *L, const knob_model *m, const double *v, size_t n)
{
    lua_createtable(L, (int)n, 0);
    int clf = m->schema.task == KNOB_TASK_CLASSIFICATION;
    for (size_t i = 0; i < n; i++) {
        if (clf) lua_pushstring(L, m->schema.classes[(size_t)v[i]]);
        else lua_pushnumber(L, v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static int l_predict(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    knob_dataset *ds = l_check_dataset(L, 2);
    double *out = l_alloc_anchored(L, ds->n_rows * sizeof *out);
    knob_err err = {0};
    if (knob_model_predict(m, ds, out, &err)) return l_raise(L, &err);
    push_labels(L, m, out, ds->n_rows);
    return 1;
}

static int l_predict_proba(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    knob_dataset *ds = l_check_dataset(L, 2);
    size_t k = m->fitted ? m->schema.n_classes : 0;
    double *out = l_alloc_anchored(L, ds->n_rows * (k ? k : 1) * sizeof *out);
    knob_err err = {0};
    if (knob_model_predict_proba(m, ds, out, &err)) return l_raise(L, &err);
    lua_createtable(L, (int)ds->n_rows, 0);
    for (size_t i = 0; i < ds->n_rows; i++) {
        lua_createtable(L, (int)k, 0);
        for (size_t c = 0; c < k; c++) {
            lua_pushnumber(L, out[i * k + c]);
            lua_rawseti(L, -2, (lua_Integer)c + 1);
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_createtable(L, (int)k, 0);
    for (size_t c = 0; c < k; c++) {
        lua_pushstring(L, m->schema.classes[c]);
        lua_rawseti(L, -2, (lua_Integer)c + 1);
    }
    return 2;
}

static int l_importances(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    if (!m->fitted) return luaL_error(L, "%s: model is not fitted", m->vt->kind);
    size_t p = m->schema.n_features;
    double *out = l_alloc_anchored(L, p * sizeof *out);
    knob_err err = {0};
    if (knob_model_importances(m, out, &err)) return l_raise(L, &err);
    lua_createtable(L, 0, (int)p);
    for (size_t j = 0; j < p; j++) {
        lua_pushnumber(L, out[j]);
        lua_setfield(L, -2, m->schema.names[j]);
    }
    return 1;
}

/* Push an n x p matrix (array of rows) of m[(i * stride) + j]. */
static void push_matrix(lua_State *L, const double *m, size_t n, size_t p, size_t stride)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, (int)p, 0);
        for (size_t j = 0; j < p; j++) {
            lua_pushnumber(L, m[i * stride + j]);
            lua_rawseti(L, -2, (lua_Integer)j + 1);
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static const char *const shap_opts[] = {"rows", NULL};

/* Model:shap(ds, {rows = {1-based row indices}}) -> {values, expected_value, features, outputs}:
 * one output: values = n x p rows, expected_value a number; K outputs: values[o] and expected_value[o]. */
static int l_shap(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    knob_dataset *ds = l_check_dataset(L, 2);
    l_check_options(L, 3, "shap", shap_opts);
    if (!m->fitted) return luaL_error(L, "%s: model is not fitted", m->vt->kind);
    size_t k = knob_model_shap_outputs(m), p = m->schema.n_features, n = ds->n_rows;
    knob_err err = {0};
    if (k == 0) {
        knob_model_shap(m, ds, NULL, NULL, &err);
        return l_raise(L, &err);
    }
    size_t *idx = NULL;
    if (!lua_isnoneornil(L, 3) && lua_getfield(L, 3, "rows") != LUA_TNIL) {
        if (!lua_istable(L, -1)) return luaL_error(L, "shap: option 'rows' must be a list of row numbers (got %s)", luaL_typename(L, -1));
        size_t nr;
        double *r = l_check_number_array(L, -1, "shap: option 'rows'", &nr, 0);
        if (nr == 0) return luaL_error(L, "shap: option 'rows' is empty");
        idx = l_alloc_anchored(L, nr * sizeof *idx);
        for (size_t i = 0; i < nr; i++) {
            if (!(r[i] >= 1 && r[i] <= (double)ds->n_rows && r[i] == floor(r[i]))) {
                char v[32];
                snprintf(v, sizeof v, "%g", r[i]);
                return luaL_error(L, "shap: option 'rows': entry %d = %s is not a row of the dataset (1..%d)", (int)i + 1,
                                  v, (int)ds->n_rows);
            }
            idx[i] = (size_t)r[i] - 1;
        }
        n = nr;
    }
    double *phi = l_alloc_anchored(L, (n * k * p > 0 ? n * k * p : 1) * sizeof *phi);
    double *expected = l_alloc_anchored(L, k * sizeof *expected);
    knob_dataset *view = idx ? knob_dataset_subset(ds, idx, n, &err) : NULL;
    int rc = idx && !view ? err.code : knob_model_shap(m, view ? view : ds, phi, expected, &err);
    knob_dataset_free(&view);
    if (rc) return l_raise(L, &err);
    lua_createtable(L, 0, 4);
    if (k == 1) {
        push_matrix(L, phi, n, p, p);
        lua_setfield(L, -2, "values");
        lua_pushnumber(L, expected[0]);
    } else {
        lua_createtable(L, (int)k, 0);
        for (size_t o = 0; o < k; o++) {
            push_matrix(L, phi + o * p, n, p, k * p);
            lua_rawseti(L, -2, (lua_Integer)o + 1);
        }
        lua_setfield(L, -2, "values");
        lua_createtable(L, (int)k, 0);
        for (size_t o = 0; o < k; o++) {
            lua_pushnumber(L, expected[o]);
            lua_rawseti(L, -2, (lua_Integer)o + 1);
        }
    }
    lua_setfield(L, -2, "expected_value");
    lua_createtable(L, (int)p, 0);
    for (size_t j = 0; j < p; j++) {
        lua_pushstring(L, m->schema.names[j]);
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    lua_setfield(L, -2, "features");
    lua_pushinteger(L, (lua_Integer)k);
    lua_setfield(L, -2, "n_outputs");
    return 1;
}

static int l_history(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    const knob_history *h = &m->history;
    lua_createtable(L, 0, 2);
    lua_pushstring(L, h->status);
    lua_setfield(L, -2, "status");
    lua_createtable(L, (int)h->n, 0);
    for (size_t i = 0; i < h->n; i++) {
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, (lua_Integer)h->it[i].iteration);
        lua_setfield(L, -2, "iteration");
        set_num_field(L, "train_loss", h->it[i].train_loss);
        set_num_field(L, "valid_loss", h->it[i].valid_loss);
        set_num_field(L, "valid_metric", h->it[i].valid_metric);
        set_num_field(L, "learning_rate", h->it[i].learning_rate);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "iterations");
    return 1;
}

static int l_info(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    lua_createtable(L, 0, 8);
    lua_pushstring(L, m->vt->kind);
    lua_setfield(L, -2, "kind");
    lua_pushboolean(L, m->fitted);
    lua_setfield(L, -2, "fitted");
    if (m->fitted) {
        lua_pushinteger(L, (lua_Integer)(m->vt->n_learned ? m->vt->n_learned(m) : 0));
        lua_setfield(L, -2, "n_params");
        lua_pushinteger(L, (lua_Integer)(sizeof *m + (m->vt->state_bytes ? m->vt->state_bytes(m) : 0)));
        lua_setfield(L, -2, "bytes");
        lua_pushnumber(L, m->fit_seconds);
        lua_setfield(L, -2, "fit_seconds");
        lua_pushstring(L, m->schema.task == KNOB_TASK_CLASSIFICATION ? "classification" : "regression");
        lua_setfield(L, -2, "task");
        lua_pushinteger(L, (lua_Integer)m->schema.n_features);
        lua_setfield(L, -2, "n_features");
        if (m->schema.target_name) {
            lua_pushstring(L, m->schema.target_name);
            lua_setfield(L, -2, "target");
        }
        if (m->schema.task == KNOB_TASK_CLASSIFICATION) {
            lua_createtable(L, (int)m->schema.n_classes, 0);
            for (size_t c = 0; c < m->schema.n_classes; c++) {
                lua_pushstring(L, m->schema.classes[c]);
                lua_rawseti(L, -2, (lua_Integer)c + 1);
            }
            lua_setfield(L, -2, "classes");
        }
        lua_pushstring(L, m->history.status);
        lua_setfield(L, -2, "status");
        if (m->vt->fit_numbers) {
            const char *names[16];
            double values[16];
            size_t n = m->vt->fit_numbers(m, names, values, 16);
            for (size_t i = 0; i < n; i++) {
                lua_pushnumber(L, values[i]);
                lua_setfield(L, -2, names[i]);
            }
        }
    }
    return 1;
}

static int l_to_json(lua_State *L)
{
    knob_model *m = l_check_model(L, 1);
    knob_err err = {0};
    char *text = knob_model_to_json(m, &err);
    if (!text) return l_raise(L, &err);
    lua_pushstring(L, text);
    free(text);
    return 1;
}

static int l_from_json(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    knob_err err = {0};
    knob_model *m = knob_model_from_json(text, len, &err);
    if (!m) return l_fail(L, &err);
    push_model(L, m);
    return 1;
}

static int l_close(lua_State *L)
{
    model_box *b = luaL_checkudata(L, 1, MODEL_MT);
    knob_model_free(&b->m);
    return 0;
}

static int l_tostring(lua_State *L)
{
    model_box *b = luaL_checkudata(L, 1, MODEL_MT);
    if (!b->m) {
        lua_pushstring(L, "knob.Model<closed>");
        return 1;
    }
    char desc[160] = "";
    if (b->m->fitted && b->m->vt->describe) b->m->vt->describe(b->m, desc, sizeof desc);
    lua_pushfstring(L, "knob.Model<%s%s%s, %s>", b->m->vt->kind, desc[0] ? ", " : "", desc,
                    b->m->fitted ? "fitted" : "not fitted");
    return 1;
}

static int l_kind(lua_State *L)
{
    lua_pushstring(L, l_check_model(L, 1)->vt->kind);
    return 1;
}

static int l_is_fitted(lua_State *L)
{
    lua_pushboolean(L, l_check_model(L, 1)->fitted);
    return 1;
}

static void push_spec(lua_State *L, const knob_param_spec *s)
{
    static const char *const tn[] = {"?", "number", "integer", "boolean", "string", "list", "number list"};
    lua_createtable(L, 0, 8);
    lua_pushstring(L, s->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, tn[s->type]);
    lua_setfield(L, -2, "type");
    if (s->type == KNOB_PT_STR) {
        if (s->def_str) lua_pushstring(L, s->def_str);
        else lua_pushnil(L);
    } else if (s->nullable && isnan(s->def)) {
        lua_pushnil(L);
    } else if (s->type == KNOB_PT_BOOL) {
        lua_pushboolean(L, s->def != 0);
    } else {
        lua_pushnumber(L, s->def);
    }
    lua_setfield(L, -2, "default");
    if (!isnan(s->lo)) set_num_field(L, "lo", s->lo);
    if (!isnan(s->hi)) set_num_field(L, "hi", s->hi);
    if (s->choices) {
        lua_newtable(L);
        for (int k = 0; s->choices[k]; k++) {
            lua_pushstring(L, s->choices[k]);
            lua_rawseti(L, -2, k + 1);
        }
        lua_setfield(L, -2, "choices");
    }
    lua_pushboolean(L, s->nullable);
    lua_setfield(L, -2, "nullable");
    lua_pushstring(L, s->doc ? s->doc : "");
    lua_setfield(L, -2, "doc");
}

static int l_kinds(lua_State *L)
{
    size_t n;
    const knob_model_vtable *const *all = knob_model_kinds(&n);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 4);
        lua_pushstring(L, all[i]->kind);
        lua_setfield(L, -2, "kind");
        lua_pushstring(L, all[i]->summary);
        lua_setfield(L, -2, "summary");
        lua_pushboolean(L, (all[i]->tasks >> KNOB_TASK_CLASSIFICATION) & 1);
        lua_setfield(L, -2, "classification");
        lua_pushboolean(L, (all[i]->tasks >> KNOB_TASK_REGRESSION) & 1);
        lua_setfield(L, -2, "regression");
        lua_newtable(L);
        for (size_t k = 0; all[i]->params[k].name; k++) {
            push_spec(L, &all[i]->params[k]);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        lua_setfield(L, -2, "params");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

int l_open_model(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"fit", l_fit},         {"predict", l_predict},   {"predict_proba", l_predict_proba},
        {"params", l_params},   {"clone", l_clone},       {"feature_importances", l_importances},
        {"history", l_history}, {"info", l_info},         {"to_json", l_to_json},
        {"close", l_close},     {"kind", l_kind},         {"is_fitted", l_is_fitted},
        {"shap", l_shap},
        {NULL, NULL}};
    static const luaL_Reg meta[] = {{"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
    l_new_class(L, MODEL_MT, methods, meta);
    static const luaL_Reg fns[] = {{"new", l_new}, {"kinds", l_kinds}, {"from_json", l_from_json}, {NULL, NULL}};
    luaL_newlib(L, fns);
    luaL_getmetatable(L, MODEL_MT);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -3, "methods"); /* so stdlib/knob/model.lua can add Lua-level methods (score, save) */
    lua_pop(L, 1);
    return 1;
}
