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
    const double *l1; /* OWL-QN weights or NULL */
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

/* The current point and the scratch for the next one; after a step, (x, g) and (xn, gn) are swapped so
 * xn and gn hold the previous point. */
typedef struct {
    size_t n;
    double *x, *xn, *g, *gn, *pg, *d, *orth;
    double F;          /* objective at x (smooth part + L1 term) */
    int moved;         /* a step has been taken: xn, gn hold the previous point */
} iterate;

/* A search direction at s->x into s->d, and the first trial step. */
typedef int (*direction_fn)(void *method, iterate *s, double *step, knob_err *err);

/*
 * Backtracking line search from s->x along s->d, starting at `step` and halving until
 * F(xn) <= F + ARMIJO * pg . (xn - x). With L1 weights the trial points are projected onto the orthant
 * s->orth (OWL-QN). Returns 1 (accepted: xn, gn, *Fn hold the new point), 0 (no decrease found) or a
 * negative status from f.
 */
static int line_search(const knob_optim_opts *o, knob_smooth_fn f, void *ctx, iterate *s, double step, double *Fn,
                       knob_optim_result *res, knob_err *err)
{
    size_t n = o->n;
    for (int bt = 0; bt < MAX_BACKTRACK; bt++, step *= 0.5) {
        double dec = 0;
        for (size_t i = 0; i < n; i++) {
            s->xn[i] = s->x[i] + step * s->d[i];
            if (o->l1 && s->xn[i] * s->orth[i] <= 0) s->xn[i] = 0; /* do not cross an orthant boundary */
            dec += s->pg[i] * (s->xn[i] - s->x[i]);
        }
        double fn;
        int rc = f(ctx, s->xn, s->gn, &fn, err);
        res->evaluations++;
        if (rc) return rc;
        *Fn = fn + l1_term(o->l1, s->xn, n);
        if (*Fn <= s->F + ARMIJO * dec) return 1;
    }
    return 0;
}

/*
 * The shared driver: evaluate the start point, then iterate direction -> line search -> accept until the
 * pseudo-gradient is small, the line search stalls, the callback stops, or max_iter. @p buf holds 7 n
 * doubles of scratch (owned by the caller).
 */
static int minimize(const knob_optim_opts *o, knob_smooth_fn f, void *ctx, direction_fn dir, void *method,
                    double *x, double *buf, knob_optim_result *res, knob_err *err)
{
    size_t n = o->n;
    iterate s = {n, buf, buf + n, buf + 2 * n, buf + 3 * n, buf + 4 * n, buf + 5 * n, buf + 6 * n, 0, 0};
    memcpy(s.x, x, n * sizeof *s.x);
    double fx;
    int rc = f(ctx, s.x, s.g, &fx, err), flat = 0;
    res->evaluations = 1;
    if (rc) return rc;
    s.F = fx + l1_term(o->l1, s.x, n);
    pseudo_gradient(o->l1, s.x, s.g, s.pg, n);
    res->grad_max = abs_max(s.pg, n);
    res->status = res->grad_max <= o->gtol ? KNOB_OPTIM_CONVERGED : KNOB_OPTIM_MAX_ITER;
    if (!isfinite(s.F) || !isfinite(res->grad_max))
        return knob_err_set(err, KNOB_EUNDEF, "optimizer: the objective is not finite at the start point");
    for (size_t it = 1; res->status == KNOB_OPTIM_MAX_ITER && it <= o->max_iter; it++) {
        double step = 1, Fn = s.F;
        if ((rc = dir(method, &s, &step, err))) return rc;
        int ok = line_search(o, f, ctx, &s, step, &Fn, res, err);
        if (ok < 0) return ok;
        if (!ok) {
            res->status = KNOB_OPTIM_STALLED;
            break;
        }
        double *t = s.x;
        s.x = s.xn;
        s.xn = t;
        t = s.g;
        s.g = s.gn;
        s.gn = t;
        s.moved = 1;
        pseudo_gradient(o->l1, s.x, s.g, s.pg, n);
        res->grad_max = abs_max(s.pg, n);
        res->iterations = it;
        flat = s.F - Fn > 4 * DBL_EPSILON * fabs(s.F) ? 0 : flat + 1;
        s.F = Fn;
        if (res->grad_max <= o->gtol) res->status = KNOB_OPTIM_CONVERGED;
        else if (flat >= MAX_FLAT) res->status = KNOB_OPTIM_STALLED;
        if (o->on_iter) {
            int stop = o->on_iter(o->ud, it, s.x, s.F, res->grad_max, err);
            if (stop < 0) return stop;
            if (stop && res->status == KNOB_OPTIM_MAX_ITER) res->status = KNOB_OPTIM_STOPPED;
        }
    }
    res->value = s.F;
    memcpy(x, s.x, n * sizeof *x);
    return KNOB_OK;
}

