/* gbdt_tree.c — one tree on binned features, grown best leaf first: row partition, histograms (built for the
 * smaller child, the larger one by subtraction from the parent) or, on small data, each feature's rows in value
 * order (the rows search, below), split search with learned missing-value direction, and prediction by raw
 * thresholds. Work is split by feature: each task owns whole features, so results are identical for any number
 * of threads.
 * Each feature's histogram carries a bitmap of the slots its rows may occupy (every other slot is exactly zero;
 * a marked slot may have no rows, and then only rounding residue), so clearing, subtracting and scanning cost
 * the number of occupied bins, not the number of bins: a leaf of 20 rows over 255 bins scans at most 20
 * candidates; leaves with more rows scan every slot of eight features at once in vector lanes (dense_scan).
 * A leaf's descendants also skip the features it cannot split (reduce_best). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gbdt.h"
#include "knob/parallel.h"

/* A histogram: for each slot (feature bin) the sums of gradients and hessians, interleaved (2 * total doubles),
 * then HIST_PAD zero doubles (the dense scan reads up to SCAN_SLOTS slots past any feature's start), the row
 * counts (total uint32), then per feature a bitmap of the slots its rows may occupy (BITMAP_WORDS uint64: a
 * feature has at most 256 slots, 255 value bins and the missing one). */
typedef double hist_t;

#define BITMAP_WORDS 4
#define SCAN_SLOTS 256 /* candidates of one feature at most (its value slots) */
#define SCAN_LANES 4   /* candidates of one feature evaluated at once by the sparse scan */
#define HIST_PAD (2 * SCAN_SLOTS)

/* The split scans use GCC vector extensions (GCC 12 or later, or clang: __builtin_shufflevector). They are
 * compiled twice on x86-64 with GCC, for AVX2 and for the baseline, and the loader picks the one the machine
 * runs (the same arithmetic, lane by lane, so the same results). */
typedef double v2d __attribute__((vector_size(16)));
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define KNOB_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#define KNOB_AVX512 1 /* and the scans have AVX-512 versions, chosen at run time */
#include <immintrin.h>
#else
#define KNOB_SIMD_CLONES
#endif

static uint32_t *hist_counts(const knob_gbdt_bins *b, const hist_t *h)
{
    return (uint32_t *)(uintptr_t)(h + 2 * b->total + HIST_PAD);
}

static uint64_t *hist_bits(const knob_gbdt_bins *b, const hist_t *h, int f)
{
    return (uint64_t *)(uintptr_t)(h + 2 * b->total + HIST_PAD + (b->total + 1) / 2) + (size_t)f * BITMAP_WORDS;
}

/* Words of feature f's bitmap that can hold a set bit. */
static int bit_words(const knob_gbdt_bins *b, int f)
{
    return (b->n_bins[f] + 1 + 63) / 64;
}

static inline int lowest_bit(uint64_t x)
{
#if defined(__GNUC__)
    return __builtin_ctzll(x);
#else
    int t = 0;
    while (!(x & 1u)) x >>= 1, t++;
    return t;
#endif
}

/* Set bits of x (by halves, quarters, ...: the baseline x86-64 target has no popcount instruction, and the
 * compiler's builtin would call a library routine). */
static inline int bit_count(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555u;
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (int)((x * 0x0101010101010101u) >> 56);
}

/* The marked slots of one feature's histogram, ascending. */
typedef struct {
    const uint64_t *bits;
    int nw, w;
    uint64_t cur;
} slot_iter;

static slot_iter slots_of(const knob_gbdt_bins *b, const hist_t *h, int f)
{
    const uint64_t *bits = hist_bits(b, h, f);
    return (slot_iter){bits, bit_words(b, f), 0, bits[0]};
}

/* The next marked slot, or -1. */
static inline int slot_next(slot_iter *it)
{
    while (!it->cur) {
        if (++it->w >= it->nw) return -1;
        it->cur = it->bits[it->w];
    }
    int t = it->w * 64 + lowest_bit(it->cur);
    it->cur &= it->cur - 1;
    return t;
}

static inline v2d load_pair(const double *p)
{
    v2d x;
    memcpy(&x, p, sizeof x);
    return x;
}

/* Add a (gradient, hessian) pair with one vector add. */
static inline void add_pair(double *dst, v2d s)
{
    v2d d;
    memcpy(&d, dst, sizeof d);
    d += s;
    memcpy(dst, &d, sizeof d);
}

typedef struct {
    double gain;                      /* 0.5 * loss reduction; -inf when no valid split */
    int32_t feature, bin, default_left, categorical;
    double lg, lh, ln;                /* left child's sums */
    uint32_t cats[KNOB_GBDT_MAX_CATS / 32]; /* categorical: the level codes going left */
} split_t;

typedef struct {
    int32_t node;
    int depth;
    size_t begin, count;   /* segment of the row partition */
    double g, h;           /* sums over the leaf's rows */
    hist_t *hist;            /* NULL when not kept */
    split_t best;
    int open;              /* has a split worth making */
    int *feats;            /* the features the leaf's descendants may split on (its slot of the grower's lists) */
    size_t nf;
    int lists;             /* the rows search: which of the grower's lists buffers holds the leaf's lists */
} leaf_t;

/* The root keeps its rows by slot when its gradient pairs fit a core's cache (the sums read them in random
 * order) and the lists are not too big (64 MB); build_hist uses them for features with several rows a slot. */
#define ROOT_PERM_ROWS ((size_t)1 << 16)
#define ROOT_PERM_MAX ((size_t)1 << 24)
#define ROW_TASK 8192 /* rows per task when partitioning or gathering a big leaf */
#define HIST_BUDGET ((size_t)512 << 20) /* bytes of histograms kept at most */
#define DENSE_LANES 8 /* features whose splits are searched at once, one per vector lane */
/* A step over a leaf's features takes the grower's threads from this many row-features (about 2000 rows x 20
 * features: a pool call costs ~20 us, a row-feature ~1.5 ns) */
#define STEP_THREAD_WORK 49152
/* The rows search (small data): list entries hold twice a row's index (where its gradient pair starts) under
 * ROW_BITS and its bin code above. */
#define ROW_BITS 24
#define ROW_MASK (((uint32_t)1 << ROW_BITS) - 1)
#define ROWS_MAX ((size_t)1 << (ROW_BITS - 1))
#define ENT_PAIR(x) ((size_t)((x) & ROW_MASK)) /* 2 r: the row's gradient, then its hessian */
#define ENT_ROW(x) (ENT_PAIR(x) >> 1)
/* split_search auto: the rows search up to ROWS_BASE + ROWS_PER_SLOT x a feature's mean slots, and ROWS_AUTO_MAX
 * rows (the AVX-512 partition's reach). Measured (fits of 100 trees, 20 features, best-first, this machine): the
 * two take the same time at about 400 rows for 16 slots, 900 for 64 and 1100 for 256. */
#define ROWS_BASE 250
#define ROWS_PER_SLOT 10
#define SIDE_TABLE_ROWS 1024 /* rows whose side bits the AVX-512 partition holds in two registers (32 words) */
#define ROWS_AUTO_MAX SIDE_TABLE_ROWS

struct knob_gbdt_grower {
    const knob_gbdt_bins *bins;
    const uint8_t *binned;
    size_t n;
    knob_gbdt_tree_params tp;
    uint32_t *part, *tmp, *tmp2; /* row partition (n) and scratch (n each) */
    uint8_t *zeros;              /* a column of n zero codes (the unused places of a feature group) */
    uint32_t *root_cnt;          /* the root's slot counts (total), for the features in root_known */
    unsigned char *root_known;   /* per feature */
    uint32_t *root_perm;         /* per feature in root_known: the rows by slot (n each); NULL when too big */
    size_t *block_nl, *block_off; /* parallel partition: left rows per row block, and where they go */
    double *ogh;                 /* gradient pairs in partition order (2n) */
    leaf_t *leaves;
    int *leaf_feats;             /* per leaf slot: n_features entries for its feature list */
    size_t n_leaves;
    knob_gbdt_node *nodes;
    size_t n_nodes;
    hist_t **free_hist;           /* unused histograms */
    size_t n_free, n_alloc, max_alloc;
    hist_t **all_hist;            /* every allocated histogram (for freeing) */
    split_t *fbest;             /* per task: best split of the two leaves being searched */
    int identity;               /* the root holds every row in order (no gather needed) */
    double hmin;                /* a child's hessian must be at least this (min_child_weight, and > -l2) */
    const double *gh;
    int by_rows;                /* the split search over rows in value order (small data), not histograms */
    uint32_t *lists[3];         /* by_rows: each feature's list (n entries) in two buffers (a split reads its
                                   leaf's, writes its children's into the other) and the root's (all rows) */
    int root_ready;
    uint32_t *side;             /* by_rows: a bit per row (side_words(n) words), set if it goes left at the split made */
    uint16_t *bnd;              /* by_rows: per worker 4 DENSE_LANES (n / 64 + 2) quarter words of code changes */
};

/* Doubles per histogram (the counts take half a double each). */
static size_t hist_size(const knob_gbdt_bins *b)
{
    return 2 * b->total + HIST_PAD + (b->total + 1) / 2 + BITMAP_WORDS * b->n_features + 1;
}

static void split_none(split_t *s)
{
    memset(s, 0, sizeof *s);
    s->gain = -INFINITY;
    s->feature = -1;
}

/* Words of the side bits of n rows: whole tables of SIDE_TABLE_ROWS rows (the AVX-512 partition reads one). */
static size_t side_words(size_t n)
{
    return (n / SIDE_TABLE_ROWS + 1) * (SIDE_TABLE_ROWS / 32);
}

/* Does the grower search splits over rows in value order (1), over histograms (0), or can it not do what was
 * asked (-1: the rows search takes numeric features, no L1 and at most ROWS_MAX rows)? */
static int search_by_rows(const knob_gbdt_bins *b, size_t n, const knob_gbdt_tree_params *tp)
{
    if (tp->split_search == KNOB_GBDT_SEARCH_HISTOGRAM) return 0;
    int able = tp->l1 == 0 && n <= ROWS_MAX && (double)n * (double)b->n_features < 2147483648.0; /* int32 offsets */
    size_t slots = 0, p = b->n_features;
    for (size_t f = 0; f < p; f++) {
        if (b->categorical[f]) able = 0;
        slots += (size_t)b->n_bins[f] + 1;
    }
    if (tp->split_search == KNOB_GBDT_SEARCH_ROWS) return able ? 1 : -1;
    return able && n <= ROWS_AUTO_MAX && n * p <= ROWS_BASE * p + ROWS_PER_SLOT * slots;
}

