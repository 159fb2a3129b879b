/* err.c — filling knob_err records. */
#include "knob/err.h"

#include <stdarg.h>
#include <stdio.h>

int knob_err_set(knob_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void knob_err_clear(knob_err *err)
{
    if (err) {
        err->code = KNOB_OK;
        err->msg[0] = '\0';
    }
}
