-- knob.importance — what a model's predictions and a study's results depend on.
--
--   importance.shap(model, ds, {rows =})        exact TreeSHAP values of a tree / forest / extra_trees / gbdt
--       -> {values, expected_value, mean_abs = {feature = v}, features, outputs, explains}
--   importance.permutation(model, ds, {metric =, repeats = 5, seed = 0})
--       -> {baseline, metric, features = {{name, mean, std, drops}...}, mean = {feature = v}, std = {feature = v}}
--   importance.native(model)                    the model's own importances -> {feature = v}, ranked list
--   importance.correlated(ds, {threshold = 0.9, method = "both"})
--       -> pairs {a, b, pearson, spearman} with |r| >= threshold, strongest first
--   importance.params(study, {evaluator = "fanova", seed = 0, n_trees = 64, max_depth = 64})
--       -> {{name, importance, std}...} ordered, importances summing to 1
--   importance.slices(study, name, {n_grid = 50, seed = 0, n_trees = 64, max_depth = 64})
--       -> {name, grid, mean, std}: the forest's marginal prediction along one parameter
--
-- SHAP (Lundberg et al. 2018, Algorithm 2; path-dependent: a feature left out follows both branches of a
-- split weighted by the training rows that went each way). What is explained: tree / forest / extra_trees
-- regression: the prediction; classification: the probability of each class (values[c] is the matrix of
-- class c = outputs[c], expected_value[c] its mean). gbdt: the raw score before the link: the prediction
-- (regression), the log-odds of the positive class (binary: one output, outputs = {that class}), one
-- softmax margin per class (multiclass). With one output, values is an n x p array of rows and
-- expected_value a number. For every row, expected_value + the row's sum = the explained output (local
-- accuracy). mean_abs[feature] = mean |value| over rows (and over outputs when there are several).
-- rows = {i, ...} explains only those rows (1-based). Models saved by a knob without node covers must be
-- refitted.
--
-- Permutation importance (Breiman 2001; scikit-learn's permutation_importance): the score on ds (use held-out
-- rows) minus the score with one feature column shuffled, repeated `repeats` times per feature with seeded
-- shuffles; for a metric where lower is better (mse, log_loss, ...) the drop is permuted - baseline, so a
-- large positive drop always means an important feature. mean and std (population, as numpy.std) over the
-- repeats. metric: a knob.metrics name (default: accuracy for classifiers, r2 for regression). Any model or
-- pipeline with :score(ds, metric) works.
--
-- Correlated features: Pearson and Spearman (ties averaged) over the numeric feature columns (categorical
-- ones are skipped); a pair is reported when |pearson| or |spearman| (method "both"), or the one chosen
-- (method = "pearson" | "spearman"), reaches the threshold. A constant column correlates with nothing.
--
-- Hyperparameter importance (fANOVA, Hutter, Hoos & Leyton-Brown 2014, as Optuna's
-- FanovaImportanceEvaluator): a knob.model.forest regression (n_trees trees, max_depth, min_samples_leaf 1,
-- all features per split, bootstrap) is fitted on the complete trials' parameters -> value; for every tree
-- the variance of each single-parameter marginal over the search space divided by the tree's total
-- variance, averaged over trees, then normalised to sum 1. Parameters: those present in every complete trial
-- with a finite value; float / int ones in their own scale (log ones as log), bounded by the union of their
-- distributions; a categorical one as its choice index, each choice an equal cell of the space. A parameter
-- with a single possible value is left out. Needs at least 2 such trials.
local core = require "knob.core"
local metrics = require "knob.metrics"
local space = require "knob.space"
local check_opts = space.check_opts

local M = {}
local C = core.importance

local function fail(what, msg)
  error(what .. ": " .. msg, 3)
end

local function check_model(what, model)
  local mt = getmetatable(model)
  if type(model) ~= "userdata" or not mt or type(model.info) ~= "function" then
    fail(what, "expected a knob model (got " .. type(model) .. ")")
  end
  return model:info()
end

local function check_dataset(what, ds)
  if type(ds) ~= "userdata" or type(ds.rows) ~= "function" or type(ds.names) ~= "function" then
    fail(what, "expected a knob.Dataset (got " .. type(ds) .. ")")
  end
end

