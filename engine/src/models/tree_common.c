/* tree_common.c — what the tree kinds share: hyperparameter resolution, training data, prediction, and
 * persistence of trees as base64 little-endian arrays. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/parallel.h"
#include "model_impl.h"
#include "tree.h"

const char *const knob_tree_criteria[] = {"auto", "gini", "entropy", "log_loss", "squared_error", NULL};
const char *const knob_tree_mf_modes[] = {"auto", "all", "sqrt", "log2", "fraction", "count", NULL};
const char *const knob_tree_class_weights[] = {"none", "balanced", NULL};

/* ---- hyperparameters ----------------------------------------------------------------------------- */

const char *knob_tree_check_params(const knob_params *p)
{
    const char *mode = knob_params_str(p, "max_features_mode");
    int needs = !strcmp(mode, "fraction") || !strcmp(mode, "count");
    int set = knob_params_is_set(p, "max_features");
    if (needs && !set) return "max_features_mode = fraction or count needs max_features";
    if (!needs && set)
        return "max_features is only read with max_features_mode = fraction or count (set the mode too)";
    double mf = knob_params_num(p, "max_features");
    if (!strcmp(mode, "fraction") && !(mf > 0 && mf <= 1))
        return "max_features must be a fraction in (0, 1] with max_features_mode = fraction";
    if (!strcmp(mode, "count") && (mf < 1 || mf != floor(mf)))
        return "max_features must be a whole number >= 1 with max_features_mode = count";
    return NULL;
}

int knob_tree_cfg_from_params(const knob_model *m, size_t p, int forest, int random_splits, knob_tree_cfg *cfg,
                              knob_err *err)
{
    const knob_params *pr = &m->params;
    const char *kind = m->vt->kind;
    int clf = m->schema.task == KNOB_TASK_CLASSIFICATION;
    const char *crit = knob_params_str(pr, "criterion");
    if (!strcmp(crit, "auto")) cfg->criterion = clf ? KNOB_CRIT_GINI : KNOB_CRIT_MSE;
    else if (!strcmp(crit, "gini")) cfg->criterion = KNOB_CRIT_GINI;
    else if (!strcmp(crit, "squared_error")) cfg->criterion = KNOB_CRIT_MSE;
    else cfg->criterion = KNOB_CRIT_ENTROPY;
    if (clf != (cfg->criterion != KNOB_CRIT_MSE))
        return knob_err_set(err, KNOB_EINVAL, "%s: criterion '%s' is for %s, but the target is %s", kind, crit,
                            clf ? "regression" : "classification", clf ? "a class" : "numeric (regression)");
    cfg->random_splits = random_splits;
    cfg->max_depth = knob_params_is_set(pr, "max_depth") ? (long)knob_params_num(pr, "max_depth") : -1;
    cfg->min_samples_split = (size_t)knob_params_num(pr, "min_samples_split");
    cfg->min_samples_leaf = (size_t)knob_params_num(pr, "min_samples_leaf");
    cfg->min_impurity_decrease = knob_params_num(pr, "min_impurity_decrease");
    const char *mode = knob_params_str(pr, "max_features_mode");
    double mf = knob_params_num(pr, "max_features"), dp = (double)p;
    double count;
    if (!strcmp(mode, "auto")) mode = forest && clf ? "sqrt" : "all";
    if (!strcmp(mode, "all")) count = dp;
    else if (!strcmp(mode, "sqrt")) count = floor(sqrt(dp));
    else if (!strcmp(mode, "log2")) count = floor(log2(dp));
    else if (!strcmp(mode, "fraction")) count = floor(mf * dp);
    else count = mf;
    if (count > dp)
        return knob_err_set(err, KNOB_EINVAL, "%s: max_features = %.17g but the data has %zu features", kind, mf, p);
    cfg->max_features = count < 1 ? 1 : (size_t)count;
    return KNOB_OK;
}

/* ---- training data -------------------------------------------------------------------------------- */

void knob_tree_data_free(knob_tree_data *d)
{
    free(d->X);
    free(d->yc);
    free(d->y);
    free(d->w);
    free(d->order);
    free(d->sorted);
    memset(d, 0, sizeof *d);
}

typedef struct {
    knob_tree_data *d;
    knob_tree_pair *buf;   /* threads x n */
} presort_ctx;

