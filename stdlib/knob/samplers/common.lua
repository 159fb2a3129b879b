-- knob.samplers.common — helpers shared by the nsga2, cmaes and tpe samplers (not a sampler).
--
--   common.intersection_cache(states) -> cache; cache:get(study) -> {name = dist}   the parameters every trial
--       in one of states (default {"complete"}) has, with equal distributions; single-valued distributions
--       left out (Optuna's IntersectionSearchSpace), updated incrementally (a finished trial keeps its state)
--   common.bounds(d) -> lo, hi          the internal (continuous) range of a float/int distribution: log scale
--       for log distributions; int and stepped floats widened by half a step on each side (Optuna's
--       _SearchSpaceTransform), so that rounding gives every value an equal share
--   common.to_internal(d, v) -> x       a value in that space (log for log distributions)
--   common.from_internal(d, x) -> v     back: exp for log, rounded to the step grid / the integers, clipped
local space = require "knob.space"

local M = {}

-- Narrow the space sp (nil: none yet) by the distributions of record r.
local function narrow(sp, r)
  if sp == nil then
    sp = {}
    for k, d in pairs(r.distributions) do sp[k] = d end
    return sp
  end
  for k, d in pairs(sp) do
    local e = r.distributions[k]
    if e == nil or not space.equal(d, e) then sp[k] = nil end
  end
  return sp
end

local function without_single(sp)
  local out = {}
  for k, d in pairs(sp or {}) do
    if space.single(d) == nil then out[k] = d end
  end
  return out
end

--- The intersection space of the trials in states (default: the complete ones), kept incrementally:
--- cache:get(study) narrows it by the trials it has not seen yet (a sampler keeps one cache; a new study
--- starts it afresh).
function M.intersection_cache(states)
  states = states or {"complete"}
  local c = {seen = {}, sp = nil, study = nil}
  function c.get(self, study)
    if self.study ~= study then self.study, self.seen, self.sp = study, {}, nil end
    for _, r in ipairs(study:trials_raw(states)) do
      if not self.seen[r.id] then
        self.seen[r.id] = true
        self.sp = narrow(self.sp, r)
      end
    end
    return without_single(self.sp)
  end
  return c
end

local function half_step(d)
  if d.kind == "int" then return 0.5 * (d.step or 1) end
  return d.step and 0.5 * d.step or 0
end

function M.bounds(d)
  local h = half_step(d)
  if d.log then return math.log(d.low - h), math.log(d.high + h) end
  return d.low - h, d.high + h
end

function M.to_internal(d, v)
  return d.log and math.log(v) or v
end

function M.from_internal(d, x)
  local v = d.log and math.exp(x) or x
  local s = d.kind == "int" and (d.step or 1) or d.step
  if s then v = d.low + math.floor((v - d.low) / s + 0.5) * s end
  if v < d.low then v = d.low elseif v > d.high then v = d.high end
  if d.kind == "int" then return math.tointeger(v) or math.floor(v) end
  return v + 0.0
end

return M
