/* optim.c — the minimizers of optim.h: L-BFGS with its L1 extension OWL-QN (Andrew & Gao, "Scalable training
 * of L1-regularized log-linear models", ICML 2007), and damped Newton with a Cholesky solve. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"

/* LAPACK (Fortran symbols; the trailing size_t is the hidden length of a character argument). */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
             const int *ldb, int *info, size_t uplo_len);

#define ARMIJO 1e-4       /* sufficient-decrease constant */
#define MAX_BACKTRACK 40  /* step halvings before the line search gives up */
#define MAX_FLAT 5        /* iterations in a row without a decrease above rounding before we call it stalled */

static double l1_term(const double *l1, const double *x, size_t n)
{
    if (!l1) return 0;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += l1[i] * fabs(x[i]);
    return s;
}

/* The minimum-norm subgradient of f + sum l1|x| (the gradient itself without L1 weights). */
static void pseudo_gradient(const double *l1, const double *x, const double *g, double *pg, size_t n)
{
    if (!l1) {
        if (pg != g) memcpy(pg, g, n * sizeof *pg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (x[i] > 0) pg[i] = g[i] + l1[i];
        else if (x[i] < 0) pg[i] = g[i] - l1[i];
        else if (g[i] + l1[i] < 0) pg[i] = g[i] + l1[i];
        else if (g[i] - l1[i] > 0) pg[i] = g[i] - l1[i];
        else pg[i] = 0;
    }
}

static double abs_max(const double *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > m || isnan(v[i])) m = fabs(v[i]);
    return m;
}

typedef struct {
    size_t n, m;      /* variables, memory */
    size_t k, head;   /* pairs stored, slot of the newest */
    double *s, *y;    /* m x n each */
    double *rho, *alpha;
} lbfgs_memory;

/* d = -H q by the two-loop recursion over the stored pairs (H = identity when none are stored). */
static void two_loop(const lbfgs_memory *mem, const double *q_in, double *d)
{
    size_t n = mem->n;
    memcpy(d, q_in, n * sizeof *d);
    for (size_t i = 0; i < mem->k; i++) {
        size_t j = (mem->head + mem->m - i) % mem->m;
        mem->alpha[j] = mem->rho[j] * cblas_ddot((int)n, mem->s + j * n, 1, d, 1);
        cblas_daxpy((int)n, -mem->alpha[j], mem->y + j * n, 1, d, 1);
    }
    if (mem->k) {
        const double *sn = mem->s + mem->head * n, *yn = mem->y + mem->head * n;
        double gamma = cblas_ddot((int)n, sn, 1, yn, 1) / cblas_ddot((int)n, yn, 1, yn, 1);
        cblas_dscal((int)n, gamma, d, 1);
    }
    for (size_t i = mem->k; i-- > 0;) {
        size_t j = (mem->head + mem->m - i) % mem->m;
        double beta = mem->rho[j] * cblas_ddot((int)n, mem->y + j * n, 1, d, 1);
        cblas_daxpy((int)n, mem->alpha[j] - beta, mem->s + j * n, 1, d, 1);
    }
    cblas_dscal((int)n, -1.0, d, 1);
}

/* Store the pair (xn - x, gn - g) if it has positive curvature (always so for a strictly convex f); once the
 * memory is full the oldest pair is replaced. */
static void remember(lbfgs_memory *mem, const double *x, const double *xn, const double *g, const double *gn)
{
    size_t n = mem->n;
    double sy = 0, yy = 0;
    for (size_t i = 0; i < n; i++) {
        double si = xn[i] - x[i], yi = gn[i] - g[i];
        sy += si * yi;
        yy += yi * yi;
    }
    if (!(sy > 1e-10 * yy) || !(yy > 0)) return;
    size_t slot = mem->k ? (mem->head + 1) % mem->m : 0;
    double *s = mem->s + slot * n, *y = mem->y + slot * n;
    for (size_t i = 0; i < n; i++) {
        s[i] = xn[i] - x[i];
        y[i] = gn[i] - g[i];
    }
    mem->rho[slot] = 1.0 / sy;
    mem->head = slot;
    if (mem->k < mem->m) mem->k++;
}

/*
 * Backtracking line search from x (objective F, pseudo-gradient pg) along d, starting at `step` and halving
 * until F(xb) <= F + ARMIJO * pg . (xb - x). With L1 weights the trial points are projected onto the orthant
 * `orth` (OWL-QN). Returns 1 (accepted: xb, gn, *Fn hold the new point), 0 (no decrease found) or a
 * negative status from f.
 */
