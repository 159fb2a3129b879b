/* prep_fit.c — the learning step of each transformer kind, over the rows of a dataset view. Statistics
 * follow scikit-learn 1.2 (StandardScaler, MinMaxScaler, RobustScaler, SimpleImputer, OneHotEncoder,
 * OrdinalEncoder, VarianceThreshold); the correlation filter is knob's own (see prep.h). */
#include "prep_impl.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Move the non-NaN values of v[0..n-1] to the front; returns their count. */
static size_t compact_observed(double *v, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) v[m++] = v[i];
    return m;
}

static void swap_d(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* Reorder a[0..n-1] (no NaN) so that a[k] holds the k-th smallest value, with nothing larger before it
 * and nothing smaller after it. Quickselect with a median-of-three pivot; falls back to sorting the
 * remaining range when the partitions keep coming out lopsided, so it is never quadratic. */
static void select_kth(double *a, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    int budget = 8;
    for (size_t m = n; m > 1; m >>= 1) budget += 2;
    while (hi > lo) {
        if (budget-- == 0) {
            qsort(a + lo, (size_t)(hi - lo + 1), sizeof *a, knob_cmp_double);
            return;
        }
        ptrdiff_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
        if (a[mid] < a[lo]) swap_d(&a[mid], &a[lo]);
        if (a[hi] < a[lo]) swap_d(&a[hi], &a[lo]);
        if (a[hi] < a[mid]) swap_d(&a[hi], &a[mid]);
        double pivot = a[mid];
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) swap_d(&a[i++], &a[j--]);
        }
        if (kk <= j) hi = j;
        else if (kk >= i) lo = i;
        else return; /* j < k < i: a[k] equals the pivot */
    }
}

/* numpy.percentile(x, pct) with linear interpolation (numpy's lerp), on x[0..m-1] (m >= 1, no NaN;
 * reordered). */
