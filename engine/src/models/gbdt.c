/* gbdt.c — gradient-boosted decision trees on histograms: the model kind "gbdt" (hyperparameters, losses,
 * the boosting loop, early stopping, persistence). Trees are grown in gbdt_tree.c on features binned by
 * gbdt_bins.c.
 *
 * Losses: binary log loss, multiclass softmax log loss (one tree per class per round), squared error,
 * absolute error (leaf values renewed to the median residual, like LightGBM) and huber (gradient clipped at
 * huber_delta). History per round: train_loss and valid_loss are the objective's mean loss (log loss; mean
 * squared error; mean absolute error; mean huber loss), valid_metric is accuracy for classification and RMSE
 * for regression. Categorical features with at most max_bins levels are split by sets of levels (levels sorted
 * by gradient/hessian, best prefix; a level not seen in a node's training rows goes right); with more levels
 * they are split on their level codes as ordered numbers.
 */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbdt.h"
#include "knob/json_io.h"
#include "knob/model.h"
#include "knob/parallel.h"
#include "knob/rng.h"
#include "model_impl.h"
#include "treeshap.h"

enum { OBJ_AUTO, OBJ_BINARY, OBJ_MULTICLASS, OBJ_SQUARED, OBJ_ABSOLUTE, OBJ_HUBER };
static const char *const objectives[] = {"auto", "binary", "multiclass", "squared_error", "absolute_error", "huber",
                                         NULL};
static const char *const split_searches[] = {"auto", "histogram", "rows", NULL}; /* KNOB_GBDT_SEARCH_* order */

#define BIN_SAMPLE 200000   /* rows used at most to find the bin boundaries */
#define ROW_BLOCK 8192      /* rows per task in the loss/gradient passes (fixed: results independent of threads) */

static const knob_param_spec gbdt_params[] = {
    {"objective", KNOB_PT_STR, 0, "auto", NAN, NAN, 0, 0, objectives, 0,
     "auto = binary (2 classes), multiclass (more), squared_error (regression)"},
    {"n_estimators", KNOB_PT_INT, 100, NULL, 1, 1e7, 0, 0, NULL, 0, "boosting rounds"},
    {"learning_rate", KNOB_PT_NUM, 0.1, NULL, 0, 1e6, 1, 0, NULL, 0, "shrinkage of every leaf value"},
    {"max_leaves", KNOB_PT_INT, 31, NULL, 2, 131072, 0, 0, NULL, 0, "leaves per tree (grown best leaf first)"},
    {"max_depth", KNOB_PT_INT, NAN, NULL, 1, 64, 0, 0, NULL, 1, "depth limit (none = unlimited)"},
    {"min_samples_leaf", KNOB_PT_INT, 20, NULL, 1, 1e12, 0, 0, NULL, 0, "rows per leaf at least"},
    {"min_child_weight", KNOB_PT_NUM, 1e-3, NULL, 0, NAN, 0, 0, NULL, 0, "hessian per leaf at least"},
    {"l2", KNOB_PT_NUM, 0, NULL, 0, NAN, 0, 0, NULL, 0, "L2 regularisation of leaf values (lambda)"},
    {"l1", KNOB_PT_NUM, 0, NULL, 0, NAN, 0, 0, NULL, 0, "L1 regularisation of leaf values (alpha)"},
    {"min_split_gain", KNOB_PT_NUM, 0, NULL, 0, NAN, 0, 0, NULL, 0, "a split must reduce the loss by more (gamma)"},
    {"subsample", KNOB_PT_NUM, 1, NULL, 0, 1, 1, 0, NULL, 0, "fraction of rows sampled for each round"},
    {"colsample", KNOB_PT_NUM, 1, NULL, 0, 1, 1, 0, NULL, 0, "fraction of features sampled for each tree"},
    {"max_bins", KNOB_PT_INT, 255, NULL, 2, 255, 0, 0, NULL, 0, "histogram bins per feature (missing values get one more)"},
    {"early_stopping_rounds", KNOB_PT_INT, NAN, NULL, 1, 1e7, 0, 0, NULL, 1,
     "stop when the eval_set loss has not improved for this many rounds (keeps the best round)"},
    {"seed", KNOB_PT_INT, 0, NULL, 0, 9007199254740992.0, 0, 0, NULL, 0, "seed of row/feature sampling and binning"},
    {"split_search", KNOB_PT_STR, 0, "auto", NAN, NAN, 0, 0, split_searches, 0,
     "how a leaf's best split is found: histogram (large data), rows (each feature's rows in value order: small "
     "data, numeric features, l1 = 0), auto = by the data's size; the same trees either way, up to rounding"},
    {"n_jobs", KNOB_PT_INT, 0, NULL, 0, 256, 0, 0, NULL, 0, "threads (0 = knob's default)"},
    {"base_score", KNOB_PT_NUM, NAN, NULL, NAN, NAN, 0, 0, NULL, 1,
     "initial prediction: regression value, binary positive-class probability; none = prior (multiclass: any "
     "value = uniform)"},
    {"huber_delta", KNOB_PT_NUM, 1, NULL, 0, NAN, 1, 0, NULL, 0, "huber: residuals beyond this are linear"},
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL},
};

typedef struct {
    int objective;           /* OBJ_* (resolved) */
    size_t k;                /* trees per round: n_classes for multiclass, else 1 */
    double *base;            /* k initial raw scores */
    size_t n_trees, cap;
    knob_gbdt_tree *trees;   /* tree t belongs to class t % k */
    double huber_delta;
} gbdt_state;

/* The index of s in a NULL-ended list of names (objectives, split_searches), or -1. */
static int name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], s)) return i;
    return -1;
}

static const char *gbdt_check(const knob_params *p)
{
    const char *obj = knob_params_str(p, "objective");
    if (knob_params_is_set(p, "base_score") && obj && !strcmp(obj, "binary")) {
        double b = knob_params_num(p, "base_score");
        if (!(b > 0 && b < 1)) return "base_score must be a probability in (0, 1) for objective 'binary'";
    }
    return NULL;
}

