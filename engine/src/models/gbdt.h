/*
 * gbdt.h — internals of the gradient-boosted decision trees model kind (not public API).
 *
 *   gbdt_bins.c  quantile binning of features into uint8 codes (NaN gets its own bin)
 *   gbdt_tree.c  histogram building, split finding, leaf-wise growth, prediction by raw thresholds
 *   gbdt.c       the model vtable, hyperparameters, losses, the boosting loop, persistence
 *
 * Binning: feature j has n_bins[j] value bins (1..255) and one more bin, code n_bins[j], for missing values.
 * A categorical feature with at most max_bins levels gets one bin per level (bin = level code) and is split
 * by sets of levels (LightGBM's sorted-gradient method); one with more levels is binned as ordered codes.
 * Value bin b holds the values x with upper[b-1] < x <= upper[b] (upper of the last value bin is +inf), so
 * "bin(x) <= t" is exactly "x <= upper[t]": a split learned on bins is stored with its real-valued threshold
 * and new data traversed by raw values goes the same way as binned training data.
 */
#ifndef KNOB_GBDT_H
#define KNOB_GBDT_H

#include <stddef.h>
#include <stdint.h>

#include "knob/dataset.h"
#include "knob/err.h"

/** Bin boundaries of every feature. */
typedef struct {
    size_t n_features;
    int *n_bins;        /**< value bins per feature (the missing bin's code is n_bins[j]) */
    size_t *offset;     /**< first slot of feature j in a histogram; feature j has n_bins[j] + 1 slots */
    size_t total;       /**< histogram slots over all features */
    double *upper;      /**< upper[offset[j] + b]: inclusive upper bound of value bin b of feature j */
    uint8_t *categorical; /**< 1: feature j is split by sets of level codes (bin b = level b) */
} knob_gbdt_bins;

/**
 * Compute quantile bin boundaries for every feature of @p ds from at most @p sample_cap of its rows (a
 * seeded sample without replacement when the data has more rows). Distinct values get their own bin when
 * there are at most @p max_bins of them; otherwise bins of about equal counts. Thresholds are midpoints
 * between neighbouring distinct values. A categorical column with at most @p max_bins levels gets one bin
 * per level code.
 * @param b          receives the boundaries (free with knob_gbdt_bins_free)
 * @param ds         training data (numeric features and categorical level codes; NaN = missing)
 * @param max_bins   value bins per feature, 2..255
 * @param sample_cap rows used at most
 * @param seed       seed of the row sample
 * @param threads    worker threads (knob_parallel_for)
 * @param err        error record
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_gbdt_bins_fit(knob_gbdt_bins *b, const knob_dataset *ds, int max_bins, size_t sample_cap,
                       uint64_t seed, int threads, knob_err *err);

/** Free the arrays of @p b and zero it. Safe on a zeroed struct. */
void knob_gbdt_bins_free(knob_gbdt_bins *b);

/**
 * Bin every value of @p ds (with the same columns as the data the bins were fitted on) into @p out,
 * column-major: out[j * n_rows + i].
 * @param out     n_rows * n_features bytes
 * @param threads worker threads
 */
void knob_gbdt_bins_apply(const knob_gbdt_bins *b, const knob_dataset *ds, uint8_t *out, int threads);

/** Level codes a categorical split can name (codes 0..255). */
#define KNOB_GBDT_MAX_CATS 256

/** One node of a tree. Children always have larger indices than their parent. */
typedef struct {
    int32_t feature;       /**< split feature, or -1 for a leaf */
    int32_t left, right;   /**< child node indices (-1 for a leaf) */
    int32_t bin;           /**< numeric split, training only: rows with bin code <= bin go left */
    int32_t default_left;  /**< 1: missing values go left */
    int32_t categorical;   /**< 1: a set split: level codes in cats go left, every other code right */
    double threshold;      /**< numeric split: values <= threshold go left (may be +inf) */
    double value;          /**< leaf output, learning rate applied (0 for internal nodes) */
    double gain;           /**< loss reduction of the split (0 for leaves) */
    double cover;          /**< training rows that reached the node (in-bag rows of its round), like LightGBM's
                                internal/leaf counts; 0 for a tree loaded from a file saved without covers */
    uint32_t cats[KNOB_GBDT_MAX_CATS / 32]; /**< categorical split: bit c set = level code c goes left */
} knob_gbdt_node;

/** Non-zero if a categorical node sends level code @p c (0 <= c < KNOB_GBDT_MAX_CATS) left. */
static inline int knob_gbdt_cat_left(const knob_gbdt_node *nd, unsigned c)
{
    return (int)((nd->cats[c >> 5] >> (c & 31)) & 1u);
}

/** A tree: nodes[0] is the root. */
typedef struct {
    size_t n_nodes;
    knob_gbdt_node *nodes;
} knob_gbdt_tree;

