-- tpe_defaults_spec.lua — knob.samplers.tpe's own defaults (joint sampling, per-dimension neighbour bandwidths,
-- proper densities, gamma ceil(n / 5)) and optuna_compat = true, which restores Optuna 3.1's TPESampler defaults
-- (tests/spec/tpe_parity_spec.lua pins those to Optuna's values). The measurements behind the defaults are in
-- the header of stdlib/knob/samplers/tpe.lua (bench/quality_bench.lua).
local knob = require "knob"
local tpe = require "knob.samplers.tpe"
local S = knob.core.search

local function suggestions(sampler, n, objective)
  local st = knob.study{sampler = sampler, pruner = knob.pruners.none(), repeats = true}
  st:optimize(objective, {n_trials = n})
  local out = {}
  for i, r in ipairs(st:trials()) do out[i] = r.params end
  return out
end

local function mixed(t)
  local x = t:suggest_float("x", -3, 3)
  local lr = t:suggest_float("lr", 1e-4, 1, {log = true})
  local n = t:suggest_int("n", 1, 9, {step = 2})
  local c = t:suggest_categorical("c", {"a", "b", 3})
  return x ^ 2 + math.log(lr) ^ 2 / 10 + n + (c == "a" and 0 or 1)
end

-- Branin as the quality benchmarks have it (bench/problems.lua; the suite runs from the repository root)
local branin = dofile("bench/problems.lua").branin

describe("knob.samplers.tpe defaults", function()
  it("knob_gamma is min(ceil(n / 5), 25) (hand-computed)", function()
    local want = {[0] = 0, [1] = 1, [5] = 1, [6] = 2, [50] = 10, [99] = 20, [100] = 20, [121] = 25, [125] = 25, [1000] = 25}
    for n, g in pairs(want) do
      local got = tpe.knob_gamma(n)
      assert.equals(g, got, "n = " .. n)
      assert.equals("integer", math.type(got))
    end
  end)

  it("are joint sampling, neighbour bandwidths, proper densities and knob_gamma; optuna_compat gives Optuna's", function()
    local s = knob.samplers.tpe{seed = 1}
    assert.is_true(s.multivariate)
    assert.equals("neighbour", s.bandwidth)
    assert.is_true(s.scaled)
    assert.equals(tpe.knob_gamma, s.gamma)
    assert.equals(5, s.n_startup_trials)
    assert.equals(48, s.n_ei_candidates)
    assert.equals("knob.samplers.tpe<seed 1, multivariate>", tostring(s))
    local o = knob.samplers.tpe{seed = 1, optuna_compat = true}
    assert.is_false(o.multivariate)
    assert.is_false(o.scaled)
    assert.equals(tpe.default_gamma, o.gamma)
    assert.equals(10, o.n_startup_trials)
    assert.equals(24, o.n_ei_candidates)
    assert.equals("knob.samplers.tpe<seed 1, optuna_compat>", tostring(o))
    local om = knob.samplers.tpe{seed = 1, optuna_compat = true, multivariate = true}
    assert.equals("scott", om.bandwidth)
    -- independent sampling keeps Optuna 3.1's scoring unless told otherwise
    assert.is_false(knob.samplers.tpe{multivariate = false}.scaled)
    assert.is_true(knob.samplers.tpe{multivariate = false, scaled = true}.scaled)
  end)

  it("optuna_compat = true is exactly Optuna 3.1's options spelt out; the defaults are knob's spelt out", function()
    local compat = suggestions(knob.samplers.tpe{seed = 5, optuna_compat = true}, 30, mixed)
    local spelt = suggestions(knob.samplers.tpe{seed = 5, multivariate = false, gamma = tpe.default_gamma,
                                                scaled = false, n_startup_trials = 10, n_ei_candidates = 24}, 30, mixed)
    assert.same(compat, spelt)
    local mv = suggestions(knob.samplers.tpe{seed = 5, optuna_compat = true, multivariate = true}, 30, mixed)
    local mv_spelt = suggestions(knob.samplers.tpe{seed = 5, multivariate = true, bandwidth = "scott",
                                                   gamma = tpe.default_gamma, scaled = false, n_startup_trials = 10,
                                                   n_ei_candidates = 24}, 30, mixed)
    assert.same(mv, mv_spelt)
    local def = suggestions(knob.samplers.tpe{seed = 5}, 30, mixed)
    local def_spelt = suggestions(knob.samplers.tpe{seed = 5, multivariate = true, bandwidth = "neighbour",
                                                    scaled = true, gamma = tpe.knob_gamma, n_startup_trials = 5,
                                                    n_ei_candidates = 48}, 30, mixed)
    assert.same(def, def_spelt)
    -- the first 5 (knob's startup) trials are the same random points; after them the strategies differ
    for i = 1, 5 do assert.same(compat[i], def[i]) end
    assert.are_not.same(compat[30], def[30])
  end)

  it("neighbour bandwidths of a joint estimator: per dimension, from the sorted observations (hand-computed)", function()
    -- x in [0, 10]: mus 0, 1, 4 and the prior's 5; bandwidths 1 (first: gap to the next), max(1, 3), max(3, 1),
    -- prior = range 10; clipped below at range / min(100, 1 + 4 components) = 2 -> 2, 3, 3, 10.
    -- y in [0, 1]: mus 0.3, 0.1, 0.95, prior 0.5; sorted 0.1, 0.3, 0.5, 0.95: 0.2, max(0.2, 0.2), last 0.45,
    -- prior 1; clipped below at 0.2 -> 0.2, 0.2, 0.45, 1.
    local dims = {{kind = "float", low = 0, high = 10}, {kind = "float", low = 0, high = 1}}
    local p = S.parzen(dims, {{0, 0.3}, {1, 0.1}, {4, 0.95}}, {multivariate = false})
    local function close(want, got)
      assert.equals(#want, #got)
      for i = 1, #want do assert.is_true(math.abs(want[i] - got[i]) < 1e-12, ("%d: %.17g vs %.17g"):format(i, want[i], got[i])) end
    end
    close({2, 3, 3, 10}, p:params(1).sigmas)
    close({0.2, 0.2, 0.45, 1}, p:params(2).sigmas)
  end)

  it("find better Branin points than Optuna 3.1's defaults: median regret over seeds 1..20 at 100 trials", function()
    local function median_regret(opts)
      local r = {}
      for seed = 1, 20 do
        opts.seed = seed
        local st = knob.study{sampler = knob.samplers.tpe(opts), pruner = knob.pruners.none(), repeats = true}
        st:optimize(branin, {n_trials = 100})
        r[seed] = st:best().value - 0.397887357729738
      end
      table.sort(r)
      return (r[10] + r[11]) / 2
    end
    local knob_m, optuna_m = median_regret{}, median_regret{optuna_compat = true}
    assert.is_true(knob_m < optuna_m / 2, ("knob %.4g, optuna_compat %.4g"):format(knob_m, optuna_m))
  end)
end)
