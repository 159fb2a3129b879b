-- curves_spec.lua — knob.curves: training sizes against scikit-learn's learning_curve, the learning curve's
-- per-size scores against a hand-written loop over knob.split + fit + Model:score, the dummy baseline, the
-- diagnosis rules on synthetic curves (hand-computed skills and slopes), the validation curve against a hand
-- loop, lr_range against knob.mlp.lr_range_test, the sparkline, formats and bad inputs.
local knob = require "knob"
local helpers = require "helpers"

local function bc()
  return assert(knob.data.read_csv(KNOB_HOME .. "/examples/data/breast_cancer.csv", {target = "diagnosis"}))
end

local err_of, mean_std = helpers.err_of, helpers.mean_std

local function close(a, b, tol)
  return math.abs(a - b) <= (tol or 1e-12)
end

describe("knob.curves.train_sizes", function()
  -- /usr/bin/python3 (scikit-learn 1.2.1):
  --   import numpy as np, pandas as pd
  --   from sklearn.model_selection import learning_curve, StratifiedKFold
  --   from sklearn.dummy import DummyClassifier
  --   df = pd.read_csv("examples/data/breast_cancer.csv"); X = df.drop(columns="diagnosis").values
  --   y = df["diagnosis"].values
  --   learning_curve(DummyClassifier(), X, y, train_sizes=np.logspace(-1, 0, 8),
  --                  cv=StratifiedKFold(5, shuffle=True, random_state=0))[0].tolist()
  --     -> [45, 63, 87, 122, 169, 235, 327, 455]
  --   learning_curve(DummyClassifier(), X, y, train_sizes=[0.05, 0.25, 0.5, 0.75, 1.0], cv=StratifiedKFold(5))[0]
  --     -> [22, 113, 227, 341, 455]
  --   learning_curve(DummyClassifier(), X, y, train_sizes=[0.2, 0.5, 1.0], cv=StratifiedKFold(3))[0]
  --     -> [75, 189, 379]
  --   learning_curve(DummyClassifier(), np.arange(24).reshape(-1, 1), np.array([0, 1] * 12),
  --                  train_sizes=[0.05, 0.25, 0.35, 0.45, 1.0], cv=StratifiedKFold(2))[0]
  --     -> [1, 3, 4, 5, 12]
  it("equals scikit-learn's learning_curve train_sizes", function()
    assert.are.same({45, 63, 87, 122, 169, 235, 327, 455}, (knob.curves.train_sizes(8, 455)))
    assert.are.same({22, 113, 227, 341, 455}, (knob.curves.train_sizes({0.05, 0.25, 0.5, 0.75, 1.0}, 455)))
    assert.are.same({75, 189, 379}, (knob.curves.train_sizes({0.2, 0.5, 1.0}, 379)))
    assert.are.same({1, 3, 4, 5, 12}, (knob.curves.train_sizes({0.05, 0.25, 0.35, 0.45, 1.0}, 12)))
  end)

  it("takes row counts, sorts and drops repeats, and gives the fractions", function()
    local sizes, fr = knob.curves.train_sizes({50, 10, 50, 100}, 100)
    assert.are.same({10, 50, 100}, sizes)
    assert.are.same({0.1, 0.5, 1.0}, fr)
    -- 0.6, 1.2, 3.0 truncated: 0, 1, 3 -> clipped to 1, 1, 3 -> {1, 3}
    assert.are.same({1, 3}, (knob.curves.train_sizes({0.01, 0.02, 0.05}, 60)))
    assert.are.same({10}, (knob.curves.train_sizes(1, 10)))
    assert.are.same({2, 10}, (knob.curves.train_sizes(2, 10, 0.25))) -- 0.25 and 1.0
  end)

  it("rejects bad sizes", function()
    assert.matches("sizes entry 2: 101 rows is outside 1..100", err_of(knob.curves.train_sizes, {10, 101}, 100))
    assert.matches("sizes entry 1: a fraction must be in %(0, 1%] %(got 1.5%)",
      err_of(knob.curves.train_sizes, {1.5}, 100))
    assert.matches("a fraction must be in", err_of(knob.curves.train_sizes, {0.0, 0.5}, 100))
    assert.matches("sizes entry 1 must be a number %(got NaN", err_of(knob.curves.train_sizes, {0 / 0}, 100))
    assert.matches("sizes is an empty list", err_of(knob.curves.train_sizes, {}, 100))
    assert.matches("sizes must be a count >= 1", err_of(knob.curves.train_sizes, 0, 100))
    assert.matches("sizes must be a count >= 1 or a list", err_of(knob.curves.train_sizes, "8", 100))
    assert.matches("min_fraction must be in %(0, 1%]", err_of(knob.curves.train_sizes, 8, 100, 2))
  end)
end)

