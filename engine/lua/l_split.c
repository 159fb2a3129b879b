/*
 * l_split.c — knob.core.split: train/test splits and cross-validation splitters on row counts or Datasets.
 *
 *   check(kind, opts)              validate a splitter's options; returns its resolved parameters
 *   <kind>_indices(n_or_ds, opts)  train_test_indices → train, test; every other kind → folds
 *                                  { {train = {...}, test = {...}}, ... }; indices are 1-based, ascending
 *   view(ds, idx)                  a Dataset view of rows idx (1-based), sharing ds's values
 *
 * Kinds: train_test, kfold, stratified_kfold, repeated_kfold, repeated_stratified_kfold, shuffle_split,
 * group_kfold, time_series. Class labels come from option y (numbers or strings, one per row) or, for a
 * Dataset, from its classification target; groups from option groups (numbers or strings per row, or the
 * name of a Dataset column).
 */
#include "l_modules.h"

#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "l_aux.h"
#include "knob/split.h"

enum { K_TRAIN_TEST, K_KFOLD, K_STRAT, K_REP_KFOLD, K_REP_STRAT, K_SHUFFLE, K_GROUP, K_TIME };

static const char *const kind_names[] = {"train_test",    "kfold",       "stratified_kfold",
                                         "repeated_kfold", "repeated_stratified_kfold",
                                         "shuffle_split", "group_kfold", "time_series",
                                         NULL};

static const char *const opts_train_test[] = {"test", "shuffle", "stratify", "seed", "y", NULL};
static const char *const opts_kfold[] = {"k", "shuffle", "seed", NULL};
static const char *const opts_strat[] = {"k", "shuffle", "seed", "y", NULL};
static const char *const opts_rep_kfold[] = {"k", "repeats", "seed", NULL};
static const char *const opts_rep_strat[] = {"k", "repeats", "seed", "y", NULL};
static const char *const opts_shuffle[] = {"n_splits", "test", "stratify", "seed", "y", NULL};
static const char *const opts_group[] = {"k", "groups", NULL};
static const char *const opts_time[] = {"n_splits", "max_train", "test_size", "gap", NULL};
static const char *const *const kind_options[] = {opts_train_test, opts_kfold,   opts_strat, opts_rep_kfold,
                                                  opts_rep_strat,  opts_shuffle, opts_group, opts_time};

typedef struct {
    int kind;
    char what[64];      /* "knob.split.<kind>" for messages */
    size_t k, repeats, n_splits, max_train, test_size, gap;
    double test;
    int shuffle, stratify;
    lua_Integer seed;
} params;

static int opt_present(lua_State *L, int idx, const char *name)
{
    if (lua_isnoneornil(L, idx)) return 0;
    int t = lua_getfield(L, idx, name);
    lua_pop(L, 1);
    return t != LUA_TNIL;
}

/* An integer option that must be >= lo when given (def when absent). */
static size_t opt_count(lua_State *L, int idx, const char *what, const char *name, lua_Integer def,
                        lua_Integer lo)
{
    lua_Integer v = l_opt_integer(L, idx, what, name, def);
    if (v < lo && opt_present(L, idx, name)) luaL_error(L, "%s: option '%s' must be >= %d (got %I)", what, name, (int)lo, (LUAI_UACINT)v);
    return (size_t)v;
}

