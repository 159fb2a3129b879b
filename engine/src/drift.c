/* drift.c — drift statistics (PSI, KS, chi-square), model comparison tests, bootstrap weights, and the
 * distribution functions behind their p-values (incomplete gamma and beta, Kolmogorov's distribution). */
#include "knob/drift.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/rng.h"

#define MAX_ITER 100000
#define FPMIN 1e-300
#define PI 3.14159265358979323846

/* ---- binning -------------------------------------------------------------------------------------- */

static int check_sorted(const double *x, size_t n, const char *what, knob_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return knob_err_set(err, KNOB_EINVAL, "%s: value %zu is NaN", what, i + 1);
        if (i && x[i] < x[i - 1]) return knob_err_set(err, KNOB_EINVAL, "%s: values are not sorted at %zu", what, i + 1);
    }
    return KNOB_OK;
}

/* numpy's _lerp: a + (b - a) t, written from the nearer end. */
static double lerp(double a, double b, double t)
{
    double d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

int knob_drift_quantile_edges(const double *sorted, size_t n, size_t n_bins, double *edges, size_t *n_edges,
                              knob_err *err)
{
    *n_edges = 0;
    if (n == 0) return knob_err_set(err, KNOB_EINVAL, "quantile_edges: no values");
    if (n_bins < 2) return knob_err_set(err, KNOB_EINVAL, "quantile_edges: n_bins must be >= 2 (got %zu)", n_bins);
    int rc = check_sorted(sorted, n, "quantile_edges", err);
    if (rc) return rc;
    size_t m = 0;
    for (size_t k = 1; k < n_bins; k++) {
        double pos = (double)k / (double)n_bins * (double)(n - 1);
        size_t lo = (size_t)floor(pos);
        double v = lo + 1 < n ? lerp(sorted[lo], sorted[lo + 1], pos - (double)lo) : sorted[n - 1];
        if (m == 0 || v > edges[m - 1]) edges[m++] = v;
    }
    *n_edges = m;
    return KNOB_OK;
}

void knob_drift_bin_counts(const double *edges, size_t n_edges, const double *x, size_t n, double *counts,
                           size_t *missing)
{
    memset(counts, 0, (n_edges + 1) * sizeof *counts);
    size_t miss = 0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        if (isnan(v)) {
            miss++;
            continue;
        }
        size_t lo = 0, hi = n_edges; /* first edge >= v: the bin of v */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (edges[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        counts[lo] += 1;
    }
    *missing = miss;
}

size_t knob_drift_subsample(const double *sorted, size_t n, size_t cap, double *out)
{
    if (n <= cap) {
        if (n) memcpy(out, sorted, n * sizeof *out);
        return n;
    }
    uint64_t span = (uint64_t)cap - 1;
    for (size_t k = 0; k < cap; k++) out[k] = sorted[((uint64_t)k * (n - 1) * 2 + span) / (2 * span)];
    return cap;
}

/* ---- PSI and chi-square -------------------------------------------------------------------------- */

static int check_counts(const double *c, size_t k, const char *fn, const char *what, double *total, knob_err *err)
{
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(c[i] >= 0) || !isfinite(c[i]))
            return knob_err_set(err, KNOB_EINVAL, "%s: %s count %zu must be finite and >= 0 (got %g)", fn, what, i + 1, c[i]);
        s += c[i];
    }
    if (!(s > 0)) return knob_err_set(err, KNOB_EINVAL, "%s: the %s counts are all zero", fn, what);
    *total = s;
    return KNOB_OK;
}

int knob_drift_psi(const double *ref, const double *cur, size_t k, double eps, double *psi, knob_err *err)
{
    double r, c;
    if (k == 0) return knob_err_set(err, KNOB_EINVAL, "psi: no bins");
    if (!(eps > 0 && eps < 1)) return knob_err_set(err, KNOB_EINVAL, "psi: epsilon must be in (0, 1) (got %g)", eps);
    int rc = check_counts(ref, k, "psi", "reference", &r, err);
    if (!rc) rc = check_counts(cur, k, "psi", "new", &c, err);
    if (rc) return rc;
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        double p = fmax(ref[i] / r, eps), q = fmax(cur[i] / c, eps);
        s += (q - p) * log(q / p);
    }
    *psi = s;
    return KNOB_OK;
}

int knob_drift_chi2(const double *ref, const double *cur, size_t k, double *stat, double *dof, double *p,
                    knob_err *err)
{
    double r, c;
    int rc = check_counts(ref, k, "chi2", "reference", &r, err);
    if (!rc) rc = check_counts(cur, k, "chi2", "new", &c, err);
    if (rc) return rc;
    double n = r + c, s = 0;
    size_t used = 0;
    for (size_t i = 0; i < k; i++) {
        double col = ref[i] + cur[i];
        if (col == 0) continue;
        used++;
        double er = r * col / n, ec = c * col / n;
        s += (ref[i] - er) * (ref[i] - er) / er + (cur[i] - ec) * (cur[i] - ec) / ec;
    }
    *dof = used > 1 ? (double)(used - 1) : 0;
    *stat = used > 1 ? s : 0;
    *p = used > 1 ? knob_drift_chi2_sf(s, *dof) : 1.0;
    return KNOB_OK;
}

