/*
 * prep_impl.h — private to the preprocessing transformers (preprocess.c, prep_*.c). Not a public API.
 *
 * A fitted transformer holds a prep_state: the fit-time schema (one prep_col per feature column of the
 * fit dataset, in order), per-column learned values, and derived data rebuilt after fit and after loading
 * from JSON (output names, polynomial terms).
 */
#ifndef KNOB_PREP_IMPL_H
#define KNOB_PREP_IMPL_H

#include <stddef.h>

#include "knob/util.h"
#include "knob/dataset.h"
#include "knob/err.h"
#include "knob/prep.h"

/** What a transform does with one fit-time column. */
enum { PREP_PASS = 0, PREP_XFORM = 1, PREP_DROP = 2 };

/** Maximal number of polynomial output terms. */
#define PREP_MAX_POLY_TERMS ((size_t)1 << 20)
/** Maximal polynomial degree. */
#define PREP_MAX_DEGREE 16

/* A lookup of names (columns, levels): entries sorted by name. */
typedef struct {
    const char *name;
    size_t idx;
} prep_name;
/* Sort idx[0..n-1] (filled by the caller) by name; returns the name of a duplicate, or NULL. */
const char *prep_name_sort(prep_name *idx, size_t n);
/* The idx field of the entry named name, or (size_t)-1. */
size_t prep_name_find(const prep_name *idx, size_t n, const char *name);

typedef struct {
    /* schema */
    char *name;
    int kind;               /* knob_col_kind at fit */
    size_t n_levels;        /* categorical: fit-time level names, in code order */
    char **levels;
    prep_name *level_index; /* derived: the levels sorted by name (lookup by name) */
    /* role and learned values */
    int role;               /* PREP_PASS / PREP_XFORM / PREP_DROP */
    double stat[2];         /* standardize: mean, var; minmax: data min, max; robust: center, scale;
                               impute (numeric): fill value; variance_filter: variance (NaN = undefined) */
    double scale;           /* standardize: divisor (1 for a constant column) */
    size_t n_cats;          /* onehot/ordinal: categories seen at fit, sorted by name */
    char **cats;
    int nan_cat;            /* onehot: NaN was seen at fit and is the last category */
    char *fill_level;       /* impute on a categorical column: the level name filling NaN */
    size_t partner;         /* corr_filter, dropped column: the kept column it correlates with */
    double r;               /* corr_filter, dropped column: that correlation */
} prep_col;

typedef struct {
    size_t n_in;
    prep_col *cols;
    /* derived */
    size_t n_out;
    char **out_names;
    size_t n_poly;          /* poly: processed columns and their fit-time indices */
    size_t *poly_cols;
    size_t n_terms;         /* poly: output terms, each a sorted tuple of up to degree positions into
                               poly_cols (term_len[t] entries at terms[t * degree]) */
    size_t *terms;
    unsigned char *term_len;
} prep_state;

struct knob_prep {
    knob_prep_params par;   /* own copy: columns and fill_level point into owned memory */
    char **own_columns;
    char *own_fill_level;
    prep_state *st;         /* NULL until fitted */
};

/* ---- preprocess.c: shared helpers ---- */
void prep_state_free(prep_state **st);
/* Rebuild the derived parts of st (level orders, poly terms, output names); checks output names unique. */
int prep_state_derive(const knob_prep *p, prep_state *st, knob_err *err);
/* Whether this transformer can process a column of kind col_kind (a knob_col_kind). */
int prep_accepts(const knob_prep_params *par, int col_kind);

/* Number of onehot output columns of c, and the category index dropped (or (size_t)-1). */
size_t prep_onehot_width(const knob_prep_params *par, const prep_col *c, size_t *dropped);
/* Index of name in the sorted array a[0..n-1], or (size_t)-1. */
size_t prep_find_sorted(char *const *a, size_t n, const char *name);
/* Sort an array of strings in byte order. */
void prep_sort_strings(char **a, size_t n);
/* Whether a sorted array of strings is strictly increasing (sorted, no duplicates). */
int prep_strings_strictly_sorted(char *const *a, size_t n);

/* ---- prep_fit.c: the learning step of each kind ---- */
int prep_fit_columns(const knob_prep *p, prep_state *st, const knob_dataset *ds, knob_err *err);

/* ---- prep_apply.c: the transform step ---- */
knob_dataset *prep_apply(const knob_prep *p, const knob_dataset *ds, knob_err *err);

#endif
