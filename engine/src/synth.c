/* synth.c — seeded synthetic datasets after scikit-learn's make_classification, make_regression,
 * make_friedman1, make_hastie_10_2 and make_blobs. Values are generated column by column into the frame's
 * column-major storage; shuffling permutes rows and columns in place. */
#include "knob/synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLUSTERS ((int64_t)1 << 30)

/* ---------------------------------------------------------------------------------------------------- */
/* validation */

static int check_count(knob_err *err, const char *fn, const char *name, int64_t v, int64_t min)
{
    if (v < min)
        return knob_err_set(err, KNOB_EINVAL, "%s: option '%s' must be an integer >= %lld (got %lld)", fn,
                            name, (long long)min, (long long)v);
    if ((uint64_t)v > SIZE_MAX / sizeof(double))
        return knob_err_set(err, KNOB_EINVAL, "%s: option '%s' is too large (%lld)", fn, name, (long long)v);
    return KNOB_OK;
}

/* A finite number in [lo, hi]. */
static int check_real(knob_err *err, const char *fn, const char *name, double v, double lo, double hi)
{
    if (!isfinite(v))
        return knob_err_set(err, KNOB_EINVAL, "%s: option '%s' must be a finite number (got %g)", fn, name, v);
    if (v < lo || v > hi) {
        if (isinf(hi))
            return knob_err_set(err, KNOB_EINVAL, "%s: option '%s' must be >= %g (got %g)", fn, name, lo, v);
        return knob_err_set(err, KNOB_EINVAL, "%s: option '%s' must be in [%g, %g] (got %g)", fn, name, lo, hi,
                            v);
    }
    return KNOB_OK;
}

/* Every entry of a list finite and in [lo, hi]. */
static int check_list(knob_err *err, const char *fn, const char *name, const double *a, size_t n, double lo,
                      double hi)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i]) || a[i] < lo || a[i] > hi) {
            if (isinf(lo) && isinf(hi))
                return knob_err_set(err, KNOB_EINVAL, "%s: option '%s' entry %zu must be a finite number (got %g)",
                                    fn, name, i + 1, a[i]);
            return knob_err_set(err, KNOB_EINVAL, "%s: option '%s' entry %zu must be a finite number >= %g (got %g)",
                                fn, name, i + 1, lo, a[i]);
        }
    }
    return KNOB_OK;
}

static int check_per_feature(knob_err *err, const char *fn, const char *name, const knob_synth_per_feature *pf,
                             int64_t n_features)
{
    if (pf->random) return KNOB_OK;
    if (!pf->values) return check_real(err, fn, name, pf->value, -INFINITY, INFINITY);
    if (pf->n_values != (size_t)n_features)
        return knob_err_set(err, KNOB_EINVAL, "%s: option '%s' must have n_features (%lld) entries (got %zu)", fn,
                            name, (long long)n_features, pf->n_values);
    return check_list(err, fn, name, pf->values, pf->n_values, -INFINITY, INFINITY);
}

/* ---------------------------------------------------------------------------------------------------- */
/* helpers */

static double *alloc_doubles(size_t n)
{
    return malloc((n ? n : 1) * sizeof(double));
}

static void fill_normal(knob_rng *rng, double *a, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] = knob_rng_normal(rng);
}

/* U(lo, hi) */
static void fill_uniform(knob_rng *rng, double *a, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) a[i] = lo + (hi - lo) * knob_rng_uniform(rng);
}

/* y[0..n) += a * x[0..n) */
static void axpy(double *restrict y, const double *restrict x, double a, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        y[i] += a * x[i];
        y[i + 1] += a * x[i + 1];
        y[i + 2] += a * x[i + 2];
        y[i + 3] += a * x[i + 3];
    }
    for (; i < n; i++) y[i] += a * x[i];
}

/* x . y with four running sums (a fixed order, so the same on every machine) */
static double dot(const double *restrict x, const double *restrict y, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i] * y[i];
        s1 += x[i + 1] * y[i + 1];
        s2 += x[i + 2] * y[i + 2];
        s3 += x[i + 3] * y[i + 3];
    }
    for (; i < n; i++) s0 += x[i] * y[i];
    return (s0 + s1) + (s2 + s3);
}

