-- model_tree_spec.lua — knob.model.tree: one CART tree with exact splits (scikit-learn 1.2's
-- DecisionTreeClassifier / DecisionTreeRegressor). Hand-computed splits, impurities and importances on tiny
-- data; equivalences (weights vs duplicated rows, class_weight vs explicit weights); persistence; errors. At
-- the end: held-out accuracy / R^2 (and out-of-bag scores) of tree, forest and extra_trees within 1 point of
-- scikit-learn 1.2.1 on the bundled datasets.
local knob = require "knob"

local function log2(x) return math.log(x, 2) end

-- Hand data: x = 1..9, y = a a a b a b b b b (4 a, 5 b); z isolates the lone b among the first five rows.
--   root gini = 1 - (16 + 25) / 81 = 40/81
--   x <= 5.5: left (4a, 1b) gini 1 - (16 + 1)/25 = 0.32, right (5b... 4b) gini 0
--             weighted children 5/9 * 0.32 = 0.177..., decrease 40/81 - 8/45 = 0.316049... (the best:
--   x <= 3.5 gives 6/9 * (1 - 26/36) = 0.185..., decrease 0.3086; x <= 4.5: 0.3444 -> 0.149; z <= 0.5:
--   8/9 * 0.5 = 0.444 -> 0.049)
--   left child (x = 1..5): z <= 0.5 separates it perfectly (decrease 0.32) where x <= 3.5 leaves 2/5 * 0.5
-- Importances (sum over splits of N_t * imp - N_l * imp_l - N_r * imp_r):
--   x: 9 * 40/81 - 5 * 0.32 = 128/45;  z: 5 * 0.32 = 8/5 = 72/45;  normalised x = 0.64, z = 0.36.
local HX = {1, 2, 3, 4, 5, 6, 7, 8, 9}
local HZ = {0, 0, 0, 1, 0, 0, 0, 0, 0}
local HY = {"a", "a", "a", "b", "a", "b", "b", "b", "b"}

