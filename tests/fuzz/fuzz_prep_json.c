/*
 * fuzz_prep_json.c — libFuzzer target for the transformer reader (knob_prep_from_json, prep_json.c).
 *
 * An input that does not load must fail with a message. One that loads must save (knob_prep_to_json), its
 * saved text must load again, and saving that gives the same text (a fixed point). A fitted transformer
 * must then transform a small dataset built from its fit-time schema without crashing, giving as many
 * columns as it says. Build and run: make -C tests/fuzz run SECONDS=60
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "knob/prep.h"
#include "prep_impl.h" /* the fit-time schema, to build a dataset it accepts */

static void exercise(const knob_prep *p)
{
    const prep_state *st = p->st;
    fuzz_col *cols = calloc(st->n_in ? st->n_in : 1, sizeof *cols);
    CHECK(cols != NULL);
    for (size_t j = 0; j < st->n_in; j++)
        cols[j] = (fuzz_col){st->cols[j].name, st->cols[j].kind, st->cols[j].n_levels,
                             (const char *const *)st->cols[j].levels};
    knob_dataset *ds = fuzz_probe_dataset(cols, st->n_in);
    free(cols);
    if (!ds) return;
    knob_err err;
    knob_dataset *out = knob_prep_transform(p, ds, &err);
    if (out) {
        CHECK(out->n_rows == 3 && out->frame->n_features == knob_prep_n_outputs(p));
        knob_dataset_free(&out);
    } else {
        CHECK(err.code < 0 && err.msg[0]);
    }
    knob_dataset_free(&ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    knob_err err;
    knob_err_clear(&err);
    knob_prep *p = knob_prep_from_json((const char *)data, size, &err);
    if (!p) {
        CHECK(err.code < 0 && err.msg[0]);
        return 0;
    }
    char *text = knob_prep_to_json(p, &err);
    if (!text) fprintf(stderr, "a loaded transformer does not save: %s\n", err.msg);
    CHECK(text != NULL);
    knob_prep *back = knob_prep_from_json(text, strlen(text), &err);
    if (!back) fprintf(stderr, "a saved transformer does not load: %s\n---\n%.2000s\n---\n", err.msg, text);
    CHECK(back != NULL);
    char *again = knob_prep_to_json(back, &err);
    CHECK(again != NULL);
    if (strcmp(text, again) != 0) fprintf(stderr, "saved text changed on reload:\n%.2000s\n%.2000s\n", text, again);
    CHECK(strcmp(text, again) == 0);
    if (knob_prep_is_fitted(p)) exercise(p);
    free(again);
    free(text);
    knob_prep_free(&back);
    knob_prep_free(&p);
    return 0;
}
