-- tpe_parity_spec.lua — knob's TPE Parzen estimators (knob.core.search.parzen, tpe_split, tpe_sample) pinned to
-- Optuna 3.1's TPESampler internals: fitted parameters (weights, mus, sigmas, internal bounds), Optuna 3.1's
-- log-likelihood score (knob option scaled = false: no 1/sigma in continuous kernels), the split order of
-- complete / pruned trials with ties, and the distribution of the chosen candidate.
--
-- [P] Produced once with /usr/bin/python3 (Debian python3-optuna 3.1.0, numpy 1.24.2) by this script; its
--     output is pasted in CASES (the "dim", "obs" and "opts" fields restate its inputs in knob's terms) and
--     MULTI / SPLIT below:
--   # Reference values for tests/spec/tpe_parity_spec.lua: Optuna 3.1's _ParzenEstimator (the estimator of
--   # TPESampler) on fixed observations; printed as Lua literals.
--   import numpy as np
--   from optuna.distributions import FloatDistribution as F, IntDistribution as I, CategoricalDistribution as C
--   from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
--   from optuna.samplers._tpe.sampler import default_weights, default_gamma, _split_observation_pairs
--   def P(prior=True, clip=True, endpoints=False, mv=False):
--       return _ParzenEstimatorParameters(prior, 1.0, clip, endpoints, default_weights, mv)
--   def lua(a): return "{" + ", ".join(repr(float(v)) for v in a) + "}"
--   CASES = [  # name, {param: (dist, obs, candidates)}, parameters
--       ("float", {"x": (F(-5, 10), [-5, 2.5, 2.5, 7.25, 10, 0.1, 3.3, 9.9], [-5, -1, 2.5, 9.99, 10])}, P()),
--       ("float no prior, endpoints, no clip", {"x": (F(-5, 10), [-5, 2.5, 2.5, 7.25, 10, 0.1, 3.3, 9.9], [-5, -1, 2.5, 9.99, 10])},
--        P(prior=False, clip=False, endpoints=True)),
--       ("int step 3", {"n": (I(1, 19, step=3), [1, 4, 4, 13, 19], [1, 7, 13, 19])}, P()),
--       ("log float", {"lr": (F(1e-3, 10, log=True), [0.001, 0.05, 0.2, 3.0], [0.001, 0.01, 0.3, 10])}, P()),
--       ("log int", {"k": (I(1, 100, log=True), [1, 2, 50, 64], [1, 3, 60, 100])}, P()),
--       ("float step 0.5", {"s": (F(0, 5, step=0.5), [0, 1.5, 5], [0, 1.5, 3, 5])}, P()),
--       ("ramp weights (28 observations)", {"u": (F(0, 1), [round((i * 0.37) % 1, 4) for i in range(28)], [0.05, 0.5, 0.93])}, P()),
--       ("categorical", {"c": (C(["a", "b", "c"]), [0, 2, 2, 1], [0, 1, 2])}, P()),
--       ("single observation", {"x": (F(0, 1), [0.3], [0.0, 0.3, 1.0])}, P()),
--       ("no observations", {"x": (F(0, 1), [], [0.0, 0.3, 1.0])}, P()),
--   ]
--   for name, sp, par in CASES:
--       obs = {k: np.asarray(v[1], dtype=float) for k, v in sp.items()}
--       pe = _ParzenEstimator(obs, {k: v[0] for k, v in sp.items()}, par)
--       k = next(iter(sp)); d, o, c = sp[k]
--       print("  {name = %r," % name)
--       print("   weights = %s," % lua(pe._weights))
--       if pe._mus[k] is not None:
--           print("   mus = %s," % lua(pe._mus[k]))
--           print("   sigmas = %s," % lua(pe._sigmas[k]))
--           print("   low = %r, high = %r," % (float(pe._low[k]), float(pe._high[k])))
--       cand = np.asarray(c, dtype=int if isinstance(d, C) else float)
--       print("   candidates = %s," % lua(cand))
--       print("   log_pdf = %s}," % lua(pe.log_pdf({k: cand})))
--   # multivariate (Scott's rule) over two dimensions
--   sp = {"x": F(-5, 10), "y": I(1, 100, log=True)}
--   obs = {"x": np.array([-2.0, 0.5, 3.0, 8.0, 9.5, 1.0]), "y": np.array([3, 10, 99, 1, 50, 7], dtype=float)}
--   pe = _ParzenEstimator(obs, sp, P(mv=True))
--   print("  -- multivariate: x", lua(pe._sigmas["x"]), "y", lua(pe._sigmas["y"]))
--   cx = np.array([-5.0, 0.0, 9.0]); cy = np.array([1.0, 8.0, 60.0])
--   print("  -- multivariate log_pdf", lua(pe.log_pdf({"x": cx, "y": cy})))
--   # gamma, weights, split with ties (complete trials by value, pruned by step then value, stable)
--   print("  -- gamma", [default_gamma(n) for n in (0, 1, 9, 10, 11, 100, 250, 251, 1000)])
--   print("  -- weights(30)", lua(default_weights(30)))
--   scores = [(-float("inf"), [3.0]), (-float("inf"), [1.0]), (-3, [0.5]), (-float("inf"), [1.0]), (-5, [9.0]),
--             (-float("inf"), [1.0]), (1, [0.0]), (-5, [2.0]), (-float("inf"), [float("inf")])]
--   for nb in (2, 3, 4, 6):
--       b, a = _split_observation_pairs(scores, nb, None)
--       print("  -- split n_below", nb, "below", (b + 1).tolist())
--
-- [C] The chosen candidate for a fixed history of 30 Branin trials (x only; the good group is trials 1, 14
--     and 28, as Optuna's split of those values gives), Optuna's sampling and scoring repeated 20000 times:
--   import json, numpy as np   # X: rs = np.random.RandomState(0); X = np.round(rs.uniform(-5, 10, 30), 4)
--   pb = _ParzenEstimator({"x": X[[0, 13, 27]]}, {"x": FloatDistribution(-5, 10)}, P())
--   pa = _ParzenEstimator({"x": np.delete(X, [0, 13, 27])}, {"x": FloatDistribution(-5, 10)}, P())
--   rng = np.random.RandomState(7)
--   ch = np.array([TPESampler._compare(s, pb.log_pdf(s), pa.log_pdf(s))["x"]
--                  for s in (pb.sample(rng, 24) for _ in range(20000))])
--   np.quantile(ch, [.1, .25, .5, .75]) -> [5.440352880324883, 5.566735837680754, 5.700675667158806,
--                                           5.915056583263491];  (ch > 8).mean() -> 0.19955
local knob = require "knob"
local S = knob.core.search

local function assert_close(expected, got, tol, what)
  assert.equals(#expected, #got, what .. ": length")
  for i = 1, #expected do
    local e, g = expected[i], got[i]
    local ok = e == g or math.abs(e - g) <= tol * math.max(1, math.abs(e))
    assert.is_true(ok, ("%s %d: expected %.17g, got %.17g"):format(what, i, e, g))
  end
end

local CASES = {
  {name = "float", dim = {kind = "float", low = -5, high = 10},
   obs = {-5, 2.5, 2.5, 7.25, 10, 0.1, 3.3, 9.9},
   opts = {scaled = false},
   weights = {0.1111111111111111, 0.1111111111111111, 0.1111111111111111, 0.1111111111111111, 0.1111111111111111, 0.1111111111111111, 0.1111111111111111, 0.1111111111111111, 0.1111111111111111},
   mus = {-5.0, 2.5, 2.5, 7.25, 10.0, 0.1, 3.3, 9.9, 2.5},
   sigmas = {5.1, 2.4, 1.5, 3.95, 1.5, 5.1, 3.95, 2.6500000000000004, 15.0},
   low = -5.0, high = 10.0,
   candidates = {-5.0, -1.0, 2.5, 9.99, 10.0},
   log_pdf = {-1.4692586760432753, -1.2651235741490467, -1.0220200400275945, -1.0669752732203346, -1.0676024282168421}},
  {name = "float no prior, endpoints, no clip", dim = {kind = "float", low = -5, high = 10},
   obs = {-5, 2.5, 2.5, 7.25, 10, 0.1, 3.3, 9.9},
   opts = {scaled = false, consider_prior = false, magic_clip = false, endpoints = true},
   weights = {0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125, 0.125},
   mus = {-5.0, 2.5, 2.5, 7.25, 10.0, 0.1, 3.3, 9.9},
   sigmas = {5.1, 2.4, 0.7999999999999998, 3.95, 0.09999999999999964, 5.1, 3.95, 2.6500000000000004},
   low = -5.0, high = 10.0,
   candidates = {-5.0, -1.0, 2.5, 9.99, 10.0},
   log_pdf = {-1.9384180938183408, -1.6741130457629025, -1.2923609680748462, -1.3034488519661986, -1.3023785363825944}},
  {name = "int step 3", dim = {kind = "int", low = 1, high = 19, step = 3},
   obs = {1, 4, 4, 13, 19},
   opts = {scaled = false},
   weights = {0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.16666666666666666},
   mus = {1.0, 4.0, 4.0, 13.0, 19.0, 10.0},
   sigmas = {3.0, 3.0, 6.0, 6.0, 6.0, 21.0},
   low = -0.5, high = 20.5,
   candidates = {1.0, 7.0, 13.0, 19.0},
   log_pdf = {-1.6004784742683915, -1.8923814102979934, -2.199537343860342, -2.278094031778121}},
  {name = "log float", dim = {kind = "float", low = 1e-3, high = 10, log = true},
   obs = {0.001, 0.05, 0.2, 3.0},
   opts = {scaled = false},
   weights = {0.2, 0.2, 0.2, 0.2, 0.2},
   mus = {-6.907755278982137, -2.995732273553991, -1.6094379124341003, 1.0986122886681096, -2.302585092994046},
   sigmas = {3.912023005428146, 3.912023005428146, 2.7080502011022096, 2.7080502011022096, 9.210340371976182},
   low = -6.907755278982137, high = 2.3025850929940455,
   candidates = {0.001, 0.01, 0.3, 10.0},
   log_pdf = {-0.8550241935391587, -0.6991845610130489, -0.6368436756595072, -0.979651660918566}},
  {name = "log int", dim = {kind = "int", low = 1, high = 100, log = true},
   obs = {1, 2, 50, 64},
   opts = {scaled = false},
   weights = {0.2, 0.2, 0.2, 0.2, 0.2},
   mus = {0.0, 0.6931471805599453, 3.912023005428146, 4.1588830833596715, 1.9585052734695925},
   sigmas = {0.8838841513431793, 1.265358092909647, 1.9535177319585535, 0.8838841513431793, 5.303304908059076},
   low = -0.6931471805599453, high = 4.61015772749913,
   candidates = {1.0, 3.0, 60.0, 100.0},
   log_pdf = {-0.9336003136194981, -0.9526333125967814, -0.8321262794701718, -0.9047741773241631}},
  {name = "float step 0.5", dim = {kind = "float", low = 0, high = 5, step = 0.5},
   obs = {0, 1.5, 5},
   opts = {scaled = false},
   weights = {0.25, 0.25, 0.25, 0.25},
   mus = {0.0, 1.5, 5.0, 2.5},
   sigmas = {1.5, 1.5, 2.5, 5.5},
   low = -0.25, high = 5.25,
   candidates = {0.0, 1.5, 3.0, 5.0},
   log_pdf = {-2.224347978758021, -2.1962413921064963, -2.495120683575136, -2.7758737844904147}},
  {name = "ramp weights (28 observations)", dim = {kind = "float", low = 0, high = 1},
   obs = {0.0, 0.37, 0.74, 0.11, 0.48, 0.85, 0.22, 0.59, 0.96, 0.33, 0.7, 0.07, 0.44, 0.81, 0.18, 0.55, 0.92, 0.29, 0.66, 0.03, 0.4, 0.77, 0.14, 0.51, 0.88, 0.25, 0.62, 0.99},
   opts = {scaled = false},
   weights = {0.0012961762799740763, 0.018794556059624108, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414, 0.03629293583927414},
   mus = {0.0, 0.37, 0.74, 0.11, 0.48, 0.85, 0.22, 0.59, 0.96, 0.33, 0.7, 0.07, 0.44, 0.81, 0.18, 0.55, 0.92, 0.29, 0.66, 0.03, 0.4, 0.77, 0.14, 0.51, 0.88, 0.25, 0.62, 0.99, 0.5},
   sigmas = {0.03333333333333333, 0.03999999999999998, 0.040000000000000036, 0.039999999999999994, 0.03999999999999998, 0.039999999999999925, 0.04000000000000001, 0.039999999999999925, 0.039999999999999925, 0.040000000000000036, 0.040000000000000036, 0.04000000000000001, 0.03999999999999998, 0.040000000000000036, 0.04000000000000001, 0.040000000000000036, 0.040000000000000036, 0.040000000000000036, 0.040000000000000036, 0.04000000000000001, 0.03999999999999998, 0.040000000000000036, 0.03999999999999998, 0.040000000000000036, 0.040000000000000036, 0.03999999999999998, 0.040000000000000036, 0.03333333333333333, 1.0},
   low = 0.0, high = 1.0,
   candidates = {0.05, 0.5, 0.93},
   log_pdf = {-2.6552599997648683, -2.5517518336554366, -2.5873015309680456}},
  {name = "categorical", dim = {kind = "categorical", n_choices = 3},
   obs = {0, 2, 2, 1},
   opts = {scaled = false},
   weights = {0.2, 0.2, 0.2, 0.2, 0.2},
   candidates = {0.0, 1.0, 2.0},
   log_pdf = {-1.2321436812926323, -1.2321436812926323, -0.8754687373539001}},
  {name = "single observation", dim = {kind = "float", low = 0, high = 1},
   obs = {0.3},
   opts = {scaled = false},
   weights = {0.5, 0.5},
   mus = {0.3, 0.5},
   sigmas = {0.3333333333333333, 1.0},
   low = 0.0, high = 1.0,
   candidates = {0.0, 0.3, 1.0},
   log_pdf = {-0.4677505828141476, -0.27372671287535266, -0.7189544185232623}},
  {name = "no observations", dim = {kind = "float", low = 0, high = 1},
   obs = {},
   opts = {scaled = false},
   weights = {1.0},
   mus = {0.5},
   sigmas = {1.0},
   low = 0.0, high = 1.0,
   candidates = {0.0, 0.3, 1.0},
   log_pdf = {-0.08402219950905043, 0.02097780049094955, -0.08402219950905043}},
}

local MULTI = {sigmas_x = {2.2255091267712066, 2.2255091267712066, 2.2255091267712066, 2.2255091267712066, 2.2255091267712066, 2.2255091267712066, 15.0},
               sigmas_y = {0.7868368983290672, 0.7868368983290672, 0.7868368983290672, 0.7868368983290672, 0.7868368983290672, 0.7868368983290672, 5.303304908059076},
               log_pdf = {-2.027226063548227, -1.596692329131154, -1.7359020625667247}}

describe("TPE parity with Optuna 3.1", function()
  for _, c in ipairs(CASES) do
    it("fits the Parzen estimator as Optuna does: " .. c.name .. " [P]", function()
      local p = S.parzen({c.dim}, c.obs, c.opts)
      local got = p:params(1)
      assert_close(c.weights, got.weights, 1e-13, "weight")
      if c.mus then
        assert_close(c.mus, got.mus, 1e-13, "mu")
        assert_close(c.sigmas, got.sigmas, 1e-13, "sigma")
        assert_close({c.low, c.high}, {got.low, got.high}, 1e-15, "bound")
      else
        assert.is_nil(got.mus)
      end
      assert_close(c.log_pdf, p:log_pdf(c.candidates), 1e-12, "log_pdf")
    end)
  end

  it("multivariate: Scott-rule bandwidths and the joint score [P]", function()
    local dims = {{kind = "float", low = -5, high = 10}, {kind = "int", low = 1, high = 100, log = true}}
    local obs = {{-2.0, 3}, {0.5, 10}, {3.0, 99}, {8.0, 1}, {9.5, 50}, {1.0, 7}}
    local p = S.parzen(dims, obs, {multivariate = true, scaled = false})
    assert_close(MULTI.sigmas_x, p:params(1).sigmas, 1e-13, "sigma x")
    assert_close(MULTI.sigmas_y, p:params(2).sigmas, 1e-13, "sigma y")
    assert_close(MULTI.log_pdf, p:log_pdf{{-5.0, 1}, {0.0, 8}, {9.0, 60}}, 1e-12, "log_pdf")
  end)

  it("splits complete and pruned trials as Optuna's _split_observation_pairs, ties in trial order [P]", function()
    -- knob's keys (stdlib/knob/samplers/tpe.lua): complete -inf, pruned -last step (1 without steps, value 0)
    local inf = math.huge
    local keys = {-inf, -inf, -3, -inf, -5, -inf, 1, -5, -inf}
    local values = {3.0, 1.0, 0.5, 1.0, 9.0, 1.0, 0.0, 2.0, inf}
    local expected = {[2] = {2, 4}, [3] = {2, 4, 6}, [4] = {1, 2, 4, 6}, [6] = {1, 2, 4, 6, 8, 9}}
    for nb, want in pairs(expected) do
      local below, got = S.tpe_split(keys, values, nb), {}
      for i, b in ipairs(below) do
        if b then got[#got + 1] = i end
      end
      assert.same(want, got)
    end
  end)

  it("chooses candidates from the same distribution as Optuna [C]", function()
    local X = {3.2322, 5.7278, 4.0415, 3.1732, 1.3548, 4.6884, 1.5638, 8.3766, 9.4549, 0.7516, 6.8759, 2.9334,
               3.5207, 8.8839, -3.9345, -3.6931, -4.6967, 7.4893, 6.6724, 8.0502, 9.6793, 6.9874, 1.9222, 6.7079,
               -3.2259, 4.5988, -2.8497, 9.17, 2.8277, 1.2199}
    local below, above = {}, {}
    for i, x in ipairs(X) do
      if i == 1 or i == 14 or i == 28 then below[#below + 1] = x else above[#above + 1] = x end
    end
    local dims, rng, ch, high = {{kind = "float", low = -5, high = 10}}, S.rng(11), {}, 0
    local n = 4000
    for i = 1, n do
      ch[i] = S.tpe_sample(dims, below, above, {rng = rng, scaled = false})[1]
      if ch[i] > 8 then high = high + 1 end
    end
    table.sort(ch)
    -- sampling error: the quantiles of 4000 draws are within about 0.01 of the reference, the fraction 0.0065
    for j, q in ipairs{0.1, 0.25, 0.5, 0.75} do
      local ref = ({5.440352880324883, 5.566735837680754, 5.700675667158806, 5.915056583263491})[j]
      local got = ch[math.floor(q * (n - 1)) + 1]
      assert.is_true(math.abs(got - ref) < 0.05, ("quantile %g: Optuna %.4f, knob %.4f"):format(q, ref, got))
    end
    assert.is_true(math.abs(high / n - 0.19955) < 0.03, ("fraction > 8: Optuna 0.1996, knob %.4f"):format(high / n))
  end)

  it("parzen:params rejects a bad dimension", function()
    local p = S.parzen({{kind = "float", low = 0, high = 1}}, {0.5})
    for _, d in ipairs{0, 2} do
      local ok, err = pcall(p.params, p, d)
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find("parzen:params: dimension " .. d .. " is not in 1..1", 1, true), tostring(err))
    end
    assert.has_error(function() p:params("x") end)
    p:close()
    assert.has_error(function() p:params(1) end, "parzen is closed")
  end)
end)

-- [R] A whole TPE step at study level. Optuna's own study (seed 1, Branin as bench/problems.py) gives the history
--     H of 40 trials; then 4000 TPESamplers with seeds 1000..4999 each suggest trial 41 (the suggestion is told
--     FAIL so it does not count):
--   st = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1)); st.optimize(branin, n_trials=40)
--   H = [[t.params["x"], t.params["y"]] for t in st.trials]
--   for s in range(4000):
--       st.sampler = optuna.samplers.TPESampler(seed=1000 + s)
--       t = st.ask(); xs.append(t.suggest_float("x", -5, 10)); ys.append(t.suggest_float("y", 0, 15))
--       st.tell(t, state=optuna.trial.TrialState.FAIL)
--   np.quantile(xs, [.1, .25, .5, .9]) -> [7.1160911082908616, 7.214190785593939, 7.301716991445472, 7.5503970897281505]
--   np.quantile(ys, [.1, .25, .5, .9]) -> [4.139311888468458, 4.246431996308184, 4.3510413207379415, 5.488763430882577]
--   np.mean(np.array(ys) > 4.8) -> 0.2615
describe("TPE parity with Optuna 3.1 at study level", function()
  local H = {
    {1.2553300705386103, 10.804867401632372},
    {-4.998284377739827, 4.534988589477597},
    {-2.7986616377433045, 1.385078921531967},
    {-2.2060968293349363, 5.183410905645716},
    {0.9515121134600495, 8.082251010050355},
    {1.2879177160494217, 10.278292505951393},
    {-1.9332162540272386, 13.17176154586418},
    {-4.589186102031108, 10.057012652676033},
    {1.2595720355069044, 8.380347426686274},
    {-2.8941959210714936, 2.971522336273182},
    {7.403828016239263, 14.678289678148737},
    {4.182044207758247, 14.814842726771223},
    {-0.6072480544644758, 6.7946380227816014},
    {-0.8040195505735386, 6.663118010085872},
    {-0.6392700027624052, 6.2968959446977495},
    {3.8606176045207015, 6.4566428422843005},
    {-0.6181430607192161, 3.838413879170021},
    {3.1216776849212753, 0.355527755392381},
    {3.4680573106485846, 1.2320734933867845},
    {5.945002381508868, 0.08407750795296587},
    {9.585224990716707, 2.278200807137391},
    {9.280582525958268, 2.072073058245108},
    {9.617840935176815, 2.291827425274133},
    {9.927420675246953, 2.4813290525944884},
    {9.993824215384395, 2.7777549276904523},
    {8.471062715694202, 1.748255696244542},
    {8.415113915592489, 3.6643606900412373},
    {6.26991938838481, 4.995157426088904},
    {8.825978976619082, 2.047956044741955},
    {7.147521536993455, 0.9892669520373092},
    {9.239131534646088, 3.3842898136791253},
    {7.802389034385848, 1.2026765957336578},
    {9.054199287021628, 2.1731374944166473},
    {9.129883061955645, 2.248222043488099},
    {9.830210181123594, 4.018318136731384},
    {7.9612000393809055, 4.681564709769711},
    {9.124778233802443, 2.8235113399420513},
    {6.661444426236625, 0.7525716236316946},
    {5.3060384756558925, 1.8518782361016575},
    {8.208530571544621, 0.19185885210352138}
  }

  local branin = dofile("bench/problems.lua").branin -- the Branin of bench/problems.py (the suite runs from the root)

  it("suggests the next trial of a 40-trial Branin history from Optuna's distribution [R]", function()
    local st = knob.study{sampler = knob.samplers.random{seed = 1}, pruner = knob.pruners.none(), repeats = true}
    for _, h in ipairs(H) do st:enqueue{x = h[1], y = h[2]} end
    st:optimize(branin, {n_trials = #H})
    local n, xs, ys, high = 2000, {}, {}, 0
    for s = 1, n do
      st.sampler = knob.samplers.tpe{seed = 1000 + s, optuna_compat = true}
      local t = st:ask()
      xs[s], ys[s] = t:suggest_float("x", -5, 10), t:suggest_float("y", 0, 15)
      if ys[s] > 4.8 then high = high + 1 end
      st:tell(t, "failed")
    end
    table.sort(xs)
    table.sort(ys)
    -- sampling error of 2000 draws: about 0.01 for these quantiles, 0.01 for the fraction
    local function check(sorted, ref, what)
      for j, q in ipairs{0.1, 0.25, 0.5, 0.9} do
        local got = sorted[math.floor(q * (n - 1)) + 1]
        assert.is_true(math.abs(got - ref[j]) < 0.06, ("%s quantile %g: Optuna %.4f, knob %.4f"):format(what, q, ref[j], got))
      end
    end
    check(xs, {7.1160911082908616, 7.214190785593939, 7.301716991445472, 7.5503970897281505}, "x")
    check(ys, {4.139311888468458, 4.246431996308184, 4.3510413207379415, 5.488763430882577}, "y")
    assert.is_true(math.abs(high / n - 0.2615) < 0.04, ("fraction y > 4.8: Optuna 0.2615, knob %.4f"):format(high / n))
  end)
end)
