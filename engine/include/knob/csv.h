/**
 * @file csv.h
 * @brief Reading and writing datasets as CSV (RFC 4180) with a header row.
 *
 * The format read:
 *  - The first record is the header: one non-empty, unique name per column.
 *  - Delimiter: ',' ';' '\t' or '|', given or detected (the candidate that occurs most often in the header,
 *    outside quotes, preferring one that occurs equally often in the first data row; ties go in the order
 *    listed; a header without any of them is one column).
 *  - RFC 4180 quoting: a field that starts with '"' is quoted; inside it the delimiter and line breaks are
 *    literal and '""' stands for one quote; after the closing quote must come the delimiter or the end of
 *    the line. A quote inside an unquoted field is an ordinary character.
 *  - Line breaks: LF, CRLF or a lone CR. A UTF-8 byte order mark at the start is skipped. Empty lines at
 *    the end of the file are ignored; an empty line between rows is an error (with one column: a missing
 *    value). A NUL byte in a field is an error.
 *  - Missing values: a field whose text, with surrounding spaces (and tabs, unless the delimiter is a tab)
 *    removed, is empty or one of NA, N/A, NaN, nan, NULL, null, ? (or a string in opts.na_values) is
 *    missing (NaN). Quoting does not matter ("NA" quoted is missing too). Counted per column.
 *  - Numbers: [+|-] digits [. digits] [(e|E) [+|-] digits] (digits may be on either side of the point, at
 *    least one in all), surrounded by optional spaces. Nothing else is a number: no hexadecimal, no
 *    thousands separators, no decimal comma, no "nan"/"inf" spelled out (other than the missing-value
 *    spellings above). Parsing is correctly rounded and bit-identical to strtod in the "C" locale (a
 *    Clinger fast path for up to 19 significant digits and |exponent| <= 22, strtod otherwise, with the
 *    decimal point adapted if the process locale is not "C"), so it never depends on LC_NUMERIC.
 *  - Infinity: "inf", "Infinity" (any case, signed) and numbers that overflow a double (1e999) are errors
 *    in a column that is numeric (KNOB_EPARSE, naming the first such value); knob datasets hold finite
 *    values or NaN. In a categorical column they are ordinary strings.
 *  - Column kinds: a column whose non-missing values are all numbers is numeric; a column with any other
 *    value is categorical (kept as level codes 0..L-1, levels in order of first appearance, the level name
 *    being the field's text verbatim, spaces included). opts.categorical / opts.numeric force a kind; a
 *    non-number in a forced-numeric column is an error.
 *  - Target: by name or 1-based index (opts). It may not have missing values. Task inference: a
 *    categorical target, or a numeric one whose values are all integers with at most max_classes distinct
 *    values, is classification; otherwise regression. Classes are sorted (numerically for a numeric
 *    target, named by their shortest round-trip text, e.g. "0", "1", "2.5"; bytewise for a string target),
 *    so class codes do not depend on row order.
 *
 * Error codes: KNOB_EINVAL for options that are wrong whatever the file holds (bad delimiter, task,
 * max_classes, both target_name and target_index, a column both forced numeric and categorical,
 * regression with a forced-categorical target); KNOB_EIO when the file cannot be read; KNOB_EPARSE for
 * everything that depends on the content (malformed CSV, unknown target or forced column, missing target
 * value, ...). Messages start with the file name and, where there is one, "line L, column C ('name')".
 */
#ifndef KNOB_CSV_H
#define KNOB_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "knob/dataset.h"
#include "knob/err.h"

/** Options for knob_csv_read. Zero-initialise, then set what you need (knob_csv_opts_init does that). */
typedef struct {
    char delimiter;               /**< field separator: ',' ';' '\t' '|'; 0 = detect */
    const char *target_name;      /**< target column by name, or NULL */
    long target_index;            /**< target column by 1-based index (negative counts from the end, -1 =
                                       last); 0 = none unless target_name is given (not both) */
    int task;                     /**< knob_task to force, or KNOB_TASK_NONE to infer (string or few-valued
                                       integer target → classification, otherwise regression); forcing a
                                       task needs a target */
    size_t max_classes;           /**< inference: an integer target with at most this many distinct values
                                       is a classification target (0 = default 20) */
    const char *const *na_values; /**< extra strings read as missing (NULL-terminated), on top of the
                                       defaults: empty, NA, N/A, NaN, nan, NULL, null, ?  */
    const char *const *categorical; /**< column names forced categorical (NULL-terminated) */
    const char *const *numeric;   /**< column names forced numeric: a non-numeric value is an error */
} knob_csv_opts;