static void gbdt_free(knob_model *m)
{
    gbdt_state *s = m->state;
    if (!s) return;
    for (size_t t = 0; t < s->n_trees; t++) free(s->trees[t].nodes);
    free(s->trees);
    free(s->base);
    free(s);
    m->state = NULL;
}

static gbdt_state *state_new(knob_model *m, int objective, size_t k, knob_err *err)
{
    gbdt_state *s = calloc(1, sizeof *s);
    if (s) s->base = calloc(k, sizeof *s->base);
    if (!s || !s->base) {
        free(s);
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        return NULL;
    }
    s->objective = objective;
    s->k = k;
    s->huber_delta = knob_params_num(&m->params, "huber_delta");
    m->state = s;
    return s;
}

static int push_tree(gbdt_state *s, const knob_gbdt_tree *t, knob_err *err)
{
    if (s->n_trees == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        knob_gbdt_tree *a = realloc(s->trees, cap * sizeof *a);
        if (!a) return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory storing trees");
        s->trees = a;
        s->cap = cap;
    }
    s->trees[s->n_trees++] = *t;
    return KNOB_OK;
}

/* ---- losses ---------------------------------------------------------------------------------------- */

/* One pass over rows: the mean loss, the metric sum (correct predictions, or squared residuals), and (when gh
 * is not NULL) gradients and hessians. Rows are processed in fixed blocks, reduced in block order. */
typedef struct {
    int obj;
    size_t n, k;
    const double *score;     /* n * k */
    const double *y;
    const double *w;         /* NULL = all 1 (and the log-losses take one log per 16 rows) */
    double *gh;              /* k * 2n, or NULL */
    double delta;
    double *loss, *metric;   /* per block */
} pass_ctx;

/* Sums of log(x_i) for x_i in [1, 2^60): one log per 16 factors (their product cannot overflow), so the
 * log-losses cost about an exp per row instead of an exp and a log. */
typedef struct {
    double prod, sum;
    int n;
} log_acc;

static inline void log_add(log_acc *a, double x)
{
    a->prod *= x;
    if (++a->n == 16) {
        a->sum += log(a->prod);
        a->prod = 1;
        a->n = 0;
    }
}

static inline double log_total(const log_acc *a)
{
    return a->sum + log(a->prod);
}

static void pass_binary(pass_ctx *c, size_t lo, size_t hi, double *loss, double *metric)
{
    log_acc acc = {1, 0, 0};
    double lin = 0, wlog = 0, met = 0;
    for (size_t i = lo; i < hi; i++) {
        double y = c->y[i], s = c->score[i], e = exp(-fabs(s)), p = s >= 0 ? 1 / (1 + e) : e / (1 + e);
        double w = c->w ? c->w[i] : 1.0;
        /* -log(p) or -log(1-p) = log(1 + e) + max(s, 0) - y s */
        if (c->w) wlog += w * log1p(e);
        else log_add(&acc, 1 + e);
        lin += w * ((s > 0 ? s : 0) - y * s);
        met += (s > 0) == (y > 0.5);
        if (c->gh) {
            double h = p * (1 - p);
            c->gh[2 * i] = w * (p - y);
            c->gh[2 * i + 1] = w * (h > 1e-16 ? h : 1e-16);
        }
    }
    *loss = lin + (c->w ? wlog : log_total(&acc));
    *metric = met;
}

static void pass_multiclass(pass_ctx *c, size_t lo, size_t hi, double *loss, double *metric)
{
    log_acc acc = {1, 0, 0};
    size_t k = c->k, n = c->n;
    double lin = 0, wlog = 0, met = 0;
    for (size_t i = lo; i < hi; i++) {
        const double *s = c->score + i * k;
        size_t yc = (size_t)c->y[i], arg = 0;
        double w = c->w ? c->w[i] : 1.0, mx = s[0], sum = 0;
        for (size_t j = 1; j < k; j++)
            if (s[j] > mx) mx = s[j], arg = j;
        if (c->gh) { /* exp(s_j - max) parked in the gradient slots, then normalised */
            for (size_t j = 0; j < k; j++) sum += (c->gh[j * 2 * n + 2 * i] = exp(s[j] - mx));
            for (size_t j = 0; j < k; j++) {
                double p = c->gh[j * 2 * n + 2 * i] / sum, h = p * (1 - p);
                c->gh[j * 2 * n + 2 * i] = w * (p - (j == yc));
                c->gh[j * 2 * n + 2 * i + 1] = w * (h > 1e-16 ? h : 1e-16);
            }
        } else {
            for (size_t j = 0; j < k; j++) sum += exp(s[j] - mx);
        }
        /* -log p_y = log(sum) + max - s_y, with sum in [1, k] */
        if (c->w) wlog += w * log(sum);
        else log_add(&acc, sum);
        lin += w * (mx - s[yc]);
        met += arg == yc;
    }
    *loss = lin + (c->w ? wlog : log_total(&acc));
    *metric = met;
}

static void pass_regression(pass_ctx *c, size_t lo, size_t hi, double *loss, double *metric)
{
    double l = 0, met = 0, d = c->delta;
    for (size_t i = lo; i < hi; i++) {
        double w = c->w ? c->w[i] : 1.0, r = c->score[i] - c->y[i], a = fabs(r), li, g;
        if (c->obj == OBJ_SQUARED) {
            li = r * r;
            g = r;
        } else if (c->obj == OBJ_ABSOLUTE) {
            li = a;
            g = (r > 0) - (r < 0);
        } else {
            li = a <= d ? 0.5 * r * r : d * (a - 0.5 * d);
            g = a <= d ? r : r > 0 ? d : -d;
        }
        l += w * li;
        met += r * r;
        if (c->gh) {
            c->gh[2 * i] = w * g;
            c->gh[2 * i + 1] = w;
        }
    }
    *loss = l;
    *metric = met;
}

static void pass_task(void *vctx, size_t blk, int worker)
{
    (void)worker;
    pass_ctx *c = vctx;
    size_t lo = blk * ROW_BLOCK, hi = lo + ROW_BLOCK;
    if (hi > c->n) hi = c->n;
    if (c->obj == OBJ_BINARY) pass_binary(c, lo, hi, &c->loss[blk], &c->metric[blk]);
    else if (c->obj == OBJ_MULTICLASS) pass_multiclass(c, lo, hi, &c->loss[blk], &c->metric[blk]);
    else pass_regression(c, lo, hi, &c->loss[blk], &c->metric[blk]);
}

