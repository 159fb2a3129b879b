/* model.c — the generic model object: creation, validation, fit/predict dispatch, JSON persistence. */
#include "knob/model.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knob/json_io.h"
#include "knob/sysinfo.h"
#include "knob/util.h"

#define MODEL_FORMAT "knob.model"
#define MODEL_VERSION 1

knob_model *knob_model_new(const char *kind, knob_err *err)
{
    const knob_model_vtable *vt = knob_model_find_kind(kind);
    if (!vt) {
        size_t n;
        const knob_model_vtable *const *all = knob_model_kinds(&n);
        char list[512] = "";
        size_t used = 0;
        for (size_t i = 0; i < n && used + 40 < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", all[i]->kind);
        knob_err_set(err, KNOB_EINVAL, "unknown model kind '%s' (valid: %s)", kind, list);
        return NULL;
    }
    knob_model *m = calloc(1, sizeof *m);
    if (!m) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        return NULL;
    }
    m->vt = vt;
    if (knob_params_init(&m->params, vt->params, err)) {
        free(m);
        return NULL;
    }
    return m;
}

static void model_reset(knob_model *m)
{
    if (m->vt->free_state) m->vt->free_state(m);
    m->state = NULL;
    knob_schema_free(&m->schema);
    free(m->monitor);
    m->monitor = NULL;
    free(m->history.it);
    memset(&m->history, 0, sizeof m->history);
    m->fitted = 0;
    m->fit_seconds = 0;
}

void knob_model_free(knob_model **m)
{
    if (!m || !*m) return;
    model_reset(*m);
    knob_params_free(&(*m)->params);
    free(*m);
    *m = NULL;
}

knob_model *knob_model_clone(const knob_model *m, knob_err *err)
{
    knob_model *c = calloc(1, sizeof *c);
    if (!c) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        return NULL;
    }
    c->vt = m->vt;
    if (knob_params_copy(&c->params, &m->params, err)) {
        free(c);
        return NULL;
    }
    return c;
}

int knob_model_check(const knob_model *m, knob_err *err)
{
    const char *msg = m->vt->check ? m->vt->check(&m->params) : NULL;
    if (msg) return knob_err_set(err, KNOB_EINVAL, "%s: %s", m->vt->kind, msg);
    return KNOB_OK;
}

static const char *task_name(int task)
{
    return task == KNOB_TASK_CLASSIFICATION ? "classification" : task == KNOB_TASK_REGRESSION ? "regression" : "none";
}

int knob_model_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    knob_fit_opts none = {0};
    if (!o) o = &none;
    int rc = knob_model_check(m, err);
    if (rc) return rc;
    const knob_frame *f = train->frame;
    if (!f->y || f->task == KNOB_TASK_NONE)
        return knob_err_set(err, KNOB_EINVAL, "%s: the training data has no target", m->vt->kind);
    if (!(m->vt->tasks & (1u << f->task)))
        return knob_err_set(err, KNOB_EINVAL, "%s does not support %s", m->vt->kind, task_name(f->task));
    if (train->n_rows == 0) return knob_err_set(err, KNOB_EINVAL, "%s: the training data has no rows", m->vt->kind);
    for (size_t i = 0; i < train->n_rows; i++)
        if (isnan(knob_dataset_target(train, i)))
            return knob_err_set(err, KNOB_EINVAL, "%s: the target is missing at row %zu", m->vt->kind, i + 1);
    if (o->sample_weight)
        for (size_t i = 0; i < train->n_rows; i++)
            if (!(o->sample_weight[i] >= 0) || !isfinite(o->sample_weight[i]))
                return knob_err_set(err, KNOB_EINVAL, "%s: sample_weight[%zu] must be finite and >= 0 (got %g)",
                                    m->vt->kind, i + 1, o->sample_weight[i]);
    model_reset(m);
    rc = knob_schema_from_dataset(&m->schema, train, err);
    if (rc) return rc;
    knob_fit_opts local = *o;
    knob_dataset *eval_aligned = NULL;
    if (o->eval_set) {
        rc = knob_schema_align(&m->schema, o->eval_set, &eval_aligned, NULL, err);
        if (rc) {
            model_reset(m);
            return rc;
        }
        if (eval_aligned) local.eval_set = eval_aligned;
    }
    double t0 = knob_clock_now();
    rc = m->vt->fit(m, train, &local, err);
    m->fit_seconds = knob_clock_now() - t0;
    knob_dataset_free(&eval_aligned);
    if (rc) {
        model_reset(m);
        return rc;
    }
    m->fitted = 1;
    return KNOB_OK;
}

