/* metrics.c — classification and regression metrics on plain arrays (scikit-learn 1.2.1 semantics). */
#include "knob/metrics.h"
#include "knob/util.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Tolerance of numpy.allclose(1, row_sum), which scikit-learn uses to check probability rows. */
#define ROW_SUM_OK(s) (fabs((s) - 1.0) <= 1e-8 + 1e-5 * fabs(s))

knob_prf_params knob_prf_params_default(void)
{
    knob_prf_params p = {KNOB_AVERAGE_BINARY, 1, 1.0, 0.0};
    return p;
}

/* ------------------------------------------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------------------------------------------ */

static int check_n(const char *fn, size_t n, knob_err *err)
{
    if (n == 0) return knob_err_set(err, KNOB_EINVAL, "%s: empty input (no samples)", fn);
    return KNOB_OK;
}

static int check_finite(const char *fn, const char *what, const double *x, size_t n, knob_err *err)
{
    if (!x) return knob_err_set(err, KNOB_EINVAL, "%s: %s is NULL", fn, what);
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return knob_err_set(err, KNOB_EINVAL, "%s: %s entry %zu is NaN", fn, what, i + 1);
        if (isinf(x[i]))
            return knob_err_set(err, KNOB_EINVAL, "%s: %s entry %zu is infinite", fn, what, i + 1);
    }
    return KNOB_OK;
}

/* Every entry an integer code in 0..k-1. */
static int check_codes(const char *fn, const char *what, const double *y, size_t n, size_t k, knob_err *err)
{
    if (k == 0) return knob_err_set(err, KNOB_EINVAL, "%s: the number of classes must be >= 1", fn);
    if (!y) return knob_err_set(err, KNOB_EINVAL, "%s: %s is NULL", fn, what);
    for (size_t i = 0; i < n; i++) {
        double v = y[i];
        if (!(v >= 0 && v < (double)k && v == floor(v)))
            return knob_err_set(err, KNOB_EINVAL, "%s: %s entry %zu is %g, not a class code in 0..%zu", fn,
                                what, i + 1, v, k - 1);
    }
    return KNOB_OK;
}

/* An n x k row-major matrix of finite values, within [0, 1] when prob is set. */
static int check_matrix(const char *fn, const char *what, const double *m, size_t n, size_t k, int prob,
                        knob_err *err)
{
    if (!m) return knob_err_set(err, KNOB_EINVAL, "%s: %s is NULL", fn, what);
    for (size_t i = 0; i < n * k; i++) {
        double v = m[i];
        if (isfinite(v) && (!prob || (v >= 0 && v <= 1))) continue;
        return knob_err_set(err, KNOB_EINVAL, "%s: %s row %zu column %zu is %.17g, not %s", fn, what, i / k + 1,
                            i % k + 1, v, prob ? "a probability in [0, 1]" : "a finite number");
    }
    return KNOB_OK;
}

/* Every entry 0 or 1. */
static int check_y01(const char *fn, const double *y, size_t n, knob_err *err)
{
    if (!y) return knob_err_set(err, KNOB_EINVAL, "%s: y_true is NULL", fn);
    for (size_t i = 0; i < n; i++)
        if (y[i] != 0 && y[i] != 1)
            return knob_err_set(err, KNOB_EINVAL, "%s: y_true entry %zu is %g, not 0 or 1", fn, i + 1, y[i]);
    return KNOB_OK;
}

/* Probabilities: finite and within [0, 1]. */
static int check_prob(const char *fn, const char *what, const double *p, size_t n, knob_err *err)
{
    int rc = check_finite(fn, what, p, n, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0 || p[i] > 1)
            return knob_err_set(err, KNOB_EINVAL, "%s: %s entry %zu is %.17g, not a probability in [0, 1]", fn,
                                what, i + 1, p[i]);
    return KNOB_OK;
}

/* Weights: NULL, or finite, >= 0 with a positive sum. */
static int check_weights(const char *fn, const double *w, size_t n, knob_err *err)
{
    if (!w) return KNOB_OK;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(w[i]))
            return knob_err_set(err, KNOB_EINVAL, "%s: sample_weight entry %zu is not finite", fn, i + 1);
        if (w[i] < 0)
            return knob_err_set(err, KNOB_EINVAL, "%s: sample_weight entry %zu is negative (%g)", fn, i + 1,
                                w[i]);
        total += w[i];
    }
    if (!(total > 0)) return knob_err_set(err, KNOB_EINVAL, "%s: sample weights sum to zero", fn);
    return KNOB_OK;
}

