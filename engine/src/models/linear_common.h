/*
 * linear_common.h — what the linear model kinds (linear.c, logistic.c) share (internal, not public API):
 * the design matrix (numeric features as they are, categorical features one-hot by level code), weighted
 * column moments, standardized-coefficient importances and the per-iteration report (history + callback).
 */
#ifndef KNOB_LINEAR_COMMON_H
#define KNOB_LINEAR_COMMON_H

#include <stddef.h>

#include "knob/err.h"
#include "knob/model.h"

struct cJSON;

/** How the schema's features expand into design-matrix columns. */
typedef struct {
    size_t n_in;     /**< features in the schema */
    size_t p;        /**< design columns: 1 per numeric feature, n_levels per categorical feature */
    size_t *first;   /**< n_in + 1 entries: feature j covers columns first[j] .. first[j+1]-1 */
    int all_numeric; /**< non-zero when no feature is categorical (columns = features) */
} knob_design;

/**
 * Lay out the design columns of schema @p s.
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_design_init(knob_design *d, const knob_schema *s, knob_err *err);

/** Free the layout's arrays and zero it. Safe on a zeroed layout. */
void knob_design_free(knob_design *d);

/** A design matrix: n rows, column c of row i at X[c * ld + i] (ld >= n). */
typedef struct {
    const double *X;
    size_t n, ld;
    double *owned;   /**< the malloc'd storage behind X, or NULL when X points into a dataset's frame */
} knob_dmat;

/** Free the matrix's own storage (if any) and zero it. */
void knob_dmat_free(knob_dmat *a);

/**
 * The n x p column-major design matrix of @p ds (aligned to schema @p s).
 * Numeric features are copied; categorical feature j with L levels gives L indicator columns (code k sets
 * column first[j] + k). A missing or infinite numeric value is an error naming the feature and the row. A
 * missing categorical value (NaN: missing, or a level not seen when fitting) is an error when @p fitting,
 * and all-zero indicators otherwise (like scikit-learn's OneHotEncoder(handle_unknown="ignore")).
 * @param fitting non-zero while fitting (stricter about missing values)
 * @param copy    non-zero: always return a private copy with ld = n (the caller may overwrite out->owned)
 * @param kind    model kind, for messages
 * @param out     receives the matrix: a window of the frame's own storage (no copy) when the view's rows are
 *                consecutive frame rows in order, all features are numeric and @p copy is 0; else a copy
 * @return KNOB_OK, KNOB_EINVAL (missing value) or KNOB_ENOMEM
 */
int knob_design_matrix(const knob_design *d, const knob_schema *s, const knob_dataset *ds, int fitting, int copy,
                       const char *kind, knob_dmat *out, knob_err *err);

/**
 * Weighted mean and standard deviation (population, divided by the weight sum) of each of the @p p columns
 * of @p a; @p w may be NULL (all 1). Returns the weight sum.
 */
double knob_column_moments(const knob_dmat *a, size_t p, const double *w, double *mean, double *sd);

/**
 * Importances from coefficients: |coef| times the column's training standard deviation, summed over the
 * @p m output columns of @p coef (p x m column-major) and over a categorical feature's indicator columns,
 * normalised to sum 1 (all zero when every coefficient is zero).
 * @param out n_in entries
 */
void knob_design_importances(const knob_design *d, const double *coef, size_t m, const double *sd, double *out);

/** The fitted state of a linear model kind (m->state). */
typedef struct {
    knob_design d;
    size_t m;          /**< score columns: 1 (regression, binary) or the number of fitted classes */
    double *coef;      /**< p x m column-major: coef[k * p + c] for design column c, score column k */
    double *intercept; /**< m */
    double *scale;     /**< p: weighted training standard deviation of each design column (importances) */
    size_t kf;         /**< classifiers: classes present in the training data (0 for regression) */
    size_t *cls;       /**< classifiers: the kf schema class codes, increasing (NULL for regression) */
} knob_linear_state;

/**
 * A zeroed state in m->state (replacing none: the caller frees any old one) with the design layout of
 * m->schema and arrays for @p outputs score columns and @p kf classes (0 for regression).
 * @return the state, or NULL with @p err set (the partial state stays in m->state for free_state)
 */
knob_linear_state *knob_linear_state_new(knob_model *m, size_t outputs, size_t kf, knob_err *err);

/** free_state of the linear kinds: free m->state and null it (idempotent). */
void knob_linear_state_free(knob_model *m);

/** save of the linear kinds: coef, intercept and scale (and classes for classifiers) into @p obj. */
int knob_linear_state_save(const knob_model *m, struct cJSON *obj, knob_err *err);

/** Read coef, intercept and scale of the state made by knob_linear_state_new; errors name the field. */
int knob_linear_state_load(knob_linear_state *s, const struct cJSON *obj, knob_err *err);

/** importances of the linear kinds (see knob_design_importances). */
int knob_linear_importances(const knob_model *m, double *out, knob_err *err);

/** n_learned of the linear kinds: coefficients plus intercepts (when fitted). */
size_t knob_linear_n_learned(const knob_model *m);

/** state_bytes of the linear kinds. */
size_t knob_linear_state_bytes(const knob_model *m);

/**
 * Record one iteration: append it to m->history and call the fit callback.
 * @return 0 to continue, 1 when the callback asked to stop, or a negative knob_status
 */
int knob_linear_report(knob_model *m, const knob_fit_opts *o, size_t iteration, double train_loss,
                       double valid_loss, double valid_metric, knob_err *err);

#endif
