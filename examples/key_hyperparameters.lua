-- examples/key_hyperparameters.lua — which hyperparameters matter? Tune those, fix the rest.
--
--   knob examples/key_hyperparameters.lua [data.csv target]   (default: examples/data/breast_cancer.csv diagnosis)
--   KNOB_QUICK=1 knob examples/key_hyperparameters.lua        (a smaller budget: what tests/spec/recipes_spec.lua runs)
--
-- On the training rows (a stratified test split stays locked): a short quasi-random (scrambled Sobol) study
-- over a WIDE gbdt space — eight hyperparameters, each over the range people actually try — with 5-fold CV,
-- then (1) each parameter's importance (run:importance(): |Spearman| between its value and the CV score;
-- between-choice variance for categoricals) and (2) a slice summary per parameter: the trials cut into three
-- equal groups by its value (low / middle / high), the mean CV score of each group and which third is best.
-- A parameter matters when its importance is high AND its slices differ by more than the fold noise. The
-- conclusion names the 2-3 parameters worth tuning and the values to fix the others at.
local knob = require "knob"

local path, target, quick = knob.recipe.args(arg)
local seed = 42
local trials = quick and 16 or 40

local section = knob.recipe.section

local t0, c0 = knob.sys.clock(), os.clock()
local ds, train, test = knob.recipe.load(path, target, seed)
local classification = ds:task() == "classification"
local metric = classification and "accuracy" or "r2"
print(("%s: %d training rows (%d test rows locked), metric %s, %d trials, seed %d"):format(path, train:rows(),
  test:rows(), metric, trials, seed))

-- A wide space: every gbdt knob someone might reach for, over generous ranges (log scale for scale parameters).
local F, I = knob.space.float, knob.space.int
local space = {
  learning_rate = F(0.005, 0.5, {log = true}),
  n_estimators = I(20, 300, {log = true}),
  max_leaves = I(2, 128, {log = true}),
  min_samples_leaf = I(1, 100, {log = true}),
  l2 = F(1e-3, 100, {log = true}),
  subsample = F(0.4, 1),
  colsample = F(0.2, 1),
  min_split_gain = F(0, 1),
}

section(("quasi-random study: %d gbdt configurations, 5-fold CV"):format(trials))
local run = knob.stages.new{train = train, test = test, seed = seed, metric = metric, name = "key-hyperparameters",
                            model = "gbdt", space = space, log = false}
run:search("explore", {sampler = "qmc", trials = trials})
local recs = run.study:trials{state = "complete"}
local best = run.study:best()
local noise = best.user_attrs.cv_std or 0
local lo_v, hi_v = math.huge, -math.huge
for _, r in ipairs(recs) do lo_v, hi_v = math.min(lo_v, r.value), math.max(hi_v, r.value) end
print(("%d trials: %s from %.4f to %.4f; best %.4f ± %.4f (trial %d)"):format(#recs, metric, lo_v, hi_v,
  best.value, noise, best.number))

-- Slices: the trials sorted by one parameter's value, cut into thirds; the mean score of each third.
local function slices(name)
  local sorted = {}
  for _, r in ipairs(recs) do sorted[#sorted + 1] = r end
  table.sort(sorted, function(a, b) return a.params[name] < b.params[name] end)
  local out, n = {}, #sorted
  for g = 1, 3 do
    local a, b = math.floor((g - 1) * n / 3) + 1, math.floor(g * n / 3)
    local s = 0
    for i = a, b do s = s + sorted[i].value end
    out[g] = {mean = s / (b - a + 1), from = sorted[a].params[name], to = sorted[b].params[name]}
  end
  return out
end

local function fmt(v)
  if math.type(v) == "integer" then return tostring(v) end
  return ("%.3g"):format(v)
end

section("importance and slices (mean CV score of the trials in each third of the parameter's range)")
print(("%-17s %10s   %-26s %-26s %-26s %s"):format("parameter", "importance", "low third", "middle third",
  "high third", "spread"))
local importance = run:importance()
local rows = {}
for _, item in ipairs(importance) do
  local s = slices(item.name)
  local bestg, worstg = 1, 1
  for g = 2, 3 do
    if s[g].mean > s[bestg].mean then bestg = g end
    if s[g].mean < s[worstg].mean then worstg = g end
  end
  if not run.greater_is_better then bestg, worstg = worstg, bestg end
  local spread = math.abs(s[bestg].mean - s[worstg].mean)
  rows[#rows + 1] = {name = item.name, importance = item.importance, spread = spread, best_third = bestg, s = s}
  local cells = {}
  for g = 1, 3 do
    cells[g] = ("%.4f [%s..%s]%s"):format(s[g].mean, fmt(s[g].from), fmt(s[g].to), g == bestg and "*" or "")
  end
  print(("%-17s %10.2f   %-26s %-26s %-26s %.4f"):format(item.name, item.importance, cells[1], cells[2], cells[3],
    spread))
end
print("(* = the best third; spread = best third - worst third, in " .. metric .. ")")

-- The decision: a parameter is worth tuning when it ranks high and its slices differ by more than the fold std.
section("conclusion")
local keep = {}
for _, r in ipairs(rows) do
  if #keep < 3 and r.importance >= 0.2 and r.spread > noise then keep[#keep + 1] = r end
end
if #keep < 2 then -- always name at least two: the two most important, flagged as weak evidence
  keep = {rows[1], rows[2]}
  print(("no parameter clearly beats the fold noise (%.4f): the space is flat here; the two most important:"):format(noise))
end
local names = {}
for _, r in ipairs(keep) do names[#names + 1] = r.name end
local thirds = {"low", "middle", "high"}
print(("worth tuning: %s"):format(table.concat(names, ", ")))
for _, r in ipairs(keep) do
  print(("  %-17s importance %.2f, best in its %s third (%s..%s), spread %.4f vs fold std %.4f"):format(r.name,
    r.importance, thirds[r.best_third], fmt(r.s[r.best_third].from), fmt(r.s[r.best_third].to), r.spread, noise))
end
local fixed = {}
for _, r in ipairs(rows) do
  local chosen = false
  for _, k in ipairs(keep) do chosen = chosen or k == r end
  if not chosen then fixed[#fixed + 1] = ("%s = %s"):format(r.name, fmt(best.params[r.name])) end
end
print("fix the others at the best trial's values: " .. table.concat(fixed, ", "))
local chosen_set = {}
for _, n in ipairs(names) do chosen_set[n] = true end
if chosen_set.learning_rate and chosen_set.n_estimators then
  print("learning_rate and n_estimators trade off (a smaller rate needs more trees): tune them together")
end
print(("next step: search %s only (e.g. knob.stages run:search{sampler = \"tpe\", params = %d} or a grid around the "
  .. "best, examples/systematic_search.lua); tune the learning rate with the number of trees "
  .. "(examples/learning_rate.lua)"):format(table.concat(names, ", "), #names))
print(("(%.1f s wall, %.1f s CPU)"):format(knob.sys.clock() - t0, os.clock() - c0))