describe("knob.curves.learning", function()
  local ds
  setup(function() ds = bc() end)

  -- The hand-written loop through the primitives (the documented procedure).
  local function by_hand(model, d, fractions, k, repeats, seed, metric)
    local out = {}
    local n_max
    for r = 1, repeats do
      local parts = knob.split.stratified_kfold{k = k, shuffle = true, seed = seed + r - 1}:split(d)
      n_max = n_max or #parts[1].train
      for s, fr in ipairs(fractions) do
        local n = math.floor(fr * n_max)
        out[s] = out[s] or {n = n, train = {}, valid = {}}
        for _, part in ipairs(parts) do
          local rows = part.train
          if n < #part.train then
            local view = knob.split.view(d, part.train)
            local strat = n >= 2 and #part.train - n >= 2
            local _, sub = knob.split.train_test_indices(view, {test = n, stratify = strat, seed = seed + r - 1})
            rows = {}
            for i, j in ipairs(sub) do rows[i] = part.train[j] end
          end
          local tr, va = knob.split.view(d, rows), knob.split.view(d, part.test)
          local m = model:clone():fit(tr)
          table.insert(out[s].train, m:score(tr, metric))
          table.insert(out[s].valid, m:score(va, metric))
        end
      end
    end
    return out
  end

  it("scores every size like a hand-written loop over knob.split + fit + score", function()
    local model = knob.pipeline{knob.prep.standardize(), knob.model.logistic{}}
    local fractions = {0.2, 0.5, 1.0}
    local c = knob.curves.learning(model, ds, {sizes = fractions, folds = 3, repeats = 2, seed = 11,
                                               metric = "f1_macro"})
    local hand = by_hand(model, ds, fractions, 3, 2, 11, "f1_macro")
    assert.are.equal(3, #c.points)
    for s, p in ipairs(c.points) do
      assert.are.equal(hand[s].n, p.n_train)
      assert.are.equal(6, #p.valid)
      for i = 1, 6 do
        assert.is_true(close(hand[s].train[i], p.train[i]), ("size %d fit %d train"):format(s, i))
        assert.is_true(close(hand[s].valid[i], p.valid[i]), ("size %d fit %d valid"):format(s, i))
      end
      local tm, ts = mean_std(hand[s].train)
      local vm, vs = mean_std(hand[s].valid)
      assert.is_true(close(tm, p.train_mean) and close(ts, p.train_std))
      assert.is_true(close(vm, p.valid_mean) and close(vs, p.valid_std))
      assert.is_true(p.fit_seconds > 0)
    end
    -- the sizes are scikit-learn's for these fractions and 3 folds (see train_sizes above: [75, 189, 379])
    assert.are.same({75, 189, 379}, {c.points[1].n_train, c.points[2].n_train, c.points[3].n_train})
    assert.are.equal(379, c.n_max)
    assert.are.equal("f1_macro", c.metric)
    assert.is_true(c.greater_is_better)
  end)

  it("scores the dummy baseline on the same folds", function()
    local c = knob.curves.learning(knob.model.tree{max_depth = 2}, ds, {sizes = {1.0}, folds = 4, repeats = 2,
                                                                        seed = 3})
    -- the prior dummy predicts each fold's training majority (benign): its accuracy is the share of benign
    -- rows in the validation fold; averaged over 2 x 4 folds
    local xs = {}
    for r = 1, 2 do
      for _, part in ipairs(knob.split.stratified_kfold{k = 4, shuffle = true, seed = 3 + r - 1}:split(ds)) do
        local y, b = knob.split.view(ds, part.test):target(), 0
        for _, v in ipairs(y) do if v == "benign" then b = b + 1 end end
        xs[#xs + 1] = b / #y
      end
    end
    assert.is_true(close(mean_std(xs), c.baseline))
    assert.is_nil(knob.curves.learning(knob.model.dummy{}, ds, {sizes = {1.0}, folds = 2, repeats = 1,
                                                                baseline = false}).baseline)
  end)

  it("works for regression with an error metric", function()
    local X, y = {}, {}
    for i = 1, 80 do
      X[i] = {i % 9, (i * 7) % 13}
      y[i] = 2 * (i % 9) - (i * 7) % 13 + ((i * 31) % 5) / 5
    end
    local reg = knob.data.from_table{X = X, y = y, names = {"a", "b"}, task = "regression"}
    local c = knob.curves.learning(knob.model.linear{}, reg, {sizes = {0.5, 1.0}, folds = 4, repeats = 1,
                                                              metric = "rmse"})
    assert.is_false(c.greater_is_better)
    local parts = knob.split.kfold{k = 4, shuffle = true, seed = 0}:split(reg)
    local part = parts[2]
    local tr, va = knob.split.view(reg, part.train), knob.split.view(reg, part.test)
    local m = knob.model.linear{}:fit(tr)
    assert.is_true(close(m:score(va, "rmse"), c.points[2].valid[2]))
    assert.are.equal(30, c.points[1].n_train)
  end)

  it("formats the curve with a sparkline and the diagnosis", function()
    local c = knob.curves.learning(knob.model.tree{max_depth = 3}, ds, {sizes = 3, folds = 3, repeats = 1})
    local text = tostring(c)
    assert.are.equal(text, knob.curves.format(c))
    assert.matches("learning curve: accuracy, 3 folds x 1 repeats, seed 0", text)
    assert.matches("n_train%s+fraction%s+train accuracy%s+valid accuracy%s+fit", text)
    assert.matches("valid accuracy by size: [▁▂▃▄▅▆▇█]+", text)
    assert.matches("dummy baseline %(valid%): 0%.62", text)
    assert.matches("diagnosis: ", text)
    assert.is_true(#c.diagnosis.labels >= 1)
  end)

  it("rejects bad input with clear errors", function()
    local m = knob.model.dummy{}
    assert.matches("knob.Model or knob.pipeline expected as argument 1", err_of(knob.curves.learning, nil, ds))
    assert.matches("knob.Dataset expected as argument 2", err_of(knob.curves.learning, m, {}))
    assert.matches("the dataset is empty", err_of(knob.curves.learning, m, knob.split.view(ds, {})))
    assert.matches("unknown option 'size' %(valid: sizes,", err_of(knob.curves.learning, m, ds, {size = 3}))
    assert.matches("unknown metric 'accurcy'", err_of(knob.curves.learning, m, ds, {metric = "accurcy"}))
    assert.matches("sizes entry 1: 1000 rows is outside 1..455", err_of(knob.curves.learning, m, ds,
      {sizes = {1000}}))
    assert.matches("option 'repeats' must be an integer >= 1", err_of(knob.curves.learning, m, ds, {repeats = 0}))
    assert.matches("option 'folds' must be an integer >= 2", err_of(knob.curves.learning, m, ds, {folds = 1.5}))
    assert.matches("option 'sizes' must be a count or a list", err_of(knob.curves.learning, m, ds, {sizes = "8"}))
    assert.matches("option 'baseline' must be a boolean", err_of(knob.curves.learning, m, ds, {baseline = 1}))
    local nf = knob.data.from_table{X = {{1}, {2}}, names = {"x"}}
    assert.matches("the dataset has no target", err_of(knob.curves.learning, m, nf))
  end)
end)

describe("knob.curves.diagnose", function()
  local function curve(gib, baseline, pts)
    local points = {}
    for i, p in ipairs(pts) do points[i] = {n_train = p[1], train_mean = p[2], valid_mean = p[3]} end
    return {greater_is_better = gib, baseline = baseline, points = points}
  end

  -- skill(x) = (x - 0.5) / (1 - 0.5) with the baseline 0.5 below
  it("finds high variance: a large train-validation gap", function()
    local d = knob.curves.diagnose(curve(true, 0.5, {{100, 1.0, 0.8}, {200, 1.0, 0.8}, {400, 1.0, 0.8}}))
    assert.are.same({"high variance"}, d.labels) -- skills 1.0 and 0.6: gap 0.4 > 0.1; flat: slope 0
    assert.is_true(close(d.skill.gap, 0.4) and close(d.skill.slope, 0))
    assert.are.same({"converged"}, knob.curves.diagnose(curve(true, 0.5, {{100, 1.0, 0.8}}), {variance_gap = 0.5})
      .labels)
  end)

  it("finds high bias: both low and close", function()
    local d = knob.curves.diagnose(curve(true, 0.5, {{100, 0.72, 0.69}, {200, 0.7, 0.68}, {400, 0.7, 0.68}}))
    assert.are.same({"high bias"}, d.labels) -- skills 0.4 and 0.36: gap 0.04, train 0.4 < 0.8
    assert.is_true(close(d.skill.train, 0.4) and close(d.skill.valid, 0.36))
    assert.matches("more flexible model", d.text)
  end)

  it("finds a validation score still improving with more data", function()
    -- valid skills 0.6, 0.7, 0.8 at log2 n = 7, 8, 9: least-squares slope 0.1 per doubling > 0.01;
    -- train skill 0.88, gap 0.08
    local c = curve(true, 0.5, {{64, 0.95, 0.7}, {128, 0.94, 0.8}, {256, 0.94, 0.85}, {512, 0.94, 0.9}})
    local d = knob.curves.diagnose(c)
    assert.are.same({"still improving with more data"}, d.labels)
    assert.is_true(close(d.skill.slope, 0.1))
    assert.are.same({"converged"}, knob.curves.diagnose(c, {slope = 0.2}).labels)
    -- variance and improving together
    local both = curve(true, 0.5, {{100, 1.0, 0.6}, {200, 1.0, 0.7}, {400, 1.0, 0.8}})
    assert.are.same({"high variance", "still improving with more data"}, knob.curves.diagnose(both).labels)
  end)

  it("calls a flat curve close to its training score converged", function()
    local d = knob.curves.diagnose(curve(true, 0.5, {{100, 0.96, 0.95}, {200, 0.96, 0.95}, {400, 0.96, 0.95}}))
    assert.are.same({"converged"}, d.labels)
    assert.matches("levelled off", d.text)
  end)

  it("uses skills for error metrics: the dummy's error is 0, a perfect score 1", function()
    -- rmse, baseline 10: skill(x) = (x - 10) / (0 - 10): train 1 -> 0.9, valid 5 -> 0.5
    local d = knob.curves.diagnose(curve(false, 10, {{100, 1, 5}, {200, 1, 5}}))
    assert.are.same({"high variance"}, d.labels)
    assert.is_true(close(d.skill.train, 0.9) and close(d.skill.valid, 0.5))
    -- without a baseline: the largest validation error on the curve (8) stands in: skill(2) = 0.75
    local nb = knob.curves.diagnose(curve(false, nil, {{100, 2, 8}, {200, 2, 2.2}}))
    assert.is_true(close(nb.skill.train, 0.75))
    -- greater is better without a baseline: D = 0
    assert.is_true(close(knob.curves.diagnose(curve(true, nil, {{10, 0.9, 0.5}})).skill.train, 0.9))
  end)

  it("rejects bad input", function()
    assert.matches("a curve with points expected", err_of(knob.curves.diagnose, {}))
    assert.matches("unknown option 'gap'", err_of(knob.curves.diagnose, curve(true, 0.5, {{1, 1, 1}}), {gap = 1}))
  end)
end)

describe("knob.curves.validation", function()
  local ds
  setup(function() ds = bc() end)

  it("scores every value like a hand-written loop and picks the best", function()
    local make = function(C) return knob.pipeline{knob.prep.standardize(), knob.model.logistic{C = C}} end
    local values = {0.001, 0.1, 10}
    local c = knob.curves.validation(make, "C", values, ds, {folds = 3, seed = 5, metric = "log_loss"})
    local best, bv
    for i, v in ipairs(values) do
      local valid, train = {}, {}
      for _, f in ipairs(knob.split.stratified_kfold{k = 3, shuffle = true, seed = 5}:split(ds)) do
        local tr, va = knob.split.view(ds, f.train), knob.split.view(ds, f.test)
        local m = make(v):fit(tr)
        valid[#valid + 1], train[#train + 1] = m:score(va, "log_loss"), m:score(tr, "log_loss")
      end
      local vm, vs = mean_std(valid)
      local tm, ts = mean_std(train)
      local p = c.points[i]
      assert.are.equal(v, p.value)
      assert.is_true(close(vm, p.valid_mean) and close(vs, p.valid_std) and close(tm, p.train_mean) and
        close(ts, p.train_std))
      if not best or vm < best then best, bv = vm, i end -- log_loss: lower is better
    end
    local near = {}
    for i, v in ipairs(values) do
      if math.abs(c.points[i].valid_mean - c.points[bv].valid_mean) <= c.points[bv].valid_std then
        near[#near + 1] = v
      end
    end
    assert.are.same(near, c.close_to_best)
    assert.are.equal(values[bv], c.best.value)
    assert.are.equal(bv, c.best.index)
    assert.is_false(c.greater_is_better)
    local text = tostring(c)
    assert.matches("validation curve of C %(log_loss%)", text)
    assert.matches("best C = " .. tostring(values[bv]), text)
    assert.matches("within one std of the best %(not told apart by this CV%): ", text)
    assert.matches("\n" .. tostring(values[bv]):gsub("%.", "%%.") .. " %*", text)
  end)

  it("rejects bad input with clear errors", function()
    local make = function() return knob.model.dummy{} end
    assert.matches("a function value %-> model expected as argument 1",
      err_of(knob.curves.validation, knob.model.dummy{}, "x", {1}, ds))
    assert.matches("a parameter name expected as argument 2", err_of(knob.curves.validation, make, 1, {1}, ds))
    assert.matches("a non%-empty list of values expected as argument 3 %(got an empty table%)",
      err_of(knob.curves.validation, make, "x", {}, ds))
    assert.matches("knob.Dataset expected as argument 4", err_of(knob.curves.validation, make, "x", {1}, nil))
    assert.matches("unknown option 'folds_' %(valid: folds,",
      err_of(knob.curves.validation, make, "x", {1}, ds, {folds_ = 2}))
    assert.matches("unknown metric 'r3'", err_of(knob.curves.validation, make, "x", {1}, ds, {metric = "r3"}))
    assert.matches("make_model%(1%) returned table, not a knob.Model",
      err_of(knob.curves.validation, function() return {} end, "x", {1}, ds))
    assert.matches("make_model%(2%): .*boom",
      err_of(knob.curves.validation, function() error("boom") end, "x", {2}, ds))
    assert.matches("make_model%(%-1%): gbdt: hyperparameter 'learning_rate' must be > 0",
      err_of(knob.curves.validation, function(v) return knob.model.gbdt{learning_rate = v} end,
        "learning_rate", {-1}, ds, {folds = 2}))
    local cat = knob.data.from_table{X = {{"a"}, {"b"}, {"a"}, {"b"}}, y = {"x", "y", "x", "y"}, names = {"c"}}
    assert.matches("h = 1: knob.cv.cross_validate: fold 1 of 2: .*categorical",
      err_of(knob.curves.validation, function() return knob.model.mlp{} end, "h", {1}, cat, {folds = 2}))
  end)
end)

describe("knob.curves.lr_range", function()
  it("wraps knob.mlp.lr_range_test into a curve with the suggested rate", function()
    local X, y = {}, {}
    for i = 1, 64 do
      local a, b = ((i * 37) % 64) / 32 - 1, ((i * 11) % 64) / 32 - 1
      X[i], y[i] = {a, b}, a + b > 0 and "p" or "n"
    end
    local ds = knob.data.from_table{X = X, y = y, names = {"a", "b"}}
    local mk = function() return knob.model.mlp{hidden = {8}, optimizer = "sgd", seed = 3, batch_size = 16} end
    local opts = {lr_min = 1e-4, lr_max = 10, steps = 40}
    local c = knob.curves.lr_range(mk(), ds, opts)
    local raw = knob.mlp.lr_range_test(mk(), ds, opts)
    assert.are.equal(#raw.lrs, #c.points)
    local best = 1
    for i, p in ipairs(c.points) do
      assert.are.equal(raw.lrs[i], p.lr)
      assert.are.equal(raw.losses[i], p.loss)
      assert.are.equal(raw.smoothed[i], p.smoothed)
      if raw.smoothed[i] < raw.smoothed[best] then best = i end
    end
    assert.are.equal(raw.lrs[best], c.lr_at_min)
    assert.are.equal(raw.lrs[best] / 10, c.suggested)
    local text = tostring(c)
    assert.matches("learning%-rate range test: %d+ steps", text)
    assert.matches("suggested learning rate", text)
  end)

  it("rejects a model that is not an mlp", function()
    local ds = knob.data.from_table{X = {{1}, {2}}, y = {"a", "b"}, names = {"x"}}
    assert.matches("knob.curves.lr_range: .*needs an mlp", err_of(knob.curves.lr_range, knob.model.gbdt{}, ds))
  end)
end)

describe("knob.curves.sparkline and format", function()
  it("draws one of eight bars per value, scaled min..max", function()
    assert.are.equal("▁▂▃▄▅▆▇█", knob.curves.sparkline({1, 2, 3, 4, 5, 6, 7, 8}))
    assert.are.equal("▄▄▄", knob.curves.sparkline({2, 2, 2}))
    assert.are.equal("▁ █", knob.curves.sparkline({0, 0 / 0, 1}))
    assert.are.equal("▁█", knob.curves.sparkline({0, 1, 0.5, 1}, 2)) -- positions 1 and 4
  end)

  it("rejects what is not a curve", function()
    assert.matches("a curve of knob.curves.learning, validation or lr_range expected",
      err_of(knob.curves.format, {}))
  end)
end)

describe("examples/learning_curve.lua", function()
  it("runs on iris with a diagnosis and the best learning rate", function()
    local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"
    local out, code = helpers.run(exe .. " examples/learning_curve.lua examples/data/iris.csv species")
    assert.are.equal(0, code, out)
    assert.matches("learning curve: accuracy, 5 folds x 3 repeats, seed 42", out, 1, true)
    assert.matches("validation curve of learning_rate (accuracy)", out, 1, true)
    assert.matches("logistic  at 96 rows: valid 0%.%d+ ± 0%.%d+ %(dummy 0%.3333%) %-> [%a ]+", out)
    assert.matches("gbdt's best learning_rate here is ", out, 1, true)
  end)
end)
