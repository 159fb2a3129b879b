/*
 * fuzz_csv.c — libFuzzer target for the CSV reader and writer (knob/csv.h).
 *
 * Every input is parsed with several option sets (delimiter detected and given, target by index and by
 * name, forced task and kinds, extra missing-value spellings). A dataset that parses must satisfy the
 * reader's invariants (checked below; a violation aborts), must be writable, and — when it has no
 * categorical features, whose kind can legitimately change on a round trip — must read back
 * bit-identical from what the writer produced. Build and run: make -C tests/fuzz run SECONDS=60
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "knob/csv.h"

static void check_column(const knob_frame *f, const knob_column *c, const double *v, size_t stride, int is_target)
{
    size_t missing = 0;
    CHECK(c->name && c->name[0]);
    for (size_t i = 0; i < f->n_rows; i++) {
        double x = v[i * stride];
        if (isnan(x)) {
            missing++;
            continue;
        }
        CHECK(isfinite(x));
        if (c->kind == KNOB_COL_CATEGORICAL) CHECK(x >= 0 && x < (double)c->n_levels && x == floor(x));
    }
    CHECK(is_target ? missing == 0 : missing == c->n_missing);
    for (size_t k = 0; k < c->n_levels; k++) CHECK(c->levels[k] != NULL);
}

static void check_dataset(const knob_dataset *ds)
{
    const knob_frame *f = ds->frame;
    CHECK(ds->n_rows == f->n_rows && f->n_rows > 0 && ds->rows == NULL);
    for (size_t j = 0; j < f->n_features; j++) check_column(f, &f->cols[j], f->X + j * f->n_rows, 1, 0);
    if (f->task == KNOB_TASK_NONE) {
        CHECK(f->y == NULL);
        return;
    }
    CHECK(f->y != NULL);
    check_column(f, &f->target, f->y, 1, 1);
    if (f->task == KNOB_TASK_CLASSIFICATION) {
        size_t k = f->target.n_levels;
        CHECK(k >= 1 && f->target.kind == KNOB_COL_CATEGORICAL);
        char *seen = calloc(k, 1);
        CHECK(seen != NULL);
        for (size_t i = 0; i < f->n_rows; i++) seen[(size_t)f->y[i]] = 1;
        for (size_t a = 0; a < k; a++) CHECK(seen[a]); /* every class occurs */
        free(seen);
        double prev = -INFINITY, v;
        int numeric = 1;
        for (size_t a = 0; a < k; a++) numeric &= knob_csv_parse_double(f->target.levels[a], strlen(f->target.levels[a]), &v) == 1;
        for (size_t a = 0; a < k; a++) { /* classes sorted: numerically or bytewise */
            if (numeric) {
                knob_csv_parse_double(f->target.levels[a], strlen(f->target.levels[a]), &v);
                if (a) CHECK(v > prev || strcmp(f->target.levels[a - 1], f->target.levels[a]) < 0);
                prev = v;
            } else if (a) {
                CHECK(strcmp(f->target.levels[a - 1], f->target.levels[a]) < 0);
            }
        }
    }
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Write ds, read it back with the target last and the same task, compare. */
static void round_trip(const knob_dataset *ds)
{
    const knob_frame *f = ds->frame;
    for (size_t j = 0; j < f->n_features; j++)
        if (f->cols[j].kind == KNOB_COL_CATEGORICAL) return;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    CHECK(mem != NULL);
    knob_err err;
    int rc = knob_csv_write_stream(ds, mem, "fuzz", ',', &err);
    fclose(mem);
    if (rc != KNOB_OK) { /* only a level that reads as missing with ',' (e.g. a tab read with '\t') */
        CHECK(rc == KNOB_EINVAL && strstr(err.msg, "read back as a missing value"));
        free(text);
        return;
    }
    knob_csv_opts o;
    knob_csv_opts_init(&o);
    o.delimiter = ',';
    if (f->task != KNOB_TASK_NONE) {
        o.target_index = -1;
        o.task = f->task;
    }
    knob_dataset *back = knob_csv_parse(text, len, "fuzz-roundtrip", &o, &err);
    if (!back) fprintf(stderr, "round trip failed: %s\n---\n%.*s\n---\n", err.msg, (int)(len > 2000 ? 2000 : len), text);
    CHECK(back != NULL);
    const knob_frame *g = back->frame;
    CHECK(g->n_rows == f->n_rows && g->n_features == f->n_features && g->task == f->task);
    for (size_t j = 0; j < f->n_features; j++) {
        CHECK(strcmp(f->cols[j].name, g->cols[j].name) == 0 && g->cols[j].kind == KNOB_COL_NUMERIC);
        for (size_t i = 0; i < f->n_rows; i++) CHECK(same_double(f->X[j * f->n_rows + i], g->X[j * g->n_rows + i]));
    }
    if (f->task != KNOB_TASK_NONE) {
        CHECK(strcmp(f->target.name, g->target.name) == 0 && f->target.n_levels == g->target.n_levels);
        for (size_t k = 0; k < f->target.n_levels; k++) CHECK(strcmp(f->target.levels[k], g->target.levels[k]) == 0);
        for (size_t i = 0; i < f->n_rows; i++) CHECK(same_double(f->y[i], g->y[i]));
    }
    knob_dataset_free(&back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const cat_a[] = {"a", NULL};
    static const char *const num_x[] = {"x", "b", NULL};
    static const char *const na_dash[] = {"-", "missing", NULL};
    knob_csv_opts opts[6];
    for (int k = 0; k < 6; k++) knob_csv_opts_init(&opts[k]);
    opts[1].target_index = -1;                        /* target last, task inferred */
    opts[2].delimiter = ';';
    opts[2].target_index = 1;
    opts[3].target_name = "y";
    opts[3].task = KNOB_TASK_REGRESSION;
    opts[3].numeric = num_x;
    opts[4].delimiter = ',';
    opts[4].target_index = 2;
    opts[4].task = KNOB_TASK_CLASSIFICATION;
    opts[4].categorical = cat_a;
    opts[4].na_values = na_dash;
    opts[5].delimiter = '\t';
    opts[5].target_index = -2;
    opts[5].max_classes = 3;
    for (int k = 0; k < 6; k++) {
        knob_err err;
        knob_err_clear(&err);
        knob_dataset *ds = knob_csv_parse((const char *)data, size, "fuzz", &opts[k], &err);
        if (!ds) {
            CHECK(err.code < 0 && err.msg[0] && strncmp(err.msg, "fuzz", 4) == 0);
            continue;
        }
        check_dataset(ds);
        if (k != 4) round_trip(ds); /* opts[4] forces a categorical column and extra NA spellings */
        knob_dataset_free(&ds);
    }
    return 0;
}
