/* knn.c — k-nearest neighbours for classification and regression (brute force over the stored training rows).
 *
 * Fitting stores the training rows (n_train x n_features, row-major), their targets and, when given, their
 * sample weights (rows of weight 0 are dropped: they could never vote). Prediction measures each query row
 * against every training row and keeps the k nearest by partial selection (a bounded max-heap per query row,
 * no full sort):
 *   - euclidean: ||q||^2 + ||x||^2 - 2 q.x, the products by cblas_dgemm on tiles of QB query rows x `tile`
 *     training rows, negatives clamped to 0. The k + KNN_EXTRA nearest candidates by that value are then
 *     re-measured exactly (sum of squared differences) and the k nearest by (exact distance, training index)
 *     kept: a query equal to a training row is at distance 0 exactly, and exact ties go to the lower index.
 *   - manhattan, minkowski(p): exact sums over the same tiles (minkowski scales by the largest coordinate
 *     difference so |d|^p cannot overflow); minkowski with p = 1 or 2 takes the manhattan or euclidean path.
 * Ties in distance are broken by training index (lower wins) — scikit-learn 1.2 picks the same neighbour set in
 * the tie cases of tests/spec/model_knn_spec.lua (its order inside the set is not stable).
 * Votes: weights = uniform gives each neighbour its sample weight (1 without weights); distance gives
 * weight / d, and when some neighbours are at distance 0 (1/d overflows) only those vote, equally — like
 * scikit-learn. Classes: the largest vote wins, ties to the lower class code (scikit-learn's mode).
 * Threads: one task per block of QB query rows (knob_parallel_for), scratch per worker slot; the result does not
 * depend on the thread count. Tiles keep one dgemm at most 2^18 multiply-adds while n_features <= 64, under
 * OpenBLAS's threshold for threading, so BLAS stays single-threaded inside the workers.
 * Saved size: the model file holds the training data, n_train x (n_features + 1) numbers (plus n_train weights
 * when fitted with sample weights), up to about 20 bytes each as JSON text.
 */
#include <cJSON.h>
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "knob/model.h"
#include "knob/parallel.h"
#include "model_impl.h"

#define QB 64              /* query rows per task */
#define KNN_EXTRA 8        /* extra euclidean candidates re-measured exactly */
#define GEMM_BUDGET 262144 /* multiply-adds per dgemm call (OpenBLAS threads above 65536 * 4) */
#define MAX_WORKERS 256

enum { M_EUCLIDEAN, M_MANHATTAN, M_MINKOWSKI };

static const char *const weight_choices[] = {"uniform", "distance", NULL};
static const char *const metric_choices[] = {"euclidean", "manhattan", "minkowski", NULL};

static const knob_param_spec knn_params[] = {
    {"n_neighbors", KNOB_PT_INT, 5, NULL, 1, 1e9, 0, 0, NULL, 0, "number of neighbours k (at most the training rows)"},
    {"weights", KNOB_PT_STR, 0, "uniform", NAN, NAN, 0, 0, weight_choices, 0,
     "uniform votes, or 1/distance (neighbours at distance 0 take the whole vote)"},
    {"metric", KNOB_PT_STR, 0, "euclidean", NAN, NAN, 0, 0, metric_choices, 0,
     "euclidean, manhattan, or minkowski with power p"},
    {"p", KNOB_PT_NUM, 2, NULL, 1, NAN, 0, 0, NULL, 0, "power of the minkowski metric (used with metric = minkowski)"},
    {"n_jobs", KNOB_PT_INT, 0, NULL, 0, MAX_WORKERS, 0, 0, NULL, 0, "threads for prediction (0 = knob's default)"},
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL},
};

typedef struct {
    size_t n, p;      /* stored training rows, features */
    size_t k_classes; /* classes (0 for regression) */
    double *X;        /* n x p, row-major */
    double *sqnorm;   /* n squared row norms (euclidean) */
    double *y;        /* n targets: class codes or values */
    double *w;        /* n sample weights (> 0), or NULL for all 1 */
} knn_state;

typedef struct {
    double d;
    size_t i;
} nb_pair;