static int check_opts(const knob_optim_opts *o, knob_optim_result *res, knob_err *err)
{
    memset(res, 0, sizeof *res);
    if (o->n == 0) return knob_err_set(err, KNOB_EINVAL, "optimizer: no variables to optimize");
    if (!(o->gtol >= 0)) return knob_err_set(err, KNOB_EINVAL, "optimizer: gtol must be >= 0 (got %g)", o->gtol);
    return KNOB_OK;
}

/* L-BFGS / OWL-QN direction: two-loop recursion on the pseudo-gradient, projected for OWL-QN. */
static int lbfgs_direction(void *method, iterate *s, double *step, knob_err *err)
{
    (void)err;
    lbfgs_memory *mem = method;
    size_t n = s->n;
    const double *l1 = mem->l1;
    if (s->moved) remember(mem, s->xn, s->x, s->gn, s->g);
    two_loop(mem, s->pg, s->d);
    if (l1)
        for (size_t i = 0; i < n; i++)
            if (s->d[i] * s->pg[i] >= 0) s->d[i] = 0; /* keep only the components that descend along -pg */
    if (!(cblas_ddot((int)n, s->pg, 1, s->d, 1) < 0)) { /* not a descent direction: restart from steepest descent */
        mem->k = 0;
        for (size_t i = 0; i < n; i++) s->d[i] = -s->pg[i];
    }
    if (l1)
        for (size_t i = 0; i < n; i++) s->orth[i] = s->x[i] != 0 ? (s->x[i] > 0 ? 1 : -1) : (s->pg[i] < 0 ? 1 : -1);
    *step = mem->k ? 1.0 : fmin(1.0, 1.0 / cblas_dnrm2((int)n, s->pg, 1));
    return KNOB_OK;
}

int knob_lbfgs_minimize(const knob_optim_opts *o, knob_smooth_fn f, void *ctx, double *x, knob_optim_result *res,
                        knob_err *err)
{
    int rc = check_opts(o, res, err);
    if (rc) return rc;
    size_t n = o->n, m = o->memory ? o->memory : 10;
    double *buf = malloc((7 * n + 2 * m * n + 2 * m) * sizeof *buf);
    if (!buf) return knob_err_set(err, KNOB_ENOMEM, "lbfgs: out of memory (%zu variables)", n);
    lbfgs_memory mem = {n, m, 0, 0, buf + 7 * n, buf + 7 * n + m * n, buf + 7 * n + 2 * m * n,
                        buf + 7 * n + 2 * m * n + m, o->l1};
    rc = minimize(o, f, ctx, lbfgs_direction, &mem, x, buf, res, err);
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

typedef struct {
    knob_hessian_fn h;
    void *ctx;
    double *H, *Hc;
} newton_method;

/* Newton direction: solve H d = -g (damped if need be); steepest descent if that fails or does not descend. */
static int newton_step(void *method, iterate *s, double *step, knob_err *err)
{
    newton_method *nm = method;
    size_t n = s->n;
    int rc = nm->h(nm->ctx, s->x, nm->H, err);
    if (rc) return rc;
    if (newton_direction(nm->H, nm->Hc, s->g, s->d, n) || !(cblas_ddot((int)n, s->g, 1, s->d, 1) < 0))
        for (size_t i = 0; i < n; i++) s->d[i] = -s->g[i];
    *step = 1.0;
    return KNOB_OK;
}

int knob_newton_minimize(const knob_optim_opts *o, knob_smooth_fn f, knob_hessian_fn h, void *ctx, double *x,
                         knob_optim_result *res, knob_err *err)
{
    int rc = check_opts(o, res, err);
    if (rc) return rc;
    size_t n = o->n;
    if (o->l1) return knob_err_set(err, KNOB_EINVAL, "newton: L1 weights are not supported (use L-BFGS/OWL-QN)");
    if (n > 46340) return knob_err_set(err, KNOB_EINVAL, "newton: %zu variables is too many for a dense Hessian", n);
    double *buf = malloc((7 * n + 2 * n * n) * sizeof *buf);
    if (!buf) return knob_err_set(err, KNOB_ENOMEM, "newton: out of memory for a %zu x %zu Hessian", n, n);
    newton_method nm = {h, ctx, buf + 7 * n, buf + 7 * n + n * n};
    rc = minimize(o, f, ctx, newton_step, &nm, x, buf, res, err);
    free(buf);
    return rc;
}
