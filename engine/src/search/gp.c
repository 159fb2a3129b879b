/* gp.c — Gaussian-process Bayesian optimization numerics (gp.h). */
#include "knob/gp.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normal.h"

/* LAPACK (Fortran symbols; OpenBLAS provides them). The trailing size_t is gfortran's hidden length of the
 * character argument. */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
             const int *ldb, int *info, size_t uplo_len);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);

#define SQRT5 2.23606797749978969640917366873128
#define LOG_SQRT_2PI 0.91893853320467274178032973640562
#define LOG_2PI 1.83787706640934548356065947281123
#define MAX_N 100000

/* Matérn 5/2 as a function of r^2, and its derivative with respect to r^2. */
static double matern(double r2)
{
    double r = sqrt(r2);
    return (1 + SQRT5 * r + 5.0 / 3.0 * r2) * exp(-SQRT5 * r);
}

static double matern_d(double r2)
{
    double r = sqrt(r2);
    return -5.0 / 6.0 * (1 + SQRT5 * r) * exp(-SQRT5 * r);
}

/* Squared distance in coordinate j (Hamming for a categorical). */
static inline double dist2(double a, double b, int cat)
{
    double t = a - b;
    return cat ? (t != 0) : t * t;
}

static double scaled_r2(const double *a, const double *b, size_t d, const unsigned char *is_cat, const double *ils)
{
    double s = 0;
    for (size_t j = 0; j < d; j++) s += ils[j] * dist2(a[j], b[j], is_cat && is_cat[j]);
    return s;
}

static int check_hyper(const knob_gp_hyper *h, size_t d, const char *where, knob_err *err)
{
    if (!h || !h->lengthscales) return knob_err_set(err, KNOB_EINVAL, "%s: no hyperparameters", where);
    for (size_t j = 0; j < d; j++)
        if (!(h->lengthscales[j] > 0) || !isfinite(h->lengthscales[j]))
            return knob_err_set(err, KNOB_EINVAL, "%s: lengthscale %zu must be a finite number > 0 (got %g)", where,
                                j + 1, h->lengthscales[j]);
    if (!(h->signal_var > 0) || !isfinite(h->signal_var))
        return knob_err_set(err, KNOB_EINVAL, "%s: signal variance must be a finite number > 0 (got %g)", where,
                            h->signal_var);
    if (!(h->noise_var >= 0) || !isfinite(h->noise_var))
        return knob_err_set(err, KNOB_EINVAL, "%s: noise variance must be a finite number >= 0 (got %g)", where,
                            h->noise_var);
    return KNOB_OK;
}

static int check_points(const double *X, size_t n, size_t d, const unsigned char *is_cat, const char *where,
                        knob_err *err)
{
    if (d == 0) return knob_err_set(err, KNOB_EINVAL, "%s: no coordinates", where);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double v = X[i * d + j];
            if (!isfinite(v))
                return knob_err_set(err, KNOB_EINVAL, "%s: point %zu, coordinate %zu is not finite", where, i + 1,
                                    j + 1);
            if (is_cat && is_cat[j] && (v < 0 || v != floor(v)))
                return knob_err_set(err, KNOB_EINVAL, "%s: point %zu, coordinate %zu is not a choice index (%g)",
                                    where, i + 1, j + 1, v);
        }
    return KNOB_OK;
}

static int check_data(const knob_gp_data *g, const char *where, knob_err *err)
{
    if (!g || !g->X || !g->y) return knob_err_set(err, KNOB_EINVAL, "%s: no data", where);
    if (g->n == 0 || g->n > MAX_N)
        return knob_err_set(err, KNOB_EINVAL, "%s: number of points must be in 1..%d (got %zu)", where, MAX_N, g->n);
    for (size_t i = 0; i < g->n; i++)
        if (!isfinite(g->y[i])) return knob_err_set(err, KNOB_EINVAL, "%s: output %zu is not finite", where, i + 1);
    return check_points(g->X, g->n, g->d, g->is_cat, where, err);
}

int knob_gp_kernel(const double *X1, size_t n1, const double *X2, size_t n2, size_t d, const unsigned char *is_cat,
                   const knob_gp_hyper *h, double *K, knob_err *err)
{
    const char *where = "gp kernel";
    int rc;
    if ((rc = check_hyper(h, d, where, err)) || (rc = check_points(X1, n1, d, is_cat, where, err)) ||
        (rc = check_points(X2, n2, d, is_cat, where, err)))
        return rc;
    double *ils = malloc(d * sizeof *ils);
    if (!ils) return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", where);
    for (size_t j = 0; j < d; j++) ils[j] = 1.0 / (h->lengthscales[j] * h->lengthscales[j]);
    for (size_t a = 0; a < n1; a++)
        for (size_t b = 0; b < n2; b++)
            K[a * n2 + b] = h->signal_var * matern(scaled_r2(X1 + a * d, X2 + b * d, d, is_cat, ils));
    free(ils);
    return KNOB_OK;
}

