/* importance.c — permuted-column copies (permutation importance) and correlation matrices. fANOVA over
 * tree models is in models/fanova.c (it reads the trees). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/importance.h"

knob_dataset *knob_dataset_permute_column(const knob_dataset *ds, size_t j, knob_rng *rng, knob_err *err)
{
    if (j >= ds->frame->n_features) {
        knob_err_set(err, KNOB_EINVAL, "permute: column %zu is out of range (the data has %zu features)", j + 1,
                     ds->frame->n_features);
        return NULL;
    }
    knob_dataset *c = knob_dataset_copy(ds, err);
    if (!c) return NULL;
    size_t n = c->n_rows;
    double *x = c->frame->X + j * n;
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        size_t r = (size_t)knob_rng_below(rng, i);
        double t = x[i - 1];
        x[i - 1] = x[r];
        x[r] = t;
    }
    return c;
}

typedef struct {
    double x;
    size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

/* Replace x[0..n-1] by its ranks (1-based, ties averaged). */
static void to_ranks(double *x, size_t n, ranked *buf)
{
    for (size_t i = 0; i < n; i++) buf[i] = (ranked){x[i], i};
    qsort(buf, n, sizeof *buf, cmp_ranked);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && buf[b].x == buf[a].x) b++;
        double r = 0.5 * (double)(a + 1 + b); /* mean of ranks a+1 .. b */
        for (size_t q = a; q < b; q++) x[buf[q].i] = r;
        a = b;
    }
}

int knob_dataset_correlation(const knob_dataset *ds, const size_t *cols, size_t m, int spearman, double *out,
                             knob_err *err)
{
    size_t n = ds->n_rows, p = ds->frame->n_features;
    if (n < 2) return knob_err_set(err, KNOB_EINVAL, "correlation: needs at least 2 rows (got %zu)", n);
    for (size_t a = 0; a < m; a++)
        if (cols[a] >= p)
            return knob_err_set(err, KNOB_EINVAL, "correlation: column %zu is out of range (the data has %zu features)",
                                cols[a] + 1, p);
    double *z = malloc((m ? m : 1) * n * sizeof *z), *sd = malloc((m ? m : 1) * sizeof *sd);
    ranked *buf = spearman ? malloc(n * sizeof *buf) : NULL;
    if (!z || !sd || (spearman && !buf)) {
        free(z);
        free(sd);
        free(buf);
        return knob_err_set(err, KNOB_ENOMEM, "correlation: out of memory for %zu columns of %zu rows", m, n);
    }
    int rc = KNOB_OK;
    for (size_t a = 0; a < m && !rc; a++) { /* centre each column (ranks first for Spearman) */
        double *x = z + a * n, mean = 0, ss = 0;
        knob_dataset_gather_column(ds, cols[a], x);
        for (size_t i = 0; i < n && !rc; i++)
            if (isnan(x[i]))
                rc = knob_err_set(err, KNOB_EINVAL, "correlation: feature '%s' is missing (NaN) at row %zu",
                                  ds->frame->cols[cols[a]].name, i + 1);
        if (rc) break;
        if (spearman) to_ranks(x, n, buf);
        for (size_t i = 0; i < n; i++) mean += x[i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            x[i] -= mean;
            ss += x[i] * x[i];
        }
        sd[a] = sqrt(ss);
    }
    for (size_t a = 0; a < m && !rc; a++)
        for (size_t b = a; b < m; b++) {
            const double *x = z + a * n, *y = z + b * n;
            double s = 0;
            for (size_t i = 0; i < n; i++) s += x[i] * y[i];
            double r = sd[a] > 0 && sd[b] > 0 ? s / (sd[a] * sd[b]) : NAN;
            if (r > 1) r = 1;
            if (r < -1) r = -1;
            out[a * m + b] = out[b * m + a] = r;
        }
    free(z);
    free(sd);
    free(buf);
    return rc;
}
