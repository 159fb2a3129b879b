/* fanova.c — functional ANOVA of the trees of a fitted regression tree / forest / extra_trees model over a
 * box of its features (Hutter, Hoos & Leyton-Brown 2014, "An Efficient Approach for Assessing Hyperparameter
 * Importance"). See knob/importance.h.
 *
 * A tree partitions the box into leaf cells. With the uniform distribution on the box, a leaf's weight is
 * its cell's volume fraction, the tree's mean is sum w_l v_l and its variance sum w_l (v_l - mean)^2. The
 * marginal of feature j at value x is sum over the leaves whose cell contains x in dimension j of
 * v_l w_l / f_lj (f_lj = the cell's width fraction in dimension j): the other dimensions averaged out. It
 * is constant between the tree's thresholds on j, so its variance is a finite sum over those intervals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/importance.h"
#include "knob/util.h"
#include "tree.h"

/* The leaves of one tree clipped to the box: per leaf its value, weight and p cell bounds. */
typedef struct {
    size_t p, n;          /* features, leaves */
    double *value;        /* n */
    double *weight;       /* n: the cell's volume fraction */
    double *cell;         /* n x 2p: lo, hi per feature */
    double *stack;        /* depth x 2p: the boxes along the current path */
} leaf_cells;

static void collect(const knob_tree *t, int32_t i, leaf_cells *c, const double *lo, const double *hi, double *box)
{
    size_t p = c->p;
    const knob_tree_node *nd = &t->node[i];
    if (nd->feature < 0) {
        double w = 1;
        double *cell = c->cell + c->n * 2 * p;
        memcpy(cell, box, 2 * p * sizeof *cell);
        for (size_t k = 0; k < p; k++) w *= (cell[2 * k + 1] - cell[2 * k]) / (hi[k] - lo[k]);
        c->value[c->n] = t->value[nd->child]; /* regression: one value per leaf */
        c->weight[c->n++] = w;
        return;
    }
    double *child = box + 2 * p; /* the next level's box on the stack */
    size_t f = (size_t)nd->feature;
    double th = nd->threshold;
    memcpy(child, box, 2 * p * sizeof *child);
    if (th < child[2 * f + 1]) child[2 * f + 1] = th < child[2 * f] ? child[2 * f] : th;
    collect(t, nd->child, c, lo, hi, child);
    memcpy(child, box, 2 * p * sizeof *child);
    if (th > child[2 * f]) child[2 * f] = th > child[2 * f + 1] ? child[2 * f + 1] : th;
    collect(t, nd->child + 1, c, lo, hi, child);
}

static int cells_of(const knob_tree *t, leaf_cells *c, const double *lo, const double *hi)
{
    size_t p = c->p;
    c->n = 0;
    c->value = malloc((size_t)t->n_leaves * sizeof *c->value);
    c->weight = malloc((size_t)t->n_leaves * sizeof *c->weight);
    c->cell = malloc((size_t)t->n_leaves * 2 * p * sizeof *c->cell);
    c->stack = malloc(((size_t)t->depth + 1) * 2 * p * sizeof *c->stack);
    if (!c->value || !c->weight || !c->cell || !c->stack) return KNOB_ENOMEM;
    for (size_t k = 0; k < p; k++) {
        c->stack[2 * k] = lo[k];
        c->stack[2 * k + 1] = hi[k];
    }
    collect(t, 0, c, lo, hi, c->stack);
    return KNOB_OK;
}

static void cells_free(leaf_cells *c)
{
    free(c->value);
    free(c->weight);
    free(c->cell);
    free(c->stack);
    c->value = c->weight = c->cell = c->stack = NULL; /* p stays: the next tree's cells reuse it */
    c->n = 0;
}

/* The tree's marginal of feature j at x (other features averaged over the box). */
static double marginal_at(const leaf_cells *c, const double *lo, const double *hi, size_t j, double x)
{
    size_t p = c->p;
    double a = 0;
    for (size_t l = 0; l < c->n; l++) {
        const double *cell = c->cell + l * 2 * p;
        double width = cell[2 * j + 1] - cell[2 * j];
        int inside = (x > cell[2 * j] || (x == lo[j] && cell[2 * j] == lo[j])) && x <= cell[2 * j + 1]; /* x <= t: left */
        if (width > 0 && inside) a += c->value[l] * c->weight[l] * (hi[j] - lo[j]) / width;
    }
    return a;
}

/* Check the model and the box; returns the forest state or NULL with err set. */
static const knob_forest_state *fanova_state(const knob_model *m, const double *lo, const double *hi, knob_err *err)
{
    const char *kind = m->vt->kind;
    if (strcmp(kind, "forest") && strcmp(kind, "extra_trees") && strcmp(kind, "tree")) {
        knob_err_set(err, KNOB_ESTATE, "fanova: needs a tree, forest or extra_trees model (got %s)", kind);
        return NULL;
    }
    if (!m->fitted || m->schema.task != KNOB_TASK_REGRESSION) {
        knob_err_set(err, KNOB_ESTATE, "fanova: the %s model must be fitted for regression", kind);
        return NULL;
    }
    for (size_t k = 0; k < m->schema.n_features; k++)
        if (!(isfinite(lo[k]) && isfinite(hi[k]) && hi[k] > lo[k])) {
            knob_err_set(err, KNOB_EINVAL, "fanova: the bounds of feature '%s' must be finite with low < high "
                         "(got %g, %g)", m->schema.names[k], lo[k], hi[k]);
            return NULL;
        }
    return m->state;
}