-- Population mean and standard deviation.
local function mean_std(v)
  local s = 0
  for _, x in ipairs(v) do s = s + x end
  local mu = s / #v
  local ss = 0
  for _, x in ipairs(v) do ss = ss + (x - mu) ^ 2 end
  return mu, math.sqrt(ss / #v)
end

---------------------------------------------------------------------------------------------------------------
-- SHAP
---------------------------------------------------------------------------------------------------------------

function M.shap(model, ds, opts)
  local info = check_model("importance.shap", model)
  check_dataset("importance.shap", ds)
  opts = check_opts("importance.shap", opts, {"rows"})
  if not info.fitted then fail("importance.shap", info.kind .. ": model is not fitted") end
  local r = model:shap(ds, {rows = opts.rows})
  local K, p = r.n_outputs, #r.features
  local mats = K == 1 and {r.values} or r.values
  local mean_abs = {}
  for j, name in ipairs(r.features) do
    local s, n = 0, 0
    for _, mat in ipairs(mats) do
      for _, row in ipairs(mat) do s, n = s + math.abs(row[j]), n + 1 end
    end
    mean_abs[name] = n > 0 and s / n or 0
  end
  local outputs, explains
  if info.kind == "gbdt" then
    if info.task == "regression" then
      outputs, explains = {info.target or "prediction"}, "prediction (raw score)"
    elseif K == 1 then
      outputs, explains = {info.classes[2]}, "raw margin: log-odds of class '" .. info.classes[2] .. "'"
    else
      outputs, explains = info.classes, "raw margin (softmax input) of each class"
    end
  elseif info.task == "regression" then
    outputs, explains = {info.target or "prediction"}, "prediction"
  else
    outputs, explains = info.classes, "probability of each class"
  end
  assert(#outputs == K and p == info.n_features)
  return {values = r.values, expected_value = r.expected_value, mean_abs = mean_abs, features = r.features,
          outputs = outputs, explains = explains}
end

---------------------------------------------------------------------------------------------------------------
-- Permutation importance
---------------------------------------------------------------------------------------------------------------

local function check_int(what, name, v, lo, def)
  if v == nil then return def end
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v) and v == v) then
    fail(what, ("option '%s' must be an integer (got %s)"):format(name, tostring(v)))
  end
  if v < lo then fail(what, ("option '%s' must be >= %d (got %s)"):format(name, lo, tostring(v))) end
  return math.tointeger(v)
end

