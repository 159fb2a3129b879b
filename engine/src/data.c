/* data.c — dataset frames and row views: creation, subsets, gathering, fingerprints. */
#include "knob/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static void free_levels(knob_column *c)
{
    for (size_t k = 0; k < c->n_levels; k++) free(c->levels[k]);
    free(c->levels);
    c->levels = NULL;
    c->n_levels = 0;
}

static void frame_free(knob_frame *f)
{
    if (!f) return;
    for (size_t j = 0; j < f->n_features; j++) {
        free(f->cols[j].name);
        free_levels(&f->cols[j]);
    }
    free(f->cols);
    free(f->target.name);
    free_levels(&f->target);
    free(f->X);
    free(f->y);
    free(f);
}

void knob_dataset_free(knob_dataset **ds)
{
    if (!ds || !*ds) return;
    knob_frame *f = (*ds)->frame;
    if (f && --f->refcount == 0) frame_free(f);
    free((*ds)->rows);
    free(*ds);
    *ds = NULL;
}

static void column_label(char *buf, size_t n, const char *prefix, size_t k)
{
    snprintf(buf, n, "%s%zu", prefix, k);
}

knob_dataset *knob_dataset_new(size_t n_rows, size_t n_features, int task, size_t n_classes,
                               knob_err *err)
{
    if (task == KNOB_TASK_CLASSIFICATION && n_classes < 1) {
        knob_err_set(err, KNOB_EINVAL, "a classification dataset needs at least one class");
        return NULL;
    }
    if (n_features && n_rows > SIZE_MAX / sizeof(double) / n_features) {
        knob_err_set(err, KNOB_ENOMEM, "dataset of %zu x %zu values is too large", n_rows, n_features);
        return NULL;
    }
    knob_dataset *ds = calloc(1, sizeof *ds);
    knob_frame *f = calloc(1, sizeof *f);
    if (!ds || !f) goto oom;
    ds->frame = f;
    ds->n_rows = n_rows;
    f->refcount = 1;
    f->n_rows = n_rows;
    f->n_features = n_features;
    f->task = task;
    f->cols = calloc(n_features ? n_features : 1, sizeof *f->cols);
    f->X = calloc((n_rows && n_features) ? n_rows * n_features : 1, sizeof *f->X);
    if (!f->cols || !f->X) goto oom;
    char buf[32];
    for (size_t j = 0; j < n_features; j++) {
        column_label(buf, sizeof buf, "x", j + 1);
        if (!(f->cols[j].name = dup_str(buf))) goto oom;
    }
    if (task != KNOB_TASK_NONE) {
        f->y = calloc(n_rows ? n_rows : 1, sizeof *f->y);
        if (!f->y || !(f->target.name = dup_str("target"))) goto oom;
        if (task == KNOB_TASK_CLASSIFICATION) {
            f->target.kind = KNOB_COL_CATEGORICAL;
            f->target.levels = calloc(n_classes, sizeof(char *));
            if (!f->target.levels) goto oom;
            for (size_t k = 0; k < n_classes; k++) {
                column_label(buf, sizeof buf, "", k);
                if (!(f->target.levels[k] = dup_str(buf))) goto oom;
                f->target.n_levels = k + 1;
            }
        }
    }
    return ds;
oom:
    if (ds && ds->frame) knob_dataset_free(&ds);
    else {
        free(ds);
        free(f);
    }
    knob_err_set(err, KNOB_ENOMEM, "out of memory allocating a %zu x %zu dataset", n_rows, n_features);
    return NULL;
}

static knob_column *column_at(knob_dataset *ds, size_t j, knob_err *err)
{
    if (j == (size_t)-1) return &ds->frame->target;
    if (j >= ds->frame->n_features) {
        knob_err_set(err, KNOB_EINVAL, "column %zu out of range (dataset has %zu features)", j + 1,
                     ds->frame->n_features);
        return NULL;
    }
    return &ds->frame->cols[j];
}

int knob_dataset_set_name(knob_dataset *ds, size_t j, const char *name, knob_err *err)
{
    knob_column *c = column_at(ds, j, err);
    if (!c) return KNOB_EINVAL;
    char *s = dup_str(name);
    if (!s) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    free(c->name);
    c->name = s;
    return KNOB_OK;
}

