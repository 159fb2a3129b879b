/**
 * @file dataset.h
 * @brief Tabular datasets: a reference-counted frame of columns and a row view over it.
 *
 * A knob_frame owns the data: a column-major matrix of doubles (categorical features as level codes,
 * missing values as NaN), per-column metadata, and an optional target. A knob_dataset is a view of a
 * frame: either all its rows (rows == NULL) or a list of row indices into the frame. Row subsets share the
 * frame (no copy of the values); the frame is freed when the last view goes.
 *
 * Fields are public for fast read access by models and metrics; treat them as read-only outside the
 * functions declared here (frames may be shared by several views).
 */
#ifndef KNOB_DATASET_H
#define KNOB_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "knob/err.h"

/** Kind of a column. */
typedef enum { KNOB_COL_NUMERIC = 0, KNOB_COL_CATEGORICAL = 1 } knob_col_kind;

/** Learning task of a dataset's target. */
typedef enum { KNOB_TASK_NONE = 0, KNOB_TASK_CLASSIFICATION = 1, KNOB_TASK_REGRESSION = 2 } knob_task;

/** Metadata of one column. */
typedef struct {
    char *name;         /**< column name (owned) */
    int kind;           /**< knob_col_kind */
    size_t n_levels;    /**< categorical: number of levels */
    char **levels;      /**< categorical: level names; code k stands for levels[k] (owned) */
    size_t n_missing;   /**< number of NaN values in the frame's rows of this column */
} knob_column;

/** The shared storage behind one or more datasets. */
typedef struct knob_frame {
    int refcount;         /**< number of knob_dataset views holding this frame */
    size_t n_rows;        /**< rows stored */
    size_t n_features;    /**< feature columns (the target is not one of them) */
    knob_column *cols;    /**< n_features column descriptions */
    double *X;            /**< column-major values: X[j * n_rows + i]; NaN = missing */
    int task;             /**< knob_task; KNOB_TASK_NONE when there is no target */
    knob_column target;   /**< target column description (name; for classification, levels = classes) */
    double *y;            /**< n_rows target values: class code 0..K-1, or the regression value; NULL if no target */
} knob_frame;

/** A view of a frame: all its rows, or a subset (possibly with repeats, e.g. a bootstrap sample). */
typedef struct knob_dataset {
    knob_frame *frame;    /**< shared storage (refcounted) */
    size_t n_rows;        /**< rows in this view */
    size_t *rows;         /**< frame row of each view row, or NULL for rows 0..n_rows-1 (owned) */
} knob_dataset;

/** Number of classes of a classification dataset (0 otherwise). */
static inline size_t knob_dataset_n_classes(const knob_dataset *ds)
{
    return ds->frame->task == KNOB_TASK_CLASSIFICATION ? ds->frame->target.n_levels : 0;
}

/** Frame row of view row @p i. */
static inline size_t knob_dataset_row(const knob_dataset *ds, size_t i)
{
    return ds->rows ? ds->rows[i] : i;
}

/** Value of feature @p j at view row @p i. */
static inline double knob_dataset_value(const knob_dataset *ds, size_t i, size_t j)
{
    return ds->frame->X[j * ds->frame->n_rows + knob_dataset_row(ds, i)];
}

/** Target value at view row @p i (the dataset must have a target). */
static inline double knob_dataset_target(const knob_dataset *ds, size_t i)
{
    return ds->frame->y[knob_dataset_row(ds, i)];
}

/**
 * Create a dataset over a new zero-filled frame. Feature columns are numeric and named "x1".."xp"; if
 * @p task is not KNOB_TASK_NONE the target is allocated, named "target", and (for classification)
 * given @p n_classes classes named "0".."K-1". Callers then fill X, y and metadata.
 * @param n_rows     number of rows
 * @param n_features number of feature columns
 * @param task       a knob_task
 * @param n_classes  classes (classification only, >= 1)
 * @param err        error record
 * @return the dataset, or NULL with @p err set
 */
knob_dataset *knob_dataset_new(size_t n_rows, size_t n_features, int task, size_t n_classes,
                               knob_err *err);

/**
 * Free a dataset view and, with the last view, its frame; sets *@p ds to NULL. Safe on NULL.
 * @param ds address of the dataset pointer
 */
void knob_dataset_free(knob_dataset **ds);

/**
 * Replace a column's name (or the target's name when @p j == (size_t)-1).
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_dataset_set_name(knob_dataset *ds, size_t j, const char *name, knob_err *err);

/**
 * Make column @p j (or the target when @p j == (size_t)-1) categorical with the given level names
 * (copied). For the target this also sets the task to classification.
 * @return KNOB_OK, KNOB_ENOMEM or KNOB_EINVAL (duplicate level names)
 */
int knob_dataset_set_levels(knob_dataset *ds, size_t j, const char *const *levels, size_t n_levels,
                            knob_err *err);

/**
 * A view of rows @p idx[0..n-1] of @p ds (indices relative to @p ds, repeats allowed). Shares the frame;
 * only the index list is allocated.
 * @return the new view, or NULL with @p err set (index out of range, no memory)
 */
knob_dataset *knob_dataset_subset(const knob_dataset *ds, const size_t *idx, size_t n, knob_err *err);

