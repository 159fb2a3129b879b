-- knob.samplers.cmaes{...} — CMA-ES (Hansen's covariance matrix adaptation evolution strategy) for local fine
-- tuning around the best configuration, in the manner of Optuna's CmaEsSampler. The eigen decomposition of
-- the covariance matrix is C (knob.core.search.eigh, LAPACK dsyev); the strategy is here.
--
-- Options:
--   x0               {name = value, ...}: the starting mean (default: the parameters of the best complete
--                    trial when CMA-ES starts, the centre of the space for names it lacks); a name outside
--                    the search space, or a value outside its distribution, is an error
--   sigma0           initial step size as a fraction of every parameter's range, in (0, 1] (default 1/6,
--                    Optuna's min(range) / 6 on the normalized space)
--   popsize          solutions per generation (an integer >= 2; default 4 + floor(3 ln n), n parameters)
--   n_startup_trials 1: trials sampled by the random sampler before CMA-ES starts (they give x0 its best)
--   restarts         "none" (default) or "ipop": when a run has converged (tolfun 1e-12, tolx 1e-12 *
--                    sigma0, condition number of C above 1e14, or a step with no effect on the mean) start
--                    again from a random mean with popsize * inc_popsize (Auger & Hansen 2005)
--   inc_popsize      2: population growth factor of an IPOP restart (an integer >= 2)
--   seed             integer >= 0 (default: from the clock; sampler.seed tells which)
--
-- The search space is the intersection space of the complete trials (names every complete trial has, with
-- equal distributions). Float and int parameters are searched jointly in a unit cube: log parameters in log
-- space; int and stepped float parameters are widened by half a step on each side and rounded back (every
-- value gets an equal share). Categorical parameters, and parameters outside that space, fall back to the
-- independent (random) sampler. Samples outside the cube are redrawn (up to 100 times, then clipped). A
-- generation is updated when popsize of its trials are complete (failed and pruned trials are replaced by
-- new ones); trials carry system attrs "cmaes:generation" and "cmaes:restart". The CMA state lives in the
-- sampler object: a study resumed with a new sampler starts again from the best trial. One objective only.
local core = require "knob.core"
local space = require "knob.space"
local samplers = require "knob.samplers"
local common = require "knob.samplers.common"

local S = core.search
local CMA = {}
CMA.__index = CMA

local M = {}

local OPTIONS = {"x0", "sigma0", "popsize", "n_startup_trials", "restarts", "inc_popsize", "seed"}
local show = space.show

function M.new(opts)
  local what = "knob.samplers.cmaes"
  opts = space.check_opts(what, opts, OPTIONS)
  local function int(k, def, lo) return space.opt_int(what, opts, k, def, lo) end
  local s0 = opts.sigma0
  if s0 ~= nil and (type(s0) ~= "number" or not (s0 > 0 and s0 <= 1)) then
    error(what .. ": option 'sigma0' must be a number in (0, 1] (a fraction of each range; got " .. show(s0) .. ")", 0)
  end
  local restarts = opts.restarts or "none"
  if restarts ~= "none" and restarts ~= "ipop" then
    error(what .. ": option 'restarts' must be 'none' or 'ipop' (got " .. show(restarts) .. ")", 0)
  end
  local x0 = opts.x0
  if x0 ~= nil then
    if type(x0) ~= "table" then error(what .. ": option 'x0' must be a table of name = value (got " .. type(x0) .. ")", 0) end
    for k, v in pairs(x0) do
      if type(k) ~= "string" or type(v) ~= "number" or v ~= v then
        error(what .. ": option 'x0' must map parameter names to numbers (got " .. show(k) .. " = " .. show(v) .. ")", 0)
      end
    end
  end
  local seed = samplers.seed(what, opts.seed)
  return setmetatable({
    name = "cmaes", seed = seed, x0 = x0, sigma0 = s0 or 1 / 6, popsize = int("popsize", nil, 2),
    n_startup_trials = int("n_startup_trials", 1, 0), restarts = restarts, inc_popsize = int("inc_popsize", 2, 2),
    rng = S.rng(seed ~ 0x0C3A5E5), random = require("knob.samplers.random").new{seed = seed},
    _isect = common.intersection_cache(),
    _state = nil, _pending = {}, _n_restarts = 0,
  }, CMA)
end

function CMA:__tostring()
  return ("knob.samplers.cmaes<seed %d%s>"):format(self.seed, self.restarts == "ipop" and ", ipop" or "")
end

---------------------------------------------------------------------------------------------------------------
-- The CMA-ES state (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016, default parameters)
---------------------------------------------------------------------------------------------------------------

local function new_state(n, mean, sigma, lambda)
  local mu = lambda // 2
  local w, sw, sw2 = {}, 0, 0
  for i = 1, mu do
    w[i] = math.log((lambda + 1) / 2) - math.log(i)
    sw = sw + w[i]
  end
  for i = 1, mu do
    w[i] = w[i] / sw
    sw2 = sw2 + w[i] * w[i]
  end
  local mueff = 1 / sw2
  local st = {
    n = n, lambda = lambda, mu = mu, w = w, mueff = mueff, mean = mean, sigma = sigma, g = 0,
    cs = (mueff + 2) / (n + mueff + 5), cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n),
    c1 = 2 / ((n + 1.3) ^ 2 + mueff), chiN = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n)),
    ps = {}, pc = {}, C = {}, B = {}, D = {}, told = {}, best_hist = {},
  }
  st.cmu = math.min(1 - st.c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ^ 2 + mueff))
  st.ds = 1 + 2 * math.max(0, math.sqrt((mueff - 1) / (n + 1)) - 1) + st.cs
  for i = 1, n do
    st.ps[i], st.pc[i], st.D[i] = 0, 0, 1
    st.C[i], st.B[i] = {}, {}
    for j = 1, n do st.C[i][j], st.B[i][j] = i == j and 1 or 0, i == j and 1 or 0 end
  end
  return st