/* Two code arrays plus weights, as taken by every label-based metric. */
static int check_labels(const char *fn, const double *y_true, const double *y_pred, const double *w, size_t n,
                        size_t k, knob_err *err)
{
    int rc = check_n(fn, n, err);
    if (!rc) rc = check_codes(fn, "y_true", y_true, n, k, err);
    if (!rc) rc = check_codes(fn, "y_pred", y_pred, n, k, err);
    if (!rc) rc = check_weights(fn, w, n, err);
    return rc;
}

/* Regression inputs. */
static int check_regression(const char *fn, const double *y_true, const double *y_pred, const double *w,
                            size_t n, knob_err *err)
{
    int rc = check_n(fn, n, err);
    if (!rc) rc = check_finite(fn, "y_true", y_true, n, err);
    if (!rc) rc = check_finite(fn, "y_pred", y_pred, n, err);
    if (!rc) rc = check_weights(fn, w, n, err);
    return rc;
}

/* A confusion matrix: finite, >= 0, positive total. */
static int check_cm(const char *fn, const double *cm, size_t k, knob_err *err)
{
    if (k == 0) return knob_err_set(err, KNOB_EINVAL, "%s: the number of classes must be >= 1", fn);
    if (!cm) return knob_err_set(err, KNOB_EINVAL, "%s: confusion matrix is NULL", fn);
    if (k > SIZE_MAX / k) return knob_err_set(err, KNOB_EINVAL, "%s: too many classes (%zu)", fn, k);
    double total = 0;
    for (size_t i = 0; i < k * k; i++) {
        if (!isfinite(cm[i]) || cm[i] < 0)
            return knob_err_set(err, KNOB_EINVAL, "%s: confusion matrix entry (%zu, %zu) is %g, not a count",
                                fn, i / k + 1, i % k + 1, cm[i]);
        total += cm[i];
    }
    if (!(total > 0)) return knob_err_set(err, KNOB_EINVAL, "%s: confusion matrix is all zero", fn);
    return KNOB_OK;
}

static int no_memory(const char *fn, knob_err *err)
{
    return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", fn);
}

/* Weighted mean of x (w may be NULL); callers have validated the weights. */
static double wmean(const double *x, const double *w, size_t n)
{
    double s = 0, sw = 0;
    if (!w) {
        for (size_t i = 0; i < n; i++) s += x[i];
        return s / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        s += w[i] * x[i];
        sw += w[i];
    }
    return s / sw;
}

/* ------------------------------------------------------------------------------------------------------
 * Confusion-matrix based classification metrics
 * ------------------------------------------------------------------------------------------------------ */

static void fill_confusion(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                           double *cm)
{
    memset(cm, 0, k * k * sizeof *cm);
    for (size_t i = 0; i < n; i++) cm[(size_t)y_true[i] * k + (size_t)y_pred[i]] += w ? w[i] : 1.0;
}

int knob_metrics_confusion(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                           double *cm, knob_err *err)
{
    int rc = check_labels("confusion_matrix", y_true, y_pred, w, n, k, err);
    if (rc) return rc;
    if (!cm) return knob_err_set(err, KNOB_EINVAL, "confusion_matrix: output matrix is NULL");
    fill_confusion(y_true, y_pred, w, n, k, cm);
    return KNOB_OK;
}

int knob_metrics_accuracy(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                          double *out, knob_err *err)
{
    int rc = check_labels("accuracy", y_true, y_pred, w, n, k, err);
    if (rc) return rc;
    double hit = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (y_true[i] == y_pred[i]) hit += wi;
        total += wi;
    }
    *out = hit / total;
    return KNOB_OK;
}

/* Compute a cm-based metric on labels: build the k x k matrix in scratch memory, then call fn_cm. */
typedef int (*cm_metric)(const double *cm, size_t k, int arg, double *out, knob_err *err);

static int via_confusion(const char *fn, const double *y_true, const double *y_pred, const double *w, size_t n,
                         size_t k, cm_metric metric, int arg, double *out, knob_err *err)
{
    int rc = check_labels(fn, y_true, y_pred, w, n, k, err);
    if (rc) return rc;
    if (k > SIZE_MAX / k / sizeof(double)) return knob_err_set(err, KNOB_EINVAL, "%s: too many classes", fn);
    double *cm = malloc(k * k * sizeof *cm);
    if (!cm) return no_memory(fn, err);
    fill_confusion(y_true, y_pred, w, n, k, cm);
    rc = metric(cm, k, arg, out, err);
    free(cm);
    return rc;
}