/* ---- Kolmogorov–Smirnov ------------------------------------------------------------------------------ */

/* Kolmogorov's limiting distribution: P(K > x) (scipy.special.kolmogorov). */
static double kolmogorov_sf(double x)
{
    if (!(x > 0)) return 1.0;
    if (x < 1.18) {
        double s = 0, w = PI * PI / (8 * x * x);
        for (int k = 1; k < 100; k++) {
            double t = exp(-(2.0 * k - 1) * (2.0 * k - 1) * w);
            s += t;
            if (t < 1e-17 * s) break;
        }
        return 1.0 - sqrt(2 * PI) / x * s;
    }
    double s = 0, sign = 1;
    for (int k = 1; k < 100; k++) {
        double t = exp(-2.0 * k * k * x * x);
        s += sign * t;
        sign = -sign;
        if (t < 1e-17) break;
    }
    return fmin(1.0, fmax(0.0, 2 * s));
}

/* P(D >= hg / (m n)) for samples of sizes m and n: the share of monotone lattice paths from (0,0) to (m,n)
 * that reach a point with |i n - j m| >= hg. B[j] holds, for the current i, the share of paths to (i, j)
 * that have touched the boundary (1 on or beyond it). */
static int ks_exact(size_t m, size_t n, uint64_t hg, double *p, knob_err *err)
{
    double *B = malloc((n + 1) * sizeof *B);
    if (!B) return knob_err_set(err, KNOB_ENOMEM, "ks: out of memory for the exact p-value");
    int64_t H = (int64_t)hg, M = (int64_t)m, N = (int64_t)n;
    B[0] = 0;
    for (size_t j = 1; j <= n; j++) B[j] = (int64_t)j * M < H ? B[j - 1] : 1.0;
    for (size_t i = 1; i <= m; i++) {
        int64_t diff = (int64_t)i * N; /* i n - j m for j = 0 */
        if (diff >= H) B[0] = 1.0;
        double di = (double)i;
        for (size_t j = 1; j <= n; j++) {
            diff -= M;
            if (diff >= H || -diff >= H) B[j] = 1.0;
            else B[j] = (B[j] * di + B[j - 1] * (double)j) / (di + (double)j);
        }
    }
    *p = B[n];
    free(B);
    return KNOB_OK;
}

int knob_drift_ks(const double *a, size_t na, const double *b, size_t nb, int method, double *d, double *p,
                  int *used, knob_err *err)
{
    if (na == 0 || nb == 0) return knob_err_set(err, KNOB_EINVAL, "ks: both samples need at least one value");
    if (method < KNOB_DRIFT_KS_AUTO || method > KNOB_DRIFT_KS_ASYMP)
        return knob_err_set(err, KNOB_EINVAL, "ks: unknown method %d", method);
    int rc = check_sorted(a, na, "ks: first sample", err);
    if (!rc) rc = check_sorted(b, nb, "ks: second sample", err);
    if (rc) return rc;
    /* max |i nb - j na| over the merged order, i and j counting values <= the current value */
    uint64_t best = 0;
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        double v = i < na && (j >= nb || a[i] <= b[j]) ? a[i] : b[j];
        while (i < na && a[i] <= v) i++;
        while (j < nb && b[j] <= v) j++;
        uint64_t x = (uint64_t)i * nb, y = (uint64_t)j * na;
        uint64_t diff = x > y ? x - y : y - x;
        if (diff > best) best = diff;
    }
    *d = (double)best / ((double)na * (double)nb);
    if (method == KNOB_DRIFT_KS_AUTO)
        method = (na > nb ? na : nb) <= KNOB_DRIFT_KS_MAX_EXACT ? KNOB_DRIFT_KS_EXACT : KNOB_DRIFT_KS_ASYMP;
    if (used) *used = method;
    if (best == 0) {
        *p = 1.0;
        return KNOB_OK;
    }
    if (method == KNOB_DRIFT_KS_EXACT) {
        rc = ks_exact(na, nb, best, p, err);
        if (rc) return rc;
    } else {
        double en = (double)na * (double)nb / ((double)na + (double)nb);
        *p = kolmogorov_sf(*d * sqrt(en));
    }
    *p = fmin(1.0, fmax(0.0, *p));
    return KNOB_OK;
}

/* ---- distribution functions ---------------------------------------------------------------------- */

