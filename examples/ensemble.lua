-- examples/ensemble.lua — ensembles of tuned and untuned models on breast_cancer.
--
--   knob examples/ensemble.lua
--
-- A short TPE study of gbdt (3-fold CV log-loss on the training rows) gives the top-3 configurations; with a
-- random forest and a standardize + mlp pipeline they make five members. The same members are combined by
-- soft voting, by weights learned on out-of-fold probabilities (log-loss on the simplex) and by stacking
-- (a logistic meta-model on the OOF probabilities). Every ensemble is scored on a held-out test split next to
-- its members, with the predict time per row; the members' diversity is printed too. Under a minute.
local knob = require "knob"

local seed = 42
local ds = assert(knob.data.read_csv(KNOB_HOME .. "/examples/data/breast_cancer.csv", {target = "diagnosis"}))
local train, test = ds:split{test = 0.3, stratify = true, seed = seed}
print(("breast_cancer: %d training rows, %d test rows"):format(train:rows(), test:rows()))

local section = knob.recipe.section

-- 1. A short gbdt study --------------------------------------------------------------------------------
section("gbdt study (12 trials, TPE, 3-fold CV log-loss)")
local function gbdt(p)
  return knob.model.gbdt{n_estimators = p.n_estimators, learning_rate = p.learning_rate,
                         max_leaves = p.max_leaves, min_samples_leaf = p.min_samples_leaf, seed = seed}
end
local study = knob.study{name = "gbdt-bc", direction = "minimize", sampler = knob.samplers.tpe{seed = seed},
                         pruner = knob.pruners.none()}
local t0 = knob.sys.clock()
study:optimize(function(trial)
  local m = gbdt{n_estimators = trial:suggest_int("n_estimators", 50, 200, {step = 50}),
                 learning_rate = trial:suggest_float("learning_rate", 0.02, 0.3, {log = true}),
                 max_leaves = trial:suggest_int("max_leaves", 4, 31),
                 min_samples_leaf = trial:suggest_int("min_samples_leaf", 5, 40)}
  return knob.cv.score(m, train, {folds = 3, seed = seed, metrics = {"log_loss"}})
end, {n_trials = 12})
print(("%d trials in %.1f s"):format(study:n_trials(), knob.sys.clock() - t0))

-- 2. Members: the top-3 gbdt configurations, a forest, an mlp pipeline -----------------------------------
local function members()
  local list, records = knob.ensemble.from_study(study, gbdt, {top = 3})
  list[#list + 1] = knob.model.forest{n_estimators = 200, seed = seed}
  list[#list + 1] = knob.pipeline{knob.prep.standardize(),
                                  knob.model.mlp{hidden = {32}, epochs = 150, learning_rate = 0.003, seed = seed}}
  return list, records
end
local _, records = members()
for i, r in ipairs(records) do
  print(("top %d: trial %d  cv log-loss %.4f  %s"):format(i, r.number, r.value,
    ("n_estimators=%d learning_rate=%.3f max_leaves=%d min_samples_leaf=%d"):format(r.params.n_estimators,
      r.params.learning_rate, r.params.max_leaves, r.params.min_samples_leaf)))
end

-- 3. Three ensembles ------------------------------------------------------------------------------------
local ensembles = {
  {"soft voting", knob.ensemble.voting{members = (members()), voting = "soft"}},
  {"weighted (OOF log-loss)", knob.ensemble.weighted{members = (members()), folds = 5, seed = seed}},
  {"stacking (logistic meta)", knob.ensemble.stacking{members = (members()), folds = 5, seed = seed}},
}
for k, e in ipairs(ensembles) do
  local name, ens = e[1], e[2]
  section(name)
  local t1 = knob.sys.clock()
  ens:fit(train)
  print(("fitted in %.1f s"):format(knob.sys.clock() - t1))
  if ens:weights() then
    local parts = {}
    for i, w in ipairs(ens:weights()) do parts[i] = ("%s %.3f"):format(ens:info().members[i], w) end
    print("weights: " .. table.concat(parts, ", "))
  end
  local r = knob.ensemble.report(ens, test, {metric = "log_loss", repeats = 3})
  print(r)
  print(("ensemble accuracy %.4f, roc_auc %.4f"):format(ens:score(test, "accuracy"), ens:score(test, "roc_auc")))
  if k == 1 then
    section("diversity of the members on the test rows")
    print(ens:diversity(test))
  end
end
