-- knob.samplers.gp{...} — Gaussian-process Bayesian optimization, in the spirit of Optuna's GPSampler. The
-- numerics are C (engine/src/search/gp.c, knob.core.search.gp_suggest): a Matérn 5/2 kernel with one
-- lengthscale per parameter, fitted to the standardized objective values by maximizing the log marginal
-- likelihood plus a weak prior (Optuna's), and the next point maximizing log expected improvement (Sobol
-- candidates, then L-BFGS from the best few). The strategy is here.
--
-- Options:
--   seed              integer >= 0 (default: from the clock; sampler.seed tells which)
--   n_startup_trials  10: random sampling until this many trials are complete
--   n_candidates      2048: candidates scored by log EI before the local refinement
--   n_local           5: best candidates refined by L-BFGS (the best observation is refined too)
--
-- The search space is the intersection space of the finished trials (like multivariate TPE: the parameters
-- every trial has with equal distributions, single-valued ones left out); it is sampled jointly. Parameters
-- outside it, and every parameter during the startup trials, are sampled at random (knob.samplers.random
-- with the same seed). How parameters enter the GP: floats and ints are mapped to [0, 1] (log scale for
-- log parameters; ints and stepped floats widened by half a step, treated as continuous and rounded at the
-- end); a categorical enters through a Hamming-type kernel term (same choice: distance 0, else 1), and its
-- choice is searched among the candidates and by one pass over its choices.
--
-- Observations are the complete trials whose parameters all lie inside the current space; pruned, failed and
-- running trials are ignored. Values are negated for maximize; +-inf are clipped to the worst / best finite
-- value. Repeated points are fine (the fitted noise keeps the kernel matrix positive definite); a suggestion
-- that rounds onto an observed point (a discrete space) is replaced by the best candidate that does not,
-- when there is one.
local S = require("knob.core").search
local space = require "knob.space"
local samplers = require "knob.samplers"

local M = {}
local GP = {}
GP.__index = GP

local OPTIONS = {"seed", "n_startup_trials", "n_candidates", "n_local"}

function M.new(opts)
  local what = "knob.samplers.gp"
  opts = space.check_opts(what, opts, OPTIONS)
  local function int(k, def, lo, hi) return space.opt_int(what, opts, k, def, lo, hi) end
  local seed = samplers.seed(what, opts.seed)
  return setmetatable({
    name = "gp", seed = seed,
    n_startup_trials = int("n_startup_trials", 10, 0, math.maxinteger),
    n_candidates = int("n_candidates", 2048, 1, 10000000),
    n_local = int("n_local", 5, 0, 1000),
    rng = S.rng(seed ~ 0x6A09E667F3BCC908), -- not the random sampler's stream
    random = require("knob.samplers.random").new{seed = seed},
    -- the intersection space is TPE's (the method reads only the study)
    _space = require("knob.samplers.tpe").new{seed = 0, multivariate = true},
  }, GP)
end

function GP:__tostring()
  return ("knob.samplers.gp<seed %d>"):format(self.seed)
end

function GP:sample(study, trial, name, dist)
  return self.random:sample(study, trial, name, dist)
end

function GP:infer_relative_space(study, trial)
  return self._space:infer_relative_space(study, trial)
end

function GP:sample_relative(study, _, sp)
  local complete = study:trials_raw{"complete"}
  if #complete < self.n_startup_trials then return {} end
  local names = space.names(sp)
  local dists = {}
  for j, k in ipairs(names) do dists[j] = sp[k] end
  local sign = study.direction == "minimize" and 1 or -1
  local obs, y = {}, {}
  for _, r in ipairs(complete) do
    local v = r.value
    if v ~= nil and v == v then
      local row = {}
      for j, k in ipairs(names) do
        local p, d = r.params[k], dists[j]
        if not space.contains(d, p) then
          row = nil
          break
        end
        row[j] = d.kind == "categorical" and space.index(d, p) or p
      end
      if row then
        obs[#obs + 1] = row
        y[#y + 1] = sign * v
      end
    end
  end
  if #obs == 0 then return {} end
  -- the fit starts from the previous trial's hyperparameters when the space has not changed (as Optuna does)
  local key = table.concat(names, "\0")
  local init = self.last and self.last.key == key and self.last.hyper or nil
  local best, log_ei, hyper = S.gp_suggest(dists, obs, y, {rng = self.rng, n_candidates = self.n_candidates,
                                                            n_local = self.n_local, init = init})
  self.last = {log_ei = log_ei, hyper = hyper, n_obs = #obs, key = key}
  local out = {}
  for j, k in ipairs(names) do -- gp_suggest gives ints and choice indices as Lua integers
    local d = dists[j]
    out[k] = d.kind == "categorical" and d.choices[best[j] + 1] or best[j]
  end
  return out
end

return M
