/**
 * @file metrics.h
 * @brief Classification and regression metrics on plain arrays, matching scikit-learn 1.2.1.
 *
 * Conventions shared by every function here:
 * - Class labels are **class codes**: doubles holding an integer 0..k-1 (the same encoding as a
 *   classification dataset's target, see dataset.h). A code that is not an integer in range is an error.
 * - Binary ranking metrics (ROC AUC, average precision, binary log loss, Brier score) take @p y01, a 0/1
 *   array where 1 marks the positive class.
 * - Probability / score matrices are n x k, row-major: @p proba[i * k + c] is the score of class c for
 *   sample i.
 * - @p w is an optional array of n sample weights (NULL = all ones). Weights must be finite, >= 0 and have a
 *   positive sum (scikit-learn accepts negative weights; knob rejects them). Every function takes weights
 *   except knob_metrics_max_error (scikit-learn's max_error has none either).
 * - Results go to caller-supplied @p out; functions return KNOB_OK or a negative knob_status and fill
 *   @p err with a message prefixed by the metric's name. Inputs are validated before anything is computed:
 *   n == 0 (empty input), NaN or infinite values, out-of-range codes and bad weights are KNOB_EINVAL; a
 *   value that is mathematically undefined for the input (ROC AUC with one class, ...) is KNOB_EUNDEF.
 * - Where scikit-learn warns and returns a conventional number, knob returns the same number silently
 *   (precision/recall/F zero_division, MCC of a constant prediction, R^2 / explained variance of a
 *   constant y_true). Where scikit-learn returns NaN or raises, knob returns an error (R^2 with n < 2,
 *   Cohen's kappa 0/0, ROC AUC / average precision with one class in y_true).
 */
#ifndef KNOB_METRICS_H
#define KNOB_METRICS_H

#include <stddef.h>

#include "knob/err.h"

/** Averaging of per-class precision / recall / F-scores and of one-vs-rest ranking scores. */
typedef enum {
    KNOB_AVERAGE_BINARY = 0,   /**< the positive class only (precision/recall/F) */
    KNOB_AVERAGE_MICRO = 1,    /**< global counts (precision/recall/F) */
    KNOB_AVERAGE_MACRO = 2,    /**< unweighted mean over classes */
    KNOB_AVERAGE_WEIGHTED = 3, /**< mean weighted by each class's (weighted) support in y_true */
    KNOB_AVERAGE_NONE = 4      /**< no averaging: one value per class */
} knob_average;

/** Cohen's kappa disagreement weights. */
typedef enum {
    KNOB_KAPPA_UNWEIGHTED = 0, /**< 0 on the diagonal, 1 elsewhere */
    KNOB_KAPPA_LINEAR = 1,     /**< |i - j| */
    KNOB_KAPPA_QUADRATIC = 2   /**< (i - j)^2 */
} knob_kappa_weights;

/** Parameters of knob_metrics_prf / knob_metrics_prf_cm. */
typedef struct {
    int average;          /**< a knob_average */
    size_t pos_label;     /**< code of the positive class for KNOB_AVERAGE_BINARY (must be < k) */
    double beta;          /**< F-beta weight, >= 0 (1 = F1; +INFINITY gives recall) */
    double zero_division; /**< value (0 or 1) of a precision/recall whose denominator is 0 */
} knob_prf_params;

/** Default parameters: binary average, positive class 1, beta 1, zero_division 0. */
knob_prf_params knob_prf_params_default(void);

/* ------------------------------------------------------------------------------------------------------
 * Classification from labels
 * ------------------------------------------------------------------------------------------------------ */