/* ------------------------------------------------------------------------------------- the posterior */

/* A factorized GP: K = L L' (column-major lower; K is symmetric so row / column order do not matter),
 * alpha = K^-1 y, and on demand Kinv = K^-1. */
typedef struct {
    size_t n, d;
    const double *X, *y;
    const unsigned char *is_cat;
    double *ils;     /* d inverse squared lengthscales */
    double s2, noise;
    double *L;       /* n x n */
    double *alpha;   /* n */
    double *Kinv;    /* n x n (full, symmetric) */
    double log_det;  /* log |K| */
} gp_post;

static void post_free(gp_post *p)
{
    free(p->ils);
    free(p->L);
    free(p->alpha);
    free(p->Kinv);
    memset(p, 0, sizeof *p);
}

static int post_alloc(gp_post *p, const knob_gp_data *g, knob_err *err)
{
    memset(p, 0, sizeof *p);
    p->n = g->n, p->d = g->d, p->X = g->X, p->y = g->y, p->is_cat = g->is_cat;
    p->ils = malloc(g->d * sizeof *p->ils);
    p->L = malloc(g->n * g->n * sizeof *p->L);
    p->alpha = malloc(g->n * sizeof *p->alpha);
    p->Kinv = malloc(g->n * g->n * sizeof *p->Kinv);
    if (!p->ils || !p->L || !p->alpha || !p->Kinv) {
        post_free(p);
        return knob_err_set(err, KNOB_ENOMEM, "gp: out of memory for %zu points", g->n);
    }
    return KNOB_OK;
}

/* Factorize with the current ils / s2 / noise; want_inv also fills Kinv. */
static int post_factor(gp_post *p, int want_inv, knob_err *err)
{
    size_t n = p->n, d = p->d;
    int ni = (int)n, info = 0;
    double jitter = 0;
    for (int attempt = 0; attempt < 6; attempt++) {
        for (size_t a = 0; a < n; a++) {
            p->L[a * n + a] = p->s2 + p->noise + jitter;
            for (size_t b = a + 1; b < n; b++) {
                double k = p->s2 * matern(scaled_r2(p->X + a * d, p->X + b * d, d, p->is_cat, p->ils));
                p->L[a * n + b] = k;
                p->L[b * n + a] = k;
            }
        }
        dpotrf_("L", &ni, p->L, &ni, &info, 1);
        if (info == 0) break;
        jitter = jitter == 0 ? 1e-8 * p->s2 : jitter * 100;
    }
    if (info != 0)
        return knob_err_set(err, KNOB_EUNDEF, "gp: kernel matrix of %zu points is not positive definite", n);
    p->log_det = 0;
    for (size_t a = 0; a < n; a++) p->log_det += 2 * log(p->L[a * n + a]);
    memcpy(p->alpha, p->y, n * sizeof *p->alpha);
    int one = 1;
    dpotrs_("L", &ni, &one, p->L, &ni, p->alpha, &ni, &info, 1);
    if (want_inv) {
        memcpy(p->Kinv, p->L, n * n * sizeof *p->Kinv);
        dpotri_("L", &ni, p->Kinv, &ni, &info, 1);
        if (info != 0) return knob_err_set(err, KNOB_EUNDEF, "gp: kernel matrix of %zu points is singular", n);
        for (size_t b = 0; b < n; b++) /* column-major lower -> full */
            for (size_t a = b + 1; a < n; a++) p->Kinv[a * n + b] = p->Kinv[b * n + a];
    }
    return KNOB_OK;
}

static double post_lml(const gp_post *p)
{
    double q = 0;
    for (size_t i = 0; i < p->n; i++) q += p->y[i] * p->alpha[i];
    return -0.5 * q - 0.5 * p->log_det - 0.5 * (double)p->n * LOG_2PI;
}

/* Gradient of the log marginal likelihood with respect to (log ils_1..d, log s2, log(noise - min)), with Kinv
 * filled: dL/dt = tr((alpha alpha' - Kinv) dK/dt) / 2. */
static void post_lml_grad(const gp_post *p, double *grad)
{
    size_t n = p->n, d = p->d;
    memset(grad, 0, (d + 2) * sizeof *grad);
    double gs = 0, gn = 0;
    for (size_t a = 0; a < n; a++) {
        const double *xa = p->X + a * d;
        gn += p->alpha[a] * p->alpha[a] - p->Kinv[a * n + a];
        gs += (p->alpha[a] * p->alpha[a] - p->Kinv[a * n + a]) * p->s2; /* diagonal: k = s2 */
        for (size_t b = a + 1; b < n; b++) {
            const double *xb = p->X + b * d;
            double w = 2 * (p->alpha[a] * p->alpha[b] - p->Kinv[a * n + b]); /* both triangles */
            double r2 = scaled_r2(xa, xb, d, p->is_cat, p->ils);
            gs += w * p->s2 * matern(r2);
            double dm = w * p->s2 * matern_d(r2);
            for (size_t j = 0; j < d; j++)
                grad[j] += dm * p->ils[j] * dist2(xa[j], xb[j], p->is_cat && p->is_cat[j]);
        }
    }
    for (size_t j = 0; j < d; j++) grad[j] *= 0.5;
    grad[d] = 0.5 * gs;
    grad[d + 1] = 0.5 * gn * (p->noise - KNOB_GP_MIN_NOISE);
}

