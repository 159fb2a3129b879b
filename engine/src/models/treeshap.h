/*
 * treeshap.h — exact TreeSHAP for the tree kinds (internal to engine/src/models; not public API).
 *
 * Lundberg, Erion & Lee (2018), "Consistent Individualized Feature Attribution for Tree Ensembles",
 * Algorithm 2: the path-dependent Shapley values of every feature for one row in O(leaves x depth^2) per
 * tree. A feature outside the coalition follows both branches, weighted by the covers (training rows) of the
 * children. Each split sends a row the way prediction does (CART: x <= threshold; gbdt: missing values to
 * the default side, categorical sets by level code), so categorical splits and missing values are handled
 * exactly as the trees handle them. Rows are processed in blocks on worker threads; each row sums the trees
 * in order, so the result does not depend on the thread count.
 *
 * Layout (both functions): phi[(i * K + o) * p + j] for row i, output o (K outputs) and feature j (p
 * features); expected[o] is the cover-weighted mean output.
 */
#ifndef KNOB_TREESHAP_H
#define KNOB_TREESHAP_H

#include <stddef.h>

#include "gbdt.h"
#include "knob/dataset.h"
#include "knob/err.h"
#include "knob/model.h"

/** vtable entries of tree, forest and extra_trees (m->state is a knob_forest_state): the explained outputs
 *  are the leaf values averaged over trees, i.e. class probabilities (K = classes) or the regression value. */
size_t knob_forest_shap_outputs(const knob_model *m);
int knob_forest_shap(const knob_model *m, const knob_dataset *ds, double *phi, double *expected, knob_err *err);

/**
 * SHAP values of a boosted ensemble's raw score: output o = base[o] + the trees t with t % k == o.
 * @param trees   the trees (each node's cover must be set: > 0 at every split)
 * @param n_trees number of trees
 * @param k       outputs (trees per round)
 * @param base    k initial raw scores (added to expected)
 * @param ds      rows aligned to the training schema (NaN = missing)
 * @param threads worker threads (> 0)
 * @param phi     receives n_rows * k * p doubles
 * @param expected receives k doubles
 * @param err     error record
 * @return KNOB_OK, KNOB_ESTATE (a tree without covers) or KNOB_ENOMEM
 */
int knob_treeshap_gbdt(const knob_gbdt_tree *trees, size_t n_trees, size_t k, const double *base,
                       const knob_dataset *ds, int threads, double *phi, double *expected, knob_err *err);

#endif
