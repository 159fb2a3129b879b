/* logistic.c — logistic regression: binary (sigmoid) and multinomial (softmax) with an l2, l1, elastic-net or
 * no penalty. Solvers (optim.h): Newton with a Cholesky solve of the Hessian (smooth penalties, up to
 * NEWTON_MAX_VARS variables: a handful of iterations whatever the conditioning) and L-BFGS, which becomes
 * OWL-QN when the penalty has an L1 part.
 *
 * Objective (scikit-learn's, divided by C * sum(weights)):
 *     (1/S) sum_i s_i logloss_i + (1 / (C S)) [ l1_ratio ||w||_1 + (1 - l1_ratio) ||w||^2 / 2 ]
 * with s_i = sample weight x class weight and S = sum s_i; the intercept is not penalized. The optimizers work
 * on standardized coordinates (w'_j = w_j sd_j, intercept taken at the column means): the same minimizer,
 * better conditioned. Scores are computed from the raw data with cblas_dgemv (binary) / cblas_dgemm
 * (multinomial); the per-row loss runs in fixed row blocks on the thread pool and is reduced in block order,
 * so results do not depend on the thread count. Classes with no (weighted) training rows are left out of the
 * fit and get probability 0. Multinomial fits keep one coefficient vector per class (like scikit-learn).
 *
 * Features, missing values, saved state and importances as in linear.c (coef is p x m column-major: one
 * column per class, a single column for a binary fit; "classes" lists the fitted class codes). History: one
 * entry per optimizer iteration, train_loss = the objective above; with an eval_set, valid_loss = mean log
 * loss and valid_metric = accuracy. Status: "converged" (max |gradient| <= tol), "max_iter", "stopped by
 * callback" or "stalled: ..." (no decrease left at floating-point precision before reaching tol). */
#include <cJSON.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/model.h"
#include "knob/parallel.h"
#include "linear_common.h"
#include "model_impl.h"
#include "optim.h"

#define BLOCK 2048           /* rows per loss task */
#define PARALLEL_ROWS 16384  /* below this the loss runs on the calling thread */
#define HBLOCK 8192          /* rows per Hessian block */

static const char *const penalties[] = {"l2", "none", "l1", "elasticnet", NULL};
static const char *const class_weights[] = {"none", "balanced", NULL};
static const char *const solvers[] = {"auto", "newton", "lbfgs", NULL};

#define NEWTON_MAX_VARS 1000 /* solver auto: Newton up to this many variables, L-BFGS beyond */

static const knob_param_spec logistic_params[] = {
    {"penalty", KNOB_PT_STR, 0, "l2", NAN, NAN, 0, 0, penalties, 0,
     "l2 (L-BFGS), none, l1 or elasticnet (OWL-QN); the intercept is never penalized"},
    {"C", KNOB_PT_NUM, 1.0, NULL, 0, NAN, 1, 0, NULL, 0,
     "inverse regularization strength > 0, as scikit-learn: minimizes C * sum(weighted log loss) + penalty(w)"},
    {"l1_ratio", KNOB_PT_NUM, 0.5, NULL, 0, 1, 0, 0, NULL, 0,
     "elasticnet: penalty = l1_ratio ||w||_1 + (1 - l1_ratio) ||w||^2 / 2"},
    {"fit_intercept", KNOB_PT_BOOL, 1, NULL, NAN, NAN, 0, 0, NULL, 0, "fit an unpenalized intercept per class"},
    {"class_weight", KNOB_PT_STR, 0, "none", NAN, NAN, 0, 0, class_weights, 0,
     "balanced: weight class c by n / (n_classes * count_c), like scikit-learn"},
    {"tol", KNOB_PT_NUM, 1e-4, NULL, 0, NAN, 1, 0, NULL, 0,
     "stop when the largest |gradient| entry of the objective divided by C * sum(weights), in standardized "
     "coordinates, is <= tol"},
    {"max_iter", KNOB_PT_INT, 100, NULL, 1, 1e9, 0, 0, NULL, 0, "maximum optimizer iterations"},
    {"solver", KNOB_PT_STR, 0, "auto", NAN, NAN, 0, 0, solvers, 0,
     "newton (Cholesky of the Hessian; l2/none), lbfgs (L-BFGS, OWL-QN with an L1 part), auto = newton when the "
     "penalty is smooth and (features + 1) x score columns <= 1000, else lbfgs"},
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL},
};

