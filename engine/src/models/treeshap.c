/* treeshap.c — exact path-dependent TreeSHAP (Lundberg et al. 2018, Algorithm 2) for the CART trees of
 * tree / forest / extra_trees and the boosted trees of gbdt. See treeshap.h. */
#include <stdlib.h>
#include <string.h>

#include "knob/parallel.h"
#include "model_impl.h"
#include "tree.h"
#include "treeshap.h"

/* One tree seen through either node format. */
typedef struct {
    const knob_tree *ct;        /* a CART tree, or NULL */
    const knob_gbdt_tree *gt;   /* a boosted tree, or NULL */
    size_t n_val;               /* values per leaf (CART: n_out; gbdt: 1) */
    size_t out0;                /* the first output the leaf values add to */
    double scale;               /* multiplies every leaf value (1 / n_trees for a forest) */
} shap_tree;

static inline int node_feature(const shap_tree *t, int32_t i)
{
    return t->ct ? t->ct->node[i].feature : t->gt->nodes[i].feature;
}

static inline double node_cover(const shap_tree *t, int32_t i)
{
    return t->ct ? t->ct->cover[i] : t->gt->nodes[i].cover;
}

/* The left and right children of split node i. */
static inline void node_lr(const shap_tree *t, int32_t i, int32_t *l, int32_t *r)
{
    if (t->ct) {
        *l = t->ct->node[i].child;
        *r = *l + 1;
    } else {
        *l = t->gt->nodes[i].left;
        *r = t->gt->nodes[i].right;
    }
}

/* The children of split node i: the one row x takes (hot), as prediction routes it, and the other (cold). */
static inline void node_children(const shap_tree *t, int32_t i, const double *x, int32_t *hot, int32_t *cold)
{
    int32_t l, r;
    node_lr(t, i, &l, &r);
    int left = t->ct ? x[t->ct->node[i].feature] <= t->ct->node[i].threshold
                     : knob_gbdt_goes_left(&t->gt->nodes[i], x[t->gt->nodes[i].feature]);
    *hot = left ? l : r;
    *cold = left ? r : l;
}

static inline const double *leaf_values(const shap_tree *t, int32_t i)
{
    return t->ct ? t->ct->value + (size_t)t->ct->node[i].child * t->n_val : &t->gt->nodes[i].value;
}

/* ---- Algorithm 2 ---------------------------------------------------------------------------------- */

/* An element of the path of unique features: the fraction of "zero" paths (feature not in the coalition:
 * both branches, weighted by covers), of "one" paths (feature known: the branch x takes), and the weight of
 * the coalition sizes. */
typedef struct {
    int32_t feature;
    double zero, one, pweight;
} path_elem;

/* inv[i] = 1 / i (i >= 1): the algorithm's divisions by small integers become multiplications. */
static void extend_path(path_elem *m, size_t d, double zero, double one, int32_t feature, const double *inv)
{
    m[d] = (path_elem){feature, zero, one, d == 0 ? 1.0 : 0.0};
    double r = inv[d + 1];
    for (size_t i = d; i-- > 0;) {
        m[i + 1].pweight += one * m[i].pweight * (double)(i + 1) * r;
        m[i].pweight = zero * m[i].pweight * (double)(d - i) * r;
    }
}

static void unwind_path(path_elem *m, size_t d, size_t k, const double *inv)
{
    double one = m[k].one, zero = m[k].zero, next = m[d].pweight, dp1 = (double)(d + 1), r = inv[d + 1];
    if (one != 0) {
        double r1 = 1 / one;
        for (size_t i = d; i-- > 0;) {
            double tmp = m[i].pweight;
            m[i].pweight = next * dp1 * inv[i + 1] * r1;
            next = tmp - m[i].pweight * zero * (double)(d - i) * r;
        }
    } else {
        double z = dp1 / zero;
        for (size_t i = d; i-- > 0;) m[i].pweight *= z * inv[d - i];
    }
    for (size_t i = k; i < d; i++) {
        m[i].feature = m[i + 1].feature;
        m[i].zero = m[i + 1].zero;
        m[i].one = m[i + 1].one;
    }
}

/* The total weight the path would have with element k unwound (without modifying it). */
static double unwound_sum(const path_elem *m, size_t d, size_t k, const double *inv)
{
    double one = m[k].one, zero = m[k].zero, next = m[d].pweight, total = 0, dp1 = (double)(d + 1);
    if (one != 0) {
        double r1 = 1 / one, r = inv[d + 1];
        for (size_t i = d; i-- > 0;) {
            double tmp = next * dp1 * inv[i + 1] * r1;
            total += tmp;
            next = m[i].pweight - tmp * zero * (double)(d - i) * r;
        }
    } else {
        double z = dp1 / zero;
        for (size_t i = d; i-- > 0;) total += m[i].pweight * z * inv[d - i];
    }
    return total;
}

