/* schema.c — remembering a dataset's column schema and aligning new data to it by name. */
#include "knob/schema.h"
#include "knob/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char **dup_strs(char *const *src, size_t n, int *fail)
{
    if (!n) return NULL;
    char **d = calloc(n, sizeof *d);
    if (!d) {
        *fail = 1;
        return NULL;
    }
    for (size_t k = 0; k < n; k++)
        if (!(d[k] = knob_strdup(src[k]))) *fail = 1;
    return d;
}

void knob_schema_free(knob_schema *s)
{
    for (size_t j = 0; j < s->n_features; j++) {
        if (s->names) free(s->names[j]);
        if (s->levels) knob_free_strings(s->levels[j], s->n_levels[j]);
    }
    free(s->names);
    free(s->kinds);
    free(s->n_levels);
    free(s->levels);
    free(s->target_name);
    knob_free_strings(s->classes, s->n_classes);
    memset(s, 0, sizeof *s);
}

static int schema_alloc(knob_schema *s, size_t p)
{
    memset(s, 0, sizeof *s);
    s->n_features = p;
    s->names = calloc(p ? p : 1, sizeof *s->names);
    s->kinds = calloc(p ? p : 1, sizeof *s->kinds);
    s->n_levels = calloc(p ? p : 1, sizeof *s->n_levels);
    s->levels = calloc(p ? p : 1, sizeof *s->levels);
    return s->names && s->kinds && s->n_levels && s->levels ? 0 : -1;
}

int knob_schema_from_dataset(knob_schema *s, const knob_dataset *ds, knob_err *err)
{
    const knob_frame *f = ds->frame;
    int fail = schema_alloc(s, f->n_features);
    for (size_t j = 0; !fail && j < f->n_features; j++) {
        const knob_column *c = &f->cols[j];
        s->kinds[j] = c->kind;
        if (!(s->names[j] = knob_strdup(c->name))) fail = 1;
        s->n_levels[j] = c->n_levels;
        s->levels[j] = dup_strs(c->levels, c->n_levels, &fail);
    }
    s->task = f->task;
    if (!fail && f->y) {
        if (f->target.name && !(s->target_name = knob_strdup(f->target.name))) fail = 1;
        if (f->task == KNOB_TASK_CLASSIFICATION) {
            s->n_classes = f->target.n_levels;
            s->classes = dup_strs(f->target.levels, f->target.n_levels, &fail);
        }
    }
    if (fail) {
        knob_schema_free(s);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory recording a schema");
    }
    return KNOB_OK;
}

int knob_schema_copy(knob_schema *dst, const knob_schema *src, knob_err *err)
{
    int fail = schema_alloc(dst, src->n_features);
    for (size_t j = 0; !fail && j < src->n_features; j++) {
        dst->kinds[j] = src->kinds[j];
        if (!(dst->names[j] = knob_strdup(src->names[j]))) fail = 1;
        dst->n_levels[j] = src->n_levels[j];
        dst->levels[j] = dup_strs(src->levels[j], src->n_levels[j], &fail);
    }
    dst->task = src->task;
    if (!fail && src->target_name && !(dst->target_name = knob_strdup(src->target_name))) fail = 1;
    dst->n_classes = src->n_classes;
    if (!fail) dst->classes = dup_strs(src->classes, src->n_classes, &fail);
    if (fail) {
        knob_schema_free(dst);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory copying a schema");
    }
    return KNOB_OK;
}

/* Index of name in names[0..n-1], or -1. */
static long find_name(char *const *names, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (names[k] && strcmp(names[k], name) == 0) return (long)k;
    return -1;
}

static int same_levels(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t k = 0; k < na; k++)
        if (strcmp(a[k], b[k]) != 0) return 0;
    return 1;
}

/* Code translation table from the data's levels to the schema's (-1 = unknown level). */
static long *level_map(char *const *from, size_t nfrom, char *const *to, size_t nto)
{
    long *map = malloc((nfrom ? nfrom : 1) * sizeof *map);
    if (map)
        for (size_t k = 0; k < nfrom; k++) map[k] = find_name(to, nto, from[k]);
    return map;
}

static double translate(double v, const long *map, size_t nmap, size_t *n_unknown)
{
    if (isnan(v)) return v;
    size_t code = (size_t)v;
    if (v < 0 || code >= nmap || map[code] < 0) {
        if (n_unknown) (*n_unknown)++;
        return NAN;
    }
    return (double)map[code];
}