/* Non-zero when the penalty has an L1 part. */
static int has_l1(const knob_params *p)
{
    const char *penalty = knob_params_str(p, "penalty");
    return !strcmp(penalty, "l1") || (!strcmp(penalty, "elasticnet") && knob_params_num(p, "l1_ratio") > 0);
}

static const char *logistic_check(const knob_params *p)
{
    if (!strcmp(knob_params_str(p, "solver"), "newton") && has_l1(p))
        return "solver 'newton' needs a smooth penalty (l2 or none, or elasticnet with l1_ratio = 0); "
               "use solver 'lbfgs' or 'auto' (OWL-QN) for l1/elasticnet";
    return NULL;
}

static int too_big(size_t n, size_t p, size_t m, knob_err *err)
{
    if (n > INT_MAX || p > INT_MAX || (p && n > SIZE_MAX / p / sizeof(double)) || (m && n > SIZE_MAX / m / sizeof(double)))
        return knob_err_set(err, KNOB_EINVAL, "logistic: %zu x %zu is too large for the BLAS int interface", n, p);
    return KNOB_OK;
}

/* Z (n x m row-major) = A w + b for the n x p design matrix A and p x m column-major w. */
static void scores(const knob_dmat *A, size_t p, size_t m, const double *w, const double *b, double *Z)
{
    size_t n = A->n;
    if (!n) return;
    if (!p) memset(Z, 0, n * m * sizeof *Z);
    else if (m == 1) cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, (int)p, 1.0, A->X, (int)A->ld, w, 1, 0.0, Z, 1);
    else /* Z^T (m x n) = w^T A^T */
        cblas_dgemm(CblasColMajor, CblasTrans, CblasTrans, (int)m, (int)n, (int)p, 1.0, w, (int)p, A->X, (int)A->ld,
                    0.0, Z, (int)m);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < m; k++) Z[i * m + k] += b[k];
}

/* Probabilities of the kf fitted classes from one row of scores (numerically stable). */
static void row_proba(const double *z, size_t m, double *pr)
{
    if (m == 1) {
        double e = exp(-fabs(z[0])), p1 = z[0] >= 0 ? 1 / (1 + e) : e / (1 + e);
        pr[0] = z[0] >= 0 ? e / (1 + e) : 1 / (1 + e);
        pr[1] = p1;
        return;
    }
    double mx = z[0], sum = 0;
    for (size_t k = 1; k < m; k++)
        if (z[k] > mx) mx = z[k];
    for (size_t k = 0; k < m; k++) sum += (pr[k] = exp(z[k] - mx));
    for (size_t k = 0; k < m; k++) pr[k] /= sum;
}

/* ---- the smooth objective ---------------------------------------------------------------------------- */

typedef struct {
    const knob_dmat *A;    /* the training design matrix */
    size_t n, p, m;
    size_t q;              /* variables per score column: p coefficients (+ 1 intercept) */
    const size_t *yk;      /* fitted class index per row */
    const double *sw;      /* combined weight per row, or NULL (all 1) */
    double S;              /* sum of weights */
    int intercept;
    const double *mu, *sig;/* standardization (mu = 0 without an intercept) */
    double l2;             /* L2 weight in the scaled objective */
    double *w, *b;         /* raw coefficients of the point being evaluated */
    double *Z;             /* n x m scores, then residuals */
    double *gb;            /* m: intercept gradient */
    double *part;          /* per block: loss, then m residual sums */
    double *hbuf;          /* Newton: 2 HBLOCK x q row blocks, HBLOCK x max(m, 2) probabilities, HBLOCK weights */
    size_t nblocks;
    int threads;
} logit_fit;

