-- examples/staged.lua — the staged tuning workflow on bundled data.
--
--   knob examples/staged.lua [data.csv target]       (default: examples/data/breast_cancer.csv diagnosis)
--
-- Stage 0, today: load and describe the data, lock away a stratified test split, show the cross-validation
-- folds and score baselines (dummy, then default logistic / gbdt / forest) on them. Later stages (random search → grid → fine tuning → ensemble → final
-- test) are added here as knob grows; the test split is not touched until the final stage.
local knob = require "knob"

local path = arg[1] or (KNOB_HOME .. "/examples/data/breast_cancer.csv")
local target = arg[2] or "diagnosis"
local seed = 42

local function section(title)
  print()
  print(("== %s "):format(title) .. ("="):rep(math.max(0, 72 - #title)))
end

local function counts(ds)
  local parts = {}
  for _, c in ipairs(ds:classes()) do parts[#parts + 1] = ("%s=%d"):format(c, ds:class_counts()[c]) end
  return table.concat(parts, " ")
end

-- 1. Data --------------------------------------------------------------------------------------------
section("data")
local ds = assert(knob.data.read_csv(path, {target = target}))
print(ds)
print("fingerprint " .. ds:fingerprint() .. "   (recorded with every result computed from this data)")
print()
print((ds:describe()))

-- 2. Lock the test split -----------------------------------------------------------------------------
section("held-out test split (locked until the final stage)")
local train, test = ds:split{test = 0.2, stratify = true, seed = seed}
print(("train %d rows  %s"):format(train:rows(), counts(train)))
print(("test  %d rows  %s"):format(test:rows(), counts(test)))

-- 3. Cross-validation folds and baselines ------------------------------------------------------------
section("stratified 5-fold CV on the training rows")
local cv = knob.split.stratified_kfold{k = 5, shuffle = true, seed = seed}
local baselines = {
  {"most frequent class", knob.model.dummy{strategy = "most_frequent"}},
  {"class prior (random)", knob.model.dummy{strategy = "stratified", seed = seed}},
  {"logistic (scaled)", knob.pipeline{knob.prep.standardize(), knob.model.logistic{C = 1}}},
  {"gbdt (defaults)", knob.model.gbdt{seed = seed}},
  {"forest (defaults)", knob.model.forest{seed = seed}},
}
local metric_names = {"accuracy", "balanced_accuracy", "f1_macro"}
print(("%-5s %6s %6s  %-28s %s"):format("fold", "train", "valid", "valid classes", "fingerprint"))
for fold, tr, va in cv:iter(train) do
  print(("%-5d %6d %6d  %-28s %s"):format(fold, tr:rows(), va:rows(), counts(va), va:fingerprint()))
end
-- Each baseline on the same folds; knob.cv fits a clone per fold (the baseline objects stay unfitted).
local results = {}
for b, base in ipairs(baselines) do
  results[b] = knob.cv.cross_validate(base[2], train, {folds = cv, metrics = metric_names})
end

section("baselines: default models (mean ± std over the 5 folds)")
print(("%-22s" .. (" %20s"):rep(#metric_names)):format("model", table.unpack(metric_names)))
for b, base in ipairs(baselines) do
  local cells = {}
  for _, name in ipairs(metric_names) do
    cells[#cells + 1] = ("%.3f ± %.3f"):format(results[b].mean[name], results[b].std[name])
  end
  print(("%-22s" .. (" %20s"):rep(#cells)):format(base[1], table.unpack(cells)))
end
print()
print("Any tuned model must beat these numbers on the same folds.")

-- 4. Coarse search: TPE over the key GBDT hyperparameters, scored on the same CV folds -----------------
section("coarse search: TPE over gbdt (25 trials, 5-fold CV, pruning by fold)")
local study = knob.study{name = "staged-gbdt", direction = "maximize",
                         sampler = knob.samplers.tpe{seed = seed, n_startup_trials = 10}}
local t0 = knob.sys.clock()
study:optimize(function(trial)
  local m = knob.model.gbdt{
    learning_rate = trial:suggest_float("learning_rate", 0.01, 0.5, {log = true}),
    max_leaves = trial:suggest_int("max_leaves", 4, 48),
    min_samples_leaf = trial:suggest_int("min_samples_leaf", 2, 40, {log = true}),
    l2 = trial:suggest_float("l2", 1e-3, 10, {log = true}),
    n_estimators = 100, seed = seed}
  -- fold i reports the running mean accuracy to the trial, so the pruner can stop a bad configuration early
  return (knob.cv.score(m, train, {folds = cv, metrics = {"accuracy"}, trial = trial}))
end, {n_trials = 25})
local best = study:best()
local pruned = study:n_trials{state = "pruned"}
print(("%d trials (%d pruned) in %.1f s; best trial #%d: CV accuracy %.4f"):format(
  study:n_trials(), pruned, knob.sys.clock() - t0, best.number, best.value))
local names = {}
for k in pairs(best.params) do names[#names + 1] = k end
table.sort(names)
for _, k in ipairs(names) do print(("  %-18s %s"):format(k, tostring(best.params[k]))) end
print()
print("The test split has not been scored. Next stages (grid around the best → fine tuning → ensemble →")
print("final test over several seeds) arrive with the workflow issue.")