/* Run a pass; *loss = weighted mean loss, *metric = accuracy or RMSE. */
static void run_pass(pass_ctx *c, double wsum, int threads, double *loss, double *metric)
{
    size_t blocks = (c->n + ROW_BLOCK - 1) / ROW_BLOCK;
    knob_parallel_for(blocks, c->n * c->k >= 2 * ROW_BLOCK ? threads : 1, pass_task, c);
    double l = 0, met = 0;
    for (size_t b = 0; b < blocks; b++) {
        l += c->loss[b];
        met += c->metric[b];
    }
    *loss = l / wsum;
    *metric = c->obj == OBJ_BINARY || c->obj == OBJ_MULTICLASS ? met / (double)c->n : sqrt(met / (double)c->n);
}

/* ---- fitting --------------------------------------------------------------------------------------- */

typedef struct {
    knob_gbdt_bins bins;
    uint8_t *binned, *eval_binned;
    double *y, *w, *score, *eval_y, *eval_score, *resid, *rw, *part_loss, *part_metric;
    double *gh;
    uint32_t *in_rows, *out_rows;
    int *feats, *perm;
    uint8_t *usable; /* per feature: can split the training rows (two value bins, or a value and a missing one) */
    knob_gbdt_grower *grower;
    int weighted;   /* sample weights were given (medians are weighted only then, like numpy's otherwise) */
} fit_work;

static void work_free(fit_work *fw)
{
    knob_gbdt_bins_free(&fw->bins);
    free(fw->binned);
    free(fw->eval_binned);
    free(fw->y);
    free(fw->w);
    free(fw->score);
    free(fw->eval_y);
    free(fw->eval_score);
    free(fw->resid);
    free(fw->rw);
    free(fw->part_loss);
    free(fw->part_metric);
    free(fw->gh);
    free(fw->in_rows);
    free(fw->out_rows);
    free(fw->feats);
    free(fw->perm);
    free(fw->usable);
    knob_gbdt_grower_free(&fw->grower);
}

static int resolve_objective(const knob_model *m, size_t n_classes, int *obj, knob_err *err)
{
    const char *name = knob_params_str(&m->params, "objective");
    int o = name_index(objectives, name);
    int clf = m->schema.task == KNOB_TASK_CLASSIFICATION;
    if (clf && n_classes < 2)
        return knob_err_set(err, KNOB_EINVAL, "gbdt: classification needs at least 2 classes (got %zu)", n_classes);
    if (o == OBJ_AUTO) o = clf ? (n_classes == 2 ? OBJ_BINARY : OBJ_MULTICLASS) : OBJ_SQUARED;
    int o_clf = o == OBJ_BINARY || o == OBJ_MULTICLASS;
    if (o_clf != clf)
        return knob_err_set(err, KNOB_EINVAL, "gbdt: objective '%s' is for %s, but the target is %s", name,
                            o_clf ? "classification" : "regression", clf ? "classification" : "regression");
    if (o == OBJ_BINARY && n_classes != 2)
        return knob_err_set(err, KNOB_EINVAL, "gbdt: objective 'binary' needs 2 classes (got %zu); use 'multiclass'",
                            n_classes);
    *obj = o;
    return KNOB_OK;
}

/* Initial raw scores: prior log-odds / log class priors / mean / median, or base_score. */
static void init_base(const knob_model *m, gbdt_state *s, const fit_work *fw, size_t n, double wsum)
{
    int set = knob_params_is_set(&m->params, "base_score");
    double bs = knob_params_num(&m->params, "base_score");
    if (s->objective == OBJ_BINARY) {
        double p = bs;
        if (!set) {
            p = 0;
            for (size_t i = 0; i < n; i++) p += fw->w[i] * fw->y[i];
            p /= wsum;
        }
        p = p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;
        s->base[0] = log(p / (1 - p));
    } else if (s->objective == OBJ_MULTICLASS) {
        if (set) return; /* all zero: uniform */
        for (size_t i = 0; i < n; i++) s->base[(size_t)fw->y[i]] += fw->w[i];
        for (size_t c = 0; c < s->k; c++) {
            double p = s->base[c] / wsum;
            s->base[c] = log(p > 1e-15 ? p : 1e-15);
        }
    } else if (set) {
        s->base[0] = bs;
    } else if (s->objective == OBJ_SQUARED) {
        double sy = 0;
        for (size_t i = 0; i < n; i++) sy += fw->w[i] * fw->y[i];
        s->base[0] = sy / wsum;
    } else {
        s->base[0] = knob_weighted_median(fw->y, fw->weighted ? fw->w : NULL, n);
    }
}

/* Absolute error: each leaf's value becomes the weighted median residual of its rows times the learning rate. */
static void renew_leaves_median(knob_gbdt_grower *gr, knob_gbdt_tree *t, fit_work *fw, size_t k, size_t c, double lr)
{
    size_t nl = knob_gbdt_grower_n_leaves(gr);
    for (size_t l = 0; l < nl; l++) {
        int32_t node;
        size_t cnt;
        const uint32_t *rows = knob_gbdt_grower_leaf(gr, l, &node, &cnt);
        for (size_t i = 0; i < cnt; i++) {
            fw->resid[i] = fw->y[rows[i]] - fw->score[(size_t)rows[i] * k + c];
            fw->rw[i] = fw->w[rows[i]];
        }
        t->nodes[node].value = cnt ? lr * knob_weighted_median(fw->resid, fw->weighted ? fw->rw : NULL, cnt) : 0;
    }
}