/* Run fn on ds aligned to the model's schema. */
static int with_aligned(const knob_model *m, const knob_dataset *ds, knob_dataset **tmp, const knob_dataset **use,
                        knob_err *err)
{
    if (!m->fitted) return knob_err_set(err, KNOB_ESTATE, "%s: model is not fitted", m->vt->kind);
    int rc = knob_schema_align(&m->schema, ds, tmp, NULL, err);
    *use = *tmp ? *tmp : ds;
    return rc;
}

int knob_model_predict(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    knob_dataset *tmp = NULL;
    const knob_dataset *use = ds;
    int rc = with_aligned(m, ds, &tmp, &use, err);
    if (rc == KNOB_OK) rc = m->vt->predict(m, use, out, err);
    knob_dataset_free(&tmp);
    return rc;
}

int knob_model_predict_proba(const knob_model *m, const knob_dataset *ds, double *out, knob_err *err)
{
    if (!m->vt->predict_proba || (m->fitted && m->schema.task != KNOB_TASK_CLASSIFICATION))
        return knob_err_set(err, KNOB_ESTATE, "%s: predict_proba needs a fitted classifier", m->vt->kind);
    knob_dataset *tmp = NULL;
    const knob_dataset *use = ds;
    int rc = with_aligned(m, ds, &tmp, &use, err);
    if (rc == KNOB_OK) rc = m->vt->predict_proba(m, use, out, err);
    knob_dataset_free(&tmp);
    return rc;
}

int knob_model_importances(const knob_model *m, double *out, knob_err *err)
{
    if (!m->fitted) return knob_err_set(err, KNOB_ESTATE, "%s: model is not fitted", m->vt->kind);
    if (!m->vt->importances)
        return knob_err_set(err, KNOB_ESTATE, "%s has no native feature importances", m->vt->kind);
    return m->vt->importances(m, out, err);
}

size_t knob_model_shap_outputs(const knob_model *m)
{
    return m->fitted && m->vt->shap && m->vt->shap_outputs ? m->vt->shap_outputs(m) : 0;
}

int knob_model_shap(const knob_model *m, const knob_dataset *ds, double *phi, double *expected, knob_err *err)
{
    if (m->fitted && (!m->vt->shap || !m->vt->shap_outputs))
        return knob_err_set(err, KNOB_ESTATE, "%s has no SHAP values (tree, forest, extra_trees and gbdt have)",
                            m->vt->kind);
    knob_dataset *tmp = NULL;
    const knob_dataset *use = ds;
    int rc = with_aligned(m, ds, &tmp, &use, err);
    if (rc == KNOB_OK) rc = m->vt->shap(m, use, phi, expected, err);
    knob_dataset_free(&tmp);
    return rc;
}

int knob_history_push(knob_history *h, const knob_iter_info *info, knob_err *err)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        knob_iter_info *it = realloc(h->it, cap * sizeof *it);
        if (!it) return knob_err_set(err, KNOB_ENOMEM, "out of memory growing the training history");
        h->it = it;
        h->cap = cap;
    }
    h->it[h->n++] = *info;
    return KNOB_OK;
}

/* ---- JSON ---------------------------------------------------------------------------------------- */

static cJSON *strs_to_json(char *const *a, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < n; k++) cJSON_AddItemToArray(arr, cJSON_CreateString(a[k]));
    return arr;
}

static cJSON *schema_to_json(const knob_schema *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *feats = cJSON_AddArrayToObject(o, "features");
    for (size_t j = 0; j < s->n_features; j++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", s->names[j]);
        cJSON_AddStringToObject(c, "kind", s->kinds[j] == KNOB_COL_CATEGORICAL ? "categorical" : "numeric");
        if (s->kinds[j] == KNOB_COL_CATEGORICAL) cJSON_AddItemToObject(c, "levels", strs_to_json(s->levels[j], s->n_levels[j]));
        cJSON_AddItemToArray(feats, c);
    }
    cJSON_AddStringToObject(o, "task", task_name(s->task));
    if (s->target_name) cJSON_AddStringToObject(o, "target", s->target_name);
    if (s->task == KNOB_TASK_CLASSIFICATION) cJSON_AddItemToObject(o, "classes", strs_to_json(s->classes, s->n_classes));
    return o;
}