knob_gbdt_grower *knob_gbdt_grower_new(const knob_gbdt_bins *bins, const uint8_t *binned, size_t n_rows,
                                       const knob_gbdt_tree_params *tp, knob_err *err)
{
    int by_rows = search_by_rows(bins, n_rows, tp);
    if (by_rows < 0) {
        knob_err_set(err, KNOB_EINVAL, "gbdt: split_search = 'rows' needs numeric features, l1 = 0 and at most %u "
                     "rows", (unsigned)ROWS_MAX);
        return NULL;
    }
    knob_gbdt_grower *g = calloc(1, sizeof *g);
    if (!g) goto oom;
    g->bins = bins;
    g->binned = binned;
    g->n = n_rows;
    g->tp = *tp;
    if ((size_t)g->tp.max_leaves > n_rows && n_rows >= 2) g->tp.max_leaves = (int)n_rows; /* at most a row a leaf */
    g->hmin = tp->min_child_weight > 0 ? tp->min_child_weight : tp->l2 > 0 ? 0 : DBL_MIN;
    size_t L = (size_t)g->tp.max_leaves, p = bins->n_features;
    size_t hist_bytes = hist_size(bins) * sizeof(hist_t);
    g->max_alloc = HIST_BUDGET / hist_bytes;
    if (g->max_alloc > L + 1) g->max_alloc = L + 1;
    if (g->max_alloc < 3) g->max_alloc = 3;
    g->part = malloc((n_rows ? n_rows : 1) * sizeof *g->part);
    g->tmp = malloc((n_rows ? n_rows : 1) * sizeof *g->tmp);
    g->tmp2 = malloc((n_rows ? n_rows : 1) * sizeof *g->tmp2);
    g->zeros = calloc(n_rows ? n_rows : 1, 1);
    g->root_cnt = malloc((bins->total ? bins->total : 1) * sizeof *g->root_cnt);
    g->root_known = calloc(p ? p : 1, 1);
    size_t cells = n_rows * p;
    if (n_rows <= ROOT_PERM_ROWS && cells <= ROOT_PERM_MAX) g->root_perm = malloc((cells ? cells : 1) * sizeof *g->root_perm);
    g->block_nl = malloc((n_rows / ROW_TASK + 1) * sizeof *g->block_nl);
    g->block_off = malloc((n_rows / ROW_TASK + 1) * sizeof *g->block_off);
    g->ogh = malloc(2 * (n_rows ? n_rows : 1) * sizeof *g->ogh);
    g->leaves = calloc(L, sizeof *g->leaves);
    g->leaf_feats = malloc(L * (p ? p : 1) * sizeof *g->leaf_feats);
    g->nodes = calloc(2 * L, sizeof *g->nodes);
    g->free_hist = calloc(g->max_alloc, sizeof *g->free_hist);
    g->all_hist = calloc(g->max_alloc, sizeof *g->all_hist);
    g->fbest = calloc(2 * (p ? p : 1), sizeof *g->fbest);
    if (!g->part || !g->tmp || !g->tmp2 || !g->zeros || !g->root_cnt || !g->root_known || !g->block_nl || !g->block_off || !g->ogh || !g->leaves || !g->leaf_feats || !g->nodes || !g->free_hist || !g->all_hist || !g->fbest)
        goto oom;
    if ((g->by_rows = by_rows)) {
        size_t list_cells = (n_rows ? n_rows : 1) * (p ? p : 1), workers = tp->threads > 0 ? (size_t)tp->threads : 1;
        for (int i = 0; i < 3; i++) /* the AVX-512 scan reads up to 15 entries past a list */
            if (!(g->lists[i] = malloc((list_cells + 16) * sizeof *g->lists[i]))) goto oom;
        g->side = calloc(side_words(n_rows), sizeof *g->side);
        g->bnd = malloc(workers * 4 * DENSE_LANES * (n_rows / 64 + 2) * sizeof *g->bnd);
        if (!g->side || !g->bnd) goto oom;
    }
    return g;
oom:
    knob_gbdt_grower_free(&g);
    knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory for a tree grower over %zu rows", n_rows);
    return NULL;
}

void knob_gbdt_grower_free(knob_gbdt_grower **gp)
{
    if (!gp || !*gp) return;
    knob_gbdt_grower *g = *gp;
    if (g->all_hist)
        for (size_t i = 0; i < g->n_alloc; i++) free(g->all_hist[i]);
    free(g->all_hist);
    free(g->free_hist);
    free(g->part);
    free(g->tmp);
    free(g->tmp2);
    free(g->zeros);
    free(g->root_cnt);
    free(g->root_known);
    free(g->root_perm);
    free(g->block_nl);
    free(g->block_off);
    free(g->ogh);
    free(g->leaves);
    free(g->leaf_feats);
    free(g->nodes);
    free(g->fbest);
    for (int i = 0; i < 3; i++) free(g->lists[i]);
    free(g->side);
    free(g->bnd);
    free(g);
    *gp = NULL;
}

/* ---- histogram pool ------------------------------------------------------------------------------- */

static void hist_release(knob_gbdt_grower *g, leaf_t *l)
{
    if (l->hist) g->free_hist[g->n_free++] = l->hist;
    l->hist = NULL;
}

/* A free histogram; when the pool is at its budget, take the one of the open leaf that gains least. */
static hist_t *hist_acquire(knob_gbdt_grower *g)
{
    if (g->n_free) return g->free_hist[--g->n_free];
    if (g->n_alloc < g->max_alloc) {
        hist_t *h = calloc(hist_size(g->bins), sizeof *h); /* all slots zero: the bitmaps' invariant */
        if (h) g->all_hist[g->n_alloc++] = h;
        if (h) return h;
    }
    leaf_t *victim = NULL;
    for (size_t k = 0; k < g->n_leaves; k++) {
        leaf_t *l = &g->leaves[k];
        if (l->open && l->hist && (!victim || l->best.gain < victim->best.gain)) victim = l;
    }
    if (!victim) return NULL;
    hist_t *h = victim->hist;
    victim->hist = NULL;
    return h;
}

/* ---- split search ---------------------------------------------------------------------------------- */

static double soft(double G, double l1)
{
    return G > l1 ? G - l1 : G < -l1 ? G + l1 : 0;
}

static double leaf_score(double G, double H, const knob_gbdt_tree_params *tp)
{
    double t = soft(G, tp->l1);
    return t * t / (H + tp->l2);
}

/* The gain of a split of leaf l whose children's scores sum to the fraction num / den. */
static double split_gain(const knob_gbdt_grower *g, const leaf_t *l, double num, double den)
{
    return 0.5 * (num / den - leaf_score(l->g, l->h, &g->tp));
}

static int can_split(const knob_gbdt_grower *g, const leaf_t *l)
{
    const knob_gbdt_tree_params *tp = &g->tp;
    return (tp->max_depth == 0 || l->depth < tp->max_depth) && l->count >= 2 * tp->min_samples_leaf &&
           l->h >= 2 * tp->min_child_weight;
}

/* Consider sending left the sums (lg, lh, ln) against the rest of leaf l; keeps the best as the fraction
 * bnum / bden of a^2/b + c^2/d (no division in the scan). Returns 1 if it became the best. */
static inline int consider(const knob_gbdt_grower *g, const leaf_t *l, double lg, double lh, double ln,
                           double *bnum, double *bden)
{
    const knob_gbdt_tree_params *tp = &g->tp;
    double msl = (double)tp->min_samples_leaf, l1 = tp->l1, l2 = tp->l2;
    double rg = l->g - lg, rh = l->h - lh, rn = (double)l->count - ln;
    if (!((ln >= msl) & (rn >= msl) & (lh >= g->hmin) & (rh >= g->hmin))) return 0;
    double a = l1 > 0 ? soft(lg, l1) : lg, c = l1 > 0 ? soft(rg, l1) : rg, b = lh + l2, d = rh + l2;
    double num = a * a * d + c * c * b, den = b * d;
    if (!(num * *bden > *bnum * den)) return 0;
    *bnum = num;
    *bden = den;
    return 1;
}

/* Categorical feature f: order the levels present in the leaf by gradient / hessian and scan the prefixes of
 * that order as the left set (optimal for a second-order loss, Fisher 1958; LightGBM does the same). */
static void find_split_cat(const knob_gbdt_grower *g, const leaf_t *l, int f, split_t *best)
{
    int nb = g->bins->n_bins[f];
    size_t off = g->bins->offset[f];
    const double *gh = l->hist + 2 * off;
    const uint32_t *cnt = hist_counts(g->bins, l->hist) + off;
    double mg = gh[2 * nb], mh = gh[2 * nb + 1], mn = cnt[nb], l2 = g->tp.l2;
    double key[KNOB_GBDT_MAX_CATS];
    int order[KNOB_GBDT_MAX_CATS], m = 0;
    slot_iter it = slots_of(g->bins, l->hist, f);
    for (int t; (t = slot_next(&it)) >= 0 && t < nb;) { /* insertion sort by key, ties by level code (stable) */
        if (cnt[t] == 0) continue;
        double k = gh[2 * t] / (gh[2 * t + 1] + l2 + 1e-300);
        int i = m++;
        while (i > 0 && key[i - 1] > k) {
            key[i] = key[i - 1];
            order[i] = order[i - 1];
            i--;
        }
        key[i] = k;
        order[i] = t;
    }
    double bnum = -1, bden = 1, GL = 0, HL = 0, NL = 0;
    int best_k = -1;
    for (int k = 0; k < m; k++) {
        int t = order[k];
        GL += gh[2 * t];
        HL += gh[2 * t + 1];
        NL += cnt[t];
        if ((double)l->count - NL < (double)g->tp.min_samples_leaf) break;
        for (int opt = 0; opt <= (mn > 0); opt++) {
            double ln = opt ? NL + mn : NL;
            if (consider(g, l, opt ? GL + mg : GL, opt ? HL + mh : HL, ln, &bnum, &bden)) {
                best_k = k;
                best->default_left = mn > 0 ? opt : ln >= (double)l->count - ln;
                best->lg = opt ? GL + mg : GL;
                best->lh = opt ? HL + mh : HL;
                best->ln = ln;
            }
        }
    }
    if (best_k < 0) return;
    best->feature = f;
    best->categorical = 1;
    best->bin = best_k;
    for (int k = 0; k <= best_k; k++) best->cats[order[k] >> 5] |= 1u << (order[k] & 31);
    best->gain = split_gain(g, l, bnum, bden);
}

/* Is feature f of leaf l for the lean scan (numeric, no missing values, no L1)? */
static int lean_feature(const knob_gbdt_grower *g, const leaf_t *l, int f)
{
    size_t nb = (size_t)g->bins->n_bins[f];
    return !g->bins->categorical[f] && g->tp.l1 == 0 && hist_counts(g->bins, l->hist)[g->bins->offset[f] + nb] == 0;
}

/* The lean scan (numeric feature, no missing values, no L1) in two passes: the candidates first -- each
 * occupied slot whose left side (it and the slots below) meets min_samples_leaf on both sides, with its left
 * sums -- then the best of them, evaluated four at a time. */
typedef struct {
    double g[SCAN_SLOTS + SCAN_LANES], h[SCAN_SLOTS + SCAN_LANES]; /* left sums; padded to a multiple of the lanes */
    int32_t n[SCAN_SLOTS], t[SCAN_SLOTS];                           /* left rows, slot */
} scan_t;

/* The candidates of leaf l on feature f into sc (ascending slots); returns their number. */
static int lean_candidates(const knob_gbdt_grower *g, const leaf_t *l, int f, scan_t *sc)
{
    int nb = g->bins->n_bins[f], nw = bit_words(g->bins, f);
    size_t off = g->bins->offset[f];
    const double *gh = l->hist + 2 * off;
    const uint32_t *cnt = hist_counts(g->bins, l->hist) + off;
    const uint64_t *bits = hist_bits(g->bins, l->hist, f);
    int64_t nl = 0, lo = g->tp.min_samples_leaf, hi = (int64_t)l->count - lo; /* left rows in [lo, hi] */
    double GL = 0, HL = 0;
    int m = 0;
    for (int w = 0; w < nw; w++) {
        uint64_t word = bits[w];
        if (w == nb >> 6) word &= ~((uint64_t)1 << (nb & 63)); /* not the missing slot */
        const double *p = gh + 128 * (size_t)w;
        const uint32_t *c = cnt + 64 * (size_t)w;
        while (word) {
            size_t b = (size_t)lowest_bit(word);
            word &= word - 1;
            GL += p[2 * b];
            HL += p[2 * b + 1];
            nl += c[b];
            if (nl < lo) continue;
            if (nl > hi) goto done;
            sc->g[m] = GL;
            sc->h[m] = HL;
            sc->n[m] = (int32_t)nl;
            sc->t[m] = w * 64 + (int)b;
            m++;
        }
    }
done:
    for (int i = 0; i < SCAN_LANES; i++) { /* padding no lane can take (its hessian fails every minimum) */
        sc->g[m + i] = 0;
        sc->h[m + i] = -INFINITY;
    }
    return m;
}

/* The first of the m candidates (left sums gl, hl; the leaf's G, H) with the largest a^2/b + c^2/d, compared as
 * fractions (a^2 d + c^2 b) / (b d) with no division, among those whose sides' hessians reach hmin; -1 if none.
 * Each lane keeps its own best (the first of its candidates), then the lanes' bests are merged (ties to the
 * earlier candidate): the result does not depend on the vector width the machine runs. */