static void parse_params(lua_State *L, int kind, int idx, params *p)
{
    idx = lua_absindex(L, idx);
    memset(p, 0, sizeof *p);
    p->kind = kind;
    snprintf(p->what, sizeof p->what, "knob.split.%s", kind_names[kind]);
    const char *what = p->what;
    l_check_options(L, idx, what, kind_options[kind]);
    int strat_kind = kind == K_STRAT || kind == K_REP_STRAT;
    int has_y = opt_present(L, idx, "y");
    if (has_y) {
        lua_getfield(L, idx, "y");
        if (!lua_istable(L, -1))
            luaL_error(L, "%s: option 'y' must be a table of class labels (got %s)", what, luaL_typename(L, -1));
        lua_pop(L, 1);
    }
    switch (kind) {
    case K_TRAIN_TEST:
    case K_SHUFFLE: {
        p->n_splits = kind == K_SHUFFLE ? opt_count(L, idx, what, "n_splits", 10, 1) : 1;
        p->test = l_opt_number(L, idx, what, "test", kind == K_SHUFFLE ? 0.1 : 0.2);
        knob_err err;
        size_t dummy;
        if (knob_split_resolve_test(SIZE_MAX, p->test, &dummy, &err)) luaL_error(L, "%s: %s", what, err.msg);
        p->shuffle = kind == K_SHUFFLE ? 1 : l_opt_boolean(L, idx, what, "shuffle", 1);
        p->stratify = l_opt_boolean(L, idx, what, "stratify", has_y);
        if (has_y && !p->stratify) luaL_error(L, "%s: option 'y' is given but stratify = false", what);
        break;
    }
    case K_KFOLD:
    case K_STRAT:
    case K_REP_KFOLD:
    case K_REP_STRAT:
    case K_GROUP:
        p->k = opt_count(L, idx, what, "k", 5, 2);
        p->repeats = (kind == K_REP_KFOLD || kind == K_REP_STRAT) ? opt_count(L, idx, what, "repeats", 10, 1) : 1;
        p->shuffle = (kind == K_KFOLD || kind == K_STRAT) ? l_opt_boolean(L, idx, what, "shuffle", 0)
                                                          : kind != K_GROUP;
        p->stratify = strat_kind;
        if (p->repeats > 1 && p->repeats > (size_t)INT32_MAX / p->k)
            luaL_error(L, "%s: k x repeats = %I x %I splits is too many", what, (LUAI_UACINT)p->k,
                       (LUAI_UACINT)p->repeats);
        p->n_splits = p->k * p->repeats;
        break;
    case K_TIME:
        p->n_splits = opt_count(L, idx, what, "n_splits", 5, 2);
        p->max_train = opt_count(L, idx, what, "max_train", 0, 1);
        p->test_size = opt_count(L, idx, what, "test_size", 0, 1);
        p->gap = opt_count(L, idx, what, "gap", 0, 0);
        break;
    }
    if (kind == K_GROUP) {
        int t = LUA_TNIL;
        if (!lua_isnoneornil(L, idx)) {
            t = lua_getfield(L, idx, "groups");
            lua_pop(L, 1);
        }
        if (t != LUA_TTABLE && t != LUA_TSTRING)
            luaL_error(L, "%s: option 'groups' must be a table of group labels or a column name (got %s)", what,
                       t == LUA_TNIL ? "nothing" : lua_typename(L, t));
    }
    if (opt_present(L, idx, "seed") && !p->shuffle)
        luaL_error(L, "%s: option 'seed' has no effect with shuffle = false", what);
    p->seed = l_opt_seed(L, idx, what, 0);
}

/* Encode the label table at idx (n entries: all numbers or all strings) into anchored codes. */
static size_t *check_labels(lua_State *L, int idx, const char *what, const char *name, size_t n,
                            size_t *n_levels)
{
    idx = lua_absindex(L, idx);
    lua_Integer len = luaL_len(L, idx);
    if ((size_t)len != n)
        luaL_error(L, "%s: option '%s' has %I entries but the data has %I rows", what, name, (LUAI_UACINT)len,
                   (LUAI_UACINT)n);
    size_t *codes = l_alloc_anchored(L, n * sizeof *codes);
    knob_err err;
    int rc;
    if (n > 0 && lua_geti(L, idx, 1) == LUA_TSTRING) {
        lua_pop(L, 1);
        const char **s = l_alloc_anchored(L, n * sizeof *s);
        for (size_t i = 0; i < n; i++) {
            int t = lua_geti(L, idx, (lua_Integer)i + 1);
            if (t != LUA_TSTRING)
                luaL_error(L, "%s: option '%s': entry %I must be a string like entry 1 (got %s)", what, name,
                           (LUAI_UACINT)i + 1,
                           lua_typename(L, t));
            s[i] = lua_tostring(L, -1); /* anchored by the table */
            lua_pop(L, 1);
        }
        rc = knob_split_encode_strings(n, s, codes, n_levels, &err);
    } else {
        if (n > 0) lua_pop(L, 1);
        char label[80];
        snprintf(label, sizeof label, "%s: option '%s'", what, name);
        size_t m;
        double *v = l_check_number_array(L, idx, label, &m, 0);
        rc = knob_split_encode_numbers(n, v, codes, n_levels, &err);
    }
    if (rc) luaL_error(L, "%s: option '%s': %s", what, name, err.msg);
    return codes;
}

