-- shap_spec.lua — Model:shap and knob.importance.shap: exact TreeSHAP (Lundberg et al. 2018, Algorithm 2) for
-- tree, forest, extra_trees and gbdt.
--   * absolute values: a hand-computed example (below), and an independent brute-force reference written
--     here in plain Lua: the Shapley formula over every coalition S with the path-dependent conditional
--     expectation v(S) (a split on a feature in S follows x; any other split averages its children weighted
--     by their covers), on trees read back from the saved model;
--   * local accuracy: expected_value + the row's sum = the model's output, to 1e-9, for every kind and task;
--   * persistence of covers, old files without covers, and bad input.
local knob = require "knob"
local helpers = require "helpers"
local json = require "dkjson"
local lcg = helpers.lcg
local function near(expected, actual, tol, what) helpers.near(expected, actual, tol or 1e-9, what) end

local NaN = 0 / 0

local function random_data(n, seed, classify)
  local r = lcg(seed)
  local X, y = {}, {}
  for i = 1, n do
    X[i] = {r(), r(), r()}
    local f = 3 * X[i][1] + 2 * X[i][2] * X[i][3] + 0.3 * r()
    if classify then y[i] = f < 1.2 and "lo" or (f < 2.2 and "mid" or "hi") else y[i] = f end
  end
  return knob.data.from_table{X = X, y = y, names = {"a", "b", "c"}}, X
end

-- Hand example: x1, x2 in {0, 1}, independent, every combination twice; y = x1 + 4 x1 x2.
-- Every tree kind below learns: x1 <= 0.5 -> 0 (4 rows); else x2 <= 0.5 -> 1 (2 rows) / 5 (2 rows).
-- E[f] = (4*0 + 2*1 + 2*5) / 8 = 1.5. Path-dependent v(S) for x = (1, 1): v{} = 1.5, v{1} = (1 + 5)/2 = 3,
-- v{2} = 0.5*0 + 0.5*5 = 2.5 (the root split on x1 is averaged), v{1,2} = 5; so
-- phi1 = ((3 - 1.5) + (5 - 2.5))/2 = 2, phi2 = ((2.5 - 1.5) + (5 - 3))/2 = 1.5. Likewise:
--   x = (0, 0): v1 = 0, v2 = 0.5, v12 = 0 -> phi = (-1, -0.5)
--   x = (0, 1): v1 = 0, v2 = 2.5, v12 = 0 -> phi = (-2, 0.5)
--   x = (1, 0): v1 = 3, v2 = 0.5, v12 = 1 -> phi = (1, -1.5)
local HAND_X = {{0, 0}, {0, 0}, {0, 1}, {0, 1}, {1, 0}, {1, 0}, {1, 1}, {1, 1}}
local HAND_Y = {0, 0, 0, 0, 1, 1, 5, 5}
local HAND_PHI = {{-1, -0.5}, {-1, -0.5}, {-2, 0.5}, {-2, 0.5}, {1, -1.5}, {1, -1.5}, {2, 1.5}, {2, 1.5}}
local function hand_data() return knob.data.from_table{X = HAND_X, y = HAND_Y, names = {"x1", "x2"}, task = "regression"} end

---------------------------------------------------------------------------------------------------------------
-- The brute-force reference
---------------------------------------------------------------------------------------------------------------

-- A tree as {feature(i), left(i), right(i), goes_left(i, x), cover(i), leaf(i) -> values} over 0-based nodes.
local function cart_tree(t, n_out)
  return {
    feature = function(i) return t.feature[i + 1] end,
    left = function(i) return t.child[i + 1] end,
    right = function(i) return t.child[i + 1] + 1 end,
    goes_left = function(i, x) return x[t.feature[i + 1] + 1] <= t.threshold[i + 1] end,
    cover = function(i) return t.cover[i + 1] end,
    leaf = function(i)
      local v = {}
      for o = 1, n_out do v[o] = t.value[t.child[i + 1] * n_out + o] end
      return v
    end,
  }
end

