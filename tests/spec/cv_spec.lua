-- cv_spec.lua — knob.cv: fold results equal a hand-written loop over the same splitter, mean/std and
-- out-of-fold predictions recomputed here, the default splitter (stratified for classification), regression
-- with hand-computed values, repeats, pipelines, per-row sample weights, pruning through a study trial, the
-- user's model left unfitted, formatting and bad inputs.
local knob = require "knob"

local function iris()
  return assert(knob.data.read_csv(KNOB_HOME .. "/examples/data/iris.csv", {target = "species"}))
end

-- y = 1..6 (regression), one feature
local function six()
  return knob.data.from_table{X = {{10}, {20}, {30}, {40}, {50}, {60}}, names = {"x"}, y = {1, 2, 3, 4, 5, 6},
                              task = "regression"}
end

local function mean_std(xs) -- sample std (ddof 1)
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  local m = s / #xs
  local v = 0
  for _, x in ipairs(xs) do v = v + (x - m) ^ 2 end
  return m, math.sqrt(v / (#xs - 1))
end

-- The error message of a call that must fail.
local function err_of(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(err)
end

-- The hand-written loop: clone, fit on the training view, score each metric on the validation view.
local function by_hand(model, ds, splitter, names)
  local out = {}
  for i, f in ipairs(splitter:split(ds)) do
    local tr, va = knob.split.view(ds, f.train), knob.split.view(ds, f.test)
    local m = model:clone():fit(tr)
    out[i] = {train = f.train, test = f.test, valid = {}, pred = m:predict(va)}
    for _, name in ipairs(names) do out[i].valid[name] = m:score(va, name) end
  end
  return out
end

describe("knob.cv.cross_validate", function()
  it("gives the same folds, scores and out-of-fold predictions with jobs = 2 (folds in worker processes)", function()
    local ds = iris()
    local m = knob.model.forest{n_estimators = 20, seed = 3}
    local opts = {folds = 5, metrics = {"accuracy", "log_loss"}, return_train = true, seed = 7}
    local a = knob.cv.cross_validate(m, ds, opts)
    opts.jobs = 2
    local b = knob.cv.cross_validate(m, ds, opts)
    assert.same(a.mean, b.mean)
    assert.same(a.oof, b.oof)
    assert.same(a.oof_proba, b.oof_proba)
    for i = 1, 5 do
      assert.same(a.folds[i].valid, b.folds[i].valid)
      assert.same(a.folds[i].train, b.folds[i].train)
      assert.same(a.folds[i].valid_index, b.folds[i].valid_index)
    end
    -- and the hand-written loop over the same splitter agrees (independent of knob.cv)
    local by = by_hand(m, ds, knob.split.stratified_kfold{k = 5, shuffle = true, seed = 7}, {"accuracy"})
    for i = 1, 5 do assert.equals(by[i].valid.accuracy, b.folds[i].valid.accuracy) end
  end)

  it("gives the numbers of a hand-written loop over the same splitter", function()
    local ds = iris()
    local cv = knob.split.stratified_kfold{k = 5, shuffle = true, seed = 3}
    local names = {"accuracy", "f1_macro", "log_loss"}
    local model = knob.model.logistic{C = 0.5}
    local r = knob.cv.cross_validate(model, ds, {folds = cv, metrics = names})
    local hand = by_hand(model, ds, cv, names)
    assert.equals(5, #r.folds)
    assert.equals(5, r.n_folds)
    for i, h in ipairs(hand) do
      local f = r.folds[i]
      assert.equals(#h.train, f.train_rows)
      assert.equals(#h.test, f.valid_rows)
      assert.same(h.train, f.train_index)
      assert.same(h.test, f.valid_index)
      for _, name in ipairs(names) do assert.equals(h.valid[name], f.valid[name]) end
      assert.is_true(f.fit_seconds >= 0 and f.predict_seconds >= 0)
      assert.is_nil(f.train)
    end
    -- mean and sample std recomputed from the fold values
    for _, name in ipairs(names) do
      local xs = {}
      for i, h in ipairs(hand) do xs[i] = h.valid[name] end
      local m, s = mean_std(xs)
      assert.is_true(math.abs(r.mean[name] - m) < 1e-12)
      assert.is_true(math.abs(r.std[name] - s) < 1e-12)
    end
    assert.equals("accuracy", r.metric)
    assert.equals(r.mean.accuracy, r.score)
    assert.is_true(r.greater_is_better)
    assert.same({"setosa", "versicolor", "virginica"}, r.classes)
    -- log_loss needs probabilities: oof_proba has a probability row per row of ds
    assert.equals(150, #r.oof_proba)
    for _, row in ipairs(r.oof_proba) do assert.equals(3, #row) end
    -- the first metric decides the direction
    local r2 = knob.cv.cross_validate(model, ds, {folds = cv, metrics = {"log_loss", "accuracy"}})
    assert.equals("log_loss", r2.metric)
    assert.is_false(r2.greater_is_better)
  end)

  it("out-of-fold predictions cover every row exactly once", function()
    local ds = iris()
    local cv = knob.split.stratified_kfold{k = 4, shuffle = true, seed = 7}
    local model = knob.model.knn{n_neighbors = 3}
    local r = knob.cv.cross_validate(model, ds, {folds = cv})
    local hand = by_hand(model, ds, cv, {"accuracy"})
    local seen = {}
    for _, h in ipairs(hand) do
      for j, row in ipairs(h.test) do
        assert.is_nil(seen[row])
        seen[row] = true
        assert.equals(h.pred[j], r.oof[row])
      end
    end
    for row = 1, ds:rows() do assert.is_true(seen[row]) end
    assert.equals(ds:rows(), #r.oof)
    assert.is_nil(r.oof_proba) -- no metric needs probabilities
  end)

  it("defaults to shuffled stratified 5-fold (seed 0) on classification, plain k-fold when asked", function()
    local ds = iris()
    local model = knob.model.dummy{strategy = "most_frequent"}
    local r = knob.cv.cross_validate(model, ds)
    local want = knob.split.stratified_kfold{k = 5, shuffle = true, seed = 0}:split(ds)
    assert.equals(5, #r.folds)
    for i, f in ipairs(want) do assert.same(f.test, r.folds[i].valid_index) end
    r = knob.cv.cross_validate(model, ds, {folds = 3, stratified = false, seed = 5})
    want = knob.split.kfold{k = 3, shuffle = true, seed = 5}:split(ds)
    for i, f in ipairs(want) do assert.same(f.test, r.folds[i].valid_index) end
    r = knob.cv.cross_validate(model, ds, {folds = 3, shuffle = false})
    want = knob.split.stratified_kfold{k = 3}:split(ds)
    for i, f in ipairs(want) do assert.same(f.test, r.folds[i].valid_index) end
  end)

  it("cross-validates regression (values computed by hand)", function()
    -- folds (no shuffle): test rows {1,2} {3,4} {5,6}; the mean model predicts the training mean:
    -- 4.5, 3.5, 2.5 -> MAE per fold 3, 0.5, 3; mean 13/6, sample std sqrt(((5/6)^2 * 2 + (5/3)^2) / 2)
    local ds = six()
    local r = knob.cv.cross_validate(knob.model.dummy{strategy = "mean"}, ds,
                                     {folds = 3, shuffle = false, metrics = {"mae", "mse"}, return_train = true})
    assert.equals("regression", r.task)
    assert.same({3, 0.5, 3}, {r.folds[1].valid.mae, r.folds[2].valid.mae, r.folds[3].valid.mae})
    assert.is_true(math.abs(r.mean.mae - 13 / 6) < 1e-12)
    assert.is_true(math.abs(r.std.mae - math.sqrt(((5 / 6) ^ 2 * 2 + (5 / 3) ^ 2) / 2)) < 1e-12)
    -- MSE fold 1: (3.5^2 + 2.5^2) / 2 = 9.25
    assert.equals(9.25, r.folds[1].valid.mse)
    assert.same({4.5, 4.5, 3.5, 3.5, 2.5, 2.5}, r.oof)
    assert.is_false(r.greater_is_better)
    -- train scores: fold 1 trains on 3,4,5,6 (mean 4.5): MAE (1.5 + 0.5 + 0.5 + 1.5) / 4 = 1
    assert.equals(1, r.folds[1].train.mae)
    assert.is_nil(r.classes)
    -- default metric for regression is r2; stratified is ignored
    local r2 = knob.cv.cross_validate(knob.model.dummy{strategy = "mean"}, ds, {folds = 3, shuffle = false,
                                                                               stratified = true})
    assert.equals("r2", r2.metric)
  end)

  it("repeats: repeats x folds results, out-of-fold predictions from the first repeat", function()
    local ds = iris()
    local model = knob.model.knn{n_neighbors = 5}
    local r = knob.cv.cross_validate(model, ds, {folds = 3, repeats = 2, seed = 4})
    local splitter = knob.split.repeated_stratified_kfold{k = 3, repeats = 2, seed = 4}
    local hand = by_hand(model, ds, splitter, {"accuracy"})
    assert.equals(6, #r.folds)
    local xs = {}
    for i, h in ipairs(hand) do
      assert.same(h.test, r.folds[i].valid_index)
      assert.equals(h.valid.accuracy, r.folds[i].valid.accuracy)
      xs[i] = h.valid.accuracy
    end
    local m, s = mean_std(xs)
    assert.is_true(math.abs(r.mean.accuracy - m) < 1e-12 and math.abs(r.std.accuracy - s) < 1e-12)
    for i = 1, 3 do
      for j, row in ipairs(hand[i].test) do assert.equals(hand[i].pred[j], r.oof[row]) end
    end
  end)

  it("uses a pipeline as given (transformers fit per fold) and leaves the user's objects unfitted", function()
    local ds = iris()
    local p = knob.pipeline{knob.prep.standardize(), knob.model.knn{n_neighbors = 7}}
    local cv = knob.split.stratified_kfold{k = 5, shuffle = true, seed = 1}
    local r = knob.cv.cross_validate(p, ds, {folds = cv, metrics = {"accuracy", "balanced_accuracy"}})
    local hand = by_hand(p, ds, cv, {"accuracy", "balanced_accuracy"})
    for i, h in ipairs(hand) do
      assert.equals(h.valid.accuracy, r.folds[i].valid.accuracy)
      assert.equals(h.valid.balanced_accuracy, r.folds[i].valid.balanced_accuracy)
    end
    assert.is_false(p:is_fitted())
    local steps = p:steps()
    assert.is_false(steps[1]:fitted())
    assert.is_false(steps[2]:is_fitted())
    local m = knob.model.gbdt{n_estimators = 5, seed = 1}
    knob.cv.score(m, ds, {folds = 3})
    assert.is_false(m:is_fitted())
    -- a fitted model stays as it was (its clones are fitted, not it)
    local fitted = knob.model.knn{n_neighbors = 1}:fit(ds)
    knob.cv.cross_validate(fitted, ds, {folds = 3})
    assert.equals(1, fitted:score(ds))
  end)

  it("subsets a per-row sample_weight to each fold's training rows", function()
    -- weights 1,1,1,1,1,3; folds (no shuffle) {1,2} {3,4} {5,6}; weighted training means:
    -- fold 1: (3 + 4 + 5 + 3*6) / 6 = 5; fold 2: (1 + 2 + 5 + 18) / 6 = 13/3; fold 3: (1+2+3+4)/4 = 2.5
    -- -> oof 5, 5, 13/3, 13/3, 2.5, 2.5
    local ds = six()
    local r = knob.cv.cross_validate(knob.model.dummy{strategy = "mean"}, ds, {folds = 3, shuffle = false,
      metrics = {"mae"}, fit = {sample_weight = {1, 1, 1, 1, 1, 3}}})
    local want = {5, 5, 13 / 3, 13 / 3, 2.5, 2.5}
    for i = 1, 6 do assert.is_true(math.abs(r.oof[i] - want[i]) < 1e-12) end
  end)

  it("reports each fold to a study trial; the median pruner stops a bad configuration mid-CV", function()
    local ds = iris()
    local cv = knob.split.stratified_kfold{k = 5, shuffle = true, seed = 2}
    local study = knob.study{direction = "maximize", sampler = knob.samplers.random{seed = 1},
                             pruner = knob.pruners.median{n_startup_trials = 1}}
    study:enqueue{model = "knn"}
    study:enqueue{model = "dummy"}
    local calls = 0
    study:optimize(function(trial)
      local kind = trial:suggest_categorical("model", {"knn", "dummy"})
      -- knn scores ~0.95 on every fold; predicting the most frequent class scores 1/3
      local m = kind == "knn" and knob.model.knn{n_neighbors = 5} or knob.model.dummy{strategy = "most_frequent"}
      calls = calls + 1
      return (knob.cv.score(m, ds, {folds = cv, trial = trial}))
    end, {n_trials = 2})
    assert.equals(2, calls)
    local trials = study:trials()
    assert.equals("complete", trials[1].state)
    assert.equals("pruned", trials[2].state)
    -- trial 1 reported the running mean of the fold accuracies at steps 1..5
    local r = knob.cv.cross_validate(knob.model.knn{n_neighbors = 5}, ds, {folds = cv})
    local total = 0
    for i = 1, 5 do
      total = total + r.folds[i].valid.accuracy
      assert.is_true(math.abs(trials[1].intermediate[i] - total / i) < 1e-12)
    end
    assert.equals(r.score, trials[1].value)
    -- trial 2 was pruned after its first fold (never reached the last one)
    assert.is_not_nil(trials[2].intermediate[1])
    assert.is_nil(trials[2].intermediate[5])
    assert.is_nil(trials[2].intermediate[2])
  end)

  it("formats a result as metric mean ± std", function()
    local r = knob.cv.cross_validate(knob.model.dummy{strategy = "mean"}, six(),
                                     {folds = 3, shuffle = false, metrics = {"mse", "mae"}, return_train = true})
    local text = knob.cv.format(r)
    assert.equals(text, tostring(r))
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equals(3, #lines)
    assert.matches("valid mean ± std", lines[1], 1, true)
    assert.matches("train mean ± std", lines[1], 1, true)
    assert.matches("(3 folds)", lines[1], 1, true)
    assert.matches("^mse ", lines[2]) -- the first metric first
    assert.matches(("mae +%.4f ± %.4f"):format(13 / 6, math.sqrt(((5 / 6) ^ 2 * 2 + (5 / 3) ^ 2) / 2)), lines[3])
    assert.matches("knob.cv.format: a result of knob.cv.cross_validate expected (got table)",
                   err_of(knob.cv.format, {}), 1, true)
  end)

  it("rejects bad inputs with clear messages", function()
    local ds = iris()
    local m = knob.model.dummy{}
    local cases = {
      {{"model", ds}, "knob.cv.cross_validate: a knob.Model or knob.pipeline expected as argument 1 (got string)"},
      {{m, {}}, "knob.cv.cross_validate: a knob.Dataset expected as argument 2 (got table)"},
      {{m, ds, 5}, "knob.cv.cross_validate: options must be a table (got number)"},
      {{m, ds, {folds = 1}}, "option 'folds' must be an integer >= 2 or a knob.split Splitter (got 1)"},
      {{m, ds, {folds = 2.5}}, "option 'folds' must be an integer >= 2 or a knob.split Splitter (got 2.5)"},
      {{m, ds, {folds = 0 / 0}}, "option 'folds' must be an integer >= 2"},
      {{m, ds, {metrics = {"acuracy"}}}, "knob.cv.cross_validate: metrics.get: unknown metric 'acuracy' (valid: "},
      {{m, ds, {metrics = {}}}, "option 'metrics' must be a non-empty list of metric names (got an empty table)"},
      {{m, ds, {metrics = {"accuracy", "accuracy"}}}, "metric 'accuracy' is listed twice"},
      {{m, ds, {fold = 5}}, "knob.cv.cross_validate: unknown option 'fold' (valid: folds, stratified, shuffle, " ..
        "seed, repeats, metrics, return_train, trial, fit, jobs)"},
      {{m, ds, {jobs = 0}}, "option 'jobs' must be an integer >= 1 (got 0)"},
      {{m, ds, {shuffle = "yes"}}, "option 'shuffle' must be a boolean (got string)"},
      {{m, ds, {repeats = 0}}, "option 'repeats' must be an integer >= 1 (got 0)"},
      {{m, ds, {shuffle = false, seed = 1}}, "option 'seed' needs shuffle = true"},
      {{m, ds, {shuffle = false, repeats = 2}}, "repeats > 1 needs shuffle = true"},
      {{m, ds, {folds = knob.split.kfold{k = 3}, seed = 1}},
        "option 'seed' cannot be combined with a Splitter as folds (the splitter decides)"},
      {{m, ds, {trial = 1}}, "option 'trial' must be a knob.study Trial (got number)"},
      {{m, ds, {fit = {sample_weight = {1, 2}}}},
        "fit option 'sample_weight' has 2 entries but the dataset has 150 rows (give one weight per row of the whole dataset)"},
      {{m, ds, {fit = {sample_weight = "w"}}}, "fit option 'sample_weight' must be an array of numbers (got string)"},
      {{m, six(), {metrics = {"roc_auc"}}}, "metric 'roc_auc' needs class probabilities; the dataset's task is regression"},
      {{m, ds, {folds = 60}}, "knob.cv.cross_validate: "}, -- a class smaller than k: the splitter's error
      {{m, ds, {fit = {threads = "x"}}}, "threads"}, -- fit's own option checks
      -- a failing fit names the fold
      {{knob.model.dummy{strategy = "mean"}, ds}, "knob.cv.cross_validate: fold 1 of 5: dummy: strategy 'mean' is for regression"},
    }
    for _, c in ipairs(cases) do
      assert.matches(c[2], err_of(knob.cv.cross_validate, table.unpack(c[1], 1, 3)), 1, true)
    end
    assert.matches("knob.cv.score: unknown option 'metric'", err_of(knob.cv.score, m, ds, {metric = "accuracy"}), 1, true)
    -- with jobs = 2 a failing fold is named too (it ran in a worker process)
    assert.matches("knob.cv.cross_validate: fold 1 of 5: dummy: strategy 'mean' is for regression",
      err_of(knob.cv.cross_validate, knob.model.dummy{strategy = "mean"}, ds, {jobs = 2}), 1, true)
    -- a dataset without a target
    local nt = knob.data.from_table{X = {{1}, {2}, {3}, {4}}, names = {"x"}}
    assert.matches("the dataset has no target", err_of(knob.cv.cross_validate, m, nt), 1, true)
  end)
end)
