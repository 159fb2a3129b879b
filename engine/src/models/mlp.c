/* mlp.c — the multilayer perceptron model kind "mlp" (classifier and regressor): hyperparameters, the training
 * loop (mini-batches, dropout, schedules, early stopping, divergence), prediction, persistence, the learning-rate
 * range test and the gradient-check hook. Layers are in mlp_layers.c, optimizers and schedules in mlp_optim.c.
 *
 * Choices a user should know (also in the hyperparameter docs):
 * - Inputs must be numeric without missing values: a categorical column is an error asking for
 *   knob.prep.onehot, a NaN an error naming the column and row (use knob.prep.impute). The features are NOT
 *   scaled internally (like scikit-learn's MLP): standardize them first (knob.prep.standardize).
 * - weight_decay is L2 on the weights (never the biases): the gradient of the mean batch loss gets
 *   + weight_decay * w (scikit-learn's alpha equals weight_decay * batch_size); adamw decays decoupled.
 * - Per-epoch history: train_loss = mean loss over the epoch's mini-batches (dropout active, without the L2
 *   term), valid_loss / valid_metric (accuracy or rmse) on the eval_set or the early-stopping holdout,
 *   learning_rate of the epoch.
 * - Divergence: a non-finite training loss, weights or validation loss stops training cleanly with status
 *   "diverged: loss is nan at epoch N" (or "loss is inf", "weights are not finite", "validation loss is
 *   nan") and the weights of the last mini-batch whose loss was finite (the weights before the update that
 *   broke them; the initial ones if the first batch failed; the best ones with early_stopping and
 *   restore_best). The history ends with epoch N - 1. The model never keeps non-finite weights.
 * - BLAS threads: OpenBLAS's own (OPENBLAS_NUM_THREADS); the fit's threads option is not used. Results are
 *   bit-identical run to run on one machine; another CPU's BLAS kernels may differ in the last bits. */
#include "knob/mlp.h"
#include "knob/json_io.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/model.h"
#include "knob/rng.h"
#include "knob/split.h"
#include "mlp.h"
#include "model_impl.h"

#define MAX_UNITS 65536.0
#define MAX_COUNT 1e6
#define DEFAULT_HIDDEN 100
#define PREDICT_BLOCK 256

static const char *const activations[] = {"relu", "tanh", "sigmoid", "gelu", NULL};
static const char *const optimizers[] = {"sgd", "momentum", "nesterov", "adam", "adamw", NULL};
static const char *const schedules[] = {"constant", "step", "exponential", "cosine", "cyclic", "one_cycle", NULL};

static const knob_param_spec mlp_params[] = {
    {"hidden", KNOB_PT_LIST, 0, NULL, 1, MAX_UNITS, 0, 0, NULL, 0,
     "hidden layer sizes, e.g. {64, 64}; empty (the default) means {100}, scikit-learn's default"},
    {"activation", KNOB_PT_STR, 0, "relu", NAN, NAN, 0, 0, activations, 0,
     "hidden-layer activation (gelu is the exact erf form)"},
    {"optimizer", KNOB_PT_STR, 0, "adam", NAN, NAN, 0, 0, optimizers, 0,
     "sgd, momentum / nesterov (PyTorch's SGD), adam, adamw (decoupled weight decay)"},
    {"learning_rate", KNOB_PT_NUM, 0.001, NULL, 0, NAN, 1, 0, NULL, 0, "base (peak) learning rate"},
    {"momentum", KNOB_PT_NUM, 0.9, NULL, 0, 1, 0, 1, NULL, 0, "momentum of the momentum / nesterov optimizers"},
    {"beta1", KNOB_PT_NUM, 0.9, NULL, 0, 1, 0, 1, NULL, 0, "adam: decay of the first moment"},
    {"beta2", KNOB_PT_NUM, 0.999, NULL, 0, 1, 0, 1, NULL, 0, "adam: decay of the second moment"},
    {"eps", KNOB_PT_NUM, 1e-8, NULL, 0, NAN, 1, 0, NULL, 0, "adam: added to the root of the second moment"},
    {"weight_decay", KNOB_PT_NUM, 0, NULL, 0, NAN, 0, 0, NULL, 0,
     "L2 on the weights (not biases): + weight_decay * w in the mean-loss gradient; decoupled for adamw"},
    {"batch_size", KNOB_PT_INT, 200, NULL, 1, 2147483647.0, 0, 0, NULL, 0,
     "rows per mini-batch (at most the training rows)"},
    {"epochs", KNOB_PT_INT, 200, NULL, 1, MAX_COUNT, 0, 0, NULL, 0, "maximum number of passes over the data"},
    {"shuffle", KNOB_PT_BOOL, 1, NULL, NAN, NAN, 0, 0, NULL, 0, "reshuffle the rows every epoch"},
    {"lr_schedule", KNOB_PT_STR, 0, "constant", NAN, NAN, 0, 0, schedules, 0,
     "per-epoch learning rate (formulas in knob/mlp.h)"},
    {"step_size", KNOB_PT_INT, 10, NULL, 1, MAX_COUNT, 0, 0, NULL, 0,
     "step: epochs between decays; cyclic: epochs per half cycle"},
    {"gamma", KNOB_PT_NUM, NAN, NULL, 0, 1, 1, 0, NULL, 1,
     "step / exponential: factor per decay (step: 0.1 when unset; exponential needs it)"},
    {"min_lr", KNOB_PT_NUM, 0, NULL, 0, NAN, 0, 0, NULL, 0, "cosine: final rate; cyclic: lower bound"},
    {"warmup_epochs", KNOB_PT_INT, 0, NULL, 0, MAX_COUNT, 0, 0, NULL, 0,
     "linear warm-up: epoch e <= warmup_epochs uses learning_rate * e / (warmup_epochs + 1)"},
    {"dropout", KNOB_PT_NUM, 0, NULL, 0, 1, 0, 1, NULL, 0, "dropout rate of every hidden layer (inverted dropout)"},
    {"layer_dropout", KNOB_PT_NUM_LIST, NAN, NULL, 0, 1, 0, 1, NULL, 1,
     "per hidden layer dropout rates in [0, 1), e.g. {0.5, 0.2} (overrides dropout)"},
    {"dropout_decay", KNOB_PT_NUM, 1, NULL, 0, 1, 1, 0, NULL, 0,
     "the dropout rates are multiplied by this every epoch: rate * dropout_decay^(epoch - 1)"},
    {"early_stopping", KNOB_PT_BOOL, 0, NULL, NAN, NAN, 0, 0, NULL, 0,
     "stop when the validation loss has not improved by min_delta for patience epochs"},
    {"patience", KNOB_PT_INT, 10, NULL, 1, MAX_COUNT, 0, 0, NULL, 0, "early stopping: epochs without improvement"},
    {"min_delta", KNOB_PT_NUM, 0, NULL, 0, NAN, 0, 0, NULL, 0, "early stopping: smallest improvement that counts"},
    {"validation_fraction", KNOB_PT_NUM, 0.1, NULL, 0, 1, 1, 1, NULL, 0,
     "early stopping without an eval_set: seeded holdout (stratified for classification)"},
    {"restore_best", KNOB_PT_BOOL, 1, NULL, NAN, NAN, 0, 0, NULL, 0,
     "early stopping: end with the weights of the epoch with the lowest validation loss"},
    {"seed", KNOB_PT_INT, 0, NULL, 0, 9007199254740992.0, 0, 0, NULL, 0,
     "seed of the initial weights, shuffling, dropout and the holdout"},
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL},
};