static void knn_free(knob_model *m)
{
    knn_state *s = m->state;
    if (s) {
        free(s->X);
        free(s->sqnorm);
        free(s->y);
        free(s->w);
    }
    free(s);
    m->state = NULL;
}

static int oom(knob_err *err)
{
    return knob_err_set(err, KNOB_ENOMEM, "knn: out of memory");
}

static void compute_norms(knn_state *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const double *x = s->X + i * s->p;
        double acc = 0;
        for (size_t j = 0; j < s->p; j++) acc += x[j] * x[j];
        s->sqnorm[i] = acc;
    }
}

/* Allocate the arrays of a state with n rows (weights only if @p weighted). */
static int state_alloc(knn_state *s, size_t n, size_t p, int weighted, knob_err *err)
{
    s->n = n;
    s->p = p;
    s->X = malloc(n * p * sizeof *s->X);
    s->sqnorm = malloc(n * sizeof *s->sqnorm);
    s->y = malloc(n * sizeof *s->y);
    if (weighted) s->w = malloc(n * sizeof *s->w);
    if (!s->X || !s->sqnorm || !s->y || (weighted && !s->w)) return oom(err);
    return KNOB_OK;
}

static int knn_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    int rc = knob_check_dense(train, "knn", err);
    if (rc) return rc;
    size_t p = train->frame->n_features;
    if (p == 0) return knob_err_set(err, KNOB_EINVAL, "knn: the data has no features");
    const double *sw = o->sample_weight;
    size_t n = 0;
    for (size_t i = 0; i < train->n_rows; i++) n += !sw || sw[i] > 0;
    size_t k = (size_t)knob_params_num(&m->params, "n_neighbors");
    if (k > n)
        return knob_err_set(err, KNOB_EINVAL, "knn: n_neighbors = %zu is more than the %zu training rows%s", k, n,
                            sw ? " of positive weight" : "");
    knn_state *s = calloc(1, sizeof *s);
    if (!s) return oom(err);
    m->state = s;
    s->k_classes = m->schema.task == KNOB_TASK_CLASSIFICATION ? m->schema.n_classes : 0;
    if ((rc = state_alloc(s, n, p, sw != NULL, err))) return rc;
    knob_dataset *kept = NULL;
    const knob_dataset *use = train;
    if (n < train->n_rows) { /* drop the rows of weight 0 */
        size_t *idx = malloc(n * sizeof *idx);
        if (!idx) return oom(err);
        for (size_t i = 0, t = 0; i < train->n_rows; i++)
            if (sw[i] > 0) idx[t++] = i;
        kept = knob_dataset_subset(train, idx, n, err);
        free(idx);
        if (!kept) return err ? err->code : KNOB_ENOMEM;
        use = kept;
    }
    knob_gather_rows(use, 0, n, s->X);
    knob_dataset_gather_y(use, s->y);
    knob_dataset_free(&kept);
    if (sw)
        for (size_t i = 0, t = 0; i < train->n_rows; i++)
            if (sw[i] > 0) s->w[t++] = sw[i];
    compute_norms(s);
    return KNOB_OK;
}

/* ---- neighbour search ------------------------------------------------------------------------------- */

static int pair_greater(const nb_pair *a, const nb_pair *b)
{
    return a->d > b->d || (a->d == b->d && a->i > b->i);
}

static int pair_cmp(const void *a, const void *b)
{
    const nb_pair *x = a, *z = b;
    return pair_greater(x, z) - pair_greater(z, x);
}

/* Offer (d, i) to the bounded max-heap h of *len <= cap entries: kept if there is room or it is nearer than
 * the farthest kept (by distance, then index). */
static void heap_offer(nb_pair *h, size_t *len, size_t cap, double d, size_t i)
{
    nb_pair c = {d, i};
    size_t at;
    if (*len < cap) {
        at = (*len)++;
        while (at > 0) {
            size_t up = (at - 1) / 2;
            if (!pair_greater(&c, &h[up])) break;
            h[at] = h[up];
            at = up;
        }
        h[at] = c;
        return;
    }
    if (!pair_greater(&h[0], &c)) return;
    size_t n = *len;
    at = 0;
    for (;;) {
        size_t child = 2 * at + 1;
        if (child >= n) break;
        if (child + 1 < n && pair_greater(&h[child + 1], &h[child])) child++;
        if (!pair_greater(&h[child], &c)) break;
        h[at] = h[child];
        at = child;
    }
    h[at] = c;
}

