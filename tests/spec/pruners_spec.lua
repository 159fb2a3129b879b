-- pruners_spec.lua — knob.pruners: median, percentile, successive halving, hyperband, patience.
--
-- Two kinds of expected values:
--  * small hand-made histories whose decision is computed by hand in the comments;
--  * decision sequences on 20 deterministic learning curves, produced once with Optuna 3.1.0 (Debian
--    python3-optuna) by this script (every trial reports steps 0..n_steps-1, stops at the first step where
--    should_prune() is true; -1 = never pruned):
--
--      import optuna; from optuna.trial import TrialState
--      bases = [3.0, 1.0, 2.5, 0.5, 4.0, 1.5, 0.8, 3.5, 0.3, 2.0, 1.2, 0.6, 2.8, 0.9, 1.8, 0.4, 3.2, 1.1, 0.7, 2.2]
--      def curve(i, s):
--          b = bases[i % len(bases)]
--          return b * (1 + 2.0 / (s + 1)) + (0.3 if i % 3 == 0 else 0.0) * s / 10
--      def run(pruner, n_trials, n_steps, direction="minimize", name="s"):
--          st = optuna.create_study(study_name=name, direction=direction, pruner=pruner)
--          out = []
--          for i in range(n_trials):
--              t = st.ask(); pr = -1
--              for s in range(n_steps):
--                  t.report(curve(i, s) if direction == "minimize" else -curve(i, s), s)
--                  if t.should_prune(): pr = s; break
--              if pr >= 0: st.tell(t, state=TrialState.PRUNED)
--              else: st.tell(t, curve(i, n_steps-1) if direction == "minimize" else -curve(i, n_steps-1))
--              out.append(pr)
--          return out
--      P = optuna.pruners
--      run(P.MedianPruner(n_startup_trials=3, n_warmup_steps=2), 20, 10)            # and "maximize"
--      run(P.PercentilePruner(25.0, n_startup_trials=4, n_warmup_steps=1, interval_steps=3, n_min_trials=3), 20, 10)
--      run(P.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, min_early_stopping_rate=0), 20, 10)
--      run(P.SuccessiveHalvingPruner(), 20, 300)
--      run(P.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, min_early_stopping_rate=1,
--                                    bootstrap_count=1), 20, 30, "maximize")
--      run(P.HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3), 20, 27, name="hb")
--      run(P.HyperbandPruner(min_resource=1, reduction_factor=2), 20, 16, name="hb2")
--      run(P.PatientPruner(None, patience=2, min_delta=0.0), 20, 10)
local knob = require "knob"
local P = knob.pruners

