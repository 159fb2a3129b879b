/* split.c — train/test splits and cross-validation fold assignments on index arrays. */
#include "knob/split.h"
#include "knob/util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- label encoding ---------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort the copy `sorted` (n items of `size` bytes), drop repeats, then code each label by binary search.
 * `label_at(i)` is labels + i * size. */
static void encode_sorted(size_t n, const void *labels, void *sorted, size_t size,
                          int (*cmp)(const void *, const void *), size_t *codes, size_t *n_levels)
{
    unsigned char *s = sorted;
    const unsigned char *l = labels;
    qsort(s, n, size, cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m == 0 || cmp(s + (m - 1) * size, s + i * size) != 0) {
            if (m != i) memcpy(s + m * size, s + i * size, size);
            m++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *hit = bsearch(l + i * size, s, m, size, cmp);
        codes[i] = (size_t)(hit - s) / size;
    }
    *n_levels = m;
}

int knob_split_encode_numbers(size_t n, const double *labels, size_t *codes, size_t *n_levels,
                              knob_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(labels[i])) return knob_err_set(err, KNOB_EINVAL, "label of row %zu is NaN", i + 1);
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return knob_err_set(err, KNOB_ENOMEM, "out of memory encoding %zu labels", n);
    memcpy(sorted, labels, n * sizeof *sorted);
    encode_sorted(n, labels, sorted, sizeof *sorted, knob_cmp_double, codes, n_levels);
    free(sorted);
    return KNOB_OK;
}

int knob_split_encode_strings(size_t n, const char *const *labels, size_t *codes, size_t *n_levels,
                              knob_err *err)
{
    const char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return knob_err_set(err, KNOB_ENOMEM, "out of memory encoding %zu labels", n);
    memcpy(sorted, labels, n * sizeof *sorted);
    encode_sorted(n, labels, sorted, sizeof *sorted, cmp_str, codes, n_levels);
    free(sorted);
    return KNOB_OK;
}

int knob_split_class_codes(const knob_dataset *ds, size_t *codes, size_t *n_classes, knob_err *err)
{
    const knob_frame *f = ds->frame;
    const char *name = f->target.name ? f->target.name : "target";
    if (f->task == KNOB_TASK_NONE || !f->y)
        return knob_err_set(err, KNOB_EINVAL, "stratify needs a classification target; the dataset has no target");
    if (f->task != KNOB_TASK_CLASSIFICATION)
        return knob_err_set(err, KNOB_EINVAL,
                            "stratify needs a classification target; target '%s' is regression", name);
    size_t K = knob_dataset_n_classes(ds);
    for (size_t i = 0; i < ds->n_rows; i++) {
        double v = knob_dataset_target(ds, i);
        if (!(v >= 0 && v < (double)K) || v != floor(v))
            return knob_err_set(err, KNOB_EINVAL, "target '%s' of row %zu is %s, not a class code", name,
                                i + 1, isnan(v) ? "missing" : "out of range");
        codes[i] = (size_t)v;
    }
    *n_classes = K;
    return KNOB_OK;
}

/* ---- shared checks ------------------------------------------------------------------------------ */

static int check_codes(size_t n, const size_t *codes, size_t n_codes, const char *what, knob_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (codes[i] >= n_codes)
            return knob_err_set(err, KNOB_EINVAL, "%s code %zu of row %zu is out of range (%zu codes)", what,
                                codes[i], i + 1, n_codes);
    return KNOB_OK;
}

static int check_k(size_t n, size_t k, const char *what, knob_err *err)
{
    if (k < 2) return knob_err_set(err, KNOB_EINVAL, "%s: k must be at least 2 (got %zu)", what, k);
    if (k > n)
        return knob_err_set(err, KNOB_EINVAL, "%s: k = %zu folds is more than the %zu rows", what, k, n);
    return KNOB_OK;
}

/*
 * Classes by first appearance: remap[c] is the rank of class c among the classes present (first row
 * first), or SIZE_MAX if absent; count[r] rows of ranked class r; start[r] its first slot in `order`,
 * which lists the rows grouped by ranked class, ascending inside each class. Returns the number of
 * classes present. remap: n_classes entries; count, start: n_classes + 1 entries; order: n entries.
 */
static size_t group_by_class(size_t n, const size_t *y, size_t n_classes, size_t *remap, size_t *count,
                             size_t *start, size_t *order)
{
    size_t m = 0;
    for (size_t c = 0; c < n_classes; c++) remap[c] = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (remap[y[i]] == SIZE_MAX) remap[y[i]] = m++;
    memset(count, 0, (m + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++) count[remap[y[i]]]++;
    start[0] = 0;
    for (size_t r = 0; r < m; r++) start[r + 1] = start[r] + count[r];
    for (size_t r = 0; r <= m; r++) count[r] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = remap[y[i]];
        order[start[r] + count[r]++] = i;
    }
    return m;
}

