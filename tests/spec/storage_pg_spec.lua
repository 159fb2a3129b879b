-- storage_pg_spec.lua — knob.core.pg (the libpq binding) and knob.storage.postgres ("postgresql://..."),
-- against a real server on loopback (tests/pg_server.sh; pending when none can be started, failing when
-- KNOB_TEST_PG_REQUIRED=1). The round trip and quoted names are tests/storage_cases.lua, shared with the
-- SQLite spec. The interface cases that matter for shared studies (argument checks, heartbeat
-- reaping and retries, incremental reads) run on both database backends, SQLite and PostgreSQL.
-- Expected values are hand-written inputs read back (a storage must return what it was given).
local knob = require "knob"
local core = require "knob.core"
local helpers = require "helpers"
local pgh = require "pg_helper"
local cases = require "storage_cases"

teardown(function()
  pgh.stop()
  helpers.remove_tmpdbs()
end)

local n_names = 0
local function fresh(prefix)
  n_names = n_names + 1
  return ("%s-%d-%d"):format(prefix, os.time(), n_names)
end

describe("knob.core.pg", function()
  local url = pgh.guard(it, pending)
  if not url then return end

  it("binds $n parameters, never interpolates, and returns typed rows", function()
    local c = assert(core.pg.connect(url))
    c:exec("CREATE TEMP TABLE t(a bigint, b double precision, c text, d boolean)")
    local rows, n = c:exec("INSERT INTO t VALUES ($1, $2, $3, $4) RETURNING a", {7, 2.5, "it's'); DROP TABLE t; --", true})
    assert.equals(1, n)
    assert.equals(7, rows[1].a)
    c:exec("INSERT INTO t VALUES ($1, $2, $3, $4)", {n = 4, nil, -math.huge})
    rows = c:exec("SELECT a, b, c, d FROM t ORDER BY a NULLS LAST", {})
    assert.equals(2, #rows)
    assert.equals("integer", math.type(rows[1].a))
    assert.same({7, 2.5, "it's'); DROP TABLE t; --", true}, {rows[1].a, rows[1].b, rows[1].c, rows[1].d})
    assert.same({nil, -math.huge}, {rows[2].a, rows[2].b, rows[2].c, rows[2].d})
    assert.is_true(c:ok())
    assert.equals("idle", c:tx_status())
    assert.matches("^knob%.PG<.*@.*:%d+/.*>$", tostring(c))
    c:close()
    c:close()
    assert.equals("knob.PG<closed>", tostring(c))
    assert.has_error(function() c:exec("SELECT 1") end, "postgresql connection is closed")
  end)

  it("raises naming the operation and the server's message; misuse raises", function()
    local c = assert(core.pg.connect(url))
    assert.has_error(function() c:exec("SELEC 1") end, 'postgresql exec (SELEC 1): syntax error at or near "SELEC"')
    assert.has_error(function() c:exec("SELECT * FROM nope", {}) end,
      'postgresql exec (SELECT * FROM nope): relation "nope" does not exist')
    assert.has_error(function() c:exec("SELECT $1::int", {{}}) end,
      "postgresql exec (SELECT $1::int): parameter 1 must be a number, string, boolean or nil (got table)")
    assert.has_error(function() c:exec("SELECT 1", "x") end)
    c:close()
    local bad, msg = core.pg.connect("postgresql://knob:s3cr3t-pw@127.0.0.1:1/x")
    assert.is_nil(bad)
    assert.matches("^postgresql connect: ", msg)
    assert.is_nil(msg:find("s3cr3t-pw", 1, true))
  end)
end)

describe("knob.storage.postgres", function()
  local url = pgh.guard(it, pending)
  if not url then return end
  local pgs = require "knob.storage.postgres"

  it("round-trips a study through a new connection: every trial state, params of every kind, attrs", function()
    cases.round_trip(url, fresh("rt"))
  end)

  it("stores names containing quotes and SQL as they are", function()
    cases.quoted_names(url, fresh("x'); DROP TABLE trials; --"))
  end)

  it("never shows a password: connection errors, unknown storages, tostring", function()
    local with_pw = url:gsub("^postgresql://([^@]*)@", "postgresql://%1:Pa55-w0rd@"):gsub("/[^/]*$", "/no_such_db")
    local msg = helpers.error_of(knob.study, {storage = with_pw})
    assert.matches('^storage %(postgresql%): postgresql connect: .*"no_such_db"', msg)
    assert.is_nil(msg:find("Pa55-w0rd", 1, true))
    msg = helpers.error_of(knob.study, {storage = "postgresql://u:Pa55-w0rd@127.0.0.1:1/x"})
    assert.is_nil(msg:find("Pa55-w0rd", 1, true))
    msg = helpers.error_of(knob.study, {storage = "mysql://u:Pa55-w0rd@h/x"})
    assert.equals("knob.study: unknown storage 'mysql://u:***@h/x' (valid: \"memory\", \"sqlite:path.db\", " ..
                  "\"postgresql://user@host/db\", a backend table)", msg)
    assert.equals("Pa55-w0rd", pgs._secret_of("postgresql://u:Pa55-w0rd@h/db"))
    assert.equals("p w", pgs._secret_of("host=h password='p w' dbname=x"))
    local st = pgs.open(url)
    assert.matches("^knob%.storage%.postgresql<.*@.*:%d+/.*>$", tostring(st))
    st:close()
  end)

  it("rejects tampered rows (an error naming the row, never code) and a newer schema", function()
    local name = fresh("tamper")
    local s = knob.study{name = name, storage = url, sampler = knob.samplers.random{seed = 1}}
    s:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 1})
    local c = assert(core.pg.connect(url))
    c:exec("UPDATE knob.trial_params SET value = $1 WHERE trial_id = $2", {"os.exit(3)", s:trials()[1].id})
    local l = knob.study.load{name = name, storage = url}
    assert.has_error(function() l:trials() end,
      "storage (postgresql): bad stored value of trial 0 parameter 'x': unexpected 'o' at byte 1")
    l.storage:close()
    s.storage:close()
    c:exec("UPDATE knob.schema_version SET version = version + 1")
    local msg = helpers.error_of(pgs.open, url)
    c:exec("UPDATE knob.schema_version SET version = version - 1")
    assert.matches("^storage %(postgresql%): database .* has schema version 3, written by a newer knob " ..
                   "%(this knob reads version 2%)$", msg)
    c:close()
  end)

  it("reconnects after a lost connection and keeps the finished result", function()
    local name = fresh("reconnect")
    local s = knob.study{name = name, storage = url, sampler = knob.samplers.random{seed = 1}}
    local t = s:ask()
    t:suggest_float("x", 0, 1)
    local admin = assert(core.pg.connect(url))
    local pid = s.storage.db.conn:exec("SELECT pg_backend_pid() AS p")[1].p
    admin:exec("SELECT pg_terminate_backend($1)", {pid})
    local rec = s:tell(t, 0.5) -- the connection is gone: reconnect, then tell
    assert.equals("complete", rec.state)
    assert.is_true(s.storage.db.conn:ok())
    assert.equals(0.5, knob.study.load{name = name, storage = url}:best().value)
    admin:close()
    s.storage:close()
  end)
