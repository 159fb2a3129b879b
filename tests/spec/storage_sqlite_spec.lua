-- storage_sqlite_spec.lua — knob.core.sqlite (the binding) and knob.storage.sqlite ("sqlite:path.db"):
-- round trips, resume after SIGKILL, two writer processes, names stored as-is, foreign/corrupt files.
-- Expected values are hand-written inputs read back (a storage must return what it was given).
local knob = require "knob"
local core = require "knob.core"
local helpers = require "helpers"
local cases = require "storage_cases"
local run = helpers.run
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

local made = {}
local function tmpdb()
  local p = os.tmpname()
  os.remove(p)
  p = p .. ".db"
  made[#made + 1] = p
  return p
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- A fresh database path and a child script (its text: the %s is the database path) -> path, script path.
local function db_and_script(text)
  local path = tmpdb()
  local script = path .. ".lua"
  made[#made + 1] = script
  write(script, text:format(path))
  return path, script
end

teardown(function()
  for _, p in ipairs(made) do
    for _, sfx in ipairs{"", "-wal", "-shm"} do os.remove(p .. sfx) end
  end
end)

describe("knob.core.sqlite", function()
  it("binds parameters positionally and returns typed rows", function()
    local db = assert(core.sqlite.open(tmpdb()))
    db:exec("CREATE TABLE t(a, b, c); CREATE TABLE u(x)")
    local n, id = db:run("INSERT INTO t VALUES (?, ?, ?)", {7, 2.5, "it's; DROP TABLE t; --"})
    assert.equals(1, n)
    assert.equals(1, id)
    db:run("INSERT INTO t VALUES (?, ?, ?)", {nil, 3, nil})
    local rows = db:rows("SELECT a, b, c FROM t ORDER BY rowid")
    assert.equals(2, #rows)
    assert.equals(7, rows[1].a)
    assert.equals("integer", math.type(rows[1].a))
    assert.equals(2.5, rows[1].b)
    assert.equals("it's; DROP TABLE t; --", rows[1].c)
    assert.is_nil(rows[2].a)
    assert.is_nil(rows[2].c)
    assert.equals(1, #db:rows("SELECT * FROM t WHERE c = ?", {"it's; DROP TABLE t; --"}))
    assert.matches("knob.SQLite<", tostring(db), 1, true)
    db:close()
    db:close()
    assert.equals("knob.SQLite<closed>", tostring(db))
  end)

  it("raises naming the operation and SQLite's message; misuse raises", function()
    local db = assert(core.sqlite.open(tmpdb()))
    assert.has_error(function() db:exec("CREATE TABL x") end, 'sqlite exec (CREATE TABL x): near "TABL": syntax error')
    assert.has_error(function() db:rows("SELECT * FROM nope") end, "sqlite rows (SELECT * FROM nope): no such table: nope")
    db:exec("CREATE TABLE t(a)")
    assert.has_error(function() db:run("INSERT INTO t VALUES (?)", {true}) end,
      "sqlite run (INSERT INTO t VALUES (?)): parameter 1 must be a number, string or nil (got boolean)")
    assert.has_error(function() db:run("INSERT INTO t VALUES (?)", {1, 2}) end,
      "sqlite run (INSERT INTO t VALUES (?)): 2 parameters given, the statement takes 1")
    assert.has_error(function() db:run("SELECT 1; SELECT 2") end,
      "sqlite run (SELECT 1; SELECT 2): one statement only (use exec for several)")
    assert.has_error(function() db:run("SELECT 1", "x") end)
    db:close()
    assert.has_error(function() db:exec("SELECT 1") end, "sqlite connection is closed")
    local bad, msg = core.sqlite.open("/nonexistent-dir/x.db")
    assert.is_nil(bad)
    assert.matches("sqlite open '/nonexistent-dir/x.db': unable to open database file", msg, 1, true)
  end)
end)

describe("knob.storage.sqlite", function()
  it("round-trips a study: complete, pruned, failed trials, params of every kind, attrs, intermediate values", function()
    cases.round_trip("sqlite:" .. tmpdb(), "rt")
  end)

  it("stores names containing quotes and SQL as they are", function()
    local path = tmpdb()
    local name = "x'); DROP TABLE trials; --"
    cases.quoted_names("sqlite:" .. path, name)
    local st = require("knob.storage.sqlite").open(path)
    assert.same({name}, (function()
      local out = {}
      for i, r in ipairs(st:list_studies()) do out[i] = r.name end
      return out
    end)())
    st:close()
  end)

  it("keeps every completed trial of a killed process, marks its running trial failed and retries it", function()
    local path, script = db_and_script([[
local knob = require "knob"
local s = knob.study{name = "crash", storage = "sqlite:%s", sampler = knob.samplers.random{seed = 5}}
local f = io.open("/proc/self/stat"); local pid = f:read("l"):match("^(%%d+)"); f:close()
s:optimize(function(t)
  local x = t:suggest_float("x", 0, 1)
  t:report(0, x)
  if t.number == 4 then os.execute("kill -9 " .. pid) end
  return x
end, {n_trials = 10})
]])
    local _, code = run(exe .. " " .. script)
    assert.is_not.equals(0, code)
    local s = knob.study.load{name = "crash", storage = "sqlite:" .. path, sampler = knob.samplers.random{seed = 6}}
    local tr = s:trials()
    assert.equals(6, #tr)
    for i = 1, 4 do assert.equals("complete", tr[i].state) end
    assert.equals("failed", tr[5].state)
    assert.equals("process died", tr[5].reason)
    assert.equals(0, tr[5].last_step) -- what it reported before dying was kept
    -- it was re-enqueued with its parameters (max_retries = 2 by default)
    assert.equals("waiting", tr[6].state)
    assert.same({fixed_params = {x = tr[5].params.x}, retried_from = 4, retry = 1}, tr[6].system_attrs)
    s:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 1})
    local again = s:trials()[6]
    assert.equals("complete", again.state)
    assert.equals(tr[5].params.x, again.params.x)
    s.storage:close()
  end)

  it("leaves the running trial of a live process alone", function()
    local path = tmpdb()
    local a = knob.study{name = "live", storage = "sqlite:" .. path}
    local t = a:ask()
    local b = knob.study.load{name = "live", storage = "sqlite:" .. path}
    assert.equals(1, b:n_trials{state = "running"})
    a:tell(t, 1.5)
    assert.equals(1.5, b:best().value)
    a.storage:close()
    b.storage:close()
  end)

  it("lets two processes create (load_if_exists) and append to one study at once", function()
    local path, script = db_and_script([[
local knob = require "knob"
local s = knob.study{name = "shared", storage = "sqlite:%s", load_if_exists = true,
                     sampler = knob.samplers.random{seed = tonumber(arg[1])}}
s:optimize(function(t) t:report(0, 1); return t:suggest_float("x", 0, 1) + t:suggest_int("k", 0, 3) end, {n_trials = 40})
print("done")
]])
    local out, code = run(("(%s %s 1 & %s %s 2 & wait) 2>&1"):format(exe, script, exe, script))
    assert.equals(0, code)
    local _, n_done = out:gsub("done", "")
    assert.equals(2, n_done, out)
    local l = knob.study.load{name = "shared", storage = "sqlite:" .. path}
    assert.equals(80, l:n_trials{state = "complete"})
    local seen = {}
    for i, r in ipairs(l:trials()) do
      assert.equals(i - 1, r.number)
      assert.is_nil(seen[r.id])
      seen[r.id] = true
    end
    l.storage:close()
  end)

  it("rejects foreign, corrupt and newer files, bad storage strings and tampered rows", function()
    local text = tmpdb()
    write(text, "this is not a database, just some text that is long enough to have a header........\n")
    assert.has_error(function() knob.study{storage = "sqlite:" .. text} end,
      "storage (sqlite): '" .. text .. "' is not a knob database (sqlite rows (SELECT name FROM sqlite_master WHERE type = 'table'): file is not a database)")
    local foreign = tmpdb()
    local db = assert(core.sqlite.open(foreign))
    db:exec("CREATE TABLE people(name TEXT)")
    db:close()
    assert.has_error(function() knob.study{storage = "sqlite:" .. foreign} end,
      "storage (sqlite): '" .. foreign .. "' is not a knob database (an SQLite file without knob's schema_version table)")
    local newer = tmpdb()
    require("knob.storage.sqlite").open(newer):close()
    db = assert(core.sqlite.open(newer))
    db:run("UPDATE schema_version SET version = ?", {3})
    db:close()
    assert.has_error(function() knob.study.load{name = "x", storage = "sqlite:" .. newer} end,
      "storage (sqlite): '" .. newer .. "' has schema version 3, written by a newer knob (this knob reads version 2)")
    assert.has_error(function() knob.study{storage = "sqlite:"} end,
      "knob.study: storage 'sqlite:' needs a file path (\"sqlite:path.db\")")
    assert.has_error(function() knob.study{storage = "sqlite:/nonexistent-dir/x.db"} end,
      "storage (sqlite): sqlite open '/nonexistent-dir/x.db': unable to open database file")
    assert.has_error(function() knob.study{storage = "sqlite3:x.db"} end,
      "knob.study: unknown storage 'sqlite3:x.db' (valid: \"memory\", \"sqlite:path.db\", \"postgresql://user@host/db\", a backend table)")
    assert.has_error(function() require("knob.storage.sqlite").open(42) end,
      "storage (sqlite): the database path must be a non-empty string")
    -- a tampered parameter value is an error naming the row, never run as code
    local path = tmpdb()
    local s = knob.study{name = "t", storage = "sqlite:" .. path, sampler = knob.samplers.random{seed = 1}}
    s:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 1})
    db = assert(core.sqlite.open(path))
    db:run("UPDATE trial_params SET value = ?", {"os.exit(3)"})
    db:close()
    assert.has_error(function() s:trials() end,
      "storage (sqlite): bad stored value of trial 0 parameter 'x': unexpected 'o' at byte 1")
    s.storage:close()
  end)

  it("encodes values as data and decodes them strictly (integers stay integers, floats floats)", function()
    local sq = require "knob.storage.sqlite"
    local v = {a = {1, 2.0, -0.5, 1e300, "x\"y\\z\n\1", true, false}, b = {}, n = 0 / 0, i = math.huge,
               j = -math.huge, big = math.maxinteger, u = "h\195\169"}
    assert.equals('{"a":[1,2.0,-0.5,1e+300,"x\\"y\\\\z\\n\\u0001",true,false],"b":{},"big":9223372036854775807,' ..
                  '"i":Infinity,"j":-Infinity,"n":NaN,"u":"h\195\169"}', sq.encode(v))
    local back = sq.decode(sq.encode(v), "here")
    assert.equals("float", math.type(back.a[2]))
    assert.equals("integer", math.type(back.a[1]))
    assert.equals(math.maxinteger, back.big)
    assert.same(v.a, back.a)
    assert.is_true(back.n ~= back.n)
    assert.same({math.huge, -math.huge, "h\195\169"}, {back.i, back.j, back.u})
    for _, case in ipairs{
      {"[1,", "storage (sqlite): bad stored value here: unexpected end at byte 4"},
      {"1 2", "storage (sqlite): bad stored value here: trailing characters at byte 3"},
      {'"abc', "storage (sqlite): bad stored value here: unterminated string at byte 5"},
      {'{"a" 1}', "storage (sqlite): bad stored value here: expected ':' at byte 6"},
      {'"\\q"', "storage (sqlite): bad stored value here: bad escape at byte 2"},
      {"1e999999999999999999999", nil},
      {"function() end", "storage (sqlite): bad stored value here: unexpected 'f' at byte 1"},
    } do
      if case[2] then
        assert.has_error(function() sq.decode(case[1], "here") end, case[2])
      else
        assert.equals(math.huge, sq.decode(case[1], "here"))
      end
    end
    assert.has_error(function() sq.encode({[1.5] = 1}) end, "storage (sqlite): cannot store this value: object keys must be strings (got number 1.5)")
    assert.has_error(function() sq.decode(nil, "here") end, "storage (sqlite): bad stored value here: expected a text (got nil)")
  end)

  it("checks its arguments like the memory backend", function()
    local st = require("knob.storage.sqlite").open(tmpdb())
    local rec = st:create_study{name = "a", directions = {"minimize"}}
    assert.has_error(function() st:create_study{name = "a"} end, "storage (sqlite): study 'a' already exists")
    assert.has_error(function() st:create_study{name = 1} end, "storage (sqlite): a study name must be a string")
    assert.has_error(function() st:get_trial(99) end, "storage (sqlite): no trial with id 99")
    assert.has_error(function() st:trials(99) end, "storage (sqlite): no study with id 99")
    assert.has_error(function() st:add_trial(rec.id, {state = "complete"}) end,
      "storage (sqlite): a new trial is running or waiting (got complete)")
    assert.has_error(function() st:set_study_attr(rec.id, "other", "k", 1) end,
      "storage (sqlite): attribute kind must be 'user' or 'system' (got other)")
    assert.has_error(function() st:set_study_attr(rec.id, "user", "k", print) end,
      "storage (sqlite): cannot store this value: cannot encode a function value")
    local w = st:add_trial(rec.id, {state = "waiting", system_attrs = {fixed_params = {x = 1}}})
    assert.has_error(function() st:set_param(w.id, "x", 1, {kind = "int", low = 0, high = 2}) end,
      "storage (sqlite): set_param: trial 0 is waiting, not running")
    local p = st:pop_waiting(rec.id)
    assert.equals("running", p.state)
    assert.same({x = 1}, p.system_attrs.fixed_params)
    assert.is_nil(st:pop_waiting(rec.id))
    assert.has_error(function() st:update_trial(p.id, {state = "complete"}) end,
      "storage (sqlite): update_trial: a complete trial needs values")
    st:update_trial(p.id, {state = "complete", values = {2}})
    assert.has_error(function() st:update_trial(p.id, {state = "failed"}) end,
      "storage (sqlite): update_trial: trial 0 is complete, not running")
    assert.equals(1, st:count_trials(rec.id, {complete = true}))
    assert.equals(0, st:count_trials(rec.id, {running = true}))
    st:delete_study(rec.id)
    assert.is_nil(st:load_study("a"))
    assert.has_error(function() st:get_trial(p.id) end, "storage (sqlite): no trial with id " .. p.id)
    st:close()
    st:close()
  end)
end)