static int line_search(const knob_optim_opts *o, knob_smooth_fn f, void *ctx, const double *x, double F,
                       const double *pg, const double *d, const double *orth, double step, double *xb, double *gn,
                       double *Fn, knob_optim_result *res, knob_err *err)
{
    size_t n = o->n;
    for (int bt = 0; bt < MAX_BACKTRACK; bt++, step *= 0.5) {
        double dec = 0;
        for (size_t i = 0; i < n; i++) {
            xb[i] = x[i] + step * d[i];
            if (o->l1 && xb[i] * orth[i] <= 0) xb[i] = 0; /* do not cross an orthant boundary */
            dec += pg[i] * (xb[i] - x[i]);
        }
        double fn;
        int rc = f(ctx, xb, gn, &fn, err);
        res->evaluations++;
        if (rc) return rc;
        *Fn = fn + l1_term(o->l1, xb, n);
        if (*Fn <= F + ARMIJO * dec) return 1;
    }
    return 0;
}

/* Evaluate the start point: F, g and the pseudo-gradient; converged already if small enough. */
static int start(const knob_optim_opts *o, knob_smooth_fn f, void *ctx, const double *x, double *g, double *pg,
                 double *F, knob_optim_result *res, knob_err *err)
{
    double fx;
    int rc = f(ctx, x, g, &fx, err);
    res->evaluations = 1;
    if (rc) return rc;
    *F = fx + l1_term(o->l1, x, o->n);
    pseudo_gradient(o->l1, x, g, pg, o->n);
    res->grad_max = abs_max(pg, o->n);
    res->status = res->grad_max <= o->gtol ? KNOB_OPTIM_CONVERGED : KNOB_OPTIM_MAX_ITER;
    if (!isfinite(*F) || !isfinite(res->grad_max))
        return knob_err_set(err, KNOB_EUNDEF, "optimizer: the objective is not finite at the start point");
    return KNOB_OK;
}

/* Bookkeeping after an accepted step from objective F to Fn: convergence and stall tests, the iteration
 * callback. */
static int finish_iteration(const knob_optim_opts *o, size_t it, const double *x, double F, double Fn, int *flat,
                            knob_optim_result *res, knob_err *err)
{
    res->iterations = it;
    *flat = F - Fn > 4 * DBL_EPSILON * fabs(F) ? 0 : *flat + 1;
    if (res->grad_max <= o->gtol) res->status = KNOB_OPTIM_CONVERGED;
    else if (*flat >= MAX_FLAT) res->status = KNOB_OPTIM_STALLED;
    if (!o->on_iter) return KNOB_OK;
    int stop = o->on_iter(o->ud, it, x, Fn, res->grad_max, err);
    if (stop < 0) return stop;
    if (stop && res->status == KNOB_OPTIM_MAX_ITER) res->status = KNOB_OPTIM_STOPPED;
    return KNOB_OK;
}

static int check_opts(const knob_optim_opts *o, knob_optim_result *res, knob_err *err)
{
    memset(res, 0, sizeof *res);
    if (o->n == 0) return knob_err_set(err, KNOB_EINVAL, "optimizer: no variables to optimize");
    if (!(o->gtol >= 0)) return knob_err_set(err, KNOB_EINVAL, "optimizer: gtol must be >= 0 (got %g)", o->gtol);
    return KNOB_OK;
}

int knob_lbfgs_minimize(const knob_optim_opts *o, knob_smooth_fn f, void *ctx, double *x, knob_optim_result *res,
                        knob_err *err)
{
    int rc = check_opts(o, res, err);
    if (rc) return rc;
    size_t n = o->n, m = o->memory ? o->memory : 10;
    lbfgs_memory mem = {n, m, 0, 0, NULL, NULL, NULL, NULL};
    double *buf = malloc((7 * n + 2 * m * n + 2 * m) * sizeof *buf);
    if (!buf) return knob_err_set(err, KNOB_ENOMEM, "lbfgs: out of memory (%zu variables)", n);
    double *xa = buf, *xb = xa + n, *g = xb + n, *gn = g + n, *pg = gn + n, *d = pg + n, *orth = d + n;
    mem.s = orth + n;
    mem.y = mem.s + m * n;
    mem.rho = mem.y + m * n;
    mem.alpha = mem.rho + m;
    memcpy(xa, x, n * sizeof *xa);
    double F, Fn;
    int flat = 0;
    if ((rc = start(o, f, ctx, xa, g, pg, &F, res, err))) goto done;
    for (size_t it = 1; res->status == KNOB_OPTIM_MAX_ITER && it <= o->max_iter; it++) {
        two_loop(&mem, pg, d);
        if (o->l1)
            for (size_t i = 0; i < n; i++)
                if (d[i] * pg[i] >= 0) d[i] = 0; /* keep only the components that descend along -pg */
        if (!(cblas_ddot((int)n, pg, 1, d, 1) < 0)) { /* not a descent direction: restart from steepest descent */
            mem.k = 0;
            for (size_t i = 0; i < n; i++) d[i] = -pg[i];
        }
        if (o->l1)
            for (size_t i = 0; i < n; i++) orth[i] = xa[i] != 0 ? (xa[i] > 0 ? 1 : -1) : (pg[i] < 0 ? 1 : -1);
        double step = mem.k ? 1.0 : fmin(1.0, 1.0 / cblas_dnrm2((int)n, pg, 1));
        int ok = line_search(o, f, ctx, xa, F, pg, d, orth, step, xb, gn, &Fn, res, err);
        if (ok < 0) {
            rc = ok;
            goto done;
        }
        if (!ok) {
            res->status = KNOB_OPTIM_STALLED;
            break;
        }
        remember(&mem, xa, xb, g, gn);
        double *t = xa;
        xa = xb;
        xb = t;
        t = g;
        g = gn;
        gn = t;
        pseudo_gradient(o->l1, xa, g, pg, n);
        res->grad_max = abs_max(pg, n);
        rc = finish_iteration(o, it, xa, F, Fn, &flat, res, err);
        F = Fn;
        if (rc) goto done;
    }
    res->value = F;
    memcpy(x, xa, n * sizeof *x);
done:
    free(buf);
    return rc;
}

