/* mlp_layers.c — the MLP network: parameter layout, initialisation, forward and backward passes over a batch
 * (every matrix product is one cblas_dgemm: (batch x in) . (in x out)), output losses and probabilities. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

#define SQRT1_2 0.70710678118654752440 /* 1 / sqrt(2) */

double *knob_mlp_alloc(size_t n)
{
    size_t bytes = (n ? n : 1) * sizeof(double);
    bytes = (bytes + 63) / 64 * 64;
    return aligned_alloc(64, bytes);
}

int knob_mlp_net_init(knob_mlp_net *net, size_t n_in, const size_t *hidden, size_t n_hidden, size_t n_out,
                      int act, int out, knob_err *err)
{
    memset(net, 0, sizeof *net);
    size_t L = n_hidden + 1;
    net->n_layers = L;
    net->act = act;
    net->out = out;
    net->size = malloc((L + 1) * sizeof *net->size);
    net->w_off = malloc(L * sizeof *net->w_off);
    net->b_off = malloc(L * sizeof *net->b_off);
    if (!net->size || !net->w_off || !net->b_off) goto oom;
    net->size[0] = n_in;
    for (size_t l = 0; l < n_hidden; l++) net->size[l + 1] = hidden[l];
    net->size[L] = n_out;
    size_t off = 0;
    for (size_t l = 0; l < L; l++) {
        net->w_off[l] = off;
        off += net->size[l] * net->size[l + 1];
    }
    net->n_weights = off;
    for (size_t l = 0; l < L; l++) {
        net->b_off[l] = off;
        off += net->size[l + 1];
    }
    net->n_params = off;
    if (!(net->theta = knob_mlp_alloc(off))) goto oom;
    memset(net->theta, 0, off * sizeof *net->theta);
    return KNOB_OK;
oom:
    knob_mlp_net_free(net);
    return knob_err_set(err, KNOB_ENOMEM, "mlp: out of memory allocating the network");
}

void knob_mlp_net_free(knob_mlp_net *net)
{
    free(net->size);
    free(net->w_off);
    free(net->b_off);
    free(net->theta);
    memset(net, 0, sizeof *net);
}

void knob_mlp_net_init_weights(knob_mlp_net *net, knob_rng *rng)
{
    size_t L = net->n_layers;
    int he = net->act == KNOB_MLP_RELU || net->act == KNOB_MLP_GELU;
    for (size_t l = 0; l < L; l++) {
        double fi = (double)net->size[l], fo = (double)net->size[l + 1];
        double bound = he && l + 1 < L ? sqrt(6.0 / fi) : sqrt(6.0 / (fi + fo));
        double *W = net->theta + net->w_off[l];
        size_t n = net->size[l] * net->size[l + 1];
        for (size_t k = 0; k < n; k++) W[k] = (2.0 * knob_rng_uniform(rng) - 1.0) * bound;
    }
    memset(net->theta + net->n_weights, 0, (net->n_params - net->n_weights) * sizeof *net->theta);
}

int knob_mlp_work_init(knob_mlp_work *w, const knob_mlp_net *net, size_t cap, knob_err *err)
{
    memset(w, 0, sizeof *w);
    size_t L = net->n_layers, maxw = 0, total = 0;
    for (size_t l = 1; l <= L; l++) {
        if (net->size[l] > maxw) maxw = net->size[l];
        total += cap * net->size[l] * (l < L ? 4 : 1); /* z (+ h, a, mask for hidden layers) */
    }
    total += cap * net->size[0] + 2 * cap + 2 * cap * maxw + net->n_params;
    w->cap = cap;
    w->z = calloc(L + 1, sizeof *w->z);
    w->h = calloc(L + 1, sizeof *w->h);
    w->a = calloc(L + 1, sizeof *w->a);
    w->mask = calloc(L + 1, sizeof *w->mask);
    w->in = calloc(L, sizeof *w->in);
    w->block = knob_mlp_alloc(total);
    if (!w->z || !w->h || !w->a || !w->mask || !w->in || !w->block) {
        knob_mlp_work_free(w);
        return knob_err_set(err, KNOB_ENOMEM, "mlp: out of memory allocating batch buffers (%zu rows)", cap);
    }
    double *p = w->block;
    for (size_t l = 1; l <= L; l++) {
        size_t n = cap * net->size[l];
        w->z[l] = p;
        p += n;
        if (l < L) {
            w->h[l] = p;
            w->a[l] = p + n;
            w->mask[l] = p + 2 * n;
            p += 3 * n;
        }
    }
    w->x = p;
    p += cap * net->size[0];
    w->y = p;
    w->w = p + cap;
    p += 2 * cap;
    w->d0 = p;
    w->d1 = p + cap * maxw;
    p += 2 * cap * maxw;
    w->grad = p;
    return KNOB_OK;
}

