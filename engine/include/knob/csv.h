/**
 * @file csv.h
 * @brief Reading and writing datasets as CSV (RFC 4180) with a header row.
 */
#ifndef KNOB_CSV_H
#define KNOB_CSV_H

#include <stddef.h>

#include "knob/dataset.h"
#include "knob/err.h"

/** Options for knob_csv_read. Zero-initialise, then set what you need (knob_csv_opts_init does that). */
typedef struct {
    char delimiter;               /**< field separator; 0 = detect from the header (',' ';' '\t' '|') */
    const char *target_name;      /**< target column by name, or NULL */
    long target_index;            /**< target column by 1-based index (negative counts from the end, -1 =
                                       last); 0 = none unless target_name is given */
    int task;                     /**< knob_task to force, or KNOB_TASK_NONE to infer (string or few-valued
                                       integer target → classification, otherwise regression) */
    size_t max_classes;           /**< inference: an integer target with at most this many distinct values
                                       is a classification target (0 = default 20) */
    const char *const *na_values; /**< extra strings read as missing (NULL-terminated), on top of the
                                       defaults: empty, NA, N/A, NaN, nan, NULL, null, ?  */
    const char *const *categorical; /**< column names forced categorical (NULL-terminated) */
    const char *const *numeric;   /**< column names forced numeric: a non-numeric value is an error */
} knob_csv_opts;

/** Set @p o to the defaults (auto delimiter, no target, infer task). */
void knob_csv_opts_init(knob_csv_opts *o);

/**
 * Read a CSV file with a header row into a new dataset. Numeric columns become doubles; a column with any
 * non-numeric, non-missing value becomes categorical (level codes in order of first appearance);
 * missing values become NaN and are counted per column. A classification target's classes are sorted
 * (numerically if all numeric, else lexicographically) so class codes do not depend on row order.
 *
 * Errors name the file, line and column: file not found (KNOB_EIO), empty file, duplicate header names,
 * ragged row, unterminated quote, unknown target column, non-numeric value in a column forced numeric,
 * missing target value (KNOB_EPARSE / KNOB_EINVAL).
 *
 * @param path file to read
 * @param opts options, or NULL for the defaults
 * @param err  error record
 * @return the dataset, or NULL with @p err set
 */
knob_dataset *knob_csv_read(const char *path, const knob_csv_opts *opts, knob_err *err);

/**
 * Parse CSV from memory (same rules as knob_csv_read; @p name is used in messages in place of a path).
 */
knob_dataset *knob_csv_parse(const char *data, size_t len, const char *name, const knob_csv_opts *opts,
                             knob_err *err);

/**
 * Write a dataset's view as CSV: header row, features then the target (if any), categorical values as their
 * level names, missing values as empty fields, doubles with %.17g (shortest round-trip form where
 * possible), fields quoted when they contain the delimiter, a quote or a line break.
 * @return KNOB_OK or KNOB_EIO with @p err set
 */
int knob_csv_write(const knob_dataset *ds, const char *path, char delimiter, knob_err *err);

#endif