/* Loss and residuals s_i (p_i - y_i) of rows [t * BLOCK, ...): one task, summed in row order. */
static void loss_block(void *ctx, size_t t, int worker)
{
    (void)worker;
    logit_fit *F = ctx;
    size_t i0 = t * BLOCK, i1 = i0 + BLOCK < F->n ? i0 + BLOCK : F->n, m = F->m;
    double *acc = F->part + t * (1 + m), loss = 0;
    memset(acc, 0, (1 + m) * sizeof *acc);
    for (size_t i = i0; i < i1; i++) {
        double s = F->sw ? F->sw[i] : 1.0;
        double *z = F->Z + i * m;
        if (m == 1) {
            double zi = z[0], e = exp(-fabs(zi)), yi = F->yk[i] == 1;
            double p1 = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
            loss += s * (fmax(zi, 0) + log1p(e) - yi * zi);
            z[0] = s * (p1 - yi);
            acc[1] += z[0];
            continue;
        }
        double mx = z[0], sum = 0, zy = z[F->yk[i]];
        for (size_t k = 1; k < m; k++)
            if (z[k] > mx) mx = z[k];
        for (size_t k = 0; k < m; k++) sum += (z[k] = exp(z[k] - mx));
        loss += s * (mx + log(sum) - zy);
        for (size_t k = 0; k < m; k++) {
            z[k] = s * (z[k] / sum - (k == F->yk[i]));
            acc[1 + k] += z[k];
        }
    }
    acc[0] = loss;
}

/* Raw coefficients and intercepts from standardized coordinates theta. */
static void theta_to_raw(const logit_fit *F, const double *theta, double *w, double *b)
{
    size_t p = F->p, q = F->q;
    for (size_t k = 0; k < F->m; k++) {
        double shift = 0;
        for (size_t j = 0; j < p; j++) {
            w[k * p + j] = theta[k * q + j] / F->sig[j];
            shift += F->mu[j] * w[k * p + j];
        }
        b[k] = F->intercept ? theta[k * q + p] - shift : 0;
    }
}

static int logit_eval(void *ctx, const double *theta, double *grad, double *value, knob_err *err)
{
    (void)err;
    logit_fit *F = ctx;
    size_t n = F->n, p = F->p, m = F->m;
    theta_to_raw(F, theta, F->w, F->b);
    scores(F->A, p, m, F->w, F->b, F->Z);
    knob_parallel_for(F->nblocks, n >= PARALLEL_ROWS ? F->threads : 1, loss_block, F);
    double loss = 0, *gb = F->gb;
    memset(gb, 0, m * sizeof *gb);
    for (size_t t = 0; t < F->nblocks; t++) {
        const double *acc = F->part + t * (1 + m);
        loss += acc[0];
        for (size_t k = 0; k < m; k++) gb[k] += acc[1 + k];
    }
    loss /= F->S;
    for (size_t k = 0; k < m; k++) gb[k] /= F->S;
    if (p) {
        if (m == 1)
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)p, 1.0 / F->S, F->A->X, (int)F->A->ld, F->Z, 1, 0.0, grad,
                        1);
        else /* G (p x m) = X^T R, R n x m row-major */
            cblas_dgemm(CblasColMajor, CblasTrans, CblasTrans, (int)p, (int)m, (int)n, 1.0 / F->S, F->A->X,
                        (int)F->A->ld, F->Z, (int)m, 0.0, grad, (int)F->q);
    }
    double pen = 0;
    for (size_t k = 0; k < m; k++)
        for (size_t j = 0; j < p; j++) {
            size_t c = k * F->q + j;
            double t = theta[c] / F->sig[j];
            grad[c] = (grad[c] - F->mu[j] * gb[k]) / F->sig[j] + F->l2 * t / F->sig[j];
            pen += t * t;
        }
    if (F->intercept)
        for (size_t k = 0; k < m; k++) grad[k * F->q + p] = gb[k];
    *value = loss + 0.5 * F->l2 * pen;
    return KNOB_OK;
}

