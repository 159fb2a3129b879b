-- examples/architecture.lua — which network shape, and which features?
--
--   knob examples/architecture.lua [data.csv target]   (default: examples/data/breast_cancer.csv diagnosis)
--   KNOB_QUICK=1 knob examples/architecture.lua        (fewer shapes: what tests/spec/recipes_spec.lua runs)
--   OPENBLAS_NUM_THREADS=1 is faster: these networks are too small for BLAS threads.
--
-- On the training rows (a stratified test split stays locked), every candidate scored by 5-fold CV on the same
-- folds:
--   1. MLP shape: width (16 / 64 / 256 units) and depth (1 / 2 / 3 layers), then the activation (relu, tanh,
--      gelu) of the chosen shape; standardize -> mlp, adam, learning_rate 0.003, batch 32, 80 epochs. The
--      chosen shape is the SMALLEST whose CV mean is within one fold std of the best (fewer weights: cheaper,
--      less to overfit).
--   2. Features: the column filters (knob.prep.variance_filter, knob.prep.corr_filter{threshold = 0.95}) and
--      degree-2 polynomial features (knob.prep.poly) for a linear model (standardize -> logistic), each as a
--      pipeline step fitted on each fold's training rows only; and the gbdt's own feature importances (total
--      split gain; knob.importance.permutation and knob.importance.shap give the score drop on validation rows and
--      per-row contributions when split gain is not enough).
local knob = require "knob"

local path, target, quick = knob.recipe.args(arg)
local seed = 42

local section = knob.recipe.section

local t0, c0 = knob.sys.clock(), os.clock()
local ds, train, test = knob.recipe.load(path, target, seed)
local classification = ds:task() == "classification"
local metric = classification and "accuracy" or "r2"
local folds = knob.split.for_task(ds:task(), 5, seed)
print(("%s: %d training rows (%d test rows locked), %d features, metric %s, seed %d"):format(path, train:rows(),
  test:rows(), train:features(), metric, seed))

local function cv(model)
  local t = knob.sys.clock()
  local r = knob.cv.cross_validate(model, train, {folds = folds, metrics = {metric}})
  return {mean = r.score, std = r.std[metric], seconds = knob.sys.clock() - t}
end

