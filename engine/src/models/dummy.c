/* dummy.c — baseline models that ignore the features: most_frequent, prior, stratified, uniform (classifiers);
 * mean, median, constant (regressors). The yardstick every tuned model must beat. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/json_io.h"
#include "knob/model.h"
#include "knob/rng.h"
#include "model_impl.h"

static const char *const strategies[] = {"auto", "most_frequent", "prior", "stratified", "uniform",
                                         "mean", "median", "constant", NULL};

static const knob_param_spec dummy_params[] = {
    {"strategy", KNOB_PT_STR, 0, "auto", NAN, NAN, 0, 0, strategies, 0,
     "auto = prior (classification) or mean (regression)"},
    {"constant", KNOB_PT_NUM, 0, NULL, NAN, NAN, 0, 0, NULL, 0, "the value predicted by strategy=constant"},
    {"seed", KNOB_PT_INT, 0, NULL, 0, 9007199254740992.0, 0, 0, NULL, 0, "seed for stratified/uniform"},
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL},
};

typedef struct {
    size_t k;        /* classes (0 for regression) */
    double *prior;   /* k class probabilities (weighted frequencies) */
    double value;    /* regression prediction */
} dummy_state;

static const char *dummy_check(const knob_params *p)
{
    (void)p;
    return NULL;
}

static void dummy_free(knob_model *m)
{
    dummy_state *s = m->state;
    if (s) free(s->prior);
    free(s);
    m->state = NULL;
}

static int is_clf_strategy(const char *s)
{
    return !strcmp(s, "auto") || !strcmp(s, "most_frequent") || !strcmp(s, "prior") || !strcmp(s, "stratified") ||
           !strcmp(s, "uniform");
}

static int dummy_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    const char *strategy = knob_params_str(&m->params, "strategy");
    int clf = m->schema.task == KNOB_TASK_CLASSIFICATION;
    if (strcmp(strategy, "auto") && clf != is_clf_strategy(strategy))
        return knob_err_set(err, KNOB_EINVAL, "dummy: strategy '%s' is for %s", strategy,
                            clf ? "regression" : "classification");
    dummy_state *s = calloc(1, sizeof *s);
    if (!s) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    m->state = s;
    size_t n = train->n_rows;
    if (clf) {
        s->k = m->schema.n_classes;
        if (!(s->prior = calloc(s->k, sizeof *s->prior))) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        double total = 0;
        for (size_t i = 0; i < n; i++) {
            double w = o->sample_weight ? o->sample_weight[i] : 1.0;
            s->prior[(size_t)knob_dataset_target(train, i)] += w;
            total += w;
        }
        if (!(total > 0)) return knob_err_set(err, KNOB_EINVAL, "dummy: the sample weights sum to zero");
        for (size_t c = 0; c < s->k; c++) s->prior[c] /= total;
        return KNOB_OK;
    }
    if (!strcmp(strategy, "constant")) {
        s->value = knob_params_num(&m->params, "constant");
        return KNOB_OK;
    }
    double *y = malloc(n * sizeof *y);
    if (!y) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    knob_dataset_gather_y(train, y);
    if (!strcmp(strategy, "median")) {
        s->value = knob_weighted_median(y, o->sample_weight, n);
    } else {
        double sw = 0, sy = 0;
        for (size_t i = 0; i < n; i++) {
            double w = o->sample_weight ? o->sample_weight[i] : 1.0;
            sw += w;
            sy += w * y[i];
        }
        s->value = sw > 0 ? sy / sw : 0;
    }
    free(y);
    return KNOB_OK;
}

static size_t argmax(const double *p, size_t k)
{
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (p[c] > p[best]) best = c;
    return best;
}