static int post_from_hyper(gp_post *p, const knob_gp_data *g, const knob_gp_hyper *h, int want_inv, knob_err *err)
{
    int rc = post_alloc(p, g, err);
    if (rc) return rc;
    for (size_t j = 0; j < g->d; j++) p->ils[j] = 1.0 / (h->lengthscales[j] * h->lengthscales[j]);
    p->s2 = h->signal_var;
    p->noise = h->noise_var;
    if ((rc = post_factor(p, want_inv, err))) post_free(p);
    return rc;
}

int knob_gp_log_marginal(const knob_gp_data *data, const knob_gp_hyper *h, double *lml, double *grad, knob_err *err)
{
    const char *where = "gp log marginal likelihood";
    int rc;
    if ((rc = check_data(data, where, err)) || (rc = check_hyper(h, data->d, where, err))) return rc;
    if (grad && !(h->noise_var > KNOB_GP_MIN_NOISE))
        return knob_err_set(err, KNOB_EINVAL, "%s: the gradient needs a noise variance > %g (got %g)", where,
                            KNOB_GP_MIN_NOISE, h->noise_var);
    gp_post p;
    if ((rc = post_from_hyper(&p, data, h, grad != NULL, err))) return rc;
    *lml = post_lml(&p);
    if (grad) post_lml_grad(&p, grad);
    post_free(&p);
    return KNOB_OK;
}

/* k(x, X_i) for every training point, then mean and variance; u (n scratch) receives Kinv k when Kinv is set. */
static void post_point(const gp_post *p, const double *x, double *k, double *u, double *mean, double *var)
{
    size_t n = p->n, d = p->d;
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        k[i] = p->s2 * matern(scaled_r2(x, p->X + i * d, d, p->is_cat, p->ils));
        m += k[i] * p->alpha[i];
    }
    cblas_dsymv(CblasRowMajor, CblasUpper, (int)n, 1.0, p->Kinv, (int)n, k, 1, 0.0, u, 1);
    double q = 0;
    for (size_t i = 0; i < n; i++) q += k[i] * u[i];
    double v = p->s2 - q;
    *mean = m;
    *var = v > 0 ? v : 0;
}

int knob_gp_predict(const knob_gp_data *data, const knob_gp_hyper *h, const double *Xq, size_t m, double *mean,
                    double *var, knob_err *err)
{
    const char *where = "gp predict";
    int rc;
    if ((rc = check_data(data, where, err)) || (rc = check_hyper(h, data->d, where, err)) ||
        (rc = check_points(Xq, m, data->d, data->is_cat, where, err)))
        return rc;
    gp_post p;
    if ((rc = post_from_hyper(&p, data, h, 1, err))) return rc;
    double *k = malloc(2 * data->n * sizeof *k);
    if (!k) {
        post_free(&p);
        return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", where);
    }
    for (size_t i = 0; i < m; i++) post_point(&p, Xq + i * data->d, k, k + data->n, &mean[i], &var[i]);
    free(k);
    post_free(&p);
    return KNOB_OK;
}

/* ------------------------------------------------------------------------------ bounded L-BFGS (small) */

typedef double (*objective_fn)(void *ctx, const double *x, double *g);

#define LBFGS_M 8

/* Minimize f over the box [lo, hi] (lo[j] == hi[j] freezes coordinate j) from x (updated in place): L-BFGS
 * directions restricted to the free coordinates, projected backtracking (Armijo) line search; falls back to
 * the steepest descent once when a direction fails. Returns the final value; ws needs (4 + 4 LBFGS_M) n
 * doubles. */
