/* model_util.c — small helpers shared by model kinds: weighted median, JSON field readers, dense numeric rows. */
#include <cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/json_io.h"
#include "model_impl.h"

typedef struct {
    double y, w;
} yw_pair;

static int cmp_pair(const void *a, const void *b)
{
    double x = ((const yw_pair *)a)->y, z = ((const yw_pair *)b)->y;
    return (x > z) - (x < z);
}

double knob_weighted_median(const double *y, const double *w, size_t n)
{
    if (n == 0) return 0;
    yw_pair *p = malloc(n * sizeof *p);
    if (!p) return 0;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        p[i].y = y[i];
        p[i].w = w ? w[i] : 1.0;
        total += p[i].w;
    }
    qsort(p, n, sizeof *p, cmp_pair);
    double r;
    if (!w) {
        r = n % 2 ? p[n / 2].y : 0.5 * (p[n / 2 - 1].y + p[n / 2].y);
    } else {
        double acc = 0;
        size_t i = 0;
        for (; i < n; i++) {
            acc += p[i].w;
            if (acc >= 0.5 * total) break;
        }
        r = p[i < n ? i : n - 1].y;
    }
    free(p);
    return r;
}

double *knob_json_doubles(const cJSON *arr, size_t n, const char *field, knob_err *err)
{
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != n) {
        knob_err_set(err, KNOB_EPARSE, "model file: field '%s' must be an array of %zu numbers", field, n);
        return NULL;
    }
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        return NULL;
    }
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) { /* 1e999 parses as inf, saved as null */
            free(v);
            knob_err_set(err, KNOB_EPARSE, "model file: field '%s' entry %zu is not a finite number", field, k + 1);
            return NULL;
        }
        v[k++] = e->valuedouble;
    }
    return v;
}

int knob_json_number(const cJSON *item, const char *field, double *out, knob_err *err)
{
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
        return knob_err_set(err, KNOB_EPARSE, "model file: field '%s' must be a finite number", field);
    *out = item->valuedouble;
    return KNOB_OK;
}

void knob_describe_printf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

int knob_check_dense(const knob_dataset *ds, const char *kind, knob_err *err)
{
    const knob_frame *f = ds->frame;
    for (size_t j = 0; j < f->n_features; j++) {
        if (f->cols[j].kind == KNOB_COL_CATEGORICAL)
            return knob_err_set(err, KNOB_EINVAL, "%s: feature '%s' is categorical; encode it first (e.g. knob.prep.onehot)",
                                kind, f->cols[j].name);
        const double *col = f->X + j * f->n_rows;
        for (size_t i = 0; i < ds->n_rows; i++) {
            double v = col[knob_dataset_row(ds, i)];
            if (!isfinite(v))
                return knob_err_set(err, KNOB_EINVAL, "%s: feature '%s' has %s at row %zu (%s)", kind, f->cols[j].name,
                                    isnan(v) ? "a missing value" : "an infinite value", i + 1,
                                    isnan(v) ? "impute it first, e.g. knob.prep.impute" : "values must be finite");
        }
    }
    return KNOB_OK;
}

void knob_gather_rows(const knob_dataset *ds, size_t r0, size_t nr, double *out)
{
    const knob_frame *f = ds->frame;
    size_t p = f->n_features;
    for (size_t j = 0; j < p; j++) {
        const double *col = f->X + j * f->n_rows;
        for (size_t r = 0; r < nr; r++) out[r * p + j] = col[knob_dataset_row(ds, r0 + r)];
    }
}

int knob_json_state_doubles(const cJSON *obj, const char *name, size_t n, double *dst, double lo, double hi,
                            int integral, knob_err *err)
{
    char field[64];
    snprintf(field, sizeof field, "state.%s", name);
    double *v = knob_json_doubles(cJSON_GetObjectItemCaseSensitive(obj, name), n, field, err);
    if (!v) return err ? err->code : KNOB_EPARSE;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]) || v[i] < lo || v[i] > hi || (integral && v[i] != floor(v[i]))) {
            free(v);
            return knob_err_set(err, KNOB_EPARSE, "model file: field '%s' entry %zu must be a finite %s in [%g, %g]",
                                field, i + 1, integral ? "whole number" : "number", lo, hi);
        }
    if (n) memcpy(dst, v, n * sizeof *dst);
    free(v);
    return KNOB_OK;
}

int knob_json_add_doubles(cJSON *obj, const char *name, const double *v, size_t n, knob_err *err)
{
    cJSON *raw = knob_json_exact_array(v, n);
    if (!raw || !cJSON_AddItemToObject(obj, name, raw)) {
        cJSON_Delete(raw);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory writing '%s'", name);
    }
    return KNOB_OK;
}
