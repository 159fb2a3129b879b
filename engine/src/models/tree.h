/*
 * tree.h — internal to the tree kinds (tree.c, forest.c): CART trees grown with exact splits, the training
 * data they share, prediction and JSON persistence. Not public API.
 *
 * A fitted tree is an array of nodes in depth-first preorder (root 0, a left child before its subtree's right
 * sibling). An internal node sends a row left when x[feature] <= threshold; its children are nodes child and
 * child + 1 (so every child index is greater than its parent's: traversal always ends). A leaf has feature -1
 * and child = its row in the leaf value table (n_out doubles per leaf: class probabilities, or one
 * regression value).
 *
 * Growing follows scikit-learn 1.2's DepthFirstTreeBuilder with BestSplitter / RandomSplitter:
 *   - a node is a leaf when depth >= max_depth, n < min_samples_split, n < 2 * min_samples_leaf, or its
 *     impurity <= DBL_EPSILON; n counts distinct (in-bag) training rows;
 *   - candidate features are drawn without replacement; drawing stops after max_features features once at
 *     least one was not constant in the node (constant features count as drawn);
 *   - best splits: thresholds at midpoints between consecutive distinct values (values closer than 1e-7 are
 *     not separated; a midpoint that rounds up to the upper value becomes the lower value); random splits
 *     (extra trees): one threshold per feature drawn uniformly in [min, max) of the node's values;
 *   - the winner maximises the weighted impurity decrease (first one wins a tie, in draw order); children
 *     need >= min_samples_leaf rows and a positive weight; the split is kept when
 *     improvement + DBL_EPSILON >= min_impurity_decrease, improvement = W_node / W_root * (impurity -
 *     W_left / W_node * impurity_left - W_right / W_node * impurity_right);
 *   - feature importances: the total of W_node * impurity - W_left * impurity_left - W_right *
 *     impurity_right over the nodes splitting on a feature, normalised to sum 1 (all zero: a single leaf).
 * Impurities: gini 1 - sum p_c^2, entropy -sum p_c log2 p_c, squared_error the weighted variance.
 *
 * Best splits scan each candidate feature in sorted order. Rows are sorted once per fit (per feature); a
 * tree keeps, for every feature, its in-bag rows in that order, and a split partitions those lists stably, so
 * a node's rows stay sorted without sorting again ("presorted" mode). Where that costs more than sorting the
 * few drawn features at a node (many features, few drawn, small node) the subtree sorts per node instead.
 */
#ifndef KNOB_TREE_H
#define KNOB_TREE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "knob/dataset.h"
#include "knob/err.h"
#include "knob/model.h"
#include "knob/rng.h"

struct cJSON;

/** One node: 16 bytes, so a traversal step reads one cache line. */
typedef struct {
    double threshold;   /**< internal: go left when x <= threshold; leaf: 0 */
    int32_t feature;    /**< split feature, or -1 for a leaf */
    int32_t child;      /**< internal: left child (the right one is child + 1); leaf: row in value */
} knob_tree_node;

/** A fitted tree. */
typedef struct {
    knob_tree_node *node;   /**< n_nodes nodes, depth-first preorder */
    double *value;          /**< n_leaves * n_out leaf values */
    double *cover;          /**< n_nodes training weights reaching each node (in-bag rows x sample weights;
                                 scikit-learn's weighted_n_node_samples), or NULL for a tree loaded from a file
                                 saved without them; TreeSHAP needs them */
    int32_t n_nodes, n_leaves;
    int32_t depth;          /**< depth of the deepest leaf (root = 0) */
} knob_tree;

/** Split criteria. */
enum { KNOB_CRIT_GINI = 0, KNOB_CRIT_ENTROPY = 1, KNOB_CRIT_MSE = 2 };

/** How to grow one tree (resolved from the hyperparameters for a given dataset). */
typedef struct {
    int criterion;                  /**< KNOB_CRIT_* */
    int random_splits;              /**< non-zero: extra trees (one random threshold per drawn feature) */
    long max_depth;                 /**< -1: unlimited */
    size_t min_samples_split;       /**< >= 2 */
    size_t min_samples_leaf;        /**< >= 1 */
    size_t max_features;            /**< features drawn per node, 1..p */
    double min_impurity_decrease;   /**< >= 0 */
} knob_tree_cfg;

/** Training data shared (read-only) by every tree of a fit. */
typedef struct {
    size_t n, p;            /**< rows, features */
    size_t k;               /**< classes (classification) or 0 (regression) */
    double *X;              /**< column-major n x p (owned) */
    int32_t *yc;            /**< classification: class codes (owned), else NULL */
    double *y;              /**< regression: targets (owned), else NULL */
    double *w;              /**< n row weights: sample_weight x class weight (owned) */
    uint32_t *order;        /**< p x n: rows sorted by each feature (owned), or NULL (random splits / sorting) */
    double *sorted;         /**< p x n: each feature's values in that order (owned), or NULL */
} knob_tree_data;