-- Weights of an MLP with these hidden layers (inputs -> hidden... -> outputs), biases included.
local n_out = classification and (#train:classes() == 2 and 1 or #train:classes()) or 1
local function n_weights(hidden)
  local n, prev = 0, train:features()
  for _, h in ipairs(hidden) do n, prev = n + (prev + 1) * h, h end
  return n + (prev + 1) * n_out
end

local function mlp(hidden, activation)
  return knob.pipeline{knob.prep.standardize(), knob.model.mlp{hidden = hidden, activation = activation or "relu",
    learning_rate = 0.003, batch_size = 32, epochs = 80, seed = seed}}
end

-- 1. Shape --------------------------------------------------------------------------------------------------------
section("MLP shape (relu): width × depth, 5-fold CV")
local shapes = quick and {{16}, {64}, {64, 64}}
                      or {{16}, {64}, {256}, {16, 16}, {64, 64}, {64, 64, 64}}
local rows, best = {}, nil
print(("%-14s %8s %18s %8s"):format("hidden", "weights", metric .. " (CV)", "fit s"))
for i, h in ipairs(shapes) do
  local r = cv(mlp(h))
  rows[i] = {hidden = h, weights = n_weights(h), mean = r.mean, std = r.std, seconds = r.seconds}
  if not best or r.mean > best.mean then best = rows[i] end
  print(("%-14s %8d %18s %8.2f"):format("{" .. table.concat(h, ", ") .. "}", rows[i].weights,
    ("%.4f ± %.4f"):format(r.mean, r.std), r.seconds))
end
local chosen = best
for _, r in ipairs(rows) do
  if best.mean - r.mean <= best.std and r.weights < chosen.weights then chosen = r end
end
local shape = "{" .. table.concat(chosen.hidden, ", ") .. "}"
print(("best %s (%.4f ± %.4f); the smallest within one fold std of it: %s, %d weights"):format(
  "{" .. table.concat(best.hidden, ", ") .. "}", best.mean, best.std, shape, chosen.weights))

section("activation of " .. shape)
local acts = quick and {"relu", "tanh"} or {"relu", "tanh", "gelu"}
local act_best = nil
for _, a in ipairs(acts) do
  local r = a == "relu" and chosen or cv(mlp(chosen.hidden, a))
  print(("%-8s %.4f ± %.4f"):format(a, r.mean, r.std))
  if not act_best or r.mean > act_best.mean + (act_best.std or 0) then act_best = {name = a, mean = r.mean, std = r.std} end
end
-- (an activation replaces relu only when it beats it by more than relu's fold std)

-- 2. Features -----------------------------------------------------------------------------------------------------
section("features: filters and polynomial terms (standardize -> logistic)")
local linear = function() return classification and knob.model.logistic{} or knob.model.linear{} end
local vf = knob.prep.variance_filter{threshold = 0}:fit_transform(train)
local corr = knob.prep.corr_filter{threshold = 0.95}
local cf = corr:fit_transform(train)
local poly_cols = knob.prep.poly{degree = 2}:fit_transform(train):features()
print(("columns: %d; after variance_filter %d; after corr_filter(0.95) %d (dropped: %s); degree-2 poly %d"):format(
  train:features(), vf:features(), cf:features(), table.concat(corr:state().dropped, ", "), poly_cols))
local feats = {
  {"all columns", knob.pipeline{knob.prep.standardize(), linear()}},
  {"corr_filter 0.95", knob.pipeline{knob.prep.corr_filter{threshold = 0.95}, knob.prep.standardize(), linear()}},
  {"poly degree 2", knob.pipeline{knob.prep.standardize(), knob.prep.poly{degree = 2}, knob.prep.standardize(),
                                  linear()}},
}
local fres = {}
for i, f in ipairs(feats) do
  fres[i] = cv(f[2])
  print(("%-18s %.4f ± %.4f   (%.2f s)"):format(f[1], fres[i].mean, fres[i].std, fres[i].seconds))
end

section("gbdt feature importances (total split gain, fitted on all training rows)")
local g = knob.model.gbdt{seed = seed}
g:fit(train)
local imp = g:feature_importances()
local ranked = {}
for name, v in pairs(imp) do ranked[#ranked + 1] = {name = name, v = v} end
table.sort(ranked, function(a, b) return a.v > b.v end)
local total = 0
for _, r in ipairs(ranked) do total = total + r.v end
local cum, k80 = 0, nil
for i, r in ipairs(ranked) do
  cum = cum + r.v
  if i <= 8 then print(("  %-26s %6.1f%%   (cumulative %5.1f%%)"):format(r.name, 100 * r.v / total, 100 * cum / total)) end
  if not k80 and cum >= 0.8 * total then k80 = i end
end
print(("  %d of %d features carry 80%% of the gain"):format(k80, #ranked))

-- Decision -----------------------------------------------------------------------------------------------------
section("conclusion")
print(("architecture: hidden = %s (%d weights, %.4f ± %.4f): a bigger network is not better beyond the fold noise")
  :format(shape, chosen.weights, chosen.mean, chosen.std))
print(("activation: %s"):format(act_best.name == "relu" and "keep relu (no other one beats it beyond the fold std)"
  or (act_best.name .. " beats relu beyond the fold std")))
local base = fres[1]
local function verdict(r, what)
  if r.mean - base.mean > base.std then return what .. " helps (beyond the fold std): keep it" end
  if base.mean - r.mean > base.std then return what .. " hurts: leave it out" end
  return what .. " makes no difference beyond the fold std"
    .. (what:find("filter") and ": keep it if fewer columns matter (faster, simpler)" or ": leave it out (cheaper)")
end
print(verdict(fres[2], ("corr_filter (%d -> %d columns)"):format(train:features(), cf:features())))
print(verdict(fres[3], ("poly degree 2 (%d columns)"):format(poly_cols)))
print(("the gbdt leans on a few features: %d carry 80%% of its split gain (top: %s)"):format(k80, ranked[1].name))
print("next step: combine the best models (examples/ensemble.lua), then the final test (examples/heldout_test.lua)")
print(("(%.1f s wall, %.1f s CPU)"):format(knob.sys.clock() - t0, os.clock() - c0))
