/* linear.c — linear regression: ordinary least squares (LAPACK dgelsd: minimum-norm, safe for rank-deficient
 * data), ridge (Cholesky on X'X + alpha I), lasso and elastic net (cyclic coordinate descent with
 * scikit-learn's objective and duality-gap stopping rule). Data are centered (weighted) so the intercept is
 * never penalized; sample weights scale the rows by sqrt(w).
 *
 * Features: categorical features are one-hot encoded internally (one indicator per level, no level dropped;
 * a level unseen in training, or a missing category at predict time, gives all-zero indicators); a missing
 * (NaN) or infinite numeric value is an error naming the column (impute first, e.g. knob.prep.impute).
 * Fitted state (saved JSON "state"): coef (one per design column: numeric features, then each categorical
 * feature's levels in place), intercept, scale (weighted training std of each design column).
 * Importances: |coef| x scale, summed over a categorical feature's indicators, normalised to sum 1.
 * History: closed-form fits record no iterations and status "converged"; coordinate descent records one
 * entry per sweep (train_loss = the penalized objective divided by the weight sum; with an eval_set,
 * valid_loss = mean squared error and valid_metric = R^2) and ends "converged", "max_iter" or "stopped by
 * callback". */
#include <cJSON.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/model.h"
#include "linear_common.h"
#include "model_impl.h"

/* LAPACK (Fortran symbols; the trailing size_t is the hidden length of a character argument). */
void dgelsd_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb,
             double *s, const double *rcond, int *rank, double *work, const int *lwork, int *iwork, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
             const int *ldb, int *info, size_t uplo_len);

static const char *const penalties[] = {"none", "l2", "l1", "elasticnet", NULL};

static const knob_param_spec linear_params[] = {
    {"penalty", KNOB_PT_STR, 0, "none", NAN, NAN, 0, 0, penalties, 0,
     "none = ordinary least squares (like LinearRegression), l2 = ridge (Ridge), l1 = lasso (Lasso), "
     "elasticnet (ElasticNet)"},
    {"alpha", KNOB_PT_NUM, 1.0, NULL, 0, NAN, 0, 0, NULL, 0,
     "regularization strength >= 0 with scikit-learn's scaling: l2 minimizes ||y - Xw - b||^2 + alpha ||w||^2; "
     "l1/elasticnet minimize ||y - Xw - b||^2 / (2n) + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) ||w||^2 / 2 "
     "(n = sum of sample weights); alpha = 0 gives least squares"},
    {"l1_ratio", KNOB_PT_NUM, 0.5, NULL, 0, 1, 0, 0, NULL, 0,
     "elasticnet: share of the L1 penalty in [0, 1] (1 = lasso, 0 = ridge-like)"},
    {"fit_intercept", KNOB_PT_BOOL, 1, NULL, NAN, NAN, 0, 0, NULL, 0, "fit an unpenalized intercept"},
    {"tol", KNOB_PT_NUM, 1e-4, NULL, 0, NAN, 1, 0, NULL, 0,
     "l1/elasticnet: stop when the duality gap < tol * ||y - mean(y)||^2 (as scikit-learn)"},
    {"max_iter", KNOB_PT_INT, 1000, NULL, 1, 1e9, 0, 0, NULL, 0, "l1/elasticnet: maximum coordinate-descent sweeps"},
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL},
};

/* ---- solvers on the centered, sqrt(weight)-scaled data (X: n x p column-major, overwritten) ------------ */

/* Minimum-norm least squares through the SVD (dgelsd), like scipy.linalg.lstsq in LinearRegression. */
static int solve_lstsq(double *X, const double *y, size_t n, size_t p, double *w, knob_err *err)
{
    int in = (int)n, ip = (int)p, one = 1, ldb = (int)(n > p ? n : p), rank, info, lwork = -1, iwq;
    double rcond = 2.220446049250313e-16 * (double)(n > p ? n : p), wq;
    size_t mn = n < p ? n : p;
    double *b = malloc(((size_t)ldb + mn) * sizeof *b);
    if (!b) return knob_err_set(err, KNOB_ENOMEM, "linear: out of memory");
    double *sv = b + ldb;
    memcpy(b, y, n * sizeof *b);
    dgelsd_(&in, &ip, &one, X, &in, b, &ldb, sv, &rcond, &rank, &wq, &lwork, &iwq, &info);
    lwork = (int)wq + 1;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)(iwq > 1 ? iwq : 1) * sizeof *iwork);
    if (!work || !iwork) {
        free(b);
        free(work);
        free(iwork);
        return knob_err_set(err, KNOB_ENOMEM, "linear: out of memory");
    }
    dgelsd_(&in, &ip, &one, X, &in, b, &ldb, sv, &rcond, &rank, work, &lwork, iwork, &info);
    free(work);
    free(iwork);
    if (info != 0) {
        free(b);
        return knob_err_set(err, KNOB_EUNDEF, "linear: the least-squares SVD did not converge (dgelsd info %d)", info);
    }
    memcpy(w, b, p * sizeof *w);
    free(b);
    return KNOB_OK;
}

