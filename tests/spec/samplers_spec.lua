-- samplers_spec.lua — knob.samplers (random, grid, qmc, tpe) and their numerics in knob.core.search.
--
-- Reference values and how they were produced (Debian python3-optuna 3.1.0, scipy 1.10.1, numpy 1.24.2):
--
--  [W] from optuna.samplers._tpe.sampler import default_weights, default_gamma
--      default_weights(30)[:6]  -> [0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1.0, 1.0]
--      [default_gamma(n) for n in [0,1,9,10,11,30,100,249,250,251,1000]] -> [0,1,1,1,2,3,10,25,25,25,25]
--  [P] Parzen log densities: Optuna's _ParzenEstimator(obs, space, _ParzenEstimatorParameters(True, 1.0, True,
--      False, default_weights, multivariate)) gives the components (mus, sigmas, weights, categorical weights);
--      the mixture density is then evaluated with scipy.stats.truncnorm.logpdf(x, (lo-mu)/s, (hi-mu)/s, loc=mu,
--      scale=s) for continuous dimensions (Optuna 3.1's own logpdf omits -log(s); knob keeps it), the normal
--      CDF mass over [x - q/2, x + q/2] for stepped/int ones, and np.logaddexp.reduce over components:
--        1-D float [-5, 5], obs [-1, 0.5, 2, 2.2], at [-5, -1, 0, 2.1, 4.9] ->
--          -3.84822595859647 -2.12996420240105 -1.88197679819689 -1.839196935902 -3.11248573457111
--        {int [1, 10], float [1e-3, 1] log, categorical 3}, obs [[2, .01, 0], [5, .1, 2], [9, .5, 2]],
--        at [[1, .001, 0], [5, .1, 2], [10, 1, 1]] ->
--          univariate:   -5.65226071644991 -4.39785711471989 -5.75145311191087
--          multivariate: -5.497689803325 -4.28749146675287 -5.51227859181601
--  [O] The same estimators scored as Optuna 3.1 does (its own _ParzenEstimator.log_pdf, no 1/sigma in continuous
--      kernels), knob option scaled = false:
--        1-D: -1.6672559059461844 -0.9919808398326029 -0.8499114778984869 -0.8329617967227084 -1.4777698836405104
--        3-D univariate:   -4.545028271482471 -3.628329320132707 -4.542564779453021
--        3-D multivariate: -4.471679102482822 -3.645590902737347 -4.478876795818205
--  [M] Mixture of obs {2} + prior on [0, 10]: Optuna gives mus [2, 5], sigmas [3.333.., 10], weights [.5, .5];
--      its mean and sd from scipy: truncnorm.mean/var of both components -> 4.2219714207084635, 2.6802520544805675
--  [S] scipy.stats.qmc.Sobol(d, scramble=False) (Joe-Kuo new-joe-kuo-6.21201 direction numbers):
--      d=3 first 6 points; d=21 after fast_forward(5000) (values printed with repr below);
--      scipy.stats.qmc.Halton(d=3, scramble=False).random(5)
local knob = require "knob"
local S = knob.core.search
local space = knob.space
local samplers = knob.samplers

local function near(a, b, tol)
  return math.abs(a - b) <= tol * math.max(1, math.abs(b))
end

local function assert_near_list(expected, got, tol)
  assert.equals(#expected, #got)
  for i = 1, #expected do
    assert.is_true(near(got[i], expected[i], tol), ("entry %d: expected %.17g, got %.17g"):format(i, expected[i], got[i]))
  end
end

local F = {kind = "float", low = -5, high = 5}

describe("knob.core.search numerics", function()
  it("default weights and gamma are Optuna's [W]", function()
    local w = S.tpe_weights(30)
    assert.equals(30, #w)
    assert_near_list({0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1.0, 1.0},
      {w[1], w[2], w[3], w[4], w[5], w[6]}, 1e-15)
    for i = 6, 30 do assert.equals(1.0, w[i]) end
    assert.same({1, 1, 1, 1, 1}, S.tpe_weights(5))
    assert.same({}, S.tpe_weights(0))
    local g = require("knob.samplers.tpe").default_gamma
    local got = {}
    for i, n in ipairs{0, 1, 9, 10, 11, 30, 100, 249, 250, 251, 1000} do got[i] = g(n) end
    assert.same({0, 1, 1, 1, 2, 3, 10, 25, 25, 25, 25}, got)
  end)

  it("Parzen log densities match Optuna's estimator evaluated with scipy [P]", function()
    local p = S.parzen({F}, {-1.0, 0.5, 2.0, 2.2})
    assert.equals(5, p:n_components())
    assert_near_list({-3.84822595859647, -2.12996420240105, -1.88197679819689, -1.839196935902, -3.11248573457111},
      p:log_pdf{-5, -1, 0, 2.1, 4.9}, 1e-12)
    local dims = {{kind = "int", low = 1, high = 10}, {kind = "float", low = 1e-3, high = 1, log = true},
                  {kind = "categorical", n_choices = 3}}
    local obs = {{2, 0.01, 0}, {5, 0.1, 2}, {9, 0.5, 2}}
    local at = {{1, 0.001, 0}, {5, 0.1, 2}, {10, 1, 1}}
    assert_near_list({-5.65226071644991, -4.39785711471989, -5.75145311191087}, S.parzen(dims, obs):log_pdf(at), 1e-12)
    assert_near_list({-5.497689803325, -4.28749146675287, -5.51227859181601},
      S.parzen(dims, obs, {multivariate = true}):log_pdf(at), 1e-12)
  end)

  it("scaled = false scores like Optuna 3.1's own log_pdf [O]", function()
    assert_near_list({-1.6672559059461844, -0.9919808398326029, -0.8499114778984869, -0.8329617967227084, -1.4777698836405104},
      S.parzen({F}, {-1.0, 0.5, 2.0, 2.2}, {scaled = false}):log_pdf{-5, -1, 0, 2.1, 4.9}, 1e-12)
    local dims = {{kind = "int", low = 1, high = 10}, {kind = "float", low = 1e-3, high = 1, log = true},
                  {kind = "categorical", n_choices = 3}}
    local obs = {{2, 0.01, 0}, {5, 0.1, 2}, {9, 0.5, 2}}
    local at = {{1, 0.001, 0}, {5, 0.1, 2}, {10, 1, 1}}
    assert_near_list({-4.545028271482471, -3.628329320132707, -4.542564779453021},
      S.parzen(dims, obs, {scaled = false}):log_pdf(at), 1e-12)
    assert_near_list({-4.471679102482822, -3.645590902737347, -4.478876795818205},
      S.parzen(dims, obs, {scaled = false, multivariate = true}):log_pdf(at), 1e-12)
  end)

  it("densities are -inf outside the space and the mixture integrates to 1", function()
    local p = S.parzen({F}, {0.0, 1.0})
    local lp = p:log_pdf{-5.5, 5.5}
    assert.equals(-math.huge, lp[1])
    assert.equals(-math.huge, lp[2])
    -- midpoint rule over [-5, 5]
    local xs, n = {}, 20000
    for i = 1, n do xs[i] = -5 + (i - 0.5) * 10 / n end
    local s = 0
    for _, v in ipairs(p:log_pdf(xs)) do s = s + math.exp(v) * 10 / n end
    assert.is_true(near(s, 1, 1e-6))
    -- an integer dimension: probabilities of 1..10 sum to 1
    local pi = S.parzen({{kind = "int", low = 1, high = 10}}, {3, 3, 7})
    local t = 0
    for _, v in ipairs(pi:log_pdf{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) do t = t + math.exp(v) end
    assert.is_true(near(t, 1, 1e-12))
  end)

  it("samples follow the mixture [M]", function()
    local p = S.parzen({{kind = "float", low = 0, high = 10}}, {2.0})
    local xs = p:sample(S.rng(7), 20000)
    local m, m2 = 0, 0
    for _, row in ipairs(xs) do
      assert.is_true(row[1] >= 0 and row[1] <= 10)
      m, m2 = m + row[1], m2 + row[1] ^ 2
    end
    m, m2 = m / #xs, m2 / #xs
    local sd = math.sqrt(m2 - m * m)
    -- expected mean 4.2219714207084635, sd 2.6802520544805675: 4 standard errors = 4 * 2.68 / sqrt(20000)
    assert.is_true(math.abs(m - 4.2219714207084635) < 4 * 2.6802520544805675 / math.sqrt(20000))
    assert.is_true(math.abs(sd - 2.6802520544805675) < 0.05)
  end)

  it("samples respect bounds, steps, integers, log scales and choices", function()
    local dims = {{kind = "float", low = 0, high = 1, step = 0.25}, {kind = "int", low = 2, high = 20, step = 3},
                  {kind = "int", low = 1, high = 1000, log = true}, {kind = "float", low = 1e-4, high = 1, log = true},
                  {kind = "categorical", n_choices = 4}}
    local obs = {{0.25, 5, 10, 0.01, 3}, {1.0, 20, 999, 0.9, 0}, {0, 2, 1, 1e-4, 1}}
    local p = S.parzen(dims, obs)
    for _, r in ipairs(p:sample(S.rng(3), 3000)) do
      assert.is_true(r[1] >= 0 and r[1] <= 1 and (r[1] * 4) % 1 == 0)
      assert.is_true(math.type(r[2]) == "integer" and r[2] >= 2 and r[2] <= 20 and (r[2] - 2) % 3 == 0)
      assert.is_true(math.type(r[3]) == "integer" and r[3] >= 1 and r[3] <= 1000)
      assert.is_true(r[4] >= 1e-4 and r[4] <= 1)
      assert.is_true(math.type(r[5]) == "integer" and r[5] >= 0 and r[5] <= 3)
    end
  end)

  it("same seed, same samples; another seed, other samples", function()
    local p = S.parzen({F}, {0.0, 1.0, 2.0})
    assert.same(p:sample(S.rng(5), 10), p:sample(S.rng(5), 10))
    assert.are_not.same(p:sample(S.rng(5), 10), p:sample(S.rng(6), 10))
  end)

  it("tpe_split keeps the n best by (key, value), stable on ties (hand-computed)", function()
    local inf = math.huge
    -- complete (key -inf) values 3, 1, 2, 1; a pruned one at step 5 (key -5) value 0; running (inf)
    local below = S.tpe_split({-inf, -inf, -inf, -inf, -5, inf}, {3, 1, 2, 1, 0, inf}, 3)
    assert.same({false, true, true, true, false, false}, below)
    assert.same({false, true, false, false, false, false}, S.tpe_split({-inf, -inf, -inf, -inf, -5, inf}, {3, 1, 2, 1, 0, inf}, 1))
    assert.same({true, true}, S.tpe_split({1, 1}, {0 / 0, 2}, 5))
  end)

  it("tpe_sample prefers the region of the good observations", function()
    -- (fewer than 25 observations each: equal weights; with more, Optuna's ramp down-weights the oldest)
    local below = {0.9, 1.0, 1.1}
    local above = {}
    for i = 1, 20 do above[i] = -5.25 + i * 0.5 end
    local rng = S.rng(11)
    for _ = 1, 20 do
      local best, score = S.tpe_sample({F}, below, above, {rng = rng})
      assert.is_true(best[1] > 0 and best[1] < 2.1, "chose " .. best[1])
      assert.is_true(score > 0)
    end
  end)

  it("the TPE observation store gives the same choice as tpe_sample on the same split", function()
    local o = S.tpe_obs()
    -- trials 2, 0, 1 (out of order) with x = 0.5, 1.0, 4.0 and losses 3, 1, 2; trial 3 lacks x
    for _, t in ipairs{{2, 3, 0.5}, {0, 1, 1.0}, {1, 2, 4.0}, {3, 0, nil}} do
      local row = o:add(t[1], -math.huge, t[2])
      if t[3] then o:set(row, 1, t[3]) end
    end
    assert.equals(4, o:rows())
    assert.has_error(function() o:sample({1}, {F}, {rng = S.rng(1)}) end, "tpe observations: changed since the last split")
    o:split(2) -- the best two: trial 3 (no x) and trial 0 (x = 1.0)
    assert.same({1, 2}, {o:count({1}, {F})})
    local a = o:sample({1}, {F}, {rng = S.rng(4), scaled = false})
    -- above in trial-number order: trial 1 (4.0), trial 2 (0.5)
    local b = S.tpe_sample({F}, {1.0}, {4.0, 0.5}, {rng = S.rng(4), scaled = false})
    assert.same(b, a)
    o:truncate(1)
    assert.equals(1, o:rows())
    assert.has_error(function() o:set(5, 1, 0) end, "tpe observations: row 4 of 1")
    assert.has_error(function() o:set(0, 1, 0) end, "tpe observations: row must be >= 1 (got 0)")
    assert.matches("knob.TPEObs<1 rows>", tostring(o), 1, true)
    o:close()
    assert.has_error(function() o:rows() end, "tpe observations are closed")
  end)

  it("Sobol points are scipy's unscrambled ones [S]", function()
    local q = S.qmc{kind = "sobol", dim = 3, scramble = false}
    assert.same({{0, 0, 0}, {0.5, 0.5, 0.5}, {0.75, 0.25, 0.25}, {0.25, 0.75, 0.75}, {0.375, 0.375, 0.625},
                 {0.875, 0.875, 0.125}}, q:points(0, 6))
    local q21 = S.qmc{kind = "sobol", dim = 21, scramble = false}
    assert.same({0.1966552734375, 0.2606201171875, 0.2156982421875, 0.4124755859375, 0.9373779296875,
                 0.9871826171875, 0.8463134765625, 0.6658935546875, 0.4217529296875, 0.9898681640625,
                 0.3577880859375, 0.5750732421875, 0.7078857421875, 0.4896240234375, 0.7474365234375,
                 0.5306396484375, 0.4183349609375, 0.5677490234375, 0.7513427734375, 0.7218017578125,
                 0.7965087890625}, q21:point(5000))
  end)

  it("Halton points are scipy's unscrambled ones [S]", function()
    local q = S.qmc{kind = "halton", dim = 3, scramble = false}
    local expected = {{0, 0, 0}, {0.5, 0.3333333333333333, 0.2}, {0.25, 0.6666666666666666, 0.4},
                      {0.75, 0.1111111111111111, 0.6000000000000001}, {0.125, 0.4444444444444444, 0.8}}
    for i, row in ipairs(q:points(0, 5)) do assert_near_list(expected[i], row, 1e-15) end
  end)

  it("scrambled sequences are seeded and stay stratified", function()
    local a = S.qmc{kind = "sobol", dim = 5, seed = 1}
    assert.same(a:points(0, 8), S.qmc{kind = "sobol", dim = 5, seed = 1}:points(0, 8))
    assert.are_not.same(a:points(0, 8), S.qmc{kind = "sobol", dim = 5, seed = 2}:points(0, 8))
    -- LMS + shift keeps the net property: the first 64 points put one point in each 1/64 of every axis
    for d = 1, 5 do
      local seen = {}
      for _, p in ipairs(a:points(0, 64)) do
        local cell = math.floor(p[d] * 64)
        assert.is_nil(seen[cell])
        seen[cell] = true
      end
    end
    -- scrambled Halton: the first 27 points of base 3 (dimension 2) fill the 27 cells of width 1/27
    local h = S.qmc{kind = "halton", dim = 2, seed = 4}
    local seen = {}
    for _, p in ipairs(h:points(0, 27)) do
      assert.is_true(p[2] >= 0 and p[2] < 1)
      local cell = math.floor(p[2] * 27)
      assert.is_nil(seen[cell])
      seen[cell] = true
    end
    assert.matches("knob.QMC<halton, 2 dims, scrambled>", tostring(h), 1, true)
    h:close()
    h:close()
    assert.has_error(function() h:point(0) end, "qmc is closed")
  end)

  it("rejects bad input with clear messages", function()
    local cases = {
      {function() S.parzen({}, {}) end, "search: no dimensions"},
      {function() S.parzen({{kind = "float", low = 1, high = 0}}, {}) end, "search: dimension 1: low 1 is greater than high 0"},
      {function() S.parzen({{kind = "float", low = 0, high = 1, log = true}}, {}) end, "search: dimension 1: a log scale needs low > 0 (got 0)"},
      {function() S.parzen({{kind = "float", low = 1, high = 1}}, {}) end, "parzen: dimension 1: low must be < high (single value 1)"},
      {function() S.parzen({{kind = "blob", low = 1, high = 1}}, {}) end, "search: dimension 1: option 'kind' must be one of float, int, categorical (got 'blob')"},
      {function() S.parzen({{kind = "float", low = 0, hi = 1}}, {}) end, "search: dimension 1: unknown option 'hi' (valid: kind, low, high, step, log, choices, n_choices)"},
      {function() S.parzen({{kind = "categorical", n_choices = 0}}, {}) end, "search: dimension 1: a categorical needs at least one choice"},
      {function() S.parzen({F}, {7}) end, "observation 1, dimension 1: 7 is outside [-5, 5]"},
      {function() S.parzen({F}, {0 / 0}) end, "search.parzen: observations: entry 1 is NaN"},
      {function() S.parzen({F}, {1, 2}, {weights = {1}}) end, "search.parzen: option 'weights' has 1 entries for 2 observations"},
      {function() S.parzen({F}, {1, 2}, {weights = {0, 0}}) end, "parzen: the weights are all zero"},
      {function() S.parzen({F}, {1}, {prior_weight = 0}) end, "search.parzen: option 'prior_weight' must be > 0 (got 0.0)"},
      {function() S.parzen({F}, {1}, {prior = 1}) end, "search.parzen: unknown option 'prior' (valid: weights, consider_prior, prior_weight, magic_clip, endpoints, multivariate, scaled)"},
      {function() S.parzen({F, F}, {1, 2, 3}) end, "search.parzen: observations: 3 numbers is not a multiple of 2 dimensions"},
      {function() S.parzen({F}, {1}):log_pdf{0 / 0} end, "parzen:log_pdf: points: entry 1 is NaN"},
      {function() S.tpe_sample({F}, {1}, {2}, {}) end, "search.tpe_sample: option 'rng' must be a knob.Rng (got nil)"},
      {function() S.tpe_sample({F}, {1}, {2}, {rng = S.rng(1), n_candidates = 0}) end, "search.tpe_sample: option 'n_candidates' must be in 1..1e6 (got 0)"},
      {function() S.tpe_split({1}, {1, 2}, 1) end, "search.tpe_split: 1 keys and 2 values"},
      {function() S.tpe_split({0 / 0}, {1}, 1) end, "search.tpe_split: keys: entry 1 is NaN"},
      {function() S.qmc{kind = "sobol", dim = 0} end, "search.qmc: option 'dim' must be in 1..1111 for sobol (got 0)"},
      {function() S.qmc{kind = "halton", dim = 1001} end, "search.qmc: option 'dim' must be in 1..1000 for halton (got 1001)"},
      {function() S.qmc{kind = "niederreiter", dim = 2} end, "search.qmc: option 'kind' must be one of sobol, halton (got 'niederreiter')"},
      {function() S.qmc{dim = 2, seed = -1} end, "search.qmc: option 'seed' must be >= 0 (got -1)"},
      {function() S.qmc{dim = 2, scrambled = true} end, "search.qmc: unknown option 'scrambled' (valid: kind, dim, scramble, seed)"},
      {function() S.qmc{kind = "sobol", dim = 2}:point(2 ^ 32 // 1) end, "qmc: Sobol index 4294967296 is beyond 2^32 points"},
      {function() S.rng(1):int(3, 2) end, "rng:int: lo 3 is greater than hi 2"},
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(c[1])
      assert.is_false(ok)
      assert.is_truthy(tostring(err):find(c[2], 1, true), "expected '" .. c[2] .. "', got '" .. tostring(err) .. "'")
    end
  end)
end)

-- Suggestions of a study: a list of param tables in trial order.
local function suggestions(sampler, n, objective)
  local st = knob.study{sampler = sampler, pruner = knob.pruners.none(), repeats = true}
  st:optimize(objective, {n_trials = n})
  local out = {}
  for i, r in ipairs(st:trials()) do out[i] = r.params end
  return out, st
end

local function mixed(t)
  local x = t:suggest_float("x", -3, 3)
  local lr = t:suggest_float("lr", 1e-4, 1, {log = true})
  local q = t:suggest_float("q", 0, 1, {step = 0.1})
  local n = t:suggest_int("n", 1, 9, {step = 2})
  local m = t:suggest_int("m", 1, 1000, {log = true})
  local c = t:suggest_categorical("c", {"a", "b", 3})
  return x ^ 2 + math.log(lr) ^ 2 / 10 + q + n + math.log(m) + (c == "a" and 0 or 1)
end

local function assert_in_space(p)
  assert.is_true(p.x >= -3 and p.x <= 3 and math.type(p.x) == "float")
  assert.is_true(p.lr >= 1e-4 and p.lr <= 1)
  assert.is_true(space.contains(space.float(0, 1, {step = 0.1}), p.q))
  assert.is_true(math.type(p.n) == "integer" and p.n % 2 == 1 and p.n >= 1 and p.n <= 9)
  assert.is_true(math.type(p.m) == "integer" and p.m >= 1 and p.m <= 1000)
  assert.is_true(p.c == "a" or p.c == "b" or p.c == 3)
end

describe("knob.samplers.random", function()
  it("is deterministic for a seed and respects every distribution", function()
    local a = suggestions(samplers.random{seed = 42}, 50, mixed)
    local b = suggestions(samplers.random{seed = 42}, 50, mixed)
    assert.same(a, b)
    assert.are_not.same(a, (suggestions(samplers.random{seed = 43}, 50, mixed)))
    for _, p in ipairs(a) do assert_in_space(p) end
  end)

  it("is uniform (log-uniform with log)", function()
    local ps = suggestions(samplers.random{seed = 1}, 2000, function(t)
      return t:suggest_float("u", 0, 1) + t:suggest_float("l", 1e-3, 1e3, {log = true})
    end)
    local mu, ml = 0, 0
    for _, p in ipairs(ps) do mu, ml = mu + p.u, ml + math.log(p.l, 10) end
    -- means 0.5 and 0 (log10 scale), sd 1/sqrt(12) and 6/sqrt(12): 4 standard errors
    assert.is_true(math.abs(mu / 2000 - 0.5) < 4 * 0.2887 / math.sqrt(2000))
    assert.is_true(math.abs(ml / 2000) < 4 * 1.732 / math.sqrt(2000))
  end)

  it("draws a seed from the clock when none is given and says which", function()
    local s = samplers.random()
    assert.is_true(math.type(s.seed) == "integer" and s.seed >= 0)
    assert.matches("^knob.samplers.random<seed %d+>$", tostring(s))
  end)
end)

describe("knob.samplers.grid", function()
  it("enumerates exactly the factorial product, then stops the study", function()
    local seen, n_calls = {}, 0
    local st = knob.study{sampler = samplers.grid{space = {a = {1, 2, 3}, b = {"x", "y"}, c = space.int(0, 4, {step = 2})}}}
    st:optimize(function(t)
      n_calls = n_calls + 1
      local key = t:suggest_int("a", 1, 3) .. t:suggest_categorical("b", {"x", "y"}) .. t:suggest_int("c", 0, 4, {step = 2})
      assert.is_nil(seen[key])
      seen[key] = true
      return 0
    end)
    assert.equals(18, n_calls)
    for _, a in ipairs{1, 2, 3} do
      for _, b in ipairs{"x", "y"} do
        for _, c in ipairs{0, 2, 4} do assert.is_true(seen[a .. b .. c]) end
      end
    end
    -- order: names sorted, last fastest
    local first = st:trials()
    assert.same({a = 1, b = "x", c = 0}, first[1].params)
    assert.same({a = 1, b = "x", c = 2}, first[2].params)
    assert.same({a = 1, b = "y", c = 0}, first[4].params)
  end)

  it("shuffles deterministically with a seed and still covers the grid", function()
    local function run(seed)
      local out = suggestions(samplers.grid{space = {a = space.float(0, 1, {step = 0.25})}, shuffle = true, seed = seed}, 5,
        function(t) return t:suggest_float("a", 0, 1) end)
      local vals = {}
      for i, p in ipairs(out) do vals[i] = p.a end
      return vals
    end
    local a = run(3)
    assert.same(a, run(3))
    local sorted = {table.unpack(a)}
    table.sort(sorted)
    assert.same({0, 0.25, 0.5, 0.75, 1}, sorted)
  end)

  it("builds a grid around a centre (hand-computed)", function()
    local g = samplers.grid{around = {lr = 0.1, depth = 6, kind = "gbdt"}, steps = {lr = {factor = 2}, depth = 2},
                            radius = 1, bounds = {depth = {1, 7}}}
    assert.same({0.05, 0.1, 0.2}, g.values.lr)
    assert.same({4, 6}, g.values.depth) -- 8 is outside the bounds
    assert.same({"gbdt"}, g.values.kind)
    assert.equals(6, g.size)
    local g2 = samplers.grid{around = {x = 1.0}, steps = {x = 0.5}, radius = 2}
    assert.same({0.0, 0.5, 1.0, 1.5, 2.0}, g2.values.x)
    -- an integer centre with a factor stays on the integers: 10/2.25 = 4.4 -> 4, 10/1.5 = 6.7 -> 7, 10, 15,
    -- 22.5 -> 23; around 2 with factor 1.2: 1.39 -> 1, 1.67 -> 2, 2, 2.4 -> 2, 2.88 -> 3 (repeats dropped)
    local g3 = samplers.grid{around = {n = 10, m = 2}, steps = {n = {factor = 1.5}, m = {factor = 1.2}}, radius = 2}
    assert.same({4, 7, 10, 15, 23}, g3.values.n)
    assert.equals("integer", math.type(g3.values.n[1]))
    assert.same({1, 2, 3}, g3.values.m)
  end)

  it("errors for a continuous float, a parameter outside the grid, a value outside the range", function()
    assert.has_error(function() samplers.grid{space = {x = space.float(0, 1)}} end,
      "knob.samplers.grid: parameter 'x': float [0.0, 1.0] is continuous: give it a step or list its values")
    local st = knob.study{sampler = samplers.grid{space = {a = {1, 2}}}}
    assert.has_error(function()
      st:optimize(function(t) t:suggest_int("a", 1, 2); return t:suggest_float("zz", 0, 1) end, {n_trials = 1})
    end, "knob.samplers.grid: parameter 'zz' is not in the grid (grid parameters: a)")
    local st2 = knob.study{sampler = samplers.grid{space = {a = {1, 5}}}}
    assert.has_error(function()
      st2:optimize(function(t) return t:suggest_int("a", 1, 3) end, {n_trials = 2})
    end, "trial:suggest_int('a'): sampler grid proposed 5 for parameter 'a' outside int [1, 3]")
  end)
end)

describe("knob.samplers.qmc", function()
  it("maps the scrambled Sobol points of a declared space onto it", function()
    local sp = {x = space.float(0, 10), k = space.categorical{"a", "b", "c", "d"}}
    local ps = suggestions(samplers.qmc{space = sp, seed = 5}, 8, function(t)
      return t:suggest_float("x", 0, 10) + (t:suggest_categorical("k", {"a", "b", "c", "d"}) == "a" and 1 or 0)
    end)
    -- names sorted: k then x
    local pts = S.qmc{kind = "sobol", dim = 2, seed = 5}:points(0, 8)
    for i, p in ipairs(ps) do
      assert.equals(({"a", "b", "c", "d"})[math.floor(pts[i][1] * 4) + 1], p.k)
      assert.equals(pts[i][2] * 10, p.x)
    end
    -- 8 Sobol points: each category exactly twice
    local count = {}
    for _, p in ipairs(ps) do count[p.k] = (count[p.k] or 0) + 1 end
    assert.same({a = 2, b = 2, c = 2, d = 2}, count)
  end)

  it("infers the space from the first complete trial (random first), and Halton works too", function()
    for _, kind in ipairs{"sobol", "halton"} do
      local ps, st = suggestions(samplers.qmc{kind = kind, seed = 1}, 12, mixed)
      for _, p in ipairs(ps) do assert_in_space(p) end
      assert.is_nil(st:trials()[1].system_attrs.qmc_index)
      assert.equals(0, st:trials()[2].system_attrs.qmc_index)
      assert.equals(10, st:trials()[12].system_attrs.qmc_index)
      assert.same(ps, (suggestions(samplers.qmc{kind = kind, seed = 1}, 12, mixed)))
    end
  end)
end)

describe("knob.samplers.tpe", function()
  local function quad(t)
    local x = t:suggest_float("x", -10, 10)
    return (x - 1.234) ^ 2
  end

  local function best_of(sampler, n, objective)
    local st = knob.study{sampler = sampler, pruner = knob.pruners.none()}
    st:optimize(objective, {n_trials = n})
    return st:best().value
  end

  it("starts like the random sampler of the same seed, then is deterministic", function()
    local t = suggestions(samplers.tpe{seed = 9}, 30, mixed)
    local r = suggestions(samplers.random{seed = 9}, 10, mixed)
    local n = samplers.tpe{seed = 9}.n_startup_trials
    assert.equals(5, n)
    for i = 1, n do assert.same(r[i], t[i]) end
    assert.same(t, (suggestions(samplers.tpe{seed = 9}, 30, mixed)))
    for _, p in ipairs(t) do assert_in_space(p) end
  end)

  it("converges on a 1-D quadratic: its best beats random search's median over seeds", function()
    local rand = {}
    for seed = 1, 5 do rand[seed] = best_of(samplers.random{seed = seed}, 60, quad) end
    table.sort(rand)
    local median = rand[3]
    for seed = 1, 5 do
      local b = best_of(samplers.tpe{seed = seed}, 60, quad)
      assert.is_true(b < median, ("seed %d: tpe %.3g vs random median %.3g"):format(seed, b, median))
      assert.is_true(b < 0.05)
    end
  end)

  it("handles ints, logs, steps and categoricals (finds the best category)", function()
    local st = knob.study{sampler = samplers.tpe{seed = 2}, pruner = knob.pruners.none()}
    st:optimize(function(t)
      local c = t:suggest_categorical("c", {"bad", "good", "worse"})
      local n = t:suggest_int("n", 1, 64, {log = true})
      local s = t:suggest_float("s", 0, 1, {step = 0.05})
      return ({bad = 1, good = 0, worse = 2})[c] + math.abs(math.log(n / 8)) + (s - 0.35) ^ 2
    end, {n_trials = 60})
    local b = st:best()
    assert.equals("good", b.params.c)
    local last = st:trials()
    local good = 0
    for i = 41, 60 do
      local n = last[i].params.n
      assert.is_true(math.type(n) == "integer" and n >= 1 and n <= 64)
      assert.is_true(space.contains(space.float(0, 1, {step = 0.05}), last[i].params.s))
      if last[i].params.c == "good" then good = good + 1 end
    end
    assert.is_true(good >= 12, "late trials pick the good category " .. good .. "/20 times")
  end)

  it("multivariate sampling is deterministic, in the space, and converges", function()
    local function f(t)
      local x, y = t:suggest_float("x", -5, 5), t:suggest_float("y", -5, 5)
      return (x - 1) ^ 2 + (y + 2) ^ 2 + (t:suggest_categorical("k", {1, 2}) == 1 and 0 or 3)
    end
    local a, st = suggestions(samplers.tpe{seed = 4, multivariate = true}, 50, f)
    assert.same(a, (suggestions(samplers.tpe{seed = 4, multivariate = true}, 50, f)))
    assert.is_true(st:best().value < 0.5)
  end)

  it("uses pruned trials and, with constant_liar, running ones", function()
    local s = samplers.tpe{seed = 1, n_startup_trials = 2, constant_liar = true}
    local st = knob.study{sampler = s, pruner = knob.pruners.none()}
    for i = 1, 3 do
      local t = st:ask()
      t:suggest_float("x", 0, 1)
      t:report(0, i)
      st:tell(t, i == 3 and "pruned" or i)
    end
    local running = st:ask()
    running:suggest_float("x", 0, 1)
    local t = st:ask()
    t:suggest_float("x", 0, 1)
    local o = s:_observations(st, t)
    assert.equals(3, o.n)      -- 2 complete + 1 pruned
    assert.equals(4, o.rows)   -- plus the other running trial
  end)

  it("rejects bad options", function()
    local cases = {
      {function() samplers.tpe{n_startup_trials = -1} end, "knob.samplers.tpe: option 'n_startup_trials' must be an integer >= 0 (got -1)"},
      {function() samplers.tpe{n_ei_candidates = 0} end, "knob.samplers.tpe: option 'n_ei_candidates' must be an integer >= 1 (got 0)"},
      {function() samplers.tpe{gamma = 0.25} end, "knob.samplers.tpe: option 'gamma' must be a function (got number)"},
      {function() samplers.tpe{prior_weight = 0} end, "knob.samplers.tpe: option 'prior_weight' must be a number > 0 (got '0')"},
      {function() samplers.tpe{multivariate = 1} end, "knob.samplers.tpe: option 'multivariate' must be a boolean (got number)"},
      {function() samplers.tpe{seed = 1.5} end, "knob.samplers.tpe: option 'seed' must be an integer >= 0 (got 1.5)"},
      {function() samplers.tpe{group = true, multivariate = false} end, "knob.samplers.tpe: option 'group' needs multivariate = true (as Optuna)"},
      {function() samplers.tpe{group = true, optuna_compat = true} end, "knob.samplers.tpe: option 'group' needs multivariate = true (as Optuna)"},
      {function() samplers.tpe{bandwidth = "silverman"} end, "knob.samplers.tpe: option 'bandwidth' must be 'neighbour' or 'scott' (got 'silverman')"},
      {function() samplers.tpe{bandwidth = 0 / 0} end, "knob.samplers.tpe: option 'bandwidth' must be 'neighbour' or 'scott' (got '" .. tostring(0 / 0) .. "')"},
      {function() samplers.tpe{scaled = "yes"} end, "knob.samplers.tpe: option 'scaled' must be a boolean (got string)"},
      {function() samplers.tpe{optuna_compat = 1} end, "knob.samplers.tpe: option 'optuna_compat' must be a boolean (got number)"},
      {function() samplers.tpe{n_startup = 3} end, "knob.samplers.tpe: unknown option 'n_startup' (valid: seed, n_startup_trials, n_ei_candidates, gamma, weights, prior_weight, consider_prior, consider_magic_clip, consider_endpoints, multivariate, bandwidth, scaled, constant_liar, group, optuna_compat)"},
      {function() samplers.random{seed = -2} end, "knob.samplers.random: option 'seed' must be an integer >= 0 (got -2)"},
      {function() samplers.random(5) end, "knob.samplers.random: options must be a table (got number)"},
      {function() samplers.qmc{kind = "lattice"} end, "knob.samplers.qmc: option 'kind' must be 'sobol' or 'halton' (got 'lattice')"},
      {function() samplers.qmc{scramble = "yes"} end, "knob.samplers.qmc: option 'scramble' must be a boolean (got string)"},
      {function() samplers.qmc{space = {}} end, "knob.samplers.qmc: space: the space is empty"},
      {function() samplers.grid{} end, "knob.samplers.grid: give option 'space' (a full grid) or 'around' (a grid near a centre)"},
      {function() samplers.grid{space = {a = {}}} end, "knob.samplers.grid: space: parameter 'a': choices is empty"},
      {function() samplers.grid{space = {a = {1}}, radius = 2} end, "knob.samplers.grid: option 'radius' goes with 'around', not 'space'"},
      {function() samplers.grid{around = {a = 1}, steps = {b = 1}} end, "knob.samplers.grid: steps has 'b', which is not in 'around'"},
      {function() samplers.grid{around = {a = 1}, steps = {a = -1}} end, "knob.samplers.grid: parameter 'a': step must be a number > 0 or {factor = f} (got '-1')"},
      {function() samplers.grid{around = {a = 0}, steps = {a = {factor = 2}}} end, "knob.samplers.grid: parameter 'a': a multiplicative step needs a centre > 0 (got 0)"},
      {function() samplers.grid{around = {a = 1}, steps = {a = {factor = 0.5}}} end, "knob.samplers.grid: parameter 'a': factor must be a number > 1 (got '0.5')"},
      {function() samplers.grid{around = {a = 1}, steps = {a = 1}, bounds = {a = {5, 9}}} end, "knob.samplers.grid: parameter 'a': no value of the grid around 1 lies within its bounds"},
      {function() samplers.grid{around = {a = 1}, radius = -1} end, "knob.samplers.grid: option 'radius' must be an integer >= 0 or a table of them (got '-1')"},
      {function() samplers.check({}) end, "sampler: a sampler needs a sample(study, trial, name, dist) method"},
      {function() samplers.check({sample = print, infer_relative_space = print}) end, "sampler: a sampler defines both infer_relative_space and sample_relative, or neither"},
      {function() samplers.check({sample = print, after_trial = 1}) end, "sampler: sampler field 'after_trial' must be a function (got number)"},
    }
    for _, c in ipairs(cases) do assert.has_error(c[1], c[2]) end
  end)
end)

describe("a custom sampler", function()
  it("is used by a study exactly like a built-in", function()
    -- always proposes the middle of the range, or the first choice
    local calls = {}
    local mid = {name = "mid"}
    function mid:sample(_, trial, name, dist)
      calls[#calls + 1] = trial.number .. ":" .. name
      if dist.kind == "categorical" then return dist.choices[1] end
      local v = (dist.low + dist.high) / 2
      if dist.kind == "int" then return math.floor(v) end
      return v
    end
    local st = knob.study{sampler = mid, repeats = true}
    st:optimize(function(t) return t:suggest_float("x", 0, 4) + t:suggest_int("n", 1, 4) end, {n_trials = 2})
    assert.same({"0:x", "0:n", "1:x", "1:n"}, calls)
    assert.same({x = 2.0, n = 2}, st:best().params)
    -- a proposal outside the space is an error naming sampler, value, parameter and range
    local bad = {name = "bad", sample = function() return 7 end}
    local st2 = knob.study{sampler = bad}
    assert.has_error(function() st2:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 1}) end,
      "trial:suggest_float('x'): sampler bad proposed 7 for parameter 'x' outside float [0.0, 1.0]")
    assert.equals("failed", st2:trials()[1].state)
  end)
end)

describe("grouped multivariate TPE (group = true)", function()
  local tpe_mod = require "knob.samplers.tpe"
  local function rec(names)
    local d = {}
    for _, k in ipairs(names) do d[k] = space.float(0, 1) end
    return {distributions = d}
  end

  it("decomposes parameters into groups that appear together (hand-computed)", function()
    -- trial 1 {kind, a1, a2} -> one group; trial 2 {kind, b1, b2} splits it into {kind} (shared) and {a1, a2},
    -- and adds {b1, b2}; trial 3 {kind, a1, a2, c} leaves those and adds {c}
    local g = tpe_mod.group_decomposition{rec{"kind", "a1", "a2"}, rec{"kind", "b1", "b2"}, rec{"kind", "a1", "a2", "c"}}
    assert.same({{"kind"}, {"a1", "a2"}, {"b1", "b2"}, {"c"}}, g)
    -- a parameter that is sometimes missing leaves its group: {x, y} then {x} -> {x}, {y}
    assert.same({{"x"}, {"y"}}, tpe_mod.group_decomposition{rec{"x", "y"}, rec{"x"}})
    assert.same({}, tpe_mod.group_decomposition{})
  end)

  -- kind "a": a correlated valley with minimum 1; kind "b": another with minimum 0 at (u, v) = (2, -2)
  local function conditional(t)
    local kind = t:suggest_categorical("kind", {"a", "b"})
    if kind == "a" then
      local x, y = t:suggest_float("a1", -5, 5), t:suggest_float("a2", -5, 5)
      return 1 + (x - y) ^ 2 + 0.1 * (x + y - 2) ^ 2
    end
    local u, v = t:suggest_float("b1", -5, 5), t:suggest_float("b2", -5, 5)
    return (u + v) ^ 2 + 0.1 * (u - v - 4) ^ 2
  end

  it("samples every conditional parameter jointly after the startup trials", function()
    local s = samplers.tpe{seed = 3, multivariate = true, group = true}
    local independent = {}
    local plain = s.sample
    s.sample = function(self, study, trial, name, dist)
      if trial.number >= 10 then independent[#independent + 1] = trial.number .. ":" .. name end
      return plain(self, study, trial, name, dist)
    end
    local st = knob.study{sampler = s, pruner = knob.pruners.none()}
    st:optimize(conditional, {n_trials = 30})
    local kinds = {}
    for i = 1, 10 do kinds[st:trials()[i].params.kind] = true end
    assert.is_true(kinds.a and kinds.b) -- both branches were seen during the startup trials
    assert.same({}, independent)
    assert.matches("multivariate, group", tostring(s))
  end)

  it("beats random search and ungrouped multivariate TPE on a conditional space (median of 5 seeds)", function()
    -- measured once (seeds 1..5, 100 trials, per-trial random streams), sorted best values: grouped 0.0038
    -- 0.0065 0.0159 0.0256 1.0201, multivariate alone 0.0084 0.0157 0.0164 0.0840 1.0065, random 0.0142
    -- 0.0492 0.1063 0.3912 0.5586. Grouping clearly beats random; against ungrouped multivariate TPE the
    -- medians are close on this small problem (the spread is in the worse seeds), so it is only required not
    -- to be worse by more than half.
    local function median(opts)
      local v = {}
      for seed = 1, 5 do
        local s = opts and samplers.tpe{seed = seed, multivariate = opts.multivariate, group = opts.group}
          or samplers.random{seed = seed}
        local st = knob.study{sampler = s, pruner = knob.pruners.none()}
        st:optimize(conditional, {n_trials = 100})
        v[seed] = st:best().value
      end
      table.sort(v)
      return v[3]
    end
    local grouped, multi, random = median{multivariate = true, group = true}, median{multivariate = true}, median()
    assert.is_true(grouped < random / 5, ("grouped %g, random %g"):format(grouped, random))
    assert.is_true(grouped < 1.5 * multi, ("grouped %g, multivariate %g"):format(grouped, multi))
  end)
end)

describe("knob.samplers.common.intersection_cache", function()
  local common = require "knob.samplers.common"
  local keys = require("knob.space").names

  -- Hand-built history: which parameters every trial in the given states has, with equal distributions
  -- and more than one value, narrowed as trials arrive (a failed trial never counts).
  it("keeps the parameters every trial in the given states shares, narrowing incrementally", function()
    local study = knob.study{sampler = knob.samplers.random{seed = 1}, pruner = knob.pruners.none()}
    local function add(result, fn)
      local t = study:ask()
      fn(t)
      study:tell(t, result)
    end
    local finished = common.intersection_cache{"complete", "pruned"}
    local complete = common.intersection_cache()
    add(1, function(t) t:suggest_float("x", 0, 1); t:suggest_int("y", 1, 5); t:suggest_categorical("k", {"only"}) end)
    add("pruned", function(t) t:suggest_float("x", 0, 1); t:suggest_float("z", 0, 2) end)
    add(2, function(t) t:suggest_float("x", 0, 1); t:suggest_int("y", 1, 5); t:suggest_categorical("k", {"only"}) end)
    add("failed", function(t) t:suggest_float("w", 0, 1) end)
    assert.same({"x"}, keys(finished:get(study)))      -- y is missing from the pruned trial; k has one value
    assert.same({"x", "y"}, keys(complete:get(study)))
    add(3, function(t) t:suggest_float("x", 0, 2); t:suggest_int("y", 1, 5) end) -- x's range differs now
    assert.same({}, keys(finished:get(study)))
    assert.same({"y"}, keys(complete:get(study)))
  end)
end)
