/* preprocess.c — transformer objects: parameters and their checks, lifecycle, the fit-time schema and
 * column selection, and the derived state (name lookups, polynomial terms, output names). The learning
 * step is in prep_fit.c, the transform in prep_apply.c, JSON in prep_json.c. */
#include "prep_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[KNOB_PREP_N_KINDS] = {
    "standardize", "minmax", "robust", "impute", "onehot", "ordinal", "poly", "variance_filter", "corr_filter",
};

const char *knob_prep_kind_name(int kind)
{
    return kind >= 0 && kind < KNOB_PREP_N_KINDS ? kind_names[kind] : "?";
}

int knob_prep_kind_from_name(const char *name)
{
    for (int k = 0; k < KNOB_PREP_N_KINDS; k++)
        if (name && strcmp(name, kind_names[k]) == 0) return k;
    return -1;
}

/* ---- small shared helpers ---- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const prep_name *)a)->name, ((const prep_name *)b)->name);
}

const char *prep_name_sort(prep_name *idx, size_t n)
{
    if (n > 1) qsort(idx, n, sizeof *idx, cmp_name);
    for (size_t i = 1; i < n; i++)
        if (strcmp(idx[i - 1].name, idx[i].name) == 0) return idx[i].name;
    return NULL;
}

size_t prep_name_find(const prep_name *idx, size_t n, const char *name)
{
    prep_name key = {name, 0};
    const prep_name *hit = n ? bsearch(&key, idx, n, sizeof *idx, cmp_name) : NULL;
    return hit ? hit->idx : (size_t)-1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void prep_sort_strings(char **a, size_t n)
{
    if (n > 1) qsort(a, n, sizeof *a, cmp_str);
}

size_t prep_find_sorted(char *const *a, size_t n, const char *name)
{
    char *const *hit = n ? bsearch(&name, a, n, sizeof *a, cmp_str) : NULL;
    return hit ? (size_t)(hit - a) : (size_t)-1;
}

int prep_strings_strictly_sorted(char *const *a, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(a[i - 1], a[i]) >= 0) return 0;
    return 1;
}

int prep_accepts(const knob_prep_params *par, int col_kind)
{
    switch (par->kind) {
    case KNOB_PREP_ONEHOT:
    case KNOB_PREP_ORDINAL:
        return col_kind == KNOB_COL_CATEGORICAL;
    case KNOB_PREP_IMPUTE:
        return col_kind == KNOB_COL_NUMERIC || par->strategy == KNOB_IMPUTE_MOST_FREQUENT ||
               par->strategy == KNOB_IMPUTE_CONSTANT;
    default:
        return col_kind == KNOB_COL_NUMERIC;
    }
}

size_t prep_onehot_width(const knob_prep_params *par, const prep_col *c, size_t *dropped)
{
    size_t total = c->n_cats + (c->nan_cat ? 1 : 0);
    size_t d = (size_t)-1;
    if ((par->drop == KNOB_DROP_FIRST && total >= 1) || (par->drop == KNOB_DROP_IF_BINARY && total == 2)) d = 0;
    if (dropped) *dropped = d;
    return total - (d == 0 ? 1 : 0);
}

/* ---- parameters ---- */

void knob_prep_params_init(knob_prep_params *p, int kind)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->with_mean = p->with_std = 1;
    p->range_min = 0;
    p->range_max = 1;
    p->q_low = 25;
    p->q_high = 75;
    p->with_centering = p->with_scaling = 1;
    p->strategy = KNOB_IMPUTE_MEAN;
    p->fill_value = 0;
    p->handle_unknown = KNOB_UNKNOWN_ERROR;
    p->drop = KNOB_DROP_NONE;
    p->missing = KNOB_MISSING_CATEGORY;
    p->unknown_value = NAN;
    p->degree = 2;
    p->threshold = kind == KNOB_PREP_CORR ? 0.95 : 0;
}