static double row_sum(const double *cm, size_t k, size_t r)
{
    double s = 0;
    for (size_t j = 0; j < k; j++) s += cm[r * k + j];
    return s;
}

static double col_sum(const double *cm, size_t k, size_t c)
{
    double s = 0;
    for (size_t i = 0; i < k; i++) s += cm[i * k + c];
    return s;
}

static double ratio_or(double num, double den, double zero_division)
{
    return den == 0 ? zero_division : num / den;
}

/* scikit-learn's F-beta from precision and recall. */
static double fbeta(double p, double r, double beta)
{
    if (isinf(beta)) return r;
    double b2 = beta * beta, den = b2 * p + r;
    if (den == 0) den = 1;
    return (1 + b2) * p * r / den;
}

int knob_metrics_prf_cm(const double *cm, size_t k, const knob_prf_params *params, double *precision,
                        double *recall, double *fscore, double *support, knob_err *err)
{
    static const char *fn = "precision_recall_fscore";
    knob_prf_params prm = params ? *params : knob_prf_params_default();
    int rc = check_cm(fn, cm, k, err);
    if (rc) return rc;
    if (prm.average < KNOB_AVERAGE_BINARY || prm.average > KNOB_AVERAGE_NONE)
        return knob_err_set(err, KNOB_EINVAL, "%s: unknown average %d", fn, prm.average);
    if (isnan(prm.beta) || prm.beta < 0)
        return knob_err_set(err, KNOB_EINVAL, "%s: beta must be >= 0 (got %g)", fn, prm.beta);
    if (prm.zero_division != 0 && prm.zero_division != 1)
        return knob_err_set(err, KNOB_EINVAL, "%s: zero_division must be 0 or 1 (got %g)", fn, prm.zero_division);
    if (prm.average == KNOB_AVERAGE_BINARY) {
        if (k > 2)
            return knob_err_set(err, KNOB_EINVAL,
                                "%s: average 'binary' needs at most 2 classes, got %zu (use average 'macro', "
                                "'micro', 'weighted' or 'none')",
                                fn, k);
        if (prm.pos_label >= k)
            return knob_err_set(err, KNOB_EINVAL, "%s: positive class code %zu out of range 0..%zu", fn,
                                prm.pos_label, k - 1);
    }
    double zd = prm.zero_division;
    double P = 0, R = 0, F = 0, tp_all = 0, pred_all = 0, true_all = 0;
    for (size_t c = 0; c < k; c++) {
        double tp = cm[c * k + c], t = row_sum(cm, k, c), pr = col_sum(cm, k, c);
        double p = ratio_or(tp, pr, zd), r = ratio_or(tp, t, zd), f = fbeta(p, r, prm.beta);
        if (support) support[c] = t;
        switch (prm.average) {
        case KNOB_AVERAGE_NONE:
            if (precision) precision[c] = p;
            if (recall) recall[c] = r;
            if (fscore) fscore[c] = f;
            break;
        case KNOB_AVERAGE_BINARY:
            if (c == prm.pos_label) P = p, R = r, F = f;
            break;
        case KNOB_AVERAGE_MACRO:
            P += p, R += r, F += f;
            break;
        case KNOB_AVERAGE_WEIGHTED:
            P += p * t, R += r * t, F += f * t;
            break;
        default: /* micro */
            break;
        }
        tp_all += tp, pred_all += pr, true_all += t;
    }
    if (prm.average == KNOB_AVERAGE_NONE) return KNOB_OK;
    if (prm.average == KNOB_AVERAGE_MACRO) {
        P /= (double)k, R /= (double)k, F /= (double)k;
    } else if (prm.average == KNOB_AVERAGE_WEIGHTED) {
        if (true_all == 0) { /* unreachable with a positive total, kept for scikit-learn parity */
            P = pred_all == 0 ? zd : 0, R = zd, F = pred_all == 0 ? zd : 0;
        } else {
            P /= true_all, R /= true_all, F /= true_all;
        }
    } else if (prm.average == KNOB_AVERAGE_MICRO) {
        P = ratio_or(tp_all, pred_all, zd), R = ratio_or(tp_all, true_all, zd), F = fbeta(P, R, prm.beta);
    }
    if (precision) *precision = P;
    if (recall) *recall = R;
    if (fscore) *fscore = F;
    return KNOB_OK;
}

