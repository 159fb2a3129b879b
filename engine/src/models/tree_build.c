/* tree_build.c — growing one CART tree depth first with exact (sorted) or random (extra-trees) splits.
 * See tree.h for the rules; they follow scikit-learn 1.2's DepthFirstTreeBuilder, BestSplitter and
 * RandomSplitter. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

#define FEATURE_THRESHOLD 1e-7  /* values closer than this are not separated (scikit-learn's constant) */
#define PRESORT_RATIO 1.0       /* cost of sorting one drawn feature per row and log2 level vs a partition */
#define PREFETCH 16             /* rows ahead to prefetch in gathers (random reads of one feature) */
#if defined(__GNUC__)
#define PREFETCH_READ(p) __builtin_prefetch(p, 0, 1)
#else
#define PREFETCH_READ(p) ((void)0)
#endif
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
    return !cfg->random_splits && p * n * (sizeof(uint32_t) + sizeof(double)) <= PRESORT_MAX_BYTES &&
           knob_tree_presort_pays(n, p, cfg->max_features);
}

/* ---- scratch ------------------------------------------------------------------------------------ */

/* What a split scan needs of one row, in one place (one cache line read per row). */
typedef struct {
    double w;              /* weight x in-bag count */
    union {
        double y;          /* regression target */
        int32_t c;         /* class code */
    } t;
} row_info;

typedef struct {
    uint32_t start, end;
    int32_t id;       /* node index in the tree */
    int32_t depth;
    int presorted;    /* the rows are kept sorted for every feature */
} stack_entry;

/* Node statistics: total weight, regression sums, rows with a positive weight, class weights. */
typedef struct {
    double w;        /* total weight */
    double s, ss;    /* regression: sum of w y, sum of w y^2 */
    size_t npos;     /* rows with a positive weight */
    double *cls;     /* classification: k class weights (points into scratch) */
} node_stats;

struct knob_tree_work {
    size_t n, p, k, kk;     /* kk = max(k, 1) */
    int presort;            /* seg holds p sorted row lists (stride n); else one row list */
    uint32_t *seg;
    double *segx;           /* presort: the values of seg's rows (p x n), partitioned alongside */
    double *tmpx;           /* presort: n, partition buffer for segx */
    uint32_t *tmp;          /* n: partition buffer and sorted rows of the feature being scanned */
    double *xs;             /* n: values of the feature being scanned, in scan order */
    double *xs_best;        /* random splits: n, the node's values of the best feature so far */
    knob_tree_pair *pairs;  /* n: sorting buffer */
    unsigned char *goes_left;
    row_info *info;         /* n */
    uint32_t *feat;         /* p: features in draw order */
    double *cls;            /* 8 kk: node, scan left / right / f caches, split left / right */
    stack_entry *stack;
    double *stack_stats;    /* per stack entry: w, s, ss, npos, k class weights (the node's statistics) */
    size_t stack_cap;
};

void knob_tree_work_free(knob_tree_work **w)
{
    if (!w || !*w) return;
    knob_tree_work *x = *w;
    free(x->seg);
    free(x->segx);
    free(x->tmpx);
    free(x->tmp);
    free(x->xs);
    free(x->xs_best);
    free(x->pairs);
    free(x->goes_left);
    free(x->info);
    free(x->feat);
    free(x->cls);
    free(x->stack);
    free(x->stack_stats);
    free(x);
    *w = NULL;
}

knob_tree_work *knob_tree_work_new(const knob_tree_data *d, const knob_tree_cfg *cfg)
{
    knob_tree_work *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t n = d->n ? d->n : 1, p = d->p ? d->p : 1;
    w->n = d->n;
    w->p = d->p;
    w->k = d->k;
    w->kk = d->k ? d->k : 1;
    w->presort = d->order && !cfg->random_splits;
    w->seg = malloc((w->presort ? p : 1) * n * sizeof *w->seg);
    w->tmp = malloc(n * sizeof *w->tmp);
    w->xs = malloc(n * sizeof *w->xs);
    w->goes_left = malloc(n);
    w->info = malloc(n * sizeof *w->info);
    w->feat = malloc(p * sizeof *w->feat);
    w->cls = malloc(8 * w->kk * sizeof *w->cls);
    w->stack_cap = 64;
    w->stack = malloc(w->stack_cap * sizeof *w->stack);
    w->stack_stats = malloc(w->stack_cap * (4 + w->kk) * sizeof *w->stack_stats);
    if (!cfg->random_splits) w->pairs = malloc(n * sizeof *w->pairs);
    else w->xs_best = malloc(n * sizeof *w->xs_best);
    if (w->presort) {
        w->segx = malloc(p * n * sizeof *w->segx);
        w->tmpx = malloc(n * sizeof *w->tmpx);
    }
    if ((w->presort && (!w->segx || !w->tmpx)) || !w->seg || !w->tmp || !w->xs || !w->goes_left || !w->info || !w->feat || !w->cls || !w->stack ||
        !w->stack_stats || (!cfg->random_splits && !w->pairs) || (cfg->random_splits && !w->xs_best))
        knob_tree_work_free(&w);
    return w;
}