static double quantile(double *x, size_t m, double pct)
{
    double pos = pct / 100.0 * (double)(m - 1);
    double fl = floor(pos);
    size_t lo = (size_t)fl;
    if (lo >= m - 1) lo = m - 1;
    select_kth(x, m, lo);
    if (lo == m - 1) return x[lo];
    double a = x[lo], b = x[lo + 1], g = pos - fl;
    for (size_t i = lo + 2; i < m; i++)
        if (x[i] < b) b = x[i];
    double d = b - a;
    return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

/* Mean and population variance as scikit-learn's _incremental_mean_and_var computes them (m >= 1). */
static void mean_var(const double *x, size_t m, double *mean, double *var)
{
    double s = 0;
    for (size_t i = 0; i < m; i++) s += x[i];
    double mu = s / (double)m, corr = 0, sq = 0;
    for (size_t i = 0; i < m; i++) {
        double t = x[i] - mu;
        corr += t;
        sq += t * t;
    }
    *mean = mu;
    *var = (sq - corr * corr / (double)m) / (double)m;
}

/* Most frequent value of sorted x[0..m-1] (m >= 1); ties go to the smallest. */
static double sorted_mode(const double *x, size_t m)
{
    double best = x[0];
    size_t best_n = 0;
    for (size_t i = 0; i < m;) {
        size_t k = i;
        while (k < m && x[k] == x[i]) k++;
        if (k - i > best_n) {
            best_n = k - i;
            best = x[i];
        }
        i = k;
    }
    return best;
}

static int fit_numeric(const knob_prep *p, prep_col *c, double *v, size_t n, knob_err *err)
{
    const knob_prep_params *par = &p->par;
    size_t m = compact_observed(v, n);
    switch (par->kind) {
    case KNOB_PREP_STANDARDIZE:
        if (m == 0) break;
        mean_var(v, m, &c->stat[0], &c->stat[1]);
        {
            double mu = c->stat[0], var = c->stat[1], nm = (double)m;
            double bound = nm * DBL_EPSILON * var + (nm * mu * DBL_EPSILON) * (nm * mu * DBL_EPSILON);
            c->scale = var <= bound ? 1.0 : sqrt(var);
        }
        break;
    case KNOB_PREP_MINMAX:
        if (m == 0) break;
        c->stat[0] = c->stat[1] = v[0];
        for (size_t i = 1; i < m; i++) {
            if (v[i] < c->stat[0]) c->stat[0] = v[i];
            if (v[i] > c->stat[1]) c->stat[1] = v[i];
        }
        break;
    case KNOB_PREP_ROBUST:
        if (m == 0) break;
        c->stat[0] = quantile(v, m, 50);
        c->stat[1] = quantile(v, m, par->q_high) - quantile(v, m, par->q_low);
        if (c->stat[1] < 10 * DBL_EPSILON) c->stat[1] = 1;
        break;
    case KNOB_PREP_IMPUTE:
        if (par->strategy == KNOB_IMPUTE_CONSTANT) {
            c->stat[0] = par->fill_value;
            return KNOB_OK;
        }
        if (m == 0) goto undefined;
        if (par->strategy == KNOB_IMPUTE_MEAN) {
            double s = 0;
            for (size_t i = 0; i < m; i++) s += v[i];
            c->stat[0] = s / (double)m;
        } else if (par->strategy == KNOB_IMPUTE_MEDIAN) {
            c->stat[0] = quantile(v, m, 50);
        } else {
            qsort(v, m, sizeof *v, knob_cmp_double);
            c->stat[0] = sorted_mode(v, m);
        }
        return KNOB_OK;
    case KNOB_PREP_VARIANCE:
        if (m == 0) {
            c->stat[0] = NAN;
        } else {
            double mu, var, lo = v[0], hi = v[0];
            mean_var(v, m, &mu, &var);
            for (size_t i = 1; i < m; i++) {
                if (v[i] < lo) lo = v[i];
                if (v[i] > hi) hi = v[i];
            }
            c->stat[0] = hi == lo ? 0 : var; /* a constant column has variance 0 exactly, not rounding noise */
        }
        if (!(c->stat[0] > par->threshold)) c->role = PREP_DROP;
        return KNOB_OK;
    default:
        return KNOB_OK;
    }
    if (m == 0) c->role = PREP_PASS; /* scalers: nothing observed, pass the column through */
    return KNOB_OK;
undefined:
    return knob_err_set(err, KNOB_EUNDEF,
                        "impute: column '%s' has no observed value in the %zu training rows, so its %s is undefined "
                        "(drop the column or use strategy 'constant')",
                        c->name, n, par->strategy == KNOB_IMPUTE_MEAN ? "mean"
                                    : par->strategy == KNOB_IMPUTE_MEDIAN ? "median" : "most frequent value");
}

/* Categorical columns: the levels seen (onehot, ordinal) or the fill level (impute). */
static int fit_categorical(const knob_prep *p, prep_col *c, const double *v, size_t n, size_t *counts,
                           knob_err *err)
{
    const knob_prep_params *par = &p->par;
    const char *kn = knob_prep_kind_name(par->kind);
    if (par->kind == KNOB_PREP_IMPUTE && par->strategy == KNOB_IMPUTE_CONSTANT) {
        c->fill_level = knob_strdup(par->fill_level);
        return c->fill_level ? KNOB_OK : knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    memset(counts, 0, (c->n_levels ? c->n_levels : 1) * sizeof *counts);
    int seen_nan = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) {
            if (par->kind == KNOB_PREP_ONEHOT && par->missing == KNOB_MISSING_ERROR)
                return knob_err_set(err, KNOB_EINVAL, "onehot: column '%s' row %zu: missing value (option missing = "
                                                      "'error'; use missing = 'category' to encode it)", c->name, i + 1);
            seen_nan = 1;
            continue;
        }
        if (!(v[i] >= 0 && v[i] < (double)c->n_levels && v[i] == floor(v[i])))
            return knob_err_set(err, KNOB_EINVAL, "%s: column '%s' row %zu: invalid level code %g (%zu levels)", kn,
                                c->name, i + 1, v[i], c->n_levels);
        counts[(size_t)v[i]]++;
    }
    if (par->kind == KNOB_PREP_IMPUTE) { /* most_frequent; ties go to the first name in byte order */
        size_t best = (size_t)-1;
        for (size_t k = 0; k < c->n_levels; k++)
            if (counts[k] && (best == (size_t)-1 || counts[k] > counts[best] ||
                              (counts[k] == counts[best] && strcmp(c->levels[k], c->levels[best]) < 0)))
                best = k;
        if (best == (size_t)-1)
            return knob_err_set(err, KNOB_EUNDEF,
                                "impute: column '%s' has no observed value in the %zu training rows, so its most "
                                "frequent level is undefined (drop the column or use strategy 'constant')",
                                c->name, n);
        c->fill_level = knob_strdup(c->levels[best]);
        return c->fill_level ? KNOB_OK : knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    size_t n_seen = 0;
    for (size_t k = 0; k < c->n_levels; k++) n_seen += counts[k] != 0;
    if (!(c->cats = calloc(n_seen ? n_seen : 1, sizeof(char *)))) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    for (size_t k = 0; k < c->n_levels; k++) {
        if (!counts[k]) continue;
        if (!(c->cats[c->n_cats] = knob_strdup(c->levels[k]))) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        c->n_cats++;
    }
    prep_sort_strings(c->cats, c->n_cats);
    c->nan_cat = par->kind == KNOB_PREP_ONEHOT && seen_nan;
    if (par->kind == KNOB_PREP_ORDINAL && par->handle_unknown == KNOB_UNKNOWN_VALUE && !isnan(par->unknown_value) &&
        par->unknown_value >= 0 && par->unknown_value < (double)c->n_cats)
        return knob_err_set(err, KNOB_EINVAL,
                            "ordinal: unknown_value %g is already the code of level '%s' of column '%s' (use a "
                            "negative value or NaN)", par->unknown_value, c->cats[(size_t)par->unknown_value], c->name);
    return KNOB_OK;
}

/* ---- correlation filter ---- */

typedef struct {
    const double *x;  /* n values (NaN = missing) */
    double *z;        /* complete non-constant column: (x - mean) / ||x - mean||, else NULL */
} corr_col;

/* Pearson r of columns a and b over the rows where both are observed; NaN when undefined. */
static double pearson(const corr_col *a, const corr_col *b, size_t n)
{
    double r;
    if (a->z && b->z) { /* four partial sums in a fixed order: vectorizable and deterministic */
        double s[4] = {0, 0, 0, 0};
        size_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (int u = 0; u < 4; u++) s[u] += a->z[i + u] * b->z[i + u];
        for (; i < n; i++) s[0] += a->z[i] * b->z[i];
        r = (s[0] + s[1]) + (s[2] + s[3]);
    } else {
        size_t c = 0;
        double ma = 0, mb = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(a->x[i]) && !isnan(b->x[i])) {
                ma += a->x[i];
                mb += b->x[i];
                c++;
            }
        if (c < 2) return NAN;
        ma /= (double)c;
        mb /= (double)c;
        double sab = 0, saa = 0, sbb = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(a->x[i]) && !isnan(b->x[i])) {
                double da = a->x[i] - ma, db = b->x[i] - mb;
                sab += da * db;
                saa += da * da;
                sbb += db * db;
            }
        if (saa == 0 || sbb == 0) return NAN;
        r = sab / sqrt(saa * sbb);
    }
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