local function gbdt_tree(t)
  return {
    feature = function(i) return t.feature[i + 1] end,
    left = function(i) return t.left[i + 1] end,
    right = function(i) return t.right[i + 1] end,
    goes_left = function(i, x)
      local v, th = x[t.feature[i + 1] + 1], t.threshold[i + 1]
      return th == json.null or v <= th
    end,
    cover = function(i) return t.cover[i + 1] end,
    leaf = function(i) return {t.value[i + 1]} end,
  }
end

-- v(S): the path-dependent expectation of the tree's leaf values given the features in S (a set of 0-based
-- indices), at row x.
local function v_of(tree, x, S, i)
  i = i or 0
  local f = tree.feature(i)
  if f < 0 then return tree.leaf(i) end
  if S[f] then return v_of(tree, x, S, tree.goes_left(i, x) and tree.left(i) or tree.right(i)) end
  local l, r, c = tree.left(i), tree.right(i), tree.cover(i)
  local vl, vr = v_of(tree, x, S, l), v_of(tree, x, S, r)
  local out = {}
  for o = 1, #vl do out[o] = (tree.cover(l) * vl[o] + tree.cover(r) * vr[o]) / c end
  return out
end

local function fact(n) return n <= 1 and 1 or n * fact(n - 1) end

-- Shapley values of the p features for row x: phi[o][j], and v({}) per output.
local function brute_shap(tree, x, p)
  local phi, base = {}, v_of(tree, x, {})
  for o = 1, #base do
    phi[o] = {}
    for j = 1, p do phi[o][j] = 0 end
  end
  for mask = 0, (1 << p) - 1 do
    local S, size = {}, 0
    for j = 0, p - 1 do
      if mask & (1 << j) ~= 0 then S[j], size = true, size + 1 end
    end
    local vS = v_of(tree, x, S)
    for j = 0, p - 1 do
      if not S[j] then
        S[j] = true
        local vSj = v_of(tree, x, S)
        S[j] = nil
        local w = fact(size) * fact(p - size - 1) / fact(p)
        for o = 1, #vS do phi[o][j + 1] = phi[o][j + 1] + w * (vSj[o] - vS[o]) end
      end
    end
  end
  return phi, base
end

-- Reference SHAP of an ensemble: sum over trees of scale * tree values into output out0 + o.
local function reference(trees, X, p, K)
  local phi, expected = {}, {}
  for o = 1, K do expected[o] = 0 end
  for i = 1, #X do
    phi[i] = {}
    for o = 1, K do
      phi[i][o] = {}
      for j = 1, p do phi[i][o][j] = 0 end
    end
  end
  for _, t in ipairs(trees) do
    for i, x in ipairs(X) do
      local ph, base = brute_shap(t.tree, x, p)
      for o = 1, #ph do
        for j = 1, p do phi[i][t.out0 + o][j] = phi[i][t.out0 + o][j] + t.scale * ph[o][j] end
        if i == 1 then expected[t.out0 + o] = expected[t.out0 + o] + t.scale * base[o] end
      end
    end
  end
  return phi, expected
end

