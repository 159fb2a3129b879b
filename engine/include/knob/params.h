/**
 * @file params.h
 * @brief Typed hyperparameter sets validated against a declared specification.
 *
 * A model (or transformer) declares its hyperparameters once as a table of knob_param_spec; a knob_params
 * holds one value per declared parameter, starting from the defaults. Setting a value checks its name
 * (an unknown name is an error that lists the valid ones), its type and its range — validate, then run:
 * a bad hyperparameter is a clear error, never a crash or a silent clamp.
 */
#ifndef KNOB_PARAMS_H
#define KNOB_PARAMS_H

#include <stddef.h>

#include "knob/err.h"

/** Type of a hyperparameter. */
typedef enum {
    KNOB_PT_NUM = 1,   /**< a finite double */
    KNOB_PT_INT,       /**< an integer (stored as a double holding an exact integer) */
    KNOB_PT_BOOL,      /**< 0 or 1 */
    KNOB_PT_STR,       /**< one of a list of choices (or any string if choices is NULL) */
    KNOB_PT_LIST,      /**< a list of integers (e.g. hidden layer sizes) */
    KNOB_PT_NUM_LIST   /**< a list of finite numbers (e.g. class priors) */
} knob_param_type;

/** Declaration of one hyperparameter. Arrays of these end with an entry whose name is NULL. */
typedef struct {
    const char *name;             /**< parameter name, e.g. "learning_rate" */
    int type;                     /**< knob_param_type */
    double def;                   /**< default for NUM/INT/BOOL */
    const char *def_str;          /**< default for STR (NULL: unset) */
    double lo, hi;                /**< inclusive bounds for NUM/INT (and each LIST entry) */
    int lo_open, hi_open;         /**< non-zero: the bound is exclusive */
    const char *const *choices;   /**< STR: allowed values, NULL-terminated (NULL = any string) */
    int nullable;                 /**< the parameter may be unset (e.g. max_depth = none) */
    const char *doc;              /**< one line of documentation */
} knob_param_spec;

/** Value of one hyperparameter. */
typedef struct {
    int is_set;                   /**< 0 when unset (nullable parameters only) */
    double num;                   /**< NUM / INT / BOOL value */
    char *str;                    /**< STR value (owned) */
    double *list;                 /**< LIST / NUM_LIST entries (owned) */
    size_t n_list;                /**< LIST length */
} knob_param_value;

/** A set of hyperparameter values for one declared specification. */
typedef struct {
    const knob_param_spec *spec;  /**< the declaration (static storage, not owned) */
    size_t n;                     /**< number of parameters */
    knob_param_value *v;          /**< n values (owned) */
} knob_params;

/**
 * Initialise @p p with the defaults of @p spec.
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_params_init(knob_params *p, const knob_param_spec *spec, knob_err *err);

/** Free the values held by @p p (not @p p itself). Safe on a zeroed struct. */
void knob_params_free(knob_params *p);

/** Deep-copy @p src into the uninitialised @p dst. @return KNOB_OK or KNOB_ENOMEM */
int knob_params_copy(knob_params *dst, const knob_params *src, knob_err *err);

/** Index of parameter @p name, or -1. */
int knob_params_find(const knob_params *p, const char *name);

/**
 * Set a NUM, INT or BOOL parameter, checking type and range. @p what names the owner in messages
 * (e.g. "gbdt"). An unknown name is KNOB_EINVAL with the valid names listed.
 */
int knob_params_set_num(knob_params *p, const char *what, const char *name, double v, knob_err *err);

/** Set a STR parameter, checking it is one of the choices. */
int knob_params_set_str(knob_params *p, const char *what, const char *name, const char *v, knob_err *err);

/** Set a LIST or NUM_LIST parameter (entries checked against the bounds). */
int knob_params_set_list(knob_params *p, const char *what, const char *name, const double *v, size_t n,
                         knob_err *err);

/** Unset a nullable parameter. */
int knob_params_unset(knob_params *p, const char *what, const char *name, knob_err *err);

/** Value of NUM/INT/BOOL parameter @p name (the name must be declared; 0 if unset). */
double knob_params_num(const knob_params *p, const char *name);

/** Non-zero if parameter @p name is set. */
int knob_params_is_set(const knob_params *p, const char *name);

/** Value of STR parameter @p name (NULL if unset). */
const char *knob_params_str(const knob_params *p, const char *name);

/** LIST or NUM_LIST parameter @p name: entries (NULL if empty) and count in *@p n. */
const double *knob_params_list(const knob_params *p, const char *name, size_t *n);

/** Write "a, b, c" (the declared names) into @p buf. */
void knob_params_names(const knob_param_spec *spec, char *buf, size_t size);

#endif
