/* forest.c — random forests and extremely randomized trees (scikit-learn 1.2's RandomForest* and
 * ExtraTrees*), and the fitted-state operations every tree kind shares (a single tree is a forest of one).
 *
 * Tree t draws from its own generator seeded by (seed, t), so a forest is the same for any thread count.
 * Bootstrap samples draw max_samples * n rows with replacement (a row drawn twice counts twice in the
 * weights but once in min_samples_leaf / min_samples_split, as in scikit-learn). Probabilities are the mean
 * of the trees' leaf class distributions (soft voting); regression predictions the mean of the trees'.
 * oob_score (bootstrap only): accuracy (classification) or R^2 (regression) of the out-of-bag predictions
 * over the training rows that were out of bag for at least one tree; it is reported in the training
 * status, e.g. "100 trees; oob_score 0.9612 (accuracy, 569 rows)". */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/json_io.h"
#include "knob/parallel.h"
#include "model_impl.h"
#include "tree.h"
#include "treeshap.h"

/* ---- the shared fitted state --------------------------------------------------------------------- */

knob_forest_state *knob_forest_state_new(size_t n_trees, size_t n_out, size_t p)
{
    knob_forest_state *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n_trees = n_trees;
    s->n_out = n_out;
    s->p = p;
    s->oob_score = NAN;
    s->trees = calloc(n_trees ? n_trees : 1, sizeof *s->trees);
    s->importance = calloc(p ? p : 1, sizeof *s->importance);
    if (!s->trees || !s->importance) {
        free(s->trees);
        free(s->importance);
        free(s);
        return NULL;
    }
    return s;
}

void knob_forest_free(knob_model *m)
{
    knob_forest_state *s = m->state;
    if (s) {
        for (size_t t = 0; t < s->n_trees; t++) knob_tree_free(&s->trees[t]);
        free(s->trees);
        free(s->importance);
        free(s);
    }
    m->state = NULL;
}

static int predict_threads(const knob_model *m)
{
    return (int)knob_params_num(&m->params, "n_jobs"); /* 0 (or no such parameter): the default */
}

int knob_forest_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    const knob_forest_state *s = m->state;
    int rc = knob_trees_predict(s->trees, s->n_trees, s->n_out, ds, m->schema.names, predict_threads(m), out, err);
    if (rc) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        knob_err_set(err, rc, "%s: %s", m->vt->kind, msg);
    }
    return rc;
}

int knob_forest_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    const knob_forest_state *s = m->state;
    if (s->n_out == 1 && m->schema.task != KNOB_TASK_CLASSIFICATION) return knob_forest_proba(m, ds, out, err);
    size_t n = ds->n_rows, k = s->n_out;
    double *p = malloc((n ? n : 1) * k * sizeof *p);
    if (!p) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    int rc = knob_forest_proba(m, ds, p, err);
    for (size_t i = 0; i < n && !rc; i++) out[i] = (double)knob_tree_argmax(p + i * k, k);
    free(p);
    return rc;
}

int knob_forest_importances(const knob_model *m, double *out, knob_err *err)
{
    (void)err;
    const knob_forest_state *s = m->state;
    memcpy(out, s->importance, s->p * sizeof *out);
    return KNOB_OK;
}

size_t knob_forest_n_learned(const knob_model *m)
{
    const knob_forest_state *s = m->state;
    size_t n = 0;
    for (size_t t = 0; t < s->n_trees; t++) n += (size_t)s->trees[t].n_nodes;
    return n;
}

size_t knob_forest_bytes(const knob_model *m)
{
    const knob_forest_state *s = m->state;
    size_t b = sizeof *s + s->n_trees * sizeof *s->trees + s->p * sizeof(double);
    for (size_t t = 0; t < s->n_trees; t++) b += knob_tree_bytes(&s->trees[t], s->n_out);
    return b;
}