static double lbfgs_min(objective_fn f, void *ctx, double *x, const double *lo, const double *hi, size_t n,
                        int max_iter, double gtol, double *ws)
{
    double *g = ws, *dir = g + n, *xn = dir + n, *gn = xn + n;
    double *S = gn + n, *Y = S + LBFGS_M * n, *rho = Y + LBFGS_M * n, *al = rho + LBFGS_M;
    size_t mem = 0, head = 0;
    double fx = f(ctx, x, g);
    if (!isfinite(fx)) return fx;
    int steepest = 0;
    for (int it = 0; it < max_iter; it++) {
        /* projected gradient norm and free set */
        double pg = 0;
        for (size_t j = 0; j < n; j++) {
            int blocked = lo[j] == hi[j] || (x[j] <= lo[j] && g[j] > 0) || (x[j] >= hi[j] && g[j] < 0);
            dir[j] = blocked ? 0 : -g[j];
            if (fabs(dir[j]) > pg) pg = fabs(dir[j]);
        }
        if (pg < gtol) break;
        if (!steepest && mem > 0) { /* two-loop recursion on the free coordinates */
            for (size_t t = 0; t < mem; t++) {
                size_t k = (head + LBFGS_M - 1 - t) % LBFGS_M;
                double s = 0;
                for (size_t j = 0; j < n; j++) s += S[k * n + j] * dir[j];
                al[k] = rho[k] * s;
                for (size_t j = 0; j < n; j++) dir[j] -= al[k] * Y[k * n + j];
            }
            size_t last = (head + LBFGS_M - 1) % LBFGS_M;
            double yy = 0;
            for (size_t j = 0; j < n; j++) yy += Y[last * n + j] * Y[last * n + j];
            double gamma = yy > 0 ? 1.0 / (rho[last] * yy) : 1.0;
            for (size_t j = 0; j < n; j++) dir[j] *= gamma;
            for (size_t t = mem; t-- > 0;) {
                size_t k = (head + LBFGS_M - 1 - t) % LBFGS_M;
                double s = 0;
                for (size_t j = 0; j < n; j++) s += Y[k * n + j] * dir[j];
                double b = rho[k] * s;
                for (size_t j = 0; j < n; j++) dir[j] += (al[k] - b) * S[k * n + j];
            }
            for (size_t j = 0; j < n; j++) {
                int blocked = lo[j] == hi[j] || (x[j] <= lo[j] && g[j] > 0) || (x[j] >= hi[j] && g[j] < 0);
                if (blocked) dir[j] = 0;
            }
        }
        double slope = 0;
        for (size_t j = 0; j < n; j++) slope += dir[j] * g[j];
        if (!(slope < 0)) { /* not a descent direction: restart from the steepest descent */
            if (steepest) break;
            steepest = 1, mem = 0;
            it--;
            continue;
        }
        double t = 1, fn = 0;
        if (mem == 0) { /* first step: at most 1 in the largest coordinate */
            double dm = 0;
            for (size_t j = 0; j < n; j++) dm = fabs(dir[j]) > dm ? fabs(dir[j]) : dm;
            if (dm > 1) t = 1 / dm;
        }
        int ok = 0;
        for (int ls = 0; ls < 40; ls++, t *= 0.5) {
            double dec = 0;
            for (size_t j = 0; j < n; j++) {
                double v = x[j] + t * dir[j];
                xn[j] = v < lo[j] ? lo[j] : v > hi[j] ? hi[j] : v;
                dec += g[j] * (xn[j] - x[j]);
            }
            fn = f(ctx, xn, gn);
            if (isfinite(fn) && fn <= fx + 1e-4 * dec) {
                ok = 1;
                break;
            }
        }
        if (!ok) {
            if (steepest || mem == 0) break;
            steepest = 1, mem = 0;
            continue;
        }
        double sy = 0;
        for (size_t j = 0; j < n; j++) {
            S[head * n + j] = xn[j] - x[j];
            Y[head * n + j] = gn[j] - g[j];
            sy += S[head * n + j] * Y[head * n + j];
        }
        if (sy > 1e-12) {
            rho[head] = 1 / sy;
            head = (head + 1) % LBFGS_M;
            if (mem < LBFGS_M) mem++;
        }
        double df = fx - fn;
        memcpy(x, xn, n * sizeof *x);
        memcpy(g, gn, n * sizeof *g);
        fx = fn;
        steepest = 0;
        if (df <= 1e-12 * (1 + fabs(fx))) break;
    }
    return fx;
}

static size_t lbfgs_ws(size_t n)
{
    return (4 + 2 * LBFGS_M) * n + 2 * LBFGS_M;
}

/* ---------------------------------------------------------------------------- hyperparameter fitting */

/* Negative log posterior of the hyperparameters; t = (log ils_1..d, log s2, log(noise - min)). */
static double fit_objective(void *ctx, const double *t, double *g)
{
    gp_post *p = ctx;
    size_t d = p->d;
    knob_err err;
    for (size_t j = 0; j < d; j++) p->ils[j] = exp(t[j]);
    p->s2 = exp(t[d]);
    p->noise = KNOB_GP_MIN_NOISE + exp(t[d + 1]);
    if (post_factor(p, 1, &err)) return INFINITY;
    double obj = post_lml(p);
    post_lml_grad(p, g);
    for (size_t j = 0; j < d; j++) { /* -(0.1/u + 0.1 u), u = ils_j */
        double u = p->ils[j];
        obj -= 0.1 / u + 0.1 * u;
        g[j] += 0.1 / u - 0.1 * u;
    }
    obj += log(p->s2) - p->s2; /* Gamma(2, 1) */
    g[d] += 1 - p->s2;
    obj += 0.1 * log(p->noise) - 30 * p->noise; /* Gamma(1.1, 30) */
    g[d + 1] += (0.1 / p->noise - 30) * (p->noise - KNOB_GP_MIN_NOISE);
    for (size_t j = 0; j < d + 2; j++) g[j] = -g[j];
    return -obj;
}