/** Default max_classes for task inference. */
#define KNOB_CSV_MAX_CLASSES 20

/** Set @p o to the defaults (auto delimiter, no target, infer task). @param o options to reset */
void knob_csv_opts_init(knob_csv_opts *o);

/**
 * Read a CSV file with a header row into a new dataset (rules in the file comment above). Numeric columns
 * become doubles; a column with any non-numeric, non-missing value becomes categorical (level codes in
 * order of first appearance); missing values become NaN and are counted per column. A classification
 * target's classes are sorted (numerically if all numeric, else bytewise) so class codes do not depend on
 * row order.
 *
 * Errors name the file, line and column: file not found (KNOB_EIO "cannot open 'path': No such file or
 * directory"), empty file, header only ("no data rows"), empty or duplicate header names, ragged row,
 * unterminated quote, text after a closing quote, unknown target or forced column, non-numeric value in a
 * column forced numeric, infinite value in a numeric column, missing target value.
 *
 * @param path file to read
 * @param opts options, or NULL for the defaults
 * @param err  error record
 * @return the dataset (caller frees with knob_dataset_free), or NULL with @p err set
 */
knob_dataset *knob_csv_read(const char *path, const knob_csv_opts *opts, knob_err *err);

/**
 * Parse CSV from memory (same rules as knob_csv_read). @p data need not be NUL-terminated.
 * @param data the CSV text
 * @param len  its length in bytes
 * @param name used in messages in place of a path (NULL: "<string>")
 * @param opts options, or NULL for the defaults
 * @param err  error record
 * @return the dataset, or NULL with @p err set
 */
knob_dataset *knob_csv_parse(const char *data, size_t len, const char *name, const knob_csv_opts *opts,
                             knob_err *err);

/**
 * Write a dataset's view as CSV: header row, features then the target (if any), categorical values and
 * classes as their level names, missing values as empty fields, numbers in their shortest round-trip form
 * (%.15g, %.16g or %.17g, whichever reads back bit-identical; never locale-dependent), LF line ends;
 * fields quoted when they contain the delimiter, a quote or a line break, or start with a UTF-8 byte
 * order mark; with a single column a missing value is written "" (an empty line would be skipped).
 * Reading the file back with the same target and forced kinds gives the same dataset. Values that could
 * not be read back as written are an error (KNOB_EINVAL, naming column and row): an infinite value, a
 * categorical code out of range, an empty column name, a level name that reads as missing (e.g. "NA").
 * @param ds        the dataset
 * @param path      file to create or truncate
 * @param delimiter ',' ';' '\t' or '|' (0 = ',')
 * @param err       error record
 * @return KNOB_OK, KNOB_EINVAL or KNOB_EIO with @p err set
 */
int knob_csv_write(const knob_dataset *ds, const char *path, char delimiter, knob_err *err);

/**
 * Like knob_csv_write, to an open stream (not closed; @p name is used in messages).
 * @return KNOB_OK, KNOB_EINVAL or KNOB_EIO with @p err set
 */
int knob_csv_write_stream(const knob_dataset *ds, FILE *out, const char *name, char delimiter,
                          knob_err *err);

/**
 * Parse a number with the reader's rules (syntax above, surrounding spaces and tabs allowed) from
 * @p s[0..len-1]; the whole text must be the number.
 * @param s   text (need not be NUL-terminated)
 * @param len its length
 * @param out the value (correctly rounded; ±HUGE_VAL on overflow)
 * @return 1 if the text is a number, 0 if not, -1 when out of memory (only numbers longer than 127
 *         characters need a temporary buffer)
 */
int knob_csv_parse_double(const char *s, size_t len, double *out);

/**
 * Format a finite double in its shortest round-trip form ("%.15g", "%.16g" or "%.17g", the first that
 * reads back bit-identical) with '.' as the decimal point whatever the locale. -0 is written "-0".
 * @param v   the value
 * @param buf at least 32 bytes
 * @return the length written
 */
size_t knob_csv_format_double(double v, char *buf);

#endif