static int fit_alloc(fit_work *fw, size_t n, size_t p, size_t k, size_t ne, int obj)
{
    size_t blocks = (n > ne ? n : ne) / ROW_BLOCK + 1;
    fw->binned = malloc(n * p > 0 ? n * p : 1);
    fw->y = malloc(n * sizeof *fw->y);
    fw->w = malloc(n * sizeof *fw->w);
    fw->score = malloc(n * k * sizeof *fw->score);
    fw->gh = malloc(2 * n * k * sizeof *fw->gh);
    fw->in_rows = malloc(n * sizeof *fw->in_rows);
    fw->out_rows = malloc(n * sizeof *fw->out_rows);
    fw->feats = malloc((p ? p : 1) * sizeof *fw->feats);
    fw->perm = malloc((p ? p : 1) * sizeof *fw->perm);
    fw->usable = malloc(p ? p : 1);
    fw->part_loss = malloc(blocks * sizeof *fw->part_loss);
    fw->part_metric = malloc(blocks * sizeof *fw->part_metric);
    int ok = fw->binned && fw->y && fw->w && fw->score && fw->gh && fw->in_rows && fw->out_rows && fw->feats &&
             fw->perm && fw->usable && fw->part_loss && fw->part_metric;
    if (obj == OBJ_ABSOLUTE) {
        fw->resid = malloc(n * sizeof *fw->resid);
        fw->rw = malloc(n * sizeof *fw->rw);
        ok = ok && fw->resid && fw->rw;
    }
    if (ne) {
        fw->eval_binned = malloc(ne * (p ? p : 1));
        fw->eval_y = malloc(ne * sizeof *fw->eval_y);
        fw->eval_score = malloc(ne * k * sizeof *fw->eval_score);
        ok = ok && fw->eval_binned && fw->eval_y && fw->eval_score;
    }
    return ok;
}

/* Rows of this round: Bernoulli(subsample) per row (at least one), the rest out of the bag. */
static size_t sample_rows(fit_work *fw, size_t n, double subsample, knob_rng *rng, size_t *n_out)
{
    size_t m = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        if (knob_rng_uniform(rng) < subsample) fw->in_rows[m++] = (uint32_t)i;
        else fw->out_rows[o++] = (uint32_t)i;
    }
    if (m == 0) { /* keep one row */
        size_t r = (size_t)knob_rng_below(rng, o);
        fw->in_rows[m++] = fw->out_rows[r];
        memmove(fw->out_rows + r, fw->out_rows + r + 1, (o - r - 1) * sizeof *fw->out_rows);
        o--;
    }
    *n_out = o;
    return m;
}

/* Mark the features that can split the training rows: a feature with one value bin and no missing value
 * never can, and skipping it saves building its histograms in every node. */
static void mark_usable(fit_work *fw, size_t n, size_t p)
{
    for (size_t j = 0; j < p; j++) {
        uint8_t miss = (uint8_t)fw->bins.n_bins[j];
        const uint8_t *col = fw->binned + j * n;
        int usable = fw->bins.n_bins[j] >= 2;
        for (size_t i = 0; i < n && !usable; i++) usable = col[i] == miss;
        fw->usable[j] = (uint8_t)usable;
    }
}

/* Features of one tree: all, or a sorted random subset of max(1, round(colsample * p)); then only the
 * usable ones (the random draws do not depend on which are usable). */
static size_t sample_features(fit_work *fw, size_t p, double colsample, knob_rng *rng)
{
    if (colsample < 1) {
        size_t nf = (size_t)floor(colsample * (double)p + 0.5);
        if (nf < 1) nf = 1;
        for (size_t j = 0; j < p; j++) fw->perm[j] = (int)j;
        for (size_t j = 0; j < nf; j++) {
            size_t r = j + (size_t)knob_rng_below(rng, p - j);
            int t = fw->perm[j];
            fw->perm[j] = fw->perm[r];
            fw->perm[r] = t;
        }
        memset(fw->feats, 0, p * sizeof *fw->feats);
        for (size_t j = 0; j < nf; j++) fw->feats[fw->perm[j]] = 1;
        size_t q = 0;
        for (size_t j = 0; j < p; j++)
            if (fw->feats[j] && fw->usable[j]) fw->perm[q++] = (int)j;
        memcpy(fw->feats, fw->perm, q * sizeof *fw->feats);
        return q;
    }
    size_t q = 0;
    for (size_t j = 0; j < p; j++)
        if (fw->usable[j]) fw->feats[q++] = (int)j;
    return q;
}

static void truncate_trees(gbdt_state *s, size_t n_trees)
{
    for (size_t t = n_trees; t < s->n_trees; t++) free(s->trees[t].nodes);
    if (n_trees < s->n_trees) s->n_trees = n_trees;
}

/* Everything one fit needs besides the buffers. */
typedef struct {
    int obj, threads, early;
    size_t n, p, k, ne, n_est, patience;
    uint64_t seed;
    double subsample, colsample, lr, wsum;
    knob_gbdt_tree_params tp;
} fit_cfg;

static int fit_config(const knob_model *m, const knob_dataset *train, const knob_fit_opts *o, fit_cfg *c,
                      knob_err *err)
{
    const knob_params *P = &m->params;
    memset(c, 0, sizeof *c);
    c->n = train->n_rows;
    c->p = train->frame->n_features;
    int rc = resolve_objective(m, m->schema.n_classes, &c->obj, err);
    if (rc) return rc;
    if (c->n > UINT32_MAX) return knob_err_set(err, KNOB_EINVAL, "gbdt: at most %u training rows", UINT32_MAX);
    c->early = knob_params_is_set(P, "early_stopping_rounds");
    c->patience = c->early ? (size_t)knob_params_num(P, "early_stopping_rounds") : 0;
    const knob_dataset *ev = o->eval_set;
    if (c->early && !ev) return knob_err_set(err, KNOB_EINVAL, "gbdt: early_stopping_rounds needs an eval_set");
    if (ev && !ev->frame->y) return knob_err_set(err, KNOB_EINVAL, "gbdt: the eval_set has no target");
    if (ev && ev->n_rows == 0) return knob_err_set(err, KNOB_EINVAL, "gbdt: the eval_set has no rows");
    c->ne = ev ? ev->n_rows : 0;
    for (size_t i = 0; i < c->ne; i++)
        if (isnan(knob_dataset_target(ev, i)))
            return knob_err_set(err, KNOB_EINVAL, "gbdt: the eval_set target is missing or an unknown class at row %zu",
                                i + 1);
    c->k = c->obj == OBJ_MULTICLASS ? m->schema.n_classes : 1;
    c->threads = o->threads > 0 ? o->threads : (int)knob_params_num(P, "n_jobs");
    if (c->threads <= 0) c->threads = knob_parallel_default_threads();
    c->seed = (uint64_t)knob_params_num(P, "seed");
    c->n_est = (size_t)knob_params_num(P, "n_estimators");
    c->subsample = knob_params_num(P, "subsample");
    c->colsample = knob_params_num(P, "colsample");
    c->lr = knob_params_num(P, "learning_rate");
    c->tp = (knob_gbdt_tree_params){
        .max_leaves = (int)knob_params_num(P, "max_leaves"),
        .max_depth = knob_params_is_set(P, "max_depth") ? (int)knob_params_num(P, "max_depth") : 0,
        .min_samples_leaf = (size_t)knob_params_num(P, "min_samples_leaf"),
        .min_child_weight = knob_params_num(P, "min_child_weight"),
        .l2 = knob_params_num(P, "l2"),
        .l1 = knob_params_num(P, "l1"),
        .min_split_gain = knob_params_num(P, "min_split_gain"),
        .learning_rate = c->lr,
        .threads = c->threads,
        .split_search = name_index(split_searches, knob_params_str(P, "split_search")), /* checked: one of them */
    };
    return KNOB_OK;
}