/**
 * Confusion matrix: cm[t * k + p] = (weighted) number of samples with true code t predicted as p.
 * @param y_true true codes (n)
 * @param y_pred predicted codes (n)
 * @param w      sample weights (n) or NULL
 * @param n      number of samples (> 0)
 * @param k      number of classes (> 0)
 * @param cm     output, k * k doubles (rows = true class)
 * @param err    error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_confusion(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                           double *cm, knob_err *err);

/**
 * Accuracy: (weighted) fraction of samples with y_pred == y_true.
 * @param y_true true codes (n); @param y_pred predicted codes (n); @param w weights or NULL
 * @param n samples (> 0); @param k classes (> 0); @param out the accuracy; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_accuracy(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                          double *out, knob_err *err);

/**
 * Balanced accuracy: mean recall over the classes present in y_true (classes with zero true support are
 * skipped, as scikit-learn does after its warning).
 * @param y_true true codes (n); @param y_pred predicted codes (n); @param w weights or NULL
 * @param n samples (> 0); @param k classes (> 0); @param out the score; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_balanced_accuracy(const double *y_true, const double *y_pred, const double *w, size_t n,
                                   size_t k, double *out, knob_err *err);

/**
 * Precision, recall and F-beta (scikit-learn's precision_recall_fscore_support). A ratio with a zero
 * denominator takes params->zero_division; F = (1 + b^2) P R / (b^2 P + R), 0 when that denominator is 0.
 * The weighted average weighs classes by their (weighted) support in y_true.
 * @param y_true    true codes (n)
 * @param y_pred    predicted codes (n)
 * @param w         weights or NULL
 * @param n         samples (> 0)
 * @param k         classes (> 0; KNOB_AVERAGE_BINARY needs k <= 2)
 * @param params    averaging, positive class, beta, zero_division (NULL = knob_prf_params_default())
 * @param precision output: k values for KNOB_AVERAGE_NONE, else 1 (may be NULL)
 * @param recall    output, same shape (may be NULL)
 * @param fscore    output, same shape (may be NULL)
 * @param support   output: k per-class (weighted) true counts (may be NULL)
 * @param err       error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_prf(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                     const knob_prf_params *params, double *precision, double *recall, double *fscore,
                     double *support, knob_err *err);

/**
 * Matthews correlation coefficient, multiclass generalization (R_K); 0 when undefined (constant y_true or
 * y_pred), as scikit-learn.
 * @param y_true true codes (n); @param y_pred predicted codes (n); @param w weights or NULL
 * @param n samples (> 0); @param k classes (> 0); @param out the coefficient; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_mcc(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                     double *out, knob_err *err);

/**
 * Cohen's kappa between two labelings. Linear and quadratic weights use the code order.
 * @param y_true  first labeling (n codes); @param y_pred second labeling (n codes); @param w weights or NULL
 * @param n       samples (> 0); @param k classes (> 0)
 * @param weights a knob_kappa_weights
 * @param out     kappa
 * @param err     error record
 * @return KNOB_OK, KNOB_EINVAL, or KNOB_EUNDEF when the expected disagreement is 0 (both labelings constant
 *         and equal; scikit-learn returns NaN)
 */
int knob_metrics_kappa(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                       int weights, double *out, knob_err *err);

/* The same metrics from a k x k confusion matrix (rows = true class; finite, >= 0 entries, positive
 * total), so one matrix can feed several metrics (a classification report). */

/**
 * precision / recall / F-beta from a confusion matrix; see knob_metrics_prf.
 * @param cm k * k confusion matrix; @param k classes; @param params see knob_metrics_prf (NULL = default)
 * @param precision, recall, fscore, support outputs as in knob_metrics_prf; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_prf_cm(const double *cm, size_t k, const knob_prf_params *params, double *precision,
                        double *recall, double *fscore, double *support, knob_err *err);

/**
 * Balanced accuracy from a confusion matrix; see knob_metrics_balanced_accuracy.
 * @param cm k * k confusion matrix; @param k classes; @param out the score; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_balanced_accuracy_cm(const double *cm, size_t k, double *out, knob_err *err);

/**
 * Matthews correlation from a confusion matrix; see knob_metrics_mcc.
 * @param cm k * k confusion matrix; @param k classes; @param out the coefficient; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_mcc_cm(const double *cm, size_t k, double *out, knob_err *err);

/**
 * Cohen's kappa from a confusion matrix; see knob_metrics_kappa.
 * @param cm k * k confusion matrix; @param k classes; @param weights a knob_kappa_weights
 * @param out kappa; @param err error record
 * @return KNOB_OK, KNOB_EINVAL or KNOB_EUNDEF
 */