/* ---- hyperparameters ------------------------------------------------------------------------------- */

static int choice_index(const char *const *choices, const char *v)
{
    for (int k = 0; choices[k]; k++)
        if (strcmp(choices[k], v) == 0) return k;
    return 0;
}

static size_t n_hidden_of(const knob_params *p)
{
    size_t n;
    knob_params_list(p, "hidden", &n);
    return n ? n : 1;
}

static const char *mlp_check(const knob_params *p)
{
    static _Thread_local char msg[256];
    const char *sched = knob_params_str(p, "lr_schedule");
    double lr = knob_params_num(p, "learning_rate"), min_lr = knob_params_num(p, "min_lr");
    double warm = knob_params_num(p, "warmup_epochs"), epochs = knob_params_num(p, "epochs");
    if (knob_params_is_set(p, "layer_dropout")) {
        size_t nh = n_hidden_of(p), n;
        knob_params_list(p, "layer_dropout", &n);
        if (n != nh) {
            snprintf(msg, sizeof msg, "layer_dropout has %zu rate%s but there %s %zu hidden layer%s", n,
                     n == 1 ? "" : "s", nh == 1 ? "is" : "are", nh, nh == 1 ? "" : "s");
            return msg;
        }
    }
    if (!strcmp(sched, "exponential") && !knob_params_is_set(p, "gamma"))
        return "lr_schedule 'exponential' needs gamma (the factor per epoch, e.g. 0.95)";
    if (warm >= epochs) {
        snprintf(msg, sizeof msg, "warmup_epochs (%.0f) must be less than epochs (%.0f)", warm, epochs);
        return msg;
    }
    if (!strcmp(sched, "one_cycle") && warm > 0)
        return "warmup_epochs does not combine with lr_schedule 'one_cycle' (it warms up by itself)";
    if ((!strcmp(sched, "cosine") || !strcmp(sched, "cyclic")) && !(min_lr < lr)) {
        snprintf(msg, sizeof msg, "min_lr (%g) must be less than learning_rate (%g) for lr_schedule '%s'", min_lr, lr,
                 sched);
        return msg;
    }
    return NULL;
}

/* The hyperparameters of one fit, decoded. */
typedef struct {
    size_t n_hidden;
    size_t *hidden;
    double *rates; /* n_hidden dropout rates */
    int act, optim;
    knob_mlp_schedule sched;
    double momentum, beta1, beta2, eps, wd, dropout_decay, min_delta, vfrac;
    size_t batch, epochs, patience;
    int shuffle, early, restore;
    uint64_t seed;
} mlp_cfg;

static void cfg_free(mlp_cfg *c)
{
    free(c->hidden);
    free(c->rates);
    c->hidden = NULL;
    c->rates = NULL;
}