static int check_columns(const knob_prep_params *p, const char *kn, knob_err *err)
{
    if (!p->columns) return KNOB_OK;
    if (p->n_columns == 0)
        return knob_err_set(err, KNOB_EINVAL, "%s: option 'columns' is empty (omit it to use the default columns)", kn);
    for (size_t i = 0; i < p->n_columns; i++) {
        if (!p->columns[i] || !p->columns[i][0])
            return knob_err_set(err, KNOB_EINVAL, "%s: option 'columns': entry %zu is not a column name", kn, i + 1);
        for (size_t k = 0; k < i; k++)
            if (strcmp(p->columns[i], p->columns[k]) == 0)
                return knob_err_set(err, KNOB_EINVAL, "%s: option 'columns': column '%s' is listed twice", kn,
                                    p->columns[i]);
    }
    return KNOB_OK;
}

int knob_prep_params_check(const knob_prep_params *p, knob_err *err)
{
    if (!p) return knob_err_set(err, KNOB_EINVAL, "transformer parameters are NULL");
    if (p->kind < 0 || p->kind >= KNOB_PREP_N_KINDS)
        return knob_err_set(err, KNOB_EINVAL, "unknown transformer kind %d", p->kind);
    const char *kn = kind_names[p->kind];
    if (check_columns(p, kn, err)) return KNOB_EINVAL;
    switch (p->kind) {
    case KNOB_PREP_MINMAX:
        if (!isfinite(p->range_min) || !isfinite(p->range_max) || !(p->range_min < p->range_max))
            return knob_err_set(err, KNOB_EINVAL,
                                "minmax: option 'range' must be {min, max} with finite min < max (got {%g, %g})",
                                p->range_min, p->range_max);
        break;
    case KNOB_PREP_ROBUST:
        if (!(p->q_low >= 0 && p->q_low < p->q_high && p->q_high <= 100))
            return knob_err_set(err, KNOB_EINVAL,
                                "robust: option 'quantile_range' must be {low, high} with 0 <= low < high <= 100 "
                                "(got {%g, %g})", p->q_low, p->q_high);
        break;
    case KNOB_PREP_IMPUTE:
        if (p->strategy < KNOB_IMPUTE_MEAN || p->strategy > KNOB_IMPUTE_CONSTANT)
            return knob_err_set(err, KNOB_EINVAL, "impute: invalid strategy %d", p->strategy);
        if (!isfinite(p->fill_value))
            return knob_err_set(err, KNOB_EINVAL, "impute: option 'fill_value' must be finite (got %g)", p->fill_value);
        if (p->fill_level && !p->fill_level[0])
            return knob_err_set(err, KNOB_EINVAL, "impute: option 'fill_value' must not be an empty level name");
        break;
    case KNOB_PREP_ONEHOT:
        if (p->handle_unknown != KNOB_UNKNOWN_ERROR && p->handle_unknown != KNOB_UNKNOWN_IGNORE)
            return knob_err_set(err, KNOB_EINVAL, "onehot: option 'handle_unknown' must be 'error' or 'ignore'");
        if (p->drop < KNOB_DROP_NONE || p->drop > KNOB_DROP_IF_BINARY)
            return knob_err_set(err, KNOB_EINVAL, "onehot: option 'drop' must be nil, 'first' or 'if_binary'");
        if (p->missing != KNOB_MISSING_CATEGORY && p->missing != KNOB_MISSING_ERROR)
            return knob_err_set(err, KNOB_EINVAL, "onehot: option 'missing' must be 'category' or 'error'");
        break;
    case KNOB_PREP_ORDINAL:
        if (p->handle_unknown != KNOB_UNKNOWN_ERROR && p->handle_unknown != KNOB_UNKNOWN_VALUE)
            return knob_err_set(err, KNOB_EINVAL,
                                "ordinal: option 'handle_unknown' must be 'error' or 'use_encoded_value'");
        if (p->handle_unknown == KNOB_UNKNOWN_VALUE && !isnan(p->unknown_value) &&
            !(isfinite(p->unknown_value) && p->unknown_value == floor(p->unknown_value)))
            return knob_err_set(err, KNOB_EINVAL, "ordinal: option 'unknown_value' must be an integer or NaN (got %g)",
                                p->unknown_value);
        break;
    case KNOB_PREP_POLY:
        if (p->degree < 1 || p->degree > PREP_MAX_DEGREE)
            return knob_err_set(err, KNOB_EINVAL, "poly: option 'degree' must be in 1..%d (got %d)", PREP_MAX_DEGREE,
                                p->degree);
        break;
    case KNOB_PREP_VARIANCE:
        if (!(p->threshold >= 0) || !isfinite(p->threshold))
            return knob_err_set(err, KNOB_EINVAL,
                                "variance_filter: option 'threshold' must be finite and >= 0 (got %g)", p->threshold);
        break;
    case KNOB_PREP_CORR:
        if (!(p->threshold >= 0 && p->threshold <= 1))
            return knob_err_set(err, KNOB_EINVAL, "corr_filter: option 'threshold' must be in [0, 1] (got %g)",
                                p->threshold);
        break;
    default:
        break;
    }
    return KNOB_OK;
}

