/**
 * @file synth.h
 * @brief Seeded synthetic datasets in the manner of scikit-learn's sklearn.datasets.make_* generators.
 *
 * Every generator validates its options first (returning KNOB_EINVAL with a message naming the option),
 * then draws all its randomness from the caller's knob_rng, so the same seed gives the same dataset on
 * every machine. The algorithms follow scikit-learn's; the values differ from scikit-learn's for the same
 * seed (a different generator), the distributions do not.
 *
 * Datasets have numeric features named "x1".."xp" and a target named "y". Classification targets have
 * classes "0".."K-1" (make_hastie_10_2: "-1" and "1"), class code k standing for class "k".
 *
 * Counts are int64_t so that a negative value (a likely mistake from a script) is reported as such rather
 * than wrapping around.
 */
#ifndef KNOB_SYNTH_H
#define KNOB_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "knob/dataset.h"
#include "knob/err.h"
#include "knob/rng.h"

/** A per-feature quantity (make_classification's shift and scale): one value, a list, or random draws. */
typedef struct {
    double value;          /**< the value for every feature (used when values is NULL and random is 0) */
    const double *values;  /**< one value per feature (n_values must equal n_features), or NULL */
    size_t n_values;       /**< entries in values */
    int random;            /**< non-zero: draw per feature (shift: U(-class_sep, class_sep); scale: U(1, 101)) */
} knob_synth_per_feature;

/** Options of knob_synth_classification; knob_synth_classification_init sets scikit-learn's defaults. */
typedef struct {
    int64_t n_samples;            /**< rows, >= 1 (100) */
    int64_t n_features;           /**< columns, >= 1 (20) */
    int64_t n_informative;        /**< informative features, >= 1 (2) */
    int64_t n_redundant;          /**< random linear combinations of the informative ones, >= 0 (2) */
    int64_t n_repeated;           /**< copies of informative/redundant features, >= 0 (0) */
    int64_t n_classes;            /**< classes, >= 2 (2) */
    int64_t n_clusters_per_class; /**< Gaussian clusters per class, >= 1 (2) */
    const double *weights;        /**< class proportions (n_classes entries, normalised to sum 1; or
                                       n_classes - 1 entries summing to at most 1, the last class taking
                                       the rest), or NULL for balanced classes */
    size_t n_weights;             /**< entries in weights */
    double flip_y;                /**< fraction of labels replaced by a uniformly random class, in [0, 1] (0.01) */
    double class_sep;             /**< half the side of the hypercube the clusters sit on, finite >= 0 (1.0) */
    int hypercube;                /**< non-zero: clusters on hypercube vertices; zero: on a random polytope (1) */
    knob_synth_per_feature shift; /**< added to each feature after generation (0.0) */
    knob_synth_per_feature scale; /**< multiplies each feature after shifting (1.0) */
    int shuffle;                  /**< non-zero: shuffle rows and columns (1) */
} knob_synth_classification_opts;

/**
 * Set @p o to scikit-learn's defaults (listed in knob_synth_classification_opts).
 * @param o options to initialise
 */
void knob_synth_classification_init(knob_synth_classification_opts *o);

/**
 * Validate classification options: counts in range, n_informative + n_redundant + n_repeated <=
 * n_features, n_classes * n_clusters_per_class <= 2^n_informative (and <= 2^30), weights length and values,
 * flip_y in [0, 1], finite class_sep, shift and scale.
 * @param o   options
 * @param err error record (message names the option)
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_synth_classification_check(const knob_synth_classification_opts *o, knob_err *err);

/**
 * make_classification (Guyon's Madelon design): n_classes * n_clusters_per_class Gaussian clusters, one
 * per distinct vertex of an n_informative-dimensional hypercube of side 2 * class_sep, each given a random
 * covariance (standard normal points times a matrix of U(-1, 1) entries); then redundant features (random
 * linear combinations of the informative ones), repeated features, standard normal noise features, label
 * flipping, shift, scale and shuffling. Cluster k holds class k mod n_classes; samples are divided among
 * clusters in proportion to the class weights, rounded down, the remainder dealt one per cluster in turn
 * (scikit-learn's rule, so a class of weight 0 may still get a row or two).
 * @param o   options (validated first)
 * @param rng the source of randomness
 * @param err error record
 * @return a new classification dataset, or NULL with @p err set
 */
knob_dataset *knob_synth_classification(const knob_synth_classification_opts *o, knob_rng *rng,
                                        knob_err *err);

