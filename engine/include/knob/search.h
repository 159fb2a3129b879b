/**
 * @file search.h
 * @brief Numerics of the search layer: Parzen estimators for TPE, and Sobol / Halton sequences for QMC.
 *
 * The strategies (which trials are "good", when to fall back to random sampling, ...) live in Lua
 * (stdlib/knob/samplers); this module does the inner loops: building a mixture of truncated Gaussians (and
 * categorical kernels) over thousands of observations, sampling candidates from it and evaluating log
 * densities, and generating low-discrepancy points.
 *
 * Distributions are described by knob_dist in their *external* representation (what a trial sees): float or
 * integer bounds, an optional step, an optional log scale, or a number of categorical choices (a categorical
 * value is its 0-based choice index). The Parzen estimator follows Optuna 3.1's _ParzenEstimator: log
 * distributions are modelled in log space; stepped and integer distributions are widened by half a step on
 * each side and evaluated as the probability mass of their step interval; sampled values are rounded back to
 * the grid and clipped to the bounds.
 */
#ifndef KNOB_SEARCH_H
#define KNOB_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "knob/err.h"
#include "knob/rng.h"

/** Kind of a search-space dimension. */
typedef enum {
    KNOB_DIST_FLOAT = 0,      /**< a real number in [low, high] (optionally stepped or on a log scale) */
    KNOB_DIST_INT = 1,        /**< an integer in [low, high] with step >= 1 (optionally on a log scale) */
    KNOB_DIST_CATEGORICAL = 2 /**< one of n_choices choices, represented by its index 0..n_choices-1 */
} knob_dist_kind;

/** One dimension of a search space, in external representation. */
typedef struct {
    int kind;           /**< a knob_dist_kind */
    double low, high;   /**< inclusive bounds (float / int); low < high for a Parzen estimator */
    double step;        /**< float: 0 (continuous) or > 0; int: >= 1 (0 is read as 1) */
    int log;            /**< non-zero: log scale (low > 0, no step for floats, step 1 for ints) */
    size_t n_choices;   /**< categorical: number of choices (>= 1) */
} knob_dist;

/**
 * Validate a dimension (finite bounds, low <= high, log needs low > 0, step > 0 and not with log for floats,
 * integral bounds and step for ints, n_choices >= 1 for categoricals).
 * @param d    the dimension
 * @param what a name for messages (e.g. the parameter name), may be NULL
 * @param err  filled on failure
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_dist_check(const knob_dist *d, const char *what, knob_err *err);

/** Options of a Parzen estimator (defaults: Optuna 3.1's TPESampler defaults). */
typedef struct {
    int consider_prior;   /**< add a prior component (a wide Gaussian / uniform categorical); default 1 */
    double prior_weight;  /**< weight of the prior component (> 0); default 1.0 */
    int magic_clip;       /**< lower-bound the bandwidths by range / min(100, 1 + components); default 1 */
    int endpoints;        /**< let the first/last bandwidth reach the bounds (consider_endpoints); default 0 */
    int multivariate;     /**< Scott-rule bandwidths shared by all components (multivariate TPE); default 0 */
    int scaled;           /**< 1 (default): continuous kernels are proper densities (include 1/sigma);
                               0: Optuna 3.1's kernel score without 1/sigma (what knob's TPE uses: wide
                               kernels weigh more, which explores more and found better points in
                               bench/tpe_bench.lua); log_pdf is then a score, not a density */
} knob_parzen_opts;

/**
 * Fill @p o with the defaults listed in knob_parzen_opts.
 * @param o the options to initialize
 */
void knob_parzen_opts_default(knob_parzen_opts *o);

/** A fitted Parzen estimator (mixture over observations plus an optional prior). Opaque. */
typedef struct knob_parzen knob_parzen;

/**
 * Build a Parzen estimator over @p n_obs observations of an @p n_dims -dimensional space.
 * @param out     receives the estimator (free with knob_parzen_free)
 * @param dims    the @p n_dims dimensions (copied); each must pass knob_dist_check and have low < high
 * @param n_dims  number of dimensions (>= 1)
 * @param obs     n_obs x n_dims values, row-major, external representation (categorical: choice index);
 *                every value must lie inside its dimension
 * @param n_obs   number of observations (0 gives the prior alone)
 * @param weights n_obs non-negative finite weights in chronological order, or NULL for
 *                knob_tpe_default_weights
 * @param opts    options, or NULL for the defaults
 * @param err     filled on failure
 * @return KNOB_OK, KNOB_EINVAL (bad dimension, observation or weight) or KNOB_ENOMEM
 */
int knob_parzen_new(knob_parzen **out, const knob_dist *dims, size_t n_dims, const double *obs, size_t n_obs,
                    const double *weights, const knob_parzen_opts *opts, knob_err *err);

/**
 * Free an estimator and set the pointer to NULL.
 * @param p the estimator (may point to NULL)
 */
void knob_parzen_free(knob_parzen **p);

/**
 * Number of mixture components (observations, plus one for the prior).
 * @param p the estimator
 * @return the number of components
 */
size_t knob_parzen_n_components(const knob_parzen *p);

