/*
 * l_data.c — knob.core.data: read_csv, from_table, concat and the knob.Dataset methods.
 *
 * Values seen from Lua: numeric cells are numbers, categorical cells are their level names, and a missing
 * cell is NaN in every kind of column (test with `v ~= v`), so arrays have no holes. Rows and columns are
 * 1-based; a column is named by its name or its index (negative counts from the end).
 */
#include "l_aux.h"
#include "l_modules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/csv.h"
#include "knob/dataset.h"

static const char *const TASKS[] = {"classification", "regression", NULL};
static const int TASK_CODES[] = {KNOB_TASK_CLASSIFICATION, KNOB_TASK_REGRESSION};

static const char *task_name(int task)
{
    return task == KNOB_TASK_CLASSIFICATION ? "classification"
           : task == KNOB_TASK_REGRESSION   ? "regression"
                                            : "none";
}

static const char *kind_name(int kind)
{
    return kind == KNOB_COL_CATEGORICAL ? "categorical" : "numeric";
}

/* ---------------------------------------------------------------- small helpers */

/* The feature or target column j ((size_t)-1 = target) and its values in frame order. */
static const knob_column *column_meta(const knob_dataset *ds, size_t j, const double **values)
{
    const knob_frame *f = ds->frame;
    if (j == (size_t)-1) {
        if (values) *values = f->y;
        return &f->target;
    }
    if (values) *values = f->X + j * f->n_rows;
    return &f->cols[j];
}

/* Push one cell: NaN for missing, the level name for a categorical value, else the number. */
static void push_cell(lua_State *L, const knob_column *c, double v)
{
    if (isnan(v))
        lua_pushnumber(L, (lua_Number)NAN); /* one NaN, whatever sign the stored one had */
    else if (c->kind == KNOB_COL_CATEGORICAL && v >= 0 && v < (double)c->n_levels)
        lua_pushstring(L, c->levels[(size_t)v]);
    else
        lua_pushnumber(L, v);
}

/* A 1-based index at stack slot idx within 1..n (negative counts from the end when allow_negative);
 * returns it 0-based. */
static size_t check_index(lua_State *L, int idx, size_t n, int allow_negative, const char *what,
                          const char *noun, const char *unit)
{
    int isint = 0;
    lua_Integer k = lua_tointegerx(L, idx, &isint);
    if (lua_type(L, idx) != LUA_TNUMBER || !isint)
        luaL_error(L, "%s: %s index must be an integer (got %s)", what, noun,
                   lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx) : luaL_typename(L, idx));
    lua_Integer orig = k;
    if (allow_negative && k < 0) k += (lua_Integer)n + 1;
    if (k < 1 || k > (lua_Integer)n)
        luaL_error(L, "%s: %s %I out of range (dataset has %I %s)", what, noun, (LUAI_UACINT)orig,
                   (LUAI_UACINT)n, unit);
    return (size_t)(k - 1);
}

/* The column named or indexed by the value at idx: a feature index, or (size_t)-1 for the target (only
 * when allow_target). */
static size_t check_column(lua_State *L, const knob_dataset *ds, int idx, const char *what, int allow_target)
{
    int t = lua_type(L, idx);
    if (t == LUA_TNUMBER)
        return check_index(L, idx, ds->frame->n_features, 1, what, "column", "features");
    if (t != LUA_TSTRING)
        luaL_error(L, "%s: a column name or index expected (got %s)", what, luaL_typename(L, idx));
    const char *name = lua_tostring(L, idx);
    knob_err err;
    size_t j;
    if (knob_dataset_find_column(ds, name, &j, &err) != KNOB_OK) luaL_error(L, "%s: %s", what, err.msg);
    if (j == (size_t)-1 && !allow_target)
        luaL_error(L, "%s: '%s' is the target, not a feature column", what, name);
    return j;
}

/* A one-character delimiter option (default def). */
static char opt_delimiter(lua_State *L, int idx, const char *what, char def)
{
    const char *d = l_opt_string(L, idx, what, "delimiter", NULL);
    if (!d) return def;
    if (strlen(d) != 1 || d[0] == '"' || d[0] == '\n' || d[0] == '\r')
        luaL_error(L, "%s: option 'delimiter' must be one character other than a quote or line break (got '%s')",
                   what, d);
    return d[0];
}

static lua_Integer opt_max_classes(lua_State *L, int idx, const char *what)
{
    lua_Integer m = l_opt_integer(L, idx, what, "max_classes", 20);
    if (m < 1) luaL_error(L, "%s: option 'max_classes' must be >= 1 (got %I)", what, (LUAI_UACINT)m);
    return m;
}

/* ---------------------------------------------------------------- read_csv / write_csv */

