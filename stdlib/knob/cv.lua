-- knob.cv — cross-validation of a model or a pipeline.
--
--   local r = knob.cv.cross_validate(model, ds, {folds = 5, metrics = {"accuracy", "f1_macro"}})
--   print(knob.cv.format(r))            -- or print(tostring(r)): "metric  mean ± std" per metric
--   local mean, std = knob.cv.score(model, ds, {folds = 5, trial = trial})   -- a study objective's value
--
-- Options of cross_validate / score (an unknown option is an error listing the valid ones):
--   folds = 5          a fold count (>= 2) or a Splitter from knob.split (then stratified, shuffle, seed and
--                      repeats must not be given: the splitter decides)
--   stratified = true  stratified k-fold when the dataset's task is classification (ignored for regression)
--   shuffle = true     shuffle rows before splitting; seed = 0 (only with shuffle)
--   repeats = 1        > 1: repeated (always shuffled) k-fold, each repeat a new shuffle
--   metrics            metric names from knob.metrics.get (default {"accuracy"} for classification,
--                      {"r2"} for regression); the first one is `score`
--   return_train = false   also score every fold's model on its training rows
--   trial              a knob.study Trial: after fold i, trial:report(i, running mean of the first metric),
--                      then trial:prune() (raises, ending the trial as pruned) when trial:should_prune()
--   jobs = 1           > 1: the folds are fitted in that many worker processes (knob.workers.map), with the same
--                      results; a trial then gets the folds' reports when all are done (no mid-CV pruning)
--   fit = {...}        options for every fold's fit (threads, callback, ...); sample_weight is given per row of
--                      the whole dataset and each fold's model gets its training rows' weights
--
-- Every fold fits model:clone(), so the user's model object is never fitted; a pipeline's transformers are
-- fit on each fold's training rows only. An error while fitting or scoring a fold is raised as
-- "knob.cv.cross_validate: fold i of n: <message>" after closing that fold's model and views. Result:
--   folds = {{train_rows =, valid_rows = (counts), train_index =, valid_index = (1-based rows of ds),
--             fit_seconds =, predict_seconds =, valid = {metric = v}, train = {metric = v} (return_train)}}
--   mean = {metric = v}, std = {metric = v} (sample std, ddof 1; NaN with a single fold)
--   oof = predictions (class labels or values) per row of ds from the first fold that validated the row
--         (the first repeat; a row no fold validated, possible with shuffle_split, is nil)
--   oof_proba (when a metric needs probabilities) = a probability row per row of ds, columns in `classes`
--   classes (classification), metric = first metric's name, score = its mean, greater_is_better = its direction
--   n_folds, task
local metrics = require "knob.metrics"
local split = require "knob.split"
local sys = require "knob.sys"

local M = {}

local OPTIONS = {"folds", "stratified", "shuffle", "seed", "repeats", "metrics", "return_train", "trial", "fit",
                 "jobs"}

local function fail(what, msg, level)
  error(what .. ": " .. msg, level + 1)
end

local function is_model(x) return require("knob.model").is_model(x) end

local function is_dataset(x)
  local mt = type(x) == "userdata" and getmetatable(x)
  return type(mt) == "table" and mt.__name == "knob.Dataset"
end

local function check_type(what, opts, key, t, level)
  local v = opts[key]
  if v ~= nil and type(v) ~= t then
    fail(what, ("option '%s' must be a %s (got %s)"):format(key, t, type(v)), level + 1)
  end
  return v
end

