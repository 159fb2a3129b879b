-- model_forest_spec.lua — knob.model.forest and knob.model.extra_trees (scikit-learn 1.2's RandomForest* and
-- ExtraTrees*): a one-tree forest is the tree, probabilities are the mean of the trees' leaf distributions
-- (checked by walking the saved trees in Lua), best-split thresholds are midpoints and random ones lie
-- inside the node's range, out-of-bag scores, identical forests for any thread count, persistence, errors,
-- and (in model_tree_spec.lua) held-out accuracy / R^2 within 1 point of scikit-learn 1.2.1.
local knob = require "knob"

local function strip_time(json) return (json:gsub('"fit_seconds":[^,}]+', "")) end

-- x = 1..9, y = a a a b a b b b b; z isolates the lone b among the first five rows (see model_tree_spec.lua:
-- the full gini tree is x <= 5.5, then z <= 0.5 on the left, with importances 0.64 / 0.36).
local HY = {"a", "a", "a", "b", "a", "b", "b", "b", "b"}
local function hand_data()
  local X = {}
  for i = 1, 9 do X[i] = {i, i == 4 and 1 or 0} end
  return knob.data.from_table{X = X, names = {"x", "z"}, y = HY}
end

local saved_trees = require("helpers").saved_trees

-- Leaf values (n_out of them) of one decoded tree for the feature row x (1-based features).
local function walk(tree, x, n_out)
  local i = 0
  while tree.feature[i + 1] >= 0 do
    local go_right = x[tree.feature[i + 1] + 1] > tree.threshold[i + 1]
    i = tree.child[i + 1] + (go_right and 1 or 0)
  end
  local leaf = tree.child[i + 1]
  local v = {}
  for o = 1, n_out do v[o] = tree.value[leaf * n_out + o] end
  return v
end

