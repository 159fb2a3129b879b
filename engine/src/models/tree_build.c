/* tree_build.c — growing one CART tree depth first with exact (sorted) or random (extra-trees) splits.
 * See tree.h for the rules; they follow scikit-learn 1.2's DepthFirstTreeBuilder, BestSplitter and
 * RandomSplitter. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

#define FEATURE_THRESHOLD 1e-7  /* values closer than this are not separated (scikit-learn's constant) */
#define PRESORT_RATIO 2.0       /* cost of sorting one drawn feature per row and log2 level vs a partition */
#define PRESORT_MAX_BYTES ((size_t)1 << 30)

/* ---- sorting (value, row) pairs: introsort ------------------------------------------------------- */

static void insertion_sort(knob_tree_pair *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        knob_tree_pair v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1].x > v.x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static void sift_down(knob_tree_pair *a, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n) return;
        if (c + 1 < n && a[c + 1].x > a[c].x) c++;
        if (!(a[c].x > a[root].x)) return;
        knob_tree_pair t = a[c];
        a[c] = a[root];
        a[root] = t;
        root = c;
    }
}

static void heap_sort(knob_tree_pair *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
    for (size_t e = n; e-- > 1;) {
        knob_tree_pair t = a[0];
        a[0] = a[e];
        a[e] = t;
        sift_down(a, 0, e);
    }
}

static double median3(double a, double b, double c)
{
    if (a < b) return b < c ? b : (a < c ? c : a);
    return a < c ? a : (b < c ? c : b);
}

static void intro_sort(knob_tree_pair *a, size_t n, int budget)
{
    while (n > 16) {
        if (budget-- == 0) {
            heap_sort(a, n);
            return;
        }
        double pivot = median3(a[0].x, a[n / 2].x, a[n - 1].x);
        /* three-way partition (Dijkstra): < pivot | == pivot | > pivot; many ties are common in tabular data */
        size_t lt = 0, i = 0, gt = n;
        while (i < gt) {
            if (a[i].x < pivot) {
                knob_tree_pair t = a[lt];
                a[lt++] = a[i];
                a[i++] = t;
            } else if (a[i].x > pivot) {
                knob_tree_pair t = a[--gt];
                a[gt] = a[i];
                a[i] = t;
            } else {
                i++;
            }
        }
        /* recurse into the smaller side, loop on the larger */
        if (lt < n - gt) {
            intro_sort(a, lt, budget);
            a += gt;
            n -= gt;
        } else {
            intro_sort(a + gt, n - gt, budget);
            n = lt;
        }
    }
    insertion_sort(a, n);
}

void knob_tree_sort_pairs(knob_tree_pair *a, size_t n)
{
    int budget = 2;
    for (size_t m = n; m > 1; m >>= 1) budget += 2;
    intro_sort(a, n, budget);
}

int knob_tree_presort_pays(size_t n, size_t p, size_t max_features)
{
    if (n < 2) return 0;
    return (double)p <= PRESORT_RATIO * (double)max_features * log2((double)n);
}

int knob_tree_use_presort(size_t n, size_t p, const knob_tree_cfg *cfg)
{
    return !cfg->random_splits && p * n * sizeof(uint32_t) <= PRESORT_MAX_BYTES &&
           knob_tree_presort_pays(n, p, cfg->max_features);
}

/* ---- scratch ------------------------------------------------------------------------------------ */

typedef struct {
    uint32_t start, end;
    int32_t id;       /* node index in the tree */
    int32_t depth;
    int presorted;    /* the rows are kept sorted for every feature */
} stack_entry;

struct knob_tree_work {
    size_t n, p, k;
    int presort;            /* seg holds p sorted row lists (stride n); else one row list */
    uint32_t *seg;
    uint32_t *tmp;          /* n: partition buffer and sorted rows of the feature being scanned */
    double *xs;             /* n: sorted values of the feature being scanned */
    knob_tree_pair *pairs;  /* n: sorting buffer */
    unsigned char *goes_left;
    double *wr;             /* n effective row weights (weight x in-bag count) */
    uint32_t *feat;         /* p: features in draw order */
    double *cls;            /* 6k: node classes, left, right, scan f caches (left, right), spare */
    stack_entry *stack;
    size_t stack_cap;
};