int knob_metrics_kappa_cm(const double *cm, size_t k, int weights, double *out, knob_err *err);

/* ------------------------------------------------------------------------------------------------------
 * Classification from scores and probabilities
 * ------------------------------------------------------------------------------------------------------ */

/**
 * Binary ROC AUC, exact: the trapezoidal area under the ROC curve with tied scores grouped into one
 * threshold, which equals the Mann-Whitney U statistic with midranks.
 * @param y01   n values, 1 = positive, 0 = negative
 * @param score n finite scores (higher = more positive)
 * @param w     weights or NULL
 * @param n     samples (> 0)
 * @param out   the AUC
 * @param err   error record
 * @return KNOB_OK, KNOB_EINVAL, or KNOB_EUNDEF when y01 has only one class (with non-zero weight)
 */
int knob_metrics_roc_auc(const double *y01, const double *score, const double *w, size_t n, double *out,
                         knob_err *err);

/**
 * Average precision, scikit-learn's step definition (not interpolated): sum over distinct thresholds
 * (descending) of (R_t - R_{t-1}) * P_t.
 * @param y01 n values in {0, 1}; @param score n finite scores; @param w weights or NULL; @param n samples
 * @param out the AP; @param err error record
 * @return KNOB_OK, KNOB_EINVAL, or KNOB_EUNDEF when y01 has only one class (scikit-learn returns 1.0 for
 *         all-positive and -0.0 with a warning for all-negative input)
 */
int knob_metrics_average_precision(const double *y01, const double *score, const double *w, size_t n,
                                   double *out, knob_err *err);

/**
 * One-vs-rest ROC AUC for k >= 2 classes from an n x k probability matrix whose rows sum to 1 (within
 * numpy's allclose tolerance, |s - 1| <= 1e-8 + 1e-5 |s|, as scikit-learn checks).
 * @param y_true  true codes (n)
 * @param proba   n x k row-major scores
 * @param w       weights or NULL
 * @param n       samples (> 0)
 * @param k       classes (>= 2)
 * @param average KNOB_AVERAGE_MACRO, KNOB_AVERAGE_WEIGHTED (by class support) or KNOB_AVERAGE_NONE
 * @param out     1 value, or k values for KNOB_AVERAGE_NONE
 * @param err     error record
 * @return KNOB_OK, KNOB_EINVAL, or KNOB_EUNDEF when some class is absent from y_true
 */
int knob_metrics_roc_auc_ovr(const double *y_true, const double *proba, const double *w, size_t n, size_t k,
                             int average, double *out, knob_err *err);

/**
 * One-vs-rest average precision (what scikit-learn >= 1.3 computes for multiclass y_true; 1.2.1 only via
 * a binarized indicator matrix). Same arguments and errors as knob_metrics_roc_auc_ovr, except that rows
 * need not sum to 1.
 * @param y_true true codes (n); @param proba n x k scores; @param w weights or NULL; @param n samples
 * @param k classes (>= 2); @param average macro, weighted or none; @param out 1 or k values
 * @param err error record
 * @return KNOB_OK, KNOB_EINVAL or KNOB_EUNDEF
 */
int knob_metrics_average_precision_ovr(const double *y_true, const double *proba, const double *w, size_t n,
                                       size_t k, int average, double *out, knob_err *err);

