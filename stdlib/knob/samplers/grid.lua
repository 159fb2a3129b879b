-- knob.samplers.grid — exhaustive search over a finite grid.
--
--   grid{space = {name = dist | {v1, v2, ...}, ...}, shuffle = false, seed}
--       The full factorial product of the declared values (a list of values, a categorical, an int, or a
--       float with a step; a continuous float is an error). Points are visited in order -- parameter names
--       sorted, the last name varying fastest -- or in a seeded random order with shuffle = true.
--   grid{around = {name = value, ...}, steps = {name = step | {factor = f}, ...}, radius = 1, bounds = {...}}
--       "Grid near the best": for each parameter of `around`, its value plus k * step for k = -radius..radius
--       (a multiplicative {factor = f > 1}: value * f^k), only the centre for a parameter without a step;
--       radius is an integer >= 0 or a table name -> integer; bounds = {name = {low, high}} drops values
--       outside. Typical use: grid{around = study:best().params, steps = {lr = {factor = 2}, depth = 1}}.
--
-- Each trial takes the next unvisited point (system attr grid_id); when the last point is handed out, and
-- again when every point has been evaluated, the sampler stops the study (optimize returns once the running
-- trials finish: with jobs > 1 no trial revisits a point still running); trials asked after that revisit
-- the grid from its start (the study's cache returns their values without running the objective). The
-- objective must suggest exactly the grid's parameters with distributions containing the grid values: a
-- parameter outside the grid, or a grid value outside the suggested range, is an error.
local core = require "knob.core"
local space = require "knob.space"
local samplers = require "knob.samplers"

local Grid = {}
Grid.__index = Grid

local M = {}

local function fail(msg)
  error("knob.samplers.grid: " .. msg, 0)
end

local function around_values(name, c, step, radius, bounds)
  local vals = {}
  local function add(v)
    if bounds and (v < bounds[1] or v > bounds[2]) then return end
    vals[#vals + 1] = v
  end
  if step == nil then return {c} end
  if type(c) ~= "number" then fail(("parameter '%s': a step needs a numeric centre (got %s)"):format(name, space.show(c))) end
  if type(step) == "table" then
    local f = step.factor
    for k in pairs(step) do
      if k ~= "factor" then fail(("parameter '%s': a multiplicative step is {factor = f} (unknown key %s)"):format(name, space.show(k))) end
    end
    if type(f) ~= "number" or not (f > 1) or f == math.huge then
      fail(("parameter '%s': factor must be a number > 1 (got %s)"):format(name, space.show(tostring(f))))
    end
    if not (c > 0) then fail(("parameter '%s': a multiplicative step needs a centre > 0 (got %s)"):format(name, space.show(c))) end
    -- an integer centre stays on the integers: each value rounded, repeats (small centres) dropped
    local int, last = math.type(c) == "integer", nil
    for k = -radius, radius do
      local v = k == 0 and c or c * f ^ k
      if int then v = math.tointeger(math.floor(v + 0.5)) end
      if v ~= last then add(v) end
      last = v
    end
  else
    if type(step) ~= "number" or not (step > 0) or step == math.huge then
      fail(("parameter '%s': step must be a number > 0 or {factor = f} (got %s)"):format(name, space.show(tostring(step))))
    end
    local int = math.type(c) == "integer" and math.type(step) == "integer"
    for k = -radius, radius do add(int and c + k * step or c + k * step + 0.0) end
  end
  if #vals == 0 then fail(("parameter '%s': no value of the grid around %s lies within its bounds"):format(name, space.show(c))) end
  return vals
end

local function from_around(opts)
  local around, steps, bounds = opts.around, opts.steps or {}, opts.bounds or {}
  if type(around) ~= "table" then fail("option 'around' must be a table of name = value (got " .. type(around) .. ")") end
  if type(steps) ~= "table" then fail("option 'steps' must be a table (got " .. type(steps) .. ")") end
  if type(bounds) ~= "table" then fail("option 'bounds' must be a table (got " .. type(bounds) .. ")") end
  for k in pairs(steps) do
    if around[k] == nil then fail(("steps has '%s', which is not in 'around'"):format(tostring(k))) end
  end
  for k, b in pairs(bounds) do
    if around[k] == nil then fail(("bounds has '%s', which is not in 'around'"):format(tostring(k))) end
    if type(b) ~= "table" or type(b[1]) ~= "number" or type(b[2]) ~= "number" or b[1] > b[2] then
      fail(("bounds of '%s' must be {low, high} with low <= high"):format(tostring(k)))
    end
  end
  local radius = opts.radius or 1
  local values = {}
  for _, name in ipairs(space.names(around)) do
    if type(name) ~= "string" then fail("parameter names must be strings") end
    local r = radius
    if type(radius) == "table" then r = radius[name] or 1 end
    if math.type(r) ~= "integer" or r < 0 then fail("option 'radius' must be an integer >= 0 or a table of them (got " .. space.show(tostring(r)) .. ")") end
    local c = around[name]
    local t = type(c)
    if (t ~= "number" and t ~= "string" and t ~= "boolean") or c ~= c then
      fail(("centre of '%s' must be a number, string or boolean"):format(name))
    end
    values[name] = around_values(name, c, steps[name], r, bounds[name])
  end
  return values
end

function M.new(opts)
  opts = space.check_opts("knob.samplers.grid", opts, {"space", "shuffle", "seed", "around", "steps", "radius", "bounds"})
  if (opts.space == nil) == (opts.around == nil) then fail("give option 'space' (a full grid) or 'around' (a grid near a centre)") end
  local values
  if opts.space ~= nil then
    for _, k in ipairs{"steps", "radius", "bounds"} do
      if opts[k] ~= nil then fail("option '" .. k .. "' goes with 'around', not 'space'") end
    end
    local sp = space.new(opts.space, "knob.samplers.grid: space")
    values = {}
    for name, d in pairs(sp) do values[name] = space.values(d, "knob.samplers.grid: parameter '" .. name .. "'") end
  else
    values = from_around(opts)
  end
  if opts.shuffle ~= nil and type(opts.shuffle) ~= "boolean" then fail("option 'shuffle' must be a boolean") end
  local self = setmetatable({name = "grid", relative_strict = true, names = space.names(values), values = values}, Grid)
  local size = 1
  for _, n in ipairs(self.names) do size = size * #values[n] end
  if size > 2 ^ 53 then fail("the grid has more than 2^53 points") end
  self.size = math.tointeger(size)
  self.seed = samplers.seed("knob.samplers.grid", opts.seed)
  if opts.shuffle then
    if self.size > 10000000 then fail("shuffle needs a grid of at most 1e7 points (got " .. self.size .. ")") end
    local rng = core.search.rng(self.seed)
    local perm = {}
    for i = 1, self.size do perm[i] = i - 1 end
    for i = self.size, 2, -1 do
      local j = rng:int(1, i)
      perm[i], perm[j] = perm[j], perm[i]
    end
    self.order = perm
  end
  self.relative = {}
  for _, n in ipairs(self.names) do self.relative[n] = space.categorical(values[n]) end
  return self
end

function Grid:__tostring()
  return ("knob.samplers.grid<%d points: %s>"):format(self.size, table.concat(self.names, ", "))
end

--- The parameters of grid point id (0-based, in visiting order).
function Grid:point(id)
  if self.order then id = self.order[id + 1] end
  local out = {}
  for i = #self.names, 1, -1 do
    local n = self.names[i]
    local vals = self.values[n]
    out[n] = vals[id % #vals + 1]
    id = id // #vals
  end
  return out
end

function Grid:before_trial(study, trial)
  if trial.system_attrs.grid_id ~= nil then return end
  local assigned = 0
  for _, r in ipairs(study:trials_raw()) do
    if r.system_attrs.grid_id ~= nil then assigned = assigned + 1 end
  end
  study:set_trial_system_attr(trial, "grid_id", assigned % self.size)
  -- the last point is handed out: optimize starts no further trial (with jobs > 1 it would otherwise start
  -- revisits while the last points are still running); the running ones finish
  if assigned + 1 >= self.size then study:stop() end
end

function Grid:infer_relative_space()
  return self.relative
end

function Grid:sample_relative(_, trial)
  return self:point(trial.system_attrs.grid_id)
end

function Grid:sample(_, _, name)
  fail(("parameter '%s' is not in the grid (grid parameters: %s)"):format(name, table.concat(self.names, ", ")))
end

function Grid:after_trial(study)
  local seen, n = {}, 0
  for _, r in ipairs(study:trials_raw{"complete", "pruned", "failed"}) do
    local id = r.system_attrs.grid_id
    if id ~= nil and not seen[id] then seen[id], n = true, n + 1 end
  end
  if n >= self.size then study:stop() end
end

return M