/* d = -H^{-1} g by Cholesky; when H is not numerically positive definite, add tau I with tau growing tenfold.
 * Returns 0 on success, -1 if even heavy damping failed (the caller falls back to -g). */
static int newton_direction(const double *H, double *Hc, const double *g, double *d, size_t n)
{
    int in = (int)n, one = 1, info = 0;
    double dmax = 0;
    for (size_t i = 0; i < n; i++) dmax = fmax(dmax, fabs(H[i * n + i]));
    double tau = 0;
    for (int attempt = 0; attempt < 16; attempt++) {
        memcpy(Hc, H, n * n * sizeof *Hc);
        for (size_t i = 0; i < n; i++) Hc[i * n + i] += tau;
        dpotrf_("U", &in, Hc, &in, &info, 1);
        if (info == 0) {
            for (size_t i = 0; i < n; i++) d[i] = -g[i];
            dpotrs_("U", &in, &one, Hc, &in, d, &in, &info, 1);
            if (info == 0) return 0;
        }
        tau = tau == 0 ? 1e-10 * fmax(dmax, 1e-300) : tau * 10;
    }
    return -1;
}

int knob_newton_minimize(const knob_optim_opts *o, knob_smooth_fn f, knob_hessian_fn h, void *ctx, double *x,
                         knob_optim_result *res, knob_err *err)
{
    int rc = check_opts(o, res, err);
    if (rc) return rc;
    size_t n = o->n;
    if (o->l1) return knob_err_set(err, KNOB_EINVAL, "newton: L1 weights are not supported (use L-BFGS/OWL-QN)");
    if (n > 46340) return knob_err_set(err, KNOB_EINVAL, "newton: %zu variables is too many for a dense Hessian", n);
    double *buf = malloc((5 * n + 2 * n * n) * sizeof *buf);
    if (!buf) return knob_err_set(err, KNOB_ENOMEM, "newton: out of memory for a %zu x %zu Hessian", n, n);
    double *xa = buf, *xb = xa + n, *g = xb + n, *gn = g + n, *d = gn + n, *H = d + n, *Hc = H + n * n;
    memcpy(xa, x, n * sizeof *xa);
    double F, Fn;
    int flat = 0;
    if ((rc = start(o, f, ctx, xa, g, g, &F, res, err))) goto done;
    for (size_t it = 1; res->status == KNOB_OPTIM_MAX_ITER && it <= o->max_iter; it++) {
        if ((rc = h(ctx, xa, H, err))) goto done;
        if (newton_direction(H, Hc, g, d, n) || !(cblas_ddot((int)n, g, 1, d, 1) < 0))
            for (size_t i = 0; i < n; i++) d[i] = -g[i];
        int ok = line_search(o, f, ctx, xa, F, g, d, NULL, 1.0, xb, gn, &Fn, res, err);
        if (ok < 0) {
            rc = ok;
            goto done;
        }
        if (!ok) {
            res->status = KNOB_OPTIM_STALLED;
            break;
        }
        double *t = xa;
        xa = xb;
        xb = t;
        t = g;
        g = gn;
        gn = t;
        res->grad_max = abs_max(g, n);
        rc = finish_iteration(o, it, xa, F, Fn, &flat, res, err);
        F = Fn;
        if (rc) goto done;
    }
    res->value = F;
    memcpy(x, xa, n * sizeof *x);
done:
    free(buf);
    return rc;
}
