/* csv_write.c — the CSV writer: a dataset view back to a file that knob_csv_read reads identically. */
#include "knob/csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_space(char c, char delim)
{
    return c == ' ' || (c == '\t' && delim != '\t');
}

/* Would the reader take this text as a missing value? (the default spellings; spaces, and tabs unless
 * they delimit, ignored) */
static int reads_as_missing(const char *s, char delim)
{
    static const char *const na[] = {"", "NA", "N/A", "NaN", "nan", "NULL", "null", "?"};
    size_t n = strlen(s);
    while (n && is_space(s[n - 1], delim)) n--;
    while (n && is_space(*s, delim)) s++, n--;
    for (size_t k = 0; k < sizeof na / sizeof na[0]; k++)
        if (strlen(na[k]) == n && memcmp(na[k], s, n) == 0) return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Column c of the output: feature c, or the target when c == n_features. */
static const knob_column *out_column(const knob_frame *f, size_t c)
{
    return c < f->n_features ? &f->cols[c] : &f->target;
}

static int out_categorical(const knob_frame *f, size_t c)
{
    return c < f->n_features ? f->cols[c].kind == KNOB_COL_CATEGORICAL : f->task == KNOB_TASK_CLASSIFICATION;
}

static double out_value(const knob_dataset *ds, size_t i, size_t c)
{
    return c < ds->frame->n_features ? knob_dataset_value(ds, i, c) : knob_dataset_target(ds, i);
}

/* Validate before writing anything: names, levels, values that would not read back. */
static int check_writable(const knob_dataset *ds, const char *name, char delim, size_t nout, knob_err *err)
{
    const knob_frame *f = ds->frame;
    const char **names = malloc(nout * sizeof *names);
    if (!names) return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", name);
    int rc = KNOB_OK;
    for (size_t c = 0; c < nout && rc == KNOB_OK; c++) {
        const knob_column *col = out_column(f, c);
        names[c] = col->name ? col->name : "";
        if (!names[c][0]) rc = knob_err_set(err, KNOB_EINVAL, "%s: column %zu has an empty name", name, c + 1);
        for (size_t k = 0; k < col->n_levels && rc == KNOB_OK; k++)
            if (reads_as_missing(col->levels[k], delim))
                rc = knob_err_set(err, KNOB_EINVAL, "%s: column '%s': level '%s' would be read back as a missing value",
                                  name, names[c], col->levels[k]);
    }
    if (rc == KNOB_OK) {
        qsort(names, nout, sizeof *names, cmp_str);
        for (size_t c = 1; c < nout && rc == KNOB_OK; c++)
            if (strcmp(names[c - 1], names[c]) == 0)
                rc = knob_err_set(err, KNOB_EINVAL, "%s: duplicate column name '%s'", name, names[c]);
    }
    free(names);
    for (size_t c = 0; c < nout && rc == KNOB_OK; c++) {
        const knob_column *col = out_column(f, c);
        int cat = out_categorical(f, c);
        for (size_t i = 0; i < ds->n_rows; i++) {
            double v = out_value(ds, i, c);
            if (isinf(v))
                return knob_err_set(err, KNOB_EINVAL, "%s: column '%s', row %zu: infinite value cannot be written "
                                    "(the reader accepts finite numbers only)", name, col->name, i + 1);
            if (cat && !isnan(v) && !(v >= 0 && v < (double)col->n_levels && v == floor(v)))
                return knob_err_set(err, KNOB_EINVAL, "%s: column '%s', row %zu: level code %.17g out of range "
                                    "(%zu levels)", name, col->name, i + 1, v, col->n_levels);
            if (c == f->n_features && isnan(v))
                return knob_err_set(err, KNOB_EINVAL, "%s: row %zu: missing target value", name, i + 1);
        }
    }
    return rc;
}

typedef struct {
    FILE *out;
    char buf[1 << 16];
    size_t n;
    int failed;
} sink;

static void sink_flush(sink *s)
{
    if (s->n && fwrite(s->buf, 1, s->n, s->out) != s->n) s->failed = 1;
    s->n = 0;
}

static void sink_put(sink *s, const char *p, size_t n)
{
    if (s->n + n > sizeof s->buf) {
        sink_flush(s);
        if (n > sizeof s->buf) {
            if (fwrite(p, 1, n, s->out) != n) s->failed = 1;
            return;
        }
    }
    memcpy(s->buf + s->n, p, n);
    s->n += n;
}

/* A text field, quoted when it holds the delimiter, a quote or a line break, or starts with a UTF-8 byte
 * order mark (which the reader would skip at the start of the file). */
static void put_text(sink *s, const char *t, char delim)
{
    size_t n = strlen(t);
    if (!strpbrk(t, "\"\n\r") && !memchr(t, delim, n) && strncmp(t, "\xEF\xBB\xBF", 3) != 0) {
        sink_put(s, t, n);
        return;
    }
    sink_put(s, "\"", 1);
    for (const char *q; (q = strchr(t, '"')) != NULL; t = q + 1) {
        sink_put(s, t, (size_t)(q - t) + 1);
        sink_put(s, "\"", 1);
    }
    sink_put(s, t, strlen(t));
    sink_put(s, "\"", 1);
}

/* Columns written (features, then the target if any), or 0 with err set when the dataset cannot be
 * written as it is. */
static size_t check_dataset(const knob_dataset *ds, const char *name, char delimiter, knob_err *err)
{
    if (!ds || !ds->frame) return knob_err_set(err, KNOB_EINVAL, "%s: no dataset", name), 0;
    if (!strchr(",;\t|", delimiter))
        return knob_err_set(err, KNOB_EINVAL, "%s: delimiter must be one of ',' ';' '\\t' '|'", name), 0;
    const knob_frame *f = ds->frame;
    size_t nout = f->n_features + (f->y != NULL && f->task != KNOB_TASK_NONE);
    if (nout == 0) return knob_err_set(err, KNOB_EINVAL, "%s: the dataset has no columns to write", name), 0;
    return check_writable(ds, name, delimiter, nout, err) ? 0 : nout;
}

static int write_rows(const knob_dataset *ds, FILE *out, const char *name, char delimiter, size_t nout,
                      knob_err *err)
{
    const knob_frame *f = ds->frame;
    sink *s = malloc(sizeof *s);
    if (!s) return knob_err_set(err, KNOB_ENOMEM, "%s: out of memory", name);
    s->out = out;
    s->n = 0;
    s->failed = 0;
    for (size_t c = 0; c < nout; c++) {
        if (c) sink_put(s, &delimiter, 1);
        put_text(s, out_column(f, c)->name, delimiter);
    }
    sink_put(s, "\n", 1);
    for (size_t i = 0; i < ds->n_rows && !s->failed; i++) {
        for (size_t c = 0; c < nout; c++) {
            if (c) sink_put(s, &delimiter, 1);
            const knob_column *col = out_column(f, c);
            double v = out_value(ds, i, c);
            if (isnan(v)) {
                if (nout == 1) sink_put(s, "\"\"", 2); /* a lone empty field would be a blank line */
            } else if (out_categorical(f, c)) {
                put_text(s, col->levels[(size_t)v], delimiter);
            } else {
                char num[32];
                sink_put(s, num, knob_csv_format_double(v, num));
            }
        }
        sink_put(s, "\n", 1);
    }
    sink_flush(s);
    int failed = s->failed || ferror(out);
    free(s);
    if (failed) return knob_err_set(err, KNOB_EIO, "cannot write '%s': %s", name, strerror(errno));
    return KNOB_OK;
}

int knob_csv_write_stream(const knob_dataset *ds, FILE *out, const char *name, char delimiter, knob_err *err)
{
    knob_err local;
    if (!err) err = &local;
    if (!name) name = "<stream>";
    if (!delimiter) delimiter = ',';
    size_t nout = check_dataset(ds, name, delimiter, err);
    return nout ? write_rows(ds, out, name, delimiter, nout, err) : err->code;
}

int knob_csv_write(const knob_dataset *ds, const char *path, char delimiter, knob_err *err)
{
    knob_err local;
    if (!err) err = &local;
    if (!delimiter) delimiter = ',';
    size_t nout = check_dataset(ds, path, delimiter, err);
    if (!nout) return err->code; /* nothing created or truncated */
    FILE *fp = fopen(path, "wb");
    if (!fp) return knob_err_set(err, KNOB_EIO, "cannot open '%s' for writing: %s", path, strerror(errno));
    int rc = write_rows(ds, fp, path, delimiter, nout, err);
    if (fclose(fp) != 0 && rc == KNOB_OK)
        rc = knob_err_set(err, KNOB_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (rc != KNOB_OK) remove(path);
    return rc;
}
