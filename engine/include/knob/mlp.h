/**
 * @file mlp.h
 * @brief Extras of the multilayer perceptron model kind ("mlp"): the learning-rate range test and a
 *        gradient check used by the test suite. The model itself is used through model.h
 *        (knob_model_new("mlp", ...)); its hyperparameters are listed by knob_model_kinds().
 *
 * The MLP in brief (details in engine/src/models/mlp.c):
 * - hidden layers with relu / tanh / sigmoid / gelu (exact, erf-based); output: one sigmoid unit for two
 *   classes, softmax for three or more, identity for regression. Loss: cross-entropy, or half the squared
 *   error for regression (scikit-learn's convention).
 * - learning-rate schedules, per epoch e = 1..E with warm-up W (lr * e / (W + 1) for e <= W), then
 *   t = e - W - 1 and T = E - W:
 *     constant     lr
 *     step         lr * gamma^floor(t / step_size)
 *     exponential  lr * gamma^t
 *     cosine       min_lr + (lr - min_lr) * (1 + cos(pi t / T)) / 2
 *     cyclic       min_lr + (lr - min_lr) * max(0, 1 - |t / s - 2 floor(t / (2 s)) - 1|),  s = step_size
 *     one_cycle    PyTorch's OneCycleLR (cosine, pct_start 0.3, div_factor 25, final_div_factor 1e4) with
 *                  one step per epoch: from lr/25 up to lr at t = 0.3 T - 1, then down to lr/25e4 at T - 1.
 */
#ifndef KNOB_MLP_H
#define KNOB_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "knob/dataset.h"
#include "knob/err.h"
#include "knob/model.h"

/** Options of the learning-rate range test. */
typedef struct {
    double lr_min;       /**< first learning rate, > 0 (1e-7) */
    double lr_max;       /**< last learning rate, > lr_min (10) */
    size_t steps;        /**< mini-batches, >= 2 (100); the rate grows by (lr_max / lr_min)^(1 / (steps - 1)) */
    double smoothing;    /**< exponential smoothing of the loss, in [0, 1) (0.98) */
    double stop_factor;  /**< stop once the smoothed loss exceeds stop_factor x its minimum, > 1 (4) */
} knob_mlp_lr_range_opts;

/** Set @p o to the defaults listed in knob_mlp_lr_range_opts. */
void knob_mlp_lr_range_init(knob_mlp_lr_range_opts *o);

/** What the range test measured: one entry per mini-batch run. */
typedef struct {
    size_t n;          /**< steps run (fewer than asked when the loss blew up) */
    double *lrs;       /**< learning rate of each step */
    double *losses;    /**< loss of each step's mini-batch (before its update) */
    double *smoothed;  /**< bias-corrected exponential moving average of the losses */
} knob_mlp_lr_range;

/**
 * Leslie Smith's learning-rate range test: train a fresh network with the hyperparameters of @p m (an mlp;
 * its learning_rate and lr_schedule are ignored) on mini-batches of @p ds while the learning rate grows
 * exponentially from lr_min to lr_max, recording each batch's loss; stop early when the smoothed loss
 * exceeds stop_factor times its minimum or is not finite. @p m is not modified.
 * @param m   an mlp model (fitted or not)
 * @param ds  training data with a target (numeric features without missing values)
 * @param o   options (NULL: defaults)
 * @param out receives the curve (free with knob_mlp_lr_range_free)
 * @param err error record
 * @return KNOB_OK, KNOB_EINVAL (not an mlp, bad options or data) or KNOB_ENOMEM
 */
int knob_mlp_lr_range_test(const knob_model *m, const knob_dataset *ds, const knob_mlp_lr_range_opts *o,
                           knob_mlp_lr_range *out, knob_err *err);

/** Free the arrays of a range-test result and zero it. Safe on a zeroed struct. */
void knob_mlp_lr_range_free(knob_mlp_lr_range *r);

/** Options of the gradient check (a tiny random network on random data). */
typedef struct {
    size_t n_rows;         /**< rows of random data, >= 1 */
    size_t n_features;     /**< inputs, >= 1 */
    const size_t *hidden;  /**< hidden layer sizes (each >= 1) */
    size_t n_hidden;       /**< hidden layers, >= 0 */
    const char *activation;/**< "relu", "tanh", "sigmoid" or "gelu" */
    size_t n_classes;      /**< 0: regression; 2: sigmoid output; >= 3: softmax */
    double dropout;        /**< dropout rate of every hidden layer (masks drawn once and kept), in [0, 1) */
    double weight_decay;   /**< L2 term wd/2 * sum of squared weights added to the loss, >= 0 */
    int weighted;          /**< non-zero: random sample weights */
    uint64_t seed;         /**< seed of the data, the weights and the masks */
} knob_mlp_grad_check_opts;

/**
 * Compare the backpropagated gradient of the mean loss with central finite differences (step 1e-6) for
 * every parameter. Test hook.
 * @param o        options
 * @param max_rel  receives max over parameters of |analytic - numeric| / max(|analytic| + |numeric|, 1e-8)
 * @param max_abs  receives max over parameters of |analytic - numeric|
 * @param err      error record
 * @return KNOB_OK, KNOB_EINVAL (bad options) or KNOB_ENOMEM
 */
int knob_mlp_grad_check(const knob_mlp_grad_check_opts *o, double *max_rel, double *max_abs, knob_err *err);

#endif
