-- knob.pipeline — zero or more transformers followed by exactly one model, behaving as one model.
--
--   local p = knob.pipeline{knob.prep.standardize(), knob.prep.onehot(), knob.model.knn{n_neighbors = 5}}
--   p:fit(train, {sample_weight = w, eval_set = valid})  -- each transformer fit_transforms the training rows
--   p:predict(test)                                       -- only; eval_set and test pass through the fitted
--   p:score(test, "accuracy")                             -- transformers, so nothing leaks from them
--
-- Steps are named "<i>.<kind>" for the transformers ("1.standardize", "2.onehot") and "model" for the model.
--   p:params()        {["1.standardize"] = {with_mean = true, ...}, ["2.onehot"] = {...}, model = {...}}
--   p:clone(overrides) an unfitted copy of every step; overrides name "<step>.<parameter>" or give a step a
--                      table: p:clone{["model.n_neighbors"] = 7, ["1.standardize"] = {with_std = false}}
--   p:save(path) / knob.pipeline.load(path), p:to_json() / knob.pipeline.from_json(text): one JSON document
--     {"format": "knob.pipeline", "version": 1, "steps": [transformer JSON..., model JSON]}; a missing or
--     corrupt file gives nil, msg naming what is wrong.
-- Other methods: fit(ds, opts) → self (opts as Model:fit), predict(ds), predict_proba(ds) → proba, classes,
-- score(ds, metric), transform(ds) (the transformers only), info(), history() (the model's),
-- feature_importances() (the model's, by transformed column), steps(), kind() → "pipeline", is_fitted(),
-- close() (closes every step; idempotent), tostring(p).
-- The pipeline holds the step objects it was given: fitting it fits them.
local core = require "knob.core"
local prep = require "knob.prep"
local model = require "knob.model"

local M = {}

local FORMAT, VERSION = "knob.pipeline", 1

local Pipeline = {}
Pipeline.__index = Pipeline
Pipeline.__name = "knob.Pipeline"

-- "transformer", "model" or nil for anything else.
local function step_type(x)
  local mt = type(x) == "userdata" and getmetatable(x)
  local name = type(mt) == "table" and mt.__name
  if name == "knob.Transformer" then return "transformer" end
  if name == "knob.Model" then return "model" end
  return nil
end

local function describe(x)
  if type(x) == "userdata" or type(x) == "table" then return tostring(x) end
  return type(x)
end

local function build(steps, level)
  level = level + 1
  if type(steps) ~= "table" then
    error("knob.pipeline: expected a list of steps (got " .. type(steps) .. ")", level)
  end
  local n = #steps
  for k in pairs(steps) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      error("knob.pipeline: steps must be a list (unexpected key " .. tostring(k) .. ")", level)
    end
  end
  if n == 0 then error("knob.pipeline: no steps; give zero or more transformers followed by one model", level) end
  local seen = {}
  for i, s in ipairs(steps) do
    local t = step_type(s)
    if i < n and t ~= "transformer" then
      if t == "model" then
        error(("knob.pipeline: step %d is a model (%s); only the last step may be a model"):format(i, describe(s)), level)
      end
      error(("knob.pipeline: step %d must be a knob.Transformer (got %s)"):format(i, describe(s)), level)
    end
    if i == n and t ~= "model" then
      error(("knob.pipeline: the last step must be a model (got %s), e.g. knob.model.knn{}"):format(describe(s)), level)
    end
    if seen[s] then error(("knob.pipeline: step %d is the same object as step %d"):format(i, seen[s]), level) end
    seen[s] = i
  end
  local self = setmetatable({_transformers = {}, _names = {}, _fitted = false}, Pipeline)
  for i = 1, n - 1 do
    self._transformers[i] = steps[i]
    self._names[i] = i .. "." .. steps[i]:kind()
  end
  self._model = steps[n]
  self._names[n] = "model"
  return self
end

--- knob.pipeline.new{steps...} is the same as knob.pipeline{steps...}.
function M.new(steps)
  return build(steps, 1)
end

local function check_open(self, what)
  if self._closed then error("pipeline is closed", 3) end
  if what and not self._fitted then error("pipeline: " .. what .. " needs a fitted pipeline", 3) end
end

-- Run f(...) and return its results; on error close the temporaries and re-raise naming the step.
local function guarded(temps, name, f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] then
    for _, d in ipairs(temps) do d:close() end
    error("pipeline step " .. name .. ": " .. tostring(r[2]), 0)
  end
  return table.unpack(r, 2, r.n)
end

local function close_all(temps)
  for _, d in ipairs(temps) do d:close() end
end

-- ds passed through the fitted transformers; temps collects the intermediate datasets (the caller closes).
local function apply(self, ds, temps)
  local cur = ds
  for i, t in ipairs(self._transformers) do
    cur = guarded(temps, self._names[i], t.transform, t, cur)
    temps[#temps + 1] = cur
  end
  return cur
end

--- Fit every transformer on the training rows (fit_transform), then the model. opts as Model:fit; an
--- eval_set passes through the fitted transformers first. Returns self.
function Pipeline:fit(ds, opts)
  check_open(self)
  if opts ~= nil and type(opts) ~= "table" then error("fit: options must be a table (got " .. type(opts) .. ")", 2) end
  local temps = {}
  self._fitted = false
  local cur, eval = ds, opts and opts.eval_set
  for i, t in ipairs(self._transformers) do
    cur = guarded(temps, self._names[i], t.fit_transform, t, cur)
    temps[#temps + 1] = cur
    if eval ~= nil then
      eval = guarded(temps, self._names[i] .. " (eval_set)", t.transform, t, eval)
      temps[#temps + 1] = eval
    end
  end
  local mopts
  if opts then
    mopts = {}
    for k, v in pairs(opts) do mopts[k] = v end
    mopts.eval_set = eval
  end
  guarded(temps, "model", self._model.fit, self._model, cur, mopts)
  close_all(temps)
  self._fitted = true
  return self
end

--- The transformers' output for ds (a new Dataset; ds itself when there are no transformers).
function Pipeline:transform(ds)
  check_open(self, "transform")
  local temps = {}
  local out = apply(self, ds, temps)
  for i = 1, #temps - 1 do temps[i]:close() end
  return out
end

local function through(self, what, ds)
  local temps = {}
  local cur = apply(self, ds, temps)
  local m = self._model
  local r1, r2 = guarded(temps, "model", m[what], m, cur)
  close_all(temps)
  return r1, r2
end

--- Predictions for ds: class labels or values.
function Pipeline:predict(ds)
  check_open(self, "predict")
  return (through(self, "predict", ds))
end

--- Class probabilities for ds: proba (rows of numbers), classes.
function Pipeline:predict_proba(ds)
  check_open(self, "predict_proba")
  return through(self, "predict_proba", ds)
end

--- Score on ds with a metric from knob.metrics (default: accuracy or r2), as Model:score.
Pipeline.score = core.model.methods.score

--- Save as one JSON document (written to a temporary file, then renamed). true, or nil, msg.
Pipeline.save = core.model.methods.save

--- The hyperparameters of every step: {["1.standardize"] = {...}, model = {...}}.
function Pipeline:params()
  check_open(self)
  local out = {}
  for i, t in ipairs(self._transformers) do out[self._names[i]] = t:params() end
  out.model = self._model:params()
  return out
end

--- An unfitted copy of every step, with overrides {["<step>.<param>"] = v} or {["<step>"] = {param = v}}.
function Pipeline:clone(overrides)
  check_open(self)
  if overrides ~= nil and type(overrides) ~= "table" then
    error("pipeline: clone: overrides must be a table (got " .. type(overrides) .. ")", 2)
  end
  local index = {}
  for i, name in ipairs(self._names) do index[name] = i end
  local per = {}
  local function set(i, param, v)
    per[i] = per[i] or {}
    per[i][param] = v
  end
  for key, v in pairs(overrides or {}) do
    if type(key) ~= "string" then error("pipeline: clone: override keys must be strings (got " .. type(key) .. ")", 2) end
    if index[key] then
      if type(v) ~= "table" then
        error("pipeline: clone: override '" .. key .. "' names a step, so its value must be a table of parameters", 2)
      end
      for p, pv in pairs(v) do set(index[key], p, pv) end
    else
      local step, param = key:match("^(.*)%.([^.]+)$")
      if not step or not index[step] then
        error("pipeline: clone: '" .. key .. "' does not start with a step name (steps: " ..
          table.concat(self._names, ", ") .. ")", 2)
      end
      set(index[step], param, v)
    end
  end
  local steps = {}
  for i, t in ipairs(self._transformers) do
    local params = t:params()
    for p, v in pairs(per[i] or {}) do params[p] = v end
    local ok, c = pcall(prep[t:kind()], params)
    if not ok then
      for _, s in ipairs(steps) do s:close() end
      error("pipeline: clone: step " .. self._names[i] .. ": " .. tostring(c), 2)
    end
    steps[i] = c
  end
  local ok, m = pcall(self._model.clone, self._model, per[#self._names])
  if not ok then
    for _, s in ipairs(steps) do s:close() end
    error("pipeline: clone: step model: " .. tostring(m), 2)
  end
  steps[#steps + 1] = m
  return build(steps, 1)
end

--- The pipeline as JSON text: {"format":"knob.pipeline","version":1,"steps":[...]}.
function Pipeline:to_json()
  check_open(self)
  local parts = {}
  for i, t in ipairs(self._transformers) do parts[i] = t:to_json() end
  parts[#parts + 1] = self._model:to_json()
  return ('{"format":"%s","version":%d,"steps":[%s]}'):format(FORMAT, VERSION, table.concat(parts, ","))
end

--- The model's info() with kind = "pipeline", model = the model's kind, steps = the step names.
function Pipeline:info()
  check_open(self)
  local info = self._model:info()
  info.model = info.kind
  info.kind = "pipeline"
  info.fitted = self._fitted
  info.steps = {table.unpack(self._names)}
  return info
end

--- The model's training history.
function Pipeline:history()
  check_open(self)
  return self._model:history()
end

--- The model's feature importances (keyed by the transformed column names).
function Pipeline:feature_importances()
  check_open(self, "feature_importances")
  return self._model:feature_importances()
end

--- The step objects, in order (the model last).
function Pipeline:steps()
  check_open(self)
  local out = {table.unpack(self._transformers)}
  out[#out + 1] = self._model
  return out
end

function Pipeline:kind()
  return "pipeline"
end

function Pipeline:is_fitted()
  check_open(self)
  return self._fitted
end

--- Close every step. Idempotent.
function Pipeline:close()
  if self._closed then return end
  for _, t in ipairs(self._transformers) do t:close() end
  self._model:close()
  self._closed = true
end
Pipeline.__close = Pipeline.close

function Pipeline:__tostring()
  if self._closed then return "knob.Pipeline<closed>" end
  local kinds = {}
  for i, t in ipairs(self._transformers) do kinds[i] = t:kind() end
  kinds[#kinds + 1] = self._model:kind()
  return ("knob.Pipeline<%s, %s>"):format(table.concat(kinds, " -> "), self._fitted and "fitted" or "not fitted")
end

-- ---- reading the JSON document ----------------------------------------------------------------------
-- A structural scanner: it finds where each value starts and ends (strings, numbers, literals, nesting) so
-- the steps' own JSON text is handed unchanged to knob.prep.from_json / knob.model.from_json, which parse
-- and check it fully.

local scan_value

local function skip_ws(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local function scan_string(s, i)
  local j = i + 1
  while true do
    local c = s:find('["\\]', j)
    if not c then error({at = i, why = "unterminated string"}) end
    if s:byte(c) == 34 then return c + 1 end
    j = c + 2
  end
end

-- Scan the object or array at s[i]; collect (if given) receives key → {from, to} or a list of {from, to}.
local function scan_container(s, i, collect)
  local is_obj = s:byte(i) == 123
  local close = is_obj and 125 or 93
  i = skip_ws(s, i + 1)
  if s:byte(i) == close then return i + 1 end
  while true do
    local key
    if is_obj then
      if s:byte(i) ~= 34 then error({at = i, why = "expected a string key"}) end
      local e = scan_string(s, i)
      key = s:sub(i + 1, e - 2)
      i = skip_ws(s, e)
      if s:byte(i) ~= 58 then error({at = i, why = "expected ':'"}) end
      i = skip_ws(s, i + 1)
    end
    local e = scan_value(s, i)
    if collect then
      if is_obj then collect[key] = {i, e - 1} else collect[#collect + 1] = {i, e - 1} end
    end
    i = skip_ws(s, e)
    local b = s:byte(i)
    if b == close then return i + 1 end
    if b ~= 44 then error({at = i, why = "expected ',' or a closing bracket"}) end
    i = skip_ws(s, i + 1)
  end
end

function scan_value(s, i, collect)
  local b = s:byte(i)
  if b == 123 or b == 91 then return scan_container(s, i, collect) end
  if b == 34 then return scan_string(s, i) end
  local lit = s:match("^[%w%.%+%-]+", i)
  if lit and (lit == "true" or lit == "false" or lit == "null" or tonumber(lit)) then return i + #lit end
  error({at = i, why = "unexpected character"})
end

local function fail(msg, ...)
  return nil, "pipeline file: " .. msg:format(...)
end

local function close_steps(steps)
  for _, s in ipairs(steps) do s:close() end
end

--- A pipeline from to_json text, or nil, msg naming what is wrong.
function M.from_json(text)
  if type(text) ~= "string" then error("knob.pipeline.from_json: expected a string (got " .. type(text) .. ")", 2) end
  local top, spans = {}, {}
  local ok, e = pcall(function()
    local i = skip_ws(text, 1)
    if text:byte(i) ~= 123 then error({at = i, why = "expected an object"}) end
    local stop = skip_ws(text, scan_value(text, i, top))
    if stop <= #text then error({at = stop, why = "unexpected text after the document"}) end
  end)
  if not ok then
    if type(e) ~= "table" then return fail("not valid JSON (%s)", tostring(e)) end
    return fail("not valid JSON (%s near byte %d)", e.why, e.at)
  end
  local function raw(key) return top[key] and text:sub(top[key][1], top[key][2]) end
  if raw("format") ~= '"' .. FORMAT .. '"' then
    return fail("not a knob pipeline (field 'format' is not \"%s\")", FORMAT)
  end
  if tonumber(raw("version") or "") ~= VERSION then
    return fail("unsupported version %s (this knob reads version %d)", raw("version") or "(missing)", VERSION)
  end
  local steps_raw = raw("steps")
  if not steps_raw or steps_raw:byte(1) ~= 91 then return fail("field 'steps' must be an array") end
  scan_value(text, top.steps[1], spans)
  if #spans == 0 then return fail("field 'steps' is empty (a pipeline needs a model)") end
  local steps = {}
  for i, sp in ipairs(spans) do
    local piece = text:sub(sp[1], sp[2])
    local obj, msg
    if i < #spans then obj, msg = prep.from_json(piece) else obj, msg = model.from_json(piece) end
    if not obj then
      close_steps(steps)
      return fail("step %d (%s): %s", i, i < #spans and "a transformer" or "the model", msg)
    end
    steps[i] = obj
  end
  local fitted = steps[#steps]:is_fitted()
  for i = 1, #steps - 1 do
    if steps[i]:fitted() ~= fitted then
      close_steps(steps)
      return fail("step %d is %s but the model is %s", i, fitted and "not fitted" or "fitted",
        fitted and "fitted" or "not fitted")
    end
  end
  local p = build(steps, 1)
  p._fitted = fitted
  return p
end

--- Load a pipeline saved with :save(path); nil, msg if the file is missing, corrupt or not a pipeline.
function M.load(path)
  if type(path) ~= "string" then error("knob.pipeline.load: path must be a string", 2) end
  local f, err = io.open(path, "rb")
  if not f then return nil, "cannot open pipeline file '" .. path .. "': " .. tostring(err) end
  local text = f:read("a")
  f:close()
  local p, msg = M.from_json(text)
  if not p then return nil, path .. ": " .. msg end
  return p
end

--- true if x is a knob pipeline.
function M.is_pipeline(x)
  return getmetatable(x) == Pipeline
end

M.Pipeline = Pipeline

return setmetatable(M, {
  __call = function(_, steps) return build(steps, 2) end,
})
