/* l_aux.c — option tables, error conversion, Dataset userdata plumbing, numeric arrays. */
#include "l_aux.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void l_check_options(lua_State *L, int idx, const char *what, const char *const valid[])
{
    if (lua_isnoneornil(L, idx)) return;
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        int ok = 0;
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -1);
            for (size_t i = 0; valid[i]; i++)
                if (strcmp(k, valid[i]) == 0) ok = 1;
        }
        if (!ok) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (size_t i = 0; valid[i]; i++) {
                if (i) luaL_addstring(&b, ", ");
                luaL_addstring(&b, valid[i]);
            }
            luaL_pushresult(&b);
            const char *key = luaL_tolstring(L, -2, NULL);
            luaL_error(L, "%s: unknown option '%s' (valid: %s)", what, key, lua_tostring(L, -2));
        }
    }
}

/* Push field name of the options table at idx; returns its type (LUA_TNIL when absent). */
static int opt_field(lua_State *L, int idx, const char *name)
{
    if (lua_isnoneornil(L, idx)) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    return lua_getfield(L, idx, name);
}

static int opt_type_error(lua_State *L, const char *what, const char *name, const char *expected)
{
    return luaL_error(L, "%s: option '%s' must be %s (got %s)", what, name, expected, luaL_typename(L, -1));
}

lua_Number l_opt_number(lua_State *L, int idx, const char *what, const char *name, lua_Number def)
{
    lua_Number v = def;
    int t = opt_field(L, idx, name);
    if (t != LUA_TNIL) {
        if (t != LUA_TNUMBER) opt_type_error(L, what, name, "a number");
        v = lua_tonumber(L, -1);
        if (isnan(v)) luaL_error(L, "%s: option '%s' must be a number, not NaN", what, name);
    }
    lua_pop(L, 1);
    return v;
}

lua_Integer l_opt_integer(lua_State *L, int idx, const char *what, const char *name, lua_Integer def)
{
    lua_Integer v = def;
    int t = opt_field(L, idx, name);
    if (t != LUA_TNIL) {
        int isint = 0;
        v = lua_tointegerx(L, -1, &isint);
        if (t != LUA_TNUMBER || !isint) opt_type_error(L, what, name, "an integer");
    }
    lua_pop(L, 1);
    return v;
}

int l_opt_boolean(lua_State *L, int idx, const char *what, const char *name, int def)
{
    int v = def;
    int t = opt_field(L, idx, name);
    if (t != LUA_TNIL) {
        if (t != LUA_TBOOLEAN) opt_type_error(L, what, name, "a boolean");
        v = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    return v;
}

const char *l_opt_string(lua_State *L, int idx, const char *what, const char *name, const char *def)
{
    const char *v = def;
    int t = opt_field(L, idx, name);
    if (t != LUA_TNIL) {
        if (t != LUA_TSTRING) opt_type_error(L, what, name, "a string");
        v = lua_tostring(L, -1); /* anchored in the options table */
    }
    lua_pop(L, 1);
    return v;
}

int l_opt_choice(lua_State *L, int idx, const char *what, const char *name, const char *const choices[],
                 int def)
{
    const char *s = l_opt_string(L, idx, what, name, NULL);
    if (!s) return def;
    for (int i = 0; choices[i]; i++)
        if (strcmp(s, choices[i]) == 0) return i;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; choices[i]; i++) {
        if (i) luaL_addstring(&b, ", ");
        luaL_addstring(&b, choices[i]);
    }
    luaL_pushresult(&b);
    return luaL_error(L, "%s: option '%s' must be one of %s (got '%s')", what, name, lua_tostring(L, -1), s);
}

lua_Integer l_opt_seed(lua_State *L, int idx, const char *what, lua_Integer def)
{
    lua_Integer s = l_opt_integer(L, idx, what, "seed", def);
    if (s < 0) luaL_error(L, "%s: option 'seed' must be >= 0 (got %I)", what, (LUAI_UACINT)s);
    return s;
}

int l_raise(lua_State *L, const knob_err *err)
{
    return luaL_error(L, "%s", err->msg[0] ? err->msg : "unknown error");
}