/* Scratch for group_by_class: one block, sliced. */
typedef struct {
    size_t *block, *remap, *count, *start, *order;
} class_scratch;

static int class_scratch_alloc(class_scratch *s, size_t n, size_t n_classes, size_t extra, knob_err *err)
{
    size_t total = n_classes + 2 * (n_classes + 1) + n + extra;
    s->block = malloc(total * sizeof *s->block);
    if (!s->block) return knob_err_set(err, KNOB_ENOMEM, "out of memory splitting %zu rows", n);
    s->remap = s->block;
    s->count = s->remap + n_classes;
    s->start = s->count + n_classes + 1;
    s->order = s->start + n_classes + 1;
    return KNOB_OK;
}

/* Write the rows with mark[i] == want, ascending, into out. */
static void collect(size_t n, const unsigned char *mark, unsigned char want, size_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (mark[i] == want) out[m++] = i;
}

/* ---- train/test --------------------------------------------------------------------------------- */

int knob_split_resolve_test(size_t n, double test, size_t *n_test, knob_err *err)
{
    double t;
    if (test > 0 && test < 1) t = ceil(test * (double)n);
    else if (test >= 1 && test == floor(test) && test < 9007199254740992.0) t = test;
    else
        return knob_err_set(err, KNOB_EINVAL,
                            "test = %g must be a fraction in (0, 1) or a whole number of rows >= 1", test);
    if (t >= (double)n)
        return knob_err_set(err, KNOB_EINVAL, "test = %g leaves no training rows (%zu rows in all)", test, n);
    if (t < 1) return knob_err_set(err, KNOB_EINVAL, "test = %g gives an empty test part (%zu rows)", test, n);
    *n_test = (size_t)t;
    return KNOB_OK;
}

/* Order of the classes for the extra test rows: remainder descending, ties by `tie` ascending. */
typedef struct {
    uint64_t rem;
    size_t tie, cls;
} extra_key;

static int cmp_extra(const void *a, const void *b)
{
    const extra_key *x = a, *y = b;
    if (x->rem != y->rem) return x->rem > y->rem ? -1 : 1;
    return (x->tie > y->tie) - (x->tie < y->tie);
}

static int stratified_test_marks(size_t n, const size_t *y, size_t n_classes, size_t n_test, int shuffle,
                                 knob_rng *rng, unsigned char *mark, knob_err *err)
{
    if (n > UINT32_MAX)
        return knob_err_set(err, KNOB_EINVAL, "stratified split of %zu rows: at most %lu rows supported", n,
                            (unsigned long)UINT32_MAX);
    class_scratch s;
    if (class_scratch_alloc(&s, n, n_classes, 0, err)) return KNOB_ENOMEM;
    size_t m = group_by_class(n, y, n_classes, s.remap, s.count, s.start, s.order);
    int rc = KNOB_OK;
    extra_key *keys = NULL;
    for (size_t r = 0; r < m; r++) {
        if (s.count[r] < 2) {
            size_t row = s.order[s.start[r]];
            rc = knob_err_set(err, KNOB_EINVAL,
                              "stratify: class %zu (row %zu) has only 1 row; every class needs at least 2 to be "
                              "in both parts", y[row], row + 1);
            goto done;
        }
    }
    if (n_test < m || n - n_test < m) {
        rc = knob_err_set(err, KNOB_EINVAL,
                          "stratify: the %s part has %zu rows, fewer than the %zu classes",
                          n_test < m ? "test" : "training", n_test < m ? n_test : n - n_test, m);
        goto done;
    }
    keys = malloc((m ? m : 1) * sizeof *keys);
    if (!keys) {
        rc = knob_err_set(err, KNOB_ENOMEM, "out of memory splitting %zu rows", n);
        goto done;
    }
    /* t_r = floor(n_r * n_test / n) test rows, plus one for the classes with the largest remainders */
    size_t assigned = 0;
    for (size_t r = 0; r < m; r++) {
        uint64_t prod = (uint64_t)s.count[r] * (uint64_t)n_test;
        s.remap[r] = (size_t)(prod / n); /* reuse remap as t_r: the class mapping is no longer needed */
        assigned += s.remap[r];
        keys[r] = (extra_key){prod % n, r, r};
    }
    if (shuffle) { /* random tie-break: a random permutation as the tie key */
        for (size_t r = 0; r < m; r++) s.count[r] = r;
        knob_rng_shuffle(rng, s.count, m);
        for (size_t r = 0; r < m; r++) keys[r].tie = s.count[r];
    }
    qsort(keys, m, sizeof *keys, cmp_extra);
    for (size_t j = 0; assigned < n_test; j++, assigned++) s.remap[keys[j].cls]++;
    memset(mark, 0, n);
    for (size_t r = 0; r < m; r++) {
        size_t *rows = s.order + s.start[r], nr = s.start[r + 1] - s.start[r], t = s.remap[r];
        if (shuffle) {
            knob_rng_shuffle(rng, rows, nr);
            for (size_t j = 0; j < t; j++) mark[rows[j]] = 1;
        } else {
            for (size_t j = nr - t; j < nr; j++) mark[rows[j]] = 1;
        }
    }
done:
    free(keys);
    free(s.block);
    return rc;
}

