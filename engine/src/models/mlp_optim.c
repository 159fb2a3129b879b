/* mlp_optim.c — MLP optimizers (sgd, momentum, nesterov, adam, adamw) over one flat parameter vector, and the
 * per-epoch learning-rate schedules (constant, step, exponential, cosine, cyclic, one_cycle; linear warm-up). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

#define PI 3.14159265358979323846

int knob_mlp_optim_init(knob_mlp_optim *o, int kind, size_t n, size_t n_weights, knob_err *err)
{
    o->kind = kind;
    o->n = n;
    o->n_weights = n_weights;
    o->t = 0;
    o->m = o->v = NULL;
    if (kind == KNOB_MLP_SGD) return KNOB_OK;
    int adam = kind == KNOB_MLP_ADAM || kind == KNOB_MLP_ADAMW;
    o->m = calloc(n, sizeof *o->m);
    if (adam) o->v = calloc(n, sizeof *o->v);
    if (!o->m || (adam && !o->v)) {
        knob_mlp_optim_free(o);
        return knob_err_set(err, KNOB_ENOMEM, "mlp: out of memory allocating the optimizer state");
    }
    return KNOB_OK;
}

void knob_mlp_optim_reset(knob_mlp_optim *o)
{
    o->t = 0;
    if (o->m) memset(o->m, 0, o->n * sizeof *o->m);
    if (o->v) memset(o->v, 0, o->n * sizeof *o->v);
}

void knob_mlp_optim_free(knob_mlp_optim *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

void knob_mlp_l2_grad(const double *theta, double *grad, size_t n_weights, double wd)
{
    for (size_t i = 0; i < n_weights; i++) grad[i] += wd * theta[i];
}

void knob_mlp_optim_step(knob_mlp_optim *o, const double *theta, double *out, double *g, double lr)
{
    size_t n = o->n, nw = o->n_weights;
    double wd = o->weight_decay, mu = o->momentum;
    if (o->kind != KNOB_MLP_ADAMW && wd > 0) knob_mlp_l2_grad(theta, g, nw, wd);
    o->t++;
    double *m = o->m, *v = o->v;
    switch (o->kind) {
    case KNOB_MLP_SGD:
        for (size_t i = 0; i < n; i++) out[i] = theta[i] - lr * g[i];
        break;
    case KNOB_MLP_MOMENTUM:
        for (size_t i = 0; i < n; i++) {
            m[i] = mu * m[i] + g[i];
            out[i] = theta[i] - lr * m[i];
        }
        break;
    case KNOB_MLP_NESTEROV:
        for (size_t i = 0; i < n; i++) {
            m[i] = mu * m[i] + g[i];
            out[i] = theta[i] - lr * (g[i] + mu * m[i]);
        }
        break;
    default: { /* adam, adamw: weights shrink by 1 - lr wd (adamw), biases never */
        double b1 = o->beta1, b2 = o->beta2, eps = o->eps;
        double c1 = 1.0 / (1.0 - pow(b1, (double)o->t)), c2 = 1.0 / (1.0 - pow(b2, (double)o->t));
        double shrink = o->kind == KNOB_MLP_ADAMW ? 1.0 - lr * wd : 1.0;
        for (size_t i = 0; i < n; i++) {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            out[i] = (i < nw ? shrink : 1.0) * theta[i] - lr * (m[i] * c1) / (sqrt(v[i] * c2) + eps);
        }
        break;
    }
    }
}

/* PyTorch's cosine annealing from start to end as pct goes 0 -> 1. */
static double cos_anneal(double start, double end, double pct)
{
    return end + (start - end) / 2.0 * (1.0 + cos(PI * pct));
}

double knob_mlp_schedule_lr(const knob_mlp_schedule *s, size_t epoch)
{
    double lr = s->lr;
    if (epoch <= s->warmup) return lr * (double)epoch / (double)(s->warmup + 1);
    double t = (double)(epoch - s->warmup - 1);     /* 0-based epoch after warm-up */
    double T = (double)(s->epochs - s->warmup);     /* epochs after warm-up */
    double st = (double)s->step_size;
    switch (s->kind) {
    case KNOB_MLP_STEP:
        return lr * pow(s->gamma, floor(t / st));
    case KNOB_MLP_EXPONENTIAL:
        return lr * pow(s->gamma, t);
    case KNOB_MLP_COSINE:
        return cos_anneal(lr, s->min_lr, t / T);
    case KNOB_MLP_CYCLIC: {
        double c = floor(t / (2.0 * st)), x = fabs(t / st - 2.0 * c - 1.0);
        return s->min_lr + (lr - s->min_lr) * (x < 1.0 ? 1.0 - x : 0.0);
    }
    case KNOB_MLP_ONE_CYCLE: {
        double initial = lr / 25.0, final = initial / 1e4, peak = 0.3 * T - 1.0;
        if (t <= peak) return cos_anneal(initial, lr, t / peak);
        return cos_anneal(lr, final, (t - peak) / (T - 1.0 - peak));
    }
    default:
        return lr;
    }
}