typedef struct {
    const knn_state *s;
    const knob_dataset *ds;
    double *out;
    int proba;        /* write n x K probabilities instead of predictions */
    int metric;       /* M_* after resolving minkowski p = 1, 2 */
    double mp;        /* minkowski power */
    int distance_w;   /* weights = distance */
    size_t k, cand;   /* neighbours; candidates kept per query row */
    size_t tile;      /* training rows per tile */
    size_t per_worker;/* doubles of scratch per worker */
    double *scratch;
    nb_pair *heaps;   /* per worker: QB * cand */
    size_t *lens;     /* per worker: QB */
} knn_job;

static double minkowski(const double *a, const double *b, size_t p, double mp)
{
    double big = 0;
    for (size_t j = 0; j < p; j++) {
        double d = fabs(a[j] - b[j]);
        if (d > big) big = d;
    }
    if (big == 0) return 0;
    double acc = 0;
    for (size_t j = 0; j < p; j++) acc += pow(fabs(a[j] - b[j]) / big, mp);
    return big * pow(acc, 1.0 / mp);
}

static double manhattan(const double *a, const double *b, size_t p)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0; /* four sums: independent adds pipeline (and vectorize) */
    size_t j = 0;
    for (; j + 4 <= p; j += 4) {
        s0 += fabs(a[j] - b[j]);
        s1 += fabs(a[j + 1] - b[j + 1]);
        s2 += fabs(a[j + 2] - b[j + 2]);
        s3 += fabs(a[j + 3] - b[j + 3]);
    }
    for (; j < p; j++) s0 += fabs(a[j] - b[j]);
    return (s0 + s1) + (s2 + s3);
}

static double sqdist(const double *a, const double *b, size_t p)
{
    double acc = 0;
    for (size_t j = 0; j < p; j++) {
        double d = a[j] - b[j];
        acc += d * d;
    }
    return acc;
}

/* Turn the candidates of one query row into its prediction (or class probabilities). */
static void knn_vote(const knn_job *J, size_t row, const double *q, nb_pair *h, size_t len, double *vote)
{
    const knn_state *s = J->s;
    if (J->metric == M_EUCLIDEAN)
        for (size_t c = 0; c < len; c++) h[c].d = sqdist(q, s->X + h[c].i * s->p, s->p);
    qsort(h, len, sizeof *h, pair_cmp);
    size_t k = J->k;
    if (J->metric == M_EUCLIDEAN)
        for (size_t c = 0; c < k; c++) h[c].d = sqrt(h[c].d);
    int at_zero = J->distance_w && isinf(1.0 / h[0].d); /* sorted: h[0] is the nearest */
    size_t K = s->k_classes;
    double total = 0, acc = 0;
    if (K) memset(vote, 0, K * sizeof *vote);
    for (int pass = 0; pass < 2 && !(total > 0); pass++) { /* pass 1: all distance weights underflowed */
        for (size_t c = 0; c < k; c++) {
            double wt = s->w ? s->w[h[c].i] : 1.0;
            if (J->distance_w && pass == 0) {
                double inv = 1.0 / h[c].d;
                wt = at_zero ? (isinf(inv) ? wt : 0) : wt * inv;
            }
            total += wt;
            if (K) vote[(size_t)s->y[h[c].i]] += wt;
            else acc += wt * s->y[h[c].i];
        }
    }
    if (!K) {
        J->out[row] = acc / total;
    } else if (J->proba) {
        for (size_t c = 0; c < K; c++) J->out[row * K + c] = vote[c] / total;
    } else {
        size_t best = 0;
        for (size_t c = 1; c < K; c++)
            if (vote[c] > vote[best]) best = c;
        J->out[row] = (double)best;
    }
}

