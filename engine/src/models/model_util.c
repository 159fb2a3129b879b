/* model_util.c — small helpers shared by model kinds: weighted median, JSON field readers. */
#include <cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
