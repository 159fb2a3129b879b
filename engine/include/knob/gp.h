/**
 * @file gp.h
 * @brief Gaussian-process Bayesian optimization: a Matérn 5/2 ARD kernel, the log marginal likelihood and
 * its gradient, the posterior, hyperparameter fitting, log expected improvement and its maximization.
 *
 * The strategy (which trials are observations, when to fall back to random sampling) lives in Lua
 * (stdlib/knob/samplers/gp.lua); this module does the numerics, in the spirit of Optuna's GPSampler:
 *
 *  - Inputs. A point has one coordinate per dimension. Continuous coordinates are in the unit cube
 *    (knob_gp_suggest maps knob_dist values there: log scale for log dimensions; integer and stepped ones
 *    widened by half a step on each side, treated as continuous and rounded back at the end). A categorical
 *    coordinate is its 0-based choice index, and enters the kernel through a Hamming-type distance:
 *    the squared distance in that dimension is 0 for equal choices and 1 otherwise (Optuna's choice).
 *  - Kernel. k(x, x') = s2 * (1 + sqrt(5) r + 5/3 r^2) exp(-sqrt(5) r), r^2 = sum_j d_j(x, x')^2 / l_j^2
 *    (d_j = x_j - x'_j, or the Hamming distance above), plus noise_var on the diagonal of the training matrix.
 *    With fixed hyperparameters this is scikit-learn's ConstantKernel(s2) * Matern(l, nu=2.5) with
 *    alpha = noise_var.
 *  - Fitting (knob_gp_fit). Outputs are used as given (knob_gp_suggest standardizes them first). The
 *    hyperparameters maximize log marginal likelihood + log prior over log(1/l_j^2), log s2 and
 *    log(noise_var - 1e-6) with analytic gradients and a small bounded L-BFGS, from 1/l^2 = 1, s2 = 1,
 *    noise = 0.01. The prior is Optuna 4's default: -(0.1/u + 0.1 u) for each u = 1/l_j^2, Gamma(2, 1) on
 *    s2, Gamma(1.1, 30) on noise_var.
 *  - Cholesky factorizations and inverses through LAPACK (dpotrf_, dpotrs_, dpotri_ from OpenBLAS); a
 *    matrix that is not positive definite is retried with growing jitter on the diagonal.
 *  - Acquisition: log expected improvement for minimization, log EI(x) = log sigma + log h(z),
 *    z = (best - mu) / sigma, h(z) = phi(z) + z Phi(z) (knob_gp_log_h: stable for any z, after Ament et al.
 *    2023, "Unexpected improvements to expected improvement").
 */
#ifndef KNOB_GP_H
#define KNOB_GP_H

#include <stddef.h>

#include "knob/err.h"
#include "knob/rng.h"
#include "knob/search.h"

/** Smallest noise variance of a fitted GP (Optuna's minimum). */
#define KNOB_GP_MIN_NOISE 1e-6

/** Data and hyperparameters of a GP: n points of d coordinates (see the file comment). */
typedef struct {
    const double *X;             /**< n x d points, row-major */
    const double *y;             /**< n outputs */
    size_t n;                    /**< number of points (>= 1) */
    size_t d;                    /**< number of coordinates (>= 1) */
    const unsigned char *is_cat; /**< d flags: non-zero for a categorical coordinate (an index), or NULL */
} knob_gp_data;

/** Hyperparameters of the kernel. */
typedef struct {
    double *lengthscales; /**< d lengthscales l_j > 0 */
    double signal_var;    /**< s2 > 0 */
    double noise_var;     /**< noise variance >= 0 added to the training diagonal */
} knob_gp_hyper;

/**
 * Kernel matrix K[a][b] = k(X1[a], X2[b]) (no noise term).
 * @param X1     n1 x d points, row-major
 * @param n1     number of rows of X1
 * @param X2     n2 x d points, row-major
 * @param n2     number of rows of X2
 * @param d      coordinates per point (>= 1)
 * @param is_cat d categorical flags, or NULL
 * @param h      hyperparameters (noise_var unused)
 * @param K      receives n1 x n2 values, row-major
 * @param err    filled on failure
 * @return KNOB_OK or KNOB_EINVAL (a non-finite coordinate or a bad hyperparameter)
 */
int knob_gp_kernel(const double *X1, size_t n1, const double *X2, size_t n2, size_t d, const unsigned char *is_cat,
                   const knob_gp_hyper *h, double *K, knob_err *err);

