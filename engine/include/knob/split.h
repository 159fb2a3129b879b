/**
 * @file split.h
 * @brief Train/test splits and cross-validation splitters on plain index arrays.
 *
 * Every splitter works on rows 0..n-1 and writes 0-based row indices (or a fold number per row) into
 * caller-allocated buffers. Class codes (for stratification) and group codes are dense integers
 * 0..K-1; knob_split_encode_numbers / knob_split_encode_strings turn arbitrary labels into such codes.
 *
 * Conventions shared by all splitters:
 * - Output index lists are ascending (row order is preserved inside every part).
 * - Randomness comes only from the knob_rng passed in, through its integer paths (knob_rng_shuffle,
 *   knob_rng_below): the same seed gives the same folds on every machine.
 * - Without shuffling the folds equal scikit-learn 1.2's KFold, StratifiedKFold, GroupKFold and
 *   TimeSeriesSplit (same fold order, same members).
 * - Stratified splitters re-encode classes in order of first appearance (like scikit-learn), so the
 *   result does not depend on how the labels were coded; classes absent from the rows are ignored.
 */
#ifndef KNOB_SPLIT_H
#define KNOB_SPLIT_H

#include <stddef.h>

#include "knob/dataset.h"
#include "knob/err.h"
#include "knob/rng.h"

/** Contiguous train and test ranges of one time-series split: train [train_begin, train_end), test
 *  [test_begin, test_end). */
typedef struct {
    size_t train_begin, train_end;
    size_t test_begin, test_end;
} knob_split_range;

/**
 * Encode numeric labels as dense codes in ascending order of value (like numpy.unique).
 * @param n        number of labels
 * @param labels   n labels; NaN is rejected
 * @param codes    out: n codes in 0..*n_levels-1
 * @param n_levels out: number of distinct labels
 * @param err      error record
 * @return KNOB_OK, KNOB_EINVAL (a NaN label, naming its 1-based row) or KNOB_ENOMEM
 */
int knob_split_encode_numbers(size_t n, const double *labels, size_t *codes, size_t *n_levels,
                              knob_err *err);

/**
 * Encode string labels as dense codes in ascending byte order (strcmp; locale-independent).
 * @param n        number of labels
 * @param labels   n NUL-terminated strings (not copied, must stay valid during the call)
 * @param codes    out: n codes in 0..*n_levels-1
 * @param n_levels out: number of distinct labels
 * @param err      error record
 * @return KNOB_OK or KNOB_ENOMEM
 */
int knob_split_encode_strings(size_t n, const char *const *labels, size_t *codes, size_t *n_levels,
                              knob_err *err);

/**
 * The class codes of a classification dataset's rows (its target values as integers).
 * @param ds        the dataset (view)
 * @param codes     out: ds->n_rows codes in 0..*n_classes-1
 * @param n_classes out: number of classes of the target
 * @param err       error record
 * @return KNOB_OK, or KNOB_EINVAL when the dataset has no target, a regression target, or a missing
 *         (NaN) or out-of-range class value
 */
int knob_split_class_codes(const knob_dataset *ds, size_t *codes, size_t *n_classes, knob_err *err);

/**
 * Resolve a test-size specification into a row count, as scikit-learn does.
 * @param n      number of rows
 * @param test   a fraction in (0, 1) (rounded up: ceil(test * n)) or a whole count >= 1
 * @param n_test out: number of test rows; both parts are non-empty
 * @param err    error record
 * @return KNOB_OK or KNOB_EINVAL (test not in (0, 1) and not a whole number >= 1, or an empty part)
 */
int knob_split_resolve_test(size_t n, double test, size_t *n_test, knob_err *err);

/**
 * Split rows 0..n-1 into a training and a test part.
 *
 * Without stratification and without shuffling the test part is the last n_test rows. Shuffled, it is a
 * random subset of n_test rows. Stratified (@p y non-NULL), each class c of n_c rows puts
 * floor(n_c * n_test / n) or one more of its rows into the test part (largest remainders get the extra
 * rows; ties broken at random when shuffling, else by first appearance), so every class is within one
 * row of its proportional share in both parts; the rows taken are random (shuffle) or the class's last
 * rows (no shuffle). Like scikit-learn, stratification fails when a class has a single row, or when a
 * part has fewer rows than there are classes.
 *
 * @param n         number of rows (at most 2^32 - 1 when stratifying)
 * @param y         class codes of the rows, or NULL for no stratification
 * @param n_classes number of codes (codes must be < n_classes); ignored when @p y is NULL
 * @param n_test    test rows, 1 <= n_test < n (see knob_split_resolve_test)
 * @param shuffle   non-zero: pick rows at random
 * @param rng       generator (used only when @p shuffle; may then not be NULL)
 * @param train     out: n - n_test ascending row indices
 * @param test      out: n_test ascending row indices
 * @param err       error record
 * @return KNOB_OK, KNOB_EINVAL (bad sizes or codes, unstratifiable classes) or KNOB_ENOMEM
 */
