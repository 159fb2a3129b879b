-- knob.storage.sqlite — the SQLite backend of the storage interface (see knob/storage/init.lua).
--
--   require("knob.storage.sqlite").open(path) -> backend     (knob.study{storage = "sqlite:path.db"})
--   (path ":memory:" opens a private in-memory database, e.g. for tests)
--
-- One database file holds any number of studies; several processes may share it (WAL mode, a 10 s busy
-- timeout, every write in its own BEGIN IMMEDIATE transaction: trial numbers are assigned atomically).
-- Every change (a new trial, a parameter, a reported value, a finished trial) is committed the moment it
-- happens, so a crash loses nothing that was reported (synchronous = NORMAL: durable across a process
-- crash; a power loss may drop the last transactions).
--
-- Schema version 1 (table schema_version(app = 'knob', version)): studies, study_attrs, trials,
-- trial_params, trial_intermediate, trial_attrs. Values, parameters, distributions and attributes are
-- stored as DATA (a JSON text, with NaN/Infinity/-Infinity tokens and floats always written with a '.' or
-- an exponent so that integers and floats come back as they went in) and parsed by a strict decoder: a
-- tampered row is an error naming the row, never executed. Names are bound parameters, stored as they are.
-- A file that is not a knob database, or a schema newer than this knob knows, is an error on open.
--
-- Dead trials. A running trial records its owner (host, pid, process start time). When a study is loaded
-- (load_study: knob.study.load, load_if_exists), every running trial whose owner is on this host and no
-- longer alive (or has no owner recorded) is marked failed with reason "process died"; it can be retried
-- (e.g. study:enqueue(record.params)). Running trials of live processes, or of other hosts, are left alone.
local core = require "knob.core"

local Sqlite = {}
Sqlite.__index = Sqlite

local M = {}

local SCHEMA_VERSION = 1

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

---------------------------------------------------------------------------------------------------------------
-- Opening, schema
---------------------------------------------------------------------------------------------------------------