/* Mean and population standard deviation of v[0..n-1] (0, 0 when n = 0). */
static void mean_std(const double *v, size_t n, double *mean, double *std)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    double mu = n ? s / (double)n : 0;
    for (size_t i = 0; i < n; i++) ss += (v[i] - mu) * (v[i] - mu);
    *mean = mu;
    if (std) *std = n ? sqrt(ss / (double)n) : 0;
}

int knob_fanova_importance(const knob_model *m, const double *lo, const double *hi, double *importance,
                           double *std, knob_err *err)
{
    const knob_forest_state *s = fanova_state(m, lo, hi, err);
    if (!s) return err->code;
    size_t p = s->p, T = s->n_trees, used = 0;
    size_t most = 1;
    for (size_t t = 0; t < T; t++)
        if ((size_t)s->trees[t].n_nodes > most) most = (size_t)s->trees[t].n_nodes;
    double *frac = malloc(p * T * sizeof *frac), *cuts = malloc((most + 2) * sizeof *cuts);
    leaf_cells c = {p, 0, NULL, NULL, NULL, NULL};
    int rc = frac && cuts ? KNOB_OK : KNOB_ENOMEM;
    for (size_t t = 0; t < T && !rc; t++) {
        const knob_tree *tr = &s->trees[t];
        if ((rc = cells_of(tr, &c, lo, hi))) break;
        double mean = 0, var = 0;
        for (size_t l = 0; l < c.n; l++) mean += c.weight[l] * c.value[l];
        for (size_t l = 0; l < c.n; l++) var += c.weight[l] * (c.value[l] - mean) * (c.value[l] - mean);
        if (var > 1e-14 * (mean * mean + 1)) {
            for (size_t j = 0; j < p; j++) { /* the marginal is constant between the tree's cuts on j */
                size_t nc = 0;
                cuts[nc++] = lo[j];
                for (int32_t i = 0; i < tr->n_nodes; i++)
                    if (tr->node[i].feature == (int32_t)j && tr->node[i].threshold > lo[j] && tr->node[i].threshold < hi[j])
                        cuts[nc++] = tr->node[i].threshold;
                cuts[nc++] = hi[j];
                qsort(cuts, nc, sizeof *cuts, knob_cmp_double);
                double vj = 0;
                for (size_t q = 0; q + 1 < nc; q++) {
                    double w = (cuts[q + 1] - cuts[q]) / (hi[j] - lo[j]);
                    if (w <= 0) continue;
                    double a = marginal_at(&c, lo, hi, j, 0.5 * (cuts[q] + cuts[q + 1])) - mean;
                    vj += w * a * a;
                }
                frac[j * T + used] = vj / var;
            }
            used++;
        }
        cells_free(&c);
    }
    cells_free(&c);
    for (size_t j = 0; j < p && !rc; j++) mean_std(frac + j * T, used, &importance[j], std ? &std[j] : NULL);
    free(frac);
    free(cuts);
    return rc ? knob_err_set(err, rc, "fanova: out of memory") : KNOB_OK;
}

int knob_fanova_marginal(const knob_model *m, const double *lo, const double *hi, size_t j, const double *grid,
                         size_t n_grid, double *mean, double *std, knob_err *err)
{
    const knob_forest_state *s = fanova_state(m, lo, hi, err);
    if (!s) return err->code;
    if (j >= s->p) return knob_err_set(err, KNOB_EINVAL, "fanova: feature %zu is out of range (%zu features)", j + 1, s->p);
    size_t T = s->n_trees;
    double *a = malloc((n_grid ? n_grid : 1) * T * sizeof *a);
    leaf_cells c = {s->p, 0, NULL, NULL, NULL, NULL};
    int rc = a ? KNOB_OK : KNOB_ENOMEM;
    for (size_t t = 0; t < T && !rc; t++) {
        if ((rc = cells_of(&s->trees[t], &c, lo, hi))) break;
        for (size_t g = 0; g < n_grid; g++) {
            double x = grid[g] < lo[j] ? lo[j] : grid[g] > hi[j] ? hi[j] : grid[g];
            a[g * T + t] = marginal_at(&c, lo, hi, j, x);
        }
        cells_free(&c);
    }
    cells_free(&c);
    for (size_t g = 0; g < n_grid && !rc; g++) mean_std(a + g * T, T, &mean[g], &std[g]);
    free(a);
    return rc ? knob_err_set(err, rc, "fanova: out of memory") : KNOB_OK;
}
