/**
 * @file model.h
 * @brief One interface for every model: a vtable per kind, typed hyperparameters, fit/predict,
 *        per-iteration history and callbacks, JSON persistence.
 *
 * A model kind (gbdt, logistic, ...) is a static knob_model_vtable registered in model_registry.c. A
 * knob_model holds the kind, its hyperparameters (params.h), the schema of the data it was fitted on and the
 * kind's private fitted state. Hyperparameters are validated before fitting (generic checks from the
 * declaration, then the kind's own cross-parameter check).
 */
#ifndef KNOB_MODEL_H
#define KNOB_MODEL_H

#include <stddef.h>

#include "knob/dataset.h"
#include "knob/err.h"
#include "knob/params.h"
#include "knob/schema.h"

struct cJSON;

/** What one iteration (boosting round, epoch) of an iterative model reports. */
typedef struct {
    size_t iteration;      /**< 1-based */
    double train_loss;     /**< NaN if not computed */
    double valid_loss;     /**< NaN without an eval set */
    double valid_metric;   /**< NaN without an eval set; the kind's default metric (documented per kind) */
    double learning_rate;  /**< the rate used this iteration (NaN if not applicable) */
} knob_iter_info;

/**
 * Called after each iteration. Return 0 to continue, 1 to stop training cleanly (the model keeps what it
 * has), or a negative knob_status to abort the fit with an error (the callback fills @p err).
 */
typedef int (*knob_iter_callback)(void *ud, const knob_iter_info *info, knob_err *err);

/** Options for one fit. Zero-initialise. */
typedef struct {
    const double *sample_weight;   /**< one weight per training row (>= 0, finite), or NULL */
    const knob_dataset *eval_set;  /**< validation data for history / early stopping, or NULL */
    knob_iter_callback callback;   /**< per-iteration callback, or NULL */
    void *callback_ud;             /**< passed to the callback */
    int threads;                   /**< worker threads (0 = the model's n_jobs / default) */
} knob_fit_opts;

/** Per-iteration record kept by iterative models (a growing array). */
typedef struct {
    knob_iter_info *it;
    size_t n, cap;
    char status[128];      /**< how training ended: "converged", "max_iter", "early_stopping", "diverged: ..." */
} knob_history;

typedef struct knob_model knob_model;

/** The operations of one model kind. Optional entries may be NULL. */
typedef struct knob_model_vtable {
    const char *kind;                  /**< e.g. "gbdt" */
    const char *summary;               /**< one line: what the model is */
    unsigned tasks;                    /**< bit (1 << KNOB_TASK_CLASSIFICATION) | (1 << KNOB_TASK_REGRESSION) */
    const knob_param_spec *params;     /**< hyperparameter declaration, name-NULL terminated */
    /** Cross-parameter validation; NULL or a message naming the parameter(s) at fault. */
    const char *(*check)(const knob_params *p);
    /** Fit on @p train (schema already recorded in m->schema). */
    int (*fit)(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err);
    /** Predictions: regression values, or class codes (as doubles); @p out has n_rows entries. */
    int (*predict)(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err);
    /** Class probabilities, n_rows x n_classes row-major (classifiers only). */
    int (*predict_proba)(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err);
    /** Fitted state to JSON (added to @p obj); NULL-able for stateless kinds. */
    int (*save)(const knob_model *m, struct cJSON *obj, knob_err *err);
    /** Fitted state from JSON; errors name the field at fault. */
    int (*load)(knob_model *m, const struct cJSON *obj, knob_err *err);
    /** Free the fitted state (m->state), idempotent. */
    void (*free_state)(knob_model *m);
    /** Feature importances (n_features entries, normalised to sum 1 where defined). */
    int (*importances)(const knob_model *m, double *out, knob_err *err);
    /** Number of learned parameters (coefficients, leaves, weights). */
    size_t (*n_learned)(const knob_model *m);
    /** Bytes held by the fitted state. */
    size_t (*state_bytes)(const knob_model *m);
    /** Short description of the fitted state for __tostring, e.g. "200 trees". */
    void (*describe)(const knob_model *m, char *buf, size_t size);
    /** Named numbers learned by the fit (e.g. "oob_score"): fills up to @p cap pairs, returns the count.
     *  Model:info() shows them. */
    size_t (*fit_numbers)(const knob_model *m, const char **names, double *values, size_t cap);
    /** Number of outputs SHAP values explain (see knob_model_shap); NULL-able (no SHAP). */
    size_t (*shap_outputs)(const knob_model *m);
    /** Exact SHAP values of @p ds (aligned to the schema): see knob_model_shap for the layout. */
    int (*shap)(const knob_model *m, const knob_dataset *ds, double *phi, double *expected, knob_err *err);
} knob_model_vtable;

