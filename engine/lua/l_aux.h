/*
 * l_aux.h — shared helpers for the Lua bindings: option tables, error conversion, the Dataset userdata.
 *
 * Conventions (DESIGN.md §5): options come as one table; an unknown option is an error naming it and
 * listing the valid ones; a wrong type names the option. Expected failures (file not found, unparsable
 * input) return nil, msg; misuse raises.
 */
#ifndef KNOB_L_AUX_H
#define KNOB_L_AUX_H

#include <lauxlib.h>
#include <lua.h>

#include "knob/dataset.h"
#include "knob/err.h"

#define KNOB_DATASET_MT "knob.Dataset"
#define MODEL_MT "knob.Model"

/* Raise "what: unknown option 'x' (valid: a, b, c)" if the table at idx has a key not in valid[]
 * (NULL-terminated). A nil/none idx is accepted as "no options"; a non-table raises. */
void l_check_options(lua_State *L, int idx, const char *what, const char *const valid[]);

/* Typed option getters on the table at idx (which may be nil/none). A present value of the wrong type
 * raises "what: option 'name' must be a number (got string)". */
lua_Number l_opt_number(lua_State *L, int idx, const char *what, const char *name, lua_Number def);
lua_Integer l_opt_integer(lua_State *L, int idx, const char *what, const char *name, lua_Integer def);
int l_opt_boolean(lua_State *L, int idx, const char *what, const char *name, int def);
const char *l_opt_string(lua_State *L, int idx, const char *what, const char *name, const char *def);
/* Like l_opt_string, but the value must be one of choices[] (NULL-terminated); returns its index. */
int l_opt_choice(lua_State *L, int idx, const char *what, const char *name, const char *const choices[],
                 int def);
/* Optional seed: an integer >= 0 (raises otherwise). */
lua_Integer l_opt_seed(lua_State *L, int idx, const char *what, lua_Integer def);

/* Raise the message in err as a Lua error (for misuse). Never returns. */
int l_raise(lua_State *L, const knob_err *err);
/* Push nil, err->msg and return 2 (for expected failures). */
int l_fail(lua_State *L, const knob_err *err);

/* Push a new Dataset userdata owning ds (takes ownership; frees ds if the push fails). */
void l_push_dataset(lua_State *L, knob_dataset *ds);

/** Push a new Lua array (a sequence) of the @p n numbers in @p a. */
void l_push_numbers(lua_State *L, const double *a, size_t n);
/* The open dataset at idx; raises "bad argument #idx (knob.Dataset expected)" or "dataset is closed". */
knob_dataset *l_check_dataset(lua_State *L, int idx);
/* The dataset at idx, or NULL if the value is not a Dataset userdata. */
knob_dataset *l_test_dataset(lua_State *L, int idx);

struct knob_model;
/* The open model at idx (l_model.c); raises "model is closed" or a type error. */
struct knob_model *l_check_model(lua_State *L, int idx);

/* Read a Lua array of numbers (all entries 1..#t must be numbers; NaN allowed only if allow_nan).
 * Returns the array and its length in *n; raises (naming what) on a bad entry. The array is owned by a
 * userdata this pushes on the stack (freed by its __gc, so a later raise cannot leak it): do not free it;
 * it stays valid while that stack slot lives. */
double *l_check_number_array(lua_State *L, int idx, const char *what, size_t *n, int allow_nan);

/* Option name of the options table at idx (nil/none = no options) as a NULL-terminated array of strings,
 * or NULL when absent. Raises "what: option 'name' must be a list of strings (got T)" or "what: option
 * 'name': entry i must be a string (got T)". The array lives in a buffer anchored on the stack like
 * l_check_number_array's; the strings stay referenced by the options table. */
const char **l_opt_string_list(lua_State *L, int idx, const char *what, const char *name);

/* Register a metatable with __index = methods (luaL_Reg list) and the given metamethods. */
void l_new_class(lua_State *L, const char *tname, const luaL_Reg *methods, const luaL_Reg *meta);

/* A scratch buffer of n bytes owned by a userdata pushed on the stack (same lifetime rule as above). */
void *l_alloc_anchored(lua_State *L, size_t n);

#endif