int knob_dataset_set_levels(knob_dataset *ds, size_t j, const char *const *levels, size_t n_levels,
                            knob_err *err)
{
    knob_column *c = column_at(ds, j, err);
    if (!c) return KNOB_EINVAL;
    for (size_t a = 0; a < n_levels; a++)
        for (size_t b = a + 1; b < n_levels; b++)
            if (strcmp(levels[a], levels[b]) == 0)
                return knob_err_set(err, KNOB_EINVAL, "column '%s': duplicate level '%s'", c->name,
                                    levels[a]);
    char **copy = calloc(n_levels ? n_levels : 1, sizeof *copy);
    if (!copy) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    for (size_t k = 0; k < n_levels; k++) {
        if (!(copy[k] = dup_str(levels[k]))) {
            for (size_t m = 0; m < k; m++) free(copy[m]);
            free(copy);
            return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        }
    }
    free_levels(c);
    c->levels = copy;
    c->n_levels = n_levels;
    c->kind = KNOB_COL_CATEGORICAL;
    if (j == (size_t)-1) {
        ds->frame->task = KNOB_TASK_CLASSIFICATION;
        if (!ds->frame->y) {
            ds->frame->y = calloc(ds->frame->n_rows ? ds->frame->n_rows : 1, sizeof(double));
            if (!ds->frame->y) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        }
    }
    return KNOB_OK;
}

knob_dataset *knob_dataset_subset(const knob_dataset *ds, const size_t *idx, size_t n, knob_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= ds->n_rows) {
            knob_err_set(err, KNOB_EINVAL, "row index %zu out of range (dataset has %zu rows)", idx[i] + 1,
                         ds->n_rows);
            return NULL;
        }
    }
    knob_dataset *v = calloc(1, sizeof *v);
    size_t *rows = malloc((n ? n : 1) * sizeof *rows);
    if (!v || !rows) {
        free(v);
        free(rows);
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) rows[i] = knob_dataset_row(ds, idx[i]);
    v->frame = ds->frame;
    v->frame->refcount++;
    v->n_rows = n;
    v->rows = rows;
    return v;
}

static int copy_column_meta(knob_column *dst, const knob_column *src)
{
    dst->kind = src->kind;
    dst->n_missing = src->n_missing;
    if (src->name && !(dst->name = dup_str(src->name))) return -1;
    if (src->n_levels) {
        if (!(dst->levels = calloc(src->n_levels, sizeof(char *)))) return -1;
        for (size_t k = 0; k < src->n_levels; k++) {
            if (!(dst->levels[k] = dup_str(src->levels[k]))) return -1;
            dst->n_levels = k + 1;
        }
    }
    return 0;
}

knob_dataset *knob_dataset_copy(const knob_dataset *ds, knob_err *err)
{
    const knob_frame *f = ds->frame;
    size_t n = ds->n_rows, p = f->n_features;
    knob_dataset *c = knob_dataset_new(n, p, KNOB_TASK_NONE, 0, err);
    if (!c) return NULL;
    knob_frame *g = c->frame;
    for (size_t j = 0; j < p; j++) {
        free(g->cols[j].name);
        g->cols[j].name = NULL;
        if (copy_column_meta(&g->cols[j], &f->cols[j])) goto oom;
        knob_dataset_gather_column(ds, j, g->X + j * n);
    }
    g->task = f->task;
    if (f->y) {
        if (copy_column_meta(&g->target, &f->target)) goto oom;
        if (!(g->y = malloc((n ? n : 1) * sizeof *g->y))) goto oom;
        knob_dataset_gather_y(ds, g->y);
    }
    knob_dataset_count_missing(c);
    return c;
oom:
    knob_dataset_free(&c);
    knob_err_set(err, KNOB_ENOMEM, "out of memory copying a dataset");
    return NULL;
}

void knob_dataset_gather_column(const knob_dataset *ds, size_t j, double *out)
{
    const double *col = ds->frame->X + j * ds->frame->n_rows;
    if (!ds->rows) {
        memcpy(out, col, ds->n_rows * sizeof *out);
        return;
    }
    for (size_t i = 0; i < ds->n_rows; i++) out[i] = col[ds->rows[i]];
}