KNOB_SIMD_CLONES static int best_candidate(const double *gl, const double *hl, int m, double G, double H, double l2,
                                           double hmin, double *num_out, double *den_out)
{
    typedef double vd __attribute__((vector_size(8 * SCAN_LANES)));
    typedef int64_t vl __attribute__((vector_size(8 * SCAN_LANES)));
    vd bnum, bden;
    vl bk, k;
    for (int j = 0; j < SCAN_LANES; j++) bnum[j] = -1, bden[j] = 1, bk[j] = -1, k[j] = j;
    for (int i = 0; i < m; i += SCAN_LANES, k += SCAN_LANES) {
        vd a, hh;
        memcpy(&a, gl + i, sizeof a);
        memcpy(&hh, hl + i, sizeof hh);
        vd c = G - a, rh = H - hh, b = hh + l2, d = rh + l2;
        vd num = a * a * d + c * c * b, den = b * d;
        vl take = (hh >= hmin) & (rh >= hmin) & (num * bden > bnum * den);
        bnum = (vd)(((vl)num & take) | ((vl)bnum & ~take));
        bden = (vd)(((vl)den & take) | ((vl)bden & ~take));
        bk = (k & take) | (bk & ~take);
    }
    int best = -1;
    double n = -1, d = 1;
    for (int j = 0; j < SCAN_LANES; j++) {
        if (bk[j] < 0) continue;
        double x = bnum[j] * d, y = n * bden[j];
        if (best < 0 || x > y || (!(x < y) && bk[j] < best)) best = (int)bk[j], n = bnum[j], d = bden[j];
    }
    *num_out = n;
    *den_out = d;
    return best;
}

/* The candidate "code t and below go left" of feature f in leaf l (left sums GL, HL, NL without the missing
 * values; theirs mg, mh, mn): with the missing values sent right, and (when there are any) left. */
static void consider_missing(const knob_gbdt_grower *g, const leaf_t *l, int f, int t, double GL, double HL,
                             double NL, double mg, double mh, double mn, double *bnum, double *bden, split_t *best)
{
    double N = (double)l->count;
    for (int opt = 0; opt <= (mn > 0); opt++) { /* 0: missing values go right, 1: they go left */
        double ln = opt ? NL + mn : NL;
        if (consider(g, l, opt ? GL + mg : GL, opt ? HL + mh : HL, ln, bnum, bden)) {
            best->feature = f;
            best->bin = t;
            /* without missing values in training, send them with the larger side */
            best->default_left = mn > 0 ? opt : ln >= N - ln;
            best->lg = opt ? GL + mg : GL;
            best->lh = opt ? HL + mh : HL;
            best->ln = ln;
        }
    }
}

/* The best split of leaf l on feature f (its histogram must be built). Candidates are compared as fractions
 * (a^2/b + c^2/d as (a^2 d + c^2 b) / (b d)) so the scan needs no division. */
static void find_split(const knob_gbdt_grower *g, const leaf_t *l, int f, split_t *best)
{
    split_none(best);
    if (g->bins->categorical[f]) {
        find_split_cat(g, l, f, best);
        return;
    }
    int nb = g->bins->n_bins[f];
    size_t off = g->bins->offset[f];
    const double *gh = l->hist + 2 * off;
    const uint32_t *cnt = hist_counts(g->bins, l->hist) + off;
    double mg = gh[2 * nb], mh = gh[2 * nb + 1], mn = cnt[nb];
    double N = (double)l->count, msl = (double)g->tp.min_samples_leaf;
    double bnum = -1, bden = 1, GL = 0, HL = 0, NL = 0;
    if (lean_feature(g, l, f)) { /* the common case */
        scan_t sc;
        int m = lean_candidates(g, l, f, &sc);
        double num, den;
        int k = m ? best_candidate(sc.g, sc.h, m, l->g, l->h, g->tp.l2, g->hmin, &num, &den) : -1;
        if (k >= 0) {
            best->feature = f;
            best->bin = sc.t[k];
            best->lg = sc.g[k];
            best->lh = sc.h[k];
            best->ln = (double)sc.n[k];
            best->default_left = best->ln >= N - best->ln; /* missing values go with the larger side */
            best->gain = split_gain(g, l, num, den);
        }
        return;
    }
    slot_iter it = slots_of(g->bins, l->hist, f);
    for (int t; (t = slot_next(&it)) >= 0 && t < nb;) { /* empty bins would repeat the previous candidate */
        GL += gh[2 * t];
        HL += gh[2 * t + 1];
        NL += cnt[t];
        if (NL + mn < msl) continue;
        if (N - NL < msl) break; /* the right side only shrinks from here */
        consider_missing(g, l, f, t, GL, HL, NL, mg, mh, mn, &bnum, &bden, best);
    }
    if (best->feature >= 0) best->gain = split_gain(g, l, bnum, bden);
}

/* The dense scan: the lean scan of several features at once, one per lane, over every slot from the first
 * marked slot of any lane up to the last candidate of any lane. Unmarked slots are exactly zero, so they
 * repeat the previous candidate exactly and never win the strict comparison: each lane finds what a scan of
 * its marked slots finds, at a fixed cost per slot instead of per occupied slot (cheaper once about a quarter
 * of the slots are occupied). A lane past its feature's slots reads the next features' slots or the
 * histogram's zero padding, and takes nothing. Eight lanes in one pass on AVX-512, else four at a time; each
 * lane does the same arithmetic either way (no contraction into FMA: the Makefile says -ffp-contract=off). */
typedef struct {
    const double *gh[DENSE_LANES]; /* each lane's feature's (gradient, hessian) slots */
    const uint32_t *list[DENSE_LANES]; /* the rows search: each lane's feature's list */
    double lo[DENSE_LANES], hi[DENSE_LANES]; /* its candidate slots (min_samples_leaf on both sides) */
    double t[DENSE_LANES];         /* out: its best slot, or -1 */
    double g[DENSE_LANES], h[DENSE_LANES], num[DENSE_LANES], den[DENSE_LANES]; /* out: its left sums, fraction */
} dense_lanes;

/* One candidate of the dense scan, once GL and HL (vectors of type VD, masks VL) hold the lanes' left sums;
 * MASK is the lanes' further conditions, ending in "&". */
#define DENSE_STEP(VD, VL, MASK)                                                                                   \
    do {                                                                                                           \
        VD c_ = G - GL, rh_ = H - HL, b_ = HL + l2, d_ = rh_ + l2;                                                 \
        VD num_ = GL * GL * d_ + c_ * c_ * b_, den_ = b_ * d_;                                                     \
        VL take_ = MASK(HL >= hmin) & (rh_ >= hmin) & (num_ * bden > bnum * den_);                                 \
        bnum = (VD)(((VL)num_ & take_) | ((VL)bnum & ~take_));                                                     \
        bden = (VD)(((VL)den_ & take_) | ((VL)bden & ~take_));                                                     \
        bg = (VD)(((VL)GL & take_) | ((VL)bg & ~take_));                                                           \
        bh = (VD)(((VL)HL & take_) | ((VL)bh & ~take_));                                                           \
        bt = (VD)(((VL)tv & take_) | ((VL)bt & ~take_));                                                           \
    } while (0)

/* The state of the dense scan over lanes [j0, j0 + N): set up, and stored back. */
#define DENSE_SETUP(VD, N, j0)                                                                                     \
    VD GL, HL, bnum, bden, bg, bh, bt, lo, hi, tv;                                                                 \
    for (int j_ = 0; j_ < (N); j_++)                                                                               \
        GL[j_] = HL[j_] = bg[j_] = bh[j_] = 0, bnum[j_] = bt[j_] = -1, bden[j_] = 1, lo[j_] = dl->lo[(j0) + j_],   \
        hi[j_] = dl->hi[(j0) + j_], tv[j_] = (double)t0
#define DENSE_STORE(N, j0)                                                                                         \
    for (int j_ = 0; j_ < (N); j_++)                                                                               \
        dl->t[(j0) + j_] = bt[j_], dl->g[(j0) + j_] = bg[j_], dl->h[(j0) + j_] = bh[j_],                           \
        dl->num[(j0) + j_] = bnum[j_], dl->den[(j0) + j_] = bden[j_]

/* GL and HL (four lanes) += the (gradient, hessian) pairs at q0..q3: lanes 0 and 2 in one register, 1 and 3 in
 * the other, and unpacking puts them in order. */
#define ADD_PAIRS4(q0, q1, q2, q3)                                                                                 \
    do {                                                                                                           \
        vd X_ = __builtin_shufflevector(load_pair(q0), load_pair(q2), 0, 1, 2, 3);                                 \
        vd Y_ = __builtin_shufflevector(load_pair(q1), load_pair(q3), 0, 1, 2, 3);                                 \
        GL += __builtin_shufflevector(X_, Y_, 0, 4, 2, 6);                                                         \
        HL += __builtin_shufflevector(X_, Y_, 1, 5, 3, 7);                                                         \
    } while (0)

#ifdef KNOB_AVX512
/* The same for eight lanes (AVX-512): even lanes' pairs in one register, odd in the other, a pair per 128 bits
 * (each inserted straight from memory); unpacking puts them in order. */
#define PAIR_AT(q) _mm512_castpd128_pd512(_mm_loadu_pd(q))
#define PAIR_IN(X, q, i) _mm512_castps_pd(_mm512_insertf32x4(_mm512_castpd_ps(X), _mm_castpd_ps(_mm_loadu_pd(q)), i))
#define ADD_PAIRS8(q0, q1, q2, q3, q4, q5, q6, q7)                                                                 \
    do {                                                                                                           \
        __m512d X_ = PAIR_IN(PAIR_IN(PAIR_IN(PAIR_AT(q0), q2, 1), q4, 2), q6, 3);                                  \
        __m512d Y_ = PAIR_IN(PAIR_IN(PAIR_IN(PAIR_AT(q1), q3, 1), q5, 2), q7, 3);                                  \
        GL += (vd)_mm512_unpacklo_pd(X_, Y_);                                                                      \
        HL += (vd)_mm512_unpackhi_pd(X_, Y_);                                                                      \
    } while (0)
#endif

/* Lanes j0..j0+3. */
KNOB_SIMD_CLONES static void dense_scan4(dense_lanes *dl, int j0, int64_t t0, int64_t nt, double G, double H, double l2,
                                         double hmin)
{
    typedef double vd __attribute__((vector_size(32)));
    typedef int64_t vl __attribute__((vector_size(32)));
    const double *p0 = dl->gh[j0], *p1 = dl->gh[j0 + 1], *p2 = dl->gh[j0 + 2], *p3 = dl->gh[j0 + 3];
    DENSE_SETUP(vd, 4, j0);
    for (int64_t t = t0; t < nt; t++, tv += 1) {
        ADD_PAIRS4(p0 + 2 * t, p1 + 2 * t, p2 + 2 * t, p3 + 2 * t);
        DENSE_STEP(vd, vl, (tv >= lo) & (tv <= hi) &);
    }
    DENSE_STORE(4, j0);
}

#ifdef KNOB_AVX512
/* All eight lanes. */
__attribute__((target("avx512f"))) static void dense_scan8(dense_lanes *dl, int64_t t0, int64_t nt, double G, double H,
                                                          double l2, double hmin)
{
    typedef double vd __attribute__((vector_size(64)));
    typedef int64_t vl __attribute__((vector_size(64)));
    const double *const *p = dl->gh;
    DENSE_SETUP(vd, 8, 0);
    for (int64_t t = t0; t < nt; t++, tv += 1) {
        ADD_PAIRS8(p[0] + 2 * t, p[1] + 2 * t, p[2] + 2 * t, p[3] + 2 * t, p[4] + 2 * t, p[5] + 2 * t, p[6] + 2 * t,
                   p[7] + 2 * t);
        DENSE_STEP(vd, vl, (tv >= lo) & (tv <= hi) &);
    }
    DENSE_STORE(8, 0);
}
#endif

