-- knob.samplers — strategies that choose the parameter values of a trial.
--
--   knob.samplers.random{seed}                                      uniform / log-uniform
--   knob.samplers.grid{space = {...}, shuffle, seed}                full factorial over a declared space
--   knob.samplers.grid{around = {...}, steps = {...}, radius, bounds}   a grid around a centre ("grid near the best")
--   knob.samplers.qmc{kind = "sobol"|"halton", scramble, seed, space}   scrambled Sobol / Halton points
--   knob.samplers.tpe{seed, n_startup_trials, n_ei_candidates, gamma, weights, prior_weight, consider_prior,
--                     consider_magic_clip, consider_endpoints, multivariate, bandwidth, scaled, group,
--                     constant_liar, optuna_compat}
--   knob.samplers.nsga2{population_size, mutation_prob, crossover, crossover_prob, swapping_prob, eta, seed}
--                                                                   NSGA-II for multi-objective studies
--   knob.samplers.cmaes{x0, sigma0, popsize, seed, restarts, inc_popsize, n_startup_trials}
--                                                                   CMA-ES: local fine tuning around the best
--   knob.samplers.gp{seed, n_startup_trials, n_candidates, n_local}   GP Bayesian optimization (log EI)
-- Each module documents its options (stdlib/knob/samplers/<name>.lua). Every sampler has a `seed` field:
-- when no seed is given one is drawn from the clock, and sampler.seed tells which, so a run can be repeated.
--
-- THE SAMPLER INTERFACE. A sampler is any Lua table with these methods (called with `:`); the built-ins use
-- nothing else, so a strategy written in Lua plugs into a study exactly like them (examples/custom_sampler.lua):
--
--   sampler:sample(study, trial, name, dist) -> value                                            [required]
--       Independent sampling: a value of distribution dist (knob.space) for parameter `name` of the running
--       `trial`. Called when the objective suggests a parameter that is neither fixed nor taken from
--       sample_relative. The value must satisfy knob.space.contains(dist, value) -- the study checks and
--       raises "sampler <name> proposed <v> for parameter '<p>' outside <dist>" otherwise.
--   sampler:infer_relative_space(study, trial) -> {name = dist, ...}                             [optional]
--   sampler:sample_relative(study, trial, space) -> {name = value, ...}                          [optional]
--       Joint (multivariate) sampling, done once when a trial starts: the study calls infer_relative_space
--       and, if that is not empty, sample_relative; a relative value is then used when the objective
--       suggests that name with a distribution equal to the space's (else the study falls back to
--       `sample`). A sampler with `relative_strict = true` (grid) has its relative values used whatever
--       distribution the objective gives, provided they are contained in it (else the error above).
--   sampler:before_trial(study, trial)                                                           [optional]
--   sampler:after_trial(study, record, state, values)                                            [optional]
--       Hooks around each trial; record is the finished trial record (state "complete", "pruned" or
--       "failed"; values the objective values or nil).
--   sampler.name                          a short name for messages ("tpe", "random", ...)            [optional]
--
-- What a sampler may use:
--   study.direction ("minimize" | "maximize"), study.directions, study.name
--   study:trials_raw(states) -> read-only trial records in number order (states: nil = all, or a list or set
--       of "waiting", "running", "complete", "pruned", "failed"); see knob/storage/init.lua for the fields
--   study:set_trial_system_attr(trial_or_record, key, value)      persist a sampler's bookkeeping
--   study:stop()                                                   end optimize() after the current trial
--   trial.number, trial.id, trial.params (read-only), trial.system_attrs (read-only)
--   knob.space helpers (from_unit, contains, values, index, ...) and knob.core.search (rng, parzen, qmc)
local M = {}

M.NAMES = {"random", "grid", "qmc", "tpe", "gp", "nsga2", "cmaes"}

for _, name in ipairs(M.NAMES) do
  M[name] = function(opts) return require("knob.samplers." .. name).new(opts) end
end

--- Raise unless s implements the interface (a table with a sample method; optional methods are functions).
function M.check(s, what)
  what = what or "sampler"
  if type(s) ~= "table" then error(what .. ": a sampler must be a table (got " .. type(s) .. ")", 0) end
  if type(s.sample) ~= "function" then error(what .. ": a sampler needs a sample(study, trial, name, dist) method", 0) end
  for _, m in ipairs{"infer_relative_space", "sample_relative", "before_trial", "after_trial"} do
    if s[m] ~= nil and type(s[m]) ~= "function" then
      error(what .. ": sampler field '" .. m .. "' must be a function (got " .. type(s[m]) .. ")", 0)
    end
  end
  if (s.infer_relative_space == nil) ~= (s.sample_relative == nil) then
    error(what .. ": a sampler defines both infer_relative_space and sample_relative, or neither", 0)
  end
  return s
end

--- A seed from the options (an integer >= 0), or one drawn from the clock.
function M.seed(what, v)
  if v == nil then
    local c = require("knob.core").sys.clock()
    return math.floor((c * 1e6) % 2147483647) ~ (os.time() % 2147483647)
  end
  if math.type(v) ~= "integer" or v < 0 then
    error(what .. ": option 'seed' must be an integer >= 0 (got " .. tostring(v) .. ")", 0)
  end
  return v
end

--- The seed of trial `number`'s own random stream: a splitmix64 step of (seed, number), so that the draws of
--- a trial depend only on the sampler's seed and the trial number -- not on which process draws them
--- (optimize{jobs = N} samples in worker processes, each with a copy of the sampler) nor on how many
--- draws earlier trials made.
function M.trial_seed(seed, number)
  local z = seed + (number + 1) * 0x9E3779B97F4A7C15
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return (z ~ (z >> 31)) & math.maxinteger
end

--- A knob.Rng for the trial (a table with a number; nil for none): cached in self[key] until the trial
--- changes. Used by the built-in samplers for every draw that belongs to one trial.
function M.trial_rng(self, trial, seed, key)
  local number = trial and trial.number
  local cache = self[key]
  if cache and cache.number == number then return cache.rng end
  local rng = require("knob.core").search.rng(M.trial_seed(seed, number or -1))
  self[key] = {number = number, rng = rng}
  return rng
end

return M
