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

/** Weighted median of y[0..n-1] (weights may be NULL = all 1); the lower median on ties, like numpy for
 *  unweighted odd n and the mean of the two middle values for unweighted even n. Does not modify y. */
double knob_weighted_median(const double *y, const double *w, size_t n);

/** Read a JSON array of exactly @p n finite numbers into a new malloc'd array; NULL with err naming @p field
 *  (a number too large for a double, e.g. 1e999, is refused: it could not be saved again). */
double *knob_json_doubles(const struct cJSON *arr, size_t n, const char *field, knob_err *err);

/** Read a finite JSON number; KNOB_EPARSE naming @p field if absent, not a number or not finite. */
int knob_json_number(const struct cJSON *item, const char *field, double *out, knob_err *err);

/** snprintf into a describe() buffer. */
void knob_describe_printf(char *buf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
