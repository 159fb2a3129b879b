-- knob.registry.sqlite — the SQLite backend of the model registry (see knob/registry.lua for the API).
--
--   require("knob.registry.sqlite").open(path) -> backend      path: a file, or ":memory:" (private, tests)
--
-- The registry lives in the same database file as the studies: the file is opened through
-- knob.storage.sqlite (its schema check, WAL mode, 10 s busy timeout, BEGIN IMMEDIATE transactions), and the
-- registry adds its own tables next to the study tables, with their own schema version (table
-- registry_schema_version; the studies' schema_version is left alone):
--   registry_versions(name, version, kind, params, metrics, fingerprint, created, parent, study, trial,
--                     note, stage, model, checksum)     UNIQUE(name, version); at most one row per name has
--                                                        stage 'production' (a partial unique index)
--   registry_events(id, name, event, version, previous, time)    register, promote, rollback; never deleted
-- Params and metrics are stored as JSON text (knob.storage.sqlite's encoder) and read back by its strict
-- decoder; the model is the JSON text its :to_json() wrote. Nothing read is ever executed.
--
-- The backend interface (a PostgreSQL backend implements the same calls; rows are plain tables):
--   atomic(f, ...)              run f(...) in one write transaction, serialized with every other writer
--                               (also in other processes); an error rolls it back and is re-raised
--   insert_version(row)         row: {name, version, kind, params, metrics, fingerprint, created, parent,
--                               study, trial, note, stage, model, checksum}
--   version(name, version)      -> row without the model text, or nil
--   versions(name)              -> rows (no model text) in version order
--   latest(name)                -> the highest version number of name, or nil
--   names()                     -> {{name, n_versions, latest, production}, ...} by name
--   model_text(name, version)   -> model JSON text, checksum (nil when there is no such version)
--   set_stage(name, version, stage)
--   add_event{name, event, version, previous, time}
--   events(name)                -> rows {id, name, event, version, previous, time} in order
--   close()                     idempotent
local storage_sqlite = require "knob.storage.sqlite"

local encode, decode = storage_sqlite.encode, storage_sqlite.decode

local SCHEMA_VERSION = 1

local SCHEMA = [[
CREATE TABLE registry_schema_version(version INTEGER NOT NULL);
CREATE TABLE registry_versions(id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL,
  kind TEXT NOT NULL, params TEXT NOT NULL, metrics TEXT NOT NULL, fingerprint TEXT, created INTEGER NOT NULL,
  parent INTEGER, study TEXT, trial INTEGER, note TEXT, stage TEXT NOT NULL, model TEXT NOT NULL,
  checksum TEXT NOT NULL, UNIQUE(name, version));
CREATE UNIQUE INDEX registry_one_production ON registry_versions(name) WHERE stage = 'production';
CREATE TABLE registry_events(id INTEGER PRIMARY KEY, name TEXT NOT NULL, event TEXT NOT NULL,
  version INTEGER NOT NULL, previous INTEGER, time INTEGER NOT NULL);
CREATE INDEX registry_events_name ON registry_events(name, id);
]]

local COLS = "name, version, kind, params, metrics, fingerprint, created, parent, study, trial, note, stage, checksum"

local STAGES = {candidate = true, production = true, archived = true}

local function fail(msg)
  error("registry (sqlite): " .. msg, 0)
end

local Backend = {}
Backend.__index = Backend

local M = {}

-- Create the registry tables when missing; refuse a registry schema newer than this knob's.
local function ensure_schema(self)
  local db = self.db
  self:atomic(function()
    local has = db:rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'registry_schema_version'")[1]
    if not has then
      db:exec(SCHEMA)
      db:run("INSERT INTO registry_schema_version(version) VALUES (?)", {SCHEMA_VERSION})
      return
    end
    local rows = db:rows("SELECT version FROM registry_schema_version")
    local v = rows[1] and rows[1].version
    if #rows ~= 1 or math.type(v) ~= "integer" or v < 1 then
      fail(("'%s' has an invalid registry schema version"):format(self.path))
    end
    if v > SCHEMA_VERSION then
      fail(("'%s' has registry schema version %d, written by a newer knob (this knob reads version %d)"):format(
        self.path, v, SCHEMA_VERSION))
    end
  end)
end

--- Open (creating when missing) the registry in the knob database at path.
function M.open(path)
  if type(path) ~= "string" or path == "" then fail("the database path must be a non-empty string") end
  local st = storage_sqlite.open(path)
  local self = setmetatable({store = st, db = st.db, path = path}, Backend)
  local ok, err = pcall(ensure_schema, self)
  if not ok then
    st:close()
    error(err, 0)
  end
  return self
end

function Backend:atomic(f, ...)
  return self.store:tx(f, ...)
end

function Backend:close()
  self.store:close()
end

function Backend:__tostring()
  return "knob.registry.sqlite<" .. self.path .. ">"
end

function Backend:insert_version(r)
  self.db:run("INSERT INTO registry_versions(" .. COLS .. ", model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              {r.name, r.version, r.kind, encode(r.params), encode(r.metrics), r.fingerprint, r.created, r.parent,
               r.study, r.trial, r.note, r.stage, r.checksum, r.model})
end

-- A stored row as a plain table: params and metrics decoded (strictly), the other columns checked for type.
local function row_of(r)
  local where = ("of '%s' version %s"):format(tostring(r.name), tostring(r.version))
  local out = {}
  for k, v in pairs(r) do out[k] = v end
  out.params = decode(r.params, where .. " (params)")
  out.metrics = decode(r.metrics, where .. " (metrics)")
  if type(out.params) ~= "table" then fail("bad stored value " .. where .. " (params): not a table") end
  if type(out.metrics) ~= "table" then fail("bad stored value " .. where .. " (metrics): not a table") end
  for _, k in ipairs{"version", "created", "parent", "trial"} do
    if out[k] ~= nil and math.type(out[k]) ~= "integer" then fail(("bad stored %s %s"):format(k, where)) end
  end
  for _, k in ipairs{"kind", "fingerprint", "study", "note", "stage", "checksum"} do
    if out[k] ~= nil and type(out[k]) ~= "string" then fail(("bad stored %s %s"):format(k, where)) end
  end
  if not STAGES[out.stage] then fail(("bad stored stage %s: %s"):format(where, tostring(out.stage))) end
  return out
end

function Backend:version(name, version)
  local r = self.db:rows("SELECT " .. COLS .. " FROM registry_versions WHERE name = ? AND version = ?", {name, version})[1]
  return r and row_of(r) or nil
end

function Backend:versions(name)
  local out = {}
  for i, r in ipairs(self.db:rows("SELECT " .. COLS .. " FROM registry_versions WHERE name = ? ORDER BY version", {name})) do
    out[i] = row_of(r)
  end
  return out
end

function Backend:latest(name)
  return self.db:rows("SELECT MAX(version) AS v FROM registry_versions WHERE name = ?", {name})[1].v
end

function Backend:names()
  return self.db:rows([[
SELECT name, COUNT(*) AS n_versions, MAX(version) AS latest,
       MAX(CASE WHEN stage = 'production' THEN version END) AS production
FROM registry_versions GROUP BY name ORDER BY name]])
end

function Backend:model_text(name, version)
  local r = self.db:rows("SELECT model, checksum FROM registry_versions WHERE name = ? AND version = ?", {name, version})[1]
  if not r then return nil end
  return r.model, r.checksum
end

function Backend:set_stage(name, version, stage)
  self.db:run("UPDATE registry_versions SET stage = ? WHERE name = ? AND version = ?", {stage, name, version})
end

function Backend:add_event(e)
  self.db:run("INSERT INTO registry_events(name, event, version, previous, time) VALUES (?, ?, ?, ?, ?)",
              {e.name, e.event, e.version, e.previous, e.time})
end

function Backend:events(name)
  return self.db:rows("SELECT id, name, event, version, previous, time FROM registry_events WHERE name = ? ORDER BY id",
                      {name})
end

M.METHODS = {"atomic", "insert_version", "version", "versions", "latest", "names", "model_text", "set_stage",
             "add_event", "events", "close"}

return M