static int l_read_csv(lua_State *L)
{
    static const char *const valid[] = {"target", "delimiter", "task", "max_classes", "na_values",
                                        "categorical", "numeric", NULL};
    const char *W = "read_csv";
    const char *path = luaL_checkstring(L, 1);
    l_check_options(L, 2, W, valid);
    knob_csv_opts o;
    knob_csv_opts_init(&o);
    if (!lua_isnoneornil(L, 2)) {
        int t = lua_getfield(L, 2, "target");
        if (t == LUA_TSTRING) o.target_name = lua_tostring(L, -1);
        else if (t == LUA_TNUMBER) {
            int isint = 0;
            o.target_index = (long)lua_tointegerx(L, -1, &isint);
            if (!isint || o.target_index == 0)
                luaL_error(L, "%s: option 'target' must be a column name or a non-zero integer index (got %s)",
                           W, lua_tostring(L, -1));
        } else if (t != LUA_TNIL)
            luaL_error(L, "%s: option 'target' must be a column name or index (got %s)", W, luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    o.delimiter = opt_delimiter(L, 2, W, 0);
    int task = l_opt_choice(L, 2, W, "task", TASKS, -1);
    o.task = task < 0 ? KNOB_TASK_NONE : TASK_CODES[task];
    o.max_classes = (size_t)opt_max_classes(L, 2, W);
    o.na_values = l_opt_string_list(L, 2, W, "na_values");
    o.categorical = l_opt_string_list(L, 2, W, "categorical");
    o.numeric = l_opt_string_list(L, 2, W, "numeric");
    for (size_t a = 0; o.categorical && o.categorical[a]; a++)
        for (size_t b = 0; o.numeric && o.numeric[b]; b++)
            if (strcmp(o.categorical[a], o.numeric[b]) == 0)
                luaL_error(L, "%s: column '%s' is listed as both categorical and numeric", W, o.numeric[b]);
    knob_err err;
    knob_dataset *ds = knob_csv_read(path, &o, &err);
    if (!ds && err.code == KNOB_EINVAL) return l_raise(L, &err); /* options wrong whatever the file holds */
    if (!ds) return l_fail(L, &err);                            /* cannot read it, or its content is bad */
    l_push_dataset(L, ds);
    return 1;
}

static int m_write_csv(lua_State *L)
{
    static const char *const valid[] = {"delimiter", NULL};
    knob_dataset *ds = l_check_dataset(L, 1);
    const char *path = luaL_checkstring(L, 2);
    l_check_options(L, 3, "write_csv", valid);
    char delim = opt_delimiter(L, 3, "write_csv", ',');
    knob_err err;
    if (knob_csv_write(ds, path, delim, &err) != KNOB_OK) return l_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* ---------------------------------------------------------------- from_table */

/* Where from_table reads cells: rows form X[i][c], or columns form cols[c][i]. */
typedef struct {
    int rows_form;
    int src;      /* stack slot of X, or of the array of column tables */
    int names;    /* stack slot of the array of P column names */
    size_t n, P;  /* rows, source columns */
} table_src;

static int src_cell(lua_State *L, const table_src *s, size_t i, size_t c)
{
    lua_geti(L, s->src, (lua_Integer)(s->rows_form ? i : c) + 1);
    int t = lua_geti(L, -1, (lua_Integer)(s->rows_form ? c : i) + 1);
    lua_remove(L, -2);
    return t;
}

/* Push a description of cell (i, c) for messages: X[i][c] or columns['name'][i]. */
static const char *src_where(lua_State *L, const table_src *s, size_t i, size_t c)
{
    if (s->rows_form) return lua_pushfstring(L, "X[%I][%I]", (LUAI_UACINT)(i + 1), (LUAI_UACINT)(c + 1));
    lua_geti(L, s->names, (lua_Integer)c + 1);
    const char *w = lua_pushfstring(L, "columns['%s'][%I]", lua_tostring(L, -1), (LUAI_UACINT)(i + 1));
    lua_remove(L, -2);
    return w;
}

static const char *src_name(lua_State *L, const table_src *s, size_t c)
{
    lua_geti(L, s->names, (lua_Integer)c + 1);
    const char *name = lua_tostring(L, -1);
    lua_pop(L, 1); /* still referenced by the names table */
    return name;
}

/* Rows form: X at slot 2 must be a non-empty array of equally long non-empty arrays. */
static void check_rows(lua_State *L, table_src *s)
{
    if (!lua_istable(L, s->src)) luaL_error(L, "from_table: X must be a table of rows (got %s)", luaL_typename(L, s->src));
    lua_Integer n = luaL_len(L, s->src);
    if (n < 1) luaL_error(L, "from_table: X is empty (no rows)");
    lua_Integer P = 0;
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, s->src, i) != LUA_TTABLE)
            luaL_error(L, "from_table: X[%I] must be a table (a row of values; got %s)", (LUAI_UACINT)i,
                       luaL_typename(L, -1));
        lua_Integer len = luaL_len(L, -1);
        lua_pop(L, 1);
        if (i == 1) {
            if (len < 1) luaL_error(L, "from_table: X[1] is empty (no columns)");
            P = len;
        } else if (len != P)
            luaL_error(L, "from_table: ragged rows: X[%I] has %I values but X[1] has %I", (LUAI_UACINT)i,
                       (LUAI_UACINT)len, (LUAI_UACINT)P);
    }
    s->n = (size_t)n;
    s->P = (size_t)P;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Columns form: columns (slot 3) is a map name → array; order (or the sorted names) gives the column
 * order. Replaces slot 2 with the array of column tables and pushes the names array (slot s->names). */
static void check_columns(lua_State *L, table_src *s)
{
    if (!lua_istable(L, 3)) luaL_error(L, "from_table: columns must be a table name → values (got %s)", luaL_typename(L, 3));
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, 3)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "from_table: columns must be keyed by column name (got a %s key)", luaL_typename(L, -2));
        lua_pop(L, 1);
        count++;
    }
    if (count == 0) luaL_error(L, "from_table: columns is empty");
    if (lua_getfield(L, 1, "order") == LUA_TNIL) {
        lua_pop(L, 1);
        const char **keys = l_alloc_anchored(L, count * sizeof *keys);
        size_t k = 0;
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            lua_pop(L, 1);
            keys[k++] = lua_tostring(L, -1); /* anchored by the columns table */
        }
        qsort(keys, count, sizeof *keys, cmp_cstr);
        lua_createtable(L, (int)count, 0);
        for (k = 0; k < count; k++) {
            lua_pushstring(L, keys[k]);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        lua_remove(L, -2); /* the keys anchor */
    } else {
        if (!lua_istable(L, -1)) luaL_error(L, "from_table: order must be a list of column names (got %s)", luaL_typename(L, -1));
        if ((size_t)luaL_len(L, -1) != count)
            luaL_error(L, "from_table: order lists %I names but columns has %I", (LUAI_UACINT)luaL_len(L, -1),
                       (LUAI_UACINT)count);
    }
    s->names = lua_gettop(L);
    s->P = count;
    lua_createtable(L, (int)count, 0);
    for (size_t c = 0; c < count; c++) {
        if (lua_geti(L, s->names, (lua_Integer)c + 1) != LUA_TSTRING)
            luaL_error(L, "from_table: order[%I] must be a column name (got %s)", (LUAI_UACINT)(c + 1), luaL_typename(L, -1));
        if (lua_gettable(L, 3) != LUA_TTABLE) {
            lua_geti(L, s->names, (lua_Integer)c + 1);
            luaL_error(L, "from_table: column '%s' %s", lua_tostring(L, -1),
                       lua_isnil(L, -2) ? "is in order but not in columns" : "must be an array of values");
        }
        lua_Integer len = luaL_len(L, -1);
        if (c == 0) s->n = (size_t)len;
        else if ((size_t)len != s->n)
            luaL_error(L, "from_table: column '%s' has %I values but '%s' has %I", src_name(L, s, c),
                       (LUAI_UACINT)len, src_name(L, s, 0), (LUAI_UACINT)s->n);
        lua_rawseti(L, -2, (lua_Integer)c + 1);
    }
    if (s->n == 0) luaL_error(L, "from_table: the columns are empty (no rows)");
    lua_replace(L, 2);
    s->src = 2;
}