/* Bins, binned data, targets, weights, initial scores and the grower. */
static int fit_prepare(knob_model *m, gbdt_state *s, const knob_dataset *train, const knob_fit_opts *o, fit_cfg *c,
                       fit_work *fw, knob_err *err)
{
    size_t n = c->n, k = c->k;
    if (!fit_alloc(fw, n, c->p, k, c->ne, c->obj))
        return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory for %zu rows x %zu features", n, c->p);
    int rc = knob_gbdt_bins_fit(&fw->bins, train, (int)knob_params_num(&m->params, "max_bins"), BIN_SAMPLE,
                                c->seed ^ 0x9e3779b97f4a7c15ull, c->threads, err);
    if (rc) return rc;
    knob_gbdt_bins_apply(&fw->bins, train, fw->binned, c->threads);
    mark_usable(fw, n, c->p);
    knob_dataset_gather_y(train, fw->y);
    fw->weighted = o->sample_weight != NULL;
    c->wsum = 0;
    for (size_t i = 0; i < n; i++) {
        fw->w[i] = o->sample_weight ? o->sample_weight[i] : 1.0;
        c->wsum += fw->w[i];
    }
    if (!(c->wsum > 0)) return knob_err_set(err, KNOB_EINVAL, "gbdt: the sample weights sum to zero");
    init_base(m, s, fw, n, c->wsum);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) fw->score[i * k + j] = s->base[j];
    if (o->eval_set) {
        knob_gbdt_bins_apply(&fw->bins, o->eval_set, fw->eval_binned, c->threads);
        knob_dataset_gather_y(o->eval_set, fw->eval_y);
        for (size_t i = 0; i < c->ne; i++)
            for (size_t j = 0; j < k; j++) fw->eval_score[i * k + j] = s->base[j];
    }
    fw->grower = knob_gbdt_grower_new(&fw->bins, fw->binned, n, &c->tp, err);
    return fw->grower ? KNOB_OK : KNOB_ENOMEM;
}

/* Add the tree just grown for class cl to the training scores (in-bag rows by the grower's partition,
 * out-of-bag rows by traversal) and to the eval scores. */
static void add_tree_scores(const fit_cfg *c, fit_work *fw, const knob_gbdt_tree *tree, size_t cl, size_t n_out)
{
    size_t nl = knob_gbdt_grower_n_leaves(fw->grower), k = c->k;
    for (size_t l = 0; l < nl; l++) {
        int32_t node;
        size_t cnt;
        const uint32_t *rows = knob_gbdt_grower_leaf(fw->grower, l, &node, &cnt);
        double v = tree->nodes[node].value;
        for (size_t i = 0; i < cnt; i++) fw->score[(size_t)rows[i] * k + cl] += v;
    }
    if (n_out) knob_gbdt_tree_add_binned(tree, &fw->bins, fw->binned, c->n, fw->out_rows, n_out, fw->score + cl, k);
    if (c->ne) knob_gbdt_tree_add_binned(tree, &fw->bins, fw->eval_binned, c->ne, NULL, c->ne, fw->eval_score + cl, k);
}

/* One boosting round: k trees on the current gradients. */
static int boost_round(gbdt_state *s, const fit_cfg *c, fit_work *fw, knob_rng *rng, knob_err *err)
{
    size_t n_in = c->n, n_out = 0;
    if (c->subsample < 1) n_in = sample_rows(fw, c->n, c->subsample, rng, &n_out);
    for (size_t cl = 0; cl < c->k; cl++) {
        size_t nf = sample_features(fw, c->p, c->colsample, rng);
        knob_gbdt_tree tree;
        int rc = knob_gbdt_grow(fw->grower, fw->gh + cl * 2 * c->n, c->subsample < 1 ? fw->in_rows : NULL, n_in,
                                fw->feats, nf, &tree, err);
        if (rc) return rc;
        if (c->obj == OBJ_ABSOLUTE) renew_leaves_median(fw->grower, &tree, fw, c->k, cl, c->lr);
        if ((rc = push_tree(s, &tree, err))) {
            free(tree.nodes);
            return rc;
        }
        add_tree_scores(c, fw, &tree, cl, n_out);
    }
    return KNOB_OK;
}

