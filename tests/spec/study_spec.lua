-- study_spec.lua — knob.study: trials, define-by-run suggestions, ask/tell, enqueue/fix, the cache, failures,
-- stopping rules, results and export, knob.space validation, the storage interface. Expected values are
-- hand-computed (the objectives below are simple enough to evaluate by eye).
local knob = require "knob"
local space = knob.space

local function study(opts)
  opts = opts or {}
  opts.sampler = opts.sampler or knob.samplers.random{seed = 1}
  opts.pruner = opts.pruner or knob.pruners.none()
  return knob.study(opts)
end

local function tmpname()
  local n = os.tmpname()
  os.remove(n)
  return n
end

local function slurp(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

describe("knob.study basics", function()
  it("minimizes and maximizes; best, top and trials are copies", function()
    local st = study{direction = "maximize"}
    st:optimize(function(t) return -(t:suggest_float("x", -1, 1) - 0.5) ^ 2 end, {n_trials = 30})
    assert.equals(30, st:n_trials())
    local b = st:best()
    for _, r in ipairs(st:trials()) do assert.is_true(r.value <= b.value) end
    local top = st:top(3)
    assert.equals(3, #top)
    assert.same(b.params, top[1].params)
    assert.is_true(top[1].value >= top[2].value and top[2].value >= top[3].value)
    b.params.x = 99
    assert.are_not.equal(99, st:best().params.x)
    assert.equals(30, #st:top())
    assert.matches("^trial %d+ %(complete%): value ", tostring(b))
    assert.matches("^knob.Study<study%-%d+, maximize, 30 trials, best ", tostring(st))
  end)

  it("numbers trials from 0 and records states, params, durations", function()
    local st = study{repeats = true}
    st:optimize(function(t)
      local x = t:suggest_int("x", 0, 3)
      t:set_user_attr("double", 2 * x)
      return x
    end, {n_trials = 5, callbacks = {}})
    for i, r in ipairs(st:trials()) do
      assert.equals(i - 1, r.number)
      assert.equals("complete", r.state)
      assert.equals(2 * r.params.x, r.user_attrs.double)
      assert.is_true(r.duration >= 0)
      assert.same({"x"}, r.param_order)
      assert.equals("int", r.distributions.x.kind)
    end
  end)

  it("supports conditional parameters", function()
    local st = study()
    st:optimize(function(t)
      local kind = t:suggest_categorical("kind", {"linear", "tree"})
      if kind == "linear" then return t:suggest_float("alpha", 1e-3, 1, {log = true}) end
      return t:suggest_int("depth", 1, 8)
    end, {n_trials = 30})
    for _, r in ipairs(st:trials()) do
      if r.params.kind == "linear" then
        assert.is_nil(r.params.depth)
        assert.is_not_nil(r.params.alpha)
      else
        assert.is_nil(r.params.alpha)
        assert.is_not_nil(r.params.depth)
      end
    end
  end)

  it("returns the same value when a name is suggested twice with the same distribution", function()
    local st = study()
    local t = st:ask()
    local a = t:suggest_float("x", 0, 1)
    assert.equals(a, t:suggest_float("x", 0, 1))
    assert.has_error(function() t:suggest_float("x", 0, 2) end,
      "trial:suggest_float('x'): parameter 'x' was already suggested in this trial as float [0.0, 1.0]; now float [0.0, 2.0]")
    assert.has_error(function() t:suggest_int("x", 0, 1) end,
      "trial:suggest_int('x'): parameter 'x' was already suggested in this trial as float [0.0, 1.0]; now int [0, 1]")
  end)

  it("keeps a parameter's kind and choices across trials, but lets a float range change", function()
    local st = study()
    local t = st:ask()
    t:suggest_float("x", 0, 1)
    t:suggest_categorical("c", {"a", "b"})
    st:tell(t, 1)
    local t2 = st:ask()
    assert.is_true(t2:suggest_float("x", 0, 10) <= 10)
    local t3 = st:ask()
    assert.has_error(function() t3:suggest_int("x", 0, 1) end,
      "trial:suggest_int('x'): parameter 'x' was float [0.0, 1.0] in trial 0; now int [0, 1] (a parameter keeps its kind and choices in a study)")
    assert.has_error(function() t3:suggest_categorical("c", {"a", "b", "c"}) end,
      "trial:suggest_categorical('c'): parameter 'c' was categorical {'a', 'b'} in trial 0; now categorical {'a', 'b', 'c'} (a parameter keeps its kind and choices in a study)")
  end)

  it("returns the single value of a one-point distribution without the sampler", function()
    local st = study{sampler = {sample = function() error("not called") end}}
    local t = st:ask()
    assert.equals(3.0, t:suggest_float("x", 3, 3))
    assert.equals(2, t:suggest_int("n", 2, 2))
    assert.equals("only", t:suggest_categorical("c", {"only"}))
    assert.equals(0.5, t:suggest("y", space.float(0.5, 0.5)))
  end)
end)

describe("knob.study ask/tell", function()
  it("tells values, pruned and failed states", function()
    local st = study()
    local a, b, c, d = st:ask(), st:ask(), st:ask(), st:ask()
    assert.same({0, 1, 2, 3}, {a.number, b.number, c.number, d.number})
    a:suggest_float("x", 0, 1)
    local r = st:tell(a, 0.25)
    assert.equals("complete", r.state)
    assert.equals(0.25, r.value)
    b:report(0, 3.0)
    assert.equals("pruned", st:tell(b, "pruned").state)
    local rc = st:tell(c, "failed", "out of memory")
    assert.equals("failed", rc.state)
    assert.equals("out of memory", rc.reason)
    local rd = st:tell(3, 0 / 0)
    assert.equals("failed", rd.state)
    assert.equals("objective returned NaN", rd.reason)
    assert.equals(1, st:n_trials{state = "complete"})
    assert.equals(2, st:n_trials{state = "failed"})
    assert.equals(3, #st:trials{state = {"failed", "pruned"}})
  end)

  it("rejects telling twice, foreign trials and bad results", function()
    local st, other = study(), study()
    local t = st:ask()
    st:tell(t, 1)
    assert.has_error(function() st:tell(t, 2) end, "study:tell: trial 0 is already complete")
    assert.has_error(function() st:tell(other:ask(), 1) end, "study:tell: trial 0 belongs to another study")
    assert.has_error(function() st:tell(st:ask(), "done") end, "study:tell: expected a number, 'pruned' or 'failed' (got 'done')")
    assert.has_error(function() st:tell(42, 1) end, "study:tell: no running trial number 42")
    assert.has_error(function() st:tell({}, 1) end, "study:tell: expected a trial or a trial number (got table)")
    assert.has_error(function() t:suggest_float("y", 0, 1) end, "trial:suggest_float('y'): trial 0 is finished")
  end)

  it("reports intermediate values once per step", function()
    local st = study()
    local t = st:ask()
    t:report(0, 1.5)
    t:report(3, 1.0)
    assert.has_error(function() t:report(3, 0.5) end, "trial:report: step 3 was already reported in trial 0")
    assert.has_error(function() t:report(-1, 0.5) end, "trial:report: step must be an integer >= 0 (got -1)")
    assert.has_error(function() t:report(1.5, 0.5) end, "trial:report: step must be an integer >= 0 (got 1.5)")
    assert.has_error(function() t:report(1, "x") end, "trial:report: value must be a number (got string)")
    st:tell(t, 1)
    local r = st:trials()[1]
    assert.same({[0] = 1.5, [3] = 1.0}, r.intermediate)
    assert.equals(3, r.last_step)
  end)
end)

describe("knob.study enqueue, fix and the cache", function()
  it("runs enqueued trials first with their values fixed", function()
    local st = study()
    st:enqueue{x = 0.125, n = 3}
    st:enqueue{x = 0.5}
    local seen = {}
    st:optimize(function(t)
      seen[#seen + 1] = {t:suggest_float("x", 0, 1), t:suggest_int("n", 1, 5)}
      return seen[#seen][1]
    end, {n_trials = 3})
    assert.same({0.125, 3}, seen[1])
    assert.equals(0.5, seen[2][1])
    assert.equals(0.125, st:best().value)
  end)

  it("errors for a fixed value outside the suggested distribution", function()
    local st = study()
    st:enqueue{n = 9}
    assert.has_error(function()
      st:optimize(function(t) return t:suggest_int("n", 1, 5) end, {n_trials = 1})
    end, "trial:suggest_int('n'): the fixed value 9 of parameter 'n' is outside int [1, 5]")
    assert.equals("failed", st:trials()[1].state)
  end)

  it("fixes parameters for every later trial; fix{} clears", function()
    local st = study()
    st:fix{lr = 0.01}
    st:optimize(function(t) return t:suggest_float("lr", 1e-4, 1, {log = true}) + t:suggest_float("y", 0, 1) end,
      {n_trials = 3})
    for _, r in ipairs(st:trials()) do assert.equals(0.01, r.params.lr) end
    st:fix{}
    st:optimize(function(t) return t:suggest_float("lr", 1e-4, 1, {log = true}) end, {n_trials = 1})
    assert.are_not.equal(0.01, st:trials()[4].params.lr)
  end)

  it("returns a cached value without calling the objective for a known configuration", function()
    local st = study()
    local calls = 0
    local function f(t)
      calls = calls + 1
      return t:suggest_float("x", 0, 1) + t:suggest_int("n", 1, 3)
    end
    st:enqueue{x = 0.5, n = 2}
    st:optimize(f, {n_trials = 1})
    st:enqueue{x = 0.5, n = 2}
    st:optimize(f, {n_trials = 1})
    assert.equals(1, calls)
    local r = st:trials()[2]
    assert.equals("complete", r.state)
    assert.equals(2.5, r.value)
    assert.equals(0, r.user_attrs.cached_from)
    assert.same({x = 0.5, n = 2}, r.params)
  end)

  it("stops the objective at the suggest that completes a known configuration", function()
    local st = study{sampler = knob.samplers.random{seed = 3}}
    local evaluated = 0
    st:optimize(function(t)
      local a, b = t:suggest_int("a", 1, 2), t:suggest_categorical("b", {"x", "y"})
      evaluated = evaluated + 1 -- only reached by configurations not seen before
      return a + (b == "x" and 0 or 10)
    end, {n_trials = 20})
    assert.equals(4, evaluated) -- 2 x 2 configurations
    local cached = 0
    for _, r in ipairs(st:trials()) do
      assert.equals("complete", r.state)
      assert.equals(r.params.a + (r.params.b == "x" and 0 or 10), r.value)
      if r.user_attrs.cached_from then cached = cached + 1 end
    end
    assert.equals(16, cached)
  end)

  it("evaluates every trial with repeats = true (a noisy objective)", function()
    local st = study{repeats = true}
    local calls = 0
    st:optimize(function(t)
      t:suggest_int("a", 1, 2)
      calls = calls + 1
      return calls
    end, {n_trials = 10})
    assert.equals(10, calls)
  end)
end)

describe("knob.study failures", function()
  it("records a Lua error as a failed trial with the reason and goes on", function()
    local st = study()
    st:optimize(function(t)
      local x = t:suggest_float("x", 0, 1)
      if t.number % 2 == 1 then error("diverged at " .. t.number, 0) end
      return x
    end, {n_trials = 6})
    local failed = st:trials{state = "failed"}
    assert.equals(3, #failed)
    assert.equals("diverged at 1", failed[1].reason)
    assert.matches("stack traceback", failed[1].system_attrs.traceback)
    assert.equals(3, st:n_trials{state = "complete"})
  end)

  it("fails trials that return NaN or a non-number", function()
    local st = study()
    local i = 0
    st:optimize(function(t)
      t:suggest_float("x", 0, 1)
      i = i + 1
      if i == 1 then return 0 / 0 elseif i == 2 then return "high" elseif i == 3 then return nil end
      return math.huge
    end, {n_trials = 4})
    local r = st:trials()
    assert.equals("objective returned NaN", r[1].reason)
    assert.equals("objective returned string (expected a number)", r[2].reason)
    assert.equals("objective returned nil (expected a number)", r[3].reason)
    assert.equals("complete", r[4].state)
    assert.equals(math.huge, r[4].value)
  end)

  it("re-raises with catch = false, after recording the failure", function()
    local st = study()
    assert.has_error(function()
      st:optimize(function() error("boom", 0) end, {n_trials = 5, catch = false})
    end, "boom")
    assert.equals(1, st:n_trials())
    assert.equals("boom", st:trials()[1].reason)
  end)

  it("raises when every trial of an optimize call failed", function()
    local st = study()
    assert.has_error(function()
      st:optimize(function(t) return t.undefined.field end, {n_trials = 3})
    end)
    local ok, err = pcall(st.optimize, st, function() error("typo", 0) end, {n_trials = 2})
    assert.is_false(ok)
    assert.equals("study:optimize: all 2 trials failed; the first, trial 3: typo", err)
  end)

  it("re-raises API misuse inside the objective at once", function()
    local st = study()
    local calls = 0
    assert.has_error(function()
      st:optimize(function(t)
        calls = calls + 1
        return t:suggest_float("x", 1, 0)
      end, {n_trials = 5})
    end, "trial:suggest_float('x'): low 1 is greater than high 0")
    assert.equals(1, calls)
    assert.equals("failed", st:trials()[1].state)
  end)
end)

describe("knob.study sampler and pruner errors", function()
  it("fails the trial and raises when the sampler fails at the start of a trial", function()
    local s = {name = "broken", sample = function() return 0 end, before_trial = function() error("no grid left", 0) end}
    local st = study{sampler = s}
    assert.has_error(function() st:optimize(function() return 1 end, {n_trials = 3}) end, "no grid left")
    assert.equals(1, st:n_trials())
    assert.equals("no grid left", st:trials()[1].reason)
    assert.equals(0, st:n_trials{state = "running"})
  end)

  it("re-raises a pruner's error from should_prune", function()
    local st = study{pruner = {prune = function() error("bad pruner", 0) end}}
    assert.has_error(function()
      st:optimize(function(t) t:report(0, 1); t:should_prune(); return 1 end, {n_trials = 3})
    end, "bad pruner")
    assert.equals("failed", st:trials()[1].state)
  end)
end)

describe("knob.study stopping", function()
  it("stops on timeout, on study:stop() and after no improvement", function()
    local st = study()
    local t0 = knob.core.sys.clock()
    st:optimize(function(t)
      local x = t:suggest_float("x", 0, 1)
      local t1 = knob.core.sys.clock()
      while knob.core.sys.clock() - t1 < 0.01 do end
      return x
    end, {timeout = 0.05})
    assert.is_true(knob.core.sys.clock() - t0 < 1)
    assert.is_true(st:n_trials() >= 1 and st:n_trials() <= 10)

    local st2 = study()
    st2:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 100, callbacks = {
      function(s, r) if r.number == 4 then s:stop() end end}})
    assert.equals(5, st2:n_trials())

    -- values 5, 4, 4, 4.5, 4, ... : the best (4) never improves after trial 1 -> stop after 3 stale trials
    local vals = {5, 4, 4, 4.5, 4, 3, 2, 1}
    local st3 = study()
    st3:optimize(function(t) t:suggest_float("x", 0, 1); return vals[t.number + 1] end,
      {n_trials = 8, stop_after_no_improvement = 3})
    assert.equals(5, st3:n_trials())
    -- min_improvement 1.5: 5 -> 4 (by 1) is not an improvement: stop after trials 1, 2, 3
    local st4 = study()
    st4:optimize(function(t) t:suggest_float("x", 0, 1); return vals[t.number + 1] end,
      {n_trials = 8, stop_after_no_improvement = 3, min_improvement = 1.5})
    assert.equals(4, st4:n_trials())
  end)

  it("calls every callback with a copy of each finished trial", function()
    local got = {}
    local st = study()
    st:optimize(function(t) return t:suggest_int("n", 0, 9) end, {n_trials = 3, callbacks = {
      function(s, r) got[#got + 1] = r.number; r.params.n = -1; assert.equals(st, s) end}})
    assert.same({0, 1, 2}, got)
    for _, r in ipairs(st:trials()) do assert.is_true(r.params.n >= 0) end
  end)
end)

describe("knob.study export", function()
  it("writes CSV with one row per trial and a column per parameter and user attribute", function()
    local st = study()
    st:enqueue{x = 0.5, kind = "a,b"}
    st:optimize(function(t)
      local x = t:suggest_float("x", 0, 1)
      t:suggest_categorical("kind", {"a,b", "c"})
      t:set_user_attr("note", "n" .. t.number)
      if t.number == 1 then error("bad", 0) end
      return x
    end, {n_trials = 2})
    local path = tmpname()
    assert.is_true(st:to_csv(path))
    local text = slurp(path)
    os.remove(path)
    local lines = {}
    for l in text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equals("number,state,value,duration,params_kind,params_x,user_attrs_note,reason", lines[1])
    assert.matches('^0,complete,0.5,[^,]*,"a,b",0.5,n0,$', lines[2])
    assert.matches("^1,failed,,[^,]*,.+,[^,]+,n1,bad$", lines[3]) -- kind may be "a,b" (quoted) or c
    local ok, msg = st:to_csv("/nonexistent-dir/x.csv")
    assert.is_nil(ok)
    assert.matches("^study:to_csv: ", msg)
  end)

  it("writes JSON with the trials, their parameters and distributions", function()
    local st = study{name = 'quote"d'}
    st:optimize(function(t)
      t:report(0, 0 / 0)
      return t:suggest_int("n", 1, 3) + 0.5
    end, {n_trials = 1})
    local text = st:to_json()
    assert.matches('^{"name":"quote\\"d","directions":%["minimize"%],"trials":%[{"number":0,"state":"complete",', text)
    assert.matches('"params":{"n":%d}', text)
    assert.matches('"distributions":{"n":{"high":3,"kind":"int","log":false,"low":1,"step":1}}', text)
    assert.matches('"intermediate":{"0":null}', text)
    local path = tmpname()
    assert.is_true(st:to_json(path))
    assert.equals(text .. "\n", slurp(path))
    os.remove(path)
  end)
end)

describe("knob.space and suggestion validation", function()
  it("adjusts high to the last step like Optuna", function()
    local d = space.float(0, 1, {step = 0.3})
    assert.equals(0.8999999999999999, d.high) -- 0 + 3 * 0.3
    assert.equals(1.0, space.float(0, 1, {step = 0.1}).high)
    assert.equals(9, space.int(1, 10, {step = 2}).high)
    local st = study()
    st:optimize(function(t) return t:suggest_float("x", 0, 1, {step = 0.3}) + t:suggest_int("n", 1, 10, {step = 2}) end,
      {n_trials = 40})
    local xs, ns = {}, {}
    for _, r in ipairs(st:trials()) do
      xs[r.params.x], ns[r.params.n] = true, true
      assert.is_true(r.params.n % 2 == 1 and r.params.n <= 9)
    end
    for x in pairs(xs) do assert.is_true(space.contains(d, x)) end
  end)

  it("maps unit coordinates like Optuna's random sampler (hand-computed)", function()
    assert.equals(0.25, space.from_unit(space.float(0, 1), 0.25))
    assert.is_true(math.abs(space.from_unit(space.float(1, 100, {log = true}), 0.5) - 10) < 1e-14)
    assert.is_true(math.abs(space.from_unit(space.float(0, 1, {step = 0.2}), 0.6) - 0.6) < 1e-15) -- 6 points, cell 3
    assert.equals(5, space.from_unit(space.int(1, 9, {step = 2}), 0.5))
    assert.equals("c", space.from_unit(space.categorical{"a", "b", "c"}, 0.99))
    -- int log: round(exp(log(0.5) + u (log(10.5) - log(0.5))))
    assert.equals(2, space.from_unit(space.int(1, 10, {log = true}), 0.5)) -- exp(0.5 log 21 - log 2) = 2.29
  end)

  local t -- a trial for the bad-input cases
  before_each(function() t = study():ask() end)
  local cases = {
    {function() t:suggest_float("x", 1, 0) end, "trial:suggest_float('x'): low 1 is greater than high 0"},
    {function() t:suggest_float("x", 0, 1, {log = true}) end, "trial:suggest_float('x'): log needs low > 0 (got 0)"},
    {function() t:suggest_float("x", -1, 1, {log = true}) end, "trial:suggest_float('x'): log needs low > 0 (got -1)"},
    {function() t:suggest_float("x", 0.1, 1, {log = true, step = 0.1}) end, "trial:suggest_float('x'): options 'step' and 'log' cannot be used together"},
    {function() t:suggest_float("x", 0, 1, {step = 0}) end, "trial:suggest_float('x'): option 'step' must be > 0 (got 0)"},
    {function() t:suggest_float("x", 0, 1, {step = 0 / 0}) end, "trial:suggest_float('x'): option 'step' is NaN"},
    {function() t:suggest_float("x", 0 / 0, 1) end, "trial:suggest_float('x'): low is NaN"},
    {function() t:suggest_float("x", 0, math.huge) end, "trial:suggest_float('x'): high must be finite (got inf)"},
    {function() t:suggest_float("x", "0", 1) end, "trial:suggest_float('x'): low must be a number (got string)"},
    {function() t:suggest_float("x", 0, 1, {lg = true}) end, "trial:suggest_float('x'): unknown option 'lg' (valid: log, step)"},
    {function() t:suggest_float("x", 0, 1, {log = "yes"}) end, "trial:suggest_float('x'): option 'log' must be a boolean (got string)"},
    {function() t:suggest_float("x", 0, 1, true) end, "trial:suggest_float('x'): options must be a table (got boolean)"},
    {function() t:suggest_float("", 0, 1) end, "trial:suggest_float: the parameter name must be a non-empty string (got '')"},
    {function() t:suggest_float(3, 0, 1) end, "trial:suggest_float: the parameter name must be a non-empty string (got 3)"},
    {function() t:suggest_int("n", 1.5, 3) end, "trial:suggest_int('n'): low must be an integer (got 1.5)"},
    {function() t:suggest_int("n", 5, 3) end, "trial:suggest_int('n'): low 5 is greater than high 3"},
    {function() t:suggest_int("n", 0, 3, {log = true}) end, "trial:suggest_int('n'): log needs low >= 1 (got 0)"},
    {function() t:suggest_int("n", 1, 9, {log = true, step = 2}) end, "trial:suggest_int('n'): option 'step' must be 1 with log (got 2)"},
    {function() t:suggest_int("n", 1, 9, {step = 0}) end, "trial:suggest_int('n'): option 'step' must be >= 1 (got 0)"},
    {function() t:suggest_int("n", 1, 9, {step = 1.5}) end, "trial:suggest_int('n'): option 'step' must be an integer (got 1.5)"},
    {function() t:suggest_categorical("c", {}) end, "trial:suggest_categorical('c'): choices is empty"},
    {function() t:suggest_categorical("c", "ab") end, "trial:suggest_categorical('c'): choices must be an array (got string)"},
    {function() t:suggest_categorical("c", {1, 2, 1}) end, "trial:suggest_categorical('c'): choice 1 appears twice (1 and 3)"},
    {function() t:suggest_categorical("c", {1, 0 / 0}) end, "trial:suggest_categorical('c'): choice 2 is NaN"},
    {function() t:suggest_categorical("c", {1, {}}) end, "trial:suggest_categorical('c'): choice 2 must be a number, string or boolean (got table)"},
    {function() t:suggest_categorical("c", {a = 1}) end, "trial:suggest_categorical('c'): choices is empty"},
    {function() t:suggest("c", {kind = "normal"}) end, "trial:suggest('c'): not a distribution (a table with kind = float, int or categorical)"},
    {function() t:set_user_attr(1, 2) end, "trial:set_user_attr: key must be a string (got number)"},
    {function() t:set_user_attr("f", print) end, "trial:set_user_attr: value of 'f' must be a number, string, boolean or table (got function)"},
    {function() space{} end, "knob.space: the space is empty"},
    {function() space{x = 3} end, "knob.space: parameter 'x': must be a distribution or a list of values (got number)"},
  }
  for i, c in ipairs(cases) do
    it("bad input " .. i .. ": " .. c[2], function() assert.has_error(c[1], c[2]) end)
  end
end)

describe("knob.study options", function()
  local cases = {
    {function() knob.study{direction = "up"} end, "knob.study: direction must be 'minimize' or 'maximize' (got 'up')"},
    {function() knob.study{direction = "minimize", directions = {"minimize"}} end, "knob.study: give direction or directions, not both"},
    {function() knob.study{directions = {"minimize", "up"}} end, "knob.study: direction must be 'minimize' or 'maximize' (got 'up')"},
    {function() knob.study{directions = {}} end, "knob.study: option 'directions' must be a non-empty array"},
    {function() knob.study{nam = "x"} end, "knob.study: unknown option 'nam' (valid: name, direction, directions, sampler, pruner, storage, load_if_exists, repeats, metric_names)"},
    {function() knob.study{name = ""} end, "knob.study: option 'name' must be a non-empty string (got '')"},
    {function() knob.study{repeats = 1} end, "knob.study: option 'repeats' must be a boolean (got number)"},
    {function() knob.study{sampler = 3} end, "knob.study: option 'sampler': a sampler must be a table (got number)"},
    {function() knob.study{storage = "sqlite:"} end, "knob.study: storage 'sqlite:' needs a file path (\"sqlite:path.db\")"},
    {function() knob.study{storage = "redis://x"} end, "knob.study: unknown storage 'redis://x' (valid: \"memory\", \"sqlite:path.db\", \"postgresql://user@host/db\", a backend table)"},
    {function() knob.study{storage = {}} end, "knob.study: the storage backend lacks create_study, load_study, list_studies, delete_study, set_study_attr, add_trial, pop_waiting, get_trial, set_param, report_intermediate, set_trial_attr, update_trial, trials, count_trials, close"},
    {function() knob.study("x") end, "knob.study: options must be a table (got string)"},
  }
  for i, c in ipairs(cases) do
    it("bad option " .. i .. ": " .. c[2], function() assert.has_error(c[1], c[2]) end)
  end

  local st = knob.study{sampler = knob.samplers.random{seed = 1}}
  local f = function(t) return t:suggest_float("x", 0, 1) end
  local ocases = {
    {function() st:optimize(f, {n_trials = 0}) end, "study:optimize: option 'n_trials' must be an integer >= 1 (got 0)"},
    {function() st:optimize(f, {n_trials = 2.5}) end, "study:optimize: option 'n_trials' must be an integer >= 1 (got 2.5)"},
    {function() st:optimize(f, {timeout = -1}) end, "study:optimize: option 'timeout' must be a number > 0 (got -1)"},
    {function() st:optimize(f, {jobs = 0}) end, "study:optimize: option 'jobs' must be an integer >= 1 (got 0)"},
    {function() st:optimize(f, {catch = "yes"}) end, "study:optimize: option 'catch' must be a boolean (got string)"},
    {function() st:optimize(f, {callbacks = {1}}) end, "study:optimize: callback 1 must be a function (got number)"},
    {function() st:optimize(f, {n_trial = 3}) end, "study:optimize: unknown option 'n_trial' (valid: n_trials, timeout, jobs, callbacks, catch, stop_after_no_improvement, min_improvement, trial_timeout, trial_memory, progress)"},
    {function() st:optimize(f, {min_improvement = 0 / 0}) end, "study:optimize: option 'min_improvement' must be a number >= 0 (got NaN)"},
    {function() st:optimize(nil, {n_trials = 1}) end, "study:optimize: objective must be a function (got nil)"},
    {function() st:top(0) end, "study:top: k must be an integer >= 1 (got 0)"},
    {function() st:trials{state = "done"} end, "study:trials: unknown trial state 'done' (valid: waiting, running, complete, pruned, failed)"},
    {function() st:enqueue{x = 0 / 0} end, "study:enqueue: parameter 'x' must be a number, string or boolean (got NaN)"},
    {function() st:enqueue{[1] = 2} end, "study:enqueue: parameter names must be non-empty strings (got 1)"},
    {function() st:fix(3) end, "study:fix: parameters must be a table of name = value (got number)"},
  }
  for i, c in ipairs(ocases) do
    it("bad call " .. i .. ": " .. c[2], function() assert.has_error(c[1], c[2]) end)
  end
end)

describe("knob.storage", function()
  it("shares a backend between study objects: resume by name", function()
    local backend = require("knob.storage.memory").new()
    local a = knob.study{name = "shared", storage = backend, sampler = knob.samplers.random{seed = 1}}
    a:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 3})
    assert.has_error(function() knob.study{name = "shared", storage = backend} end,
      "knob.study: study 'shared' already exists in this storage (load_if_exists = true resumes it)")
    local b = knob.study{name = "shared", storage = backend, load_if_exists = true, sampler = knob.samplers.random{seed = 2}}
    b:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 2})
    assert.equals(5, a:n_trials())
    local c = knob.study.load{name = "shared", storage = backend}
    assert.same(a:best().params, c:best().params)
    assert.has_error(function() knob.study.load{name = "nope", storage = backend} end, "knob.study.load: no study 'nope' in this storage")
    assert.has_error(function() knob.study{name = "shared", storage = backend, load_if_exists = true, direction = "maximize"} end,
      "knob.study: study 'shared' exists with direction minimize (asked: maximize)")
  end)

  it("implements every call of the interface in the memory backend", function()
    local storage = require "knob.storage"
    local m = storage.open()
    assert.equals(m, storage.check(m))
    for _, name in ipairs(storage.METHODS) do assert.equals("function", type(m[name])) end
    local s = m:create_study{name = "s", directions = {"maximize"}}
    assert.same({"maximize"}, m:load_study("s").directions)
    assert.equals(1, #m:list_studies())
    local w = m:add_trial(s.id, {state = "waiting", system_attrs = {fixed_params = {x = 1}}})
    local r = m:add_trial(s.id)
    assert.same({0, 1}, {w.number, r.number})
    assert.equals(w.id, m:pop_waiting(s.id).id)
    assert.is_nil(m:pop_waiting(s.id))
    m:set_param(r.id, "x", 0.5, space.float(0, 1))
    m:report_intermediate(r.id, 2, 0.1)
    m:set_trial_attr(r.id, "user", "k", "v")
    m:update_trial(r.id, {state = "complete", values = {0.5}})
    assert.has_error(function() m:update_trial(r.id, {state = "failed"}) end, "storage (memory): update_trial: trial 1 is complete, not running")
    assert.has_error(function() m:set_param(r.id, "y", 1, space.float(0, 1)) end, "storage (memory): set_param: trial 1 is complete, not running")
    assert.has_error(function() m:update_trial(w.id, {state = "done"}) end, "storage (memory): update_trial: state must be complete, pruned or failed (got done)")
    assert.has_error(function() m:set_trial_attr(r.id, "owner", "k", 1) end, "storage (memory): attribute kind must be 'user' or 'system' (got owner)")
    assert.has_error(function() m:get_trial(99) end, "storage (memory): no trial with id 99")
    assert.equals(1, m:count_trials(s.id, {complete = true}))
    assert.equals(2, #m:trials(s.id))
    assert.equals(0.5, m:get_trial(r.id).value)
    assert.equals(2, m:get_trial(r.id).last_step)
    m:delete_study(s.id)
    assert.is_nil(m:load_study("s"))
    m:close()
  end)
end)