/**
 * The fitted parameters of dimension @p dim (Optuna's _ParzenEstimator fields, to compare with it):
 * component weights, and for a numeric dimension the internal bounds and each component's mu and sigma
 * (log scale for log dimensions; bounds widened by half a step for stepped ones; the prior is the last
 * component).
 * @param p       the estimator
 * @param dim     0-based dimension
 * @param weights knob_parzen_n_components normalized weights, or NULL
 * @param mus     knob_parzen_n_components means, or NULL (left unset for a categorical dimension)
 * @param sigmas  knob_parzen_n_components bandwidths, or NULL (left unset for a categorical dimension)
 * @param bounds  2 values: internal low and high, or NULL (left unset for a categorical dimension)
 * @param err     filled on failure
 * @return KNOB_OK, or KNOB_EINVAL when dim is out of range
 */
int knob_parzen_params(const knob_parzen *p, size_t dim, double *weights, double *mus, double *sigmas,
                       double *bounds, knob_err *err);

/**
 * Draw @p n points from the mixture (a component by weight, then each dimension from that component's
 * truncated Gaussian or categorical kernel), rounded to each dimension's grid and clipped to its bounds.
 * @param p   the estimator
 * @param rng the random stream
 * @param n   number of points
 * @param out n x n_dims values, row-major, external representation
 */
void knob_parzen_sample(const knob_parzen *p, knob_rng *rng, size_t n, double *out);

/**
 * Log density (log probability mass for stepped, integer and categorical dimensions) of @p n points.
 * @param p   the estimator
 * @param x   n x n_dims points, row-major, external representation
 * @param n   number of points
 * @param out n log densities (-inf for a point outside the bounds or not on a categorical index)
 * @param err filled on failure
 * @return KNOB_OK, or KNOB_EINVAL when a value is NaN
 */
int knob_parzen_log_pdf(const knob_parzen *p, const double *x, size_t n, double *out, knob_err *err);

/**
 * TPE's choice: draw @p n_candidates points from @p below and return the one maximizing
 * log below(x) - log above(x) (the first on ties).
 * @param below        estimator of the good observations
 * @param above        estimator of the other observations (same dimensions)
 * @param rng          the random stream
 * @param n_candidates number of candidates (>= 1)
 * @param best         receives the chosen point (n_dims values)
 * @param score        receives its log-density ratio, may be NULL
 * @param err          filled on failure
 * @return KNOB_OK, KNOB_EINVAL (mismatched estimators, no candidates) or KNOB_ENOMEM
 */
int knob_tpe_choose(const knob_parzen *below, const knob_parzen *above, knob_rng *rng, size_t n_candidates,
                    double *best, double *score, knob_err *err);

/**
 * Optuna's default_weights(n): ones for n < 25; otherwise a linear ramp from 1/n to 1 over the n - 25
 * oldest observations followed by 25 ones.
 * @param n   number of observations
 * @param out n weights
 */
void knob_tpe_default_weights(size_t n, double *out);

/**
 * Split observations into the @p n_below best and the rest: sorted by (key, value) ascending, ties kept in
 * input order (a stable sort). TPE passes key = -inf for complete trials, -last_step for pruned ones and
 * +inf for running ones (constant liar), and value = the loss (sign-adjusted objective).
 * @param n       number of observations
 * @param keys    n keys (NaN not allowed)
 * @param values  n values (NaN sorts after +inf)
 * @param n_below how many to mark (clamped to n)
 * @param below   receives n flags: 1 for the n_below best, 0 otherwise
 * @param err     filled on failure
 * @return KNOB_OK, KNOB_EINVAL (a NaN key) or KNOB_ENOMEM
 */
int knob_tpe_split(size_t n, const double *keys, const double *values, size_t n_below, unsigned char *below,
                   knob_err *err);

/**
 * TPE's observation store: one row per finished trial (its number, its split key and loss) and one column per
 * parameter (NaN where the trial does not have it), kept across trials so that each suggestion is one C call
 * with no per-observation work in Lua. Rows may arrive in any order; knob_tpe_obs_split orders them by trial
 * number (Optuna's chronological order, which the weights depend on).
 */
typedef struct knob_tpe_obs knob_tpe_obs;

/**
 * Create an empty store.
 * @param out receives the store (free with knob_tpe_obs_free)
 * @param err filled on failure
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_tpe_obs_new(knob_tpe_obs **out, knob_err *err);

/**
 * Free a store and set the pointer to NULL.
 * @param o the store (may point to NULL)
 */
void knob_tpe_obs_free(knob_tpe_obs **o);

/**
 * Number of rows.
 * @param o the store
 * @return the number of rows
 */
size_t knob_tpe_obs_rows(const knob_tpe_obs *o);

/**
 * Append a row (all its parameters absent).
 * @param o      the store
 * @param number the trial number (orders the rows)
 * @param key    split key (see knob_tpe_split; not NaN)
 * @param value  loss
 * @param err    filled on failure
 * @return KNOB_OK, KNOB_EINVAL (NaN key or number) or KNOB_ENOMEM
 */
int knob_tpe_obs_add(knob_tpe_obs *o, double number, double key, double value, knob_err *err);