/* Upper triangle of the Hessian (q m x q m, column-major) of the objective in standardized coordinates,
 * accumulated over fixed row blocks: B' diag(c) B with B the block's standardized rows (and a column of ones
 * for the intercept). Multinomial: block (k, l) has c_i = s_i (p_ik [k = l] - p_ik p_il); the directions the
 * softmax cannot see (a common shift of every class's intercept, and of every class's coefficients when
 * unpenalized) get eigenvalue 1 so the Cholesky succeeds and the Newton step is unchanged. */
static int logit_hess(void *ctx, const double *theta, double *H, knob_err *err)
{
    (void)err;
    logit_fit *F = ctx;
    size_t n = F->n, p = F->p, m = F->m, q = F->q, N = q * m;
    theta_to_raw(F, theta, F->w, F->b);
    scores(F->A, p, m, F->w, F->b, F->Z);
    memset(H, 0, N * N * sizeof *H);
    double *B = F->hbuf, *T = B + HBLOCK * q, *P = T + HBLOCK * q, *cw = P + HBLOCK * (m == 1 ? 2 : m);
    for (size_t i0 = 0; i0 < n; i0 += HBLOCK) {
        size_t r = i0 + HBLOCK < n ? HBLOCK : n - i0;
        for (size_t i = 0; i < r; i++) row_proba(F->Z + (i0 + i) * m, m, P + i * (m == 1 ? 2 : m));
        if (m == 1) /* B = sqrt(s p (1 - p)) * standardized rows: H += B'B */
            for (size_t i = 0; i < r; i++) cw[i] = sqrt((F->sw ? F->sw[i0 + i] : 1.0) * P[2 * i] * P[2 * i + 1]);
        else
            for (size_t i = 0; i < r; i++) cw[i] = 1.0;
        for (size_t j = 0; j < p; j++) {
            const double *x = F->A->X + j * F->A->ld + i0;
            double mu = F->mu[j], inv = 1.0 / F->sig[j];
            double *bj = B + j * r;
            for (size_t i = 0; i < r; i++) bj[i] = (x[i] - mu) * inv * cw[i];
        }
        if (F->intercept) memcpy(B + p * r, cw, r * sizeof *cw);
        if (m == 1) {
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)q, (int)r, 1.0, B, (int)r, 1.0, H, (int)N);
            continue;
        }
        for (size_t k = 0; k < m; k++)
            for (size_t l = k; l < m; l++) { /* block (k, l) += B' diag(s (p_k [k = l] - p_k p_l)) B */
                for (size_t i = 0; i < r; i++) {
                    double pk = P[i * m + k];
                    cw[i] = (F->sw ? F->sw[i0 + i] : 1.0) * (pk * (k == l) - pk * P[i * m + l]);
                }
                for (size_t j = 0; j < q; j++) {
                    const double *bj = B + j * r;
                    double *tj = T + j * r;
                    for (size_t i = 0; i < r; i++) tj[i] = cw[i] * bj[i];
                }
                cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)q, (int)q, (int)r, 1.0, B, (int)r, T, (int)r,
                            1.0, H + (l * q) * N + k * q, (int)N);
            }
    }
    for (size_t c = 0; c < N; c++)
        for (size_t rr = 0; rr <= c; rr++) H[c * N + rr] /= F->S;
    for (size_t k = 0; k < m; k++)
        for (size_t j = 0; j < p; j++) H[(k * q + j) * N + k * q + j] += F->l2 / (F->sig[j] * F->sig[j]);
    if (m > 1)
        for (size_t k = 0; k < m; k++)
            for (size_t l = k; l < m; l++) {
                if (F->intercept) H[(l * q + p) * N + k * q + p] += 1.0 / (double)m;
                if (F->l2 == 0)
                    for (size_t j = 0; j < p; j++) H[(l * q + j) * N + k * q + j] += 1.0 / (double)m;
            }
    return KNOB_OK;
}