int knob_split_train_test(size_t n, const size_t *y, size_t n_classes, size_t n_test, int shuffle,
                          knob_rng *rng, size_t *train, size_t *test, knob_err *err)
{
    if (n_test < 1 || n_test >= n)
        return knob_err_set(err, KNOB_EINVAL, "train/test split: %zu test rows out of %zu leaves a part empty",
                            n_test, n);
    if (shuffle && !rng) return knob_err_set(err, KNOB_EINVAL, "train/test split: shuffle needs a generator");
    if (y && check_codes(n, y, n_classes, "class", err)) return KNOB_EINVAL;
    unsigned char *mark = malloc(n);
    size_t *perm = (!y && shuffle) ? malloc(n * sizeof *perm) : NULL;
    if (!mark || (!y && shuffle && !perm)) {
        free(mark);
        free(perm);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory splitting %zu rows", n);
    }
    int rc = KNOB_OK;
    if (y) {
        rc = stratified_test_marks(n, y, n_classes, n_test, shuffle, rng, mark, err);
    } else if (shuffle) {
        memset(mark, 0, n);
        knob_rng_permutation(rng, perm, n);
        for (size_t j = 0; j < n_test; j++) mark[perm[j]] = 1;
    } else {
        memset(mark, 0, n - n_test);
        memset(mark + (n - n_test), 1, n_test);
    }
    if (rc == KNOB_OK) {
        collect(n, mark, 0, train);
        collect(n, mark, 1, test);
    }
    free(perm);
    free(mark);
    return rc;
}

/* ---- k-fold ------------------------------------------------------------------------------------- */

int knob_split_kfold(size_t n, size_t k, int shuffle, knob_rng *rng, size_t *fold, knob_err *err)
{
    if (check_k(n, k, "kfold", err)) return KNOB_EINVAL;
    if (shuffle && !rng) return knob_err_set(err, KNOB_EINVAL, "kfold: shuffle needs a generator");
    size_t *perm = NULL;
    if (shuffle) {
        if (!(perm = malloc(n * sizeof *perm)))
            return knob_err_set(err, KNOB_ENOMEM, "out of memory splitting %zu rows", n);
        knob_rng_permutation(rng, perm, n);
    }
    size_t pos = 0;
    for (size_t f = 0; f < k; f++) {
        size_t size = n / k + (f < n % k);
        for (size_t j = 0; j < size; j++, pos++) fold[perm ? perm[pos] : pos] = f;
    }
    free(perm);
    return KNOB_OK;
}

int knob_split_stratified_kfold(size_t n, const size_t *y, size_t n_classes, size_t k, int shuffle,
                                knob_rng *rng, size_t *fold, knob_err *err)
{
    if (check_k(n, k, "stratified kfold", err)) return KNOB_EINVAL;
    if (shuffle && !rng) return knob_err_set(err, KNOB_EINVAL, "stratified kfold: shuffle needs a generator");
    if (check_codes(n, y, n_classes, "class", err)) return KNOB_EINVAL;
    class_scratch s;
    /* extra: per-class fold labels (n) and the per-fold allocation of one class (k) */
    if (class_scratch_alloc(&s, n, n_classes, n + k, err)) return KNOB_ENOMEM;
    size_t *labels = s.order + n, *alloc = labels + n;
    size_t m = group_by_class(n, y, n_classes, s.remap, s.count, s.start, s.order);
    for (size_t r = 0; r < m; r++) {
        if (s.count[r] < k) {
            size_t row = s.order[s.start[r]];
            int rc = knob_err_set(err, KNOB_EINVAL,
                                  "stratified kfold: class %zu (first at row %zu) has only %zu rows, fewer than "
                                  "k = %zu folds (lower k or use an unstratified kfold)", y[row], row + 1,
                                  s.count[r], k);
            free(s.block);
            return rc;
        }
    }
    for (size_t r = 0; r < m; r++) {
        /* Round-robin over the class-sorted rows: slot p goes to fold p % k (scikit-learn's allocation). */
        memset(alloc, 0, k * sizeof *alloc);
        for (size_t p = s.start[r]; p < s.start[r + 1]; p++) alloc[p % k]++;
        size_t nr = s.start[r + 1] - s.start[r], *lab = labels + s.start[r], j = 0;
        for (size_t f = 0; f < k; f++)
            for (size_t a = 0; a < alloc[f]; a++) lab[j++] = f;
        if (shuffle) knob_rng_shuffle(rng, lab, nr);
        for (size_t q = 0; q < nr; q++) fold[s.order[s.start[r] + q]] = lab[q];
    }
    free(s.block);
    return KNOB_OK;
}

