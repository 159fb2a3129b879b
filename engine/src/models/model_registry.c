/* model_registry.c — the list of model kinds knob knows. Add a kind here after declaring it in model_impl.h. */
#include <string.h>

#include "model_impl.h"

static const knob_model_vtable *const registry[] = {
    &knob_model_dummy,
    &knob_model_linear,
    &knob_model_logistic,
    &knob_model_mlp,
    &knob_model_knn,
    &knob_model_naive_bayes,
    &knob_model_tree,
    &knob_model_forest,
    &knob_model_extra_trees,
    &knob_model_gbdt,
};

const knob_model_vtable *const *knob_model_kinds(size_t *n)
{
    *n = sizeof registry / sizeof registry[0];
    return registry;
}

const knob_model_vtable *knob_model_find_kind(const char *kind)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->kind, kind) == 0) return registry[i];
    return NULL;
}