/** Non-zero if the split node @p nd sends the raw value @p v (NaN = missing) left. */
static inline int knob_gbdt_goes_left(const knob_gbdt_node *nd, double v)
{
    if (v != v) return nd->default_left;
    if (nd->categorical) return v >= 0 && v < KNOB_GBDT_MAX_CATS && knob_gbdt_cat_left(nd, (unsigned)v);
    return v <= nd->threshold;
}

/** Leaf of the node reached by raw values x (x[j] = feature j, NaN = missing). */
static inline const knob_gbdt_node *knob_gbdt_tree_leaf(const knob_gbdt_tree *t, const double *x)
{
    const knob_gbdt_node *nd = t->nodes;
    while (nd->feature >= 0) nd = t->nodes + (knob_gbdt_goes_left(nd, x[nd->feature]) ? nd->left : nd->right);
    return nd;
}

/** Hyperparameters of one tree. */
typedef struct {
    int max_leaves;            /**< >= 2 */
    int max_depth;             /**< 0 = unlimited */
    size_t min_samples_leaf;   /**< rows per leaf, >= 1 */
    double min_child_weight;   /**< hessian per leaf */
    double l2, l1;             /**< regularisation of leaf values */
    double min_split_gain;     /**< a split must reduce the loss by more than this */
    double learning_rate;      /**< multiplies every leaf value */
    int threads;               /**< worker threads */
    int split_search;          /**< KNOB_GBDT_SEARCH_*: how a leaf's best split is found */
} knob_gbdt_tree_params;

/** How the grower finds a leaf's best split: the same candidates and sums either way (up to rounding). */
enum {
    KNOB_GBDT_SEARCH_AUTO,      /**< by the data's size: rows up to 250 + 10 x the features' mean bins (at most
                                     1024 rows), else histograms */
    KNOB_GBDT_SEARCH_HISTOGRAM, /**< histograms of the leaf's rows by bin */
    KNOB_GBDT_SEARCH_ROWS,      /**< the leaf's rows in each feature's value order (numeric features, l1 = 0) */
};

typedef struct knob_gbdt_grower knob_gbdt_grower;

/**
 * A tree grower over a binned training matrix (kept by reference: it must outlive the grower).
 * @param bins   the bin boundaries
 * @param binned n_rows * n_features codes, column-major
 * @param n_rows training rows
 * @param tp     tree hyperparameters (copied)
 * @param err    error record
 * @return the grower, or NULL with @p err set
 */
knob_gbdt_grower *knob_gbdt_grower_new(const knob_gbdt_bins *bins, const uint8_t *binned, size_t n_rows,
                                       const knob_gbdt_tree_params *tp, knob_err *err);

/** Free a grower and null the pointer. Safe on NULL. */
void knob_gbdt_grower_free(knob_gbdt_grower **g);

/**
 * Grow one tree, best leaf first, on gradients and hessians @p gh (interleaved: gh[2i], gh[2i+1] for row i).
 * @param g     the grower
 * @param gh    2 * n_rows values
 * @param rows  the rows to train on, ascending (NULL = all rows)
 * @param m     number of rows in @p rows (n_rows when rows is NULL)
 * @param feats the features splits may use, ascending
 * @param nf    number of entries in @p feats
 * @param out   receives the tree (its node array is malloc'd; the caller frees out->nodes)
 * @param err   error record
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_gbdt_grow(knob_gbdt_grower *g, const double *gh, const uint32_t *rows, size_t m, const int *feats,
                   size_t nf, knob_gbdt_tree *out, knob_err *err);

/** Number of leaves of the last grown tree. */
size_t knob_gbdt_grower_n_leaves(const knob_gbdt_grower *g);

/**
 * The training rows that reached leaf @p k (0 <= k < n_leaves) of the last grown tree.
 * @param node receives the leaf's node index in the tree
 * @param n    receives the number of rows
 * @return the row indices (owned by the grower; valid until the next grow)
 */
const uint32_t *knob_gbdt_grower_leaf(const knob_gbdt_grower *g, size_t k, int32_t *node, size_t *n);

/**
 * Add the leaf value of @p t to out[i * stride] for the rows i of a binned matrix, traversing by bin codes.
 * @param t      the tree (its nodes' bin fields must be set: a tree grown on these bins)
 * @param bins   the bins (each feature's missing-bin code)
 * @param binned codes, column-major, @p n rows
 * @param n      rows of @p binned
 * @param rows   the rows to visit, or NULL for rows 0..m-1
 * @param m      number of rows to visit
 * @param out    receives the additions
 * @param stride distance between consecutive rows' entries in @p out
 */
void knob_gbdt_tree_add_binned(const knob_gbdt_tree *t, const knob_gbdt_bins *bins, const uint8_t *binned,
                               size_t n, const uint32_t *rows, size_t m, double *out, size_t stride);

/**
 * Raw scores of @p ds: out[i * k + c] = base[c] + sum of the trees of class c (tree t belongs to class t % k).
 * Trees are summed in order, so the result does not depend on @p threads.
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_gbdt_predict_raw(const knob_gbdt_tree *trees, size_t n_trees, size_t k, const double *base,
                          const knob_dataset *ds, double *out, int threads, knob_err *err);

#endif