function M.permutation(model, ds, opts)
  local W = "importance.permutation"
  if type(model) ~= "userdata" and type(model) ~= "table" or type(model.score) ~= "function" then
    fail(W, "expected a model or pipeline with :score (got " .. type(model) .. ")")
  end
  check_dataset(W, ds)
  opts = check_opts(W, opts, {"metric", "repeats", "seed"})
  local repeats = check_int(W, "repeats", opts.repeats, 1, 5)
  local seed = check_int(W, "seed", opts.seed, 0, 0)
  if ds:rows() == 0 then fail(W, "the dataset has no rows") end
  local metric = opts.metric
  if metric == nil then
    local info = model:info()
    if not info.fitted then fail(W, info.kind .. ": model is not fitted") end
    metric = info.task == "classification" and "accuracy" or "r2"
  end
  if type(metric) ~= "string" then fail(W, "option 'metric' must be a metric name (got " .. type(metric) .. ")") end
  local ok, m = pcall(metrics.get, metric)
  if not ok then fail(W, tostring(m)) end
  local sign = m.greater_is_better and 1 or -1
  local baseline = model:score(ds, metric)
  local names = ds:names()
  local res = {baseline = baseline, metric = metric, features = {}, mean = {}, std = {}}
  for j, name in ipairs(names) do
    local drops = {}
    for r = 1, repeats do
      -- one seeded stream per (repeat, feature): the result does not depend on the feature order
      local shuffled = C.permute(ds, j, (seed * 1000003 + (r - 1) * #names + j) % 9007199254740992)
      local ok2, s = pcall(model.score, model, shuffled, metric)
      shuffled:close()
      if not ok2 then error(s, 2) end
      drops[r] = sign * (baseline - s)
    end
    local mu, sd = mean_std(drops)
    res.features[j] = {name = name, mean = mu, std = sd, drops = drops}
    res.mean[name], res.std[name] = mu, sd
  end
  return res
end

---------------------------------------------------------------------------------------------------------------
-- Native importances, correlated features
---------------------------------------------------------------------------------------------------------------

-- Most important first; ties by name.
local function by_importance(a, b)
  if a.importance ~= b.importance then return a.importance > b.importance end
  return a.name < b.name
end

local function ranked(map)
  local list = {}
  for name, v in pairs(map) do list[#list + 1] = {name = name, importance = v} end
  table.sort(list, by_importance)
  return list
end

--- The model's own feature importances (impurity decrease for trees, gain for gbdt, |coefficients| ...).
function M.native(model)
  local info = check_model("importance.native", model)
  if not info.fitted then fail("importance.native", info.kind .. ": model is not fitted") end
  local ok, imp = pcall(model.feature_importances, model)
  if not ok then fail("importance.native", tostring(imp):gsub("^.-:%d+: ", "")) end
  return imp, ranked(imp)
end

function M.correlated(ds, opts)
  local W = "importance.correlated"
  check_dataset(W, ds)
  opts = check_opts(W, opts, {"threshold", "method"})
  local th = opts.threshold == nil and 0.9 or opts.threshold
  if type(th) ~= "number" or th ~= th or th < 0 or th > 1 then
    fail(W, "option 'threshold' must be a number in [0, 1] (got " .. tostring(th) .. ")")
  end
  local method = opts.method or "both"
  if method ~= "both" and method ~= "pearson" and method ~= "spearman" then
    fail(W, "option 'method' must be both, pearson or spearman (got " .. tostring(method) .. ")")
  end
  local names, kinds, cols = ds:names(), ds:kinds(), {}
  for j, k in ipairs(kinds) do
    if k == "numeric" then cols[#cols + 1] = j end
  end
  local pairs_ = {}
  if #cols < 2 then return pairs_ end
  local ok, P = pcall(C.correlation, ds, cols, false)
  if not ok then fail(W, (tostring(P):gsub("^correlation: ", ""))) end
  local S = C.correlation(ds, cols, true)
  for a = 1, #cols do
    for b = a + 1, #cols do
      local rp, rs = P[a][b], S[a][b]
      local hit_p = rp == rp and math.abs(rp) >= th
      local hit_s = rs == rs and math.abs(rs) >= th
      if (method == "pearson" and hit_p) or (method == "spearman" and hit_s) or (method == "both" and (hit_p or hit_s)) then
        pairs_[#pairs_ + 1] = {a = names[cols[a]], b = names[cols[b]], pearson = rp, spearman = rs}
      end
    end
  end
  local function strength(x)
    local m = 0
    if x.pearson == x.pearson then m = math.abs(x.pearson) end
    if x.spearman == x.spearman then m = math.max(m, math.abs(x.spearman)) end
    return m
  end
  table.sort(pairs_, function(x, y)
    local sx, sy = strength(x), strength(y)
    if sx ~= sy then return sx > sy end
    if x.a ~= y.a then return x.a < y.a end
    return x.b < y.b
  end)
  return pairs_
end

---------------------------------------------------------------------------------------------------------------
-- Hyperparameter importance (fANOVA)
---------------------------------------------------------------------------------------------------------------

local function check_study(what, study)
  if type(study) ~= "table" or type(study.trials) ~= "function" then
    fail(what, "expected a knob.study (got " .. type(study) .. ")")
  end
end

-- The parameters every complete trial has, their encoded bounds, and the data table.
local function trial_table(what, study)
  local trials = {}
  for _, t in ipairs(study:trials{state = "complete"}) do
    if type(t.value) == "number" and t.value == t.value and math.abs(t.value) ~= math.huge then
      trials[#trials + 1] = t
    end
  end
  if #trials < 2 then fail(what, ("needs at least 2 complete trials with a finite value (got %d)"):format(#trials)) end
  local params = {}
  for name, d in pairs(trials[1].distributions) do params[name] = {name = name, dist = d} end
  for _, t in ipairs(trials) do
    for name, p in pairs(params) do
      local d = t.distributions[name]
      if d == nil then
        params[name] = nil
      elseif d.kind ~= "categorical" then
        p.low = math.min(p.low or d.low, d.low)
        p.high = math.max(p.high or d.high, d.high)
        p.log = p.log or d.log
      end
    end
  end
  local list = {}
  for _, p in pairs(params) do
    local d = p.dist
    if d.kind == "categorical" then
      p.lo, p.hi = 0, #d.choices
      p.encode = function(v) return space.index(d, v) + 0.5 end
      p.decode = function(x) return d.choices[math.min(#d.choices, math.floor(x) + 1)] end
    elseif p.log then
      p.lo, p.hi = math.log(p.low), math.log(p.high)
      p.encode, p.decode = math.log, math.exp
    else
      p.lo, p.hi = p.low, p.high
      p.encode = function(v) return v end
      p.decode = p.encode
    end
    if p.hi > p.lo then list[#list + 1] = p end
  end
  table.sort(list, function(a, b) return a.name < b.name end)
  if #list == 0 then fail(what, "no parameter varies across the complete trials") end
  local X, y, names, lo, hi = {}, {}, {}, {}, {}
  for j, p in ipairs(list) do names[j], lo[j], hi[j] = p.name, p.lo, p.hi end
  for i, t in ipairs(trials) do
    local row = {}
    for j, p in ipairs(list) do row[j] = p.encode(t.params[p.name]) end
    X[i], y[i] = row, t.value
  end
  return {params = list, X = X, y = y, names = names, lo = lo, hi = hi}
end

local FOREST_OPTS = {"seed", "n_trees", "max_depth"}

local function fit_forest(what, tab, opts)
  local seed = check_int(what, "seed", opts.seed, 0, 0)
  local n_trees = check_int(what, "n_trees", opts.n_trees, 1, 64)
  local max_depth = check_int(what, "max_depth", opts.max_depth, 1, 64)
  local ds = core.data.from_table{X = tab.X, y = tab.y, names = tab.names, task = "regression"}
  local m = core.model.new("forest", {n_estimators = n_trees, max_depth = max_depth, min_samples_split = 2,
                                      min_samples_leaf = 1, max_features_mode = "all", seed = seed})
  m:fit(ds)
  ds:close()
  return m
end

function M.params(study, opts)
  local W = "importance.params"
  check_study(W, study)
  opts = check_opts(W, opts, {"evaluator", table.unpack(FOREST_OPTS)})
  local ev = opts.evaluator or "fanova"
  if ev ~= "fanova" then fail(W, "option 'evaluator' must be 'fanova' (got " .. tostring(ev) .. ")") end
  local tab = trial_table(W, study)
  local m = fit_forest(W, tab, opts)
  local imp, sd = C.fanova(m, tab.lo, tab.hi)
  m:close()
  local total = 0
  for _, v in ipairs(imp) do total = total + v end
  local out = {}
  for j, name in ipairs(tab.names) do
    out[j] = {name = name, importance = total > 0 and imp[j] / total or 0, std = total > 0 and sd[j] / total or 0}
  end
  table.sort(out, by_importance)
  return out
end

function M.slices(study, name, opts)
  local W = "importance.slices"
  check_study(W, study)
  if type(name) ~= "string" then fail(W, "name must be a parameter name (got " .. type(name) .. ")") end
  opts = check_opts(W, opts, {"n_grid", table.unpack(FOREST_OPTS)})
  local n_grid = check_int(W, "n_grid", opts.n_grid, 2, 50)
  local tab = trial_table(W, study)
  local j, p
  for k, q in ipairs(tab.params) do
    if q.name == name then j, p = k, q end
  end
  if not j then fail(W, ("no parameter '%s' varies in every complete trial (have: %s)"):format(name, table.concat(tab.names, ", "))) end
  local xs = {}
  if p.dist.kind == "categorical" then
    for c = 1, #p.dist.choices do xs[c] = c - 0.5 end
  else
    for g = 1, n_grid do xs[g] = p.lo + (p.hi - p.lo) * (g - 1) / (n_grid - 1) end
  end
  local m = fit_forest(W, tab, opts)
  local mean, sd = C.marginal(m, j, tab.lo, tab.hi, xs)
  m:close()
  local grid = {}
  for g, x in ipairs(xs) do grid[g] = p.decode(x) end
  return {name = name, grid = grid, mean = mean, std = sd}
end

return M