end

-- One solution x = mean + sigma * B D z, redrawn while outside the unit cube (then clipped).
function CMA:_draw(st)
  local n, x = st.n, {}
  for _ = 1, 100 do
    local z = {}
    for k = 1, n do z[k] = st.D[k] * self.rng:normal() end
    local inside = true
    for i = 1, n do
      local y = 0
      for k = 1, n do y = y + st.B[i][k] * z[k] end
      x[i] = st.mean[i] + st.sigma * y
      inside = inside and x[i] >= 0 and x[i] <= 1
    end
    if inside then return x end
  end
  for i = 1, n do x[i] = math.min(1, math.max(0, x[i])) end
  return x
end

-- Has the run converged (the stopping rules of the cmaes package Optuna uses)?
local function converged(st, sigma0)
  local maxd, mind = 0, math.huge
  for i = 1, st.n do
    maxd, mind = math.max(maxd, st.D[i]), math.min(mind, st.D[i])
  end
  if maxd * maxd > 1e14 * mind * mind then return true end
  local tolx = true
  for i = 1, st.n do
    local sd = st.sigma * math.sqrt(st.C[i][i])
    tolx = tolx and sd < 1e-12 * sigma0
    if st.mean[i] == st.mean[i] + 0.2 * sd then return true end
  end
  if tolx then return true end
  local h = st.best_hist
  local span = 10 + math.ceil(30 * st.n / st.lambda)
  if #h >= span then
    local lo, hi = math.huge, -math.huge
    for i = #h - span + 1, #h do lo, hi = math.min(lo, h[i]), math.max(hi, h[i]) end
    for _, s in ipairs(st.last_f) do lo, hi = math.min(lo, s), math.max(hi, s) end
    if hi - lo < 1e-12 then return true end
  end
  return false
end

