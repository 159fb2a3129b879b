-- sampler_cmaes_spec.lua — knob.samplers.cmaes (CMA-ES). The benchmarks are textbook functions with known
-- minima (4-D sphere: 0 at the origin; 4-D Rosenbrock: 0 at (1, 1, 1, 1)); the assertions compare CMA-ES with
-- random search on the same budget and seeds and with those optima -- no value of the sampler is pasted in.
-- Measured (seeds 1..3, 300 trials): sphere best 3e-5..7e-4 vs random 1.0..4.4; Rosenbrock 2.2..3.1 vs
-- random 13..33 (ipop, 600 trials: sphere < 1e-7, Rosenbrock 0.8..1.3).
local knob = require "knob"

local function sphere(t)
  local s = 0
  for i = 1, 4 do s = s + t:suggest_float("x" .. i, -5, 5) ^ 2 end
  return s
end

local function rosenbrock(t)
  local x = {}
  for i = 1, 4 do x[i] = t:suggest_float("x" .. i, -2, 2) end
  local s = 0
  for i = 1, 3 do s = s + 100 * (x[i + 1] - x[i] ^ 2) ^ 2 + (1 - x[i]) ^ 2 end
  return s
end

local function run(sampler, f, n, dir)
  local st = knob.study{sampler = sampler, pruner = knob.pruners.none(), direction = dir}
  st:optimize(f, {n_trials = n})
  return st
end