/**
 * A deep copy of @p ds with its own frame holding exactly the view's rows.
 * @return the copy or NULL with @p err set
 */
knob_dataset *knob_dataset_copy(const knob_dataset *ds, knob_err *err);

/**
 * Copy the view's values of feature @p j into @p out (n_rows doubles).
 */
void knob_dataset_gather_column(const knob_dataset *ds, size_t j, double *out);

/**
 * Copy the view's feature matrix into @p out (n_rows * n_features doubles).
 * @param row_major non-zero: out[i * p + j]; zero: out[j * n + i]
 */
void knob_dataset_gather_X(const knob_dataset *ds, double *out, int row_major);

/**
 * Copy the view's target values into @p out (n_rows doubles). The dataset must have a target.
 */
void knob_dataset_gather_y(const knob_dataset *ds, double *out);

/**
 * Count the view's rows per class into @p counts (knob_dataset_n_classes entries).
 */
void knob_dataset_class_counts(const knob_dataset *ds, size_t *counts);

/**
 * Recount the frame's missing values per column (after filling X by hand).
 */
void knob_dataset_count_missing(knob_dataset *ds);

/**
 * Count the view's missing (NaN) values per feature into @p out (n_features entries). Unlike the frame's
 * knob_column.n_missing, this counts only the rows in the view (with repeats).
 * @param ds  the dataset
 * @param out n_features counts
 */
void knob_dataset_missing_counts(const knob_dataset *ds, size_t *out);

/**
 * Count the view's values per level of a categorical column (missing values are not counted).
 * @param ds     the dataset
 * @param j      feature index, or (size_t)-1 for a classification target
 * @param counts n_levels counts (the column's knob_column.n_levels entries)
 */
void knob_dataset_level_counts(const knob_dataset *ds, size_t j, size_t *counts);

/** Summary statistics of one numeric column over a view; missing values are left out. */
typedef struct {
    size_t count;   /**< non-missing values */
    size_t missing; /**< missing (NaN) values */
    double mean;    /**< arithmetic mean; NaN when count == 0 */
    double std;     /**< sample standard deviation (divisor count - 1); NaN when count < 2 */
    double min;     /**< smallest value; NaN when count == 0 */
    double q25;     /**< quartiles by linear interpolation between order statistics at position */
    double q50;     /**< q * (count - 1) (numpy's and pandas' default "linear" method); NaN when */
    double q75;     /**< count == 0 */
    double max;     /**< largest value; NaN when count == 0 */
} knob_col_summary;

/**
 * Summary statistics of a numeric feature (or of a regression target) over the view.
 * @param ds  the dataset
 * @param j   feature index, or (size_t)-1 for the target
 * @param out filled with the statistics
 * @param err error record
 * @return KNOB_OK; KNOB_EINVAL if the column is categorical (or a classification target) or out of
 *         range; KNOB_ENOMEM
 */
int knob_dataset_summarize(const knob_dataset *ds, size_t j, knob_col_summary *out, knob_err *err);

/**
 * Find a column by name.
 * @param ds   the dataset
 * @param name column name
 * @param j    set to the feature index, or to (size_t)-1 when @p name is the target's name
 * @param err  error record
 * @return KNOB_OK, or KNOB_EINVAL ("unknown column 'x' (columns: a, b, ...)")
 */
int knob_dataset_find_column(const knob_dataset *ds, const char *name, size_t *j, knob_err *err);

/**
 * A new dataset (own frame) with the view's rows and the features @p cols[0..n-1] in that order, plus the
 * target. Column names must stay distinct, so a feature may not be selected twice.
 * @param ds   the dataset
 * @param cols feature indices (0-based)
 * @param n    number of features to keep (>= 1)
 * @param err  error record
 * @return the new dataset, or NULL with @p err set (KNOB_EINVAL: empty, out of range or repeated column;
 *         KNOB_ENOMEM)
 */
knob_dataset *knob_dataset_select(const knob_dataset *ds, const size_t *cols, size_t n, knob_err *err);

/**
 * A new dataset (own frame) with the rows of @p a followed by the rows of @p b. Both must have the same
 * schema: feature names, kinds and levels, task, target name and classes.
 * @return the new dataset, or NULL with @p err set (KNOB_EINVAL naming the first difference; KNOB_ENOMEM)
 */
knob_dataset *knob_dataset_concat(const knob_dataset *a, const knob_dataset *b, knob_err *err);

/**
 * Bytes held by the view alone (the struct and its row index list), not counting the shared frame.
 * A row subset of a large dataset is small by this measure: it copies no values.
 */
size_t knob_dataset_view_bytes(const knob_dataset *ds);

/**
 * Bytes of memory held by the view (its index list) plus its frame (values, metadata).
 */
size_t knob_dataset_bytes(const knob_dataset *ds);

/**
 * A 64-bit content fingerprint of the view: column names, kinds, levels, target and every value in view
 * order. Two datasets with the same content have the same fingerprint on every machine.
 * @param out 17 bytes: 16 lowercase hex digits and a NUL
 */
void knob_dataset_fingerprint(const knob_dataset *ds, char out[17]);

#endif