static int dummy_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    (void)err;
    const dummy_state *s = m->state;
    const char *strategy = knob_params_str(&m->params, "strategy");
    size_t k = s->k, n = ds->n_rows;
    knob_rng rng;
    knob_rng_seed(&rng, (uint64_t)knob_params_num(&m->params, "seed"));
    for (size_t i = 0; i < n; i++) {
        double *row = out + i * k;
        if (!strcmp(strategy, "most_frequent")) {
            memset(row, 0, k * sizeof *row);
            row[argmax(s->prior, k)] = 1;
        } else if (!strcmp(strategy, "uniform")) {
            for (size_t c = 0; c < k; c++) row[c] = 1.0 / (double)k;
        } else if (!strcmp(strategy, "stratified")) {
            memset(row, 0, k * sizeof *row);
            double u = knob_rng_uniform(&rng), acc = 0;
            size_t c = 0;
            for (; c + 1 < k; c++) {
                acc += s->prior[c];
                if (u < acc) break;
            }
            row[c] = 1;
        } else {
            memcpy(row, s->prior, k * sizeof *row);
        }
    }
    return KNOB_OK;
}

static int dummy_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    const dummy_state *s = m->state;
    size_t n = ds->n_rows;
    if (!s->k) {
        for (size_t i = 0; i < n; i++) out[i] = s->value;
        return KNOB_OK;
    }
    const char *strategy = knob_params_str(&m->params, "strategy");
    if (!strcmp(strategy, "uniform")) { /* a random class per row, like scikit-learn */
        knob_rng rng;
        knob_rng_seed(&rng, (uint64_t)knob_params_num(&m->params, "seed"));
        for (size_t i = 0; i < n; i++) out[i] = (double)knob_rng_below(&rng, s->k);
        return KNOB_OK;
    }
    double *p = malloc(n * s->k * sizeof *p);
    if (!p) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    dummy_proba(m, ds, p, err);
    for (size_t i = 0; i < n; i++) out[i] = (double)argmax(p + i * s->k, s->k);
    free(p);
    return KNOB_OK;
}

static int dummy_save(const knob_model *m, cJSON *obj, knob_err *err)
{
    (void)err;
    const dummy_state *s = m->state;
    if (s->k) cJSON_AddItemToObject(obj, "prior", knob_json_exact_array(s->prior, s->k));
    else cJSON_AddItemToObject(obj, "value", knob_json_exact(s->value));
    return KNOB_OK;
}

static int dummy_load(knob_model *m, const cJSON *obj, knob_err *err)
{
    dummy_state *s = calloc(1, sizeof *s);
    if (!s) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    m->state = s;
    if (m->schema.task == KNOB_TASK_CLASSIFICATION) {
        s->k = m->schema.n_classes;
        s->prior = knob_json_doubles(cJSON_GetObjectItemCaseSensitive(obj, "prior"), s->k, "state.prior", err);
        return s->prior ? KNOB_OK : KNOB_EPARSE;
    }
    return knob_json_number(cJSON_GetObjectItemCaseSensitive(obj, "value"), "state.value", &s->value, err);
}

static size_t dummy_n_learned(const knob_model *m)
{
    const dummy_state *s = m->state;
    return s->k ? s->k : 1;
}

static size_t dummy_bytes(const knob_model *m)
{
    const dummy_state *s = m->state;
    return sizeof *s + s->k * sizeof(double);
}

static void dummy_describe(const knob_model *m, char *buf, size_t size)
{
    knob_describe_printf(buf, size, "%s", knob_params_str(&m->params, "strategy"));
}

const knob_model_vtable knob_model_dummy = {
    .kind = "dummy",
    .summary = "baseline that ignores the features (most frequent class, class prior, mean, median, ...)",
    .tasks = (1u << KNOB_TASK_CLASSIFICATION) | (1u << KNOB_TASK_REGRESSION),
    .params = dummy_params,
    .check = dummy_check,
    .fit = dummy_fit,
    .predict = dummy_predict,
    .predict_proba = dummy_proba,
    .save = dummy_save,
    .load = dummy_load,
    .free_state = dummy_free,
    .n_learned = dummy_n_learned,
    .state_bytes = dummy_bytes,
    .describe = dummy_describe,
};