describe("knob.samplers.cmaes", function()
  it("converges far better than random search on a 4-D sphere and Rosenbrock (fixed seeds)", function()
    for seed = 1, 2 do
      local c = run(knob.samplers.cmaes{seed = seed}, sphere, 300):best().value
      local r = run(knob.samplers.random{seed = seed}, sphere, 300):best().value
      assert.is_true(c < 0.01 and c < r / 100, ("sphere seed %d: cmaes %g, random %g"):format(seed, c, r))
      c = run(knob.samplers.cmaes{seed = seed}, rosenbrock, 300):best().value
      r = run(knob.samplers.random{seed = seed}, rosenbrock, 300):best().value
      assert.is_true(c < r / 3, ("rosenbrock seed %d: cmaes %g, random %g"):format(seed, c, r))
    end
  end)

  it("maximizes too", function()
    local st = run(knob.samplers.cmaes{seed = 3}, function(t) return -sphere(t) end, 300, "maximize")
    assert.is_true(st:best().value > -0.01)
  end)

  it("is deterministic for a seed and records generations", function()
    local a = run(knob.samplers.cmaes{seed = 9, popsize = 5}, sphere, 30):trials()
    local b = run(knob.samplers.cmaes{seed = 9, popsize = 5}, sphere, 30):trials()
    for i = 1, 30 do assert.same(a[i].params, b[i].params) end
    assert.is_nil(a[1].system_attrs["cmaes:generation"]) -- the startup trial is random
    for i = 2, 6 do assert.equals(0, a[i].system_attrs["cmaes:generation"]) end
    for i = 7, 11 do assert.equals(1, a[i].system_attrs["cmaes:generation"]) end
    assert.equals(0, a[30].system_attrs["cmaes:restart"])
  end)

  it("ipop restarts with a larger population once a run has converged", function()
    local st = run(knob.samplers.cmaes{seed = 1, restarts = "ipop"}, sphere, 1500)
    local last = st:trials()[1500].system_attrs
    assert.is_true(last["cmaes:restart"] >= 1)
    assert.is_true(st:best().value < 1e-10)
  end)

  it("starts at x0; searches int and log parameters; categorical ones fall back to random", function()
    local st = knob.study{pruner = knob.pruners.none(),
                          sampler = knob.samplers.cmaes{seed = 1, x0 = {n = 50, lr = 0.5}, sigma0 = 0.02}}
    local kinds = {}
    st:optimize(function(t)
      local n = t:suggest_int("n", 1, 100)
      local lr = t:suggest_float("lr", 1e-4, 1, {log = true})
      local k = t:suggest_categorical("k", {"a", "b"})
      kinds[k] = true
      return (n - 37) ^ 2 + (math.log(lr) - math.log(1e-2)) ^ 2 + (k == "a" and 0 or 1)
    end, {n_trials = 200})
    local tr = st:trials()
    -- the first CMA-ES trial is near x0: sigma0 = 0.02 of the ranges (n: 100 wide, lr: log range ~9.2)
    assert.is_true(math.abs(tr[2].params.n - 50) <= 10)
    assert.is_true(math.abs(math.log(tr[2].params.lr) - math.log(0.5)) < 1)
    assert.is_true(kinds.a and kinds.b)
    local best = st:best()
    assert.equals(37, best.params.n)
    assert.is_true(math.abs(math.log(best.params.lr) - math.log(1e-2)) < 0.1)
  end)

  it("keeps stepped values on their grid", function()
    local st = run(knob.samplers.cmaes{seed = 2}, function(t)
      return (t:suggest_float("a", 0, 1, {step = 0.1}) - 0.3) ^ 2 + (t:suggest_int("b", 0, 20, {step = 4}) - 8) ^ 2
    end, 60)
    assert.equals(60, st:n_trials{state = "complete"})
    assert.equals(8, st:best().params.b)
  end)

  it("raises for a multi-objective study and for x0 outside the space", function()
    local mo = knob.study{directions = {"minimize", "minimize"}, pruner = knob.pruners.none(),
                          sampler = knob.samplers.cmaes{seed = 1}}
    assert.has_error(function() mo:optimize(function(t) return t:suggest_float("x", 0, 1), 1 end, {n_trials = 3}) end,
      "knob.samplers.cmaes: a multi-objective study needs another sampler (knob.samplers.nsga2)")
    local st = knob.study{pruner = knob.pruners.none(), sampler = knob.samplers.cmaes{seed = 1, x0 = {y = 2}}}
    assert.has_error(function() st:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 3}) end,
      "knob.samplers.cmaes: option 'x0' names 'y', which is not a float or int parameter of the search space (x)")
    local st2 = knob.study{pruner = knob.pruners.none(), sampler = knob.samplers.cmaes{seed = 1, x0 = {x = 2}}}
    assert.has_error(function() st2:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 3}) end,
      "knob.samplers.cmaes: option 'x0': 2 is outside float [0.0, 1.0] of parameter 'x'")
  end)

  local bad = {
    {function() knob.samplers.cmaes{sigma0 = 0} end, "knob.samplers.cmaes: option 'sigma0' must be a number in (0, 1] (a fraction of each range; got 0)"},
    {function() knob.samplers.cmaes{sigma0 = 0 / 0} end, "knob.samplers.cmaes: option 'sigma0' must be a number in (0, 1] (a fraction of each range; got NaN)"},
    {function() knob.samplers.cmaes{popsize = 1} end, "knob.samplers.cmaes: option 'popsize' must be an integer >= 2 (got 1)"},
    {function() knob.samplers.cmaes{n_startup_trials = -1} end, "knob.samplers.cmaes: option 'n_startup_trials' must be an integer >= 0 (got -1)"},
    {function() knob.samplers.cmaes{inc_popsize = 1} end, "knob.samplers.cmaes: option 'inc_popsize' must be an integer >= 2 (got 1)"},
    {function() knob.samplers.cmaes{restarts = "bipop"} end, "knob.samplers.cmaes: option 'restarts' must be 'none' or 'ipop' (got 'bipop')"},
    {function() knob.samplers.cmaes{x0 = 3} end, "knob.samplers.cmaes: option 'x0' must be a table of name = value (got number)"},
    {function() knob.samplers.cmaes{x0 = {x = "a"}} end, "knob.samplers.cmaes: option 'x0' must map parameter names to numbers (got 'x' = 'a')"},
    {function() knob.samplers.cmaes{seed = 1.5} end, "knob.samplers.cmaes: option 'seed' must be an integer >= 0 (got 1.5)"},
    {function() knob.samplers.cmaes{sigma = 0.1} end, "knob.samplers.cmaes: unknown option 'sigma' (valid: x0, sigma0, popsize, n_startup_trials, restarts, inc_popsize, seed)"},
  }
  for i, c in ipairs(bad) do
    it("bad input " .. i .. ": " .. c[2], function() assert.has_error(c[1], c[2]) end)
  end
end)
