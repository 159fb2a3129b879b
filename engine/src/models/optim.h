/*
 * optim.h — numerical optimizers shared by the model kinds in engine/src/models/ (internal, not public API).
 *
 * knob_newton_minimize minimizes a smooth f with Newton steps (Cholesky of a Hessian the caller supplies,
 * Levenberg damping when it is not positive definite, Armijo backtracking): few iterations whatever the
 * conditioning, for problems with up to a few thousand variables.
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

/** Options of the minimizers. Zero-initialise, then set n, max_iter and gtol. */
typedef struct {
    size_t n;                   /**< number of variables (>= 1) */
    const double *l1;           /**< L-BFGS: n non-negative L1 weights (OWL-QN), or NULL; Newton: must be NULL */
    size_t memory;              /**< L-BFGS: correction pairs kept (0 = 10, like scipy's L-BFGS-B) */
    size_t max_iter;            /**< iteration limit (0 = stop after checking the start point) */
    double gtol;                /**< stop when max_i |pseudo-gradient_i| <= gtol */
    knob_optim_iter_fn on_iter; /**< per-iteration callback, or NULL */
    void *ud;                   /**< passed to on_iter */
} knob_optim_opts;

/** Outcome of a minimization. */
typedef struct {
    int status;                 /**< a knob_optim_status */
    size_t iterations;          /**< iterations run */
    size_t evaluations;         /**< calls of the smooth function */
    double value;               /**< F at the returned x */
    double grad_max;            /**< max |pseudo-gradient| at the returned x */
} knob_optim_result;

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
int knob_lbfgs_minimize(const knob_optim_opts *o, knob_smooth_fn f, void *ctx, double *x, knob_optim_result *res,
                        knob_err *err);

/**
 * Hessian of the smooth part at @p x (the point of the latest knob_smooth_fn call): fill the upper triangle
 * of the n x n column-major matrix @p H.
 * @return KNOB_OK or a negative knob_status (aborts the minimization)
 */
typedef int (*knob_hessian_fn)(void *ctx, const double *x, double *H, knob_err *err);

/**
 * Minimize the smooth f by damped Newton steps from the start point in @p x (overwritten with the minimizer).
 * Each iteration solves H d = -g by Cholesky (adding tau I, tau growing, when H is not numerically positive
 * definite) and backtracks from step 1 until the Armijo condition holds. Needs o->l1 == NULL.
 * @param o   options (n, max_iter, gtol, on_iter; l1 and memory unused)
 * @param f   value and gradient
 * @param h   Hessian (called right after f was evaluated at the same point)
 * @param ctx passed to @p f and @p h
 * @param x   in: start point; out: the last accepted point
 * @param res receives the outcome (grad_max is max |gradient|)
 * @param err error record
 * @return KNOB_OK (see res->status), KNOB_ENOMEM, KNOB_EINVAL or the negative status of a callback
 */
int knob_newton_minimize(const knob_optim_opts *o, knob_smooth_fn f, knob_hessian_fn h, void *ctx, double *x,
                         knob_optim_result *res, knob_err *err);

#endif
