-- evaluate_spec.lua — knob.evaluate: the baseline's CV numbers equal a hand-written loop over knob.split + fit +
-- Model:score, the overfitting rule, size / latency / memory fields, class-imbalance weights against
-- scikit-learn's compute_class_weight, the latency percentile against numpy.percentile, compare, format and
-- bad inputs.
local knob = require "knob"
local helpers = require "helpers"

local function bc()
  return assert(knob.data.read_csv(KNOB_HOME .. "/examples/data/breast_cancer.csv", {target = "diagnosis"}))
end

local err_of, mean_std = helpers.err_of, helpers.mean_std

-- The hand-written loop: shuffled stratified k-fold, clone + fit on the training view, score both views.
local function by_hand(model, ds, k, seed, names)
  local valid, train = {}, {}
  for _, name in ipairs(names) do valid[name], train[name] = {}, {} end
  local sp = knob.split.stratified_kfold{k = k, shuffle = true, seed = seed}
  for _, f in ipairs(sp:split(ds)) do
    local tr, va = knob.split.view(ds, f.train), knob.split.view(ds, f.test)
    local m = model:clone()
    m:fit(tr)
    for _, name in ipairs(names) do
      table.insert(valid[name], m:score(va, name))
      table.insert(train[name], m:score(tr, name))
    end
    m:close()
  end
  return valid, train
end

-- Two numeric features, 85 rows of class "no" and 15 of "yes" (ratio 85/15 = 5.67 > 4).
local function imbalanced()
  local X, y = {}, {}
  for i = 1, 100 do
    X[i] = {(i * 37) % 101 / 10, (i * 53) % 97 / 10 + (i > 85 and 3 or 0)}
    y[i] = i > 85 and "yes" or "no"
  end
  return knob.data.from_table{X = X, y = y, names = {"a", "b"}}
end

local FAST = {latency_rows = 50, latency_repeats = 5}
local function opts(t)
  local o = {}
  for k, v in pairs(FAST) do o[k] = v end
  for k, v in pairs(t or {}) do o[k] = v end
  return o
end

describe("knob.evaluate.percentile", function()
  it("matches numpy.percentile (linear) on a known array", function()
    -- /usr/bin/python3: import numpy as np
    -- np.percentile([0.5, 3.0, 1.25, 9.0, 2.0, 7.5, 0.75, 4.0, 6.0, 1.0, 100.0], [50, 99]).tolist()
    -- -> [3.0, 90.90000000000003]
    local a = {0.5, 3.0, 1.25, 9.0, 2.0, 7.5, 0.75, 4.0, 6.0, 1.0, 100.0}
    assert.are.equal(3.0, knob.evaluate.percentile(a, 50))
    assert.is_true(math.abs(knob.evaluate.percentile(a, 99) - 90.90000000000003) < 1e-12)
  end)
end)

describe("knob.evaluate.imbalance", function()
  it("gives scikit-learn's balanced class weights", function()
    -- /usr/bin/python3: from sklearn.utils.class_weight import compute_class_weight; import numpy as np
    -- y = pandas.read_csv("examples/data/breast_cancer.csv")["diagnosis"].values
    -- compute_class_weight("balanced", classes=np.unique(y), y=y) -> [0.7969187675070029, 1.3419811320754718]
    local im = knob.evaluate.imbalance(bc())
    assert.is_true(math.abs(im.class_weights.benign - 0.7969187675070029) < 1e-15)
    assert.is_true(math.abs(im.class_weights.malignant - 1.3419811320754718) < 1e-15)
    assert.are.equal("malignant", im.minority)
    assert.is_true(math.abs(im.ratio - 357 / 212) < 1e-15)
    assert.is_false(im.imbalanced)
    -- yi = np.array(["a"]*90 + ["b"]*8 + ["c"]*2); compute_class_weight("balanced", classes=np.unique(yi), y=yi)
    -- -> [0.37037037037037035, 4.166666666666667, 16.666666666666668]
    local X, y = {}, {}
    for i = 1, 100 do
      X[i] = {i}
      y[i] = i <= 90 and "a" or (i <= 98 and "b" or "c")
    end
    local im3 = knob.evaluate.imbalance(knob.data.from_table{X = X, y = y, names = {"x"}})
    assert.is_true(math.abs(im3.class_weights.a - 0.37037037037037035) < 1e-15)
    assert.is_true(math.abs(im3.class_weights.b - 4.166666666666667) < 1e-15)
    assert.is_true(math.abs(im3.class_weights.c - 16.666666666666668) < 1e-14)
    assert.are.equal("c", im3.minority)
    assert.are.equal(0.02, im3.minority_fraction)
    assert.are.equal(45, im3.ratio)
    assert.is_true(im3.imbalanced)
  end)

  it("flags two classes at the 20% minority / ratio 4 threshold", function()
    local function two(minority)
      local X, y = {}, {}
      for i = 1, 100 do
        X[i] = {i}
        y[i] = i <= minority and "min" or "maj"
      end
      return knob.data.from_table{X = X, y = y, names = {"x"}}
    end
    assert.is_true(knob.evaluate.imbalance(two(19)).imbalanced)  -- 81 / 19 = 4.26 > 4
    assert.is_false(knob.evaluate.imbalance(two(21)).imbalanced) -- 79 / 21 = 3.76
    assert.is_false(knob.evaluate.imbalance(two(19), 5).imbalanced)
  end)

  it("rejects regression data and bad thresholds", function()
    local reg = knob.data.from_table{X = {{1}, {2}, {3}}, y = {1.5, 2, 3}, names = {"x"}, task = "regression"}
    assert.matches("task is regression", err_of(knob.evaluate.imbalance, reg))
    assert.matches("threshold must be a positive number", err_of(knob.evaluate.imbalance, bc(), -1))
    assert.matches("knob.Dataset expected", err_of(knob.evaluate.imbalance, {}))
  end)
end)