static void knn_task(void *ctx, size_t task, int worker)
{
    knn_job *J = ctx;
    const knn_state *s = J->s;
    size_t p = s->p, n = s->n, cand = J->cand, r0 = task * QB;
    size_t nq = J->ds->n_rows - r0 < QB ? J->ds->n_rows - r0 : QB;
    double *Q = J->scratch + (size_t)worker * J->per_worker;
    double *qn = Q + QB * p;
    double *D = qn + QB;
    double *vote = D + QB * J->tile;
    nb_pair *H = J->heaps + (size_t)worker * QB * cand;
    size_t *len = J->lens + (size_t)worker * QB;
    knob_gather_rows(J->ds, r0, nq, Q);
    for (size_t r = 0; r < nq; r++) {
        double acc = 0;
        for (size_t j = 0; J->metric == M_EUCLIDEAN && j < p; j++) acc += Q[r * p + j] * Q[r * p + j];
        qn[r] = acc;
        len[r] = 0;
    }
    for (size_t t0 = 0; t0 < n; t0 += J->tile) {
        size_t nt = n - t0 < J->tile ? n - t0 : J->tile;
        const double *Xt = s->X + t0 * p;
        if (J->metric == M_EUCLIDEAN)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)nt, (int)p, -2.0, Q, (int)p, Xt, (int)p,
                        0.0, D, (int)nt);
        for (size_t r = 0; r < nq; r++) {
            nb_pair *h = H + r * cand;
            const double *q = Q + r * p;
            for (size_t t = 0; t < nt; t++) {
                double d;
                if (J->metric == M_EUCLIDEAN) {
                    d = qn[r] + s->sqnorm[t0 + t] + D[r * nt + t];
                    if (d < 0) d = 0;
                } else if (J->metric == M_MANHATTAN) {
                    d = manhattan(q, Xt + t * p, p);
                } else {
                    d = minkowski(q, Xt + t * p, p, J->mp);
                }
                if (len[r] == cand && d > h[0].d) continue;
                heap_offer(h, &len[r], cand, d, t0 + t);
            }
        }
    }
    for (size_t r = 0; r < nq; r++) knn_vote(J, r0 + r, Q + r * p, H + r * cand, len[r], vote);
}

static int knn_run(const knob_model *m, const knob_dataset *ds, double *out, int proba, knob_err *err)
{
    int rc = knob_check_dense(ds, "knn", err);
    if (rc) return rc;
    const knn_state *s = m->state;
    knn_job J = {0};
    J.s = s;
    J.ds = ds;
    J.out = out;
    J.proba = proba;
    J.k = (size_t)knob_params_num(&m->params, "n_neighbors");
    if (J.k > s->n) return knob_err_set(err, KNOB_EINVAL, "knn: n_neighbors = %zu is more than the %zu training rows", J.k, s->n);
    J.distance_w = strcmp(knob_params_str(&m->params, "weights"), "distance") == 0;
    const char *metric = knob_params_str(&m->params, "metric");
    J.mp = knob_params_num(&m->params, "p");
    J.metric = !strcmp(metric, "euclidean") ? M_EUCLIDEAN : !strcmp(metric, "manhattan") ? M_MANHATTAN : M_MINKOWSKI;
    if (J.metric == M_MINKOWSKI && J.mp == 1) J.metric = M_MANHATTAN;
    if (J.metric == M_MINKOWSKI && J.mp == 2) J.metric = M_EUCLIDEAN;
    J.cand = J.k;
    if (J.metric == M_EUCLIDEAN) J.cand = s->n - J.k < KNN_EXTRA ? s->n : J.k + KNN_EXTRA;
    size_t nq = ds->n_rows;
    if (nq == 0) return KNOB_OK;
    size_t tile = GEMM_BUDGET / (QB * s->p);
    tile = tile < 64 ? 64 : tile > 2048 ? 2048 : tile;
    J.tile = tile < s->n ? tile : s->n;
    size_t n_tasks = (nq + QB - 1) / QB;
    int threads = (int)knob_params_num(&m->params, "n_jobs");
    if (threads <= 0) threads = knob_parallel_default_threads();
    if (threads > MAX_WORKERS) threads = MAX_WORKERS;
    if ((size_t)threads > n_tasks) threads = (int)n_tasks;
    size_t W = (size_t)threads;
    J.per_worker = QB * s->p + QB + QB * J.tile + (s->k_classes ? s->k_classes : 1);
    J.scratch = malloc(W * J.per_worker * sizeof *J.scratch);
    J.heaps = malloc(W * QB * J.cand * sizeof *J.heaps);
    J.lens = malloc(W * QB * sizeof *J.lens);
    if (J.scratch && J.heaps && J.lens) knob_parallel_for(n_tasks, threads, knn_task, &J);
    else rc = oom(err);
    free(J.scratch);
    free(J.heaps);
    free(J.lens);
    return rc;
}