/* ---- node statistics and impurities ------------------------------------------------------------- */

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

static void stats_zero(node_stats *st, size_t k)
{
    st->w = st->s = st->ss = 0;
    st->npos = 0;
    if (k) memset(st->cls, 0, k * sizeof *st->cls);
}

static inline void stats_add(node_stats *st, const row_info *ri, size_t k)
{
    double wt = ri->w;
    st->w += wt;
    st->npos += wt > 0;
    if (k) {
        st->cls[ri->t.c] += wt;
    } else {
        double wy = wt * ri->t.y;
        st->s += wy;
        st->ss += wy * ri->t.y;
    }
}

/* Save / restore statistics in the stack's slot @p slot. */
static void stats_store(knob_tree_work *w, size_t slot, const node_stats *st)
{
    double *o = w->stack_stats + slot * (4 + w->kk);
    o[0] = st->w;
    o[1] = st->s;
    o[2] = st->ss;
    o[3] = (double)st->npos;
    if (w->k) memcpy(o + 4, st->cls, w->k * sizeof *o);
}

static void stats_load(const knob_tree_work *w, size_t slot, node_stats *st)
{
    const double *o = w->stack_stats + slot * (4 + w->kk);
    st->w = o[0];
    st->s = o[1];
    st->ss = o[2];
    st->npos = (size_t)o[3];
    if (w->k) memcpy(st->cls, o + 4, w->k * sizeof *o);
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
    size_t pos;         /* presorted scans: rows going left (a prefix of the feature's sorted list) */
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

static void consider(split_t *best, double proxy, int32_t j, const double *xs, size_t i)
{
    if (proxy > best->proxy) {
        best->proxy = proxy;
        best->feature = j;
        best->threshold = midpoint(xs[i], xs[i + 1]);
        best->pos = i + 1;
    }
}

/* Scan the node's rows rows[0..m-1] sorted by feature j (values xs) for the best threshold. */
static void scan_sorted(const node_ctx *nc, int32_t j, const uint32_t *rows, const double *xs, split_t *best)
{
    const row_info *info = nc->w->info;
    size_t m = nc->m, msl = nc->cfg->min_samples_leaf, k = nc->d->k;
    size_t npl = 0, npn = nc->node->npos;
    double wl = 0, wn = nc->node->w;
    /* only positions with at least msl rows on each side can split */
    size_t lo = msl - 1, hi = m - msl; /* candidate i: split between i and i + 1, lo <= i < hi */
    if (k == 0) {
        double sl = 0, sn = nc->node->s;
        for (size_t i = 0; i < hi; i++) {
            if (i + PREFETCH < hi) PREFETCH_READ(&info[rows[i + PREFETCH]]);
            const row_info *ri = &info[rows[i]];
            wl += ri->w;
            sl += ri->w * ri->t.y;
            npl += ri->w > 0;
            if (i < lo || xs[i + 1] <= xs[i] + FEATURE_THRESHOLD || npl == 0 || npl == npn) continue;
            double sr = sn - sl;
            consider(best, sl * sl / wl + sr * sr / (wn - wl), j, xs, i);
        }
        return;
    }
    double *L = nc->w->cls + k, *R = nc->w->cls + 2 * k;
    memset(L, 0, k * sizeof *L);
    memcpy(R, nc->node->cls, k * sizeof *R);
    if (nc->cfg->criterion == KNOB_CRIT_GINI) {
        double sql = 0, sqr = 0;
        for (size_t c = 0; c < k; c++) sqr += R[c] * R[c];
        for (size_t i = 0; i < hi; i++) {
            if (i + PREFETCH < hi) PREFETCH_READ(&info[rows[i + PREFETCH]]);
            const row_info *ri = &info[rows[i]];
            double wt = ri->w;
            int32_t c = ri->t.c;
            sql += wt * (2 * L[c] + wt);
            sqr -= wt * (2 * R[c] - wt);
            L[c] += wt;
            R[c] -= wt;
            wl += wt;
            npl += wt > 0;
            if (i < lo || xs[i + 1] <= xs[i] + FEATURE_THRESHOLD || npl == 0 || npl == npn) continue;
            consider(best, sql / wl + sqr / (wn - wl), j, xs, i);
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
    for (size_t i = 0; i < hi; i++) {
        if (i + PREFETCH < hi) PREFETCH_READ(&info[rows[i + PREFETCH]]);
        const row_info *ri = &info[rows[i]];
        double wt = ri->w;
        wl += wt;
        npl += wt > 0;
        if (wt > 0) {
            int32_t c = ri->t.c;
            L[c] += wt;
            R[c] -= wt;
            double a = xlog2x(L[c]), b = R[c] > 0 ? xlog2x(R[c]) : 0;
            al += a - fl[c];
            ar += b - fr[c];
            fl[c] = a;
            fr[c] = b;
        }
        if (i < lo || xs[i + 1] <= xs[i] + FEATURE_THRESHOLD || npl == 0 || npl == npn) continue;
        consider(best, al + ar - xlog2x(wl) - xlog2x(wn - wl), j, xs, i);
    }
}

/* Statistics of the rows with xs[i] <= t and of the others (extra trees' candidates); returns the left count. */
static size_t sides_of(const node_ctx *nc, const uint32_t *rows, const double *xs, double t, node_stats *left,
                       node_stats *right)
{
    const row_info *info = nc->w->info;
    size_t nl = 0, m = nc->m, k = nc->d->k;
    stats_zero(left, k);
    stats_zero(right, k);
    for (size_t i = 0; i < m; i++) {
        if (i + PREFETCH < m) PREFETCH_READ(&info[rows[i + PREFETCH]]);
        int go = xs[i] <= t;
        nl += (size_t)go;
        stats_add(go ? left : right, &info[rows[i]], k);
    }
    return nl;
}

static void stats_copy(node_stats *dst, const node_stats *src, size_t k)
{
    double *cls = dst->cls;
    *dst = *src;
    dst->cls = cls;
    if (k) memcpy(cls, src->cls, k * sizeof *cls);
}

/* Exact statistics of both children of the split (j, t), flagging goes_left per row. */
static size_t split_stats(const node_ctx *nc, int32_t j, double t, const uint32_t *rows, node_stats *left,
                          node_stats *right)
{
    const knob_tree_data *d = nc->d;
    const double *xj = d->X + (size_t)j * d->n;
    const row_info *info = nc->w->info;
    unsigned char *gl = nc->w->goes_left;
    size_t nl = 0;
    stats_zero(left, d->k);
    stats_zero(right, d->k);
    for (size_t i = 0; i < nc->m; i++) {
        uint32_t r = rows[i];
        int go = xj[r] <= t;
        gl[r] = (unsigned char)go;
        nl += (size_t)go;
        stats_add(go ? left : right, &info[r], d->k);
    }
    return nl;
}

/* The same when the left rows are the first @p pos of the split feature's sorted list @p sorted. */
static size_t split_stats_sorted(const node_ctx *nc, const uint32_t *sorted, size_t pos, node_stats *left,
                                 node_stats *right)
{
    const row_info *info = nc->w->info;
    unsigned char *gl = nc->w->goes_left;
    size_t k = nc->d->k;
    stats_zero(left, k);
    stats_zero(right, k);
    for (size_t i = 0; i < pos; i++) {
        gl[sorted[i]] = 1;
        stats_add(left, &info[sorted[i]], k);
    }
    for (size_t i = pos; i < nc->m; i++) {
        gl[sorted[i]] = 0;
        stats_add(right, &info[sorted[i]], k);
    }
    return pos;
}

/*
 * Draw candidate features (scikit-learn's rule: stop after max_features draws once a non-constant feature
 * was seen) and return the best split of the node [start, end).
 */
static split_t find_split(const node_ctx *nc, uint32_t start, int presorted, knob_rng *rng, node_stats *best_left,
                          node_stats *best_right)
{
    const knob_tree_data *d = nc->d;
    knob_tree_work *w = nc->w;
    size_t p = d->p, m = nc->m, n = d->n;
    size_t mtry = nc->cfg->max_features;
    split_t best = {-INFINITY, 0, -1, 0};
    uint32_t *feat = w->feat;
    const uint32_t *rows = w->seg + start; /* the node's rows (feature 0's list in presorted mode) */
    double *xs = w->xs;
    size_t f_i = p, visited = 0;
    int found = 0;
    node_stats left = {0, 0, 0, 0, w->cls + 5 * w->kk}, right = {0, 0, 0, 0, w->cls + 3 * w->kk};
    while (f_i > 0 && (visited < mtry || !found)) {
        visited++;
        size_t r = (size_t)knob_rng_below(rng, f_i);
        uint32_t j = feat[r];
        feat[r] = feat[--f_i];
        feat[f_i] = j;
        const double *xj = d->X + (size_t)j * n;
        if (presorted) {
            const uint32_t *sj = w->seg + (size_t)j * n + start;
            const double *vj = w->segx + (size_t)j * n + start;
            if (vj[m - 1] <= vj[0] + FEATURE_THRESHOLD) continue;
            found = 1;
            scan_sorted(nc, (int32_t)j, sj, vj, &best);
            continue;
        }
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < m; i++) {
            if (i + PREFETCH < m) PREFETCH_READ(&xj[rows[i + PREFETCH]]);
            double v = xj[rows[i]];
            xs[i] = v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (hi <= lo + FEATURE_THRESHOLD) continue;
        found = 1;
        if (nc->cfg->random_splits) {
            double t = (hi - lo) * knob_rng_uniform(rng) + lo;
            if (t == hi) t = lo;
            size_t nl = sides_of(nc, rows, xs, t, &left, &right);
            size_t msl = nc->cfg->min_samples_leaf;
            if (nl < msl || m - nl < msl || left.npos == 0 || right.npos == 0) continue;
            double proxy = proxy_of(nc->node, &left, d->k, nc->cfg->criterion);
            if (proxy > best.proxy) {
                best.proxy = proxy;
                best.feature = (int32_t)j;
                best.threshold = t;
                best.pos = nl;
                stats_copy(best_left, &left, d->k);
                stats_copy(best_right, &right, d->k);
                w->xs = w->xs_best; /* keep this feature's values for the partition */
                w->xs_best = xs;
                xs = w->xs;
            }
            continue;
        }
        knob_tree_pair *pr = w->pairs;
        for (size_t i = 0; i < m; i++) {
            pr[i].x = xs[i];
            pr[i].row = rows[i];
        }
        knob_tree_sort_pairs(pr, m);
        for (size_t i = 0; i < m; i++) {
            xs[i] = pr[i].x;
            w->tmp[i] = pr[i].row;
        }
        scan_sorted(nc, (int32_t)j, w->tmp, xs, &best);
    }
    return best;
}

/* Stable partition of list[0..m-1] by goes_left (branch-free); returns the left count. */
static size_t partition(uint32_t *list, size_t m, const unsigned char *gl, uint32_t *tmp)
{
    size_t a = 0, b = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t r = list[i];
        size_t g = gl[r];
        list[a] = r;
        tmp[b] = r;
        a += g;
        b += 1 - g;
    }
    memcpy(list + a, tmp, b * sizeof *tmp);
    return a;
}

/* The same by value: xs[i] (the value of list[i]) <= t goes left. */
static void partition_by_value(uint32_t *list, const double *xs, size_t m, double t, uint32_t *tmp)
{
    size_t a = 0, b = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t r = list[i];
        size_t g = xs[i] <= t;
        list[a] = r;
        tmp[b] = r;
        a += g;
        b += 1 - g;
    }
    memcpy(list + a, tmp, b * sizeof *tmp);
}

/* The same for a row list and its values. */
static size_t partition_with_values(uint32_t *list, double *x, size_t m, const unsigned char *gl, uint32_t *tmp,
                                    double *tmpx)
{
    size_t a = 0, b = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t r = list[i];
        double v = x[i];
        size_t g = gl[r];
        list[a] = r;
        x[a] = v;
        tmp[b] = r;
        tmpx[b] = v;
        a += g;
        b += 1 - g;
    }
    memcpy(list + a, tmp, b * sizeof *tmp);
    memcpy(x + a, tmpx, b * sizeof *tmpx);
    return a;
}

