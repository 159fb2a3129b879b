/*
 * pareto.c — non-dominated sorting, crowding distance and hypervolume (pareto.h).
 */
#include "knob/pareto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 1 if a dominates b, -1 if b dominates a, 0 otherwise (losses). */
static int dominance(const double *a, const double *b, size_t m)
{
    int a_better = 0, b_better = 0;
    for (size_t k = 0; k < m; k++) {
        if (a[k] < b[k]) a_better = 1;
        else if (b[k] < a[k]) b_better = 1;
        if (a_better && b_better) return 0;
    }
    return a_better ? 1 : (b_better ? -1 : 0);
}

static int check_values(const double *values, size_t n, size_t m, const char *what, knob_err *err)
{
    if (m == 0) return knob_err_set(err, KNOB_EINVAL, "%s: the number of objectives must be >= 1", what);
    if (n > 0 && !values) return knob_err_set(err, KNOB_EINVAL, "%s: values is NULL", what);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < m; k++)
            if (isnan(values[i * m + k]))
                return knob_err_set(err, KNOB_EINVAL, "%s: point %zu, objective %zu is NaN", what, i + 1, k + 1);
    return KNOB_OK;
}

int knob_pareto_rank(const double *values, size_t n, size_t m, int *rank, knob_err *err)
{
    int st = check_values(values, n, m, "pareto rank", err);
    if (st) return st;
    if (n == 0) return KNOB_OK;
    size_t *cnt = calloc(n, sizeof *cnt), *queue = malloc(n * sizeof *queue);
    if (!cnt || !queue) {
        free(cnt);
        free(queue);
        return knob_err_set(err, KNOB_ENOMEM, "pareto rank: out of memory for %zu points", n);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            int d = dominance(values + i * m, values + j * m, m);
            if (d > 0) cnt[j]++;
            else if (d < 0) cnt[i]++;
        }
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++) {
        rank[i] = -1;
        if (cnt[i] == 0) {
            rank[i] = 0;
            queue[tail++] = i;
        }
    }
    /* peel the fronts: a member of front r releases the points it dominates; those reaching 0 form r + 1 */
    while (head < tail) {
        size_t end = tail;
        for (size_t q = head; q < end; q++) {
            const double *p = values + queue[q] * m;
            int r = rank[queue[q]];
            for (size_t j = 0; j < n; j++) {
                if (rank[j] >= 0 || dominance(p, values + j * m, m) <= 0) continue;
                if (--cnt[j] == 0) {
                    rank[j] = r + 1;
                    queue[tail++] = j;
                }
            }
        }
        head = end;
    }
    free(cnt);
    free(queue);
    return KNOB_OK;
}

