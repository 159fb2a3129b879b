/* csv.c — placeholder until the CSV reader lands. */
#include "knob/csv.h"

#include <string.h>

void knob_csv_opts_init(knob_csv_opts *o)
{
    memset(o, 0, sizeof *o);
}

knob_dataset *knob_csv_parse(const char *data, size_t len, const char *name, const knob_csv_opts *opts,
                             knob_err *err)
{
    (void)data, (void)len, (void)opts;
    knob_err_set(err, KNOB_EIO, "%s: CSV reader not implemented yet", name);
    return NULL;
}

knob_dataset *knob_csv_read(const char *path, const knob_csv_opts *opts, knob_err *err)
{
    return knob_csv_parse("", 0, path, opts, err);
}

int knob_csv_write(const knob_dataset *ds, const char *path, char delimiter, knob_err *err)
{
    (void)ds, (void)delimiter;
    return knob_err_set(err, KNOB_EIO, "%s: CSV writer not implemented yet", path);
}