/* ---- growing ------------------------------------------------------------------------------------- */

void knob_tree_free(knob_tree *t)
{
    free(t->node);
    free(t->value);
    free(t->cover);
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
        double *cv = realloc(b->t->cover, cap * sizeof *cv);
        if (!cv) return KNOB_ENOMEM;
        b->t->cover = cv;
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

static int push(knob_tree_work *w, size_t *top, stack_entry e, const node_stats *st)
{
    if (*top == w->stack_cap) {
        size_t cap = 2 * w->stack_cap;
        stack_entry *s = realloc(w->stack, cap * sizeof *s);
        if (!s) return KNOB_ENOMEM;
        w->stack = s;
        double *ss = realloc(w->stack_stats, cap * (4 + w->kk) * sizeof *ss);
        if (!ss) return KNOB_ENOMEM;
        w->stack_stats = ss;
        w->stack_cap = cap;
    }
    stats_store(w, *top, st);
    w->stack[(*top)++] = e;
    return KNOB_OK;
}

/* Fill the work's row information and row lists for one tree; returns the number of in-bag rows. */
static size_t init_rows(const knob_tree_data *d, knob_tree_work *w, const uint32_t *count)
{
    size_t n = d->n, n_in = 0;
    for (size_t r = 0; r < n; r++) {
        uint32_t c = count ? count[r] : 1;
        w->info[r].w = d->w[r] * (double)c;
        if (d->k) w->info[r].t.c = d->yc[r];
        else w->info[r].t.y = d->y[r];
        if (c) w->tmp[n_in++] = (uint32_t)r;
    }
    if (!w->presort) {
        memcpy(w->seg, w->tmp, n_in * sizeof *w->seg);
        return n_in;
    }
    for (size_t j = 0; j < d->p; j++) {
        const uint32_t *o = d->order + j * n;
        const double *v = d->sorted + j * n;
        uint32_t *s = w->seg + j * n;
        double *sx = w->segx + j * n;
        if (!count) {
            memcpy(s, o, n * sizeof *s);
            memcpy(sx, v, n * sizeof *sx);
            continue;
        }
        size_t a = 0;
        for (size_t i = 0; i < n; i++) {
            s[a] = o[i];
            sx[a] = v[i];
            a += count[o[i]] != 0;
        }
    }
    return n_in;
}

/* A node that is not split whatever its rows (scikit-learn's stopping rules). */
static int terminal(const knob_tree_cfg *cfg, int32_t depth, size_t m, double imp)
{
    return (cfg->max_depth >= 0 && depth >= cfg->max_depth) || m < cfg->min_samples_split ||
           m < 2 * cfg->min_samples_leaf || imp <= DBL_EPSILON;
}

int knob_tree_grow(knob_tree *t, const knob_tree_data *d, const knob_tree_cfg *cfg, const uint32_t *count,
                   knob_rng *rng, knob_tree_work *w, double *importance, knob_err *err)
{
    memset(t, 0, sizeof *t);
    size_t k = d->k, p = d->p, n = d->n, kk = w->kk;
    tree_buf b = {t, 0, 0, kk};
    memset(importance, 0, p * sizeof *importance);
    for (size_t j = 0; j < p; j++) w->feat[j] = (uint32_t)j;
    size_t n_in = init_rows(d, w, count);
    node_stats st = {0, 0, 0, 0, w->cls}, left = {0, 0, 0, 0, w->cls + 6 * kk},
               right = {0, 0, 0, 0, w->cls + 7 * kk};
    stats_zero(&st, k);
    for (size_t i = 0; i < n_in; i++) stats_add(&st, &w->info[w->seg[i]], k);
    if (!(st.w > 0)) return knob_err_set(err, KNOB_EINVAL, "the sample weights of the training rows sum to zero");
    double w_root = st.w;
    size_t top = 0;
    int pre = w->presort && knob_tree_presort_pays(n_in, p, cfg->max_features);
    if (add_nodes(&b, 1) || push(w, &top, (stack_entry){0, (uint32_t)n_in, 0, 0, pre}, &st)) goto fail;
    while (top > 0) {
        stack_entry e = w->stack[--top];
        stats_load(w, top, &st);
        size_t m = e.end - e.start;
        const uint32_t *rows = w->seg + e.start;
        double imp = impurity(&st, k, cfg->criterion);
        if (e.depth > t->depth) t->depth = e.depth;
        t->cover[e.id] = st.w;
        int leaf = terminal(cfg, e.depth, m, imp);
        split_t s = {0, 0, -1, 0};
        double imp_l = 0, imp_r = 0;
        size_t ml = 0;
        if (!leaf) {
            int presorted = e.presorted;
            node_ctx nc = {d, cfg, w, &st, m};
            s = find_split(&nc, e.start, presorted, rng, &left, &right);
            if (s.feature < 0) {
                leaf = 1;
            } else {
                if (cfg->random_splits) ml = s.pos; /* statistics filled by find_split */
                else if (presorted) ml = split_stats_sorted(&nc, w->seg + (size_t)s.feature * n + e.start, s.pos, &left, &right);
                else ml = split_stats(&nc, s.feature, s.threshold, rows, &left, &right);
                imp_l = impurity(&left, k, cfg->criterion);
                imp_r = impurity(&right, k, cfg->criterion);
                double improvement = st.w / w_root * (imp - left.w / st.w * imp_l - right.w / st.w * imp_r);
                if (improvement + DBL_EPSILON < cfg->min_impurity_decrease) leaf = 1;
            }
        }
        if (leaf) {
            if (make_leaf(&b, e.id, &st, k)) goto fail;
            continue;
        }
        importance[s.feature] += st.w * imp - left.w * imp_l - right.w * imp_r;
        int32_t child = t->n_nodes;
        if (add_nodes(&b, 2)) goto fail;
        t->node[e.id].feature = s.feature;
        t->node[e.id].threshold = s.threshold;
        t->node[e.id].child = child;
        /* children's row lists: all features' sorted lists if a child scans them, else only the row list
           (sorting per node) or nothing (both children are leaves) */
        uint32_t mid = e.start + (uint32_t)ml;
        size_t mr = m - ml;
        int open_l = !terminal(cfg, e.depth + 1, ml, imp_l), open_r = !terminal(cfg, e.depth + 1, mr, imp_r);
        int pre_l = e.presorted && open_l && knob_tree_presort_pays(ml, p, cfg->max_features);
        int pre_r = e.presorted && open_r && knob_tree_presort_pays(mr, p, cfg->max_features);
        if (pre_l || pre_r) {
            for (size_t j = 0; j < p; j++)
                partition_with_values(w->seg + j * n + e.start, w->segx + j * n + e.start, m, w->goes_left,
                                      w->tmp, w->tmpx);
        } else if (cfg->random_splits && (open_l || open_r)) {
            partition_by_value(w->seg + e.start, w->xs_best, m, s.threshold, w->tmp);
        } else if (open_l || open_r) {
            partition(w->seg + e.start, m, w->goes_left, w->tmp);
        }
        if (push(w, &top, (stack_entry){mid, e.end, child + 1, e.depth + 1, pre_r}, &right) ||
            push(w, &top, (stack_entry){e.start, mid, child, e.depth + 1, pre_l}, &left))
            goto fail;
    }
    /* trim to size */
    knob_tree_node *nd = realloc(t->node, (size_t)t->n_nodes * sizeof *nd);
    if (nd) t->node = nd;
    double *cv = realloc(t->cover, (size_t)t->n_nodes * sizeof *cv);
    if (cv) t->cover = cv;
    double *v = realloc(t->value, (size_t)t->n_leaves * b.n_out * sizeof *v);
    if (v) t->value = v;
    double total = 0;
    for (size_t j = 0; j < p; j++) total += importance[j];
    if (total > 0)
        for (size_t j = 0; j < p; j++) importance[j] /= total;
    return KNOB_OK;
fail:
    knob_tree_free(t);
    return knob_err_set(err, KNOB_ENOMEM, "out of memory growing a tree");
}