local function hand_data(rows)
  local X, y = {}, {}
  for _, i in ipairs(rows or HX) do
    X[#X + 1] = {HX[i], HZ[i]}
    y[#y + 1] = HY[i]
  end
  return knob.data.from_table{X = X, names = {"x", "z"}, y = y}
end

local function grid(values)   -- one row per value of x (z = 0)
  local X = {}
  for i, v in ipairs(values) do X[i] = {v, 0} end
  return knob.data.from_table{X = X, names = {"x", "z"}}
end

local function strip_time(json) return (json:gsub('"fit_seconds":[^,}]+', "")) end


-- The bundled datasets and the train/test splits the scikit-learn snippet uses (its test_rows are these
-- splits' test rows, 0-based); n_test and sum (of the 1-based test rows) pin the split.
local SETS = {
  breast_cancer = {target = "diagnosis", test = 0.3, stratify = true, n_test = 171, sum = 48785},
  digits = {target = "digit", test = 0.25, stratify = true, n_test = 450, sum = 401566},
  wine = {target = "cultivar", test = 0.3, stratify = true, n_test = 54, sum = 4854},
  diabetes = {target = "progression", test = 0.25, stratify = false, n_test = 111, sum = 23966},
}

-- Mean held-out score (accuracy or R^2) and, for forests, mean out-of-bag score of kind{seed = 0..9} (default
-- hyperparameters otherwise; oob_score on for forests) on a bundled dataset.
local function held_out(name, kind)
  local s = SETS[name]
  local ds = assert(knob.data.read_csv("examples/data/" .. name .. ".csv", {target = s.target}))
  local train, test, _, test_rows = knob.split.train_test(ds, {test = s.test, stratify = s.stratify, seed = 42})
  local sum = 0
  for _, r in ipairs(test_rows) do sum = sum + r end
  assert.equals(s.n_test, #test_rows)
  assert.equals(s.sum, sum)
  local total, oob = 0, 0
  for seed = 0, 9 do
    local m = knob.model[kind]{seed = seed, oob_score = kind == "forest" or nil}:fit(train)
    total = total + m:score(test)
    if kind == "forest" then
      local v, rows = m:info().status:match("^100 trees; oob_score ([%d%.%-]+) %(%w+, (%d+) rows%)$")
      assert.equals(#train, tonumber(rows))
      oob = oob + tonumber(v)
    end
  end
  return total / 10, oob / 10
end

describe("knob.model.tree", function()
  it("finds the hand-computed depth-1 split (gini): threshold 5.5, leaf distributions", function()
    local m = knob.model.tree{max_depth = 1}:fit(hand_data())
    -- left leaf (x <= 5.5): 4 a, 1 b; right leaf: 4 b
    local proba, classes = m:predict_proba(grid{5.5, 5.50001, 1, 9})
    assert.same({"a", "b"}, classes)
    assert.near(0.8, proba[1][1], 1e-15)
    assert.near(0.2, proba[1][2], 1e-15)
    assert.same({0, 1}, proba[2])
    assert.same({"a", "b", "a", "b"}, m:predict(grid{5.5, 5.50001, 1, 9}))
    assert.matches("knob.Model<tree, depth 1, 2 leaves, fitted>", tostring(m), 1, true)
    assert.equals("depth 1, 2 leaves", m:info().status)
    -- a single split on x: importance 1 for x, 0 for z
    assert.same({x = 1, z = 0}, m:feature_importances())
  end)

  it("entropy picks the same root split by hand and weighs importances by entropy decrease", function()
    -- entropy: root H(4/9) = 0.99108; x <= 5.5 leaves 5/9 * H(0.8) = 0.40107 (decrease 0.59000) against
    -- x <= 3.5: 6/9 * H(1/6) = 0.43335 (0.55773). Full tree: x <= 5.5, then z <= 0.5 on the left.
    local function H(...)
      local t, s = {...}, 0
      for _, c in ipairs(t) do s = s + c end
      local h = 0
      for _, c in ipairs(t) do if c > 0 then h = h - c / s * log2(c / s) end end
      return h
    end
    local m = knob.model.tree{criterion = "entropy"}:fit(hand_data())
    assert.same({"a", "a", "a", "b", "a", "b", "b", "b", "b"}, m:predict(hand_data()))
    local root, left = 9 * H(4, 5) - 5 * H(4, 1), 5 * H(4, 1)
    local imp = m:feature_importances()
    assert.near(root / (root + left), imp.x, 1e-12)
    assert.near(left / (root + left), imp.z, 1e-12)
    assert.equals(m:predict(hand_data())[4], "b")
    -- log_loss is scikit-learn's other name for entropy
    local ll = knob.model.tree{criterion = "log_loss"}:fit(hand_data())
    assert.same(imp, ll:feature_importances())
  end)

  it("grows the full gini tree: z splits the left child; importances 0.64 / 0.36 by hand", function()
    local m = knob.model.tree{}:fit(hand_data())
    assert.same(HY, m:predict(hand_data()))
    assert.matches("depth 2, 3 leaves", tostring(m), 1, true)
    local imp = m:feature_importances()
    assert.near(0.64, imp.x, 1e-12)
    assert.near(0.36, imp.z, 1e-12)
    assert.equals(5, m:info().n_params) -- nodes: root, z split, 3 leaves
  end)

  it("regression: the depth-1 split and leaf means by hand", function()
    -- y = 1 1 1 5 5 6 over x = 1..6: x <= 3.5 leaves variances 0 and 2/9 (weighted 1/9); every other
    -- threshold leaves more. Leaves: mean 1, mean 16/3.
    local ds = knob.data.from_table{X = {{1}, {2}, {3}, {4}, {5}, {6}}, names = {"x"}, y = {1, 1, 1, 5, 5, 6},
                                    task = "regression"}
    local m = knob.model.tree{max_depth = 1}:fit(ds)
    local g = knob.data.from_table{X = {{3.5}, {3.6}}, names = {"x"}}
    local p = m:predict(g)
    assert.equals(1, p[1])
    assert.near(16 / 3, p[2], 1e-14)
    -- full depth: 5 5 6 splits at 5.5 into means 5 and 6
    local full = knob.model.tree{}:fit(ds)
    assert.same({1, 1, 1, 5, 5, 6}, full:predict(ds))
    local ok, err = pcall(function() return full:predict_proba(ds) end)
    assert.is_false(ok)
    assert.matches("predict_proba needs a fitted classifier", err, 1, true)
  end)

  it("stopping rules: max_depth, min_samples_leaf, min_samples_split, min_impurity_decrease", function()
    local ds = hand_data()
    -- min_samples_leaf = 5 needs 10 rows to split: the root is a leaf with the class prior 4/9, 5/9
    local leaf = knob.model.tree{min_samples_leaf = 5}:fit(ds)
    local proba = leaf:predict_proba(grid{1})
    assert.near(4 / 9, proba[1][1], 1e-15)
    assert.matches("depth 0, 1 leaves", tostring(leaf), 1, true)
    assert.same({x = 0, z = 0}, leaf:feature_importances())
    -- min_samples_leaf = 4: only x <= 4.5 (4 | 5) and x <= 5.5 (5 | 4) qualify; 5.5 is better
    assert.near(0.8, knob.model.tree{min_samples_leaf = 4, max_depth = 1}:fit(ds):predict_proba(grid{5})[1][1], 1e-15)
    -- min_samples_split = 6: the 5-row left child stays a leaf
    assert.matches("depth 1, 2 leaves", tostring(knob.model.tree{min_samples_split = 6}:fit(ds)), 1, true)
    -- improvements weighted by N_t / N: root 40/81 - 8/45 = 0.31605, left child 5/9 * 0.32 = 0.17778
    assert.matches("depth 1,", tostring(knob.model.tree{min_impurity_decrease = 0.2}:fit(ds)), 1, true)
    assert.matches("depth 2,", tostring(knob.model.tree{min_impurity_decrease = 0.17}:fit(ds)), 1, true)
    assert.matches("depth 0,", tostring(knob.model.tree{min_impurity_decrease = 0.32}:fit(ds)), 1, true)
  end)

  it("sample weights act like repeated rows; class_weight = balanced like n / (k n_c) weights", function()
    local ds = hand_data()
    local w = {1, 3, 1, 2, 1, 1, 2, 1, 1}
    local rep = {}
    for i, c in ipairs(w) do for _ = 1, c do rep[#rep + 1] = i end end
    local a = knob.model.tree{max_depth = 2}:fit(ds, {sample_weight = w})
    local b = knob.model.tree{max_depth = 2, min_samples_leaf = 1}:fit(hand_data(rep))
    local g = grid{1, 2, 3, 4, 4.5, 5, 6, 7, 8, 9, 10}
    assert.same(b:predict_proba(g), a:predict_proba(g))
    -- balanced: a = 9 / (2 * 4), b = 9 / (2 * 5)
    local bal = knob.model.tree{class_weight = "balanced", max_depth = 1}:fit(ds)
    local cw = {}
    for i, y in ipairs(HY) do cw[i] = y == "a" and 9 / 8 or 9 / 10 end
    local expl = knob.model.tree{max_depth = 1}:fit(ds, {sample_weight = cw})
    assert.same(expl:predict_proba(g), bal:predict_proba(g))
    -- left leaf 4 a (weight 4.5), 1 b (0.9): proba a = 4.5 / 5.4
    assert.near(4.5 / 5.4, bal:predict_proba(grid{1})[1][1], 1e-15)
    local ok, err = pcall(function() knob.model.tree{}:fit(ds, {sample_weight = {0, 0, 0, 0, 0, 0, 0, 0, 0}}) end)
    assert.is_false(ok)
    assert.matches("tree: the sample weights sum to zero", err, 1, true)
  end)

  it("max_features draws features per node; the mode and the number are checked", function()
    local ds = hand_data()
    for _, p in ipairs{{max_features_mode = "sqrt"}, {max_features_mode = "log2"},
                       {max_features_mode = "count", max_features = 1},
                       {max_features_mode = "fraction", max_features = 0.5}} do
      for seed = 0, 5 do
        p.seed = seed
        -- one feature per node (floor(sqrt 2) = floor(log2 2) = floor(0.5 * 2) = 1): still a consistent tree
        local m = knob.model.tree(p):fit(ds)
        assert.same(HY, m:predict(ds))
      end
    end
    local cases = {
      {{max_features = 0.5}, "max_features is only read with max_features_mode = fraction or count"},
      {{max_features_mode = "fraction"}, "max_features_mode = fraction or count needs max_features"},
      {{max_features_mode = "fraction", max_features = 1.5}, "must be a fraction in (0, 1]"},
      {{max_features_mode = "count", max_features = 1.5}, "must be a whole number >= 1"},
      {{max_features_mode = "half"}, "must be one of auto, all, sqrt, log2, fraction, count"},
      {{max_features_mode = "count", max_features = 0}, "'max_features' must be > 0"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(knob.model.tree, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
    local ok, err = pcall(function() knob.model.tree{max_features_mode = "count", max_features = 3}:fit(ds) end)
    assert.is_false(ok)
    assert.matches("tree: max_features = 3 but the data has 2 features", err, 1, true)
  end)

  it("rejects bad hyperparameters with clear messages", function()
    local cases = {
      {{max_depth = 0}, "'max_depth' must be >= 1 (got 0)"},
      {{max_depth = 2.5}, "'max_depth' must be an integer"},
      {{min_samples_split = 1}, "'min_samples_split' must be >= 2 (got 1)"},
      {{min_samples_leaf = 0}, "'min_samples_leaf' must be >= 1 (got 0)"},
      {{min_impurity_decrease = -1}, "'min_impurity_decrease' must be >= 0"},
      {{min_impurity_decrease = 0 / 0}, "'min_impurity_decrease' must be finite"},
      {{criterion = "mse"}, "must be one of auto, gini, entropy, log_loss, squared_error (got 'mse')"},
      {{class_weight = "balanced_subsample"}, "must be one of none, balanced"},
      {{seed = -1}, "'seed' must be >= 0"},
      {{max_dept = 3}, "tree: unknown hyperparameter 'max_dept' (valid: criterion, max_depth,"},
      {{max_depth = "3"}, "'max_depth' must be a number (got string)"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(knob.model.tree, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
    local reg = knob.data.from_table{X = {{1}, {2}}, names = {"x"}, y = {1, 2}, task = "regression"}
    local ok, err = pcall(function() knob.model.tree{criterion = "gini"}:fit(reg) end)
    assert.is_false(ok)
    assert.matches("tree: criterion 'gini' is for classification, but the target is numeric", err, 1, true)
    ok, err = pcall(function() knob.model.tree{criterion = "squared_error"}:fit(hand_data()) end)
    assert.matches("tree: criterion 'squared_error' is for regression, but the target is a class", err, 1, true)
  end)

  it("refuses data that is not a dataset or has no rows; predicts nothing for no rows", function()
    local ds = hand_data()
    local ok, err = pcall(function() knob.model.tree{}:fit("rows") end)
    assert.is_false(ok)
    assert.matches("knob.Dataset expected, got string", err, 1, true)
    ok, err = pcall(function() knob.model.tree{}:fit(knob.split.view(ds, {})) end)
    assert.matches("tree: the training data has no rows", err, 1, true)
    local m = knob.model.tree{}:fit(ds)
    assert.same({}, m:predict(knob.split.view(ds, {})))
    ok, err = pcall(m.predict, m, 5)
    assert.matches("knob.Dataset expected, got number", err, 1, true)
  end)

  it("refuses missing and infinite feature values, naming the column and row", function()
    local ds = knob.data.from_table{X = {{1, 0}, {2, 0 / 0}, {3, 1}}, names = {"x", "z"}, y = {"a", "b", "b"}}
    local ok, err = pcall(function() knob.model.tree{}:fit(ds) end)
    assert.is_false(ok)
    assert.matches("tree: feature 'z' is missing (NaN) at row 2", err, 1, true)
    ds = knob.data.from_table{X = {{1, 0}, {math.huge, 0}}, names = {"x", "z"}, y = {"a", "b"}}
    ok, err = pcall(function() knob.model.tree{}:fit(ds) end)
    assert.matches("tree: feature 'x' is infinite at row 2", err, 1, true)
    -- at predict time only the features the tree splits on must be present
    local m = knob.model.tree{max_depth = 1}:fit(hand_data())
    assert.same({"a"}, m:predict(knob.data.from_table{X = {{1, 0 / 0}}, names = {"x", "z"}}))
    ok, err = pcall(m.predict, m, knob.data.from_table{X = {{1, 0}, {0 / 0, 0}}, names = {"x", "z"}})
    assert.is_false(ok)
    assert.matches("tree: feature 'x' is missing (NaN) at row 2", err, 1, true)
  end)

  it("splits categorical features on their level codes as ordered numbers", function()
    -- levels in order of appearance: lo = 0, mid = 1, hi = 2; class "y" for hi only -> split code <= 1.5
    local ds = knob.data.from_table{X = {{"lo"}, {"mid"}, {"hi"}, {"lo"}, {"hi"}, {"mid"}}, names = {"c"},
                                    y = {"n", "n", "y", "n", "y", "n"}}
    local m = knob.model.tree{}:fit(ds)
    assert.same({"n", "n", "y", "n", "y", "n"}, m:predict(ds))
    assert.matches("depth 1, 2 leaves", tostring(m), 1, true)
    -- an unseen level is missing at predict time
    local ok, err = pcall(m.predict, m, knob.data.from_table{X = {{"new"}}, names = {"c"}})
    assert.is_false(ok)
    assert.matches("an unknown category level counts as missing", err, 1, true)
  end)

  it("is deterministic per seed and saves / loads with identical predictions (every tree kind)", function()
    local ds = knob.data.make_classification{n_samples = 300, n_features = 8, n_informative = 4, n_classes = 3,
                                             seed = 7}
    for _, c in ipairs{{"tree", {max_features_mode = "sqrt", seed = 11}}, {"forest", {n_estimators = 15, seed = 4}},
                       {"extra_trees", {n_estimators = 15, seed = 4}}} do
      local a, b = knob.model[c[1]](c[2]):fit(ds), knob.model[c[1]](c[2]):fit(ds)
      assert.equals(strip_time(a:to_json()), strip_time(b:to_json()))
      local path = os.tmpname()
      assert.is_true(a:save(path))
      local back = assert(knob.model.load(path))
      os.remove(path)
      assert.same(a:predict(ds), back:predict(ds))
      assert.same(a:predict_proba(ds), back:predict_proba(ds))
      assert.same(a:feature_importances(), back:feature_importances())
      assert.equals(tostring(a), tostring(back))
      assert.equals(a:info().n_params, back:info().n_params)
    end
    local reg = knob.data.make_regression{n_samples = 200, n_features = 5, noise = 1, seed = 3}
    local r = knob.model.tree{max_depth = 6}:fit(reg)
    local r2 = assert(knob.model.from_json(r:to_json()))
    assert.same(r:predict(reg), r2:predict(reg))
  end)

  it("reports tampered model files clearly instead of crashing", function()
    local m = knob.model.tree{}:fit(hand_data())
    local json = m:to_json()
    local function load_with(pattern, repl)
      local text, n = json:gsub(pattern, repl, 1)
      assert.equals(1, n)
      return knob.model.from_json(text)
    end
    -- child of the root pointing at itself (AAAAAA.. is node 0): would loop forever
    local cases = {
      {'"child":"[^"]*"', '"child":"AAAAAAAAAAAAAAAAAAAAAAAAAAA="', "has a child index out of range"},
      {'"feature":"[^"]*"', '"feature":"!!"', "must be base64 of 5 little-endian 4-byte values"},
      {'"n_nodes":5', '"n_nodes":0', "n_nodes must be a whole number >= 1"},
      {'"value":"[^"]*"', '"value":"AAAA"', "state.trees[1].value must be base64 of 6 little-endian"},
      {'"trees":%[', '"trees":[{},', "must hold exactly one tree"},
      {'"importances":%[[^%]]*%]', '"importances":[1]', "field 'state.importances' must be an array of 2 numbers"},
    }
    for _, c in ipairs(cases) do
      local back, err = load_with(c[1], c[2])
      assert.is_nil(back)
      assert.matches(c[3], err, 1, true)
    end
  end)
end)

-- Reference scores: scikit-learn 1.2.1 DecisionTree*, RandomForest* (oob_score=True) and ExtraTrees* with
-- default parameters otherwise (100 trees), mean over random_state 0..9 of the held-out accuracy (R^2 for
-- diabetes) and of oob_score_, produced once with the snippet at the end of this file:
--                  tree      forest  (oob)      extra_trees
--   breast_cancer  0.9339    0.9474  (0.9661)   0.9567
--   digits         0.8511    0.9676  (0.9694)   0.9742
--   wine           0.9037    1.0000  (0.9677)   0.9944
--   diabetes      -0.3497    0.3535  (0.4529)   0.3965
-- knob (its own seeds 0..9) must be within 1 point of each.
describe("tree kinds against scikit-learn 1.2.1 on the bundled datasets", function()
  local ref = {
    breast_cancer = {tree = 0.9339, forest = 0.9474, oob = 0.9661, extra_trees = 0.9567},
    digits = {tree = 0.8511, forest = 0.9676, oob = 0.9694, extra_trees = 0.9742},
    wine = {tree = 0.9037, forest = 1.0000, oob = 0.9677, extra_trees = 0.9944},
    diabetes = {tree = -0.3497, forest = 0.3535, oob = 0.4529, extra_trees = 0.3965},
  }
  for _, name in ipairs{"breast_cancer", "digits", "wine", "diabetes"} do
    it(name .. ": held-out and out-of-bag scores within 1 point", function()
      for _, kind in ipairs{"tree", "forest", "extra_trees"} do
        local score, oob = held_out(name, kind)
        assert.near(ref[name][kind], score, 0.01)
        if kind == "forest" then assert.near(ref[name].oob, oob, 0.01) end
      end
    end)
  end
end)

--[==[ The scikit-learn 1.2.1 snippet behind the reference scores of model_tree_spec.lua and
model_forest_spec.lua (run from the repository root with /usr/bin/python3; test_rows are the 0-based test
rows of knob.split.train_test(ds, {test = .., stratify = .., seed = 42}) as listed in SETS):

import numpy as np, pandas as pd
from sklearn import tree, ensemble
test_rows = {}
test_rows['breast_cancer'] = [
11,25,26,27,31,34,36,38,41,44,46,48,49,55,57,65,67,69,70,73,77,84,86,91,96,
102,103,105,107,110,112,113,115,117,124,125,126,128,129,130,133,140,142,144,145,149,151,154,157,162,
164,166,169,172,180,181,186,190,194,195,203,204,205,213,214,215,217,220,221,226,230,236,237,248,255,
258,262,265,269,272,274,277,281,283,291,293,295,296,298,299,303,307,308,309,310,314,321,325,326,327,
330,333,336,337,341,345,347,350,352,353,366,372,373,378,380,382,383,387,388,391,394,398,399,403,405,
408,413,418,421,424,426,429,433,434,435,441,442,446,450,451,452,456,465,466,474,476,479,482,486,490,
495,505,506,508,509,512,518,519,524,526,528,530,531,537,540,542,546,555,561,564,565]
test_rows['digits'] = [
5,7,8,12,13,15,17,23,27,29,32,33,34,39,51,55,59,61,64,67,73,77,83,85,94,
104,106,109,110,111,114,115,116,122,125,130,136,138,143,146,152,158,159,160,161,164,170,172,174,181,
184,185,186,189,190,201,209,217,218,225,226,238,239,245,248,253,255,258,271,272,273,274,277,281,282,
284,287,288,294,300,303,308,311,313,320,322,324,326,329,333,334,336,343,348,353,356,359,364,366,368,
369,375,376,380,381,394,396,397,403,406,417,424,425,433,435,436,441,445,455,463,468,471,473,475,482,
483,489,490,492,494,497,503,506,518,520,522,523,526,530,533,534,537,539,547,549,553,555,562,565,566,
575,579,581,583,586,588,590,592,597,605,606,614,615,616,625,637,643,644,655,659,661,676,678,680,682,
684,688,697,700,701,703,706,711,718,724,729,730,735,738,742,745,755,758,759,760,773,774,781,783,786,
787,789,800,801,808,810,811,812,813,819,821,825,827,832,845,852,855,856,864,867,870,878,884,886,889,
890,894,902,910,915,916,925,926,932,935,938,942,956,963,967,968,970,972,975,979,983,986,987,990,995,
999,1007,1018,1019,1026,1028,1029,1031,1035,1041,1051,1058,1060,1068,1070,1076,1087,1089,1095,1100,1102,1104,1106,1107,1108,
1116,1117,1123,1135,1136,1144,1147,1148,1150,1151,1153,1155,1158,1160,1162,1163,1164,1165,1168,1172,1175,1176,1178,1179,1186,
1188,1191,1193,1198,1199,1203,1222,1225,1230,1231,1232,1236,1245,1246,1247,1249,1250,1261,1262,1265,1268,1270,1282,1297,1299,
1310,1312,1314,1321,1334,1340,1341,1343,1349,1353,1355,1361,1362,1368,1369,1373,1383,1384,1391,1392,1393,1403,1404,1406,1410,
1415,1416,1419,1424,1432,1433,1436,1439,1442,1443,1455,1457,1458,1460,1463,1465,1469,1470,1473,1474,1475,1488,1489,1497,1501,
1502,1513,1517,1518,1519,1520,1522,1526,1529,1539,1541,1547,1550,1551,1556,1559,1561,1563,1567,1569,1571,1584,1589,1590,1592,
1593,1595,1596,1597,1603,1606,1614,1616,1619,1621,1622,1624,1644,1647,1648,1655,1660,1663,1673,1678,1681,1683,1692,1694,1698,
1700,1716,1719,1720,1722,1726,1727,1730,1733,1734,1735,1739,1741,1746,1752,1753,1754,1759,1761,1764,1766,1768,1779,1790,1796]
test_rows['wine'] = [
3,4,6,10,12,16,18,19,21,25,40,41,48,49,53,54,55,58,65,67,68,69,70,75,78,
80,82,89,92,93,103,104,105,106,113,116,120,121,129,130,131,132,136,143,150,155,159,164,166,167,
170,171,173,176]
test_rows['diabetes'] = [
4,7,8,9,10,17,19,22,23,24,25,31,38,42,51,52,53,64,72,81,83,85,86,89,90,
94,101,102,108,112,123,127,142,143,145,147,149,150,152,153,154,155,166,169,170,173,174,178,180,186,
188,196,205,206,209,219,220,222,223,226,231,232,242,248,249,253,256,259,260,266,267,280,288,290,293,
296,303,305,310,317,319,320,321,324,327,338,339,341,347,351,353,354,357,360,366,381,384,387,388,389,
391,393,395,398,405,406,415,421,422,429,437]
sets = [("breast_cancer", "diagnosis"), ("digits", "digit"), ("wine", "cultivar"), ("diabetes", "progression")]
for name, target in sets:
    d = pd.read_csv("examples/data/%s.csv" % name)
    X, y = d.drop(columns=target).to_numpy(), d[target].to_numpy()
    te = np.zeros(len(y), bool); te[test_rows[name]] = True
    reg = name == "diabetes"
    kinds = {"tree": tree.DecisionTreeRegressor if reg else tree.DecisionTreeClassifier,
             "forest": ensemble.RandomForestRegressor if reg else ensemble.RandomForestClassifier,
             "extra_trees": ensemble.ExtraTreesRegressor if reg else ensemble.ExtraTreesClassifier}
    for kind, cls in kinds.items():
        extra = {"oob_score": True} if kind == "forest" else {}
        scores, oobs = [], []
        for seed in range(10):
            m = cls(random_state=seed, **extra).fit(X[~te], y[~te])
            scores.append(m.score(X[te], y[te]))
            if extra: oobs.append(m.oob_score_)
        print(name, kind, "%.4f" % np.mean(scores), "oob %.4f" % np.mean(oobs) if oobs else "")

Output:
breast_cancer tree 0.9339 
breast_cancer forest 0.9474 oob 0.9661
breast_cancer extra_trees 0.9567 
digits tree 0.8511 
digits forest 0.9676 oob 0.9694
digits extra_trees 0.9742 
wine tree 0.9037 
wine forest 1.0000 oob 0.9677
wine extra_trees 0.9944 
diabetes tree -0.3497 
diabetes forest 0.3535 oob 0.4529
diabetes extra_trees 0.3965 
]==]