/* Names for the rows form: option names (P distinct strings) or x1..xP; pushes the array. */
static void push_names(lua_State *L, table_src *s)
{
    if (lua_getfield(L, 1, "names") == LUA_TNIL) {
        lua_pop(L, 1);
        lua_createtable(L, (int)s->P, 0);
        for (size_t c = 0; c < s->P; c++) {
            lua_pushfstring(L, "x%I", (LUAI_UACINT)(c + 1));
            lua_rawseti(L, -2, (lua_Integer)c + 1);
        }
    } else {
        if (!lua_istable(L, -1)) luaL_error(L, "from_table: names must be a list of strings (got %s)", luaL_typename(L, -1));
        if ((size_t)luaL_len(L, -1) != s->P)
            luaL_error(L, "from_table: names has %I entries but X has %I columns", (LUAI_UACINT)luaL_len(L, -1),
                       (LUAI_UACINT)s->P);
        for (size_t c = 0; c < s->P; c++) {
            if (lua_geti(L, -1, (lua_Integer)c + 1) != LUA_TSTRING)
                luaL_error(L, "from_table: names[%I] must be a string (got %s)", (LUAI_UACINT)(c + 1),
                           luaL_typename(L, -1));
            lua_pop(L, 1);
        }
    }
    s->names = lua_gettop(L);
}

/* No name twice (including the target name at slot tname, if any); every name is a string already. */
static void check_distinct_names(lua_State *L, const table_src *s, int tname)
{
    lua_newtable(L);
    int set = lua_gettop(L);
    for (size_t c = 0; c <= s->P; c++) {
        if (c == s->P) {
            if (!tname) break;
            lua_pushvalue(L, tname);
        } else
            lua_geti(L, s->names, (lua_Integer)c + 1);
        lua_pushvalue(L, -1);
        if (lua_gettable(L, set) != LUA_TNIL) luaL_error(L, "from_table: duplicate column name '%s'", lua_tostring(L, -2));
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
        lua_settable(L, set);
    }
    lua_pop(L, 1);
}

/* Kind of a value list: scans cells (c >= 0) or y (c == (size_t)-1, slot ysrc). Returns
 * KNOB_COL_CATEGORICAL if any value is a string, else KNOB_COL_NUMERIC; raises on mixed or bad types
 * and, for a target (no_nan), on NaN. */