int l_fail(lua_State *L, const knob_err *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err->msg[0] ? err->msg : "unknown error");
    return 2;
}

typedef struct {
    knob_dataset *ds;
} l_dataset_box;

void l_push_dataset(lua_State *L, knob_dataset *ds)
{
    if (!lua_checkstack(L, 2)) {
        knob_dataset_free(&ds);
        luaL_error(L, "stack overflow");
    }
    l_dataset_box *box = lua_newuserdatauv(L, sizeof *box, 1);
    box->ds = ds;
    luaL_setmetatable(L, KNOB_DATASET_MT);
}

knob_dataset *l_test_dataset(lua_State *L, int idx)
{
    l_dataset_box *box = luaL_testudata(L, idx, KNOB_DATASET_MT);
    return box ? box->ds : NULL;
}

knob_dataset *l_check_dataset(lua_State *L, int idx)
{
    l_dataset_box *box = luaL_checkudata(L, idx, KNOB_DATASET_MT);
    if (!box->ds) luaL_error(L, "dataset is closed");
    return box->ds;
}

/* Userdata holding a malloc'd buffer, freed by __gc: anchors temporaries across raising calls. */
static int buffer_gc(lua_State *L)
{
    void **p = lua_touserdata(L, 1);
    free(*p);
    *p = NULL;
    return 0;
}

static void **push_buffer_anchor(lua_State *L)
{
    void **p = lua_newuserdatauv(L, sizeof(void *), 0);
    *p = NULL;
    if (luaL_newmetatable(L, "knob.buffer")) {
        lua_pushcfunction(L, buffer_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return p;
}

void *l_alloc_anchored(lua_State *L, size_t n)
{
    void **anchor = push_buffer_anchor(L);
    void *a = malloc(n ? n : 1);
    if (!a) luaL_error(L, "out of memory (%I bytes)", (LUAI_UACINT)n);
    *anchor = a;
    return a;
}

double *l_check_number_array(lua_State *L, int idx, const char *what, size_t *n, int allow_nan)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_Integer len = luaL_len(L, idx);
    if (len < 0) len = 0;
    double *a = l_alloc_anchored(L, (size_t)len * sizeof *a);
    for (lua_Integer i = 1; i <= len; i++) {
        int isnum = 0;
        lua_geti(L, idx, i);
        double v = lua_tonumberx(L, -1, &isnum);
        if (!isnum || lua_type(L, -1) != LUA_TNUMBER)
            luaL_error(L, "%s: entry %I must be a number (got %s)", what, (LUAI_UACINT)i, luaL_typename(L, -1));
        if (!allow_nan && isnan(v)) luaL_error(L, "%s: entry %I is NaN", what, (LUAI_UACINT)i);
        a[i - 1] = v;
        lua_pop(L, 1);
    }
    *n = (size_t)len;
    return a;
}

const char **l_opt_string_list(lua_State *L, int idx, const char *what, const char *name)
{
    if (lua_isnoneornil(L, idx)) return NULL;
    idx = lua_absindex(L, idx);
    if (lua_getfield(L, idx, name) == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: option '%s' must be a list of strings (got %s)", what, name, luaL_typename(L, -1));
    int list = lua_gettop(L);
    lua_Integer n = luaL_len(L, list);
    if (n < 0) n = 0;
    const char **a = l_alloc_anchored(L, ((size_t)n + 1) * sizeof *a);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, list, i) != LUA_TSTRING)
            luaL_error(L, "%s: option '%s': entry %I must be a string (got %s)", what, name, (LUAI_UACINT)i,
                       luaL_typename(L, -1));
        a[i - 1] = lua_tostring(L, -1); /* stays referenced by the list, which the options table holds */
        lua_pop(L, 1);
    }
    a[n] = NULL;
    lua_remove(L, list); /* the anchor stays */
    return a;
}

void l_new_class(lua_State *L, const char *tname, const luaL_Reg *methods, const luaL_Reg *meta)
{
    luaL_newmetatable(L, tname);
    if (meta) luaL_setfuncs(L, meta, 0);
    if (methods) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_pushstring(L, tname);
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
}

void l_push_numbers(lua_State *L, const double *a, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, a[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}
