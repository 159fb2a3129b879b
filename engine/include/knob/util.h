/**
 * @file util.h
 * @brief Small helpers every part of the core uses: copying and freeing strings, comparing doubles.
 */
#ifndef KNOB_UTIL_H
#define KNOB_UTIL_H

#include <stddef.h>

/**
 * A malloc'd copy of @p s.
 * @return the copy (caller frees), or NULL when @p s is NULL or out of memory
 */
char *knob_strdup(const char *s);

/** Free @p a[0..n-1] and @p a itself. Safe on NULL. */
void knob_free_strings(char **a, size_t n);

/** qsort comparator for doubles in ascending order (the values must not be NaN). */
int knob_cmp_double(const void *a, const void *b);

#endif