/* Group codes from option groups: a label table, or the name of a column of the Dataset ds. */
static size_t *check_groups(lua_State *L, int opts, const params *p, const knob_dataset *ds, size_t n,
                            size_t *n_groups)
{
    lua_getfield(L, opts, "groups");
    if (lua_istable(L, -1)) return check_labels(L, -1, p->what, "groups", n, n_groups);
    const char *col = lua_tostring(L, -1);
    if (!ds) luaL_error(L, "%s: groups = '%s' names a column, which needs a dataset", p->what, col);
    size_t j = 0;
    while (j < ds->frame->n_features && strcmp(ds->frame->cols[j].name, col) != 0) j++;
    if (j == ds->frame->n_features) luaL_error(L, "%s: groups: no column '%s' in the dataset", p->what, col);
    double *v = l_alloc_anchored(L, (n ? n : 1) * sizeof *v);
    knob_dataset_gather_column(ds, j, v);
    size_t *codes = l_alloc_anchored(L, (n ? n : 1) * sizeof *codes);
    knob_err err;
    if (knob_split_encode_numbers(n, v, codes, n_groups, &err))
        luaL_error(L, "%s: groups column '%s': %s", p->what, col, err.msg);
    return codes;
}

/* Class codes for stratification: option y, else the Dataset's target. */
static size_t *check_classes(lua_State *L, int opts, const params *p, const knob_dataset *ds, size_t n,
                             size_t *n_classes)
{
    if (opt_present(L, opts, "y")) {
        lua_getfield(L, opts, "y");
        return check_labels(L, -1, p->what, "y", n, n_classes);
    }
    if (!ds)
        luaL_error(L, "%s: stratifying needs class labels: a dataset with a classification target, or option y",
                   p->what);
    size_t *codes = l_alloc_anchored(L, (n ? n : 1) * sizeof *codes);
    knob_err err;
    if (knob_split_class_codes(ds, codes, n_classes, &err)) luaL_error(L, "%s: %s", p->what, err.msg);
    return codes;
}