/* Fit into p (allocated for the data) and leave it factorized at the optimum with Kinv. */
static int fit_post(gp_post *p, const knob_gp_hyper *init, double *obj, knob_err *err)
{
    size_t d = p->d, m = d + 2;
    double *t = malloc((3 * m + lbfgs_ws(m)) * sizeof *t);
    if (!t) return knob_err_set(err, KNOB_ENOMEM, "gp fit: out of memory");
    double *lo = t + m, *hi = lo + m, *ws = hi + m;
    for (size_t j = 0; j < d; j++) t[j] = 0, lo[j] = -10, hi[j] = 10;
    t[d] = 0, lo[d] = -10, hi[d] = 10;
    t[d + 1] = log(0.01 - KNOB_GP_MIN_NOISE), lo[d + 1] = -25, hi[d + 1] = 2;
    if (init) { /* a valid starting point (checked by the caller), clipped into the box */
        for (size_t j = 0; j < d; j++) t[j] = -2 * log(init->lengthscales[j]);
        t[d] = log(init->signal_var);
        if (init->noise_var > KNOB_GP_MIN_NOISE) t[d + 1] = log(init->noise_var - KNOB_GP_MIN_NOISE);
        for (size_t j = 0; j < m; j++) t[j] = t[j] < lo[j] ? lo[j] : t[j] > hi[j] ? hi[j] : t[j];
    }
    double v = lbfgs_min(fit_objective, p, t, lo, hi, m, 200, 1e-2, ws);
    int rc = KNOB_OK;
    if (!isfinite(v)) rc = knob_err_set(err, KNOB_EUNDEF, "gp fit: the kernel matrix is not positive definite");
    else {
        double *g = ws; /* refactor at the accepted point (the last evaluation may have been a rejected one) */
        v = fit_objective(p, t, g);
        if (!isfinite(v)) rc = knob_err_set(err, KNOB_EUNDEF, "gp fit: the kernel matrix is not positive definite");
        if (obj) *obj = -v;
    }
    free(t);
    return rc;
}

int knob_gp_fit(const knob_gp_data *data, knob_gp_hyper *h, double *obj, knob_err *err)
{
    const char *where = "gp fit";
    int rc;
    if ((rc = check_data(data, where, err))) return rc;
    if (!h || !h->lengthscales) return knob_err_set(err, KNOB_EINVAL, "%s: no hyperparameters", where);
    gp_post p;
    if ((rc = post_alloc(&p, data, err))) return rc;
    if (!(rc = fit_post(&p, NULL, obj, err))) {
        for (size_t j = 0; j < data->d; j++) h->lengthscales[j] = 1 / sqrt(p.ils[j]);
        h->signal_var = p.s2;
        h->noise_var = p.noise;
    }
    post_free(&p);
    return rc;
}

/* ------------------------------------------------------------------------------------------ log EI */

double knob_gp_log_h(double z)
{
    if (isnan(z)) return z;
    if (z > -1) {
        /* phi(z) + z Phi(z); for z > 0 both terms are positive, for -1 < z <= 0 the cancellation is mild */
        double phi = exp(-0.5 * z * z - LOG_SQRT_2PI);
        return log(phi + z * 0.5 * erfc(-z / sqrt(2.0)));
    }
    double t = -z, logphi = -0.5 * z * z - LOG_SQRT_2PI;
    if (t < 10) {
        /* h = phi(z) (1 - t R(t)), R(t) = Phi(-t) / phi(t) = sqrt(pi/2) erfcx(t / sqrt 2) (Ament et al.) */
        double x = t / sqrt(2.0);
        double erfcx = exp(x * x) * erfc(x);
        return logphi + log1p(-t * 1.25331413731550025121 * erfcx);
    }
    /* 1 - t R(t) = 1/t^2 - 3/t^4 + 15/t^6 - ...: summed until the terms stop shrinking */
    double it2 = 1 / (t * t), term = it2, sum = it2;
    for (int k = 2; k < 60; k++) {
        double next = -term * (2 * k - 1) * it2;
        if (fabs(next) >= fabs(term) || fabs(next) < 1e-17 * fabs(sum)) break;
        term = next;
        sum += term;
    }
    return logphi + log(sum);
}

/* d log h / dz = Phi(z) / h(z) */
static double dlog_h(double z, double logh)
{
    return exp(knob_normal_log_cdf(z) - logh);
}

/* -log EI and its gradient at x (unit space) for the acquisition search. */
typedef struct {
    const gp_post *p;
    double best;
    double *k, *u;     /* n, n scratch */
    double *dmu, *dvar; /* d, d scratch */
} acq_ctx;