/* A dataset whose target is named "y"; a failure's message is prefixed with the generator's name. */
static knob_dataset *new_dataset(const char *fn, size_t n, size_t p, int task, size_t n_classes, knob_err *err)
{
    knob_err e;
    knob_err_clear(&e);
    knob_dataset *ds = knob_dataset_new(n, p, task, n_classes, &e);
    if (ds && knob_dataset_set_name(ds, (size_t)-1, "y", &e)) knob_dataset_free(&ds);
    if (!ds) knob_err_set(err, e.code, "%s: %s", fn, e.msg);
    return ds;
}

static knob_dataset *fail_nomem(knob_dataset **ds, knob_err *err, const char *fn)
{
    knob_dataset_free(ds);
    knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", fn);
    return NULL;
}

/* Rearrange count blocks of block doubles so that new block j = old block perm[j], following cycles
 * (tmp: block doubles, done: count bytes). */
static void permute_blocks(double *a, size_t block, size_t count, const size_t *perm, double *tmp,
                           unsigned char *done)
{
    memset(done, 0, count);
    for (size_t start = 0; start < count; start++) {
        if (done[start]) continue;
        memcpy(tmp, a + start * block, block * sizeof *a);
        for (size_t cur = start;;) {
            done[cur] = 1;
            size_t src = perm[cur];
            if (src == start) {
                memcpy(a + cur * block, tmp, block * sizeof *a);
                break;
            }
            memcpy(a + cur * block, a + src * block, block * sizeof *a);
            cur = src;
        }
    }
}

/* x[i] = x[perm[i]] for i < n (tmp: n doubles). */
static void gather_inplace(double *x, const size_t *perm, size_t n, double *tmp)
{
    for (size_t i = 0; i < n; i++) tmp[i] = x[perm[i]];
    memcpy(x, tmp, n * sizeof *x);
}

/* Shuffle the frame's rows (and, if cols, its columns; coef, if non-NULL, follows the columns). */
static int shuffle_frame(knob_dataset *ds, knob_rng *rng, int cols, double *coef)
{
    knob_frame *f = ds->frame;
    size_t n = f->n_rows, p = f->n_features, m = n > p ? n : p;
    size_t *perm = malloc(m * sizeof *perm);
    double *tmp = alloc_doubles(m);
    unsigned char *done = malloc(p ? p : 1);
    if (!perm || !tmp || !done) {
        free(perm);
        free(tmp);
        free(done);
        return KNOB_ENOMEM;
    }
    knob_rng_permutation(rng, perm, n);
    for (size_t j = 0; j < p; j++) gather_inplace(f->X + j * n, perm, n, tmp);
    if (f->y) gather_inplace(f->y, perm, n, tmp);
    if (cols) {
        knob_rng_permutation(rng, perm, p);
        permute_blocks(f->X, n, p, perm, tmp, done);
        if (coef) gather_inplace(coef, perm, p, tmp);
    }
    free(perm);
    free(tmp);
    free(done);
    return KNOB_OK;
}