/* The first `lanes` lanes (the others idle). */
static void dense_scan(dense_lanes *dl, int lanes, int64_t t0, int64_t nt, double G, double H, double l2, double hmin)
{
#ifdef KNOB_AVX512
    if (lanes > 4 && __builtin_cpu_supports("avx512f")) { /* a read of what the loader found out */
        dense_scan8(dl, t0, nt, G, H, l2, hmin);
        return;
    }
#endif
    for (int j0 = 0; j0 < lanes; j0 += 4) dense_scan4(dl, j0, t0, nt, G, H, l2, hmin);
}

static inline int highest_bit(uint64_t x)
{
#if defined(__GNUC__)
    return 63 - __builtin_clzll(x);
#else
    int t = 63;
    while (!(x >> t)) t--;
    return t;
#endif
}

/* Feature f's first and last marked value slots in leaf l's histogram, *first > *last when none (the slots
 * outside are exactly zero). */
static void marked_span(const knob_gbdt_grower *g, const leaf_t *l, int f, int64_t *first, int64_t *last)
{
    const uint64_t *bits = hist_bits(g->bins, l->hist, f);
    int nb = g->bins->n_bins[f], nw = bit_words(g->bins, f);
    *first = nb;
    *last = -1;
    for (int w = 0; w < nw; w++) {
        uint64_t word = bits[w];
        if (w == nb >> 6) word &= ~((uint64_t)1 << (nb & 63)); /* not the missing slot */
        if (!word) continue;
        if (*first == nb) *first = 64 * w + lowest_bit(word);
        *last = 64 * w + highest_bit(word);
    }
}

/* The slots [*lo, *hi] of feature f whose candidate leaves min_samples_leaf rows on each side of leaf l (the
 * left side grows with the slot, the right side shrinks; rows lie in [first, last]); empty when *lo > *hi. */
static void count_range(const knob_gbdt_grower *g, const leaf_t *l, int f, int64_t first, int64_t last, int64_t *lo,
                        int64_t *hi)
{
    int64_t need = (int64_t)g->tp.min_samples_leaf, s = 0, t;
    const uint32_t *cnt = hist_counts(g->bins, l->hist) + g->bins->offset[f];
    for (t = first; t <= last; t++)
        if ((s += cnt[t]) >= need) break;
    *lo = t;
    for (s = 0, t = last; t >= first && s < need; t--) s += cnt[t]; /* s: the rows above slot t */
    *hi = t;
}

/* The best splits of leaf l on the n (at most DENSE_LANES) features fs into out: by the dense scan, together,
 * when the leaf has at least a quarter as many rows as a feature has slots; else one by one. A dense split
 * leaves its left row count (and so its missing-value direction) to reduce_best, which needs it only for the
 * leaf's best (ln = -1 until then). */
static void find_splits(const knob_gbdt_grower *g, const leaf_t *l, const int *fs, int n, split_t *out)
{
    dense_lanes dl;
    int lane_of[DENSE_LANES], lanes = 0;
    int64_t t0 = SCAN_SLOTS, nt = 0;
    for (int i = 0; i < n; i++) {
        int f = fs[i];
        if (!lean_feature(g, l, f) || 4 * l->count < (size_t)g->bins->n_bins[f]) {
            find_split(g, l, f, &out[i]);
            continue;
        }
        split_none(&out[i]);
        int64_t lo, hi, first, last;
        marked_span(g, l, f, &first, &last);
        count_range(g, l, f, first, last, &lo, &hi);
        if (lo > hi) continue;
        dl.gh[lanes] = l->hist + 2 * g->bins->offset[f];
        dl.lo[lanes] = (double)lo;
        dl.hi[lanes] = (double)hi;
        if (first < t0) t0 = first;
        if (hi + 1 > nt) nt = hi + 1;
        lane_of[lanes++] = i;
    }
    if (!lanes) return;
    for (int j = lanes; j < DENSE_LANES; j++) { /* idle lanes: lane 0's slots, no candidate */
        dl.gh[j] = dl.gh[0];
        dl.lo[j] = 1;
        dl.hi[j] = 0;
    }
    dense_scan(&dl, lanes, t0, nt, l->g, l->h, g->tp.l2, g->hmin);
    for (int j = 0; j < lanes; j++) {
        if (dl.t[j] < 0) continue;
        split_t *best = &out[lane_of[j]];
        best->feature = fs[lane_of[j]];
        best->bin = (int32_t)dl.t[j];
        best->lg = dl.g[j];
        best->lh = dl.h[j];
        best->ln = -1;
        best->gain = split_gain(g, l, dl.num[j], dl.den[j]);
    }
}

/* The n rows of column col grouped by code (nb codes, cnt[t] rows of code t), ascending within a code, into out
 * (a counting sort). */
static void rows_by_code(const uint8_t *col, size_t n, size_t nb, const uint32_t *cnt, uint32_t *out)
{
    size_t at[SCAN_SLOTS + 1], s = 0;
    for (size_t t = 0; t < nb; t++) at[t] = s, s += cnt[t];
    for (size_t r = 0; r < n; r++) out[at[col[r]]++] = (uint32_t)r;
}

/* ---- small data: the split search over each feature's rows in value order --------------------------- */

/* With about one row a slot or fewer (a few hundred rows over 255 bins), a histogram is mostly empty, and
 * building, subtracting, clearing and scanning it costs more than reading the leaf's rows in each feature's
 * value order. The grower then keeps, for every leaf and feature, the leaf's rows sorted by the feature's code
 * (ascending rows within a code; entries code << ROW_BITS | 2 row): a left side is a prefix of that list ending
 * where the code changes -- the histogram's candidates, with the same sums up to rounding (added row by row,
 * not slot by slot). Every feature's list of a leaf holds the leaf's rows, so the scan of eight features at
 * once (one per vector lane) walks eight lists in step, and min_samples_leaf bounds the same positions in all.
 * Splitting a leaf partitions each list stably by the side its rows go to (AVX-512: sixteen entries at a time):
 * the children's lists are the two parts, each still in value order, in the children's segments. */

static inline size_t side_of(const uint32_t *side, size_t r)
{
    return (side[r >> 5] >> (r & 31)) & 1;
}

/* Set the side bits of the m rows at rows (the others clear). */
static void set_side(const knob_gbdt_grower *g, const uint32_t *rows, size_t m)
{
    memset(g->side, 0, side_words(g->n) * sizeof *g->side);
    for (size_t i = 0; i < m; i++) g->side[rows[i] >> 5] |= 1u << (rows[i] & 31);
}

/* Feature f's list of leaf l. */
static uint32_t *feature_list(const knob_gbdt_grower *g, const leaf_t *l, int f)
{
    return g->lists[l->lists] + (size_t)f * g->n + l->begin;
}

/* The rows search on the lanes of dl that have lo <= hi (lanes j0..j0+3): at position k (0 <= k < nt) of
 * each lane's list, the candidate "the first k rows go left" where the code changes from position k - 1 to k,
 * then row k joins the left sums. */
KNOB_SIMD_CLONES static void rows_scan4(dense_lanes *dl, int j0, int64_t nt, const double *gh, double G, double H,
                                        double l2, double hmin)
{
    typedef double vd __attribute__((vector_size(32)));
    typedef int64_t vl __attribute__((vector_size(32)));
    typedef uint32_t vu __attribute__((vector_size(16)));
    const uint32_t *e0 = dl->list[j0], *e1 = dl->list[j0 + 1], *e2 = dl->list[j0 + 2], *e3 = dl->list[j0 + 3];
    int64_t t0 = 0;
    DENSE_SETUP(vd, 4, j0);
    vu prev = (vu){e0[0], e1[0], e2[0], e3[0]} >> ROW_BITS;
    for (int64_t k = 0; k < nt; k++, tv += 1) {
        uint32_t x0 = e0[k], x1 = e1[k], x2 = e2[k], x3 = e3[k];
        vu code = (vu){x0, x1, x2, x3} >> ROW_BITS;
        vl bnd = __builtin_convertvector(code != prev, vl);
        prev = code;
        DENSE_STEP(vd, vl, bnd & (tv >= lo) & (tv <= hi) &);
        ADD_PAIRS4(gh + ENT_PAIR(x0), gh + ENT_PAIR(x1), gh + ENT_PAIR(x2), gh + ENT_PAIR(x3));
    }
    DENSE_STORE(4, j0);
}

#ifdef KNOB_AVX512
/* All eight lanes, the candidates at positions k0..nt-1 (every lane with lo <= hi has lo = k0, hi = nt - 1).
 * First, where each lane's code changes: bit k % 64 of the little-endian word of four quarters at
 * bw + 4 (8 (k / 64) + j) says that position k of lane j has another code than position k - 1 (sixteen
 * positions a step: the lists have 16 entries to spare at the end); idle lanes' words are zero: they take
 * nothing. */
__attribute__((target("avx512f"))) static void rows_scan8(dense_lanes *dl, int64_t k0, int64_t nt, const double *gh,
                                                         double G, double H, double l2, double hmin, uint16_t *bw)
{
    typedef double vd __attribute__((vector_size(64)));
    typedef int64_t vl __attribute__((vector_size(64)));
    const uint32_t *const *e = dl->list;
    for (int j = 0; j < DENSE_LANES; j++) {
        int on = dl->lo[j] <= dl->hi[j];
        __m512i last = _mm512_set1_epi32((int)(e[j][0] >> ROW_BITS));
        for (int64_t k = 0; k < nt; k += 16) {
            __m512i cur = _mm512_srli_epi32(_mm512_loadu_si512(e[j] + k), ROW_BITS);
            bw[4 * (DENSE_LANES * (k >> 6) + j) + ((k >> 4) & 3)] = /* quarter (k % 64) / 16 */
                on ? _mm512_cmpneq_epi32_mask(cur, _mm512_alignr_epi32(cur, last, 15)) : 0;
            last = cur;
        }
    }
#define ROWS_ADD8(k)                                                                                               \
    ADD_PAIRS8(gh + ENT_PAIR(e[0][k]), gh + ENT_PAIR(e[1][k]), gh + ENT_PAIR(e[2][k]), gh + ENT_PAIR(e[3][k]),     \
               gh + ENT_PAIR(e[4][k]), gh + ENT_PAIR(e[5][k]), gh + ENT_PAIR(e[6][k]), gh + ENT_PAIR(e[7][k]))
    int64_t t0 = k0, k = 0;
    DENSE_SETUP(vd, 8, 0);
    (void)lo, (void)hi; /* the lanes' range is k0..nt-1; idle lanes have no code changes */
    for (; k < k0; k++) ROWS_ADD8(k);
    while (k < nt) {
        vl W;
        memcpy(&W, bw + 4 * DENSE_LANES * (k >> 6), sizeof W);
        W >>= k & 63;
        for (int64_t kend = (k | 63) + 1 < nt ? (k | 63) + 1 : nt; k < kend; k++, tv += 1, W >>= 1) {
            vl bnd = (W & 1) != 0;
            DENSE_STEP(vd, vl, bnd &);
            ROWS_ADD8(k);
        }
    }
#undef ROWS_ADD8
    DENSE_STORE(8, 0);
}
#endif

/* The rows search of leaf l's lanes dl (msl = min_samples_leaf). */
static void rows_scan(dense_lanes *dl, int64_t msl, int64_t nt, const double *gh, double G, double H, double l2,
                      double hmin, uint16_t *bw)
{
#ifdef KNOB_AVX512
    if (__builtin_cpu_supports("avx512f")) {
        rows_scan8(dl, msl, nt, gh, G, H, l2, hmin, bw);
        return;
    }
#else
    (void)bw;
    (void)msl;
#endif
    for (int j0 = 0; j0 < DENSE_LANES; j0 += 4) {
        int on = 0;
        for (int j = j0; j < j0 + 4; j++) on |= dl->lo[j] <= dl->hi[j];
        if (on) rows_scan4(dl, j0, nt, gh, G, H, l2, hmin);
    }
}

