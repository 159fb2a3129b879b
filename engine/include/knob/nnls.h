/**
 * @file nnls.h
 * @brief Non-negative combination weights for ensembles: non-negative least squares (Lawson–Hanson) for
 *        regressors, and log-loss-optimal weights on the probability simplex for classifiers.
 *
 * Matrices are row-major: rows are samples (out-of-fold predictions), columns are ensemble members.
 * Neither function allocates per row; each allocates one workspace per call.
 */
#ifndef KNOB_NNLS_H
#define KNOB_NNLS_H

#include <stddef.h>

#include "knob/err.h"

/**
 * Solve min ||A x - b||_2 subject to x >= 0 with the Lawson–Hanson active-set algorithm (the algorithm of
 * scipy.optimize.nnls: tolerance 10 * DBL_EPSILON * ||A||_1 * max(rows, cols), at most @p max_iter outer
 * iterations).
 * @param A        rows x cols matrix, row-major (finite values)
 * @param rows     number of rows (>= 1)
 * @param cols     number of columns (>= 1)
 * @param b        right-hand side, @p rows entries (finite)
 * @param max_iter iteration limit (0 = 3 * cols, scipy's default)
 * @param x        output, @p cols entries (caller-allocated), the non-negative solution
 * @param rnorm    output (may be NULL): the residual norm ||A x - b||_2
 * @param err      filled on failure
 * @return KNOB_OK; KNOB_EINVAL for bad sizes or a non-finite entry; KNOB_EUNDEF if the iteration limit was
 *         reached; KNOB_ENOMEM
 */
int knob_nnls_solve(const double *A, size_t rows, size_t cols, const double *b, size_t max_iter, double *x,
                    double *rnorm, knob_err *err);

/**
 * Weights w on the simplex (w >= 0, sum w = 1) minimising the mean log-loss -(1/n) sum_i log(sum_j w_j
 * Q[i][j]) of a mixture of classifiers, where Q[i][j] is the probability member j gave to the true class of
 * row i. The problem is convex; it is solved by the EM fixed-point iteration for mixture proportions
 * (w_j <- w_j * (1/n) sum_i Q[i][j] / p_i, monotone in the loss) from uniform weights, stopped when the KKT
 * conditions hold to @p tol (max_j w_j |g_j + 1| and max_j (-1 - g_j) with g the gradient), or after
 * @p max_iter iterations (not an error: the weights are then the best reached). Mixture probabilities are
 * clipped below at DBL_EPSILON, as knob's log_loss does.
 * @param Q        rows x cols matrix, row-major, entries in [0, 1]
 * @param rows     number of rows (>= 1)
 * @param cols     number of members (>= 1)
 * @param max_iter iteration limit (0 = 100000)
 * @param tol      KKT tolerance (<= 0 = 1e-10)
 * @param w        output, @p cols entries (caller-allocated)
 * @param loss     output (may be NULL): the mean log-loss at @p w
 * @param iters    output (may be NULL): iterations used
 * @param err      filled on failure
 * @return KNOB_OK; KNOB_EINVAL for bad sizes or an entry outside [0, 1]; KNOB_ENOMEM
 */
int knob_nnls_simplex_logloss(const double *Q, size_t rows, size_t cols, size_t max_iter, double tol, double *w,
                              double *loss, size_t *iters, knob_err *err);

#endif