typedef struct {
    const shap_tree *t;
    const double *x;   /* the row (p values) */
    double *phi;       /* the row's K x p values */
    size_t p;
    const double *inv; /* inv[i] = 1 / i */
} row_ctx;

static void recurse(const row_ctx *c, int32_t node, path_elem *parent, size_t d, double zero, double one,
                    int32_t feature)
{
    const shap_tree *t = c->t;
    path_elem *m = parent + d + 1;
    memcpy(m, parent, (d + 1) * sizeof *m);
    extend_path(m, d, zero, one, feature, c->inv);
    int32_t f = node_feature(t, node);
    if (f < 0) {
        const double *v = leaf_values(t, node);
        for (size_t i = 1; i <= d; i++) {
            double w = unwound_sum(m, d, i, c->inv) * (m[i].one - m[i].zero) * t->scale;
            double *ph = c->phi + t->out0 * c->p + (size_t)m[i].feature;
            for (size_t o = 0; o < t->n_val; o++) ph[o * c->p] += w * v[o];
        }
        return;
    }
    int32_t hot, cold;
    node_children(t, node, c->x, &hot, &cold);
    double cover = node_cover(t, node);
    double hot_zero = node_cover(t, hot) / cover, cold_zero = node_cover(t, cold) / cover;
    double in_zero = 1, in_one = 1;
    size_t k = 1;
    while (k <= d && m[k].feature != f) k++;
    if (k <= d) { /* the feature was split on higher up: undo that element, its fractions carry on */
        in_zero = m[k].zero;
        in_one = m[k].one;
        unwind_path(m, d, k, c->inv);
        d--;
    }
    recurse(c, hot, m, d + 1, hot_zero * in_zero, in_one, f);
    recurse(c, cold, m, d + 1, cold_zero * in_zero, 0, f);
}

/* Cover-weighted mean of the leaf values below node i, added (scaled) to e[0..n_val-1]. */
static void expected_add(const shap_tree *t, int32_t i, double weight, double *e)
{
    if (node_feature(t, i) < 0) {
        const double *v = leaf_values(t, i);
        for (size_t o = 0; o < t->n_val; o++) e[o] += weight * t->scale * v[o];
        return;
    }
    int32_t l, r;
    node_lr(t, i, &l, &r);
    double cover = node_cover(t, i);
    expected_add(t, l, weight * node_cover(t, l) / cover, e);
    expected_add(t, r, weight * node_cover(t, r) / cover, e);
}

/* ---- driving: blocks of rows on worker threads ----------------------------------------------------- */

#define SHAP_BLOCK 64

typedef struct {
    const shap_tree *trees;
    size_t n_trees, k, p;
    const knob_dataset *ds;
    size_t path_len;     /* path elements one worker needs */
    const double *inv;   /* inv[i] = 1 / i for i = 1 .. max depth + 2 */
    double *xbuf;        /* threads x SHAP_BLOCK x p */
    path_elem *paths;    /* threads x path_len */
    double *phi;
} shap_run;

static void shap_task(void *ctx, size_t block, int worker)
{
    shap_run *r = ctx;
    size_t p = r->p, lo = block * SHAP_BLOCK;
    size_t hi = lo + SHAP_BLOCK < r->ds->n_rows ? lo + SHAP_BLOCK : r->ds->n_rows;
    double *xb = r->xbuf + (size_t)worker * SHAP_BLOCK * p;
    path_elem *path = r->paths + (size_t)worker * r->path_len;
    knob_gather_rows(r->ds, lo, hi - lo, xb);
    memset(r->phi + lo * r->k * p, 0, (hi - lo) * r->k * p * sizeof *r->phi);
    for (size_t i = 0; i < hi - lo; i++) {
        row_ctx c = {NULL, xb + i * p, r->phi + (lo + i) * r->k * p, p, r->inv};
        for (size_t t = 0; t < r->n_trees; t++) {
            c.t = &r->trees[t];
            recurse(&c, 0, path, 0, 1, 1, -1);
        }
    }
}