/* Feature f of leaf l (its list e) when the leaf has rows with f missing (they sort last, code n_bins): the
 * candidates one by one, each with the missing values sent right and left, as find_split does. */
static void rows_split_missing(const knob_gbdt_grower *g, const leaf_t *l, const uint32_t *e, int f, split_t *best)
{
    size_t c = l->count, mn = 0;
    uint32_t miss = (uint32_t)g->bins->n_bins[f];
    while (mn < c && e[c - 1 - mn] >> ROW_BITS == miss) mn++;
    const double *gh = g->gh;
    double mg = 0, mh = 0, GL = 0, HL = 0, bnum = -1, bden = 1, msl = (double)g->tp.min_samples_leaf;
    for (size_t k = c - mn; k < c; k++) {
        mg += gh[ENT_PAIR(e[k])];
        mh += gh[ENT_PAIR(e[k]) + 1];
    }
    for (size_t k = 1, nn = c - mn; k <= nn; k++) { /* the first k rows with a value go left */
        uint32_t x = e[k - 1];
        GL += gh[ENT_PAIR(x)];
        HL += gh[ENT_PAIR(x) + 1];
        if (k < nn && e[k] >> ROW_BITS == x >> ROW_BITS) continue; /* inside a code */
        if ((double)(k + mn) < msl) continue;
        if ((double)(c - k) < msl) break;
        consider_missing(g, l, f, (int)(x >> ROW_BITS), GL, HL, (double)k, mg, mh, (double)mn, &bnum, &bden, best);
    }
    if (best->feature >= 0) best->gain = split_gain(g, l, bnum, bden);
}

/* The best splits of leaf l on the n (at most DENSE_LANES) features fs into out. */
static void rows_find(const knob_gbdt_grower *g, const leaf_t *l, const int *fs, int n, split_t *out, uint16_t *bw)
{
    size_t c = l->count;
    int64_t msl = (int64_t)g->tp.min_samples_leaf;
    dense_lanes dl;
    int any = 0;
    for (int j = 0; j < DENSE_LANES; j++) { /* idle lanes read lane 0's list and take nothing */
        dl.lo[j] = 1;
        dl.hi[j] = 0;
        dl.list[j] = feature_list(g, l, fs[j < n ? j : 0]);
        if (j >= n) continue;
        split_none(&out[j]);
        if (dl.list[j][c - 1] >> ROW_BITS == (uint32_t)g->bins->n_bins[fs[j]]) {
            rows_split_missing(g, l, dl.list[j], fs[j], &out[j]);
            continue;
        }
        dl.lo[j] = (double)msl;
        dl.hi[j] = (double)((int64_t)c - msl);
        any |= dl.lo[j] <= dl.hi[j];
    }
    if (!any) return;
    rows_scan(&dl, msl, (int64_t)c - msl + 1, g->gh, l->g, l->h, g->tp.l2, g->hmin, bw);
    for (int j = 0; j < n; j++) {
        if (dl.lo[j] > dl.hi[j] || dl.t[j] < 0) continue;
        size_t k = (size_t)dl.t[j];
        split_t *best = &out[j];
        best->feature = fs[j];
        best->bin = (int32_t)(dl.list[j][k - 1] >> ROW_BITS);
        best->lg = dl.g[j];
        best->lh = dl.h[j];
        best->ln = (double)k;
        best->default_left = best->ln >= (double)c - best->ln; /* missing values go with the larger side */
        best->gain = split_gain(g, l, dl.num[j], dl.den[j]);
    }
}

/* Entries k..c-1 of a list src, by the side bits, to dst: left ones at *lc, right ones at nl + *rc. */
static void partition_tail(const uint32_t *side, const uint32_t *src, size_t k, size_t c, uint32_t *dst, size_t nl,
                           size_t *lc, size_t *rc)
{
    for (; k < c; k++) {
        uint32_t x = src[k];
        size_t s = side_of(side, ENT_ROW(x));
        dst[s ? *lc : nl + *rc] = x;
        *lc += s;
        *rc += 1 - s;
    }
}

#ifdef KNOB_AVX512
/* Sixteen entries a step, for at most SIDE_TABLE_ROWS rows: the side bits looked up in two registers, each
 * part compressed into place. */
__attribute__((target("avx512f,popcnt"))) static void partition16(const uint32_t *side, const uint32_t *src, size_t c,
                                                                  uint32_t *dst, size_t nl)
{
    const __m512i rowm = _mm512_set1_epi32((int)ROW_MASK), low5 = _mm512_set1_epi32(31), one = _mm512_set1_epi32(1);
    const __m512i s0 = _mm512_loadu_si512(side), s1 = _mm512_loadu_si512(side + 16);
    uint32_t *left = dst, *right = dst + nl;
    for (size_t k = 0; k < c; k += 16) {
        __mmask16 in = c - k >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (c - k)) - 1);
        __m512i x = _mm512_maskz_loadu_epi32(in, src + k), r = _mm512_srli_epi32(_mm512_and_si512(x, rowm), 1);
        __m512i w = _mm512_permutex2var_epi32(s0, _mm512_srli_epi32(r, 5), s1);
        __mmask16 m = _mm512_test_epi32_mask(_mm512_srlv_epi32(w, _mm512_and_si512(r, low5)), one) & in;
        _mm512_mask_compressstoreu_epi32(left, m, x);
        _mm512_mask_compressstoreu_epi32(right, (__mmask16)(in & ~m), x);
        left += __builtin_popcount(m);
        right += __builtin_popcount((unsigned)(in & ~m));
    }
}
#endif

/* Stable partition of the c entries of a list src into dst (the same positions of the other buffer) by the
 * side bits: the nl going left first, each side in order. */
static void rows_partition(const knob_gbdt_grower *g, const uint32_t *src, uint32_t *dst, size_t c, size_t nl)
{
#ifdef KNOB_AVX512
    if (g->n <= SIDE_TABLE_ROWS && __builtin_cpu_supports("avx512f")) {
        partition16(g->side, src, c, dst, nl);
        return;
    }
#endif
    size_t lc = 0, rc = 0;
    partition_tail(g->side, src, 0, c, dst, nl, &lc, &rc);
}

/* The root's lists: each feature's rows sorted by code once per grower (a counting sort) into the third buffer;
 * for a tree on a sample of the rows (rows; m of them), those rows' entries filtered into the first. */
static void rows_root(knob_gbdt_grower *g, leaf_t *root, const uint32_t *rows, size_t m)
{
    size_t n = g->n, p = g->bins->n_features;
    if (!g->root_ready) {
        for (size_t f = 0; f < p; f++) {
            uint32_t *e = g->lists[2] + f * n, cnt[SCAN_SLOTS + 1] = {0};
            const uint8_t *col = g->binned + f * n;
            for (size_t r = 0; r < n; r++) cnt[col[r]]++;
            rows_by_code(col, n, (size_t)g->bins->n_bins[f] + 1, cnt, e);
            for (size_t k = 0; k < n; k++) e[k] = (uint32_t)col[e[k]] << ROW_BITS | 2 * e[k];
        }
        g->root_ready = 1;
    }
    root->lists = 2;
    if (!rows) return;
    set_side(g, rows, m);
    for (size_t f = 0; f < p; f++) rows_partition(g, g->lists[2] + f * n, g->lists[0] + f * n, n, m);
    root->lists = 0;
}

typedef struct {
    knob_gbdt_grower *g;
    const int *feats;
    size_t nf, per_task;  /* features per task: 1..DENSE_LANES */
    const leaf_t *parent; /* the leaf whose lists are partitioned by g->side first into a's and b's (or NULL) */
    size_t nl;            /* its rows going left */
    leaf_t *a, *b;        /* the leaves to search (NULL: none) */
} lists_ctx;

static void lists_task(void *vctx, size_t task, int worker)
{
    lists_ctx *c = vctx;
    knob_gbdt_grower *g = c->g;
    size_t t0 = c->per_task * task, t1 = t0 + c->per_task < c->nf ? t0 + c->per_task : c->nf;
    const leaf_t *pa = c->parent;
    size_t to = pa ? (pa->lists == 0) : 0; /* the other buffer (the root's lists go to the first) */
    for (size_t t = t0; pa && t < t1; t++)
        rows_partition(g, feature_list(g, pa, c->feats[t]), g->lists[to] + (size_t)c->feats[t] * g->n + pa->begin,
                       pa->count, c->nl);
    uint16_t *bw = g->bnd + (size_t)worker * 4 * DENSE_LANES * (g->n / 64 + 2);
    if (c->a) rows_find(g, c->a, c->feats + t0, (int)(t1 - t0), g->fbest + t0, bw);
    if (c->b) rows_find(g, c->b, c->feats + t0, (int)(t1 - t0), g->fbest + c->nf + t0, bw);
}

static void reduce_pair(const knob_gbdt_grower *g, const int *feats, size_t nf, leaf_t *a, leaf_t *b);

/* Features per task of a step over nf features on this many threads: DENSE_LANES, smaller when there would be
 * too few tasks for the threads. */
static size_t task_features(size_t nf, int threads)
{
    size_t per_task = DENSE_LANES;
    while (threads > 1 && per_task > 1 && (nf + per_task - 1) / per_task < 2 * (size_t)threads) per_task /= 2;
    return per_task;
}

/* Partition the lists of leaf parent (NULL: none) by the side bits (nl rows going left) into its children's, in
 * the other buffer, then search leaves a and b (either may be NULL) on the features feats. */
static void rows_step(knob_gbdt_grower *g, const int *feats, size_t nf, const leaf_t *parent, size_t nl, leaf_t *a,
                      leaf_t *b)
{
    size_t rows = (parent ? parent->count : 0) + (a ? a->count : 0) + (b ? b->count : 0);
    int threads = rows * nf >= STEP_THREAD_WORK ? g->tp.threads : 1;
    size_t per_task = task_features(nf, threads);
    lists_ctx c = {g, feats, nf, per_task, parent, nl, a, b};
    knob_parallel_for((nf + per_task - 1) / per_task, threads, lists_task, &c);
    reduce_pair(g, feats, nf, a, b);
}

/* ---- histogram building ------------------------------------------------------------------------- */

/* A leaf holding at least a quarter of the rows reads gradients in place; smaller ones gather them first
 * (the partition keeps each leaf's rows ascending, so a big leaf's reads are nearly sequential). */
static int dense_leaf(const knob_gbdt_grower *g, const leaf_t *l)
{
    return 4 * l->count >= g->n;
}

/* The root holds every row in order (no row sampling): read sequentially. Its slot counts are the same for
 * every tree the grower grows, so build_hist counts them once per feature (root_known) and copies them after;
 * it also keeps each feature's rows grouped by slot (root_perm, a counting sort), and later roots sum each
 * slot's gradient pairs in registers from that list instead of adding row by row into memory. */
static int is_root(const knob_gbdt_grower *g, const leaf_t *l)
{
    return g->identity && l->begin == 0 && l->count == g->n;
}

/* Where feature f's histogram of leaf l lives; zeroes it (its marked slots, or all of it when most are). */
static void hist_slot(const knob_gbdt_grower *g, const leaf_t *l, int f, double **h, uint32_t **cnt)
{
    size_t off = g->bins->offset[f], nb = (size_t)g->bins->n_bins[f] + 1;
    *h = l->hist + 2 * off;
    *cnt = hist_counts(g->bins, l->hist) + off;
    uint64_t *bits = hist_bits(g->bins, l->hist, f);
    size_t occupied = 0;
    if (nb > 64)
        for (int w = 0; w < BITMAP_WORDS; w++) occupied += (size_t)bit_count(bits[w]);
    if (nb <= 64 || 4 * occupied >= nb) {
        memset(*h, 0, 2 * nb * sizeof **h);
        memset(*cnt, 0, nb * sizeof **cnt);
    } else {
        slot_iter it = slots_of(g->bins, l->hist, f);
        for (int t; (t = slot_next(&it)) >= 0;) {
            (*h)[2 * t] = (*h)[2 * t + 1] = 0;
            (*cnt)[t] = 0;
        }
    }
    memset(bits, 0, BITMAP_WORDS * sizeof *bits);
}