/* ---- lifecycle ---- */

knob_prep *knob_prep_new(const knob_prep_params *par, knob_err *err)
{
    if (knob_prep_params_check(par, err)) return NULL;
    knob_prep *p = calloc(1, sizeof *p);
    if (!p) goto oom;
    p->par = *par;
    p->par.columns = NULL;
    p->par.fill_level = NULL;
    if (par->columns) {
        if (!(p->own_columns = calloc(par->n_columns, sizeof(char *)))) goto oom;
        for (size_t i = 0; i < par->n_columns; i++)
            if (!(p->own_columns[i] = knob_strdup(par->columns[i]))) goto oom;
        p->par.columns = (const char *const *)p->own_columns;
    }
    if (!(p->own_fill_level = knob_strdup(par->fill_level ? par->fill_level : "missing"))) goto oom;
    p->par.fill_level = p->own_fill_level;
    return p;
oom:
    knob_prep_free(&p);
    knob_err_set(err, KNOB_ENOMEM, "out of memory creating a transformer");
    return NULL;
}

static void col_free(prep_col *c)
{
    free(c->name);
    knob_free_strings(c->levels, c->n_levels);
    free(c->level_index);
    knob_free_strings(c->cats, c->n_cats);
    free(c->fill_level);
}

void prep_state_free(prep_state **st)
{
    if (!st || !*st) return;
    prep_state *s = *st;
    if (s->cols)
        for (size_t j = 0; j < s->n_in; j++) col_free(&s->cols[j]);
    free(s->cols);
    knob_free_strings(s->out_names, s->n_out);
    free(s->poly_cols);
    free(s->terms);
    free(s->term_len);
    free(s);
    *st = NULL;
}

void knob_prep_free(knob_prep **p)
{
    if (!p || !*p) return;
    prep_state_free(&(*p)->st);
    knob_free_strings((*p)->own_columns, (*p)->par.n_columns);
    free((*p)->own_fill_level);
    free(*p);
    *p = NULL;
}

const knob_prep_params *knob_prep_get_params(const knob_prep *p)
{
    return &p->par;
}

int knob_prep_is_fitted(const knob_prep *p)
{
    return p->st != NULL;
}

size_t knob_prep_n_inputs(const knob_prep *p)
{
    return p->st ? p->st->n_in : 0;
}

size_t knob_prep_n_outputs(const knob_prep *p)
{
    return p->st ? p->st->n_out : 0;
}

/* ---- derived state ---- */

/* Number of combinations of k out of n (with repetition if rep), capped at cap + 1. */
static size_t n_combinations(size_t n, size_t k, int rep, size_t cap)
{
    size_t top = rep ? n + k - 1 : n; /* C(top, k) */
    if (k > top) return 0;
    unsigned long long c = 1;
    for (size_t i = 1; i <= k; i++) {
        c = c * (unsigned long long)(top - k + i) / i;
        if (c > cap) return cap + 1;
    }
    return (size_t)c;
}

