/* lbfgs.c — L-BFGS and its L1 extension OWL-QN (Andrew & Gao, "Scalable training of L1-regularized log-linear
 * models", ICML 2007) for the smooth-plus-L1 objectives of the linear model kinds. See optim.h. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"

#define ARMIJO 1e-4       /* sufficient-decrease constant */
#define MAX_BACKTRACK 40  /* step halvings before the line search gives up */

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
        memcpy(pg, g, n * sizeof *pg);
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

int knob_lbfgs_minimize(const knob_lbfgs_opts *o, knob_smooth_fn f, void *ctx, double *x, knob_lbfgs_result *res,
                        knob_err *err)
{
    memset(res, 0, sizeof *res);
    size_t n = o->n, m = o->memory ? o->memory : 10;
    if (n == 0) return knob_err_set(err, KNOB_EINVAL, "lbfgs: no variables to optimize");
    if (!(o->gtol >= 0)) return knob_err_set(err, KNOB_EINVAL, "lbfgs: gtol must be >= 0 (got %g)", o->gtol);
    lbfgs_memory mem = {n, m, 0, 0, NULL, NULL, NULL, NULL};
    double *buf = malloc((7 * n + 2 * m * n + 2 * m) * sizeof *buf);
    if (!buf) return knob_err_set(err, KNOB_ENOMEM, "lbfgs: out of memory (%zu variables)", n);
    double *xa = buf, *xb = xa + n, *g = xb + n, *gn = g + n, *pg = gn + n, *d = pg + n, *orth = d + n;
    mem.s = orth + n;
    mem.y = mem.s + m * n;
    mem.rho = mem.y + m * n;
    mem.alpha = mem.rho + m;
    memcpy(xa, x, n * sizeof *xa);

    double fx;
    int rc = f(ctx, xa, g, &fx, err);
    res->evaluations = 1;
    if (rc) goto done;
    double F = fx + l1_term(o->l1, xa, n);
    pseudo_gradient(o->l1, xa, g, pg, n);
    double gmax = abs_max(pg, n);
    res->status = KNOB_OPTIM_MAX_ITER;
    if (!isfinite(F) || !isfinite(gmax)) {
        rc = knob_err_set(err, KNOB_EUNDEF, "lbfgs: the objective is not finite at the start point");
        goto done;
    }
    if (gmax <= o->gtol) res->status = KNOB_OPTIM_CONVERGED;
    for (size_t it = 1; res->status == KNOB_OPTIM_MAX_ITER && it <= o->max_iter; it++) {
        two_loop(&mem, pg, d);
        if (o->l1)
            for (size_t i = 0; i < n; i++)
                if (d[i] * pg[i] >= 0) d[i] = 0; /* keep only the components that descend along -pg */
        double dd = cblas_ddot((int)n, pg, 1, d, 1);
        if (!(dd < 0)) { /* not a descent direction: forget the curvature pairs and use steepest descent */
            mem.k = 0;
            for (size_t i = 0; i < n; i++) d[i] = -pg[i];
            dd = -cblas_ddot((int)n, pg, 1, pg, 1);
        }
        if (o->l1)
            for (size_t i = 0; i < n; i++) orth[i] = xa[i] != 0 ? (xa[i] > 0 ? 1 : -1) : (pg[i] < 0 ? 1 : -1);
        double step = mem.k ? 1.0 : fmin(1.0, 1.0 / cblas_dnrm2((int)n, pg, 1));
        int accepted = 0;
        double Fn = F;
        for (int bt = 0; bt < MAX_BACKTRACK && !accepted; bt++, step *= 0.5) {
            for (size_t i = 0; i < n; i++) xb[i] = xa[i] + step * d[i];
            double dec = step * dd;
            if (o->l1) {
                dec = 0;
                for (size_t i = 0; i < n; i++) {
                    if (xb[i] * orth[i] <= 0) xb[i] = 0; /* do not cross an orthant boundary */
                    dec += pg[i] * (xb[i] - xa[i]);
                }
            }
            double fn;
            rc = f(ctx, xb, gn, &fn, err);
            res->evaluations++;
            if (rc) goto done;
            Fn = fn + l1_term(o->l1, xb, n);
            accepted = Fn <= F + ARMIJO * dec;
        }
        if (!accepted) {
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
        F = Fn;
        pseudo_gradient(o->l1, xa, g, pg, n);
        gmax = abs_max(pg, n);
        res->iterations = it;
        if (gmax <= o->gtol) res->status = KNOB_OPTIM_CONVERGED;
        if (o->on_iter) {
            int stop = o->on_iter(o->ud, it, xa, F, gmax, err);
            if (stop < 0) {
                rc = stop;
                goto done;
            }
            if (stop && res->status != KNOB_OPTIM_CONVERGED) res->status = KNOB_OPTIM_STOPPED;
        }
    }
    res->value = F;
    res->grad_max = gmax;
    memcpy(x, xa, n * sizeof *x);
done:
    free(buf);
    return rc;
}