/* Mark the slots of feature f that leaf l's rows may occupy: from the rows when the leaf has fewer rows than
 * the feature has slots, else all of them (a superset is fine: a slot without rows adds no candidate). */
static void mark_slots(const knob_gbdt_grower *g, const leaf_t *l, int f)
{
    size_t nb = (size_t)g->bins->n_bins[f] + 1, m = l->count;
    uint64_t *bits = hist_bits(g->bins, l->hist, f);
    if (m < nb) { /* (hist_slot cleared the bitmap) */
        const uint8_t *col = g->binned + (size_t)f * g->n;
        const uint32_t *idx = g->part + l->begin;
        int root = is_root(g, l);
        uint64_t even[BITMAP_WORDS] = {0}, odd[BITMAP_WORDS] = {0}; /* two chains of updates, not one */
        size_t i = 0;
        for (; i + 2 <= m; i += 2) {
            unsigned c0 = col[root ? i : idx[i]], c1 = col[root ? i + 1 : idx[i + 1]];
            even[c0 >> 6] |= (uint64_t)1 << (c0 & 63);
            odd[c1 >> 6] |= (uint64_t)1 << (c1 & 63);
        }
        if (i < m) {
            unsigned c = col[root ? i : idx[i]];
            even[c >> 6] |= (uint64_t)1 << (c & 63);
        }
        for (size_t w = 0; w < BITMAP_WORDS; w++) bits[w] = even[w] | odd[w];
        return;
    }
    for (size_t w = 0; w < BITMAP_WORDS; w++)
        bits[w] = 64 * (w + 1) <= nb ? ~(uint64_t)0 : 64 * w >= nb ? 0 : ((uint64_t)1 << (nb - 64 * w)) - 1;
}

/* Features built together in one pass over a leaf's rows: each row's index and gradient pair are loaded
 * once for both (build_hist takes one or two; run_step never gives it more). */
#define GROUP 2
_Static_assert(GROUP == 2, "build_hist builds a pair of features");

/* Two rows (indices r0, r1; gradient pairs o0, o1) into the pair's histograms, and their counts when C (a
 * constant). Every code is loaded before the first update: a store to a count may alias the code columns as
 * far as the compiler knows. */
#define ADD_ROWS(r0, r1, o0, o1, C)                                                                                \
    do {                                                                                                           \
        unsigned a0_ = c1[r0], b0_ = c2[r0], a1_ = c1[r1], b1_ = c2[r1];                                           \
        v2d g0_ = load_pair(o0), g1_ = load_pair(o1);                                                              \
        add_pair(h1 + 2 * a0_, g0_), add_pair(h2 + 2 * b0_, g0_);                                                  \
        add_pair(h1 + 2 * a1_, g1_), add_pair(h2 + 2 * b1_, g1_);                                                  \
        if (C) cnt1[a0_]++, cnt2[b0_]++, cnt1[a1_]++, cnt2[b1_]++;                                                 \
    } while (0)
#define ADD_ROW(r, o, C)                                                                                           \
    do {                                                                                                           \
        unsigned a_ = c1[r], b_ = c2[r];                                                                           \
        v2d g_ = load_pair(o);                                                                                     \
        add_pair(h1 + 2 * a_, g_), add_pair(h2 + 2 * b_, g_);                                                      \
        if (C) cnt1[a_]++, cnt2[b_]++;                                                                             \
    } while (0)

/* Features of few slots: many rows share a slot, and adding each into the same slot as the row before waits
 * for that update. Such a pair is built into COPIES private histograms (row i into copy i % COPIES), summed
 * at the end. */
#define FEW_SLOTS 32
#define COPIES 4

/* The rows of leaf l into the few-slot histograms (h1, cnt1) and (h2, cnt2) of columns c1, c2 (cleared, nb1
 * and nb2 slots), the counts only when count. A private slot holds (gradient, hessian, rows, 0) and takes a
 * row with one vector add (the row count as a double: exact). */
KNOB_SIMD_CLONES static void build_few(const knob_gbdt_grower *g, const leaf_t *l, const uint8_t *c1,
                                       const uint8_t *c2, double *h1, uint32_t *cnt1, size_t nb1, double *h2,
                                       uint32_t *cnt2, size_t nb2, int count)
{
    typedef double v4d __attribute__((vector_size(32)));
    v4d q1[COPIES][FEW_SLOTS], q2[COPIES][FEW_SLOTS];
    for (int k = 0; k < COPIES; k++) {
        memset(q1[k], 0, nb1 * sizeof q1[k][0]);
        memset(q2[k], 0, nb2 * sizeof q2[k][0]);
    }
    size_t m = l->count, i = 0;
    const uint32_t *idx = g->part + l->begin;
    const double *gh = g->gh, *og = g->ogh + 2 * l->begin;
    const v2d one = {1, 0};
    /* rows i..i+3, row index ROW(i) and gradient pair GRAD(i, r); every code is loaded before the first update
     * (a slot store may alias the code columns as far as the compiler knows) */
#define FEW_ADD(k, a, b, gp)                                                                                       \
    do {                                                                                                           \
        v4d x_ = __builtin_shufflevector(load_pair(gp), one, 0, 1, 2, 3);                                          \
        q1[k][a] += x_;                                                                                            \
        q2[k][b] += x_;                                                                                            \
    } while (0)
#define FEW_LOOP(ROW, GRAD)                                                                                        \
    for (; i + COPIES <= m; i += COPIES) {                                                                         \
        size_t r0 = ROW(i), r1 = ROW(i + 1), r2 = ROW(i + 2), r3 = ROW(i + 3);                                     \
        unsigned a0 = c1[r0], a1 = c1[r1], a2 = c1[r2], a3 = c1[r3], b0 = c2[r0], b1 = c2[r1], b2 = c2[r2],        \
                 b3 = c2[r3];                                                                                      \
        FEW_ADD(0, a0, b0, GRAD(i, r0));                                                                           \
        FEW_ADD(1, a1, b1, GRAD(i + 1, r1));                                                                       \
        FEW_ADD(2, a2, b2, GRAD(i + 2, r2));                                                                       \
        FEW_ADD(3, a3, b3, GRAD(i + 3, r3));                                                                       \
    }                                                                                                              \
    for (; i < m; i++) {                                                                                           \
        size_t r = ROW(i);                                                                                         \
        unsigned a = c1[r], b = c2[r];                                                                             \
        FEW_ADD(0, a, b, GRAD(i, r));                                                                              \
    }
#define ROW_SELF(i) (i)
#define ROW_IDX(i) ((size_t)idx[i])
#define GRAD_ROW(i, r) (gh + 2 * (r))
#define GRAD_POS(i, r) (og + 2 * (i))
    if (is_root(g, l)) {
        FEW_LOOP(ROW_SELF, GRAD_ROW)
    } else if (dense_leaf(g, l)) {
        FEW_LOOP(ROW_IDX, GRAD_ROW)
    } else {
        FEW_LOOP(ROW_IDX, GRAD_POS)
    }
#undef FEW_ADD
#undef FEW_LOOP
#undef ROW_SELF
#undef ROW_IDX
#undef GRAD_ROW
#undef GRAD_POS
    for (size_t t = 0; t < nb1; t++) {
        v4d s = (q1[0][t] + q1[1][t]) + (q1[2][t] + q1[3][t]);
        h1[2 * t] = s[0], h1[2 * t + 1] = s[1];
        if (count) cnt1[t] = (uint32_t)s[2];
    }
    for (size_t t = 0; t < nb2; t++) {
        v4d s = (q2[0][t] + q2[1][t]) + (q2[2][t] + q2[3][t]);
        h2[2 * t] = s[0], h2[2 * t + 1] = s[1];
        if (count) cnt2[t] = (uint32_t)s[2];
    }
}
_Static_assert(COPIES == 4, "build_few sums four copies");

/* The root's rows of feature f (its counts cnt) grouped by slot, ascending within a slot, into root_perm. */
static void root_perm_fill(const knob_gbdt_grower *g, int f, const uint32_t *cnt)
{
    rows_by_code(g->binned + (size_t)f * g->n, g->n, (size_t)g->bins->n_bins[f] + 1, cnt,
                 g->root_perm + (size_t)f * g->n);
}

/* The root's histogram of feature f (cleared) from root_perm: each slot's gradient pairs summed in four
 * register chains; the counts copied. */
static void root_from_perm(const knob_gbdt_grower *g, int f, double *h, uint32_t *cnt)
{
    size_t nb = (size_t)g->bins->n_bins[f] + 1, i = 0;
    const uint32_t *perm = g->root_perm + (size_t)f * g->n, *known = g->root_cnt + g->bins->offset[f];
    const double *gh = g->gh;
    memcpy(cnt, known, nb * sizeof *cnt);
    for (size_t t = 0; t < nb; t++) {
        size_t end = i + known[t];
        if (end == i) continue;
        v2d s0 = {0, 0}, s1 = s0, s2 = s0, s3 = s0;
        for (; i + 4 <= end; i += 4) {
            s0 += load_pair(gh + 2 * (size_t)perm[i]);
            s1 += load_pair(gh + 2 * (size_t)perm[i + 1]);
            s2 += load_pair(gh + 2 * (size_t)perm[i + 2]);
            s3 += load_pair(gh + 2 * (size_t)perm[i + 3]);
        }
        for (; i < end; i++) s0 += load_pair(gh + 2 * (size_t)perm[i]);
        v2d s = (s0 + s1) + (s2 + s3);
        memcpy(h + 2 * t, &s, sizeof s);
    }
}

/* How build_hist builds feature f of leaf l, from the feature alone: 2 from the root's rows by slot, 1 into
 * private copies (few slots), 0 row by row into the histogram. Features of several rows a slot only. */
static int build_kind(const knob_gbdt_grower *g, const leaf_t *l, int f)
{
    size_t nb = (size_t)g->bins->n_bins[f] + 1;
    if (l->count < 8 * nb) return 0;
    if (is_root(g, l) && g->root_perm && g->root_known[f]) return 2;
    return nb <= FEW_SLOTS;
}

/* Histograms of leaf l for the nq (1 or 2) features fs in one pass over the rows, two rows a step; a lone
 * feature pairs with the grower's zero column into a dummy histogram. Two features built differently
 * (build_kind) are built one at a time, so a feature's histogram is the same whatever feature shares its pass
 * (each kind adds a slot's rows in an order fixed by the rows alone), and so for any number of threads. */
