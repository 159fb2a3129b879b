/*
 * optim.h — numerical optimizers shared by the model kinds in engine/src/models/ (internal, not public API).
 *
 * knob_lbfgs_minimize minimizes  F(x) = f(x) + sum_i l1[i] * |x_i|  where f is smooth (value and gradient
 * supplied by a callback) and l1 holds non-negative per-variable L1 weights. Without L1 weights it is plain
 * L-BFGS (two-loop recursion, Armijo backtracking); with them it is OWL-QN (Andrew & Gao 2007: the
 * pseudo-gradient, orthant-projected direction and line search). Deterministic: no randomness, no threads
 * of its own (the callback may use knob_parallel_for with a fixed task partition).
 */
#ifndef KNOB_OPTIM_H
#define KNOB_OPTIM_H

#include <stddef.h>

#include "knob/err.h"

/**
 * Value and gradient of the smooth part f at @p x.
 * @param ctx   the caller's context
 * @param x     the point (n values)
 * @param grad  receives the gradient (n values)
 * @param value receives f(x)
 * @param err   error record
 * @return KNOB_OK or a negative knob_status (aborts the minimization)
 */
typedef int (*knob_smooth_fn)(void *ctx, const double *x, double *grad, double *value, knob_err *err);

/**
 * Called after each iteration with the objective F and the largest |pseudo-gradient| entry.
 * @return 0 to continue, 1 to stop cleanly, or a negative knob_status (with @p err filled) to abort
 */
typedef int (*knob_optim_iter_fn)(void *ud, size_t iteration, const double *x, double value, double grad_max,
                                  knob_err *err);

/** How a minimization ended. */
typedef enum {
    KNOB_OPTIM_CONVERGED = 0,  /**< max |pseudo-gradient| <= gtol */
    KNOB_OPTIM_MAX_ITER,       /**< max_iter iterations ran */
    KNOB_OPTIM_STOPPED,        /**< the iteration callback asked to stop */
    KNOB_OPTIM_STALLED         /**< the line search found no decrease (at the limit of floating point) */
} knob_optim_status;

/** Options of knob_lbfgs_minimize. Zero-initialise, then set n, max_iter and gtol. */
typedef struct {
    size_t n;                   /**< number of variables (>= 1) */
    const double *l1;           /**< n non-negative L1 weights (OWL-QN), or NULL for plain L-BFGS */
    size_t memory;              /**< correction pairs kept (0 = 10, like scipy's L-BFGS-B) */
    size_t max_iter;            /**< iteration limit (0 = stop after checking the start point) */
    double gtol;                /**< stop when max_i |pseudo-gradient_i| <= gtol */
    knob_optim_iter_fn on_iter; /**< per-iteration callback, or NULL */
    void *ud;                   /**< passed to on_iter */
} knob_lbfgs_opts;

/** Outcome of knob_lbfgs_minimize. */
typedef struct {
    int status;                 /**< a knob_optim_status */
    size_t iterations;          /**< iterations run */
    size_t evaluations;         /**< calls of the smooth function */
    double value;               /**< F at the returned x */
    double grad_max;            /**< max |pseudo-gradient| at the returned x */
} knob_lbfgs_result;

/**
 * Minimize f(x) + sum l1[i] |x_i| from the start point in @p x (overwritten with the minimizer).
 * @param o   options (n, l1, memory, max_iter, gtol, on_iter)
 * @param f   the smooth part: value and gradient
 * @param ctx passed to @p f
 * @param x   in: start point; out: the last accepted point (n values)
 * @param res receives the outcome
 * @param err error record
 * @return KNOB_OK (see res->status for how it ended), KNOB_ENOMEM, KNOB_EINVAL (bad options) or the
 *         negative status returned by @p f or @p o->on_iter
 */
int knob_lbfgs_minimize(const knob_lbfgs_opts *o, knob_smooth_fn f, void *ctx, double *x, knob_lbfgs_result *res,
                        knob_err *err);

#endif