void knob_tree_work_free(knob_tree_work **w)
{
    if (!w || !*w) return;
    knob_tree_work *x = *w;
    free(x->seg);
    free(x->tmp);
    free(x->xs);
    free(x->pairs);
    free(x->goes_left);
    free(x->wr);
    free(x->feat);
    free(x->cls);
    free(x->stack);
    free(x);
    *w = NULL;
}

knob_tree_work *knob_tree_work_new(const knob_tree_data *d, const knob_tree_cfg *cfg)
{
    knob_tree_work *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t n = d->n ? d->n : 1, p = d->p ? d->p : 1, k = d->k ? d->k : 1;
    w->n = d->n;
    w->p = d->p;
    w->k = d->k;
    w->presort = d->order && !cfg->random_splits;
    w->seg = malloc((w->presort ? p : 1) * n * sizeof *w->seg);
    w->tmp = malloc(n * sizeof *w->tmp);
    w->goes_left = malloc(n);
    w->wr = malloc(n * sizeof *w->wr);
    w->feat = malloc(p * sizeof *w->feat);
    w->cls = malloc(6 * k * sizeof *w->cls);
    w->stack_cap = 64;
    w->stack = malloc(w->stack_cap * sizeof *w->stack);
    if (!cfg->random_splits) {
        w->xs = malloc(n * sizeof *w->xs);
        w->pairs = malloc(n * sizeof *w->pairs);
    }
    if (!w->seg || !w->tmp || !w->goes_left || !w->wr || !w->feat || !w->cls || !w->stack ||
        (!cfg->random_splits && (!w->xs || !w->pairs)))
        knob_tree_work_free(&w);
    return w;
}

/* ---- node statistics and impurities ------------------------------------------------------------- */

typedef struct {
    double w;        /* total weight */
    double s, ss;    /* regression: sum of w y, sum of w y^2 */
    size_t npos;     /* rows with a positive weight */
    double *cls;     /* classification: k class weights (points into scratch) */
} node_stats;

static double xlog2x(double x)
{
    return x > 0 ? x * log2(x) : 0;
}

/* Impurity of a node from its statistics (k = 0: regression). */
static double impurity(const node_stats *st, size_t k, int criterion)
{
    double w = st->w;
    if (!(w > 0)) return 0;
    if (k == 0) {
        double mean = st->s / w;
        return st->ss / w - mean * mean;
    }
    double r = 0;
    if (criterion == KNOB_CRIT_GINI) {
        for (size_t c = 0; c < k; c++) r += st->cls[c] * st->cls[c];
        return 1.0 - r / (w * w);
    }
    for (size_t c = 0; c < k; c++)
        if (st->cls[c] > 0) {
            double q = st->cls[c] / w;
            r -= q * log2(q);
        }
    return r;
}

/* Statistics of the rows rows[0..m-1]. */
static void stats_of(const knob_tree_data *d, const double *wr, const uint32_t *rows, size_t m, node_stats *st)
{
    st->w = st->s = st->ss = 0;
    st->npos = 0;
    if (d->k) {
        memset(st->cls, 0, d->k * sizeof *st->cls);
        for (size_t i = 0; i < m; i++) {
            uint32_t r = rows[i];
            double wt = wr[r];
            st->cls[d->yc[r]] += wt;
            st->w += wt;
            st->npos += wt > 0;
        }
    } else {
        for (size_t i = 0; i < m; i++) {
            uint32_t r = rows[i];
            double wt = wr[r], wy = wt * d->y[r];
            st->w += wt;
            st->s += wy;
            st->ss += wy * d->y[r];
            st->npos += wt > 0;
        }
    }
}

/* The criterion's proxy for -(W_left impurity_left + W_right impurity_right) (up to a constant per node). */
static double proxy_of(const node_stats *node, const node_stats *left, size_t k, int criterion)
{
    double wl = left->w, wr = node->w - left->w;
    if (k == 0) {
        double sr = node->s - left->s;
        return left->s * left->s / wl + sr * sr / wr;
    }
    double a = 0, b = 0;
    if (criterion == KNOB_CRIT_GINI) {
        for (size_t c = 0; c < k; c++) {
            double r = node->cls[c] - left->cls[c];
            a += left->cls[c] * left->cls[c];
            b += r * r;
        }
        return a / wl + b / wr;
    }
    for (size_t c = 0; c < k; c++) a += xlog2x(left->cls[c]) + xlog2x(node->cls[c] - left->cls[c]);
    return a - xlog2x(wl) - xlog2x(wr);
}