-- The Splitter for the options (validated), the metric records and the parsed options.
local function check(what, model, ds, opts, level)
  level = level + 1
  if not is_model(model) then
    fail(what, "a knob.Model or knob.pipeline expected as argument 1 (got " .. type(model) .. ")", level)
  end
  if not is_dataset(ds) then fail(what, "a knob.Dataset expected as argument 2 (got " .. type(ds) .. ")", level) end
  local task = ds:task()
  if task ~= "classification" and task ~= "regression" then
    fail(what, "the dataset has no target; cross-validation needs one", level)
  end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then fail(what, "options must be a table (got " .. type(opts) .. ")", level) end
  for k in pairs(opts) do
    local ok = false
    for _, o in ipairs(OPTIONS) do ok = ok or k == o end
    if not ok then
      fail(what, ("unknown option '%s' (valid: %s)"):format(tostring(k), table.concat(OPTIONS, ", ")), level)
    end
  end
  for _, key in ipairs({"stratified", "shuffle", "return_train"}) do check_type(what, opts, key, "boolean", level) end
  check_type(what, opts, "fit", "table", level)
  if opts.trial ~= nil and (type(opts.trial) ~= "table" or type(opts.trial.report) ~= "function") then
    fail(what, "option 'trial' must be a knob.study Trial (got " .. type(opts.trial) .. ")", level)
  end

  -- metrics
  local names = opts.metrics
  if names == nil then names = {task == "classification" and "accuracy" or "r2"} end
  if type(names) == "string" then names = {names} end
  if type(names) ~= "table" or #names == 0 then
    fail(what, "option 'metrics' must be a non-empty list of metric names (got " ..
      (type(names) == "table" and "an empty table" or type(names)) .. ")", level)
  end
  local ms = {}
  for i, name in ipairs(names) do
    local ok, m = pcall(metrics.get, name)
    if not ok then fail(what, tostring(m), level) end
    if m.needs_proba and task == "regression" then
      fail(what, ("metric '%s' needs class probabilities; the dataset's task is regression"):format(name), level)
    end
    for j = 1, i - 1 do
      if names[j] == name then fail(what, ("metric '%s' is listed twice"):format(name), level) end
    end
    ms[i] = m
  end

  -- folds
  local folds = opts.folds
  local splitter
  if split.is_splitter(folds) then
    for _, key in ipairs({"stratified", "shuffle", "seed", "repeats"}) do
      if opts[key] ~= nil then
        fail(what, ("option '%s' cannot be combined with a Splitter as folds (the splitter decides)"):format(key),
          level)
      end
    end
    splitter = folds
  else
    if folds == nil then folds = 5 end
    if math.type(folds) ~= "integer" or folds < 2 then
      fail(what, "option 'folds' must be an integer >= 2 or a knob.split Splitter (got " .. tostring(folds) .. ")",
        level)
    end
    local repeats = opts.repeats
    if repeats == nil then repeats = 1 end
    if math.type(repeats) ~= "integer" or repeats < 1 then
      fail(what, "option 'repeats' must be an integer >= 1 (got " .. tostring(repeats) .. ")", level)
    end
    local shuffle = opts.shuffle ~= false
    local seed = opts.seed
    if seed ~= nil and math.type(seed) ~= "integer" then
      fail(what, "option 'seed' must be an integer (got " .. tostring(seed) .. ")", level)
    end
    if not shuffle and seed ~= nil then fail(what, "option 'seed' needs shuffle = true", level) end
    if not shuffle and repeats > 1 then fail(what, "repeats > 1 needs shuffle = true", level) end
    local strat = task == "classification" and opts.stratified ~= false
    local ok, s
    if repeats > 1 then
      local kind = strat and "repeated_stratified_kfold" or "repeated_kfold"
      ok, s = pcall(split[kind], {k = folds, repeats = repeats, seed = seed or 0})
    else
      local kind = strat and "stratified_kfold" or "kfold"
      ok, s = pcall(split[kind], shuffle and {k = folds, shuffle = true, seed = seed or 0} or {k = folds})
    end
    if not ok then fail(what, tostring(s), level) end
    splitter = s
  end

  -- sample weights, per row of ds
  local fit = opts.fit or {}
  local w = fit.sample_weight
  if w ~= nil then
    if type(w) ~= "table" then
      fail(what, "fit option 'sample_weight' must be an array of numbers (got " .. type(w) .. ")", level)
    end
    if #w ~= ds:rows() then
      fail(what, ("fit option 'sample_weight' has %d entries but the dataset has %d rows (give one weight per " ..
        "row of the whole dataset)"):format(#w, ds:rows()), level)
    end
  end
  local jobs = opts.jobs or 1
  if math.type(jobs) ~= "integer" or jobs < 1 then
    fail(what, "option 'jobs' must be an integer >= 1 (got " .. tostring(jobs) .. ")", level)
  end
  return splitter, ms, {task = task, trial = opts.trial, return_train = opts.return_train == true, fit = fit,
                        jobs = jobs}
end

-- Score every metric of ms on the rows of view (targets y) with the fitted model m.
-- Returns the scores, and the predictions / probabilities / classes computed on the way.
local function evaluate(m, view, ms, want_labels)
  local need_proba, need_labels = false, want_labels
  for _, mt in ipairs(ms) do
    if mt.needs_proba then need_proba = true else need_labels = true end
  end
  local t0 = sys.clock()
  local pred, proba, classes
  if need_labels then pred = m:predict(view) end
  if need_proba then proba, classes = m:predict_proba(view) end
  local seconds = sys.clock() - t0
  local y = view:target()
  local pos
  local out = {}
  for _, mt in ipairs(ms) do
    if mt.needs_proba then
      if #classes == 2 then
        if not pos then
          pos = {}
          for i, row in ipairs(proba) do pos[i] = row[2] end
        end
        out[mt.name] = mt.fn(y, pos, {labels = classes})
      else
        out[mt.name] = mt.fn(y, proba, {labels = classes})
      end
    else
      out[mt.name] = mt.fn(y, pred)
    end
  end
  return out, seconds, pred, proba, classes
end

local function subset(values, rows)
  local out = {}
  for i, r in ipairs(rows) do out[i] = values[r] end
  return out
end

--- The mean and sample std (ddof 1; NaN for one value) of an array of numbers.
local function mean_std(xs)
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  local mean = s / #xs
  if #xs < 2 then return mean, 0 / 0 end
  local v = 0
  for _, x in ipairs(xs) do v = v + (x - mean) ^ 2 end
  return mean, math.sqrt(v / (#xs - 1))
end

M.mean_std = mean_std

local Result = {}
Result.__index = Result

local function run(what, model, ds, opts, level)
  local splitter, ms, o = check(what, model, ds, opts, level + 1)
  local ok, parts = pcall(splitter.split, splitter, ds)
  if not ok then fail(what, tostring(parts), level) end
  local first = ms[1]
  local r = setmetatable({folds = {}, mean = {}, std = {}, oof = {}, metric = first.name,
                          greater_is_better = first.greater_is_better, n_folds = #parts, task = o.task}, Result)
  local fit_opts = {}
  for k, v in pairs(o.fit) do fit_opts[k] = v end
  -- Fit and score fold i: {fold record, predictions, probabilities, classes}, or raises naming the fold.
  local function fold_work(i)
    local part = parts[i]
    local tr, va = split.view(ds, part.train), split.view(ds, part.test)
    local fm
    local ok_fold, fold, pred, proba, classes = pcall(function()
      fm = model:clone()
      if o.fit.sample_weight then fit_opts.sample_weight = subset(o.fit.sample_weight, part.train) end
      local t0 = sys.clock()
      fm:fit(tr, fit_opts)
      local f = {train_rows = #part.train, valid_rows = #part.test, train_index = part.train,
                 valid_index = part.test, fit_seconds = sys.clock() - t0}
      local p, pr, cl
      f.valid, f.predict_seconds, p, pr, cl = evaluate(fm, va, ms, true)
      if o.return_train then f.train = evaluate(fm, tr, ms, false) end
      if o.task == "classification" and not cl then cl = fm:info().classes end
      return f, p, pr, cl
    end)
    if fm then fm:close() end
    tr:close()
    va:close()
    if not ok_fold then -- name the fold; the position inside knob.cv would only distract
      local msg = tostring(fold):gsub("^[^\n]-%.lua:%d+: ", "")
      error(("fold %d of %d: %s"):format(i, #parts, msg), 0)
    end
    return {fold, pred, proba, classes}
  end
  -- With jobs > 1 the folds run in worker processes and are reported to the trial when all are done.
  local done
  if o.jobs > 1 then
    local ok_map, res = pcall(require("knob.workers").map, o.jobs, #parts, fold_work)
    if not ok_map then fail(what, tostring(res):gsub("^knob%.workers%.map: item %d+: ", ""), level) end
    done = res
  end
  local running = 0
  for i, part in ipairs(parts) do
    local res
    if done then
      res = done[i]
    else
      local ok_fold, r_or_err = pcall(fold_work, i)
      if not ok_fold then fail(what, tostring(r_or_err), level) end
      res = r_or_err
    end
    local fold, pred, proba, classes = res[1], res[2], res[3], res[4]
    for j, row in ipairs(part.test) do
      if r.oof[row] == nil then
        r.oof[row] = pred[j]
        if proba then
          r.oof_proba = r.oof_proba or {}
          r.oof_proba[row] = proba[j]
        end
      end
    end
    r.classes = r.classes or classes
    r.folds[i] = fold
    if o.trial then
      running = running + fold.valid[first.name]
      o.trial:report(i, running / i)
      if o.trial:should_prune() then o.trial:prune() end
    end
  end
  for _, mt in ipairs(ms) do
    local xs = {}
    for i, f in ipairs(r.folds) do xs[i] = f.valid[mt.name] end
    r.mean[mt.name], r.std[mt.name] = mean_std(xs)
  end
  r.score = r.mean[first.name]
  return r
end

--- Cross-validate model (a knob.Model or pipeline, never fitted itself) on ds. See the options above.
-- @return the result table (folds, mean, std, oof, oof_proba, classes, metric, score, greater_is_better)
function M.cross_validate(model, ds, opts)
  return run("knob.cv.cross_validate", model, ds, opts, 2)
end

--- The mean and sample std of the first metric over the folds (what a study objective returns).
function M.score(model, ds, opts)
  local r = run("knob.cv.score", model, ds, opts, 2)
  return r.score, r.std[r.metric]
end

--- A printable table of a cross_validate result: one line per metric, "mean ± std" (and the train scores
--- with return_train).
function M.format(r)
  if getmetatable(r) ~= Result then
    error("knob.cv.format: a result of knob.cv.cross_validate expected (got " .. type(r) .. ")", 2)
  end
  local names = {}
  for name in pairs(r.mean) do names[#names + 1] = name end
  table.sort(names, function(a, b)
    if a == r.metric or b == r.metric then return a == r.metric and b ~= r.metric end
    return a < b
  end)
  local train = r.folds[1] and r.folds[1].train
  local lines = {("%-22s %18s%s   (%d folds)"):format("metric", "valid mean ± std", train and
    ("  %18s"):format("train mean ± std") or "", r.n_folds)}
  for _, name in ipairs(names) do
    local cell = ("%.4f ± %.4f"):format(r.mean[name], r.std[name])
    local line = ("%-22s %18s"):format(name, cell)
    if train then
      local xs = {}
      for i, f in ipairs(r.folds) do xs[i] = f.train[name] end
      line = line .. ("  %18s"):format(("%.4f ± %.4f"):format(mean_std(xs)))
    end
    lines[#lines + 1] = line
  end
  return table.concat(lines, "\n")
end

Result.__tostring = M.format

return M