/** Options of knob_synth_regression; knob_synth_regression_init sets the defaults. */
typedef struct {
    int64_t n_samples;      /**< rows, >= 1 (100) */
    int64_t n_features;     /**< columns, >= 1 (100) */
    int64_t n_informative;  /**< features with a non-zero coefficient, in [0, n_features] (10) */
    int64_t n_targets;      /**< only 1 is supported (1) */
    double bias;            /**< intercept, finite (0) */
    int64_t effective_rank; /**< 0: standard normal features; r >= 1: a low-rank matrix whose singular values
                                 follow (1 - t) exp(-(i/r)^2) + t exp(-0.1 i/r), i = 0..min(n, p)-1 (0) */
    double tail_strength;   /**< t above, in [0, 1] (0.5) */
    double noise;           /**< standard deviation of Gaussian noise added to y, finite >= 0 (0) */
    int shuffle;            /**< non-zero: shuffle rows and columns (1) */
} knob_synth_regression_opts;

/**
 * Set @p o to the defaults (listed in knob_synth_regression_opts).
 * @param o options to initialise
 */
void knob_synth_regression_init(knob_synth_regression_opts *o);

/**
 * Validate regression options.
 * @param o   options
 * @param err error record (message names the option)
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_synth_regression_check(const knob_synth_regression_opts *o, knob_err *err);

/**
 * make_regression: y = X coef + bias + noise N(0, 1), where the first n_informative coefficients (before
 * column shuffling) are U(0, 100) and the rest are zero.
 * @param o    options (validated first)
 * @param rng  the source of randomness
 * @param coef caller-allocated n_features doubles receiving the true coefficients in the dataset's column
 *             order, or NULL
 * @param err  error record
 * @return a new regression dataset, or NULL with @p err set
 */
knob_dataset *knob_synth_regression(const knob_synth_regression_opts *o, knob_rng *rng, double *coef,
                                    knob_err *err);

/**
 * make_friedman1: X ~ U(0, 1)^p and y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise N(0, 1).
 * @param n_samples  rows, >= 1
 * @param n_features columns, >= 5
 * @param noise      standard deviation of the noise, finite >= 0
 * @param rng        the source of randomness
 * @param err        error record
 * @return a new regression dataset, or NULL with @p err set
 */
knob_dataset *knob_synth_friedman1(int64_t n_samples, int64_t n_features, double noise, knob_rng *rng,
                                   knob_err *err);

/**
 * make_hastie_10_2 (Hastie, Tibshirani & Friedman, Example 10.2): ten standard normal features; class "1"
 * when the sum of their squares exceeds 9.34, else class "-1" (codes 1 and 0).
 * @param n_samples rows, >= 1
 * @param rng       the source of randomness
 * @param err       error record
 * @return a new classification dataset, or NULL with @p err set
 */
knob_dataset *knob_synth_hastie_10_2(int64_t n_samples, knob_rng *rng, knob_err *err);

/** Options of knob_synth_blobs; knob_synth_blobs_init sets the defaults. */
typedef struct {
    int64_t n_samples;                /**< total rows, >= 1, split evenly (the first n_samples mod
                                           n_centers centres get one more) (100) */
    const int64_t *samples_per_center; /**< rows per centre instead (n_centers entries >= 0, sum >= 1), or NULL */
    int64_t n_features;               /**< columns, >= 1 (2) */
    int64_t n_centers;                /**< centres, >= 1 (3) */
    const double *centers;            /**< row-major n_centers x n_features centres, or NULL: drawn from
                                           U(center_box[0], center_box[1]) */
    double cluster_std;               /**< standard deviation of every cluster, finite >= 0 (1.0) */
    const double *cluster_stds;       /**< one standard deviation per centre instead, or NULL */
    double center_box[2];             /**< bounds for random centres, finite, low < high ({-10, 10}) */
    int shuffle;                      /**< non-zero: shuffle rows (1) */
} knob_synth_blobs_opts;

/**
 * Set @p o to the defaults (listed in knob_synth_blobs_opts).
 * @param o options to initialise
 */
void knob_synth_blobs_init(knob_synth_blobs_opts *o);

/**
 * Validate blob options.
 * @param o   options
 * @param err error record (message names the option)
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_synth_blobs_check(const knob_synth_blobs_opts *o, knob_err *err);

/**
 * make_blobs: isotropic Gaussian clusters; the rows of centre k have class k.
 * @param o       options (validated first)
 * @param rng     the source of randomness
 * @param centers caller-allocated n_centers * n_features doubles receiving the centres (row-major), or NULL
 * @param err     error record
 * @return a new classification dataset with n_centers classes, or NULL with @p err set
 */
knob_dataset *knob_synth_blobs(const knob_synth_blobs_opts *o, knob_rng *rng, double *centers,
                               knob_err *err);

#endif