void knob_mlp_work_free(knob_mlp_work *w)
{
    free(w->z);
    free(w->h);
    free(w->a);
    free(w->mask);
    free(w->in);
    free(w->block);
    memset(w, 0, sizeof *w);
}

static double sigmoid(double z)
{
    if (z >= 0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* ReLU without branches (random signs defeat branch prediction; compilers keep a branch for z > 0 ? z : 0):
 * clear the bits of a value whose sign bit is set. +NaN stays NaN. */
static double relu(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    b &= (b >> 63) - 1; /* sign set: 0; clear: all ones */
    memcpy(&v, &b, sizeof v);
    return v;
}

/* d if h (a ReLU output: +0, positive or NaN) is non-zero, else 0; branchless like relu(). */
static double relu_pass(double d, double h)
{
    uint64_t hb, db;
    memcpy(&hb, &h, sizeof hb);
    memcpy(&db, &d, sizeof db);
    db &= (uint64_t)0 - (uint64_t)(hb != 0);
    memcpy(&d, &db, sizeof d);
    return d;
}

static void activate(int act, const double *z, double *h, size_t n)
{
    switch (act) {
    case KNOB_MLP_RELU:
        for (size_t k = 0; k < n; k++) h[k] = relu(z[k]);
        break;
    case KNOB_MLP_TANH:
        for (size_t k = 0; k < n; k++) h[k] = tanh(z[k]);
        break;
    case KNOB_MLP_SIGMOID:
        for (size_t k = 0; k < n; k++) h[k] = sigmoid(z[k]);
        break;
    default: /* exact GELU: z * Phi(z) */
        for (size_t k = 0; k < n; k++) h[k] = 0.5 * z[k] * (1.0 + erf(z[k] * SQRT1_2));
        break;
    }
}

/* d *= act'(z), from the activation h where that is cheaper. */
static void activate_grad(int act, const double *z, const double *h, double *d, size_t n)
{
    switch (act) {
    case KNOB_MLP_RELU:
        for (size_t k = 0; k < n; k++) d[k] = relu_pass(d[k], h[k]);
        break;
    case KNOB_MLP_TANH:
        for (size_t k = 0; k < n; k++) d[k] *= 1.0 - h[k] * h[k];
        break;
    case KNOB_MLP_SIGMOID:
        for (size_t k = 0; k < n; k++) d[k] *= h[k] * (1.0 - h[k]);
        break;
    default: { /* Phi(z) + z phi(z) */
        const double inv_sqrt_2pi = 0.3989422804014327;
        for (size_t k = 0; k < n; k++) {
            double x = z[k];
            d[k] *= 0.5 * (1.0 + erf(x * SQRT1_2)) + x * inv_sqrt_2pi * exp(-0.5 * x * x);
        }
        break;
    }
    }
}

void knob_mlp_forward(const knob_mlp_net *net, knob_mlp_work *w, const double *x, size_t B, const double *rates,
                      knob_rng *rng)
{
    size_t L = net->n_layers;
    const double *in = x;
    for (size_t l = 1; l <= L; l++) {
        size_t fi = net->size[l - 1], fo = net->size[l];
        const double *W = net->theta + net->w_off[l - 1], *b = net->theta + net->b_off[l - 1];
        double *z = w->z[l];
        for (size_t i = 0; i < B; i++) memcpy(z + i * fo, b, fo * sizeof *z);
        w->in[l - 1] = in;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, (int)fo, (int)fi, 1.0, in, (int)fi, W,
                    (int)fo, 1.0, z, (int)fo);
        if (l == L) break;
        double *h = w->h[l];
        size_t n = B * fo;
        activate(net->act, z, h, n);
        in = h;
        if (rates && rates[l - 1] > 0) {
            double *mask = w->mask[l], *a = w->a[l];
            if (rng) {
                double keep = 1.0 - rates[l - 1], scale = 1.0 / keep;
                for (size_t k = 0; k < n; k++) mask[k] = knob_rng_uniform(rng) < keep ? scale : 0.0;
            }
            for (size_t k = 0; k < n; k++) a[k] = h[k] * mask[k];
            in = a;
        }
    }
}

double knob_mlp_output_loss(const knob_mlp_net *net, const double *logits, size_t B, const double *y,
                            const double *wt, double *delta, double scale)
{
    size_t K = net->size[net->n_layers];
    double sum = 0;
    for (size_t i = 0; i < B; i++) {
        double wi = wt ? wt[i] : 1.0;
        const double *z = logits + i * K;
        if (net->out == KNOB_MLP_OUT_SIGMOID) {
            double t = y[i], v = z[0];
            sum += wi * ((v > 0 ? v : 0) - v * t + log1p(exp(-fabs(v))));
            if (delta) delta[i] = scale * wi * (sigmoid(v) - t);
        } else if (net->out == KNOB_MLP_OUT_IDENTITY) {
            double r = z[0] - y[i];
            sum += wi * 0.5 * r * r;
            if (delta) delta[i] = scale * wi * r;
        } else {
            size_t c = (size_t)y[i];
            double mx = z[0];
            for (size_t k = 1; k < K; k++)
                if (z[k] > mx) mx = z[k];
            double s = 0;
            for (size_t k = 0; k < K; k++) s += exp(z[k] - mx);
            double lse = mx + log(s);
            sum += wi * (lse - z[c]);
            if (delta) {
                double *d = delta + i * K;
                for (size_t k = 0; k < K; k++) d[k] = scale * wi * exp(z[k] - lse);
                d[c] -= scale * wi;
            }
        }
    }
    return sum;
}

void knob_mlp_backward(const knob_mlp_net *net, knob_mlp_work *w, size_t B, const double *rates)
{
    double *delta = w->d0, *other = w->d1;
    for (size_t l = net->n_layers; l >= 1; l--) {
        size_t fi = net->size[l - 1], fo = net->size[l];
        double *gW = w->grad + net->w_off[l - 1], *gb = w->grad + net->b_off[l - 1];
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fi, (int)fo, (int)B, 1.0, w->in[l - 1], (int)fi,
                    delta, (int)fo, 0.0, gW, (int)fo);
        memset(gb, 0, fo * sizeof *gb);
        for (size_t i = 0; i < B; i++) {
            const double *d = delta + i * fo;
            for (size_t j = 0; j < fo; j++) gb[j] += d[j];
        }
        if (l == 1) break;
        const double *W = net->theta + net->w_off[l - 1];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)fi, (int)fo, 1.0, delta, (int)fo, W, (int)fo,
                    0.0, other, (int)fi);
        size_t n = B * fi;
        if (rates && rates[l - 2] > 0) {
            const double *mask = w->mask[l - 1];
            for (size_t k = 0; k < n; k++) other[k] *= mask[k];
        }
        activate_grad(net->act, w->z[l - 1], w->h[l - 1], other, n);
        double *t = delta;
        delta = other;
        other = t;
    }
}

