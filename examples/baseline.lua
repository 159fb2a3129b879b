-- examples/baseline.lua — baseline reports before any tuning: how good is a default model, and what next?
--
--   knob examples/baseline.lua [data.csv target]       (default: examples/data/breast_cancer.csv diagnosis)
--
-- Locks away a stratified test split, then evaluates three baselines on the training rows with the same
-- 5-fold CV: the dummy (class prior), a scaled logistic regression and a default gbdt. Each report gives the
-- CV scores (validation and training), the overfitting flag, fit time, memory, model size, prediction latency
-- and class balance; the comparison puts them side by side, and the last section turns them into advice.
local knob = require "knob"

local path, target = knob.recipe.args(arg)
local seed = 42

local section = knob.recipe.section

local ds, train, test = knob.recipe.load(path, target, seed)
print(("%s: %d training rows (the %d test rows stay locked until the final evaluation)"):format(path,
  train:rows(), test:rows()))

local classification = ds:task() == "classification"
local metric_names = classification and {"accuracy", "roc_auc", "f1_macro"} or {"r2", "rmse"}
if classification and #ds:classes() > 2 then metric_names[2] = "roc_auc_ovr" end
local candidates = {
  {"dummy", knob.model.dummy{}},
  {"logistic", knob.pipeline{knob.prep.standardize(), classification and knob.model.logistic{}
                                                                     or knob.model.linear{}}},
  {"gbdt", knob.model.gbdt{seed = seed}},
}

local reports = {}
for i, c in ipairs(candidates) do
  section("baseline: " .. c[1])
  reports[i] = knob.evaluate.baseline(c[2], train, {folds = 5, seed = seed, metrics = metric_names, name = c[1],
                                                    latency_rows = 500})
  print(reports[i])
end

section("side by side (5-fold CV on the training rows)")
local cmp = knob.evaluate.compare(reports)
print(cmp)

-- What a person needs to decide the next step --------------------------------------------------------------
section("next step")
local metric = reports[1].metric
local dummy = reports[1]
local best = reports[cmp.best[metric]]
local gib = best.greater_is_better[metric]
local lift = gib and best.valid.mean[metric] - dummy.valid.mean[metric]
                  or dummy.valid.mean[metric] - best.valid.mean[metric]
print(("best %s: %s at %.4f ± %.4f, %.4f better than the dummy"):format(metric, best.name, best.valid.mean[metric],
  best.valid.std[metric], lift))
-- Two models whose means differ by less than the larger fold std are not told apart by this CV.
for _, r in ipairs(reports) do
  if r ~= best and r ~= dummy then
    local diff = math.abs(best.valid.mean[metric] - r.valid.mean[metric])
    local noise = math.max(best.valid.std[metric], r.valid.std[metric])
    print(("  %s vs %s: difference %.4f %s the fold std %.4f"):format(best.name, r.name, diff,
      diff < noise and "is within" or "exceeds", noise))
  end
end
if lift <= 0 then
  print("* no model beats the dummy: check the target and the features before tuning anything")
end
for _, r in ipairs(reports) do
  if r.overfit then
    print(("* %s overfits (%s): tune its regularization (or check the learning curve: examples/learning_curve.lua)")
      :format(r.name, r.overfit_rule))
  end
end
if dummy.imbalance and dummy.imbalance.imbalanced then
  print("* the classes are imbalanced: judge models by balanced_accuracy / f1_macro, try class_weight = \"balanced\"")
end
local fastest = reports[2]
for _, r in ipairs(reports) do
  if r ~= dummy and r.latency.single.p50 < fastest.latency.single.p50 then fastest = r end
end
if fastest == best then
  print(("* %s is also the cheapest to serve (single-row p50 %.1f µs, %d-byte model file)"):format(best.name,
    best.latency.single.p50 * 1e6, best.json_bytes))
else
  print(("* cheapest to serve: %s (single-row p50 %.1f µs, %d-byte model file); %s costs %.1f µs per single row")
    :format(fastest.name, fastest.latency.single.p50 * 1e6, fastest.json_bytes, best.name,
      best.latency.single.p50 * 1e6))
end
print(("* next: tune %s with knob.study (examples/staged.lua), on these same folds (seed %d, data %s)")
  :format(best.name, seed, best.fingerprint))
