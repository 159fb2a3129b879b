/**
 * @file prep.h
 * @brief Preprocessing transformers: scalers, imputer, encoders, polynomial features, feature filters.
 *
 * A transformer is created from parameters (validated first), fitted on the rows of a dataset view (the
 * training rows only), and then transforms any dataset with the same columns into a NEW dataset (a new
 * frame; the target is copied through unchanged). It serializes to JSON text and back, so that it can be
 * saved inside a model pipeline.
 *
 * Columns are matched BY NAME. At fit the transformer records the schema of the dataset (column names,
 * kinds, level names); a dataset given to transform must have exactly those columns (in any order; the
 * output follows the fit-time order). Categorical values are matched by level NAME, never by level code:
 * two datasets read separately may give the same names different codes. A categorical column that is
 * passed through (or imputed) comes out with the fit-time levels first, in fit-time order, followed by any
 * level first seen at transform (in the order of the transform dataset's levels), so that known names
 * keep their fit-time codes.
 *
 * Column selection: every transformer takes an optional list of column names. Without one, the numeric
 * transformers (standardize, minmax, robust, poly, variance_filter, corr_filter, and impute with mean or
 * median) process every numeric column and pass categorical columns through unchanged; onehot and
 * ordinal process every categorical column and pass numeric columns through; impute with most_frequent or
 * constant processes every column. A listed column of the wrong kind (a categorical column for a numeric
 * transformer, a numeric column for an encoder) is an error.
 *
 * Missing values (NaN):
 * - standardize, minmax, robust, variance_filter ignore NaN at fit and keep NaN at transform. A selected
 *   column with no observed value in the training rows is passed through unchanged by the scalers, and
 *   dropped by variance_filter (its variance is undefined, like scikit-learn).
 * - corr_filter uses pairwise-complete rows for each pair; a pair with fewer than two common rows or a
 *   constant column has no correlation and never causes a drop.
 * - impute fills NaN; a selected column with no observed value in the training rows is an error for
 *   mean, median and most_frequent (not for constant).
 * - onehot: with missing = "category" (default) a NaN seen in the training rows becomes its own category,
 *   the last one, named "<column>=nan"; a NaN first seen at transform is an unknown category. With
 *   missing = "error" any NaN in a processed column, at fit or transform, is an error.
 * - ordinal keeps NaN as NaN.
 * - poly propagates NaN through the products.
 * Infinite values in a processed numeric column at fit are an error (they would make the state infinite).
 *
 * Category order (onehot, ordinal): the distinct levels seen in the training rows, sorted by name in byte
 * order (scikit-learn sorts string categories the same way), so the result does not depend on level codes.
 */
#ifndef KNOB_PREP_H
#define KNOB_PREP_H

#include <stddef.h>

#include "knob/dataset.h"
#include "knob/err.h"

/** The kinds of transformer. */
typedef enum {
    KNOB_PREP_STANDARDIZE = 0, /**< (x - mean) / std, population std; a constant column gets scale 1 */
    KNOB_PREP_MINMAX,          /**< (x - min) / (max - min) mapped onto [range_min, range_max] */
    KNOB_PREP_ROBUST,          /**< (x - median) / IQR, quantiles with linear interpolation */
    KNOB_PREP_IMPUTE,          /**< fill missing values */
    KNOB_PREP_ONEHOT,          /**< categorical column → one 0/1 column per category, named "col=level" */
    KNOB_PREP_ORDINAL,         /**< categorical column → numeric category index (0-based, sorted by name) */
    KNOB_PREP_POLY,            /**< polynomial and interaction features, scikit-learn's order and names */
    KNOB_PREP_VARIANCE,        /**< drop columns whose variance is not above a threshold */
    KNOB_PREP_CORR,            /**< drop the later column of every pair with |Pearson r| above a threshold */
    KNOB_PREP_N_KINDS
} knob_prep_kind;