-- Update the state with the generation's solutions {x, f} (f: loss).
local function update(st, sols)
  table.sort(sols, function(a, b)
    if a.f ~= b.f then return a.f < b.f end
    return a.number < b.number
  end)
  local n, mu, w = st.n, st.mu, st.w
  local old, ys, yw = st.mean, {}, {}
  for i = 1, mu do
    ys[i] = {}
    for k = 1, n do ys[i][k] = (sols[i].x[k] - old[k]) / st.sigma end
  end
  local mean = {}
  for k = 1, n do
    local s = 0
    for i = 1, mu do s = s + w[i] * ys[i][k] end
    yw[k] = s
    mean[k] = old[k] + st.sigma * s
  end
  st.mean = mean
  -- C^(-1/2) y_w = B D^-1 B^T y_w
  local t, cy = {}, {}
  for k = 1, n do
    local s = 0
    for i = 1, n do s = s + st.B[i][k] * yw[i] end
    t[k] = s / st.D[k]
  end
  for i = 1, n do
    local s = 0
    for k = 1, n do s = s + st.B[i][k] * t[k] end
    cy[i] = s
  end
  local cs, cc, c1, cmu = st.cs, st.cc, st.c1, st.cmu
  local a = math.sqrt(cs * (2 - cs) * st.mueff)
  local norm = 0
  for i = 1, n do
    st.ps[i] = (1 - cs) * st.ps[i] + a * cy[i]
    norm = norm + st.ps[i] ^ 2
  end
  norm = math.sqrt(norm)
  st.g = st.g + 1
  local hs = norm / math.sqrt(1 - (1 - cs) ^ (2 * st.g)) < (1.4 + 2 / (n + 1)) * st.chiN and 1 or 0
  local b = hs * math.sqrt(cc * (2 - cc) * st.mueff)
  for i = 1, n do st.pc[i] = (1 - cc) * st.pc[i] + b * yw[i] end
  local keep = 1 - c1 - cmu + (1 - hs) * c1 * cc * (2 - cc)
  for i = 1, n do
    for j = 1, i do
      local r = 0
      for q = 1, mu do r = r + w[q] * ys[q][i] * ys[q][j] end
      local v = keep * st.C[i][j] + c1 * st.pc[i] * st.pc[j] + cmu * r
      st.C[i][j], st.C[j][i] = v, v
    end
  end
  st.sigma = st.sigma * math.exp((cs / st.ds) * (norm / st.chiN - 1))
  st.sigma = math.min(st.sigma, 1e4)
  local ev, vec = S.eigh(st.C)
  for k = 1, n do st.D[k] = math.sqrt(math.max(ev[k], 1e-30)) end
  st.B = vec
  st.last_f = {}
  for i, s in ipairs(sols) do st.last_f[i] = s.f end
  st.best_hist[#st.best_hist + 1] = sols[1].f
end

---------------------------------------------------------------------------------------------------------------
-- The sampler interface
---------------------------------------------------------------------------------------------------------------

local function space_key(names, sp)
  local parts = {}
  for i, k in ipairs(names) do parts[i] = k .. "=" .. space.describe(sp[k]) end
  return table.concat(parts, ";")
end

function CMA:infer_relative_space(study, _)
  if #study.directions > 1 then
    error("knob.samplers.cmaes: a multi-objective study needs another sampler (knob.samplers.nsga2)", 0)
  end
  if study.storage:count_trials(study.id, {complete = true}) < math.max(1, self.n_startup_trials) then return {} end
  local out = {}
  for k, d in pairs(self._isect:get(study)) do
    if d.kind ~= "categorical" then out[k] = d end
  end
  return out
end

-- The normalized starting mean: x0, else the best complete trial's values, else the centre.
function CMA:_start_mean(study, names, sp)
  local what = "knob.samplers.cmaes"
  local given = self.x0 or {}
  for k, v in pairs(given) do
    if not sp[k] then
      error(("%s: option 'x0' names '%s', which is not a float or int parameter of the search space (%s)")
        :format(what, k, table.concat(names, ", ")), 0)
    end
    if not space.contains(sp[k], v) then
      error(("%s: option 'x0': %s is outside %s of parameter '%s'"):format(what, show(v), space.describe(sp[k]), k), 0)
    end
  end
  local best
  local sign = study.directions[1] == "minimize" and 1 or -1
  for _, r in ipairs(study:trials_raw{"complete"}) do
    if r.values and (best == nil or sign * r.values[1] < sign * best.values[1]) then best = r end
  end
  local mean = {}
  for i, k in ipairs(names) do
    local d = sp[k]
    local v = given[k]
    if v == nil and best then v = best.params[k] end
    local lo, hi = common.bounds(d)
    mean[i] = v == nil and 0.5 or (common.to_internal(d, v) - lo) / (hi - lo)
  end
  return mean
end

function CMA:sample_relative(study, trial, sp)
  local names = space.names(sp)
  local key = space_key(names, sp)
  local st = self._state
  if not st or st.key ~= key then
    local n = #names
    st = new_state(n, self:_start_mean(study, names, sp), self.sigma0, self.popsize or (4 + math.floor(3 * math.log(n))))
    st.key, st.restart = key, 0
    self._state, self._pending = st, {}
  elseif #st.told >= st.lambda then
    update(st, st.told)
    st.told = {}
    if self.restarts == "ipop" and converged(st, self.sigma0) then
      local mean = {}
      for i = 1, st.n do mean[i] = self.rng:uniform() end
      local r = st.restart + 1
      st = new_state(st.n, mean, self.sigma0, st.lambda * self.inc_popsize)
      st.key, st.restart = key, r
      self._state, self._pending = st, {}
    end
  end
  local x = self:_draw(st)
  self._pending[trial.id] = {x = x, g = st.g, st = st}
  study:set_trial_system_attr(trial, "cmaes:generation", st.g)
  study:set_trial_system_attr(trial, "cmaes:restart", st.restart)
  local out = {}
  for i, k in ipairs(names) do
    local d = sp[k]
    local lo, hi = common.bounds(d)
    out[k] = common.from_internal(d, lo + x[i] * (hi - lo))
  end
  return out
end

function CMA:after_trial(study, rec, state, values)
  local p = self._pending[rec.id]
  if not p then return end
  self._pending[rec.id] = nil
  local st = self._state
  if state ~= "complete" or p.st ~= st or p.g ~= st.g or #st.told >= st.lambda then return end
  local f = values[1]
  if study.directions[1] == "maximize" then f = -f end
  if f ~= f then return end
  st.told[#st.told + 1] = {x = p.x, f = f, number = rec.number}
end

function CMA:sample(study, trial, name, dist)
  return self.random:sample(study, trial, name, dist)
end

return M
