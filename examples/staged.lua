-- examples/staged.lua — the staged tuning workflow on bundled data.
--
--   knob examples/staged.lua [data.csv target]       (default: examples/data/breast_cancer.csv diagnosis)
--
-- The whole staged workflow, each stage a few lines you can change: describe the data, lock away a stratified
-- test split, score baselines on the CV folds, then (knob.stages) a coarse QMC search over the key GBDT
-- hyperparameters → a grid around the best on the two most important → fine tuning (multivariate TPE) of the
-- top three → the top configurations re-scored on fresh folds → the winner refit and scored once on the test
-- split over several seeds. Writes runs/staged-run.json (the run record) and runs/staged-trials.csv.
local knob = require "knob"

local path, target = knob.recipe.args(arg)
local seed = 42

local section = knob.recipe.section

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

-- 4. The staged search (knob.stages): one study shared by every stage -----------------------------------
section("staged search over gbdt (5-fold CV on the training rows)")
local run = knob.stages.new{train = train, test = test, seed = seed, metric = "accuracy", name = "staged-gbdt",
                            model = "gbdt", fixed = {n_estimators = 100}}
run:search("coarse", {sampler = "qmc", trials = 24})            -- quasi-random cover of the whole space
print("parameter importance after the coarse stage:")
for _, item in ipairs(run:importance()) do print(("  %-18s %.2f"):format(item.name, item.importance)) end
run:grid{params = 2}                                             -- best ± one step on the top two
run:search("fine", {sampler = "tpe", params = 3, trials = 20, plateau = 12})   -- TPE on the top three

-- 5. How much of the best score was luck? -------------------------------------------------------------
section("re-scoring the top configurations on fresh folds")
local rescore = run:rescore{top = 5}
print(("selection luck of the best trial: %+.4f accuracy"):format(rescore.selection_luck))

-- 6. The final test: the only time the test split is scored ------------------------------------------
section("final test (refit on all training rows, 5 seeds)")
local final = run:final{seeds = 5}
print(("winner: trial %d, CV %.4f; test %.4f ± %.4f; gbdt defaults on test %.4f"):format(
  final.trial, final.cv, final.test, final.test_std, final.default_test))
for _, k in ipairs(run.names) do print(("  %-18s %s"):format(k, tostring(final.params[k]))) end

os.execute("mkdir -p runs")
assert(run:save{record = "runs/staged-run.json", trials_csv = "runs/staged-trials.csv"})
print()
print(("%d trials; run record runs/staged-run.json, every trial in runs/staged-trials.csv"):format(run.study:n_trials()))
