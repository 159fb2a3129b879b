-- examples/regularization.lua — how much regularization, and does early stopping help?
--
--   knob examples/regularization.lua [data.csv target]   (default: examples/data/breast_cancer.csv diagnosis)
--   OPENBLAS_NUM_THREADS=1 knob examples/regularization.lua   (faster: these networks are too small for BLAS threads)
--   KNOB_QUICK=1 knob examples/regularization.lua        (fewer values per curve: what tests/spec/recipes_spec.lua runs)
--
-- On the training rows (a stratified test split stays locked), one validation curve (knob.curves.validation:
-- 5-fold CV, training and validation score per value, the same folds for every value) per regularization knob,
-- each listed from the weakest to the strongest setting:
--   gbdt (a deliberately flexible one: 64 leaves, 100 trees) — l2 (leaf-value shrinkage), min_samples_leaf;
--   MLP (standardize -> two layers of 64, adam, 80 epochs) — weight_decay, dropout, and early stopping (off, then patience 20
--   and 5 on a 10% holdout of each fold's training rows).
-- For each curve: the train-vs-validation gap (train mean - valid mean) at each value, and the chosen value
-- by the one-standard-error rule: the STRONGEST setting whose validation mean is within one standard error
-- (fold std / sqrt(5)) of the best (the CV cannot tell them apart, and the stronger one generalizes more safely).
local knob = require "knob"

local path, target, quick = knob.recipe.args(arg)
local seed = 42

local section = knob.recipe.section

local t0, c0 = knob.sys.clock(), os.clock()
local ds, train, test = knob.recipe.load(path, target, seed)
local classification = ds:task() == "classification"
local metric = classification and "accuracy" or "r2"
print(("%s: %d training rows (%d test rows locked), metric %s, seed %d"):format(path, train:rows(), test:rows(),
  metric, seed))
local cv_opts = {folds = 5, metric = metric, seed = seed}

-- The one-standard-error choice (values are ordered weakest -> strongest): the standard error of the best
-- mean is its fold std / sqrt(folds).
local function choose(curve)
  local best = curve.points[curve.best.index]
  local pick, se = curve.best.index, best.valid_std / math.sqrt(cv_opts.folds)
  for i, p in ipairs(curve.points) do
    if i > pick and best.valid_mean - p.valid_mean <= se then pick = i end
  end
  return curve.points[pick]
end

local summary = {}
local function study_curve(title, param, values, make, label)
  section(title)
  local curve = knob.curves.validation(make, param, values, train, cv_opts)
  print(("%-16s %10s %18s %10s %10s"):format(param, "train", "valid (± fold std)", "gap", "fit"))
  for _, p in ipairs(curve.points) do
    print(("%-16s %10.4f %18s %+10.4f %9.2fs"):format(label and label(p.value) or tostring(p.value), p.train_mean,
      ("%.4f ± %.4f"):format(p.valid_mean, p.valid_std), p.train_mean - p.valid_mean, p.fit_seconds))
  end
  local first, chosen = curve.points[1], choose(curve)
  summary[#summary + 1] = {param = param, curve = curve, chosen = chosen, first = first,
                           label = label and label(chosen.value) or tostring(chosen.value)}
  print(("chosen %s = %s: valid %.4f (best %.4f, fold std %.4f), gap %+.4f (weakest setting: %+.4f)"):format(param,
    summary[#summary].label, chosen.valid_mean, curve.best.valid_mean, curve.best.valid_std,
    chosen.train_mean - chosen.valid_mean, first.train_mean - first.valid_mean))
end

-- gbdt --------------------------------------------------------------------------------------------------------
local function gbdt(over)
  local p = {max_leaves = 64, n_estimators = 100, learning_rate = 0.1, min_samples_leaf = 5, seed = seed}
  for k, v in pairs(over) do p[k] = v end
  return knob.model.gbdt(p)
end
study_curve("gbdt l2 (64 leaves, 100 trees, min_samples_leaf 5)", "l2",
  quick and {0, 1, 100} or {0, 0.1, 1, 10, 100}, function(v) return gbdt{l2 = v} end)
study_curve("gbdt min_samples_leaf", "min_samples_leaf", quick and {1, 20, 80} or {1, 5, 20, 50, 100},
  function(v) return gbdt{min_samples_leaf = v} end)

-- MLP --------------------------------------------------------------------------------------------------------
local function mlp(over)
  local p = {hidden = {64, 64}, learning_rate = 0.003, batch_size = 32, epochs = quick and 40 or 80, seed = seed}
  for k, v in pairs(over) do p[k] = v end
  return knob.pipeline{knob.prep.standardize(), knob.model.mlp(p)}
end
study_curve("MLP weight_decay (standardize -> mlp{64, 64}, adam)", "weight_decay",
  quick and {0, 1e-3, 1e-1} or {0, 1e-4, 1e-3, 1e-2, 1e-1}, function(v) return mlp{weight_decay = v} end)
study_curve("MLP dropout", "dropout", quick and {0, 0.5} or {0, 0.2, 0.5},
  function(v) return mlp{dropout = v} end)
-- Early stopping: 0 = off (every epoch), then patience 20 and 5 (stronger: stops sooner).
study_curve("MLP early stopping (patience; 0 = off)", "patience", {0, 20, 5}, function(v)
  if v == 0 then return mlp{} end
  return mlp{early_stopping = true, patience = v, validation_fraction = 0.1}
end, function(v) return v == 0 and "off" or ("patience " .. v) end)

-- How many epochs early stopping used, on all training rows (one fit each).
local m = knob.pipeline{knob.prep.standardize(), knob.model.mlp{hidden = {64, 64}, learning_rate = 0.003,
  batch_size = 32, epochs = quick and 40 or 80, early_stopping = true, patience = 5, seed = seed}}
m:fit(train)
local h = m:history()
print(("early stopping (patience 5) on all training rows: %s after %d epochs"):format(h.status, #h.iterations))

-- Decision -----------------------------------------------------------------------------------------------------
section("conclusion")
print(("%-16s %-14s %10s %12s %12s"):format("knob", "chosen", "valid", "gap", "gap weakest"))
for _, s in ipairs(summary) do
  print(("%-16s %-14s %10.4f %+12.4f %+12.4f"):format(s.param, s.label, s.chosen.valid_mean,
    s.chosen.train_mean - s.chosen.valid_mean, s.first.train_mean - s.first.valid_mean))
end
local shrunk = 0
for _, s in ipairs(summary) do
  if s.chosen.train_mean - s.chosen.valid_mean < s.first.train_mean - s.first.valid_mean - 1e-9 then
    shrunk = shrunk + 1
  end
end
print(("regularization shrank the train-vs-validation gap on %d of %d knobs without losing validation score "
  .. "beyond the fold noise (one-standard-error rule)"):format(shrunk, #summary))
local es = summary[#summary]
if es.chosen.value == 0 then
  print(("early stopping did not pay here: its holdout is only ~%d rows per fold, so the stopping epoch is noisy; "
    .. "keep a fixed epoch budget (or early stopping with a larger validation_fraction) and regularize with "
    .. "weight_decay / dropout"):format(math.floor(train:rows() * 0.8 * 0.1)))
else
  print(("early stopping (%s) is as good as training every epoch and cheaper: keep it"):format(es.label))
end
print("next step: use the chosen values as the centre (or the upper end) of the ranges of a systematic search " ..
  "(examples/systematic_search.lua)")
print(("(%.1f s wall, %.1f s CPU)"):format(knob.sys.clock() - t0, os.clock() - c0))