static void presort_task(void *ctx, size_t j, int worker)
{
    presort_ctx *c = ctx;
    size_t n = c->d->n;
    knob_tree_pair *pr = c->buf + (size_t)worker * n;
    const double *x = c->d->X + j * n;
    for (size_t i = 0; i < n; i++) {
        pr[i].x = x[i];
        pr[i].row = (uint32_t)i;
    }
    knob_tree_sort_pairs(pr, n);
    uint32_t *o = c->d->order + j * n;
    double *v = c->d->sorted + j * n;
    for (size_t i = 0; i < n; i++) {
        o[i] = pr[i].row;
        v[i] = pr[i].x;
    }
}

static int data_oom(knob_tree_data *d, knob_err *err)
{
    knob_tree_data_free(d);
    return knob_err_set(err, KNOB_ENOMEM, "out of memory preparing the training data");
}

int knob_tree_data_init(knob_tree_data *d, const knob_model *m, const knob_dataset *train,
                        const double *sample_weight, int presort, int threads, knob_err *err)
{
    memset(d, 0, sizeof *d);
    const char *kind = m->vt->kind;
    size_t n = train->n_rows, p = train->frame->n_features;
    if (n >= UINT32_MAX) return knob_err_set(err, KNOB_EINVAL, "%s: at most %u training rows", kind, UINT32_MAX - 1);
    if (p == 0) return knob_err_set(err, KNOB_EINVAL, "%s: the training data has no features", kind);
    d->n = n;
    d->p = p;
    d->k = m->schema.task == KNOB_TASK_CLASSIFICATION ? m->schema.n_classes : 0;
    d->X = malloc(n * p * sizeof *d->X);
    d->w = malloc(n * sizeof *d->w);
    if (!d->X || !d->w) return data_oom(d, err);
    knob_dataset_gather_X(train, d->X, 0);
    for (size_t j = 0; j < p; j++) {
        const double *x = d->X + j * n;
        for (size_t i = 0; i < n; i++) {
            if (isfinite(x[i])) continue;
            int missing = isnan(x[i]);
            knob_err_set(err, KNOB_EINVAL,
                         "%s: feature '%s' %s at row %zu; trees need complete finite data (impute it first, "
                         "e.g. with knob.prep)", kind, m->schema.names[j],
                         missing ? "is missing (NaN)" : "is infinite", i + 1);
            knob_tree_data_free(d);
            return KNOB_EINVAL;
        }
    }
    for (size_t i = 0; i < n; i++) d->w[i] = sample_weight ? sample_weight[i] : 1.0;
    if (d->k) {
        if (!(d->yc = malloc(n * sizeof *d->yc))) return data_oom(d, err);
        for (size_t i = 0; i < n; i++) d->yc[i] = (int32_t)knob_dataset_target(train, i);
        if (!strcmp(knob_params_str(&m->params, "class_weight"), "balanced")) {
            double *cw = calloc(d->k, sizeof *cw);
            if (!cw) return data_oom(d, err);
            for (size_t i = 0; i < n; i++) cw[d->yc[i]] += 1;
            for (size_t c = 0; c < d->k; c++) cw[c] = cw[c] > 0 ? (double)n / ((double)d->k * cw[c]) : 0;
            for (size_t i = 0; i < n; i++) d->w[i] *= cw[d->yc[i]];
            free(cw);
        }
    } else {
        if (!(d->y = malloc(n * sizeof *d->y))) return data_oom(d, err);
        knob_dataset_gather_y(train, d->y);
    }
    if (presort) {
        presort_ctx c = {d, NULL};
        int t = threads > 0 ? threads : knob_parallel_default_threads();
        if ((size_t)t > p) t = (int)p;
        d->order = malloc(p * n * sizeof *d->order);
        d->sorted = malloc(p * n * sizeof *d->sorted);
        c.buf = malloc((size_t)t * n * sizeof *c.buf);
        if (!d->order || !d->sorted || !c.buf) {
            free(c.buf);
            return data_oom(d, err);
        }
        knob_parallel_for(p, t, presort_task, &c);
        free(c.buf);
    }
    return KNOB_OK;
}

/* ---- prediction ----------------------------------------------------------------------------------- */

size_t knob_tree_argmax(const double *v, size_t k)
{
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (v[c] > v[best]) best = c;
    return best;
}

#define PREDICT_BLOCK 256