/** A model: kind, hyperparameters, and (once fitted) schema and state. */
struct knob_model {
    const knob_model_vtable *vt;
    knob_params params;
    int fitted;
    knob_schema schema;    /**< valid when fitted */
    knob_history history;  /**< iterative models append here during fit */
    double fit_seconds;    /**< wall time of the last fit */
    void *state;           /**< the kind's fitted state */
    char *monitor;         /**< NULL, or the JSON text of an object of reference statistics for monitoring
                                (knob.monitor), saved as the top-level "monitor" field; owned, dropped on refit */
};

/** The vtable of model kind @p kind, or NULL. */
const knob_model_vtable *knob_model_find_kind(const char *kind);

/** All registered kinds; *@p n receives the count. */
const knob_model_vtable *const *knob_model_kinds(size_t *n);

/** A new unfitted model of @p kind with default hyperparameters; an unknown kind lists the valid ones. */
knob_model *knob_model_new(const char *kind, knob_err *err);

/** Free a model and null the pointer. Safe on NULL. */
void knob_model_free(knob_model **m);

/** An unfitted model with the same kind and hyperparameters. */
knob_model *knob_model_clone(const knob_model *m, knob_err *err);

/** Validate the hyperparameters (generic checks happen in the setters; this runs the kind's check). */
int knob_model_check(const knob_model *m, knob_err *err);

/**
 * Validate, then fit on @p train. The dataset needs a target of a task the kind supports. Frees any previous
 * fitted state first. Records the schema, the history and fit_seconds.
 */
int knob_model_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err);

/**
 * Predict into @p out (n_rows doubles): values, or class codes. The data is aligned to the fitted schema
 * first (knob_schema_align): columns by name, categorical levels by name.
 */
int knob_model_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err);

/** Class probabilities into @p out (n_rows x n_classes, row-major). */
int knob_model_predict_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err);

/** Feature importances into @p out (n_features). KNOB_ESTATE if the kind has none. */
int knob_model_importances(const knob_model *m, double *out, knob_err *err);

/**
 * Number of outputs knob_model_shap explains for the fitted @p m: tree / forest / extra_trees: the class
 * probabilities (n_classes) of a classifier, 1 for regression; gbdt: the raw score (log-odds of the positive
 * class for binary, one raw margin per class for multiclass, the prediction for regression). 0 if the kind
 * has no SHAP values or @p m is not fitted.
 */
size_t knob_model_shap_outputs(const knob_model *m);

/**
 * Exact TreeSHAP values (Lundberg et al. 2018, Algorithm 2, path-dependent: the conditional expectations
 * weight each branch by the training rows (covers) that reached it). The data is aligned to the fitted
 * schema first. For every row i, output o = 0..K-1 (K = knob_model_shap_outputs) and feature j,
 * phi[(i * K + o) * n_features + j] is feature j's contribution; expected[o] + sum_j phi[.. j] equals the
 * model's output o for row i (local accuracy).
 * @param m        a fitted tree, forest, extra_trees or gbdt model (saved with node covers)
 * @param ds       the rows to explain
 * @param phi      receives n_rows * K * n_features doubles
 * @param expected receives K doubles: the cover-weighted mean output (the value with no feature known)
 * @param err      error record
 * @return KNOB_OK; KNOB_ESTATE (not fitted, a kind without SHAP, a model file without covers); KNOB_EINVAL
 *         (data that does not fit the schema, a missing value a tree cannot route); KNOB_ENOMEM
 */
int knob_model_shap(const knob_model *m, const knob_dataset *ds, double *phi, double *expected, knob_err *err);

/** Save to a JSON text (malloc'd, caller frees): format, version, kind, params, schema, history, state, and
 *  (when set) monitor. */
char *knob_model_to_json(const knob_model *m, knob_err *err);

/** Load a model from JSON text; a corrupt or foreign file is a clear error naming what is wrong. */
knob_model *knob_model_from_json(const char *text, size_t len, knob_err *err);

/** Append one iteration to a history. @return KNOB_OK or KNOB_ENOMEM */
int knob_history_push(knob_history *h, const knob_iter_info *info, knob_err *err);

#endif