/** Imputation strategies. */
typedef enum {
    KNOB_IMPUTE_MEAN = 0,
    KNOB_IMPUTE_MEDIAN,
    KNOB_IMPUTE_MOST_FREQUENT, /**< ties go to the smallest value / the first level name in byte order */
    KNOB_IMPUTE_CONSTANT
} knob_impute_strategy;

/** What to do with a category not seen at fit (onehot, ordinal). */
typedef enum {
    KNOB_UNKNOWN_ERROR = 0,    /**< an error naming the column, row and level */
    KNOB_UNKNOWN_IGNORE,       /**< onehot: all zeros */
    KNOB_UNKNOWN_VALUE         /**< ordinal: the value unknown_value */
} knob_unknown_policy;

/** Which category of each column onehot drops. */
typedef enum {
    KNOB_DROP_NONE = 0,
    KNOB_DROP_FIRST,           /**< the first category of every column */
    KNOB_DROP_IF_BINARY        /**< the first category of columns with exactly two categories */
} knob_drop_policy;

/** How onehot treats missing values. */
typedef enum {
    KNOB_MISSING_CATEGORY = 0, /**< NaN is a category of its own */
    KNOB_MISSING_ERROR         /**< NaN is an error */
} knob_missing_policy;

/** Parameters of a transformer. Initialise with knob_prep_params_init, then set what you need. */
typedef struct {
    int kind;                    /**< a knob_prep_kind */
    const char *const *columns;  /**< names of the columns to process, or NULL for the default selection */
    size_t n_columns;            /**< entries in columns (ignored when columns is NULL) */
    int with_mean;               /**< standardize: subtract the mean (default 1) */
    int with_std;                /**< standardize: divide by the standard deviation (default 1) */
    double range_min;            /**< minmax: lower end of the output range (default 0) */
    double range_max;            /**< minmax: upper end of the output range (default 1); > range_min */
    double q_low;                /**< robust: lower quantile in percent (default 25) */
    double q_high;               /**< robust: upper quantile in percent (default 75); 0 <= q_low < q_high <= 100 */
    int with_centering;          /**< robust: subtract the median (default 1) */
    int with_scaling;            /**< robust: divide by the quantile range (default 1) */
    int strategy;                /**< impute: a knob_impute_strategy (default mean) */
    double fill_value;           /**< impute constant: value for numeric columns (default 0), finite */
    const char *fill_level;      /**< impute constant: level for categorical columns (NULL = "missing"; a
                                      transformer's own copy is never NULL) */
    int handle_unknown;          /**< onehot: ERROR or IGNORE; ordinal: ERROR or VALUE (default ERROR) */
    int drop;                    /**< onehot: a knob_drop_policy (default none) */
    int missing;                 /**< onehot: a knob_missing_policy (default category) */
    double unknown_value;        /**< ordinal with handle_unknown VALUE: the code of unknown levels (NaN ok) */
    int degree;                  /**< poly: maximal degree, 1..16 (default 2) */
    int interaction_only;        /**< poly: only products of distinct columns (default 0) */
    int include_bias;            /**< poly: add a constant column named "1" first (default 0) */
    double threshold;            /**< variance_filter: keep variance > threshold (default 0), >= 0;
                                      corr_filter: drop |r| > threshold (default 0.95), in [0, 1] */
} knob_prep_params;

/** An opaque transformer. */
typedef struct knob_prep knob_prep;

/**
 * Name of a kind ("standardize", "minmax", "robust", "impute", "onehot", "ordinal", "poly",
 * "variance_filter", "corr_filter").
 * @param kind a knob_prep_kind
 * @return the name, or "?" for an invalid kind
 */
const char *knob_prep_kind_name(int kind);

/**
 * Kind from its name.
 * @param name a name as returned by knob_prep_kind_name
 * @return the knob_prep_kind, or -1 if the name is unknown
 */
int knob_prep_kind_from_name(const char *name);

/**
 * Set @p p to the defaults of @p kind (see knob_prep_params).
 * @param p    parameters to initialise
 * @param kind a knob_prep_kind
 */
void knob_prep_params_init(knob_prep_params *p, int kind);

