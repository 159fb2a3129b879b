/**
 * @file importance.h
 * @brief Feature and hyperparameter importance: permuted-column copies (permutation importance),
 *        Pearson / Spearman correlation matrices, and fANOVA over a fitted regression forest.
 *
 * SHAP values are in model.h (knob_model_shap). The strategies built on these (scoring, repeats, ranking)
 * live in stdlib/knob/importance.lua.
 */
#ifndef KNOB_IMPORTANCE_H
#define KNOB_IMPORTANCE_H

#include <stddef.h>

#include "knob/dataset.h"
#include "knob/err.h"
#include "knob/model.h"
#include "knob/rng.h"

/**
 * A deep copy of @p ds (its own frame with exactly the view's rows, target included) in which feature
 * column @p j is shuffled (Fisher-Yates driven by @p rng); every other column is unchanged.
 * @param ds  the data
 * @param j   the feature column to permute (0-based)
 * @param rng the random stream (advanced)
 * @param err error record
 * @return the new dataset (free with knob_dataset_free), or NULL with @p err set (KNOB_EINVAL: j out of
 *         range; KNOB_ENOMEM)
 */
knob_dataset *knob_dataset_permute_column(const knob_dataset *ds, size_t j, knob_rng *rng, knob_err *err);

/**
 * Correlation matrix of the feature columns @p cols[0..m-1] of @p ds over its rows: Pearson, or Spearman
 * (Pearson of the ranks, ties given their average rank, as scipy.stats.spearmanr). A constant column's row
 * and column are NaN, its diagonal entry included (as numpy.corrcoef).
 * @param ds       the data (at least 2 rows; no missing value in the chosen columns)
 * @param cols     0-based feature columns
 * @param m        number of columns
 * @param spearman non-zero for Spearman's rank correlation
 * @param out      receives the m x m matrix, row-major
 * @param err      error record
 * @return KNOB_OK, KNOB_EINVAL (fewer than 2 rows, a column out of range, a NaN naming column and row) or
 *         KNOB_ENOMEM
 */
int knob_dataset_correlation(const knob_dataset *ds, const size_t *cols, size_t m, int spearman, double *out,
                             knob_err *err);

/**
 * fANOVA (Hutter, Hoos & Leyton-Brown 2014) of a fitted regression tree / forest / extra_trees model over
 * the box [lo, hi] of its features (the uniform distribution on it): for every tree, the variance of each
 * single-feature marginal (the tree's prediction averaged over all other features) divided by the tree's
 * total variance; @p importance receives the mean of these fractions over the trees whose variance is > 0
 * (not normalised; all 0 when no tree varies).
 * @param m          a fitted regression model of kind tree, forest or extra_trees
 * @param lo         n_features lower bounds
 * @param hi         n_features upper bounds (hi > lo, finite)
 * @param importance receives n_features fractions
 * @param std        receives their standard deviations over the trees (population), or NULL
 * @param err        error record
 * @return KNOB_OK, KNOB_ESTATE (not fitted, not a regression forest), KNOB_EINVAL (bad bounds), KNOB_ENOMEM
 */
int knob_fanova_importance(const knob_model *m, const double *lo, const double *hi, double *importance,
                           double *std, knob_err *err);

/**
 * The single-feature marginal of feature @p j of the same model over the same box: at every grid value
 * v = @p grid[g], each tree's prediction averaged over the other features (uniformly on the box) with
 * feature j = v; @p mean and @p std receive its mean and (population) standard deviation over the trees.
 * @return KNOB_OK, KNOB_ESTATE, KNOB_EINVAL (j out of range, bad bounds) or KNOB_ENOMEM
 */
int knob_fanova_marginal(const knob_model *m, const double *lo, const double *hi, size_t j, const double *grid,
                         size_t n_grid, double *mean, double *std, knob_err *err);

#endif
