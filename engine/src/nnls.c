/* nnls.c — non-negative combination weights for ensembles (nnls.h). */
#include "knob/nnls.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int check_sizes(const char *fn, size_t rows, size_t cols, knob_err *err)
{
    if (rows == 0 || cols == 0) return knob_err_set(err, KNOB_EINVAL, "%s: empty matrix (%zu x %zu)", fn, rows, cols);
    if (rows > ((size_t)-1) / sizeof(double) / cols)
        return knob_err_set(err, KNOB_EINVAL, "%s: matrix too large (%zu x %zu)", fn, rows, cols);
    return KNOB_OK;
}

/* Least squares on the passive columns of A: z[j] for passive j, 0 elsewhere. Householder QR of the
 * rows x k submatrix (copied column-major into sub), rhs a copy of b. A diagonal of R below tiny gives 0. */
static void passive_ls(const double *A, size_t rows, size_t cols, const double *b, const unsigned char *passive,
                       double *sub, double *rhs, size_t *idx, double *z)
{
    size_t k = 0;
    for (size_t j = 0; j < cols; j++)
        if (passive[j]) idx[k++] = j;
    for (size_t c = 0; c < k; c++)
        for (size_t i = 0; i < rows; i++) sub[c * rows + i] = A[i * cols + idx[c]];
    memcpy(rhs, b, rows * sizeof *rhs);
    size_t steps = k < rows ? k : rows;
    for (size_t c = 0; c < steps; c++) {
        double *col = sub + c * rows;
        double norm = 0;
        for (size_t i = c; i < rows; i++) norm += col[i] * col[i];
        norm = sqrt(norm);
        if (norm == 0) continue;
        double alpha = col[c] > 0 ? -norm : norm; /* v = x - alpha e1, R_cc = alpha */
        col[c] -= alpha;
        double vnorm2 = 0;
        for (size_t i = c; i < rows; i++) vnorm2 += col[i] * col[i];
        for (size_t d = c + 1; d < k; d++) {
            double *cd = sub + d * rows, s = 0;
            for (size_t i = c; i < rows; i++) s += col[i] * cd[i];
            s = 2 * s / vnorm2;
            for (size_t i = c; i < rows; i++) cd[i] -= s * col[i];
        }
        double s = 0;
        for (size_t i = c; i < rows; i++) s += col[i] * rhs[i];
        s = 2 * s / vnorm2;
        for (size_t i = c; i < rows; i++) rhs[i] -= s * col[i];
        col[c] = alpha; /* R's diagonal; entries below it are not used again */
    }
    double scale = 0;
    for (size_t c = 0; c < steps; c++) scale = fmax(scale, fabs(sub[c * rows + c]));
    for (size_t j = 0; j < cols; j++) z[j] = 0;
    for (size_t c = steps; c-- > 0;) {
        double r = sub[c * rows + c];
        if (fabs(r) <= 1e-14 * scale) continue; /* dependent column: leave it at 0 */
        double s = rhs[c];
        for (size_t d = c + 1; d < steps; d++) s -= sub[d * rows + c] * z[idx[d]];
        z[idx[c]] = s / r;
    }
}

/* w = A^T (b - A x); r is scratch of rows entries. Returns ||b - A x||_2. */
static double gradient(const double *A, size_t rows, size_t cols, const double *b, const double *x, double *r,
                       double *w)
{
    double rr = 0;
    for (size_t i = 0; i < rows; i++) {
        const double *a = A + i * cols;
        double s = b[i];
        for (size_t j = 0; j < cols; j++) s -= a[j] * x[j];
        r[i] = s;
        rr += s * s;
    }
    for (size_t j = 0; j < cols; j++) w[j] = 0;
    for (size_t i = 0; i < rows; i++) {
        const double *a = A + i * cols;
        for (size_t j = 0; j < cols; j++) w[j] += a[j] * r[i];
    }
    return sqrt(rr);
}