static cJSON *params_to_json(const knob_params *p)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < p->n; i++) {
        const knob_param_spec *s = &p->spec[i];
        const knob_param_value *v = &p->v[i];
        if (!v->is_set) {
            cJSON_AddNullToObject(o, s->name);
        } else if (s->type == KNOB_PT_STR) {
            cJSON_AddStringToObject(o, s->name, v->str ? v->str : "");
        } else if (s->type == KNOB_PT_BOOL) {
            cJSON_AddBoolToObject(o, s->name, v->num != 0);
        } else if (s->type == KNOB_PT_LIST || s->type == KNOB_PT_NUM_LIST) {
            cJSON *arr = cJSON_AddArrayToObject(o, s->name);
            for (size_t k = 0; k < v->n_list; k++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(v->list[k]));
        } else {
            cJSON_AddItemToObject(o, s->name, knob_json_exact(v->num));
        }
    }
    return o;
}


static cJSON *history_to_json(const knob_history *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", h->status);
    cJSON *its = cJSON_AddArrayToObject(o, "iterations");
    for (size_t i = 0; i < h->n; i++) {
        const knob_iter_info *it = &h->it[i];
        cJSON *row = cJSON_CreateArray();
        cJSON_AddItemToArray(row, cJSON_CreateNumber((double)it->iteration));
        cJSON_AddItemToArray(row, knob_json_exact(it->train_loss));
        cJSON_AddItemToArray(row, knob_json_exact(it->valid_loss));
        cJSON_AddItemToArray(row, knob_json_exact(it->valid_metric));
        cJSON_AddItemToArray(row, knob_json_exact(it->learning_rate));
        cJSON_AddItemToArray(its, row);
    }
    return o;
}

char *knob_model_to_json(const knob_model *m, knob_err *err)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) {
        knob_err_set(err, KNOB_ENOMEM, "out of memory");
        return NULL;
    }
    cJSON_AddStringToObject(root, "format", MODEL_FORMAT);
    cJSON_AddNumberToObject(root, "version", MODEL_VERSION);
    cJSON_AddStringToObject(root, "kind", m->vt->kind);
    cJSON_AddItemToObject(root, "params", params_to_json(&m->params));
    cJSON_AddBoolToObject(root, "fitted", m->fitted);
    if (m->fitted) {
        cJSON_AddItemToObject(root, "schema", schema_to_json(&m->schema));
        cJSON_AddItemToObject(root, "history", history_to_json(&m->history));
        cJSON_AddItemToObject(root, "fit_seconds", knob_json_exact(m->fit_seconds));
        cJSON *state = cJSON_AddObjectToObject(root, "state");
        if (m->vt->save && m->vt->save(m, state, err)) {
            cJSON_Delete(root);
            return NULL;
        }
        /* monitoring reference statistics, kept verbatim (knob.monitor checks them; a JSON object) */
        if (m->monitor) cJSON_AddItemToObject(root, "monitor", cJSON_CreateRaw(m->monitor));
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) knob_err_set(err, KNOB_ENOMEM, "out of memory writing model JSON");
    return text;
}

/* --- loading: every field is checked; a wrong type names the field ----------------------------------- */

static int bad(knob_err *err, const char *field, const char *why)
{
    return knob_err_set(err, KNOB_EPARSE, "model file: field '%s' %s", field, why);
}

static int strs_from_json(const cJSON *arr, const char *field, char ***out, size_t *n, knob_err *err)
{
    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(arr)) return bad(err, field, "must be an array of strings");
    size_t len = (size_t)cJSON_GetArraySize(arr);
    char **a = calloc(len ? len : 1, sizeof *a);
    if (!a) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsString(it)) {
            knob_free_strings(a, k);
            return bad(err, field, "must be an array of strings");
        }
        if (!(a[k++] = knob_strdup(it->valuestring))) {
            knob_free_strings(a, k);
            return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        }
    }
    *out = a;
    *n = len;
    return KNOB_OK;
}

