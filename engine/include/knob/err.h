/**
 * @file err.h
 * @brief Error reporting for the knob core.
 *
 * Every fallible core function returns a status (KNOB_OK or a negative code) and fills a caller-supplied
 * knob_err with a message that names what went wrong and where (file, line, column, parameter). The core
 * never prints, never exits and never longjmps.
 */
#ifndef KNOB_ERR_H
#define KNOB_ERR_H

#include <stddef.h>

/** Status codes. KNOB_OK is zero; every failure is negative. */
typedef enum {
    KNOB_OK = 0,
    KNOB_EIO = -1,      /**< a file could not be opened, read or written */
    KNOB_EPARSE = -2,   /**< malformed input (CSV, JSON) */
    KNOB_EINVAL = -3,   /**< an invalid argument or option value (misuse) */
    KNOB_ENOMEM = -4,   /**< an allocation failed */
    KNOB_ESTATE = -5,   /**< the object is in the wrong state (e.g. transform before fit) */
    KNOB_EUNDEF = -6    /**< the quantity is mathematically undefined for this input */
} knob_status;

/** Caller-supplied error record. */
typedef struct {
    int code;           /**< a knob_status */
    char msg[512];      /**< NUL-terminated human-readable message */
} knob_err;

/**
 * Fill @p err (if non-NULL) with @p code and a printf-style message.
 * @param err  the error record, may be NULL
 * @param code the status to record (negative)
 * @param fmt  printf-style format
 * @return @p code, so a caller can write `return knob_err_set(err, KNOB_EINVAL, "...")`
 */
int knob_err_set(knob_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/**
 * Reset @p err to "no error".
 * @param err the error record, may be NULL
 */
void knob_err_clear(knob_err *err);

#endif