static int fit_corr(const knob_prep *p, prep_state *st, const knob_dataset *ds, double *vals, knob_err *err)
{
    size_t n = ds->n_rows, q = 0;
    for (size_t j = 0; j < st->n_in; j++) q += st->cols[j].role == PREP_XFORM;
    corr_col *cc = calloc(q ? q : 1, sizeof *cc);
    size_t *at = malloc((q ? q : 1) * sizeof *at);
    double *zs = malloc((n && q ? n * q : 1) * sizeof *zs);
    if (!cc || !at || !zs) {
        free(cc), free(at), free(zs);
        return knob_err_set(err, KNOB_ENOMEM, "corr_filter: out of memory (%zu x %zu values)", n, q);
    }
    size_t k = 0;
    for (size_t j = 0; j < st->n_in; j++) {
        if (st->cols[j].role != PREP_XFORM) continue;
        at[k] = j;
        cc[k].x = vals + k * n;
        k++;
    }
    for (k = 0; k < q; k++) {
        const double *x = cc[k].x;
        size_t miss = 0;
        double s = 0;
        for (size_t i = 0; i < n; i++) {
            if (isnan(x[i])) miss++;
            else s += x[i];
        }
        if (miss) continue;
        double mu = s / (double)n, ss = 0, *z = zs + k * n;
        for (size_t i = 0; i < n; i++) {
            z[i] = x[i] - mu;
            ss += z[i] * z[i];
        }
        if (!(ss > 0)) continue;
        double inv = 1 / sqrt(ss);
        for (size_t i = 0; i < n; i++) z[i] *= inv;
        cc[k].z = z;
    }
    /* keep the first of every correlated pair: scan in column order, a dropped column drops nothing */
    for (size_t a = 0; a < q; a++) {
        if (st->cols[at[a]].role == PREP_DROP) continue;
        for (size_t b = a + 1; b < q; b++) {
            prep_col *cb = &st->cols[at[b]];
            if (cb->role == PREP_DROP) continue;
            double r = pearson(&cc[a], &cc[b], n);
            if (fabs(r) > p->par.threshold) {
                cb->role = PREP_DROP;
                cb->partner = at[a];
                cb->r = r;
            }
        }
    }
    free(cc), free(at), free(zs);
    return KNOB_OK;
}