/* ---- fitting ------------------------------------------------------------------------------------------ */

/* The evaluation set for per-iteration validation scores (n = 0 without one). */
typedef struct {
    knob_dmat A;
    double *Z;
    size_t *y;             /* schema class code per row */
    size_t n;
} eval_data;

typedef struct {
    knob_model *m;
    const knob_fit_opts *o;
    logit_fit *F;
    const knob_linear_state *s;
    const long *fitted_of; /* schema class code -> fitted index, -1 if absent */
    eval_data ev;
    double *pr;            /* kf scratch probabilities */
} iter_ctx;

/* Mean log loss (probabilities clipped to [1e-15, 1]) and accuracy on the evaluation set. */
static void eval_scores(iter_ctx *c, double *loss, double *acc)
{
    const eval_data *e = &c->ev;
    const logit_fit *F = c->F;
    const knob_linear_state *s = c->s;
    scores(&e->A, F->p, F->m, F->w, F->b, e->Z);
    double ll = 0, hits = 0, *pr = c->pr;
    for (size_t i = 0; i < e->n; i++) {
        row_proba(e->Z + i * F->m, F->m, pr);
        size_t best = 0;
        for (size_t k = 1; k < s->kf; k++)
            if (pr[k] > pr[best]) best = k;
        long f = c->fitted_of[e->y[i]];
        ll -= log(fmax(f >= 0 ? pr[f] : 0.0, 1e-15));
        hits += s->cls[best] == e->y[i];
    }
    *loss = ll / (double)e->n;
    *acc = hits / (double)e->n;
}

static int on_iter(void *ud, size_t iteration, const double *theta, double value, double grad_max, knob_err *err)
{
    (void)grad_max;
    iter_ctx *c = ud;
    double vloss = NAN, vacc = NAN;
    if (c->ev.n) {
        theta_to_raw(c->F, theta, c->F->w, c->F->b);
        eval_scores(c, &vloss, &vacc);
    }
    return knob_linear_report(c->m, c->o, iteration, value, vloss, vacc, err);
}

static int eval_init(iter_ctx *c, const knob_dataset *ev, knob_err *err)
{
    eval_data *e = &c->ev;
    if (!ev || !ev->frame->y || ev->frame->task != KNOB_TASK_CLASSIFICATION || !ev->n_rows) return KNOB_OK;
    int rc = too_big(ev->n_rows, c->s->d.p, c->s->m, err);
    if (rc) return rc;
    rc = knob_design_matrix(&c->s->d, &c->m->schema, ev, 0, 0, "logistic: eval_set", &e->A, err);
    if (rc) return rc;
    e->Z = malloc(ev->n_rows * c->s->m * sizeof *e->Z);
    e->y = malloc(ev->n_rows * sizeof *e->y);
    if (!e->Z || !e->y) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    for (size_t i = 0; i < ev->n_rows; i++) {
        double v = knob_dataset_target(ev, i);
        if (isnan(v) || v < 0 || (size_t)v >= c->m->schema.n_classes)
            return knob_err_set(err, KNOB_EINVAL, "logistic: eval_set target is missing or unknown at row %zu", i + 1);
        e->y[i] = (size_t)v;
    }
    e->n = ev->n_rows;
    return KNOB_OK;
}

static const char *status_text(int status)
{
    switch (status) {
    case KNOB_OPTIM_CONVERGED: return "converged";
    case KNOB_OPTIM_MAX_ITER: return "max_iter";
    case KNOB_OPTIM_STOPPED: return "stopped by callback";
    default: return "stalled: no further decrease at floating-point precision before reaching tol";
    }
}