int knob_metrics_prf(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                     const knob_prf_params *params, double *precision, double *recall, double *fscore,
                     double *support, knob_err *err)
{
    static const char *fn = "precision_recall_fscore";
    int rc = check_labels(fn, y_true, y_pred, w, n, k, err);
    if (rc) return rc;
    if (k > SIZE_MAX / k / sizeof(double)) return knob_err_set(err, KNOB_EINVAL, "%s: too many classes", fn);
    double *cm = malloc(k * k * sizeof *cm);
    if (!cm) return no_memory(fn, err);
    fill_confusion(y_true, y_pred, w, n, k, cm);
    rc = knob_metrics_prf_cm(cm, k, params, precision, recall, fscore, support, err);
    free(cm);
    return rc;
}

int knob_metrics_balanced_accuracy_cm(const double *cm, size_t k, double *out, knob_err *err)
{
    int rc = check_cm("balanced_accuracy", cm, k, err);
    if (rc) return rc;
    double s = 0;
    size_t m = 0;
    for (size_t c = 0; c < k; c++) {
        double t = row_sum(cm, k, c);
        if (t == 0) continue; /* class only predicted: skipped, as scikit-learn */
        s += cm[c * k + c] / t;
        m++;
    }
    if (m == 0) return knob_err_set(err, KNOB_EUNDEF, "balanced_accuracy: y_true has no class with weight");
    *out = s / (double)m;
    return KNOB_OK;
}

int knob_metrics_mcc_cm(const double *cm, size_t k, double *out, knob_err *err)
{
    int rc = check_cm("mcc", cm, k, err);
    if (rc) return rc;
    double correct = 0, total = 0, tp = 0, tt = 0, pp = 0;
    for (size_t c = 0; c < k; c++) {
        double t = row_sum(cm, k, c), p = col_sum(cm, k, c);
        correct += cm[c * k + c];
        total += p;
        tp += t * p, tt += t * t, pp += p * p;
    }
    double cov_tp = correct * total - tp, cov_pp = total * total - pp, cov_tt = total * total - tt;
    *out = cov_pp * cov_tt == 0 ? 0.0 : cov_tp / sqrt(cov_tt * cov_pp);
    return KNOB_OK;
}

int knob_metrics_kappa_cm(const double *cm, size_t k, int weights, double *out, knob_err *err)
{
    int rc = check_cm("kappa", cm, k, err);
    if (rc) return rc;
    if (weights < KNOB_KAPPA_UNWEIGHTED || weights > KNOB_KAPPA_QUADRATIC)
        return knob_err_set(err, KNOB_EINVAL, "kappa: unknown weighting %d", weights);
    double *sums = malloc(2 * k * sizeof *sums);
    if (!sums) return no_memory("kappa", err);
    double *rows = sums, *cols = sums + k, total = 0;
    for (size_t c = 0; c < k; c++) {
        rows[c] = row_sum(cm, k, c);
        cols[c] = col_sum(cm, k, c);
        total += cols[c];
    }
    double observed = 0, expected = 0;
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < k; j++) {
            double d = (double)i - (double)j;
            double wij = weights == KNOB_KAPPA_LINEAR ? fabs(d) : weights == KNOB_KAPPA_QUADRATIC ? d * d : (i != j);
            observed += wij * cm[i * k + j];
            /* scikit-learn: expected = outer(col sums, row sums) / total */
            expected += wij * (cols[i] * rows[j] / total);
        }
    }
    free(sums);
    if (expected == 0)
        return knob_err_set(err, KNOB_EUNDEF,
                            "kappa: Cohen's kappa is undefined when the expected disagreement is 0 (both "
                            "labelings constant and equal)");
    *out = 1 - observed / expected;
    return KNOB_OK;
}

static int balanced_cm(const double *cm, size_t k, int arg, double *out, knob_err *err)
{
    (void)arg;
    return knob_metrics_balanced_accuracy_cm(cm, k, out, err);
}

static int mcc_cm(const double *cm, size_t k, int arg, double *out, knob_err *err)
{
    (void)arg;
    return knob_metrics_mcc_cm(cm, k, out, err);
}

int knob_metrics_balanced_accuracy(const double *y_true, const double *y_pred, const double *w, size_t n,
                                   size_t k, double *out, knob_err *err)
{
    return via_confusion("balanced_accuracy", y_true, y_pred, w, n, k, balanced_cm, 0, out, err);
}

int knob_metrics_mcc(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                     double *out, knob_err *err)
{
    return via_confusion("mcc", y_true, y_pred, w, n, k, mcc_cm, 0, out, err);
}