static double acq_value(const gp_post *p, const double *x, double best, double *k, double *u, double *mu,
                        double *var)
{
    post_point(p, x, k, u, mu, var);
    double s = sqrt(*var > 1e-20 ? *var : 1e-20);
    return log(s) + knob_gp_log_h((best - *mu) / s);
}

static double acq_objective(void *ctx, const double *x, double *g)
{
    acq_ctx *c = ctx;
    const gp_post *p = c->p;
    size_t n = p->n, d = p->d;
    double mu, var;
    double a = acq_value(p, x, c->best, c->k, c->u, &mu, &var);
    int clamped = !(var > 1e-20);
    double s = sqrt(clamped ? 1e-20 : var), z = (c->best - mu) / s;
    double dh = dlog_h(z, knob_gp_log_h(z));
    double *dmu = c->dmu, *dvar = c->dvar;
    memset(dmu, 0, d * sizeof *dmu);
    memset(dvar, 0, d * sizeof *dvar);
    for (size_t i = 0; i < n; i++) { /* dk_i/dx_j = s2 m'(r2) 2 ils_j (x_j - X_ij) on continuous j */
        const double *xi = p->X + i * d;
        double w = 2 * p->s2 * matern_d(scaled_r2(x, xi, d, p->is_cat, p->ils));
        for (size_t j = 0; j < d; j++) {
            double dki = w * p->ils[j] * (x[j] - xi[j]);
            dmu[j] += p->alpha[i] * dki;
            dvar[j] -= 2 * c->u[i] * dki;
        }
    }
    for (size_t j = 0; j < d; j++) {
        if (p->is_cat && p->is_cat[j]) {
            g[j] = 0;
            continue;
        }
        double ds = clamped ? 0 : dvar[j] / (2 * s);
        double dz = (-dmu[j] - z * ds) / s;
        g[j] = -(ds / s + dh * dz);
    }
    return -a;
}

/* ---------------------------------------------------------------------------------------- suggest */

void knob_gp_opts_default(knob_gp_opts *o)
{
    o->n_candidates = 2048;
    o->n_local = 5;
    o->fit = 1;
    o->init = NULL;
}

/* Internal range of a dimension: value v maps to (f(v) - a) / (b - a), f = log for log dimensions. */
static void dim_range(const knob_dist *dm, double *a, double *b)
{
    double lo = dm->low, hi = dm->high, half = 0;
    if (dm->kind == KNOB_DIST_INT) half = 0.5 * (dm->step > 0 ? dm->step : 1);
    else if (dm->step > 0) half = 0.5 * dm->step;
    lo -= half, hi += half;
    if (dm->log) lo = log(lo), hi = log(hi);
    *a = lo, *b = hi;
}

static double to_unit(const knob_dist *dm, double v)
{
    if (dm->kind == KNOB_DIST_CATEGORICAL) return v;
    double a, b;
    dim_range(dm, &a, &b);
    return ((dm->log ? log(v) : v) - a) / (b - a);
}

static double from_unit(const knob_dist *dm, double u)
{
    if (dm->kind == KNOB_DIST_CATEGORICAL) return u;
    double a, b;
    dim_range(dm, &a, &b);
    double v = a + u * (b - a);
    if (dm->log) v = exp(v);
    double step = dm->kind == KNOB_DIST_INT ? (dm->step > 0 ? dm->step : 1) : dm->step;
    if (step > 0) v = dm->low + round((v - dm->low) / step) * step;
    if (v < dm->low) v = dm->low;
    if (v > dm->high) v = dm->high;
    return v;
}

/* Is the external point x (n_dims) one of the observations? */
static int observed(const double *x, const double *obs, size_t n_obs, size_t D)
{
    for (size_t i = 0; i < n_obs; i++)
        if (memcmp(x, obs + i * D, D * sizeof *x) == 0) return 1;
    return 0;
}

typedef struct {
    double v;
    size_t i;
} ranked;

static int cmp_ranked_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int suggest_check(const knob_dist *dims, size_t D, const double *obs, const double *y, size_t n_obs,
                         const knob_gp_opts *o, knob_err *err)
{
    const char *where = "gp suggest";
    if (!dims || D == 0) return knob_err_set(err, KNOB_EINVAL, "%s: no dimensions", where);
    if (n_obs == 0 || n_obs > MAX_N)
        return knob_err_set(err, KNOB_EINVAL, "%s: number of observations must be in 1..%d (got %zu)", where, MAX_N,
                            n_obs);
    if (o->n_candidates < 1 || o->n_candidates > 10000000)
        return knob_err_set(err, KNOB_EINVAL, "%s: n_candidates must be in 1..1e7 (got %zu)", where, o->n_candidates);
    for (size_t j = 0; j < D; j++) {
        char what[64];
        snprintf(what, sizeof what, "%s: dimension %zu", where, j + 1);
        int rc = knob_dist_check(&dims[j], what, err);
        if (rc) return rc;
        if (dims[j].kind != KNOB_DIST_CATEGORICAL && !(dims[j].low < dims[j].high))
            return knob_err_set(err, KNOB_EINVAL, "%s needs low < high", what);
    }
    for (size_t i = 0; i < n_obs; i++) {
        if (isnan(y[i])) return knob_err_set(err, KNOB_EINVAL, "%s: output %zu is NaN", where, i + 1);
        for (size_t j = 0; j < D; j++) {
            const knob_dist *dm = &dims[j];
            double v = obs[i * D + j];
            int ok = dm->kind == KNOB_DIST_CATEGORICAL ? v >= 0 && v < (double)dm->n_choices && v == floor(v)
                                                       : v >= dm->low && v <= dm->high;
            if (!ok)
                return knob_err_set(err, KNOB_EINVAL, "%s: observation %zu, value %zu (%g) is outside its dimension",
                                    where, i + 1, j + 1, v);
        }
    }
    return KNOB_OK;
}

