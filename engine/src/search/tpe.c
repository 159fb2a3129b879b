/* tpe.c — Parzen estimators (mixtures of truncated Gaussians and categorical kernels) for TPE.
 *
 * Follows Optuna 3.1's _ParzenEstimator (optuna/samplers/_tpe/parzen_estimator.py). Its truncnorm.logpdf
 * omits the scale's Jacobian (-log sigma) of continuous components; knob_parzen_opts.scaled chooses: 1 gives
 * the proper mixture density, 0 Optuna 3.1's score, which TPE uses because it finds better points (wide
 * kernels weigh more: more exploration) -- see the table in bench/tpe_bench.lua's report. */
#include "knob/search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normal.h"

#define LOG_SQRT_2PI 0.91893853320467274178032973640562
#define PARZEN_EPS 1e-12
#define SIGMA0_MAGNITUDE 0.2

struct knob_parzen {
    size_t n_dims, K;     /* dimensions; components (observations + prior) */
    knob_dist *dims;
    double *lo, *hi, *q;  /* per dimension: internal bounds, step (0: continuous) */
    double *log_w;        /* K log weights */
    double *cum_w;        /* K cumulative weights (last = 1) */
    double *mu, *sigma;   /* n_dims x K (numeric dimensions) */
    double *inv_sigma;    /* n_dims x K: 1 / sigma */
    double *norm;         /* n_dims x K: continuous: -log sigma - log mass - log sqrt(2 pi); stepped: log mass */
    int *cat_obs;         /* n_dims x K (categorical): the observed choice, -1 for the prior */
    double *cat_p;        /* n_dims x 2 (categorical): probability of another / of the observed choice */
};

void knob_parzen_opts_default(knob_parzen_opts *o)
{
    o->consider_prior = 1;
    o->prior_weight = 1.0;
    o->magic_clip = 1;
    o->endpoints = 0;
    o->multivariate = 0;
    o->scaled = 1;
}

int knob_dist_check(const knob_dist *d, const char *what, knob_err *err)
{
    if (!what) what = "distribution";
    if (d->kind == KNOB_DIST_CATEGORICAL) {
        if (d->n_choices < 1) return knob_err_set(err, KNOB_EINVAL, "%s: a categorical needs at least one choice", what);
        return KNOB_OK;
    }
    if (d->kind != KNOB_DIST_FLOAT && d->kind != KNOB_DIST_INT)
        return knob_err_set(err, KNOB_EINVAL, "%s: unknown distribution kind %d", what, d->kind);
    if (!isfinite(d->low) || !isfinite(d->high))
        return knob_err_set(err, KNOB_EINVAL, "%s: bounds must be finite (got [%g, %g])", what, d->low, d->high);
    if (d->low > d->high)
        return knob_err_set(err, KNOB_EINVAL, "%s: low %g is greater than high %g", what, d->low, d->high);
    if (!(d->step >= 0) || !isfinite(d->step))
        return knob_err_set(err, KNOB_EINVAL, "%s: step must be >= 0 and finite (got %g)", what, d->step);
    if (d->log && !(d->low > 0))
        return knob_err_set(err, KNOB_EINVAL, "%s: a log scale needs low > 0 (got %g)", what, d->low);
    if (d->kind == KNOB_DIST_FLOAT) {
        if (d->log && d->step > 0) return knob_err_set(err, KNOB_EINVAL, "%s: step and log cannot be combined", what);
    } else {
        if (d->low != floor(d->low) || d->high != floor(d->high) || d->step != floor(d->step))
            return knob_err_set(err, KNOB_EINVAL, "%s: integer bounds and step must be integral", what);
        if (d->log && d->step > 1) return knob_err_set(err, KNOB_EINVAL, "%s: log needs step 1 for integers", what);
    }
    return KNOB_OK;
}