int knob_metrics_kappa(const double *y_true, const double *y_pred, const double *w, size_t n, size_t k,
                       int weights, double *out, knob_err *err)
{
    return via_confusion("kappa", y_true, y_pred, w, n, k, knob_metrics_kappa_cm, weights, out, err);
}

/* ------------------------------------------------------------------------------------------------------
 * Ranking metrics: sort by score (descending) once, then walk the distinct thresholds
 * ------------------------------------------------------------------------------------------------------ */

typedef struct {
    uint64_t key;  /* order-preserving image of the score, descending */
    double weight; /* the sample's weight, negated (sign bit set, even for 0) for a negative sample */
} rank_key;

/* A key whose ascending order is the descending order of x (finite; -0.0 folded onto 0.0 so ties match). */
static uint64_t desc_key(double x)
{
    uint64_t b;
    if (x == 0) x = 0.0;
    memcpy(&b, &x, sizeof b);
    b = (b & UINT64_C(0x8000000000000000)) ? ~b : b | UINT64_C(0x8000000000000000); /* ascending */
    return ~b;
}

/* Stable LSD radix sort of a[0..n-1] by key, 11 bits per pass (passes where every key shares the digit are
 * skipped). tmp has room for n keys. Returns whichever buffer holds the result. */
static rank_key *radix_sort(rank_key *a, rank_key *tmp, size_t n)
{
    enum { BITS = 11, BUCKETS = 1 << BITS };
    size_t count[BUCKETS];
    for (unsigned shift = 0; shift < 64; shift += BITS) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(a[i].key >> shift) & (BUCKETS - 1)]++;
        if (count[(a[0].key >> shift) & (BUCKETS - 1)] == n) continue;
        size_t sum = 0;
        for (size_t d = 0; d < BUCKETS; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) tmp[count[(a[i].key >> shift) & (BUCKETS - 1)]++] = a[i];
        rank_key *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

typedef enum { RANK_ROC_AUC, RANK_AP } rank_kind;

/* Area under the ROC curve, or average precision, of samples sorted by descending score. Tied scores form
 * one threshold. Returns KNOB_EUNDEF (message by the caller) when one class has no weight. */
static int rank_metric(const rank_key *sorted, size_t n, rank_kind kind, double *out)
{
    double tp = 0, fp = 0, tp_prev = 0, fp_prev = 0, area = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = sorted[i].weight;
        if (signbit(wi)) fp -= wi;
        else tp += wi;
        if (i + 1 < n && sorted[i + 1].key == sorted[i].key) continue; /* inside a group of ties */
        if (kind == RANK_ROC_AUC) {
            area += (fp - fp_prev) * (tp + tp_prev) * 0.5;
        } else if (tp != tp_prev) {
            area += (tp - tp_prev) * (tp / (tp + fp));
        }
        tp_prev = tp, fp_prev = fp;
    }
    /* one class only: ROC AUC is 0/0; AP is 0/0 without positives and (trivially) 1 without negatives,
     * rejected too so both ranking metrics fail alike */
    if (!(tp > 0) || !(fp > 0)) return KNOB_EUNDEF;
    *out = kind == RANK_ROC_AUC ? area / (tp * fp) : area / tp;
    return KNOB_OK;
}

static const char *rank_title(rank_kind kind)
{
    return kind == RANK_ROC_AUC ? "ROC AUC" : "average precision";
}

/* Key buffer for n samples (and its radix scratch). */
static rank_key *rank_alloc(const char *fn, size_t n, knob_err *err)
{
    if (n > SIZE_MAX / (2 * sizeof(rank_key))) {
        knob_err_set(err, KNOB_EINVAL, "%s: input too large", fn);
        return NULL;
    }
    rank_key *keys = malloc(2 * n * sizeof *keys);
    if (!keys) no_memory(fn, err);
    return keys;
}

/* Sort samples by the scores score[i * stride] (descending); sample i is positive when y[i] == cls. */
static const rank_key *rank_sort(rank_key *keys, const double *score, size_t stride, const double *y, double cls,
                                 const double *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        keys[i].key = desc_key(score[i * stride]);
        keys[i].weight = y[i] == cls ? wi : -wi; /* -wi is -0.0 for a zero weight: still negative */
    }
    return radix_sort(keys, keys + n, n);
}

