-- sampler_gp_spec.lua — knob.samplers.gp and its numerics (knob.core.search.gp_*, engine/src/search/gp.c).
--
-- Reference values and how they were produced (/usr/bin/python3: scikit-learn 1.2.1, numpy, scipy, mpmath):
--
--  [R] scikit-learn, fixed hyperparameters:
--        import numpy as np
--        from sklearn.gaussian_process import GaussianProcessRegressor
--        from sklearn.gaussian_process.kernels import Matern, ConstantKernel as C
--        X = np.array([[0.1, 0.2], [0.4, 0.9], [0.7, 0.3], [0.95, 0.6], [0.3, 0.5]])
--        y = np.array([1.0, -0.5, 0.3, 2.0, 0.1])
--        k = C(1.7, "fixed") * Matern(length_scale=[0.3, 0.8], length_scale_bounds="fixed", nu=2.5)
--        gp = GaussianProcessRegressor(kernel=k, alpha=0.01, optimizer=None, normalize_y=False).fit(X, y)
--        Xq = np.array([[0.5, 0.5], [0.1, 0.21], [1.0, 0.0]])
--        k(X[:2], Xq)                        -> [[0.56025817, 1.69977869, 0.04630497],
--                                                [1.3063253 , 0.60857346, 0.14977431]]
--        gp.log_marginal_likelihood_value_   -> -6.934460562398868
--        m, s = gp.predict(Xq, return_std=True); m, s**2
--                                            -> [-0.29032386, 0.98828319, 1.24165823], [0.30018169, 0.01017997, 0.9163089]
--  [H] A categorical coordinate (Hamming distance: 0 for the same index, else 1), written out with numpy:
--        X = np.array([[0.1, 0], [0.5, 1], [0.8, 0], [0.3, 2]]); y = np.array([0.5, -1.0, 1.5, 0.2])
--        ls = np.array([0.4, 1.5]); s2 = 0.8; noise = 0.05
--        def k(A, B):
--            d0 = (A[:, None, 0] - B[None, :, 0]) ** 2 / ls[0] ** 2
--            d1 = (A[:, None, 1] != B[None, :, 1]).astype(float) / ls[1] ** 2
--            r = np.sqrt(d0 + d1)
--            return s2 * (1 + np.sqrt(5) * r + 5 / 3 * r ** 2) * np.exp(-np.sqrt(5) * r)
--        K = k(X, X) + noise * np.eye(4); a = np.linalg.solve(K, y)
--        lml = -0.5 * y @ a - 0.5 * np.linalg.slogdet(K)[1] - 2 * np.log(2 * np.pi)
--        Xq = np.array([[0.2, 0], [0.2, 2], [0.9, 1]]); Kq = k(Xq, X)
--        Kq[0] -> [0.76076794, 0.41759835, 0.22653062, 0.5595463];  lml -> -7.182885869318968
--        Kq @ a -> [0.37616323, 0.25792893, 0.48260034]
--        s2 - np.einsum("ij,ji->i", Kq, np.linalg.solve(K, Kq.T)) -> [0.08916533, 0.09284176, 0.39009141]
--  [E] log h(z) = log(phi(z) + z Phi(z)) (the log EI of a standard normal):
--      where the direct formula is accurate: from scipy.stats import norm;
--        [np.log(norm.pdf(z) + z * norm.cdf(z)) for z in [5, 1, 0, -0.5, -2]]
--        -> 1.6094379231264314, 0.08002621884930694, -0.9189385332046727, -1.6205162643873199, -4.768783523917114
--      in the tail, with 50 digits: import mpmath as mp; mp.mp.dps = 50; mp.log(mp.npdf(z) + z * mp.ncdf(z))
--        z = -5: -16.74430116266099   -9.99: -55.451227285978312   -10: -55.553122036122356
--        -10.01: -55.655114947775421   -20: -206.9178385094251   -40: -808.29856835661996
--        -1000: -500014.73445209116   -1e10: -5.0e+19
local knob = require "knob"
local helpers = require "helpers"
local S = knob.core.search
local samplers = knob.samplers
local assert_near_list, near = helpers.assert_near_list, helpers.near

