-- knob.samplers.random{seed = nil} — every parameter drawn independently: uniform over its range (log-uniform
-- with log = true; uniform over the step grid or the integers; uniform over the choices), as Optuna's
-- RandomSampler. Same seed, same objective -> same sequence of suggestions. Each trial draws from its own
-- stream, seeded by (seed, trial number) (knob.samplers.trial_seed), so worker processes never repeat draws.
local space = require "knob.space"
local samplers = require "knob.samplers"

local Random = {}
Random.__index = Random

local M = {}

function M.new(opts)
  local what = "knob.samplers.random"
  opts = space.check_opts(what, opts, {"seed"})
  local seed = samplers.seed(what, opts.seed)
  return setmetatable({name = "random", seed = seed}, Random)
end

function Random:sample(_, trial, _, dist)
  return space.from_unit(dist, samplers.trial_rng(self, trial, self.seed, "_trial_rng"):uniform())
end

function Random:__tostring()
  return ("knob.samplers.random<seed %d>"):format(self.seed)
end

return M