static int rank_binary(rank_kind kind, const double *y01, const double *score, const double *w, size_t n,
                       double *out, knob_err *err)
{
    const char *fn = kind == RANK_ROC_AUC ? "roc_auc" : "average_precision";
    int rc = check_n(fn, n, err);
    if (!rc) rc = check_y01(fn, y01, n, err);
    if (!rc) rc = check_finite(fn, "y_score", score, n, err);
    if (!rc) rc = check_weights(fn, w, n, err);
    if (rc) return rc;
    rank_key *keys = rank_alloc(fn, n, err);
    if (!keys) return err ? err->code : KNOB_ENOMEM;
    rc = rank_metric(rank_sort(keys, score, 1, y01, 1.0, w, n), n, kind, out);
    free(keys);
    if (rc)
        return knob_err_set(err, KNOB_EUNDEF, "%s: %s is undefined when y_true has only one class", fn,
                            rank_title(kind));
    return KNOB_OK;
}

int knob_metrics_roc_auc(const double *y01, const double *score, const double *w, size_t n, double *out,
                         knob_err *err)
{
    return rank_binary(RANK_ROC_AUC, y01, score, w, n, out, err);
}

int knob_metrics_average_precision(const double *y01, const double *score, const double *w, size_t n,
                                   double *out, knob_err *err)
{
    return rank_binary(RANK_AP, y01, score, w, n, out, err);
}

static int rank_ovr(rank_kind kind, const double *y_true, const double *proba, const double *w, size_t n,
                    size_t k, int average, double *out, knob_err *err)
{
    const char *fn = kind == RANK_ROC_AUC ? "roc_auc_ovr" : "average_precision_ovr";
    int rc = check_n(fn, n, err);
    if (!rc && k < 2) rc = knob_err_set(err, KNOB_EINVAL, "%s: needs at least 2 classes (got %zu)", fn, k);
    if (!rc) rc = check_codes(fn, "y_true", y_true, n, k, err);
    if (!rc && n > SIZE_MAX / k) rc = knob_err_set(err, KNOB_EINVAL, "%s: input too large", fn);
    if (!rc) rc = check_matrix(fn, "y_score", proba, n, k, 0, err);
    if (!rc) rc = check_weights(fn, w, n, err);
    if (!rc && average != KNOB_AVERAGE_MACRO && average != KNOB_AVERAGE_WEIGHTED && average != KNOB_AVERAGE_NONE)
        rc = knob_err_set(err, KNOB_EINVAL, "%s: average must be macro, weighted or none", fn);
    if (rc) return rc;
    if (kind == RANK_ROC_AUC) {
        for (size_t i = 0; i < n; i++) {
            double s = 0;
            for (size_t c = 0; c < k; c++) s += proba[i * k + c];
            if (!ROW_SUM_OK(s))
                return knob_err_set(err, KNOB_EINVAL,
                                    "%s: scores of row %zu sum to %.17g; multiclass ROC AUC needs "
                                    "probabilities that sum to 1 over classes",
                                    fn, i + 1, s);
        }
    }
    rank_key *keys = rank_alloc(fn, n, err);
    if (!keys) return err ? err->code : KNOB_ENOMEM;
    double sum = 0, sum_w = 0;
    for (size_t c = 0; c < k; c++) {
        double support = 0, v = 0;
        for (size_t i = 0; i < n; i++)
            if ((size_t)y_true[i] == c) support += w ? w[i] : 1.0;
        if (rank_metric(rank_sort(keys, proba + c, k, y_true, (double)c, w, n), n, kind, &v)) {
            rc = knob_err_set(err, KNOB_EUNDEF,
                              "%s: %s is undefined for class code %zu: it is %s in y_true (one-vs-rest needs "
                              "every class present and absent)",
                              fn, rank_title(kind), c, support > 0 ? "the only class" : "absent");
            break;
        }
        if (average == KNOB_AVERAGE_NONE) out[c] = v;
        sum += average == KNOB_AVERAGE_WEIGHTED ? v * support : v;
        sum_w += support;
    }
    free(keys);
    if (rc) return rc;
    if (average == KNOB_AVERAGE_MACRO) *out = sum / (double)k;
    else if (average == KNOB_AVERAGE_WEIGHTED) *out = sum / sum_w;
    return KNOB_OK;
}

int knob_metrics_roc_auc_ovr(const double *y_true, const double *proba, const double *w, size_t n, size_t k,
                             int average, double *out, knob_err *err)
{
    return rank_ovr(RANK_ROC_AUC, y_true, proba, w, n, k, average, out, err);
}