static int schema_from_json(knob_schema *s, const cJSON *o, knob_err *err)
{
    memset(s, 0, sizeof *s);
    if (!cJSON_IsObject(o)) return bad(err, "schema", "must be an object");
    const cJSON *feats = cJSON_GetObjectItemCaseSensitive(o, "features");
    if (!cJSON_IsArray(feats)) return bad(err, "schema.features", "must be an array");
    size_t p = (size_t)cJSON_GetArraySize(feats);
    s->n_features = p;
    s->names = calloc(p ? p : 1, sizeof *s->names);
    s->kinds = calloc(p ? p : 1, sizeof *s->kinds);
    s->n_levels = calloc(p ? p : 1, sizeof *s->n_levels);
    s->levels = calloc(p ? p : 1, sizeof *s->levels);
    if (!s->names || !s->kinds || !s->n_levels || !s->levels) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    size_t j = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, feats)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(c, "kind");
        if (!cJSON_IsString(name)) return bad(err, "schema.features[].name", "must be a string");
        if (!cJSON_IsString(kind) || (strcmp(kind->valuestring, "numeric") && strcmp(kind->valuestring, "categorical")))
            return bad(err, "schema.features[].kind", "must be \"numeric\" or \"categorical\"");
        if (!(s->names[j] = knob_strdup(name->valuestring))) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
        if (strcmp(kind->valuestring, "categorical") == 0) {
            s->kinds[j] = KNOB_COL_CATEGORICAL;
            int rc = strs_from_json(cJSON_GetObjectItemCaseSensitive(c, "levels"), "schema.features[].levels",
                                    &s->levels[j], &s->n_levels[j], err);
            if (rc) return rc;
        }
        j++;
    }
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(o, "task");
    if (!cJSON_IsString(task)) return bad(err, "schema.task", "must be a string");
    if (strcmp(task->valuestring, "classification") == 0) s->task = KNOB_TASK_CLASSIFICATION;
    else if (strcmp(task->valuestring, "regression") == 0) s->task = KNOB_TASK_REGRESSION;
    else return bad(err, "schema.task", "must be \"classification\" or \"regression\"");
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(o, "target");
    if (cJSON_IsString(target) && !(s->target_name = knob_strdup(target->valuestring)))
        return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    if (s->task == KNOB_TASK_CLASSIFICATION) {
        int rc = strs_from_json(cJSON_GetObjectItemCaseSensitive(o, "classes"), "schema.classes", &s->classes,
                                &s->n_classes, err);
        if (rc) return rc;
        if (s->n_classes == 0) return bad(err, "schema.classes", "must not be empty");
    }
    return KNOB_OK;
}

static int params_from_json(knob_model *m, const cJSON *o, knob_err *err)
{
    if (!cJSON_IsObject(o)) return bad(err, "params", "must be an object");
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        const char *name = it->string;
        int i = knob_params_find(&m->params, name);
        int rc;
        if (i < 0) return knob_err_set(err, KNOB_EPARSE, "model file: unknown hyperparameter '%s' for %s", name, m->vt->kind);
        int type = m->params.spec[i].type;
        if (cJSON_IsNull(it)) {
            rc = knob_params_unset(&m->params, m->vt->kind, name, err);
        } else if (type == KNOB_PT_STR) {
            if (!cJSON_IsString(it)) return bad(err, name, "must be a string");
            rc = knob_params_set_str(&m->params, m->vt->kind, name, it->valuestring, err);
        } else if (type == KNOB_PT_BOOL) {
            if (!cJSON_IsBool(it)) return bad(err, name, "must be a boolean");
            rc = knob_params_set_num(&m->params, m->vt->kind, name, cJSON_IsTrue(it) ? 1 : 0, err);
        } else if (type == KNOB_PT_LIST || type == KNOB_PT_NUM_LIST) {
            if (!cJSON_IsArray(it)) return bad(err, name, "must be an array of numbers");
            size_t n = (size_t)cJSON_GetArraySize(it), k = 0;
            double *v = malloc((n ? n : 1) * sizeof *v);
            if (!v) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
            const cJSON *e;
            cJSON_ArrayForEach(e, it)
            {
                if (!cJSON_IsNumber(e)) {
                    free(v);
                    return bad(err, name, "must be an array of numbers");
                }
                v[k++] = e->valuedouble;
            }
            rc = knob_params_set_list(&m->params, m->vt->kind, name, v, n, err);
            free(v);
        } else {
            if (!cJSON_IsNumber(it)) return bad(err, name, "must be a number");
            rc = knob_params_set_num(&m->params, m->vt->kind, name, it->valuedouble, err);
        }
        if (rc) return rc;
    }
    return KNOB_OK;
}

static double json_num(const cJSON *e)
{
    return cJSON_IsNumber(e) ? e->valuedouble : NAN;
}