static void push_indices(lua_State *L, const size_t *idx, size_t m)
{
    lua_createtable(L, (int)(m < INT32_MAX ? m : INT32_MAX), 0);
    for (size_t j = 0; j < m; j++) {
        lua_pushinteger(L, (lua_Integer)idx[j] + 1);
        lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
}

static void push_range(lua_State *L, size_t begin, size_t end)
{
    lua_createtable(L, (int)(end - begin), 0);
    for (size_t i = begin; i < end; i++) {
        lua_pushinteger(L, (lua_Integer)i + 1);
        lua_rawseti(L, -2, (lua_Integer)(i - begin) + 1);
    }
}

/* Append {train = <t-2>, test = <t-1>} (both popped) to the folds table at `folds`. */
static void add_fold(lua_State *L, int folds)
{
    lua_createtable(L, 0, 2);
    lua_rotate(L, -3, 1);
    lua_setfield(L, -3, "test");
    lua_setfield(L, -2, "train");
    lua_rawseti(L, folds, luaL_len(L, folds) + 1);
}

static size_t check_source(lua_State *L, int idx, const char *what, knob_dataset **ds)
{
    *ds = NULL;
    if (luaL_testudata(L, idx, KNOB_DATASET_MT)) {
        *ds = l_check_dataset(L, idx);
        return (*ds)->n_rows;
    }
    int isint = 0;
    lua_Integer n = lua_tointegerx(L, idx, &isint);
    if (!isint || lua_type(L, idx) != LUA_TNUMBER)
        luaL_error(L, "%s: expected a row count or a knob.Dataset (got %s)", what, luaL_typename(L, idx));
    if (n < 0) luaL_error(L, "%s: the row count must be >= 0 (got %I)", what, (LUAI_UACINT)n);
    return (size_t)n;
}

static int l_indices(lua_State *L)
{
    params p;
    knob_dataset *ds;
    parse_params(L, (int)lua_tointeger(L, lua_upvalueindex(1)), 2, &p);
    size_t n = check_source(L, 1, p.what, &ds), n_lab = 0;
    size_t *lab = NULL;
    if (p.kind == K_GROUP) lab = check_groups(L, 2, &p, ds, n, &n_lab);
    else if (p.stratify) lab = check_classes(L, 2, &p, ds, n, &n_lab);
    knob_rng rng;
    knob_rng_seed(&rng, (uint64_t)p.seed);
    knob_err err;
    size_t *buf = l_alloc_anchored(L, (3 * n + 1) * sizeof *buf), *fold = buf, *train = buf + n, *test = buf + 2 * n;

    if (p.kind == K_TRAIN_TEST || p.kind == K_SHUFFLE) {
        size_t n_test;
        if (knob_split_resolve_test(n, p.test, &n_test, &err)) luaL_error(L, "%s: %s", p.what, err.msg);
        if (p.kind == K_SHUFFLE) lua_createtable(L, (int)(p.n_splits < 1024 ? p.n_splits : 1024), 0);
        for (size_t s = 0; s < p.n_splits; s++) {
            if (knob_split_train_test(n, lab, n_lab, n_test, p.shuffle, &rng, train, test, &err)) return l_raise(L, &err);
            push_indices(L, train, n - n_test);
            push_indices(L, test, n_test);
            if (p.kind == K_SHUFFLE) add_fold(L, lua_absindex(L, -3));
        }
        return 2 - (p.kind == K_SHUFFLE);
    }
    int folds = lua_gettop(L) + 1;
    lua_createtable(L, (int)(p.n_splits < 1024 ? p.n_splits : 1024), 0); /* k may still be invalid */
    if (p.kind == K_TIME) {
        /* n_splits >= n is an error the core reports; allocate nothing large before it is checked */
        knob_split_range *r = l_alloc_anchored(L, (p.n_splits < n ? p.n_splits : 1) * sizeof *r);
        if (knob_split_time_series(n, p.n_splits, p.max_train, p.test_size, p.gap, r, &err)) return l_raise(L, &err);
        for (size_t s = 0; s < p.n_splits; s++) {
            push_range(L, r[s].train_begin, r[s].train_end);
            push_range(L, r[s].test_begin, r[s].test_end);
            add_fold(L, folds);
        }
        lua_settop(L, folds);
        return 1;
    }
    for (size_t rep = 0; rep < p.repeats; rep++) {
        int rc = p.kind == K_GROUP ? knob_split_group_kfold(n, lab, n_lab, p.k, fold, &err)
                 : p.stratify      ? knob_split_stratified_kfold(n, lab, n_lab, p.k, p.shuffle, &rng, fold, &err)
                                   : knob_split_kfold(n, p.k, p.shuffle, &rng, fold, &err);
        if (rc) return l_raise(L, &err);
        for (size_t f = 0; f < p.k; f++) {
            size_t n_train, n_test;
            knob_split_fold_indices(n, fold, f, train, &n_train, test, &n_test);
            push_indices(L, train, n_train);
            push_indices(L, test, n_test);
            add_fold(L, folds);
        }
    }
    lua_settop(L, folds);
    return 1;
}

/* check(kind, opts) → {kind=, n_splits=, k=, repeats=, shuffle=, stratify=, seed=, test=, ...} */
static int l_check(lua_State *L)
{
    lua_createtable(L, 0, 1); /* {kind = arg 1}, so l_opt_choice names the valid kinds */
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "kind");
    int kind = l_opt_choice(L, -1, "knob.split", "kind", kind_names, -1);
    if (kind < 0) return luaL_error(L, "knob.split: a splitter kind is required");
    lua_pop(L, 1);
    params p;
    parse_params(L, kind, 2, &p);
    lua_createtable(L, 0, 10);
    lua_pushstring(L, kind_names[kind]);
    lua_setfield(L, -2, "kind");
    lua_pushinteger(L, (lua_Integer)p.n_splits);
    lua_setfield(L, -2, "n_splits");
    if (p.k) {
        lua_pushinteger(L, (lua_Integer)p.k);
        lua_setfield(L, -2, "k");
    }
    if (p.repeats > 1 || kind == K_REP_KFOLD || kind == K_REP_STRAT) {
        lua_pushinteger(L, (lua_Integer)p.repeats);
        lua_setfield(L, -2, "repeats");
    }
    if (kind == K_TRAIN_TEST || kind == K_SHUFFLE) {
        if (p.test >= 1) lua_pushinteger(L, (lua_Integer)p.test);
        else lua_pushnumber(L, p.test);
        lua_setfield(L, -2, "test");
    }
    if (kind == K_TIME) {
        const struct { const char *name; size_t v; } f[] = {
            {"max_train", p.max_train}, {"test_size", p.test_size}, {"gap", p.gap}};
        for (size_t i = 0; i < 3; i++) {
            if (!f[i].v && i < 2) continue;
            lua_pushinteger(L, (lua_Integer)f[i].v);
            lua_setfield(L, -2, f[i].name);
        }
    }
    lua_pushboolean(L, p.shuffle);
    lua_setfield(L, -2, "shuffle");
    lua_pushboolean(L, p.stratify);
    lua_setfield(L, -2, "stratify");
    if (p.shuffle) {
        lua_pushinteger(L, p.seed);
        lua_setfield(L, -2, "seed");
    }
    return 1;
}