static int cfg_from_params(mlp_cfg *c, const knob_params *p, knob_err *err)
{
    memset(c, 0, sizeof *c);
    size_t nl;
    const double *list = knob_params_list(p, "hidden", &nl);
    c->n_hidden = nl ? nl : 1;
    c->hidden = malloc(c->n_hidden * sizeof *c->hidden);
    c->rates = malloc(c->n_hidden * sizeof *c->rates);
    if (!c->hidden || !c->rates) {
        cfg_free(c);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    for (size_t l = 0; l < c->n_hidden; l++) {
        c->hidden[l] = nl ? (size_t)list[l] : DEFAULT_HIDDEN;
        c->rates[l] = knob_params_num(p, "dropout");
    }
    if (knob_params_is_set(p, "layer_dropout")) { /* as many rates as hidden layers: checked by mlp_check */
        size_t n;
        const double *rates = knob_params_list(p, "layer_dropout", &n);
        for (size_t l = 0; l < c->n_hidden && l < n; l++) c->rates[l] = rates[l];
    }
    c->act = choice_index(activations, knob_params_str(p, "activation"));
    c->optim = choice_index(optimizers, knob_params_str(p, "optimizer"));
    c->sched.kind = choice_index(schedules, knob_params_str(p, "lr_schedule"));
    c->sched.lr = knob_params_num(p, "learning_rate");
    c->sched.min_lr = knob_params_num(p, "min_lr");
    c->sched.gamma = knob_params_is_set(p, "gamma") ? knob_params_num(p, "gamma") : 0.1;
    c->sched.step_size = (size_t)knob_params_num(p, "step_size");
    c->sched.warmup = (size_t)knob_params_num(p, "warmup_epochs");
    c->epochs = c->sched.epochs = (size_t)knob_params_num(p, "epochs");
    c->momentum = knob_params_num(p, "momentum");
    c->beta1 = knob_params_num(p, "beta1");
    c->beta2 = knob_params_num(p, "beta2");
    c->eps = knob_params_num(p, "eps");
    c->wd = knob_params_num(p, "weight_decay");
    c->dropout_decay = knob_params_num(p, "dropout_decay");
    c->min_delta = knob_params_num(p, "min_delta");
    c->vfrac = knob_params_num(p, "validation_fraction");
    c->batch = (size_t)knob_params_num(p, "batch_size");
    c->patience = (size_t)knob_params_num(p, "patience");
    c->shuffle = knob_params_num(p, "shuffle") != 0;
    c->early = knob_params_num(p, "early_stopping") != 0;
    c->restore = knob_params_num(p, "restore_best") != 0;
    c->seed = (uint64_t)knob_params_num(p, "seed");
    return KNOB_OK;
}

static int optim_setup(knob_mlp_optim *o, const mlp_cfg *c, const knob_mlp_net *net, knob_err *err)
{
    int rc = knob_mlp_optim_init(o, c->optim, net->n_params, net->n_weights, err);
    o->momentum = c->momentum;
    o->beta1 = c->beta1;
    o->beta2 = c->beta2;
    o->eps = c->eps;
    o->weight_decay = c->wd;
    return rc;
}

/* ---- data ------------------------------------------------------------------------------------------ */

/* Rows of a dataset gathered for training: features row-major, targets, weights normalised to mean 1. */
typedef struct {
    size_t n, p;
    double *X, *y, *w;
} mlp_data;

static void data_free(mlp_data *d)
{
    free(d->X);
    free(d->y);
    free(d->w);
    memset(d, 0, sizeof *d);
}

/* Every feature must be numeric: a categorical column asks for one-hot encoding. */
static int check_numeric(const knob_dataset *ds, knob_err *err)
{
    const knob_frame *f = ds->frame;
    for (size_t j = 0; j < f->n_features; j++)
        if (f->cols[j].kind == KNOB_COL_CATEGORICAL)
            return knob_err_set(err, KNOB_EINVAL,
                                "mlp: column '%s' is categorical; the mlp needs numeric inputs "
                                "(one-hot encode it first: knob.prep.onehot)",
                                f->cols[j].name);
    if (f->n_features == 0) return knob_err_set(err, KNOB_EINVAL, "mlp: the data has no feature columns");
    return KNOB_OK;
}

/* Copy rows idx[0..n) of ds (view rows; idx NULL = all) into out (n x p row-major), rejecting NaN/inf. */
static int gather_rows(const knob_dataset *ds, const size_t *idx, size_t n, double *out, const char *what,
                       knob_err *err)
{
    const knob_frame *f = ds->frame;
    size_t p = f->n_features;
    for (size_t j = 0; j < p; j++) {
        const double *col = f->X + j * f->n_rows;
        for (size_t i = 0; i < n; i++) {
            size_t r = idx ? idx[i] : i;
            double v = col[knob_dataset_row(ds, r)];
            if (!isfinite(v))
                return knob_err_set(err, KNOB_EINVAL,
                                    "mlp: column '%s' has %s value at row %zu of the %s data (%s)", f->cols[j].name,
                                    isnan(v) ? "a missing" : "an infinite", r + 1, what,
                                    isnan(v) ? "impute it first: knob.prep.impute" : "inputs must be finite");
            out[i * p + j] = v;
        }
    }
    return KNOB_OK;
}

static int data_build(mlp_data *d, const knob_dataset *ds, const size_t *idx, size_t n, const double *sw,
                      const char *what, knob_err *err)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->p = ds->frame->n_features;
    d->X = knob_mlp_alloc(n * d->p);
    d->y = malloc((n ? n : 1) * sizeof *d->y);
    if (sw) d->w = malloc((n ? n : 1) * sizeof *d->w);
    if (!d->X || !d->y || (sw && !d->w)) {
        data_free(d);
        return knob_err_set(err, KNOB_ENOMEM, "mlp: out of memory copying the %s data (%zu rows)", what, n);
    }
    int rc = gather_rows(ds, idx, n, d->X, what, err);
    if (rc) {
        data_free(d);
        return rc;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = idx ? idx[i] : i;
        d->y[i] = knob_dataset_target(ds, r);
        if (sw) sum += (d->w[i] = sw[r]);
    }
    if (sw) {
        if (!(sum > 0)) {
            data_free(d);
            return knob_err_set(err, KNOB_EINVAL, "mlp: the sample weights of the %s rows sum to zero", what);
        }
        double f = (double)n / sum;
        for (size_t i = 0; i < n; i++) d->w[i] *= f;
    }
    return KNOB_OK;
}

/* Output layer for a task: sigmoid (2 classes), softmax (>= 3), identity (regression). */
static int output_of(int task, size_t n_classes, size_t *n_out, int *out, knob_err *err)
{
    *n_out = 1;
    *out = KNOB_MLP_OUT_IDENTITY;
    if (task != KNOB_TASK_CLASSIFICATION) return KNOB_OK;
    if (n_classes < 2)
        return knob_err_set(err, KNOB_EINVAL, "mlp: classification needs at least 2 classes (the target has %zu)",
                            n_classes);
    *n_out = n_classes == 2 ? 1 : n_classes;
    *out = n_classes == 2 ? KNOB_MLP_OUT_SIGMOID : KNOB_MLP_OUT_SOFTMAX;
    return KNOB_OK;
}

/* ---- training ---------------------------------------------------------------------------------------- */

typedef struct {
    knob_mlp_net net;
} mlp_state;