static int logistic_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    size_t n = train->n_rows, K = m->schema.n_classes;
    const double *user_w = o->sample_weight;
    int balanced = !strcmp(knob_params_str(&m->params, "class_weight"), "balanced");
    int intercept = knob_params_num(&m->params, "fit_intercept") != 0;
    size_t *count = calloc(K, sizeof *count), *yk = malloc(n * sizeof *yk);
    double *wsum = calloc(K, sizeof *wsum), *sw = NULL, *mean = NULL, *theta = NULL, *l1w = NULL, *work = NULL;
    long *fitted_of = malloc(K * sizeof *fitted_of);
    knob_dmat A = {0};
    logit_fit F = {0};
    iter_ctx ic = {.m = m, .o = o, .F = &F, .fitted_of = fitted_of};
    int rc = KNOB_OK;
    if (!count || !yk || !wsum || !fitted_of) {
        rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)knob_dataset_target(train, i);
        count[c]++;
        wsum[c] += user_w ? user_w[i] : 1.0;
    }
    size_t kf = 0;
    for (size_t c = 0; c < K; c++) fitted_of[c] = count[c] && wsum[c] > 0 ? (long)kf++ : -1;
    if (kf < 2) {
        rc = knob_err_set(err, KNOB_EINVAL,
                          "logistic: the training data needs at least two classes with positive weight (found %zu)", kf);
        goto done;
    }
    knob_linear_state *s = knob_linear_state_new(m, kf == 2 ? 1 : kf, kf, err);
    if (!s) {
        rc = KNOB_ENOMEM;
        goto done;
    }
    ic.s = s;
    for (size_t c = 0; c < K; c++)
        if (fitted_of[c] >= 0) s->cls[fitted_of[c]] = c;
    size_t p = s->d.p, mm = s->m;
    if ((rc = too_big(n, p, mm, err))) goto done;
    for (size_t i = 0; i < n; i++) {
        long f = fitted_of[(size_t)knob_dataset_target(train, i)];
        yk[i] = f >= 0 ? (size_t)f : 0; /* rows of an absent class all have weight 0 */
    }
    if (user_w || balanced) {
        if (!(sw = malloc(n * sizeof *sw))) {
            rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            size_t c = (size_t)knob_dataset_target(train, i);
            sw[i] = (user_w ? user_w[i] : 1.0) * (balanced ? (double)n / ((double)kf * (double)count[c]) : 1.0);
        }
    }
    if ((rc = knob_design_matrix(&s->d, &m->schema, train, 1, 0, "logistic", &A, err))) goto done;

    /* standardization: sig = sd (rms without an intercept), 1 for a constant column */
    size_t nvar = p * mm + (intercept ? mm : 0), nblocks = (n + BLOCK - 1) / BLOCK;
    mean = malloc((2 * p + 1) * sizeof *mean);
    theta = calloc(nvar ? nvar : 1, sizeof *theta);
    l1w = calloc(nvar ? nvar : 1, sizeof *l1w);
    work = malloc((n * mm + nblocks * (1 + mm) + p * mm + 2 * mm + kf + 1) * sizeof *work);
    if (!mean || !theta || !l1w || !work) {
        rc = knob_err_set(err, KNOB_ENOMEM, "logistic: out of memory");
        goto done;
    }
    double *sig = mean + p;
    double S = knob_column_moments(&A, p, sw, mean, s->scale);
    for (size_t j = 0; j < p; j++) {
        double sd = intercept ? s->scale[j] : sqrt(s->scale[j] * s->scale[j] + mean[j] * mean[j]);
        sig[j] = sd > 0 ? sd : 1.0;
        if (!intercept) mean[j] = 0;
    }
    const char *penalty = knob_params_str(&m->params, "penalty");
    double C = knob_params_num(&m->params, "C");
    double rho = !strcmp(penalty, "l1") ? 1.0 : !strcmp(penalty, "elasticnet") ? knob_params_num(&m->params, "l1_ratio") : 0;
    double lam = !strcmp(penalty, "none") ? 0.0 : 1.0 / (C * S);
    F = (logit_fit){.A = &A, .n = n, .p = p, .m = mm, .q = p + (size_t)intercept, .yk = yk, .sw = sw, .S = S, .intercept = intercept,
                    .mu = mean, .sig = sig, .l2 = lam * (1 - rho), .Z = work, .part = work + n * mm,
                    .nblocks = nblocks, .threads = o->threads};
    F.w = F.part + nblocks * (1 + mm);
    F.b = F.w + p * mm;
    F.gb = F.b + mm;
    for (size_t k = 0; k < mm && lam * rho > 0; k++)
        for (size_t j = 0; j < p; j++) l1w[k * F.q + j] = lam * rho / sig[j];
    ic.pr = F.gb + mm;
    if (intercept) { /* start from the class prior: fewer iterations, same minimizer */
        double *W = ic.pr, lsum = 0;
        memset(W, 0, kf * sizeof *W);
        for (size_t i = 0; i < n; i++) W[yk[i]] += sw ? sw[i] : 1.0;
        for (size_t k = 0; k < kf; k++) lsum += log(W[k]);
        if (mm == 1) theta[p] = log(W[1] / W[0]);
        else
            for (size_t k = 0; k < kf; k++) theta[k * (p + 1) + p] = log(W[k]) - lsum / (double)kf;
    }
    if ((rc = eval_init(&ic, o->eval_set, err))) goto done;
    snprintf(m->history.status, sizeof m->history.status, "converged");
    if (nvar) {
        knob_optim_opts oo = {nvar, lam * rho > 0 ? l1w : NULL, 0, (size_t)knob_params_num(&m->params, "max_iter"),
                              knob_params_num(&m->params, "tol"), on_iter, &ic};
        knob_optim_result res;
        const char *solver = knob_params_str(&m->params, "solver");
        int newton = !strcmp(solver, "newton") || (!strcmp(solver, "auto") && !has_l1(&m->params) && nvar <= NEWTON_MAX_VARS);
        if (newton) {
            if (!(F.hbuf = malloc(HBLOCK * (2 * F.q + (mm == 1 ? 2 : mm) + 1) * sizeof *F.hbuf))) {
                rc = knob_err_set(err, KNOB_ENOMEM, "logistic: out of memory");
                goto done;
            }
            rc = knob_newton_minimize(&oo, logit_eval, logit_hess, &F, theta, &res, err);
        } else {
            rc = knob_lbfgs_minimize(&oo, logit_eval, &F, theta, &res, err);
        }
        if (rc) goto done;
        snprintf(m->history.status, sizeof m->history.status, "%s", status_text(res.status));
    }
    theta_to_raw(&F, theta, s->coef, s->intercept);