/* Enumerate scikit-learn's PolynomialFeatures terms: the bias (empty tuple), then for each degree the
 * combinations (with replacement unless interaction_only) in lexicographic order. */
static int derive_poly(const knob_prep *p, prep_state *st, knob_err *err)
{
    size_t n = 0, deg = (size_t)p->par.degree;
    for (size_t j = 0; j < st->n_in; j++) n += st->cols[j].role == PREP_XFORM;
    size_t total = p->par.include_bias && n ? 1 : 0; /* no processed column: no block at all */
    for (size_t d = 1; d <= deg; d++) {
        total += n_combinations(n, d, !p->par.interaction_only, PREP_MAX_POLY_TERMS);
        if (total > PREP_MAX_POLY_TERMS)
            return knob_err_set(err, KNOB_EINVAL,
                                "poly: degree %zu on %zu columns gives more than %zu output columns", deg, n,
                                PREP_MAX_POLY_TERMS);
    }
    st->n_poly = n;
    st->n_terms = total;
    st->poly_cols = malloc((n ? n : 1) * sizeof *st->poly_cols);
    st->terms = malloc((total ? total : 1) * deg * sizeof *st->terms);
    st->term_len = malloc(total ? total : 1);
    if (!st->poly_cols || !st->terms || !st->term_len) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    n = 0;
    for (size_t j = 0; j < st->n_in; j++)
        if (st->cols[j].role == PREP_XFORM) st->poly_cols[n++] = j;
    size_t t = 0, a[PREP_MAX_DEGREE];
    if (total && p->par.include_bias) st->term_len[t++] = 0;
    int rep = !p->par.interaction_only;
    for (size_t d = 1; d <= deg && n; d++) {
        if (!rep && d > n) break;
        for (size_t i = 0; i < d; i++) a[i] = rep ? 0 : i;
        for (;;) {
            memcpy(st->terms + t * deg, a, d * sizeof *a);
            st->term_len[t++] = (unsigned char)d;
            size_t i = d;
            while (i > 0 && a[i - 1] >= (rep ? n - 1 : n - d + i - 1)) i--;
            if (i == 0) break;
            a[i - 1]++;
            for (size_t m = i; m < d; m++) a[m] = rep ? a[i - 1] : a[m - 1] + 1;
        }
    }
    return KNOB_OK;
}

/* Name of polynomial term t: "1", "a", "a^2", "a b", "a^2 b". */
static char *poly_term_name(const knob_prep *p, const prep_state *st, size_t t)
{
    const size_t *a = st->terms + t * (size_t)p->par.degree;
    size_t len = st->term_len[t], bytes = 2;
    for (size_t i = 0; i < len; i++) bytes += strlen(st->cols[st->poly_cols[a[i]]].name) + 8;
    char *s = malloc(bytes);
    if (!s) return NULL;
    if (len == 0) {
        memcpy(s, "1", 2);
        return s;
    }
    size_t at = 0;
    for (size_t i = 0; i < len;) {
        size_t run = 1;
        while (i + run < len && a[i + run] == a[i]) run++;
        const char *nm = st->cols[st->poly_cols[a[i]]].name;
        size_t nl = strlen(nm);
        if (at) s[at++] = ' ';
        memcpy(s + at, nm, nl);
        at += nl;
        if (run > 1) {
            s[at++] = '^';
            if (run >= 10) s[at++] = (char)('0' + run / 10);
            s[at++] = (char)('0' + run % 10);
        }
        i += run;
    }
    s[at] = '\0';
    return s;
}

/* "col=level" */
static char *join_name(const char *col, const char *level)
{
    size_t a = strlen(col), b = strlen(level);
    char *s = malloc(a + b + 2);
    if (!s) return NULL;
    memcpy(s, col, a);
    s[a] = '=';
    memcpy(s + a + 1, level, b + 1);
    return s;
}