typedef struct {
    const table_src *s;
    size_t c;      /* source column, or (size_t)-1 for the y table */
    int y;         /* stack slot of y when c == (size_t)-1 */
} value_list;

static int vl_get(lua_State *L, const value_list *v, size_t i)
{
    if (v->c != (size_t)-1) return src_cell(L, v->s, i, v->c);
    return lua_geti(L, v->y, (lua_Integer)i + 1);
}

static const char *vl_where(lua_State *L, const value_list *v, size_t i)
{
    if (v->c != (size_t)-1) return src_where(L, v->s, i, v->c);
    return lua_pushfstring(L, "y[%I]", (LUAI_UACINT)(i + 1));
}

static int scan_kind(lua_State *L, const value_list *v, int is_target)
{
    size_t first_num = 0, first_str = 0; /* 1-based rows of the first number / string, 0 = none */
    for (size_t i = 0; i < v->s->n; i++) {
        int t = vl_get(L, v, i);
        if (t == LUA_TNUMBER) {
            if (isnan(lua_tonumber(L, -1))) {
                if (is_target) luaL_error(L, "from_table: %s is NaN (a target value cannot be missing)", vl_where(L, v, i));
            } else if (!first_num)
                first_num = i + 1;
        } else if (t == LUA_TSTRING) {
            if (!first_str) first_str = i + 1;
        } else
            luaL_error(L, "from_table: %s must be a number or a string (got %s)", vl_where(L, v, i), luaL_typename(L, -1));
        lua_pop(L, 1);
        if (first_num && first_str) {
            const char *a = vl_where(L, v, first_num - 1), *b = vl_where(L, v, first_str - 1);
            luaL_error(L, "from_table: mixed types in a column: %s is a number but %s is a string", a, b);
        }
    }
    return first_str ? KNOB_COL_CATEGORICAL : KNOB_COL_NUMERIC;
}

