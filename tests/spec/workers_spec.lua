-- workers_spec.lua — knob worker processes sharing one study: 4 workers on a study of >= 200 cheap trials
-- while one worker is killed (SIGKILL) mid-trial, against PostgreSQL (tests/pg_server.sh; pending when no
-- server can be started, failing when KNOB_TEST_PG_REQUIRED=1) and against one SQLite file. Every trial must
-- be accounted for (complete, or failed and retried), none run twice, and the best value must equal the best
-- of the values the workers' objectives logged themselves (a log independent of the storage).
local knob = require "knob"
local helpers = require "helpers"
local pgh = require "pg_helper"
local run = helpers.run
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

teardown(function()
  pgh.stop()
  helpers.remove_tmpdbs()
end)

local TOTAL = 200

-- The recipe: a cheap objective that logs "start N" and "end N value" to the worker's own log file
-- ($KNOB_TEST_LOG); the worker with KNOB_TEST_KILL=k kills itself (SIGKILL) in the middle of its k-th trial.
local RECIPE = [[
local knob = require "knob"
local log = assert(io.open(os.getenv("KNOB_TEST_LOG"), "a"))
log:setvbuf("line")
local kill_at, n = tonumber(os.getenv("KNOB_TEST_KILL") or ""), 0
local f = io.open("/proc/self/stat"); local pid = f:read("l"):match("^(%d+)"); f:close()
return {
  direction = "minimize",
  sampler = function(seed) return knob.samplers.tpe{seed = seed, constant_liar = true, n_startup_trials = 20} end,
  objective = function(t)
    n = n + 1
    log:write("start ", t.number, "\n")
    local x = t:suggest_float("x", -4, 4)
    local k = t:suggest_int("k", 0, 3)
    t:report(0, x)
    if n == kill_at then os.execute("kill -9 " .. pid) end
    local v = (x - 1) ^ 2 + k
    log:write(("end %d %.17g\n"):format(t.number, v))
    return v
  end,
}
]]

local function shared_study(storage_url, study)
  local dir = helpers.tmpdb()
  local recipe = dir .. ".lua"
  local f = assert(io.open(recipe, "w"))
  f:write(RECIPE)
  f:close()
  local logs, cmds = {}, {}
  for w = 1, 4 do
    logs[w] = dir .. ".w" .. w .. ".log"
    os.remove(logs[w])
    cmds[w] = ("KNOB_TEST_LOG=%s KNOB_TEST_KILL=%s %s worker --study %s --storage '%s' --recipe %s --total %d --seed %d")
      :format(logs[w], w == 1 and "8" or "", exe, study, storage_url, recipe, TOTAL, w)
  end
  local out, code = run("(" .. table.concat(cmds, " & ") .. " & wait) 2>&1")
  local _, n_done = out:gsub("worker: %d+ trials", "")
  assert.equals(3, n_done, out) -- the killed worker prints nothing
  assert.equals(0, code)
  -- what the objectives logged: started trial numbers (by worker), finished values
  local started, ended = {}, {}
  for w = 1, 4 do
    for line in io.lines(logs[w]) do
      local s = line:match("^start (%d+)$")
      if s then
        assert.is_nil(started[tonumber(s)], "trial " .. s .. " started twice")
        started[tonumber(s)] = w
      end
      local e, v = line:match("^end (%d+) (%S+)$")
      if e then ended[tonumber(e)] = tonumber(v) end
    end
    os.remove(logs[w])
  end
  local s = knob.study.load{name = study, storage = storage_url}
  local trials = s:trials()
  assert.is_true(s:n_trials{state = {"complete", "pruned", "failed"}} >= TOTAL)
  local retried, best_logged, n_failed = {}, math.huge, 0
  for _, r in ipairs(trials) do
    if r.system_attrs.retried_from then retried[r.system_attrs.retried_from] = r end
  end
  for i, r in ipairs(trials) do
    assert.equals(i - 1, r.number) -- consecutive numbers
    if r.state == "complete" then
      if r.user_attrs.cached_from == nil then
        assert.equals(ended[r.number], r.value) -- its objective ran, once, and returned this
        best_logged = math.min(best_logged, r.value)
      else
        assert.is_nil(started[r.number]) -- a configuration already evaluated is not evaluated again
      end
    else
      -- the killed worker's trial: failed, then retried (and the retry completed)
      assert.equals("failed", r.state, tostring(r))
      assert.equals("process died", r.reason)
      assert.equals(1, started[r.number])
      assert.is_nil(ended[r.number])
      assert.is_not_nil(retried[r.number], "trial " .. r.number .. " was not retried")
      assert.equals("complete", retried[r.number].state)
      assert.equals(r.params.x, retried[r.number].params.x)
      n_failed = n_failed + 1
    end
  end
  assert.equals(1, n_failed)
  assert.equals(best_logged, s:best().value)
  s.storage:close()
end

describe("knob worker", function()
  it("4 workers on one SQLite file, one killed mid-trial: every trial accounted for, none run twice", function()
    shared_study("sqlite:" .. helpers.tmpdb(), "sq")
  end)

  describe("on PostgreSQL", function()
    local url = pgh.guard(it, pending)
    if not url then return end
    it("4 workers on one study, one killed mid-trial: every trial accounted for, none run twice", function()
      shared_study(url, ("pgw-%d"):format(os.time()))
    end)
  end)

  it("reports bad options and recipes clearly", function()
    local db = helpers.tmpdb()
    local out, code = run(exe .. " worker --study s --storage sqlite:" .. db .. " --recipe /nonexistent/r.lua")
    assert.equals(1, code)
    assert.equals("knob worker: cannot load the recipe: cannot open /nonexistent/r.lua: No such file or directory\n", out)
    local bad = helpers.tmpfile("return {direction = 'minimize'}")
    out, code = run(exe .. " worker --study s --storage sqlite:" .. db .. " --recipe " .. bad)
    assert.equals(1, code)
    assert.equals("knob worker: the recipe must define objective = function(trial) ... end\n", out)
    out, code = run(exe .. " worker --study s --storage memory --recipe " .. bad)
    assert.equals(1, code)
    assert.matches("option 'storage' must be a database", out)
    out, code = run(exe .. " worker --study s --storage sqlite:" .. db .. " --recipe " .. bad .. " --total 0")
    assert.equals(1, code)
    assert.matches("--total must be an integer >= 1 %(got '0'%)", out)
    assert.has_error(function() knob.study.worker{study = "s", storage = "sqlite:" .. db, recipe = 3} end,
      "knob.study.worker: option 'recipe' must be a file name or a table (got number)")
    assert.has_error(function() knob.study.worker{study = "s", storage = "sqlite:" .. db, recipe = {}, trails = 1} end)
    local res = knob.study.worker{study = "lua", storage = "sqlite:" .. db, trials = 3, seed = 1,
                                  recipe = {objective = function(t) return t:suggest_float("x", 0, 1) end}}
    assert.same({3, 3}, {res.trials, res.complete})
    res.study.storage:close()
  end)
end)