/* Loss and metric of a whole data set, in blocks of the workspace's capacity. */
static void evaluate(const knob_mlp_net *net, knob_mlp_work *w, const mlp_data *d, int clf, double *loss,
                     double *metric)
{
    double ls = 0, ms = 0;
    for (size_t s = 0; s < d->n; s += w->cap) {
        size_t B = d->n - s < w->cap ? d->n - s : w->cap;
        knob_mlp_eval_batch(net, w, d->X + s * d->p, B, d->y + s, d->w ? d->w + s : NULL, &ls, &ms);
    }
    *loss = ls / (double)d->n;
    *metric = clf ? ms / (double)d->n : sqrt(ms / (double)d->n);
}

/* The input of one mini-batch: rows perm[s, s + B) of d (gathered into w), or a direct pointer when unshuffled. */
static const double *batch_input(const mlp_data *d, knob_mlp_work *w, const size_t *perm, int shuffled, size_t s,
                                 size_t B, const double **y, const double **wt)
{
    if (!shuffled) {
        *y = d->y + s;
        *wt = d->w ? d->w + s : NULL;
        return d->X + s * d->p;
    }
    for (size_t b = 0; b < B; b++) {
        size_t r = perm[s + b];
        memcpy(w->x + b * d->p, d->X + r * d->p, d->p * sizeof *w->x);
        w->y[b] = d->y[r];
        if (d->w) w->w[b] = d->w[r];
    }
    *y = w->y;
    *wt = d->w ? w->w : NULL;
    return w->x;
}

static int all_finite(const double *v, size_t n)
{
    double acc = 0;
    for (size_t i = 0; i < n; i++) acc += v[i] * 0.0; /* NaN for any NaN or inf */
    return acc == 0.0;
}

/* The seeded holdout for early stopping: stratified for classification. */
static int holdout(const knob_dataset *train, const mlp_cfg *c, int clf, size_t n_classes, size_t *tr, size_t *va,
                   size_t *n_va, knob_err *err)
{
    size_t n = train->n_rows;
    int rc = knob_split_resolve_test(n, c->vfrac, n_va, err);
    if (rc) return knob_err_set(err, rc, "mlp: validation_fraction %g leaves no training or validation rows "
                                         "(%zu rows)", c->vfrac, n);
    size_t *codes = NULL;
    if (clf) {
        if (!(codes = malloc(n * sizeof *codes))) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) codes[i] = (size_t)knob_dataset_target(train, i);
    }
    knob_rng rng;
    knob_rng_seed(&rng, c->seed ^ 0x5851F42D4C957F2DULL);
    rc = knob_split_train_test(n, codes, n_classes, *n_va, 1, &rng, tr, va, err);
    free(codes);
    if (rc) {
        knob_err copy = *err;
        return knob_err_set(err, rc, "mlp: early-stopping holdout: %s", copy.msg);
    }
    return KNOB_OK;
}

/* Everything one fit allocates, freed in one place. */
typedef struct {
    mlp_cfg c;
    mlp_data tr, va;
    knob_mlp_work work;
    knob_mlp_optim opt;
    size_t *perm, *idx_tr, *idx_va;
    double *prev, *best, *rates; /* prev: the weights before the last update (swapped with net->theta) */
} fit_ctx;

static void fit_ctx_free(fit_ctx *f)
{
    cfg_free(&f->c);
    data_free(&f->tr);
    data_free(&f->va);
    knob_mlp_work_free(&f->work);
    knob_mlp_optim_free(&f->opt);
    free(f->perm);
    free(f->idx_tr);
    free(f->idx_va);
    free(f->prev);
    free(f->best);
    free(f->rates);
}

static void mlp_free(knob_model *m)
{
    mlp_state *s = m->state;
    if (s) knob_mlp_net_free(&s->net);
    free(s);
    m->state = NULL;
}

/* Split off the validation data (eval_set or holdout) and gather both parts. */
static int fit_data(fit_ctx *f, const knob_dataset *train, const knob_fit_opts *o, int clf, size_t K, knob_err *err)
{
    size_t n = train->n_rows;
    int rc;
    if (!o->eval_set && f->c.early) {
        size_t n_va = 0;
        f->idx_tr = malloc(n * sizeof *f->idx_tr);
        f->idx_va = malloc(n * sizeof *f->idx_va);
        if (!f->idx_tr || !f->idx_va) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        if ((rc = holdout(train, &f->c, clf, K, f->idx_tr, f->idx_va, &n_va, err))) return rc;
        if ((rc = data_build(&f->tr, train, f->idx_tr, n - n_va, o->sample_weight, "training", err))) return rc;
        return data_build(&f->va, train, f->idx_va, n_va, o->sample_weight, "validation", err);
    }
    if ((rc = data_build(&f->tr, train, NULL, n, o->sample_weight, "training", err))) return rc;
    if (!o->eval_set) return KNOB_OK;
    if ((rc = check_numeric(o->eval_set, err))) return rc;
    if (!o->eval_set->frame->y || o->eval_set->frame->task != train->frame->task)
        return knob_err_set(err, KNOB_EINVAL, "mlp: the eval_set needs a target of the same task as the training data");
    if (o->eval_set->n_rows == 0) return knob_err_set(err, KNOB_EINVAL, "mlp: the eval_set has no rows");
    for (size_t i = 0; i < o->eval_set->n_rows; i++)
        if (isnan(knob_dataset_target(o->eval_set, i)))
            return knob_err_set(err, KNOB_EINVAL, "mlp: the eval_set target is missing at row %zu", i + 1);
    return data_build(&f->va, o->eval_set, NULL, o->eval_set->n_rows, NULL, "eval_set", err);
}

/* Status "<why>" or "<why> (best epoch N)" when the best weights are kept. */
static void set_status(knob_model *m, const char *why, int keep_best, size_t best_epoch)
{
    if (keep_best) snprintf(m->history.status, sizeof m->history.status, "%s (best epoch %zu)", why, best_epoch);
    else snprintf(m->history.status, sizeof m->history.status, "%s", why);
}