describe("knob.evaluate.baseline", function()
  local ds
  setup(function() ds = bc() end)

  it("reports CV validation and training scores equal to a hand-written loop", function()
    local model = knob.pipeline{knob.prep.standardize(), knob.model.logistic{}}
    local names = {"accuracy", "roc_auc"}
    local r = knob.evaluate.baseline(model, ds, opts{folds = 4, seed = 7, metrics = names, name = "logreg"})
    local valid, train = by_hand(model, ds, 4, 7, names)
    for _, name in ipairs(names) do
      local vm, vs = mean_std(valid[name])
      local tm, ts = mean_std(train[name])
      assert.is_true(math.abs(r.valid.mean[name] - vm) < 1e-12, name)
      assert.is_true(math.abs(r.valid.std[name] - vs) < 1e-12, name)
      assert.is_true(math.abs(r.train.mean[name] - tm) < 1e-12, name)
      assert.is_true(math.abs(r.train.std[name] - ts) < 1e-12, name)
      assert.is_true(math.abs(r.gap[name] - (tm - vm)) < 1e-12, name)
    end
    assert.are.equal("logreg", r.name)
    assert.are.equal("standardize -> logistic", r.kind)
    assert.are.equal(7, r.seed)
    assert.are.equal(4, r.folds)
    assert.are.equal(ds:fingerprint(), r.fingerprint)
    assert.are.equal(569, r.n_rows)
    assert.are.equal(30, r.n_features)
    assert.are.same({"accuracy", "roc_auc"}, r.metrics) -- balanced data: nothing added
    assert.are.same({}, r.warnings)
    assert.is_false(model:is_fitted()) -- the user's model is never fitted
  end)

  it("measures the fitted model's size, the latencies and the memory", function()
    local model = knob.pipeline{knob.prep.standardize(), knob.model.logistic{}}
    local r = knob.evaluate.baseline(model, ds, opts{seed = 1})
    local m = model:clone()
    m:fit(ds)
    -- logistic is deterministic: the same JSON but for its "fit_seconds" (a %.17g time, of varying length)
    assert.is_true(math.abs(#m:to_json() - r.json_bytes) <= 8)
    assert.are.equal(m:info().bytes, r.state_bytes)
    m:close()
    local b, s = r.latency.batch, r.latency.single
    assert.are.equal(50, b.rows)
    assert.are.equal(5, b.repeats)
    assert.are.equal(50, s.n)
    assert.is_true(b.p50 > 0 and b.p50 <= b.p99)
    assert.is_true(s.p50 > 0 and s.p50 <= s.p99)
    assert.are.equal(1 / b.p50, r.throughput)
    assert.is_true(r.fit_seconds > 0 and r.cv_fit_seconds > 0)
    assert.is_true(math.type(r.peak_rss_delta) == "integer" and r.peak_rss_delta >= 0)
    assert.are.equal("integer", math.type(r.rss_delta))
  end)

  it("times more rows than the dataset has by cycling its rows", function()
    local small = knob.split.view(ds, {1, 2, 3, 400, 401, 402, 403, 404, 405, 406})
    local r = knob.evaluate.baseline(knob.model.dummy{}, small, {folds = 2, latency_rows = 30, latency_repeats = 3})
    assert.are.equal(30, r.latency.batch.rows)
    assert.are.equal(30, r.latency.single.n)
  end)

  it("flags overfitting by the documented rule", function()
    local tree = knob.model.tree{}
    local r = knob.evaluate.baseline(tree, ds, opts{seed = 3})
    local valid, train = by_hand(tree, ds, 5, 3, {"accuracy"})
    local gap = mean_std(train.accuracy) - mean_std(valid.accuracy)
    assert.is_true(gap > 0.05) -- an unpruned tree is perfect on its training rows
    assert.is_true(r.overfit)
    assert.matches("overfitting", table.concat(r.warnings, "\n"))
    assert.is_false(knob.evaluate.baseline(tree, ds, opts{seed = 3, overfit_gap = 0.9}).overfit)
    local d = knob.evaluate.baseline(knob.model.dummy{}, ds, opts{seed = 3})
    assert.is_false(d.overfit)
  end)

  it("uses the relative gap for error metrics", function()
    local X, y = {}, {}
    for i = 1, 60 do
      X[i] = {i % 7, (i * 13) % 11}
      y[i] = (i * 29) % 17 + 0.0
    end
    local reg = knob.data.from_table{X = X, y = y, names = {"a", "b"}, task = "regression"}
    local tree = knob.model.tree{}
    local r = knob.evaluate.baseline(tree, reg, opts{folds = 3, metrics = {"rmse"}})
    local valid, train = {}, {}
    for _, f in ipairs(knob.split.kfold{k = 3, shuffle = true, seed = 0}:split(reg)) do
      local tr, va = knob.split.view(reg, f.train), knob.split.view(reg, f.test)
      local m = tree:clone():fit(tr)
      valid[#valid + 1], train[#train + 1] = m:score(va, "rmse"), m:score(tr, "rmse")
    end
    local vm, tm = mean_std(valid), mean_std(train)
    assert.is_true(math.abs(r.gap.rmse - (vm - tm)) < 1e-12) -- positive: better (lower) on the training rows
    assert.are.equal((vm - tm) / vm > 0.25, r.overfit)
    assert.matches("/ validation > 0.25", r.overfit_rule)
    assert.is_nil(r.imbalance)
  end)

  it("warns about class imbalance and adds balanced metrics", function()
    local d = imbalanced()
    local r = knob.evaluate.baseline(knob.model.logistic{}, d, opts{folds = 3})
    assert.are.same({"accuracy", "balanced_accuracy", "f1_macro"}, r.metrics)
    assert.is_true(r.imbalance.imbalanced)
    -- n / (k * n_c) by hand: 100 / (2 * 85), 100 / (2 * 15)
    assert.is_true(math.abs(r.imbalance.class_weights.no - 100 / 170) < 1e-15)
    assert.is_true(math.abs(r.imbalance.class_weights.yes - 100 / 30) < 1e-15)
    assert.matches("class imbalance: 'yes' is 15.0%% of the rows", r.warnings[1])
    local valid = by_hand(knob.model.logistic{}, d, 3, 0, {"balanced_accuracy"})
    assert.is_true(math.abs(r.valid.mean.balanced_accuracy - mean_std(valid.balanced_accuracy)) < 1e-12)
    -- a metric the user already asked for is not repeated
    local r2 = knob.evaluate.baseline(knob.model.dummy{}, d, opts{folds = 3, metrics = {"f1_macro"}})
    assert.are.same({"f1_macro", "balanced_accuracy"}, r2.metrics)
    assert.matches("WARNING class imbalance", knob.evaluate.format(r2))
  end)

  it("formats a report", function()
    local r = knob.evaluate.baseline(knob.model.dummy{}, ds, opts{name = "prior"})
    local text = knob.evaluate.format(r)
    assert.are.equal(text, tostring(r))
    for _, s in ipairs({"baseline: prior %(dummy%)", "data " .. ds:fingerprint(), "seed 0", "accuracy",
                        "overfitting: no", "peak RSS", "saved JSON", "single row p50", "rows/s",
                        "benign=357 %(weight 0.7969%)"}) do
      assert.matches(s, text)
    end
  end)

  it("rejects bad input with clear errors", function()
    local dummy = knob.model.dummy{}
    assert.matches("knob.Model or knob.pipeline expected as argument 1", err_of(knob.evaluate.baseline, {}, ds))
    assert.matches("knob.Dataset expected as argument 2", err_of(knob.evaluate.baseline, dummy, "x.csv"))
    assert.matches("the dataset is empty", err_of(knob.evaluate.baseline, dummy, knob.split.view(ds, {})))
    assert.matches("unknown option 'fold' %(valid: folds,",
      err_of(knob.evaluate.baseline, dummy, ds, {fold = 3}))
    assert.matches("unknown metric 'acc'", err_of(knob.evaluate.baseline, dummy, ds, {metrics = {"acc"}}))
    assert.matches("needs class probabilities",
      err_of(knob.evaluate.baseline, dummy, knob.data.from_table{X = {{1}, {2}, {3}, {4}}, y = {1.0, 2, 3, 4},
        names = {"x"}, task = "regression"}, {folds = 2, metrics = {"roc_auc"}}))
    assert.matches("option 'folds' must be an integer >= 2", err_of(knob.evaluate.baseline, dummy, ds, {folds = 1}))
    assert.matches("option 'latency_rows' must be an integer >= 1",
      err_of(knob.evaluate.baseline, dummy, ds, {latency_rows = 0}))
    assert.matches("option 'seed' must be an integer", err_of(knob.evaluate.baseline, dummy, ds, {seed = 0 / 0}))
    assert.matches("option 'overfit_gap' must be a positive number",
      err_of(knob.evaluate.baseline, dummy, ds, {overfit_gap = 0 / 0}))
    assert.matches("option 'metrics' is empty", err_of(knob.evaluate.baseline, dummy, ds, {metrics = {}}))
    assert.matches("^knob.evaluate.baseline: knob.cv.cross_validate: metric 'accuracy' is listed twice",
      err_of(knob.evaluate.baseline, dummy, ds, {metrics = {"accuracy", "accuracy"}}))
    assert.matches("options must be a table", err_of(knob.evaluate.baseline, dummy, ds, 5))
    assert.matches("fitting on every row:",
      err_of(knob.evaluate.baseline, knob.model.mlp{}, knob.data.from_table{X = {{"a"}, {"b"}, {"a"}, {"b"}},
        y = {"x", "y", "x", "y"}, names = {"c"}}, {folds = 2}))
  end)
end)

describe("knob.evaluate.compare", function()
  local ds, reports
  setup(function()
    ds = bc()
    reports = {
      knob.evaluate.baseline(knob.model.dummy{}, ds, opts{name = "dummy", metrics = {"accuracy", "f1_macro"}}),
      knob.evaluate.baseline(knob.pipeline{knob.prep.standardize(), knob.model.logistic{}}, ds,
        opts{name = "logistic", metrics = {"accuracy", "f1_macro"}}),
      knob.evaluate.baseline(knob.model.tree{}, ds, opts{name = "tree", metrics = {"accuracy"}}),
    }
  end)

  it("lines reports up side by side and marks the best", function()
    local c = knob.evaluate.compare(reports)
    assert.are.same({"dummy", "logistic", "tree"}, c.names)
    assert.are.same({"accuracy"}, c.metrics) -- f1_macro is not in every report
    local best, bi = -1, nil
    for i, r in ipairs(reports) do
      if r.valid.mean.accuracy > best then best, bi = r.valid.mean.accuracy, i end
    end
    assert.are.equal(bi, c.best.accuracy)
    for i, r in ipairs(reports) do
      assert.are.equal(r.valid.mean.accuracy, c.rows[i].valid.accuracy.mean)
      assert.are.equal(r.json_bytes, c.rows[i].json_bytes)
      assert.are.equal(r.overfit, c.rows[i].overfit)
    end
    assert.are.same({}, c.warnings)
    local text = tostring(c)
    assert.are.equal(text, knob.evaluate.format(c))
    local lines = {}
    for l in text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.matches("^model%s+accuracy%s+gap%s+fit%s+batch/row%s+single row%s+saved$", lines[1])
    assert.matches("^dummy ", lines[2])
    assert.matches("^tree .* !", lines[4]) -- the overfitting flag
    assert.matches(" %*", lines[1 + bi])
  end)

  it("warns when the reports are not comparable", function()
    local other = knob.evaluate.baseline(knob.model.dummy{}, ds, opts{name = "seed 5", seed = 5})
    local c = knob.evaluate.compare{reports[1], other}
    assert.matches("'seed 5' was evaluated on other data, folds or seed than 'dummy'", c.warnings[1])
    assert.matches("WARNING", tostring(c))
  end)

  it("rejects bad input", function()
    assert.matches("a list of knob.evaluate.baseline reports expected", err_of(knob.evaluate.compare, nil))
    assert.matches("a list of knob.evaluate.baseline reports expected", err_of(knob.evaluate.compare, reports[1]))
    assert.matches("no reports to compare", err_of(knob.evaluate.compare, {}))
    assert.matches("entry 2 is not a knob.evaluate.baseline report", err_of(knob.evaluate.compare,
      {reports[1], {}}))
    assert.matches("a report of knob.evaluate.baseline or compare expected", err_of(knob.evaluate.format, {}))
  end)
end)

describe("examples/baseline.lua", function()
  it("runs on iris and says what to do next", function()
    local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"
    local out, code = helpers.run(exe .. " examples/baseline.lua examples/data/iris.csv species")
    assert.are.equal(0, code, out)
    assert.matches("120 training rows (the 30 test rows stay locked", out, 1, true)
    assert.matches("\ndummy +0%.3333 ± 0%.0000", out)
    assert.matches("== next step", out, 1, true)
    assert.matches("best accuracy: %a+ at 0%.9", out)
    assert.matches("* next: tune ", out, 1, true)
  end)
end)