typedef struct {
    const knob_tree *trees;
    size_t n_trees, n_out, p;
    const knob_dataset *ds;
    double *buf;   /* threads x PREDICT_BLOCK x p row-major blocks */
    double *out;
} predict_ctx;

static void predict_task(void *ctx, size_t block, int worker)
{
    predict_ctx *c = ctx;
    const knob_dataset *ds = c->ds;
    size_t p = c->p, n_out = c->n_out, lo = block * PREDICT_BLOCK;
    size_t hi = lo + PREDICT_BLOCK < ds->n_rows ? lo + PREDICT_BLOCK : ds->n_rows;
    double *xb = c->buf + (size_t)worker * PREDICT_BLOCK * p;
    knob_gather_rows(ds, lo, hi - lo, xb);
    double *out = c->out + lo * n_out;
    memset(out, 0, (hi - lo) * n_out * sizeof *out);
    for (size_t t = 0; t < c->n_trees; t++)
        for (size_t i = 0; i < hi - lo; i++) {
            const double *v = knob_tree_leaf(&c->trees[t], xb + i * p, n_out);
            for (size_t o = 0; o < n_out; o++) out[i * n_out + o] += v[o];
        }
    double scale = 1.0 / (double)c->n_trees;
    if (c->n_trees > 1)
        for (size_t i = 0; i < (hi - lo) * n_out; i++) out[i] *= scale;
}

int knob_trees_check_missing(const knob_tree *trees, size_t n_trees, const knob_dataset *ds, char *const *names,
                              knob_err *err)
{
    size_t p = ds->frame->n_features, n = ds->n_rows;
    unsigned char *used = calloc(p ? p : 1, 1);
    if (!used) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    for (size_t t = 0; t < n_trees; t++)
        for (int32_t i = 0; i < trees[t].n_nodes; i++)
            if (trees[t].node[i].feature >= 0) used[trees[t].node[i].feature] = 1;
    for (size_t j = 0; j < p; j++) {
        if (!used[j]) continue;
        const double *x = ds->frame->X + j * ds->frame->n_rows;
        for (size_t i = 0; i < n; i++)
            if (isnan(x[knob_dataset_row(ds, i)])) {
                free(used);
                return knob_err_set(err, KNOB_EINVAL,
                                    "feature '%s' is missing (NaN) at row %zu (an unknown category level counts as "
                                    "missing); trees need complete data", names[j], i + 1);
            }
    }
    free(used);
    return KNOB_OK;
}

int knob_trees_predict(const knob_tree *trees, size_t n_trees, size_t n_out, const knob_dataset *ds,
                       char *const *names, int threads, double *out, knob_err *err)
{
    size_t p = ds->frame->n_features, n = ds->n_rows;
    int rc = knob_trees_check_missing(trees, n_trees, ds, names, err);
    if (rc || n == 0) return rc;
    size_t blocks = (n + PREDICT_BLOCK - 1) / PREDICT_BLOCK;
    int th = threads > 0 ? threads : knob_parallel_default_threads();
    if ((size_t)th > blocks) th = (int)blocks;
    predict_ctx c = {trees, n_trees, n_out, p, ds, malloc((size_t)th * PREDICT_BLOCK * (p ? p : 1) * sizeof(double)), out};
    if (!c.buf) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    knob_parallel_for(blocks, th, predict_task, &c);
    free(c.buf);
    return KNOB_OK;
}

size_t knob_tree_bytes(const knob_tree *t, size_t n_out)
{
    return sizeof *t + (size_t)t->n_nodes * (sizeof *t->node + (t->cover ? sizeof(double) : 0)) +
           (size_t)t->n_leaves * n_out * sizeof(double);
}

/* ---- persistence: base64 of little-endian int32 / float64 arrays -------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *src, size_t len)
{
    size_t out_len = 4 * ((len + 2) / 3);
    char *s = malloc(out_len + 1), *o = s;
    if (!s) return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16;
        if (i + 1 < len) v |= (uint32_t)src[i + 1] << 8;
        if (i + 2 < len) v |= src[i + 2];
        *o++ = B64[(v >> 18) & 63];
        *o++ = B64[(v >> 12) & 63];
        *o++ = i + 1 < len ? B64[(v >> 6) & 63] : '=';
        *o++ = i + 2 < len ? B64[v & 63] : '=';
    }
    *o = '\0';
    return s;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Decode exactly @p len bytes into @p dst; -1 if the text is not base64 of that length. */
