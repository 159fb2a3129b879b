-- knob.samplers.nsga2{...} — NSGA-II (Deb et al. 2002), the genetic algorithm for multi-objective studies,
-- as Optuna 3.1's NSGAIISampler. The non-dominated sort and the crowding distance are C
-- (knob.core.search.pareto_fronts / crowding_distance); the strategy is here.
--
-- Options:
--   population_size  50: trials per generation (an integer >= 2)
--   mutation_prob    nil: probability that a parameter of a child is not inherited but sampled at random
--                    (default 1 / max(1, number of parameters)); a number in [0, 1]
--   crossover        "uniform" (default) or "sbx" (simulated binary crossover, Deb & Agrawal 1995, as
--                    Optuna's SBXCrossover: eta 20 for several objectives, 2 for one, for float and int
--                    parameters in their internal space -- log for log ones; categorical parameters always
--                    use uniform crossover)
--   crossover_prob   0.9: probability that a child is a crossover of two parents (else a copy of one)
--   swapping_prob    0.5: uniform crossover -- probability to take each parameter from the second parent
--   eta              SBX distribution index (> 0; default as above)
--   seed             integer >= 0 (default: from the clock; sampler.seed tells which)
--
-- How it works. Every trial belongs to a generation (system attr "nsga2:generation"; generation 0 is
-- sampled at random). Once population_size trials of generation g are complete, the parents of generation
-- g + 1 are the best population_size of (generation g + the parents of g) by non-dominated rank, ties in the
-- last front broken by larger crowding distance (elitism). A child takes two parents chosen by binary
-- tournament (the dominating one of two random parents; a fair coin when neither dominates; the parents'
-- numbers are kept in system attr "nsga2:parents"), crosses them over the intersection search space of the
-- complete trials, and every inherited parameter mutates (is sampled by the random sampler) with
-- probability mutation_prob. Parameters outside that space are sampled at random. Failed and pruned trials
-- do not count. Works with one objective too (a plain genetic algorithm).
local core = require "knob.core"
local space = require "knob.space"
local samplers = require "knob.samplers"
local common = require "knob.samplers.common"

local S = core.search
local GEN, PARENTS = "nsga2:generation", "nsga2:parents"

local NSGA2 = {}
NSGA2.__index = NSGA2

local M = {}

local OPTIONS = {"population_size", "mutation_prob", "crossover", "crossover_prob", "swapping_prob", "eta", "seed"}

function M.new(opts)
  local what = "knob.samplers.nsga2"
  opts = space.check_opts(what, opts, OPTIONS)
  local function prob(k, def)
    local v = opts[k]
    if v == nil then return def end
    if type(v) ~= "number" or not (v >= 0 and v <= 1) then
      error(("%s: option '%s' must be a number in [0, 1] (got %s)"):format(what, k, space.show(v)), 0)
    end
    return v
  end
  local ps = space.opt_int(what, opts, "population_size", 50, 2)
  local cross = opts.crossover or "uniform"
  if cross ~= "uniform" and cross ~= "sbx" then
    error(what .. ": option 'crossover' must be 'uniform' or 'sbx' (got " .. space.show(cross) .. ")", 0)
  end
  local eta = opts.eta
  if eta ~= nil and (type(eta) ~= "number" or not (eta > 0) or eta == math.huge) then
    error(what .. ": option 'eta' must be a number > 0 (got " .. space.show(eta) .. ")", 0)
  end
  local seed = samplers.seed(what, opts.seed)
  return setmetatable({
    name = "nsga2", seed = seed, population_size = ps, mutation_prob = prob("mutation_prob", nil),
    crossover = cross, crossover_prob = prob("crossover_prob", 0.9), swapping_prob = prob("swapping_prob", 0.5),
    eta = eta, rng = S.rng(seed ~ 0x5A17C0DE), random = require("knob.samplers.random").new{seed = seed},
    _isect = common.intersection_cache(),
    _gen_cache = {}, _child = {},
  }, NSGA2)
end

function NSGA2:__tostring()
  return ("knob.samplers.nsga2<population %d, %s crossover, seed %d>"):format(self.population_size, self.crossover,
                                                                            self.seed)
end

local function dominates(a, b)
  local better = false
  for k = 1, #a do
    if a[k] > b[k] then return false end
    if a[k] < b[k] then better = true end
  end
  return better
end