/**
 * Log marginal likelihood log p(y | X, h) = -y'K^-1 y / 2 - log|K| / 2 - n log(2 pi) / 2, K = kernel + noise I,
 * and optionally its gradient with respect to (log 1/l_1^2, ..., log 1/l_d^2, log s2, log(noise_var - 1e-6)).
 * @param data the data (outputs as given)
 * @param h    hyperparameters (noise_var > 1e-6 when @p grad is wanted)
 * @param lml  receives the log marginal likelihood
 * @param grad receives d + 2 partial derivatives, or NULL
 * @param err  filled on failure
 * @return KNOB_OK, KNOB_EINVAL (bad data or hyperparameter), KNOB_EUNDEF (K not positive definite even with
 *         jitter) or KNOB_ENOMEM
 */
int knob_gp_log_marginal(const knob_gp_data *data, const knob_gp_hyper *h, double *lml, double *grad, knob_err *err);

/**
 * Posterior mean and variance of the latent function (without the noise) at @p m query points.
 * @param data the data
 * @param h    hyperparameters
 * @param Xq   m x d query points, row-major
 * @param m    number of query points
 * @param mean receives m means
 * @param var  receives m variances (clamped at 0 from below)
 * @param err  filled on failure
 * @return KNOB_OK, KNOB_EINVAL, KNOB_EUNDEF or KNOB_ENOMEM
 */
int knob_gp_predict(const knob_gp_data *data, const knob_gp_hyper *h, const double *Xq, size_t m, double *mean,
                    double *var, knob_err *err);

/**
 * Fit the hyperparameters by maximizing log marginal likelihood + log prior (file comment).
 * @param data the data
 * @param h    receives the fitted hyperparameters (h->lengthscales must hold d values)
 * @param obj  receives the maximized log marginal likelihood + log prior, may be NULL
 * @param err  filled on failure
 * @return KNOB_OK, KNOB_EINVAL, KNOB_EUNDEF or KNOB_ENOMEM
 */
int knob_gp_fit(const knob_gp_data *data, knob_gp_hyper *h, double *obj, knob_err *err);

/**
 * log h(z), h(z) = phi(z) + z Phi(z) (the expected improvement of a standard normal over z), accurate to a
 * few ulps for z > -1, to ~1e-14 relative for -10 < z <= -1 (log1p of the erfcx form) and through an
 * asymptotic series for z <= -10; -inf only for z = -inf.
 * @param z the standardized improvement
 * @return log h(z) (NaN for NaN)
 */
double knob_gp_log_h(double z);

/** Options of knob_gp_suggest. */
typedef struct {
    size_t n_candidates; /**< random (Sobol) candidates scored by log EI; default 2048 */
    size_t n_local;      /**< best candidates refined by L-BFGS (plus the best observation); default 5 */
    int fit;             /**< non-zero (default): fit the hyperparameters; 0: use @p hyper as given */
    const knob_gp_hyper *init; /**< starting point of the fit (e.g. the previous step's), or NULL (default) */
} knob_gp_opts;

/**
 * Fill @p o with the defaults listed in knob_gp_opts.
 * @param o the options to initialize
 */
void knob_gp_opts_default(knob_gp_opts *o);

/**
 * One step of GP Bayesian optimization (minimization): map the observations to the unit cube, standardize
 * the outputs (+-inf are clipped to the worst / best finite output), fit the hyperparameters, maximize log EI
 * over the space (Sobol candidates, L-BFGS from the best few, then one pass over each categorical's
 * choices), and return the maximizer rounded to each dimension's grid. When it rounds onto an observed
 * point, the best candidate that does not is returned instead (when there is one).
 * @param dims    the @p n_dims dimensions (knob_dist_check; low < high)
 * @param n_dims  number of dimensions (>= 1)
 * @param obs     n_obs x n_dims observed values, row-major, external representation, inside @p dims
 * @param y       n_obs outputs to minimize (not NaN)
 * @param n_obs   number of observations (>= 1)
 * @param opts    options, or NULL for the defaults
 * @param rng     the random stream (candidates)
 * @param best    receives the chosen point (n_dims values, external representation)
 * @param log_ei  receives its log EI (on standardized outputs), may be NULL
 * @param hyper   receives the hyperparameters used (its lengthscales n_dims values, in unit-cube units), may
 *                be NULL; with opts->fit = 0 it must be given and is used as is
 * @param err     filled on failure
 * @return KNOB_OK, KNOB_EINVAL, KNOB_EUNDEF or KNOB_ENOMEM
 */
int knob_gp_suggest(const knob_dist *dims, size_t n_dims, const double *obs, const double *y, size_t n_obs,
                    const knob_gp_opts *opts, knob_rng *rng, double *best, double *log_ei, knob_gp_hyper *hyper,
                    knob_err *err);

#endif