static int b64_decode(const char *s, unsigned char *dst, size_t len)
{
    size_t sl = strlen(s);
    if (sl != 4 * ((len + 2) / 3)) return -1;
    size_t k = 0;
    for (size_t i = 0; i < sl; i += 4) {
        int v[4];
        for (int q = 0; q < 4; q++) {
            v[q] = b64_value(s[i + q]);
            int pad_ok = s[i + q] == '=' && i + 4 == sl && q >= 2 && (q == 3 || s[i + 3] == '=');
            if (v[q] < 0 && !pad_ok) return -1;
            if (v[q] < 0) v[q] = 0;
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        for (int q = 0; q < 3 && k < len; q++) dst[k++] = (unsigned char)(x >> (16 - 8 * q));
    }
    return 0;
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int q = 0; q < 4; q++) b[q] = (unsigned char)(v >> (8 * q));
}

static void put_f64(unsigned char *b, double x)
{
    uint64_t v;
    memcpy(&v, &x, sizeof v);
    for (int q = 0; q < 8; q++) b[q] = (unsigned char)(v >> (8 * q));
}

static uint32_t get_u32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static double get_f64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int q = 7; q >= 0; q--) v = v << 8 | b[q];
    double x;
    memcpy(&x, &v, sizeof x);
    return x;
}

enum { COL_FEATURE, COL_CHILD, COL_THRESHOLD, COL_VALUE, COL_COVER };

static int add_b64(cJSON *o, const char *name, const knob_tree *t, size_t n_out, int col)
{
    size_t count = col == COL_VALUE ? (size_t)t->n_leaves * n_out : (size_t)t->n_nodes;
    size_t width = col == COL_FEATURE || col == COL_CHILD ? 4 : 8;
    unsigned char *b = malloc(count * width + 1);
    if (!b) return KNOB_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        if (col == COL_FEATURE) put_u32(b + 4 * i, (uint32_t)t->node[i].feature);
        else if (col == COL_CHILD) put_u32(b + 4 * i, (uint32_t)t->node[i].child);
        else if (col == COL_THRESHOLD) put_f64(b + 8 * i, t->node[i].threshold);
        else if (col == COL_COVER) put_f64(b + 8 * i, t->cover[i]);
        else put_f64(b + 8 * i, t->value[i]);
    }
    char *s = b64_encode(b, count * width);
    free(b);
    if (!s) return KNOB_ENOMEM;
    cJSON *item = cJSON_AddStringToObject(o, name, s);
    free(s);
    return item ? KNOB_OK : KNOB_ENOMEM;
}

int knob_tree_to_json(const knob_tree *t, size_t n_out, cJSON *arr, knob_err *err)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return knob_err_set(err, KNOB_ENOMEM, "out of memory saving a tree");
    }
    cJSON_AddNumberToObject(o, "n_nodes", t->n_nodes);
    cJSON_AddNumberToObject(o, "n_leaves", t->n_leaves);
    if (add_b64(o, "feature", t, n_out, COL_FEATURE) || add_b64(o, "child", t, n_out, COL_CHILD) ||
        add_b64(o, "threshold", t, n_out, COL_THRESHOLD) || add_b64(o, "value", t, n_out, COL_VALUE) ||
        (t->cover && add_b64(o, "cover", t, n_out, COL_COVER)))
        return knob_err_set(err, KNOB_ENOMEM, "out of memory saving a tree");
    return KNOB_OK;
}

static int tree_bad(knob_err *err, const char *field, const char *what, const char *why)
{
    return knob_err_set(err, KNOB_EPARSE, "model file: %s.%s %s", field, what, why);
}

static int read_count(const cJSON *o, const char *name, const char *field, int32_t *out, knob_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= 1) || it->valuedouble > INT32_MAX ||
        it->valuedouble != floor(it->valuedouble))
        return tree_bad(err, field, name, "must be a whole number >= 1");
    *out = (int32_t)it->valuedouble;
    return KNOB_OK;
}

