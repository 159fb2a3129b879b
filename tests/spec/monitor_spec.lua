-- monitor_spec.lua — knob.monitor and knob.core.monitor: PSI, KS, chi-square, McNemar, the Nadeau–Bengio
-- t-test against SciPy; reference statistics saved with models and pipelines; drift verdicts on bundled data
-- with an injected shift; performance and A/B comparison; bad input.
--
-- Reference values were computed once with SciPy 1.10.1 / NumPy (/usr/bin/python3) by the snippets quoted
-- beside them; PSI values are hand computations (the formula written out, evaluated with a calculator).
local knob = require "knob"
local helpers = require "helpers"
local C = knob.core.monitor

local function close(expected, got, rel)
  rel = rel or 1e-12
  assert(math.abs(expected - got) <= rel * math.max(1, math.abs(expected)),
    ("expected %.17g, got %.17g"):format(expected, got))
end

local err_of = helpers.error_of

local A = {0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77,
           1.09, -1.28, 2.36, 1.31, 1.05, -0.52, -0.74, 0.12, 0.14}
local B = {0.8, 1.2, 2.1, 0.3, 1.9, 1.5, 0.7, 2.4, 1.1, 0.95, 1.6, 2.2, 0.45, 1.35, 1.75, 0.15, 2.05, 1.25}

