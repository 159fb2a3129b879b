-- study_parallel_spec.lua — study:optimize{jobs =, trial_timeout =, trial_memory =} (knob.workers) and the
-- process primitive under it (knob.core.proc). Expected values are hand-computed: the objectives return
-- simple functions of their parameters, the failure reasons are the texts the issue asks for, and thread
-- counts follow max(1, floor(T / jobs)).
local knob = require "knob"
local proc = require("knob.core").proc
local workers = require "knob.workers"

local helpers = require "helpers"

-- A study with a seeded random sampler and no pruner unless opts say otherwise.
local function study(opts)
  local o = {sampler = knob.samplers.random{seed = 1}, pruner = knob.pruners.none()}
  for k, v in pairs(opts or {}) do o[k] = v end
  return knob.study(o)
end

local function by_number(st)
  local t = {}
  for _, r in ipairs(st:trials()) do t[r.number] = r end
  return t
end

-- Under the ASan build a failed allocation is reported by the sanitizer's allocator (the process exits),
-- not by malloc returning NULL; the reason then says the process died under the memory limit.
local SAN = (os.getenv("KNOB_TEST_EXE") or ""):find("build%-san") ~= nil

describe("knob.core.proc", function()
  it("forks, exchanges messages and tells how a worker ended", function()
    local w, child = proc.fork{}
    if child then
      local m = w:recv(true)
      w:send("echo:" .. m)
      w:send(("x"):rep(200000)) -- longer than a pipe buffer
      w:exit(0)
    end
    assert.matches("^knob.Proc<pid %d+>$", tostring(w))
    assert.is_true(w:send("hi"))
    local got = {}
    while true do
      proc.poll({w})
      local m = w:recv()
      if m == nil then break end
      if m then got[#got + 1] = m end
    end
    assert.equals("echo:hi", got[1])
    assert.equals(200000, #got[2])
    local e = w:reap()
    assert.same({exited = true, code = 0, signal = 0, timed_out = false, reason = ""}, e)
    w:close()
    assert.has_error(function() w:send("x") end, "worker is closed")
    assert.equals("knob.Proc<closed>", tostring(w))
  end)

  it("reports signals, exit codes and the time limit", function()
    local function run(limits, body)
      local w, child = proc.fork(limits)
      if child then body() w:exit(0) end
      repeat proc.poll({w}) until w:recv() == nil
      local e = w:reap()
      w:close()
      return e
    end
    assert.equals("killed by signal 11 (SIGSEGV)", run({}, function() proc._crash("segv") end).reason)
    assert.equals("killed by signal 6 (SIGABRT)", run({}, function() proc._crash("abort") end).reason)
    assert.equals("the worker process exited with status 3", run({}, function() os.exit(3) end).reason)
    local e = run({time_limit = 0.2}, function() while true do end end)
    assert.equals("exceeded the trial time limit of 0.2 s", e.reason)
    assert.is_true(e.timed_out)
    assert.equals(9, e.signal)
  end)

  it("rejects bad limits and options", function()
    assert.has_error(function() proc.fork{time_limit = -1} end,
      "proc.fork: limits must be finite numbers >= 0 (time -1 s, memory 0 MB)")
    assert.has_error(function() proc.fork{memory_limit = 0 / 0} end)
    assert.has_error(function() proc.fork{timeout = 1} end)
    assert.has_error(function() proc.fork{time_limit = "1"} end)
    assert.has_error(function() proc.poll("x") end)
    assert.has_error(function() proc._crash("nope") end)
    assert.has_error(function() proc.set_threads("x") end)
  end)

  it("plans threads per worker and a worker sees them", function()
    local pool = proc.threads()
    assert.equals(math.max(1, pool // 2), workers.plan_threads(2))
    assert.equals(math.max(1, pool // 64), workers.plan_threads(64))
    assert.equals(pool, workers.plan_threads(1))
  end)
end)

describe("knob.workers messages", function()
  it("round-trips values exactly", function()
    local v = {1, 2.5, 0.1, 1 / 3, -0.0, math.huge, -math.huge, math.maxinteger, math.mininteger, "a\0b", true, false,
               {x = {1, "y"}, [3] = 4.0}}
    local back = workers.decode(workers.encode(v))
    for i = 1, 12 do
      assert.equals(v[i], back[i])
      assert.equals(math.type(v[i]), math.type(back[i]))
    end
    assert.same(v[13], back[13])
    assert.equals("float", math.type(back[13][3]))
    local nan = workers.decode(workers.encode(0 / 0))
    assert.is_true(nan ~= nan)
    assert.has_error(function() workers.encode(print) end, "knob.workers: cannot send a function value to the parent process")
    assert.has_error(function() workers.decode("Tx") end)
    assert.has_error(function() workers.decode("t!") end, "knob.workers: a malformed message (1 bytes left over)")
  end)
end)

describe("study:optimize with worker processes", function()
  it("fails crashing, exiting, erroring, looping and allocating trials with their reasons; the rest complete", function()
    local st = study{repeats = true}
    st:optimize(function(t)
      local x = t:suggest_int("x", 0, 100)
      local n = t.number
      if n == 1 then proc._crash("segv") end
      if n == 2 then os.exit(3) end
      if n == 3 then error("boom") end
      if n == 4 then while true do end end
      if n == 5 then
        local s = ("x"):rep(300 * 1024 * 1024)
        return #s
      end
      if n == 6 then proc._crash("abort") end
      return x
    end, {n_trials = 10, jobs = 2, trial_timeout = 3, trial_memory = 64})
    local t = by_number(st)
    assert.equals(10, st:n_trials())
    assert.equals("killed by signal 11 (SIGSEGV) (under the memory limit of 64 MB)", t[1].reason)
    assert.equals("the worker process exited with status 3 (under the memory limit of 64 MB)", t[2].reason)
    assert.matches("boom$", t[3].reason)
    assert.matches("traceback", t[3].system_attrs.traceback)
    assert.equals("exceeded the trial time limit of 3 s", t[4].reason)
    if SAN then
      assert.matches("under the memory limit of 64 MB", t[5].reason)
    else
      assert.equals("exceeded the memory limit of 64 MB (not enough memory)", t[5].reason)
    end
    assert.matches("^killed by signal 6 %(SIGABRT%)", t[6].reason)
    for _, i in ipairs{0, 7, 8, 9} do
      assert.equals("complete", t[i].state)
      assert.equals(t[i].params.x, t[i].value)
    end
    for i = 1, 6 do assert.equals("failed", t[i].state) end
    assert.equals(4, st:n_trials{state = "complete"})
    assert.equals(0, st:n_trials{state = "running"})
  end)

  it("without memory limit gives the bare cause", function()
    local st = study()
    st:optimize(function(t)
      local x = t:suggest_float("x", 0, 1)
      if t.number == 0 then proc._crash("segv") end
      if t.number == 1 then os.exit(0) end
      return x
    end, {n_trials = 4, jobs = 2})
    local t = by_number(st)
    assert.equals("killed by signal 11 (SIGSEGV)", t[0].reason)
    assert.equals("the worker process ended without a result", t[1].reason)
    assert.equals(2, st:n_trials{state = "complete"})
  end)

  it("applies the time limit with jobs = 1 too, in one worker process", function()
    local st = study()
    local parent = proc.threads() -- any value: checks the objective runs elsewhere via a global flag
    _G.__knob_spec_flag = "parent"
    st:optimize(function(t)
      t:suggest_int("x", 0, 9)
      _G.__knob_spec_flag = "child" -- set in the worker's copy only
      if t.number == 1 then while true do end end
      return t.number
    end, {n_trials = 3, trial_timeout = 0.5})
    assert.equals("parent", _G.__knob_spec_flag)
    _G.__knob_spec_flag = nil
    assert.is_number(parent)
    local t = by_number(st)
    assert.equals("exceeded the trial time limit of 0.5 s", t[1].reason)
    assert.equals("complete", t[0].state)
    assert.equals("complete", t[2].state)
  end)

  it("gives the same study with jobs = 1 in a worker and in process", function()
    local function run(opts)
      local st = study{sampler = knob.samplers.tpe{seed = 7, n_startup_trials = 4}}
      opts.n_trials = 10
      st:optimize(function(t)
        local x = t:suggest_float("x", -2, 2)
        local k = t:suggest_categorical("k", {"a", "b"})
        return x * x + (k == "a" and 0 or 0.5)
      end, opts)
      local out = {}
      for i, r in ipairs(st:trials()) do out[i] = {r.params.x, r.params.k, r.value} end
      return out
    end
    assert.same(run{}, run{trial_timeout = 30})
  end)

  it("a jobs = 2 study on a real objective completes the requested trials, with distinct draws", function()
    local ds = knob.data.read_csv("examples/data/iris.csv", {target = "species"})
    local st = study{sampler = knob.samplers.tpe{seed = 3, n_startup_trials = 4, constant_liar = true},
                     direction = "maximize"}
    st:optimize(function(t)
      local m = knob.model.knn{n_neighbors = t:suggest_int("k", 1, 30)}
      t:set_user_attr("threads", {proc.threads()})
      return (knob.cv.score(m, ds, {folds = 3, seed = 1}))
    end, {n_trials = 8, jobs = 2})
    assert.equals(8, st:n_trials())
    assert.equals(8, st:n_trials{state = "complete"})
    local planned = workers.plan_threads(2)
    local ks, ran = {}, 0
    for _, r in ipairs(st:trials()) do
      -- a k drawn again is served from the study's cache: that trial's objective stops at suggest_int, before
      -- set_user_attr (which draws repeat depends on when the two workers finish, so on the machine's load)
      if r.user_attrs.cached_from == nil then
        assert.same({planned, planned}, r.user_attrs.threads)
        ran = ran + 1
      end
      assert.is_true(r.value > 0.5 and r.value <= 1)
      ks[#ks + 1] = r.params.k
    end
    assert.is_true(ran >= 2)
    -- trials 0 and 1 run at the same time from the same sampler state: per-trial streams differ
    assert.are_not.equal(ks[1], ks[2])
  end)

  it("shows running trials, with the parameters they suggested, to the samplers of later workers", function()
    local clock = knob.sys.clock
    local function wait(s) local t0 = clock() while clock() - t0 < s do end end
    local st = study()
    st:optimize(function(t)
      local x = t:suggest_float("x", 0, 1)
      if t.number == 0 then wait(1.5) end
      if t.number == 1 then wait(0.5) end
      if t.number == 2 then
        local seen = {}
        for _, r in ipairs(t.study:trials_raw("running")) do seen[#seen + 1] = {r.number, r.params.x} end
        t:set_user_attr("running", seen)
      end
      return x
    end, {n_trials = 3, jobs = 2})
    local t = by_number(st)
    -- trial 2 starts when trial 1 ends; trial 0 is still running and has suggested x by then
    assert.same({{0, t[0].params.x}, {2, t[2].params.x}}, t[2].user_attrs.running)
  end)

  it("keeps every trial in sqlite storage, with reports, attributes and pruning by the parent", function()
    local path = helpers.tmpname() .. ".db"
    local st = knob.study{name = "par", storage = "sqlite:" .. path, sampler = knob.samplers.random{seed = 2},
                          pruner = knob.pruners.percentile{percentile = 50, n_startup_trials = 2, n_warmup_steps = 0}}
    st:optimize(function(t)
      local x = t:suggest_float("x", 0, 1)
      t:set_user_attr("tag", "w" .. t.number)
      if t.number == 5 then proc._crash("segv") end
      for step = 0, 3 do
        t:report(step, x + step)
        if t:should_prune() then t:prune() end
      end
      return x
    end, {n_trials = 12, jobs = 2})
    st.storage:close()
    local again = knob.study.load{name = "par", storage = "sqlite:" .. path}
    assert.equals(12, again:n_trials())
    assert.equals(0, again:n_trials{state = "running"})
    for _, r in ipairs(again:trials()) do
      assert.equals("w" .. r.number, r.user_attrs.tag)
      assert.is_true(r.state == "complete" or r.state == "pruned" or r.state == "failed")
      if r.state == "complete" then
        assert.same({[0] = r.params.x, [1] = r.params.x + 1, [2] = r.params.x + 2, [3] = r.params.x + 3}, r.intermediate)
      end
    end
    assert.equals("killed by signal 11 (SIGSEGV)", by_number(again)[5].reason)
    again.storage:close()
    os.remove(path)
  end)

  it("uses the cache across workers and respects stop and callbacks", function()
    local st = study{sampler = knob.samplers.grid{space = {x = {1, 2, 3}}}}
    local seen = 0
    st:optimize(function(t) return t:suggest_int("x", 1, 3) * 10 end,
                {jobs = 2, callbacks = {function() seen = seen + 1 end}})
    -- the grid stops the study when its last point is handed out: no revisits while points still run
    local n = st:n_trials()
    assert.equals(3, n)
    assert.equals(3, seen)
    local evaluated = {}
    for _, r in ipairs(st:trials()) do
      assert.equals(r.params.x * 10, r.value)
      if not r.user_attrs.cached_from then evaluated[r.params.x] = true end
    end
    assert.same({true, true, true}, evaluated)
    local before = n
    st:optimize(function(t) return t:suggest_int("x", 1, 3) * 10 end, {n_trials = 2, jobs = 2})
    for _, r in ipairs(st:trials()) do
      if r.number >= before then
        assert.is_number(r.user_attrs.cached_from)
        assert.equals(r.params.x * 10, r.value)
      end
    end
    local s2 = study()
    s2:optimize(function(t)
      local x = t:suggest_float("x", 0, 1)
      if t.number == 2 then t.study:stop() end
      return x
    end, {n_trials = 50, jobs = 2})
    assert.is_true(s2:n_trials() >= 3 and s2:n_trials() <= 4)
  end)

  it("raises a misuse error or with catch = false, after the running trials finish", function()
    local st = study()
    assert.has_error(function()
      st:optimize(function(t)
        t:suggest_float("x", 0, 1)
        if t.number == 1 then t:suggest_float("x", 0, 2) end
        return 1
      end, {n_trials = 6, jobs = 2})
    end, "trial:suggest_float('x'): parameter 'x' was already suggested in this trial as float [0.0, 1.0]; now float [0.0, 2.0]")
    assert.equals(0, st:n_trials{state = "running"})
    assert.equals("failed", by_number(st)[1].state)
    local s2 = study()
    assert.has_error(function()
      s2:optimize(function(t) t:suggest_float("x", 0, 1) proc._crash("segv") end, {n_trials = 3, jobs = 2, catch = false})
    end, "killed by signal 11 (SIGSEGV)")
    assert.equals(0, s2:n_trials{state = "running"})
    local s3 = study()
    local ok, msg = pcall(s3.optimize, s3, function(t) t:suggest_float("x", 0, 1) error("always") end,
                          {n_trials = 3, jobs = 2})
    assert.is_false(ok)
    assert.matches("^study:optimize: all 3 trials failed; the first, trial %d: .*always$", msg)
    assert.equals(3, s3:n_trials{state = "failed"})
  end)

  it("kills running workers when the parent raises, failing their trials", function()
    local st = study()
    assert.has_error(function()
      st:optimize(function(t)
        t:suggest_float("x", 0, 1)
        if t.number == 1 then while true do end end
        return 1
      end, {n_trials = 4, jobs = 2, callbacks = {function() error("callback failed", 0) end}})
    end, "callback failed")
    assert.equals(0, st:n_trials{state = "running"})
    local t = by_number(st)
    assert.equals("the study stopped: callback failed", t[1].reason)
  end)

  it("rejects bad options", function()
    local st = study()
    local f = function() return 1 end
    assert.has_error(function() st:optimize(f, {jobs = 0}) end, "study:optimize: option 'jobs' must be an integer >= 1 (got 0)")
    assert.has_error(function() st:optimize(f, {jobs = 1.5}) end, "study:optimize: option 'jobs' must be an integer >= 1 (got 1.5)")
    assert.has_error(function() st:optimize(f, {jobs = 65}) end, "study:optimize: option 'jobs' must be at most 64 (got 65)")
    assert.has_error(function() st:optimize(f, {trial_timeout = 0}) end,
      "study:optimize: option 'trial_timeout' must be a number > 0 (got 0)")
    assert.has_error(function() st:optimize(f, {trial_timeout = 0 / 0}) end)
    assert.has_error(function() st:optimize(f, {trial_memory = math.huge}) end,
      "study:optimize: option 'trial_memory' must be finite (got inf; leave it out for no limit)")
    assert.has_error(function() st:optimize(f, {trial_memory = "1"}) end)
    assert.has_error(function() st:optimize(f, {progress = 1}) end, "study:optimize: option 'progress' must be a boolean (got number)")
    assert.has_error(function() st:optimize(f, {trial_timout = 1}) end)
  end)
end)