static void build_hist(const knob_gbdt_grower *g, const leaf_t *l, const int *fs, int nq)
{
    int kind = build_kind(g, l, fs[0]);
    if (nq > 1 && build_kind(g, l, fs[1]) != kind) {
        build_hist(g, l, fs, 1);
        build_hist(g, l, fs + 1, 1);
        return;
    }
    double *h1, *h2, dummy_h[2];
    uint32_t *cnt1, *cnt2, dummy_cnt[1];
    hist_slot(g, l, fs[0], &h1, &cnt1);
    const uint8_t *c1 = g->binned + (size_t)fs[0] * g->n, *c2 = g->zeros;
    h2 = dummy_h;
    cnt2 = dummy_cnt;
    if (nq > 1) {
        hist_slot(g, l, fs[1], &h2, &cnt2);
        c2 = g->binned + (size_t)fs[1] * g->n;
    }
    size_t m = l->count, i = 0, nb1 = (size_t)g->bins->n_bins[fs[0]] + 1;
    size_t nb2 = nq > 1 ? (size_t)g->bins->n_bins[fs[1]] + 1 : 1;
    const uint32_t *idx = g->part + l->begin;
    int root = is_root(g, l), count = !(root && g->root_known[fs[0]] && (nq < 2 || g->root_known[fs[1]]));
    if (kind == 2) {
        root_from_perm(g, fs[0], h1, cnt1);
        if (nq > 1) root_from_perm(g, fs[1], h2, cnt2);
        for (int q = 0; q < nq; q++) mark_slots(g, l, fs[q]);
        return;
    }
    if (kind == 1) {
        build_few(g, l, c1, c2, h1, cnt1, nb1, h2, cnt2, nb2, count);
    } else if (root) { /* the root over all rows: sequential access */
        const double *o = g->gh;
        if (count) {
            for (; i + 2 <= m; i += 2) ADD_ROWS(i, i + 1, o + 2 * i, o + 2 * i + 2, 1);
            for (; i < m; i++) ADD_ROW(i, o + 2 * i, 1);
        } else {
            for (; i + 2 <= m; i += 2) ADD_ROWS(i, i + 1, o + 2 * i, o + 2 * i + 2, 0);
            for (; i < m; i++) ADD_ROW(i, o + 2 * i, 0);
        }
    } else if (dense_leaf(g, l)) { /* read the gradients in place: the rows ascend and sit close together */
        const double *o = g->gh;
        for (; i + 2 <= m; i += 2) {
            size_t r0 = idx[i], r1 = idx[i + 1];
            ADD_ROWS(r0, r1, o + 2 * r0, o + 2 * r1, 1);
        }
        for (; i < m; i++) ADD_ROW(idx[i], o + 2 * (size_t)idx[i], 1);
    } else { /* gathered in partition order */
        const double *o = g->ogh + 2 * l->begin;
        for (; i + 2 <= m; i += 2) {
            size_t r0 = idx[i], r1 = idx[i + 1];
            ADD_ROWS(r0, r1, o + 2 * i, o + 2 * i + 2, 1);
        }
        for (; i < m; i++) ADD_ROW(idx[i], o + 2 * i, 1);
    }
    for (int q = 0; q < nq; q++) {
        int f = fs[q];
        uint32_t *cnt = q ? cnt2 : cnt1, *known = g->root_cnt + g->bins->offset[f];
        size_t nb = q ? nb2 : nb1;
        if (root && !count) memcpy(cnt, known, nb * sizeof *cnt);
        else if (root && !g->root_known[f]) {
            memcpy(known, cnt, nb * sizeof *cnt);
            if (g->root_perm) root_perm_fill(g, f, cnt);
            g->root_known[f] = 1;
        }
        mark_slots(g, l, f);
    }
}

/* dst (the parent's histogram) -= src (the histogram of its child with src_rows rows) on feature f. A child
 * with at least as many rows as slots: every slot (the bitmaps stay as they are); a smaller one: its
 * marked slots only, and a slot left with no rows becomes exactly zero and leaves dst's bitmap. */
static void subtract_hist(const knob_gbdt_grower *g, hist_t *dst, const hist_t *src, size_t src_rows, int f)
{
    size_t off = g->bins->offset[f], nb = (size_t)g->bins->n_bins[f] + 1;
    double *dh = dst + 2 * off;
    const double *sh = src + 2 * off;
    uint32_t *dc = hist_counts(g->bins, dst) + off;
    const uint32_t *sc = hist_counts(g->bins, src) + off;
    if (src_rows >= nb) {
        for (size_t t = 0; t < 2 * nb; t++) dh[t] -= sh[t];
        for (size_t t = 0; t < nb; t++) dc[t] -= sc[t];
        return;
    }
    uint64_t *dbits = hist_bits(g->bins, dst, f);
    const uint64_t *sbits = hist_bits(g->bins, src, f);
    for (int w = 0, nw = bit_words(g->bins, f); w < nw; w++) {
        uint64_t word = sbits[w], emptied = 0;
        size_t base = 64 * (size_t)w;
        for (; word; word &= word - 1) { /* branch-free: whether a slot empties is unpredictable */
            size_t b = (size_t)lowest_bit(word), t = base + b;
            uint32_t c = dc[t] - sc[t];
            uint64_t keep = -(uint64_t)(c != 0), x, y; /* an emptied slot becomes exactly zero */
            double gx = dh[2 * t] - sh[2 * t], hx = dh[2 * t + 1] - sh[2 * t + 1];
            memcpy(&x, &gx, sizeof x);
            memcpy(&y, &hx, sizeof y);
            x &= keep;
            y &= keep;
            memcpy(&dh[2 * t], &x, sizeof x);
            memcpy(&dh[2 * t + 1], &y, sizeof y);
            dc[t] = c;
            emptied |= (uint64_t)(c == 0) << b;
        }
        dbits[w] &= ~emptied;
    }
}

/* One step of work over features: build leaf a's histogram (if a->hist), make leaf b's (by subtraction
 * from the parent's histogram it holds, or by building), and search the leaves flagged in find_a/find_b. */
typedef struct {
    knob_gbdt_grower *g;
    const int *feats;
    size_t nf, per_task; /* features per task: 1..DENSE_LANES (built in pairs, searched together) */
    leaf_t *a, *b;
    int b_subtract;
    int find_a, find_b;
} step_ctx;

static void step_task(void *vctx, size_t task, int worker)
{
    (void)worker;
    step_ctx *c = vctx;
    knob_gbdt_grower *g = c->g;
    size_t t0 = c->per_task * task, t1 = t0 + c->per_task < c->nf ? t0 + c->per_task : c->nf;
    for (size_t q = t0; q < t1; q += GROUP) {
        int nq = (int)(t1 - q < GROUP ? t1 - q : GROUP);
        if (c->a && c->a->hist) build_hist(g, c->a, c->feats + q, nq);
        if (c->b && c->b->hist && !c->b_subtract) build_hist(g, c->b, c->feats + q, nq);
    }
    if (c->b && c->b->hist && c->b_subtract)
        for (size_t t = t0; t < t1; t++) subtract_hist(g, c->b->hist, c->a->hist, c->a->count, c->feats[t]);
    if (c->find_a) find_splits(g, c->a, c->feats + t0, (int)(t1 - t0), &g->fbest[t0]);
    if (c->find_b) find_splits(g, c->b, c->feats + t0, (int)(t1 - t0), &g->fbest[c->nf + t0]);
}

/* Gradient pairs of leaf l's rows into ogh, in partition order. */
/* Row-block parallelism for the big leaves near the root (partition, gather); small leaves run serially. */

static int row_threads(const knob_gbdt_grower *g, size_t rows)
{
    return rows >= 4 * ROW_TASK ? g->tp.threads : 1;
}

typedef struct {
    knob_gbdt_grower *g;
    const leaf_t *l;
    int phase;   /* partition: 0 = split each block into tmp/tmp2, 1 = copy the blocks back */
    size_t nl_total;
} rows_ctx;

static void gather_task(void *vctx, size_t task, int worker)
{
    (void)worker;
    rows_ctx *c = vctx;
    const leaf_t *l = c->l;
    size_t lo = task * ROW_TASK, hi = lo + ROW_TASK;
    if (hi > l->count) hi = l->count;
    const uint32_t *idx = c->g->part + l->begin;
    double *o = c->g->ogh + 2 * l->begin;
    const double *gh = c->g->gh;
    for (size_t i = lo; i < hi; i++) {
        o[2 * i] = gh[2 * (size_t)idx[i]];
        o[2 * i + 1] = gh[2 * (size_t)idx[i] + 1];
    }
}

/* Gradient pairs of leaf l's rows into ogh, in partition order. */
static void gather(knob_gbdt_grower *g, const leaf_t *l)
{
    if (dense_leaf(g, l)) return;
    rows_ctx c = {g, l, 0, 0};
    knob_parallel_for((l->count + ROW_TASK - 1) / ROW_TASK, row_threads(g, l->count), gather_task, &c);
}

/* The best of the per-feature splits fb of leaf l (searched over feats), and l's feature list for its
 * descendants: a numeric feature on which l has no split meeting min_samples_leaf and the hessian minimum has
 * none in any subset of l's rows either (each side of a threshold only loses rows), so it is dropped -- most
 * often a feature constant within the leaf, like a blank pixel. Categorical features are kept (their
 * candidate sets depend on the leaf's gradient order). l->feats may be feats itself (filtered in place). */
static void reduce_best(const knob_gbdt_grower *g, leaf_t *l, const split_t *fb, const int *feats, size_t nf)
{
    split_none(&l->best);
    size_t q = 0;
    for (size_t t = 0; t < nf; t++) {
        if (fb[t].feature >= 0 && fb[t].gain > l->best.gain) l->best = fb[t];
        if (fb[t].feature >= 0 || g->bins->categorical[feats[t]]) l->feats[q++] = feats[t];
    }
    l->nf = q;
    if (l->best.feature >= 0 && l->best.ln < 0) { /* from the dense scan: count its left rows now */
        const uint32_t *cnt = hist_counts(g->bins, l->hist) + g->bins->offset[l->best.feature];
        size_t ln = 0;
        for (int t = 0; t <= l->best.bin; t++) ln += cnt[t];
        l->best.ln = (double)ln;
        l->best.default_left = ln >= l->count - ln; /* missing values go with the larger side */
    }
    l->open = l->best.feature >= 0 && l->best.gain > g->tp.min_split_gain;
}

/* reduce_best for the leaves a and b searched over feats (either may be NULL; their splits at g->fbest and
 * g->fbest + nf). The leaf whose list is feats itself (the parent's slot, filtered in place) goes last. */
static void reduce_pair(const knob_gbdt_grower *g, const int *feats, size_t nf, leaf_t *a, leaf_t *b)
{
    int b_last = b && b->feats == feats;
    if (b && !b_last) reduce_best(g, b, g->fbest + nf, feats, nf);
    if (a) reduce_best(g, a, g->fbest, feats, nf);
    if (b_last) reduce_best(g, b, g->fbest + nf, feats, nf);
}

/* Build/subtract histograms and search splits for the leaves a (and b); a is built from rows. */
static void run_step(knob_gbdt_grower *g, const int *feats, size_t nf, leaf_t *a, leaf_t *b, int b_subtract,
                     int find_a, int find_b)
{
    size_t rows = (a && a->hist ? a->count : 0) + (b && b->hist && !b_subtract ? b->count : 0);
    size_t work = rows * nf + (size_t)(find_a + find_b) * 256 * nf;
    int threads = work >= STEP_THREAD_WORK ? g->tp.threads : 1;
    if (a && a->hist) gather(g, a);
    if (b && b->hist && !b_subtract) gather(g, b);
    size_t per_task = task_features(nf, threads);
    step_ctx c = {g, feats, nf, per_task, a, b, b_subtract, find_a, find_b};
    knob_parallel_for((nf + per_task - 1) / per_task, threads, step_task, &c);
    reduce_pair(g, feats, nf, find_a ? a : NULL, find_b ? b : NULL);
}

/* Does a row with bin code b go left under a numeric split at bin / a categorical split (cats)? */
#define GOES_LEFT(b, bin, miss, dl) ((size_t)(((b) <= (bin)) | ((dl) & ((b) == (miss)))))
#define GOES_LEFT_CAT(b, cats, miss, dl) \
    ((size_t)((b) == (miss) ? (unsigned)(dl) : ((cats)[(b) >> 5] >> ((b) & 31)) & 1u))

/* Split rows src[0..m) by split s: left rows to L (which may be src itself: each write lands behind the read
 * position), right rows to R, both in their old order; returns the number going left. Branch-free. */
static size_t split_rows(const knob_gbdt_grower *g, const split_t *s, const uint32_t *src, size_t m, uint32_t *L,
                         uint32_t *R)
{
    const uint8_t *col = g->binned + (size_t)s->feature * g->n;
    uint8_t miss = (uint8_t)g->bins->n_bins[s->feature], bin = (uint8_t)s->bin;
    int dl = s->default_left, cat = s->categorical;
    size_t nl = 0, nr = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t r = src[i];
        size_t left = cat ? GOES_LEFT_CAT(col[r], s->cats, miss, dl) : GOES_LEFT(col[r], bin, miss, dl);
        L[nl] = r;
        R[nr] = r;
        nl += left;
        nr += 1 - left;
    }
    return nl;
}

