/* params.c — hyperparameter sets: defaults, typed setters with range checks, lookups. */
#include "knob/params.h"
#include "knob/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t spec_count(const knob_param_spec *spec)
{
    size_t n = 0;
    while (spec[n].name) n++;
    return n;
}

int knob_params_init(knob_params *p, const knob_param_spec *spec, knob_err *err)
{
    p->spec = spec;
    p->n = spec_count(spec);
    p->v = calloc(p->n ? p->n : 1, sizeof *p->v);
    if (!p->v) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++) {
        const knob_param_spec *s = &spec[i];
        knob_param_value *v = &p->v[i];
        v->is_set = !s->nullable;
        v->num = s->def;
        if (s->type == KNOB_PT_STR && s->def_str) {
            if (!(v->str = knob_strdup(s->def_str))) {
                knob_params_free(p);
                return knob_err_set(err, KNOB_ENOMEM, "out of memory");
            }
            v->is_set = 1;
        }
        if (s->nullable && s->type != KNOB_PT_STR && !isnan(s->def)) v->is_set = 1;
    }
    return KNOB_OK;
}

void knob_params_free(knob_params *p)
{
    if (!p->v) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].str);
        free(p->v[i].list);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

int knob_params_copy(knob_params *dst, const knob_params *src, knob_err *err)
{
    dst->spec = src->spec;
    dst->n = src->n;
    dst->v = calloc(src->n ? src->n : 1, sizeof *dst->v);
    if (!dst->v) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    for (size_t i = 0; i < src->n; i++) {
        dst->v[i] = src->v[i];
        dst->v[i].str = NULL;
        dst->v[i].list = NULL;
        if (src->v[i].str && !(dst->v[i].str = knob_strdup(src->v[i].str))) goto oom;
        if (src->v[i].n_list) {
            if (!(dst->v[i].list = malloc(src->v[i].n_list * sizeof(double)))) goto oom;
            memcpy(dst->v[i].list, src->v[i].list, src->v[i].n_list * sizeof(double));
        }
    }
    return KNOB_OK;
oom:
    knob_params_free(dst);
    return knob_err_set(err, KNOB_ENOMEM, "out of memory");
}

int knob_params_find(const knob_params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->spec[i].name, name) == 0) return (int)i;
    return -1;
}

void knob_params_names(const knob_param_spec *spec, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; spec[i].name && used + 1 < size; i++) {
        size_t len = strlen(spec[i].name);
        if (used + len + 3 >= size) break;
        if (i) {
            memcpy(buf + used, ", ", 2);
            used += 2;
        }
        memcpy(buf + used, spec[i].name, len);
        used += len;
        buf[used] = '\0';
    }
}

static int lookup(knob_params *p, const char *what, const char *name, int type, knob_err *err)
{
    int i = knob_params_find(p, name);
    if (i < 0) {
        char names[400];
        knob_params_names(p->spec, names, sizeof names);
        return knob_err_set(err, KNOB_EINVAL, "%s: unknown hyperparameter '%s' (valid: %s)", what, name, names);
    }
    int t = p->spec[i].type;
    int ok = t == type || (type == KNOB_PT_NUM && (t == KNOB_PT_INT || t == KNOB_PT_BOOL)) ||
             (type == KNOB_PT_LIST && t == KNOB_PT_NUM_LIST);
    if (!ok) {
        static const char *tn[] = {"?", "a number", "an integer", "a boolean", "a string", "a list",
                                   "a list of numbers"};
        return knob_err_set(err, KNOB_EINVAL, "%s: hyperparameter '%s' must be %s", what, name, tn[t]);
    }
    return i;
}

