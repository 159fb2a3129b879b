/**
 * @file drift.h
 * @brief Statistics for monitoring a deployed model: drift (PSI, two-sample Kolmogorov–Smirnov, chi-square
 *        homogeneity), tests for comparing models (McNemar, Nadeau–Bengio corrected t-test), bootstrap
 *        resampling weights, and the distribution functions they need.
 *
 * Conventions and the peers each function matches:
 * - PSI = sum_i (q_i - p_i) ln(q_i / p_i) over bins, p = reference proportions, q = new proportions, each
 *   proportion raised to at least @c KNOB_DRIFT_PSI_EPS (1e-4) so an empty bin costs a finite amount.
 * - Quantile bin edges are the reference quantiles k / n_bins (k = 1..n_bins-1) by linear interpolation
 *   (numpy.quantile's default), with repeated edges dropped; bin b holds the values x with
 *   edge[b-1] < x <= edge[b] (right-closed, numpy.searchsorted(edges, x, side="left")).
 * - KS: the statistic and p-value of scipy.stats.ks_2samp(a, b) (two-sided). KNOB_DRIFT_KS_EXACT matches
 *   method="exact" (the probability of the lattice path leaving the band, computed by the same recursion);
 *   KNOB_DRIFT_KS_ASYMP is Kolmogorov's limiting distribution, scipy.stats.kstwobign.sf(D sqrt(n m /
 *   (n + m))) — scipy >= 1.5's method="asymp" uses kstwo.sf(D, round(nm/(n+m))) instead, which differs by a
 *   few percent for small samples; KNOB_DRIFT_KS_AUTO is exact when max(n, m) <= 10000 (scipy's rule).
 * - Chi-square homogeneity: scipy.stats.chi2_contingency(table, correction=False) on the 2 x k table of
 *   reference and new counts, leaving out categories empty in both rows.
 * - McNemar: statsmodels.stats.contingency_tables.mcnemar — exact=True (binomial test, statistic = min(b, c))
 *   or exact=False with correction=True (statistic (|b - c| - 1)^2 / (b + c), chi-square 1 dof).
 * - Nadeau–Bengio corrected resampled t-test (Nadeau & Bengio 2003): d = a - b over J paired scores,
 *   t = mean(d) / sqrt((1/J + n_test/n_train) var(d)) with var's divisor J - 1, two-sided p from Student's
 *   t with J - 1 degrees of freedom.
 */
#ifndef KNOB_DRIFT_H
#define KNOB_DRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "knob/err.h"

/** Floor for a bin proportion in the PSI (an empty bin counts as this share). */
#define KNOB_DRIFT_PSI_EPS 1e-4

/** Largest max(n, m) for which KNOB_DRIFT_KS_AUTO computes the exact KS p-value (scipy's MAX_AUTO_N). */
#define KNOB_DRIFT_KS_MAX_EXACT 10000

/** How the KS p-value is computed. */
typedef enum { KNOB_DRIFT_KS_AUTO = 0, KNOB_DRIFT_KS_EXACT = 1, KNOB_DRIFT_KS_ASYMP = 2 } knob_drift_ks_method;

/**
 * Interior quantile bin edges of a sorted sample.
 * @param sorted  @p n values in ascending order, no NaN
 * @param n       number of values (>= 1)
 * @param n_bins  number of quantile bins wanted (>= 2)
 * @param edges   receives up to n_bins - 1 strictly increasing edges
 * @param n_edges receives the number of edges written (fewer when quantiles coincide)
 * @param err     error record
 * @return KNOB_OK, or KNOB_EINVAL (n == 0, n_bins < 2, NaN or unsorted values)
 */
int knob_drift_quantile_edges(const double *sorted, size_t n, size_t n_bins, double *edges, size_t *n_edges,
                              knob_err *err);

/**
 * Count values per bin of @p edges (right-closed bins, see the file comment); NaN values are counted apart.
 * @param edges   @p n_edges strictly increasing edges
 * @param n_edges number of edges (the bins are n_edges + 1)
 * @param x       @p n values (NaN = missing)
 * @param n       number of values
 * @param counts  receives n_edges + 1 bin counts
 * @param missing receives the number of NaN values
 */
void knob_drift_bin_counts(const double *edges, size_t n_edges, const double *x, size_t n, double *counts,
                           size_t *missing);

/**
 * Evenly spaced order statistics of a sorted sample: all of it when n <= cap, else the values at ranks
 * round(k (n - 1) / (cap - 1)), k = 0..cap-1 (a bounded stand-in for the empirical CDF).
 * @param sorted values in ascending order
 * @param n      number of values
 * @param cap    the most values to keep (>= 2)
 * @param out    receives min(n, cap) values, ascending
 * @return the number of values written
 */
size_t knob_drift_subsample(const double *sorted, size_t n, size_t cap, double *out);