double knob_drift_gamma_q(double a, double x)
{
    if (!(a > 0) || !(x >= 0) || isnan(x)) return NAN;
    if (x == 0) return 1.0;
    if (isinf(x)) return 0.0;
    double lead = exp(-x + a * log(x) - lgamma(a));
    if (x < a + 1) { /* series for P, Q = 1 - P */
        double ap = a, del = 1.0 / a, sum = del;
        for (int n = 0; n < MAX_ITER; n++) {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * DBL_EPSILON) break;
        }
        return fmax(0.0, 1.0 - sum * lead);
    }
    /* continued fraction for Q (modified Lentz) */
    double b = x + 1 - a, c = 1 / FPMIN, d = 1 / b, h = d;
    for (int i = 1; i < MAX_ITER; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < FPMIN) d = FPMIN;
        c = b + an / c;
        if (fabs(c) < FPMIN) c = FPMIN;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < DBL_EPSILON) break;
    }
    return lead * h;
}

double knob_drift_chi2_sf(double x, double dof)
{
    if (!(dof > 0)) return NAN;
    if (x <= 0) return 1.0;
    return knob_drift_gamma_q(dof / 2, x / 2);
}

/* Continued fraction of the incomplete beta function (modified Lentz). */
static double beta_cf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < FPMIN) d = FPMIN;
    d = 1 / d;
    double h = d;
    for (int m = 1; m < MAX_ITER; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < FPMIN) d = FPMIN;
        c = 1 + aa / c;
        if (fabs(c) < FPMIN) c = FPMIN;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < FPMIN) d = FPMIN;
        c = 1 + aa / c;
        if (fabs(c) < FPMIN) c = FPMIN;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < DBL_EPSILON) break;
    }
    return h;
}

double knob_drift_beta_inc(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1)) return NAN;
    if (x == 0 || x == 1) return x;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2)) return exp(lbt) * beta_cf(a, b, x) / a;
    return 1 - exp(lbt) * beta_cf(b, a, 1 - x) / b;
}

double knob_drift_t_two_sided(double t, double df)
{
    if (!(df > 0) || isnan(t)) return NAN;
    if (isinf(t)) return 0.0;
    return knob_drift_beta_inc(df / 2, 0.5, df / (df + t * t));
}

double knob_drift_binom_half(uint64_t k, uint64_t n)
{
    if (n == 0) return 1.0;
    if (k > n) k = n;
    uint64_t lo = k < n - k ? k : n - k;
    if (2 * lo == n) return 1.0;
    double ln = lgamma((double)n + 1) - (double)n * log(2.0), s = 0;
    for (uint64_t i = 0; i <= lo; i++) s += exp(ln - lgamma((double)i + 1) - lgamma((double)(n - i) + 1));
    return fmin(1.0, 2 * s);
}

void knob_drift_mcnemar(uint64_t b, uint64_t c, int exact, double *stat, double *p)
{
    uint64_t n = b + c;
    if (exact) {
        *stat = (double)(b < c ? b : c);
        *p = knob_drift_binom_half(b, n);
        return;
    }
    if (n == 0) {
        *stat = 0;
        *p = 1.0;
        return;
    }
    double diff = fabs((double)b - (double)c) - 1;
    *stat = diff * diff / (double)n;
    *p = knob_drift_chi2_sf(*stat, 1);
}

int knob_drift_corrected_ttest(const double *a, const double *b, size_t k, double n_train, double n_test,
                               double *t, double *p, knob_err *err)
{
    if (k < 2) return knob_err_set(err, KNOB_EINVAL, "corrected_ttest: needs at least 2 paired scores (got %zu)", k);
    if (!(n_train > 0) || !isfinite(n_train) || !(n_test > 0) || !isfinite(n_test))
        return knob_err_set(err, KNOB_EINVAL, "corrected_ttest: n_train and n_test must be finite and > 0 (got %g, %g)",
                            n_train, n_test);
    double mean = 0;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(a[i]) || !isfinite(b[i]))
            return knob_err_set(err, KNOB_EINVAL, "corrected_ttest: score pair %zu is not finite", i + 1);
        mean += a[i] - b[i];
    }
    mean /= (double)k;
    double ss = 0;
    for (size_t i = 0; i < k; i++) ss += (a[i] - b[i] - mean) * (a[i] - b[i] - mean);
    double var = ss / (double)(k - 1);
    if (!(var > 0))
        return knob_err_set(err, KNOB_EUNDEF, "corrected_ttest: the score differences have zero variance");
    *t = mean / sqrt((1.0 / (double)k + n_test / n_train) * var);
    *p = knob_drift_t_two_sided(*t, (double)(k - 1));
    return KNOB_OK;
}

/* ---- bootstrap ----------------------------------------------------------------------------------- */

/* murmur3's 64-bit finalizer: spreads the replicate number over all bits. */
static uint64_t mix64(uint64_t z)
{
    z ^= z >> 33;
    z *= 0xff51afd7ed558ccdULL;
    z ^= z >> 33;
    z *= 0xc4ceb9fe1a85ec53ULL;
    return z ^ (z >> 33);
}

void knob_drift_bootstrap_weights(uint64_t seed, uint64_t replicate, size_t n, double *w)
{
    knob_rng rng;
    knob_rng_seed(&rng, seed ^ mix64(replicate + 1));
    memset(w, 0, n * sizeof *w);
    for (size_t i = 0; i < n; i++) w[knob_rng_below(&rng, n)] += 1;
}