void knob_dataset_gather_X(const knob_dataset *ds, double *out, int row_major)
{
    size_t n = ds->n_rows, p = ds->frame->n_features;
    if (!row_major) {
        for (size_t j = 0; j < p; j++) knob_dataset_gather_column(ds, j, out + j * n);
        return;
    }
    for (size_t j = 0; j < p; j++) {
        const double *col = ds->frame->X + j * ds->frame->n_rows;
        for (size_t i = 0; i < n; i++) out[i * p + j] = col[knob_dataset_row(ds, i)];
    }
}

void knob_dataset_gather_y(const knob_dataset *ds, double *out)
{
    for (size_t i = 0; i < ds->n_rows; i++) out[i] = ds->frame->y[knob_dataset_row(ds, i)];
}

void knob_dataset_class_counts(const knob_dataset *ds, size_t *counts)
{
    size_t k = knob_dataset_n_classes(ds);
    memset(counts, 0, k * sizeof *counts);
    for (size_t i = 0; i < ds->n_rows; i++) {
        double v = knob_dataset_target(ds, i);
        if (v >= 0 && v < (double)k) counts[(size_t)v]++;
    }
}

void knob_dataset_count_missing(knob_dataset *ds)
{
    knob_frame *f = ds->frame;
    for (size_t j = 0; j < f->n_features; j++) {
        const double *col = f->X + j * f->n_rows;
        size_t m = 0;
        for (size_t i = 0; i < f->n_rows; i++) m += isnan(col[i]) != 0;
        f->cols[j].n_missing = m;
    }
    if (f->y) {
        size_t m = 0;
        for (size_t i = 0; i < f->n_rows; i++) m += isnan(f->y[i]) != 0;
        f->target.n_missing = m;
    }
}

static size_t column_meta_bytes(const knob_column *c)
{
    size_t b = sizeof *c + (c->name ? strlen(c->name) + 1 : 0) + c->n_levels * sizeof(char *);
    for (size_t k = 0; k < c->n_levels; k++) b += strlen(c->levels[k]) + 1;
    return b;
}

size_t knob_dataset_bytes(const knob_dataset *ds)
{
    const knob_frame *f = ds->frame;
    size_t b = sizeof *ds + (ds->rows ? ds->n_rows * sizeof(size_t) : 0) + sizeof *f;
    b += f->n_rows * f->n_features * sizeof(double);
    if (f->y) b += f->n_rows * sizeof(double) + column_meta_bytes(&f->target);
    for (size_t j = 0; j < f->n_features; j++) b += column_meta_bytes(&f->cols[j]);
    return b;
}

/* FNV-1a, 64-bit. Doubles are hashed by their IEEE-754 bits in little-endian byte order, with every NaN
 * mapped to one pattern and -0 to +0, so equal content gives an equal hash on every machine. */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv_bytes(h, s ? s : "", (s ? strlen(s) : 0) + 1);
}

static uint64_t fnv_double(uint64_t h, double v)
{
    uint64_t bits;
    if (isnan(v)) bits = 0x7ff8000000000000ULL;
    else {
        if (v == 0) v = 0;
        memcpy(&bits, &v, sizeof bits);
    }
    for (int k = 0; k < 8; k++) {
        h ^= (bits >> (8 * k)) & 0xff;
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_column(uint64_t h, const knob_column *c)
{
    h = fnv_str(h, c->name);
    h = fnv_double(h, c->kind);
    for (size_t k = 0; k < c->n_levels; k++) h = fnv_str(h, c->levels[k]);
    return h;
}

void knob_dataset_fingerprint(const knob_dataset *ds, char out[17])
{
    const knob_frame *f = ds->frame;
    uint64_t h = FNV_OFFSET;
    h = fnv_double(h, (double)ds->n_rows);
    h = fnv_double(h, (double)f->n_features);
    for (size_t j = 0; j < f->n_features; j++) h = fnv_column(h, &f->cols[j]);
    h = fnv_double(h, f->task);
    if (f->y) h = fnv_column(h, &f->target);
    for (size_t j = 0; j < f->n_features; j++) {
        const double *col = f->X + j * f->n_rows;
        for (size_t i = 0; i < ds->n_rows; i++) h = fnv_double(h, col[knob_dataset_row(ds, i)]);
    }
    if (f->y)
        for (size_t i = 0; i < ds->n_rows; i++) h = fnv_double(h, knob_dataset_target(ds, i));
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