/* Fill feature column j of ds from a categorical value list: codes by first appearance, NaN missing. */
static void fill_categorical(lua_State *L, knob_dataset *ds, size_t j, const value_list *v, const char **scratch)
{
    size_t n = v->s->n, k = 0;
    double *col = ds->frame->X + j * n;
    lua_newtable(L);
    int map = lua_gettop(L);
    for (size_t i = 0; i < n; i++) {
        if (vl_get(L, v, i) != LUA_TSTRING) { /* NaN (scan_kind allowed nothing else) */
            col[i] = NAN;
            lua_pop(L, 1);
            continue;
        }
        lua_pushvalue(L, -1);
        if (lua_gettable(L, map) == LUA_TNUMBER) {
            col[i] = (double)lua_tointeger(L, -1);
            lua_pop(L, 2);
            continue;
        }
        lua_pop(L, 1);
        scratch[k] = lua_tostring(L, -1); /* anchored as a key of map */
        col[i] = (double)k;
        lua_pushinteger(L, (lua_Integer)k++);
        lua_settable(L, map);
    }
    knob_err err;
    if (knob_dataset_set_levels(ds, j, scratch, k, &err) != KNOB_OK) l_raise(L, &err);
    lua_pop(L, 1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Shortest of %.15g..%.17g that reads back as v (a class name for a numeric class). */
static void format_number(char *buf, size_t size, double v)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* Sorted distinct numbers of the target list into vals (n slots); returns how many. */
static size_t distinct_numbers(lua_State *L, const value_list *v, double *vals, int *all_integral)
{
    size_t n = v->s->n, k = 0;
    *all_integral = 1;
    for (size_t i = 0; i < n; i++) {
        vl_get(L, v, i);
        vals[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (vals[i] != floor(vals[i]) || fabs(vals[i]) > 9007199254740992.0) *all_integral = 0;
    }
    qsort(vals, n, sizeof *vals, cmp_double);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || vals[i] != vals[k - 1]) vals[k++] = vals[i];
    return k;
}

/* Fill the target of ds from v: class codes (classes sorted) or regression values. */
static void fill_target(lua_State *L, knob_dataset *ds, const value_list *v, int kind, const double *vals,
                        size_t K)
{
    size_t n = v->s->n;
    double *y = ds->frame->y;
    knob_err err;
    if (ds->frame->task == KNOB_TASK_REGRESSION) {
        for (size_t i = 0; i < n; i++) {
            vl_get(L, v, i);
            y[i] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        return;
    }
    const char **names = l_alloc_anchored(L, (kind == KNOB_COL_CATEGORICAL ? n : K) * sizeof *names);
    if (kind == KNOB_COL_CATEGORICAL) { /* string classes: sort the distinct names, code by position */
        lua_newtable(L);
        int map = lua_gettop(L);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            vl_get(L, v, i);
            lua_pushvalue(L, -1);
            if (lua_gettable(L, map) == LUA_TNIL) names[k++] = lua_tostring(L, -2);
            lua_pop(L, 1);
            lua_pushboolean(L, 1);
            lua_settable(L, map);
        }
        K = k;
        qsort(names, K, sizeof *names, cmp_cstr);
        for (k = 0; k < K; k++) {
            lua_pushinteger(L, (lua_Integer)k);
            lua_setfield(L, map, names[k]);
        }
        for (size_t i = 0; i < n; i++) {
            vl_get(L, v, i);
            lua_gettable(L, map);
            y[i] = (double)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
        if (knob_dataset_set_levels(ds, (size_t)-1, names, K, &err) != KNOB_OK) l_raise(L, &err);
        lua_pop(L, 1);
    } else { /* numeric classes: vals holds the K sorted distinct values */
        char *buf = l_alloc_anchored(L, K * 32);
        for (size_t k = 0; k < K; k++) {
            format_number(buf + 32 * k, 32, vals[k]);
            names[k] = buf + 32 * k;
        }
        for (size_t i = 0; i < n; i++) {
            vl_get(L, v, i);
            double x = lua_tonumber(L, -1);
            lua_pop(L, 1);
            const double *hit = bsearch(&x, vals, K, sizeof *vals, cmp_double);
            y[i] = (double)(hit - vals);
        }
        if (knob_dataset_set_levels(ds, (size_t)-1, names, K, &err) != KNOB_OK) l_raise(L, &err);
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* names anchor */
}

static int l_from_table(lua_State *L)
{
    static const char *const valid[] = {"X", "y", "names", "target", "task", "max_classes", "columns", "order",
                                        NULL};
    const char *W = "from_table";
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_checkstack(L, 40, "from_table");
    l_check_options(L, 1, W, valid);
    int task_opt = l_opt_choice(L, 1, W, "task", TASKS, -1);
    lua_Integer max_classes = opt_max_classes(L, 1, W);
    lua_getfield(L, 1, "X");       /* 2 */
    lua_getfield(L, 1, "columns"); /* 3 */
    lua_getfield(L, 1, "y");       /* 4 */
    lua_getfield(L, 1, "target");  /* 5 */
    table_src s = {0};
    s.src = 2;
    if (!lua_isnil(L, 2) && !lua_isnil(L, 3)) luaL_error(L, "from_table: give X (rows) or columns, not both");
    if (lua_isnil(L, 2) && lua_isnil(L, 3)) luaL_error(L, "from_table: give X (an array of rows) or columns");
    if (!lua_isnil(L, 2)) {
        if (lua_getfield(L, 1, "order") != LUA_TNIL) luaL_error(L, "from_table: option 'order' goes with columns, not X");
        lua_pop(L, 1);
        s.rows_form = 1;
        check_rows(L, &s);
        push_names(L, &s);
    } else {
        if (lua_getfield(L, 1, "names") != LUA_TNIL) luaL_error(L, "from_table: option 'names' goes with X; with columns use 'order'");
        lua_pop(L, 1);
        check_columns(L, &s);
    }

    /* The target: y (named by target, default "target"), or the column of X named/indexed by target. */
    size_t tcol = (size_t)-1;
    int has_target = 0, tname = 0;
    value_list tv = {&s, (size_t)-1, 4};
    if (!lua_isnil(L, 4)) {
        if (!lua_istable(L, 4)) luaL_error(L, "from_table: y must be an array of target values (got %s)", luaL_typename(L, 4));
        if ((size_t)luaL_len(L, 4) != s.n)
            luaL_error(L, "from_table: y has %I values but there are %I rows", (LUAI_UACINT)luaL_len(L, 4), (LUAI_UACINT)s.n);
        if (lua_isnil(L, 5)) lua_pushliteral(L, "target");
        else if (lua_type(L, 5) != LUA_TSTRING)
            luaL_error(L, "from_table: with y, option 'target' is the target's name and must be a string (got %s)",
                       luaL_typename(L, 5));
        else lua_pushvalue(L, 5);
        tname = lua_gettop(L);
        has_target = 1;
    } else if (!lua_isnil(L, 5)) {
        if (lua_type(L, 5) == LUA_TSTRING) {
            for (size_t c = 0; c < s.P && tcol == (size_t)-1; c++)
                if (strcmp(src_name(L, &s, c), lua_tostring(L, 5)) == 0) tcol = c;
            if (tcol == (size_t)-1) luaL_error(L, "from_table: target '%s' is not one of the columns", lua_tostring(L, 5));
        } else if (lua_type(L, 5) == LUA_TNUMBER)
            tcol = check_index(L, 5, s.P, 1, W, "target column", "columns");
        else
            luaL_error(L, "from_table: option 'target' must be a column name or index (got %s)", luaL_typename(L, 5));
        if (s.P == 1) luaL_error(L, "from_table: the target is the only column (no features left)");
        tv.c = tcol;
        has_target = 1;
    } else if (task_opt >= 0)
        luaL_error(L, "from_table: option 'task' needs a target (give y or target)");
    check_distinct_names(L, &s, tname);

    size_t p = s.P - (tcol != (size_t)-1);
    int *kinds = l_alloc_anchored(L, s.P * sizeof *kinds);
    for (size_t c = 0; c < s.P; c++) {
        if (c == tcol) continue;
        value_list fv = {&s, c, 0};
        kinds[c] = scan_kind(L, &fv, 0);
    }

    int task = KNOB_TASK_NONE, tkind = KNOB_COL_NUMERIC;
    size_t K = 0;
    double *vals = NULL;
    if (has_target) {
        tkind = scan_kind(L, &tv, 1);
        if (tkind == KNOB_COL_CATEGORICAL) {
            if (task_opt >= 0 && TASK_CODES[task_opt] == KNOB_TASK_REGRESSION)
                luaL_error(L, "from_table: task 'regression' needs numeric target values (got strings)");
            task = KNOB_TASK_CLASSIFICATION;
            K = 1; /* counted while filling */
        } else {
            int integral;
            vals = l_alloc_anchored(L, s.n * sizeof *vals);
            K = distinct_numbers(L, &tv, vals, &integral);
            task = task_opt >= 0 ? TASK_CODES[task_opt]
                   : (integral && K <= (size_t)max_classes) ? KNOB_TASK_CLASSIFICATION
                                                            : KNOB_TASK_REGRESSION;
        }
    }

    knob_err err;
    knob_dataset *ds = knob_dataset_new(s.n, p, task, K ? K : 1, &err);
    if (!ds) return l_raise(L, &err);
    l_push_dataset(L, ds); /* owned by Lua from here: raising cannot leak it */
    int ud = lua_gettop(L);
    const char **scratch = l_alloc_anchored(L, s.n * sizeof *scratch);
    for (size_t c = 0, j = 0; c < s.P; c++) {
        if (c == tcol) continue;
        if (knob_dataset_set_name(ds, j, src_name(L, &s, c), &err) != KNOB_OK) return l_raise(L, &err);
        value_list fv = {&s, c, 0};
        if (kinds[c] == KNOB_COL_CATEGORICAL) fill_categorical(L, ds, j, &fv, scratch);
        else {
            double *col = ds->frame->X + j * s.n;
            for (size_t i = 0; i < s.n; i++) {
                src_cell(L, &s, i, c);
                col[i] = lua_tonumber(L, -1);
                lua_pop(L, 1);
            }
        }
        j++;
    }
    if (has_target) {
        const char *name = tname ? lua_tostring(L, tname) : src_name(L, &s, tcol);
        if (knob_dataset_set_name(ds, (size_t)-1, name, &err) != KNOB_OK) return l_raise(L, &err);
        fill_target(L, ds, &tv, tkind, vals, K);
    }
    knob_dataset_count_missing(ds);
    lua_pushvalue(L, ud);
    return 1;
}

/* ---------------------------------------------------------------- Dataset methods */

/* The userdata is l_aux.c's box, whose first member is the dataset pointer; a pointer to a struct,
 * converted, points to its first member (C11 6.7.2.1), so close can free and null it here. */
static knob_dataset **dataset_slot(lua_State *L)
{
    return luaL_checkudata(L, 1, KNOB_DATASET_MT);
}

static int m_close(lua_State *L)
{
    knob_dataset **slot = dataset_slot(L);
    knob_dataset_free(slot);
    return 0;
}

static int m_tostring(lua_State *L)
{
    knob_dataset *ds = *dataset_slot(L);
    if (!ds) {
        lua_pushliteral(L, "knob.Dataset<closed>");
        return 1;
    }
    const knob_frame *f = ds->frame;
    char buf[256];
    int w = snprintf(buf, sizeof buf, "knob.Dataset<%zu rows x %zu features, ", ds->n_rows, f->n_features);
    if (f->task == KNOB_TASK_CLASSIFICATION)
        snprintf(buf + w, sizeof buf - (size_t)w, "classification %zu classes, target '%.80s'>", f->target.n_levels,
                 f->target.name);
    else if (f->task == KNOB_TASK_REGRESSION)
        snprintf(buf + w, sizeof buf - (size_t)w, "regression, target '%.80s'>", f->target.name);
    else
        snprintf(buf + w, sizeof buf - (size_t)w, "no target>");
    lua_pushstring(L, buf);
    return 1;
}

static int m_rows(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)l_check_dataset(L, 1)->n_rows);
    return 1;
}

static int m_features(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)l_check_dataset(L, 1)->frame->n_features);
    return 1;
}

