-- model_knn_spec.lua — knob.model.knn: hand-computed distances, ties and distance weights, sample weights,
-- agreement with a plain Lua brute force on multi-block/multi-tile data, threads, scikit-learn 1.2.1 held-out
-- accuracy, persistence and bad input.
local knob = require "knob"
local helpers = require "helpers"

local TARGETS = {iris = "species", wine = "cultivar", breast_cancer = "diagnosis"}

-- A bundled CSV (numeric features, target last) as a classification Dataset.
local function load(name)
  return assert(knob.data.read_csv("examples/data/" .. name .. ".csv", {target = TARGETS[name], task = "classification"}))
end

local function reg(X, y, names)
  return knob.data.from_table{X = X, y = y, names = names or {"a", "b"}, task = "regression"}
end

local function clf(X, y)
  return knob.data.from_table{X = X, y = y, names = {"x"}}
end

local function first(m, ds) return m:predict(ds)[1] end

describe("knob.model.knn", function()
  -- Training rows (point, y): A (3,4) 10, B (0,-2) 20, C (1,1) 40, D (5,12) 50; the query is (0,0).
  -- Distances by hand: euclidean A 5, B 2, C sqrt 2, D 13; manhattan A 7, B 2, C 2, D 17;
  -- minkowski p=3: A 91^(1/3), B 2, C 2^(1/3), D 1853^(1/3).
  -- scikit-learn 1.2.1 gives the same numbers (KNeighborsRegressor, brute and kd_tree):
  --   X = [[3,4],[0,-2],[1,1],[5,12]]; y = [10,20,40,50]; KR(**kw).fit(X, y).predict([[0,0]])
  --   → 23.333333333333332, 31.7157287525381, 27.5, 32.270235808713814, 20.0, 30.0 for the six cases below.
  local train = reg({{3, 4}, {0, -2}, {1, 1}, {5, 12}}, {10, 20, 40, 50})
  local query = reg({{0, 0}}, {0})

  it("regresses on hand-computed distances (euclidean, manhattan, minkowski; uniform and distance weights)", function()
    local s2, c3 = math.sqrt(2), 2 ^ (1 / 3)
    assert.near(70 / 3, first(knob.model.knn{n_neighbors = 3}:fit(train), query), 1e-12)
    assert.near((40 / s2 + 20 / 2) / (1 / s2 + 1 / 2),
      first(knob.model.knn{n_neighbors = 2, weights = "distance"}:fit(train), query), 1e-12)
    assert.near((20 / 2 + 40 / 2 + 10 / 7) / (1 / 2 + 1 / 2 + 1 / 7),
      first(knob.model.knn{n_neighbors = 3, weights = "distance", metric = "manhattan"}:fit(train), query), 1e-12)
    assert.near((40 / c3 + 20 / 2) / (1 / c3 + 1 / 2),
      first(knob.model.knn{n_neighbors = 2, weights = "distance", metric = "minkowski", p = 3}:fit(train), query), 1e-12)
    assert.near(30, first(knob.model.knn{n_neighbors = 4}:fit(train), query), 1e-12)
    -- a large power: A = 4 (1 + 0.75^400)^(1/400) = 4, C = 2^(1/400), D = 12 (1 + (5/12)^400)^(1/400) = 12 to
    -- double precision; 12^400 alone would overflow, so D's weight shows the sum is scaled
    local cp = 2 ^ (1 / 400)
    assert.near((10 / 4 + 20 / 2 + 40 / cp + 50 / 12) / (1 / 4 + 1 / 2 + 1 / cp + 1 / 12),
      first(knob.model.knn{n_neighbors = 4, weights = "distance", metric = "minkowski", p = 400}:fit(train), query), 1e-12)
    -- minkowski with p = 1 and p = 2 are manhattan and euclidean
    assert.near(first(knob.model.knn{n_neighbors = 3, weights = "distance", metric = "manhattan"}:fit(train), query),
      first(knob.model.knn{n_neighbors = 3, weights = "distance", metric = "minkowski", p = 1}:fit(train), query), 1e-12)
    assert.near(70 / 3, first(knob.model.knn{n_neighbors = 3, metric = "minkowski", p = 2}:fit(train), query), 1e-12)
  end)

  it("breaks distance ties by training index", function()
    -- manhattan: B (row 2) and C (row 3) are both at 2; k = 1 takes B → 20 (scikit-learn: 20.0)
    assert.equals(20, first(knob.model.knn{n_neighbors = 1, metric = "manhattan"}:fit(train), query))
    -- x = 1, -1, 2, -2, 1, -1 with labels a b a b c b; the query 0 is at distance 1 from rows 1, 2, 5, 6.
    -- The lowest indices win: k=2 → rows 1,2; k=3 → rows 1,2,5; k=4 → rows 1,2,5,6. scikit-learn 1.2.1 picks the
    -- same sets: KNeighborsClassifier(k, algorithm="brute").kneighbors([[0]]) → [0 1], [0 1 4], [4 5 0 1]
    -- (0-based), predict_proba → [.5 .5 0], [1/3 1/3 1/3], [.25 .5 .25]; predict → a, a, b (vote ties go
    -- to the first class).
    local ds = clf({{1}, {-1}, {2}, {-2}, {1}, {-1}}, {"a", "b", "a", "b", "c", "b"})
    local q = clf({{0}}, {"a"})
    local want = {{1, 0, 0}, {0.5, 0.5, 0}, {1 / 3, 1 / 3, 1 / 3}, {0.25, 0.5, 0.25}}
    local label = {"a", "a", "a", "b"}
    for k = 1, 4 do
      for _, w in ipairs {"uniform", "distance"} do
        local m = knob.model.knn{n_neighbors = k, weights = w}:fit(ds)
        local proba, classes = m:predict_proba(q)
        assert.same({"a", "b", "c"}, classes)
        for c = 1, 3 do assert.near(want[k][c], proba[1][c], 1e-15) end
        assert.equals(label[k], first(m, q))
      end
    end
  end)

  it("gives the whole vote to neighbours at distance 0 with distance weights", function()
    -- scikit-learn 1.2.1: KC(3).fit([[0],[0.001],[1]], "aab").predict_proba([[1]]) → [2/3 1/3], "a";
    -- with weights="distance" → [0 1], "b"; KC(3, weights="distance").fit([[1],[1],[0]], "bca") → [0 .5 .5], "b";
    -- KR(3, weights="distance").fit([[1],[1],[0]], [2,4,100]).predict([[1]]) → 3 (uniform: 106/3).
    local q = clf({{1}}, {"a"})
    local ds = clf({{0}, {0.001}, {1}}, {"a", "a", "b"})
    local p = knob.model.knn{n_neighbors = 3}:fit(ds):predict_proba(q)
    assert.near(2 / 3, p[1][1], 1e-15)
    assert.equals("a", first(knob.model.knn{n_neighbors = 3}:fit(ds), q))
    local md = knob.model.knn{n_neighbors = 3, weights = "distance"}:fit(ds)
    assert.same({{0, 1}}, (md:predict_proba(q)))
    assert.equals("b", first(md, q))
    local dup = clf({{1}, {1}, {0}}, {"b", "c", "a"})
    local mdup = knob.model.knn{n_neighbors = 3, weights = "distance"}:fit(dup)
    assert.same({{0, 0.5, 0.5}}, (mdup:predict_proba(q)))
    assert.equals("b", first(mdup, q))
    local r = knob.data.from_table{X = {{1}, {1}, {0}}, y = {2, 4, 100}, names = {"x"}, task = "regression"}
    local rq = knob.data.from_table{X = {{1}}, y = {0}, names = {"x"}, task = "regression"}
    assert.equals(3, first(knob.model.knn{n_neighbors = 3, weights = "distance"}:fit(r), rq))
    assert.near(106 / 3, first(knob.model.knn{n_neighbors = 3}:fit(r), rq), 1e-12)
  end)

  it("finds each training row at distance 0 exactly (BLAS distances are re-measured)", function()
    -- with distance weights every training row is its own sole voter, so the training predictions are the labels
    -- (iris has duplicate rows, but with the same species)
    local iris = load("iris")
    local m = knob.pipeline{knob.prep.standardize(), knob.model.knn{n_neighbors = 7, weights = "distance"}}:fit(iris)
    assert.same(iris:target(), m:predict(iris))
  end)

  it("multiplies votes by sample weights and drops rows of weight 0", function()
    -- x = 0 a (w 1), 1 b (w 3), 2 a (w 1); query 1, k = 3 uniform: a 2, b 3 → b with proba 0.4, 0.6.
    -- Query 0.5 with distance weights: a 1/0.5 + 1/1.5 = 8/3, b 3/0.5 = 6 → b with 6 / (26/3) = 9/13.
    local ds = clf({{0}, {1}, {2}}, {"a", "b", "a"})
    local m = knob.model.knn{n_neighbors = 3}:fit(ds, {sample_weight = {1, 3, 1}})
    local p = m:predict_proba(clf({{1}}, {"a"}))
    assert.near(0.4, p[1][1], 1e-15)
    assert.near(0.6, p[1][2], 1e-15)
    assert.equals("a", first(knob.model.knn{n_neighbors = 3}:fit(ds), clf({{1}}, {"a"})))
    local md = knob.model.knn{n_neighbors = 3, weights = "distance"}:fit(ds, {sample_weight = {1, 3, 1}})
    assert.near(9 / 13, md:predict_proba(clf({{0.5}}, {"a"}))[1][2], 1e-15)
    -- weight 0 on row 2 (b): the two remaining rows both say a
    local m0 = knob.model.knn{n_neighbors = 2}:fit(ds, {sample_weight = {1, 0, 1}})
    assert.equals("a", first(m0, clf({{1}}, {"a"})))
    assert.matches("knob.Model<knn, k=2, euclidean, 2 training rows, fitted>", tostring(m0), 1, true)
    local ok, err = pcall(function() knob.model.knn{n_neighbors = 3}:fit(ds, {sample_weight = {1, 0, 1}}) end)
    assert.is_false(ok)
    assert.matches("knn: n_neighbors = 3 is more than the 2 training rows of positive weight", err, 1, true)
  end)

  -- A plain Lua brute force: the mean target of the k nearest rows (full sort, ties by index).
  local function brute(train, test, k, metric)
    local tr, te = {}, {}
    for i = 1, #train do tr[i] = train:row(i) end
    for i = 1, #test do te[i] = test:row(i) end
    local y, p, out = train:target(), train:features(), {}
    for i, q in ipairs(te) do
      local d = {}
      for t, x in ipairs(tr) do
        local acc = 0
        for j = 1, p do
          local diff = q[j] - x[j]
          acc = acc + (metric == "manhattan" and math.abs(diff) or diff * diff)
        end
        d[t] = {acc, t}
      end
      table.sort(d, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
      local s = 0
      for c = 1, k do s = s + y[d[c][2]] end
      out[i] = s / k
    end
    return out
  end

  it("agrees with a plain brute force over several query blocks and training tiles, for any thread count", function()
    -- 70 features: tiles of 64 training rows, so 300 rows are 5 tiles; 130 queries are 3 blocks of 64
    local ds = knob.data.make_regression{n_samples = 430, n_features = 70, noise = 1, seed = 5}
    local rows_tr, rows_te = {}, {}
    for i = 1, 300 do rows_tr[i] = i end
    for i = 301, 430 do rows_te[#rows_te + 1] = i end
    local train, test = knob.split.view(ds, rows_tr), knob.split.view(ds, rows_te)
    for _, metric in ipairs {"euclidean", "manhattan"} do
      local want = brute(train, test, 6, metric)
      local got1 = knob.model.knn{n_neighbors = 6, metric = metric, n_jobs = 1}:fit(train):predict(test)
      local got3 = knob.model.knn{n_neighbors = 6, metric = metric, n_jobs = 3}:fit(train):predict(test)
      assert.same(got1, got3)
      for i = 1, #want do assert.near(want[i], got1[i], 1e-9 * math.max(1, math.abs(want[i]))) end
    end
    local c = knob.data.make_classification{n_samples = 500, n_features = 8, n_classes = 3, n_informative = 4,
                                            seed = 2}
    local a = knob.model.knn{n_neighbors = 9, weights = "distance", n_jobs = 1}:fit(c):predict_proba(c)
    local b = knob.model.knn{n_neighbors = 9, weights = "distance", n_jobs = 4}:fit(c):predict_proba(c)
    assert.same(a, b)
  end)

  it("matches scikit-learn 1.2.1 held-out accuracy (k = 5, standardized) on iris, wine, breast_cancer", function()
    -- The split: knob.split.train_test_indices(ds, {test = 0.3, stratify = true, seed = 7}); its test rows
    -- (1-based) are pasted below and checked, then used by scikit-learn:
    --   import numpy as np, pandas as pd
    --   from sklearn.preprocessing import StandardScaler; from sklearn.neighbors import KNeighborsClassifier
    --   d = pd.read_csv(f"examples/data/{name}.csv"); X = d.iloc[:, :-1].to_numpy(float)
    --   y = d.iloc[:, -1].astype(str).to_numpy(); te = np.array(test) - 1
    --   tr = np.setdiff1d(np.arange(len(y)), te); sc = StandardScaler().fit(X[tr])
    --   KNeighborsClassifier(5).fit(sc.transform(X[tr]), y[tr]).score(sc.transform(X[te]), y[te])
    -- → iris 0.9555555555555556, wine 0.9629629629629629, breast_cancer 0.9532163742690059
    local cases = {
      iris = {0.9555555555555556, "7,12,13,14,16,19,21,24,28,29,37,45,47,48,50,54,55,64,65,68,69,70,84,85,86,88," ..
        "91,96,98,99,106,113,116,117,120,131,134,135,136,138,139,140,142,145,147"},
      wine = {0.9629629629629629, "5,6,9,20,22,29,32,35,36,38,39,40,41,43,46,49,58,59,62,66,68,69,70,79,80,81,85," ..
        "87,96,102,104,107,109,111,113,118,122,127,130,132,135,140,146,149,150,152,158,160,162,167,169,171,173,178"},
      breast_cancer = {0.9532163742690059, "1,2,6,12,14,21,32,34,35,36,40,42,49,52,56,59,62,64,70,72,78,80,81,83," ..
        "87,92,94,95,96,98,101,103,110,115,122,124,133,138,144,148,149,150,158,159,160,164,165,171,180,184,185,186," ..
        "187,191,194,198,199,200,201,204,209,210,217,223,226,228,230,232,233,234,240,243,246,247,248,249,255,256," ..
        "262,263,264,265,275,277,279,280,281,285,287,290,292,294,296,297,307,313,320,325,328,331,333,335,338,342," ..
        "344,345,347,350,352,358,359,360,363,371,374,376,386,387,389,398,402,403,406,409,419,420,422,426,433,434," ..
        "441,442,443,445,449,450,454,455,462,463,464,468,469,470,472,475,484,485,488,492,493,496,500,508,513,515," ..
        "516,517,518,519,522,525,529,531,532,533,535,546,552,556,565"},
    }
    for name, case in pairs(cases) do
      local ds = load(name)
      local train, test, _, te = knob.split.train_test(ds, {test = 0.3, stratify = true, seed = 7})
      assert.equals(case[2], table.concat(te, ","))
      local p = knob.pipeline{knob.prep.standardize(), knob.model.knn{n_neighbors = 5}}:fit(train)
      assert.is_true(math.abs(p:score(test) - case[1]) <= 0.01, name)
    end
  end)

  it("saves the training data and loads with identical predictions", function()
    local c = knob.data.make_classification{n_samples = 120, n_features = 5, seed = 4}
    local w = {}
    for i = 1, #c do w[i] = (i % 4) * 0.5 end -- every fourth row has weight 0 and is not stored
    local m = knob.model.knn{n_neighbors = 4, weights = "distance", metric = "manhattan"}:fit(c, {sample_weight = w})
    local path = os.tmpname() -- save replaces the empty file
    assert.is_true(m:save(path))
    local back = assert(knob.model.load(path))
    os.remove(path)
    assert.same(m:predict_proba(c), back:predict_proba(c))
    assert.same(m:predict(c), back:predict(c))
    assert.same(m:params(), back:params())
    assert.equals(90 * 6, back:info().n_params) -- 90 stored rows x (5 features + target)
    local r = knob.model.knn{n_neighbors = 3}:fit(train)
    local rb = assert(knob.model.from_json(r:to_json()))
    assert.same(r:predict(query), rb:predict(query))
  end)

  it("reports a tampered state clearly", function()
    local text = knob.model.knn{n_neighbors = 2}:fit(train):to_json()
    local cases = {
      {'"n_train":4', '"n_train":1', "field 'state.n_train' must be a whole number >= n_neighbors (2)"},
      {'"n_train":4', '"n_train":5', "field 'state.X' must be an array of 10 numbers"},
      {'"y":%[10,', '"y":["x",', "field 'state.y' entry 1 is not a finite number"},
    }
    helpers.assert_tampered_models(text, cases)
    local ctext = knob.model.knn{n_neighbors = 1}:fit(clf({{0}, {1}}, {"a", "b"})):to_json()
    local m, err = knob.model.from_json((ctext:gsub('"y":%[0,1%]', '"y":[0,2]')))
    assert.is_nil(m)
    assert.matches("field 'state.y' entry 2 must be a finite whole number in [0, 1]", err, 1, true)
    m, err = knob.model.from_json((ctext:gsub('"y":%[0,1%]', '"y":[0,0.5]')))
    assert.matches("field 'state.y' entry 2 must be a finite whole number", err, 1, true)
  end)

  it("rejects bad hyperparameters, naming them", function()
    local cases = {
      {{n_neighbors = 0}, "hyperparameter 'n_neighbors' must be >= 1 (got 0)"},
      {{n_neighbors = 2.5}, "'n_neighbors' must be an integer"},
      {{n_neighbors = "5"}, "'n_neighbors' must be a number (got string)"},
      {{weights = "gaussian"}, "'weights' must be one of uniform, distance (got 'gaussian')"},
      {{metric = "cosine"}, "'metric' must be one of euclidean, manhattan, minkowski (got 'cosine')"},
      {{p = 0.5}, "hyperparameter 'p' must be >= 1 (got 0.5)"},
      {{p = 1 / 0}, "'p' must be finite"},
      {{n_jobs = -1}, "'n_jobs' must be >= 0"},
      {{n_neighbours = 3}, "knn: unknown hyperparameter 'n_neighbours' (valid: n_neighbors, weights, metric, p, n_jobs)"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(knob.model.knn, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
    local ok, err = pcall(function() knob.model.knn{n_neighbors = 5}:fit(train) end)
    assert.is_false(ok)
    assert.matches("knn: n_neighbors = 5 is more than the 4 training rows", err, 1, true)
  end)

  it("rejects missing values, infinities and categorical features with a pointer to the fix", function()
    local nan = 0 / 0
    local ok, err = pcall(function() knob.model.knn{n_neighbors = 1}:fit(reg({{1, 2}, {nan, 1}}, {1, 2})) end)
    assert.is_false(ok)
    assert.matches("knn: feature 'a' has a missing value at row 2 (impute it first, e.g. knob.prep.impute)", err, 1, true)
    ok, err = pcall(function() knob.model.knn{n_neighbors = 1}:fit(reg({{1, 2}, {1, 1 / 0}}, {1, 2})) end)
    assert.matches("knn: feature 'b' has an infinite value at row 2", err, 1, true)
    local m = knob.model.knn{n_neighbors = 1}:fit(train)
    ok, err = pcall(m.predict, m, reg({{0, 0}, {1, 1}, {0, nan}}, {0, 0, 0}))
    assert.is_false(ok)
    assert.matches("knn: feature 'b' has a missing value at row 3", err, 1, true)
    local cat = knob.data.from_table{X = {{1, "u"}, {2, "v"}}, names = {"x", "c"}, y = {"p", "q"}}
    ok, err = pcall(function() knob.model.knn{n_neighbors = 1}:fit(cat) end)
    assert.matches("knn: feature 'c' is categorical; encode it first (e.g. knob.prep.onehot)", err, 1, true)
    -- the pipeline with onehot is the fix
    local p = knob.pipeline{knob.prep.onehot(), knob.model.knn{n_neighbors = 1}}:fit(cat)
    assert.same({"p", "q"}, p:predict(cat))
    ok, err = pcall(m.predict, m, "nope")
    assert.is_false(ok)
    ok, err = pcall(m.fit, m, train, {sample_wieght = {}})
    assert.matches("sample_wieght", err, 1, true)
  end)
end)
