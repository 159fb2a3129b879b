/**
 * @file pareto.h
 * @brief Pareto dominance for multi-objective search: non-dominated sorting, crowding distance, hypervolume.
 *
 * Every function takes n points of m objectives as a row-major n x m array of LOSSES: smaller is better in
 * every objective (a caller turns a maximized objective into a loss by negating it). Values must not be NaN;
 * +-inf is allowed. A point a dominates b when a <= b in every objective and a < b in at least one.
 */
#ifndef KNOB_PARETO_H
#define KNOB_PARETO_H

#include <stddef.h>

#include "knob/err.h"

/**
 * Fast non-dominated sort (Deb et al. 2002, without the O(n^2) domination lists: a front is peeled by
 * decrementing the domination counts of the points its members dominate, O(m n^2) time, O(n) memory).
 * @param values  n x m losses, row-major
 * @param n       number of points (0 is allowed)
 * @param m       number of objectives (>= 1)
 * @param rank    receives n ranks: 0 for the non-dominated front, 1 for the next front, ...
 * @param err     filled on failure
 * @return KNOB_OK, KNOB_EINVAL (m = 0, a NaN value: names the point and objective) or KNOB_ENOMEM
 */
int knob_pareto_rank(const double *values, size_t n, size_t m, int *rank, knob_err *err);

/**
 * Crowding distance of every point within its front (NSGA-II): per objective, the points of a front sorted
 * by that objective; the two extremes get +inf, an inner point adds (next - previous) / (max - min) of the
 * front (nothing when max == min). A front of one or two points is all +inf.
 * @param values  n x m losses, row-major
 * @param n       number of points
 * @param m       number of objectives (>= 1)
 * @param rank    n front indices (from knob_pareto_rank, or any grouping: points with equal rank form a front)
 * @param out     receives n crowding distances
 * @param err     filled on failure
 * @return KNOB_OK, KNOB_EINVAL (m = 0, NaN, a negative rank) or KNOB_ENOMEM
 */
int knob_pareto_crowding(const double *values, size_t n, size_t m, const int *rank, double *out, knob_err *err);

/**
 * Hypervolume dominated by the points and bounded by the reference point ref (the Lebesgue measure of the
 * union of the boxes [p, ref]). Points not strictly better than ref in every objective contribute nothing.
 * Exact for every m: m = 1 and m = 2 by a sort and a sweep (O(n log n)); m >= 3 by slicing along the last
 * objective (HSO), O(n^(m-1) log n): fine for a few hundred points in 3-D, slow beyond 4-D.
 * @param values  n x m losses, row-major
 * @param n       number of points (0 gives 0)
 * @param m       number of objectives (>= 1)
 * @param ref     m finite reference coordinates
 * @param out     receives the hypervolume
 * @param err     filled on failure
 * @return KNOB_OK, KNOB_EINVAL (m = 0, NaN, a non-finite reference) or KNOB_ENOMEM
 */
int knob_pareto_hypervolume(const double *values, size_t n, size_t m, const double *ref, double *out,
                            knob_err *err);

/**
 * Hypervolume contribution of every point: hypervolume(all) - hypervolume(all but i) (0 for a dominated
 * point or one outside the reference box). Used to rank the points of one front (MOTPE-style selection).
 * @param values  n x m losses, row-major
 * @param n       number of points
 * @param m       number of objectives (>= 1)
 * @param ref     m finite reference coordinates
 * @param out     receives n contributions
 * @param err     filled on failure
 * @return KNOB_OK, KNOB_EINVAL or KNOB_ENOMEM
 */
int knob_pareto_hv_contributions(const double *values, size_t n, size_t m, const double *ref, double *out,
                                 knob_err *err);

#endif