/**
 * Check parameters without creating a transformer.
 * @param p   parameters
 * @param err error record: names the parameter at fault and the valid values
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_prep_params_check(const knob_prep_params *p, knob_err *err);

/**
 * Create an unfitted transformer. The parameters are validated and deep-copied (the caller keeps
 * ownership of @p p and its strings).
 * @param p   parameters
 * @param err error record
 * @return the transformer (free with knob_prep_free), or NULL with @p err set
 */
knob_prep *knob_prep_new(const knob_prep_params *p, knob_err *err);

/**
 * Free a transformer and set *@p p to NULL. Safe on NULL.
 * @param p address of the transformer pointer
 */
void knob_prep_free(knob_prep **p);

/**
 * The transformer's parameters (its own copy; valid while the transformer lives).
 * @param p transformer
 * @return the parameters
 */
const knob_prep_params *knob_prep_get_params(const knob_prep *p);

/**
 * Whether the transformer has been fitted.
 * @param p transformer
 * @return 1 if fitted, else 0
 */
int knob_prep_is_fitted(const knob_prep *p);

/**
 * Number of feature columns of the dataset the transformer was fitted on (0 if not fitted).
 * @param p transformer
 * @return the column count
 */
size_t knob_prep_n_inputs(const knob_prep *p);

/**
 * Number of feature columns a transform produces (0 if not fitted).
 * @param p transformer
 * @return the column count
 */
size_t knob_prep_n_outputs(const knob_prep *p);

/**
 * Learn the transformer's state from the rows of the view @p ds (a refit replaces the state; on failure
 * the previous state is kept).
 * @param p   transformer
 * @param ds  training rows (at least one row)
 * @param err error record: names the column (and row) at fault
 * @return KNOB_OK, KNOB_EINVAL (bad data for this transformer, unknown column in the selection),
 *         KNOB_EUNDEF (a statistic is undefined, e.g. the mean of an entirely missing column) or KNOB_ENOMEM
 */
int knob_prep_fit(knob_prep *p, const knob_dataset *ds, knob_err *err);

/**
 * Transform the rows of the view @p ds into a new dataset (new frame; feature columns in fit-time order,
 * target copied through). The input is not modified.
 * @param p   a fitted transformer
 * @param ds  a dataset with the fit-time columns (matched by name)
 * @param err error record
 * @return the new dataset (free with knob_dataset_free), or NULL with @p err set: KNOB_ESTATE (not
 *         fitted), KNOB_EINVAL (missing or extra column, kind mismatch, unknown category with
 *         handle_unknown ERROR, missing value with missing ERROR), KNOB_ENOMEM
 */
knob_dataset *knob_prep_transform(const knob_prep *p, const knob_dataset *ds, knob_err *err);

/**
 * Fit on @p ds, then transform it.
 * @param p   transformer
 * @param ds  training rows
 * @param err error record
 * @return the transformed dataset, or NULL with @p err set (see knob_prep_fit, knob_prep_transform)
 */
knob_dataset *knob_prep_fit_transform(knob_prep *p, const knob_dataset *ds, knob_err *err);

/**
 * Serialize to JSON text: {"format": "knob.transformer", "version": 1, "kind", "params", "fitted",
 * "schema" and "state" (when fitted)}. Doubles are written with %.17g (exact round trip); NaN as null.
 * @param p   transformer
 * @param err error record
 * @return NUL-terminated text owned by the caller (free with free()), or NULL with @p err set
 */
char *knob_prep_to_json(const knob_prep *p, knob_err *err);

/**
 * Rebuild a transformer from knob_prep_to_json text. Every field is checked; a corrupt or foreign
 * document is an error naming what is wrong (invalid JSON and where, wrong format, unsupported version,
 * missing or mistyped field with its path, inconsistent state).
 * @param text JSON text (need not be NUL-terminated)
 * @param len  length of @p text in bytes
 * @param err  error record (KNOB_EPARSE for malformed or inconsistent documents)
 * @return the transformer, or NULL with @p err set
 */
knob_prep *knob_prep_from_json(const char *text, size_t len, knob_err *err);

#endif