done:
    free(count);
    free(yk);
    free(wsum);
    free(fitted_of);
    free(sw);
    knob_dmat_free(&A);
    free(mean);
    free(theta);
    free(l1w);
    free(work);
    free(F.hbuf);
    knob_dmat_free(&ic.ev.A);
    free(ic.ev.Z);
    free(ic.ev.y);
    return rc;
}

/* ---- prediction --------------------------------------------------------------------------------------- */

/* Scores of ds (n x m row-major, malloc'd) or NULL with err set. */
static double *predict_scores(const knob_model *m, const knob_dataset *ds, knob_err *err)
{
    const knob_linear_state *s = m->state;
    size_t n = ds->n_rows;
    if (too_big(n, s->d.p, s->m, err)) return NULL;
    knob_dmat A;
    if (knob_design_matrix(&s->d, &m->schema, ds, 0, 0, "logistic", &A, err)) return NULL;
    double *Z = malloc((n ? n : 1) * s->m * sizeof *Z);
    if (Z) scores(&A, s->d.p, s->m, s->coef, s->intercept, Z);
    else knob_err_set(err, KNOB_ENOMEM, "out of memory");
    knob_dmat_free(&A);
    return Z;
}

static int logistic_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    const knob_linear_state *s = m->state;
    size_t K = m->schema.n_classes;
    double *Z = predict_scores(m, ds, err), *pr = malloc(s->kf * sizeof *pr);
    if (!Z || !pr) {
        free(Z);
        free(pr);
        return Z ? knob_err_set(err, KNOB_ENOMEM, "out of memory") : err ? err->code : KNOB_ENOMEM;
    }
    for (size_t i = 0; i < ds->n_rows; i++) {
        row_proba(Z + i * s->m, s->m, pr);
        double *row = out + i * K;
        memset(row, 0, K * sizeof *row);
        for (size_t k = 0; k < s->kf; k++) row[s->cls[k]] = pr[k];
    }
    free(Z);
    free(pr);
    return KNOB_OK;
}

