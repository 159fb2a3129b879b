/*
 * l_csv.c — knob.core.csv: the CSV reader and writer for specs and scripts (the user-facing
 * knob.data.read_csv lives in l_data.c).
 *   read(path [, opts])         -> Dataset | nil, msg
 *   parse(text [, opts])        -> Dataset | nil, msg   (opts.name names the text in messages)
 *   write(ds, path [, opts])    -> true | nil, msg      (opts.delimiter)
 *   parse_number(text)          -> number | nil         (the reader's number syntax)
 *   format_number(x)            -> string               (the writer's shortest round-trip form)
 * Options of read/parse: delimiter (",", ";", "\t", "|" or "auto"), target (name or 1-based index,
 * negative from the end), task ("auto", "classification", "regression"), max_classes, na_values,
 * categorical, numeric (arrays of strings), name (parse only).
 */
#include "l_modules.h"

#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l_aux.h"
#include "knob/csv.h"

static const char *const task_names[] = {"auto", "classification", "regression", NULL};

static char opt_delimiter(lua_State *L, int idx, const char *what)
{
    const char *d = l_opt_string(L, idx, what, "delimiter", "auto");
    if (strcmp(d, "auto") == 0) return 0;
    if (strlen(d) != 1 || !strchr(",;\t|", d[0]))
        luaL_error(L, "%s: option 'delimiter' must be ',', ';', '\\t', '|' or 'auto' (got '%s')", what, d);
    return d[0];
}

static void check_read_opts(lua_State *L, int idx, const char *what, knob_csv_opts *o, int is_parse)
{
    static const char *const read_valid[] = {"delimiter", "target", "task", "max_classes", "na_values",
                                             "categorical", "numeric", NULL};
    static const char *const parse_valid[] = {"delimiter", "target", "task", "max_classes", "na_values",
                                              "categorical", "numeric", "name", NULL};
    l_check_options(L, idx, what, is_parse ? parse_valid : read_valid);
    knob_csv_opts_init(o);
    o->delimiter = opt_delimiter(L, idx, what);
    if (!lua_isnoneornil(L, idx)) {
        int t = lua_getfield(L, idx, "target");
        if (t == LUA_TSTRING) o->target_name = lua_tostring(L, -1); /* anchored in opts */
        else if (t == LUA_TNUMBER && lua_isinteger(L, -1) && lua_tointeger(L, -1) != 0)
            o->target_index = (long)lua_tointeger(L, -1);
        else if (t != LUA_TNIL)
            luaL_error(L, "%s: option 'target' must be a column name or a non-zero integer index (got %s)", what,
                       t == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    int task = l_opt_choice(L, idx, what, "task", task_names, 0);
    o->task = task == 1 ? KNOB_TASK_CLASSIFICATION : task == 2 ? KNOB_TASK_REGRESSION : KNOB_TASK_NONE;
    lua_Integer mc = l_opt_integer(L, idx, what, "max_classes", KNOB_CSV_MAX_CLASSES);
    if (mc < 1) luaL_error(L, "%s: option 'max_classes' must be >= 1 (got %d)", what, (int)mc);
    o->max_classes = (size_t)mc;
    o->na_values = l_opt_string_list(L, idx, what, "na_values");
    o->categorical = l_opt_string_list(L, idx, what, "categorical");
    o->numeric = l_opt_string_list(L, idx, what, "numeric");
}

/* Push the dataset, or nil + message (expected failures) / raise (misuse: KNOB_EINVAL). */
static int push_result(lua_State *L, knob_dataset *ds, const knob_err *err)
{
    if (ds) {
        l_push_dataset(L, ds);
        return 1;
    }
    if (err->code == KNOB_EINVAL) return l_raise(L, err);
    return l_fail(L, err);
}

static int l_read(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    knob_csv_opts o;
    check_read_opts(L, 2, "csv.read", &o, 0);
    knob_err err;
    knob_err_clear(&err);
    knob_dataset *ds = knob_csv_read(path, &o, &err);
    return push_result(L, ds, &err);
}

static int l_parse(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    knob_csv_opts o;
    check_read_opts(L, 2, "csv.parse", &o, 1);
    const char *name = l_opt_string(L, 2, "csv.parse", "name", "<string>");
    knob_err err;
    knob_err_clear(&err);
    knob_dataset *ds = knob_csv_parse(text, len, name, &o, &err);
    return push_result(L, ds, &err);
}

static int l_write(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    const char *path = luaL_checkstring(L, 2);
    static const char *const valid[] = {"delimiter", NULL};
    l_check_options(L, 3, "csv.write", valid);
    char d = opt_delimiter(L, 3, "csv.write");
    knob_err err;
    knob_err_clear(&err);
    if (knob_csv_write(ds, path, d, &err) == KNOB_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    if (err.code == KNOB_EINVAL) return l_raise(L, &err);
    return l_fail(L, &err);
}

static int l_parse_number(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    double v;
    int r = knob_csv_parse_double(s, len, &v);
    if (r < 0) return luaL_error(L, "out of memory");
    if (r == 0) lua_pushnil(L);
    else lua_pushnumber(L, v);
    return 1;
}

static int l_format_number(lua_State *L)
{
    double v = luaL_checknumber(L, 1);
    if (!isfinite(v)) return luaL_argerror(L, 1, "finite number expected");
    char buf[32];
    size_t n = knob_csv_format_double(v, buf);
    lua_pushlstring(L, buf, n);
    return 1;
}

int l_open_csv(lua_State *L)
{
    static const luaL_Reg fns[] = {{"read", l_read},
                                   {"parse", l_parse},
                                   {"write", l_write},
                                   {"parse_number", l_parse_number},
                                   {"format_number", l_format_number},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
