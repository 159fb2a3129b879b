/* json_io.c — exact ("%.17g") numbers and number arrays for cJSON documents. */
#include "knob/json_io.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

cJSON *knob_json_exact(double v)
{
    if (!isfinite(v)) return cJSON_CreateNull();
    char buf[32];
    snprintf(buf, sizeof buf, "%.17g", v);
    return cJSON_CreateRaw(buf);
}

cJSON *knob_json_exact_array(const double *v, size_t n)
{
    size_t cap = 25 * n + 3, used = 0; /* "%.17g" needs at most 24 characters, plus a comma */
    char *buf = malloc(cap);
    if (!buf) return NULL;
    buf[used++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) buf[used++] = ',';
        if (isfinite(v[i])) used += (size_t)snprintf(buf + used, cap - used, "%.17g", v[i]);
        else used += (size_t)snprintf(buf + used, cap - used, "null");
    }
    buf[used++] = ']';
    buf[used] = '\0';
    cJSON *raw = cJSON_CreateRaw(buf);
    free(buf);
    return raw;
}