/* The training loop proper, on prepared data; the state's network is initialised. */
static int train_loop(knob_model *m, fit_ctx *f, const knob_fit_opts *o, knob_rng *rng, int clf, knob_err *err)
{
    const mlp_cfg *c = &f->c;
    knob_mlp_net *net = &((mlp_state *)m->state)->net;
    size_t n = f->tr.n, np = net->n_params, best_epoch = 0, wait = 0, epoch;
    double best = INFINITY, ref = INFINITY;
    int have_valid = f->va.n > 0, keep_best = c->early && c->restore && have_valid, stopped = 0;
    for (size_t i = 0; i < n; i++) f->perm[i] = i;
    memcpy(f->prev, net->theta, np * sizeof *net->theta);
    for (epoch = 1; epoch <= c->epochs && !stopped; epoch++) {
        double lr = knob_mlp_schedule_lr(&c->sched, epoch), decay = pow(c->dropout_decay, (double)(epoch - 1));
        int any_dropout = 0;
        for (size_t l = 0; l < c->n_hidden; l++) any_dropout |= (f->rates[l] = c->rates[l] * decay) > 0;
        const double *rates = any_dropout ? f->rates : NULL;
        if (c->shuffle) knob_rng_shuffle(rng, f->perm, n);
        double loss_sum = 0;
        const char *bad = NULL;
        for (size_t s = 0; s < n; s += f->work.cap) {
            size_t B = n - s < f->work.cap ? n - s : f->work.cap;
            const double *y, *wt;
            const double *x = batch_input(&f->tr, &f->work, f->perm, c->shuffle, s, B, &y, &wt);
            knob_mlp_forward(net, &f->work, x, B, rates, rng);
            double loss = knob_mlp_output_loss(net, f->work.z[net->n_layers], B, y, wt, f->work.d0, 1.0 / (double)B);
            if (!isfinite(loss)) {
                bad = isnan(loss) ? "loss is nan" : "loss is inf";
                break;
            }
            loss_sum += loss;
            knob_mlp_backward(net, &f->work, B, rates);
            /* update into the spare buffer and swap: f->prev keeps the weights of this finite-loss batch */
            knob_mlp_optim_step(&f->opt, net->theta, f->prev, f->work.grad, lr);
            double *t = net->theta;
            net->theta = f->prev;
            f->prev = t;
        }
        if (!bad && !all_finite(net->theta, np)) bad = "weights are not finite";
        knob_iter_info it = {epoch, loss_sum / (double)n, NAN, NAN, lr};
        if (!bad && have_valid) {
            evaluate(net, &f->work, &f->va, clf, &it.valid_loss, &it.valid_metric);
            if (!isfinite(it.valid_loss))
                bad = isnan(it.valid_loss) ? "validation loss is nan" : "validation loss is inf";
        }
        if (bad) { /* keep the weights of the last batch with a finite loss (or the best ones) and say so */
            snprintf(m->history.status, sizeof m->history.status, "diverged: %s at epoch %zu", bad, epoch);
            memcpy(net->theta, keep_best && best_epoch ? f->best : f->prev, np * sizeof *net->theta);
            return KNOB_OK;
        }
        int rc = knob_history_push(&m->history, &it, err);
        if (rc) return rc;
        if (keep_best && it.valid_loss < best) {
            best = it.valid_loss;
            best_epoch = epoch;
            memcpy(f->best, net->theta, np * sizeof *net->theta);
        }
        if (o->callback) {
            rc = o->callback(o->callback_ud, &it, err);
            if (rc < 0) return rc;
            if (rc == 1) {
                set_status(m, "callback", keep_best, best_epoch);
                stopped = 1;
            }
        }
        if (!stopped && c->early && have_valid) {
            if (it.valid_loss < ref - c->min_delta) {
                ref = it.valid_loss;
                wait = 0;
            } else if (++wait >= c->patience) {
                set_status(m, "early_stopping", keep_best, best_epoch);
                stopped = 1;
            }
        }
    }
    if (!stopped) set_status(m, "epochs", keep_best, best_epoch);
    if (keep_best && best_epoch) memcpy(net->theta, f->best, np * sizeof *net->theta);
    return KNOB_OK;
}

