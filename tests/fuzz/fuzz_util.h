/*
 * fuzz_util.h — shared by the libFuzzer targets in tests/fuzz: an invariant check that aborts (so
 * libFuzzer records the input), and a small dataset with given columns for exercising what a parser
 * loaded. Header-only; every target is one translation unit.
 */
#ifndef KNOB_FUZZ_UTIL_H
#define KNOB_FUZZ_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/dataset.h"

#define CHECK(c)                                                                                            \
    do {                                                                                                    \
        if (!(c)) {                                                                                         \
            fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__);                              \
            abort();                                                                                        \
        }                                                                                                   \
    } while (0)

/* One column of a probe dataset: a name, a kind and (categorical) level names. */
typedef struct {
    const char *name;
    int kind;
    size_t n_levels;
    const char *const *levels;
} fuzz_col;

/*
 * A 3-row dataset without a target with the columns cols[0..p-1]: numeric cells 0, 1.5, NaN; categorical
 * cells the first level, the last level, NaN (all NaN when there are no levels). NULL when the columns
 * cannot form a dataset (duplicate level names): that is not what the targets test.
 */
static inline knob_dataset *fuzz_probe_dataset(const fuzz_col *cols, size_t p)
{
    knob_err err;
    knob_dataset *ds = knob_dataset_new(3, p, KNOB_TASK_NONE, 0, &err);
    if (!ds) return NULL;
    double *X = ds->frame->X;
    for (size_t j = 0; j < p; j++) {
        if (knob_dataset_set_name(ds, j, cols[j].name, &err) != KNOB_OK) goto fail;
        double *col = X + j * 3;
        if (cols[j].kind == KNOB_COL_CATEGORICAL) {
            if (knob_dataset_set_levels(ds, j, cols[j].levels, cols[j].n_levels, &err) != KNOB_OK) goto fail;
            col[0] = cols[j].n_levels ? 0 : NAN;
            col[1] = cols[j].n_levels ? (double)(cols[j].n_levels - 1) : NAN;
        } else {
            col[0] = 0;
            col[1] = 1.5;
        }
        col[2] = NAN;
    }
    knob_dataset_count_missing(ds);
    return ds;
fail:
    knob_dataset_free(&ds);
    return NULL;
}

/* A persisted object's reader, writer and destructor (wrappers around knob_<x>_from_json / to_json / free). */
typedef struct {
    const char *what;                                              /* "model", "transformer" */
    void *(*load)(const char *text, size_t len, knob_err *err);
    char *(*save)(const void *obj, knob_err *err);
    void (*free)(void *obj);
} fuzz_codec;

/*
 * The round-trip property of a JSON reader: an input that does not load fails with a message; one that
 * loads saves, its saved text loads again, and saving that gives the same text. Returns the object loaded
 * from the input (the caller frees it with c->free), or NULL.
 */
static inline void *fuzz_round_trip(const fuzz_codec *c, const uint8_t *data, size_t size)
{
    knob_err err;
    knob_err_clear(&err);
    void *obj = c->load((const char *)data, size, &err);
    if (!obj) {
        CHECK(err.code < 0 && err.msg[0]);
        return NULL;
    }
    char *text = c->save(obj, &err);
    if (!text) fprintf(stderr, "a loaded %s does not save: %s\n", c->what, err.msg);
    CHECK(text != NULL);
    void *back = c->load(text, strlen(text), &err);
    if (!back) fprintf(stderr, "a saved %s does not load: %s\n---\n%.2000s\n---\n", c->what, err.msg, text);
    CHECK(back != NULL);
    char *again = c->save(back, &err);
    CHECK(again != NULL);
    if (strcmp(text, again) != 0) fprintf(stderr, "saved text changed on reload:\n%.2000s\n%.2000s\n", text, again);
    CHECK(strcmp(text, again) == 0);
    free(again);
    free(text);
    c->free(back);
    return obj;
}

#endif