static int gbdt_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    fit_cfg c;
    int rc = fit_config(m, train, o, &c, err);
    if (rc) return rc;
    gbdt_state *s = state_new(m, c.obj, c.k, err);
    if (!s) return KNOB_ENOMEM;
    fit_work fw;
    memset(&fw, 0, sizeof fw);
    if ((rc = fit_prepare(m, s, train, o, &c, &fw, err))) {
        work_free(&fw);
        return rc;
    }
    pass_ctx train_pass = {c.obj, c.n, c.k, fw.score, fw.y, fw.weighted ? fw.w : NULL, fw.gh, s->huber_delta,
                           fw.part_loss, fw.part_metric};
    pass_ctx eval_pass = {c.obj, c.ne, c.k, fw.eval_score, fw.eval_y, NULL, NULL, s->huber_delta, fw.part_loss,
                          fw.part_metric};
    double train_loss, train_metric, eval_loss = NAN, eval_metric = NAN, best_loss = INFINITY;
    run_pass(&train_pass, c.wsum, c.threads, &train_loss, &train_metric); /* the first gradients */
    knob_rng rng;
    knob_rng_seed(&rng, c.seed);
    size_t best_round = 0, round;
    snprintf(m->history.status, sizeof m->history.status, "n_estimators");
    for (round = 1; round <= c.n_est; round++) {
        if ((rc = boost_round(s, &c, &fw, &rng, err))) break;
        train_pass.gh = round < c.n_est ? fw.gh : NULL; /* the next round's gradients come with this loss */
        run_pass(&train_pass, c.wsum, c.threads, &train_loss, &train_metric);
        if (c.ne) run_pass(&eval_pass, (double)c.ne, c.threads, &eval_loss, &eval_metric);
        knob_iter_info info = {round, train_loss, eval_loss, eval_metric, c.lr};
        if ((rc = knob_history_push(&m->history, &info, err))) break;
        if (c.ne && eval_loss < best_loss) {
            best_loss = eval_loss;
            best_round = round;
        }
        int r = o->callback ? o->callback(o->callback_ud, &info, err) : 0;
        if (r < 0) {
            rc = r;
            break;
        }
        if (r == 1) {
            snprintf(m->history.status, sizeof m->history.status, "callback");
            break;
        }
        if (c.early && round - best_round >= c.patience) {
            truncate_trees(s, best_round * c.k);
            snprintf(m->history.status, sizeof m->history.status, "early_stopping (best iteration %zu)", best_round);
            break;
        }
    }
    if (rc == KNOB_OK && c.early && round > c.n_est && best_round < c.n_est) {
        truncate_trees(s, best_round * c.k);
        snprintf(m->history.status, sizeof m->history.status, "n_estimators (best iteration %zu)", best_round);
    }
    work_free(&fw);
    return rc;
}

/* ---- prediction ------------------------------------------------------------------------------------ */

static int threads_of(const knob_model *m)
{
    int t = (int)knob_params_num(&m->params, "n_jobs");
    return t > 0 ? t : knob_parallel_default_threads();
}

/* Probabilities from raw scores, in place (binary: k = 1 score -> 2 probabilities in out). */
static int gbdt_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    const gbdt_state *s = m->state;
    size_t n = ds->n_rows, k = s->k;
    if (s->objective == OBJ_BINARY) {
        double *raw = malloc((n ? n : 1) * sizeof *raw);
        if (!raw) return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory predicting %zu rows", n);
        int rc = knob_gbdt_predict_raw(s->trees, s->n_trees, 1, s->base, ds, raw, threads_of(m), err);
        for (size_t i = 0; rc == KNOB_OK && i < n; i++) {
            double p1 = 1 / (1 + exp(-raw[i]));
            out[2 * i] = 1 - p1;
            out[2 * i + 1] = p1;
        }
        free(raw);
        return rc;
    }
    int rc = knob_gbdt_predict_raw(s->trees, s->n_trees, k, s->base, ds, out, threads_of(m), err);
    for (size_t i = 0; rc == KNOB_OK && i < n; i++) {
        double *r = out + i * k, mx = r[0], sum = 0;
        for (size_t c = 1; c < k; c++)
            if (r[c] > mx) mx = r[c];
        for (size_t c = 0; c < k; c++) sum += (r[c] = exp(r[c] - mx));
        for (size_t c = 0; c < k; c++) r[c] /= sum;
    }
    return rc;
}

static int gbdt_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    const gbdt_state *s = m->state;
    size_t n = ds->n_rows;
    if (s->objective != OBJ_BINARY && s->objective != OBJ_MULTICLASS)
        return knob_gbdt_predict_raw(s->trees, s->n_trees, 1, s->base, ds, out, threads_of(m), err);
    size_t k = s->k;
    double *raw = malloc((n * k > 0 ? n * k : 1) * sizeof *raw);
    if (!raw) return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory predicting %zu rows", n);
    int rc = knob_gbdt_predict_raw(s->trees, s->n_trees, k, s->base, ds, raw, threads_of(m), err);
    for (size_t i = 0; rc == KNOB_OK && i < n; i++) {
        if (k == 1) {
            out[i] = raw[i] > 0;
            continue;
        }
        size_t arg = 0;
        for (size_t c = 1; c < k; c++)
            if (raw[i * k + c] > raw[i * k + arg]) arg = c;
        out[i] = (double)arg;
    }
    free(raw);
    return rc;
}

/* ---- persistence: each tree as parallel arrays ------------------------------------------------------- */

static const char *const tree_keys[] = {"feature", "threshold", "default_left", "left", "right", "value", "gain"};

/* One tree as parallel arrays of exact numbers (a threshold of +inf is written as null). */
static cJSON *tree_to_json(const knob_gbdt_tree *t, double *col, knob_err *err)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    for (int a = 0; a < 7; a++) {
        for (size_t i = 0; i < t->n_nodes; i++) {
            const knob_gbdt_node *nd = &t->nodes[i];
            col[i] = a == 0 ? nd->feature : a == 1 ? nd->threshold : a == 2 ? nd->default_left : a == 3 ? nd->left
                   : a == 4 ? nd->right : a == 5 ? nd->value : nd->gain;
        }
        if (knob_json_add_doubles(o, tree_keys[a], col, t->n_nodes, err)) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    for (size_t i = 0; i < t->n_nodes; i++) col[i] = t->nodes[i].cover; /* rows per node, for TreeSHAP */
    if (t->nodes[0].cover > 0 && knob_json_add_doubles(o, "cover", col, t->n_nodes, err)) { /* none: an old file */
        cJSON_Delete(o);
        return NULL;
    }
    int any_cat = 0;
    for (size_t i = 0; i < t->n_nodes; i++) any_cat |= t->nodes[i].categorical;
    if (!any_cat) return o;
    cJSON *cats = cJSON_AddArrayToObject(o, "categories"); /* the level codes a categorical split sends left */
    for (size_t i = 0; i < t->n_nodes; i++) {
        const knob_gbdt_node *nd = &t->nodes[i];
        if (!nd->categorical) {
            cJSON_AddItemToArray(cats, cJSON_CreateNull());
            continue;
        }
        cJSON *set = cJSON_CreateArray();
        for (unsigned c = 0; c < KNOB_GBDT_MAX_CATS; c++)
            if (knob_gbdt_cat_left(nd, c)) cJSON_AddItemToArray(set, cJSON_CreateNumber(c));
        cJSON_AddItemToArray(cats, set);
    }
    return o;
}