local X = {{0.1, 0.2}, {0.4, 0.9}, {0.7, 0.3}, {0.95, 0.6}, {0.3, 0.5}}
local Y = {1.0, -0.5, 0.3, 2.0, 0.1}
local H = {lengthscales = {0.3, 0.8}, signal_var = 1.7, noise_var = 0.01}
local XQ = {{0.5, 0.5}, {0.1, 0.21}, {1.0, 0.0}}

describe("knob.core.search GP numerics", function()
  it("the Matérn 5/2 kernel is scikit-learn's ConstantKernel * Matern(nu=2.5) [R]", function()
    local K = S.gp_kernel({X[1], X[2]}, XQ, H)
    assert_near_list({0.56025817, 1.69977869, 0.04630497}, K[1], 1e-8)
    assert_near_list({1.3063253, 0.60857346, 0.14977431}, K[2], 1e-8)
  end)

  it("log marginal likelihood and posterior mean / variance match scikit-learn [R]", function()
    local lml = S.gp_log_marginal(X, Y, H)
    assert.is_true(near(lml, -6.934460562398868, 1e-12), ("lml %.17g"):format(lml))
    local m, v = S.gp_predict(X, Y, H, XQ)
    assert_near_list({-0.29032386, 0.98828319, 1.24165823}, m, 1e-8)
    assert_near_list({0.30018169, 0.01017997, 0.9163089}, v, 1e-7)
  end)

  it("a categorical coordinate enters through a Hamming distance [H]", function()
    local Xc = {{0.1, 0}, {0.5, 1}, {0.8, 0}, {0.3, 2}}
    local yc = {0.5, -1.0, 1.5, 0.2}
    local h = {lengthscales = {0.4, 1.5}, signal_var = 0.8, noise_var = 0.05, categorical = {2}}
    local q = {{0.2, 0}, {0.2, 2}, {0.9, 1}}
    assert_near_list({0.76076794, 0.41759835, 0.22653062, 0.5595463}, S.gp_kernel(q, Xc, h)[1], 1e-8)
    assert.is_true(near((S.gp_log_marginal(Xc, yc, h)), -7.182885869318968, 1e-12))
    local m, v = S.gp_predict(Xc, yc, h, q)
    assert_near_list({0.37616323, 0.25792893, 0.48260034}, m, 1e-8)
    assert_near_list({0.08916533, 0.09284176, 0.39009141}, v, 1e-7)
  end)

  it("the gradient of the log marginal likelihood matches central differences", function()
    for _, h in ipairs{H, {lengthscales = {0.4, 1.5}, signal_var = 0.8, noise_var = 0.05, categorical = {2}}} do
      local data = h.categorical and {{0.1, 0}, {0.5, 1}, {0.8, 0}, {0.3, 2}} or X
      local y = h.categorical and {0.5, -1.0, 1.5, 0.2} or Y
      local _, g = S.gp_log_marginal(data, y, h)
      local t = {-2 * math.log(h.lengthscales[1]), -2 * math.log(h.lengthscales[2]), math.log(h.signal_var),
                 math.log(h.noise_var - 1e-6)}
      local function at(u)
        return (S.gp_log_marginal(data, y, {lengthscales = {math.exp(-u[1] / 2), math.exp(-u[2] / 2)},
          signal_var = math.exp(u[3]), noise_var = 1e-6 + math.exp(u[4]), categorical = h.categorical}))
      end
      for j = 1, 4 do
        local a, b = {table.unpack(t)}, {table.unpack(t)}
        a[j], b[j] = a[j] + 1e-5, b[j] - 1e-5
        local fd = (at(a) - at(b)) / 2e-5
        assert.is_true(math.abs(fd - g[j]) < 1e-7 * math.max(1, math.abs(fd)), ("coordinate %d: %g vs %g"):format(j, g[j], fd))
      end
    end
  end)

  it("gp_fit raises the log marginal likelihood above the starting hyperparameters", function()
    local h, obj = S.gp_fit(X, Y)
    assert.equals(2, #h.lengthscales)
    assert.is_true(obj == obj and h.noise_var >= 1e-6 and h.signal_var > 0)
    local fitted = S.gp_log_marginal(X, Y, h)
    local start = S.gp_log_marginal(X, Y, {lengthscales = {1, 1}, signal_var = 1, noise_var = 0.01})
    assert.is_true(fitted > start, ("%g <= %g"):format(fitted, start))
  end)

  it("log h(z) matches the direct formula and, in the far tail, mpmath [E]", function()
    local direct = {{5, 1.6094379231264314}, {1, 0.08002621884930694}, {0, -0.9189385332046727},
                    {-0.5, -1.6205162643873199}, {-2, -4.768783523917114}}
    for _, c in ipairs(direct) do
      assert.is_true(near(S.gp_log_h(c[1]), c[2], 1e-14), ("z = %g: %.17g"):format(c[1], S.gp_log_h(c[1])))
    end
    local tail = {{-5, -16.74430116266099}, {-9.99, -55.451227285978312}, {-10, -55.553122036122356},
                  {-10.01, -55.655114947775421}, {-20, -206.9178385094251}, {-40, -808.29856835661996},
                  {-1000, -500014.73445209116}, {-1e10, -5.0e+19}}
    for _, c in ipairs(tail) do
      assert.is_true(near(S.gp_log_h(c[1]), c[2], 1e-13), ("z = %g: %.17g"):format(c[1], S.gp_log_h(c[1])))
    end
    assert.equals(-math.huge, S.gp_log_h(-math.huge))
    assert.is_true(S.gp_log_h(0 / 0) ~= S.gp_log_h(0 / 0))
    -- increasing through the branch points -1 and -10
    local last = -math.huge
    for z = -12, 2, 0.01 do
      local v = S.gp_log_h(z)
      assert.is_true(v > last, "not increasing at z = " .. z)
      last = v
    end
  end)

  it("gp_suggest minimizes, rounds to the grid and avoids observed points of a discrete space", function()
    local F = {kind = "float", low = -2, high = 2}
    local obs, y = {}, {}
    for i = 0, 8 do
      local x = -2 + i * 0.5
      obs[#obs + 1], y[#y + 1] = x, (x - 0.6) ^ 2
    end
    local best, lei, hyper = S.gp_suggest({F}, obs, y, {rng = S.rng(3)})
    assert.is_true(math.abs(best[1] - 0.6) < 0.3, "suggested " .. best[1])
    assert.is_true(lei == lei and #hyper.lengthscales == 1)
    -- same rng seed, same point
    assert.same(best, (S.gp_suggest({F}, obs, y, {rng = S.rng(3)})))
    -- ints: the only unobserved value is chosen even though the model prefers an observed one
    local I = {kind = "int", low = 0, high = 3}
    local b = S.gp_suggest({I}, {0, 1, 2}, {1, 0, 1}, {rng = S.rng(1)})
    assert.equals(3, b[1])
    assert.equals("integer", math.type(b[1]))
    -- stepped float, log float and a categorical together; duplicated observations are fine
    local dims = {{kind = "float", low = 0, high = 1, step = 0.25}, {kind = "float", low = 1e-3, high = 1, log = true},
                  {kind = "categorical", n_choices = 3}}
    local o = {{0, 0.01, 0}, {0.5, 0.1, 1}, {0.5, 0.1, 1}, {1, 1, 2}, {0.25, 0.001, 1}}
    local p = S.gp_suggest(dims, o, {3, 1, 1, 2, 0.5}, {rng = S.rng(2)})
    local q = p[1] / 0.25
    assert.is_true(q == math.floor(q) and p[1] >= 0 and p[1] <= 1)
    assert.is_true(p[2] >= 1e-3 and p[2] <= 1)
    assert.is_true(p[3] == 0 or p[3] == 1 or p[3] == 2)
    -- infinite outputs are clipped
    assert.equals(2, #S.gp_suggest({F, F}, {{0, 0}, {1, 1}, {-1, 1}}, {math.huge, 0, -math.huge}, {rng = S.rng(1)}))
  end)

  it("bad inputs are clear errors", function()
    local F = {kind = "float", low = 0, high = 1}
    local cases = {
      {function() S.gp_kernel(X, XQ, {signal_var = 1}) end, "search.gp_kernel: option 'lengthscales' must be an array of numbers (got nil)"},
      {function() S.gp_kernel(X, XQ, {lengthscales = {}}) end, "search.gp_kernel: option 'lengthscales' is empty"},
      {function() S.gp_kernel(X, XQ, {lengthscales = {1, -1}}) end, "gp kernel: lengthscale 2 must be a finite number > 0 (got -1)"},
      {function() S.gp_kernel(X, XQ, {lengthscales = {1, 1}, signal_var = 0}) end, "gp kernel: signal variance must be a finite number > 0 (got 0)"},
      {function() S.gp_kernel(X, XQ, {lengthscales = {1, 1}, lengthscale = 1}) end, "search.gp_kernel: unknown option 'lengthscale'"},
      {function() S.gp_kernel(X, {{0, 0 / 0}}, {lengthscales = {1, 1}}) end, "search.gp_kernel: X2: row 1, value 2 must be a number (got NaN)"},
      {function() S.gp_kernel({{0, 1}}, {{0, 0.5}}, {lengthscales = {1, 1}, categorical = {2}}) end, "gp kernel: point 1, coordinate 2 is not a choice index (0.5)"},
      {function() S.gp_kernel(X, XQ, {lengthscales = {1, 1}, categorical = {3}}) end, "search.gp_kernel: option 'categorical': entry 1 (3.0) is not a coordinate index"},
      {function() S.gp_log_marginal(X, {1, 2}, H) end, "search.gp_log_marginal: 5 points and 2 outputs"},
      {function() S.gp_log_marginal({}, {}, H) end, "search.gp_log_marginal: no points"},
      {function() S.gp_log_marginal(X, {1, 2, 3, 4, 0 / 0}, H) end, "search.gp_log_marginal: y: entry 5 is NaN"},
      {function() S.gp_predict(X, Y, H, {{1}}) end, "search.gp_predict: Xq: row 1 has 1 values (expected 2)"},
      {function() S.gp_fit("x", Y) end, "bad argument #1"},
      {function() S.gp_suggest({F}, {0.5}, {1}, {}) end, "search.gp_suggest: option 'rng' must be a knob.Rng (got nil)"},
      {function() S.gp_suggest({F}, {0.5}, {1}, {rng = S.rng(1), n_candidates = 0}) end, "search.gp_suggest: option 'n_candidates' must be in 1..1e7 (got 0)"},
      {function() S.gp_suggest({F}, {0.5}, {1}, {rng = S.rng(1), candidates = 5}) end, "search.gp_suggest: unknown option 'candidates'"},
      {function() S.gp_suggest({F}, {0.5, 2}, {1, 2}, {rng = S.rng(1)}) end, "gp suggest: observation 2, value 1 (2) is outside its dimension"},
      {function() S.gp_suggest({F}, {0.5}, {0 / 0}, {rng = S.rng(1)}) end, "search.gp_suggest: y: entry 1 is NaN"},
      {function() S.gp_suggest({F}, {}, {}, {rng = S.rng(1)}) end, "gp suggest: number of observations must be in 1..100000 (got 0)"},
      {function() S.gp_suggest({F}, {0.5}, {1, 2}, {rng = S.rng(1)}) end, "search.gp_suggest: 1 observations and 2 outputs"},
      {function() S.gp_suggest({{kind = "float", low = 1, high = 1}}, {1}, {1}, {rng = S.rng(1)}) end, "gp suggest: dimension 1 needs low < high"},
    }
    helpers.assert_errors(cases)
  end)
end)

local function quad(t)
  local x = t:suggest_float("x", -5, 5)
  local y = t:suggest_float("y", -5, 5)
  return (x - 1.3) ^ 2 + 2 * (y + 0.7) ^ 2
end

local function best_of(sampler, n, f, direction)
  local st = knob.study{sampler = sampler, pruner = knob.pruners.none(), direction = direction}
  st:optimize(f, {n_trials = n})
  return st:best().value, st
end

describe("knob.samplers.gp", function()
  it("is listed and says what it is", function()
    local found = false
    for _, n in ipairs(samplers.NAMES) do found = found or n == "gp" end
    assert.is_true(found)
    local s = samplers.gp{seed = 5}
    assert.equals("gp", s.name)
    assert.equals(5, s.seed)
    assert.equals("knob.samplers.gp<seed 5>", tostring(s))
    assert.equals(s, samplers.check(s))
    assert.equals("integer", math.type(samplers.gp().seed))
  end)

  it("finds the minimum of a 2-D quadratic in 30 trials better than random search (seeds 1..3)", function()
    local gp_sum, rnd_sum = 0, 0
    for seed = 1, 3 do
      local g = best_of(samplers.gp{seed = seed}, 30, quad)
      local r = best_of(samplers.random{seed = seed}, 30, quad)
      -- fixed seeds: the GP's values are ~1e-4, random search's ~0.1-1
      assert.is_true(g < 0.01, ("seed %d: gp best %.3g"):format(seed, g))
      gp_sum, rnd_sum = gp_sum + g, rnd_sum + r
    end
    assert.is_true(gp_sum * 10 < rnd_sum, ("gp %.3g vs random %.3g"):format(gp_sum, rnd_sum))
  end)

  it("is deterministic for a seed, maximizes, and ignores failed and pruned trials", function()
    local function run(seed)
      local st = knob.study{sampler = samplers.gp{seed = seed, n_startup_trials = 5}, pruner = knob.pruners.none(),
                            direction = "maximize"}
      st:optimize(function(t)
        local x = t:suggest_float("x", -3, 3)
        local n = t:suggest_int("n", 1, 8)
        local c = t:suggest_categorical("c", {"a", "b"})
        if t.number == 6 then error("boom") end
        if t.number == 7 then t:prune() end
        return -(x - 1) ^ 2 - (n - 5) ^ 2 - (c == "b" and 0 or 1)
      end, {n_trials = 20})
      local xs = {}
      for _, r in ipairs(st:trials_raw()) do xs[#xs + 1] = {r.params.x, r.params.n, r.params.c, r.state} end
      return xs, st
    end
    local a, st = run(4)
    assert.same(a, (run(4)))
    assert.are_not.same(a, (run(5)))
    assert.equals("failed", a[7][4])
    assert.equals("pruned", a[8][4])
    assert.is_true(st:best().value > -1.5, "best " .. st:best().value)
    for _, r in ipairs(a) do assert.equals("integer", math.type(r[2])) end
  end)

  it("samples parameters outside the relative space independently", function()
    local st = knob.study{sampler = samplers.gp{seed = 1, n_startup_trials = 3}, pruner = knob.pruners.none()}
    st:optimize(function(t)
      local x = t:suggest_float("x", 0, 1)
      if t.number % 2 == 0 then return x end
      return x + t:suggest_float("extra" .. t.number, 0, 1)
    end, {n_trials = 10})
    assert.equals(10, #st:trials_raw{"complete"})
  end)

  it("bad options are clear errors", function()
    local cases = {
      {function() samplers.gp{seed = -1} end, "knob.samplers.gp: option 'seed' must be an integer >= 0 (got -1)"},
      {function() samplers.gp{n_startup_trials = -1} end, "knob.samplers.gp: option 'n_startup_trials' must be an integer in 0.."},
      {function() samplers.gp{n_candidates = 0} end, "knob.samplers.gp: option 'n_candidates' must be an integer in 1..10000000 (got 0)"},
      {function() samplers.gp{n_local = 1.5} end, "knob.samplers.gp: option 'n_local' must be an integer in 0..1000 (got 1.5)"},
      {function() samplers.gp{n_startup = 3} end, "knob.samplers.gp: unknown option 'n_startup' (valid: seed, n_startup_trials, n_candidates, n_local)"},
      {function() samplers.gp("x") end, "knob.samplers.gp: options must be a table (got string)"},
    }
    helpers.assert_errors(cases)
  end)
end)
