/* util.c — string copies, string-array freeing and the double comparator shared by the core. */
#include "knob/util.h"

#include <stdlib.h>
#include <string.h>

char *knob_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

void knob_free_strings(char **a, size_t n)
{
    if (!a) return;
    for (size_t i = 0; i < n; i++) free(a[i]);
    free(a);
}

int knob_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