/** The hyperparameters every tree kind has; expanded into each kind's knob_param_spec table. */
extern const char *const knob_tree_criteria[];
extern const char *const knob_tree_mf_modes[];
extern const char *const knob_tree_class_weights[];
#define KNOB_TREE_PARAM_SPECS                                                                                    \
    {"criterion", KNOB_PT_STR, 0, "auto", NAN, NAN, 0, 0, knob_tree_criteria, 0,                                 \
     "split quality: auto (gini / squared_error), gini, entropy (= log_loss), squared_error"},                   \
    {"max_depth", KNOB_PT_INT, NAN, NULL, 1, 1e9, 0, 0, NULL, 1, "deepest level (root = 0); unset = unlimited"}, \
    {"min_samples_split", KNOB_PT_INT, 2, NULL, 2, 1e12, 0, 0, NULL, 0, "rows a node needs to be split"},        \
    {"min_samples_leaf", KNOB_PT_INT, 1, NULL, 1, 1e12, 0, 0, NULL, 0, "rows each child must keep"},            \
    {"max_features", KNOB_PT_NUM, NAN, NULL, 0, NAN, 1, 0, NULL, 1,                                              \
     "with max_features_mode = fraction: a fraction in (0, 1]; with count: a whole number >= 1"},              \
    {"max_features_mode", KNOB_PT_STR, 0, "auto", NAN, NAN, 0, 0, knob_tree_mf_modes, 0,                         \
     "features drawn per split: auto (forest classifiers sqrt, else all), all, sqrt, log2, fraction, count"},  \
    {"min_impurity_decrease", KNOB_PT_NUM, 0, NULL, 0, NAN, 0, 0, NULL, 0,                                       \
     "split only if the weighted impurity decrease is at least this"},                                          \
    {"class_weight", KNOB_PT_STR, 0, "none", NAN, NAN, 0, 0, knob_tree_class_weights, 0,                         \
     "none, or balanced: weight class c by n / (k * n_c)"},                                                     \
    {"seed", KNOB_PT_INT, 0, NULL, 0, 9007199254740992.0, 0, 0, NULL, 0, "seed of the random feature draws"}

/**
 * Cross-parameter check of the shared tree hyperparameters (max_features with its mode).
 * @return NULL or a message naming the parameters at fault
 */
const char *knob_tree_check_params(const knob_params *p);

/**
 * Resolve the growing configuration of @p m for @p p features.
 * @param forest non-zero for forest kinds (max_features_mode auto = sqrt for classification)
 * @param random_splits non-zero for extra trees
 * @return KNOB_OK, or KNOB_EINVAL naming the parameter (criterion for the wrong task, count > features)
 */
int knob_tree_cfg_from_params(const knob_model *m, size_t p, int forest, int random_splits, knob_tree_cfg *cfg,
                              knob_err *err);

/**
 * Gather the training data of @p train: features (NaN or infinite values are an error naming the column and
 * row), targets, row weights (sample_weight times the class weights of class_weight = balanced, computed on
 * the unweighted class counts). With @p presort the row orders are sorted on @p threads threads.
 * @return KNOB_OK or an error (the data is freed)
 */
int knob_tree_data_init(knob_tree_data *d, const knob_model *m, const knob_dataset *train,
                        const double *sample_weight, int presort, int threads, knob_err *err);

/** Free the data's arrays. Safe on a zeroed struct. */
void knob_tree_data_free(knob_tree_data *d);

/** A value with its row, for sorting. */
typedef struct {
    double x;
    uint32_t row;
} knob_tree_pair;

/** Sort @p a[0..n-1] by x ascending (introsort; ties in no particular but deterministic order). */
void knob_tree_sort_pairs(knob_tree_pair *a, size_t n);

/**
 * Whether keeping every feature's rows in sorted order (and partitioning all of them at each split) is
 * cheaper than sorting the @p max_features drawn features at a node of @p n rows, with @p p features.
 */
int knob_tree_presort_pays(size_t n, size_t p, size_t max_features);

/** Scratch memory for growing trees on one thread (opaque; reused tree after tree). */
typedef struct knob_tree_work knob_tree_work;

/** Scratch for growing trees on @p d with @p cfg; NULL when out of memory. */
knob_tree_work *knob_tree_work_new(const knob_tree_data *d, const knob_tree_cfg *cfg);

/** Free scratch memory and null the pointer. Safe on NULL. */
void knob_tree_work_free(knob_tree_work **w);