end)

-- The cases for shared studies, on both database backends.
local function backends()
  local list = {{"sqlite", function(opts) return require("knob.storage.sqlite").open(helpers.tmpdb(), opts) end}}
  local url = pgh.url()
  if url then list[#list + 1] = {"postgresql", function(opts) return require("knob.storage.postgres").open(url, opts) end} end
  return list
end

for _, b in ipairs(backends()) do
  local label, open = b[1], b[2]
  describe("knob.storage." .. label .. " shared by workers", function()
    it("checks its arguments like the memory backend", function()
      local st = open()
      local p = "storage (" .. label .. "): "
      local name = fresh("args")
      local rec = st:create_study{name = name, directions = {"minimize"}}
      assert.has_error(function() st:create_study{name = name} end, p .. "study '" .. name .. "' already exists")
      assert.has_error(function() st:create_study{name = 1} end, p .. "a study name must be a string")
      assert.has_error(function() st:get_trial(-1) end, p .. "no trial with id -1")
      assert.has_error(function() st:trials(-1) end, p .. "no study with id -1")
      assert.has_error(function() st:add_trial(rec.id, {state = "complete"}) end,
        p .. "a new trial is running or waiting (got complete)")
      assert.has_error(function() st:set_study_attr(rec.id, "other", "k", 1) end,
        p .. "attribute kind must be 'user' or 'system' (got other)")
      assert.has_error(function() st:set_study_attr(rec.id, "user", "k", print) end,
        p .. "cannot store this value: cannot encode a function value")
      local w = st:add_trial(rec.id, {state = "waiting", system_attrs = {fixed_params = {x = 1}}})
      assert.has_error(function() st:set_param(w.id, "x", 1, {kind = "int", low = 0, high = 2}) end,
        p .. "set_param: trial 0 is waiting, not running")
      local q = st:pop_waiting(rec.id)
      assert.equals("running", q.state)
      assert.same({x = 1}, q.system_attrs.fixed_params)
      assert.is_nil(st:pop_waiting(rec.id))
      assert.has_error(function() st:update_trial(q.id, {state = "complete"}) end,
        p .. "update_trial: a complete trial needs values")
      st:update_trial(q.id, {state = "complete", values = {2}})
      assert.has_error(function() st:update_trial(q.id, {state = "failed"}) end,
        p .. "update_trial: trial 0 is complete, not running")
      assert.equals(1, st:count_trials(rec.id, {complete = true}))
      st:delete_study(rec.id)
      assert.is_nil(st:load_study(name))
      assert.has_error(function() open{heartbeat_grace = 0} end, p .. "option 'heartbeat_grace' must be a number > 0 (seconds)")
      assert.has_error(function() open{max_retries = 1.5} end, p .. "option 'max_retries' must be an integer >= 0")
      assert.has_error(function() open{max_retry = 1} end, p .. "unknown option 'max_retry' (valid: heartbeat_grace, max_retries)")
      st:close()
    end)

    it("marks a trial whose remote owner stopped beating failed and retries it up to max_retries", function()
      local st = open{heartbeat_grace = 5, max_retries = 1}
      local rec = st:create_study{name = fresh("hb"), directions = {"minimize"}}
      local t = st:add_trial(rec.id, {state = "running"})
      st:set_param(t.id, "x", 0.25, {kind = "float", low = 0, high = 1})
      local alive = st:add_trial(rec.id, {state = "running"}) -- ours (this live process): never reaped
      -- the trial's owner is another machine that went silent 100 s ago
      local function go_silent(id)
        st.db:run("UPDATE trials SET owner = ?, heartbeat = ? WHERE id = ?", {"elsewhere:1:1", os.time() - 100, id})
      end
      go_silent(t.id)
      assert.is_not_nil(st:load_study(rec.name))
      local lost = st:get_trial(t.id)
      assert.equals("failed", lost.state)
      assert.matches("^worker lost: no heartbeat for 10%d s$", lost.reason)
      assert.equals("running", st:get_trial(alive.id).state)
      local retry = st:pop_waiting(rec.id)
      assert.equals(2, retry.number)
      assert.same({fixed_params = {x = 0.25}, retried_from = 0, retry = 1}, retry.system_attrs)
      -- the retry is lost too: max_retries = 1, so it is not retried again
      go_silent(retry.id)
      st:load_study(rec.name)
      assert.equals("failed", st:get_trial(retry.id).state)
      assert.equals(0, st:count_trials(rec.id, {waiting = true}))
      -- an owner that was only slow may still finish its lost trial: the result is kept
      st.db:run("UPDATE trials SET owner = ? WHERE id = ?", {st.owner, retry.id})
      st:update_trial(retry.id, {state = "complete", values = {1.5}})
      assert.same({"complete", 1.5}, {st:get_trial(retry.id).state, st:get_trial(retry.id).value})
      assert.has_error(function() st:update_trial(t.id, {state = "complete", values = {1}}) end,
        "storage (" .. label .. "): update_trial: trial 0 is failed, not running") -- not ours
      -- a heartbeat keeps a silent remote trial alive
      local t3 = st:add_trial(rec.id, {state = "running"})
      go_silent(t3.id)
      st:heartbeat(t3.id)
      st:load_study(rec.name)
      assert.equals("running", st:get_trial(t3.id).state)
      st:close()
    end)

    it("reads only the trials changed since the last read, and sees other connections' changes", function()
      local a, b = open(), nil
      local rec = a:create_study{name = fresh("inc"), directions = {"minimize"}}
      b = label == "sqlite" and require("knob.storage.sqlite").open(a.path) or open()
      local t = a:add_trial(rec.id, {state = "running"})
      assert.equals(1, #b:trials(rec.id))
      local first = b:trials(rec.id)[1]
      assert.equals(first, b:trials(rec.id)[1]) -- unchanged: the same (read-only) record
      a:set_param(t.id, "x", 0.5, {kind = "float", low = 0, high = 1})
      a:update_trial(t.id, {state = "complete", values = {0.5}})
      a:add_trial(rec.id, {state = "waiting"})
      local now = b:trials(rec.id)
      assert.equals(2, #now)
      assert.same({"complete", 0.5, {x = 0.5}}, {now[1].state, now[1].value, now[1].params})
      assert.equals("waiting", now[2].state)
      assert.same({now[1]}, b:trials(rec.id, {complete = true}))
      a:close()
      b:close()
    end)
  end)
end