/* Ridge by Cholesky, like scikit-learn's solver="cholesky": (X'X + alpha I) w = X'y when p <= n, else the
 * kernel form w = X' (XX' + alpha I)^-1 y (an n x n system instead of p x p). */
static int solve_ridge(double *X, const double *y, size_t n, size_t p, double alpha, double *w, knob_err *err)
{
    int kernel = p > n;
    size_t k = kernel ? n : p;
    double *A = malloc((k * k + (kernel ? n : 0)) * sizeof *A);
    if (!A) return knob_err_set(err, KNOB_ENOMEM, "linear: out of memory for a %zu x %zu Gram matrix", k, k);
    double *rhs = kernel ? A + k * k : w;
    cblas_dsyrk(CblasColMajor, CblasUpper, kernel ? CblasNoTrans : CblasTrans, (int)k, kernel ? (int)p : (int)n, 1.0,
                X, (int)n, 0.0, A, (int)k);
    for (size_t j = 0; j < k; j++) A[j * k + j] += alpha;
    if (kernel) memcpy(rhs, y, n * sizeof *rhs);
    else cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)p, 1.0, X, (int)n, y, 1, 0.0, rhs, 1);
    int ik = (int)k, one = 1, info;
    dpotrf_("U", &ik, A, &ik, &info, 1);
    if (info == 0) dpotrs_("U", &ik, &one, A, &ik, rhs, &ik, &info, 1);
    if (info == 0 && kernel) cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)p, 1.0, X, (int)n, rhs, 1, 0.0, w, 1);
    free(A);
    if (info != 0) /* not numerically positive definite (alpha tiny against collinear data): use the SVD */
        return solve_lstsq(X, y, n, p, w, err);
    return KNOB_OK;
}

/* Evaluation data for the per-sweep validation curve. */
typedef struct {
    knob_dmat A;
    double *y, *pred;
    size_t n;
} eval_data;

/* Mean squared error and R^2 of the current coefficients on the evaluation data. */
static void eval_scores(const eval_data *e, size_t p, const double *w, double b, double *mse, double *r2)
{
    *mse = *r2 = NAN;
    if (!e->n) return;
    for (size_t i = 0; i < e->n; i++) e->pred[i] = b;
    if (p) cblas_dgemv(CblasColMajor, CblasNoTrans, (int)e->n, (int)p, 1.0, e->A.X, (int)e->A.ld, w, 1, 1.0, e->pred, 1);
    double ym = 0, sse = 0, sst = 0;
    for (size_t i = 0; i < e->n; i++) ym += e->y[i];
    ym /= (double)e->n;
    for (size_t i = 0; i < e->n; i++) {
        sse += (e->y[i] - e->pred[i]) * (e->y[i] - e->pred[i]);
        sst += (e->y[i] - ym) * (e->y[i] - ym);
    }
    *mse = sse / (double)e->n;
    *r2 = sst > 0 ? 1 - sse / sst : NAN;
}

typedef struct {
    knob_model *m;
    const knob_fit_opts *o;
    const eval_data *eval;
    const double *mean;   /* column means (to recover the intercept for validation scores) */
    double ymean;
} cd_report;

/*
 * Elastic net by cyclic coordinate descent (scikit-learn's enet_coordinate_descent): minimizes
 * 0.5 ||y - Xw||^2 + l1 ||w||_1 + 0.5 l2 ||w||^2 from w = 0; after a sweep whose largest coefficient change
 * is below tol * max |w|, computes the duality gap and stops when it is <= tol * ||y||^2.
 */
