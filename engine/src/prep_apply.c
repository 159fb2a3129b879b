/* prep_apply.c — the transform step: match the dataset's columns to the fit-time schema by name and its
 * categorical values by level name, then write a new dataset in fit-time column order. */
#include "prep_impl.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const knob_prep *p;
    const prep_state *st;
    const knob_dataset *ds;
    knob_dataset *out;
    const size_t *src;    /* fit column j is column src[j] of ds */
    size_t *map;          /* scratch: one entry per level of a source column */
    const char **names;   /* scratch: output level names of a categorical column */
    double *tmp;          /* scratch: n values */
    knob_err *err;
} apply_ctx;

#define NO_CODE ((size_t)-1)

/* Match fit-time columns to ds by name; fills src. */
static int match_columns(const knob_prep *p, const knob_dataset *ds, size_t *src, knob_err *err)
{
    const prep_state *st = p->st;
    const knob_frame *f = ds->frame;
    const char *kn = knob_prep_kind_name(p->par.kind);
    prep_name *idx = malloc((f->n_features ? f->n_features : 1) * sizeof *idx);
    unsigned char *used = calloc(f->n_features ? f->n_features : 1, 1);
    int rc = KNOB_OK;
    if (!idx || !used) {
        rc = knob_err_set(err, KNOB_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t j = 0; j < f->n_features; j++) idx[j] = (prep_name){f->cols[j].name, j};
    const char *dup = prep_name_sort(idx, f->n_features);
    if (dup) {
        rc = knob_err_set(err, KNOB_EINVAL, "%s: the dataset has two columns named '%s'", kn, dup);
        goto done;
    }
    for (size_t j = 0; j < st->n_in; j++) {
        const prep_col *c = &st->cols[j];
        size_t s = prep_name_find(idx, f->n_features, c->name);
        if (s == NO_CODE) {
            rc = knob_err_set(err, KNOB_EINVAL, "%s: column '%s' (present at fit) is missing from the dataset", kn,
                              c->name);
            goto done;
        }
        if (f->cols[s].kind != c->kind) {
            rc = knob_err_set(err, KNOB_EINVAL, "%s: column '%s' was %s at fit but is %s here", kn, c->name,
                              c->kind == KNOB_COL_CATEGORICAL ? "categorical" : "numeric",
                              f->cols[s].kind == KNOB_COL_CATEGORICAL ? "categorical" : "numeric");
            goto done;
        }
        src[j] = s;
        used[s] = 1;
    }
    for (size_t s = 0; s < f->n_features; s++)
        if (!used[s]) {
            rc = knob_err_set(err, KNOB_EINVAL, "%s: column '%s' was not present at fit (%zu columns expected)", kn,
                              f->cols[s].name, st->n_in);
            goto done;
        }
done:
    free(idx);
    free(used);
    return rc;
}

/* Check that v holds valid level codes of the source column (or NaN). */
static int check_codes(apply_ctx *x, const prep_col *c, const knob_column *sc, const double *v)
{
    for (size_t i = 0; i < x->ds->n_rows; i++)
        if (!isnan(v[i]) && !(v[i] >= 0 && v[i] < (double)sc->n_levels && v[i] == floor(v[i])))
            return knob_err_set(x->err, KNOB_EINVAL, "%s: column '%s' row %zu: invalid level code %g (%zu levels)",
                                knob_prep_kind_name(x->p->par.kind), c->name, i + 1, v[i], sc->n_levels);
    return KNOB_OK;
}

/* A categorical column kept as categorical (passed through, or imputed): output levels are the fit-time
 * levels, then extra (a fill level not among them, may be NULL), then levels first seen here. */
static int write_categorical(apply_ctx *x, size_t j, size_t o, const char *extra)
{
    const prep_col *c = &x->st->cols[j];
    const knob_column *sc = &x->ds->frame->cols[x->src[j]];
    double *y = x->out->frame->X + o * x->ds->n_rows;
    size_t nl = 0, fill = NO_CODE;
    for (; nl < c->n_levels; nl++) x->names[nl] = c->levels[nl];
    if (extra) {
        fill = prep_name_find(c->level_index, c->n_levels, extra);
        if (fill == NO_CODE) {
            fill = nl;
            x->names[nl++] = extra;
        }
    }
    for (size_t k = 0; k < sc->n_levels; k++) {
        size_t m = prep_name_find(c->level_index, c->n_levels, sc->levels[k]);
        if (m == NO_CODE && extra && strcmp(sc->levels[k], extra) == 0) m = fill;
        if (m == NO_CODE) {
            m = nl;
            x->names[nl++] = sc->levels[k];
        }
        x->map[k] = m;
    }
    knob_dataset_gather_column(x->ds, x->src[j], y);
    if (check_codes(x, c, sc, y)) return KNOB_EINVAL;
    for (size_t i = 0; i < x->ds->n_rows; i++)
        y[i] = isnan(y[i]) ? (extra ? (double)fill : NAN) : (double)x->map[(size_t)y[i]];
    return knob_dataset_set_levels(x->out, o, x->names, nl, x->err);
}

/* Map the source column's levels to fit-time categories (NO_CODE when unknown); gathers values into tmp. */
static int map_categories(apply_ctx *x, size_t j)
{
    const prep_col *c = &x->st->cols[j];
    const knob_column *sc = &x->ds->frame->cols[x->src[j]];
    for (size_t k = 0; k < sc->n_levels; k++) x->map[k] = prep_find_sorted(c->cats, c->n_cats, sc->levels[k]);
    knob_dataset_gather_column(x->ds, x->src[j], x->tmp);
    return check_codes(x, c, sc, x->tmp);
}

static int unknown_error(apply_ctx *x, const prep_col *c, size_t i, const char *level, const char *hint)
{
    return knob_err_set(x->err, KNOB_EINVAL, "%s: column '%s' row %zu: %s%s%s not seen at fit (%s)",
                        knob_prep_kind_name(x->p->par.kind), c->name, i + 1, level ? "level '" : "missing value",
                        level ? level : "", level ? "'" : "", hint);
}

static int write_onehot(apply_ctx *x, size_t j, size_t o)
{
    const knob_prep_params *par = &x->p->par;
    const prep_col *c = &x->st->cols[j];
    const knob_column *sc = &x->ds->frame->cols[x->src[j]];
    size_t n = x->ds->n_rows, dropped;
    prep_onehot_width(par, c, &dropped);
    if (map_categories(x, j)) return KNOB_EINVAL;
    double *base = x->out->frame->X + o * n;
    for (size_t i = 0; i < n; i++) {
        double v = x->tmp[i];
        size_t k;
        if (isnan(v)) {
            if (par->missing == KNOB_MISSING_ERROR)
                return knob_err_set(x->err, KNOB_EINVAL, "onehot: column '%s' row %zu: missing value (option missing "
                                                         "= 'error')", c->name, i + 1);
            k = c->nan_cat ? c->n_cats : NO_CODE;
        } else k = x->map[(size_t)v];
        if (k == NO_CODE) {
            if (par->handle_unknown == KNOB_UNKNOWN_ERROR)
                return unknown_error(x, c, i, isnan(v) ? NULL : sc->levels[(size_t)v],
                                     "use handle_unknown = 'ignore' to encode it as all zeros");
            continue;
        }
        if (k == dropped) continue;
        base[(k - (dropped == 0 ? 1 : 0)) * n + i] = 1.0;
    }
    return KNOB_OK;
}

static int write_ordinal(apply_ctx *x, size_t j, size_t o)
{
    const knob_prep_params *par = &x->p->par;
    const prep_col *c = &x->st->cols[j];
    const knob_column *sc = &x->ds->frame->cols[x->src[j]];
    double *y = x->out->frame->X + o * x->ds->n_rows;
    if (map_categories(x, j)) return KNOB_EINVAL;
    for (size_t i = 0; i < x->ds->n_rows; i++) {
        double v = x->tmp[i];
        if (isnan(v)) {
            y[i] = NAN;
            continue;
        }
        size_t k = x->map[(size_t)v];
        if (k == NO_CODE && par->handle_unknown == KNOB_UNKNOWN_ERROR)
            return unknown_error(x, c, i, sc->levels[(size_t)v],
                                 "give unknown_value to encode unknown levels as that value");
        y[i] = k == NO_CODE ? par->unknown_value : (double)k;
    }
    return KNOB_OK;
}

/* A numeric column transformed in place (scalers, numeric imputation) or copied (kept by a filter). */
static void write_numeric(apply_ctx *x, size_t j, size_t o)
{
    const knob_prep_params *par = &x->p->par;
    const prep_col *c = &x->st->cols[j];
    size_t n = x->ds->n_rows;
    double *y = x->out->frame->X + o * n;
    knob_dataset_gather_column(x->ds, x->src[j], y);
    if (c->role != PREP_XFORM) return;
    switch (par->kind) {
    case KNOB_PREP_STANDARDIZE: {
        double mu = par->with_mean ? c->stat[0] : 0, s = par->with_std ? c->scale : 1;
        for (size_t i = 0; i < n; i++) y[i] = (y[i] - mu) / s;
        break;
    }
    case KNOB_PREP_MINMAX: { /* scikit-learn's X * scale_ + min_ */
        double range = c->stat[1] - c->stat[0];
        if (range < 10 * DBL_EPSILON) range = 1;
        double scale = (par->range_max - par->range_min) / range, shift = par->range_min - c->stat[0] * scale;
        for (size_t i = 0; i < n; i++) y[i] = y[i] * scale + shift;
        break;
    }
    case KNOB_PREP_ROBUST: {
        double mu = par->with_centering ? c->stat[0] : 0, s = par->with_scaling ? c->stat[1] : 1;
        for (size_t i = 0; i < n; i++) y[i] = (y[i] - mu) / s;
        break;
    }
    case KNOB_PREP_IMPUTE:
        for (size_t i = 0; i < n; i++)
            if (isnan(y[i])) y[i] = c->stat[0];
        break;
    default:
        break;
    }
}

/* All polynomial terms, into output columns o.. (products of the processed columns). */
static int write_poly(apply_ctx *x, size_t o)
{
    const prep_state *st = x->st;
    size_t n = x->ds->n_rows, deg = (size_t)x->p->par.degree;
    double *in = malloc((n && st->n_poly ? n * st->n_poly : 1) * sizeof *in);
    if (!in) return knob_err_set(x->err, KNOB_ENOMEM, "poly: out of memory");
    for (size_t k = 0; k < st->n_poly; k++) knob_dataset_gather_column(x->ds, x->src[st->poly_cols[k]], in + k * n);
    for (size_t t = 0; t < st->n_terms; t++) {
        double *y = x->out->frame->X + (o + t) * n;
        const size_t *a = st->terms + t * deg;
        size_t len = st->term_len[t];
        if (len == 0) {
            for (size_t i = 0; i < n; i++) y[i] = 1.0;
            continue;
        }
        memcpy(y, in + a[0] * n, n * sizeof *y);
        for (size_t m = 1; m < len; m++) {
            const double *v = in + a[m] * n;
            for (size_t i = 0; i < n; i++) y[i] *= v[i];
        }
    }
    free(in);
    return KNOB_OK;
}

static int write_columns(apply_ctx *x)
{
    const knob_prep_params *par = &x->p->par;
    const prep_state *st = x->st;
    size_t o = 0;
    int poly_done = 0;
    for (size_t j = 0; j < st->n_in; j++) {
        const prep_col *c = &st->cols[j];
        int rc = KNOB_OK;
        if (c->role == PREP_DROP) continue;
        if (c->role == PREP_XFORM && par->kind == KNOB_PREP_POLY) {
            if (!poly_done) rc = write_poly(x, o);
            o += poly_done ? 0 : st->n_terms;
            poly_done = 1;
        } else if (c->role == PREP_XFORM && par->kind == KNOB_PREP_ONEHOT) {
            rc = write_onehot(x, j, o);
            o += prep_onehot_width(par, c, NULL);
        } else if (c->role == PREP_XFORM && par->kind == KNOB_PREP_ORDINAL) {
            rc = write_ordinal(x, j, o++);
        } else if (c->kind == KNOB_COL_CATEGORICAL) {
            rc = write_categorical(x, j, o++, c->role == PREP_XFORM ? c->fill_level : NULL);
        } else {
            write_numeric(x, j, o++);
        }
        if (rc) return rc;
    }
    return KNOB_OK;
}

/* A new dataset of n rows with the output column names and ds's target. */
static knob_dataset *new_output(const prep_state *st, const knob_dataset *ds, knob_err *err)
{
    const knob_frame *f = ds->frame;
    size_t n_classes = f->task == KNOB_TASK_CLASSIFICATION ? f->target.n_levels : 0;
    knob_dataset *out = knob_dataset_new(ds->n_rows, st->n_out, f->task, n_classes, err);
    if (!out) return NULL;
    for (size_t o = 0; o < st->n_out; o++)
        if (knob_dataset_set_name(out, o, st->out_names[o], err)) goto fail;
    if (f->y) {
        if (f->target.name && knob_dataset_set_name(out, (size_t)-1, f->target.name, err)) goto fail;
        if (f->task == KNOB_TASK_CLASSIFICATION &&
            knob_dataset_set_levels(out, (size_t)-1, (const char *const *)f->target.levels, n_classes, err))
            goto fail;
        knob_dataset_gather_y(ds, out->frame->y);
    }
    return out;
fail:
    knob_dataset_free(&out);
    return NULL;
}

knob_dataset *prep_apply(const knob_prep *p, const knob_dataset *ds, knob_err *err)
{
    const prep_state *st = p->st;
    const knob_frame *f = ds->frame;
    size_t max_levels = 1;
    for (size_t j = 0; j < f->n_features; j++)
        if (f->cols[j].n_levels > max_levels) max_levels = f->cols[j].n_levels;
    for (size_t j = 0; j < st->n_in; j++)
        if (st->cols[j].n_levels + 1 > max_levels) max_levels = st->cols[j].n_levels + 1;
    apply_ctx x = {p, st, ds, NULL, NULL, NULL, NULL, NULL, err};
    size_t *src = malloc((st->n_in ? st->n_in : 1) * sizeof *src);
    x.src = src;
    x.map = malloc(max_levels * sizeof *x.map);
    x.names = malloc(2 * max_levels * sizeof *x.names);
    x.tmp = malloc((ds->n_rows ? ds->n_rows : 1) * sizeof *x.tmp);
    if (!src || !x.map || !x.names || !x.tmp) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        goto done;
    }
    if (match_columns(p, ds, src, err)) goto done;
    if (!(x.out = new_output(st, ds, err))) goto done;
    if (write_columns(&x)) knob_dataset_free(&x.out);
    else knob_dataset_count_missing(x.out);
done:
    free(src);
    free(x.map);
    free(x.names);
    free(x.tmp);
    return x.out;
}