static size_t count_outputs(const knob_prep *p, const prep_state *st)
{
    size_t n = 0;
    for (size_t j = 0; j < st->n_in; j++) {
        const prep_col *c = &st->cols[j];
        if (c->role == PREP_PASS) n++;
        else if (c->role == PREP_XFORM) {
            if (p->par.kind == KNOB_PREP_ONEHOT) n += prep_onehot_width(&p->par, c, NULL);
            else if (p->par.kind != KNOB_PREP_POLY) n++;
        }
    }
    return n + (p->par.kind == KNOB_PREP_POLY ? st->n_terms : 0);
}

static int derive_names(const knob_prep *p, prep_state *st, knob_err *err)
{
    size_t n = count_outputs(p, st), o = 0;
    if (!(st->out_names = calloc(n ? n : 1, sizeof(char *)))) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    st->n_out = n;
    int poly_done = 0;
    for (size_t j = 0; j < st->n_in; j++) {
        const prep_col *c = &st->cols[j];
        if (c->role == PREP_DROP) continue;
        if (c->role == PREP_PASS || (p->par.kind != KNOB_PREP_ONEHOT && p->par.kind != KNOB_PREP_POLY)) {
            if (!(st->out_names[o++] = knob_strdup(c->name))) goto oom;
        } else if (p->par.kind == KNOB_PREP_ONEHOT) {
            size_t dropped, total = c->n_cats + (c->nan_cat ? 1 : 0);
            prep_onehot_width(&p->par, c, &dropped);
            for (size_t k = 0; k < total; k++) {
                if (k == dropped) continue;
                if (!(st->out_names[o++] = join_name(c->name, k < c->n_cats ? c->cats[k] : "nan"))) goto oom;
            }
        } else if (!poly_done) {
            poly_done = 1;
            for (size_t t = 0; t < st->n_terms; t++)
                if (!(st->out_names[o++] = poly_term_name(p, st, t))) goto oom;
        }
    }
    prep_name *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) goto oom;
    for (size_t i = 0; i < n; i++) idx[i] = (prep_name){st->out_names[i], i};
    const char *dup = prep_name_sort(idx, n);
    int rc = dup ? knob_err_set(err, KNOB_EINVAL,
                                "%s: the output column name '%s' would appear twice (rename the input column)",
                                knob_prep_kind_name(p->par.kind), dup)
                 : KNOB_OK;
    free(idx);
    return rc;
oom:
    return knob_err_set(err, KNOB_ENOMEM, "out of memory naming output columns");
}

int prep_state_derive(const knob_prep *p, prep_state *st, knob_err *err)
{
    for (size_t j = 0; j < st->n_in; j++) {
        prep_col *c = &st->cols[j];
        if (c->kind != KNOB_COL_CATEGORICAL) continue;
        if (!(c->level_index = malloc((c->n_levels ? c->n_levels : 1) * sizeof *c->level_index)))
            return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        for (size_t k = 0; k < c->n_levels; k++) c->level_index[k] = (prep_name){c->levels[k], k};
        const char *dup = prep_name_sort(c->level_index, c->n_levels);
        if (dup) return knob_err_set(err, KNOB_EINVAL, "column '%s': duplicate level '%s'", c->name, dup);
    }
    if (p->par.kind == KNOB_PREP_POLY && derive_poly(p, st, err)) return err ? err->code : KNOB_EINVAL;
    return derive_names(p, st, err);
}

/* ---- fit ---- */