static int solve_cd(const double *X, const double *y, size_t n, size_t p, double l1, double l2, double tol,
                    size_t max_iter, double S, const cd_report *rep, double *w, knob_err *err)
{
    double *R = malloc((n + 2 * p) * sizeof *R);
    if (!R) return knob_err_set(err, KNOB_ENOMEM, "linear: out of memory");
    double *norm2 = R + n, *XtA = norm2 + p;
    memcpy(R, y, n * sizeof *R);
    memset(w, 0, p * sizeof *w);
    for (size_t j = 0; j < p; j++) norm2[j] = cblas_ddot((int)n, X + j * n, 1, X + j * n, 1);
    double ynorm2 = cblas_ddot((int)n, y, 1, y, 1), gap_tol = tol * ynorm2;
    int rc = KNOB_OK, converged = 0, stopped = 0;
    size_t sweep = 0;
    while (sweep < max_iter && !converged && !stopped) {
        sweep++;
        double w_max = 0, d_max = 0;
        for (size_t j = 0; j < p; j++) {
            if (norm2[j] == 0) continue;
            const double *xj = X + j * n;
            double old = w[j];
            double rho = cblas_ddot((int)n, xj, 1, R, 1) + norm2[j] * old;
            double nw = fabs(rho) > l1 ? copysign(fabs(rho) - l1, rho) / (norm2[j] + l2) : 0.0;
            if (nw != old) cblas_daxpy((int)n, old - nw, xj, 1, R, 1);
            w[j] = nw;
            if (fabs(nw - old) > d_max) d_max = fabs(nw - old);
            if (fabs(nw) > w_max) w_max = fabs(nw);
        }
        double rr = cblas_ddot((int)n, R, 1, R, 1), wl1 = cblas_dasum((int)p, w, 1), ww = cblas_ddot((int)p, w, 1, w, 1);
        if (w_max == 0 || d_max / w_max < tol || sweep == max_iter) {
            /* duality gap, as in scikit-learn's cd_fast.enet_coordinate_descent */
            cblas_dgemv(CblasColMajor, CblasTrans, (int)n, (int)p, 1.0, X, (int)n, R, 1, 0.0, XtA, 1);
            double dual_norm = 0;
            for (size_t j = 0; j < p; j++) {
                XtA[j] -= l2 * w[j];
                if (fabs(XtA[j]) > dual_norm) dual_norm = fabs(XtA[j]);
            }
            double cst = 1.0, gap;
            if (dual_norm > l1) {
                cst = l1 / dual_norm;
                gap = 0.5 * (rr + rr * cst * cst);
            } else {
                gap = rr;
            }
            gap += l1 * wl1 - cst * cblas_ddot((int)n, R, 1, y, 1) + 0.5 * l2 * (1 + cst * cst) * ww;
            converged = gap <= gap_tol;
        }
        double vloss = NAN, vr2 = NAN;
        if (rep->eval->n) {
            double b = rep->ymean - cblas_ddot((int)p, rep->mean, 1, w, 1);
            eval_scores(rep->eval, p, w, b, &vloss, &vr2);
        }
        int r = knob_linear_report(rep->m, rep->o, sweep, (0.5 * rr + l1 * wl1 + 0.5 * l2 * ww) / S, vloss, vr2, err);
        if (r < 0) {
            rc = r;
            break;
        }
        stopped = r == 1;
    }
    free(R);
    if (rc == KNOB_OK) {
        const char *st = converged ? "converged" : stopped ? "stopped by callback" : "max_iter";
        snprintf(rep->m->history.status, sizeof rep->m->history.status, "%s", st);
    }
    return rc;
}

/* The evaluation set's design matrix and target (n = 0 without one). */
static int eval_init(knob_model *m, const knob_linear_state *s, const knob_dataset *ev, eval_data *e, knob_err *err)
{
    memset(e, 0, sizeof *e);
    if (!ev || !ev->frame->y || ev->frame->task != KNOB_TASK_REGRESSION || !ev->n_rows) return KNOB_OK;
    int rc = knob_design_matrix(&s->d, &m->schema, ev, 0, 0, "linear: eval_set", &e->A, err);
    if (rc) return rc;
    e->y = malloc(2 * ev->n_rows * sizeof *e->y);
    if (!e->y) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    e->pred = e->y + ev->n_rows;
    knob_dataset_gather_y(ev, e->y);
    e->n = ev->n_rows;
    return KNOB_OK;
}

static int too_big(size_t n, size_t p, knob_err *err)
{
    if (n > INT_MAX || p > INT_MAX || (p && n > SIZE_MAX / p / sizeof(double)))
        return knob_err_set(err, KNOB_EINVAL, "linear: %zu x %zu is too large for the BLAS/LAPACK int interface", n, p);
    return KNOB_OK;
}