/* ---- driver ---- */

static int check_finite(const char *kn, const prep_col *c, const double *v, size_t n, knob_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (isinf(v[i]))
            return knob_err_set(err, KNOB_EINVAL, "%s: column '%s' row %zu: infinite value", kn, c->name, i + 1);
    return KNOB_OK;
}

int prep_fit_columns(const knob_prep *p, prep_state *st, const knob_dataset *ds, knob_err *err)
{
    const char *kn = knob_prep_kind_name(p->par.kind);
    size_t n = ds->n_rows, q = 0, max_levels = 1;
    if (p->par.kind == KNOB_PREP_POLY) return KNOB_OK; /* the schema is all poly learns */
    for (size_t j = 0; j < st->n_in; j++) {
        q += st->cols[j].role == PREP_XFORM;
        if (st->cols[j].n_levels > max_levels) max_levels = st->cols[j].n_levels;
    }
    /* the correlation filter needs every processed column at once; the others one at a time */
    size_t width = p->par.kind == KNOB_PREP_CORR ? q : 1;
    if (width && n > ((size_t)-1) / sizeof(double) / width)
        return knob_err_set(err, KNOB_ENOMEM, "%s: %zu x %zu values are too many", kn, n, width);
    double *vals = malloc((n && width ? n * width : 1) * sizeof *vals);
    size_t *counts = malloc(max_levels * sizeof *counts);
    int rc = KNOB_OK;
    if (!vals || !counts) {
        rc = knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", kn);
        goto done;
    }
    size_t k = 0;
    for (size_t j = 0; j < st->n_in && !rc; j++) {
        prep_col *c = &st->cols[j];
        if (c->role != PREP_XFORM) continue;
        double *v = vals + (width == 1 ? 0 : k++ * n);
        knob_dataset_gather_column(ds, j, v);
        if (c->kind == KNOB_COL_CATEGORICAL) rc = fit_categorical(p, c, v, n, counts, err);
        else if (!(rc = check_finite(kn, c, v, n, err)) && p->par.kind != KNOB_PREP_CORR)
            rc = fit_numeric(p, c, v, n, err);
    }
    if (!rc && p->par.kind == KNOB_PREP_CORR) rc = fit_corr(p, st, ds, vals, err);
done:
    free(vals);
    free(counts);
    return rc;
}