static int logistic_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    const knob_linear_state *s = m->state;
    double *Z = predict_scores(m, ds, err);
    if (!Z) return err ? err->code : KNOB_ENOMEM;
    for (size_t i = 0; i < ds->n_rows; i++) {
        const double *z = Z + i * s->m;
        size_t best = 0;
        if (s->m == 1) {
            best = z[0] > 0;
        } else {
            for (size_t k = 1; k < s->m; k++)
                if (z[k] > z[best]) best = k;
        }
        out[i] = (double)s->cls[best];
    }
    free(Z);
    return KNOB_OK;
}

/* ---- persistence and introspection -------------------------------------------------------------------- */

static int logistic_load(knob_model *m, const cJSON *obj, knob_err *err)
{
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(obj, "classes");
    size_t kf = cJSON_IsArray(cls) ? (size_t)cJSON_GetArraySize(cls) : 0, K = m->schema.n_classes;
    if (kf < 2 || kf > K)
        return knob_err_set(err, KNOB_EPARSE, "model file: field 'state.classes' must be an array of 2 to %zu class codes", K);
    knob_linear_state *s = knob_linear_state_new(m, kf == 2 ? 1 : kf, kf, err);
    if (!s) return KNOB_ENOMEM;
    double *codes = knob_json_doubles(cls, kf, "state.classes", err);
    if (!codes) return KNOB_EPARSE;
    for (size_t k = 0; k < kf; k++) {
        if (!(codes[k] >= 0 && codes[k] < (double)K && codes[k] == floor(codes[k])) ||
            (k && codes[k] <= codes[k - 1])) {
            free(codes);
            return knob_err_set(err, KNOB_EPARSE,
                                "model file: field 'state.classes' must hold increasing class codes in 0..%zu", K - 1);
        }
        s->cls[k] = (size_t)codes[k];
    }
    free(codes);
    return knob_linear_state_load(s, obj, err);
}

static void logistic_describe(const knob_model *m, char *buf, size_t size)
{
    const knob_linear_state *s = m->state;
    knob_describe_printf(buf, size, "%s, %zu classes, %s C=%g", s->kf == 2 ? "binary" : "multinomial", s->kf,
                         knob_params_str(&m->params, "penalty"), knob_params_num(&m->params, "C"));
}

const knob_model_vtable knob_model_logistic = {
    .kind = "logistic",
    .summary = "logistic regression: binary or multinomial, l2/l1/elastic-net penalty (L-BFGS, OWL-QN)",
    .tasks = 1u << KNOB_TASK_CLASSIFICATION,
    .params = logistic_params,
    .check = logistic_check,
    .fit = logistic_fit,
    .predict = logistic_predict,
    .predict_proba = logistic_proba,
    .save = knob_linear_state_save,
    .load = logistic_load,
    .free_state = knob_linear_state_free,
    .importances = knob_linear_importances,
    .n_learned = knob_linear_n_learned,
    .state_bytes = knob_linear_state_bytes,
    .describe = logistic_describe,
};
