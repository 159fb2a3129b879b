/* naive_bayes.c — Gaussian naive Bayes, as scikit-learn's GaussianNB (1.2).
 *
 * Per class c and feature j: the (sample-weighted) mean theta[c][j] and population variance var[c][j] of the
 * training rows of class c, plus epsilon = var_smoothing x the largest (unweighted, population) variance of a
 * feature over all training rows, added to every variance. When every feature is constant, epsilon is
 * var_smoothing itself (scikit-learn would divide by zero). Priors are the weighted class frequencies unless
 * the `priors` hyperparameter gives them. The joint log-likelihood of a row is
 *   log prior[c] - 1/2 sum_j log(2 pi var[c][j]) - 1/2 sum_j (x_j - theta[c][j])^2 / var[c][j],
 * probabilities are exp(jll - logsumexp(jll)), and the prediction is the class of the largest jll (ties to the
 * lower class code). A class with no training row of positive weight is never predicted (probability 0).
 */
#include <cJSON.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/model.h"
#include "model_impl.h"

#define NB_BLOCK 256 /* rows gathered per block at prediction */
#define TWO_PI 6.283185307179586476925286766559

static const knob_param_spec nb_params[] = {
    {"var_smoothing", KNOB_PT_NUM, 1e-9, NULL, 0, NAN, 0, 0, NULL, 0,
     "added to every variance, as a fraction of the largest feature variance"},
    {"priors", KNOB_PT_NUM_LIST, NAN, NULL, 0, 1, 0, 0, NULL, 1,
     "class prior probabilities, one per class in class order, summing to 1 (unset: the class frequencies)"},
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL},
};

typedef struct {
    size_t k, p;
    double *theta;  /* k x p class means */
    double *var;    /* k x p class variances (epsilon included) */
    double *count;  /* k weighted class counts */
    double *prior;  /* k class priors */
    double *cst;    /* k: log prior - 1/2 sum_j log(2 pi var); -inf for a class without training rows */
    double epsilon;
} nb_state;

static const char *nb_check(const knob_params *p)
{
    size_t n;
    const double *pr = knob_params_list(p, "priors", &n);
    if (!knob_params_is_set(p, "priors")) return NULL;
    if (n == 0) return "priors must not be empty (leave it unset for the class frequencies)";
    double sum = 0;
    for (size_t c = 0; c < n; c++) sum += pr[c];
    if (!(fabs(sum - 1) <= 1e-8 + 1e-5)) return "priors must sum to 1"; /* numpy.isclose(sum, 1) as scikit-learn */
    return NULL;
}

static void nb_free(knob_model *m)
{
    nb_state *s = m->state;
    if (s) {
        free(s->theta);
        free(s->var);
        free(s->count);
        free(s->prior);
        free(s->cst);
    }
    free(s);
    m->state = NULL;
}

static int oom(knob_err *err)
{
    return knob_err_set(err, KNOB_ENOMEM, "naive_bayes: out of memory");
}

static int state_new(knob_model *m, knob_err *err)
{
    nb_state *s = calloc(1, sizeof *s);
    if (!s) return oom(err);
    m->state = s;
    s->k = m->schema.n_classes;
    s->p = m->schema.n_features;
    size_t kp = s->k * s->p > 0 ? s->k * s->p : 1;
    s->theta = calloc(kp, sizeof *s->theta);
    s->var = calloc(kp, sizeof *s->var);
    s->count = calloc(s->k, sizeof *s->count);
    s->prior = calloc(s->k, sizeof *s->prior);
    s->cst = calloc(s->k, sizeof *s->cst);
    if (!s->theta || !s->var || !s->count || !s->prior || !s->cst) return oom(err);
    return KNOB_OK;
}

/* The per-class constants; fails if no class can be predicted. */
static int finish_state(nb_state *s, knob_err *err)
{
    int any = 0;
    for (size_t c = 0; c < s->k; c++) {
        if (!(s->count[c] > 0) || !(s->prior[c] > 0)) {
            s->cst[c] = -INFINITY;
            continue;
        }
        double acc = 0;
        for (size_t j = 0; j < s->p; j++) acc += log(TWO_PI * s->var[c * s->p + j]);
        s->cst[c] = log(s->prior[c]) - 0.5 * acc;
        any = 1;
    }
    if (!any)
        return knob_err_set(err, KNOB_EINVAL, "naive_bayes: no class has both training rows and a positive prior");
    return KNOB_OK;
}