/**
 * Population stability index between two count vectors over the same bins.
 * @param ref  @p k reference counts (>= 0, finite)
 * @param cur  @p k new counts (>= 0, finite)
 * @param k    number of bins (>= 1)
 * @param eps  proportion floor (> 0; KNOB_DRIFT_PSI_EPS is the default)
 * @param psi  receives the index (>= 0)
 * @param err  error record
 * @return KNOB_OK, or KNOB_EINVAL (negative or non-finite count, an empty side, eps out of (0, 1))
 */
int knob_drift_psi(const double *ref, const double *cur, size_t k, double eps, double *psi, knob_err *err);

/**
 * Two-sample Kolmogorov–Smirnov test (two-sided).
 * @param a       @p na values in ascending order, no NaN
 * @param na      size of a (>= 1)
 * @param b       @p nb values in ascending order, no NaN
 * @param nb      size of b (>= 1)
 * @param method  a knob_drift_ks_method
 * @param d       receives the statistic max |F_a - F_b|
 * @param p       receives the p-value
 * @param used    receives the method used (KNOB_DRIFT_KS_EXACT or KNOB_DRIFT_KS_ASYMP); may be NULL
 * @param err     error record
 * @return KNOB_OK, or KNOB_EINVAL (empty, unsorted or NaN input, unknown method)
 */
int knob_drift_ks(const double *a, size_t na, const double *b, size_t nb, int method, double *d, double *p,
                  int *used, knob_err *err);

/**
 * Chi-square test of homogeneity of two count vectors (the rows of a 2 x k contingency table).
 * @param ref  @p k reference counts (>= 0)
 * @param cur  @p k new counts (>= 0)
 * @param k    number of categories
 * @param stat receives the statistic (0 when fewer than two categories are non-empty)
 * @param dof  receives the degrees of freedom (non-empty categories - 1)
 * @param p    receives the p-value (1 when dof == 0)
 * @param err  error record
 * @return KNOB_OK, or KNOB_EINVAL (negative or non-finite count, an empty row)
 */
int knob_drift_chi2(const double *ref, const double *cur, size_t k, double *stat, double *dof, double *p,
                    knob_err *err);

/**
 * Regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a) (scipy.special.gammaincc).
 * @param a shape (> 0)
 * @param x argument (>= 0)
 * @return Q(a, x), or NaN for arguments out of range
 */
double knob_drift_gamma_q(double a, double x);

/**
 * Survival function of the chi-square distribution, Q(dof / 2, x / 2) (scipy.stats.chi2.sf).
 * @return the upper tail probability, or NaN for dof <= 0
 */
double knob_drift_chi2_sf(double x, double dof);

/**
 * Regularized incomplete beta function I_x(a, b) (scipy.special.betainc).
 * @return I_x(a, b), or NaN for arguments out of range (a, b > 0, 0 <= x <= 1)
 */
double knob_drift_beta_inc(double a, double b, double x);

/**
 * Two-sided tail probability of Student's t: P(|T| >= |t|) with @p df degrees of freedom
 * (2 * scipy.stats.t.sf(abs(t), df)).
 * @return the probability, or NaN for df <= 0 or NaN t
 */
double knob_drift_t_two_sided(double t, double df);

/**
 * Two-sided exact binomial test of k successes in n trials with success probability 1/2
 * (scipy.stats.binomtest(k, n, 0.5).pvalue).
 * @return the p-value (1 when n == 0)
 */
double knob_drift_binom_half(uint64_t k, uint64_t n);

/**
 * McNemar's test on the discordant counts of two classifiers scored on the same rows.
 * @param b     rows only the first classifier gets right
 * @param c     rows only the second classifier gets right
 * @param exact non-zero: exact binomial test; zero: chi-square with continuity correction
 * @param stat  receives the statistic (min(b, c) when exact)
 * @param p     receives the p-value (1 when b + c == 0)
 */
void knob_drift_mcnemar(uint64_t b, uint64_t c, int exact, double *stat, double *p);

/**
 * Nadeau–Bengio corrected resampled t-test on paired scores (e.g. per-fold CV scores of two models).
 * @param a       @p k scores of the first model
 * @param b       @p k scores of the second model, same splits
 * @param k       number of pairs (>= 2)
 * @param n_train training rows per split (> 0)
 * @param n_test  test rows per split (> 0)
 * @param t       receives the statistic (positive when a scores higher)
 * @param p       receives the two-sided p-value (Student's t, k - 1 dof)
 * @param err     error record
 * @return KNOB_OK, KNOB_EINVAL (k < 2, NaN score, bad sizes), or KNOB_EUNDEF (the differences have zero
 *         variance)
 */
int knob_drift_corrected_ttest(const double *a, const double *b, size_t k, double n_train, double n_test,
                               double *t, double *p, knob_err *err);

/**
 * Bootstrap resampling as weights: w[i] = how often row i is drawn in n uniform draws with replacement.
 * Replicate r of seed s is the same on every machine, whatever other replicates are drawn.
 * @param seed      the seed
 * @param replicate the replicate number
 * @param n         number of rows
 * @param w         receives @p n weights (non-negative integers summing to n)
 */
void knob_drift_bootstrap_weights(uint64_t seed, uint64_t replicate, size_t n, double *w);

#endif