/* Record the schema of ds and mark the selected columns PREP_XFORM. */
static int capture_schema(const knob_prep *p, prep_state *st, const knob_dataset *ds, knob_err *err)
{
    const knob_frame *f = ds->frame;
    const char *kn = knob_prep_kind_name(p->par.kind);
    st->n_in = f->n_features;
    if (!(st->cols = calloc(f->n_features ? f->n_features : 1, sizeof *st->cols))) goto oom;
    for (size_t j = 0; j < f->n_features; j++) {
        const knob_column *src = &f->cols[j];
        prep_col *c = &st->cols[j];
        c->kind = src->kind;
        if (!(c->name = knob_strdup(src->name))) goto oom;
        if (src->kind == KNOB_COL_CATEGORICAL) {
            if (!(c->levels = calloc(src->n_levels ? src->n_levels : 1, sizeof(char *)))) goto oom;
            for (size_t k = 0; k < src->n_levels; k++) {
                if (!(c->levels[k] = knob_strdup(src->levels[k]))) goto oom;
                c->n_levels = k + 1;
            }
        }
    }
    prep_name *idx = malloc((st->n_in ? st->n_in : 1) * sizeof *idx);
    if (!idx) goto oom;
    for (size_t j = 0; j < st->n_in; j++) idx[j] = (prep_name){st->cols[j].name, j};
    const char *dup = prep_name_sort(idx, st->n_in);
    int rc = KNOB_OK;
    if (dup) rc = knob_err_set(err, KNOB_EINVAL, "%s: the dataset has two columns named '%s'", kn, dup);
    for (size_t i = 0; !rc && p->par.columns && i < p->par.n_columns; i++) {
        const char *name = p->par.columns[i];
        size_t j = prep_name_find(idx, st->n_in, name);
        if (j == (size_t)-1)
            rc = knob_err_set(err, KNOB_EINVAL, "%s: column '%s' (option 'columns') is not in the dataset", kn, name);
        else if (!prep_accepts(&p->par, st->cols[j].kind))
            rc = knob_err_set(err, KNOB_EINVAL, "%s: column '%s' is %s; %s processes %s columns%s", kn, name,
                              st->cols[j].kind == KNOB_COL_CATEGORICAL ? "categorical" : "numeric", kn,
                              st->cols[j].kind == KNOB_COL_CATEGORICAL ? "numeric" : "categorical",
                              p->par.kind == KNOB_PREP_IMPUTE ? " with this strategy (use most_frequent or constant)"
                                                              : "");
        else st->cols[j].role = PREP_XFORM;
    }
    free(idx);
    if (!p->par.columns)
        for (size_t j = 0; j < st->n_in; j++)
            if (prep_accepts(&p->par, st->cols[j].kind)) st->cols[j].role = PREP_XFORM;
    return rc;
oom:
    return knob_err_set(err, KNOB_ENOMEM, "out of memory recording the dataset's columns");
}

int knob_prep_fit(knob_prep *p, const knob_dataset *ds, knob_err *err)
{
    const char *kn = knob_prep_kind_name(p->par.kind);
    if (!ds) return knob_err_set(err, KNOB_EINVAL, "%s: fit needs a dataset", kn);
    if (ds->n_rows == 0) return knob_err_set(err, KNOB_EINVAL, "%s: cannot fit on a dataset with no rows", kn);
    prep_state *st = calloc(1, sizeof *st);
    if (!st) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    int rc = capture_schema(p, st, ds, err);
    if (!rc) rc = prep_fit_columns(p, st, ds, err);
    if (!rc) rc = prep_state_derive(p, st, err);
    if (rc) {
        prep_state_free(&st);
        return rc;
    }
    prep_state_free(&p->st);
    p->st = st;
    return KNOB_OK;
}

knob_dataset *knob_prep_transform(const knob_prep *p, const knob_dataset *ds, knob_err *err)
{
    const char *kn = knob_prep_kind_name(p->par.kind);
    if (!p->st) {
        knob_err_set(err, KNOB_ESTATE, "%s: transformer is not fitted (call fit first)", kn);
        return NULL;
    }
    if (!ds) {
        knob_err_set(err, KNOB_EINVAL, "%s: transform needs a dataset", kn);
        return NULL;
    }
    return prep_apply(p, ds, err);
}

knob_dataset *knob_prep_fit_transform(knob_prep *p, const knob_dataset *ds, knob_err *err)
{
    if (knob_prep_fit(p, ds, err)) return NULL;
    return knob_prep_transform(p, ds, err);
}