local bases = {3.0, 1.0, 2.5, 0.5, 4.0, 1.5, 0.8, 3.5, 0.3, 2.0, 1.2, 0.6, 2.8, 0.9, 1.8, 0.4, 3.2, 1.1, 0.7, 2.2}
local function curve(i, s)
  local b = bases[i % #bases + 1]
  return b * (1 + 2.0 / (s + 1)) + (i % 3 == 0 and 0.3 or 0.0) * s / 10
end

local function run(pruner, n_trials, n_steps, direction, name)
  direction = direction or "minimize"
  local sign = direction == "minimize" and 1 or -1
  local st = knob.study{name = name or "s", direction = direction, pruner = pruner,
                        sampler = knob.samplers.random{seed = 1}}
  local out = {}
  for i = 0, n_trials - 1 do
    local t = st:ask()
    local pr = -1
    for s = 0, n_steps - 1 do
      t:report(s, sign * curve(i, s))
      if t:should_prune() then
        pr = s
        break
      end
    end
    if pr >= 0 then st:tell(t, "pruned") else st:tell(t, sign * curve(i, n_steps - 1)) end
    out[#out + 1] = pr
  end
  return out
end

-- A study with hand-made histories: complete = {{v0, v1, ...}, ...} reported at steps 0, 1, ...; returns the
-- study and a running trial that reported `running`.
local function history(pruner, complete, running, direction)
  local st = knob.study{direction = direction or "minimize", pruner = pruner, sampler = knob.samplers.random{seed = 1}}
  for _, vals in ipairs(complete) do
    local t = st:ask()
    for s, v in ipairs(vals) do t:report(s - 1, v) end
    st:tell(t, vals[#vals])
  end
  local t = st:ask()
  for s, v in pairs(running) do t:report(s, v) end
  return st, t
end

describe("knob.pruners.median / percentile", function()
  local complete = {{1.0, 0.8, 0.6, 0.5}, {2.0, 1.5, 1.0, 0.9}, {0.5, 0.4, 0.3, 0.2}}

  it("prunes a trial whose best value is worse than the median at its step (hand-computed)", function()
    -- step 1: completed values 0.8, 1.5, 0.4 -> median 0.8; the trial's best so far is 1.2 > 0.8 -> prune
    local _, t = history(P.median{n_startup_trials = 2}, complete, {[0] = 1.5, [1] = 1.2})
    assert.is_true(t:should_prune())
    -- best so far 0.3 (step 0) < 0.8 -> keep, although its step-1 value 0.7 is worse
    local _, t2 = history(P.median{n_startup_trials = 2}, complete, {[0] = 0.3, [1] = 0.7})
    assert.is_false(t2:should_prune())
  end)

  it("respects n_startup_trials, n_warmup_steps and interval_steps (hand-computed)", function()
    local _, t = history(P.median{n_startup_trials = 4}, complete, {[0] = 1.5, [1] = 1.2})
    assert.is_false(t:should_prune()) -- only 3 complete trials
    local _, t2 = history(P.median{n_warmup_steps = 2}, complete, {[0] = 1.5, [1] = 1.2})
    assert.is_false(t2:should_prune()) -- step 1 < 2 warm-up steps
    -- interval 2 from warm-up 0: checks at the first report in [0,2), [2,4): step 1 follows step 0 -> no check
    local _, t3 = history(P.median{interval_steps = 2}, complete, {[0] = 1.5, [1] = 1.2})
    assert.is_false(t3:should_prune())
    -- n_min_trials 4: only 3 complete trials reported step 1 -> no decision
    local _, t4 = history(P.median{n_min_trials = 4}, complete, {[0] = 1.5, [1] = 1.2})
    assert.is_false(t4:should_prune())
  end)

  it("maximize compares with the 100 - p percentile (hand-computed)", function()
    -- step 1 values 0.8, 1.5, 0.4; percentile 25 for maximize = the 75th: 0.8 + 0.5 * (1.5 - 0.8) = 1.15
    local _, t = history(P.percentile{percentile = 25, n_startup_trials = 0}, complete, {[0] = 1.0, [1] = 1.1}, "maximize")
    assert.is_true(t:should_prune()) -- best 1.1 < 1.15
    local _, t2 = history(P.percentile{percentile = 25, n_startup_trials = 0}, complete, {[0] = 1.2, [1] = 0.1}, "maximize")
    assert.is_false(t2:should_prune()) -- best 1.2 >= 1.15
  end)

  it("prunes a trial that reported only NaN; never before a report", function()
    local _, t = history(P.median{n_startup_trials = 0}, complete, {[0] = 0 / 0})
    assert.is_true(t:should_prune())
    local _, t2 = history(P.median{n_startup_trials = 0}, complete, {})
    assert.is_false(t2:should_prune())
  end)

  it("matches Optuna's decisions on 20 learning curves", function()
    local median = {-1, -1, -1, -1, 2, -1, -1, 2, -1, 2, 2, -1, 2, -1, 2, -1, 2, 2, -1, 2}
    assert.same(median, run(P.median{n_startup_trials = 3, n_warmup_steps = 2}, 20, 10))
    assert.same(median, run(P.median{n_startup_trials = 3, n_warmup_steps = 2}, 20, 10, "maximize"))
    assert.same({-1, -1, -1, -1, 1, 1, 7, 1, -1, 1, 1, 1, 1, 1, 1, -1, 1, 1, 1, 1},
      run(P.percentile{percentile = 25, n_startup_trials = 4, n_warmup_steps = 1, interval_steps = 3, n_min_trials = 3}, 20, 10))
  end)

  it("computes percentiles like numpy.nanpercentile", function()
    -- np.nanpercentile([3, 1, nan, 2, 10], 25) = 1.75; ([0.1,0.7,0.2,0.3], 60) = 0.27999999999999997;
    -- ([0.1,0.7,0.2,0.3,5,1.1,0.01], 33.3) = 0.19979999999999998 (numpy 1.24.2)
    assert.equals(1.75, P._percentile({3.0, 1.0, 0 / 0, 2.0, 10.0}, 25))
    assert.equals(0.27999999999999997, P._percentile({0.1, 0.7, 0.2, 0.3}, 60))
    assert.equals(0.19979999999999998, P._percentile({0.1, 0.7, 0.2, 0.3, 5, 1.1, 0.01}, 33.3))
    assert.is_nil(P._percentile({0 / 0}, 50))
  end)
end)

describe("knob.pruners.successive_halving", function()
  it("promotes the top 1/reduction_factor at each rung (hand-computed)", function()
    -- min_resource 1, rf 2: rung 0 at step 1, rung 1 at step 2, rung 2 at step 4.
    local st = knob.study{pruner = P.successive_halving{min_resource = 1, reduction_factor = 2},
                          sampler = knob.samplers.random{seed = 1}}
    local a = st:ask()
    a:report(0, 5)
    assert.is_false(a:should_prune()) -- step 0 < 1
    a:report(1, 5)
    -- rung 0 competitors {5}: 1 // 2 - 1 = -1 -> index 0: 5 <= 5 -> promoted; rung 1 needs step 2
    assert.is_false(a:should_prune())
    local b = st:ask()
    b:report(1, 7)
    -- rung 0 competitors {5, 7}: 2 // 2 - 1 = 0 -> promoted only if <= 5 -> pruned
    assert.is_true(b:should_prune())
    local c = st:ask()
    c:report(1, 3)
    -- {5, 7, 3}: index 0 -> 3 <= 3 -> promoted
    assert.is_false(c:should_prune())
    assert.equals(3, st.storage:get_trial(c.id).system_attrs.completed_rung_0)
  end)

  it("matches Optuna's decisions on 20 learning curves", function()
    assert.same({-1, -1, 1, -1, 1, 2, -1, 1, -1, 1, 2, -1, 1, 2, 1, -1, 1, 2, 4, 1},
      run(P.successive_halving{min_resource = 1, reduction_factor = 2, min_early_stopping_rate = 0}, 20, 10))
    assert.same({-1, -1, 2, 32, 2, 2, 2, 2, -1, 2, 2, 2, 2, 2, 2, 8, 2, 2, 2, 2},
      run(P.successive_halving(), 20, 300))
    assert.same({6, 18, 6, -1, 6, 6, 18, 6, -1, 6, 6, 18, 6, 18, 6, 18, 6, 6, 18, 6},
      run(P.successive_halving{min_resource = 2, reduction_factor = 3, min_early_stopping_rate = 1, bootstrap_count = 1},
          20, 30, "maximize"))
  end)
end)

describe("knob.pruners.hyperband", function()
  it("assigns brackets by crc32 like Optuna", function()
    -- binascii.crc32(b"hb_7") = 287046442, binascii.crc32(b"hello world") = 222957957
    assert.equals(287046442, P._crc32("hb_7"))
    assert.equals(222957957, P._crc32("hello world"))
  end)

  it("matches Optuna's decisions on 20 learning curves", function()
    assert.same({-1, -1, 3, -1, 3, 1, 1, 3, -1, 3, -1, 1, -1, -1, 1, 3, 3, 9, 1, -1},
      run(P.hyperband{min_resource = 1, max_resource = 27, reduction_factor = 3}, 20, 27, nil, "hb"))
    assert.same({-1, -1, 2, -1, -1, 2, -1, 8, -1, 8, -1, -1, 4, -1, 2, -1, 2, 4, 1, 1},
      run(P.hyperband{min_resource = 1, reduction_factor = 2}, 20, 16, nil, "hb2"))
  end)
end)

describe("knob.pruners.patience", function()
  it("prunes when the last patience + 1 values do not improve (hand-computed)", function()
    -- values 1.0, 0.8, 0.9, 0.85 with patience 2: before = {1.0} best 1.0, after = {0.8, 0.9, 0.85} best 0.8:
    -- improved -> keep; then 0.95: before {1.0, 0.8} best 0.8, after {0.9, 0.85, 0.95} best 0.85 > 0.8 -> prune
    local st = knob.study{pruner = P.patience{patience = 2}, sampler = knob.samplers.random{seed = 1}}
    local t = st:ask()
    for s, v in ipairs{1.0, 0.8, 0.9, 0.85} do t:report(s - 1, v) end
    assert.is_false(t:should_prune())
    t:report(4, 0.95)
    assert.is_true(t:should_prune())
    -- min_delta 0.1: 0.85 is within 0.8 + 0.1 -> not a stall
    local st2 = knob.study{pruner = P.patience{patience = 2, min_delta = 0.1}, sampler = knob.samplers.random{seed = 1}}
    local t2 = st2:ask()
    for s, v in ipairs{1.0, 0.8, 0.9, 0.85, 0.95} do t2:report(s - 1, v) end
    assert.is_true(t2:should_prune() == false)
  end)

  it("asks the wrapped pruner before pruning", function()
    local says = false
    local wrapped = {prune = function() return says end}
    local st = knob.study{pruner = P.patience{patience = 0, wrapped = wrapped}, sampler = knob.samplers.random{seed = 1}}
    local t = st:ask()
    t:report(0, 1)
    t:report(1, 2)
    assert.is_false(t:should_prune())
    says = true
    assert.is_true(t:should_prune())
  end)

  it("matches Optuna's decisions on 20 learning curves", function()
    assert.same({-1, -1, -1, 8, -1, -1, 9, -1, -1, -1, -1, -1, -1, -1, -1, 7, -1, -1, 9, -1},
      run(P.patience{patience = 2, min_delta = 0.0}, 20, 10))
  end)
end)

describe("pruning inside optimize", function()
  it("trial:prune() marks the trial pruned and the study goes on", function()
    local st = knob.study{pruner = P.median{n_startup_trials = 1}, sampler = knob.samplers.random{seed = 3}}
    local n = 0
    st:optimize(function(t)
      n = n + 1
      local x = t:suggest_float("x", 0, 1)
      for step = 0, 4 do
        t:report(step, x * (5 - step))
        if t:should_prune() then t:prune() end
      end
      return x
    end, {n_trials = 20})
    assert.equals(20, n)
    assert.is_true(st:n_trials{state = "pruned"} > 0)
    assert.equals(20, st:n_trials{state = {"complete", "pruned"}})
    for _, r in ipairs(st:trials{state = "pruned"}) do assert.is_nil(r.value) end
  end)

  it("none() never prunes", function()
    local _, t = history(P.none(), {{1}, {1}}, {[0] = 100})
    assert.is_false(t:should_prune())
  end)
end)

describe("knob.pruners bad input", function()
  local cases = {
    {function() P.median{n_startup_trials = -1} end, "knob.pruners.median: option 'n_startup_trials' must be an integer >= 0 (got -1)"},
    {function() P.median{n_warmup = 1} end, "knob.pruners.median: unknown option 'n_warmup' (valid: n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)"},
    {function() P.median{interval_steps = 0} end, "knob.pruners.median: option 'interval_steps' must be an integer >= 1 (got 0)"},
    {function() P.median{n_warmup_steps = 1.5} end, "knob.pruners.median: option 'n_warmup_steps' must be an integer >= 0 (got 1.5)"},
    {function() P.median("x") end, "knob.pruners.median: options must be a table (got string)"},
    {function() P.percentile{} end, "knob.pruners.percentile: option 'percentile' is required (a number in [0, 100])"},
    {function() P.percentile{percentile = 101} end, "knob.pruners.percentile: option 'percentile' must be a number in [0, 100] (got 101)"},
    {function() P.percentile{percentile = 0 / 0} end, "knob.pruners.percentile: option 'percentile' must be a number in [0, 100] (got NaN)"},
    {function() P.percentile{percentile = "50"} end, "knob.pruners.percentile: option 'percentile' must be a number in [0, 100] (got string)"},
    {function() P.successive_halving{reduction_factor = 1} end, "knob.pruners.successive_halving: option 'reduction_factor' must be an integer >= 2 (got 1)"},
    {function() P.successive_halving{min_resource = 0} end, "knob.pruners.successive_halving: option 'min_resource' must be an integer >= 1 or \"auto\" (got 0)"},
    {function() P.successive_halving{min_resource = "x"} end, "knob.pruners.successive_halving: option 'min_resource' must be an integer >= 1 or \"auto\" (got 'x')"},
    {function() P.successive_halving{bootstrap_count = 2} end, "knob.pruners.successive_halving: bootstrap_count > 0 needs an integer min_resource (not \"auto\")"},
    {function() P.hyperband{max_resource = 2, min_resource = 3} end, "knob.pruners.hyperband: max_resource 2 is below min_resource 3"},
    {function() P.hyperband{bootstrap_count = 1} end, "knob.pruners.hyperband: bootstrap_count > 0 needs an integer max_resource (not \"auto\")"},
    {function() P.hyperband{reduction_factor = 2.5} end, "knob.pruners.hyperband: option 'reduction_factor' must be an integer >= 2 (got 2.5)"},
    {function() P.patience{} end, "knob.pruners.patience: option 'patience' is required (an integer >= 0)"},
    {function() P.patience{patience = -1} end, "knob.pruners.patience: option 'patience' must be an integer >= 0 (got -1)"},
    {function() P.patience{patience = 1, min_delta = -0.1} end, "knob.pruners.patience: option 'min_delta' must be a number in [0, inf] (got -0.1)"},
    {function() P.patience{patience = 1, wrapped = 3} end, "knob.pruners.patience: option 'wrapped' must be a pruner (a table with prune) (got number)"},
    {function() knob.study{pruner = {}} end, "knob.study: option 'pruner' must be a table with a prune(study, record) method (got table)"},
  }
  for i, c in ipairs(cases) do
    it("case " .. i .. ": " .. c[2], function() assert.has_error(c[1], c[2]) end)
  end
end)
