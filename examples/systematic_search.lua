-- examples/systematic_search.lua — which search strategy, and does pruning pay?
--
--   knob examples/systematic_search.lua [data.csv target]  (default: examples/data/breast_cancer.csv diagnosis)
--   KNOB_QUICK=1 knob examples/systematic_search.lua       (an 8-trial budget: what tests/spec/recipes_spec.lua runs)
--
-- On the training rows (a stratified test split stays locked), four knob.study runs with the SAME budget
-- (16 trials) over the same gbdt space, every trial scored on the SAME 5 CV folds (one splitter, one seed):
--   random (uniform / log-uniform), qmc (scrambled Sobol), grid (4 learning rates × 2 leaf counts × 2 leaf sizes:
--   exactly the budget), tpe (multivariate Tree-structured Parzen Estimator).
-- The table shows the best CV score so far after each budget checkpoint, per sampler. The study repeats the
-- comparison with a median pruner (knob.pruners.median: after each fold, a trial whose running mean is below
-- the median of the earlier trials at that fold is stopped) and counts the folds it saved. One search on one
-- data set is one draw: differences below the fold std are noise (the conclusion says so).
local knob = require "knob"

local path, target, quick = knob.recipe.args(arg)
local seed = 42

local section = knob.recipe.section

local t0, c0 = knob.sys.clock(), os.clock()
local ds, train, test = knob.recipe.load(path, target, seed)
local classification = ds:task() == "classification"
-- log loss (rmse for regression): accuracy takes few distinct values on a few hundred rows, so many
-- configurations tie; a continuous score tells the samplers apart. Lower is better.
local metric = classification and "log_loss" or "rmse"
local folds = knob.split.for_task(ds:task(), 5, seed)

-- The space (the key parameters found by examples/key_hyperparameters.lua) and the grid over it.
local F, I = knob.space.float, knob.space.int
local space = {learning_rate = F(0.01, 0.3, {log = true}), max_leaves = I(2, 64, {log = true}),
               min_samples_leaf = I(2, 64, {log = true})}
local grid = {learning_rate = quick and {0.03, 0.3} or {0.01, 0.03, 0.1, 0.3}, max_leaves = {4, 32},
              min_samples_leaf = {4, 32}}
local budget = #grid.learning_rate * #grid.max_leaves * #grid.min_samples_leaf
print(("%s: %d training rows (%d test rows locked), metric %s; budget %d trials per sampler, gbdt with 60 trees")
  :format(path, train:rows(), test:rows(), metric, budget))

-- One objective for every sampler: the CV mean on the shared folds. knob.cv.score reports each fold's running
-- mean to the trial and stops it when the study's pruner says so.
local function objective(trial)
  local p = {n_estimators = 60, seed = seed}
  for name, d in pairs(space) do p[name] = trial:suggest(name, d) end
  local mean, std = knob.cv.score(knob.model.gbdt(p), train, {folds = folds, metrics = {metric}, trial = trial})
  trial:set_user_attr("cv_std", std)
  return mean
end

local function run(name, sampler, pruner)
  fitted = 0
  local study = knob.study{name = name, direction = "minimize", sampler = sampler,
                           pruner = pruner or knob.pruners.none()}
  local s0 = knob.sys.clock()
  study:optimize(objective, {n_trials = budget})
  local trace, best, fitted = {}, math.huge, 0
  for i, r in ipairs(study:trials()) do
    if r.state == "complete" then best = math.min(best, r.value) end
    trace[i] = best
    fitted = fitted + (r.last_step or 0) -- the folds this trial fitted (all 5 unless pruned)
  end
  return {name = name, study = study, trace = trace, seconds = knob.sys.clock() - s0, folds = fitted,
          best = study:best()}
end

section("four samplers, same budget, same folds (no pruning)")
local results = {
  run("random", knob.samplers.random{seed = seed}),
  run("qmc", knob.samplers.qmc{seed = seed, space = space}),
  run("grid", knob.samplers.grid{space = grid}),
  run("tpe", knob.samplers.tpe{seed = seed, multivariate = true, n_startup_trials = math.max(4, budget // 4)}),
}
local header = {("%-8s"):format("trials")}
for _, r in ipairs(results) do header[#header + 1] = ("%10s"):format(r.name) end
print(table.concat(header))
local checkpoints = {}
for k = 1, budget do
  if k == 1 or k == budget or k % (budget // 4) == 0 then checkpoints[#checkpoints + 1] = k end
end
for _, k in ipairs(checkpoints) do
  local row = {("%-8d"):format(k)}
  for _, r in ipairs(results) do row[#row + 1] = ("%10.4f"):format(r.trace[k]) end
  print(table.concat(row))
end
local row = {("%-8s"):format("seconds")}
for _, r in ipairs(results) do row[#row + 1] = ("%10.1f"):format(r.seconds) end
print(table.concat(row))
print("(best CV " .. metric .. " so far, after k trials)")

local winner = results[1]
for _, r in ipairs(results) do if r.best.value < winner.best.value then winner = r end end
local noise = winner.best.user_attrs.cv_std
local worst = -math.huge
for _, r in ipairs(results) do worst = math.max(worst, r.best.value) end

-- Pruning: TPE again, with a median pruner over the CV folds ------------------------------------------------
section("pruning: tpe with a median pruner over the 5 folds")
local pruned = run("tpe+median", knob.samplers.tpe{seed = seed, multivariate = true,
                                                   n_startup_trials = math.max(4, budget // 4)},
                   knob.pruners.median{n_startup_trials = 3, n_warmup_steps = 1})
local tpe = results[4]
local n_pruned = pruned.study:n_trials{state = "pruned"}
print(("%-12s %8s %8s %12s %10s"):format("", "trials", "pruned", "folds fitted", "best"))
print(("%-12s %8d %8d %12d %10.4f"):format("tpe", budget, 0, tpe.folds, tpe.best.value))
print(("%-12s %8d %8d %12d %10.4f"):format("tpe+median", budget, n_pruned, pruned.folds, pruned.best.value))
local saved = 1 - pruned.folds / tpe.folds

section("conclusion")
print(("best after %d trials: %s %.4f (the worst sampler's best: %.4f; lower is better); the fold std of that configuration is %.4f")
  :format(budget, winner.name, winner.best.value, worst, noise))
if worst - winner.best.value <= noise then
  print("the samplers' bests differ by less than the fold std: on a space this small any of them does; " ..
    "grid is the easiest to read, TPE pays off with more parameters and larger budgets")
else
  print(("%s found a configuration clearly better than the worst sampler: prefer it for this space"):format(winner.name))
end
print(("pruning saved %.0f%% of the fold fits (%d of %d) and ended at %.4f vs %.4f without it"):format(100 * saved,
  tpe.folds - pruned.folds, tpe.folds, pruned.best.value, tpe.best.value))
print("next step: with the strategy chosen, run the staged search (examples/staged.lua) or tune architecture and " ..
  "features (examples/architecture.lua)")
print(("(%.1f s wall, %.1f s CPU)"):format(knob.sys.clock() - t0, os.clock() - c0))