/* Run TreeSHAP over every row of @p ds for @p trees of depth at most @p max_depth. */
static int shap_run_all(const shap_tree *trees, size_t n_trees, size_t k, size_t max_depth, const knob_dataset *ds,
                        int threads, double *phi, double *expected, knob_err *err)
{
    size_t p = ds->frame->n_features, n = ds->n_rows;
    memset(expected, 0, k * sizeof *expected);
    for (size_t t = 0; t < n_trees; t++) expected_add(&trees[t], 0, 1.0, expected + trees[t].out0);
    if (n == 0) return KNOB_OK;
    if (max_depth > 100000) return knob_err_set(err, KNOB_EINVAL, "shap: a tree is %zu levels deep (at most 100000)", max_depth);
    size_t blocks = (n + SHAP_BLOCK - 1) / SHAP_BLOCK;
    int th = threads > 0 ? threads : knob_parallel_default_threads();
    if ((size_t)th > blocks) th = (int)blocks;
    double *inv = malloc((max_depth + 3) * sizeof *inv);
    shap_run r = {trees, n_trees, k, p, ds, (max_depth + 2) * (max_depth + 3) / 2, inv, NULL, NULL, phi};
    r.xbuf = malloc((size_t)th * SHAP_BLOCK * (p ? p : 1) * sizeof *r.xbuf);
    r.paths = calloc((size_t)th * r.path_len, sizeof *r.paths);
    for (size_t i = 1; inv && i < max_depth + 3; i++) inv[i] = 1.0 / (double)i;
    int rc = KNOB_OK;
    if (!inv || !r.xbuf || !r.paths) rc = knob_err_set(err, KNOB_ENOMEM, "shap: out of memory for %zu-level trees", max_depth);
    else knob_parallel_for(blocks, th, shap_task, &r);
    free(inv);
    free(r.xbuf);
    free(r.paths);
    return rc;
}

/* ---- the model kinds ------------------------------------------------------------------------------- */

size_t knob_forest_shap_outputs(const knob_model *m)
{
    const knob_forest_state *s = m->state;
    return s ? s->n_out : 0;
}

static int no_covers(const knob_model *m, knob_err *err)
{
    return knob_err_set(err, KNOB_ESTATE, "%s: this model was saved without node covers (by an older knob); refit "
                        "it to compute SHAP values", m->vt->kind);
}

int knob_forest_shap(const knob_model *m, const knob_dataset *ds, double *phi, double *expected, knob_err *err)
{
    const knob_forest_state *s = m->state;
    size_t depth = 0;
    for (size_t t = 0; t < s->n_trees; t++) {
        if (!s->trees[t].cover) return no_covers(m, err);
        if ((size_t)s->trees[t].depth > depth) depth = (size_t)s->trees[t].depth;
    }
    int rc = knob_trees_check_missing(s->trees, s->n_trees, ds, m->schema.names, err);
    if (rc) return rc;
    shap_tree *st = malloc((s->n_trees ? s->n_trees : 1) * sizeof *st);
    if (!st) return knob_err_set(err, KNOB_ENOMEM, "shap: out of memory");
    for (size_t t = 0; t < s->n_trees; t++) st[t] = (shap_tree){&s->trees[t], NULL, s->n_out, 0, 1.0 / (double)s->n_trees};
    rc = shap_run_all(st, s->n_trees, s->n_out, depth, ds, (int)knob_params_num(&m->params, "n_jobs"), phi, expected, err);
    free(st);
    return rc;
}

int knob_treeshap_gbdt(const knob_gbdt_tree *trees, size_t n_trees, size_t k, const double *base,
                       const knob_dataset *ds, int threads, double *phi, double *expected, knob_err *err)
{
    size_t most = 1, depth = 0;
    for (size_t t = 0; t < n_trees; t++)
        if (trees[t].n_nodes > most) most = trees[t].n_nodes;
    shap_tree *st = malloc((n_trees ? n_trees : 1) * sizeof *st);
    size_t *dep = malloc(most * sizeof *dep);
    int rc = KNOB_OK;
    if (!st || !dep) rc = knob_err_set(err, KNOB_ENOMEM, "shap: out of memory");
    for (size_t t = 0; rc == KNOB_OK && t < n_trees; t++) {
        const knob_gbdt_tree *g = &trees[t];
        st[t] = (shap_tree){NULL, g, 1, t % k, 1.0};
        dep[0] = 0;
        for (size_t i = 0; i < g->n_nodes; i++) { /* children come after their parent */
            const knob_gbdt_node *nd = &g->nodes[i];
            if (nd->feature < 0) continue;
            if (!(nd->cover > 0))
                rc = knob_err_set(err, KNOB_ESTATE, "gbdt: this model was saved without node covers (by an older "
                                  "knob); refit it to compute SHAP values");
            dep[nd->left] = dep[nd->right] = dep[i] + 1;
            if (dep[i] + 1 > depth) depth = dep[i] + 1;
        }
    }
    free(dep);
    if (rc == KNOB_OK) rc = shap_run_all(st, n_trees, k, depth, ds, threads, phi, expected, err);
    for (size_t o = 0; rc == KNOB_OK && o < k; o++) expected[o] += base[o];
    free(st);
    return rc;
}
