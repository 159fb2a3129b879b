/* tree.c — the "tree" kind: one CART decision tree with exact splits (scikit-learn 1.2's
 * DecisionTreeClassifier / DecisionTreeRegressor with splitter = "best"). The growing rules are in tree.h.
 *
 * Choices to know about:
 *   - missing values (NaN) or infinite values in the features are an error naming the column and row, at fit
 *     and (for the features the tree splits on) at predict; impute first;
 *   - categorical features are split as their level codes, i.e. as ordered numbers (x <= threshold);
 *   - max_features is given as a mode (all, sqrt, log2, fraction, count; auto = all for a single tree) plus,
 *     for fraction and count, the number max_features; seed drives the feature draw order (which matters
 *     with max_features below the feature count, and for ties);
 *   - predict_proba is the weighted class distribution of the leaf; feature importances are the normalised
 *     total (weighted) impurity decrease per feature. */
#include <stdlib.h>

#include "model_impl.h"
#include "tree.h"
#include "treeshap.h"

static const knob_param_spec tree_params[] = {
    KNOB_TREE_PARAM_SPECS,
    {NULL, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL},
};

static void tree_describe(const knob_model *m, char *buf, size_t size)
{
    const knob_forest_state *s = m->state;
    knob_describe_printf(buf, size, "depth %d, %d leaves", (int)s->trees[0].depth, (int)s->trees[0].n_leaves);
}

static int tree_fit(knob_model *m, const knob_dataset *train, const knob_fit_opts *o, knob_err *err)
{
    size_t p = train->frame->n_features, n = train->n_rows;
    knob_tree_cfg cfg;
    int rc = knob_tree_cfg_from_params(m, p, 0, 0, &cfg, err);
    if (rc) return rc;
    knob_tree_data d;
    rc = knob_tree_data_init(&d, m, train, o->sample_weight, knob_tree_use_presort(n, p, &cfg), o->threads, err);
    if (rc) return rc;
    knob_forest_state *s = knob_forest_state_new(1, d.k ? d.k : 1, p);
    knob_tree_work *w = s ? knob_tree_work_new(&d, &cfg) : NULL;
    m->state = s;
    if (!w) {
        rc = knob_err_set(err, KNOB_ENOMEM, "tree: out of memory");
    } else {
        knob_rng rng;
        knob_rng_seed(&rng, (uint64_t)knob_params_num(&m->params, "seed"));
        rc = knob_tree_grow(&s->trees[0], &d, &cfg, NULL, &rng, w, s->importance, err);
        if (rc == KNOB_EINVAL) knob_err_set(err, rc, "tree: the sample weights sum to zero");
        if (rc == KNOB_OK) tree_describe(m, m->history.status, sizeof m->history.status);
    }
    knob_tree_work_free(&w);
    knob_tree_data_free(&d);
    return rc;
}

const knob_model_vtable knob_model_tree = {
    .kind = "tree",
    .summary = "CART decision tree with exact splits (gini, entropy, squared error)",
    .tasks = (1u << KNOB_TASK_CLASSIFICATION) | (1u << KNOB_TASK_REGRESSION),
    .params = tree_params,
    .check = knob_tree_check_params,
    .fit = tree_fit,
    .predict = knob_forest_predict,
    .predict_proba = knob_forest_proba,
    .save = knob_forest_save,
    .load = knob_forest_load,
    .free_state = knob_forest_free,
    .importances = knob_forest_importances,
    .n_learned = knob_forest_n_learned,
    .state_bytes = knob_forest_bytes,
    .describe = tree_describe,
    .shap_outputs = knob_forest_shap_outputs,
    .shap = knob_forest_shap,
};
