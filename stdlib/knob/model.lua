-- knob.model — every model kind behind one interface.
--   knob.model.<kind>{...hyperparameters}   a new unfitted Model (an unknown or misspelt name is an error)
--   knob.model.kinds()                      the kinds with their hyperparameters (name, type, default, range)
--   knob.model.load(path)                   a saved model, or nil, msg
--   knob.model.is_model(x [, models_only])  a Model, a pipeline or an ensemble (models_only: not an ensemble)
-- Model methods: fit(ds, {sample_weight=, eval_set=, callback=, threads=}), predict(ds), predict_proba(ds),
-- score(ds, metric), params(), clone{overrides}, save(path), info(), feature_importances(), history(), close().
local core = require "knob.core"

local model = {}
local methods = core.model.methods

--- Is x something that fits and predicts: a knob.Model, a pipeline, or (unless models_only) an ensemble.
function model.is_model(x, models_only)
  local mt = type(x) == "userdata" and getmetatable(x)
  if type(mt) == "table" and mt.__name == "knob.Model" then return true end
  if require("knob.pipeline").is_pipeline(x) then return true end
  return not models_only and require("knob.ensemble").is_ensemble(x)
end

--- Score the model on ds with a metric name from knob.metrics (default: accuracy or r2).
function methods.score(self, ds, metric)
  local metrics = require "knob.metrics"
  local info = self:info()
  if not info.fitted then error(info.kind .. ": model is not fitted", 2) end
  metric = metric or (info.task == "classification" and "accuracy" or "r2")
  local m = metrics.get(metric)
  local y = ds:target()
  if m.needs_proba then
    local proba, classes = self:predict_proba(ds)
    if #classes == 2 then
      local pos = {}
      for i, row in ipairs(proba) do pos[i] = row[2] end
      return (m.fn(y, pos, {labels = classes}))
    end
    return (m.fn(y, proba, {labels = classes}))
  end
  return (m.fn(y, self:predict(ds)))
end

--- Save as JSON. The file is written to a temporary name and renamed, so a crash never leaves half a model.
function methods.save(self, path)
  if type(path) ~= "string" then error("save: path must be a string", 2) end
  local text = self:to_json()
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, "cannot write model to '" .. path .. "': " .. tostring(err) end
  local ok, werr = f:write(text)
  f:close()
  if not ok then os.remove(tmp) return nil, "cannot write model to '" .. path .. "': " .. tostring(werr) end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then os.remove(tmp) return nil, "cannot write model to '" .. path .. "': " .. tostring(rerr) end
  return true
end

--- A model, pipeline or ensemble from the JSON text its :to_json() wrote; nil, msg if it is corrupt or not knob's.
function model.from_json(text)
  if type(text) == "string" and text:find('^%s*{%s*"format"%s*:%s*"knob%.pipeline"') then
    return require("knob.pipeline").from_json(text)
  end
  if type(text) == "string" and text:find('^%s*{%s*"format"%s*:%s*"knob%.ensemble"') then
    return require("knob.ensemble").from_json(text)
  end
  local m, msg = core.model.from_json(text)
  local section = m and core.monitor.attached(m)
  if section then -- reference statistics for knob.monitor: every field is checked here
    local ok, why = require("knob.monitor").validate_section(section)
    if not ok then
      m:close()
      return nil, "model file: " .. why
    end
  end
  return m, msg
end

--- Load a model (or pipeline, or ensemble) saved with :save(path); nil, msg if the file is missing, corrupt or not knob's.
function model.load(path)
  if type(path) ~= "string" then error("load: path must be a string", 2) end
  local f, err = io.open(path, "rb")
  if not f then return nil, "cannot open model file '" .. path .. "': " .. tostring(err) end
  local text = f:read("a")
  f:close()
  local m, msg = model.from_json(text)
  if not m then return nil, path .. ": " .. msg end
  return m
end
model.kinds = core.model.kinds

-- Create through pcall so an error (unknown hyperparameter, bad value) points at the user's line.
local function new(kind, params, level)
  local ok, m = pcall(core.model.new, kind, params)
  if not ok then error(m, level + 1) end
  return m
end

--- knob.model.new("gbdt", {...}) is the same as knob.model.gbdt{...}.
function model.new(kind, params)
  local m = new(kind, params, 2)
  return m
end

setmetatable(model, {
  __index = function(_, kind)
    for _, k in ipairs(core.model.kinds()) do
      if k.kind == kind then
        return function(params)
          local m = new(kind, params, 2)
          return m
        end
      end
    end
    local names = {}
    for _, k in ipairs(core.model.kinds()) do names[#names + 1] = k.kind end
    error("knob.model has no kind '" .. tostring(kind) .. "' (valid: " .. table.concat(names, ", ") .. ")", 2)
  end,
})

return model
