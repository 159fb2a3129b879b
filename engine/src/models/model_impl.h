/*
 * model_impl.h — internal helpers shared by the model kinds in engine/src/models/ (not public API).
 *
 * To add a model kind: write engine/src/models/<kind>.c defining `const knob_model_vtable knob_model_<kind>`
 * (see dummy.c for a complete small example), declare it below and list it in model_registry.c.
 */
#ifndef KNOB_MODEL_IMPL_H
#define KNOB_MODEL_IMPL_H

#include <stddef.h>

#include "knob/err.h"
#include "knob/model.h"

struct cJSON;

extern const knob_model_vtable knob_model_dummy;
extern const knob_model_vtable knob_model_linear;
extern const knob_model_vtable knob_model_logistic;
extern const knob_model_vtable knob_model_mlp;
extern const knob_model_vtable knob_model_knn;
extern const knob_model_vtable knob_model_naive_bayes;
extern const knob_model_vtable knob_model_tree;
extern const knob_model_vtable knob_model_forest;
extern const knob_model_vtable knob_model_extra_trees;
extern const knob_model_vtable knob_model_gbdt;

/** Weighted median of y[0..n-1] (weights may be NULL = all 1); the lower median on ties, like numpy for
 *  unweighted odd n and the mean of the two middle values for unweighted even n. Does not modify y. */
double knob_weighted_median(const double *y, const double *w, size_t n);

/** Read a JSON array of exactly @p n finite numbers into a new malloc'd array; NULL with err naming @p field
 *  (a number too large for a double, e.g. 1e999, is refused: it could not be saved again). */
double *knob_json_doubles(const struct cJSON *arr, size_t n, const char *field, knob_err *err);

/** Read a finite JSON number; KNOB_EPARSE naming @p field if absent, not a number or not finite. */
int knob_json_number(const struct cJSON *item, const char *field, double *out, knob_err *err);

/**
 * Check that @p ds suits a model that needs dense numeric features: no categorical column (the message points to
 * knob.prep.onehot) and no missing or infinite value (the message names the feature and the 1-based row).
 * @param kind the model kind, for messages
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_check_dense(const knob_dataset *ds, const char *kind, knob_err *err);

/** Copy view rows [r0, r0 + nr) of @p ds into @p out, row-major (nr x n_features). */
void knob_gather_rows(const knob_dataset *ds, size_t r0, size_t nr, double *out);

/**
 * Read the fitted-state field @p name of @p obj: a JSON array of exactly @p n numbers, each finite, in [lo, hi]
 * and (if @p integral) a whole number, into the caller's @p dst. Errors name the field "state.<name>".
 * @return KNOB_OK, KNOB_EPARSE or KNOB_ENOMEM
 */
int knob_json_state_doubles(const struct cJSON *obj, const char *name, size_t n, double *dst, double lo, double hi,
                            int integral, knob_err *err);

/**
 * Add field @p name to @p obj: a JSON array of the @p n doubles printed with %.17g, so they read back bit for bit
 * (cJSON's own printing may round the last bit); non-finite values become null.
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_json_add_doubles(struct cJSON *obj, const char *name, const double *v, size_t n, knob_err *err);

/** snprintf into a describe() buffer. */
void knob_describe_printf(char *buf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