static int linear_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    knob_linear_state *s = knob_linear_state_new(m, 1, 0, err);
    if (!s) return KNOB_ENOMEM;
    size_t n = train->n_rows, p = s->d.p;
    int rc = too_big(n, p, err);
    if (rc) return rc;
    knob_dmat A;
    double *X, *y = NULL, *mean = NULL;
    eval_data ev = {0};
    rc = knob_design_matrix(&s->d, &m->schema, train, 1, 1, "linear", &A, err);
    if (rc) return rc;
    X = A.owned; /* a private n x p copy (ld = n) */
    y = malloc((o->sample_weight ? 2 * n : n) * sizeof *y);
    mean = malloc((p ? p : 1) * sizeof *mean);
    if (!y || !mean) {
        rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
        goto done;
    }
    knob_dataset_gather_y(train, y);
    const double *sw = o->sample_weight;
    double S = knob_column_moments(&A, p, sw, mean, s->scale);
    if (!(S > 0)) {
        rc = knob_err_set(err, KNOB_EINVAL, "linear: the sample weights sum to zero");
        goto done;
    }
    int fit_intercept = knob_params_num(&m->params, "fit_intercept") != 0;
    double ymean = 0;
    if (fit_intercept) {
        for (size_t i = 0; i < n; i++) ymean += (sw ? sw[i] : 1.0) * y[i];
        ymean /= S;
    } else {
        memset(mean, 0, (p ? p : 1) * sizeof *mean);
    }
    /* center and scale by sqrt(w) in one pass per column; sqrt(w) is kept in `root` (the y buffer's tail) */
    double *root = sw ? y + n : NULL;
    for (size_t i = 0; root && i < n; i++) root[i] = sqrt(sw[i]);
    for (size_t i = 0; i < n; i++) y[i] = (y[i] - ymean) * (root ? root[i] : 1.0);
    for (size_t j = 0; j < p; j++) {
        double *col = X + j * n, mu = mean[j];
        if (root)
            for (size_t i = 0; i < n; i++) col[i] = (col[i] - mu) * root[i];
        else
            for (size_t i = 0; i < n; i++) col[i] -= mu;
    }
    const char *penalty = knob_params_str(&m->params, "penalty");
    double alpha = knob_params_num(&m->params, "alpha"), ratio = knob_params_num(&m->params, "l1_ratio");
    snprintf(m->history.status, sizeof m->history.status, "converged");
    if (p == 0) {
        /* intercept only */
    } else if (!strcmp(penalty, "none") || alpha == 0) {
        rc = solve_lstsq(X, y, n, p, s->coef, err);
    } else if (!strcmp(penalty, "l2")) {
        rc = solve_ridge(X, y, n, p, alpha, s->coef, err);
    } else {
        if (!strcmp(penalty, "l1")) ratio = 1.0;
        rc = eval_init(m, s, o->eval_set, &ev, err);
        cd_report rep = {m, o, &ev, mean, ymean};
        if (rc == KNOB_OK)
            rc = solve_cd(X, y, n, p, alpha * ratio * S, alpha * (1 - ratio) * S, knob_params_num(&m->params, "tol"),
                          (size_t)knob_params_num(&m->params, "max_iter"), S, &rep, s->coef, err);
    }
    if (rc == KNOB_OK) s->intercept[0] = fit_intercept ? ymean - (p ? cblas_ddot((int)p, mean, 1, s->coef, 1) : 0) : 0;
done:
    knob_dmat_free(&A);
    free(y);
    free(mean);
    knob_dmat_free(&ev.A);
    free(ev.y);
    return rc;
}

static int linear_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    const knob_linear_state *s = m->state;
    size_t n = ds->n_rows, p = s->d.p;
    int rc = too_big(n, p, err);
    if (rc) return rc;
    knob_dmat A;
    rc = knob_design_matrix(&s->d, &m->schema, ds, 0, 0, "linear", &A, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) out[i] = s->intercept[0];
    if (p && n) cblas_dgemv(CblasColMajor, CblasNoTrans, (int)n, (int)p, 1.0, A.X, (int)A.ld, s->coef, 1, 1.0, out, 1);
    knob_dmat_free(&A);
    return KNOB_OK;
}

static int linear_load(knob_model *m, const cJSON *obj, knob_err *err)
{
    knob_linear_state *s = knob_linear_state_new(m, 1, 0, err);
    return s ? knob_linear_state_load(s, obj, err) : KNOB_ENOMEM;
}

static void linear_describe(const knob_model *m, char *buf, size_t size)
{
    const knob_linear_state *s = m->state;
    const char *penalty = knob_params_str(&m->params, "penalty");
    size_t nz = 0;
    for (size_t j = 0; j < s->d.p; j++) nz += s->coef[j] != 0;
    if (!strcmp(penalty, "none"))
        knob_describe_printf(buf, size, "least squares, %zu coefficients", s->d.p);
    else
        knob_describe_printf(buf, size, "%s alpha=%g, %zu of %zu coefficients non-zero", penalty,
                             knob_params_num(&m->params, "alpha"), nz, s->d.p);
}

const knob_model_vtable knob_model_linear = {
    .kind = "linear",
    .summary = "linear regression: least squares, ridge, lasso, elastic net (categorical features one-hot)",
    .tasks = 1u << KNOB_TASK_REGRESSION,
    .params = linear_params,
    .check = NULL, /* no cross-parameter constraints: every combination is valid */
    .fit = linear_fit,
    .predict = linear_predict,
    .save = knob_linear_state_save,
    .load = linear_load,
    .free_state = knob_linear_state_free,
    .importances = knob_linear_importances,
    .n_learned = knob_linear_n_learned,
    .state_bytes = knob_linear_state_bytes,
    .describe = linear_describe,
};
