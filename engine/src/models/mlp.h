/*
 * mlp.h — internals of the multilayer perceptron (not public API): the network and its per-batch workspace
 * (mlp_layers.c), optimizers and learning-rate schedules (mlp_optim.c). The model kind, the training loop
 * and the LR range test are in mlp.c; the public entry points are in engine/include/knob/mlp.h.
 *
 * Layout of the parameters: one contiguous vector theta, all weight matrices first (layer 1..L, each
 * fan_in x fan_out row-major, so a batch (B x fan_in) times W gives B x fan_out with one cblas_dgemm), then
 * all bias vectors. Weight decay applies to theta[0, n_weights) only — never to biases. Gradients and the
 * optimizer's moment buffers use the same layout, so an optimizer step is one loop over n_params.
 */
#ifndef KNOB_MLP_INTERNAL_H
#define KNOB_MLP_INTERNAL_H

#include <stddef.h>

#include "knob/err.h"
#include "knob/rng.h"

/** Hidden-layer activations. */
enum { KNOB_MLP_RELU, KNOB_MLP_TANH, KNOB_MLP_SIGMOID, KNOB_MLP_GELU };

/** Output layers: one sigmoid unit (binary), softmax over K units (K >= 3 classes), identity (regression). */
enum { KNOB_MLP_OUT_SIGMOID, KNOB_MLP_OUT_SOFTMAX, KNOB_MLP_OUT_IDENTITY };

/** Optimizers. */
enum { KNOB_MLP_SGD, KNOB_MLP_MOMENTUM, KNOB_MLP_NESTEROV, KNOB_MLP_ADAM, KNOB_MLP_ADAMW };

/** Learning-rate schedules (per epoch). */
enum { KNOB_MLP_CONSTANT, KNOB_MLP_STEP, KNOB_MLP_EXPONENTIAL, KNOB_MLP_COSINE, KNOB_MLP_CYCLIC, KNOB_MLP_ONE_CYCLE };

/** A fully connected network: sizes, activation, output layer and the parameter vector. */
typedef struct {
    size_t n_layers;   /**< weight layers = hidden layers + 1 */
    size_t *size;      /**< n_layers + 1 widths: size[0] inputs, size[n_layers] outputs */
    int act;           /**< KNOB_MLP_RELU ... (hidden layers) */
    int out;           /**< KNOB_MLP_OUT_* */
    size_t n_params;   /**< entries of theta */
    size_t n_weights;  /**< theta[0, n_weights) are weights, the rest biases */
    size_t *w_off;     /**< n_layers offsets of the weight matrices in theta */
    size_t *b_off;     /**< n_layers offsets of the bias vectors in theta */
    double *theta;     /**< the parameters (owned) */
} knob_mlp_net;

/** Per-batch buffers for forward and backward passes over up to @c cap rows; allocated once per fit. */
typedef struct {
    size_t cap;        /**< rows per batch */
    double **z;        /**< z[l], l = 1..L: pre-activations (cap x size[l]); z[L] holds the output logits */
    double **h;        /**< h[l], l = 1..L-1: activations before dropout */
    double **a;        /**< a[l], l = 1..L-1: activations after dropout (used when the layer's rate > 0) */
    double **mask;     /**< mask[l]: inverted-dropout factors, 0 or 1 / (1 - rate) */
    const double **in; /**< in[l], l = 0..L-1: the input of layer l + 1 in the last forward pass */
    double *x;         /**< cap x size[0]: the input batch, row-major */
    double *y;         /**< cap targets of the batch */
    double *w;         /**< cap sample weights of the batch */
    double *d0, *d1;   /**< cap x max width: deltas */
    double *grad;      /**< n_params: gradient of the batch's mean loss */
    double *block;     /**< the single allocation behind every buffer above */
} knob_mlp_work;

/**
 * A buffer of @p n doubles aligned to 64 bytes (free with free()), or NULL. Every buffer handed to BLAS comes
 * from here: OpenBLAS kernels may round differently for differently aligned operands, and predictions must
 * not depend on where malloc happened to put the weights (a loaded model predicts bit-identically).
 */
double *knob_mlp_alloc(size_t n);

/**
 * Set up @p net for the given widths (no hidden layer sizes of 0) and zero its parameters.
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_mlp_net_init(knob_mlp_net *net, size_t n_in, const size_t *hidden, size_t n_hidden, size_t n_out,
                      int act, int out, knob_err *err);

/** Free the network's buffers and zero it. Safe on a zeroed struct. */
void knob_mlp_net_free(knob_mlp_net *net);

/**
 * Random initial weights: He uniform (bound sqrt(6 / fan_in)) for relu/gelu hidden layers, Glorot uniform
 * (bound sqrt(6 / (fan_in + fan_out))) for tanh/sigmoid hidden layers and for the output layer; zero biases.
 */
void knob_mlp_net_init_weights(knob_mlp_net *net, knob_rng *rng);

/** Allocate the workspace of @p net for batches of up to @p cap rows. @return KNOB_OK or KNOB_ENOMEM */
int knob_mlp_work_init(knob_mlp_work *w, const knob_mlp_net *net, size_t cap, knob_err *err);

