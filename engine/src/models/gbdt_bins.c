/* gbdt_bins.c — quantile binning of features into uint8 codes for the histogram trees (see gbdt.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gbdt.h"
#include "knob/parallel.h"
#include "knob/rng.h"

void knob_gbdt_bins_free(knob_gbdt_bins *b)
{
    free(b->n_bins);
    free(b->offset);
    free(b->upper);
    free(b->categorical);
    memset(b, 0, sizeof *b);
}

/* Order-preserving map of a (non-NaN) double to an unsigned key. */
static uint64_t key_of(double x)
{
    uint64_t u;
    if (x == 0) x = 0; /* -0 and +0 are one value */
    memcpy(&u, &x, sizeof u);
    return (u & 0x8000000000000000ull) ? ~u : u | 0x8000000000000000ull;
}

static double double_of(uint64_t k)
{
    uint64_t u = (k & 0x8000000000000000ull) ? k & ~0x8000000000000000ull : ~k;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* LSD radix sort of n keys (8 bits per pass; passes where every key has the same digit are skipped). */
static void radix_sort(uint64_t *a, uint64_t *tmp, size_t n)
{
    size_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 8; d++) count[d][(a[i] >> (8 * d)) & 255]++;
    for (int d = 0; d < 8; d++) {
        size_t *c = count[d];
        if (n == 0 || c[(a[0] >> (8 * d)) & 255] == n) continue;
        size_t sum = 0;
        for (int v = 0; v < 256; v++) {
            size_t t = c[v];
            c[v] = sum;
            sum += t;
        }
        for (size_t i = 0; i < n; i++) tmp[c[(a[i] >> (8 * d)) & 255]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

/* A threshold strictly between a < b such that a <= t < b. */
static double midpoint(double a, double b)
{
    double t = a / 2 + b / 2;
    if (!(t >= a) || !(t < b)) t = a;
    return t;
}

/* Bin boundaries from sorted keys k[0..m-1]; writes at most max_bins uppers, returns how many. */
static int make_bins(const uint64_t *k, size_t m, int max_bins, double *upper)
{
    if (m == 0) {
        upper[0] = INFINITY;
        return 1;
    }
    size_t nd = 1;
    for (size_t i = 1; i < m; i++) nd += k[i] != k[i - 1];
    int nb = 0;
    if (nd <= (size_t)max_bins) {
        for (size_t i = 0; i < m; i++) {
            if (i + 1 < m && k[i + 1] != k[i]) upper[nb++] = midpoint(double_of(k[i]), double_of(k[i + 1]));
        }
        upper[nb++] = INFINITY;
        return nb;
    }
    /* about equal counts: close a bin once it holds its share of what is left */
    size_t rest = m, acc = 0;
    int bins_left = max_bins;
    size_t i = 0;
    while (i < m) {
        size_t j = i + 1;
        while (j < m && k[j] == k[i]) j++; /* [i, j) is one distinct value */
        acc += j - i;
        if (j == m || bins_left == 1) break;
        double target = (double)rest / bins_left;
        if ((double)acc >= target) {
            upper[nb++] = midpoint(double_of(k[i]), double_of(k[j]));
            rest -= acc;
            acc = 0;
            bins_left--;
        }
        i = j;
    }
    upper[nb++] = INFINITY;
    return nb;
}

typedef struct {
    const knob_dataset *ds;
    const size_t *sample;   /* view rows to use, or NULL for all */
    size_t m;
    int max_bins;
    uint64_t *keys;         /* threads * 2 * m scratch */
    double *upper;          /* n_features * max_bins */
    int *n_bins;
    uint8_t *categorical;
} fit_ctx;

static void fit_task(void *vctx, size_t j, int worker)
{
    fit_ctx *c = vctx;
    const knob_frame *f = c->ds->frame;
    const double *col = f->X + j * f->n_rows;
    double *upper = c->upper + j * (size_t)c->max_bins;
    size_t L = f->cols[j].n_levels;
    if (f->cols[j].kind == KNOB_COL_CATEGORICAL && L >= 1 && L <= (size_t)c->max_bins) { /* a bin per level */
        for (size_t b = 0; b + 1 < L; b++) upper[b] = (double)b + 0.5;
        upper[L - 1] = INFINITY;
        c->n_bins[j] = (int)L;
        c->categorical[j] = 1;
        return;
    }
    uint64_t *k = c->keys + (size_t)worker * 2 * c->m, *tmp = k + c->m;
    size_t m = 0;
    for (size_t s = 0; s < c->m; s++) {
        size_t i = c->sample ? c->sample[s] : s;
        double x = col[knob_dataset_row(c->ds, i)];
        if (!isnan(x)) k[m++] = key_of(x);
    }
    radix_sort(k, tmp, m);
    c->n_bins[j] = make_bins(k, m, c->max_bins, upper);
}

int knob_gbdt_bins_fit(knob_gbdt_bins *b, const knob_dataset *ds, int max_bins, size_t sample_cap,
                       uint64_t seed, int threads, knob_err *err)
{
    memset(b, 0, sizeof *b);
    size_t p = ds->frame->n_features, n = ds->n_rows;
    if (threads <= 0) threads = knob_parallel_default_threads();
    if ((size_t)threads > p) threads = p ? (int)p : 1;
    size_t *sample = NULL, m = n;
    if (n > sample_cap) {
        sample = malloc(n * sizeof *sample);
        if (!sample) return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory sampling rows for binning");
        knob_rng rng;
        knob_rng_seed(&rng, seed);
        for (size_t i = 0; i < n; i++) sample[i] = i;
        for (size_t i = 0; i < sample_cap; i++) { /* partial Fisher-Yates */
            size_t r = i + (size_t)knob_rng_below(&rng, n - i);
            size_t t = sample[i];
            sample[i] = sample[r];
            sample[r] = t;
        }
        m = sample_cap;
    }
    b->n_features = p;
    b->n_bins = calloc(p ? p : 1, sizeof *b->n_bins);
    b->offset = calloc(p + 1, sizeof *b->offset);
    b->categorical = calloc(p ? p : 1, sizeof *b->categorical);
    double *upper = malloc((p ? p : 1) * (size_t)max_bins * sizeof *upper);
    uint64_t *keys = malloc((size_t)threads * 2 * (m ? m : 1) * sizeof *keys);
    if (!b->n_bins || !b->offset || !b->categorical || !upper || !keys) {
        free(sample);
        free(upper);
        free(keys);
        knob_gbdt_bins_free(b);
        return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory binning %zu features", p);
    }
    fit_ctx c = {ds, sample, m, max_bins, keys, upper, b->n_bins, b->categorical};
    knob_parallel_for(p, threads, fit_task, &c);
    free(sample);
    free(keys);
    for (size_t j = 0; j < p; j++) b->offset[j + 1] = b->offset[j] + (size_t)b->n_bins[j] + 1;
    b->total = b->offset[p];
    b->upper = malloc((b->total ? b->total : 1) * sizeof *b->upper);
    if (!b->upper) {
        free(upper);
        knob_gbdt_bins_free(b);
        return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory binning %zu features", p);
    }
    for (size_t j = 0; j < p; j++) {
        memcpy(b->upper + b->offset[j], upper + j * (size_t)max_bins, (size_t)b->n_bins[j] * sizeof *upper);
        b->upper[b->offset[j] + (size_t)b->n_bins[j]] = NAN; /* the missing bin has no bound */
    }
    free(upper);
    return KNOB_OK;
}

typedef struct {
    const knob_gbdt_bins *b;
    const knob_dataset *ds;
    uint8_t *out;
} apply_ctx;

static void apply_task(void *vctx, size_t j, int worker)
{
    (void)worker;
    apply_ctx *c = vctx;
    const knob_frame *f = c->ds->frame;
    const double *col = f->X + j * f->n_rows;
    const double *u = c->b->upper + c->b->offset[j];
    size_t nb = (size_t)c->b->n_bins[j], n = c->ds->n_rows;
    uint8_t *o = c->out + j * n;
    for (size_t i = 0; i < n; i++) {
        double x = col[knob_dataset_row(c->ds, i)];
        if (isnan(x)) {
            o[i] = (uint8_t)nb;
            continue;
        }
        /* first bin whose upper bound is >= x (u[nb-1] = +inf, so one exists) */
        const double *first = u;
        size_t len = nb;
        while (len > 1) {
            size_t half = len / 2;
            first += half & -(size_t)(first[half - 1] < x); /* branch-free: the outcome is unpredictable */
            len -= half;
        }
        o[i] = (uint8_t)(first - u);
    }
}

void knob_gbdt_bins_apply(const knob_gbdt_bins *b, const knob_dataset *ds, uint8_t *out, int threads)
{
    apply_ctx c = {b, ds, out};
    knob_parallel_for(b->n_features, threads, apply_task, &c);
}
