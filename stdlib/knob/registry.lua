-- knob.registry — a registry of promoted models: named entries, numbered versions, stages, history.
--
--   local reg = knob.registry.open("sqlite:runs/bc.db")   -- the same database file as the studies
--   local v = reg:register{name = "churn-gbdt", model = m, metrics = {cv_mean = 0.91, cv_std = 0.01},
--                          fingerprint = train, study = "gbdt-bc", trial = 17, note = "tpe, 100 trials"}
--   reg:promote("churn-gbdt", v.version)                   -- now "production"
--   local m = reg:load_model("churn-gbdt", "production")
--
-- knob.registry.open(spec) -> registry. spec: nil or "memory" (a private in-memory SQLite database, e.g. for
-- tests), "sqlite:path.db" (a file, created when missing; shared by processes; knob.registry.sqlite), or a
-- backend table (the interface documented in knob/registry/sqlite.lua; a PostgreSQL backend implements it).
--
-- A version record: {name, version (1, 2, ... per name, assigned atomically), kind (the model kind;
-- "pipeline" for a pipeline), params (hyperparameters; a pipeline's nested by step), metrics ({name =
-- number}), fingerprint (of the training data, ds:fingerprint(); or nil), created (os.time() seconds),
-- parent (a version number or nil), study, trial (where it came from, or nil), note, stage ("candidate",
-- "production" or "archived"), checksum ("sha256:<hex>" of the stored model JSON)}.
--
--   reg:register{name =, model = m | path =, params =, metrics =, fingerprint =, study =, trial =, parent =,
--                note =} -> record
--       name: a non-empty string (stored as it is: quotes and SQL are just characters). model: a fitted
--       model or pipeline; path: a file saved by model:save (one of the two). params default to
--       model:params(). fingerprint: a string or a Dataset. study: a name or a knob.Study; trial: a number
--       or a trial record. parent: an existing version of name; default the latest one (nil for the first).
--       The model JSON is stored in the database, so a version is self-contained; a new version is a
--       "candidate".
--   reg:list() -> {{name, n_versions, latest, production}, ...} by name;  reg:list(name) -> version records
--   reg:show(name [, version]) -> record; version: a number, "latest" (the default) or "production"
--   reg:diff(name, v1, v2) -> {name, from, to, params = {added = {k = v}, removed = {k = v}, changed =
--       {k = {from =, to =}}}, metrics = {k = {from =, to =, delta =}} (every metric of either; delta nil
--       when one side lacks it), kind = {from =, to =} and fingerprint = {from =, to =} when they differ}.
--       Nested params (pipelines) are compared by their dotted path ("model.n_neighbors").
--   reg:promote(name, version) -> record    the version becomes "production", the previous production (if
--       any) "archived"; one production per name, changed atomically. Promoting the production is a no-op.
--   reg:rollback(name) -> record            production goes back to the version that was production before
--       the current one was promoted (repeatable: each rollback undoes one more promote); the current one
--       becomes "archived". Recorded as an event; nothing is deleted.
--   reg:load_model(name [, version]) -> model    the stored JSON, checked against its checksum, read by
--       knob.model.from_json (a model or a pipeline). A tampered row is an error; nothing read is executed.
--   reg:verify(name [, version]) -> true | nil, msg   the same checks without keeping the model
--   reg:history(name) -> {{event = "register"|"promote"|"rollback", version, previous, time}, ...} in order
--       (previous: the production before a promote or rollback)
--   reg:close()
-- Unknown names or versions, bad types and misspelt options raise an error naming them.
local model_mod = require "knob.model"
local sha256 = require "knob.registry.sha256"
local check_opts = require("knob.space").check_opts
local show = require("knob.space").show

local M = {}
M.sha256 = sha256

local Registry = {}
Registry.__index = Registry

M.STAGES = {"candidate", "production", "archived"}

local function fail(what, msg)
  error(what .. ": " .. msg, 0)
end