static int m_names(lua_State *L)
{
    const knob_frame *f = l_check_dataset(L, 1)->frame;
    lua_createtable(L, (int)f->n_features, 0);
    for (size_t j = 0; j < f->n_features; j++) {
        lua_pushstring(L, f->cols[j].name);
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    return 1;
}

static int m_kinds(lua_State *L)
{
    const knob_frame *f = l_check_dataset(L, 1)->frame;
    lua_createtable(L, (int)f->n_features, 0);
    for (size_t j = 0; j < f->n_features; j++) {
        lua_pushstring(L, kind_name(f->cols[j].kind));
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    return 1;
}

static void push_levels(lua_State *L, const knob_column *c)
{
    lua_createtable(L, (int)c->n_levels, 0);
    for (size_t k = 0; k < c->n_levels; k++) {
        lua_pushstring(L, c->levels[k]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
}

static int m_levels(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    const knob_column *c = column_meta(ds, check_column(L, ds, 2, "levels", 1), NULL);
    if (c->kind == KNOB_COL_CATEGORICAL) push_levels(L, c);
    else lua_pushnil(L);
    return 1;
}

static int m_task(lua_State *L)
{
    lua_pushstring(L, task_name(l_check_dataset(L, 1)->frame->task));
    return 1;
}

static int m_target_name(lua_State *L)
{
    const knob_frame *f = l_check_dataset(L, 1)->frame;
    if (f->y) lua_pushstring(L, f->target.name);
    else lua_pushnil(L);
    return 1;
}

static knob_dataset *check_classification(lua_State *L, const char *what)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    if (ds->frame->task != KNOB_TASK_CLASSIFICATION)
        luaL_error(L, "%s: not a classification dataset (task is %s)", what, task_name(ds->frame->task));
    return ds;
}

static int m_classes(lua_State *L)
{
    push_levels(L, &check_classification(L, "classes")->frame->target);
    return 1;
}

static int m_class_counts(lua_State *L)
{
    knob_dataset *ds = check_classification(L, "class_counts");
    size_t K = knob_dataset_n_classes(ds);
    size_t *counts = l_alloc_anchored(L, K * sizeof *counts);
    knob_dataset_class_counts(ds, counts);
    lua_createtable(L, 0, (int)K);
    for (size_t k = 0; k < K; k++) {
        lua_pushinteger(L, (lua_Integer)counts[k]);
        lua_setfield(L, -2, ds->frame->target.levels[k]);
    }
    return 1;
}

/* Push the view's values of column j ((size_t)-1 = target) as an array. */
static void push_column(lua_State *L, const knob_dataset *ds, size_t j)
{
    const double *vals;
    const knob_column *c = column_meta(ds, j, &vals);
    lua_createtable(L, (int)ds->n_rows, 0);
    for (size_t i = 0; i < ds->n_rows; i++) {
        push_cell(L, c, vals[knob_dataset_row(ds, i)]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static int m_target(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    if (!ds->frame->y) return luaL_error(L, "target: dataset has no target");
    push_column(L, ds, (size_t)-1);
    return 1;
}

static int m_column(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    push_column(L, ds, check_column(L, ds, 2, "column", 1));
    return 1;
}

static int m_row(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    const knob_frame *f = ds->frame;
    size_t r = knob_dataset_row(ds, check_index(L, 2, ds->n_rows, 0, "row", "row", "rows"));
    lua_createtable(L, (int)f->n_features, 0);
    for (size_t j = 0; j < f->n_features; j++) {
        push_cell(L, &f->cols[j], f->X[j * f->n_rows + r]);
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    if (!f->y) return 1;
    push_cell(L, &f->target, f->y[r]);
    return 2;
}

static int m_missing(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    const knob_frame *f = ds->frame;
    size_t *m = l_alloc_anchored(L, f->n_features * sizeof *m), total = 0;
    knob_dataset_missing_counts(ds, m);
    lua_createtable(L, 0, (int)f->n_features);
    for (size_t j = 0; j < f->n_features; j++) {
        lua_pushinteger(L, (lua_Integer)m[j]);
        lua_setfield(L, -2, f->cols[j].name);
        total += m[j];
    }
    lua_pushinteger(L, (lua_Integer)total);
    return 2;
}

static int push_new_dataset(lua_State *L, knob_dataset *ds, const knob_err *err)
{
    if (!ds) return l_raise(L, err);
    l_push_dataset(L, ds);
    return 1;
}

/* Entry i of a list argument (on the stack top) → a 0-based row or column index; raises if invalid. */
typedef size_t (*entry_fn)(lua_State *L, const knob_dataset *ds, lua_Integer i);

/* The table at slot 2 as an anchored array of indices, each converted by fn; its length in *n. */
static size_t *check_list(lua_State *L, const knob_dataset *ds, size_t *n, entry_fn fn)
{
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer len = luaL_len(L, 2);
    *n = (size_t)(len > 0 ? len : 0);
    size_t *out = l_alloc_anchored(L, *n * sizeof *out);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, 2, i);
        out[i - 1] = fn(L, ds, i);
        lua_pop(L, 1);
    }
    return out;
}

static size_t subset_entry(lua_State *L, const knob_dataset *ds, lua_Integer i)
{
    int isint = 0;
    lua_Integer k = lua_tointegerx(L, -1, &isint);
    if (lua_type(L, -1) != LUA_TNUMBER || !isint)
        luaL_error(L, "subset: entry %I must be an integer row index (got %s)", (LUAI_UACINT)i,
                   lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
    if (k < 1 || (size_t)k > ds->n_rows)
        luaL_error(L, "subset: row index %I (entry %I) out of range (dataset has %I rows)", (LUAI_UACINT)k,
                   (LUAI_UACINT)i, (LUAI_UACINT)ds->n_rows);
    return (size_t)(k - 1);
}

static size_t select_entry(lua_State *L, const knob_dataset *ds, lua_Integer i)
{
    (void)i;
    return check_column(L, ds, -1, "select", 0);
}

static int m_subset(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    size_t n;
    size_t *idx = check_list(L, ds, &n, subset_entry);
    knob_err err;
    return push_new_dataset(L, knob_dataset_subset(ds, idx, n, &err), &err);
}

static int m_copy(lua_State *L)
{
    knob_err err;
    return push_new_dataset(L, knob_dataset_copy(l_check_dataset(L, 1), &err), &err);
}

static int m_select(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    size_t n;
    size_t *cols = check_list(L, ds, &n, select_entry);
    knob_err err;
    return push_new_dataset(L, knob_dataset_select(ds, cols, n, &err), &err);
}

static void set_number(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void set_integer(lua_State *L, const char *k, size_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

/* Statistics of one column (feature or target), as a table:
 *   numeric:     kind, count, missing, mean, std (n-1), min, q25, q50, q75, max
 *   categorical: kind, count, missing, unique, top (nil when count is 0), freq, counts (level → count) */
static int m_column_stats(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    size_t j = check_column(L, ds, 2, "column_stats", 1);
    const knob_column *c = column_meta(ds, j, NULL);
    knob_err err;
    if (c->kind == KNOB_COL_NUMERIC) {
        knob_col_summary s;
        if (knob_dataset_summarize(ds, j, &s, &err) != KNOB_OK) return l_raise(L, &err);
        lua_createtable(L, 0, 10);
        lua_pushliteral(L, "numeric");
        lua_setfield(L, -2, "kind");
        set_integer(L, "count", s.count);
        set_integer(L, "missing", s.missing);
        set_number(L, "mean", s.mean);
        set_number(L, "std", s.std);
        set_number(L, "min", s.min);
        set_number(L, "q25", s.q25);
        set_number(L, "q50", s.q50);
        set_number(L, "q75", s.q75);
        set_number(L, "max", s.max);
        return 1;
    }
    size_t K = c->n_levels, count = 0, unique = 0, top = 0;
    size_t *counts = l_alloc_anchored(L, K * sizeof *counts);
    knob_dataset_level_counts(ds, j, counts);
    lua_createtable(L, 0, 7);
    lua_createtable(L, 0, (int)K);
    for (size_t k = 0; k < K; k++) {
        count += counts[k];
        unique += counts[k] > 0;
        if (counts[k] > counts[top]) top = k;
        lua_pushinteger(L, (lua_Integer)counts[k]);
        lua_setfield(L, -2, c->levels[k]);
    }
    lua_setfield(L, -2, "counts");
    lua_pushliteral(L, "categorical");
    lua_setfield(L, -2, "kind");
    set_integer(L, "count", count);
    set_integer(L, "missing", ds->n_rows - count);
    set_integer(L, "unique", unique);
    if (count) {
        lua_pushstring(L, c->levels[top]);
        lua_setfield(L, -2, "top");
    }
    set_integer(L, "freq", count ? counts[top] : 0);
    return 1;
}

static int m_fingerprint(lua_State *L)
{
    char out[17];
    knob_dataset_fingerprint(l_check_dataset(L, 1), out);
    lua_pushstring(L, out);
    return 1;
}

static int m_bytes(lua_State *L)
{
    knob_dataset *ds = l_check_dataset(L, 1);
    lua_pushinteger(L, (lua_Integer)knob_dataset_bytes(ds));
    lua_pushinteger(L, (lua_Integer)knob_dataset_view_bytes(ds));
    return 2;
}

static int l_concat(lua_State *L)
{
    knob_dataset *a = l_check_dataset(L, 1), *b = l_check_dataset(L, 2);
    knob_err err;
    return push_new_dataset(L, knob_dataset_concat(a, b, &err), &err);
}

int l_open_data(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"rows", m_rows},
        {"features", m_features},
        {"names", m_names},
        {"kinds", m_kinds},
        {"levels", m_levels},
        {"task", m_task},
        {"classes", m_classes},
        {"class_counts", m_class_counts},
        {"target", m_target},
        {"target_name", m_target_name},
        {"column", m_column},
        {"row", m_row},
        {"missing", m_missing},
        {"subset", m_subset},
        {"copy", m_copy},
        {"select", m_select},
        {"column_stats", m_column_stats},
        {"write_csv", m_write_csv},
        {"fingerprint", m_fingerprint},
        {"bytes", m_bytes},
        {"close", m_close},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", m_close}, {"__close", m_close}, {"__len", m_rows}, {"__tostring", m_tostring}, {NULL, NULL},
    };
    static const luaL_Reg fns[] = {
        {"read_csv", l_read_csv}, {"from_table", l_from_table}, {"concat", l_concat}, {NULL, NULL},
    };
    if (luaL_getmetatable(L, KNOB_DATASET_MT) == LUA_TNIL) l_new_class(L, KNOB_DATASET_MT, methods, meta);
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    luaL_getmetatable(L, KNOB_DATASET_MT);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -3, "Dataset"); /* the methods table, so the Lua library can add methods */
    lua_pop(L, 1);
    return 1;
}