/* The optional "categories" array of a tree: null, or the level codes a categorical node sends left. */
static int cats_from_json(const cJSON *cats, size_t ti, knob_gbdt_tree *t, knob_err *err)
{
    if (!cats) return KNOB_OK;
    if (!cJSON_IsArray(cats) || (size_t)cJSON_GetArraySize(cats) != t->n_nodes)
        return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].categories must be an array of %zu entries",
                            ti + 1, t->n_nodes);
    size_t i = 0;
    const cJSON *set;
    cJSON_ArrayForEach(set, cats)
    {
        knob_gbdt_node *nd = &t->nodes[i++];
        if (cJSON_IsNull(set)) continue;
        if (!cJSON_IsArray(set) || nd->feature < 0)
            return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].categories[%zu] must be null or a list "
                                "of level codes of a split", ti + 1, i);
        nd->categorical = 1;
        const cJSON *c;
        cJSON_ArrayForEach(c, set)
        {
            double v = cJSON_IsNumber(c) ? c->valuedouble : -1;
            if (!(v >= 0 && v < KNOB_GBDT_MAX_CATS && v == floor(v)))
                return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].categories[%zu] has a bad level code",
                                    ti + 1, i);
            nd->cats[(unsigned)v >> 5] |= 1u << ((unsigned)v & 31);
        }
    }
    return KNOB_OK;
}

static int gbdt_save(const knob_model *m, cJSON *obj, knob_err *err)
{
    const gbdt_state *s = m->state;
    cJSON_AddStringToObject(obj, "objective", objectives[s->objective]);
    cJSON_AddNumberToObject(obj, "trees_per_round", (double)s->k);
    int rc = knob_json_add_doubles(obj, "base", s->base, s->k, err);
    if (rc) return rc;
    size_t most = 1;
    for (size_t t = 0; t < s->n_trees; t++)
        if (s->trees[t].n_nodes > most) most = s->trees[t].n_nodes;
    double *col = malloc(most * sizeof *col);
    cJSON *trees = cJSON_AddArrayToObject(obj, "trees");
    for (size_t t = 0; col && trees && t < s->n_trees; t++) {
        cJSON *tj = tree_to_json(&s->trees[t], col, err);
        if (!tj) break;
        cJSON_AddItemToArray(trees, tj);
    }
    free(col);
    if (!trees || cJSON_GetArraySize(trees) != (int)s->n_trees)
        return knob_err_set(err, KNOB_ENOMEM, "gbdt: out of memory saving trees");
    return KNOB_OK;
}

static int tree_from_json(const cJSON *o, size_t ti, size_t p, knob_gbdt_tree *t, knob_err *err)
{
    const char *const *keys = tree_keys;
    const cJSON *arr[7];
    t->n_nodes = 0;
    t->nodes = NULL;
    if (!cJSON_IsObject(o)) return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu] must be an object", ti + 1);
    for (int a = 0; a < 7; a++) {
        arr[a] = cJSON_GetObjectItemCaseSensitive(o, keys[a]);
        if (!cJSON_IsArray(arr[a]))
            return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].%s must be an array", ti + 1, keys[a]);
    }
    size_t nn = (size_t)cJSON_GetArraySize(arr[0]);
    for (int a = 1; a < 7; a++)
        if ((size_t)cJSON_GetArraySize(arr[a]) != nn)
            return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].%s has %d entries, feature has %zu",
                                ti + 1, keys[a], cJSON_GetArraySize(arr[a]), nn);
    if (nn == 0 || nn > (size_t)INT32_MAX)
        return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu] has no nodes", ti + 1);
    if (!(t->nodes = calloc(nn, sizeof *t->nodes))) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    t->n_nodes = nn;
    const cJSON *e[7];
    for (int a = 0; a < 7; a++) e[a] = arr[a]->child;
    for (size_t i = 0; i < nn; i++) {
        knob_gbdt_node *nd = &t->nodes[i];
        double v[7];
        for (int a = 0; a < 7; a++) {
            if (a == 1 && cJSON_IsNull(e[a])) v[a] = INFINITY;
            else if (cJSON_IsNumber(e[a]) && isfinite(e[a]->valuedouble)) v[a] = e[a]->valuedouble;
            else
                return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].%s[%zu] is not a number", ti + 1,
                                    keys[a], i + 1);
            e[a] = e[a]->next;
        }
        int leaf = v[0] == -1;
        if (!leaf && !(v[0] >= 0 && v[0] < (double)p && v[0] == floor(v[0])))
            return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].feature[%zu] = %g is not a feature index",
                                ti + 1, i + 1, v[0]);
        for (int a = 3; a <= 4 && !leaf; a++)
            if (!(v[a] > (double)i && v[a] < (double)nn && v[a] == floor(v[a])))
                return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].%s[%zu] = %g is not a later node",
                                    ti + 1, keys[a], i + 1, v[a]);
        nd->feature = (int32_t)v[0];
        nd->threshold = v[1];
        nd->default_left = v[2] != 0;
        nd->left = leaf ? -1 : (int32_t)v[3];
        nd->right = leaf ? -1 : (int32_t)v[4];
        nd->value = v[5];
        nd->gain = v[6];
    }
    const cJSON *cov = cJSON_GetObjectItemCaseSensitive(o, "cover"); /* optional: files before covers have none */
    if (cov) {
        if (!cJSON_IsArray(cov) || (size_t)cJSON_GetArraySize(cov) != nn)
            return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].cover must be an array of %zu numbers",
                                ti + 1, nn);
        size_t i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cov)
        {
            double v = cJSON_IsNumber(c) ? c->valuedouble : -1;
            if (!(v >= 0) || !isfinite(v) || (t->nodes[i].feature >= 0 && !(v > 0)))
                return knob_err_set(err, KNOB_EPARSE, "model file: state.trees[%zu].cover[%zu] must be a finite number "
                                    ">= 0 (> 0 for a split)", ti + 1, i + 1);
            t->nodes[i++].cover = v;
        }
    }
    return cats_from_json(cJSON_GetObjectItemCaseSensitive(o, "categories"), ti, t, err);
}

