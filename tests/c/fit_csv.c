/* fit_csv.c — development driver: fit a model kind on a numeric CSV (header row, target = last column) and
 * print the saved model JSON. Usage: fit_csv file.csv kind [classification] [name=value ...] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/model.h"

static knob_dataset *read_numeric_csv(const char *path, int clf, knob_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char line[1 << 16];
    size_t cols = 0, rows = 0, cap = 1024;
    if (!fgets(line, sizeof line, f)) return NULL;
    for (char *c = line; *c; c++) cols += *c == ',';
    cols++;
    double *v = malloc(cap * cols * sizeof *v);
    while (fgets(line, sizeof line, f)) {
        if (rows == cap) v = realloc(v, (cap *= 2) * cols * sizeof *v);
        char *p = line;
        for (size_t j = 0; j < cols; j++) {
            v[rows * cols + j] = strtod(p, &p);
            if (*p == ',') p++;
        }
        rows++;
    }
    fclose(f);
    size_t K = 0;
    if (clf)
        for (size_t i = 0; i < rows; i++)
            if ((size_t)v[i * cols + cols - 1] + 1 > K) K = (size_t)v[i * cols + cols - 1] + 1;
    knob_dataset *ds = knob_dataset_new(rows, cols - 1, clf ? KNOB_TASK_CLASSIFICATION : KNOB_TASK_REGRESSION, K, err);
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j + 1 < cols; j++) ds->frame->X[j * rows + i] = v[i * cols + j];
        ds->frame->y[i] = v[i * cols + cols - 1];
    }
    free(v);
    return ds;
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    knob_err err = {0};
    int clf = argc > 3 && !strcmp(argv[3], "classification");
    knob_dataset *ds = read_numeric_csv(argv[1], clf, &err);
    if (!ds) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    knob_model *m = knob_model_new(argv[2], &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    for (int a = clf ? 4 : 3; a < argc; a++) {
        char *eq = strchr(argv[a], '=');
        *eq = 0;
        char *end;
        double x = strtod(eq + 1, &end);
        int rc = *end ? knob_params_set_str(&m->params, argv[2], argv[a], eq + 1, &err)
                      : knob_params_set_num(&m->params, argv[2], argv[a], x, &err);
        if (rc) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    }
    if (knob_model_fit(m, ds, NULL, &err)) {
        fprintf(stderr, "fit: %s\n", err.msg);
        return 1;
    }
    char *js = knob_model_to_json(m, &err);
    char *st = strstr(js, "\"state\"");
    printf("%s\nstatus=%s iterations=%zu fit_seconds=%g\n", st ? st : js, m->history.status, m->history.n, m->fit_seconds);
    free(js);
    knob_model_free(&m);
    knob_dataset_free(&ds);
    return 0;
}