void knob_tpe_default_weights(size_t n, double *out)
{
    /* Optuna: n < 25 -> ones(n); else concatenate(linspace(1/n, 1, n - 25), ones(25)) */
    if (n < 25) {
        for (size_t i = 0; i < n; i++) out[i] = 1.0;
        return;
    }
    size_t m = n - 25;
    double start = 1.0 / (double)n;
    for (size_t i = 0; i < m; i++)
        out[i] = m == 1 ? start : (i == m - 1 ? 1.0 : start + (double)i * ((1.0 - start) / (double)(m - 1)));
    for (size_t i = m; i < n; i++) out[i] = 1.0;
}

size_t knob_parzen_n_components(const knob_parzen *p)
{
    return p->K;
}

int knob_parzen_params(const knob_parzen *p, size_t dim, double *weights, double *mus, double *sigmas,
                       double *bounds, knob_err *err)
{
    if (dim >= p->n_dims)
        return knob_err_set(err, KNOB_EINVAL, "parzen params: dimension %zu of %zu", dim + 1, p->n_dims);
    size_t K = p->K;
    if (weights)
        for (size_t k = 0; k < K; k++) weights[k] = exp(p->log_w[k]);
    if (p->dims[dim].kind == KNOB_DIST_CATEGORICAL) return KNOB_OK;
    if (mus) memcpy(mus, p->mu + dim * K, K * sizeof *mus);
    if (sigmas) memcpy(sigmas, p->sigma + dim * K, K * sizeof *sigmas);
    if (bounds) {
        bounds[0] = p->lo[dim];
        bounds[1] = p->hi[dim];
    }
    return KNOB_OK;
}

void knob_parzen_free(knob_parzen **pp)
{
    if (!pp || !*pp) return;
    knob_parzen *p = *pp;
    free(p->dims);
    free(p->lo);
    free(p->log_w);
    free(p->mu);
    free(p->cat_obs);
    free(p->cat_p);
    free(p);
    *pp = NULL;
}

typedef struct {
    double v;
    size_t i;
} keyed;

static int keyed_less(keyed a, keyed b)
{
    return a.v < b.v || (a.v == b.v && a.i < b.i);
}

/* Sort by (v, i): quicksort (median of three) with insertion sort for short runs; inline comparisons are
 * several times faster than qsort's callback on the thousands of components of a TPE estimator. */
