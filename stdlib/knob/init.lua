-- knob — the Lua library. `local knob = require "knob"` gives every module:
--   knob.data     datasets: read_csv, from_table, synthetic generators, the Dataset methods
--   knob.split    train/test split and cross-validation splitters
--   knob.prep     preprocessing transformers (fit on training rows only)
--   knob.metrics  classification and regression metrics
--   knob.model    models behind one interface (fit, predict, save, load)
--   knob.sys      clock, CPU time, memory
local core = require "knob.core"

local knob = {
  version = core.version,
  core = core,
}

-- Modules are loaded on first use, so a script pays only for what it touches.
local modules = {data = true, split = true, prep = true, metrics = true, sys = true, model = true}
for _, m in ipairs{"study", "samplers", "pruners", "space"} do modules[m] = true end
setmetatable(knob, {
  __index = function(t, name)
    if modules[name] then
      local m = require("knob." .. name)
      rawset(t, name, m)
      return m
    end
    error("knob has no module '" .. tostring(name) .. "'", 2)
  end,
})

return knob