int knob_forest_save(const knob_model *m, cJSON *obj, knob_err *err)
{
    const knob_forest_state *s = m->state;
    int rc = knob_json_add_doubles(obj, "importances", s->importance, s->p, err);
    if (rc) return rc;
    if (!isnan(s->oob_score)) {
        cJSON *v = knob_json_exact(s->oob_score);
        if (!v || !cJSON_AddItemToObject(obj, "oob_score", v)) {
            cJSON_Delete(v);
            return knob_err_set(err, KNOB_ENOMEM, "out of memory saving the model");
        }
    }
    cJSON *arr = cJSON_AddArrayToObject(obj, "trees");
    if (!arr) return knob_err_set(err, KNOB_ENOMEM, "out of memory saving the model");
    for (size_t t = 0; t < s->n_trees; t++) {
        rc = knob_tree_to_json(&s->trees[t], s->n_out, arr, err);
        if (rc) return rc;
    }
    return KNOB_OK;
}

int knob_forest_load(knob_model *m, const cJSON *obj, knob_err *err)
{
    size_t p = m->schema.n_features;
    size_t n_out = m->schema.task == KNOB_TASK_CLASSIFICATION ? m->schema.n_classes : 1;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "trees");
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
        return knob_err_set(err, KNOB_EPARSE, "model file: field 'state.trees' must be a non-empty array");
    size_t n_trees = (size_t)cJSON_GetArraySize(arr);
    if (knob_params_find(&m->params, "n_estimators") >= 0 &&
        (double)n_trees != knob_params_num(&m->params, "n_estimators"))
        return knob_err_set(err, KNOB_EPARSE, "model file: 'state.trees' holds %zu trees but n_estimators is %g",
                            n_trees, knob_params_num(&m->params, "n_estimators"));
    if (knob_params_find(&m->params, "n_estimators") < 0 && n_trees != 1)
        return knob_err_set(err, KNOB_EPARSE, "model file: 'state.trees' must hold exactly one tree");
    knob_forest_state *s = knob_forest_state_new(n_trees, n_out, p);
    if (!s) return knob_err_set(err, KNOB_ENOMEM, "out of memory loading the model");
    m->state = s;
    int rc = knob_json_state_doubles(obj, "importances", p, s->importance, 0, 1, 0, err);
    if (rc) return rc;
    const cJSON *oob = cJSON_GetObjectItemCaseSensitive(obj, "oob_score");
    if (oob && (rc = knob_json_number(oob, "state.oob_score", &s->oob_score, err))) return rc;
    size_t t = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char field[48];
        snprintf(field, sizeof field, "state.trees[%zu]", t + 1);
        if ((rc = knob_tree_from_json(&s->trees[t], it, p, n_out, field, err))) return rc;
        t++;
    }
    return KNOB_OK;
}

/* ---- forest hyperparameters ---------------------------------------------------------------------- */

#define FOREST_PARAM_SPECS(bootstrap_default)                                                                   \
    KNOB_TREE_PARAM_SPECS,                                                                                      \
    {"n_estimators", KNOB_PT_INT, 100, NULL, 1, 1e6, 0, 0, NULL, 0, "number of trees"},                          \
    {"bootstrap", KNOB_PT_BOOL, bootstrap_default, NULL, NAN, NAN, 0, 0, NULL, 0,                               \
     "grow each tree on a bootstrap sample (rows drawn with replacement)"},                                     \
    {"max_samples", KNOB_PT_NUM, NAN, NULL, 0, 1, 1, 0, NULL, 1,                                                 \
     "bootstrap sample size as a fraction of the rows, in (0, 1]; unset = all rows"},                          \
    {"oob_score", KNOB_PT_BOOL, 0, NULL, NAN, NAN, 0, 0, NULL, 0,                                                \
     "score the out-of-bag rows (bootstrap only); reported in the training status"},                           \
    {"n_jobs", KNOB_PT_INT, 0, NULL, 0, 1024, 0, 0, NULL, 0, "threads (0 = knob's default)"},                   \
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL}

