-- knob.storage.sqlite — the SQLite backend of the storage interface (see knob/storage/init.lua).
--
--   require("knob.storage.sqlite").open(path [, opts]) -> backend   (knob.study{storage = "sqlite:path.db"})
--   (path ":memory:" opens a private in-memory database, e.g. for tests)
--   opts: heartbeat_grace = 60 (seconds), max_retries = 2 (see "Lost trials" below)
--
-- One database file holds any number of studies; several processes may share it (WAL mode, a 10 s busy
-- timeout, every write in its own BEGIN IMMEDIATE transaction: trial numbers are assigned atomically).
-- Every change (a new trial, a parameter, a reported value, a finished trial) is committed the moment it
-- happens, so a crash loses nothing that was reported (synchronous = NORMAL: durable across a process
-- crash; a power loss may drop the last transactions).
--
-- Schema version 2 (table schema_version(app = 'knob', version)): studies, study_attrs, trials,
-- trial_params, trial_intermediate, trial_attrs; version 2 added studies.seq, trials.seq and
-- trials.heartbeat (a version-1 file is upgraded in place on open). Values, parameters, distributions and attributes are
-- stored as DATA (a JSON text, with NaN/Infinity/-Infinity tokens and floats always written with a '.' or
-- an exponent so that integers and floats come back as they went in) and parsed by a strict decoder: a
-- tampered row is an error naming the row, never executed. Names are bound parameters, stored as they are.
-- A file that is not a knob database, or a schema newer than this knob knows, is an error on open.
--
-- Lost trials. A running trial records its owner (host, pid, process start time) and a heartbeat (the time
-- of its owner's last write: start, each suggested parameter, report, attribute; heartbeat(trial_id)
-- refreshes it between steps). When a study is loaded and, at most once a second, when a trial is claimed
-- (pop_waiting, i.e. every study:ask), running trials are checked: one whose owner is on this host and no
-- longer alive (or has no owner) is marked failed with reason "process died"; one owned by another host
-- whose heartbeat is older than heartbeat_grace seconds is marked failed with reason "worker lost: no
-- heartbeat for N s". Either is then re-enqueued as a waiting trial with the same parameters (system
-- attributes fixed_params, retried_from = the lost trial's number, retry = 1, 2, ...) unless it was
-- already retried max_retries times. Running trials of live local processes are never touched. A long
-- objective must write (suggest, report) or call heartbeat at least every heartbeat_grace seconds; an owner
-- that was only slow may still finish its trial (update_trial takes it back from "worker lost"), the
-- retry then runs as well.
--
-- Consistency. Every write to a study's trials first bumps studies.seq (an UPDATE that locks the study's
-- row until commit, which also serialises trial numbering) and stamps the changed trial with that seq, so
-- changes are totally ordered. trials() keeps the records it has read and asks only for trials whose seq is
-- newer than the last one seen (an unchanged study costs one tiny query): a sampler re-reading a
-- 1000-trial study does not re-decode 1000 trials per suggestion. The same code runs on PostgreSQL
-- (knob.storage.postgres) through a connection adapter with the same rows/run/exec calls.
local core = require "knob.core"

local Sqlite = {}
Sqlite.__index = Sqlite

local M = {class = Sqlite}

local SCHEMA_VERSION = 2
M.SCHEMA_VERSION = SCHEMA_VERSION

local function fail(msg)
  error("storage (sqlite): " .. msg, 0)
end

---------------------------------------------------------------------------------------------------------------
-- Values as data: knob.json (exact numbers, NaN/Infinity tokens, a strict decoder)
---------------------------------------------------------------------------------------------------------------

local json = require "knob.json"

local function encode(v)
  local ok, text = pcall(json.encode, v)
  if not ok then fail("cannot store this value: " .. tostring(text):gsub("^knob%.json: ", "")) end
  return text
end
M.encode = encode

