/**
 * @file json_io.h
 * @brief Writing doubles into cJSON documents so they read back bit for bit.
 *
 * cJSON's own number printer keeps only 15 significant digits whenever its approximate round-trip test
 * passes, which can change the last bits of a double. Models, transformers and studies persist numbers
 * through these functions instead: "%.17g" text inserted as a raw JSON value (the C locale is assumed; knob
 * never calls setlocale). NaN and infinities have no JSON form and are written as null.
 */
#ifndef KNOB_JSON_IO_H
#define KNOB_JSON_IO_H

#include <stddef.h>

struct cJSON;

/**
 * A JSON number holding @p v exactly (null when @p v is not finite).
 * @return a new cJSON item (caller adds or deletes it), or NULL when out of memory
 */
struct cJSON *knob_json_exact(double v);

/**
 * A JSON array of @p n numbers written exactly (non-finite entries as null), built as one raw value so
 * large arrays (model weights) cost one allocation.
 * @return a new cJSON item, or NULL when out of memory
 */
struct cJSON *knob_json_exact_array(const double *v, size_t n);

#endif