local SCHEMA = [[
CREATE TABLE schema_version(app TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE studies(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, directions TEXT NOT NULL);
CREATE TABLE study_attrs(study_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                         PRIMARY KEY(study_id, kind, key));
CREATE TABLE trials(id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL, number INTEGER NOT NULL,
                    state TEXT NOT NULL, trial_values TEXT, reason TEXT, owner TEXT, datetime_start INTEGER,
                    datetime_complete INTEGER, duration REAL, UNIQUE(study_id, number));
CREATE TABLE trial_params(trial_id INTEGER NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL,
                          value TEXT NOT NULL, distribution TEXT NOT NULL, PRIMARY KEY(trial_id, name));
CREATE TABLE trial_intermediate(trial_id INTEGER NOT NULL, step INTEGER NOT NULL, value TEXT NOT NULL,
                                PRIMARY KEY(trial_id, step));
CREATE TABLE trial_attrs(trial_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                         PRIMARY KEY(trial_id, kind, key));
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
  return true
end

--- Open (creating when missing) the knob database at path.
function M.open(path)
  if type(path) ~= "string" or path == "" then fail("the database path must be a non-empty string") end
  local db, msg = core.sqlite.open(path)
  if not db then fail(msg) end
  local self = setmetatable({db = db, path = path, owner = self_owner(), host = hostname()}, Sqlite)
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
      if not check_schema(db, path) then
        db:exec(SCHEMA)
        db:run("INSERT INTO schema_version(app, version) VALUES ('knob', ?)", {SCHEMA_VERSION})
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
  local r = self.db:rows("SELECT id, name, directions FROM studies WHERE id = ?", {id})[1]
  if not r then fail("no study with id " .. tostring(id)) end
  return r
end

function Sqlite:create_study(t)
  if type(t.name) ~= "string" then fail("a study name must be a string") end
  local id = self:tx(function()
    if self.db:rows("SELECT id FROM studies WHERE name = ?", {t.name})[1] then
      fail("study '" .. t.name .. "' already exists")
    end
    local _, sid = self.db:run("INSERT INTO studies(name, directions) VALUES (?, ?)",
                               {t.name, encode(t.directions or {"minimize"})})
    for kind, attrs in pairs{user = t.user_attrs or {}, system = t.system_attrs or {}} do
      for k, v in pairs(attrs) do
        self.db:run("INSERT INTO study_attrs VALUES (?, ?, ?, ?)", {sid, kind, k, encode(v)})
      end
    end
    return sid
  end)
  return study_record(self, study_row(self, id))
end

-- Mark failed the running trials of the study whose owner process is gone (see the top of this file).
function Sqlite:_fail_dead(study_id)
  local running = self.db:rows("SELECT id, owner FROM trials WHERE study_id = ? AND state = 'running'", {study_id})
  for _, r in ipairs(running) do
    if not owner_alive(r.owner, self.host) then
      self:tx(function()
        self.db:run("UPDATE trials SET state = 'failed', reason = 'process died', datetime_complete = ? " ..
                    "WHERE id = ? AND state = 'running'", {os.time(), r.id})
      end)
    end
  end
end

function Sqlite:load_study(name)
  local row = self.db:rows("SELECT id, name, directions FROM studies WHERE name = ?", {name})[1]
  if not row then return nil end
  self:_fail_dead(row.id)
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
    self.db:run("INSERT OR REPLACE INTO study_attrs VALUES (?, ?, ?, ?)", {id, kind, key, text})
  end)
end

---------------------------------------------------------------------------------------------------------------
-- Trials
---------------------------------------------------------------------------------------------------------------

local TRIAL_COLS = "id, study_id, number, state, trial_values, reason, datetime_start, datetime_complete, duration"

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

function Sqlite:add_trial(study_id, t)
  t = t or {}
  local state = t.state or "running"
  if state ~= "running" and state ~= "waiting" then fail("a new trial is running or waiting (got " .. tostring(state) .. ")") end
  study_row(self, study_id)
  local id = self:tx(function()
    local n = self.db:rows("SELECT COALESCE(MAX(number) + 1, 0) AS n FROM trials WHERE study_id = ?", {study_id})[1].n
    local _, tid = self.db:run("INSERT INTO trials(study_id, number, state, owner, datetime_start) VALUES (?, ?, ?, ?, ?)",
                               {study_id, n, state, state == "running" and self.owner or nil,
                                state == "running" and os.time() or nil})
    for kind, attrs in pairs{user = t.user_attrs or {}, system = t.system_attrs or {}} do
      for k, v in pairs(attrs) do
        self.db:run("INSERT INTO trial_attrs VALUES (?, ?, ?, ?)", {tid, kind, k, encode(v)})
      end
    end
    return tid
  end)
  return self:get_trial(id)
end

function Sqlite:pop_waiting(study_id)
  study_row(self, study_id)
  local id = self:tx(function()
    local r = self.db:rows("SELECT id FROM trials WHERE study_id = ? AND state = 'waiting' ORDER BY number LIMIT 1",
                           {study_id})[1]
    if not r then return nil end
    self.db:run("UPDATE trials SET state = 'running', owner = ?, datetime_start = ? WHERE id = ?",
                {self.owner, os.time(), r.id})
    return r.id
  end)
  return id and self:get_trial(id) or nil
end

-- Run f inside a transaction after checking that trial id is running.
function Sqlite:_on_running(id, what, f)
  return self:tx(function()
    local r = self.db:rows("SELECT number, state FROM trials WHERE id = ?", {id})[1]
    if not r then fail("no trial with id " .. tostring(id)) end
    if r.state ~= "running" then fail(("%s: trial %d is %s, not running"):format(what, r.number, r.state)) end
    return f()
  end)
end

function Sqlite:set_param(id, name, value, dist)
  local v, d = encode(value), encode(dist)
  self:_on_running(id, "set_param", function()
    local pos = self.db:rows("SELECT COUNT(*) AS n FROM trial_params WHERE trial_id = ?", {id})[1].n
    local old = self.db:rows("SELECT position FROM trial_params WHERE trial_id = ? AND name = ?", {id, name})[1]
    self.db:run("INSERT OR REPLACE INTO trial_params VALUES (?, ?, ?, ?, ?)", {id, name, old and old.position or pos, v, d})
  end)
end

function Sqlite:report_intermediate(id, step, value)
  local v = encode(value)
  self:_on_running(id, "report_intermediate", function()
    self.db:run("INSERT OR REPLACE INTO trial_intermediate VALUES (?, ?, ?)", {id, step, v})
  end)
end

function Sqlite:set_trial_attr(id, kind, key, value)
  check_attr(kind, key)
  local v = encode(value)
  self:tx(function()
    if not self.db:rows("SELECT id FROM trials WHERE id = ?", {id})[1] then fail("no trial with id " .. tostring(id)) end
    self.db:run("INSERT OR REPLACE INTO trial_attrs VALUES (?, ?, ?, ?)", {id, kind, key, v})
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
  end)
end

-- SQL "AND state IN (?, ...)" and its arguments for a states set (nil: every state).
local function state_filter(states, args)
  if states == nil then return "" end
  local q = {}
  for _, s in ipairs{"waiting", "running", "complete", "pruned", "failed"} do
    if states[s] then q[#q + 1] = "?"; args[#args + 1] = s end
  end
  if #q == 0 then return " AND 0" end
  return " AND state IN (" .. table.concat(q, ", ") .. ")"
end

function Sqlite:trials(study_id, states)
  study_row(self, study_id)
  local args = {study_id}
  local filter = state_filter(states, args)
  local rows = self.db:rows("SELECT " .. TRIAL_COLS .. " FROM trials WHERE study_id = ?" .. filter .. " ORDER BY number", args)
  return self:_records(rows, "(SELECT id FROM trials WHERE study_id = ?" .. filter .. ")", args)
end

function Sqlite:count_trials(study_id, states)
  study_row(self, study_id)
  local args = {study_id}
  return self.db:rows("SELECT COUNT(*) AS n FROM trials WHERE study_id = ?" .. state_filter(states, args), args)[1].n
end

return M