static int nb_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    int rc = knob_check_dense(train, "naive_bayes", err);
    if (rc) return rc;
    if ((rc = state_new(m, err))) return rc;
    nb_state *s = m->state;
    size_t n = train->n_rows, p = s->p, k = s->k;
    size_t n_pri;
    const double *pri = knob_params_list(&m->params, "priors", &n_pri);
    if (knob_params_is_set(&m->params, "priors") && n_pri != k)
        return knob_err_set(err, KNOB_EINVAL, "naive_bayes: priors has %zu entries but the data has %zu classes", n_pri, k);
    const double *sw = o->sample_weight;
    const knob_frame *f = train->frame;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double w = sw ? sw[i] : 1.0;
        s->count[(size_t)knob_dataset_target(train, i)] += w;
        total += w;
    }
    if (!(total > 0)) return knob_err_set(err, KNOB_EINVAL, "naive_bayes: the sample weights sum to zero");
    double maxvar = 0;
    for (size_t j = 0; j < p; j++) {
        const double *col = f->X + j * f->n_rows;
        double mean = 0, acc = 0;
        for (size_t i = 0; i < n; i++) mean += col[knob_dataset_row(train, i)];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = col[knob_dataset_row(train, i)] - mean;
            acc += d * d;
        }
        if (acc / (double)n > maxvar) maxvar = acc / (double)n;
        for (size_t i = 0; i < n; i++) {
            double w = sw ? sw[i] : 1.0;
            s->theta[(size_t)knob_dataset_target(train, i) * p + j] += w * col[knob_dataset_row(train, i)];
        }
        for (size_t c = 0; c < k; c++)
            if (s->count[c] > 0) s->theta[c * p + j] /= s->count[c];
        for (size_t i = 0; i < n; i++) {
            double w = sw ? sw[i] : 1.0;
            size_t c = (size_t)knob_dataset_target(train, i);
            double d = col[knob_dataset_row(train, i)] - s->theta[c * p + j];
            s->var[c * p + j] += w * d * d;
        }
    }
    double vs = knob_params_num(&m->params, "var_smoothing");
    s->epsilon = vs * (maxvar > 0 ? maxvar : 1.0);
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < p; j++) {
            double *v = &s->var[c * p + j];
            *v = (s->count[c] > 0 ? *v / s->count[c] : 0) + s->epsilon;
            if (s->count[c] > 0 && !(*v > 0))
                return knob_err_set(err, KNOB_EINVAL,
                                    "naive_bayes: feature '%s' has zero variance in class '%s'; use var_smoothing > 0",
                                    f->cols[j].name, m->schema.classes[c]);
        }
    for (size_t c = 0; c < k; c++) s->prior[c] = pri ? pri[c] : s->count[c] / total;
    return finish_state(s, err);
}

/* Joint log-likelihoods of rows [r0, r0 + nr) into jll (nr x k); x is scratch for nr x p values. */
static void nb_jll(const nb_state *s, const knob_dataset *ds, size_t r0, size_t nr, double *x, double *jll)
{
    size_t p = s->p, k = s->k;
    knob_gather_rows(ds, r0, nr, x);
    for (size_t r = 0; r < nr; r++)
        for (size_t c = 0; c < k; c++) {
            const double *th = s->theta + c * p, *va = s->var + c * p, *xr = x + r * p;
            double acc = 0;
            for (size_t j = 0; j < p; j++) {
                double d = xr[j] - th[j];
                acc += d * d / va[j];
            }
            jll[r * k + c] = isinf(s->cst[c]) ? -INFINITY : s->cst[c] - 0.5 * acc;
        }
}