/**
 * Grow one tree.
 * @param t     receives the tree (free it with knob_tree_free)
 * @param count in-bag multiplicity per row (a bootstrap sample; rows with 0 are left out), or NULL for all
 *              rows once
 * @param rng   the tree's random stream (feature draws, random thresholds)
 * @param importance receives the tree's p normalised feature importances (all zero for a single leaf)
 * @return KNOB_OK, KNOB_ENOMEM, or KNOB_EINVAL when the in-bag weights sum to zero
 */
int knob_tree_grow(knob_tree *t, const knob_tree_data *d, const knob_tree_cfg *cfg, const uint32_t *count,
                   knob_rng *rng, knob_tree_work *w, double *importance, knob_err *err);

/** Free a tree's arrays and zero it. Safe on a zeroed tree. */
void knob_tree_free(knob_tree *t);

/** Leaf values (n_out doubles) reached by the row-major feature row @p x. */
static inline const double *knob_tree_leaf(const knob_tree *t, const double *x, size_t n_out)
{
    const knob_tree_node *nd = t->node;
    int32_t i = 0;
    while (nd[i].feature >= 0) i = nd[i].child + (x[nd[i].feature] > nd[i].threshold);
    return t->value + (size_t)nd[i].child * n_out;
}

/**
 * Check that no row of @p ds (aligned to the training schema) is missing (NaN) in a feature some of the
 * @p n_trees trees split on.
 * @param names feature names for messages
 * @return KNOB_OK, KNOB_EINVAL naming the column and 1-based row, or KNOB_ENOMEM
 */
int knob_trees_check_missing(const knob_tree *trees, size_t n_trees, const knob_dataset *ds, char *const *names,
                             knob_err *err);

/**
 * Mean of the leaf values of @p n_trees trees for every row of @p ds (already aligned to the training schema):
 * @p out receives n_rows x n_out doubles. A missing (NaN) value in a feature some tree splits on is an error
 * naming the column and row. Rows are processed in blocks on @p threads threads; each row sums the trees in
 * order, so the result does not depend on the thread count.
 * @param names feature names for messages
 */
int knob_trees_predict(const knob_tree *trees, size_t n_trees, size_t n_out, const knob_dataset *ds,
                       char *const *names, int threads, double *out, knob_err *err);

/** Index of the largest of @p v[0..k-1] (the first on ties). */
size_t knob_tree_argmax(const double *v, size_t k);

/** Add @p t to the JSON array @p arr as an object of base64 little-endian arrays (covers as "cover" when
 *  the tree has them). */
int knob_tree_to_json(const knob_tree *t, size_t n_out, struct cJSON *arr, knob_err *err);

/**
 * Read a tree written by knob_tree_to_json, checking every index (features < @p p, children after their
 * parent, leaf rows in range) so a tampered file cannot crash prediction. The "cover" array is optional (files
 * written before covers were kept have none: t->cover stays NULL); when present its entries must be finite and
 * >= 0, each internal node's positive.
 * @param field names the tree in messages, e.g. "state.trees[3]"
 */
int knob_tree_from_json(knob_tree *t, const struct cJSON *obj, size_t p, size_t n_out, const char *field,
                        knob_err *err);

/** Bytes held by a tree. */
size_t knob_tree_bytes(const knob_tree *t, size_t n_out);

/* ---- the fitted state every tree kind shares (a single tree is an ensemble of one) ---------------- */

/** Fitted state of tree, forest and extra_trees. */
typedef struct {
    size_t n_trees;
    knob_tree *trees;
    size_t n_out;          /**< classes (leaf values are class probabilities) or 1 (regression) */
    size_t p;              /**< features */
    double *importance;    /**< p feature importances (sum 1, or all 0 when no tree split) */
    double oob_score;      /**< accuracy / R^2 on out-of-bag rows; NaN when not computed */
} knob_forest_state;

/** A new empty state for @p n_trees trees of @p n_out outputs over @p p features (NULL: out of memory). */
knob_forest_state *knob_forest_state_new(size_t n_trees, size_t n_out, size_t p);

/* vtable entries shared by the tree kinds (m->state is a knob_forest_state) */
int knob_forest_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err);
int knob_forest_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err);
int knob_forest_save(const knob_model *m, struct cJSON *obj, knob_err *err);
int knob_forest_load(knob_model *m, const struct cJSON *obj, knob_err *err);
void knob_forest_free(knob_model *m);
int knob_forest_importances(const knob_model *m, double *out, knob_err *err);
size_t knob_forest_n_learned(const knob_model *m);
size_t knob_forest_bytes(const knob_model *m);

/**
 * Whether to presort for a fit of @p n rows, @p p features and @p cfg: exact splits, the memory is
 * reasonable and knob_tree_presort_pays at the root.
 */
int knob_tree_use_presort(size_t n, size_t p, const knob_tree_cfg *cfg);

#endif