static const knob_param_spec forest_params[] = {FOREST_PARAM_SPECS(1)};
static const knob_param_spec extra_params[] = {FOREST_PARAM_SPECS(0)};

static const char *forest_check(const knob_params *p)
{
    const char *msg = knob_tree_check_params(p);
    if (msg) return msg;
    int bootstrap = knob_params_num(p, "bootstrap") != 0;
    if (!bootstrap && knob_params_is_set(p, "max_samples")) return "max_samples needs bootstrap = true";
    if (!bootstrap && knob_params_num(p, "oob_score") != 0) return "oob_score needs bootstrap = true";
    return NULL;
}

/* ---- fitting ------------------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct {
    const knob_tree_data *d;
    const knob_tree_cfg *cfg;
    knob_forest_state *s;
    uint64_t seed;
    size_t n_boot;          /* bootstrap draws per tree, 0 = no bootstrap */
    unsigned char *inbag;   /* n_trees x ceil(n / 8) bits when computing the oob score, else NULL */
    double *imp;            /* n_trees x p per-tree importances */
    int *rc;                /* per tree */
    knob_tree_work **work;  /* per worker, created on first use */
    uint32_t *count;        /* per worker: n in-bag counts */
} grow_ctx;

static void grow_task(void *ctx, size_t t, int worker)
{
    grow_ctx *c = ctx;
    size_t n = c->d->n;
    if (!c->work[worker] && !(c->work[worker] = knob_tree_work_new(c->d, c->cfg))) {
        c->rc[t] = KNOB_ENOMEM;
        return;
    }
    knob_rng rng;
    knob_rng_seed(&rng, mix64(c->seed ^ mix64(t + 0x632be59bd9b4e019ULL)));
    uint32_t *count = NULL;
    if (c->n_boot) {
        count = c->count + (size_t)worker * n;
        memset(count, 0, n * sizeof *count);
        for (size_t i = 0; i < c->n_boot; i++) count[knob_rng_below(&rng, n)]++;
        if (c->inbag) {
            unsigned char *bits = c->inbag + t * ((n + 7) / 8);
            for (size_t i = 0; i < n; i++)
                if (count[i]) bits[i >> 3] |= (unsigned char)(1u << (i & 7));
        }
    }
    knob_err err = {0};
    c->rc[t] = knob_tree_grow(&c->s->trees[t], c->d, c->cfg, count, &rng, c->work[worker], c->imp + t * c->d->p,
                              &err);
}

/* Mean importance over the trees that split (scikit-learn's rule), normalised to sum 1. */
static void mean_importances(knob_forest_state *s, const double *imp)
{
    size_t p = s->p, used = 0;
    for (size_t t = 0; t < s->n_trees; t++) {
        if (s->trees[t].n_nodes <= 1) continue;
        used++;
        for (size_t j = 0; j < p; j++) s->importance[j] += imp[t * p + j];
    }
    double total = 0;
    for (size_t j = 0; j < p; j++) total += s->importance[j];
    if (used && total > 0)
        for (size_t j = 0; j < p; j++) s->importance[j] /= total;
}

/* ---- out-of-bag score ---------------------------------------------------------------------------- */

#define OOB_BLOCK 256

typedef struct {
    const knob_tree_data *d;
    const knob_forest_state *s;
    const unsigned char *inbag;
    double *sum;      /* n x n_out */
    uint32_t *hits;   /* n: trees that had the row out of bag */
    double *buf;      /* threads x OOB_BLOCK x p */
} oob_ctx;