describe("knob.core.monitor statistics", function()
  it("KS statistic and exact p-value match scipy.stats.ks_2samp(method='exact')", function()
    -- res = stats.ks_2samp(A, B, method='exact')  -> 0.5933333333333334 0.000591940547382243
    local d, p, method = C.ks(A, B, {method = "exact"})
    close(0.5933333333333334, d)
    close(0.000591940547382243, p, 1e-10)
    assert.equals("exact", method)
    -- "auto" is exact for max(n, m) <= 10000, as scipy
    local _, p2, m2 = C.ks(B, A)
    close(0.000591940547382243, p2, 1e-10)
    assert.equals("exact", m2)
    -- ties, equal sizes: stats.ks_2samp([1,2,2,3,3,3,4,5,5,6], [2,3,4,4,5,6,6,7,7,8], method='exact')
    -- -> 0.4 0.41752365281777043
    d, p = C.ks({1, 2, 2, 3, 3, 3, 4, 5, 5, 6}, {2, 3, 4, 4, 5, 6, 6, 7, 7, 8})
    close(0.4, d)
    close(0.41752365281777043, p, 1e-10)
    -- x = [i*0.37 % 5 for i in range(120)]; y = [1.5 + (i*0.53 % 5) for i in range(90)]
    -- stats.ks_2samp(x, y, method='exact') -> 0.30833333333333335 8.417201911074229e-05
    local x, y = {}, {}
    for i = 0, 119 do x[#x + 1] = i * 0.37 % 5 end
    for i = 0, 89 do y[#y + 1] = 1.5 + (i * 0.53 % 5) end
    d, p = C.ks(x, y)
    close(0.30833333333333335, d, 1e-12)
    close(8.417201911074229e-05, p, 1e-8)
    -- "auto" switches to the limiting distribution above 10000 values
    local big = {}
    for i = 1, 10001 do big[i] = i end
    assert.equals("asymp", select(3, C.ks(big, {1, 2, 3})))
    -- identical samples: D = 0, p = 1; NaN values are dropped
    d, p = C.ks({1, 2, 3, 0 / 0}, {3, 2, 1})
    assert.equals(0, d)
    assert.equals(1, p)
  end)

  it("KS 'asymp' is Kolmogorov's limiting distribution (scipy.stats.kstwobign)", function()
    -- en = 25*18/43; stats.kstwobign.sf(0.5933333333333334*np.sqrt(en)) -> 0.0012617887615925666
    local d, p, method = C.ks(A, B, {method = "asymp"})
    close(0.5933333333333334, d)
    close(0.0012617887615925666, p, 1e-10)
    assert.equals("asymp", method)
  end)

  it("chi-square homogeneity matches scipy.stats.chi2_contingency(correction=False)", function()
    -- stats.chi2_contingency(np.array([[50,30,20,0],[40,35,30,5]]), correction=False)[:3]
    -- -> 8.03776223776224, 0.045237686893451076, 3
    local stat, dof, p = C.chi2({50, 30, 20, 0}, {40, 35, 30, 5})
    close(8.03776223776224, stat)
    assert.equals(3, dof)
    close(0.045237686893451076, p, 1e-10)
    -- stats.chi2_contingency(np.array([[60,40],[45,55]]), correction=False)[:3] -> 4.511278195488721,
    -- 0.033672068856345896, 1
    stat, dof, p = C.chi2({60, 40}, {45, 55})
    close(4.511278195488721, stat)
    assert.equals(1, dof)
    close(0.033672068856345896, p, 1e-10)
    -- a category empty in both rows is left out; one category left: no test
    stat, dof, p = C.chi2({5, 0}, {7, 0})
    assert.same({0, 0, 1}, {stat, dof, p})
  end)

  it("distribution functions match scipy.stats", function()
    -- stats.chi2.sf(3.84,1), stats.chi2.sf(25.0,10), stats.chi2.sf(150.0,100), stats.chi2.sf(0.5,7)
    close(0.05004352124870519, C.chi2_sf(3.84, 1), 1e-10)
    close(0.005345505487134069, C.chi2_sf(25, 10), 1e-10)
    close(0.0009039320423540184, C.chi2_sf(150, 100), 1e-9)
    close(0.9994464813904249, C.chi2_sf(0.5, 7), 1e-10)
    -- 2*stats.t.sf(2.0,5), 2*stats.t.sf(0.3,29), 2*stats.t.sf(12.0,3)
    close(0.10193947882985828, C.t_two_sided(2, 5), 1e-10)
    close(0.7663170933289678, C.t_two_sided(-0.3, 29), 1e-10)
    close(0.001245015800789336, C.t_two_sided(12, 3), 1e-9)
    -- stats.binomtest(3,15,0.5).pvalue, (0,6), (10,20), (11,24)
    close(0.03515625, C.binom_half(3, 15))
    close(0.03125, C.binom_half(0, 6))
    assert.equals(1, C.binom_half(10, 20))
    close(0.8388197422027588, C.binom_half(11, 24), 1e-12)
  end)

  it("McNemar: exact binomial or chi-square with continuity correction (as statsmodels)", function()
    -- exact: statistic min(b, c), p = stats.binomtest(3, 15, 0.5).pvalue = 0.03515625
    local stat, p = C.mcnemar(3, 12)
    assert.equals(3, stat)
    close(0.03515625, p)
    -- s = (abs(30-12)-1)**2/42; stats.chi2.sf(s, 1) -> 6.880952380952381 0.008711912962379598
    stat, p = C.mcnemar(30, 12, {exact = false})
    close(6.880952380952381, stat)
    close(0.008711912962379598, p, 1e-10)
    stat, p = C.mcnemar(0, 0)
    assert.same({0, 1}, {stat, p})
  end)

  it("PSI by hand", function()
    -- reference 1..10, 5 quantile bins: edges at np.quantile(1..10, [.2,.4,.6,.8]) = 2.8, 4.6, 6.4, 8.2;
    -- counts 2 2 2 2 2, no missing
    local vals = {}
    for i = 1, 10 do vals[i] = i end
    local r = C.numeric_ref(vals, {bins = 5})
    assert.equals(10, r.count)
    assert.equals(0, r.missing)
    for i, e in ipairs({2.8, 4.6, 6.4, 8.2}) do close(e, r.edges[i], 1e-15) end
    assert.same({2, 2, 2, 2, 2}, r.counts)
    assert.same(vals, r.sample)
    -- new {1, 1, 3, 5, 5, 5, 9, NaN}: bins 2 1 3 0 1, missing 1 (n = 8)
    local counts, missing = C.bin_counts({1, 1, 3, 5, 5, 5, 9, 0 / 0}, r.edges)
    assert.same({2, 1, 3, 0, 1}, counts)
    assert.equals(1, missing)
    -- p = .2 .2 .2 .2 .2 eps, q = .25 .125 .375 eps .125 .125 (eps = 1e-4 for the empty bins):
    -- sum (q - p) ln(q / p) = 2.6017339029179625
    counts[#counts + 1] = missing
    close(2.6017339029179625, C.psi({2, 2, 2, 2, 2, 0}, counts), 1e-12)
    assert.equals(0, C.psi({1, 2, 3}, {2, 4, 6}))
    -- a bin value on an edge goes to the lower bin (right-closed)
    assert.same({1, 1, 0, 0, 0}, (C.bin_counts({2.8, 2.9}, r.edges)))
  end)

  it("reference sample: all values up to the cap, then evenly spaced order statistics", function()
    local vals = {}
    for i = 1, 101 do vals[i] = 102 - i end
    local r = C.numeric_ref(vals, {sample = 5})
    assert.same({1, 26, 51, 76, 101}, r.sample)
    r = C.numeric_ref({3, 0 / 0, 1}, {sample = 5})
    assert.same({1, 3}, r.sample)
    assert.equals(1, r.missing)
  end)

  it("Nadeau–Bengio corrected t-test matches the formula in numpy/scipy", function()
    -- A = [.81,.84,.79,.86,.83,.85,.80,.82,.84,.83]; B = [.80,.81,.80,.83,.80,.84,.79,.80,.82,.81]; d = A - B
    -- t = d.mean()/np.sqrt((1/10 + 100/900)*d.var(ddof=1)); p = 2*stats.t.sf(abs(t), 9)
    -- -> 2.9560043853302758 0.016063445796402807
    local a = {0.81, 0.84, 0.79, 0.86, 0.83, 0.85, 0.80, 0.82, 0.84, 0.83}
    local b = {0.80, 0.81, 0.80, 0.83, 0.80, 0.84, 0.79, 0.80, 0.82, 0.81}
    local r = knob.monitor.corrected_ttest(a, b, 900, 100)
    close(2.9560043853302758, r.t, 1e-12)
    close(0.016063445796402807, r.p_value, 1e-10)
    assert.equals(9, r.df)
    close(-2.9560043853302758, knob.monitor.corrected_ttest(b, a, 900, 100).t, 1e-12)
  end)

  it("bootstrap weights: n draws, deterministic per (seed, replicate)", function()
    local w = C.bootstrap_weights(50, 7, 1)
    local s = 0
    for _, v in ipairs(w) do s = s + v end
    assert.equals(50, s)
    assert.same(w, C.bootstrap_weights(50, 7, 1))
    assert.are_not.same(w, C.bootstrap_weights(50, 7, 2))
    assert.are_not.same(w, C.bootstrap_weights(50, 8, 1))
  end)

  it("rejects bad input with clear messages", function()
    assert.matches("ks: both samples need at least one value", err_of(C.ks, {}, {1}), 1, true)
    assert.matches("ks: both samples need at least one value", err_of(C.ks, {0 / 0}, {1}), 1, true)
    assert.matches("ks: first sample: entry 2 must be a number (got string)", err_of(C.ks, {1, "x"}, {1}), 1, true)
    assert.matches("ks: option 'method'", err_of(C.ks, {1}, {1}, {method = "fast"}), 1, true)
    assert.matches("ks: unknown option 'metod'", err_of(C.ks, {1}, {1}, {metod = "exact"}), 1, true)
    assert.matches("psi: reference count 2 must be finite and >= 0 (got -1)", err_of(C.psi, {1, -1}, {1, 1}), 1, true)
    assert.matches("psi: the new counts are all zero", err_of(C.psi, {1, 1}, {0, 0}), 1, true)
    assert.matches("psi: the count arrays have different lengths (2 and 3)", err_of(C.psi, {1, 1}, {1, 1, 1}), 1, true)
    assert.matches("psi: new counts: entry 1 is NaN", err_of(C.psi, {1}, {0 / 0}), 1, true)
    assert.matches("psi: epsilon must be in (0, 1) (got 0)", err_of(C.psi, {1}, {1}, {epsilon = 0}), 1, true)
    assert.matches("psi: no bins", err_of(C.psi, {}, {}), 1, true)
    assert.matches("chi2: the reference counts are all zero", err_of(C.chi2, {0, 0}, {1, 2}), 1, true)
    assert.matches("numeric_ref: option 'bins' must be in 2..1000 (got 1)", err_of(C.numeric_ref, {1}, {bins = 1}), 1, true)
    assert.matches("numeric_ref: unknown option 'bin'", err_of(C.numeric_ref, {1}, {bin = 3}), 1, true)
    assert.matches("bin_counts: edges must be strictly increasing", err_of(C.bin_counts, {1}, {2, 1}), 1, true)
    assert.matches("mcnemar: b must be >= 0", err_of(C.mcnemar, -1, 2), 1, true)
    assert.matches("bootstrap_weights: n must be >= 1 (got 0)", err_of(C.bootstrap_weights, 0, 1, 1), 1, true)
    assert.matches("bootstrap_weights: seed must be >= 0", err_of(C.bootstrap_weights, 5, -1, 1), 1, true)
    assert.matches("binom_half: k must be <= n", err_of(C.binom_half, 5, 4), 1, true)
    assert.is_true(helpers.isnan(C.chi2_sf(1, 0)))
    assert.is_true(helpers.isnan(C.t_two_sided(0 / 0, 3)))
    assert.matches("encode: cannot encode a function", err_of(C.encode, {a = print}), 1, true)
    assert.matches("encode: object keys must be strings (got boolean)", err_of(C.encode, {[true] = 1}), 1, true)
    assert.equals('{"a":[1,2.5,null],"b":{"c":"x"},"e":[]}', C.encode({b = {c = "x"}, a = {1, 2.5, 0 / 0}, e = {}}))
    assert.same({nil, "not valid JSON"}, {C.decode("{")})
    assert.matches("monitor: attach: the reference must be the JSON text of an object",
      err_of(C.attach, knob.model.dummy{}:fit(knob.data.read_csv("examples/data/iris.csv", {target = "species"})), "[1]"),
      1, true)
    assert.matches("monitor: the model is not fitted", err_of(C.attach, knob.model.dummy{}, "{}"), 1, true)
    local ct = knob.monitor.corrected_ttest
    assert.matches("scores_a must be an array of numbers (got string)", err_of(ct, "x", {1}, 9, 1), 1, true)
    assert.matches("different lengths (2 and 3)", err_of(ct, {1, 2}, {1, 2, 3}, 9, 1), 1, true)
    assert.matches("needs at least 2 paired scores (got 1)", err_of(ct, {1}, {2}, 9, 1), 1, true)
    assert.matches("zero variance", err_of(ct, {1, 2}, {0, 1}, 9, 1), 1, true)
    assert.matches("n_train must be a number > 0 (got 0)", err_of(ct, {1, 2}, {0, 1}, 0, 1), 1, true)
    assert.matches("n_test must be a number > 0 (got NaN)", err_of(ct, {1, 2}, {0, 1}, 9, 0 / 0), 1, true)
    assert.matches("entry 2 is NaN", err_of(ct, {1, 0 / 0}, {0, 1}, 9, 1), 1, true)
  end)
end)

-- ---- reference statistics, drift checks --------------------------------------------------------------

local bc = assert(knob.data.read_csv("examples/data/breast_cancer.csv", {target = "diagnosis"}))

-- A copy of ds (features and target) with feature `name` shifted by `by`.
local function shifted(ds, name, by)
  local X, y = {}, {}
  local names = ds:names()
  for i = 1, ds:rows() do
    local row, t = ds:row(i)
    for j, n in ipairs(names) do
      if n == name then row[j] = row[j] + by end
    end
    X[i], y[i] = row, t
  end
  return knob.data.from_table{X = X, y = y, names = names, target = ds:target_name()}
end

local function std(t)
  local m, s = 0, 0
  for _, v in ipairs(t) do m = m + v end
  m = m / #t
  for _, v in ipairs(t) do s = s + (v - m) ^ 2 end
  return math.sqrt(s / (#t - 1))
end

-- 100 rows: x numeric, color categorical (red 50, green 30, blue 20), target a/b
local function colors(n_red, n_green, n_blue, n_purple)
  local X, y = {}, {}
  local function add(c, k)
    for _ = 1, k do
      X[#X + 1] = {#X % 7, c}
      y[#y + 1] = #X % 2 == 0 and "a" or "b"
    end
  end
  add("red", n_red)
  add("green", n_green)
  add("blue", n_blue)
  add("purple", n_purple or 0)
  return knob.data.from_table{X = X, y = y, names = {"x", "color"}}
end

describe("knob.monitor drift", function()
  local train, test = bc:split{test = 0.5, seed = 3, stratify = true}

  it("a feature shifted by 2 std drifts; the others stay stable", function()
    -- 5 bins: the PSI of two halves of one sample is about (bins - 1)(1/n + 1/m) = 0.03 here
    local m = knob.model.logistic{}:fit(train)
    knob.monitor.reference(m, train, {bins = 5})
    local same = knob.monitor.check(m, test)
    for _, f in ipairs(same.features) do assert.equals("stable", f.verdict, f.name .. " " .. f.psi) end
    local moved = shifted(test, "mean_texture", 2 * std(train:column("mean_texture")))
    local r = knob.monitor.check(m, moved)
    assert.equals("drifted", r.verdict)
    for _, f in ipairs(r.features) do
      if f.name == "mean_texture" then
        assert.equals("drifted", f.verdict)
        assert.is_true(f.psi > 1)
        assert.is_true(f.ks.statistic > 0.6)
        assert.is_true(f.ks.p_value < 1e-20)
      else
        assert.equals("stable", f.verdict, f.name .. " " .. f.psi)
      end
    end
    assert.equals("mean_texture", r.top_moved[1].name)
    for i = 2, #r.top_moved do assert.is_true(r.top_moved[i - 1].psi >= r.top_moved[i].psi) end
    assert.equals("proba", r.prediction.output)
    assert.equals(#bc:names(), #r.top_moved)
    local text = knob.monitor.format(r)
    assert.matches("mean_texture%s+numeric%s+%d+%.%d+%s+KS 0%.%d+%s+%S+%s+drifted", text)
    assert.matches("verdict: drifted", text, 1, true)
    assert.matches("most moved: mean_texture", text, 1, true)
  end)

  it("thresholds are options; identical data has PSI 0", function()
    local m = knob.model.logistic{}:fit(train)
    knob.monitor.reference(m, train)
    local r = knob.monitor.check(m, train)
    assert.equals("stable", r.verdict)
    for _, f in ipairs(r.features) do
      close(0, f.psi, 1e-12)
      assert.equals(0, f.ks.statistic)
    end
    local all_drift = knob.monitor.check(m, test, {watch = 0, drifted = 0})
    assert.equals("drifted", all_drift.verdict)
  end)

  it("categorical features: PSI by hand, chi-square as scipy, unseen levels reported", function()
    local m = knob.model.dummy{}:fit(colors(50, 30, 20))
    knob.monitor.reference(m, colors(50, 30, 20))
    local r = knob.monitor.check(m, colors(40, 35, 30, 5))
    local f = r.features[2]
    assert.equals("color", f.name)
    assert.equals("categorical", f.kind)
    assert.same({"purple"}, f.unseen)
    assert.equals(5, f.unseen_rows)
    -- bins red green blue unseen missing: p = .5 .3 .2 eps eps, q = 40/110 35/110 30/110 5/110 eps
    -- sum (q - p) ln(q / p) = 0.3445900337203558
    close(0.3445900337203558, f.psi, 1e-12)
    assert.equals("drifted", f.verdict)
    -- stats.chi2_contingency(np.array([[50,30,20,0],[40,35,30,5]]), correction=False) -> 8.03776223776224, 3,
    -- 0.045237686893451076
    close(8.03776223776224, f.chi2.statistic)
    assert.equals(3, f.chi2.dof)
    close(0.045237686893451076, f.chi2.p_value, 1e-10)
    assert.matches("unseen: purple", knob.monitor.format(r), 1, true)
    assert.equals("proba", r.prediction.output) -- a binary classifier: P(b)
  end)

  it("watches the predicted class of a multiclass classifier", function()
    local iris = assert(knob.data.read_csv("examples/data/iris.csv", {target = "species"}))
    local m = knob.model.logistic{}:fit(iris)
    local ref = knob.monitor.reference(m, iris)
    assert.equals("class", ref.prediction.output)
    assert.equals("categorical", ref.prediction.kind)
    local r = knob.monitor.check(m, iris)
    assert.equals("class", r.prediction.output)
    assert.equals(0, r.prediction.chi2.statistic)
    assert.equals("stable", r.verdict)
  end)

  it("saves the reference with a model and a pipeline and loads it back; refit drops it", function()
    local m = knob.model.logistic{}:fit(train)
    local ref = knob.monitor.reference(m, train, {bins = 8, sample = 50})
    assert.equals(50, #ref.features[1].sample)
    local path = helpers.tmpname()
    assert(m:save(path))
    local back = assert(knob.model.load(path))
    assert.same(ref, knob.monitor.reference_of(back))
    assert.same(knob.monitor.check(m, test), knob.monitor.check(back, test))
    local p = knob.pipeline{knob.prep.standardize(), knob.model.knn{n_neighbors = 5}}:fit(train)
    knob.monitor.reference(p, train)
    assert(p:save(path))
    local pb = assert(knob.model.load(path))
    os.remove(path)
    assert.is_true(knob.pipeline.is_pipeline(pb))
    assert.same(knob.monitor.reference_of(p), knob.monitor.reference_of(pb))
    local r = knob.monitor.check(pb, shifted(test, "mean_area", 2 * std(train:column("mean_area"))))
    assert.equals("drifted", r.verdict)
    assert.equals("mean_area", r.top_moved[1].name)
    m:fit(train)
    assert.is_nil(knob.monitor.reference_of(m))
    assert.matches("the model has no reference statistics", err_of(knob.monitor.check, m, test), 1, true)
    -- an old model file (no monitor field) still loads
    local plain = assert(knob.model.from_json(knob.model.logistic{}:fit(train):to_json()))
    assert.is_nil(knob.monitor.reference_of(plain))
  end)

  it("a corrupt monitor section is a clear error naming the field", function()
    local m = knob.model.logistic{}:fit(train)
    knob.monitor.reference(m, train)
    local text = m:to_json()
    local at = assert(text:find('"monitor":', 1, true))
    local head, mon = text:sub(1, at - 1), text:sub(at)
    local function load_with(a, b)
      local changed, n = mon:gsub(a, b, 1)
      assert.equals(1, n, a)
      return knob.model.from_json(head .. changed)
    end
    local cases = {
      {'"edges":%[', '"edges":["a",', "field 'monitor.features[1].edges' must be an array of finite numbers (entry 1)"},
      {'"version":1', '"version":2', "field 'monitor.version' must be 1 (got 2)"},
      {'"counts":%[%d+', '"counts":[100000', "field 'monitor.features[1].counts' must sum to count"},
      {'"kind":"numeric"', '"kind":"text"', "field 'monitor.features[1].kind' must be \"numeric\" or \"categorical\""},
      {'"sample":%[', '"sample":[1e300,', "field 'monitor.features[1].sample' must be sorted"},
      {'"name":"mean_radius"', '"name":7', "field 'monitor.features[1].name' must be a string"},
      {'"output":"proba"', '"output":"x"', "field 'monitor.prediction.output' must be"},
      {'"monitor":{', '"monitor":7,"x":{', "model file: field 'monitor' must be an object"},
    }
    for _, c in ipairs(cases) do
      local got, msg = load_with(c[1], c[2])
      assert.is_nil(got, c[1])
      assert.matches(c[3], msg, 1, true)
    end
    -- through a pipeline file too
    local p = knob.pipeline{knob.prep.standardize(), knob.model.logistic{}}:fit(train)
    knob.monitor.reference(p, train)
    local bad = p:to_json():gsub('("monitor":{.-)"version":1', '%1"version":3', 1)
    local got, msg = knob.model.from_json(bad)
    assert.is_nil(got)
    assert.matches("field 'monitor.version' must be 1 (got 3)", msg, 1, true)
  end)

  it("schema mismatch, empty batches and bad options are clear errors", function()
    local m = knob.model.logistic{}:fit(train)
    local check = knob.monitor.check
    assert.matches("monitor.reference: the model is not fitted", err_of(knob.monitor.reference, knob.model.logistic{}, train), 1, true)
    assert.matches("monitor.reference: expected a knob.Model or knob.Pipeline (got string)",
      err_of(knob.monitor.reference, "m", train), 1, true)
    assert.matches("monitor.reference: the training data must be a knob.Dataset (got nil)",
      err_of(knob.monitor.reference, m, nil), 1, true)
    assert.matches("monitor.reference: unknown option 'bin' (valid: bins, sample)",
      err_of(knob.monitor.reference, m, train, {bin = 4}), 1, true)
    assert.matches("monitor.reference: option 'bins' must be an integer >= 2",
      err_of(knob.monitor.reference, m, train, {bins = 1}), 1, true)
    knob.monitor.reference(m, train)
    assert.matches("monitor.check: the new data has no rows", err_of(check, m, test:subset({})), 1, true)
    local fewer = test:select({"mean_radius", "mean_texture"})
    assert.matches("monitor.check: column 'mean_perimeter' is missing from the new data", err_of(check, m, fewer), 1, true)
    assert.matches("monitor.check: unknown option 'treshold'", err_of(check, m, test, {treshold = 1}), 1, true)
    assert.matches("monitor.check: option 'watch' must be a number (got NaN)", err_of(check, m, test, {watch = 0 / 0}), 1, true)
    assert.matches("option 'watch' must be <= option 'drifted'", err_of(check, m, test, {watch = 0.5, drifted = 0.2}), 1, true)
    assert.matches("option 'ks_method' must be", err_of(check, m, test, {ks_method = "fast"}), 1, true)
    assert.matches("monitor.format: expected a report", err_of(knob.monitor.format, {}), 1, true)
    -- a column of the wrong kind
    local cm = knob.model.dummy{}:fit(colors(5, 3, 2))
    knob.monitor.reference(cm, colors(5, 3, 2))
    local X, y = {}, {}
    for i = 1, 10 do X[i], y[i] = {i, i * 2}, i % 2 == 0 and "a" or "b" end
    local numeric = knob.data.from_table{X = X, y = y, names = {"x", "color"}}
    assert.matches("monitor.check: column 'color' is categorical in the reference but numeric in the new data",
      err_of(check, cm, numeric), 1, true)
  end)
end)

-- ---- performance and comparison -------------------------------------------------------------------------

describe("knob.monitor performance and compare", function()
  local train, test = bc:split{test = 0.4, seed = 5, stratify = true}

  it("performance: the metric with a percentile bootstrap interval, degraded against a baseline", function()
    local m = knob.model.logistic{}:fit(train)
    local r = knob.monitor.performance(m, test, {baseline = 0.95, n_boot = 200, seed = 1})
    assert.equals("accuracy", r.metric)
    close(m:score(test, "accuracy"), r.value)
    assert.is_true(r.ci[1] <= r.value and r.value <= r.ci[2])
    assert.is_true(r.ci[2] - r.ci[1] > 0.01)
    assert.is_false(r.degraded)
    assert.same(r, knob.monitor.performance(m, test, {baseline = 0.95, n_boot = 200, seed = 1}))
    assert.is_true(knob.monitor.performance(m, test, {baseline = 1.5, n_boot = 200}).degraded)
    assert.is_false(knob.monitor.performance(m, test, {baseline = 1.5, tolerance = 1, n_boot = 200}).degraded)
    -- lower-is-better metric: degraded when the interval is above the baseline
    local ll = knob.monitor.performance(m, test, {metric = "log_loss", baseline = 0.001, n_boot = 100})
    assert.is_true(ll.degraded)
    assert.is_nil(knob.monitor.performance(m, test, {n_boot = 50}).degraded)
    local perf = knob.monitor.performance
    assert.matches("unknown metric 'acc'", err_of(perf, m, test, {metric = "acc"}), 1, true)
    assert.matches("unknown option 'nboot'", err_of(perf, m, test, {nboot = 5}), 1, true)
    assert.matches("option 'n_boot' must be an integer >= 10", err_of(perf, m, test, {n_boot = 2}), 1, true)
    assert.matches("option 'alpha' must be", err_of(perf, m, test, {alpha = 0.7}), 1, true)
    assert.matches("option 'baseline' must be a number (got string)", err_of(perf, m, test, {baseline = "x"}), 1, true)
    assert.matches("monitor.performance: the batch has no rows", err_of(perf, m, test:subset({})), 1, true)
    local unlabelled = assert(knob.data.read_csv("examples/data/breast_cancer.csv")) -- diagnosis is a feature
    assert.matches("monitor.performance: the data has no target (labels are needed)", err_of(perf, m, unlabelled), 1, true)
    assert.matches("monitor.performance: expected a knob.Model or knob.Pipeline (got table)", err_of(perf, {}, test), 1, true)
    assert.matches("monitor.performance: options must be a table (got number)", err_of(perf, m, test, 5), 1, true)
  end)

  it("compare: promotes a clearly better candidate, keeps an equal one", function()
    local good = knob.model.logistic{}:fit(train)
    local dummy = knob.model.dummy{}:fit(train)
    local r = knob.monitor.compare(good, dummy, test, {n_boot = 200, seed = 2})
    assert.equals("promote", r.decision)
    assert.is_true(r.ci[1] > 0)
    assert.equals("chi2", r.mcnemar.method)
    assert.is_true(r.mcnemar.b > r.mcnemar.c)
    -- the McNemar numbers are those of the counts: (|b - c| - 1)^2 / (b + c)
    close((math.abs(r.mcnemar.b - r.mcnemar.c) - 1) ^ 2 / (r.mcnemar.b + r.mcnemar.c), r.mcnemar.statistic)
    close(r.candidate - r.production, r.improvement)
    local same = knob.monitor.compare(good, good, test, {n_boot = 100})
    assert.equals("keep", same.decision)
    assert.same({0, 0, 1, "exact"}, {same.mcnemar.b, same.mcnemar.c, same.mcnemar.p_value, same.mcnemar.method})
    -- lower-is-better metric: improvement is production - candidate
    local ll = knob.monitor.compare(good, dummy, test, {metric = "log_loss", n_boot = 100})
    close(ll.production - ll.candidate, ll.improvement)
    assert.is_true(ll.improvement > 0)
    -- regressors: the interval alone decides
    local db = assert(knob.data.read_csv("examples/data/diabetes.csv", {target = "progression"}))
    local dtr, dte = db:split{test = 0.4, seed = 1}
    local lin = knob.model.linear{}:fit(dtr)
    local rr = knob.monitor.compare(lin, knob.model.dummy{}:fit(dtr), dte, {metric = "mse", n_boot = 200})
    assert.is_nil(rr.mcnemar)
    assert.equals("promote", rr.decision)
    assert.matches("monitor.compare: the candidate is a regression model but production is classification",
      err_of(knob.monitor.compare, lin, good, test), 1, true)
    assert.matches("monitor.compare: unknown option 'alhpa'", err_of(knob.monitor.compare, good, dummy, test, {alhpa = 1}), 1, true)
    assert.matches("monitor.compare: the model is not fitted",
      err_of(knob.monitor.compare, knob.model.logistic{}, dummy, test), 1, true)
  end)
end)