/**
 * Set the value of parameter column @p col in row @p row (columns are created on demand).
 * @param o   the store
 * @param row a row index (< knob_tpe_obs_rows)
 * @param col a column index (< 100000)
 * @param v   the external value (categorical: its choice index)
 * @param err filled on failure
 * @return KNOB_OK, KNOB_EINVAL or KNOB_ENOMEM
 */
int knob_tpe_obs_set(knob_tpe_obs *o, size_t row, size_t col, double v, knob_err *err);

/**
 * Drop the rows from index @p rows on (e.g. the running trials a constant liar added).
 * @param o    the store
 * @param rows rows to keep
 */
void knob_tpe_obs_truncate(knob_tpe_obs *o, size_t rows);

/**
 * Order the rows by trial number and mark the @p n_below best (knob_tpe_split) for later samples.
 * @param o       the store
 * @param n_below size of the good group
 * @param err     filled on failure
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_tpe_obs_split(knob_tpe_obs *o, size_t n_below, knob_err *err);

/**
 * How many rows of the last split the good and the other estimator of knob_tpe_obs_sample would use (to size
 * custom weights).
 * @param o       the store (split)
 * @param cols    @p n_dims column indices
 * @param dims    @p n_dims dimensions
 * @param n_dims  number of dimensions
 * @param n_below receives the good group's count
 * @param n_above receives the other group's count
 * @param err     filled on failure
 * @return KNOB_OK, KNOB_EINVAL or KNOB_ESTATE (not split since the last change)
 */
int knob_tpe_obs_count(const knob_tpe_obs *o, const size_t *cols, const knob_dist *dims, size_t n_dims,
                       size_t *n_below, size_t *n_above, knob_err *err);

/**
 * TPE over the columns @p cols: the rows of the last split whose values all lie inside @p dims form the good
 * and the other estimator (in trial-number order), and knob_tpe_choose picks the point.
 * @param o             the store (split)
 * @param cols          @p n_dims column indices
 * @param dims          @p n_dims dimensions
 * @param n_dims        number of dimensions
 * @param opts          Parzen options, or NULL for the defaults
 * @param weights_below weights of the good rows (knob_tpe_obs_count of them), or NULL for the default
 * @param weights_above weights of the other rows, or NULL for the default
 * @param rng           the random stream
 * @param n_candidates  candidates drawn from the good estimator
 * @param best          receives the chosen point (n_dims values)
 * @param score         receives its score, may be NULL
 * @param err           filled on failure
 * @return KNOB_OK, KNOB_EINVAL, KNOB_ESTATE (not split since the last change) or KNOB_ENOMEM
 */
int knob_tpe_obs_sample(const knob_tpe_obs *o, const size_t *cols, const knob_dist *dims, size_t n_dims,
                        const knob_parzen_opts *opts, const double *weights_below, const double *weights_above,
                        knob_rng *rng, size_t n_candidates, double *best, double *score, knob_err *err);

/** Kind of a low-discrepancy sequence. */
typedef enum {
    KNOB_QMC_SOBOL = 0,  /**< Sobol with Joe-Kuo direction numbers (first 21 dims), 32-bit points */
    KNOB_QMC_HALTON = 1  /**< Halton in the first prime bases */
} knob_qmc_kind;

/** A low-discrepancy sequence generator (random access by index). Opaque. */
typedef struct knob_qmc knob_qmc;

/**
 * Largest dimension supported by a kind.
 * @param kind a knob_qmc_kind
 * @return the maximal dimension (0 for an unknown kind)
 */
size_t knob_qmc_max_dim(int kind);

/**
 * Create a sequence. Scrambled Sobol uses a random linear matrix scramble plus a digital shift (LMS +
 * shift, which keeps the (t, m, s)-net property); scrambled Halton permutes the digits of every position
 * of every base at random. Both are drawn from @p seed through knob_rng.
 * @param out      receives the generator (free with knob_qmc_free)
 * @param kind     a knob_qmc_kind
 * @param dim      dimension, 1..knob_qmc_max_dim(kind)
 * @param scramble non-zero to scramble
 * @param seed     seed of the scramble (ignored when not scrambling)
 * @param err      filled on failure
 * @return KNOB_OK, KNOB_EINVAL or KNOB_ENOMEM
 */
int knob_qmc_new(knob_qmc **out, int kind, size_t dim, int scramble, uint64_t seed, knob_err *err);

/**
 * Free a generator and set the pointer to NULL.
 * @param q the generator (may point to NULL)
 */
void knob_qmc_free(knob_qmc **q);

/**
 * Dimension of a generator.
 * @param q the generator
 * @return its dimension
 */
size_t knob_qmc_dim(const knob_qmc *q);

/**
 * Point number @p index (0-based; unscrambled point 0 is the origin) in [0, 1)^dim.
 * @param q     the generator
 * @param index the index (Sobol: below 2^32)
 * @param out   receives dim coordinates
 * @param err   filled on failure
 * @return KNOB_OK, or KNOB_EINVAL when the index is out of range
 */
int knob_qmc_point(const knob_qmc *q, uint64_t index, double *out, knob_err *err);

#endif