void knob_mlp_eval_batch(const knob_mlp_net *net, knob_mlp_work *w, const double *x, size_t B, const double *y,
                         const double *wt, double *loss_sum, double *metric_sum)
{
    knob_mlp_forward(net, w, x, B, NULL, NULL);
    const double *z = w->z[net->n_layers];
    *loss_sum += knob_mlp_output_loss(net, z, B, y, wt, NULL, 0);
    size_t K = net->size[net->n_layers];
    for (size_t i = 0; i < B; i++) {
        double wi = wt ? wt[i] : 1.0;
        if (net->out == KNOB_MLP_OUT_IDENTITY) {
            double r = z[i] - y[i];
            *metric_sum += wi * r * r;
        } else {
            size_t c = 0;
            if (net->out == KNOB_MLP_OUT_SIGMOID) {
                c = z[i] > 0;
            } else {
                const double *row = z + i * K;
                for (size_t k = 1; k < K; k++)
                    if (row[k] > row[c]) c = k;
            }
            if ((double)c == y[i]) *metric_sum += wi;
        }
    }
}

void knob_mlp_logits_to_proba(const knob_mlp_net *net, const double *logits, size_t B, double *proba)
{
    if (net->out == KNOB_MLP_OUT_SIGMOID) {
        for (size_t i = 0; i < B; i++) {
            double p = sigmoid(logits[i]);
            proba[2 * i] = 1.0 - p;
            proba[2 * i + 1] = p;
        }
        return;
    }
    size_t K = net->size[net->n_layers];
    for (size_t i = 0; i < B; i++) {
        const double *z = logits + i * K;
        double *p = proba + i * K, mx = z[0], s = 0;
        for (size_t k = 1; k < K; k++)
            if (z[k] > mx) mx = z[k];
        for (size_t k = 0; k < K; k++) s += (p[k] = exp(z[k] - mx));
        for (size_t k = 0; k < K; k++) p[k] /= s;
    }
}