static void oob_task(void *ctx, size_t block, int worker)
{
    oob_ctx *c = ctx;
    size_t n = c->d->n, p = c->d->p, n_out = c->s->n_out, bytes = (n + 7) / 8;
    size_t lo = block * OOB_BLOCK, hi = lo + OOB_BLOCK < n ? lo + OOB_BLOCK : n;
    double *xb = c->buf + (size_t)worker * OOB_BLOCK * p;
    for (size_t j = 0; j < p; j++)
        for (size_t i = lo; i < hi; i++) xb[(i - lo) * p + j] = c->d->X[j * n + i];
    for (size_t t = 0; t < c->s->n_trees; t++) {
        const unsigned char *bits = c->inbag + t * bytes;
        for (size_t i = lo; i < hi; i++) {
            if (bits[i >> 3] & (1u << (i & 7))) continue;
            const double *v = knob_tree_leaf(&c->s->trees[t], xb + (i - lo) * p, n_out);
            for (size_t o = 0; o < n_out; o++) c->sum[i * n_out + o] += v[o];
            c->hits[i]++;
        }
    }
}

static int oob_score(knob_forest_state *s, const knob_tree_data *d, const unsigned char *inbag, int threads,
                     size_t *n_scored, knob_err *err)
{
    size_t n = d->n, n_out = s->n_out, blocks = (n + OOB_BLOCK - 1) / OOB_BLOCK;
    if ((size_t)threads > blocks) threads = (int)blocks;
    oob_ctx c = {d, s, inbag, calloc(n * n_out, sizeof(double)), calloc(n, sizeof(uint32_t)),
                 malloc((size_t)threads * OOB_BLOCK * d->p * sizeof(double))};
    if (!c.sum || !c.hits || !c.buf) {
        free(c.sum);
        free(c.hits);
        free(c.buf);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory computing the out-of-bag score");
    }
    knob_parallel_for(blocks, threads, oob_task, &c);
    size_t m = 0, right = 0;
    double sy = 0, ss_res = 0;
    for (size_t i = 0; i < n; i++) {
        if (!c.hits[i]) continue;
        m++;
        if (d->k) right += (int32_t)knob_tree_argmax(c.sum + i * n_out, n_out) == d->yc[i];
        else sy += d->y[i];
    }
    if (m && !d->k) {
        double mean = sy / (double)m, ss_tot = 0;
        for (size_t i = 0; i < n; i++) {
            if (!c.hits[i]) continue;
            double e = d->y[i] - c.sum[i] / c.hits[i], u = d->y[i] - mean;
            ss_res += e * e;
            ss_tot += u * u;
        }
        s->oob_score = ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
    } else if (m) {
        s->oob_score = (double)right / (double)m;
    }
    *n_scored = m;
    free(c.sum);
    free(c.hits);
    free(c.buf);
    return KNOB_OK;
}