/* Decode base64 field @p name of @p count entries of @p width bytes into a new buffer *@p out. */
static int read_b64(const cJSON *o, const char *name, size_t count, size_t width, const char *field,
                    unsigned char **out, knob_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsString(it)) return tree_bad(err, field, name, "must be a base64 string");
    unsigned char *b = malloc(count * width);
    if (!b) return knob_err_set(err, KNOB_ENOMEM, "out of memory loading a tree");
    if (b64_decode(it->valuestring, b, count * width)) {
        free(b);
        char why[96];
        snprintf(why, sizeof why, "must be base64 of %zu little-endian %zu-byte values", count, width);
        return tree_bad(err, field, name, why);
    }
    *out = b;
    return KNOB_OK;
}

int knob_tree_from_json(knob_tree *t, const cJSON *obj, size_t p, size_t n_out, const char *field,
                        knob_err *err)
{
    memset(t, 0, sizeof *t);
    if (!cJSON_IsObject(obj)) return knob_err_set(err, KNOB_EPARSE, "model file: %s must be an object", field);
    int32_t nn, nl;
    int rc = read_count(obj, "n_nodes", field, &nn, err);
    if (!rc) rc = read_count(obj, "n_leaves", field, &nl, err);
    if (rc) return rc;
    if (nl > nn) return tree_bad(err, field, "n_leaves", "exceeds n_nodes");
    unsigned char *bf = NULL, *bc = NULL, *bt = NULL, *bv = NULL, *bw = NULL;
    int has_cover = cJSON_GetObjectItemCaseSensitive(obj, "cover") != NULL;
    int32_t *depth = NULL;
    if ((rc = read_b64(obj, "feature", (size_t)nn, 4, field, &bf, err)) ||
        (rc = read_b64(obj, "child", (size_t)nn, 4, field, &bc, err)) ||
        (rc = read_b64(obj, "threshold", (size_t)nn, 8, field, &bt, err)) ||
        (rc = read_b64(obj, "value", (size_t)nl * n_out, 8, field, &bv, err)) ||
        (has_cover && (rc = read_b64(obj, "cover", (size_t)nn, 8, field, &bw, err))))
        goto done;
    depth = calloc((size_t)nn, sizeof *depth);
    t->node = malloc((size_t)nn * sizeof *t->node);
    t->value = malloc((size_t)nl * n_out * sizeof *t->value);
    if (has_cover) t->cover = malloc((size_t)nn * sizeof *t->cover);
    if (!depth || !t->node || !t->value || (has_cover && !t->cover)) {
        rc = knob_err_set(err, KNOB_ENOMEM, "out of memory loading a tree");
        goto done;
    }
    t->n_nodes = nn;
    t->n_leaves = nl;
    for (int32_t i = 0; i < nn && !rc; i++) {
        int32_t f = (int32_t)get_u32(bf + 4 * i), c = (int32_t)get_u32(bc + 4 * i);
        double th = get_f64(bt + 8 * i);
        t->node[i] = (knob_tree_node){th, f, c};
        if (f < -1 || f >= (int64_t)p) rc = tree_bad(err, field, "feature", "has a feature index out of range");
        else if (f >= 0 && (c <= i || c >= nn - 1)) rc = tree_bad(err, field, "child", "has a child index out of range");
        else if (f < 0 && (c < 0 || c >= nl)) rc = tree_bad(err, field, "child", "has a leaf index out of range");
        else if (f >= 0 && !isfinite(th)) rc = tree_bad(err, field, "threshold", "has a non-finite threshold");
        else if (f >= 0) {
            depth[c] = depth[c + 1] = depth[i] + 1;
            if (depth[i] + 1 > t->depth) t->depth = depth[i] + 1;
        }
    }
    for (size_t i = 0; i < (size_t)nl * n_out && !rc; i++) {
        t->value[i] = get_f64(bv + 8 * i);
        if (!isfinite(t->value[i])) rc = tree_bad(err, field, "value", "has a non-finite leaf value");
    }
    for (int32_t i = 0; has_cover && i < nn && !rc; i++) {
        t->cover[i] = get_f64(bw + 8 * i);
        if (!(t->cover[i] >= 0) || !isfinite(t->cover[i]) || (t->node[i].feature >= 0 && !(t->cover[i] > 0)))
            rc = tree_bad(err, field, "cover", "has a negative or non-finite cover (or a split node with none)");
    }
done:
    free(bf);
    free(bc);
    free(bt);
    free(bv);
    free(bw);
    free(depth);
    if (rc) knob_tree_free(t);
    return rc;
}