static int gbdt_load(knob_model *m, const cJSON *obj, knob_err *err)
{
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(obj, "objective");
    int code = cJSON_IsString(jo) ? name_index(objectives, jo->valuestring) : -1;
    if (code <= OBJ_AUTO)
        return knob_err_set(err, KNOB_EPARSE, "model file: field 'state.objective' must name a gbdt objective");
    int clf = m->schema.task == KNOB_TASK_CLASSIFICATION, o_clf = code == OBJ_BINARY || code == OBJ_MULTICLASS;
    size_t k = code == OBJ_MULTICLASS ? m->schema.n_classes : 1;
    if (clf != o_clf || (code == OBJ_BINARY && m->schema.n_classes != 2) || (code == OBJ_MULTICLASS && k < 2))
        return knob_err_set(err, KNOB_EPARSE, "model file: state.objective '%s' does not fit the schema's task",
                            jo->valuestring);
    double kk;
    int rc = knob_json_number(cJSON_GetObjectItemCaseSensitive(obj, "trees_per_round"), "state.trees_per_round", &kk,
                              err);
    if (rc) return rc;
    if (kk != (double)k)
        return knob_err_set(err, KNOB_EPARSE, "model file: state.trees_per_round must be %zu for this objective", k);
    gbdt_state *s = state_new(m, code, k, err);
    if (!s) return KNOB_ENOMEM;
    double *base = knob_json_doubles(cJSON_GetObjectItemCaseSensitive(obj, "base"), k, "state.base", err);
    if (!base) return err ? err->code : KNOB_EPARSE;
    memcpy(s->base, base, k * sizeof *base);
    free(base);
    const cJSON *trees = cJSON_GetObjectItemCaseSensitive(obj, "trees");
    if (!cJSON_IsArray(trees)) return knob_err_set(err, KNOB_EPARSE, "model file: field 'state.trees' must be an array");
    size_t nt = (size_t)cJSON_GetArraySize(trees);
    if (nt % k) return knob_err_set(err, KNOB_EPARSE, "model file: state.trees must hold %zu trees per round", k);
    const cJSON *it;
    size_t ti = 0;
    cJSON_ArrayForEach(it, trees)
    {
        knob_gbdt_tree t;
        rc = tree_from_json(it, ti++, m->schema.n_features, &t, err);
        if (rc == KNOB_OK && (rc = push_tree(s, &t, err))) free(t.nodes);
        if (rc) {
            free(t.nodes);
            return rc;
        }
    }
    return KNOB_OK;
}

/* ---- introspection --------------------------------------------------------------------------------- */

static int gbdt_importances(const knob_model *m, double *out, knob_err *err)
{
    (void)err;
    const gbdt_state *s = m->state;
    size_t p = m->schema.n_features;
    double total = 0;
    memset(out, 0, p * sizeof *out);
    for (size_t t = 0; t < s->n_trees; t++)
        for (size_t i = 0; i < s->trees[t].n_nodes; i++) {
            const knob_gbdt_node *nd = &s->trees[t].nodes[i];
            if (nd->feature >= 0) out[nd->feature] += nd->gain;
        }
    for (size_t j = 0; j < p; j++) total += out[j];
    if (total > 0)
        for (size_t j = 0; j < p; j++) out[j] /= total;
    return KNOB_OK;
}

static size_t gbdt_n_learned(const knob_model *m)
{
    const gbdt_state *s = m->state;
    size_t n = s->k;
    for (size_t t = 0; t < s->n_trees; t++) n += s->trees[t].n_nodes;
    return n;
}

static size_t gbdt_bytes(const knob_model *m)
{
    const gbdt_state *s = m->state;
    size_t b = sizeof *s + s->k * sizeof(double) + s->cap * sizeof(knob_gbdt_tree);
    for (size_t t = 0; t < s->n_trees; t++) b += s->trees[t].n_nodes * sizeof(knob_gbdt_node);
    return b;
}

static void gbdt_describe(const knob_model *m, char *buf, size_t size)
{
    const gbdt_state *s = m->state;
    knob_describe_printf(buf, size, "%zu trees, %s", s->n_trees, objectives[s->objective]);
}

/* SHAP values of the raw score (log-odds for binary, one margin per class for multiclass). */
static size_t gbdt_shap_outputs(const knob_model *m)
{
    const gbdt_state *s = m->state;
    return s ? s->k : 0;
}

static int gbdt_shap(const knob_model *m, const knob_dataset *ds, double *phi, double *expected, knob_err *err)
{
    const gbdt_state *s = m->state;
    return knob_treeshap_gbdt(s->trees, s->n_trees, s->k, s->base, ds, threads_of(m), phi, expected, err);
}

const knob_model_vtable knob_model_gbdt = {
    .kind = "gbdt",
    .summary = "gradient-boosted decision trees on feature histograms (leaf-wise, native missing values)",
    .tasks = (1u << KNOB_TASK_CLASSIFICATION) | (1u << KNOB_TASK_REGRESSION),
    .params = gbdt_params,
    .check = gbdt_check,
    .fit = gbdt_fit,
    .predict = gbdt_predict,
    .predict_proba = gbdt_proba,
    .save = gbdt_save,
    .load = gbdt_load,
    .free_state = gbdt_free,
    .importances = gbdt_importances,
    .n_learned = gbdt_n_learned,
    .state_bytes = gbdt_bytes,
    .describe = gbdt_describe,
    .shap_outputs = gbdt_shap_outputs,
    .shap = gbdt_shap,
};