/* ---- split search -------------------------------------------------------------------------------- */

typedef struct {
    double proxy;
    double threshold;
    int32_t feature;    /* -1: none found */
} split_t;

typedef struct {
    const knob_tree_data *d;
    const knob_tree_cfg *cfg;
    knob_tree_work *w;
    const node_stats *node;
    size_t m;            /* rows in the node */
} node_ctx;

static double midpoint(double lo, double hi)
{
    double t = lo / 2.0 + hi / 2.0;
    return (t == hi || isinf(t)) ? lo : t;
}

/* Scan the node's rows rows[0..m-1] sorted by feature j (values xs) for the best threshold. */
static void scan_sorted(const node_ctx *nc, int32_t j, const uint32_t *rows, const double *xs, split_t *best)
{
    const knob_tree_data *d = nc->d;
    const double *wr = nc->w->wr;
    size_t m = nc->m, msl = nc->cfg->min_samples_leaf, k = d->k;
    size_t npl = 0, npn = nc->node->npos;
    double wl = 0, wn = nc->node->w;
    if (k == 0) {
        double sl = 0, sn = nc->node->s;
        const double *y = d->y;
        for (size_t i = 0; i + 1 < m; i++) {
            uint32_t r = rows[i];
            double wt = wr[r];
            wl += wt;
            sl += wt * y[r];
            npl += wt > 0;
            if (xs[i + 1] <= xs[i] + FEATURE_THRESHOLD) continue;
            if (i + 1 < msl || m - i - 1 < msl || npl == 0 || npl == npn) continue;
            double sr = sn - sl, wrr = wn - wl;
            double proxy = sl * sl / wl + sr * sr / wrr;
            if (proxy > best->proxy) {
                best->proxy = proxy;
                best->feature = j;
                best->threshold = midpoint(xs[i], xs[i + 1]);
            }
        }
        return;
    }
    const int32_t *yc = d->yc;
    double *L = nc->w->cls + k, *R = nc->w->cls + 2 * k;
    memset(L, 0, k * sizeof *L);
    memcpy(R, nc->node->cls, k * sizeof *R);
    if (nc->cfg->criterion == KNOB_CRIT_GINI) {
        double sql = 0, sqr = 0;
        for (size_t c = 0; c < k; c++) sqr += R[c] * R[c];
        for (size_t i = 0; i + 1 < m; i++) {
            uint32_t r = rows[i];
            double wt = wr[r];
            int32_t c = yc[r];
            sql += wt * (2 * L[c] + wt);
            sqr -= wt * (2 * R[c] - wt);
            L[c] += wt;
            R[c] -= wt;
            wl += wt;
            npl += wt > 0;
            if (xs[i + 1] <= xs[i] + FEATURE_THRESHOLD) continue;
            if (i + 1 < msl || m - i - 1 < msl || npl == 0 || npl == npn) continue;
            double proxy = sql / wl + sqr / (wn - wl);
            if (proxy > best->proxy) {
                best->proxy = proxy;
                best->feature = j;
                best->threshold = midpoint(xs[i], xs[i + 1]);
            }
        }
        return;
    }
    /* entropy: keep sum_c f(L_c) and sum_c f(R_c), f(x) = x log2 x, with f cached per class */
    double *fl = nc->w->cls + 3 * k, *fr = nc->w->cls + 4 * k;
    double al = 0, ar = 0;
    for (size_t c = 0; c < k; c++) {
        fl[c] = 0;
        fr[c] = xlog2x(R[c]);
        ar += fr[c];
    }
    for (size_t i = 0; i + 1 < m; i++) {
        uint32_t r = rows[i];
        double wt = wr[r];
        wl += wt;
        npl += wt > 0;
        if (wt > 0) {
            int32_t c = yc[r];
            L[c] += wt;
            R[c] -= wt;
            double a = xlog2x(L[c]), b = R[c] > 0 ? xlog2x(R[c]) : 0;
            al += a - fl[c];
            ar += b - fr[c];
            fl[c] = a;
            fr[c] = b;
        }
        if (xs[i + 1] <= xs[i] + FEATURE_THRESHOLD) continue;
        if (i + 1 < msl || m - i - 1 < msl || npl == 0 || npl == npn) continue;
        double proxy = al + ar - xlog2x(wl) - xlog2x(wn - wl);
        if (proxy > best->proxy) {
            best->proxy = proxy;
            best->feature = j;
            best->threshold = midpoint(xs[i], xs[i + 1]);
        }
    }
}