-- Elitist selection: the best population_size of recs by front, then crowding distance (larger first).
function NSGA2:_select(study, recs)
  local L = study:losses(recs)
  local fronts = S.pareto_fronts(L)
  local crowd = S.crowding_distance(L, fronts)
  local idx = {}
  for i = 1, #recs do idx[i] = i end
  table.sort(idx, function(a, b)
    if fronts[a] ~= fronts[b] then return fronts[a] < fronts[b] end
    if crowd[a] ~= crowd[b] then return crowd[a] > crowd[b] end
    return recs[a].number < recs[b].number
  end)
  local out = {}
  for i = 1, math.min(self.population_size, #idx) do out[i] = recs[idx[i]] end
  return out
end

-- The parent generation and its parent population (nil when generation 0 is not complete yet).
function NSGA2:_parents(study)
  local by_gen = {}
  for _, r in ipairs(study:trials_raw{"complete"}) do
    local g = r.system_attrs[GEN]
    if g ~= nil and r.values then
      by_gen[g] = by_gen[g] or {}
      table.insert(by_gen[g], r)
    end
  end
  local parents, gen = nil, -1
  while by_gen[gen + 1] and #by_gen[gen + 1] >= self.population_size do
    gen = gen + 1
    local pop = by_gen[gen]
    local c = self._gen_cache[gen]
    if c and c.n == #pop then
      parents = c.parents
    else
      local all = {table.unpack(pop)}
      for _, p in ipairs(parents or {}) do all[#all + 1] = p end
      parents = self:_select(study, all)
      self._gen_cache[gen] = {n = #pop, parents = parents}
      for g in pairs(self._gen_cache) do -- later generations depend on this one
        if g > gen then self._gen_cache[g] = nil end
      end
    end
  end
  return gen, parents
end

function NSGA2:_tournament(study, pop)
  local a = pop[self.rng:int(1, #pop)]
  local b = pop[self.rng:int(1, #pop)]
  local l = study:losses{a, b}
  local la, lb = l[1], l[2]
  if dominates(la, lb) then return a end
  if dominates(lb, la) then return b end
  return self.rng:uniform() < 0.5 and a or b
end

-- SBX of the values x1, x2 of one parameter in internal space [lo, hi] -> the two children values.
local function sbx(rng, eta, x1, x2, lo, hi)
  local xmin, xmax = math.min(x1, x2), math.max(x1, x2)
  local diff = math.max(xmax - xmin, 1e-10)
  local beta1 = 1 + 2 * (xmin - lo) / diff
  local beta2 = 1 + 2 * (hi - xmax) / diff
  local alpha1, alpha2 = 2 - beta1 ^ -(eta + 1), 2 - beta2 ^ -(eta + 1)
  local u = rng:uniform()
  local function betaq(alpha)
    if u > 1 / alpha then return (1 / (2 - u * alpha)) ^ (1 / (eta + 1)) end
    return (u * alpha) ^ (1 / (eta + 1))
  end
  local c1 = 0.5 * ((xmin + xmax) - betaq(alpha1) * diff)
  local c2 = 0.5 * ((xmin + xmax) + betaq(alpha2) * diff)
  return math.min(math.max(c1, lo), hi), math.min(math.max(c2, lo), hi)
end

-- A child of p1 and p2 over the names of sp (a first and second child; one is returned, as Optuna).
function NSGA2:_cross(study, sp, names, p1, p2)
  local rng, c1, c2 = self.rng, {}, {}
  local eta = self.eta or (#study.directions > 1 and 20 or 2)
  for _, name in ipairs(names) do
    local d = sp[name]
    local a, b = p1.params[name], p2.params[name]
    if self.crossover == "sbx" and d.kind ~= "categorical" then
      local lo, hi = common.bounds(d)
      local y1, y2 = sbx(rng, eta, common.to_internal(d, a), common.to_internal(d, b), lo, hi)
      local x1, x2 = common.from_internal(d, y1), common.from_internal(d, y2)
      if rng:uniform() < 0.5 then a, b = x1, x2 end
      if rng:uniform() < 0.5 then a, b = b, a end
    elseif rng:uniform() < self.swapping_prob then
      a, b = b, a
    end
    c1[name], c2[name] = a, b
  end
  return rng:uniform() < 0.5 and c1 or c2
end

-- Generation bookkeeping and the child's parameters, once per trial.
function NSGA2:before_trial(study, trial)
  local gen, parents = self:_parents(study)
  study:set_trial_system_attr(trial, GEN, gen + 1)
  self._child = {}
  if not parents then return end
  local sp = self._isect:get(study)
  local names = space.names(sp)
  if #names == 0 then return end
  local rng, child = self.rng, nil
  local p1 = self:_tournament(study, parents)
  if rng:uniform() < self.crossover_prob then
    local p2 = self:_tournament(study, parents)
    study:set_trial_system_attr(trial, PARENTS, {p1.number, p2.number})
    child = self:_cross(study, sp, names, p1, p2)
  else
    study:set_trial_system_attr(trial, PARENTS, {p1.number})
    child = {}
    for _, name in ipairs(names) do child[name] = p1.params[name] end
  end
  local pm = self.mutation_prob or 1 / math.max(1, #names)
  local out = {}
  for _, name in ipairs(names) do
    if rng:uniform() >= pm and space.contains(sp[name], child[name]) then out[name] = child[name] end
  end
  self._child = {trial = trial.id, space = sp, params = out}
end

function NSGA2:infer_relative_space(_, trial)
  local c = self._child
  if c.trial ~= trial.id then return {} end
  local sp = {}
  for name in pairs(c.params) do sp[name] = c.space[name] end
  return sp
end

function NSGA2:sample_relative(_, trial, _)
  local c = self._child
  if c.trial ~= trial.id then return {} end
  return c.params
end

function NSGA2:sample(study, trial, name, dist)
  return self.random:sample(study, trial, name, dist)
end

return M
