/* linear_common.c — design matrix, column moments, importances and iteration reports shared by the linear
 * model kinds. See linear_common.h. */
#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/json_io.h"
#include "linear_common.h"
#include "model_impl.h"

int knob_design_init(knob_design *d, const knob_schema *s, knob_err *err)
{
    memset(d, 0, sizeof *d);
    d->n_in = s->n_features;
    d->first = malloc((d->n_in + 1) * sizeof *d->first);
    if (!d->first) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    d->all_numeric = 1;
    size_t c = 0;
    for (size_t j = 0; j < d->n_in; j++) {
        d->first[j] = c;
        if (s->kinds[j] == KNOB_COL_CATEGORICAL) {
            c += s->n_levels[j];
            d->all_numeric = 0;
        } else {
            c++;
        }
    }
    d->first[d->n_in] = c;
    d->p = c;
    return KNOB_OK;
}

void knob_design_free(knob_design *d)
{
    free(d->first);
    memset(d, 0, sizeof *d);
}

static int bad_value(const char *kind, const knob_schema *s, size_t j, size_t i, double v, knob_err *err)
{
    return knob_err_set(err, KNOB_EINVAL,
                        "%s: feature '%s' has %s value at row %zu; linear models need complete numeric data "
                        "(impute it first, e.g. with knob.prep.impute)",
                        kind, s->names[j], isnan(v) ? "a missing" : "an infinite", i + 1);
}

void knob_dmat_free(knob_dmat *a)
{
    free(a->owned);
    memset(a, 0, sizeof *a);
}

/* Index of the first non-finite value of x[0..n-1], or n. */
static size_t first_nonfinite(const double *x, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) /* x * 0 is NaN exactly when x is NaN or infinite */
        if (isnan(x[i] * 0 + x[i + 1] * 0 + x[i + 2] * 0 + x[i + 3] * 0)) break;
    for (; i < n; i++)
        if (!isfinite(x[i])) return i;
    return n;
}

/* Non-zero when the view's rows are the frame rows first, first + 1, ... (a window BLAS can use in place). */
static int consecutive_rows(const knob_dataset *ds, size_t *first)
{
    *first = ds->rows && ds->n_rows ? ds->rows[0] : 0;
    if (!ds->rows) return 1;
    for (size_t i = 1; i < ds->n_rows; i++)
        if (ds->rows[i] != *first + i) return 0;
    return 1;
}

int knob_design_matrix(const knob_design *d, const knob_schema *s, const knob_dataset *ds, int fitting, int copy,
                       const char *kind, knob_dmat *out, knob_err *err)
{
    const knob_frame *f = ds->frame;
    size_t n = ds->n_rows, first;
    memset(out, 0, sizeof *out);
    out->n = n;
    int window = consecutive_rows(ds, &first);
    if (!copy && d->all_numeric && f->n_rows <= INT_MAX && window) {
        for (size_t j = 0; j < d->n_in; j++) {
            const double *col = f->X + j * f->n_rows + first;
            size_t i = first_nonfinite(col, n);
            if (i < n) return bad_value(kind, s, j, i, col[i], err);
        }
        out->X = f->X + first;
        out->ld = f->n_rows;
        return KNOB_OK;
    }
    double *M = malloc((n && d->p ? n * d->p : 1) * sizeof *M);
    if (!M) return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory for a %zu x %zu design matrix", kind, n, d->p);
    for (size_t j = 0; j < d->n_in; j++) {
        double *col = M + d->first[j] * n;
        const double *src = f->X + j * f->n_rows;
        if (s->kinds[j] != KNOB_COL_CATEGORICAL) {
            if (window) memcpy(col, src + first, n * sizeof *col);
            else
                for (size_t i = 0; i < n; i++) col[i] = src[knob_dataset_row(ds, i)];
            size_t i = first_nonfinite(col, n);
            if (i < n) {
                double v = col[i];
                free(M);
                return bad_value(kind, s, j, i, v, err);
            }
            continue;
        }
        size_t L = d->first[j + 1] - d->first[j];
        memset(col, 0, L * n * sizeof *col);
        for (size_t i = 0; i < n; i++) {
            double v = src[knob_dataset_row(ds, i)];
            if (isnan(v)) {
                if (!fitting) continue; /* unknown or missing level: all indicators zero */
                free(M);
                return bad_value(kind, s, j, i, v, err);
            }
            size_t code = (size_t)v;
            if (v >= 0 && code < L) col[code * n + i] = 1.0;
        }
    }
    out->X = out->owned = M;
    out->ld = n;
    return KNOB_OK;
}

/* sum_i w_i (x_i - mu)^k for k = 1 (pow2 = 0) or 2 (w NULL: all 1), with four interleaved partial sums in a
 * fixed order (deterministic) so the additions pipeline; one branch-free loop per case. */
#define SUM4(expr)                                                                                                     \
    do {                                                                                                               \
        for (; i + 4 <= n; i += 4)                                                                                     \
            for (int u = 0; u < 4; u++) {                                                                              \
                size_t k = i + u;                                                                                      \
                acc[u] += (expr);                                                                                      \
            }                                                                                                          \
        for (size_t k = i; k < n; k++) acc[0] += (expr);                                                               \
    } while (0)

static double weighted_sum(const double *x, const double *w, size_t n, double mu, int pow2)
{
    double acc[4] = {0, 0, 0, 0};
    size_t i = 0;
    if (!w && !pow2) SUM4(x[k]);
    else if (!w) SUM4((x[k] - mu) * (x[k] - mu));
    else if (!pow2) SUM4(w[k] * x[k]);
    else SUM4(w[k] * (x[k] - mu) * (x[k] - mu));
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}
#undef SUM4

