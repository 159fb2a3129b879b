-- model_naive_bayes_spec.lua — knob.model.naive_bayes (Gaussian): hand-computed likelihoods, stable
-- probabilities, scikit-learn 1.2.1 GaussianNB means/variances/probabilities on iris (plain, sample-weighted,
-- with priors), held-out accuracy, persistence and bad input.
local knob = require "knob"
local helpers = require "helpers"

local function read(name, target)
  return assert(knob.data.read_csv("examples/data/" .. name .. ".csv", {target = target, task = "classification"}))
end

-- The numbers of array field `name` in a model's JSON state.
local function state_array(m, name)
  local body = m:to_json():match('"' .. name .. '":%[([^%]]*)%]')
  local out = {}
  for v in body:gmatch("[^,]+") do out[#out + 1] = tonumber(v) end
  return out
end

-- |got - want| within rel relative (and 1e-300 absolute, for probabilities that underflow alike)
local function close_all(want, got, rel, what)
  assert.equals(#want, #got, what)
  for i = 1, #want do
    local tol = math.max(1e-300, rel * math.abs(want[i]))
    assert(math.abs(got[i] - want[i]) <= tol,
      ("%s[%d]: want %.17g, got %.17g"):format(what, i, want[i], got[i]))
  end
end

local function flat(rows)
  local out = {}
  for _, r in ipairs(rows) do for _, v in ipairs(r) do out[#out + 1] = v end end
  return out
end

local function one(X, y) return knob.data.from_table{X = X, y = y, names = {"x"}} end

describe("knob.model.naive_bayes", function()
  it("computes hand-checked Gaussian likelihoods", function()
    -- class a: x = 0, 2 (mean 1, variance 1); class b: x = 4, 6 (mean 5, variance 1); var_smoothing 0.
    -- At x = 3 both likelihoods are equal → 0.5 each, predict a (ties go to the first class).
    -- At x = 2: jll_a - jll_b = -(1/2)(1)^2 + (1/2)(3)^2 = 4 → P(a) = 1 / (1 + e^-4).
    local ds = one({{0}, {2}, {4}, {6}}, {"a", "a", "b", "b"})
    local m = knob.model.naive_bayes{var_smoothing = 0}:fit(ds)
    assert.same({1, 5}, state_array(m, "theta"))
    assert.same({1, 1}, state_array(m, "var"))
    local p = m:predict_proba(one({{3}, {2}}, {"a", "a"}))
    assert.near(0.5, p[1][1], 1e-15)
    assert.near(1 / (1 + math.exp(-4)), p[2][1], 1e-15)
    assert.same({"a", "a"}, m:predict(one({{3}, {2}}, {"a", "a"})))
    -- far away (x = 1000): jll_b - jll_a = ((999)^2 - (995)^2) / 2 = 3988, so P(b) = 1 and P(a) = e^-3988 = 0
    -- without NaN (a naive exp of each jll would be 0 / 0)
    local far = m:predict_proba(one({{1000}}, {"a"}))
    assert.equals(0, far[1][1])
    assert.equals(1, far[1][2])
    assert.matches("knob.Model<naive_bayes, gaussian, 2 classes, fitted>", tostring(m), 1, true)
  end)

  it("matches scikit-learn 1.2.1 GaussianNB on iris: means, variances, epsilon, probabilities", function()
    -- import numpy as np, pandas as pd; from sklearn.naive_bayes import GaussianNB
    -- d = pd.read_csv("examples/data/iris.csv"); X, y = d.iloc[:, :-1].to_numpy(float), d.iloc[:, -1].to_numpy()
    -- m = GaussianNB().fit(X, y); rows = [0, 50, 70, 83, 100, 119, 133]
    -- m.theta_.ravel(), m.var_.ravel(), m.epsilon_, m.predict_proba(X[rows])   (repr of each value)
    local iris = read("iris", "species")
    local m = knob.model.naive_bayes{}:fit(iris)
    close_all({5.005999999999999, 3.428000000000001, 1.4620000000000002, 0.2459999999999999, 5.936,
               2.7700000000000005, 4.26, 1.3259999999999998, 6.587999999999998, 2.9739999999999998, 5.552, 2.026},
      state_array(m, "theta"), 1e-14, "theta")
    close_all({0.12176400309550259, 0.14081600309550263, 0.029556003095502676, 0.010884003095502673,
               0.2611040030955028, 0.09650000309550268, 0.21640000309550278, 0.03832400309550265,
               0.39625600309550263, 0.10192400309550273, 0.2984960030955029, 0.07392400309550265},
      state_array(m, "var"), 1e-13, "var")
    assert.near(3.095502666666667e-09, tonumber(m:to_json():match('"epsilon":([^,}]+)')), 1e-22)
    local rows = knob.split.view(iris, {1, 51, 71, 84, 101, 120, 134})
    local want = {{1.0, 1.3578426545097532e-18, 7.112835116303153e-26},
                  {3.2138093542663014e-109, 0.8040376655396823, 0.19596233446031797},
                  {2.591538028250168e-130, 0.15449408494388256, 0.8455059150561174},
                  {2.140697314099488e-135, 0.6121598447427535, 0.3878401552572468},
                  {3.2324518072371566e-254, 6.353810311595855e-11, 0.9999999999364619},
                  {6.310865149954135e-126, 0.9581353618712692, 0.041864638128730806},
                  {2.6838258262863244e-131, 0.7126451442155293, 0.2873548557844709}}
    local proba, classes = m:predict_proba(rows)
    assert.same({"setosa", "versicolor", "virginica"}, classes)
    close_all(flat(want), flat(proba), 1e-9, "proba")
    assert.same({"setosa", "versicolor", "virginica", "versicolor", "virginica", "versicolor", "versicolor"},
      m:predict(rows))
  end)

  it("matches scikit-learn with sample weights, and with priors and var_smoothing", function()
    -- w = np.arange(150) % 3 + 0.5; mw = GaussianNB().fit(X, y, sample_weight=w)
    -- mp = GaussianNB(priors=[0.1, 0.3, 0.6], var_smoothing=1e-3).fit(X, y)   (same rows as above)
    local iris = read("iris", "species")
    local w = {}
    for i = 1, #iris do w[i] = (i - 1) % 3 + 0.5 end
    local mw = knob.model.naive_bayes{}:fit(iris, {sample_weight = w})
    close_all({4.983108108108108, 3.4040540540540536, 1.4614864864864867, 0.2533783783783784, 5.993333333333332,
               2.7833333333333337, 4.271999999999999, 1.3380000000000003, 6.548684210526317, 2.9598684210526316,
               5.559210526315789, 1.9940789473684213}, state_array(mw, "theta"), 1e-14, "weighted theta")
    close_all({0.12167412654327474, 0.14917275693041862, 0.03398968534532004, 0.011812913979359498,
               0.2594222253177251, 0.09792222531772489, 0.22001600309550262, 0.03715600309550267,
               0.40144564021461643, 0.11187630157195694, 0.2860993798268048, 0.07384652317860514},
      state_array(mw, "var"), 1e-13, "weighted var")
    close_all({0.3288888888888889, 0.3333333333333333, 0.3377777777777778}, state_array(mw, "class_prior"), 1e-15,
      "weighted prior")
    local rows = knob.split.view(iris, {1, 51, 71, 84, 101, 120, 134})
    close_all(flat{{1.0, 7.524274564956024e-19, 5.923457002005014e-26},
                   {3.876992664410908e-97, 0.8361673772513184, 0.16383262274868182},
                   {1.311059352724445e-115, 0.16541444805983502, 0.8345855519401648},
                   {1.2593417119992532e-119, 0.5807670430739074, 0.4192329569260927},
                   {5.236234129260477e-226, 9.406960529656052e-11, 0.9999999999059304},
                   {4.039371820880293e-111, 0.9312545813533758, 0.06874541864662413},
                   {5.099439807934346e-116, 0.7037431976272929, 0.29625680237270713}},
      flat((mw:predict_proba(rows))), 1e-9, "weighted proba")
    local mp = knob.model.naive_bayes{priors = {0.1, 0.3, 0.6}, var_smoothing = 1e-3}:fit(iris)
    close_all(flat{{1.0, 2.2433358609265798e-17, 1.7122384442664743e-24},
                   {1.6503907070848065e-96, 0.6534518563217441, 0.34654814367825604},
                   {1.1131554674726588e-112, 0.10035628456814956, 0.8996437154318504},
                   {9.835756194211988e-119, 0.44278817828899797, 0.557211821711002},
                   {3.108499967530366e-218, 1.2715832548458302e-10, 0.9999999998728417},
                   {9.142452018608623e-111, 0.9124259661613727, 0.08757403383862733},
                   {1.0082395589742822e-115, 0.5408426065577311, 0.45915739344226886}},
      flat((mp:predict_proba(rows))), 1e-9, "priors proba")
    assert.same({"setosa", "versicolor", "virginica", "virginica", "virginica", "versicolor", "versicolor"},
      mp:predict(rows))
    assert.same({0.1, 0.3, 0.6}, mp:params().priors)
  end)

  it("matches scikit-learn 1.2.1 held-out accuracy on iris, wine, breast_cancer", function()
    -- the split of model_knn_spec.lua (test rows pasted and checked there), then
    --   GaussianNB().fit(X[tr], y[tr]).score(X[te], y[te])
    -- → iris 0.9333333333333333, wine 0.9629629629629629, breast_cancer 0.9181286549707602
    local cases = {{"iris", "species", 0.9333333333333333}, {"wine", "cultivar", 0.9629629629629629},
                   {"breast_cancer", "diagnosis", 0.9181286549707602}}
    for _, c in ipairs(cases) do
      local train, test = knob.split.train_test(read(c[1], c[2]), {test = 0.3, stratify = true, seed = 7})
      local acc = knob.model.naive_bayes{}:fit(train):score(test)
      assert.is_true(math.abs(acc - c[3]) <= 0.01, c[1])
    end
  end)

  it("never predicts a class without training rows, and smooths constant data", function()
    -- class c exists in the data but not in the training rows: probability 0 everywhere
    local ds = one({{0}, {1}, {5}, {6}, {10}}, {"a", "a", "b", "b", "c"})
    local m = knob.model.naive_bayes{}:fit(knob.split.view(ds, {1, 2, 3, 4}))
    local proba = m:predict_proba(ds)
    for i = 1, #ds do assert.equals(0, proba[i][3]) end
    assert.same({"a", "a", "b", "b", "b"}, m:predict(ds))
    -- every feature constant: epsilon = var_smoothing, the class prior decides (b has 2 of 3 rows)
    local flat_ds = one({{7}, {7}, {7}}, {"a", "b", "b"})
    local mf = knob.model.naive_bayes{}:fit(flat_ds)
    local pf = mf:predict_proba(flat_ds)
    assert.near(1 / 3, pf[1][1], 1e-15)
    assert.same({"b", "b", "b"}, mf:predict(flat_ds))
    local ok, err = pcall(function() knob.model.naive_bayes{var_smoothing = 0}:fit(one({{1}, {1}, {2}}, {"a", "a", "b"})) end)
    assert.is_false(ok)
    assert.matches("naive_bayes: feature 'x' has zero variance in class 'a'; use var_smoothing > 0", err, 1, true)
  end)

  it("saves and loads with identical predictions; reports a tampered state", function()
    local iris = read("iris", "species")
    local m = knob.model.naive_bayes{priors = {0.2, 0.3, 0.5}}:fit(iris)
    local path = os.tmpname() -- save replaces the empty file
    assert.is_true(m:save(path))
    local back = assert(knob.model.load(path))
    os.remove(path)
    assert.same(m:predict_proba(iris), back:predict_proba(iris))
    assert.same(m:predict(iris), back:predict(iris))
    assert.same(m:params(), back:params())
    assert.equals(2 * 3 * 4 + 3, back:info().n_params)
    local text = knob.model.naive_bayes{}:fit(one({{0}, {2}, {4}, {6}}, {"a", "a", "b", "b"})):to_json()
    local cases = {
      {'"var":%[[^%]]*%]', '"var":[1,0]', "field 'state.var' entry 2 must be a finite number"},
      {'"theta":%[[^%]]*%]', '"theta":[1]', "field 'state.theta' must be an array of 2 numbers"},
      {'"class_prior":%[[^%]]*%]', '"class_prior":[0,0]', "no class has both training rows and a positive prior"},
      {'"epsilon":[^,}]+', '"epsilon":"x"', "field 'state.epsilon' must be a finite number"},
    }
    helpers.assert_tampered_models(text, cases)
  end)

  it("rejects bad hyperparameters, naming them", function()
    local cases = {
      {{var_smoothing = -1}, "hyperparameter 'var_smoothing' must be >= 0 (got -1)"},
      {{var_smoothing = 0 / 0}, "'var_smoothing' must be finite"},
      {{priors = {0.5, 0.6}}, "naive_bayes: priors must sum to 1"},
      {{priors = {-0.5, 1.5}}, "hyperparameter 'priors' must be >= 0 (got -0.5)"},
      {{priors = {}}, "priors must not be empty"},
      {{priors = 0.5}, "hyperparameter 'priors' must be a list of numbers (got number)"},
      {{priors = {"a"}}, "priors"},
      {{prior = {1}}, "naive_bayes: unknown hyperparameter 'prior' (valid: var_smoothing, priors)"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(knob.model.naive_bayes, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
    local ds = one({{0}, {2}, {4}, {6}}, {"a", "a", "b", "b"})
    local ok, err = pcall(function() knob.model.naive_bayes{priors = {0.2, 0.3, 0.5}}:fit(ds) end)
    assert.is_false(ok)
    assert.matches("naive_bayes: priors has 3 entries but the data has 2 classes", err, 1, true)
  end)

  it("rejects regression targets, zero total weight, missing values and categorical features", function()
    local r = knob.data.from_table{X = {{1}, {2}}, y = {1.5, 2.5}, names = {"x"}, task = "regression"}
    local ok, err = pcall(function() knob.model.naive_bayes{}:fit(r) end)
    assert.is_false(ok)
    assert.matches("naive_bayes does not support regression", err, 1, true)
    local ds = one({{0}, {2}, {4}, {6}}, {"a", "a", "b", "b"})
    ok, err = pcall(function() knob.model.naive_bayes{}:fit(ds, {sample_weight = {0, 0, 0, 0}}) end)
    assert.matches("naive_bayes: the sample weights sum to zero", err, 1, true)
    ok, err = pcall(function() knob.model.naive_bayes{}:fit(one({{0}, {0 / 0}}, {"a", "b"})) end)
    assert.matches("naive_bayes: feature 'x' has a missing value at row 2 (impute it first, e.g. knob.prep.impute)",
      err, 1, true)
    local m = knob.model.naive_bayes{}:fit(ds)
    ok, err = pcall(m.predict_proba, m, one({{1}, {-1 / 0}}, {"a", "a"}))
    assert.matches("naive_bayes: feature 'x' has an infinite value at row 2", err, 1, true)
    local cat = knob.data.from_table{X = {{1, "u"}, {2, "v"}}, names = {"x", "c"}, y = {"p", "q"}}
    ok, err = pcall(function() knob.model.naive_bayes{}:fit(cat) end)
    assert.matches("naive_bayes: feature 'c' is categorical; encode it first (e.g. knob.prep.onehot)", err, 1, true)
    ok = pcall(m.predict, m, {})
    assert.is_false(ok)
  end)
end)
