/* data.c — dataset frames and row views: creation, subsets, gathering, fingerprints. */
#include "knob/dataset.h"
#include "knob/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_levels(knob_column *c)
{
    knob_free_strings(c->levels, c->n_levels);
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
        if (!(f->cols[j].name = knob_strdup(buf))) goto oom;
    }
    if (task != KNOB_TASK_NONE) {
        f->y = calloc(n_rows ? n_rows : 1, sizeof *f->y);
        if (!f->y || !(f->target.name = knob_strdup("target"))) goto oom;
        if (task == KNOB_TASK_CLASSIFICATION) {
            f->target.kind = KNOB_COL_CATEGORICAL;
            f->target.levels = calloc(n_classes, sizeof(char *));
            if (!f->target.levels) goto oom;
            for (size_t k = 0; k < n_classes; k++) {
                column_label(buf, sizeof buf, "", k);
                if (!(f->target.levels[k] = knob_strdup(buf))) goto oom;
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
    char *s = knob_strdup(name);
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
        if (!(copy[k] = knob_strdup(levels[k]))) {
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
    if (src->name && !(dst->name = knob_strdup(src->name))) return -1;
    if (src->n_levels) {
        if (!(dst->levels = calloc(src->n_levels, sizeof(char *)))) return -1;
        for (size_t k = 0; k < src->n_levels; k++) {
            if (!(dst->levels[k] = knob_strdup(src->levels[k]))) return -1;
            dst->n_levels = k + 1;
        }
    }
    return 0;
}

static void free_new(knob_dataset **c, knob_err *err)
{
    knob_dataset_free(c);
    knob_err_set(err, KNOB_ENOMEM, "out of memory creating a dataset");
}

/* A new dataset of n rows (own frame, values zero) whose columns carry the metadata of ds's features
 * cols[0..p-1] (all features when cols is NULL) and of its target. */
static knob_dataset *new_like(const knob_dataset *ds, size_t n, const size_t *cols, size_t p, knob_err *err)
{
    const knob_frame *f = ds->frame;
    knob_dataset *c = knob_dataset_new(n, p, KNOB_TASK_NONE, 0, err);
    if (!c) return NULL;
    knob_frame *g = c->frame;
    for (size_t j = 0; j < p; j++) {
        free(g->cols[j].name);
        g->cols[j].name = NULL;
        if (copy_column_meta(&g->cols[j], &f->cols[cols ? cols[j] : j])) goto oom;
    }
    g->task = f->task;
    if (f->y) {
        if (copy_column_meta(&g->target, &f->target)) goto oom;
        if (!(g->y = calloc(n ? n : 1, sizeof *g->y))) goto oom;
    }
    return c;
oom:
    free_new(&c, err);
    return NULL;
}

knob_dataset *knob_dataset_copy(const knob_dataset *ds, knob_err *err)
{
    size_t n = ds->n_rows, p = ds->frame->n_features;
    knob_dataset *c = new_like(ds, n, NULL, p, err);
    if (!c) return NULL;
    for (size_t j = 0; j < p; j++) knob_dataset_gather_column(ds, j, c->frame->X + j * n);
    if (c->frame->y) knob_dataset_gather_y(ds, c->frame->y);
    knob_dataset_count_missing(c);
    return c;
}

knob_dataset *knob_dataset_select(const knob_dataset *ds, const size_t *cols, size_t n, knob_err *err)
{
    const knob_frame *f = ds->frame;
    if (n == 0) {
        knob_err_set(err, KNOB_EINVAL, "select: no columns given");
        return NULL;
    }
    for (size_t a = 0; a < n; a++) {
        if (cols[a] >= f->n_features) {
            knob_err_set(err, KNOB_EINVAL, "select: column %zu out of range (dataset has %zu features)",
                         cols[a] + 1, f->n_features);
            return NULL;
        }
        for (size_t b = 0; b < a; b++)
            if (cols[b] == cols[a]) {
                knob_err_set(err, KNOB_EINVAL, "select: column '%s' selected twice", f->cols[cols[a]].name);
                return NULL;
            }
    }
    size_t rows = ds->n_rows;
    knob_dataset *c = new_like(ds, rows, cols, n, err);
    if (!c) return NULL;
    for (size_t j = 0; j < n; j++) knob_dataset_gather_column(ds, cols[j], c->frame->X + j * rows);
    if (c->frame->y) knob_dataset_gather_y(ds, c->frame->y);
    knob_dataset_count_missing(c);
    return c;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* 0 if the columns have the same name, kind and levels; otherwise 1 with err set. */
static int column_differs(const knob_column *a, const knob_column *b, const char *what, knob_err *err)
{
    if (!same_str(a->name, b->name))
        return knob_err_set(err, KNOB_EINVAL, "concat: %s is named '%s' in one dataset and '%s' in the other",
                            what, a->name ? a->name : "", b->name ? b->name : ""), 1;
    int same = a->kind == b->kind && a->n_levels == b->n_levels;
    for (size_t k = 0; same && k < a->n_levels; k++) same = strcmp(a->levels[k], b->levels[k]) == 0;
    if (!same)
        return knob_err_set(err, KNOB_EINVAL, "concat: %s '%s' has different kinds or levels", what,
                            a->name ? a->name : ""), 1;
    return 0;
}

knob_dataset *knob_dataset_concat(const knob_dataset *a, const knob_dataset *b, knob_err *err)
{
    const knob_frame *fa = a->frame, *fb = b->frame;
    size_t p = fa->n_features;
    if (fb->n_features != p) {
        knob_err_set(err, KNOB_EINVAL, "concat: datasets have %zu and %zu features", p, fb->n_features);
        return NULL;
    }
    for (size_t j = 0; j < p; j++)
        if (column_differs(&fa->cols[j], &fb->cols[j], "column", err)) return NULL;
    if (fa->task != fb->task || !fa->y != !fb->y) {
        knob_err_set(err, KNOB_EINVAL, "concat: datasets have different tasks");
        return NULL;
    }
    if (fa->y && column_differs(&fa->target, &fb->target, "target", err)) return NULL;
    size_t na = a->n_rows, n = na + b->n_rows;
    knob_dataset *c = new_like(a, n, NULL, p, err);
    if (!c) return NULL;
    for (size_t j = 0; j < p; j++) {
        knob_dataset_gather_column(a, j, c->frame->X + j * n);
        knob_dataset_gather_column(b, j, c->frame->X + j * n + na);
    }
    if (c->frame->y) {
        knob_dataset_gather_y(a, c->frame->y);
        knob_dataset_gather_y(b, c->frame->y + na);
    }
    knob_dataset_count_missing(c);
    return c;
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

void knob_dataset_missing_counts(const knob_dataset *ds, size_t *out)
{
    const knob_frame *f = ds->frame;
    for (size_t j = 0; j < f->n_features; j++) {
        const double *col = f->X + j * f->n_rows;
        size_t m = 0;
        if (f->cols[j].n_missing) /* the frame has none in this column: neither has any view */
            for (size_t i = 0; i < ds->n_rows; i++) m += isnan(col[knob_dataset_row(ds, i)]) != 0;
        out[j] = m;
    }
}

void knob_dataset_level_counts(const knob_dataset *ds, size_t j, size_t *counts)
{
    const knob_frame *f = ds->frame;
    const knob_column *c = j == (size_t)-1 ? &f->target : &f->cols[j];
    const double *col = j == (size_t)-1 ? f->y : f->X + j * f->n_rows;
    size_t k = c->n_levels;
    memset(counts, 0, k * sizeof *counts);
    for (size_t i = 0; i < ds->n_rows; i++) {
        double v = col[knob_dataset_row(ds, i)];
        if (v >= 0 && v < (double)k) counts[(size_t)v]++;
    }
}

/* Quantile q of sorted[0..n-1] (n >= 1) by linear interpolation at position q * (n - 1). */
static double quantile_sorted(const double *sorted, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;
    double frac = pos - (double)lo;
    if (lo + 1 >= n) return sorted[n - 1];
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * frac;
}

int knob_dataset_summarize(const knob_dataset *ds, size_t j, knob_col_summary *out, knob_err *err)
{
    const knob_frame *f = ds->frame;
    const knob_column *c;
    const double *col;
    if (j == (size_t)-1) {
        if (f->task != KNOB_TASK_REGRESSION)
            return knob_err_set(err, KNOB_EINVAL, "summarize: the target is not a regression target");
        c = &f->target;
        col = f->y;
    } else {
        if (j >= f->n_features)
            return knob_err_set(err, KNOB_EINVAL, "summarize: column %zu out of range (dataset has %zu features)",
                                j + 1, f->n_features);
        c = &f->cols[j];
        col = f->X + j * f->n_rows;
    }
    if (c->kind != KNOB_COL_NUMERIC)
        return knob_err_set(err, KNOB_EINVAL, "summarize: column '%s' is categorical", c->name);
    double *v = malloc((ds->n_rows ? ds->n_rows : 1) * sizeof *v);
    if (!v) return knob_err_set(err, KNOB_ENOMEM, "out of memory summarizing column '%s'", c->name);
    size_t n = 0;
    for (size_t i = 0; i < ds->n_rows; i++) {
        double x = col[knob_dataset_row(ds, i)];
        if (!isnan(x)) v[n++] = x;
    }
    out->count = n;
    out->missing = ds->n_rows - n;
    out->mean = out->std = out->min = out->q25 = out->q50 = out->q75 = out->max = NAN;
    if (n > 0) {
        double sum = 0, ss = 0;
        for (size_t i = 0; i < n; i++) sum += v[i];
        out->mean = sum / (double)n;
        for (size_t i = 0; i < n; i++) ss += (v[i] - out->mean) * (v[i] - out->mean);
        if (n > 1) out->std = sqrt(ss / (double)(n - 1));
        qsort(v, n, sizeof *v, knob_cmp_double);
        out->min = v[0];
        out->max = v[n - 1];
        out->q25 = quantile_sorted(v, n, 0.25);
        out->q50 = quantile_sorted(v, n, 0.5);
        out->q75 = quantile_sorted(v, n, 0.75);
    }
    free(v);
    return KNOB_OK;
}

int knob_dataset_find_column(const knob_dataset *ds, const char *name, size_t *j, knob_err *err)
{
    const knob_frame *f = ds->frame;
    for (size_t k = 0; k < f->n_features; k++)
        if (strcmp(f->cols[k].name, name) == 0) {
            *j = k;
            return KNOB_OK;
        }
    if (f->y && f->target.name && strcmp(f->target.name, name) == 0) {
        *j = (size_t)-1;
        return KNOB_OK;
    }
    char list[300];
    size_t used = 0;
    for (size_t k = 0; k < f->n_features; k++) {
        const char *sep = k ? ", " : "";
        size_t need = strlen(sep) + strlen(f->cols[k].name);
        if (used + need + sizeof ", ..." > sizeof list) {
            memcpy(list + used, ", ...", sizeof ", ...");
            used += sizeof ", ..." - 1;
            break;
        }
        memcpy(list + used, sep, strlen(sep));
        memcpy(list + used + strlen(sep), f->cols[k].name, strlen(f->cols[k].name));
        used += need;
    }
    list[used] = 0;
    return knob_err_set(err, KNOB_EINVAL, "unknown column '%.100s' (columns: %s)", name, list);
}

size_t knob_dataset_view_bytes(const knob_dataset *ds)
{
    return sizeof *ds + (ds->rows ? ds->n_rows * sizeof(size_t) : 0);
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
    size_t b = knob_dataset_view_bytes(ds) + sizeof *f;
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
