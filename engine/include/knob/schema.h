/**
 * @file schema.h
 * @brief The column schema a fitted object (model, transformer) remembers, and aligning new data to it.
 *
 * Two datasets read separately give the same level name different codes and may order columns
 * differently; anything fitted on one and applied to the other must match columns and levels BY NAME.
 */
#ifndef KNOB_SCHEMA_H
#define KNOB_SCHEMA_H

#include <stddef.h>

#include "knob/dataset.h"
#include "knob/err.h"

/** The training schema a fitted model remembers, so prediction data is checked and mapped by name. */
typedef struct {
    size_t n_features;
    char **names;          /**< feature names */
    int *kinds;            /**< knob_col_kind per feature */
    size_t *n_levels;      /**< levels per categorical feature (0 for numeric) */
    char ***levels;        /**< level names per categorical feature */
    int task;              /**< knob_task */
    char *target_name;
    size_t n_classes;      /**< classification: number of classes */
    char **classes;        /**< classification: class names (code k = classes[k]) */
} knob_schema;

/** Record the schema of @p ds into @p s (an uninitialised or freed schema). */
int knob_schema_from_dataset(knob_schema *s, const knob_dataset *ds, knob_err *err);

/** Deep-copy @p src into the uninitialised @p dst. */
int knob_schema_copy(knob_schema *dst, const knob_schema *src, knob_err *err);

/** Free a schema's contents and zero it. Safe on a zeroed schema. */
void knob_schema_free(knob_schema *s);

/**
 * Align @p ds to @p s: every schema feature must exist in @p ds by name with the same kind (extra columns
 * are ignored); categorical codes are translated by level name, and a level the schema does not know
 * becomes NaN (missing) and is counted in *@p n_unknown (may be NULL).
 * @param aligned receives NULL when @p ds already matches (use it as is), else a new dataset (caller frees)
 * @return KNOB_OK, or KNOB_EINVAL naming the missing or mismatched column
 */
int knob_schema_align(const knob_schema *s, const knob_dataset *ds, knob_dataset **aligned,
                      size_t *n_unknown, knob_err *err);

#endif
