-- importance_spec.lua — knob.importance: permutation importance, native importances, correlated features,
-- fANOVA hyperparameter importance and slices (SHAP is in shap_spec.lua).
local knob = require "knob"
local core = require "knob.core"
local helpers = require "helpers"
local near, lcg = helpers.near, helpers.lcg

local NaN = 0 / 0

-- x1 decides the class (x1 > 0.5); x2, x3 are noise.
local function step_data(n, seed)
  local r = lcg(seed)
  local X, y = {}, {}
  for i = 1, n do
    X[i] = {r(), r(), r()}
    y[i] = X[i][1] > 0.5 and "hi" or "lo"
  end
  return knob.data.from_table{X = X, y = y, names = {"x1", "x2", "x3"}}
end

describe("knob.importance.permutation", function()
  it("a model that depends on one feature: the others drop exactly 0", function()
    local train, valid = step_data(200, 1), step_data(100, 2)
    local t = knob.model.tree{}:fit(train)
    local imp = t:feature_importances()
    assert.equals(1, imp.x1) -- the tree splits on x1 only (one split separates the classes)
    local r = knob.importance.permutation(t, valid, {repeats = 4, seed = 3})
    assert.equals("accuracy", r.metric)
    assert.equals(1, r.baseline)
    assert.equals(0, r.mean.x2)
    assert.equals(0, r.std.x2)
    assert.equals(0, r.mean.x3)
    assert.same({0, 0, 0, 0}, r.features[3].drops)
    assert.is_true(r.mean.x1 > 0.3) -- shuffling x1 leaves about half the rows right
    assert.equals("x1", r.features[1].name)
    assert.equals(4, #r.features[1].drops)
    -- mean and population std of the drops
    local d, s = r.features[1].drops, 0
    for _, v in ipairs(d) do s = s + v end
    near(s / 4, r.mean.x1)
    local ss = 0
    for _, v in ipairs(d) do ss = ss + (v - s / 4) ^ 2 end
    near(math.sqrt(ss / 4), r.std.x1)
  end)

  it("regression: noise features get about 0, the informative one a large drop; lower-is-better metrics flip", function()
    local function reg(n, seed)
      local r = lcg(seed)
      local X, y = {}, {}
      for i = 1, n do
        X[i] = {r(), r(), r()}
        y[i] = 5 * X[i][2] + 0.1 * r()
      end
      return knob.data.from_table{X = X, y = y, names = {"n1", "signal", "n2"}}
    end
    local f = knob.model.forest{n_estimators = 30, seed = 1}:fit(reg(300, 4))
    local valid = reg(150, 5)
    local r2 = knob.importance.permutation(f, valid, {seed = 1})
    assert.equals("r2", r2.metric)
    assert.is_true(r2.mean.signal > 1, "signal " .. r2.mean.signal) -- R^2 falls from ~1 to below 0
    assert.is_true(math.abs(r2.mean.n1) < 0.02, "n1 " .. r2.mean.n1)
    assert.is_true(math.abs(r2.mean.n2) < 0.02, "n2 " .. r2.mean.n2)
    local mse = knob.importance.permutation(f, valid, {metric = "mse", repeats = 2, seed = 1})
    assert.is_true(mse.mean.signal > 1, "mse drop is permuted - baseline > 0")
    -- same seed, same result; another seed, other shuffles
    assert.same(r2, knob.importance.permutation(f, valid, {seed = 1}))
    assert.are_not.same(r2.features[2].drops, knob.importance.permutation(f, valid, {seed = 2}).features[2].drops)
    -- any model with :score, a pipeline too
    local pipe = knob.pipeline{knob.prep.standardize(), knob.model.knn{}}:fit(reg(300, 4))
    local rp = knob.importance.permutation(pipe, valid, {repeats = 2})
    assert.is_true(rp.mean.signal > 10 * math.abs(rp.mean.n1) and rp.mean.signal > 10 * math.abs(rp.mean.n2))
  end)

  it("knob.core.importance.permute shuffles one column of a copy and nothing else", function()
    local ds = step_data(50, 9)
    local p = core.importance.permute(ds, 2, 17)
    assert.same(ds:column(1), p:column(1))
    assert.same(ds:column(3), p:column(3))
    assert.same(ds:target(), p:target())
    local a, b = ds:column(2), p:column(2)
    assert.are_not.same(a, b)
    table.sort(a)
    table.sort(b)
    assert.same(a, b)
    assert.same(p:column(2), core.importance.permute(ds, 2, 17):column(2)) -- seeded
    assert.error_matches(function() core.importance.permute(ds, 4, 1) end, "column 4 is out of range")
    assert.error_matches(function() core.importance.permute(ds, 1, -1) end, "seed must be >= 0")
  end)

  it("rejects bad input", function()
    local ds = step_data(30, 1)
    local t = knob.model.tree{}:fit(ds)
    local P = knob.importance.permutation
    assert.error_matches(function() P(42, ds) end, "expected a model or pipeline")
    assert.error_matches(function() P(t, "ds") end, "expected a knob.Dataset")
    assert.error_matches(function() P(t, ds, {repeat_ = 2}) end, "unknown option 'repeat_'")
    assert.error_matches(function() P(t, ds, {repeats = 0}) end, "'repeats' must be >= 1")
    assert.error_matches(function() P(t, ds, {repeats = 1.5}) end, "'repeats' must be an integer")
    assert.error_matches(function() P(t, ds, {seed = -1}) end, "'seed' must be >= 0")
    assert.error_matches(function() P(t, ds, {seed = NaN}) end, "'seed' must be an integer")
    assert.error_matches(function() P(t, ds, {metric = "acuracy"}) end, "acuracy")
    assert.error_matches(function() P(t, ds, {metric = 3}) end, "'metric' must be a metric name")
    assert.error_matches(function() P(knob.model.tree{}, ds) end, "not fitted")
    assert.error_matches(function() P(t, ds:subset({})) end, "no rows")
  end)
end)

describe("knob.importance.native", function()
  it("wraps the model's own importances with a ranked list", function()
    local ds = step_data(100, 3)
    local f = knob.model.forest{n_estimators = 10, seed = 2}:fit(ds)
    local map, list = knob.importance.native(f)
    assert.same(f:feature_importances(), map)
    assert.equals("x1", list[1].name)
    assert.is_true(list[1].importance >= list[2].importance and list[2].importance >= list[3].importance)
    assert.error_matches(function() knob.importance.native(knob.model.knn{}:fit(ds)) end, "knn has no native feature importances")
    assert.error_matches(function() knob.importance.native(knob.model.tree{}) end, "not fitted")
    assert.error_matches(function() knob.importance.native("m") end, "expected a knob model")
  end)
end)

describe("knob.importance.correlated", function()
  -- The columns below and their correlations from numpy 1.24 / scipy 1.10 (/usr/bin/python3):
  --   a = 1..10; b = [2.1, 3.9, 6.2, 8.1, 9.8, 12.2, 13.9, 16.1, 18.0, 20.2]; c = [5, 1, 4, 2, 8, 3, 9, 6, 10, 7]
  --   d = exp(a); e = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
  --   X = np.vstack([a, b, c, d, e]); P = np.corrcoef(X); S = scipy.stats.spearmanr(X.T).correlation
  --   (printed with "%.17g")
  local P = {{0.99999999999999989, 0.99972503192149831, 0.64848484848484833, 0.71687040197302876, 0.98473192783466179},
             {0.99972503192149831, 1, 0.6389901609289721, 0.72234465469723386, 0.98301079590183371},
             {0.64848484848484833, 0.6389901609289721, 0.99999999999999989, 0.38821393063364967, 0.76316724407186287},
             {0.71687040197302876, 0.72234465469723386, 0.38821393063364967, 0.99999999999999989, 0.68505864567224595},
             {0.98473192783466179, 0.98301079590183382, 0.76316724407186287, 0.68505864567224595, 1}}
  local S = {{0.99999999999999989, 0.99999999999999989, 0.64848484848484833, 0.99999999999999989, 0.98473192783466179},
             {0.99999999999999989, 0.99999999999999989, 0.64848484848484833, 0.99999999999999989, 0.98473192783466179},
             {0.64848484848484833, 0.64848484848484833, 0.99999999999999989, 0.64848484848484833, 0.76316724407186287},
             {0.99999999999999989, 0.99999999999999989, 0.64848484848484833, 0.99999999999999989, 0.98473192783466179},
             {0.98473192783466179, 0.98473192783466179, 0.76316724407186287, 0.98473192783466179, 1}}
  local B = {2.1, 3.9, 6.2, 8.1, 9.8, 12.2, 13.9, 16.1, 18.0, 20.2}
  local Cc = {5, 1, 4, 2, 8, 3, 9, 6, 10, 7}
  local E = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5}
  local function data(extra)
    local X = {}
    for i = 1, 10 do
      X[i] = {i, B[i], Cc[i], math.exp(i), E[i]}
      if extra then X[i][6], X[i][7] = 3, (i % 2 == 0) and "u" or "v" end
    end
    local names = {"a", "b", "c", "d", "e"}
    if extra then names[6], names[7] = "const", "cat" end
    return knob.data.from_table{X = X, names = names}
  end

  it("Pearson and Spearman matrices equal numpy / scipy", function()
    local ds = data()
    local p, s = core.importance.correlation(ds, {1, 2, 3, 4, 5}, false), core.importance.correlation(ds, {1, 2, 3, 4, 5}, true)
    for i = 1, 5 do
      for j = 1, 5 do
        near(P[i][j], p[i][j], 1e-13, ("pearson %d %d"):format(i, j))
        near(S[i][j], s[i][j], 1e-13, ("spearman %d %d"):format(i, j))
      end
    end
  end)

  it("reports the pairs above the threshold, strongest first; categorical and constant columns never pair", function()
    local pairs_ = knob.importance.correlated(data(true), {threshold = 0.98})
    local got = {}
    for i, q in ipairs(pairs_) do got[i] = q.a .. "-" .. q.b end
    -- spearman 1 (rounded to 0.99999999999999989) for a-b, a-d, b-d; then a-e (0.98473 both), b-e (spearman 0.98473)
    -- and d-e (spearman 0.98473)
    assert.same({"a-b", "a-d", "b-d", "a-e", "b-e", "d-e"}, got)
    near(P[1][2], pairs_[1].pearson, 1e-13)
    near(S[1][4], pairs_[2].spearman, 1e-13)
    local only_p = knob.importance.correlated(data(), {threshold = 0.98, method = "pearson"})
    got = {}
    for i, q in ipairs(only_p) do got[i] = q.a .. "-" .. q.b end
    assert.same({"a-b", "a-e", "b-e"}, got)
    assert.same({}, knob.importance.correlated(data(), {threshold = 1, method = "pearson"}))
    assert.equals(10, #knob.importance.correlated(data(), {threshold = 0})) -- every pair of the 5 columns
  end)

  it("rejects bad input", function()
    local C = knob.importance.correlated
    assert.error_matches(function() C("x") end, "expected a knob.Dataset")
    assert.error_matches(function() C(data(), {threshold = 2}) end, "'threshold' must be a number in %[0, 1%]")
    assert.error_matches(function() C(data(), {threshold = NaN}) end, "'threshold' must be a number")
    assert.error_matches(function() C(data(), {method = "kendall"}) end, "'method' must be both, pearson or spearman")
    assert.error_matches(function() C(data(), {treshold = 0.5}) end, "unknown option 'treshold'")
    local holes = knob.data.from_table{X = {{1, 2}, {2, NaN}, {3, 1}}, names = {"p", "q"}}
    assert.error_matches(function() C(holes) end, "feature 'q' is missing %(NaN%) at row 2")
    local one = knob.data.from_table{X = {{1, 2}}, names = {"p", "q"}}
    assert.error_matches(function() C(one) end, "at least 2 rows")
    assert.error_matches(function() core.importance.correlation(data(), {6}, false) end, "out of range")
  end)
end)

describe("fANOVA", function()
  -- Hand-checkable: a tree on the 2 x 2 grid {0.25, 0.75}^2 learns f exactly, cut at 0.5, over the box [0, 1]^2.
  local function grid_model(f)
    local X, y = {}, {}
    for _, a in ipairs{0.25, 0.75} do
      for _, b in ipairs{0.25, 0.75} do
        X[#X + 1], y[#y + 1] = {a, b}, f(a, b)
      end
    end
    return knob.model.tree{}:fit(knob.data.from_table{X = X, y = y, names = {"x", "y"}, task = "regression"})
  end

  it("additive f = [x > .5] + 2 [y > .5]: variance fractions 0.25 / 1.25 and 1 / 1.25; marginals by hand", function()
    local m = grid_model(function(a, b) return (a > 0.5 and 1 or 0) + (b > 0.5 and 2 or 0) end)
    local imp, sd = core.importance.fanova(m, {0, 0}, {1, 1})
    near(0.2, imp[1])
    near(0.8, imp[2])
    assert.same({0, 0}, sd) -- one tree
    -- marginal of x: mean over y of f = [x > .5] + 1
    local mean = core.importance.marginal(m, 1, {0, 0}, {1, 1}, {0, 0.25, 0.5, 0.75, 1})
    assert.same({1, 1, 1, 2, 2}, mean) -- x = 0.5 goes left (x <= threshold), like prediction
  end)

  it("pure interaction f = [x > .5 and y > .5]: each main effect explains 1/3 of the variance", function()
    -- mean 1/4, variance 3/16; marginal of x: 1/2 on the right half, 0 on the left: variance 1/16
    local m = grid_model(function(a, b) return (a > 0.5 and b > 0.5) and 1 or 0 end)
    local imp = core.importance.fanova(m, {0, 0}, {1, 1})
    near(1 / 3, imp[1])
    near(1 / 3, imp[2])
    -- a wider box for x: [0, 2] puts 3/4 of x's mass right of the cut: marginal 1/2 w.p. 3/4, mean 3/8,
    -- variance 3/4 * 1/4 - ... = E[a^2] - mean^2 = 3/16 - 9/64 = 3/64; total: p = 3/8, var = 3/8 * 5/8 = 15/64
    imp = core.importance.fanova(m, {0, 0}, {2, 1})
    near(3 / 15, imp[1])
  end)

  it("rejects what it cannot decompose", function()
    local m = grid_model(function(a) return a end)
    assert.error_matches(function() core.importance.fanova(m, {0, 0}, {1}) end, "one bound per feature")
    assert.error_matches(function() core.importance.fanova(m, {0, 1}, {1, 1}) end, "low < high")
    assert.error_matches(function() core.importance.fanova(m, {0, NaN}, {1, 1}) end, "entry 2 is NaN")
    assert.error_matches(function() core.importance.marginal(m, 3, {0, 0}, {1, 1}, {0.5}) end, "out of range")
    local g = knob.model.gbdt{n_estimators = 2, min_samples_leaf = 1}:fit(
      knob.data.from_table{X = {{1}, {2}, {3}}, y = {1, 2, 3}, names = {"x"}, task = "regression"})
    assert.error_matches(function() core.importance.fanova(g, {0}, {1}) end, "needs a tree, forest or extra_trees")
    local c = knob.model.tree{}:fit(step_data(20, 1))
    assert.error_matches(function() core.importance.fanova(c, {0, 0, 0}, {1, 1, 1}) end, "fitted for regression")
    assert.error_matches(function() core.importance.fanova(knob.model.tree{}, {0}, {1}) end, "not fitted")
  end)
end)

describe("knob.importance.params / slices", function()
  -- The trials of a seeded random search; the same (params, value) table was exported to CSV and given to
  -- Optuna 3.1.0 (/usr/bin/python3):
  --   study = optuna.create_study(); d = {k: FloatDistribution(0, 1) for k in "xyz"}
  --   study.add_trials([optuna.trial.create_trial(params=..., distributions=d, value=...) for each row])
  --   get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=s)) for s = 0, 1, 2
  local function random_study(f)
    local study = knob.study{sampler = knob.samplers.random{seed = 7}, pruner = knob.pruners.none()}
    study:optimize(function(t)
      local x, y = t:suggest_float("x", 0, 1), t:suggest_float("y", 0, 1)
      t:suggest_float("z", 0, 1)
      return f(x, y)
    end, {n_trials = 200})
    return study
  end

  local function as_map(list)
    local m = {}
    for _, e in ipairs(list) do m[e.name] = e.importance end
    return m
  end

  it("f = 10x + 2y: x >> y >> z, as Optuna's FanovaImportanceEvaluator on the same trials", function()
    -- Optuna, seeds 0 / 1 / 2: x 0.97828 / 0.97862 / 0.97796, y 0.021589 / 0.021211 / 0.021907,
    -- z 0.000131 / 0.000165 / 0.000128 (the exact variance shares are 100/104, 4/104 and 0)
    local study = random_study(function(x, y) return 10 * x + 2 * y end)
    local r = knob.importance.params(study, {seed = 0})
    assert.same({"x", "y", "z"}, {r[1].name, r[2].name, r[3].name})
    local m = as_map(r)
    near(1, m.x + m.y + m.z, 1e-12)
    assert.is_true(math.abs(m.x - 0.9783) < 0.005, "x " .. m.x)
    assert.is_true(math.abs(m.y - 0.0216) < 0.005, "y " .. m.y)
    assert.is_true(m.z < 0.001, "z " .. m.z)
    assert.same(r, knob.importance.params(study, {seed = 0, evaluator = "fanova"})) -- seeded
    -- the marginal along x rises about 10 per unit: endpoints are the bounds
    local s = knob.importance.slices(study, "x", {n_grid = 5})
    assert.same({0, 0.25, 0.5, 0.75, 1}, s.grid)
    for g = 2, 5 do assert.is_true(s.mean[g] > s.mean[g - 1]) end
    assert.is_true(s.mean[5] - s.mean[1] > 8, "range " .. (s.mean[5] - s.mean[1]))
    assert.equals(5, #s.std)
    local sz = knob.importance.slices(study, "z")
    assert.equals(50, #sz.grid)
  end)

  it("f = 10x + 0.1y: x takes everything (Optuna: x 0.99998, y 1.1e-5, z 9.5e-6 with seed 0)", function()
    local study = random_study(function(x, y) return 10 * x + 0.1 * y end)
    local m = as_map(knob.importance.params(study, {seed = 0}))
    assert.is_true(m.x > 0.999, "x " .. m.x)
    assert.is_true(m.y < 1e-3 and m.z < 1e-3)
  end)

  it("log, int and categorical parameters; conditional parameters are left out", function()
    local study = knob.study{sampler = knob.samplers.random{seed = 3}, pruner = knob.pruners.none()}
    study:optimize(function(t)
      local lr = t:suggest_float("lr", 1e-4, 1, {log = true})
      local n = t:suggest_int("n", 1, 4)
      local kind = t:suggest_categorical("kind", {"a", "b", "c"})
      if kind == "c" then t:suggest_float("only_c", 0, 1) end
      return -math.log(lr, 10) + (kind == "b" and 20 or 0) + 0 * n
    end, {n_trials = 150})
    local r = knob.importance.params(study, {seed = 1, n_trees = 16})
    assert.equals(3, #r)
    assert.same({"kind", "lr", "n"}, {r[1].name, r[2].name, r[3].name})
    local s = knob.importance.slices(study, "kind", {n_trees = 16})
    assert.same({"a", "b", "c"}, s.grid)
    assert.is_true(s.mean[2] > s.mean[1] + 15 and s.mean[2] > s.mean[3] + 15)
    local sl = knob.importance.slices(study, "lr", {n_grid = 3, n_trees = 16})
    near(1e-4, sl.grid[1], 1e-12)
    near(1e-2, sl.grid[2], 1e-12)
    near(1, sl.grid[3], 1e-12)
    assert.is_true(sl.mean[1] > sl.mean[3] + 2) -- -log10(lr): 4 at the left, 0 at the right
    assert.error_matches(function() knob.importance.slices(study, "only_c") end, "no parameter 'only_c'")
  end)

  it("rejects bad input", function()
    local study = knob.study{sampler = knob.samplers.random{seed = 1}, pruner = knob.pruners.none()}
    assert.error_matches(function() knob.importance.params(study) end, "at least 2 complete trials")
    study:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 5})
    assert.error_matches(function() knob.importance.params("s") end, "expected a knob.study")
    assert.error_matches(function() knob.importance.params(study, {evaluator = "ped"}) end, "'evaluator' must be 'fanova'")
    assert.error_matches(function() knob.importance.params(study, {sed = 1}) end, "unknown option 'sed'")
    assert.error_matches(function() knob.importance.params(study, {n_trees = 0}) end, "'n_trees' must be >= 1")
    assert.error_matches(function() knob.importance.slices(study, 3) end, "name must be a parameter name")
    assert.error_matches(function() knob.importance.slices(study, "x", {n_grid = 1}) end, "'n_grid' must be >= 2")
    local flat = knob.study{sampler = knob.samplers.random{seed = 1}, pruner = knob.pruners.none()}
    flat:optimize(function(t) return t:suggest_int("k", 3, 3) end, {n_trials = 3})
    assert.error_matches(function() knob.importance.params(flat) end, "no parameter varies")
  end)
end)