/* k distinct integers below N (k <= N), in random order. */
static int distinct_below(knob_rng *rng, uint64_t N, size_t k, uint64_t *out)
{
    if (N <= 2 * (uint64_t)k) { /* partial Fisher-Yates over all of 0..N-1 (N <= 2k entries) */
        uint64_t *a = malloc((size_t)N * sizeof *a);
        if (!a) return KNOB_ENOMEM;
        for (uint64_t i = 0; i < N; i++) a[i] = i;
        for (size_t i = 0; i < k; i++) {
            uint64_t j = i + knob_rng_below(rng, N - i), t = a[i];
            a[i] = a[j];
            a[j] = t;
            out[i] = a[i];
        }
        free(a);
        return KNOB_OK;
    }
    /* rejection against an open-addressing set (load <= 1/2, expected < 2 draws per value) */
    size_t cap = 4;
    while (cap < 2 * k) cap *= 2;
    uint64_t *set = malloc(cap * sizeof *set);
    if (!set) return KNOB_ENOMEM;
    for (size_t i = 0; i < cap; i++) set[i] = UINT64_MAX;
    for (size_t i = 0; i < k;) {
        uint64_t v = knob_rng_below(rng, N);
        size_t h = (size_t)((v * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
        while (set[h] != UINT64_MAX && set[h] != v) h = (h + 1) & (cap - 1);
        if (set[h] == v) continue;
        set[h] = v;
        out[i++] = v;
    }
    free(set);
    return KNOB_OK;
}

/* ---------------------------------------------------------------------------------------------------- */
/* make_classification */

void knob_synth_classification_init(knob_synth_classification_opts *o)
{
    *o = (knob_synth_classification_opts){.n_samples = 100, .n_features = 20, .n_informative = 2,
                                          .n_redundant = 2, .n_repeated = 0, .n_classes = 2,
                                          .n_clusters_per_class = 2, .flip_y = 0.01, .class_sep = 1.0,
                                          .hypercube = 1, .shift = {.value = 0.0}, .scale = {.value = 1.0},
                                          .shuffle = 1};
}

int knob_synth_classification_check(const knob_synth_classification_opts *o, knob_err *err)
{
    static const char fn[] = "make_classification";
    int rc;
    if ((rc = check_count(err, fn, "n_samples", o->n_samples, 1)) ||
        (rc = check_count(err, fn, "n_features", o->n_features, 1)) ||
        (rc = check_count(err, fn, "n_informative", o->n_informative, 1)) ||
        (rc = check_count(err, fn, "n_redundant", o->n_redundant, 0)) ||
        (rc = check_count(err, fn, "n_repeated", o->n_repeated, 0)) ||
        (rc = check_count(err, fn, "n_classes", o->n_classes, 2)) ||
        (rc = check_count(err, fn, "n_clusters_per_class", o->n_clusters_per_class, 1)))
        return rc;
    int64_t p = o->n_features;
    if (o->n_informative > p || o->n_redundant > p - o->n_informative ||
        o->n_repeated > p - o->n_informative - o->n_redundant)
        return knob_err_set(err, KNOB_EINVAL,
                            "%s: n_informative (%lld) + n_redundant (%lld) + n_repeated (%lld) must be <= "
                            "n_features (%lld)",
                            fn, (long long)o->n_informative, (long long)o->n_redundant,
                            (long long)o->n_repeated, (long long)p);
    int64_t K = o->n_classes, cpc = o->n_clusters_per_class;
    int64_t vertices = o->n_informative < 62 ? (int64_t)1 << o->n_informative : INT64_MAX;
    if (K > MAX_CLUSTERS || cpc > MAX_CLUSTERS || K * cpc > vertices)
        return knob_err_set(err, KNOB_EINVAL,
                            "%s: n_classes (%lld) * n_clusters_per_class (%lld) must be <= 2^n_informative "
                            "(2^%lld), the number of hypercube vertices",
                            fn, (long long)K, (long long)cpc, (long long)o->n_informative);
    if (K * cpc > MAX_CLUSTERS)
        return knob_err_set(err, KNOB_EINVAL, "%s: n_classes (%lld) * n_clusters_per_class (%lld) must be <= 2^30",
                            fn, (long long)K, (long long)cpc);
    if (o->weights) {
        if (o->n_weights != (size_t)K && o->n_weights != (size_t)K - 1)
            return knob_err_set(err, KNOB_EINVAL,
                                "%s: option 'weights' must have n_classes (%lld) or n_classes - 1 entries (got %zu)",
                                fn, (long long)K, o->n_weights);
        if ((rc = check_list(err, fn, "weights", o->weights, o->n_weights, 0, INFINITY))) return rc;
        double sum = 0;
        for (size_t k = 0; k < o->n_weights; k++) sum += o->weights[k];
        if (o->n_weights == (size_t)K && !(sum > 0))
            return knob_err_set(err, KNOB_EINVAL, "%s: option 'weights' must not be all zero", fn);
        if (o->n_weights == (size_t)K - 1 && sum > 1 + 1e-9)
            return knob_err_set(err, KNOB_EINVAL,
                                "%s: option 'weights' with n_classes - 1 entries must sum to <= 1 (got %g)", fn, sum);
    }
    if ((rc = check_real(err, fn, "flip_y", o->flip_y, 0, 1)) ||
        (rc = check_real(err, fn, "class_sep", o->class_sep, 0, INFINITY)) ||
        (rc = check_per_feature(err, fn, "shift", &o->shift, p)) ||
        (rc = check_per_feature(err, fn, "scale", &o->scale, p)))
        return rc;
    return KNOB_OK;
}

/* Rows per cluster: cluster k holds class k mod K, the classes in proportion to the weights, the
 * remainder dealt out one per cluster in turn (scikit-learn's rule). */
static void cluster_sizes(const knob_synth_classification_opts *o, double *w, size_t *counts)
{
    size_t K = (size_t)o->n_classes, cpc = (size_t)o->n_clusters_per_class, nc = K * cpc;
    size_t n = (size_t)o->n_samples;
    double sum = 0;
    for (size_t k = 0; k < K; k++) {
        w[k] = o->weights ? (k < o->n_weights ? o->weights[k] : 0) : 1.0 / (double)K;
        sum += w[k];
    }
    if (o->weights && o->n_weights == K) /* normalise */
        for (size_t k = 0; k < K; k++) w[k] /= sum;
    else if (o->weights) /* the last class takes the rest */
        w[K - 1] = sum >= 1 ? 0 : 1 - sum;
    size_t total = 0;
    for (size_t k = 0; k < nc; k++) {
        counts[k] = (size_t)floor((double)n * w[k % K] / (double)cpc);
        total += counts[k];
    }
    while (total > n) { /* only by rounding of weights that sum to 1 + eps */
        size_t big = 0;
        for (size_t k = 1; k < nc; k++)
            if (counts[k] > counts[big]) big = k;
        counts[big]--;
        total--;
    }
    for (size_t i = 0; total < n; i++, total++) counts[i % nc]++;
}

/* The per-feature value of shift or scale for feature j. */
static double per_feature(const knob_synth_per_feature *pf, size_t j, knob_rng *rng, double lo, double hi)
{
    if (pf->random) return lo + (hi - lo) * knob_rng_uniform(rng);
    return pf->values ? pf->values[j] : pf->value;
}

knob_dataset *knob_synth_classification(const knob_synth_classification_opts *o, knob_rng *rng,
                                        knob_err *err)
{
    static const char fn[] = "make_classification";
    if (knob_synth_classification_check(o, err)) return NULL;
    size_t n = (size_t)o->n_samples, p = (size_t)o->n_features, ni = (size_t)o->n_informative;
    size_t nr = (size_t)o->n_redundant, nrep = (size_t)o->n_repeated, nu = p - ni - nr - nrep;
    size_t K = (size_t)o->n_classes, nc = K * (size_t)o->n_clusters_per_class;
    double sep = o->class_sep;

    knob_dataset *ds = new_dataset(fn, n, p, KNOB_TASK_CLASSIFICATION, K, err);
    if (!ds) return NULL;
    double *X = ds->frame->X, *y = ds->frame->y;
    double *w = alloc_doubles(K), *ffac = alloc_doubles(ni), *cen = alloc_doubles(ni), *a = alloc_doubles(ni);
    double *Z = alloc_doubles(n * ni);
    size_t *counts = malloc(nc * sizeof *counts);
    uint64_t *vert = malloc(nc * sizeof *vert);
    int rc = KNOB_ENOMEM;
    if (!w || !ffac || !cen || !a || !Z || !counts || !vert) goto done;
    cluster_sizes(o, w, counts);

    /* Cluster centroids: distinct vertices of the hypercube {-sep, sep}^ni (distinct in the first 30
     * coordinates, like scikit-learn; random signs beyond). Off the hypercube, each centroid is scaled by a
     * U(0,1) factor per cluster and per feature. */
    size_t nbits = ni < 30 ? ni : 30;
    if ((rc = distinct_below(rng, (uint64_t)1 << nbits, nc, vert))) goto done;
    for (size_t c = 0; c < ni; c++) ffac[c] = o->hypercube ? 1.0 : knob_rng_uniform(rng);

    /* Informative features: standard normal points times a random matrix, shifted to the centroid. */
    fill_normal(rng, Z, n * ni);
    size_t start = 0;
    for (size_t k = 0; k < nc; k++) {
        size_t m = counts[k];
        double cfac = o->hypercube ? 1.0 : knob_rng_uniform(rng);
        for (size_t c = 0; c < ni; c++) {
            int bit = c < nbits ? (int)((vert[k] >> c) & 1) : (int)knob_rng_below(rng, 2);
            cen[c] = (bit ? sep : -sep) * cfac * ffac[c];
        }
        for (size_t c = 0; c < ni; c++) {
            fill_uniform(rng, a, ni, -1, 1); /* column c of the covariance factor */
            double *col = X + c * n + start;
            for (size_t i = 0; i < m; i++) col[i] = cen[c];
            for (size_t r = 0; r < ni; r++) axpy(col, Z + r * n + start, a[r], m);
        }
        for (size_t i = 0; i < m; i++) y[start + i] = (double)(k % K);
        start += m;
    }
    /* Redundant features: random linear combinations of the informative ones. */
    for (size_t c = 0; c < nr; c++) {
        fill_uniform(rng, a, ni, -1, 1);
        double *col = X + (ni + c) * n;
        for (size_t r = 0; r < ni; r++) axpy(col, X + r * n, a[r], n);
    }
    /* Repeated features: copies of informative or redundant ones. */
    for (size_t c = 0; c < nrep; c++) {
        size_t src = (size_t)((double)(ni + nr - 1) * knob_rng_uniform(rng) + 0.5);
        memcpy(X + (ni + nr + c) * n, X + src * n, n * sizeof *X);
    }
    /* Noise features. */
    fill_normal(rng, X + (ni + nr + nrep) * n, n * nu);
    /* Label noise: a fraction flip_y of the rows get a uniformly random class (possibly their own). */
    for (size_t i = 0; i < n; i++)
        if (knob_rng_uniform(rng) < o->flip_y) y[i] = (double)knob_rng_below(rng, K);
    /* Shift, then scale. */
    for (size_t j = 0; j < p; j++) {
        double s = per_feature(&o->shift, j, rng, -sep, sep);
        if (s != 0)
            for (size_t i = 0; i < n; i++) X[j * n + i] += s;
    }
    for (size_t j = 0; j < p; j++) {
        double s = per_feature(&o->scale, j, rng, 1, 101);
        if (s != 1)
            for (size_t i = 0; i < n; i++) X[j * n + i] *= s;
    }
    rc = o->shuffle ? shuffle_frame(ds, rng, 1, NULL) : KNOB_OK;
done:
    free(w);
    free(ffac);
    free(cen);
    free(a);
    free(Z);
    free(counts);
    free(vert);
    if (rc) return fail_nomem(&ds, err, fn);
    return ds;
}

/* ---------------------------------------------------------------------------------------------------- */
/* make_regression */

void knob_synth_regression_init(knob_synth_regression_opts *o)
{
    *o = (knob_synth_regression_opts){.n_samples = 100, .n_features = 100, .n_informative = 10, .n_targets = 1,
                                      .bias = 0, .effective_rank = 0, .tail_strength = 0.5, .noise = 0,
                                      .shuffle = 1};
}

int knob_synth_regression_check(const knob_synth_regression_opts *o, knob_err *err)
{
    static const char fn[] = "make_regression";
    int rc;
    if ((rc = check_count(err, fn, "n_samples", o->n_samples, 1)) ||
        (rc = check_count(err, fn, "n_features", o->n_features, 1)) ||
        (rc = check_count(err, fn, "n_informative", o->n_informative, 0)) ||
        (rc = check_count(err, fn, "effective_rank", o->effective_rank, 0)))
        return rc;
    if (o->n_informative > o->n_features)
        return knob_err_set(err, KNOB_EINVAL, "%s: option 'n_informative' (%lld) must be <= n_features (%lld)", fn,
                            (long long)o->n_informative, (long long)o->n_features);
    if (o->n_targets != 1)
        return knob_err_set(err, KNOB_EINVAL, "%s: option 'n_targets' must be 1 (got %lld; only one target is "
                            "supported)", fn, (long long)o->n_targets);
    if ((rc = check_real(err, fn, "bias", o->bias, -INFINITY, INFINITY)) ||
        (rc = check_real(err, fn, "tail_strength", o->tail_strength, 0, 1)) ||
        (rc = check_real(err, fn, "noise", o->noise, 0, INFINITY)))
        return rc;
    return KNOB_OK;
}

/* Orthonormalise the cols columns (each rows long, column-major) by modified Gram-Schmidt, with a second
 * pass where the first cancelled more than half the norm ("twice is enough", Kahan-Parlett). */
static void orthonormalize(double *Q, size_t rows, size_t cols)
{
    for (size_t k = 0; k < cols; k++) {
        double *q = Q + k * rows, before = sqrt(dot(q, q, rows)), norm = before;
        for (int pass = 0; pass < 2 && k > 0; pass++) {
            for (size_t r = 0; r < k; r++) axpy(q, Q + r * rows, -dot(Q + r * rows, q, rows), rows);
            before = norm;
            norm = sqrt(dot(q, q, rows));
            if (norm > 0.5 * before) break;
        }
        if (norm > 0)
            for (size_t i = 0; i < rows; i++) q[i] /= norm;
    }
}

/* scikit-learn's make_low_rank_matrix: X = U diag(s) V^T with random orthonormal U (n x m), V (p x m),
 * m = min(n, p), s_i = (1 - t) exp(-(i/r)^2) + t exp(-0.1 i/r). X must be zero-filled. */
static int low_rank_matrix(knob_rng *rng, double *X, size_t n, size_t p, double r, double t)
{
    size_t m = n < p ? n : p;
    double *U = alloc_doubles(n * m), *V = alloc_doubles(p * m);
    if (!U || !V) {
        free(U);
        free(V);
        return KNOB_ENOMEM;
    }
    fill_normal(rng, U, n * m);
    orthonormalize(U, n, m);
    fill_normal(rng, V, p * m);
    orthonormalize(V, p, m);
    for (size_t k = 0; k < m; k++) { /* V <- V diag(s) */
        double i = (double)k, s = (1 - t) * exp(-(i / r) * (i / r)) + t * exp(-0.1 * i / r);
        for (size_t j = 0; j < p; j++) V[k * p + j] *= s;
    }
    for (size_t i0 = 0; i0 < n; i0 += 256) { /* X += U V^T, in blocks of rows that stay in cache */
        size_t b = n - i0 < 256 ? n - i0 : 256;
        for (size_t j = 0; j < p; j++)
            for (size_t k = 0; k < m; k++) axpy(X + j * n + i0, U + k * n + i0, V[k * p + j], b);
    }
    free(U);
    free(V);
    return KNOB_OK;
}

knob_dataset *knob_synth_regression(const knob_synth_regression_opts *o, knob_rng *rng, double *coef,
                                    knob_err *err)
{
    static const char fn[] = "make_regression";
    if (knob_synth_regression_check(o, err)) return NULL;
    size_t n = (size_t)o->n_samples, p = (size_t)o->n_features, ni = (size_t)o->n_informative;
    knob_dataset *ds = new_dataset(fn, n, p, KNOB_TASK_REGRESSION, 0, err);
    if (!ds) return NULL;
    double *X = ds->frame->X, *y = ds->frame->y;
    double *beta = calloc(p, sizeof *beta);
    int rc = KNOB_ENOMEM;
    if (!beta) goto done;
    if (o->effective_rank == 0) fill_normal(rng, X, n * p);
    else if ((rc = low_rank_matrix(rng, X, n, p, (double)o->effective_rank, o->tail_strength))) goto done;
    for (size_t j = 0; j < ni; j++) beta[j] = 100 * knob_rng_uniform(rng);
    for (size_t j = 0; j < ni; j++) axpy(y, X + j * n, beta[j], n); /* y was zero-filled */
    for (size_t i = 0; i < n; i++) y[i] += o->bias;
    if (o->noise > 0)
        for (size_t i = 0; i < n; i++) y[i] += o->noise * knob_rng_normal(rng);
    rc = o->shuffle ? shuffle_frame(ds, rng, 1, beta) : KNOB_OK;
    if (!rc && coef) memcpy(coef, beta, p * sizeof *coef);
done:
    free(beta);
    if (rc) return fail_nomem(&ds, err, fn);
    return ds;
}

/* ---------------------------------------------------------------------------------------------------- */
/* make_friedman1, make_hastie_10_2 */

knob_dataset *knob_synth_friedman1(int64_t n_samples, int64_t n_features, double noise, knob_rng *rng,
                                   knob_err *err)
{
    static const char fn[] = "make_friedman1";
    if (check_count(err, fn, "n_samples", n_samples, 1) || check_count(err, fn, "n_features", n_features, 5) ||
        check_real(err, fn, "noise", noise, 0, INFINITY))
        return NULL;
    size_t n = (size_t)n_samples, p = (size_t)n_features;
    knob_dataset *ds = new_dataset(fn, n, p, KNOB_TASK_REGRESSION, 0, err);
    if (!ds) return NULL;
    double *X = ds->frame->X, *y = ds->frame->y;
    fill_uniform(rng, X, n * p, 0, 1);
    const double *x1 = X, *x2 = X + n, *x3 = X + 2 * n, *x4 = X + 3 * n, *x5 = X + 4 * n;
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < n; i++)
        y[i] = 10 * sin(pi * x1[i] * x2[i]) + 20 * (x3[i] - 0.5) * (x3[i] - 0.5) + 10 * x4[i] + 5 * x5[i];
    if (noise > 0)
        for (size_t i = 0; i < n; i++) y[i] += noise * knob_rng_normal(rng);
    return ds;
}

knob_dataset *knob_synth_hastie_10_2(int64_t n_samples, knob_rng *rng, knob_err *err)
{
    static const char fn[] = "make_hastie_10_2";
    static const char *const classes[] = {"-1", "1"};
    if (check_count(err, fn, "n_samples", n_samples, 1)) return NULL;
    size_t n = (size_t)n_samples, p = 10;
    knob_dataset *ds = new_dataset(fn, n, p, KNOB_TASK_CLASSIFICATION, 2, err);
    if (!ds) return NULL;
    if (knob_dataset_set_levels(ds, (size_t)-1, classes, 2, err)) {
        knob_dataset_free(&ds);
        return NULL;
    }
    double *X = ds->frame->X, *y = ds->frame->y;
    fill_normal(rng, X, n * p);
    for (size_t j = 0; j < p; j++) /* y accumulates the sum of squares, then becomes the class code */
        for (size_t i = 0; i < n; i++) y[i] += X[j * n + i] * X[j * n + i];
    for (size_t i = 0; i < n; i++) y[i] = y[i] > 9.34 ? 1 : 0;
    return ds;
}

/* ---------------------------------------------------------------------------------------------------- */
/* make_blobs */

void knob_synth_blobs_init(knob_synth_blobs_opts *o)
{
    *o = (knob_synth_blobs_opts){.n_samples = 100, .n_features = 2, .n_centers = 3, .cluster_std = 1.0,
                                 .center_box = {-10, 10}, .shuffle = 1};
}

int knob_synth_blobs_check(const knob_synth_blobs_opts *o, knob_err *err)
{
    static const char fn[] = "make_blobs";
    int rc;
    if ((rc = check_count(err, fn, "n_features", o->n_features, 1)) ||
        (rc = check_count(err, fn, "centers", o->n_centers, 1)))
        return rc;
    size_t k = (size_t)o->n_centers, p = (size_t)o->n_features;
    if (o->samples_per_center) {
        int64_t total = 0;
        for (size_t c = 0; c < k; c++) {
            int64_t v = o->samples_per_center[c];
            if (v < 0 || (uint64_t)v > SIZE_MAX / sizeof(double))
                return knob_err_set(err, KNOB_EINVAL, "%s: option 'n_samples' entry %zu must be an integer >= 0 "
                                    "(got %lld)", fn, c + 1, (long long)v);
            if (v > (int64_t)(SIZE_MAX / sizeof(double)) - total)
                return knob_err_set(err, KNOB_EINVAL, "%s: option 'n_samples' sums to too many rows", fn);
            total += v;
        }
        if (total < 1)
            return knob_err_set(err, KNOB_EINVAL, "%s: option 'n_samples' must ask for at least one row", fn);
    } else if ((rc = check_count(err, fn, "n_samples", o->n_samples, 1))) {
        return rc;
    }
    if (p > SIZE_MAX / sizeof(double) / k)
        return knob_err_set(err, KNOB_EINVAL, "%s: centers (%zu) x n_features (%zu) is too large", fn, k, p);
    if (o->centers) {
        for (size_t i = 0; i < k * p; i++)
            if (!isfinite(o->centers[i]))
                return knob_err_set(err, KNOB_EINVAL, "%s: option 'centers' entry %zu coordinate %zu must be a "
                                    "finite number (got %g)", fn, i / p + 1, i % p + 1, o->centers[i]);
    }
    if (o->cluster_stds) {
        if ((rc = check_list(err, fn, "cluster_std", o->cluster_stds, k, 0, INFINITY))) return rc;
    } else if ((rc = check_real(err, fn, "cluster_std", o->cluster_std, 0, INFINITY))) {
        return rc;
    }
    if (!isfinite(o->center_box[0]) || !isfinite(o->center_box[1]) || !(o->center_box[0] < o->center_box[1]))
        return knob_err_set(err, KNOB_EINVAL, "%s: option 'center_box' must be {low, high} with finite "
                            "low < high (got {%g, %g})", fn, o->center_box[0], o->center_box[1]);
    return KNOB_OK;
}

knob_dataset *knob_synth_blobs(const knob_synth_blobs_opts *o, knob_rng *rng, double *centers,
                               knob_err *err)
{
    static const char fn[] = "make_blobs";
    if (knob_synth_blobs_check(o, err)) return NULL;
    size_t k = (size_t)o->n_centers, p = (size_t)o->n_features, n = 0;
    size_t *counts = malloc(k * sizeof *counts);
    double *C = alloc_doubles(k * p);
    knob_dataset *ds = NULL;
    int rc = KNOB_ENOMEM;
    if (!counts || !C) goto done;
    for (size_t c = 0; c < k; c++) {
        counts[c] = o->samples_per_center ? (size_t)o->samples_per_center[c]
                                          : (size_t)o->n_samples / k + (c < (size_t)o->n_samples % k);
        n += counts[c];
    }
    if (!(ds = new_dataset(fn, n, p, KNOB_TASK_CLASSIFICATION, k, err))) {
        free(counts);
        free(C);
        return NULL;
    }
    if (o->centers) memcpy(C, o->centers, k * p * sizeof *C);
    else fill_uniform(rng, C, k * p, o->center_box[0], o->center_box[1]);
    double *X = ds->frame->X, *y = ds->frame->y;
    size_t start = 0;
    for (size_t c = 0; c < k; c++) {
        double sd = o->cluster_stds ? o->cluster_stds[c] : o->cluster_std;
        for (size_t j = 0; j < p; j++) {
            double *col = X + j * n + start;
            for (size_t i = 0; i < counts[c]; i++) col[i] = C[c * p + j] + sd * knob_rng_normal(rng);
        }
        for (size_t i = 0; i < counts[c]; i++) y[start + i] = (double)c;
        start += counts[c];
    }
    rc = o->shuffle ? shuffle_frame(ds, rng, 0, NULL) : KNOB_OK;
    if (!rc && centers) memcpy(centers, C, k * p * sizeof *C);
done:
    free(counts);
    free(C);
    if (rc) return fail_nomem(&ds, err, fn);
    return ds;
}