int knob_schema_align(const knob_schema *s, const knob_dataset *ds, knob_dataset **aligned,
                      size_t *n_unknown, knob_err *err)
{
    const knob_frame *f = ds->frame;
    *aligned = NULL;
    if (n_unknown) *n_unknown = 0;
    long *src = malloc((s->n_features ? s->n_features : 1) * sizeof *src);
    if (!src) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    char **fnames = malloc((f->n_features ? f->n_features : 1) * sizeof *fnames);
    if (!fnames) {
        free(src);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < f->n_features; j++) fnames[j] = f->cols[j].name;
    int identical = f->n_features == s->n_features;
    for (size_t j = 0; j < s->n_features; j++) {
        src[j] = find_name(fnames, f->n_features, s->names[j]);
        if (src[j] < 0) {
            free(src);
            free(fnames);
            return knob_err_set(err, KNOB_EINVAL, "data has no column '%s' (the model was fitted with it)",
                                s->names[j]);
        }
        const knob_column *c = &f->cols[src[j]];
        if (c->kind != s->kinds[j]) {
            free(src);
            free(fnames);
            return knob_err_set(err, KNOB_EINVAL, "column '%s' is %s in the data but was %s when fitted",
                                s->names[j], c->kind == KNOB_COL_CATEGORICAL ? "categorical" : "numeric",
                                s->kinds[j] == KNOB_COL_CATEGORICAL ? "categorical" : "numeric");
        }
        if (src[j] != (long)j) identical = 0;
        if (c->kind == KNOB_COL_CATEGORICAL && !same_levels(c->levels, c->n_levels, s->levels[j], s->n_levels[j]))
            identical = 0;
    }
    free(fnames);
    int has_target = f->y != NULL;
    int map_target = has_target && s->task == KNOB_TASK_CLASSIFICATION && f->task == KNOB_TASK_CLASSIFICATION &&
                     !same_levels(f->target.levels, f->target.n_levels, s->classes, s->n_classes);
    if (identical && !map_target) {
        free(src);
        return KNOB_OK;
    }
    size_t n = ds->n_rows;
    int task = has_target ? (s->task == KNOB_TASK_CLASSIFICATION && f->task == KNOB_TASK_CLASSIFICATION
                                 ? KNOB_TASK_CLASSIFICATION
                                 : f->task)
                          : KNOB_TASK_NONE;
    size_t ncls = task == KNOB_TASK_CLASSIFICATION ? (s->n_classes ? s->n_classes : 1) : 0;
    knob_dataset *out = knob_dataset_new(n, s->n_features, task, ncls, err);
    if (!out) {
        free(src);
        return err ? err->code : KNOB_ENOMEM;
    }
    int rc = KNOB_OK;
    for (size_t j = 0; rc == KNOB_OK && j < s->n_features; j++) {
        const knob_column *c = &f->cols[src[j]];
        double *col = out->frame->X + j * n;
        knob_dataset_gather_column(ds, (size_t)src[j], col);
        rc = knob_dataset_set_name(out, j, s->names[j], err);
        if (rc == KNOB_OK && c->kind == KNOB_COL_CATEGORICAL) {
            rc = knob_dataset_set_levels(out, j, (const char *const *)s->levels[j], s->n_levels[j], err);
            long *map = rc == KNOB_OK ? level_map(c->levels, c->n_levels, s->levels[j], s->n_levels[j]) : NULL;
            if (rc == KNOB_OK && !map) rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
            for (size_t i = 0; map && i < n; i++) col[i] = translate(col[i], map, c->n_levels, n_unknown);
            free(map);
        }
    }
    if (rc == KNOB_OK && has_target) {
        knob_dataset_gather_y(ds, out->frame->y);
        rc = knob_dataset_set_name(out, (size_t)-1, f->target.name ? f->target.name : "target", err);
        if (rc == KNOB_OK && task == KNOB_TASK_CLASSIFICATION) {
            rc = knob_dataset_set_levels(out, (size_t)-1, (const char *const *)s->classes, s->n_classes, err);
            long *map = rc == KNOB_OK ? level_map(f->target.levels, f->target.n_levels, s->classes, s->n_classes)
                                      : NULL;
            if (rc == KNOB_OK && !map) rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
            for (size_t i = 0; map && i < n; i++)
                out->frame->y[i] = translate(out->frame->y[i], map, f->target.n_levels, NULL);
            free(map);
        }
    }
    free(src);
    if (rc != KNOB_OK) {
        knob_dataset_free(&out);
        return rc;
    }
    knob_dataset_count_missing(out);
    *aligned = out;
    return KNOB_OK;
}