describe("knob.model.forest / extra_trees", function()
  it("a one-tree forest without bootstrap over all features is the CART tree", function()
    local f = knob.model.forest{n_estimators = 1, bootstrap = false, max_features_mode = "all"}:fit(hand_data())
    assert.same(HY, f:predict(hand_data()))
    local imp = f:feature_importances()
    assert.near(0.64, imp.x, 1e-12)
    assert.near(0.36, imp.z, 1e-12)
    assert.matches("knob.Model<forest, 1 trees, fitted>", tostring(f), 1, true)
    assert.equals("1 tree", f:info().status)
  end)

  it("defaults follow scikit-learn 1.2: bootstrap for forests, not for extra trees; 100 trees", function()
    local f, e = knob.model.forest{}:params(), knob.model.extra_trees{}:params()
    assert.is_true(f.bootstrap)
    assert.is_false(e.bootstrap)
    assert.equals(100, f.n_estimators)
    assert.equals("auto", f.max_features_mode)  -- sqrt for classification, all features for regression
    assert.is_nil(f.max_samples)
  end)

  it("predict_proba is the mean of the trees' leaf distributions (soft voting); regression the mean", function()
    local ds = knob.data.make_classification{n_samples = 200, n_features = 5, n_informative = 3, n_classes = 3,
                                             seed = 4}
    local m = knob.model.forest{n_estimators = 7, max_depth = 3, seed = 3}:fit(ds)
    local trees = saved_trees(m)
    assert.equals(7, #trees)
    local proba = m:predict_proba(ds)
    local pred = m:predict(ds)
    local classes = ds:classes()
    for i = 1, #ds, 17 do
      local feats, mean = ds:row(i), {0, 0, 0}
      for _, t in ipairs(trees) do
        local v = walk(t, feats, 3)
        for c = 1, 3 do mean[c] = mean[c] + v[c] / 7 end
      end
      local best = 1
      for c = 1, 3 do
        assert.near(mean[c], proba[i][c], 1e-14)
        if mean[c] > mean[best] then best = c end
      end
      assert.equals(classes[best], pred[i])
    end
    local reg = knob.data.make_regression{n_samples = 150, n_features = 4, noise = 2, seed = 5}
    local r = knob.model.extra_trees{n_estimators = 5, min_samples_leaf = 3, seed = 1}:fit(reg)
    local rt = saved_trees(r)
    local rp = r:predict(reg)
    for i = 1, #reg, 13 do
      local feats, mean = reg:row(i), 0
      for _, t in ipairs(rt) do mean = mean + walk(t, feats, 1)[1] / 5 end
      assert.near(mean, rp[i], 1e-12)
    end
  end)

  it("best splits sit at midpoints; extra-trees thresholds are random inside the node's range", function()
    -- without bootstrap every node holds consecutive integers of x (and z in {0, 1}): thresholds k + 0.5
    local f = knob.model.forest{n_estimators = 20, bootstrap = false, max_features_mode = "count",
                                max_features = 1, seed = 2}:fit(hand_data())
    local seen = 0
    for _, t in ipairs(saved_trees(f)) do
      for i, feat in ipairs(t.feature) do
        if feat >= 0 then
          assert.equals(0.5, t.threshold[i] % 1)
          seen = seen + 1
        end
      end
    end
    assert.is_true(seen >= 20)
    local e = knob.model.extra_trees{n_estimators = 20, max_depth = 1, max_features_mode = "count",
                                     max_features = 1, seed = 2}:fit(hand_data())
    local off_midpoint = 0
    for _, t in ipairs(saved_trees(e)) do
      local feat, th = t.feature[1], t.threshold[1]
      assert.is_true(feat == 0 or feat == 1)
      if feat == 0 then assert.is_true(th >= 1 and th < 9) else assert.is_true(th >= 0 and th < 1) end
      if th % 1 ~= 0.5 then off_midpoint = off_midpoint + 1 end
    end
    assert.is_true(off_midpoint >= 15)
  end)

  it("is identical for any thread count and per seed; different seeds differ", function()
    local ds = knob.data.make_classification{n_samples = 400, n_features = 10, n_informative = 5, seed = 8}
    for _, kind in ipairs{"forest", "extra_trees"} do
      local one = knob.model[kind]{n_estimators = 30, n_jobs = 1, seed = 5}:fit(ds)
      local two = knob.model[kind]{n_estimators = 30, n_jobs = 2, seed = 5}:fit(ds)
      local opt = knob.model[kind]{n_estimators = 30, n_jobs = 1, seed = 5}:fit(ds, {threads = 2})
      local p1 = strip_time(one:to_json()):gsub('"n_jobs":%d', "")
      assert.equals(p1, (strip_time(two:to_json()):gsub('"n_jobs":%d', "")))
      assert.equals(p1, (strip_time(opt:to_json()):gsub('"n_jobs":%d', "")))
      assert.same(one:predict_proba(ds), two:predict_proba(ds))
      local other = knob.model[kind]{n_estimators = 30, seed = 6}:fit(ds)
      assert.are_not.equal(p1, (strip_time(other:to_json()):gsub('"n_jobs":%d', "")))
    end
  end)

  it("scores the out-of-bag rows (bootstrap only) and reports it in the status", function()
    local ds = knob.data.make_classification{n_samples = 300, n_features = 6, seed = 9}
    local m = knob.model.forest{n_estimators = 50, oob_score = true, max_samples = 0.5, seed = 1}:fit(ds)
    local v, rows = m:info().status:match("^50 trees; oob_score ([%d%.]+) %(accuracy, (%d+) rows%)$")
    assert.is_truthy(v)
    assert.equals(300, tonumber(rows))
    assert.is_true(tonumber(v) > 0.5 and tonumber(v) <= 1)
    -- the same number is in info().oob_score (the status shows it rounded to 4 digits)
    assert.near(tonumber(v), m:info().oob_score, 5e-5)
    local back = assert(knob.model.from_json(m:to_json()))
    assert.equals(m:info().status, back:info().status)
    assert.equals(m:info().oob_score, back:info().oob_score)
    assert.is_nil(knob.model.forest{n_estimators = 5}:fit(ds):info().oob_score)
    local reg = knob.data.make_regression{n_samples = 200, n_features = 4, noise = 1, seed = 2}
    local r = knob.model.forest{n_estimators = 40, oob_score = true}:fit(reg)
    assert.matches("^40 trees; oob_score [%d%.%-]+ %(r2, 200 rows%)$", r:info().status)
    assert.equals("40 trees", knob.model.forest{n_estimators = 40}:fit(reg):info().status)
  end)

  it("rejects bad hyperparameters with clear messages", function()
    local cases = {
      {"forest", {n_estimators = 0}, "'n_estimators' must be >= 1 (got 0)"},
      {"forest", {n_estimators = 10.5}, "'n_estimators' must be an integer"},
      {"forest", {bootstrap = "yes"}, "'bootstrap' must be a boolean (got string)"},
      {"forest", {max_samples = 0}, "'max_samples' must be > 0 (got 0)"},
      {"forest", {max_samples = 1.5}, "'max_samples' must be <= 1 (got 1.5)"},
      {"forest", {bootstrap = false, max_samples = 0.5}, "forest: max_samples needs bootstrap = true"},
      {"forest", {bootstrap = false, oob_score = true}, "forest: oob_score needs bootstrap = true"},
      {"extra_trees", {oob_score = true}, "extra_trees: oob_score needs bootstrap = true"},
      {"forest", {n_jobs = -1}, "'n_jobs' must be >= 0 (got -1)"},
      {"forest", {n_estimator = 10}, "forest: unknown hyperparameter 'n_estimator' (valid: criterion,"},
      {"extra_trees", {max_features = 2}, "max_features is only read with max_features_mode = fraction or count"},
      {"extra_trees", {criterion = "friedman_mse"}, "must be one of auto, gini, entropy, log_loss, squared_error"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(knob.model[c[1]], c[2])
      assert.is_false(ok)
      assert.matches(c[3], err, 1, true)
    end
    local ok, err = pcall(function()
      knob.model.forest{}:fit(hand_data(), {sample_weight = {0, 0, 0, 0, 0, 0, 0, 0, 0}})
    end)
    assert.is_false(ok)
    assert.matches("forest: the sample weights of tree 1's bootstrap sample sum to zero", err, 1, true)
    ok, err = pcall(function()
      knob.model.extra_trees{}:fit(knob.data.from_table{X = {{0 / 0}}, names = {"x"}, y = {"a"}})
    end)
    assert.matches("extra_trees: feature 'x' is missing (NaN) at row 1", err, 1, true)
  end)

  it("refuses a saved forest whose tree count disagrees with n_estimators", function()
    local m = knob.model.forest{n_estimators = 3}:fit(hand_data())
    local text = m:to_json():gsub('"n_estimators":3', '"n_estimators":4')
    local bad, err = knob.model.from_json(text)
    assert.is_nil(bad)
    assert.matches("'state.trees' holds 3 trees but n_estimators is 4", err, 1, true)
  end)
end)
