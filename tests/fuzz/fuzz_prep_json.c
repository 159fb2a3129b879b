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

static void *load(const char *text, size_t len, knob_err *err)
{
    return knob_prep_from_json(text, len, err);
}

static char *save(const void *p, knob_err *err)
{
    return knob_prep_to_json(p, err);
}

static void release(void *p)
{
    knob_prep *q = p;
    knob_prep_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fuzz_codec codec = {"transformer", load, save, release};
    knob_prep *p = fuzz_round_trip(&codec, data, size);
    if (p && knob_prep_is_fitted(p)) exercise(p);
    release(p);
    return 0;
}