double knob_column_moments(const knob_dmat *a, size_t p, const double *w, double *mean, double *sd)
{
    size_t n = a->n;
    double S = w ? 0 : (double)n;
    for (size_t i = 0; w && i < n; i++) S += w[i];
    for (size_t c = 0; c < p; c++) {
        const double *col = a->X + c * a->ld;
        double mu = S > 0 ? weighted_sum(col, w, n, 0, 0) / S : 0;
        mean[c] = mu;
        sd[c] = S > 0 ? sqrt(weighted_sum(col, w, n, mu, 1) / S) : 0;
    }
    return S;
}

void knob_design_importances(const knob_design *d, const double *coef, size_t m, const double *sd, double *out)
{
    double total = 0;
    for (size_t j = 0; j < d->n_in; j++) {
        double v = 0;
        for (size_t c = d->first[j]; c < d->first[j + 1]; c++)
            for (size_t k = 0; k < m; k++) v += fabs(coef[k * d->p + c]) * sd[c];
        out[j] = v;
        total += v;
    }
    if (total > 0)
        for (size_t j = 0; j < d->n_in; j++) out[j] /= total;
}

int knob_linear_report(knob_model *m, const knob_fit_opts *o, size_t iteration, double train_loss,
                       double valid_loss, double valid_metric, knob_err *err)
{
    knob_iter_info info = {iteration, train_loss, valid_loss, valid_metric, NAN};
    int rc = knob_history_push(&m->history, &info, err);
    if (rc) return rc;
    if (!o->callback) return 0;
    rc = o->callback(o->callback_ud, &info, err);
    return rc < 0 ? rc : rc ? 1 : 0;
}

knob_linear_state *knob_linear_state_new(knob_model *m, size_t outputs, size_t kf, knob_err *err)
{
    knob_linear_state *s = calloc(1, sizeof *s);
    if (!s) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        return NULL;
    }
    m->state = s;
    if (knob_design_init(&s->d, &m->schema, err)) return NULL;
    size_t p = s->d.p;
    s->m = outputs;
    s->kf = kf;
    s->coef = calloc(p && outputs ? p * outputs : 1, sizeof *s->coef);
    s->intercept = calloc(outputs ? outputs : 1, sizeof *s->intercept);
    s->scale = calloc(p ? p : 1, sizeof *s->scale);
    s->cls = kf ? calloc(kf, sizeof *s->cls) : NULL;
    if (!s->coef || !s->intercept || !s->scale || (kf && !s->cls)) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        return NULL;
    }
    return s;
}

void knob_linear_state_free(knob_model *m)
{
    knob_linear_state *s = m->state;
    if (s) {
        knob_design_free(&s->d);
        free(s->coef);
        free(s->intercept);
        free(s->scale);
        free(s->cls);
        free(s);
    }
    m->state = NULL;
}

int knob_linear_state_save(const knob_model *m, cJSON *obj, knob_err *err)
{
    const knob_linear_state *s = m->state;
    int ok = 1;
    if (s->kf) {
        cJSON *cls = cJSON_AddArrayToObject(obj, "classes");
        ok = cls != NULL;
        for (size_t k = 0; cls && k < s->kf; k++) cJSON_AddItemToArray(cls, cJSON_CreateNumber((double)s->cls[k]));
    }
    cJSON *coef = knob_json_exact_array(s->coef, s->d.p * s->m), *b = knob_json_exact_array(s->intercept, s->m);
    cJSON *scale = knob_json_exact_array(s->scale, s->d.p);
    if (coef) cJSON_AddItemToObject(obj, "coef", coef);
    if (b) cJSON_AddItemToObject(obj, "intercept", b);
    if (scale) cJSON_AddItemToObject(obj, "scale", scale);
    return ok && coef && b && scale ? KNOB_OK : knob_err_set(err, KNOB_ENOMEM, "out of memory");
}

/* Replace *dst with the JSON array field (exactly n numbers). */
static int load_doubles(const cJSON *obj, const char *name, const char *field, size_t n, double **dst, knob_err *err)
{
    double *v = knob_json_doubles(cJSON_GetObjectItemCaseSensitive(obj, name), n, field, err);
    if (!v) return KNOB_EPARSE;
    free(*dst);
    *dst = v;
    return KNOB_OK;
}

int knob_linear_state_load(knob_linear_state *s, const cJSON *obj, knob_err *err)
{
    int rc = load_doubles(obj, "coef", "state.coef", s->d.p * s->m, &s->coef, err);
    if (!rc) rc = load_doubles(obj, "intercept", "state.intercept", s->m, &s->intercept, err);
    if (!rc) rc = load_doubles(obj, "scale", "state.scale", s->d.p, &s->scale, err);
    return rc;
}

int knob_linear_importances(const knob_model *m, double *out, knob_err *err)
{
    (void)err;
    const knob_linear_state *s = m->state;
    knob_design_importances(&s->d, s->coef, s->m, s->scale, out);
    return KNOB_OK;
}

size_t knob_linear_n_learned(const knob_model *m)
{
    const knob_linear_state *s = m->state;
    return s->m * (s->d.p + (knob_params_num(&m->params, "fit_intercept") != 0));
}

size_t knob_linear_state_bytes(const knob_model *m)
{
    const knob_linear_state *s = m->state;
    return sizeof *s + (s->d.p * s->m + s->m + s->d.p) * sizeof(double) + (s->kf + s->d.n_in + 1) * sizeof(size_t);
}