static int knn_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    return knn_run(m, ds, out, 0, err);
}

static int knn_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    return knn_run(m, ds, out, 1, err);
}

/* ---- persistence ------------------------------------------------------------------------------------ */

static int knn_save(const knob_model *m, cJSON *obj, knob_err *err)
{
    const knn_state *s = m->state;
    cJSON_AddNumberToObject(obj, "n_train", (double)s->n);
    int rc = knob_json_add_doubles(obj, "X", s->X, s->n * s->p, err);
    if (rc == KNOB_OK) rc = knob_json_add_doubles(obj, "y", s->y, s->n, err);
    if (rc == KNOB_OK && s->w) rc = knob_json_add_doubles(obj, "weight", s->w, s->n, err);
    return rc;
}

static int knn_load(knob_model *m, const cJSON *obj, knob_err *err)
{
    knn_state *s = calloc(1, sizeof *s);
    if (!s) return oom(err);
    m->state = s;
    double nt;
    int rc = knob_json_number(cJSON_GetObjectItemCaseSensitive(obj, "n_train"), "state.n_train", &nt, err);
    if (rc) return rc;
    size_t k = (size_t)knob_params_num(&m->params, "n_neighbors"), p = m->schema.n_features;
    if (!(nt >= (double)k && nt == floor(nt) && nt < 1e15))
        return knob_err_set(err, KNOB_EPARSE, "model file: field 'state.n_train' must be a whole number >= n_neighbors (%zu)", k);
    if (p == 0) return knob_err_set(err, KNOB_EPARSE, "model file: a knn model needs at least one feature");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(obj, "weight");
    if ((rc = state_alloc(s, (size_t)nt, p, w != NULL, err))) return rc;
    s->k_classes = m->schema.task == KNOB_TASK_CLASSIFICATION ? m->schema.n_classes : 0;
    if ((rc = knob_json_state_doubles(obj, "X", s->n * p, s->X, -DBL_MAX, DBL_MAX, 0, err))) return rc;
    if (s->k_classes) rc = knob_json_state_doubles(obj, "y", s->n, s->y, 0, (double)s->k_classes - 1, 1, err);
    else rc = knob_json_state_doubles(obj, "y", s->n, s->y, -DBL_MAX, DBL_MAX, 0, err);
    if (rc == KNOB_OK && w) rc = knob_json_state_doubles(obj, "weight", s->n, s->w, DBL_TRUE_MIN, DBL_MAX, 0, err);
    if (rc == KNOB_OK) compute_norms(s);
    return rc;
}

static size_t knn_n_learned(const knob_model *m)
{
    const knn_state *s = m->state;
    return s->n * (s->p + 1);
}

static size_t knn_bytes(const knob_model *m)
{
    const knn_state *s = m->state;
    return sizeof *s + (s->n * s->p + 2 * s->n + (s->w ? s->n : 0)) * sizeof(double);
}

static void knn_describe(const knob_model *m, char *buf, size_t size)
{
    const knn_state *s = m->state;
    knob_describe_printf(buf, size, "k=%g, %s, %zu training rows", knob_params_num(&m->params, "n_neighbors"),
                         knob_params_str(&m->params, "metric"), s->n);
}

const knob_model_vtable knob_model_knn = {
    .kind = "knn",
    .summary = "k-nearest neighbours (brute force, BLAS distances); the saved model holds the training data",
    .tasks = (1u << KNOB_TASK_CLASSIFICATION) | (1u << KNOB_TASK_REGRESSION),
    .params = knn_params,
    .fit = knn_fit,
    .predict = knn_predict,
    .predict_proba = knn_proba,
    .save = knn_save,
    .load = knn_load,
    .free_state = knn_free,
    .n_learned = knn_n_learned,
    .state_bytes = knn_bytes,
    .describe = knn_describe,
};