/**
 * Log loss (cross-entropy) from an n x k probability matrix, as scikit-learn 1.2.1: every probability is
 * clipped to [eps, 1 - eps] with eps = DBL_EPSILON (1.2's eps="auto" for float64), each row is divided by
 * its sum, and the loss is the (weighted) mean of -log p[true class]. Unlike 1.2.1, which renormalizes any
 * row silently, knob rejects probabilities outside [0, 1] and rows whose sum is not 1 within
 * |s - 1| <= 1e-8 + 1e-5 |s| (KNOB_EINVAL).
 * @param y_true true codes (n); @param proba n x k probabilities; @param w weights or NULL
 * @param n samples (> 0); @param k classes (>= 2); @param out the mean loss; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_log_loss(const double *y_true, const double *proba, const double *w, size_t n, size_t k,
                          double *out, knob_err *err);

/**
 * Binary log loss from the probability of the positive class (scikit-learn's 1-D y_pred: p is clipped,
 * the row is (1 - p, p), then renormalized).
 * @param y01 n values in {0, 1}; @param p n probabilities in [0, 1]; @param w weights or NULL
 * @param n samples (> 0); @param out the mean loss; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_log_loss_binary(const double *y01, const double *p, const double *w, size_t n, double *out,
                                 knob_err *err);

/**
 * Brier score: (weighted) mean of (y01 - p)^2.
 * @param y01 n values in {0, 1}; @param p n probabilities in [0, 1]; @param w weights or NULL
 * @param n samples (> 0); @param out the score; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_brier(const double *y01, const double *p, const double *w, size_t n, double *out,
                       knob_err *err);

/* ------------------------------------------------------------------------------------------------------
 * Regression: y_true, y_pred are n finite doubles; w optional weights. All return KNOB_OK or KNOB_EINVAL
 * (plus KNOB_EUNDEF where stated).
 * ------------------------------------------------------------------------------------------------------ */

/**
 * Mean squared error.
 * @param y_true n targets; @param y_pred n predictions; @param w weights or NULL; @param n samples (> 0)
 * @param out the MSE; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_mse(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                     knob_err *err);

/**
 * Root mean squared error: sqrt of the (weighted) MSE (scikit-learn's squared=False).
 * @param y_true n targets; @param y_pred n predictions; @param w weights or NULL; @param n samples (> 0)
 * @param out the RMSE; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_rmse(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                      knob_err *err);

/**
 * Mean absolute error.
 * @param y_true n targets; @param y_pred n predictions; @param w weights or NULL; @param n samples (> 0)
 * @param out the MAE; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_mae(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                     knob_err *err);

/**
 * Coefficient of determination R^2 with scikit-learn's force_finite=True convention: when y_true is
 * constant (zero total sum of squares) the score is 1.0 for a perfect prediction and 0.0 otherwise.
 * @param y_true n targets; @param y_pred n predictions; @param w weights or NULL; @param n samples
 * @param out R^2; @param err error record
 * @return KNOB_OK, KNOB_EINVAL, or KNOB_EUNDEF when n < 2 (scikit-learn warns and returns NaN)
 */
int knob_metrics_r2(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                    knob_err *err);

/**
 * Mean absolute percentage error: (weighted) mean of |y_pred - y_true| / max(|y_true|, DBL_EPSILON), as a
 * fraction (not percent), exactly scikit-learn's epsilon handling.
 * @param y_true n targets; @param y_pred n predictions; @param w weights or NULL; @param n samples (> 0)
 * @param out the MAPE; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_mape(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                      knob_err *err);

/**
 * Explained variance 1 - Var(y_true - y_pred) / Var(y_true), with the same force_finite convention as R^2.
 * @param y_true n targets; @param y_pred n predictions; @param w weights or NULL; @param n samples (> 0)
 * @param out the score; @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_explained_variance(const double *y_true, const double *y_pred, const double *w, size_t n,
                                    double *out, knob_err *err);

/**
 * Maximum absolute residual (no weights, like scikit-learn).
 * @param y_true n targets; @param y_pred n predictions; @param n samples (> 0); @param out max |error|
 * @param err error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_metrics_max_error(const double *y_true, const double *y_pred, size_t n, double *out, knob_err *err);

/**
 * Median absolute error. Unweighted: the median (mean of the two middle values for even n). Weighted:
 * scikit-learn's _weighted_percentile(50), the smallest |error| whose cumulative weight reaches half the
 * total (so unit weights can differ from the unweighted median for even n, as in scikit-learn).
 * Allocates n scratch values.
 * @param y_true n targets; @param y_pred n predictions; @param w weights or NULL; @param n samples (> 0)
 * @param out the median; @param err error record
 * @return KNOB_OK, KNOB_EINVAL or KNOB_ENOMEM
 */
int knob_metrics_median_absolute_error(const double *y_true, const double *y_pred, const double *w, size_t n,
                                       double *out, knob_err *err);

#endif
