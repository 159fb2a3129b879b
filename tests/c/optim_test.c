/* optim_test.c — checks of the minimizers in engine/src/models/optim.h on problems with known answers:
 * Rosenbrock (L-BFGS), a separable L1 problem whose minimizer is the soft-threshold (OWL-QN), a quadratic
 * (Newton in one step), the iteration callback, and bad options. Run: make -C tests/c run (after `make`). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optim.h"

static int failures;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            failures++;                                                                                                \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                                \
            printf(__VA_ARGS__);                                                                                       \
            printf("\n");                                                                                              \
        }                                                                                                              \
    } while (0)

/* f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum 0 at (1, 1). */
static int rosenbrock(void *ctx, const double *x, double *g, double *v, knob_err *err)
{
    (void)ctx;
    (void)err;
    double a = 1 - x[0], b = x[1] - x[0] * x[0];
    *v = a * a + 100 * b * b;
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return KNOB_OK;
}

/* f(x) = 0.5 sum (x_i - a_i)^2 with a = (3, -2, 0.5, -0.25); Hessian = identity. */
static const double A[4] = {3, -2, 0.5, -0.25};

static int quadratic(void *ctx, const double *x, double *g, double *v, knob_err *err)
{
    (void)ctx;
    (void)err;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        g[i] = x[i] - A[i];
        *v += 0.5 * g[i] * g[i];
    }
    return KNOB_OK;
}

static int identity_hessian(void *ctx, const double *x, double *H, knob_err *err)
{
    (void)ctx;
    (void)x;
    (void)err;
    memset(H, 0, 16 * sizeof *H);
    for (int i = 0; i < 4; i++) H[i * 4 + i] = 1;
    return KNOB_OK;
}

static int stop_after_two(void *ud, size_t it, const double *x, double v, double g, knob_err *err)
{
    (void)x;
    (void)v;
    (void)g;
    (void)err;
    *(size_t *)ud = it;
    return it >= 2;
}

static int fail_now(void *ud, size_t it, const double *x, double v, double g, knob_err *err)
{
    (void)ud;
    (void)it;
    (void)x;
    (void)v;
    (void)g;
    return knob_err_set(err, KNOB_EINVAL, "callback failed");
}

int main(void)
{
    knob_err err = {0};
    knob_optim_result res;

    double x[4] = {-1.2, 1};
    knob_optim_opts o = {.n = 2, .max_iter = 1000, .gtol = 1e-10};
    CHECK(knob_lbfgs_minimize(&o, rosenbrock, NULL, x, &res, &err) == KNOB_OK, "rosenbrock: %s", err.msg);
    CHECK(res.status == KNOB_OPTIM_CONVERGED || res.status == KNOB_OPTIM_STALLED, "rosenbrock status %d", res.status);
    CHECK(fabs(x[0] - 1) < 1e-6 && fabs(x[1] - 1) < 1e-6, "rosenbrock minimizer (%.9g, %.9g)", x[0], x[1]);

    /* OWL-QN: min 0.5 ||x - a||^2 + sum c_i |x_i| is the soft-threshold sign(a) max(|a| - c, 0) */
    const double c[4] = {1, 0.5, 1, 0};
    const double want[4] = {2, -1.5, 0, -0.25};
    double z[4] = {0, 0, 0, 0};
    o = (knob_optim_opts){.n = 4, .l1 = c, .max_iter = 100, .gtol = 1e-12};
    CHECK(knob_lbfgs_minimize(&o, quadratic, NULL, z, &res, &err) == KNOB_OK, "owlqn: %s", err.msg);
    for (int i = 0; i < 4; i++) CHECK(fabs(z[i] - want[i]) < 1e-10, "owlqn x[%d] = %.12g, want %g", i, z[i], want[i]);
    CHECK(z[2] == 0, "owlqn keeps an exact zero (got %g)", z[2]);
    CHECK(res.status == KNOB_OPTIM_CONVERGED, "owlqn status %d", res.status);

    /* Newton on a quadratic: one step */
    double q[4] = {10, 10, 10, 10};
    o = (knob_optim_opts){.n = 4, .max_iter = 50, .gtol = 1e-12};
    CHECK(knob_newton_minimize(&o, quadratic, identity_hessian, NULL, q, &res, &err) == KNOB_OK, "newton: %s", err.msg);
    CHECK(res.iterations == 1 && res.status == KNOB_OPTIM_CONVERGED, "newton: %zu iterations, status %d",
          res.iterations, res.status);
    for (int i = 0; i < 4; i++) CHECK(q[i] == A[i], "newton x[%d] = %.17g", i, q[i]);

    /* the callback stops cleanly, or aborts with its error */
    size_t seen = 0;
    double r[2] = {-1.2, 1};
    o = (knob_optim_opts){.n = 2, .max_iter = 1000, .gtol = 1e-10, .on_iter = stop_after_two, .ud = &seen};
    CHECK(knob_lbfgs_minimize(&o, rosenbrock, NULL, r, &res, &err) == KNOB_OK, "stop: %s", err.msg);
    CHECK(seen == 2 && res.iterations == 2 && res.status == KNOB_OPTIM_STOPPED, "stop: %zu/%zu status %d", seen,
          res.iterations, res.status);
    o.on_iter = fail_now;
    CHECK(knob_lbfgs_minimize(&o, rosenbrock, NULL, r, &res, &err) == KNOB_EINVAL, "abort: %s", err.msg);
    CHECK(strcmp(err.msg, "callback failed") == 0, "abort message '%s'", err.msg);

    /* max_iter, bad options */
    double s[2] = {-1.2, 1};
    o = (knob_optim_opts){.n = 2, .max_iter = 3, .gtol = 1e-10};
    CHECK(knob_lbfgs_minimize(&o, rosenbrock, NULL, s, &res, &err) == KNOB_OK && res.status == KNOB_OPTIM_MAX_ITER &&
              res.iterations == 3,
          "max_iter: status %d after %zu", res.status, res.iterations);
    o.n = 0;
    CHECK(knob_lbfgs_minimize(&o, rosenbrock, NULL, s, &res, &err) == KNOB_EINVAL, "n = 0 accepted");
    o = (knob_optim_opts){.n = 2, .max_iter = 3, .gtol = -1};
    CHECK(knob_lbfgs_minimize(&o, rosenbrock, NULL, s, &res, &err) == KNOB_EINVAL, "gtol < 0 accepted");
    o = (knob_optim_opts){.n = 4, .l1 = c, .max_iter = 3, .gtol = 1e-6};
    CHECK(knob_newton_minimize(&o, quadratic, identity_hessian, NULL, q, &res, &err) == KNOB_EINVAL,
          "newton accepted L1 weights");

    printf("optim_test: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
