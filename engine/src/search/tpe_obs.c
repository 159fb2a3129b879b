/* tpe_obs.c — TPE's column store of observations (search.h: knob_tpe_obs_*). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/search.h"

#define MAX_COLS 100000

struct knob_tpe_obs {
    size_t n, cap;           /* rows */
    double *number, *key, *value;
    double **col;            /* n_cols columns of cap values (NaN: absent) */
    size_t n_cols;
    size_t *order;           /* rows by trial number (after split) */
    unsigned char *below;    /* per position in order: in the good group */
    size_t split_rows;       /* rows at the last split; (size_t)-1 when stale */
};

int knob_tpe_obs_new(knob_tpe_obs **out, knob_err *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return knob_err_set(err, KNOB_ENOMEM, "tpe observations: out of memory");
    (*out)->split_rows = (size_t)-1;
    return KNOB_OK;
}

void knob_tpe_obs_free(knob_tpe_obs **oo)
{
    if (!oo || !*oo) return;
    knob_tpe_obs *o = *oo;
    for (size_t c = 0; c < o->n_cols; c++) free(o->col[c]);
    free(o->col);
    free(o->number);
    free(o->order);
    free(o->below);
    free(o);
    *oo = NULL;
}

size_t knob_tpe_obs_rows(const knob_tpe_obs *o)
{
    return o->n;
}

static void fill_nan(double *a, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) a[i] = NAN;
}

static int grow(knob_tpe_obs *o, size_t need, knob_err *err)
{
    if (need <= o->cap) return KNOB_OK;
    size_t cap = o->cap ? o->cap : 64;
    while (cap < need) cap *= 2;
    double *rows = realloc(o->number, 3 * cap * sizeof *rows);
    size_t *order = realloc(o->order, cap * sizeof *order);
    if (order) o->order = order;
    unsigned char *below = order ? realloc(o->below, cap) : NULL;
    if (below) o->below = below;
    if (rows) { /* the data still sits at the old offsets until moved below */
        o->number = rows;
        o->key = rows + o->cap;
        o->value = rows + 2 * o->cap;
    }
    if (!rows || !order || !below)
        return knob_err_set(err, KNOB_ENOMEM, "tpe observations: out of memory (%zu rows)", cap);
    /* number | key | value, each cap long: move the old blocks up to their new offsets */
    memmove(rows + 2 * cap, rows + 2 * o->cap, o->n * sizeof *rows);
    memmove(rows + cap, rows + o->cap, o->n * sizeof *rows);
    o->number = rows;
    o->key = rows + cap;
    o->value = rows + 2 * cap;
    for (size_t c = 0; c < o->n_cols; c++) {
        double *a = realloc(o->col[c], cap * sizeof *a);
        if (!a) return knob_err_set(err, KNOB_ENOMEM, "tpe observations: out of memory (%zu rows)", cap);
        fill_nan(a, o->cap, cap);
        o->col[c] = a;
    }
    o->cap = cap;
    return KNOB_OK;
}

int knob_tpe_obs_add(knob_tpe_obs *o, double number, double key, double value, knob_err *err)
{
    if (isnan(number) || isnan(key)) return knob_err_set(err, KNOB_EINVAL, "tpe observations: NaN trial number or key");
    int rc = grow(o, o->n + 1, err);
    if (rc) return rc;
    o->number[o->n] = number;
    o->key[o->n] = key;
    o->value[o->n] = value;
    for (size_t c = 0; c < o->n_cols; c++) o->col[c][o->n] = NAN;
    o->n++;
    o->split_rows = (size_t)-1;
    return KNOB_OK;
}

int knob_tpe_obs_set(knob_tpe_obs *o, size_t row, size_t col, double v, knob_err *err)
{
    if (row >= o->n) return knob_err_set(err, KNOB_EINVAL, "tpe observations: row %zu of %zu", row, o->n);
    if (col >= MAX_COLS) return knob_err_set(err, KNOB_EINVAL, "tpe observations: column %zu is too large", col);
    if (col >= o->n_cols) {
        double **cols = realloc(o->col, (col + 1) * sizeof *cols);
        if (!cols) return knob_err_set(err, KNOB_ENOMEM, "tpe observations: out of memory");
        o->col = cols;
        for (size_t c = o->n_cols; c <= col; c++) {
            cols[c] = malloc((o->cap ? o->cap : 1) * sizeof **cols);
            if (!cols[c]) {
                o->n_cols = c;
                return knob_err_set(err, KNOB_ENOMEM, "tpe observations: out of memory");
            }
            fill_nan(cols[c], 0, o->cap ? o->cap : 1);
        }
        o->n_cols = col + 1;
    }
    o->col[col][row] = v;
    return KNOB_OK;
}

void knob_tpe_obs_truncate(knob_tpe_obs *o, size_t rows)
{
    if (rows < o->n) {
        for (size_t c = 0; c < o->n_cols; c++) fill_nan(o->col[c], rows, o->n);
        o->n = rows;
        o->split_rows = (size_t)-1;
    }
}

typedef struct {
    double number;
    size_t row;
} by_number;