static void sort_keyed(keyed *a, size_t n)
{
    while (n > 16) {
        size_t m = n / 2;
        if (keyed_less(a[m], a[0])) { keyed t = a[m]; a[m] = a[0]; a[0] = t; }
        if (keyed_less(a[n - 1], a[0])) { keyed t = a[n - 1]; a[n - 1] = a[0]; a[0] = t; }
        if (keyed_less(a[n - 1], a[m])) { keyed t = a[n - 1]; a[n - 1] = a[m]; a[m] = t; }
        keyed pivot = a[m];
        size_t i = 0, j = n - 1;
        for (;;) {
            while (keyed_less(a[i], pivot)) i++;
            while (keyed_less(pivot, a[j])) j--;
            if (i >= j) break;
            keyed t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        /* recurse into the smaller part, loop on the larger */
        if (j + 1 < n - j - 1) {
            sort_keyed(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_keyed(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        keyed x = a[i];
        size_t j = i;
        for (; j > 0 && keyed_less(x, a[j - 1]); j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Internal bounds and step of a numeric dimension (Optuna's _calculate_parzen_bounds). */
static void internal_bounds(const knob_dist *d, double *lo, double *hi, double *q)
{
    double step = d->kind == KNOB_DIST_INT && d->step < 1 ? 1 : d->step;
    if (d->log) {
        double widen = d->kind == KNOB_DIST_INT ? 0.5 : 0.0;
        *lo = log(d->low - widen);
        *hi = log(d->high + widen);
        *q = 0;
    } else if (step > 0) {
        *lo = d->low - 0.5 * step;
        *hi = d->high + 0.5 * step;
        *q = step;
    } else {
        *lo = d->low;
        *hi = d->high;
        *q = 0;
    }
}

/* Bandwidths of one numeric dimension (Optuna's _calculate_numerical_params). mu[0..K-1] are set. */
static void bandwidths(knob_parzen *p, size_t d, const knob_parzen_opts *o, int prior, keyed *scratch)
{
    size_t K = p->K, n_obs = prior ? K - 1 : K;
    double lo = p->lo[d], hi = p->hi[d], range = hi - lo;
    double *mu = p->mu + d * K, *sg = p->sigma + d * K;
    if (o->multivariate) {
        double n = n_obs > 0 ? (double)n_obs : 1.0;
        double s0 = SIGMA0_MAGNITUDE * pow(n, -1.0 / ((double)p->n_dims + 4.0));
        for (size_t k = 0; k < K; k++) sg[k] = s0 * range;
    } else {
        for (size_t k = 0; k < K; k++) scratch[k] = (keyed){mu[k], k};
        sort_keyed(scratch, K);
        for (size_t r = 0; r < K; r++) {
            double left = r == 0 ? lo : scratch[r - 1].v, right = r + 1 == K ? hi : scratch[r + 1].v;
            double s = scratch[r].v - left, t = right - scratch[r].v;
            double v = s > t ? s : t;
            if (!o->endpoints && K >= 2) {
                if (r == 0) v = scratch[1].v - scratch[0].v;
                if (r + 1 == K) v = scratch[K - 1].v - scratch[K - 2].v;
            }
            sg[scratch[r].i] = v;
        }
    }
    double maxs = range;
    double mins = o->magic_clip ? range / fmin(100.0, 1.0 + (double)K) : PARZEN_EPS;
    for (size_t k = 0; k < K; k++) sg[k] = fmin(fmax(sg[k], mins), maxs);
    if (prior) sg[K - 1] = range;
}

/* Map an external value to the internal scale of a numeric dimension. */
static double to_internal(const knob_dist *d, double v)
{
    return d->log ? log(v) : v;
}

static int check_value(const knob_dist *d, double v, size_t row, size_t dim, knob_err *err)
{
    if (d->kind == KNOB_DIST_CATEGORICAL) {
        if (!(v >= 0 && v < (double)d->n_choices && v == floor(v)))
            return knob_err_set(err, KNOB_EINVAL,
                                "observation %zu, dimension %zu: %g is not a choice index in 0..%zu", row + 1,
                                dim + 1, v, d->n_choices - 1);
    } else if (!(v >= d->low && v <= d->high)) {
        return knob_err_set(err, KNOB_EINVAL, "observation %zu, dimension %zu: %g is outside [%g, %g]", row + 1,
                            dim + 1, v, d->low, d->high);
    }
    return KNOB_OK;
}

static int check_inputs(const knob_dist *dims, size_t n_dims, const double *obs, size_t n_obs,
                        const double *weights, const knob_parzen_opts *o, knob_err *err)
{
    if (n_dims == 0) return knob_err_set(err, KNOB_EINVAL, "parzen: no dimensions");
    for (size_t d = 0; d < n_dims; d++) {
        char what[48];
        snprintf(what, sizeof what, "parzen: dimension %zu", d + 1);
        int rc = knob_dist_check(&dims[d], what, err);
        if (rc) return rc;
        if (dims[d].kind == KNOB_DIST_FLOAT && !(dims[d].low < dims[d].high))
            return knob_err_set(err, KNOB_EINVAL, "%s: low must be < high (single value %g)", what, dims[d].low);
    }
    if (!(o->prior_weight > 0) || !isfinite(o->prior_weight))
        return knob_err_set(err, KNOB_EINVAL, "parzen: prior_weight must be > 0 (got %g)", o->prior_weight);
    for (size_t i = 0; i < n_obs; i++)
        for (size_t d = 0; d < n_dims; d++) {
            int rc = check_value(&dims[d], obs[i * n_dims + d], i, d, err);
            if (rc) return rc;
        }
    if (weights) {
        double s = 0;
        for (size_t i = 0; i < n_obs; i++) {
            if (!(weights[i] >= 0) || !isfinite(weights[i]))
                return knob_err_set(err, KNOB_EINVAL, "parzen: weight %zu must be >= 0 and finite (got %g)", i + 1,
                                    weights[i]);
            s += weights[i];
        }
        if (n_obs > 0 && !(s > 0)) return knob_err_set(err, KNOB_EINVAL, "parzen: the weights are all zero");
    }
    return KNOB_OK;
}

int knob_parzen_new(knob_parzen **out, const knob_dist *dims, size_t n_dims, const double *obs, size_t n_obs,
                    const double *weights, const knob_parzen_opts *opts, knob_err *err)
{
    *out = NULL;
    knob_parzen_opts o;
    if (opts) o = *opts;
    else knob_parzen_opts_default(&o);
    int rc = check_inputs(dims, n_dims, obs, n_obs, weights, &o, err);
    if (rc) return rc;
    int prior = o.consider_prior || n_obs == 0;
    size_t K = n_obs + (prior ? 1 : 0);
    knob_parzen *p = calloc(1, sizeof *p);
    keyed *scratch = NULL;
    if (!p) return knob_err_set(err, KNOB_ENOMEM, "parzen: out of memory");
    p->n_dims = n_dims;
    p->K = K;
    p->dims = malloc(n_dims * sizeof *p->dims);
    p->lo = malloc(3 * n_dims * sizeof *p->lo);
    p->log_w = malloc(2 * K * sizeof *p->log_w);
    p->mu = malloc(4 * n_dims * K * sizeof *p->mu);
    p->cat_obs = malloc(n_dims * K * sizeof *p->cat_obs);
    p->cat_p = malloc(2 * n_dims * sizeof *p->cat_p);
    scratch = malloc(K * sizeof *scratch);
    if (!p->dims || !p->lo || !p->log_w || !p->mu || !p->cat_obs || !p->cat_p || !scratch) {
        free(scratch);
        knob_parzen_free(&p);
        return knob_err_set(err, KNOB_ENOMEM, "parzen: out of memory (%zu components)", K);
    }
    memcpy(p->dims, dims, n_dims * sizeof *dims);
    p->hi = p->lo + n_dims;
    p->q = p->hi + n_dims;
    p->cum_w = p->log_w + K;
    p->sigma = p->mu + n_dims * K;
    p->norm = p->sigma + n_dims * K;
    p->inv_sigma = p->norm + n_dims * K;

    /* weights: observations' (given or default), then the prior's; normalized */
    double *w = p->cum_w; /* use cum_w as scratch for the raw weights */
    if (weights) memcpy(w, weights, n_obs * sizeof *w);
    else knob_tpe_default_weights(n_obs, w);
    if (prior) w[K - 1] = o.prior_weight;
    double total = 0;
    for (size_t k = 0; k < K; k++) total += w[k];
    double acc = 0;
    for (size_t k = 0; k < K; k++) {
        p->log_w[k] = log(w[k] / total);
        acc += w[k] / total;
        p->cum_w[k] = acc;
    }
    p->cum_w[K - 1] = 1.0;

    for (size_t d = 0; d < n_dims; d++) {
        const knob_dist *dd = &p->dims[d];
        if (dd->kind == KNOB_DIST_CATEGORICAL) {
            /* Optuna: each row is prior_weight / K' everywhere (K' = components), +1 at the observed choice,
             * normalized; the prior's row is uniform. Stored as (other, observed) probabilities. */
            double C = (double)dd->n_choices;
            double base = o.prior_weight / (double)(prior ? n_obs + 1 : n_obs);
            double row = base * C + 1.0;
            p->cat_p[2 * d] = base / row;
            p->cat_p[2 * d + 1] = (base + 1.0) / row;
            for (size_t k = 0; k < n_obs; k++) p->cat_obs[d * K + k] = (int)obs[k * n_dims + d];
            if (prior) p->cat_obs[d * K + K - 1] = -1;
            continue;
        }
        internal_bounds(dd, &p->lo[d], &p->hi[d], &p->q[d]);
        double *mu = p->mu + d * K;
        for (size_t k = 0; k < n_obs; k++) mu[k] = to_internal(dd, obs[k * n_dims + d]);
        if (prior) mu[K - 1] = 0.5 * (p->lo[d] + p->hi[d]);
        bandwidths(p, d, &o, prior, scratch);
        double *sg = p->sigma + d * K, *nm = p->norm + d * K, *is = p->inv_sigma + d * K;
        for (size_t k = 0; k < K; k++) {
            is[k] = 1.0 / sg[k];
            double lm = knob_normal_log_mass((p->lo[d] - mu[k]) / sg[k], (p->hi[d] - mu[k]) / sg[k]);
            nm[k] = p->q[d] > 0 ? lm : (o.scaled ? -log(sg[k]) : 0.0) - lm - LOG_SQRT_2PI;
        }
    }
    free(scratch);
    *out = p;
    return KNOB_OK;
}

static size_t pick_component(const knob_parzen *p, double u)
{
    size_t lo = 0, hi = p->K - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->cum_w[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static double clip(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Internal value -> external value of a numeric dimension (round to the grid, clip to the bounds). */
static double to_external(const knob_dist *d, double x, double q)
{
    if (d->log) {
        double v = exp(x);
        if (d->kind == KNOB_DIST_INT) v = floor(v + 0.5);
        return clip(v, d->low, d->high);
    }
    if (q > 0) x = floor((x - d->low) / q + 0.5) * q + d->low;
    return clip(x, d->low, d->high);
}

void knob_parzen_sample(const knob_parzen *p, knob_rng *rng, size_t n, double *out)
{
    size_t D = p->n_dims, K = p->K;
    for (size_t i = 0; i < n; i++) {
        size_t k = pick_component(p, knob_rng_uniform(rng));
        for (size_t d = 0; d < D; d++) {
            const knob_dist *dd = &p->dims[d];
            double *o = &out[i * D + d];
            if (dd->kind == KNOB_DIST_CATEGORICAL) {
                int obs = p->cat_obs[d * K + k];
                double u = knob_rng_uniform(rng);
                double extra = p->cat_p[2 * d + 1] - p->cat_p[2 * d];
                if (obs >= 0 && u < extra) *o = obs;
                else *o = (double)knob_rng_below(rng, dd->n_choices);
                continue;
            }
            double mu = p->mu[d * K + k], sg = p->sigma[d * K + k];
            double z = knob_normal_trunc_inv((p->lo[d] - mu) / sg, (p->hi[d] - mu) / sg, knob_rng_uniform(rng));
            *o = to_external(dd, mu + sg * z, p->q[d]);
        }
    }
}

/* Components whose log density is this far below the largest are skipped: their total relative weight is
 * below K * e^-50 (2e-19 for K = 1000), far under double precision. */
#define PRUNE_GAP 50.0

static int is_stepped(const knob_parzen *p, size_t d)
{
    return p->dims[d].kind != KNOB_DIST_CATEGORICAL && p->q[d] > 0;
}

/* acc[k] += log density of component k of a categorical or continuous dimension d at external value v.
 * Returns 0 when v is outside the dimension (density 0). */
static int add_cheap(const knob_parzen *p, size_t d, double v, double *acc)
{
    size_t K = p->K;
    const knob_dist *dd = &p->dims[d];
    if (dd->kind == KNOB_DIST_CATEGORICAL) {
        if (!(v >= 0 && v < (double)dd->n_choices && v == floor(v))) return 0;
        int c = (int)v;
        const int *obs = p->cat_obs + d * K;
        double l_other = log(p->cat_p[2 * d]), l_obs = log(p->cat_p[2 * d + 1]);
        double l_uniform = -log((double)dd->n_choices);
        for (size_t k = 0; k < K; k++) acc[k] += obs[k] < 0 ? l_uniform : (obs[k] == c ? l_obs : l_other);
        return 1;
    }
    if (!(v >= dd->low && v <= dd->high)) return 0;
    double x = to_internal(dd, v);
    const double *mu = p->mu + d * K, *is = p->inv_sigma + d * K, *nm = p->norm + d * K;
    for (size_t k = 0; k < K; k++) {
        double z = (x - mu[k]) * is[k];
        acc[k] += nm[k] - 0.5 * z * z;
    }
    return 1;
}

/* Log probability mass of component k of stepped dimension d over [a, b] (internal scale), normalized. */
static double stepped_term(const knob_parzen *p, size_t d, size_t k, double a, double b)
{
    size_t i = d * p->K + k;
    double is = p->inv_sigma[i];
    return knob_normal_log_mass((a - p->mu[i]) * is, (b - p->mu[i]) * is) - p->norm[i];
}

/* An upper bound of stepped_term without erfc: width times the largest density on [a, b]. */
static double stepped_bound(const knob_parzen *p, size_t d, size_t k, double a, double b)
{
    size_t i = d * p->K + k;
    double mu = p->mu[i], s = p->sigma[i];
    double zn = mu < a ? (a - mu) / s : (mu > b ? (mu - b) / s : 0.0);
    double ub = log((b - a) / s) - 0.5 * zn * zn - LOG_SQRT_2PI;
    return (ub > 0 ? 0 : ub) - p->norm[i];
}

static double log_sum_exp(const double *a, size_t n)
{
    double m = -INFINITY;
    for (size_t k = 0; k < n; k++)
        if (a[k] > m) m = a[k];
    if (m == -INFINITY) return -INFINITY;
    double s = 0, cut = m - PRUNE_GAP;
    for (size_t k = 0; k < n; k++)
        if (a[k] > cut) s += exp(a[k] - m);
    return m + log(s);
}

/* Log density of one point; acc, ub: K scratch values each; iv: 2 x n_dims scratch. */
static double point_log_pdf(const knob_parzen *p, const double *x, double *acc, double *ub, double *iv)
{
    size_t D = p->n_dims, K = p->K;
    int any_stepped = 0;
    memcpy(acc, p->log_w, K * sizeof *acc);
    for (size_t d = 0; d < D; d++) {
        if (is_stepped(p, d)) {
            const knob_dist *dd = &p->dims[d];
            if (!(x[d] >= dd->low && x[d] <= dd->high)) return -INFINITY;
            double h = 0.5 * p->q[d];
            iv[2 * d] = fmax(x[d] - h, p->lo[d]);
            iv[2 * d + 1] = fmin(x[d] + h, p->hi[d]);
            any_stepped = 1;
        } else if (!add_cheap(p, d, x[d], acc)) {
            return -INFINITY;
        }
    }
    if (!any_stepped) return log_sum_exp(acc, K);
    /* interval masses need erfc: bound them first, evaluate exactly only where they can matter */
    size_t best = 0;
    for (size_t k = 0; k < K; k++) {
        double u = acc[k];
        for (size_t d = 0; d < D; d++)
            if (is_stepped(p, d)) u += stepped_bound(p, d, k, iv[2 * d], iv[2 * d + 1]);
        ub[k] = u;
        if (u > ub[best]) best = k;
    }
    double m0 = acc[best];
    for (size_t d = 0; d < D; d++)
        if (is_stepped(p, d)) m0 += stepped_term(p, d, best, iv[2 * d], iv[2 * d + 1]);
    for (size_t k = 0; k < K; k++) {
        if (ub[k] < m0 - PRUNE_GAP || acc[k] == -INFINITY) {
            acc[k] = -INFINITY;
            continue;
        }
        for (size_t d = 0; d < D; d++)
            if (is_stepped(p, d)) acc[k] += stepped_term(p, d, k, iv[2 * d], iv[2 * d + 1]);
    }
    return log_sum_exp(acc, K);
}

typedef struct {
    const double *row;
    size_t D, i;
} row_ref;

static int cmp_rows(const void *a, const void *b)
{
    const row_ref *x = a, *y = b;
    for (size_t d = 0; d < x->D; d++)
        if (x->row[d] != y->row[d]) return x->row[d] < y->row[d] ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int knob_parzen_log_pdf(const knob_parzen *p, const double *x, size_t n, double *out, knob_err *err)
{
    size_t D = p->n_dims, K = p->K;
    for (size_t i = 0; i < n * D; i++)
        if (isnan(x[i])) return knob_err_set(err, KNOB_EINVAL, "parzen log_pdf: point %zu, dimension %zu is NaN", i / D + 1, i % D + 1);
    double *acc = malloc((2 * K + 2 * D) * sizeof *acc);
    row_ref *order = malloc((n ? n : 1) * sizeof *order);
    if (!acc || !order) {
        free(acc);
        free(order);
        return knob_err_set(err, KNOB_ENOMEM, "parzen log_pdf: out of memory");
    }
    /* equal points (frequent for discrete candidates) are evaluated once: sort, then reuse neighbours */
    for (size_t i = 0; i < n; i++) order[i] = (row_ref){x + i * D, D, i};
    qsort(order, n, sizeof *order, cmp_rows);
    for (size_t r = 0; r < n; r++) {
        size_t i = order[r].i;
        if (r > 0 && memcmp(order[r].row, order[r - 1].row, D * sizeof *x) == 0) out[i] = out[order[r - 1].i];
        else out[i] = point_log_pdf(p, order[r].row, acc, acc + K, acc + 2 * K);
    }
    free(order);
    free(acc);
    return KNOB_OK;
}

int knob_tpe_choose(const knob_parzen *below, const knob_parzen *above, knob_rng *rng, size_t n_candidates,
                    double *best, double *score, knob_err *err)
{
    size_t D = below->n_dims;
    if (above->n_dims != D) return knob_err_set(err, KNOB_EINVAL, "tpe: estimators have %zu and %zu dimensions", D, above->n_dims);
    for (size_t d = 0; d < D; d++)
        if (memcmp(&below->dims[d], &above->dims[d], sizeof below->dims[d]) != 0)
            return knob_err_set(err, KNOB_EINVAL, "tpe: estimators differ in dimension %zu", d + 1);
    if (n_candidates < 1) return knob_err_set(err, KNOB_EINVAL, "tpe: n_candidates must be >= 1");
    double *cand = malloc((D + 2) * n_candidates * sizeof *cand);
    if (!cand) return knob_err_set(err, KNOB_ENOMEM, "tpe: out of memory (%zu candidates)", n_candidates);
    double *lb = cand + D * n_candidates, *la = lb + n_candidates;
    knob_parzen_sample(below, rng, n_candidates, cand);
    int rc = knob_parzen_log_pdf(below, cand, n_candidates, lb, err);
    if (!rc) rc = knob_parzen_log_pdf(above, cand, n_candidates, la, err);
    if (!rc) {
        size_t bi = 0;
        double bs = lb[0] - la[0];
        for (size_t i = 1; i < n_candidates; i++) {
            double s = lb[i] - la[i];
            if (s > bs) {
                bs = s;
                bi = i;
            }
        }
        memcpy(best, cand + bi * D, D * sizeof *best);
        if (score) *score = bs;
    }
    free(cand);
    return rc;
}

typedef struct {
    double key, value;
    size_t i;
} split_item;

static int cmp_split(const void *a, const void *b)
{
    const split_item *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    int xn = isnan(x->value), yn = isnan(y->value);
    if (xn != yn) return xn - yn;
    if (!xn && x->value != y->value) return x->value < y->value ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int knob_tpe_split(size_t n, const double *keys, const double *values, size_t n_below, unsigned char *below,
                   knob_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(keys[i])) return knob_err_set(err, KNOB_EINVAL, "tpe split: key %zu is NaN", i + 1);
    split_item *it = malloc((n ? n : 1) * sizeof *it);
    if (!it) return knob_err_set(err, KNOB_ENOMEM, "tpe split: out of memory (%zu observations)", n);
    for (size_t i = 0; i < n; i++) it[i] = (split_item){keys[i], values[i], i};
    qsort(it, n, sizeof *it, cmp_split);
    if (n) memset(below, 0, n);
    if (n_below > n) n_below = n;
    for (size_t r = 0; r < n_below; r++) below[it[r].i] = 1;
    free(it);
    return KNOB_OK;
}