typedef struct {
    double v;
    size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

int knob_pareto_crowding(const double *values, size_t n, size_t m, const int *rank, double *out, knob_err *err)
{
    int st = check_values(values, n, m, "pareto crowding", err);
    if (st) return st;
    if (n == 0) return KNOB_OK;
    for (size_t i = 0; i < n; i++)
        if (rank[i] < 0) return knob_err_set(err, KNOB_EINVAL, "pareto crowding: point %zu has a negative rank", i + 1);
    keyed *buf = malloc(n * sizeof *buf);
    size_t *order = malloc(n * sizeof *order);
    if (!buf || !order) {
        free(buf);
        free(order);
        return knob_err_set(err, KNOB_ENOMEM, "pareto crowding: out of memory for %zu points", n);
    }
    /* group the points by rank (stable, by index) */
    for (size_t i = 0; i < n; i++) {
        buf[i].v = rank[i];
        buf[i].i = i;
        out[i] = 0;
    }
    qsort(buf, n, sizeof *buf, cmp_keyed);
    for (size_t i = 0; i < n; i++) order[i] = buf[i].i;
    for (size_t s = 0; s < n;) {
        size_t e = s;
        while (e < n && rank[order[e]] == rank[order[s]]) e++;
        size_t k = e - s;
        if (k <= 2) {
            for (size_t q = s; q < e; q++) out[order[q]] = INFINITY;
        } else {
            for (size_t obj = 0; obj < m; obj++) {
                for (size_t q = 0; q < k; q++) {
                    buf[q].i = order[s + q];
                    buf[q].v = values[buf[q].i * m + obj];
                }
                qsort(buf, k, sizeof *buf, cmp_keyed);
                out[buf[0].i] = out[buf[k - 1].i] = INFINITY;
                double range = buf[k - 1].v - buf[0].v;
                if (!(range > 0) || !isfinite(range)) continue;
                for (size_t q = 1; q + 1 < k; q++) out[buf[q].i] += (buf[q + 1].v - buf[q - 1].v) / range;
            }
        }
        s = e;
    }
    free(buf);
    free(order);
    return KNOB_OK;
}

/* qsort on rows whose first double is the key */
static int cmp_row0(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Hypervolume of k points in d dims (d >= 2); src row i holds its d coordinates at src[i*stride + 0..d-1],
 * all strictly below ref. work holds k*d doubles for this level plus the levels below. */
static double hv_rec(const double *src, size_t stride, size_t k, size_t d, const double *ref, double *work)
{
    if (k == 0) return 0;
    if (d == 2) {
        for (size_t i = 0; i < k; i++) {
            work[2 * i] = src[i * stride];
            work[2 * i + 1] = src[i * stride + 1];
        }
        qsort(work, k, 2 * sizeof *work, cmp_row0);
        double hv = 0, top = ref[1];
        for (size_t i = 0; i < k; i++) {
            double y = work[2 * i + 1];
            if (y < top) {
                hv += (ref[0] - work[2 * i]) * (top - y);
                top = y;
            }
        }
        return hv;
    }
    /* slice along the last objective: row = (x[d-1], x[0], ..., x[d-2]), sorted by x[d-1] */
    for (size_t i = 0; i < k; i++) {
        work[i * d] = src[i * stride + d - 1];
        memcpy(work + i * d + 1, src + i * stride, (d - 1) * sizeof *work);
    }
    qsort(work, k, d * sizeof *work, cmp_row0);
    double hv = 0;
    for (size_t i = 0; i < k; i++) {
        double next = i + 1 < k ? work[(i + 1) * d] : ref[d - 1];
        double thick = next - work[i * d];
        if (thick > 0) hv += thick * hv_rec(work + 1, d, i + 1, d - 1, ref, work + k * d);
    }
    return hv;
}

/* Copy the points strictly inside the reference box (skipping index `skip`) into dst; returns how many. */
static size_t inside(const double *values, size_t n, size_t m, const double *ref, size_t skip, double *dst)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == skip) continue;
        const double *p = values + i * m;
        size_t j = 0;
        while (j < m && p[j] < ref[j]) j++;
        if (j < m) continue;
        memcpy(dst + k * m, p, m * sizeof *dst);
        k++;
    }
    return k;
}

static double hv_of(const double *pts, size_t k, size_t m, const double *ref, double *work)
{
    if (k == 0) return 0;
    if (m == 1) {
        double lo = pts[0];
        for (size_t i = 1; i < k; i++) lo = pts[i] < lo ? pts[i] : lo;
        return ref[0] - lo;
    }
    return hv_rec(pts, m, k, m, ref, work);
}

static int hv_check(const double *values, size_t n, size_t m, const double *ref, const char *what, double **pts,
                    double **work, knob_err *err)
{
    int st = check_values(values, n, m, what, err);
    if (st) return st;
    for (size_t j = 0; j < m; j++)
        if (!isfinite(ref[j]))
            return knob_err_set(err, KNOB_EINVAL, "%s: reference coordinate %zu must be finite", what, j + 1);
    size_t levels = m * (m + 1) / 2; /* sum of d for d = 1..m bounds the work of all recursion levels */
    *pts = malloc((n ? n : 1) * m * sizeof **pts);
    *work = malloc((n ? n : 1) * levels * sizeof **work);
    if (!*pts || !*work) {
        free(*pts);
        free(*work);
        return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory for %zu points", what, n);
    }
    return KNOB_OK;
}

int knob_pareto_hypervolume(const double *values, size_t n, size_t m, const double *ref, double *out,
                            knob_err *err)
{
    double *pts, *work;
    int st = hv_check(values, n, m, ref, "hypervolume", &pts, &work, err);
    if (st) return st;
    size_t k = inside(values, n, m, ref, (size_t)-1, pts);
    *out = hv_of(pts, k, m, ref, work);
    free(pts);
    free(work);
    return KNOB_OK;
}

int knob_pareto_hv_contributions(const double *values, size_t n, size_t m, const double *ref, double *out,
                                 knob_err *err)
{
    double *pts, *work;
    int st = hv_check(values, n, m, ref, "hypervolume contributions", &pts, &work, err);
    if (st) return st;
    double total = hv_of(pts, inside(values, n, m, ref, (size_t)-1, pts), m, ref, work);
    for (size_t i = 0; i < n; i++) {
        double without = hv_of(pts, inside(values, n, m, ref, i, pts), m, ref, work);
        double c = total - without;
        out[i] = c > 0 ? c : 0;
    }
    free(pts);
    free(work);
    return KNOB_OK;
}