/** Free a workspace and zero it. Safe on a zeroed struct. */
void knob_mlp_work_free(knob_mlp_work *w);

/**
 * Forward pass over @p B rows. Output logits land in w->z[L].
 * @param x     B x n_in inputs, row-major (w->x or any other buffer)
 * @param rates per hidden layer dropout rates, or NULL for none (inference)
 * @param rng   draws fresh dropout masks; NULL reuses the masks of the previous pass (gradient checks)
 */
void knob_mlp_forward(const knob_mlp_net *net, knob_mlp_work *w, const double *x, size_t B, const double *rates,
                      knob_rng *rng);

/**
 * Loss of the @p B rows whose logits are in @p logits (B x n_out): the sum over rows of weight x loss
 * (softmax cross-entropy, binary cross-entropy on one logit, or half the squared error).
 * @param y      class codes or regression targets
 * @param wt     sample weights, or NULL for 1
 * @param delta  if non-NULL: receives scale x d(sum)/d(logits) (B x n_out)
 * @return the weighted loss sum (NaN/inf when the network diverged)
 */
double knob_mlp_output_loss(const knob_mlp_net *net, const double *logits, size_t B, const double *y,
                            const double *wt, double *delta, double scale);

/**
 * Backward pass after knob_mlp_forward with the same @p rates: w->grad receives the gradient of the mean
 * (over B) weighted loss with respect to theta, given the output delta already in w->d0 (knob_mlp_output_loss
 * with scale 1 / B).
 */
void knob_mlp_backward(const knob_mlp_net *net, knob_mlp_work *w, size_t B, const double *rates);

/**
 * Weighted loss sum and metric numerator of @p B rows (no dropout): correct-class count (classification) or
 * squared error sum (regression), added to *@p loss_sum and *@p metric_sum. @p x: B x n_in inputs, row-major.
 */
void knob_mlp_eval_batch(const knob_mlp_net *net, knob_mlp_work *w, const double *x, size_t B, const double *y,
                         const double *wt, double *loss_sum, double *metric_sum);

/** Turn output logits (B x n_out) into class probabilities (B x K, K = 2 for a sigmoid output). */
void knob_mlp_logits_to_proba(const knob_mlp_net *net, const double *logits, size_t B, double *proba);

/** Optimizer state over a parameter vector (weights first, see the file comment). */
typedef struct {
    int kind;                 /**< KNOB_MLP_SGD ... */
    double momentum;          /**< momentum / nesterov */
    double beta1, beta2, eps; /**< adam / adamw */
    double weight_decay;      /**< L2 (added to the gradient) or decoupled (adamw) */
    size_t n, n_weights;      /**< parameters; the first n_weights are decayed */
    size_t t;                 /**< steps taken */
    double *m, *v;            /**< first / second moments (velocity in m for momentum methods) */
} knob_mlp_optim;

/** Set up an optimizer for @p n parameters (moments zeroed). @return KNOB_OK or KNOB_ENOMEM */
int knob_mlp_optim_init(knob_mlp_optim *o, int kind, size_t n, size_t n_weights, knob_err *err);

/** Zero the moments and the step count. */
void knob_mlp_optim_reset(knob_mlp_optim *o);

/** Free the moment buffers. Safe on a zeroed struct. */
void knob_mlp_optim_free(knob_mlp_optim *o);

/**
 * One update from @p theta into @p out (which may be @p theta) from the mean-loss gradient @p grad (modified:
 * L2 is added to it) at rate @p lr. Writing elsewhere lets training keep the weights before the update.
 *   sgd       theta -= lr (g + wd w)
 *   momentum  v = mu v + g';  theta -= lr v                         (g' = g + wd w; PyTorch's SGD)
 *   nesterov  v = mu v + g';  theta -= lr (g' + mu v)
 *   adam      m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;  theta -= lr m^ / (sqrt(v^) + eps)
 *   adamw     adam with g (no L2 in the gradient) after theta_w *= 1 - lr wd (weights only)
 * where m^ = m / (1 - b1^t), v^ = v / (1 - b2^t).
 */
void knob_mlp_optim_step(knob_mlp_optim *o, const double *theta, double *out, double *grad, double lr);

/** Add the L2 gradient wd * theta to grad[0, n_weights). */
void knob_mlp_l2_grad(const double *theta, double *grad, size_t n_weights, double wd);

/** A learning-rate schedule over epochs 1..epochs. */
typedef struct {
    int kind;          /**< KNOB_MLP_CONSTANT ... */
    double lr;         /**< base (peak) rate */
    double min_lr;     /**< cosine floor / cyclic lower bound */
    double gamma;      /**< step / exponential factor */
    size_t step_size;  /**< step: epochs per decay; cyclic: epochs per half cycle */
    size_t warmup;     /**< linear warm-up epochs */
    size_t epochs;     /**< total epochs */
} knob_mlp_schedule;

/** The learning rate of 1-based @p epoch (formulas in engine/include/knob/mlp.h). */
double knob_mlp_schedule_lr(const knob_mlp_schedule *s, size_t epoch);

#endif
