-- knob.samplers.qmc{kind = "sobol"|"halton", scramble = true, seed, space = nil} — quasi-Monte Carlo: trial i
-- takes point i of a low-discrepancy sequence (scrambled Sobol or Halton from knob.core.search) mapped onto
-- the search space (each coordinate through knob.space.from_unit: uniform, log-uniform, the step grid, the
-- integers or the choices). The space is the declared `space` when given; otherwise, as Optuna's QMCSampler,
-- the first trial is sampled at random and the space is then that of the first complete trial (sorted names);
-- parameters outside it are sampled at random. Each trial records its point index (system attr qmc_index),
-- so a resumed study continues the sequence.
local core = require "knob.core"
local space = require "knob.space"
local samplers = require "knob.samplers"

local QMC = {}
QMC.__index = QMC

local M = {}

function M.new(opts)
  local what = "knob.samplers.qmc"
  opts = space.check_opts(what, opts, {"kind", "scramble", "seed", "space"})
  local kind = opts.kind or "sobol"
  if kind ~= "sobol" and kind ~= "halton" then
    error(what .. ": option 'kind' must be 'sobol' or 'halton' (got " .. space.show(tostring(kind)) .. ")", 0)
  end
  local scramble = space.opt_bool(what, opts, "scramble", true)
  local seed = samplers.seed(what, opts.seed)
  local self = setmetatable({name = "qmc", kind = kind, scramble = scramble, seed = seed,
                             random = require("knob.samplers.random").new{seed = seed}}, QMC)
  if opts.space ~= nil then self.space = space.new(opts.space, what .. ": space") end
  return self
end

function QMC:__tostring()
  return ("knob.samplers.qmc<%s%s, seed %d>"):format(self.kind, self.scramble and ", scrambled" or "", self.seed)
end

function QMC:infer_relative_space(study)
  if self.space then return self.space end
  if self._initial then return self._initial end
  local first = study:trials_raw("complete")[1]
  if not first then return {} end
  local sp = {}
  for k, d in pairs(first.distributions) do
    if space.single(d) == nil then sp[k] = d end
  end
  self._initial = sp
  return sp
end

function QMC:sample_relative(study, trial, sp)
  local names = space.names(sp)
  local D = #names
  if not self.engine or self.engine:dim() ~= D then
    self.engine = core.search.qmc{kind = self.kind, dim = D, scramble = self.scramble, seed = self.seed}
  end
  if self.next_index == nil then
    local m = -1
    for _, r in ipairs(study:trials_raw()) do
      local i = r.system_attrs.qmc_index
      if i ~= nil and i > m then m = i end
    end
    self.next_index = m + 1
  end
  local idx = self.next_index
  self.next_index = idx + 1
  study:set_trial_system_attr(trial, "qmc_index", idx)
  local p = self.engine:point(idx)
  local out = {}
  for i, k in ipairs(names) do out[k] = space.from_unit(sp[k], p[i]) end
  return out
end

function QMC:sample(study, trial, name, dist)
  return self.random:sample(study, trial, name, dist)
end

return M