int knob_nnls_solve(const double *A, size_t rows, size_t cols, const double *b, size_t max_iter, double *x,
                    double *rnorm, knob_err *err)
{
    const char *fn = "knob_nnls_solve";
    if (!A || !b || !x) return knob_err_set(err, KNOB_EINVAL, "%s: A, b and x must not be NULL", fn);
    int st = check_sizes(fn, rows, cols, err);
    if (st) return st;
    for (size_t i = 0; i < rows; i++) {
        if (!isfinite(b[i])) return knob_err_set(err, KNOB_EINVAL, "%s: b[%zu] is not finite", fn, i + 1);
        for (size_t j = 0; j < cols; j++)
            if (!isfinite(A[i * cols + j]))
                return knob_err_set(err, KNOB_EINVAL, "%s: A[%zu][%zu] is not finite", fn, i + 1, j + 1);
    }
    if (max_iter == 0) max_iter = 3 * cols;
    double *buf = malloc(((size_t)rows * cols + 2 * rows + 3 * cols) * sizeof *buf);
    unsigned char *passive = calloc(cols, 1);
    size_t *idx = malloc(cols * sizeof *idx);
    if (!buf || !passive || !idx) {
        free(buf);
        free(passive);
        free(idx);
        return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory (%zu x %zu)", fn, rows, cols);
    }
    double *sub = buf, *rhs = sub + rows * cols, *r = rhs + rows, *w = r + rows, *z = w + cols;
    double norm1 = 0; /* ||A||_1: the largest column sum of |A| */
    for (size_t j = 0; j < cols; j++) {
        double s = 0;
        for (size_t i = 0; i < rows; i++) s += fabs(A[i * cols + j]);
        norm1 = fmax(norm1, s);
    }
    double tol = 10 * DBL_EPSILON * norm1 * (double)(rows > cols ? rows : cols);
    for (size_t j = 0; j < cols; j++) x[j] = 0;
    size_t iter = 0;
    st = KNOB_OK;
    for (;;) {
        gradient(A, rows, cols, b, x, r, w);
        size_t t = cols;
        for (size_t j = 0; j < cols; j++)
            if (!passive[j] && w[j] > tol && (t == cols || w[j] > w[t])) t = j;
        if (t == cols) break;
        passive[t] = 1;
        for (;;) {
            if (++iter > max_iter) {
                st = knob_err_set(err, KNOB_EUNDEF, "%s: no convergence in %zu iterations", fn, max_iter);
                goto done;
            }
            passive_ls(A, rows, cols, b, passive, sub, rhs, idx, z);
            double alpha = 2; /* > 1: every passive z is positive */
            for (size_t j = 0; j < cols; j++)
                if (passive[j] && z[j] <= 0) alpha = fmin(alpha, x[j] / (x[j] - z[j]));
            if (alpha > 1) {
                memcpy(x, z, cols * sizeof *x);
                break;
            }
            for (size_t j = 0; j < cols; j++) {
                if (!passive[j]) continue;
                x[j] += alpha * (z[j] - x[j]);
                if (x[j] <= tol) {
                    x[j] = 0;
                    passive[j] = 0;
                }
            }
        }
    }
done:
    if (rnorm) *rnorm = gradient(A, rows, cols, b, x, r, w);
    free(buf);
    free(passive);
    free(idx);
    return st;
}

/* Mixture probabilities p = Q w clipped at DBL_EPSILON; g = gradient of the mean log-loss. Returns the loss. */
static double mixture(const double *Q, size_t rows, size_t cols, const double *w, double *g)
{
    double loss = 0;
    for (size_t j = 0; j < cols; j++) g[j] = 0;
    for (size_t i = 0; i < rows; i++) {
        const double *q = Q + i * cols;
        double p = 0;
        for (size_t j = 0; j < cols; j++) p += w[j] * q[j];
        if (p < DBL_EPSILON) p = DBL_EPSILON;
        loss -= log(p);
        double inv = 1 / p;
        for (size_t j = 0; j < cols; j++) g[j] -= q[j] * inv;
    }
    for (size_t j = 0; j < cols; j++) g[j] /= (double)rows;
    return loss / (double)rows;
}

int knob_nnls_simplex_logloss(const double *Q, size_t rows, size_t cols, size_t max_iter, double tol, double *w,
                              double *loss, size_t *iters, knob_err *err)
{
    const char *fn = "knob_nnls_simplex_logloss";
    if (!Q || !w) return knob_err_set(err, KNOB_EINVAL, "%s: Q and w must not be NULL", fn);
    int st = check_sizes(fn, rows, cols, err);
    if (st) return st;
    for (size_t i = 0; i < rows * cols; i++)
        if (!(Q[i] >= 0 && Q[i] <= 1))
            return knob_err_set(err, KNOB_EINVAL, "%s: Q[%zu][%zu] = %g is not a probability in [0, 1]", fn,
                                i / cols + 1, i % cols + 1, Q[i]);
    if (max_iter == 0) max_iter = 100000;
    if (!(tol > 0)) tol = 1e-10;
    double *g = malloc(cols * sizeof *g);
    if (!g) return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", fn);
    for (size_t j = 0; j < cols; j++) w[j] = 1.0 / (double)cols;
    size_t it = 0;
    double L = mixture(Q, rows, cols, w, g);
    for (;;) {
        double kkt = 0;
        for (size_t j = 0; j < cols; j++) kkt = fmax(kkt, fmax(w[j] * fabs(g[j] + 1), -1 - g[j]));
        if (kkt <= tol || it == max_iter) break;
        double s = 0;
        for (size_t j = 0; j < cols; j++) s -= w[j] * g[j];
        if (!(s > 0)) break; /* every member gives 0 to every true class: keep the weights */
        for (size_t j = 0; j < cols; j++) w[j] *= -g[j] / s;
        it++;
        L = mixture(Q, rows, cols, w, g);
    }
    if (loss) *loss = L;
    if (iters) *iters = it;
    free(g);
    return KNOB_OK;
}