/* Left statistics of threshold t on feature j over rows[0..m-1]; flags goes_left when @p mark. */
static size_t left_stats(const node_ctx *nc, int32_t j, double t, const uint32_t *rows, node_stats *left,
                         int mark)
{
    const knob_tree_data *d = nc->d;
    const double *xj = d->X + (size_t)j * d->n, *wr = nc->w->wr;
    unsigned char *gl = nc->w->goes_left;
    size_t nl = 0, m = nc->m;
    left->w = left->s = left->ss = 0;
    left->npos = 0;
    if (d->k) memset(left->cls, 0, d->k * sizeof *left->cls);
    for (size_t i = 0; i < m; i++) {
        uint32_t r = rows[i];
        int go = xj[r] <= t;
        if (mark) gl[r] = (unsigned char)go;
        if (!go) continue;
        double wt = wr[r];
        nl++;
        left->w += wt;
        left->npos += wt > 0;
        if (d->k) {
            left->cls[d->yc[r]] += wt;
        } else {
            double wy = wt * d->y[r];
            left->s += wy;
            left->ss += wy * d->y[r];
        }
    }
    return nl;
}

/*
 * Draw candidate features (scikit-learn's rule: stop after max_features draws once a non-constant feature
 * was seen) and return the best split of the node [start, end).
 */
static split_t find_split(const node_ctx *nc, uint32_t start, int presorted, knob_rng *rng)
{
    const knob_tree_data *d = nc->d;
    knob_tree_work *w = nc->w;
    size_t p = d->p, m = nc->m, n = d->n;
    size_t mtry = nc->cfg->max_features;
    split_t best = {-INFINITY, 0, -1};
    uint32_t *feat = w->feat;
    const uint32_t *rows = w->seg + start; /* the node's rows (feature 0's list in presorted mode) */
    size_t f_i = p, visited = 0;
    int found = 0;
    node_stats left = {0, 0, 0, 0, w->cls + 5 * d->k};
    while (f_i > 0 && (visited < mtry || !found)) {
        visited++;
        size_t r = (size_t)knob_rng_below(rng, f_i);
        uint32_t j = feat[r];
        feat[r] = feat[--f_i];
        feat[f_i] = j;
        const double *xj = d->X + (size_t)j * n;
        if (nc->cfg->random_splits) {
            double lo = INFINITY, hi = -INFINITY;
            for (size_t i = 0; i < m; i++) {
                double v = xj[rows[i]];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            if (hi <= lo + FEATURE_THRESHOLD) continue;
            found = 1;
            double t = (hi - lo) * knob_rng_uniform(rng) + lo;
            if (t == hi) t = lo;
            size_t nl = left_stats(nc, (int32_t)j, t, rows, &left, 0);
            size_t msl = nc->cfg->min_samples_leaf;
            if (nl < msl || m - nl < msl || left.npos == 0 || left.npos == nc->node->npos) continue;
            double proxy = proxy_of(nc->node, &left, d->k, nc->cfg->criterion);
            if (proxy > best.proxy) {
                best.proxy = proxy;
                best.feature = (int32_t)j;
                best.threshold = t;
            }
            continue;
        }
        if (presorted) {
            const uint32_t *sj = w->seg + (size_t)j * n + start;
            if (xj[sj[m - 1]] <= xj[sj[0]] + FEATURE_THRESHOLD) continue;
            found = 1;
            for (size_t i = 0; i < m; i++) w->xs[i] = xj[sj[i]];
            scan_sorted(nc, (int32_t)j, sj, w->xs, &best);
            continue;
        }
        knob_tree_pair *pr = w->pairs;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < m; i++) {
            double v = xj[rows[i]];
            pr[i].x = v;
            pr[i].row = rows[i];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (hi <= lo + FEATURE_THRESHOLD) continue;
        found = 1;
        knob_tree_sort_pairs(pr, m);
        for (size_t i = 0; i < m; i++) {
            w->xs[i] = pr[i].x;
            w->tmp[i] = pr[i].row;
        }
        scan_sorted(nc, (int32_t)j, w->tmp, w->xs, &best);
    }
    return best;
}

/* Stable partition of list[0..m-1] by goes_left; returns the left count. */
static size_t partition(uint32_t *list, size_t m, const unsigned char *gl, uint32_t *tmp)
{
    size_t a = 0, b = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t r = list[i];
        if (gl[r]) list[a++] = r;
        else tmp[b++] = r;
    }
    memcpy(list + a, tmp, b * sizeof *tmp);
    return a;
}

