-- knob.storage.postgres — the PostgreSQL backend of the storage interface (see knob/storage/init.lua).
--
--   require("knob.storage.postgres").open(url [, opts]) -> backend
--   knob.study{storage = "postgresql://user[:password]@host[:port]/db", ...}   (also "postgres://")
--   opts: heartbeat_grace = 60 (seconds), max_retries = 2 -- as knob.storage.sqlite
--
-- The database is the coordinator of any number of workers on any number of machines: the schema, the
-- semantics and the code are those of knob.storage.sqlite (read its header: change sequence, atomic trial
-- numbering under the study row's lock, claiming waiting trials with UPDATE ... RETURNING, heartbeats,
-- lost-trial retries, values stored as JSON data and decoded strictly -- a tampered row is an error), run
-- through knob.core.pg (libpq) with every value bound as a $n parameter. The tables live in the schema
-- "knob" of the database (created, with schema_version, on first use under an advisory lock, so workers may
-- start together); other tables of the database (e.g. Optuna's) are not touched.
--
-- Connection loss. When a call fails because the connection is gone, the backend reconnects with
-- exponential backoff (0.05 s doubling to 5 s, for about a minute) and runs the call again; a finish
-- (update_trial) whose commit went through before the connection dropped is recognised, so a finished
-- result is never lost. Errors name no password: the password of the URL is replaced by *** in every
-- message, and tostring(backend) shows user@host:port/db only.
local core = require "knob.core"
local sqlite = require "knob.storage.sqlite"
local storage = require "knob.storage"

local Base = sqlite.class
local Pg = setmetatable({}, {__index = Base})
Pg.__index = Pg

local M = {}

local SCHEMA_VERSION = sqlite.SCHEMA_VERSION
local LOCK_KEY = 7243001 -- pg_advisory_xact_lock key serialising schema creation
local MAX_ATTEMPTS = 16  -- reconnect attempts of one call (about a minute of backoff)

-- SQLite's schema with PostgreSQL's types (integers are 64-bit, ids from sequences).
local SCHEMA = sqlite.SCHEMA:gsub("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY"):gsub("INTEGER", "BIGINT")
  :gsub("REAL", "DOUBLE PRECISION")

---------------------------------------------------------------------------------------------------------------
-- The connection adapter: the rows/run/exec calls of knob.core.sqlite over knob.core.pg
---------------------------------------------------------------------------------------------------------------

local Conn = {}
Conn.__index = Conn

local translated = {} -- sql with ? placeholders -> {sql with $n, n}

local function translate(sql)
  local t = translated[sql]
  if not t then
    local n = 0
    local q = sql:gsub("%?", function() n = n + 1; return "$" .. n end)
    t = {q, n}
    translated[sql] = t
  end
  return t[1], t[2]
end

local function bind(args, n)
  local a = {n = n}
  for i = 1, n do a[i] = args and args[i] end
  return a
end

function Conn:rows(sql, args)
  local q, n = translate(sql)
  return (self.conn:exec(q, bind(args, n)))
end

function Conn:run(sql, args)
  local q, n = translate(sql)
  local _, affected = self.conn:exec(q, bind(args, n))
  return affected
end

function Conn:exec(sql)
  self.conn:exec(sql == "BEGIN IMMEDIATE" and "BEGIN" or sql)
end

function Conn:close()
  self.conn:close()
end

---------------------------------------------------------------------------------------------------------------
-- Errors without the password; reconnection
---------------------------------------------------------------------------------------------------------------

-- The password of a URL or key=value connection string, or nil.
local function secret_of(url)
  local pw = url:match("^postgres[a-z]*://[^:@/]*:([^@/]*)@") or url:match("[?&]password=([^&]*)")
    or url:match("password%s*=%s*'([^']*)'") or url:match("password%s*=%s*(%S+)")
  if pw == "" then return nil end
  return pw
end
M._secret_of = secret_of

local function clean(self, e)
  e = tostring(e):gsub("^storage %(sqlite%)", "storage (postgresql)")
  local secret = self.secret
  if secret then
    local i, j = e:find(secret, 1, true)
    while i do
      e = e:sub(1, i - 1) .. "***" .. e:sub(j + 1)
      i, j = e:find(secret, i + 3, true)
    end
  end
  return e
end

local function sleep(seconds)
  os.execute(("sleep %.3f"):format(seconds))
end

function Pg:_reconnect()
  local ok = self.db.conn:reset()
  if ok then pcall(self.db.conn.exec, self.db.conn, "SET search_path = knob") end
  return ok
end

-- Wrap a Base method: errors in PostgreSQL's name and without the password; a lost connection is
-- re-established with backoff and the call run again.
local function wrap(name, f)
  return function(self, ...)
    local delay, last = 0.05, nil
    for attempt = 1, MAX_ATTEMPTS do
      local ok, a, b = pcall(f, self, ...)
      if ok then return a, b end
      if self.db.conn:ok() then
        if attempt > 1 and name == "update_trial" then -- the commit may have gone through before the loss
          local id, u = ...
          local ok2, rec = pcall(Base.get_trial, self, id)
          if ok2 and type(u) == "table" and rec.state == u.state then return end
        end
        error(clean(self, a), 0)
      end
      last = a
      sleep(delay)
      delay = math.min(delay * 2, 5)
      pcall(Pg._reconnect, self)
    end
    error(clean(self, "storage (postgresql): connection lost, gave up after " .. MAX_ATTEMPTS .. " attempts: "
                .. tostring(last)), 0)
  end
end

for _, name in ipairs(storage.METHODS) do
  if name ~= "close" then Pg[name] = wrap(name, Base[name]) end
end
Pg.heartbeat = wrap("heartbeat", Base.heartbeat)

---------------------------------------------------------------------------------------------------------------
-- Opening, schema
---------------------------------------------------------------------------------------------------------------

local function setup(self)
  local db = self.db
  db:exec("SET search_path = knob")
  self:tx(function()
    db:rows("SELECT pg_advisory_xact_lock(?)", {LOCK_KEY})
    db:exec("CREATE SCHEMA IF NOT EXISTS knob")
    local tables = db:rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'knob'")
    if #tables == 0 then
      db:exec(SCHEMA)
      db:run("INSERT INTO schema_version(app, version) VALUES ('knob', ?)", {SCHEMA_VERSION})
      return
    end
    local has = {}
    for _, t in ipairs(tables) do has[t.table_name] = true end
    local what = "database " .. self.desc
    if not has.schema_version then
      sqlite.fail(what .. " is not a knob database (its schema 'knob' has no schema_version table)")
    end
    local rows = db:rows("SELECT app, version FROM schema_version")
    if #rows ~= 1 or rows[1].app ~= "knob" or math.type(rows[1].version) ~= "integer" then
      sqlite.fail(what .. " is not a knob database (its schema_version table is not knob's)")
    end
    local v = rows[1].version
    if v > SCHEMA_VERSION then
      sqlite.fail(("%s has schema version %d, written by a newer knob (this knob reads version %d)"):format(
        what, v, SCHEMA_VERSION))
    end
    if v < SCHEMA_VERSION then
      sqlite.fail(("%s has an unknown schema version %d"):format(what, v))
    end
  end)
end

--- Open the knob schema of the database at url (creating it on first use).
function M.open(url, opts)
  if type(url) ~= "string" or not url:match("^postgres") then
    error("storage (postgresql): the storage must be a \"postgresql://user@host/db\" URL", 0)
  end
  local self = setmetatable({secret = secret_of(url)}, Pg)
  local ok, err = pcall(sqlite.init, self, opts, "postgresql")
  if not ok then error(clean(self, err), 0) end
  local conn, msg = core.pg.connect(url)
  if not conn then error(clean(self, "storage (postgresql): " .. msg), 0) end
  self.db = setmetatable({conn = conn}, Conn)
  self.desc = tostring(conn):gsub("^knob%.PG<(.*)>$", "%1")
  ok, err = pcall(setup, self)
  if not ok then
    conn:close()
    error(clean(self, err), 0)
  end
  return self
end

function Pg:close()
  self.db:close()
end

function Pg:__tostring()
  return "knob.storage.postgresql<" .. self.desc .. ">"
end

return M