local function check_backend(b, what)
  local methods = require("knob.registry.sqlite").METHODS
  local missing = {}
  for _, m in ipairs(methods) do
    if type(b[m]) ~= "function" then missing[#missing + 1] = m end
  end
  if #missing > 0 then fail(what, "the registry backend lacks " .. table.concat(missing, ", ")) end
  return b
end

--- Open a registry: nil / "memory", "sqlite:path.db" or a backend table.
function M.open(spec)
  local what = "knob.registry.open"
  local backend
  if spec == nil or spec == "memory" then
    backend = require("knob.registry.sqlite").open(":memory:")
  elseif type(spec) == "table" then
    backend = check_backend(spec, what)
  elseif type(spec) == "string" then
    local path = spec:match("^sqlite:(.*)$")
    if not path then
      fail(what, "unknown storage '" .. spec .. "' (valid: \"memory\", \"sqlite:path.db\", a backend table)")
    end
    if path == "" then fail(what, "storage 'sqlite:' needs a file path (\"sqlite:path.db\")") end
    backend = require("knob.registry.sqlite").open(path)
  else
    fail(what, "storage must be nil, \"memory\", \"sqlite:path.db\" or a backend table (got " .. type(spec) .. ")")
  end
  return setmetatable({backend = backend, spec = spec}, Registry)
end

function Registry:close()
  if not self._closed then
    self._closed = true
    self.backend:close()
  end
end
Registry.__close = Registry.close

function Registry:__tostring()
  return "knob.Registry<" .. (type(self.spec) == "string" and self.spec or "memory") .. ">"
end

local function check_open(self, what)
  if getmetatable(self) ~= Registry then fail(what, "call it as a method (reg:" .. what:match("[^:]*$") .. "(...))") end
  if self._closed then fail(what, "the registry is closed") end
end

---------------------------------------------------------------------------------------------------------------
-- Argument checks
---------------------------------------------------------------------------------------------------------------

local function check_name(what, name)
  if type(name) ~= "string" or name == "" then
    fail(what, "name must be a non-empty string (got " .. show(name) .. ")")
  end
  return name
end

local function check_integer(what, key, v, min)
  if math.type(v) ~= "integer" or v < min then
    fail(what, ("%s must be an integer >= %d (got %s)"):format(key, min, show(v)))
  end
  return v
end

local function is_model(x) return model_mod.is_model(x) end

-- Plain data only (numbers, strings, booleans, tables of those with string keys or array indices).
local function check_data(what, key, v, depth)
  local t = type(v)
  if t == "number" or t == "string" or t == "boolean" then return end
  if t ~= "table" or depth > 20 then fail(what, ("%s must hold numbers, strings, booleans and tables (got %s)"):format(key, t)) end
  for k, x in pairs(v) do
    if type(k) ~= "string" and math.type(k) ~= "integer" then
      fail(what, ("%s: keys must be strings (got %s)"):format(key, type(k)))
    end
    check_data(what, key .. "." .. tostring(k), x, depth + 1)
  end
end

local function check_metrics(what, metrics)
  if metrics == nil then return {} end
  if type(metrics) ~= "table" then fail(what, "option 'metrics' must be a table {name = number} (got " .. type(metrics) .. ")") end
  local out = {}
  for k, v in pairs(metrics) do
    if type(k) ~= "string" then fail(what, "metric names must be strings (got " .. show(k) .. ")") end
    if type(v) ~= "number" then fail(what, ("metric '%s' must be a number (got %s)"):format(k, show(v))) end
    if v ~= v then fail(what, ("metric '%s' is NaN"):format(k)) end
    out[k] = v
  end
  return out
end

-- The model's JSON text, kind and params, from opts.model or opts.path; raises naming what is wrong.
local function model_of(what, o)
  if (o.model == nil) == (o.path == nil) then fail(what, "give one of 'model' (a fitted model) or 'path' (a saved model file)") end
  local m, text = o.model, nil
  if o.path ~= nil then
    if type(o.path) ~= "string" then fail(what, "option 'path' must be a string (got " .. type(o.path) .. ")") end
    local f, err = io.open(o.path, "rb")
    if not f then fail(what, "cannot open model file '" .. o.path .. "': " .. tostring(err)) end
    text = f:read("a")
    f:close()
    local loaded, msg = model_mod.from_json(text)
    if not loaded then fail(what, o.path .. ": " .. tostring(msg)) end
    m = loaded
  elseif not is_model(m) then
    fail(what, "option 'model' must be a knob model, pipeline or ensemble (got " .. (type(m) == "userdata" and tostring(m) or type(m)) .. ")")
  end
  local ok, info = pcall(m.info, m)
  -- an ensemble has no hyperparameters of its own: its kind, members and weights stand for them
  local params = ok and info.fitted and (m.params and m:params()
    or {ensemble = info.ensemble, members = info.members, weights = info.weights, voting = info.voting})
  text = text or (params and m:to_json())
  if o.path ~= nil then m:close() end
  if not ok then fail(what, "option 'model': " .. tostring(info)) end
  if not info.fitted then fail(what, "the model is not fitted (register a fitted model)") end
  return text, info.kind, params
end

local function fingerprint_of(what, fp)
  if fp == nil then return nil end
  if type(fp) == "string" then
    if fp == "" then fail(what, "option 'fingerprint' must not be empty") end
    return fp
  end
  local mt = getmetatable(fp)
  if type(fp) == "userdata" and type(mt) == "table" and mt.__name == "knob.Dataset" then return fp:fingerprint() end
  fail(what, "option 'fingerprint' must be a string or a Dataset (got " .. type(fp) .. ")")
end

local function study_of(what, o)
  local study, trial = o.study, o.trial
  if type(study) == "table" and type(study.name) == "string" then study = study.name end
  if study ~= nil and (type(study) ~= "string" or study == "") then
    fail(what, "option 'study' must be a study name or a knob.Study (got " .. show(study) .. ")")
  end
  if type(trial) == "table" then trial = trial.number end
  if trial ~= nil then
    check_integer(what, "option 'trial'", trial, 0)
    if study == nil then fail(what, "option 'trial' needs option 'study' (the study the trial belongs to)") end
  end
  return study, trial
end

---------------------------------------------------------------------------------------------------------------
-- Records
---------------------------------------------------------------------------------------------------------------

local FIELDS = {"name", "version", "kind", "params", "metrics", "fingerprint", "created", "parent", "study",
                "trial", "note", "stage", "checksum"}

local Record = {}
Record.__index = Record

function Record:__tostring()
  return ("%s v%d (%s, %s)"):format(self.name, self.version, self.kind, self.stage)
end

local function record(row)
  local r = {}
  for _, k in ipairs(FIELDS) do r[k] = row[k] end
  return setmetatable(r, Record)
end

-- Run f (it returns a version number of name) in one write transaction; the record of that version.
local function atomic_record(b, name, f)
  return record(b:version(name, b:atomic(f)))
end

-- Resolve a version argument (integer, "latest", "production"; nil = latest) to a version number.
local function resolve(self, what, name, version)
  check_name(what, name)
  local b = self.backend
  if version == nil or version == "latest" then
    local v = b:latest(name)
    if not v then fail(what, "no registry entry '" .. name .. "'") end
    return v
  end
  if version == "production" then
    for _, n in ipairs(b:names()) do
      if n.name == name then
        if not n.production then fail(what, "'" .. name .. "' has no production version (promote one first)") end
        return n.production
      end
    end
    fail(what, "no registry entry '" .. name .. "'")
  end
  if math.type(version) ~= "integer" or version < 1 then
    fail(what, "version must be an integer >= 1, \"latest\" or \"production\" (got " .. show(version) .. ")")
  end
  return version
end

-- The stored row of name/version (raises naming what is missing).
local function row(self, what, name, version)
  local v = resolve(self, what, name, version)
  local r = self.backend:version(name, v)
  if not r then
    if not self.backend:latest(name) then fail(what, "no registry entry '" .. name .. "'") end
    fail(what, ("'%s' has no version %d (latest: %d)"):format(name, v, self.backend:latest(name)))
  end
  return r
end

---------------------------------------------------------------------------------------------------------------
-- Register, list, show
---------------------------------------------------------------------------------------------------------------

function Registry:register(opts)
  local what = "registry:register"
  check_open(self, what)
  if type(opts) ~= "table" then fail(what, "expected an options table {name =, model = ...} (got " .. type(opts) .. ")") end
  check_opts(what, opts, {"name", "model", "path", "params", "metrics", "fingerprint", "study", "trial", "parent", "note"})
  local name = check_name(what, opts.name)
  local text, kind, params = model_of(what, opts)
  if opts.params ~= nil then
    if type(opts.params) ~= "table" then fail(what, "option 'params' must be a table (got " .. type(opts.params) .. ")") end
    params = opts.params
  end
  check_data(what, "params", params, 0)
  local metrics = check_metrics(what, opts.metrics)
  local fingerprint = fingerprint_of(what, opts.fingerprint)
  local study, trial = study_of(what, opts)
  if opts.note ~= nil and type(opts.note) ~= "string" then fail(what, "option 'note' must be a string (got " .. type(opts.note) .. ")") end
  if opts.parent ~= nil then check_integer(what, "option 'parent'", opts.parent, 1) end
  local checksum = "sha256:" .. sha256(text)
  local b = self.backend
  return atomic_record(b, name, function()
    local latest = b:latest(name)
    local parent = opts.parent or latest
    if opts.parent ~= nil and not b:version(name, opts.parent) then
      fail(what, ("parent: '%s' has no version %d"):format(name, opts.parent))
    end
    local v = (latest or 0) + 1
    local now = os.time()
    b:insert_version{name = name, version = v, kind = kind, params = params, metrics = metrics,
                     fingerprint = fingerprint, created = now, parent = parent, study = study, trial = trial,
                     note = opts.note, stage = "candidate", model = text, checksum = checksum}
    b:add_event{name = name, event = "register", version = v, time = now}
    return v
  end)
end

function Registry:list(name)
  local what = "registry:list"
  check_open(self, what)
  if name == nil then
    local out = {}
    for i, n in ipairs(self.backend:names()) do
      out[i] = {name = n.name, n_versions = n.n_versions, latest = n.latest, production = n.production}
    end
    return out
  end
  check_name(what, name)
  local out = {}
  for i, r in ipairs(self.backend:versions(name)) do out[i] = record(r) end
  if #out == 0 then fail(what, "no registry entry '" .. name .. "'") end
  return out
end

function Registry:show(name, version)
  check_open(self, "registry:show")
  return record(row(self, "registry:show", name, version))
end

---------------------------------------------------------------------------------------------------------------
-- Diff
---------------------------------------------------------------------------------------------------------------

local function is_list(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

-- Flatten nested tables (not lists) into {"a.b" = value}. (Also used by `knob registry show`.)
local function flatten(t, prefix, out)
  for k, v in pairs(t) do
    local key = prefix .. tostring(k)
    if type(v) == "table" and next(v) ~= nil and not is_list(v) then
      flatten(v, key .. ".", out)
    else
      out[key] = v
    end
  end
  return out
end

M._flatten = function(t) return flatten(t, "", {}) end

local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b or (a ~= a and b ~= b) end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function Registry:diff(name, v1, v2)
  local what = "registry:diff"
  check_open(self, what)
  if v1 == nil or v2 == nil then fail(what, "give two versions: reg:diff(name, v1, v2)") end
  local a, b = row(self, what, name, v1), row(self, what, name, v2)
  local pa, pb = flatten(a.params, "", {}), flatten(b.params, "", {})
  local d = {name = name, from = a.version, to = b.version,
             params = {added = {}, removed = {}, changed = {}}, metrics = {}}
  for k, v in pairs(pb) do
    if pa[k] == nil then d.params.added[k] = v
    elseif not same(pa[k], v) then d.params.changed[k] = {from = pa[k], to = v} end
  end
  for k, v in pairs(pa) do
    if pb[k] == nil then d.params.removed[k] = v end
  end
  for k, v in pairs(a.metrics) do d.metrics[k] = {from = v} end
  for k, v in pairs(b.metrics) do
    local m = d.metrics[k] or {}
    m.to = v
    if m.from ~= nil then m.delta = v - m.from end
    d.metrics[k] = m
  end
  for _, k in ipairs{"kind", "fingerprint"} do
    if a[k] ~= b[k] then d[k] = {from = a[k], to = b[k]} end
  end
  return d
end

---------------------------------------------------------------------------------------------------------------
-- Stages: promote, rollback, history
---------------------------------------------------------------------------------------------------------------

-- The production stack of name, replayed from its events: each promote pushes, each rollback pops.
local function production_stack(b, name)
  local stack = {}
  for _, e in ipairs(b:events(name)) do
    if e.event == "promote" then
      stack[#stack + 1] = e.version
    elseif e.event == "rollback" then
      stack[#stack] = nil
    end
  end
  return stack
end

function Registry:promote(name, version)
  local what = "registry:promote"
  check_open(self, what)
  if version == nil then fail(what, "give the version to promote: reg:promote(name, version)") end
  local b = self.backend
  return atomic_record(b, name, function()
    local r = row(self, what, name, version)
    if r.stage == "production" then return r.version end
    local stack = production_stack(b, name)
    local previous = stack[#stack]
    if previous then b:set_stage(name, previous, "archived") end
    b:set_stage(name, r.version, "production")
    b:add_event{name = name, event = "promote", version = r.version, previous = previous, time = os.time()}
    return r.version
  end)
end

function Registry:rollback(name)
  local what = "registry:rollback"
  check_open(self, what)
  check_name(what, name)
  local b = self.backend
  return atomic_record(b, name, function()
    if not b:latest(name) then fail(what, "no registry entry '" .. name .. "'") end
    local stack = production_stack(b, name)
    local current, back = stack[#stack], stack[#stack - 1]
    if not current then fail(what, "'" .. name .. "' has no production version to roll back") end
    if not back then
      fail(what, ("'%s' has no earlier production version to roll back to (v%d is the first)"):format(name, current))
    end
    b:set_stage(name, current, "archived")
    b:set_stage(name, back, "production")
    b:add_event{name = name, event = "rollback", version = back, previous = current, time = os.time()}
    return back
  end)
end

function Registry:history(name)
  local what = "registry:history"
  check_open(self, what)
  check_name(what, name)
  local out = {}
  for i, e in ipairs(self.backend:events(name)) do
    out[i] = {event = e.event, version = e.version, previous = e.previous, time = e.time}
  end
  if #out == 0 then fail(what, "no registry entry '" .. name .. "'") end
  return out
end

---------------------------------------------------------------------------------------------------------------
-- Models
---------------------------------------------------------------------------------------------------------------

-- The model of name/version, checked: nil, msg when its text does not match its checksum or does not load.
local function checked_model(self, what, name, version)
  local v = resolve(self, what, name, version)
  local text, checksum = self.backend:model_text(name, v)
  if text == nil then row(self, what, name, v) end -- raises naming what is missing
  local where = ("'%s' version %d"):format(name, v)
  if type(text) ~= "string" or type(checksum) ~= "string" then
    return nil, where .. ": the stored model or its checksum is missing"
  end
  local got = "sha256:" .. sha256(text)
  if got ~= checksum then
    return nil, ("%s: the stored model does not match its checksum (stored %s, computed %s)"):format(where, checksum, got)
  end
  local m, msg = model_mod.from_json(text)
  if not m then return nil, where .. ": the stored model does not load: " .. tostring(msg) end
  return m
end

function Registry:load_model(name, version)
  local what = "registry:load_model"
  check_open(self, what)
  local m, msg = checked_model(self, what, name, version)
  if not m then fail(what, msg) end
  return m
end

function Registry:verify(name, version)
  local what = "registry:verify"
  check_open(self, what)
  local m, msg = checked_model(self, what, name, version)
  if not m then return nil, msg end
  m:close()
  return true
end

return M