static void partition_task(void *vctx, size_t task, int worker)
{
    (void)worker;
    rows_ctx *c = vctx;
    knob_gbdt_grower *g = c->g;
    size_t lo = task * ROW_TASK, hi = lo + ROW_TASK;
    if (hi > c->l->count) hi = c->l->count;
    uint32_t *idx = g->part + c->l->begin, *L = g->tmp + lo, *R = g->tmp2 + lo;
    if (c->phase == 0) {
        g->block_nl[task] = split_rows(g, &c->l->best, idx + lo, hi - lo, L, R);
        return;
    }
    size_t nl = g->block_nl[task], nr = hi - lo - nl;
    memcpy(idx + g->block_off[task], L, nl * sizeof *idx);
    memcpy(idx + c->nl_total + (lo - g->block_off[task]), R, nr * sizeof *idx);
}

/* Stable partition of leaf l's rows by its best split (left rows first, each side in its old order);
 * returns the number going left. The same result for any number of threads. */
static size_t partition(knob_gbdt_grower *g, const leaf_t *l)
{
    size_t tasks = (l->count + ROW_TASK - 1) / ROW_TASK;
    int threads = row_threads(g, l->count);
    if (threads > 1) {
        rows_ctx c = {g, l, 0, 0};
        knob_parallel_for(tasks, threads, partition_task, &c);
        for (size_t t = 0; t < tasks; t++) { /* block t's left rows start at block_off[t] */
            g->block_off[t] = c.nl_total;
            c.nl_total += g->block_nl[t];
        }
        c.phase = 1;
        knob_parallel_for(tasks, threads, partition_task, &c);
        return c.nl_total;
    }
    uint32_t *idx = g->part + l->begin;
    size_t nl = split_rows(g, &l->best, idx, l->count, idx, g->tmp), nr = l->count - nl;
    memcpy(idx + nl, g->tmp, nr * sizeof *idx);
    return nl;
}

static knob_gbdt_node *new_leaf_node(knob_gbdt_grower *g)
{
    knob_gbdt_node *nd = &g->nodes[g->n_nodes++];
    memset(nd, 0, sizeof *nd);
    nd->feature = -1;
    nd->left = nd->right = -1;
    return nd;
}

/* Split leaf k by its best split; the left child takes slot k, the right child a new slot. */
static int split_leaf(knob_gbdt_grower *g, size_t k)
{
    leaf_t *L = &g->leaves[k];
    split_t s = L->best;
    size_t nl = partition(g, L);
    int32_t node = L->node, li = (int32_t)g->n_nodes, ri = li + 1;
    new_leaf_node(g);
    new_leaf_node(g);
    knob_gbdt_node *nd = &g->nodes[node];
    nd->feature = s.feature;
    nd->bin = s.bin;
    nd->default_left = s.default_left;
    nd->categorical = s.categorical;
    if (s.categorical) memcpy(nd->cats, s.cats, sizeof nd->cats);
    else nd->threshold = g->bins->upper[g->bins->offset[s.feature] + (size_t)s.bin];
    nd->gain = s.gain;
    nd->cover = (double)L->count;
    nd->left = li;
    nd->right = ri;
    hist_t *parent_hist = L->hist;
    leaf_t parent = *L;
    leaf_t *left = L, *right = &g->leaves[g->n_leaves++];
    memset(left, 0, sizeof *left);
    memset(right, 0, sizeof *right);
    size_t P = g->bins->n_features;
    *left = (leaf_t){.node = li, .depth = parent.depth + 1, .begin = parent.begin, .count = nl, .g = s.lg, .h = s.lh,
                     .feats = parent.feats};
    *right = (leaf_t){.node = ri, .depth = parent.depth + 1, .begin = parent.begin + nl, .count = parent.count - nl,
                      .g = parent.g - s.lg, .h = parent.h - s.lh, .feats = g->leaf_feats + (g->n_leaves - 1) * P};
    split_none(&left->best);
    split_none(&right->best);
    int sl = can_split(g, left), sr = can_split(g, right);
    if (g->n_leaves >= (size_t)g->tp.max_leaves || (!sl && !sr)) {
        if (parent_hist) g->free_hist[g->n_free++] = parent_hist;
        return KNOB_OK;
    }
    if (g->by_rows) {
        set_side(g, g->part + parent.begin, nl);
        left->lists = right->lists = parent.lists == 0; /* the other buffer */
        rows_step(g, parent.feats, parent.nf, &parent, nl, sl ? left : NULL, sr ? right : NULL);
        return KNOB_OK;
    }
    int left_small = left->count <= right->count;
    leaf_t *small = left_small ? left : right, *large = left_small ? right : left;
    int s_small = left_small ? sl : sr, s_large = left_small ? sr : sl;
    int subtract = 0;
    if (parent_hist && s_large) {
        large->hist = parent_hist;
        subtract = 1;
        if (!(small->hist = hist_acquire(g))) return KNOB_ENOMEM;
    } else {
        if (parent_hist) g->free_hist[g->n_free++] = parent_hist;
        if (s_small && !(small->hist = hist_acquire(g))) return KNOB_ENOMEM;
        if (s_large && !(large->hist = hist_acquire(g))) return KNOB_ENOMEM;
    }
    run_step(g, parent.feats, parent.nf, small, large, subtract, s_small, s_large);
    if (!small->open) hist_release(g, small);
    if (!large->open) hist_release(g, large);
    return KNOB_OK;
}

int knob_gbdt_grow(knob_gbdt_grower *g, const double *gh, const uint32_t *rows, size_t m, const int *feats,
                   size_t nf, knob_gbdt_tree *out, knob_err *err)
{
    out->n_nodes = 0;
    out->nodes = NULL;
    g->gh = gh;
    g->identity = rows == NULL;
    if (rows) memcpy(g->part, rows, m * sizeof *rows);
    else
        for (size_t i = 0; i < m; i++) g->part[i] = (uint32_t)i;
    g->n_nodes = 0;
    g->n_leaves = 1;
    double G = 0, H = 0;
    for (size_t i = 0; i < m; i++) {
        size_t r = g->part[i];
        G += gh[2 * r];
        H += gh[2 * r + 1];
    }
    new_leaf_node(g);
    leaf_t *root = &g->leaves[0];
    *root = (leaf_t){.node = 0, .depth = 0, .begin = 0, .count = m, .g = G, .h = H, .feats = g->leaf_feats, .nf = nf};
    if (nf) memcpy(root->feats, feats, nf * sizeof *feats);
    split_none(&root->best);
    int rc = KNOB_OK;
    if (can_split(g, root) && g->tp.max_leaves >= 2 && nf > 0) {
        if (g->by_rows) {
            rows_root(g, root, rows, m);
            rows_step(g, root->feats, nf, NULL, 0, root, NULL);
        } else if (!(root->hist = hist_acquire(g))) rc = KNOB_ENOMEM;
        else run_step(g, root->feats, nf, root, NULL, 0, 1, 0);
        if (!root->open) hist_release(g, root);
    }
    while (rc == KNOB_OK && g->n_leaves < (size_t)g->tp.max_leaves) {
        size_t best = (size_t)-1;
        for (size_t k = 0; k < g->n_leaves; k++)
            if (g->leaves[k].open && (best == (size_t)-1 || g->leaves[k].best.gain > g->leaves[best].best.gain))
                best = k;
        if (best == (size_t)-1) break;
        rc = split_leaf(g, best);
    }
    for (size_t k = 0; k < g->n_leaves; k++) { /* leaf values; every histogram back to the pool */
        leaf_t *l = &g->leaves[k];
        hist_release(g, l);
        l->open = 0;
        double den = l->h + g->tp.l2;
        g->nodes[l->node].cover = (double)l->count;
        g->nodes[l->node].value = den > 0 ? -soft(l->g, g->tp.l1) / den * g->tp.learning_rate : 0;
    }
    if (rc) return knob_err_set(err, rc, "gbdt: out of memory for histograms");
    out->nodes = malloc(g->n_nodes * sizeof *out->nodes);
    if (!out->nodes) return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory storing a tree");
    memcpy(out->nodes, g->nodes, g->n_nodes * sizeof *out->nodes);
    out->n_nodes = g->n_nodes;
    return KNOB_OK;
}

size_t knob_gbdt_grower_n_leaves(const knob_gbdt_grower *g)
{
    return g->n_leaves;
}

const uint32_t *knob_gbdt_grower_leaf(const knob_gbdt_grower *g, size_t k, int32_t *node, size_t *n)
{
    const leaf_t *l = &g->leaves[k];
    *node = l->node;
    *n = l->count;
    return g->part + l->begin;
}

/* ---- prediction ----------------------------------------------------------------------------------- */

void knob_gbdt_tree_add_binned(const knob_gbdt_tree *t, const knob_gbdt_bins *bins, const uint8_t *binned,
                               size_t n, const uint32_t *rows, size_t m, double *out, size_t stride)
{
    const knob_gbdt_node *nodes = t->nodes;
    for (size_t r = 0; r < m; r++) {
        size_t i = rows ? rows[r] : r;
        const knob_gbdt_node *nd = nodes;
        while (nd->feature >= 0) {
            unsigned b = binned[(size_t)nd->feature * n + i];
            int left = b == (unsigned)bins->n_bins[nd->feature] ? nd->default_left
                       : nd->categorical                       ? knob_gbdt_cat_left(nd, b)
                                                               : (int)b <= nd->bin;
            nd = nodes + (left ? nd->left : nd->right);
        }
        out[i * stride] += nd->value;
    }
}

#define PREDICT_BLOCK 256

typedef struct {
    const knob_gbdt_tree *trees;
    size_t n_trees, k;
    const double *base;
    const knob_dataset *ds;
    double *out;
    double *xbuf;   /* per worker: PREDICT_BLOCK * n_features */
} predict_ctx;

static void predict_task(void *vctx, size_t task, int worker)
{
    predict_ctx *c = vctx;
    const knob_frame *f = c->ds->frame;
    size_t p = f->n_features, k = c->k, lo = task * PREDICT_BLOCK, hi = lo + PREDICT_BLOCK;
    if (hi > c->ds->n_rows) hi = c->ds->n_rows;
    double *x = c->xbuf + (size_t)worker * PREDICT_BLOCK * (p ? p : 1);
    for (size_t j = 0; j < p; j++) /* the block's rows, row-major */
        for (size_t i = lo; i < hi; i++) x[(i - lo) * p + j] = f->X[j * f->n_rows + knob_dataset_row(c->ds, i)];
    for (size_t i = lo; i < hi; i++)
        for (size_t cl = 0; cl < k; cl++) c->out[i * k + cl] = c->base[cl];
    for (size_t t = 0; t < c->n_trees; t++) {
        size_t cl = t % k;
        for (size_t i = lo; i < hi; i++) c->out[i * k + cl] += knob_gbdt_tree_leaf(&c->trees[t], x + (i - lo) * p)->value;
    }
}

int knob_gbdt_predict_raw(const knob_gbdt_tree *trees, size_t n_trees, size_t k, const double *base,
                          const knob_dataset *ds, double *out, int threads, knob_err *err)
{
    size_t n = ds->n_rows, p = ds->frame->n_features;
    if (n == 0) return KNOB_OK;
    size_t tasks = (n + PREDICT_BLOCK - 1) / PREDICT_BLOCK;
    if (threads <= 0) threads = knob_parallel_default_threads();
    if ((size_t)threads > tasks) threads = (int)tasks;
    double *xbuf = malloc((size_t)threads * PREDICT_BLOCK * (p ? p : 1) * sizeof *xbuf);
    if (!xbuf) return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory predicting %zu rows", n);
    predict_ctx c = {trees, n_trees, k, base, ds, out, xbuf};
    knob_parallel_for(tasks, threads, predict_task, &c);
    free(xbuf);
    return KNOB_OK;
}