typedef struct {
    size_t size, code;
} group_key;

static int cmp_group(const void *a, const void *b)
{
    const group_key *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return (x->code < y->code) - (x->code > y->code);
}

int knob_split_group_kfold(size_t n, const size_t *groups, size_t n_groups, size_t k, size_t *fold,
                           knob_err *err)
{
    if (k < 2) return knob_err_set(err, KNOB_EINVAL, "group kfold: k must be at least 2 (got %zu)", k);
    if (check_codes(n, groups, n_groups, "group", err)) return KNOB_EINVAL;
    group_key *keys = calloc(n_groups ? n_groups : 1, sizeof *keys);
    size_t *weight = calloc(k, sizeof *weight), *to_fold = malloc((n_groups ? n_groups : 1) * sizeof *to_fold);
    if (!keys || !weight || !to_fold) {
        free(keys);
        free(weight);
        free(to_fold);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory splitting %zu rows", n);
    }
    for (size_t g = 0; g < n_groups; g++) keys[g].code = g;
    for (size_t i = 0; i < n; i++) keys[groups[i]].size++;
    qsort(keys, n_groups, sizeof *keys, cmp_group);
    size_t present = 0;
    while (present < n_groups && keys[present].size > 0) present++;
    int rc = KNOB_OK;
    if (k > present) {
        rc = knob_err_set(err, KNOB_EINVAL, "group kfold: k = %zu folds is more than the %zu groups", k, present);
    } else {
        for (size_t g = 0; g < present; g++) {
            size_t best = 0;
            for (size_t f = 1; f < k; f++)
                if (weight[f] < weight[best]) best = f;
            weight[best] += keys[g].size;
            to_fold[keys[g].code] = best;
        }
        for (size_t i = 0; i < n; i++) fold[i] = to_fold[groups[i]];
    }
    free(keys);
    free(weight);
    free(to_fold);
    return rc;
}

void knob_split_fold_indices(size_t n, const size_t *fold, size_t f, size_t *train, size_t *n_train,
                             size_t *test, size_t *n_test)
{
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (fold[i] == f) test[b++] = i;
        else train[a++] = i;
    }
    *n_train = a;
    *n_test = b;
}

/* ---- time series -------------------------------------------------------------------------------- */

int knob_split_time_series(size_t n, size_t n_splits, size_t max_train, size_t test_size, size_t gap,
                           knob_split_range *out, knob_err *err)
{
    if (n_splits < 2)
        return knob_err_set(err, KNOB_EINVAL, "time series: n_splits must be at least 2 (got %zu)", n_splits);
    if (n_splits >= n)
        return knob_err_set(err, KNOB_EINVAL, "time series: n_splits = %zu needs more than %zu rows", n_splits, n);
    if (test_size == 0) test_size = n / (n_splits + 1);
    if (test_size > n / n_splits || n - test_size * n_splits <= gap)
        return knob_err_set(err, KNOB_EINVAL,
                            "time series: %zu splits of test_size = %zu with gap = %zu leave no training rows "
                            "in %zu rows", n_splits, test_size, gap, n);
    size_t first = n - n_splits * test_size;
    for (size_t s = 0; s < n_splits; s++) {
        size_t test_begin = first + s * test_size, train_end = test_begin - gap;
        out[s].train_begin = (max_train && max_train < train_end) ? train_end - max_train : 0;
        out[s].train_end = train_end;
        out[s].test_begin = test_begin;
        out[s].test_end = test_begin + test_size;
    }
    return KNOB_OK;
}
