-- examples/custom_sampler.lua — a new search strategy written in Lua, used by a study like a built-in.
--
--   build/knob examples/custom_sampler.lua
--
-- The strategy is a (1 + 1) evolution strategy with a shrinking step ("local search around the best"):
-- after a few random trials, every parameter of a new trial is a perturbation of the best trial's value --
-- a Gaussian step on the parameter's scale (its log scale for log distributions), snapped to its step grid
-- or to the integers, and for categoricals another choice with probability 1/4. The step shrinks after trials
-- that do not improve on the best and grows after those that do (the 1/5th success rule).
--
-- A sampler is a table with sample(study, trial, name, dist) and optional hooks (see
-- stdlib/knob/samplers/init.lua); nothing else is needed: no recompiling, no registration.
local knob = require "knob"
local space = knob.space

local function local_search(opts)
  opts = opts or {}
  local self = {
    name = "local_search",
    rng = knob.core.search.rng(opts.seed or 0),
    n_random = opts.n_random or 10,
    sigma = opts.sigma or 0.2, -- step as a fraction of each parameter's range
  }

  local random = knob.samplers.random{seed = opts.seed or 0}

  -- the best complete trial so far (minimize or maximize), or nil
  local function best(study)
    local b
    for _, r in ipairs(study:trials_raw("complete")) do
      if b == nil or (study.direction == "minimize" and r.value < b.value)
         or (study.direction == "maximize" and r.value > b.value) then b = r end
    end
    return b
  end

  function self:sample(study, trial, name, dist)
    local b = best(study)
    if study:trials_raw("complete")[self.n_random] == nil or b == nil or b.params[name] == nil then
      return random:sample(study, trial, name, dist)
    end
    local v = b.params[name]
    if dist.kind == "categorical" then
      if self.rng:uniform() < 0.25 then return dist.choices[self.rng:int(1, #dist.choices)] end
      return space.contains(dist, v) and v or random:sample(study, trial, name, dist)
    end
    local lo, hi, x = dist.low, dist.high, v
    if dist.log then lo, hi, x = math.log(lo), math.log(hi), math.log(v) end
    x = x + self.rng:normal() * self.sigma * (hi - lo)
    x = math.min(hi, math.max(lo, x))
    if dist.log then x = math.exp(x) end
    x = math.min(dist.high, math.max(dist.low, x))
    local step = dist.step or (dist.kind == "int" and 1 or nil)
    if step then x = dist.low + math.floor((x - dist.low) / step + 0.5) * step end
    if dist.kind == "int" then x = math.tointeger(math.min(dist.high, x)) end
    return x
  end

  -- 1/5th success rule on the step size
  function self:after_trial(study, record)
    if record.state ~= "complete" or study:n_trials{state = "complete"} <= self.n_random then return end
    local b = best(study)
    if b and b.number == record.number then self.sigma = math.min(0.5, self.sigma * 1.5)
    else self.sigma = math.max(1e-3, self.sigma * 0.93) end
  end

  return self
end

-- Branin on [-5, 10] x [0, 15]; global minimum 0.397887 at (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).
local function branin(t)
  local x = t:suggest_float("x", -5, 10)
  local y = t:suggest_float("y", 0, 15)
  local a, b, c, r, s, u = 1, 5.1 / (4 * math.pi ^ 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
  return a * (y - b * x ^ 2 + c * x - r) ^ 2 + s * (1 - u) * math.cos(x) + s
end

local budget, optimum = 60, 0.397887
print(("Branin, %d evaluations, median simple regret over 5 seeds:"):format(budget))
for _, make in ipairs{
  {"local_search (examples/custom_sampler.lua)", function(seed) return local_search{seed = seed} end},
  {"random", function(seed) return knob.samplers.random{seed = seed} end},
  {"tpe", function(seed) return knob.samplers.tpe{seed = seed} end},
} do
  local regrets = {}
  for seed = 1, 5 do
    local study = knob.study{sampler = make[2](seed), pruner = knob.pruners.none()}
    study:optimize(branin, {n_trials = budget})
    regrets[seed] = study:best().value - optimum
  end
  table.sort(regrets)
  print(("  %-44s %.5f"):format(make[1], regrets[3]))
end