static int cmp_number(const void *a, const void *b)
{
    const by_number *x = a, *y = b;
    if (x->number != y->number) return x->number < y->number ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

int knob_tpe_obs_split(knob_tpe_obs *o, size_t n_below, knob_err *err)
{
    size_t n = o->n;
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++) sorted = o->number[i - 1] <= o->number[i];
    double *kv = malloc((2 * n + 1) * sizeof *kv);
    by_number *bn = sorted ? NULL : malloc(n * sizeof *bn);
    if (!kv || (!sorted && !bn)) {
        free(kv);
        free(bn);
        return knob_err_set(err, KNOB_ENOMEM, "tpe observations: out of memory");
    }
    if (sorted) {
        for (size_t i = 0; i < n; i++) o->order[i] = i;
    } else {
        for (size_t i = 0; i < n; i++) bn[i] = (by_number){o->number[i], i};
        qsort(bn, n, sizeof *bn, cmp_number);
        for (size_t i = 0; i < n; i++) o->order[i] = bn[i].row;
        free(bn);
    }
    for (size_t p = 0; p < n; p++) {
        kv[p] = o->key[o->order[p]];
        kv[n + p] = o->value[o->order[p]];
    }
    int rc = knob_tpe_split(n, kv, kv + n, n_below, o->below, err);
    free(kv);
    if (rc) return rc;
    o->split_rows = n;
    return KNOB_OK;
}

/* Is v a value of d (mirrors knob.space.contains; categorical: a choice index)? */
static int dist_contains(const knob_dist *d, double v)
{
    if (isnan(v)) return 0;
    if (d->kind == KNOB_DIST_CATEGORICAL) return v >= 0 && v < (double)d->n_choices && v == floor(v);
    if (v < d->low || v > d->high) return 0;
    double step = d->kind == KNOB_DIST_INT && d->step < 1 ? 1 : d->step;
    if (d->kind == KNOB_DIST_INT) return v == floor(v) && fmod(v - d->low, step) == 0;
    if (step > 0) {
        double x = (v - d->low) / step;
        return fabs(x - floor(x + 0.5)) <= 1e-8 * fmax(1, fabs(x));
    }
    return 1;
}

/* The rows of the last split whose values of cols all lie in dims, in trial-number order: written to below /
 * above (n x D each, may be NULL to count only); counts in *nb, *na. */
static void gather(const knob_tpe_obs *o, const size_t *cols, const knob_dist *dims, size_t D, double *below,
                   double *above, size_t *nb, size_t *na)
{
    *nb = *na = 0;
    for (size_t p = 0; p < o->n; p++) {
        size_t row = o->order[p];
        double *dst = !below ? NULL : (o->below[p] ? below + *nb * D : above + *na * D);
        int ok = 1;
        for (size_t d = 0; d < D && ok; d++) {
            double v = cols[d] < o->n_cols ? o->col[cols[d]][row] : NAN;
            ok = dist_contains(&dims[d], v);
            if (dst) dst[d] = v;
        }
        if (ok) {
            if (o->below[p]) (*nb)++;
            else (*na)++;
        }
    }
}

static int check_sample_args(const knob_tpe_obs *o, const knob_dist *dims, size_t n_dims, knob_err *err)
{
    if (o->split_rows != o->n) return knob_err_set(err, KNOB_ESTATE, "tpe observations: changed since the last split");
    if (n_dims == 0) return knob_err_set(err, KNOB_EINVAL, "tpe observations: no dimensions");
    for (size_t d = 0; d < n_dims; d++) {
        int rc = knob_dist_check(&dims[d], "tpe observations", err);
        if (rc) return rc;
    }
    return KNOB_OK;
}

int knob_tpe_obs_count(const knob_tpe_obs *o, const size_t *cols, const knob_dist *dims, size_t n_dims,
                       size_t *n_below, size_t *n_above, knob_err *err)
{
    int rc = check_sample_args(o, dims, n_dims, err);
    if (rc) return rc;
    gather(o, cols, dims, n_dims, NULL, NULL, n_below, n_above);
    return KNOB_OK;
}

int knob_tpe_obs_sample(const knob_tpe_obs *o, const size_t *cols, const knob_dist *dims, size_t n_dims,
                        const knob_parzen_opts *opts, const double *weights_below, const double *weights_above,
                        knob_rng *rng, size_t n_candidates, double *best, double *score, knob_err *err)
{
    int rc = check_sample_args(o, dims, n_dims, err);
    if (rc) return rc;
    size_t n = o->n, D = n_dims, nb, na;
    double *buf = malloc((2 * n * D + 1) * sizeof *buf);
    if (!buf) return knob_err_set(err, KNOB_ENOMEM, "tpe observations: out of memory");
    gather(o, cols, dims, D, buf, buf + n * D, &nb, &na);
    knob_parzen *pb = NULL, *pa = NULL;
    rc = knob_parzen_new(&pb, dims, D, buf, nb, weights_below, opts, err);
    if (!rc) rc = knob_parzen_new(&pa, dims, D, buf + n * D, na, weights_above, opts, err);
    if (!rc) rc = knob_tpe_choose(pb, pa, rng, n_candidates, best, score, err);
    knob_parzen_free(&pb);
    knob_parzen_free(&pa);
    free(buf);
    return rc;
}