static int check_range(const knob_param_spec *s, const char *what, double v, knob_err *err)
{
    if (!isfinite(v))
        return knob_err_set(err, KNOB_EINVAL, "%s: hyperparameter '%s' must be finite (got %g)", what, s->name, v);
    if (s->type == KNOB_PT_INT || s->type == KNOB_PT_LIST) {
        if (v != floor(v))
            return knob_err_set(err, KNOB_EINVAL, "%s: hyperparameter '%s' must be an integer (got %.17g)", what,
                                s->name, v);
    }
    if (s->type == KNOB_PT_BOOL && v != 0 && v != 1)
        return knob_err_set(err, KNOB_EINVAL, "%s: hyperparameter '%s' must be a boolean", what, s->name);
    int below = s->lo_open ? !(v > s->lo) : !(v >= s->lo);
    int above = s->hi_open ? !(v < s->hi) : !(v <= s->hi);
    if (!isnan(s->lo) && below)
        return knob_err_set(err, KNOB_EINVAL, "%s: hyperparameter '%s' must be %s %.17g (got %.17g)", what,
                            s->name, s->lo_open ? ">" : ">=", s->lo, v);
    if (!isnan(s->hi) && above)
        return knob_err_set(err, KNOB_EINVAL, "%s: hyperparameter '%s' must be %s %.17g (got %.17g)", what,
                            s->name, s->hi_open ? "<" : "<=", s->hi, v);
    return KNOB_OK;
}

int knob_params_set_num(knob_params *p, const char *what, const char *name, double v, knob_err *err)
{
    int i = lookup(p, what, name, KNOB_PT_NUM, err);
    if (i < 0) return i;
    int rc = check_range(&p->spec[i], what, v, err);
    if (rc) return rc;
    p->v[i].num = v;
    p->v[i].is_set = 1;
    return KNOB_OK;
}

int knob_params_set_str(knob_params *p, const char *what, const char *name, const char *v, knob_err *err)
{
    int i = lookup(p, what, name, KNOB_PT_STR, err);
    if (i < 0) return i;
    const knob_param_spec *s = &p->spec[i];
    if (s->choices) {
        int ok = 0;
        for (size_t k = 0; s->choices[k]; k++) ok |= strcmp(s->choices[k], v) == 0;
        if (!ok) {
            char list[300] = "";
            size_t used = 0;
            for (size_t k = 0; s->choices[k]; k++) {
                size_t len = strlen(s->choices[k]);
                if (used + len + 3 >= sizeof list) break;
                if (k) {
                    memcpy(list + used, ", ", 2);
                    used += 2;
                }
                memcpy(list + used, s->choices[k], len + 1);
                used += len;
            }
            return knob_err_set(err, KNOB_EINVAL, "%s: hyperparameter '%s' must be one of %s (got '%s')", what,
                                name, list, v);
        }
    }
    char *copy = knob_strdup(v);
    if (!copy) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    free(p->v[i].str);
    p->v[i].str = copy;
    p->v[i].is_set = 1;
    return KNOB_OK;
}

int knob_params_set_list(knob_params *p, const char *what, const char *name, const double *v, size_t n,
                         knob_err *err)
{
    int i = lookup(p, what, name, KNOB_PT_LIST, err);
    if (i < 0) return i;
    for (size_t k = 0; k < n; k++) {
        int rc = check_range(&p->spec[i], what, v[k], err);
        if (rc) return rc;
    }
    double *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    if (n) memcpy(copy, v, n * sizeof *copy);
    free(p->v[i].list);
    p->v[i].list = copy;
    p->v[i].n_list = n;
    p->v[i].is_set = 1;
    return KNOB_OK;
}

int knob_params_unset(knob_params *p, const char *what, const char *name, knob_err *err)
{
    int i = knob_params_find(p, name);
    if (i < 0) return lookup(p, what, name, KNOB_PT_NUM, err);
    if (!p->spec[i].nullable)
        return knob_err_set(err, KNOB_EINVAL, "%s: hyperparameter '%s' cannot be unset", what, name);
    p->v[i].is_set = 0;
    return KNOB_OK;
}

double knob_params_num(const knob_params *p, const char *name)
{
    int i = knob_params_find(p, name);
    return i >= 0 && p->v[i].is_set ? p->v[i].num : 0;
}

int knob_params_is_set(const knob_params *p, const char *name)
{
    int i = knob_params_find(p, name);
    return i >= 0 && p->v[i].is_set;
}

const char *knob_params_str(const knob_params *p, const char *name)
{
    int i = knob_params_find(p, name);
    return i >= 0 && p->v[i].is_set ? p->v[i].str : NULL;
}

const double *knob_params_list(const knob_params *p, const char *name, size_t *n)
{
    int i = knob_params_find(p, name);
    *n = i >= 0 ? p->v[i].n_list : 0;
    return i >= 0 ? p->v[i].list : NULL;
}