/* ---- growing ------------------------------------------------------------------------------------- */

void knob_tree_free(knob_tree *t)
{
    free(t->node);
    free(t->value);
    memset(t, 0, sizeof *t);
}

typedef struct {
    knob_tree *t;
    size_t node_cap, leaf_cap, n_out;
} tree_buf;

static int add_nodes(tree_buf *b, int32_t count)
{
    if ((size_t)b->t->n_nodes + (size_t)count > b->node_cap) {
        size_t cap = b->node_cap ? 2 * b->node_cap : 64;
        if (cap > INT32_MAX) return KNOB_ENOMEM;
        knob_tree_node *nd = realloc(b->t->node, cap * sizeof *nd);
        if (!nd) return KNOB_ENOMEM;
        b->t->node = nd;
        b->node_cap = cap;
    }
    b->t->n_nodes += count;
    return KNOB_OK;
}

static int make_leaf(tree_buf *b, int32_t id, const node_stats *st, size_t k)
{
    knob_tree *t = b->t;
    if ((size_t)t->n_leaves + 1 > b->leaf_cap) {
        size_t cap = b->leaf_cap ? 2 * b->leaf_cap : 32;
        double *v = realloc(t->value, cap * b->n_out * sizeof *v);
        if (!v) return KNOB_ENOMEM;
        t->value = v;
        b->leaf_cap = cap;
    }
    double *v = t->value + (size_t)t->n_leaves * b->n_out;
    if (k) {
        for (size_t c = 0; c < k; c++) v[c] = st->cls[c] / st->w;
    } else {
        v[0] = st->s / st->w;
    }
    t->node[id].feature = -1;
    t->node[id].threshold = 0;
    t->node[id].child = t->n_leaves++;
    return KNOB_OK;
}

static int push(knob_tree_work *w, size_t *top, stack_entry e)
{
    if (*top == w->stack_cap) {
        stack_entry *s = realloc(w->stack, 2 * w->stack_cap * sizeof *s);
        if (!s) return KNOB_ENOMEM;
        w->stack = s;
        w->stack_cap *= 2;
    }
    w->stack[(*top)++] = e;
    return KNOB_OK;
}

/* Fill the work's weights and row lists for one tree; returns the number of in-bag rows. */
static size_t init_rows(const knob_tree_data *d, knob_tree_work *w, const uint32_t *count)
{
    size_t n = d->n, n_in = 0;
    for (size_t r = 0; r < n; r++) {
        uint32_t c = count ? count[r] : 1;
        w->wr[r] = d->w[r] * (double)c;
        if (c) w->tmp[n_in++] = (uint32_t)r;
    }
    if (!w->presort) {
        memcpy(w->seg, w->tmp, n_in * sizeof *w->seg);
        return n_in;
    }
    for (size_t j = 0; j < d->p; j++) {
        const uint32_t *o = d->order + j * n;
        uint32_t *s = w->seg + j * n;
        if (!count) {
            memcpy(s, o, n * sizeof *s);
            continue;
        }
        size_t a = 0;
        for (size_t i = 0; i < n; i++)
            if (count[o[i]]) s[a++] = o[i];
    }
    return n_in;
}

static int oom(knob_err *err)
{
    return knob_err_set(err, KNOB_ENOMEM, "out of memory growing a tree");
}

