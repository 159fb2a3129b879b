-- knob.pruners — stop unpromising trials early from the values they report (trial:report(step, value)).
--
--   knob.pruners.median{n_startup_trials = 5, n_warmup_steps = 0, interval_steps = 1, n_min_trials = 1}
--   knob.pruners.percentile{percentile =, n_startup_trials = 5, n_warmup_steps = 0, interval_steps = 1,
--                           n_min_trials = 1}
--   knob.pruners.successive_halving{min_resource = "auto", reduction_factor = 4, min_early_stopping_rate = 0,
--                                   bootstrap_count = 0}
--   knob.pruners.hyperband{min_resource = 1, max_resource = "auto", reduction_factor = 3, bootstrap_count = 0}
--   knob.pruners.patience{wrapped = nil, patience =, min_delta = 0}
--   knob.pruners.none()
--
-- The semantics are Optuna 3.1's (optuna/pruners), so a study ported from Optuna prunes the same trials:
--   percentile: prune when the trial's best value so far is worse than the given percentile of the complete
--     trials' values at the current step (maximize: the 100 - p percentile; linear interpolation, NaN
--     ignored), once n_startup_trials trials are complete, after n_warmup_steps, at the first report of each
--     interval_steps interval, when at least n_min_trials complete trials reported that step; a trial whose
--     values are all NaN is pruned. median is percentile 50.
--   successive_halving (asynchronous SHA): rung r is reached at step min_resource * reduction_factor ^
--     (min_early_stopping_rate + r); there the trial's value is recorded (system attr completed_rung_<r>) and
--     it continues only if it is in the top 1 / reduction_factor of the values recorded at that rung so far
--     (the first reduction_factor - 1 trials: only if best); min_resource = "auto" is max(last step of the
--     complete trials // 100, 1) once a trial is complete (no pruning before).
--   hyperband: brackets of successive halving with min_early_stopping_rate 0..n_brackets-1, n_brackets =
--     floor(log_rf(max_resource / min_resource)) + 1 (max_resource "auto": the largest last step of the
--     complete trials + 1); a trial's bracket is crc32("<study name>_<trial number>") modulo the total budget
--     sum(ceil(n_brackets * rf^s / (s + 1))), and it competes only with trials of its bracket.
--   patience: prune when the best of the last patience + 1 values is not better (by more than min_delta)
--     than the best before them; with `wrapped`, only if that pruner also says so.
--
-- A pruner is any table with prune(study, record) -> boolean (record: the running trial's record with
-- intermediate = {[step] = value} and last_step; study: trials_raw, direction, name,
-- set_trial_system_attr). knob.study uses knob.pruners.median{} by default, as Optuna.
local space = require "knob.space"

local M = {}

local function fail(what, msg)
  error(what .. ": " .. msg, 0)
end

local function show(v)
  return space.show(v)
end

local int_opt = space.opt_int

local function num_opt(what, opts, k, def, lo, hi)
  local v = opts[k]
  if v == nil then return def end
  if type(v) ~= "number" or v ~= v or v < lo or (hi and v > hi) then
    fail(what, ("option '%s' must be a number in [%s, %s] (got %s)"):format(k, show(lo), hi and show(hi) or "inf",
      type(v) == "number" and show(v) or type(v)))
  end
  return v
end

local function sorted_steps(rec)
  local steps = {}
  for s in pairs(rec.intermediate) do steps[#steps + 1] = s end
  table.sort(steps)
  return steps
end

---------------------------------------------------------------------------------------------------------------
-- percentile / median
---------------------------------------------------------------------------------------------------------------

-- numpy's nanpercentile with linear interpolation, step by step as numpy 1.24 computes it (virtual index
-- (n - 1) q with q = p / 100, then its _lerp, exact at both ends). nil when there is no value.
function M._percentile(values, p)
  local v = {}
  for _, x in ipairs(values) do
    if x == x then v[#v + 1] = x end
  end
  local n = #v
  if n == 0 then return nil end
  table.sort(v)
  local q = p / 100
  local idx = (n - 1) * q
  if idx <= 0 then return v[1] end
  if idx >= n - 1 then return v[n] end
  local lo = math.floor(idx)
  local t = idx - lo
  local a, b = v[lo + 1], v[lo + 2]
  local d = b - a
  if t >= 0.5 then return b - d * (1 - t) end
  return a + d * t
end

local Percentile = {}
Percentile.__index = Percentile

local function percentile_new(what, opts, p)
  local self = setmetatable({name = what:match("[%w_]+$")}, Percentile)
  self.percentile = p
  self.n_startup_trials = int_opt(what, opts, "n_startup_trials", 5, 0)
  self.n_warmup_steps = int_opt(what, opts, "n_warmup_steps", 0, 0)
  self.interval_steps = int_opt(what, opts, "interval_steps", 1, 1)
  self.n_min_trials = int_opt(what, opts, "n_min_trials", 1, 1)
  return self
end

function M.percentile(opts)
  local what = "knob.pruners.percentile"
  opts = space.check_opts(what, opts, {"percentile", "n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"})
  if opts.percentile == nil then fail(what, "option 'percentile' is required (a number in [0, 100])") end
  return percentile_new(what, opts, num_opt(what, opts, "percentile", nil, 0, 100))
end

function M.median(opts)
  local what = "knob.pruners.median"
  opts = space.check_opts(what, opts, {"n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials"})
  return percentile_new(what, opts, 50)
end

-- Optuna's _is_first_in_interval_step.
local function first_in_interval(step, rec, warmup, interval)
  local nearest = (step - warmup) // interval * interval + warmup
  local second_last = -1
  for s in pairs(rec.intermediate) do
    if s > second_last and s ~= step then second_last = s end
  end
  return second_last < nearest
end

function Percentile:prune(study, rec)
  local complete = study:trials_raw("complete")
  local n = #complete
  if n == 0 or n < self.n_startup_trials then return false end
  local step = rec.last_step
  if step == nil or step < self.n_warmup_steps then return false end
  if not first_in_interval(step, rec, self.n_warmup_steps, self.interval_steps) then return false end
  local maximize = study.direction == "maximize"
  local best
  for _, v in pairs(rec.intermediate) do
    if v == v and (best == nil or (maximize and v > best) or (not maximize and v < best)) then best = v end
  end
  if best == nil then return true end
  local at = {}
  for _, t in ipairs(complete) do
    local v = t.intermediate[step]
    if v ~= nil then at[#at + 1] = v end
  end
  if #at < self.n_min_trials then return false end
  local p = M._percentile(at, maximize and 100 - self.percentile or self.percentile)
  if p == nil then return false end
  if maximize then return best < p end
  return best > p
end

---------------------------------------------------------------------------------------------------------------
-- successive halving
---------------------------------------------------------------------------------------------------------------

local SH = {}
SH.__index = SH

local function sh_new(min_resource, rf, mesr, bootstrap)
  return setmetatable({name = "successive_halving", min_resource = min_resource, reduction_factor = rf,
                       min_early_stopping_rate = mesr, bootstrap_count = bootstrap}, SH)
end

local function check_resource(what, opts, k, def)
  local v = opts[k]
  if v == nil then return def end
  if v == "auto" then return nil end
  if math.type(v) ~= "integer" or v < 1 then
    fail(what, ("option '%s' must be an integer >= 1 or \"auto\" (got %s)"):format(k, type(v) == "number" and show(v) or show(tostring(v))))
  end
  return v
end

function M.successive_halving(opts)
  local what = "knob.pruners.successive_halving"
  opts = space.check_opts(what, opts, {"min_resource", "reduction_factor", "min_early_stopping_rate", "bootstrap_count"})
  local mr = check_resource(what, opts, "min_resource", nil)
  local rf = int_opt(what, opts, "reduction_factor", 4, 2)
  local mesr = int_opt(what, opts, "min_early_stopping_rate", 0, 0)
  local bc = int_opt(what, opts, "bootstrap_count", 0, 0)
  if bc > 0 and mr == nil then fail(what, "bootstrap_count > 0 needs an integer min_resource (not \"auto\")") end
  return sh_new(mr, rf, mesr, bc)
end

local function rung_key(r)
  return "completed_rung_" .. r
end

-- Optuna's _estimate_min_resource: max(largest last step of the complete trials // 100, 1).
local function estimate_min_resource(trials)
  local last
  for _, t in ipairs(trials) do
    if t.state == "complete" and t.last_step ~= nil and (last == nil or t.last_step > last) then last = t.last_step end
  end
  if last == nil then return nil end
  return math.max(last // 100, 1)
end

-- trials: the competing trials (all of the study, or a hyperband bracket's).
function SH:_prune(study, rec, trials)
  local step = rec.last_step
  if step == nil then return false end
  local rung = 0
  while rec.system_attrs[rung_key(rung)] ~= nil do rung = rung + 1 end
  local value = rec.intermediate[step]
  local maximize = study.direction == "maximize"
  while true do
    if self.min_resource == nil then
      self.min_resource = estimate_min_resource(trials)
      if self.min_resource == nil then return false end
    end
    local promotion = self.min_resource * self.reduction_factor ^ (self.min_early_stopping_rate + rung)
    if step < promotion then return false end
    if value ~= value then return true end
    local key = rung_key(rung)
    local competing = {}
    for _, t in ipairs(trials) do
      local v = t.system_attrs[key]
      if v ~= nil and t.id ~= rec.id then competing[#competing + 1] = v end
    end
    competing[#competing + 1] = value
    study:set_trial_system_attr(rec, key, value)
    if #competing <= self.bootstrap_count then return true end
    local idx = #competing // self.reduction_factor - 1
    if idx == -1 then idx = 0 end
    table.sort(competing)
    local promotable
    if maximize then promotable = value >= competing[#competing - idx]
    else promotable = value <= competing[idx + 1] end
    if not promotable then return true end
    rung = rung + 1
  end
end

function SH:prune(study, rec)
  return self:_prune(study, rec, study:trials_raw())
end

---------------------------------------------------------------------------------------------------------------
-- hyperband
---------------------------------------------------------------------------------------------------------------

local crc_table
-- CRC-32 (IEEE 802.3, as zlib / Python's binascii.crc32) of a string.
function M._crc32(s)
  if not crc_table then
    crc_table = {}
    for i = 0, 255 do
      local c = i
      for _ = 1, 8 do
        if c & 1 == 1 then c = 0xEDB88320 ~ (c >> 1) else c = c >> 1 end
      end
      crc_table[i] = c
    end
  end
  local c = 0xFFFFFFFF
  for i = 1, #s do c = crc_table[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8) end
  return c ~ 0xFFFFFFFF
end

local Hyperband = {}
Hyperband.__index = Hyperband

function M.hyperband(opts)
  local what = "knob.pruners.hyperband"
  opts = space.check_opts(what, opts, {"min_resource", "max_resource", "reduction_factor", "bootstrap_count"})
  local minr = int_opt(what, opts, "min_resource", 1, 1)
  local maxr = check_resource(what, opts, "max_resource", nil)
  local rf = int_opt(what, opts, "reduction_factor", 3, 2)
  local bc = int_opt(what, opts, "bootstrap_count", 0, 0)
  if bc > 0 and maxr == nil then fail(what, "bootstrap_count > 0 needs an integer max_resource (not \"auto\")") end
  if maxr and maxr < minr then fail(what, ("max_resource %d is below min_resource %d"):format(maxr, minr)) end
  return setmetatable({name = "hyperband", min_resource = minr, max_resource = maxr, reduction_factor = rf,
                       bootstrap_count = bc, brackets = nil, budgets = nil, total = 0}, Hyperband)
end

function Hyperband:_init(study)
  if self.max_resource == nil then
    local last
    for _, t in ipairs(study:trials_raw("complete")) do
      if t.last_step ~= nil and (last == nil or t.last_step > last) then last = t.last_step end
    end
    if last == nil then return false end
    self.max_resource = last + 1
  end
  local rf = self.reduction_factor
  local n = math.floor(math.log(self.max_resource / self.min_resource) / math.log(rf)) + 1
  self.brackets, self.budgets, self.total = {}, {}, 0
  for id = 0, n - 1 do
    local s = n - 1 - id
    local budget = math.ceil(n * rf ^ s / (s + 1))
    self.budgets[id + 1] = budget
    self.total = self.total + budget
    self.brackets[id + 1] = sh_new(self.min_resource, rf, id, self.bootstrap_count)
  end
  return true
end

--- The 0-based bracket of trial `number` in study `name` (Optuna's _get_bracket_id).
function Hyperband:bracket_of(name, number)
  local n = M._crc32(name .. "_" .. number) % self.total
  for id, b in ipairs(self.budgets) do
    n = n - b
    if n < 0 then return id - 1 end
  end
end

function Hyperband:prune(study, rec)
  if not self.brackets and not self:_init(study) then return false end
  local id = self:bracket_of(study.name, rec.number)
  local mine = {}
  for _, t in ipairs(study:trials_raw()) do
    if self:bracket_of(study.name, t.number) == id then mine[#mine + 1] = t end
  end
  return self.brackets[id + 1]:_prune(study, rec, mine)
end

---------------------------------------------------------------------------------------------------------------
-- patience, none
---------------------------------------------------------------------------------------------------------------

local Patience = {}
Patience.__index = Patience

function M.patience(opts)
  local what = "knob.pruners.patience"
  opts = space.check_opts(what, opts, {"wrapped", "patience", "min_delta"})
  if opts.patience == nil then fail(what, "option 'patience' is required (an integer >= 0)") end
  local w = opts.wrapped
  if w ~= nil and (type(w) ~= "table" or type(w.prune) ~= "function") then
    fail(what, "option 'wrapped' must be a pruner (a table with prune) (got " .. type(w) .. ")")
  end
  return setmetatable({name = "patience", wrapped = w, patience = int_opt(what, opts, "patience", 0, 0),
                       min_delta = num_opt(what, opts, "min_delta", 0, 0)}, Patience)
end

local function nan_best(values, i, j, maximize)
  local best
  for k = i, j do
    local v = values[k]
    if v == v and (best == nil or (maximize and v > best) or (not maximize and v < best)) then best = v end
  end
  return best
end

function Patience:prune(study, rec)
  if rec.last_step == nil then return false end
  local steps = sorted_steps(rec)
  local n = #steps
  if n <= self.patience + 1 then return false end
  local values = {}
  for i, s in ipairs(steps) do values[i] = rec.intermediate[s] end
  local maximize = study.direction == "maximize"
  local cut = n - self.patience - 1
  local before, after = nan_best(values, 1, cut, maximize), nan_best(values, cut + 1, n, maximize)
  if before == nil or after == nil then return false end
  local stalled
  if maximize then stalled = before - self.min_delta > after else stalled = before + self.min_delta < after end
  if not stalled then return false end
  if self.wrapped then return self.wrapped:prune(study, rec) end
  return true
end

local None = {name = "none"}
None.__index = None
function None.prune() return false end

--- A pruner that never prunes.
function M.none()
  return setmetatable({}, None)
end

return M