local function forest_trees(m, K)
  local out = {}
  local saved = helpers.saved_trees(m)
  for _, t in ipairs(saved) do out[#out + 1] = {tree = cart_tree(t, K), out0 = 0, scale = 1 / #saved} end
  return out
end

local function gbdt_trees(m)
  local st = json.decode(m:to_json()).state
  local out = {}
  for t, tr in ipairs(st.trees) do out[t] = {tree = gbdt_tree(tr), out0 = (t - 1) % st.trees_per_round, scale = 1} end
  return out, st.base
end

-- The values of output o of a Model:shap result as rows.
local function output(r, o)
  return r.n_outputs == 1 and r.values or r.values[o]
end

local function expected_of(r, o)
  return r.n_outputs == 1 and r.expected_value or r.expected_value[o]
end

local function check_against_reference(m, ds, X, trees, base)
  local r = m:shap(ds)
  local K = r.n_outputs
  local phi, expected = reference(trees, X, #X[1], K)
  for o = 1, K do
    near(expected[o] + (base and base[o] or 0), expected_of(r, o), 1e-9, "expected value " .. o)
    for i = 1, #X do
      for j = 1, #X[1] do near(phi[i][o][j], output(r, o)[i][j], 1e-9, ("row %d output %d feature %d"):format(i, o, j)) end
    end
  end
end

---------------------------------------------------------------------------------------------------------------

describe("Model:shap", function()
  it("matches the hand-computed values for tree, forest and gbdt", function()
    local models = {
      knob.model.tree{},
      knob.model.forest{n_estimators = 3, bootstrap = false, max_features_mode = "all"},
      knob.model.gbdt{n_estimators = 1, learning_rate = 1, min_samples_leaf = 1, max_leaves = 3},
    }
    for _, m in ipairs(models) do
      m:fit(hand_data())
      local r = m:shap(hand_data())
      assert.equals(1, r.n_outputs)
      assert.same({"x1", "x2"}, r.features)
      near(1.5, r.expected_value, 1e-12, m:kind())
      for i, row in ipairs(HAND_PHI) do
        for j = 1, 2 do near(row[j], r.values[i][j], 1e-12, m:kind() .. " row " .. i) end
      end
      m:close()
    end
  end)

  it("matches the brute-force Shapley reference: tree and forest regression", function()
    local ds, X = random_data(60, 7)
    local t = knob.model.tree{max_depth = 5}:fit(ds)
    check_against_reference(t, ds, X, forest_trees(t, 1))
    local f = knob.model.forest{n_estimators = 4, max_depth = 4, seed = 3}:fit(ds)
    check_against_reference(f, ds, X, forest_trees(f, 1))
  end)

  it("matches the brute-force reference: class probabilities of forest and extra_trees classifiers", function()
    local ds, X = random_data(60, 11, true)
    local f = knob.model.forest{n_estimators = 3, max_depth = 4, seed = 1}:fit(ds)
    check_against_reference(f, ds, X, forest_trees(f, 3))
    local e = knob.model.extra_trees{n_estimators = 3, max_depth = 5, seed = 2}:fit(ds)
    check_against_reference(e, ds, X, forest_trees(e, 3))
  end)

  it("matches the brute-force reference: gbdt regression, binary and multiclass raw scores", function()
    local ds, X = random_data(80, 5)
    local g = knob.model.gbdt{n_estimators = 4, max_leaves = 6, min_samples_leaf = 3}:fit(ds)
    local trees, base = gbdt_trees(g)
    check_against_reference(g, ds, X, trees, base)
    local dc = random_data(80, 5, true)
    local gm = knob.model.gbdt{n_estimators = 3, max_leaves = 5, min_samples_leaf = 3}:fit(dc)
    trees, base = gbdt_trees(gm)
    check_against_reference(gm, dc, X, trees, base)
    local Xb, yb = {}, {}
    for i, x in ipairs(X) do Xb[i], yb[i] = x, (x[1] + x[2] > 1) and "yes" or "no" end
    local db = knob.data.from_table{X = Xb, y = yb, names = {"a", "b", "c"}}
    local gb = knob.model.gbdt{n_estimators = 3, max_leaves = 5, min_samples_leaf = 3}:fit(db)
    trees, base = gbdt_trees(gb)
    check_against_reference(gb, db, X, trees, base)
  end)

  it("local accuracy: expected + sum = the model's output for every row, kind and task", function()
    local ds = random_data(300, 21)
    local dc = random_data(300, 22, true)
    for _, kind in ipairs{"tree", "forest", "extra_trees", "gbdt"} do
      local params = kind == "tree" and {} or {n_estimators = 20}
      local m = knob.model[kind](params):fit(ds)
      local r, pred = m:shap(ds), m:predict(ds)
      for i, row in ipairs(r.values) do
        local s = r.expected_value
        for j = 1, #row do s = s + row[j] end
        near(pred[i], s, 1e-9, kind .. " regression row " .. i)
      end
      local c = knob.model[kind](params):fit(dc)
      local rc, P = c:shap(dc), c:predict_proba(dc)
      assert.equals(3, rc.n_outputs)
      for i = 1, #P do
        local total = {}
        for o = 1, 3 do
          total[o] = rc.expected_value[o]
          for j = 1, 3 do total[o] = total[o] + rc.values[o][i][j] end
        end
        for o = 1, 3 do
          if kind == "gbdt" then -- softmax margins: known up to a constant, so compare differences
            near(math.log(P[i][o]) - math.log(P[i][1]), total[o] - total[1], 1e-9, "gbdt class " .. o)
          else
            near(P[i][o], total[o], 1e-9, kind .. " class " .. o)
          end
        end
      end
    end
  end)

  it("gbdt: binary log-odds, missing values and categorical set splits are explained as they are routed", function()
    local r = lcg(3)
    local X, y = {}, {}
    local levels = {"red", "green", "blue", "grey"}
    for i = 1, 300 do
      local a, lv = r(), levels[1 + math.floor(r() * 4)]
      if i % 7 == 0 then a = NaN end
      X[i] = {a, lv, r()}
      local score = (a == a and a or 0.8) + ((lv == "green" or lv == "grey") and 0.7 or 0) + 0.3 * r()
      y[i] = score > 0.9 and "yes" or "no"
    end
    local ds = knob.data.from_table{X = X, y = y, names = {"a", "colour", "noise"}}
    local g = knob.model.gbdt{n_estimators = 20, max_leaves = 8, min_samples_leaf = 5}:fit(ds)
    assert.matches('"categories"', g:to_json(), 1, true)
    local sh, P = g:shap(ds), g:predict_proba(ds)
    assert.equals(1, sh.n_outputs)
    for i = 1, #P do
      local s = sh.expected_value
      for j = 1, 3 do s = s + sh.values[i][j] end
      near(math.log(P[i][2] / P[i][1]), s, 1e-9, "row " .. i)
    end
  end)

  it("rows = {...} explains those rows only, with the same values", function()
    local ds = random_data(50, 4)
    local f = knob.model.forest{n_estimators = 5, seed = 1}:fit(ds)
    local all, some = f:shap(ds), f:shap(ds, {rows = {7, 2, 7}})
    assert.equals(3, #some.values)
    assert.same(all.values[7], some.values[1])
    assert.same(all.values[2], some.values[2])
    assert.same(all.values[7], some.values[3])
    assert.equals(all.expected_value, some.expected_value)
  end)

  it("covers are saved: a reloaded model gives the same values; one saved without covers asks for a refit", function()
    local ds = random_data(60, 8)
    for _, kind in ipairs{"tree", "forest", "gbdt"} do
      local m = knob.model[kind]{}:fit(ds)
      local text = m:to_json()
      assert.matches('"cover":', text, 1, true)
      local back = knob.model.from_json(text)
      assert.same(m:shap(ds), back:shap(ds))
      local old = assert(knob.model.from_json((text:gsub(',"cover":"[^"]*"', ""):gsub(',"cover":%[[^%]]*%]', ""))))
      assert.not_matches('"cover":', old:to_json(), 1, true)
      assert.same(m:predict(ds), old:predict(ds)) -- prediction does not need covers
      assert.error_matches(function() old:shap(ds) end, "saved without node covers.*refit")
    end
  end)

  it("a model file with tampered covers is refused", function()
    local text = knob.model.tree{}:fit(hand_data()):to_json() -- 5 nodes: 40 bytes of covers
    helpers.assert_tampered_models(text, {
      {'"cover":"[^"]*"', '"cover":"AAAA"', 'cover must be base64 of 5 little-endian 8-byte values'},
      {'"cover":"[^"]*"', '"cover":"' .. ("/"):rep(54) .. '=="', 'cover has a negative or non-finite cover'},
      {'"cover":"[^"]*"', '"cover":7', 'cover must be a base64 string'},
    })
    local g = knob.model.gbdt{n_estimators = 1, learning_rate = 1, min_samples_leaf = 1, max_leaves = 3}
    helpers.assert_tampered_models(g:fit(hand_data()):to_json(), {
      {'"cover":%[8,', '"cover":[-8,', 'state.trees[1].cover[1] must be a finite number >= 0'},
      {'"cover":%[8,', '"cover":[0,', 'state.trees[1].cover[1] must be a finite number >= 0 (> 0 for a split)'},
      {'"cover":%[8,', '"cover":[', 'state.trees[1].cover must be an array of 5 numbers'},
    })
  end)

  it("rejects bad input with clear messages", function()
    local ds = random_data(30, 2)
    local f = knob.model.forest{n_estimators = 2}:fit(ds)
    assert.error_matches(function() f:shap(ds, {row = {1}}) end, "unknown option 'row'")
    assert.error_matches(function() f:shap(ds, {rows = 3}) end, "'rows' must be a list")
    assert.error_matches(function() f:shap(ds, {rows = {}}) end, "'rows' is empty")
    assert.error_matches(function() f:shap(ds, {rows = {0}}) end, "not a row of the dataset")
    assert.error_matches(function() f:shap(ds, {rows = {31}}) end, "not a row of the dataset")
    assert.error_matches(function() f:shap(ds, {rows = {1.5}}) end, "not a row of the dataset")
    assert.error_matches(function() f:shap(ds, {rows = {NaN}}) end, "entry 1 is NaN")
    assert.error_matches(function() f:shap(ds, {rows = {"x"}}) end, "entry 1 must be a number")
    assert.error_matches(function() f:shap("ds") end, "Dataset expected")
    assert.error_matches(function() knob.model.forest{}:shap(ds) end, "not fitted")
    assert.error_matches(function() knob.model.linear{}:fit(ds):shap(ds) end, "linear has no SHAP values")
    local holes = knob.data.from_table{X = {{0.1, NaN, 0.3}, {0.2, 0.2, 0.2}}, names = {"a", "b", "c"}}
    local t = knob.model.tree{}:fit(ds)
    local used = t:feature_importances()
    if used.b > 0 then assert.error_matches(function() t:shap(holes) end, "feature 'b' is missing %(NaN%) at row 1") end
    local other = knob.data.from_table{X = {{1, 2}}, names = {"a", "zz"}}
    assert.error_matches(function() f:shap(other) end, "b")
    local closed = knob.model.tree{}:fit(ds)
    closed:close()
    assert.error_matches(function() closed:shap(ds) end, "model is closed")
  end)
end)

describe("knob.importance.shap", function()
  it("returns values, expected value, mean |SHAP| per feature and says what is explained", function()
    local m = knob.model.tree{}:fit(hand_data())
    local r = knob.importance.shap(m, hand_data())
    assert.equals("prediction", r.explains)
    near(1.5, r.expected_value, 1e-12)
    -- mean |phi| over the 8 rows of HAND_PHI: x1 (1+1+2+2+1+1+2+2)/8 = 1.5, x2 (0.5*4 + 1.5*4)/8 = 1
    near(1.5, r.mean_abs.x1, 1e-12)
    near(1, r.mean_abs.x2, 1e-12)
    local dc = random_data(60, 9, true)
    local f = knob.model.forest{n_estimators = 3}:fit(dc)
    local rc = knob.importance.shap(f, dc, {rows = {1, 2}})
    assert.equals("probability of each class", rc.explains)
    assert.same(f:info().classes, rc.outputs)
    assert.equals(3, #rc.values)
    local g = knob.model.gbdt{n_estimators = 3}:fit(dc)
    assert.equals("raw margin (softmax input) of each class", knob.importance.shap(g, dc).explains)
    local X, y = {}, {}
    for i = 1, 40 do X[i], y[i] = {i}, i > 20 and "b" or "a" end
    local db = knob.data.from_table{X = X, y = y, names = {"x"}}
    local gb = knob.model.gbdt{n_estimators = 2, min_samples_leaf = 2}:fit(db)
    local rb = knob.importance.shap(gb, db)
    assert.equals("raw margin: log-odds of class 'b'", rb.explains)
    assert.same({"b"}, rb.outputs)
  end)

  it("rejects bad input", function()
    local ds = random_data(20, 1)
    assert.error_matches(function() knob.importance.shap(42, ds) end, "expected a knob model")
    assert.error_matches(function() knob.importance.shap(knob.model.tree{}:fit(ds), {}) end, "expected a knob.Dataset")
    assert.error_matches(function() knob.importance.shap(knob.model.tree{}, ds) end, "not fitted")
    assert.error_matches(function() knob.importance.shap(knob.model.tree{}:fit(ds), ds, {rowz = 1}) end,
                         "unknown option 'rowz'")
  end)
end)