/* view(ds, idx) → a Dataset of rows idx (1-based, repeats allowed) sharing ds's frame. */
static int l_view(lua_State *L)
{
    if (!luaL_testudata(L, 1, KNOB_DATASET_MT))
        return luaL_error(L, "knob.split.view: a knob.Dataset expected (got %s)", luaL_typename(L, 1));
    knob_dataset *ds = l_check_dataset(L, 1);
    if (!lua_istable(L, 2))
        return luaL_error(L, "knob.split.view: a table of row indices expected (got %s)", luaL_typename(L, 2));
    size_t m = (size_t)luaL_len(L, 2);
    size_t *idx = l_alloc_anchored(L, (m ? m : 1) * sizeof *idx);
    for (size_t j = 0; j < m; j++) {
        int isint = 0;
        lua_geti(L, 2, (lua_Integer)j + 1);
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (!isint || lua_type(L, -1) != LUA_TNUMBER)
            return luaL_error(L, "knob.split.view: index %I must be an integer (got %s)", (LUAI_UACINT)j + 1,
                              luaL_typename(L, -1));
        if (v < 1 || (size_t)v > ds->n_rows)
            return luaL_error(L, "knob.split.view: index %I = %I is out of range (dataset has %I rows)",
                              (LUAI_UACINT)j + 1, (LUAI_UACINT)v, (LUAI_UACINT)ds->n_rows);
        idx[j] = (size_t)v - 1;
        lua_pop(L, 1);
    }
    knob_err err;
    knob_dataset *v = knob_dataset_subset(ds, idx, m, &err);
    if (!v) return l_raise(L, &err);
    l_push_dataset(L, v);
    return 1;
}

int l_open_split(lua_State *L)
{
    lua_newtable(L);
    for (int k = 0; kind_names[k]; k++) {
        lua_pushinteger(L, k);
        lua_pushcclosure(L, l_indices, 1);
        lua_pushfstring(L, "%s_indices", kind_names[k]);
        lua_insert(L, -2);
        lua_settable(L, -3);
    }
    lua_pushcfunction(L, l_check);
    lua_setfield(L, -2, "check");
    lua_pushcfunction(L, l_view);
    lua_setfield(L, -2, "view");
    return 1;
}