static int history_from_json(knob_history *h, const cJSON *o, knob_err *err)
{
    if (!o) return KNOB_OK;
    if (!cJSON_IsObject(o)) return bad(err, "history", "must be an object");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
    if (cJSON_IsString(st)) snprintf(h->status, sizeof h->status, "%s", st->valuestring);
    const cJSON *its = cJSON_GetObjectItemCaseSensitive(o, "iterations");
    if (!its) return KNOB_OK;
    if (!cJSON_IsArray(its)) return bad(err, "history.iterations", "must be an array");
    const cJSON *row;
    cJSON_ArrayForEach(row, its)
    {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != 5 || !cJSON_IsNumber(cJSON_GetArrayItem(row, 0)))
            return bad(err, "history.iterations[]", "must be [iteration, train_loss, valid_loss, valid_metric, lr]");
        knob_iter_info info = {(size_t)cJSON_GetArrayItem(row, 0)->valuedouble, json_num(cJSON_GetArrayItem(row, 1)),
                               json_num(cJSON_GetArrayItem(row, 2)), json_num(cJSON_GetArrayItem(row, 3)),
                               json_num(cJSON_GetArrayItem(row, 4))};
        int rc = knob_history_push(h, &info, err);
        if (rc) return rc;
    }
    return KNOB_OK;
}

/* Replace every number under o by its exact "%.17g" form, so printing o loses no bits. */
static int exact_numbers(cJSON *o)
{
    for (cJSON *c = o->child; c; c = c->next) {
        if (cJSON_IsNumber(c)) {
            cJSON *x = knob_json_exact(c->valuedouble);
            if (!x) return -1;
            x->string = c->string; /* the key moves to the new item */
            c->string = NULL;
            if (!cJSON_ReplaceItemViaPointer(o, c, x)) return -1;
            c = x;
        } else if ((cJSON_IsArray(c) || cJSON_IsObject(c)) && exact_numbers(c)) {
            return -1;
        }
    }
    return 0;
}

/* The optional "monitor" object, kept as text (its fields are checked by knob.monitor). */
static int monitor_from_json(knob_model *m, cJSON *o, knob_err *err)
{
    if (!o) return KNOB_OK;
    if (!cJSON_IsObject(o)) return bad(err, "monitor", "must be an object");
    if (exact_numbers(o)) return knob_err_set(err, KNOB_ENOMEM, "out of memory");
    char *text = cJSON_PrintUnformatted(o);
    m->monitor = text ? knob_strdup(text) : NULL;
    cJSON_free(text);
    return m->monitor ? KNOB_OK : knob_err_set(err, KNOB_ENOMEM, "out of memory");
}

knob_model *knob_model_from_json(const char *text, size_t len, knob_err *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
        knob_err_set(err, KNOB_EPARSE, "model file: not valid JSON (near byte %ld)", off);
        return NULL;
    }
    knob_model *m = NULL;
    int rc = KNOB_OK;
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
    if (!cJSON_IsObject(root) || !cJSON_IsString(format) || strcmp(format->valuestring, MODEL_FORMAT) != 0) {
        rc = knob_err_set(err, KNOB_EPARSE, "model file: not a knob model (field 'format' is not \"%s\")", MODEL_FORMAT);
    } else if (!cJSON_IsNumber(version) || version->valuedouble != MODEL_VERSION) {
        rc = knob_err_set(err, KNOB_EPARSE, "model file: unsupported version %g (this knob reads version %d)",
                          cJSON_IsNumber(version) ? version->valuedouble : -1.0, MODEL_VERSION);
    } else if (!cJSON_IsString(kind)) {
        rc = bad(err, "kind", "must be a string");
    } else if (!(m = knob_model_new(kind->valuestring, err))) {
        rc = err ? err->code : KNOB_EPARSE;
    } else {
        rc = params_from_json(m, cJSON_GetObjectItemCaseSensitive(root, "params"), err);
        const cJSON *fitted = cJSON_GetObjectItemCaseSensitive(root, "fitted");
        if (rc == KNOB_OK && cJSON_IsTrue(fitted)) {
            rc = schema_from_json(&m->schema, cJSON_GetObjectItemCaseSensitive(root, "schema"), err);
            if (rc == KNOB_OK) rc = history_from_json(&m->history, cJSON_GetObjectItemCaseSensitive(root, "history"), err);
            m->fit_seconds = json_num(cJSON_GetObjectItemCaseSensitive(root, "fit_seconds"));
            const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "state");
            if (rc == KNOB_OK && !cJSON_IsObject(state)) rc = bad(err, "state", "must be an object");
            if (rc == KNOB_OK && m->vt->load) rc = m->vt->load(m, state, err);
            if (rc == KNOB_OK) rc = monitor_from_json(m, cJSON_GetObjectItemCaseSensitive(root, "monitor"), err);
            if (rc == KNOB_OK) m->fitted = 1;
        }
    }
    cJSON_Delete(root);
    if (rc != KNOB_OK) {
        knob_model_free(&m);
        return NULL;
    }
    return m;
}
