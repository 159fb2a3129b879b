-- examples/retune.lua — after deployment: drift -> retune -> A/B -> promote (or keep), with a model registry.
--
--   knob examples/retune.lua [data.csv target]   (default: examples/data/breast_cancer.csv diagnosis)
--   KNOB_QUICK=1 knob examples/retune.lua        (a smaller retuning grid: what tests/spec/recipes_spec.lua runs)
--
-- Writes runs/retune-registry.db (a knob.registry in SQLite; deleted and recreated at each run, so the history
-- printed is this run's) and runs/retune-production.json (the production model with its monitor reference).
--
--   1. Development: 60% of the rows (stratified) are the data the production model was built on; a gbdt with
--      a configuration from an earlier study is fitted on them, reference statistics attached
--      (knob.monitor.reference), saved, registered (version 1) and promoted to production.
--   2. Production: the other 40% arrive later, with an INJECTED SHIFT so that the example has something to find:
--      the two most important features of the production model are moved (the first scaled by 1.3, the second
--      shifted by one standard deviation: covariate drift), and the labels of the rows in the top third of the
--      first feature are set to the first class (concept drift: the same inputs now mean something else).
--      knob.monitor.check on the batch (PSI per feature: the verdict), knob.monitor.performance on its labels.
--   3. Retune conservatively: the labelled production rows are split into an accumulation part (60%, added to
--      the development rows) and a holdout (40%, never trained on); a grid AROUND the current configuration
--      (knob.samplers.grid{around = ..., steps = ...}: each of learning_rate and min_samples_leaf at the
--      current value and one step either side) is scored by 5-fold CV on the accumulated rows.
--   4. A/B on the holdout: knob.monitor.compare(candidate, production): the paired bootstrap interval of the
--      improvement and McNemar's test. The candidate is registered (parent: the production version) and
--      promoted only when the decision is "promote"; otherwise production is kept.
--   5. The registry: its history and the diff between the production and the candidate version.
local knob = require "knob"

local path, target, quick = knob.recipe.args(arg)
local seed = 42
local name = "retune-demo"

local section = knob.recipe.section

local t0, c0 = knob.sys.clock(), os.clock()
local ds = assert(knob.data.read_csv(path, {target = target}))
local classification = ds:task() == "classification"
local metric = classification and "accuracy" or "r2"
os.execute("mkdir -p runs")
local db, model_file = "runs/retune-registry.db", "runs/retune-production.json"
for _, suffix in ipairs{"", "-wal", "-shm", "-journal"} do os.remove(db .. suffix) end -- a fresh registry each run

-- 1. Development and deployment ---------------------------------------------------------------------------------
section("1. the production model (development rows)")
local dev, future = ds:split{test = 0.4, stratify = classification, seed = seed}
local current = {learning_rate = 0.1, max_leaves = 8, min_samples_leaf = 10, n_estimators = 100}
local function gbdt(p)
  local q = {seed = seed}
  for k, v in pairs(p) do q[k] = v end
  return knob.model.gbdt(q)
end
local cv_dev = knob.cv.cross_validate(gbdt(current), dev, {folds = 5, seed = seed, metrics = {metric}})
local production = gbdt(current)
production:fit(dev)
knob.monitor.reference(production, dev)
assert(production:save(model_file))
local reg = knob.registry.open("sqlite:" .. db)
local v1 = reg:register{name = name, model = production, fingerprint = dev, note = "initial deployment",
                        metrics = {cv_mean = cv_dev.score, cv_std = cv_dev.std[metric]}}
reg:promote(name, v1.version)
print(("%d development rows; gbdt %s"):format(dev:rows(), "learning_rate 0.1, max_leaves 8, min_samples_leaf 10"))
print(("CV %s %.4f ± %.4f; saved to %s with its monitor reference; registry %s: version %d promoted"):format(
  metric, cv_dev.score, cv_dev.std[metric], model_file, db, v1.version))

-- 2. Production data with an injected shift ----------------------------------------------------------------------
section("2. production data, with an injected shift")
local imp = production:feature_importances()
local names = ds:names()
table.sort(names, function(a, b) return (imp[a] or 0) > (imp[b] or 0) end)
local fa, fb = names[1], names[2]
local function column_stats(d, col)
  local xs = d:column(col)
  local s, s2 = 0, 0
  for _, x in ipairs(xs) do s, s2 = s + x, s2 + x * x end
  local mean = s / #xs
  return xs, mean, math.sqrt(math.max(0, s2 / #xs - mean * mean))
end
local xa = column_stats(future, fa)
local _, _, sd_b = column_stats(dev, fb)
local sorted_a = {}
for i, x in ipairs(xa) do sorted_a[i] = x end
table.sort(sorted_a)
local cut = sorted_a[math.floor(#sorted_a * 2 / 3) + 1] -- the top third of feature a (before the shift)
local first_class = classification and future:classes()[1]
local sd_y
if not classification then sd_y = select(3, column_stats(future, target)) end

local X, y, relabelled = {}, {}, 0
local ys, ia, ib = future:target(), nil, nil
for c, n in ipairs(future:names()) do
  if n == fa then ia = c elseif n == fb then ib = c end
end
for i = 1, future:rows() do
  local row = future:row(i)
  local label = ys[i]
  if row[ia] >= cut then -- concept drift: this slice now has another answer
    local new = classification and first_class or label + sd_y
    if new ~= label then relabelled = relabelled + 1 end
    label = new
  end
  row[ia] = row[ia] * 1.3      -- covariate drift: a rescaled sensor...
  row[ib] = row[ib] + sd_b     -- ...and a shifted one
  X[i], y[i] = row, label
end
local prod = knob.data.from_table{X = X, y = y, names = future:names(), target = target,
                                  task = classification and "classification" or "regression"}
print(("%d production rows; %s × 1.3, %s + %.3g (one std); %d labels changed in the slice %s >= %.4g"):format(
  prod:rows(), fa, fb, sd_b, relabelled, fa, cut))

local deployed = assert(knob.model.load(model_file)) -- a monitor needs only the model file and the new data
local report = knob.monitor.check(deployed, prod)
print(knob.monitor.format(report))
local perf = knob.monitor.performance(deployed, prod, {metric = metric, baseline = cv_dev.score, seed = seed})
print(("performance on the labelled batch: %s %.4f (95%% CI %.4f..%.4f) vs %.4f at deployment: %s"):format(metric,
  perf.value, perf.ci[1], perf.ci[2], cv_dev.score, perf.degraded and "DEGRADED" or "not degraded"))

-- 3. Retune around the current configuration ---------------------------------------------------------------------
section("3. retune: a grid around the current configuration, on accumulated data")
local acc_part, holdout = prod:split{test = 0.4, stratify = classification, seed = seed}
local accumulated = knob.data.concat(dev, acc_part)
print(("accumulated: %d development + %d production rows = %d; holdout for the A/B: %d production rows")
  :format(dev:rows(), acc_part:rows(), accumulated:rows(), holdout:rows()))
local F, I = knob.space.float, knob.space.int
local space = {learning_rate = F(0.01, 0.5, {log = true}), min_samples_leaf = I(1, 100, {log = true})}
-- (an int parameter takes an integer step: a {factor} step gives floats such as 5.0, which an int rejects)
local steps = {learning_rate = {factor = 2}, min_samples_leaf = 5}
local grid = knob.samplers.grid{around = {learning_rate = current.learning_rate,
                                          min_samples_leaf = current.min_samples_leaf},
                                steps = steps, radius = quick and {learning_rate = 1, min_samples_leaf = 0} or 1,
                                bounds = {learning_rate = {0.01, 0.5}, min_samples_leaf = {1, 100}}}
local folds = knob.split.for_task(ds:task(), 5, seed)
local study = knob.study{name = "retune", direction = "maximize", sampler = grid, pruner = knob.pruners.none()}
study:optimize(function(trial)
  local p = {}
  for k, v in pairs(current) do p[k] = v end
  for k, d in pairs(space) do p[k] = trial:suggest(k, d) end
  return (knob.cv.score(gbdt(p), accumulated, {folds = folds, metrics = {metric}}))
end, {n_trials = 50})
for _, r in ipairs(study:top(study:n_trials{state = "complete"})) do
  print(("  learning_rate %-6.3g min_samples_leaf %-4d CV %s %.4f%s"):format(r.params.learning_rate,
    r.params.min_samples_leaf, metric, r.value,
    (r.params.learning_rate == current.learning_rate and r.params.min_samples_leaf == current.min_samples_leaf)
      and "   (the current configuration)" or ""))
end
local best = study:best()
local cand_params = {}
for k, v in pairs(current) do cand_params[k] = v end
for k, v in pairs(best.params) do cand_params[k] = v end
local candidate = gbdt(cand_params)
candidate:fit(accumulated)
knob.monitor.reference(candidate, accumulated)

-- 4. A/B on the holdout -------------------------------------------------------------------------------------------
section("4. A/B: candidate vs production on the production holdout")
local ab = knob.monitor.compare(candidate, deployed, holdout, {metric = metric, seed = seed})
print(("production %s %.4f, candidate %.4f: improvement %+.4f (95%% CI %+.4f..%+.4f)"):format(metric, ab.production,
  ab.candidate, ab.improvement, ab.ci[1], ab.ci[2]))
if ab.mcnemar then
  print(("McNemar: candidate alone right on %d rows, production alone on %d, p = %.4g (%s)"):format(ab.mcnemar.b,
    ab.mcnemar.c, ab.mcnemar.p_value, ab.mcnemar.method))
end
print(("decision: %s (%s)"):format(ab.decision, ab.reason))
-- How much of the gain is the new data rather than the new hyperparameters: the current configuration refit.
local refit = gbdt(current)
refit:fit(accumulated)
local refit_score = refit:score(holdout, metric)
refit:close()
print(("(the current configuration refit on the accumulated rows scores %.4f on the holdout: %+.4f of the gain is " ..
  "the new data, %+.4f the retuning)"):format(refit_score, refit_score - ab.production, ab.candidate - refit_score))
local v2 = reg:register{name = name, model = candidate, fingerprint = accumulated, study = study, trial = best.number,
                        parent = v1.version, note = "retuned after drift: grid around v" .. v1.version,
                        metrics = {cv_mean = best.value, holdout = ab.candidate, holdout_production = ab.production}}
if ab.decision == "promote" then reg:promote(name, v2.version) end

-- 5. The registry -------------------------------------------------------------------------------------------------
section("5. the registry")
for _, h in ipairs(reg:history(name)) do
  print(("  %-9s version %d%s"):format(h.event, h.version, h.previous and (" (previous production " .. h.previous .. ")") or ""))
end
local d = reg:diff(name, v1.version, v2.version)
print(("diff v%d -> v%d:"):format(d.from, d.to))
local function sorted(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end
for _, k in ipairs(sorted(d.params.changed)) do
  local c = d.params.changed[k]
  print(("  param  %-18s %s -> %s"):format(k, tostring(c.from), tostring(c.to)))
end
for _, k in ipairs(sorted(d.metrics)) do
  local m = d.metrics[k]
  print(("  metric %-18s %s -> %s"):format(k, m.from and ("%.4f"):format(m.from) or "-",
    m.to and ("%.4f"):format(m.to) or "-"))
end
if d.fingerprint then print(("  data   %s -> %s"):format(d.fingerprint.from, d.fingerprint.to)) end
local prod_rec = reg:show(name, "production")
reg:close()

section("conclusion")
print(("drift: %s (largest PSI: %s); production %s on the new labels: %.4f vs %.4f at deployment"):format(
  report.verdict, report.top_moved[1] and (report.top_moved[1].name or tostring(report.top_moved[1])) or "-", metric,
  perf.value, cv_dev.score))
if ab.decision == "promote" then
  print(("promoted version %d: the retuned model is better on the production holdout (%+.4f, CI above 0%s)"):format(
    prod_rec.version, ab.improvement, ab.mcnemar and ", McNemar significant" or ""))
else
  print(("kept version %d in production: the candidate's improvement (%+.4f) is not significant on %d holdout rows"):format(
    prod_rec.version, ab.improvement, holdout:rows()))
end
if math.abs(ab.candidate - refit_score) < math.abs(refit_score - ab.production) / 4 then
  print("most of the gain is the new data, not the new hyperparameters: refitting on fresh labelled rows is the " ..
    "first response to drift; retune when refitting alone stops closing the gap")
end
print("next step: keep monitoring the production version; roll back with reg:rollback(\"" .. name .. "\") if it " ..
  "degrades; when more labelled production rows accumulate, rerun the staged search (examples/staged.lua)")
print(("(%.1f s wall, %.1f s CPU)"):format(knob.sys.clock() - t0, os.clock() - c0))