static int nb_run(const knob_model *m, const knob_dataset *ds, double *out, int proba, knob_err *err)
{
    int rc = knob_check_dense(ds, "naive_bayes", err);
    if (rc) return rc;
    const nb_state *s = m->state;
    size_t k = s->k;
    double *x = malloc((NB_BLOCK * s->p + NB_BLOCK * k) * sizeof *x);
    if (!x) return oom(err);
    double *jll = x + NB_BLOCK * s->p;
    for (size_t r0 = 0; r0 < ds->n_rows; r0 += NB_BLOCK) {
        size_t nr = ds->n_rows - r0 < NB_BLOCK ? ds->n_rows - r0 : NB_BLOCK;
        nb_jll(s, ds, r0, nr, x, jll);
        for (size_t r = 0; r < nr; r++) {
            const double *l = jll + r * k;
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                if (l[c] > l[best]) best = c;
            if (!proba) {
                out[r0 + r] = (double)best;
                continue;
            }
            double sum = 0; /* logsumexp, shifted by the largest term */
            for (size_t c = 0; c < k; c++) sum += exp(l[c] - l[best]);
            double lse = l[best] + log(sum);
            for (size_t c = 0; c < k; c++) out[(r0 + r) * k + c] = exp(l[c] - lse);
        }
    }
    free(x);
    return KNOB_OK;
}

static int nb_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    return nb_run(m, ds, out, 0, err);
}

static int nb_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    return nb_run(m, ds, out, 1, err);
}

static int nb_save(const knob_model *m, cJSON *obj, knob_err *err)
{
    const nb_state *s = m->state;
    size_t kp = s->k * s->p;
    int rc = knob_json_add_doubles(obj, "theta", s->theta, kp, err);
    if (rc == KNOB_OK) rc = knob_json_add_doubles(obj, "var", s->var, kp, err);
    if (rc == KNOB_OK) rc = knob_json_add_doubles(obj, "class_count", s->count, s->k, err);
    if (rc == KNOB_OK) rc = knob_json_add_doubles(obj, "class_prior", s->prior, s->k, err);
    if (rc == KNOB_OK && !cJSON_AddNumberToObject(obj, "epsilon", s->epsilon)) rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
    return rc; /* epsilon is for reading only: var already includes it */
}

static int nb_load(knob_model *m, const cJSON *obj, knob_err *err)
{
    int rc = state_new(m, err);
    if (rc) return rc;
    nb_state *s = m->state;
    size_t kp = s->k * s->p;
    if ((rc = knob_json_state_doubles(obj, "theta", kp, s->theta, -DBL_MAX, DBL_MAX, 0, err)) ||
        (rc = knob_json_state_doubles(obj, "var", kp, s->var, DBL_TRUE_MIN, DBL_MAX, 0, err)) ||
        (rc = knob_json_state_doubles(obj, "class_count", s->k, s->count, 0, DBL_MAX, 0, err)) ||
        (rc = knob_json_state_doubles(obj, "class_prior", s->k, s->prior, 0, 1, 0, err)))
        return rc;
    rc = knob_json_number(cJSON_GetObjectItemCaseSensitive(obj, "epsilon"), "state.epsilon", &s->epsilon, err);
    if (rc) return rc;
    if (finish_state(s, err)) return knob_err_set(err, KNOB_EPARSE, "model file: no class has both training rows and a positive prior");
    return KNOB_OK;
}

static size_t nb_n_learned(const knob_model *m)
{
    const nb_state *s = m->state;
    return 2 * s->k * s->p + s->k;
}

static size_t nb_bytes(const knob_model *m)
{
    const nb_state *s = m->state;
    return sizeof *s + (2 * s->k * s->p + 3 * s->k) * sizeof(double);
}

static void nb_describe(const knob_model *m, char *buf, size_t size)
{
    const nb_state *s = m->state;
    knob_describe_printf(buf, size, "gaussian, %zu classes", s->k);
}

const knob_model_vtable knob_model_naive_bayes = {
    .kind = "naive_bayes",
    .summary = "Gaussian naive Bayes (per-class feature means and variances)",
    .tasks = 1u << KNOB_TASK_CLASSIFICATION,
    .params = nb_params,
    .check = nb_check,
    .fit = nb_fit,
    .predict = nb_predict,
    .predict_proba = nb_proba,
    .save = nb_save,
    .load = nb_load,
    .free_state = nb_free,
    .n_learned = nb_n_learned,
    .state_bytes = nb_bytes,
    .describe = nb_describe,
};