int knob_metrics_average_precision_ovr(const double *y_true, const double *proba, const double *w, size_t n,
                                       size_t k, int average, double *out, knob_err *err)
{
    return rank_ovr(RANK_AP, y_true, proba, w, n, k, average, out, err);
}

/* ------------------------------------------------------------------------------------------------------
 * Probabilistic losses
 * ------------------------------------------------------------------------------------------------------ */

static double clip_eps(double p)
{
    const double eps = DBL_EPSILON;
    return p < eps ? eps : p > 1 - eps ? 1 - eps : p;
}

int knob_metrics_log_loss(const double *y_true, const double *proba, const double *w, size_t n, size_t k,
                          double *out, knob_err *err)
{
    static const char *fn = "log_loss";
    int rc = check_n(fn, n, err);
    if (!rc && k < 2) rc = knob_err_set(err, KNOB_EINVAL, "%s: needs at least 2 classes (got %zu)", fn, k);
    if (!rc) rc = check_codes(fn, "y_true", y_true, n, k, err);
    if (!rc && n > SIZE_MAX / k) rc = knob_err_set(err, KNOB_EINVAL, "%s: input too large", fn);
    if (!rc) rc = check_matrix(fn, "y_proba", proba, n, k, 1, err);
    if (!rc) rc = check_weights(fn, w, n, err);
    if (rc) return rc;
    double loss = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = proba + i * k;
        double s = 0, sc = 0;
        for (size_t c = 0; c < k; c++) {
            s += row[c];
            sc += clip_eps(row[c]);
        }
        if (!ROW_SUM_OK(s))
            return knob_err_set(err, KNOB_EINVAL, "%s: probabilities of row %zu sum to %.17g, not 1", fn, i + 1,
                                s);
        double wi = w ? w[i] : 1.0;
        loss += wi * -log(clip_eps(row[(size_t)y_true[i]]) / sc);
        total += wi;
    }
    *out = loss / total;
    return KNOB_OK;
}

/* Binary probability inputs shared by the binary log loss and the Brier score. */
static int check_binary_prob(const char *fn, const char *what, const double *y01, const double *p,
                             const double *w, size_t n, knob_err *err)
{
    int rc = check_n(fn, n, err);
    if (!rc) rc = check_y01(fn, y01, n, err);
    if (!rc) rc = check_prob(fn, what, p, n, err);
    if (!rc) rc = check_weights(fn, w, n, err);
    return rc;
}

int knob_metrics_log_loss_binary(const double *y01, const double *p, const double *w, size_t n, double *out,
                                 knob_err *err)
{
    int rc = check_binary_prob("log_loss", "y_proba", y01, p, w, n, err);
    if (rc) return rc;
    double loss = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        double pc = clip_eps(p[i]), q = 1 - pc, s = q + pc; /* scikit-learn: clip, then (1 - p, p) */
        double wi = w ? w[i] : 1.0;
        loss += wi * -log((y01[i] == 1 ? pc : q) / s);
        total += wi;
    }
    *out = loss / total;
    return KNOB_OK;
}

int knob_metrics_brier(const double *y01, const double *p, const double *w, size_t n, double *out,
                       knob_err *err)
{
    int rc = check_binary_prob("brier", "y_prob", y01, p, w, n, err);
    if (rc) return rc;
    double s = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        double d = y01[i] - p[i], wi = w ? w[i] : 1.0;
        s += wi * d * d;
        total += wi;
    }
    *out = s / total;
    return KNOB_OK;
}

/* ------------------------------------------------------------------------------------------------------
 * Regression
 * ------------------------------------------------------------------------------------------------------ */

typedef enum { RES_SQUARED, RES_ABSOLUTE, RES_PERCENTAGE } residual_kind;

/* Weighted mean of a residual function. */
static double mean_residual(const double *y_true, const double *y_pred, const double *w, size_t n,
                            residual_kind kind)
{
    double s = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        double d = y_true[i] - y_pred[i], e;
        if (kind == RES_SQUARED) e = d * d;
        else if (kind == RES_ABSOLUTE) e = fabs(d);
        else e = fabs(d) / fmax(fabs(y_true[i]), DBL_EPSILON);
        double wi = w ? w[i] : 1.0;
        s += wi * e;
        total += wi;
    }
    return s / total;
}

/* Validate, then the weighted mean residual. */
static int residual_metric(const char *fn, residual_kind kind, const double *y_true, const double *y_pred,
                           const double *w, size_t n, double *out, knob_err *err)
{
    int rc = check_regression(fn, y_true, y_pred, w, n, err);
    if (!rc) *out = mean_residual(y_true, y_pred, w, n, kind);
    return rc;
}