-- Decode stored text; returns the value or raises "storage (sqlite): bad stored value <where>: ...".
local function decode(text, where)
  local ok, v = pcall(json.decode, text, where)
  if not ok then error("storage (sqlite): bad stored value" .. tostring(v):gsub("^bad JSON", ""), 0) end
  return v
end
M.decode = decode
M.fail = fail

---------------------------------------------------------------------------------------------------------------
-- Opening, schema
---------------------------------------------------------------------------------------------------------------

local SCHEMA = [[
CREATE TABLE schema_version(app TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE studies(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, directions TEXT NOT NULL,
                     seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE study_attrs(study_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                         PRIMARY KEY(study_id, kind, key));
CREATE TABLE trials(id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL, number INTEGER NOT NULL,
                    state TEXT NOT NULL, trial_values TEXT, reason TEXT, owner TEXT, datetime_start INTEGER,
                    datetime_complete INTEGER, duration REAL, seq INTEGER NOT NULL DEFAULT 0, heartbeat INTEGER,
                    UNIQUE(study_id, number));
CREATE INDEX trials_seq ON trials(study_id, seq);
CREATE TABLE trial_params(trial_id INTEGER NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL,
                          value TEXT NOT NULL, distribution TEXT NOT NULL, PRIMARY KEY(trial_id, name));
CREATE TABLE trial_intermediate(trial_id INTEGER NOT NULL, step INTEGER NOT NULL, value TEXT NOT NULL,
                                PRIMARY KEY(trial_id, step));
CREATE TABLE trial_attrs(trial_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                         PRIMARY KEY(trial_id, kind, key));
]]
M.SCHEMA = SCHEMA -- knob.storage.postgres derives its schema from this text

-- Version 1 -> 2: the change sequence and the heartbeat.
local UPGRADE_1_2 = [[
ALTER TABLE studies ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE trials ADD COLUMN heartbeat INTEGER;
CREATE INDEX trials_seq ON trials(study_id, seq);
UPDATE schema_version SET version = 2;
]]

-- This process as "host:pid:starttime" (from /proc), or nil where /proc is missing.
local function proc_identity(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local line = f:read("l")
  f:close()
  local rest = line and line:match("^.*%)%s(.*)$")
  if not rest then return nil end
  local fields = {}
  for w in rest:gmatch("%S+") do fields[#fields + 1] = w end
  return fields[20] -- field 22 of stat (starttime): the 20th after the command name
end

local function hostname()
  local f = io.open("/proc/sys/kernel/hostname")
  local h = f and f:read("l") or "?"
  if f then f:close() end
  return h
end

local function self_owner()
  local f = io.open("/proc/self/stat")
  if not f then return nil end
  local pid = (f:read("l") or ""):match("^(%d+)")
  f:close()
  local start = pid and proc_identity(pid)
  if not start then return nil end
  return hostname() .. ":" .. pid .. ":" .. start
end
M._self_owner = self_owner
M._hostname = hostname

-- Is the owner string of a running trial a live process? (unknown host: assumed alive)
local function owner_alive(owner, host)
  if owner == nil then return false end
  local h, pid, start = owner:match("^(.*):(%d+):(%d+)$")
  if not h then return false end
  if h ~= host then return true end
  return proc_identity(pid) == start
end

function Sqlite:tx(f, ...)
  self.db:exec("BEGIN IMMEDIATE")
  local ok, a, b = pcall(f, ...)
  if not ok then
    pcall(self.db.exec, self.db, "ROLLBACK")
    error(a, 0)
  end
  self.db:exec("COMMIT")
  return a, b
end

local function check_schema(db, path)
  local ok, tables = pcall(db.rows, db, "SELECT name FROM sqlite_master WHERE type = 'table'")
  if not ok then fail(("'%s' is not a knob database (%s)"):format(path, tables)) end
  if #tables == 0 then return false end
  local has = {}
  for _, t in ipairs(tables) do has[t.name] = true end
  if not has.schema_version then
    fail(("'%s' is not a knob database (an SQLite file without knob's schema_version table)"):format(path))
  end
  local ok2, rows = pcall(db.rows, db, "SELECT app, version FROM schema_version")
  if not ok2 or #rows ~= 1 or rows[1].app ~= "knob" or math.type(rows[1].version) ~= "integer" then
    fail(("'%s' is not a knob database (its schema_version table is not knob's)"):format(path))
  end
  local v = rows[1].version
  if v > SCHEMA_VERSION then
    fail(("'%s' has schema version %d, written by a newer knob (this knob reads version %d)"):format(
      path, v, SCHEMA_VERSION))
  end
  if v < 1 then fail(("'%s' has an invalid schema version %d"):format(path, v)) end
  return v
end

-- Check the options {heartbeat_grace =, max_retries =} and set the shared fields of a new backend.
function M.init(self, opts, label)
  if opts ~= nil and type(opts) ~= "table" then fail("options must be a table (got " .. type(opts) .. ")") end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "heartbeat_grace" and k ~= "max_retries" then
      fail(("unknown option '%s' (valid: heartbeat_grace, max_retries)"):format(tostring(k)))
    end
  end
  local g, r = opts.heartbeat_grace or 60, opts.max_retries or 2
  if type(g) ~= "number" or g ~= g or g <= 0 then fail("option 'heartbeat_grace' must be a number > 0 (seconds)") end
  if math.type(r) ~= "integer" or r < 0 then fail("option 'max_retries' must be an integer >= 0") end
  self.grace, self.max_retries, self.label = g, r, label
  self.owner, self.host = self_owner(), hostname()
  self._cache, self._reaped = {}, {}
  self.shared = true
  return self
end

--- Open (creating when missing) the knob database at path.
function M.open(path, opts)
  if type(path) ~= "string" or path == "" then fail("the database path must be a non-empty string") end
  local self = M.init(setmetatable({path = path}, Sqlite), opts, "sqlite")
  local db, msg = core.sqlite.open(path)
  if not db then fail(msg) end
  self.db = db
  local ok, err = pcall(function()
    check_schema(db, path)
    local want = path == ":memory:" and "memory" or "wal" -- ":memory:": a private in-memory database (tests)
    -- WAL is a property of the file: set once, by whichever process comes first. Switching needs an exclusive
    -- lock that SQLite does not wait for, so a process racing another one through open retries for a while.
    local jm = db:rows("PRAGMA journal_mode")
    local t0 = core.sys.clock()
    while jm[1] and jm[1].journal_mode ~= want do
      local ok_wal, res = pcall(db.rows, db, "PRAGMA journal_mode = WAL")
      if ok_wal then
        jm = res
      elseif not tostring(res):find("locked", 1, true) or core.sys.clock() - t0 > 10 then
        error(res, 0)
      else
        local until_t = core.sys.clock() + 0.01
        while core.sys.clock() < until_t do end -- 10 ms back-off (no sleep in stock Lua)
      end
    end
    if not jm[1] or jm[1].journal_mode ~= want then fail("cannot set WAL mode on '" .. path .. "'") end
    db:exec("PRAGMA synchronous = NORMAL")
    self:tx(function()
      local v = check_schema(db, path)
      if not v then
        db:exec(SCHEMA)
        db:run("INSERT INTO schema_version(app, version) VALUES ('knob', ?)", {SCHEMA_VERSION})
      elseif v == 1 then
        db:exec(UPGRADE_1_2)
      end
    end)
  end)
  if not ok then
    db:close()
    error(err, 0)
  end
  return self
end

function Sqlite:close()
  self.db:close()
end

function Sqlite:__tostring()
  return "knob.storage.sqlite<" .. self.path .. ">"
end

---------------------------------------------------------------------------------------------------------------
-- Studies
---------------------------------------------------------------------------------------------------------------

local function attrs_into(rows, rec_of, where)
  for _, a in ipairs(rows) do
    local rec = rec_of(a)
    if rec then
      if a.kind ~= "user" and a.kind ~= "system" then fail("bad attribute kind " .. tostring(a.kind) .. " " .. where) end
      rec[a.kind .. "_attrs"][a.key] = decode(a.value, where .. " attribute '" .. tostring(a.key) .. "'")
    end
  end
end

local function study_record(self, row)
  local rec = {id = row.id, name = row.name, user_attrs = {}, system_attrs = {},
               directions = decode(row.directions, "of study '" .. row.name .. "' (directions)")}
  attrs_into(self.db:rows("SELECT kind, key, value FROM study_attrs WHERE study_id = ?", {row.id}),
             function() return rec end, "of study '" .. row.name .. "'")
  return rec
end

local function study_row(self, id)
  local r = self.db:rows("SELECT id, name, directions, seq FROM studies WHERE id = ?", {id})[1]
  if not r then fail("no study with id " .. tostring(id)) end
  return r
end

function Sqlite:create_study(t)
  if type(t.name) ~= "string" then fail("a study name must be a string") end
  local id = self:tx(function()
    if self.db:rows("SELECT id FROM studies WHERE name = ?", {t.name})[1] then
      fail("study '" .. t.name .. "' already exists")
    end
    local sid = self.db:rows("INSERT INTO studies(name, directions) VALUES (?, ?) RETURNING id",
                             {t.name, encode(t.directions or {"minimize"})})[1].id
    for kind, attrs in pairs{user = t.user_attrs or {}, system = t.system_attrs or {}} do
      for k, v in pairs(attrs) do
        self.db:run("INSERT INTO study_attrs VALUES (?, ?, ?, ?)", {sid, kind, k, encode(v)})
      end
    end
    return sid
  end)
  return study_record(self, study_row(self, id))
end

-- Bump the study's change sequence (locking its row until commit); returns the new seq. study_id may be
-- nil with trial_id given. Raises for an unknown study / trial.
function Sqlite:_bump(study_id, trial_id)
  local r
  if study_id then
    r = self.db:rows("UPDATE studies SET seq = seq + 1 WHERE id = ? RETURNING seq", {study_id})[1]
    if not r then fail("no study with id " .. tostring(study_id)) end
  else
    r = self.db:rows("UPDATE studies SET seq = seq + 1 WHERE id = (SELECT study_id FROM trials WHERE id = ?) " ..
                     "RETURNING seq", {trial_id})[1]
    if not r then fail("no trial with id " .. tostring(trial_id)) end
  end
  return r.seq
end

-- Mark failed (and re-enqueue) the lost running trials of the study (see "Lost trials" at the top).
--- Mark the study's lost running trials failed and queue their retries now (also done on load_study and,
--- at most once a second, on pop_waiting). Optional in the storage interface: shared backends have it.
function Sqlite:reap_lost(study_id)
  return self:_reap(study_id)
end

function Sqlite:_reap(study_id)
  self._reaped[study_id] = os.time()
  local now = os.time()
  local running = self.db:rows("SELECT id, owner, heartbeat FROM trials WHERE study_id = ? AND state = 'running'",
                               {study_id})
  for _, r in ipairs(running) do
    local reason
    local h = r.owner and r.owner:match("^(.*):%d+:%d+$")
    if h == nil or h == self.host then
      if not owner_alive(r.owner, self.host) then reason = "process died" end
    elseif now - (r.heartbeat or 0) > self.grace then
      reason = ("worker lost: no heartbeat for %d s"):format(now - (r.heartbeat or 0))
    end
    if reason then
      self:tx(function()
        local seq = self:_bump(study_id)
        local n = self.db:run("UPDATE trials SET state = 'failed', reason = ?, datetime_complete = ?, seq = ? WHERE id = ? " ..
                              "AND state = 'running' AND heartbeat IS NOT DISTINCT FROM ?", {reason, now, seq, r.id, r.heartbeat})
        if n == 0 then return end -- finished (or reaped) meanwhile
        local lost = self:_records(self.db:rows("SELECT " .. self.TRIAL_COLS .. " FROM trials WHERE id = ?", {r.id}),
                                   "(?)", {r.id})[1]
        local k = (math.tointeger(lost.system_attrs.retry) or 0) + 1
        if k > self.max_retries then return end
        local fixed = {}
        for name, v in pairs(lost.params) do fixed[name] = v end
        self:_insert_trial(study_id, "waiting", seq, {system = {fixed_params = fixed, retried_from = lost.number, retry = k}})
      end)
    end
  end
end

function Sqlite:load_study(name)
  local row = self.db:rows("SELECT id, name, directions FROM studies WHERE name = ?", {name})[1]
  if not row then return nil end
  self:_reap(row.id)
  return study_record(self, row)
end

function Sqlite:list_studies()
  local out = {}
  for i, row in ipairs(self.db:rows("SELECT id, name, directions FROM studies ORDER BY id")) do
    out[i] = study_record(self, row)
  end
  return out
end

local TRIAL_SUB = "(SELECT id FROM trials WHERE study_id = ?)"

function Sqlite:delete_study(id)
  study_row(self, id)
  self:tx(function()
    for _, tbl in ipairs{"trial_params", "trial_intermediate", "trial_attrs"} do
      self.db:run("DELETE FROM " .. tbl .. " WHERE trial_id IN " .. TRIAL_SUB, {id})
    end
    self.db:run("DELETE FROM trials WHERE study_id = ?", {id})
    self.db:run("DELETE FROM study_attrs WHERE study_id = ?", {id})
    self.db:run("DELETE FROM studies WHERE id = ?", {id})
  end)
end

local function check_attr(kind, key)
  if kind ~= "user" and kind ~= "system" then fail("attribute kind must be 'user' or 'system' (got " .. tostring(kind) .. ")") end
  if type(key) ~= "string" then fail("attribute keys must be strings (got " .. type(key) .. ")") end
end

function Sqlite:set_study_attr(id, kind, key, value)
  check_attr(kind, key)
  study_row(self, id)
  local text = encode(value)
  self:tx(function()
    self:_bump(id)
    self.db:run("INSERT INTO study_attrs VALUES (?, ?, ?, ?) ON CONFLICT(study_id, kind, key) DO UPDATE " ..
                "SET value = excluded.value", {id, kind, key, text})
  end)
end

---------------------------------------------------------------------------------------------------------------
-- Trials
---------------------------------------------------------------------------------------------------------------

local TRIAL_COLS = "id, study_id, number, state, trial_values, reason, datetime_start, datetime_complete, duration"
Sqlite.TRIAL_COLS = TRIAL_COLS

-- Build full records for trial rows (with their params, intermediate values and attributes).
function Sqlite:_records(rows, where_sql, args)
  local by_id, out = {}, {}
  for i, r in ipairs(rows) do
    local where = "of trial " .. tostring(r.number)
    local rec = {id = r.id, study_id = r.study_id, number = r.number, state = r.state, params = {},
                 distributions = {}, param_order = {}, intermediate = {}, user_attrs = {}, system_attrs = {},
                 reason = r.reason, datetime_start = r.datetime_start, datetime_complete = r.datetime_complete,
                 duration = r.duration}
    if r.trial_values ~= nil then
      rec.values = decode(r.trial_values, where .. " (values)")
      if type(rec.values) ~= "table" then fail("bad stored value " .. where .. " (values): not an array") end
      rec.value = rec.values[1]
    end
    by_id[r.id], out[i] = rec, rec
  end
  if #rows == 0 then return out end
  for _, p in ipairs(self.db:rows("SELECT trial_id, name, value, distribution FROM trial_params WHERE trial_id IN "
                                  .. where_sql .. " ORDER BY trial_id, position", args)) do
    local rec = by_id[p.trial_id]
    if rec then
      local where = "of trial " .. rec.number .. " parameter '" .. p.name .. "'"
      rec.params[p.name] = decode(p.value, where)
      rec.distributions[p.name] = decode(p.distribution, where .. " (distribution)")
      rec.param_order[#rec.param_order + 1] = p.name
    end
  end
  for _, s in ipairs(self.db:rows("SELECT trial_id, step, value FROM trial_intermediate WHERE trial_id IN "
                                  .. where_sql, args)) do
    local rec = by_id[s.trial_id]
    if rec then
      rec.intermediate[s.step] = decode(s.value, "of trial " .. rec.number .. " step " .. s.step)
      if rec.last_step == nil or s.step > rec.last_step then rec.last_step = s.step end
    end
  end
  attrs_into(self.db:rows("SELECT trial_id, kind, key, value FROM trial_attrs WHERE trial_id IN " .. where_sql, args),
             function(a) return by_id[a.trial_id] end, "of a trial")
  return out
end

function Sqlite:get_trial(id)
  local rows = self.db:rows("SELECT " .. TRIAL_COLS .. " FROM trials WHERE id = ?", {id})
  if not rows[1] then fail("no trial with id " .. tostring(id)) end
  return self:_records(rows, "(?)", {id})[1]
end

-- Insert a trial (inside a transaction holding the study's seq); returns its id.
function Sqlite:_insert_trial(study_id, state, seq, attrs)
  local n = self.db:rows("SELECT COALESCE(MAX(number) + 1, 0) AS n FROM trials WHERE study_id = ?", {study_id})[1].n
  local now = state == "running" and os.time() or nil
  local tid = self.db:rows("INSERT INTO trials(study_id, number, state, owner, datetime_start, seq, heartbeat) " ..
                           "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           {study_id, n, state, now and self.owner, now, seq, now})[1].id
  for kind, a in pairs(attrs) do
    for k, v in pairs(a) do
      self.db:run("INSERT INTO trial_attrs VALUES (?, ?, ?, ?)", {tid, kind, k, encode(v)})
    end
  end
  return tid
end

function Sqlite:add_trial(study_id, t)
  t = t or {}
  local state = t.state or "running"
  if state ~= "running" and state ~= "waiting" then fail("a new trial is running or waiting (got " .. tostring(state) .. ")") end
  local id = self:tx(function()
    return self:_insert_trial(study_id, state, self:_bump(study_id), {user = t.user_attrs or {}, system = t.system_attrs or {}})
  end)
  return self:get_trial(id)
end

function Sqlite:pop_waiting(study_id)
  if os.time() - (self._reaped[study_id] or 0) >= 1 then self:_reap(study_id) end
  local id = self:tx(function()
    local seq, now = self:_bump(study_id), os.time()
    local r = self.db:rows("UPDATE trials SET state = 'running', owner = ?, datetime_start = ?, heartbeat = ?, seq = ? " ..
                           "WHERE id = (SELECT id FROM trials WHERE study_id = ? AND state = 'waiting' ORDER BY number " ..
                           "LIMIT 1) RETURNING id", {self.owner, now, now, seq, study_id})[1]
    return r and r.id
  end)
  return id and self:get_trial(id) or nil
end

--- Refresh the heartbeat of a running trial (a long objective calls it between steps; writes do it too).
function Sqlite:heartbeat(id)
  self.db:run("UPDATE trials SET heartbeat = ? WHERE id = ? AND state = 'running'", {os.time(), id})
end

-- Run f inside a transaction after checking that trial id is running.
-- The trial's seq and heartbeat are updated too. With take_back, a trial of this process that was marked
-- lost ("worker lost": its heartbeat was late) is accepted too: a slow owner's result is not thrown away.
function Sqlite:_on_running(id, what, f, take_back)
  return self:tx(function()
    local seq = self:_bump(nil, id)
    local r = self.db:rows("SELECT number, state, reason, owner FROM trials WHERE id = ?", {id})[1]
    local ours = take_back and r.state == "failed" and r.owner == self.owner and (r.reason or ""):match("^worker lost")
    if r.state ~= "running" and not ours then
      fail(("%s: trial %d is %s, not running"):format(what, r.number, r.state))
    end
    self.db:run("UPDATE trials SET seq = ?, heartbeat = ? WHERE id = ?", {seq, os.time(), id})
    return f()
  end)
end

function Sqlite:set_param(id, name, value, dist)
  local v, d = encode(value), encode(dist)
  self:_on_running(id, "set_param", function()
    local pos = self.db:rows("SELECT COUNT(*) AS n FROM trial_params WHERE trial_id = ?", {id})[1].n
    local old = self.db:rows("SELECT position FROM trial_params WHERE trial_id = ? AND name = ?", {id, name})[1]
    self.db:run("INSERT INTO trial_params VALUES (?, ?, ?, ?, ?) ON CONFLICT(trial_id, name) DO UPDATE " ..
                "SET value = excluded.value, distribution = excluded.distribution", {id, name, old and old.position or pos, v, d})
  end)
end

function Sqlite:report_intermediate(id, step, value)
  local v = encode(value)
  self:_on_running(id, "report_intermediate", function()
    self.db:run("INSERT INTO trial_intermediate VALUES (?, ?, ?) ON CONFLICT(trial_id, step) DO UPDATE " ..
                "SET value = excluded.value", {id, step, v})
  end)
end

function Sqlite:set_trial_attr(id, kind, key, value)
  check_attr(kind, key)
  local v = encode(value)
  self:tx(function()
    local seq = self:_bump(nil, id)
    self.db:run("UPDATE trials SET seq = ? WHERE id = ?", {seq, id})
    self.db:run("INSERT INTO trial_attrs VALUES (?, ?, ?, ?) ON CONFLICT(trial_id, kind, key) DO UPDATE " ..
                "SET value = excluded.value", {id, kind, key, v})
  end)
end

local terminal = {complete = true, pruned = true, failed = true}

function Sqlite:update_trial(id, u)
  if not terminal[u.state] then fail("update_trial: state must be complete, pruned or failed (got " .. tostring(u.state) .. ")") end
  if u.state == "complete" and type(u.values) ~= "table" then fail("update_trial: a complete trial needs values") end
  local vals = u.values and encode(u.values) or nil
  self:_on_running(id, "update_trial", function()
    self.db:run("UPDATE trials SET state = ?, trial_values = ?, reason = ?, duration = ?, datetime_complete = ? " ..
                "WHERE id = ?", {u.state, vals, u.reason, u.duration, os.time(), id})
  end, true)
end

-- SQL "AND state IN (?, ...)" and its arguments for a states set (nil: every state).
local function state_filter(states, args)
  if states == nil then return "" end
  local q = {}
  for _, s in ipairs{"waiting", "running", "complete", "pruned", "failed"} do
    if states[s] then q[#q + 1] = "?"; args[#args + 1] = s end
  end
  if #q == 0 then return " AND 1 = 0" end
  return " AND state IN (" .. table.concat(q, ", ") .. ")"
end

-- The study's trial records, brought up to date by reading only the trials changed since the last call.
function Sqlite:_all_trials(study_id)
  local seq = study_row(self, study_id).seq
  local c = self._cache[study_id]
  if not c then
    c = {seq = -1, list = {}}
    self._cache[study_id] = c
  end
  if seq == c.seq then return c.list end
  local args = {study_id, c.seq}
  local rows = self.db:rows("SELECT " .. TRIAL_COLS .. " FROM trials WHERE study_id = ? AND seq > ?", args)
  for _, rec in ipairs(self:_records(rows, "(SELECT id FROM trials WHERE study_id = ? AND seq > ?)", args)) do
    c.list[rec.number + 1] = rec
  end
  c.seq = seq
  return c.list
end

function Sqlite:trials(study_id, states)
  local all = self:_all_trials(study_id)
  if states == nil then return all end
  local out = {}
  for _, r in ipairs(all) do
    if states[r.state] then out[#out + 1] = r end
  end
  return out
end

function Sqlite:count_trials(study_id, states)
  study_row(self, study_id)
  local args = {study_id}
  return self.db:rows("SELECT COUNT(*) AS n FROM trials WHERE study_id = ?" .. state_filter(states, args), args)[1].n
end

return M