static int forest_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    int random_splits = m->vt == &knob_model_extra_trees;
    const knob_params *pr = &m->params;
    const char *kind = m->vt->kind;
    size_t p = train->frame->n_features, n = train->n_rows;
    knob_tree_cfg cfg;
    int rc = knob_tree_cfg_from_params(m, p, 1, random_splits, &cfg, err);
    if (rc) return rc;
    size_t n_trees = (size_t)knob_params_num(pr, "n_estimators");
    int bootstrap = knob_params_num(pr, "bootstrap") != 0;
    int want_oob = knob_params_num(pr, "oob_score") != 0;
    int threads = o->threads > 0 ? o->threads : (int)knob_params_num(pr, "n_jobs");
    if (threads <= 0) threads = knob_parallel_default_threads();
    size_t n_boot = 0;
    if (bootstrap) {
        n_boot = n;
        if (knob_params_is_set(pr, "max_samples")) {
            double f = rint(knob_params_num(pr, "max_samples") * (double)n);
            n_boot = f < 1 ? 1 : (size_t)f;
        }
    }
    knob_tree_data d;
    rc = knob_tree_data_init(&d, m, train, o->sample_weight, knob_tree_use_presort(n_boot ? n_boot : n, p, &cfg),
                             threads, err);
    if (rc) return rc;
    size_t n_out = d.k ? d.k : 1;
    knob_forest_state *s = knob_forest_state_new(n_trees, n_out, p);
    int workers = threads > (int)n_trees ? (int)n_trees : threads;
    grow_ctx c = {&d, &cfg, s, (uint64_t)knob_params_num(pr, "seed"), n_boot,
                  want_oob && bootstrap ? calloc(n_trees * ((n + 7) / 8), 1) : NULL,
                  calloc(n_trees * p, sizeof(double)), calloc(n_trees, sizeof(int)),
                  calloc((size_t)workers, sizeof(knob_tree_work *)),
                  n_boot ? malloc((size_t)workers * n * sizeof(uint32_t)) : NULL};
    m->state = s;
    if (!s || !c.imp || !c.rc || !c.work || (n_boot && !c.count) || (want_oob && bootstrap && !c.inbag)) {
        rc = knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", kind);
        goto done;
    }
    knob_parallel_for(n_trees, workers, grow_task, &c);
    for (size_t t = 0; t < n_trees && !rc; t++) {
        if (c.rc[t] == KNOB_ENOMEM) rc = knob_err_set(err, KNOB_ENOMEM, "%s: out of memory growing tree %zu", kind, t + 1);
        else if (c.rc[t])
            rc = knob_err_set(err, c.rc[t], "%s: the sample weights of tree %zu's %s sum to zero", kind, t + 1,
                              n_boot ? "bootstrap sample" : "training rows");
    }
    if (rc) goto done;
    mean_importances(s, c.imp);
    snprintf(m->history.status, sizeof m->history.status, "%zu tree%s", n_trees, n_trees == 1 ? "" : "s");
    if (c.inbag) {
        size_t scored = 0;
        rc = oob_score(s, &d, c.inbag, workers, &scored, err);
        if (rc) goto done;
        if (scored)
            snprintf(m->history.status, sizeof m->history.status, "%zu trees; oob_score %.6f (%s, %zu rows)", n_trees,
                     s->oob_score, d.k ? "accuracy" : "r2", scored);
        else
            snprintf(m->history.status, sizeof m->history.status, "%zu trees; oob_score undefined (no row was out of bag)",
                     n_trees);
    }
done:
    for (int w = 0; c.work && w < workers; w++) knob_tree_work_free(&c.work[w]);
    free(c.work);
    free(c.count);
    free(c.inbag);
    free(c.imp);
    free(c.rc);
    knob_tree_data_free(&d);
    return rc;
}

static void forest_describe(const knob_model *m, char *buf, size_t size)
{
    const knob_forest_state *s = m->state;
    knob_describe_printf(buf, size, "%zu trees", s->n_trees);
}

static size_t forest_numbers(const knob_model *m, const char **names, double *values, size_t cap)
{
    const knob_forest_state *s = m->state;
    if (cap < 1 || isnan(s->oob_score)) return 0;
    names[0] = "oob_score";
    values[0] = s->oob_score;
    return 1;
}

#define FOREST_VTABLE_COMMON                                                                                    \
    .tasks = (1u << KNOB_TASK_CLASSIFICATION) | (1u << KNOB_TASK_REGRESSION), .check = forest_check,            \
    .predict = knob_forest_predict, .predict_proba = knob_forest_proba, .save = knob_forest_save,                \
    .load = knob_forest_load, .free_state = knob_forest_free, .importances = knob_forest_importances,            \
    .fit = forest_fit, .n_learned = knob_forest_n_learned, .state_bytes = knob_forest_bytes, .describe = forest_describe,      \
    .fit_numbers = forest_numbers, .shap_outputs = knob_forest_shap_outputs, .shap = knob_forest_shap

const knob_model_vtable knob_model_forest = {
    .kind = "forest",
    .summary = "random forest: bootstrapped CART trees with random feature subsets, averaged",
    .params = forest_params,
    FOREST_VTABLE_COMMON,
};

const knob_model_vtable knob_model_extra_trees = {
    .kind = "extra_trees",
    .summary = "extremely randomized trees: random thresholds on random feature subsets, averaged",
    .params = extra_params,
    FOREST_VTABLE_COMMON,
};