/* Outputs standardized into ys, +-inf clipped to the worst / best finite value. */
static void standardize(const double *y, size_t n, double *ys)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (isfinite(y[i])) lo = y[i] < lo ? y[i] : lo, hi = y[i] > hi ? y[i] : hi;
    if (!(lo <= hi)) lo = hi = 0;
    double mean = 0, ss = 0;
    for (size_t i = 0; i < n; i++) {
        ys[i] = y[i] == INFINITY ? hi : y[i] == -INFINITY ? lo : y[i];
        mean += ys[i];
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) ss += (ys[i] - mean) * (ys[i] - mean);
    double sd = sqrt(ss / (double)n);
    if (!(sd > 1e-12 * (1 + fabs(mean)))) sd = 1;
    for (size_t i = 0; i < n; i++) ys[i] = (ys[i] - mean) / sd;
}

/* Candidate c in unit space (categoricals: a uniform choice index). */
static void candidate(const knob_dist *dims, size_t D, knob_qmc *q, knob_rng *rng, uint64_t idx, double *x)
{
    knob_err e;
    if (q) knob_qmc_point(q, idx, x, &e);
    else
        for (size_t j = 0; j < D; j++) x[j] = knob_rng_uniform(rng);
    for (size_t j = 0; j < D; j++)
        if (dims[j].kind == KNOB_DIST_CATEGORICAL) {
            double c = floor(x[j] * (double)dims[j].n_choices);
            x[j] = c < (double)dims[j].n_choices ? c : (double)dims[j].n_choices - 1;
        }
}

/* log EI of m candidates (unit space) into rk, in blocks: kernel rows Kq, U = Kq Kinv by dsymm, then
 * var = s2 - rowsum(Kq .* U) and mean = Kq alpha. */
static int score_candidates(const gp_post *p, const double *C, size_t m, double best, ranked *rk, knob_err *err)
{
    size_t n = p->n, d = p->d, B = 256;
    double *Kq = malloc(2 * B * n * sizeof *Kq);
    if (!Kq) return knob_err_set(err, KNOB_ENOMEM, "gp suggest: out of memory");
    double *U = Kq + B * n;
    for (size_t c0 = 0; c0 < m; c0 += B) {
        size_t b = m - c0 < B ? m - c0 : B;
        for (size_t r = 0; r < b; r++)
            for (size_t i = 0; i < n; i++)
                Kq[r * n + i] = p->s2 * matern(scaled_r2(C + (c0 + r) * d, p->X + i * d, d, p->is_cat, p->ils));
        cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, (int)b, (int)n, 1.0, p->Kinv, (int)n, Kq, (int)n, 0.0, U,
                    (int)n);
        for (size_t r = 0; r < b; r++) {
            double mu = 0, q = 0;
            for (size_t i = 0; i < n; i++) {
                mu += Kq[r * n + i] * p->alpha[i];
                q += Kq[r * n + i] * U[r * n + i];
            }
            double var = p->s2 - q, sd = sqrt(var > 1e-20 ? var : 1e-20);
            rk[c0 + r].v = log(sd) + knob_gp_log_h((best - mu) / sd);
            rk[c0 + r].i = c0 + r;
        }
    }
    free(Kq);
    return KNOB_OK;
}