static int mlp_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    int clf = m->schema.task == KNOB_TASK_CLASSIFICATION, out, rc;
    size_t K = m->schema.n_classes, n_out;
    if ((rc = check_numeric(train, err)) || (rc = output_of(m->schema.task, K, &n_out, &out, err))) return rc;
    fit_ctx f;
    memset(&f, 0, sizeof f);
    if ((rc = cfg_from_params(&f.c, &m->params, err))) return rc;
    mlp_state *s = calloc(1, sizeof *s);
    if (!s) {
        fit_ctx_free(&f);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    m->state = s;
    rc = fit_data(&f, train, o, clf, K, err);
    if (!rc) rc = knob_mlp_net_init(&s->net, f.tr.p, f.c.hidden, f.c.n_hidden, n_out, f.c.act, out, err);
    if (!rc) rc = knob_mlp_work_init(&f.work, &s->net, f.c.batch < f.tr.n ? f.c.batch : f.tr.n, err);
    if (!rc) rc = optim_setup(&f.opt, &f.c, &s->net, err);
    if (!rc) {
        size_t np = s->net.n_params;
        f.perm = malloc(f.tr.n * sizeof *f.perm);
        f.prev = knob_mlp_alloc(np);
        f.best = malloc(np * sizeof *f.best);
        f.rates = malloc(f.c.n_hidden * sizeof *f.rates);
        if (!f.perm || !f.prev || !f.best || !f.rates) rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    if (!rc) {
        knob_rng rng;
        knob_rng_seed(&rng, f.c.seed);
        knob_mlp_net_init_weights(&s->net, &rng);
        rc = train_loop(m, &f, o, &rng, clf, err);
    }
    fit_ctx_free(&f);
    return rc;
}

/* ---- prediction -------------------------------------------------------------------------------------- */

/* Run the network over ds in blocks; proba != NULL: class probabilities, else predictions into pred. */
static int run_network(const knob_model *m, const knob_dataset *ds, double *pred, double *proba, knob_err *err)
{
    const knob_mlp_net *net = &((const mlp_state *)m->state)->net;
    size_t n = ds->n_rows, K = m->schema.n_classes;
    if (n == 0) return KNOB_OK;
    knob_mlp_work w;
    int rc = knob_mlp_work_init(&w, net, n < PREDICT_BLOCK ? n : PREDICT_BLOCK, err);
    if (rc) return rc;
    size_t *idx = malloc(w.cap * sizeof *idx);
    double *pb = malloc(w.cap * (K > 2 ? K : 2) * sizeof *pb);
    if (!idx || !pb) rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
    for (size_t s = 0; !rc && s < n; s += w.cap) {
        size_t B = n - s < w.cap ? n - s : w.cap;
        for (size_t i = 0; i < B; i++) idx[i] = s + i;
        if ((rc = gather_rows(ds, idx, B, w.x, "prediction", err))) break;
        knob_mlp_forward(net, &w, w.x, B, NULL, NULL);
        const double *z = w.z[net->n_layers];
        if (net->out == KNOB_MLP_OUT_IDENTITY) {
            memcpy(pred + s, z, B * sizeof *z);
            continue;
        }
        double *dst = proba ? proba + s * K : pb;
        knob_mlp_logits_to_proba(net, z, B, dst);
        if (proba) continue;
        for (size_t i = 0; i < B; i++) {
            const double *row = dst + i * K;
            size_t c = 0;
            for (size_t k = 1; k < K; k++)
                if (row[k] > row[c]) c = k;
            pred[s + i] = (double)c;
        }
    }
    free(idx);
    free(pb);
    knob_mlp_work_free(&w);
    return rc;
}

static int mlp_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    return run_network(m, ds, out, NULL, err);
}

static int mlp_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    return run_network(m, ds, NULL, out, err);
}

/* ---- persistence ------------------------------------------------------------------------------------- */

static int mlp_save(const knob_model *m, cJSON *obj, knob_err *err)
{
    const knob_mlp_net *net = &((const mlp_state *)m->state)->net;
    if (!all_finite(net->theta, net->n_params)) /* cannot happen: training keeps the last finite weights */
        return knob_err_set(err, KNOB_ESTATE, "mlp: the weights are not finite");
    cJSON *sizes = cJSON_AddArrayToObject(obj, "sizes");
    for (size_t l = 0; sizes && l <= net->n_layers; l++)
        cJSON_AddItemToArray(sizes, cJSON_CreateNumber((double)net->size[l]));
    cJSON *theta = knob_json_exact_array(net->theta, net->n_params);
    if (!sizes || !theta) {
        cJSON_Delete(theta);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory writing the mlp weights");
    }
    cJSON_AddItemToObject(obj, "theta", theta);
    return KNOB_OK;
}

