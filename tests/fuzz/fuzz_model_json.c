/*
 * fuzz_model_json.c — libFuzzer target for the model file reader (knob_model_from_json, model.c and each
 * kind's load).
 *
 * An input that does not load must fail with a message. One that loads must save (knob_model_to_json), its
 * saved text must load again, and saving that gives the same text (a fixed point). A fitted model must
 * then predict on a small dataset built from its schema without crashing: class codes within the classes,
 * probabilities finite. Build and run: make -C tests/fuzz run SECONDS=60
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "knob/model.h"

/* Predict on a probe dataset with the model's schema; the outputs must be in range. */
static void exercise(const knob_model *m)
{
    const knob_schema *s = &m->schema;
    size_t p = s->n_features;
    fuzz_col *cols = calloc(p ? p : 1, sizeof *cols);
    CHECK(cols != NULL);
    for (size_t j = 0; j < p; j++)
        cols[j] = (fuzz_col){s->names[j], s->kinds[j], s->n_levels[j], (const char *const *)s->levels[j]};
    knob_dataset *ds = fuzz_probe_dataset(cols, p);
    free(cols);
    if (!ds) return;
    knob_err err;
    double out[3];
    if (knob_model_predict(m, ds, out, &err) != KNOB_OK)
        CHECK(err.code < 0 && err.msg[0]);
    else if (s->task == KNOB_TASK_CLASSIFICATION)
        for (int i = 0; i < 3; i++) CHECK(out[i] >= 0 && out[i] < (double)s->n_classes && out[i] == floor(out[i]));
    if (s->task == KNOB_TASK_CLASSIFICATION) {
        double *proba = malloc(3 * s->n_classes * sizeof *proba);
        CHECK(proba != NULL);
        if (knob_model_predict_proba(m, ds, proba, &err) == KNOB_OK)
            for (size_t k = 0; k < 3 * s->n_classes; k++) CHECK(isfinite(proba[k]));
        else
            CHECK(err.code < 0 && err.msg[0]);
        free(proba);
    }
    knob_dataset_free(&ds);
}

static void *load(const char *text, size_t len, knob_err *err)
{
    return knob_model_from_json(text, len, err);
}

static char *save(const void *m, knob_err *err)
{
    return knob_model_to_json(m, err);
}

static void release(void *m)
{
    knob_model *p = m;
    knob_model_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const fuzz_codec codec = {"model", load, save, release};
    knob_model *m = fuzz_round_trip(&codec, data, size);
    if (m && m->fitted) exercise(m);
    release(m);
    return 0;
}