int knob_gp_suggest(const knob_dist *dims, size_t D, const double *obs, const double *y, size_t n_obs,
                    const knob_gp_opts *opts, knob_rng *rng, double *best, double *log_ei, knob_gp_hyper *hyper,
                    knob_err *err)
{
    knob_gp_opts o;
    if (opts) o = *opts;
    else knob_gp_opts_default(&o);
    int rc = suggest_check(dims, D, obs, y, n_obs, &o, err);
    if (rc) return rc;
    if (!o.fit && (rc = check_hyper(hyper, D, "gp suggest", err))) return rc;
    if (o.fit && o.init && (rc = check_hyper(o.init, D, "gp suggest: init", err))) return rc;
    size_t n = n_obs, nc = o.n_candidates, nl = o.n_local < nc ? o.n_local : nc;
    size_t n_start = nl + 1;
    unsigned char *is_cat = calloc(D, 1);
    double *X = malloc((n * D + n + 2 * n + nc * D + n_start * D + 5 * D + lbfgs_ws(D)) * sizeof *X);
    ranked *rk = malloc(nc * sizeof *rk);
    knob_qmc *q = NULL;
    gp_post p;
    memset(&p, 0, sizeof p);
    if (!is_cat || !X || !rk) {
        rc = knob_err_set(err, KNOB_ENOMEM, "gp suggest: out of memory");
        goto done;
    }
    double *ys = X + n * D, *k = ys + n, *u = k + n, *C = u + n, *starts = C + nc * D;
    double *lo = starts + n_start * D, *hi = lo + D, *xe = hi + D, *dmu = xe + D, *dvar = dmu + D, *ws = dvar + D;
    for (size_t j = 0; j < D; j++) is_cat[j] = dims[j].kind == KNOB_DIST_CATEGORICAL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < D; j++) X[i * D + j] = to_unit(&dims[j], obs[i * D + j]);
    standardize(y, n, ys);
    knob_gp_data data = {X, ys, n, D, is_cat};
    if ((rc = post_alloc(&p, &data, err))) goto done;
    if (o.fit) {
        if ((rc = fit_post(&p, o.init, NULL, err))) goto done;
    } else {
        for (size_t j = 0; j < D; j++) p.ils[j] = 1 / (hyper->lengthscales[j] * hyper->lengthscales[j]);
        p.s2 = hyper->signal_var, p.noise = hyper->noise_var;
        if ((rc = post_factor(&p, 1, err))) goto done;
    }
    double fbest = INFINITY;
    size_t ibest = 0;
    for (size_t i = 0; i < n; i++)
        if (ys[i] < fbest) fbest = ys[i], ibest = i;

    /* candidates: scrambled Sobol where it has the dimensions, else uniform */
    if (D <= knob_qmc_max_dim(KNOB_QMC_SOBOL)) {
        knob_err e;
        if (knob_qmc_new(&q, KNOB_QMC_SOBOL, D, 1, knob_rng_u64(rng), &e)) q = NULL;
    }
    for (size_t c = 0; c < nc; c++) candidate(dims, D, q, rng, c, C + c * D);
    if ((rc = score_candidates(&p, C, nc, fbest, rk, err))) goto done;
    qsort(rk, nc, sizeof *rk, cmp_ranked_desc);

    /* local refinement of the continuous coordinates from the best candidates and the best observation */
    acq_ctx ctx = {&p, fbest, k, u, dmu, dvar};
    double best_v = -INFINITY;
    double *xb = xe; /* the best refined point (unit space), reusing xe until it is mapped */
    for (size_t s = 0; s < n_start; s++) {
        double *x = starts + s * D;
        memcpy(x, s < nl ? C + rk[s].i * D : X + ibest * D, D * sizeof *x);
        for (size_t j = 0; j < D; j++) {
            lo[j] = is_cat[j] ? x[j] : 0;
            hi[j] = is_cat[j] ? x[j] : 1;
        }
        double v = -lbfgs_min(acq_objective, &ctx, x, lo, hi, D, 50, 1e-6, ws);
        if (v > best_v || (s == 0 && !(best_v > -INFINITY))) best_v = v, memcpy(xb, x, D * sizeof *x);
    }
    /* one pass over the choices of each categorical */
    for (size_t j = 0; j < D; j++) {
        if (!is_cat[j]) continue;
        double keep = xb[j];
        for (size_t c = 0; c < dims[j].n_choices; c++) {
            double mu, var;
            xb[j] = (double)c;
            double v = acq_value(&p, xb, fbest, k, u, &mu, &var);
            if (v > best_v) best_v = v, keep = (double)c;
        }
        xb[j] = keep;
    }
    for (size_t j = 0; j < D; j++) best[j] = from_unit(&dims[j], xb[j]);
    /* rounded onto an observation: the best candidate that is not one */
    if (observed(best, obs, n, D)) {
        for (size_t r = 0; r < nc; r++) {
            const double *x = C + rk[r].i * D;
            for (size_t j = 0; j < D; j++) xe[j] = from_unit(&dims[j], x[j]);
            if (!observed(xe, obs, n, D)) {
                memcpy(best, xe, D * sizeof *best);
                best_v = rk[r].v;
                break;
            }
        }
    }
    if (log_ei) *log_ei = best_v;
    if (hyper && o.fit) {
        for (size_t j = 0; j < D; j++) hyper->lengthscales[j] = 1 / sqrt(p.ils[j]);
        hyper->signal_var = p.s2, hyper->noise_var = p.noise;
    }
done:
    knob_qmc_free(&q);
    post_free(&p);
    free(rk);
    free(X);
    free(is_cat);
    return rc;
}