int knob_tree_grow(knob_tree *t, const knob_tree_data *d, const knob_tree_cfg *cfg, const uint32_t *count,
                   knob_rng *rng, knob_tree_work *w, double *importance, knob_err *err)
{
    memset(t, 0, sizeof *t);
    size_t k = d->k, p = d->p, n = d->n;
    tree_buf b = {t, 0, 0, k ? k : 1};
    memset(importance, 0, p * sizeof *importance);
    for (size_t j = 0; j < p; j++) w->feat[j] = (uint32_t)j;
    size_t n_in = init_rows(d, w, count);
    node_stats st = {0, 0, 0, 0, w->cls}, left = {0, 0, 0, 0, w->cls + 5 * (k ? k : 1)};
    stats_of(d, w->wr, w->seg, n_in, &st);
    if (!(st.w > 0)) return knob_err_set(err, KNOB_EINVAL, "the sample weights of the training rows sum to zero");
    double w_root = st.w;
    size_t top = 0;
    if (add_nodes(&b, 1) || push(w, &top, (stack_entry){0, (uint32_t)n_in, 0, 0, w->presort}))
        goto fail;
    while (top > 0) {
        stack_entry e = w->stack[--top];
        size_t m = e.end - e.start;
        const uint32_t *rows = w->seg + e.start;
        stats_of(d, w->wr, rows, m, &st);
        double imp = impurity(&st, k, cfg->criterion);
        if (e.depth > t->depth) t->depth = e.depth;
        int leaf = (cfg->max_depth >= 0 && e.depth >= cfg->max_depth) || m < cfg->min_samples_split ||
                   m < 2 * cfg->min_samples_leaf || imp <= DBL_EPSILON;
        split_t s = {0, 0, -1};
        double imp_l = 0, imp_r = 0, wl = 0, wrr = 0;
        if (!leaf) {
            int presorted = e.presorted && knob_tree_presort_pays(m, p, cfg->max_features);
            node_ctx nc = {d, cfg, w, &st, m};
            s = find_split(&nc, e.start, presorted, rng);
            e.presorted = presorted;
            if (s.feature < 0) {
                leaf = 1;
            } else {
                left_stats(&nc, s.feature, s.threshold, rows, &left, 1);
                node_stats right = left;
                right.cls = w->cls + 4 * (k ? k : 1);
                right.w = st.w - left.w;
                right.s = st.s - left.s;
                right.ss = st.ss - left.ss;
                for (size_t c = 0; c < k; c++) right.cls[c] = st.cls[c] - left.cls[c];
                imp_l = impurity(&left, k, cfg->criterion);
                imp_r = impurity(&right, k, cfg->criterion);
                wl = left.w;
                wrr = right.w;
                double improvement = st.w / w_root * (imp - wl / st.w * imp_l - wrr / st.w * imp_r);
                if (improvement + DBL_EPSILON < cfg->min_impurity_decrease) leaf = 1;
            }
        }
        if (leaf) {
            if (make_leaf(&b, e.id, &st, k)) goto fail;
            continue;
        }
        importance[s.feature] += st.w * imp - wl * imp_l - wrr * imp_r;
        int32_t child = t->n_nodes;
        if (add_nodes(&b, 2)) goto fail;
        t->node[e.id].feature = s.feature;
        t->node[e.id].threshold = s.threshold;
        t->node[e.id].child = child;
        size_t nl = 0;
        if (e.presorted) {
            for (size_t j = 0; j < p; j++) nl = partition(w->seg + j * n + e.start, m, w->goes_left, w->tmp);
        } else {
            nl = partition(w->seg + e.start, m, w->goes_left, w->tmp);
        }
        uint32_t mid = e.start + (uint32_t)nl;
        if (push(w, &top, (stack_entry){mid, e.end, child + 1, e.depth + 1, e.presorted}) ||
            push(w, &top, (stack_entry){e.start, mid, child, e.depth + 1, e.presorted}))
            goto fail;
    }
    /* trim to size */
    knob_tree_node *nd = realloc(t->node, (size_t)t->n_nodes * sizeof *nd);
    if (nd) t->node = nd;
    double *v = realloc(t->value, (size_t)t->n_leaves * b.n_out * sizeof *v);
    if (v) t->value = v;
    double total = 0;
    for (size_t j = 0; j < p; j++) total += importance[j];
    if (total > 0)
        for (size_t j = 0; j < p; j++) importance[j] /= total;
    return KNOB_OK;
fail:
    knob_tree_free(t);
    return oom(err);
}