int knob_metrics_mse(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                     knob_err *err)
{
    return residual_metric("mse", RES_SQUARED, y_true, y_pred, w, n, out, err);
}

int knob_metrics_rmse(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                      knob_err *err)
{
    int rc = residual_metric("rmse", RES_SQUARED, y_true, y_pred, w, n, out, err);
    if (!rc) *out = sqrt(*out);
    return rc;
}

int knob_metrics_mae(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                     knob_err *err)
{
    return residual_metric("mae", RES_ABSOLUTE, y_true, y_pred, w, n, out, err);
}

int knob_metrics_mape(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                      knob_err *err)
{
    return residual_metric("mape", RES_PERCENTAGE, y_true, y_pred, w, n, out, err);
}

/* scikit-learn's _assemble_r2_explained_variance with force_finite=True. */
static double assemble_r2(double numerator, double denominator)
{
    if (numerator == 0) return 1.0;
    if (denominator == 0) return 0.0;
    return 1 - numerator / denominator;
}

int knob_metrics_r2(const double *y_true, const double *y_pred, const double *w, size_t n, double *out,
                    knob_err *err)
{
    int rc = check_regression("r2", y_true, y_pred, w, n, err);
    if (rc) return rc;
    if (n < 2) return knob_err_set(err, KNOB_EUNDEF, "r2: R^2 is undefined with fewer than two samples");
    double mean = wmean(y_true, w, n), num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0, d = y_true[i] - y_pred[i], c = y_true[i] - mean;
        num += wi * d * d;
        den += wi * c * c;
    }
    *out = assemble_r2(num, den);
    return KNOB_OK;
}

int knob_metrics_explained_variance(const double *y_true, const double *y_pred, const double *w, size_t n,
                                    double *out, knob_err *err)
{
    int rc = check_regression("explained_variance", y_true, y_pred, w, n, err);
    if (rc) return rc;
    double mean_true = wmean(y_true, w, n), mean_diff = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        mean_diff += wi * (y_true[i] - y_pred[i]);
        total += wi;
    }
    mean_diff /= total;
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0, d = y_true[i] - y_pred[i] - mean_diff, c = y_true[i] - mean_true;
        num += wi * d * d;
        den += wi * c * c;
    }
    *out = assemble_r2(num / total, den / total);
    return KNOB_OK;
}

int knob_metrics_max_error(const double *y_true, const double *y_pred, size_t n, double *out, knob_err *err)
{
    int rc = check_regression("max_error", y_true, y_pred, NULL, n, err);
    if (rc) return rc;
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(y_true[i] - y_pred[i]));
    *out = m;
    return KNOB_OK;
}

typedef struct {
    double value, weight;
} weighted_value;

static int cmp_weighted(const void *a, const void *b)
{
    return knob_cmp_double(&((const weighted_value *)a)->value, &((const weighted_value *)b)->value);
}

int knob_metrics_median_absolute_error(const double *y_true, const double *y_pred, const double *w, size_t n,
                                       double *out, knob_err *err)
{
    static const char *fn = "median_absolute_error";
    int rc = check_regression(fn, y_true, y_pred, w, n, err);
    if (rc) return rc;
    if (!w) {
        double *e = malloc(n * sizeof *e);
        if (!e) return no_memory(fn, err);
        for (size_t i = 0; i < n; i++) e[i] = fabs(y_true[i] - y_pred[i]);
        qsort(e, n, sizeof *e, knob_cmp_double);
        *out = n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2;
        free(e);
        return KNOB_OK;
    }
    weighted_value *e = malloc(n * sizeof *e);
    if (!e) return no_memory(fn, err);
    for (size_t i = 0; i < n; i++) {
        e[i].value = fabs(y_true[i] - y_pred[i]);
        e[i].weight = w[i];
    }
    qsort(e, n, sizeof *e, cmp_weighted);
    double total = 0; /* summed in sorted order, like scikit-learn's cumulative sum */
    for (size_t i = 0; i < n; i++) total += e[i].weight;
    /* scikit-learn's _weighted_percentile(50): first index whose cumulative weight reaches total / 2 */
    double half = 0.5 * total, cdf = 0;
    size_t i = 0;
    for (; i < n; i++) {
        cdf += e[i].weight;
        if (cdf >= half) break;
    }
    *out = e[i < n ? i : n - 1].value;
    free(e);
    return KNOB_OK;
}