static int mlp_load(knob_model *m, const cJSON *obj, knob_err *err)
{
    int out, rc;
    size_t n_out;
    if ((rc = output_of(m->schema.task, m->schema.n_classes, &n_out, &out, err))) return rc;
    mlp_cfg c;
    if ((rc = cfg_from_params(&c, &m->params, err))) return rc;
    mlp_state *s = calloc(1, sizeof *s);
    if (!s) {
        cfg_free(&c);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    m->state = s;
    rc = knob_mlp_net_init(&s->net, m->schema.n_features, c.hidden, c.n_hidden, n_out, c.act, out, err);
    cfg_free(&c);
    if (rc) return rc;
    const cJSON *sizes = cJSON_GetObjectItemCaseSensitive(obj, "sizes");
    double *sz = knob_json_doubles(sizes, s->net.n_layers + 1, "state.sizes", err);
    if (!sz) return KNOB_EPARSE;
    for (size_t l = 0; l <= s->net.n_layers && !rc; l++)
        if (sz[l] != (double)s->net.size[l])
            rc = knob_err_set(err, KNOB_EPARSE,
                              "model file: field 'state.sizes' entry %zu is %g but the hyperparameters and schema "
                              "give %zu",
                              l + 1, sz[l], s->net.size[l]);
    free(sz);
    if (rc) return rc;
    double *theta = knob_json_doubles(cJSON_GetObjectItemCaseSensitive(obj, "theta"), s->net.n_params,
                                      "state.theta", err);
    if (!theta) return KNOB_EPARSE;
    memcpy(s->net.theta, theta, s->net.n_params * sizeof *theta);
    free(theta);
    return KNOB_OK;
}

static size_t mlp_n_learned(const knob_model *m)
{
    return ((const mlp_state *)m->state)->net.n_params;
}

static size_t mlp_bytes(const knob_model *m)
{
    const knob_mlp_net *net = &((const mlp_state *)m->state)->net;
    return sizeof(mlp_state) + net->n_params * sizeof(double) + (3 * net->n_layers + 1) * sizeof(size_t);
}

static void mlp_describe(const knob_model *m, char *buf, size_t size)
{
    const knob_mlp_net *net = &((const mlp_state *)m->state)->net;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t l = 0; l <= net->n_layers && used + 12 < size; l++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", l ? "-" : "", net->size[l]);
    knob_describe_printf(buf + used, size - used, " %s, %zu epochs", activations[net->act], m->history.n);
}

const knob_model_vtable knob_model_mlp = {
    .kind = "mlp",
    .summary = "multilayer perceptron (fully connected network) trained by mini-batch gradient descent",
    .tasks = (1u << KNOB_TASK_CLASSIFICATION) | (1u << KNOB_TASK_REGRESSION),
    .params = mlp_params,
    .check = mlp_check,
    .fit = mlp_fit,
    .predict = mlp_predict,
    .predict_proba = mlp_proba,
    .save = mlp_save,
    .load = mlp_load,
    .free_state = mlp_free,
    .n_learned = mlp_n_learned,
    .state_bytes = mlp_bytes,
    .describe = mlp_describe,
};

/* ---- learning-rate range test ------------------------------------------------------------------------- */

void knob_mlp_lr_range_init(knob_mlp_lr_range_opts *o)
{
    o->lr_min = 1e-7;
    o->lr_max = 10;
    o->steps = 100;
    o->smoothing = 0.98;
    o->stop_factor = 4;
}

void knob_mlp_lr_range_free(knob_mlp_lr_range *r)
{
    free(r->lrs);
    free(r->losses);
    free(r->smoothed);
    memset(r, 0, sizeof *r);
}

static int range_opts_check(const knob_mlp_lr_range_opts *o, knob_err *err)
{
    if (!(o->lr_min > 0) || !isfinite(o->lr_min))
        return knob_err_set(err, KNOB_EINVAL, "lr_range_test: lr_min must be a finite number > 0 (got %g)", o->lr_min);
    if (!(o->lr_max > o->lr_min) || !isfinite(o->lr_max))
        return knob_err_set(err, KNOB_EINVAL, "lr_range_test: lr_max must be finite and > lr_min (got %g, lr_min %g)",
                            o->lr_max, o->lr_min);
    if (o->steps < 2 || o->steps > 10000000)
        return knob_err_set(err, KNOB_EINVAL, "lr_range_test: steps must be in [2, 10000000] (got %zu)", o->steps);
    if (!(o->smoothing >= 0 && o->smoothing < 1))
        return knob_err_set(err, KNOB_EINVAL, "lr_range_test: smoothing must be in [0, 1) (got %g)", o->smoothing);
    if (!(o->stop_factor > 1))
        return knob_err_set(err, KNOB_EINVAL, "lr_range_test: stop_factor must be > 1 (got %g)", o->stop_factor);
    return KNOB_OK;
}

static int range_data_check(const knob_dataset *ds, knob_err *err)
{
    const knob_frame *f = ds->frame;
    if (!f->y || f->task == KNOB_TASK_NONE)
        return knob_err_set(err, KNOB_EINVAL, "lr_range_test: the data has no target");
    if (ds->n_rows == 0) return knob_err_set(err, KNOB_EINVAL, "lr_range_test: the data has no rows");
    for (size_t i = 0; i < ds->n_rows; i++)
        if (isnan(knob_dataset_target(ds, i)))
            return knob_err_set(err, KNOB_EINVAL, "lr_range_test: the target is missing at row %zu", i + 1);
    return check_numeric(ds, err);
}

static int range_run(fit_ctx *f, knob_mlp_net *net, const knob_mlp_lr_range_opts *o, knob_mlp_lr_range *out)
{
    knob_rng rng;
    knob_rng_seed(&rng, f->c.seed);
    knob_mlp_net_init_weights(net, &rng);
    size_t n = f->tr.n, s = n, cap = f->work.cap;
    for (size_t i = 0; i < n; i++) f->perm[i] = i;
    int any_dropout = 0;
    for (size_t l = 0; l < f->c.n_hidden; l++) any_dropout |= f->c.rates[l] > 0;
    const double *rates = any_dropout ? f->c.rates : NULL;
    double avg = 0, best = INFINITY, ratio = o->lr_max / o->lr_min;
    for (size_t i = 0; i < o->steps; i++) {
        if (s >= n) { /* a new pass over the data */
            if (f->c.shuffle) knob_rng_shuffle(&rng, f->perm, n);
            s = 0;
        }
        size_t B = n - s < cap ? n - s : cap;
        const double *y, *wt;
        const double *x = batch_input(&f->tr, &f->work, f->perm, f->c.shuffle, s, B, &y, &wt);
        s += B;
        double lr = o->lr_min * pow(ratio, (double)i / (double)(o->steps - 1));
        knob_mlp_forward(net, &f->work, x, B, rates, &rng);
        double loss = knob_mlp_output_loss(net, f->work.z[net->n_layers], B, y, wt, f->work.d0, 1.0 / (double)B) /
                      (double)B;
        avg = o->smoothing * avg + (1.0 - o->smoothing) * loss;
        double sm = avg / (1.0 - pow(o->smoothing, (double)(i + 1)));
        out->lrs[i] = lr;
        out->losses[i] = loss;
        out->smoothed[i] = sm;
        out->n = i + 1;
        if (!isfinite(sm) || sm > o->stop_factor * best) break;
        if (sm < best) best = sm;
        knob_mlp_backward(net, &f->work, B, rates);
        knob_mlp_optim_step(&f->opt, net->theta, net->theta, f->work.grad, lr);
    }
    return KNOB_OK;
}

int knob_mlp_lr_range_test(const knob_model *m, const knob_dataset *ds, const knob_mlp_lr_range_opts *o,
                           knob_mlp_lr_range *out, knob_err *err)
{
    memset(out, 0, sizeof *out);
    knob_mlp_lr_range_opts def;
    if (!o) {
        knob_mlp_lr_range_init(&def);
        o = &def;
    }
    if (m->vt != &knob_model_mlp)
        return knob_err_set(err, KNOB_EINVAL, "lr_range_test needs an mlp model (got '%s')", m->vt->kind);
    int rc, out_kind;
    size_t n_out;
    if ((rc = knob_model_check(m, err)) || (rc = range_opts_check(o, err)) || (rc = range_data_check(ds, err)) ||
        (rc = output_of(ds->frame->task, knob_dataset_n_classes(ds), &n_out, &out_kind, err)))
        return rc;
    fit_ctx f;
    memset(&f, 0, sizeof f);
    knob_mlp_net net;
    memset(&net, 0, sizeof net);
    if ((rc = cfg_from_params(&f.c, &m->params, err))) return rc;
    rc = data_build(&f.tr, ds, NULL, ds->n_rows, NULL, "training", err);
    if (!rc) rc = knob_mlp_net_init(&net, f.tr.p, f.c.hidden, f.c.n_hidden, n_out, f.c.act, out_kind, err);
    if (!rc) rc = knob_mlp_work_init(&f.work, &net, f.c.batch < f.tr.n ? f.c.batch : f.tr.n, err);
    if (!rc) rc = optim_setup(&f.opt, &f.c, &net, err);
    if (!rc) {
        f.perm = malloc(f.tr.n * sizeof *f.perm);
        out->lrs = malloc(o->steps * sizeof *out->lrs);
        out->losses = malloc(o->steps * sizeof *out->losses);
        out->smoothed = malloc(o->steps * sizeof *out->smoothed);
        if (!f.perm || !out->lrs || !out->losses || !out->smoothed)
            rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    if (!rc) rc = range_run(&f, &net, o, out);
    if (rc) knob_mlp_lr_range_free(out);
    knob_mlp_net_free(&net);
    fit_ctx_free(&f);
    return rc;
}

/* ---- gradient check (test hook) ------------------------------------------------------------------------ */

/* Mean loss (+ L2) of the batch in w->x with the masks of the last forward pass. */
static double check_loss(const knob_mlp_net *net, knob_mlp_work *w, size_t B, const double *rates, double wd)
{
    knob_mlp_forward(net, w, w->x, B, rates, NULL);
    double loss = knob_mlp_output_loss(net, w->z[net->n_layers], B, w->y, w->w, NULL, 0) / (double)B, l2 = 0;
    for (size_t i = 0; i < net->n_weights; i++) l2 += net->theta[i] * net->theta[i];
    return loss + 0.5 * wd * l2;
}

int knob_mlp_grad_check(const knob_mlp_grad_check_opts *o, double *max_rel, double *max_abs, knob_err *err)
{
    if (o->n_rows < 1 || o->n_features < 1 || !o->activation || (o->n_hidden && !o->hidden) ||
        !(o->dropout >= 0 && o->dropout < 1) || !(o->weight_decay >= 0) || o->n_classes == 1)
        return knob_err_set(err, KNOB_EINVAL, "mlp grad check: bad options");
    for (size_t l = 0; l < o->n_hidden; l++)
        if (o->hidden[l] < 1) return knob_err_set(err, KNOB_EINVAL, "mlp grad check: hidden sizes must be >= 1");
    int act = -1;
    for (int k = 0; activations[k]; k++)
        if (!strcmp(activations[k], o->activation)) act = k;
    if (act < 0) return knob_err_set(err, KNOB_EINVAL, "mlp grad check: unknown activation '%s'", o->activation);
    size_t n_out;
    int out, rc = output_of(o->n_classes ? KNOB_TASK_CLASSIFICATION : KNOB_TASK_REGRESSION, o->n_classes, &n_out,
                            &out, err);
    if (rc) return rc;
    knob_mlp_net net;
    knob_mlp_work w;
    memset(&w, 0, sizeof w);
    double *rates = NULL, *analytic = NULL;
    rc = knob_mlp_net_init(&net, o->n_features, o->hidden, o->n_hidden, n_out, act, out, err);
    if (!rc) rc = knob_mlp_work_init(&w, &net, o->n_rows, err);
    if (!rc) {
        rates = malloc((o->n_hidden + 1) * sizeof *rates);
        analytic = malloc(net.n_params * sizeof *analytic);
        if (!rates || !analytic) rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
    }
    if (rc) {
        free(rates);
        free(analytic);
        knob_mlp_work_free(&w);
        knob_mlp_net_free(&net);
        return rc;
    }
    knob_rng rng;
    knob_rng_seed(&rng, o->seed);
    knob_mlp_net_init_weights(&net, &rng);
    for (size_t i = net.n_weights; i < net.n_params; i++) net.theta[i] = knob_rng_uniform(&rng) - 0.5;
    size_t B = o->n_rows, p = o->n_features;
    for (size_t k = 0; k < B * p; k++) w.x[k] = knob_rng_normal(&rng);
    for (size_t i = 0; i < B; i++) {
        w.y[i] = o->n_classes ? (double)knob_rng_below(&rng, o->n_classes) : knob_rng_normal(&rng);
        w.w[i] = o->weighted ? 0.1 + 2.0 * knob_rng_uniform(&rng) : 1.0;
    }
    for (size_t l = 0; l < o->n_hidden; l++) rates[l] = o->dropout;
    const double *r = o->dropout > 0 ? rates : NULL;
    knob_mlp_forward(&net, &w, w.x, B, r, &rng); /* draws the masks kept below */
    knob_mlp_output_loss(&net, w.z[net.n_layers], B, w.y, w.w, w.d0, 1.0 / (double)B);
    knob_mlp_backward(&net, &w, B, r);
    memcpy(analytic, w.grad, net.n_params * sizeof *analytic);
    knob_mlp_l2_grad(net.theta, analytic, net.n_weights, o->weight_decay);
    const double h = 1e-6;
    *max_rel = *max_abs = 0;
    for (size_t i = 0; i < net.n_params; i++) {
        double keep = net.theta[i];
        net.theta[i] = keep + h;
        double up = check_loss(&net, &w, B, r, o->weight_decay);
        net.theta[i] = keep - h;
        double down = check_loss(&net, &w, B, r, o->weight_decay);
        net.theta[i] = keep;
        double num = (up - down) / (2 * h), diff = fabs(num - analytic[i]);
        double scale = fabs(num) + fabs(analytic[i]);
        double rel = diff / (scale > 1e-8 ? scale : 1e-8);
        if (diff > *max_abs) *max_abs = diff;
        if (rel > *max_rel) *max_rel = rel;
    }
    free(rates);
    free(analytic);
    knob_mlp_work_free(&w);
    knob_mlp_net_free(&net);
    return KNOB_OK;
}
