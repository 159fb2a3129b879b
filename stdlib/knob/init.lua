-- knob — the Lua library. `local knob = require "knob"` gives every module:
--   knob.data     datasets: read_csv, from_table, synthetic generators, the Dataset methods
--   knob.split    train/test split and cross-validation splitters
--   knob.prep     preprocessing transformers (fit on training rows only)
--   knob.metrics  classification and regression metrics
--   knob.model    models behind one interface (fit, predict, save, load)
--   knob.mlp      extras of the mlp model: lr_range_test
--   knob.pipeline transformers followed by a model, as one model: knob.pipeline{knob.prep.standardize(), knob.model.knn{}}
--   knob.study    define-by-run studies: trials, ask/tell, optimize, best/top, export
--   knob.samplers random, grid (full or around a centre), qmc (Sobol, Halton), tpe; strategies in Lua
--   knob.pruners  median, percentile, successive halving, hyperband, patience
--   knob.space    declarative search spaces for grid/random use
--   knob.sys      clock, CPU time, memory
--   knob.cv       cross-validation of a model or pipeline: cross_validate, score, format
--   knob.stages   the staged workflow: baseline, coarse search, grid near the best, fine tuning, rescore, final test
--   knob.json     exact JSON encode/decode (run records, stored values)
--   knob.recipe   what the bundled recipes share: command-line defaults, section headers
--   knob.report   a self-contained HTML report (inline SVG) of a run record or a study
--   knob.svg      the small SVG charts the report draws
--   knob.monitor  drift (PSI, KS, chi-square) against reference statistics saved with a model; performance, A/B
--   knob.registry versioned registry of promoted models: register, promote, rollback, diff, load_model
--   knob.evaluate baseline report (CV, overfitting, latency, size, memory, imbalance) and compare
--   knob.curves   learning, validation and learning-rate range curves with a diagnosis
--   knob.ensemble voting, weighted (NNLS / log-loss weights) and stacking ensembles of models and pipelines
--   knob.importance  SHAP values, permutation / native importances, correlated features, fANOVA of a study
--   knob.progress a terminal progress bar (done/total, best so far, ETA), silent when stdout is not a terminal
local core = require "knob.core"

local knob = {
  version = core.version,
  core = core,
}

-- Modules are loaded on first use, so a script pays only for what it touches.
-- One line per module, so parallel work adds lines without conflicts.
local modules = {
  data = true,
  split = true,
  prep = true,
  metrics = true,
  sys = true,
  model = true,
  mlp = true,
  pipeline = true,
  study = true,
  samplers = true,
  pruners = true,
  space = true,
  cv = true,
  stages = true,
  json = true,
  recipe = true,
  report = true,
  svg = true,
  monitor = true,
  registry = true,
  evaluate = true,
  curves = true,
  ensemble = true,
  importance = true,
  progress = true,
}
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