int knob_split_train_test(size_t n, const size_t *y, size_t n_classes, size_t n_test, int shuffle,
                          knob_rng *rng, size_t *train, size_t *test, knob_err *err);

/**
 * K-fold assignment: fold[i] is the test fold of row i. The first n % k folds have n / k + 1 rows, the
 * others n / k. Unshuffled, folds are consecutive blocks (scikit-learn's KFold); shuffled, the rows are
 * permuted first.
 * @param n       number of rows
 * @param k       number of folds, 2 <= k <= n
 * @param shuffle non-zero: assign a random permutation of the rows
 * @param rng     generator (used only when @p shuffle)
 * @param fold    out: n fold numbers in 0..k-1
 * @param err     error record
 * @return KNOB_OK or KNOB_EINVAL
 */
int knob_split_kfold(size_t n, size_t k, int shuffle, knob_rng *rng, size_t *fold, knob_err *err);

/**
 * Stratified k-fold assignment with scikit-learn's StratifiedKFold allocation: the rows sorted by class
 * (first-appearance order) are dealt round-robin to the folds, which fixes how many rows of each class
 * every fold gets (within one of n_c / k; fold sizes within one of n / k). Each class's rows are then
 * given their folds in row order (no shuffle: blocks, as scikit-learn) or in a random order (shuffle).
 * Unlike scikit-learn (which warns), a class with fewer than k rows is an error: a fold without that
 * class would make per-fold metrics undefined.
 * @param n         number of rows
 * @param y         n class codes
 * @param n_classes number of codes (codes must be < n_classes)
 * @param k         number of folds, 2 <= k <= n
 * @param shuffle   non-zero: shuffle each class's fold labels
 * @param rng       generator (used only when @p shuffle)
 * @param fold      out: n fold numbers in 0..k-1
 * @param err       error record
 * @return KNOB_OK, KNOB_EINVAL or KNOB_ENOMEM
 */
int knob_split_stratified_kfold(size_t n, const size_t *y, size_t n_classes, size_t k, int shuffle,
                                knob_rng *rng, size_t *fold, knob_err *err);

/**
 * Group k-fold assignment (scikit-learn 1.2's GroupKFold): groups, largest first (ties: higher code
 * first), each go whole to the fold with the fewest rows so far (ties: lowest fold). No group is in two
 * folds.
 * @param n        number of rows
 * @param groups   n group codes
 * @param n_groups number of codes (codes must be < n_groups)
 * @param k        number of folds, 2 <= k <= number of distinct groups present
 * @param fold     out: n fold numbers in 0..k-1
 * @param err      error record
 * @return KNOB_OK, KNOB_EINVAL or KNOB_ENOMEM
 */
int knob_split_group_kfold(size_t n, const size_t *groups, size_t n_groups, size_t k, size_t *fold,
                           knob_err *err);

/**
 * The train and test rows of fold @p f of an assignment (ascending).
 * @param n       number of rows
 * @param fold    n fold numbers
 * @param f       the fold wanted
 * @param train   out: rows with fold != f (room for n)
 * @param n_train out: their number
 * @param test    out: rows with fold == f (room for n)
 * @param n_test  out: their number
 */
void knob_split_fold_indices(size_t n, const size_t *fold, size_t f, size_t *train, size_t *n_train,
                             size_t *test, size_t *n_test);

/**
 * Time-series splits (scikit-learn's TimeSeriesSplit): n_splits consecutive test blocks of test_size
 * rows ending at the last row; each split trains on the rows before its test block minus @p gap rows,
 * keeping only the last @p max_train of them when set.
 * @param n         number of rows
 * @param n_splits  number of splits, >= 2, with n_splits + 1 <= n
 * @param max_train maximum training rows, 0 for no limit
 * @param test_size test rows per split, 0 for n / (n_splits + 1)
 * @param gap       rows left out between the training and the test block
 * @param out       out: n_splits ranges
 * @param err       error record
 * @return KNOB_OK or KNOB_EINVAL (too many splits for n, test_size and gap)
 */
int knob_split_time_series(size_t n, size_t n_splits, size_t max_train, size_t test_size, size_t gap,
                           knob_split_range *out, knob_err *err);

#endif
