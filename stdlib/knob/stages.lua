-- knob.stages — the staged tuning workflow, as pieces you call one by one and as one call.
--
--   local run = knob.stages.new{data = ds, model = "gbdt", metric = "accuracy"}   -- locks a test split now
--   run:baseline()                                  dummy + the model with its defaults, on the CV folds
--   run:search("coarse", {sampler = "qmc", trials = 30})         coarse search over the whole space
--   run:grid{params = 2}                            a grid around the best on the most important parameters
--   run:search("fine", {sampler = "tpe", params = 3, trials = 30})   fine tuning of the top parameters
--   run:rescore{top = 5}                            the top configurations on fresh folds (selection luck)
--   run:ensemble{top = 3, kind = "weighted"}        an ensemble of the top ones; the winner if it is better
--   run:choose(trial_number | params)              pick the configuration yourself (instead of rescore)
--   run:final{seeds = 5}                            refit on all training rows, score the test split once
--   run:save{record = "runs/x.json", trials_csv = "runs/x.csv"}
--   run:model("model.json")                         the winner refit on all training rows, saved for deployment
--   run:promote{registry = "sqlite:runs/x.db"}      registered and promoted: the version history (knob.registry)
--   knob.stages.run{data = ds, model = "gbdt", ...}   all of the above in order, with stage budgets
--
-- knob.stages.new(opts) options (an unknown option is an error naming it):
--   data        a Dataset with a target: a test split is taken from it now (stratified for classification)
--   train, test instead of data: an explicit split (test is kept locked like one taken from data)
--   test_size = 0.2        the fraction of data for the test split
--   model       a kind with a built-in space ("gbdt", "forest", "logistic", "knn", "mlp", "linear") or a
--               function(params, seed) -> model (a knob.Model or pipeline; seed is the run's seed or one of
--               the final seeds: use it when the model is random)
--   space       {name = knob.space dist | {choices}} the search space (required with a builder function;
--               overrides the built-in space of a kind)
--   fixed       {name = value} hyperparameters every configuration gets (with a kind only)
--   metric      a knob.metrics name (default accuracy / r2); the direction follows the metric
--   folds = 5   CV folds on the training rows, stratified for classification, shuffled with the seed
--   seed = 42   every random choice of the run derives from it
--   name        the study name (default "stages"); storage = nil | "sqlite:path.db" (knob.study's storage)
--   log = print a function(line) for progress lines, or false for silence
--
-- Stages share one study: each stage swaps the study's sampler and adds trials, so the history of every
-- stage informs the next (TPE in the fine stage sees the coarse and grid trials). Each trial's user attrs
-- hold the stage and the CV std; the CV folds are the same for every stage (fresh ones only in rescore).
-- A stage stops at its trial budget, its time budget (seconds) or a plateau (plateau = n trials without an
-- improvement of more than min_improvement); its summary (trials by state, best before/after, seconds) goes
-- to run.record.stages.
--
-- The test split is sealed: only run:final scores it (the run never hands it out), and running final a
-- second time scores it again with a warning in run.record.warnings (the second number is no longer an
-- unbiased estimate). final warns too when the test score is more than 3 points (0.03 in the metric's
-- units) worse than the CV score of the winner.
local core = require "knob.core"
local split = require "knob.split"
local space = require "knob.space"
local metrics = require "knob.metrics"
local cv = require "knob.cv"
local study_mod = require "knob.study"
local samplers = require "knob.samplers"
local json = require "knob.json"

local M = {}
local Run = {}
Run.__index = Run

local clock = core.sys.clock

local function fail(what, msg, level)
  error(what .. ": " .. msg, (level or 1) + 1)
end

local check_opts = space.check_opts

local function is_dataset(x)
  local mt = type(x) == "userdata" and getmetatable(x)
  return type(mt) == "table" and mt.__name == "knob.Dataset"
end

local function merge(...)
  local out = {}
  for i = 1, select("#", ...) do
    for k, v in pairs(select(i, ...) or {}) do out[k] = v end
  end
  return out
end

local mean_std = require("knob.cv").mean_std

---------------------------------------------------------------------------------------------------------------
-- Built-in model kinds: a builder and a search space each
---------------------------------------------------------------------------------------------------------------

local F, I = space.float, space.int

local function scaled(make)
  return function(params, _) return require("knob.pipeline"){require("knob.prep").standardize(), make(params)} end
end

--- The built-in kinds: M.kinds[kind] = {build = function(params, seed), space = function(task) -> space}.
M.kinds = {
  gbdt = {
    build = function(p, seed) return require("knob.model").gbdt(merge(p, {seed = seed})) end,
    space = function() return {
      learning_rate = F(0.01, 0.3, {log = true}), max_leaves = I(4, 64, {log = true}),
      min_samples_leaf = I(2, 64, {log = true}), l2 = F(1e-3, 10, {log = true}),
      subsample = F(0.5, 1), colsample = F(0.5, 1)} end,
  },
  forest = {
    build = function(p, seed) return require("knob.model").forest(merge(p, {seed = seed})) end,
    space = function() return {
      max_depth = I(2, 32, {log = true}), min_samples_leaf = I(1, 32, {log = true}),
      max_features = F(0.1, 1), n_estimators = I(50, 300, {step = 50})} end,
  },
  logistic = {
    build = scaled(function(p) return require("knob.model").logistic(p) end),
    space = function() return {C = F(1e-3, 100, {log = true})} end,
  },
  linear = {
    build = scaled(function(p) return require("knob.model").linear(p) end),
    space = function() return {alpha = F(1e-4, 100, {log = true}), penalty = {"l2", "l1", "elasticnet"}} end,
  },
  knn = {
    build = scaled(function(p) return require("knob.model").knn(p) end),
    space = function() return {n_neighbors = I(1, 50, {log = true}), weights = {"uniform", "distance"}} end,
  },
  mlp = {
    build = function(p, seed)
      return require("knob.pipeline"){require("knob.prep").standardize(),
                                      require("knob.model").mlp(merge(p, {seed = seed}))}
    end,
    space = function() return {
      learning_rate = F(1e-4, 1e-1, {log = true}), weight_decay = F(1e-6, 1e-2, {log = true}),
      batch_size = {32, 64, 128}, dropout = F(0, 0.5)} end,
  },
}

---------------------------------------------------------------------------------------------------------------
-- A run
---------------------------------------------------------------------------------------------------------------

local NEW_OPTS = {"data", "train", "test", "test_size", "model", "space", "fixed", "metric", "folds", "seed",
                  "name", "storage", "log"}

local function check_space(what, sp)
  if type(sp) ~= "table" or next(sp) == nil then
    fail(what, "option 'space' must be a non-empty table of name = distribution", 3)
  end
  local out = {}
  for name, d in pairs(sp) do
    if type(name) ~= "string" then fail(what, "space names must be strings (got " .. type(name) .. ")", 3) end
    if space.is_dist(d) then
      out[name] = space.check(d, what .. ": space '" .. name .. "'")
    elseif type(d) == "table" then
      out[name] = space.categorical(d, what .. ": space '" .. name .. "'")
    else
      fail(what, ("space '%s' must be a knob.space distribution or a list of choices (got %s)"):format(name, type(d)), 3)
    end
  end
  return out
end

function M.new(opts)
  local what = "knob.stages.new"
  opts = check_opts(what, opts, NEW_OPTS)
  local seed = opts.seed or 42
  if math.type(seed) ~= "integer" or seed < 0 then fail(what, "option 'seed' must be an integer >= 0", 2) end
  local train, test
  if opts.data ~= nil then
    if opts.train ~= nil or opts.test ~= nil then fail(what, "give either data or train and test, not both", 2) end
    if not is_dataset(opts.data) then fail(what, "option 'data' must be a Dataset (got " .. type(opts.data) .. ")", 2) end
    local ts = opts.test_size or 0.2
    if type(ts) ~= "number" or not (ts > 0 and ts < 1) then fail(what, "option 'test_size' must be in (0, 1)", 2) end
    if opts.data:rows() < 10 then fail(what, ("the data has %d rows; a staged run needs at least 10"):format(opts.data:rows()), 2) end
    train, test = opts.data:split{test = ts, stratify = opts.data:task() == "classification", seed = seed}
  else
    if not (is_dataset(opts.train) and is_dataset(opts.test)) then
      fail(what, "option 'data' (a Dataset) or both 'train' and 'test' (Datasets) are required", 2)
    end
    if opts.test_size ~= nil then fail(what, "option 'test_size' goes with data, not with train/test", 2) end
    train, test = opts.train, opts.test
  end
  local task = train:task()
  if task == nil or task == "none" then fail(what, "the data has no target column (read it with {target = name})", 2) end
  local build, sp
  if type(opts.model) == "string" then
    local kind = M.kinds[opts.model]
    if not kind then
      fail(what, ("unknown model '%s' (built-in: %s; or give a function(params, seed) and a space)"):format(
        opts.model, table.concat(space.names(M.kinds), ", ")), 2)
    end
    local fixed = opts.fixed or {}
    build = function(p, s) return kind.build(merge(fixed, p), s) end
    sp = opts.space or kind.space(task)
  elseif type(opts.model) == "function" then
    if opts.space == nil then fail(what, "a model builder function needs a 'space'", 2) end
    if opts.fixed ~= nil then fail(what, "option 'fixed' goes with a model kind; a builder fixes values itself", 2) end
    build, sp = opts.model, opts.space
  else
    fail(what, "option 'model' must be a kind name or a function(params, seed) (got " .. type(opts.model) .. ")", 2)
  end
  sp = check_space(what, sp)
  local metric_name = opts.metric or (task == "classification" and "accuracy" or "r2")
  local ok, m = pcall(metrics.get, metric_name)
  if not ok then fail(what, tostring(m), 2) end
  local folds = opts.folds or 5
  if math.type(folds) ~= "integer" or folds < 2 then fail(what, "option 'folds' must be an integer >= 2", 2) end
  local log = opts.log
  if log == nil then log = print end
  if log == false then log = function() end end
  if type(log) ~= "function" then fail(what, "option 'log' must be a function or false", 2) end

  local self = setmetatable({
    train = train, task = task, metric = m.name, greater_is_better = m.greater_is_better,
    space = sp, names = space.names(sp), build = build, seed = seed, folds = folds, log = log,
    _test = test, _test_scored = 0,
  }, Run)
  self.splitter = self:_splitter(seed)
  self.study = study_mod{name = opts.name or "stages", storage = opts.storage,
                         direction = m.greater_is_better and "maximize" or "minimize",
                         sampler = samplers.random{seed = seed}, pruner = require("knob.pruners").none()}
  self.record = {
    format = "knob.run", version = 1, knob = core.version, created = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    name = self.study.name, model = type(opts.model) == "string" and opts.model or "custom", seed = seed, metric = m.name, direction = self.study.direction, folds = folds,
    data = {rows = train:rows() + test:rows(), train_rows = train:rows(), test_rows = test:rows(),
            fingerprint = train:fingerprint(), test_fingerprint = test:fingerprint(), task = task},
    space = {}, stages = {}, warnings = {},
  }
  for _, name in ipairs(self.names) do self.record.space[name] = space.describe(sp[name]) end
  return self
end

function Run:_splitter(seed)
  return split.for_task(self.task, self.folds, seed)
end

function Run:_warn(msg)
  self.record.warnings[#self.record.warnings + 1] = msg
  self.log("warning: " .. msg)
end

function Run:__tostring()
  return ("knob.stages.Run<%s, %s %s, %d train rows, %d trials>"):format(
    self.record.name, self.study.direction, self.metric, self.train:rows(), self.study:n_trials())
end

-- Mean and std of the metric over CV folds of the configuration params.
function Run:_cv(params, splitter, trial)
  local model = self.build(params, self.seed)
  local mean, std = cv.score(model, self.train, {folds = splitter or self.splitter, metrics = {self.metric},
                                                 trial = trial})
  if model.close then model:close() end
  return mean, std
end

function Run:_objective(stage)
  return function(trial)
    local p = {}
    for _, name in ipairs(self.names) do p[name] = trial:suggest(name, self.space[name]) end
    trial:set_user_attr("stage", stage)
    local mean, std = self:_cv(p, nil, trial)
    trial:set_user_attr("cv_std", std)
    return mean
  end
end

local function best_summary(study)
  local b = study:best()
  return b and {number = b.number, value = b.value, params = b.params} or nil
end

--- Baseline: CV of each model of `models` ({name = model}; default: dummy + the model with its defaults).
function Run:baseline(opts)
  local what = "run:baseline"
  opts = check_opts(what, opts, {"models"})
  local models = opts.models
  if models == nil then
    models = {["default " .. self.record.model] = self.build({}, self.seed),
              dummy = require("knob.model").dummy{strategy = self.task == "classification" and "most_frequent" or "mean"}}
  elseif type(models) ~= "table" or next(models) == nil then
    fail(what, "option 'models' must be a non-empty table of name = model", 2)
  end
  local out = {}
  self.log(("== baseline: %d-fold CV, %s"):format(self.folds, self.metric))
  for _, name in ipairs(space.names(models)) do
    local t0 = clock()
    local r = cv.cross_validate(models[name], self.train, {folds = self.splitter, metrics = {self.metric},
                                                          return_train = true})
    local tr = {}
    for i, f in ipairs(r.folds) do tr[i] = f.train[self.metric] end
    local train_mean = mean_std(tr)
    out[name] = {mean = r.score, std = r.std[self.metric], train = train_mean, seconds = clock() - t0}
    self.log(("  %-22s %.4f ± %.4f   (train %.4f)"):format(name, r.score, r.std[self.metric], train_mean))
  end
  self.record.baseline = out
  return out
end

local SEARCH_OPTS = {"sampler", "trials", "seconds", "plateau", "min_improvement", "params", "callbacks"}

local function make_sampler(what, s, seed, sp)
  if s == nil or type(s) == "string" then
    local name = s or "tpe"
    local ok = false
    for _, n in ipairs(samplers.NAMES) do ok = ok or n == name end
    if not ok then
      fail(what, ("unknown sampler '%s' (valid: %s, or a sampler table)"):format(name, table.concat(samplers.NAMES, ", ")), 3)
    end
    if name == "tpe" then return samplers.tpe{seed = seed, multivariate = true} end
    if name == "grid" then fail(what, "use run:grid for a grid stage", 3) end
    if name == "qmc" then return samplers.qmc{seed = seed, space = sp} end
    return samplers[name]{seed = seed}
  end
  return samplers.check(s, what .. ": option 'sampler'")
end

-- Runs trials of the stage objective with the study's sampler set to `sampler`; records the stage.
function Run:_stage(stage, sampler, o, fixed)
  local before = best_summary(self.study)
  local counts0 = {}
  for _, st in ipairs{"complete", "pruned", "failed"} do counts0[st] = self.study:n_trials{state = st} end
  self.study.sampler = sampler
  if fixed then self.study:fix(fixed) end
  local t0 = clock()
  local callbacks = {function(study, rec) -- a trial answered from the cache never ran the objective: tag it too
    if rec.user_attrs.stage == nil then study.storage:set_trial_attr(rec.id, "user", "stage", stage) end
  end}
  for _, cb in ipairs(o.callbacks or {}) do callbacks[#callbacks + 1] = cb end
  local ok, err = pcall(self.study.optimize, self.study, self:_objective(stage), {
    n_trials = o.trials, timeout = o.seconds, stop_after_no_improvement = o.plateau,
    min_improvement = o.min_improvement, callbacks = callbacks})
  if fixed then self.study:fix{} end
  if not ok then error(err, 0) end
  local after = best_summary(self.study)
  local rec = {name = stage, sampler = sampler.name or "custom", seconds = clock() - t0,
               best_before = before and before.value, best = after and after.value,
               best_trial = after and after.number, fixed = fixed}
  for st, n0 in pairs(counts0) do rec[st] = self.study:n_trials{state = st} - n0 end
  self.record.stages[#self.record.stages + 1] = rec
  self.log(("== %s: %d trials (%d pruned, %d failed) in %.1f s, %s; best %s %.4f (trial %d)"):format(
    stage, rec.complete + rec.pruned + rec.failed, rec.pruned, rec.failed, rec.seconds, rec.sampler,
    self.metric, after and after.value or 0 / 0, after and after.number or -1))
  return rec
end

--- A search stage: opts.sampler ("random", "qmc", "tpe" (multivariate), "gp", ... or a sampler table),
--- trials, seconds, plateau, min_improvement; params = k searches only the k most important parameters
--- (the others fixed at the best configuration's values).
function Run:search(stage, opts)
  local what = "run:search"
  if type(stage) ~= "string" or stage == "" then fail(what, "the stage needs a name (a string)", 2) end
  opts = check_opts(what, opts, SEARCH_OPTS)
  if opts.trials == nil and opts.seconds == nil then fail(what, "give the stage a budget: trials or seconds", 2) end
  local sampler = make_sampler(what, opts.sampler, self.seed + #self.record.stages + 1, self.space)
  local fixed
  if opts.params ~= nil then
    if math.type(opts.params) ~= "integer" or opts.params < 1 then fail(what, "option 'params' must be an integer >= 1", 2) end
    local best = self.study:best()
    if not best then fail(what, "option 'params' needs a finished earlier stage (no complete trial yet)", 2) end
    local top = self:importance()
    fixed = {}
    for i, item in ipairs(top) do
      if i > opts.params then fixed[item.name] = best.params[item.name] end
    end
  end
  return self:_stage(stage, sampler, opts, fixed)
end

-- The step of a "grid near the best" for distribution d around value c: an eighth of the range (in the
-- log scale for log parameters), nil for categoricals.
local function grid_step(d, c)
  if d.kind == "categorical" then return nil end
  if d.log then
    local f = (d.high / d.low) ^ (1 / 8)
    if d.kind == "int" then return math.max(1, math.floor(c * (f - 1) + 0.5)) end
    return {factor = f}
  end
  local s = (d.high - d.low) / 8
  if d.kind == "int" then return math.max(d.step or 1, math.floor(s / (d.step or 1) + 0.5) * (d.step or 1)) end
  if d.step then return math.max(d.step, math.floor(s / d.step + 0.5) * d.step) end
  return s
end

--- Parameters ranked by importance for the objective over the study's complete trials: |Spearman rank
--- correlation| between a parameter's value and the objective (categoricals: the share of the objective's
--- variance between their choices) -- cheap and stable with the few trials of a coarse stage, which is all
--- the grid and fine stages need to pick parameters. For interactions use knob.importance.params(study)
--- (fANOVA). -> {{name =, importance =}}
function Run:importance()
  local recs = self.study:trials{state = "complete"}
  local values = {}
  for i, r in ipairs(recs) do values[i] = r.value end
  local function ranks(xs)
    local idx = {}
    for i = 1, #xs do idx[i] = i end
    table.sort(idx, function(a, b) return xs[a] < xs[b] end)
    local r, i = {}, 1
    while i <= #idx do
      local j = i
      while j < #idx and xs[idx[j + 1]] == xs[idx[i]] do j = j + 1 end
      for k = i, j do r[idx[k]] = (i + j) / 2 end
      i = j + 1
    end
    return r
  end
  local function corr(a, b)
    local ma, mb = mean_std(a), mean_std(b)
    local sab, saa, sbb = 0, 0, 0
    for i = 1, #a do
      sab = sab + (a[i] - ma) * (b[i] - mb)
      saa = saa + (a[i] - ma) ^ 2
      sbb = sbb + (b[i] - mb) ^ 2
    end
    if saa == 0 or sbb == 0 then return 0 end
    return sab / math.sqrt(saa * sbb)
  end
  local rv = ranks(values)
  local out = {}
  for _, name in ipairs(self.names) do
    local d = self.space[name]
    local xs = {}
    for i, r in ipairs(recs) do xs[i] = r.params[name] end
    local imp = 0
    if #xs >= 3 then
      if d.kind == "categorical" then
        local groups, total = {}, 0
        local mean = mean_std(values)
        for i, x in ipairs(xs) do
          local key = tostring(x)
          groups[key] = groups[key] or {}
          table.insert(groups[key], values[i])
          total = total + (values[i] - mean) ^ 2
        end
        local between = 0
        for _, g in pairs(groups) do between = between + #g * (mean_std(g) - mean) ^ 2 end
        imp = total > 0 and between / total or 0
      else
        imp = math.abs(corr(ranks(xs), rv))
      end
    end
    out[#out + 1] = {name = name, importance = imp}
  end
  table.sort(out, function(a, b)
    if a.importance ~= b.importance then return a.importance > b.importance end
    return a.name < b.name
  end)
  return out
end

--- A grid around the best configuration on its `params` most important parameters (default 2): each takes
--- its best value and the values one step (an eighth of its range; radius steps) on either side; the
--- others stay at the best values. Configurations already evaluated are not run again.
function Run:grid(opts)
  local what = "run:grid"
  opts = check_opts(what, opts, {"params", "radius", "seconds"})
  local k = opts.params or 2
  if math.type(k) ~= "integer" or k < 1 then fail(what, "option 'params' must be an integer >= 1", 2) end
  local radius = opts.radius or 1
  if math.type(radius) ~= "integer" or radius < 1 then fail(what, "option 'radius' must be an integer >= 1", 2) end
  local best = self.study:best()
  if not best then fail(what, "a grid around the best needs a finished earlier stage (no complete trial yet)", 2) end
  local steps, bounds, chosen = {}, {}, {}
  for _, item in ipairs(self:importance()) do
    local d = self.space[item.name]
    if #chosen < k and d.kind ~= "categorical" then
      local st = grid_step(d, best.params[item.name])
      if st then
        steps[item.name], bounds[item.name] = st, {d.low, d.high}
        chosen[#chosen + 1] = item.name
      end
    end
  end
  if #chosen == 0 then fail(what, "no numeric parameter to put a grid on", 2) end
  local sampler = samplers.grid{around = best.params, steps = steps, radius = radius, bounds = bounds}
  local rec = self:_stage("grid", sampler, {seconds = opts.seconds})
  rec.params = chosen
  return rec
end

--- The `top` (default 5) best distinct configurations re-scored on fresh CV folds (seed + 1000): how much
--- of the best score was selection luck on the study's folds. The winner is the best on the fresh folds.
function Run:rescore(opts)
  local what = "run:rescore"
  opts = check_opts(what, opts, {"top", "seed"})
  local k = opts.top or 5
  if math.type(k) ~= "integer" or k < 1 then fail(what, "option 'top' must be an integer >= 1", 2) end
  local top = {} -- distinct configurations: a trial answered from the cache repeats an earlier one
  for _, r in ipairs(self.study:top(self.study:n_trials{state = "complete"})) do
    if #top == k then break end
    if r.user_attrs.cached_from == nil then top[#top + 1] = r end
  end
  if #top == 0 then fail(what, "no complete trial to re-score", 2) end
  local fresh = self:_splitter(opts.seed or (self.seed + 1000))
  local sign = self.greater_is_better and 1 or -1
  local rows = {}
  self.log(("== rescore: top %d configurations on fresh %d-fold CV"):format(#top, self.folds))
  for i, r in ipairs(top) do
    local mean, std = self:_cv(r.params, fresh)
    rows[i] = {number = r.number, params = r.params, value = r.value, fresh = mean, fresh_std = std,
               luck = sign * (r.value - mean)}
    self.log(("  trial %-4d study %.4f   fresh %.4f ± %.4f   (luck %+.4f)"):format(r.number, r.value, mean, std, rows[i].luck))
  end
  local winner = rows[1]
  for _, row in ipairs(rows) do
    if sign * (row.fresh - winner.fresh) > 0 then winner = row end
  end
  self.record.rescore = {rows = rows, winner = winner.number, selection_luck = rows[1].luck}
  self._fresh = fresh
  self._top = rows
  self.winner = self:_single(winner.params, winner.number, winner.fresh, winner.fresh_std)
  return self.record.rescore
end

-- A winner made of one configuration: make(seed) builds it unfitted.
function Run:_single(params, trial, cv_mean, cv_std)
  return {kind = "single", params = params, trial = trial, cv = cv_mean, cv_std = cv_std,
          make = function(seed) return self.build(params, seed) end}
end

--- An ensemble of the top configurations (rescore's, else the study's top distinct ones): kind "weighted"
--- (default), "soft" (soft voting; "hard" for hard voting) or "stacking" (knob.ensemble), members = top
--- (default 3). It is scored on the same fresh folds as rescore and becomes the winner when it beats the
--- best single configuration there by more than min_gain (default 0: any gain). -> record
function Run:ensemble(opts)
  local what = "run:ensemble"
  opts = check_opts(what, opts, {"top", "kind", "folds", "min_gain"})
  local k = opts.top or 3
  if math.type(k) ~= "integer" or k < 2 then fail(what, "option 'top' must be an integer >= 2", 2) end
  local kind = opts.kind or "weighted"
  local KINDS = {weighted = true, soft = true, hard = true, stacking = true}
  if not KINDS[kind] then fail(what, "option 'kind' must be weighted, soft, hard or stacking (got " .. tostring(kind) .. ")", 2) end
  local min_gain = opts.min_gain or 0
  if type(min_gain) ~= "number" then fail(what, "option 'min_gain' must be a number", 2) end
  if not self._top then self:rescore{top = k} end
  local ranked = {} -- by the fresh-fold score, as the winner was chosen
  for i, r in ipairs(self._top) do ranked[i] = r end
  local sgn = self.greater_is_better and 1 or -1
  table.sort(ranked, function(a, b)
    if a.fresh ~= b.fresh then return sgn * (a.fresh - b.fresh) > 0 end
    return a.number < b.number
  end)
  local members = {}
  for i = 1, math.min(k, #ranked) do members[i] = ranked[i] end
  if #members < 2 then fail(what, "an ensemble needs at least 2 distinct configurations (the study has " .. #members .. ")", 2) end
  local ens_mod = require "knob.ensemble"
  local inner = opts.folds or self.folds
  local seed0 = self.seed
  local function make(seed)
    local ms = {}
    for i, r in ipairs(members) do ms[i] = self.build(r.params, seed) end
    if kind == "soft" or kind == "hard" then return ens_mod.voting{members = ms, voting = kind} end
    return ens_mod[kind]{members = ms, folds = inner, seed = seed0}
  end
  local t0 = clock()
  local e = make(self.seed)
  local mean, std = cv.score(e, self.train, {folds = self._fresh, metrics = {self.metric}})
  e:close()
  local sign = self.greater_is_better and 1 or -1
  local best = self.winner
  local rec = {kind = kind, members = {}, cv = mean, cv_std = std, seconds = clock() - t0,
               best_single = best.cv, gain = sign * (mean - best.cv)}
  for i, r in ipairs(members) do rec.members[i] = r.number end
  rec.chosen = rec.gain > min_gain
  self.record.ensemble = rec
  self.log(("== ensemble: %s of trials %s on the fresh folds %.4f ± %.4f (best single %.4f): %s"):format(
    kind, table.concat(rec.members, ", "), mean, std, best.cv, rec.chosen and "the ensemble wins" or "the single configuration stays"))
  if rec.chosen then
    self.winner = {kind = "ensemble", ensemble = kind, members = rec.members, params = best.params, trial = best.trial,
                   cv = mean, cv_std = std, make = make}
  end
  return rec
end

--- Choose the configuration final and model use: a trial number of the study, or a params table (then its
--- CV score is computed on the run's folds). Replaces rescore's / ensemble's choice. -> the winner
function Run:choose(which)
  local what = "run:choose"
  if math.type(which) == "integer" then
    for _, r in ipairs(self.study:trials{state = "complete"}) do
      if r.number == which then
        self.winner = self:_single(r.params, r.number, r.value, r.user_attrs.cv_std)
        return self.winner
      end
    end
    fail(what, "no complete trial " .. which .. " in the study", 2)
  end
  if type(which) ~= "table" then fail(what, "a trial number or a params table expected (got " .. type(which) .. ")", 2) end
  local mean, std = self:_cv(which)
  self.winner = self:_single(which, nil, mean, std)
  return self.winner
end

local function fit_score(model, train, test, metric)
  local t0 = clock()
  model:fit(train)
  local fit_s = clock() - t0
  local v = model:score(test, metric)
  return v, fit_s
end

--- The final evaluation: the winner (rescore's, else the study's best) refit on every training row with
--- `seeds` seeds (default 5), each scored once on the test split; the default configuration too for
--- comparison. The only step that touches the test split.
function Run:final(opts)
  local what = "run:final"
  opts = check_opts(what, opts, {"seeds"})
  local n = opts.seeds or 5
  if math.type(n) ~= "integer" or n < 1 then fail(what, "option 'seeds' must be an integer >= 1", 2) end
  if not self.winner then
    local b = self.study:best()
    if not b then fail(what, "no configuration to evaluate: run a search stage first", 2) end
    self.winner = self:_single(b.params, b.number, b.value, b.user_attrs.cv_std)
  end
  self._test_scored = self._test_scored + 1
  if self._test_scored > 1 then
    self:_warn(("the test split is scored for the %d. time: it no longer estimates the error of a choice made "
                .. "after seeing it"):format(self._test_scored))
  end
  local test = self._test
  local scores, base = {}, {}
  for s = 1, n do
    local seed = self.seed + s - 1
    local m = self.winner.make(seed)
    scores[s] = fit_score(m, self.train, test, self.metric)
    if m.close then m:close() end
    local d = self.build({}, seed)
    base[s] = fit_score(d, self.train, test, self.metric)
    if d.close then d:close() end
  end
  local mean, std = mean_std(scores)
  local bmean, bstd = mean_std(base)
  local sign = self.greater_is_better and 1 or -1
  local rec = {seeds = n, test = mean, test_std = std, scores = scores, cv = self.winner.cv, winner = self.winner.kind,
               ensemble = self.winner.ensemble, members = self.winner.members,
               cv_std = self.winner.cv_std, params = self.winner.params, trial = self.winner.trial,
               default_test = bmean, default_test_std = bstd, gain_over_default = sign * (mean - bmean)}
  self.record.final = rec
  self.log(("== final: %s: test %s %.4f ± %.4f over %d seeds (CV %.4f); default configuration %.4f ± %.4f"):format(
    self.winner.kind == "ensemble" and (self.winner.ensemble .. " ensemble")
      or (self.winner.trial and ("trial " .. self.winner.trial) or "the chosen configuration"),
    self.metric, mean, std, n, self.winner.cv, bmean, bstd))
  if sign * (self.winner.cv - mean) > 0.03 then
    self:_warn(("the test score %.4f is %.1f points worse than the CV score %.4f: the CV estimate was optimistic "
                .. "(selection on noisy folds, or a test split unlike the training rows)"):format(
                mean, 100 * sign * (self.winner.cv - mean), self.winner.cv))
  end
  return rec
end

--- The winner (rescore's or the ensemble's, else the study's best) fitted on every training row with the
--- run's seed: the model to deploy. With a path, also saved there (model:save), with knob.monitor's reference
--- statistics of the training rows for a single model. -> model
function Run:model(path)
  local w = self.winner
  if not w then
    local b = self.study:best()
    if not b then fail("run:model", "no configuration yet: run a search stage first", 2) end
    w = self:_single(b.params, b.number, b.value, b.user_attrs.cv_std)
  end
  local m = w.make(self.seed)
  m:fit(self.train)
  if path then
    -- reference statistics of the training rows go into the file: knob monitor needs nothing else
    if w.kind == "single" then require("knob.monitor").reference(m, self.train) end
    local ok, err = m:save(path)
    if not ok then fail("run:model", err, 2) end
    self.record.model_file = path
  end
  return m
end

--- Register the deployable model (run:model) in a knob.registry and promote it to production: the version
--- history of the configurations a workflow promoted. opts: registry = "sqlite:path.db" | a registry, name
--- (default the study name), note, promote = true. -> the version record (also in run.record.promoted)
function Run:promote(opts)
  local what = "run:promote"
  opts = check_opts(what, opts, {"registry", "name", "note", "promote"})
  if not self.record.final then fail(what, "run final first: a version records its test score", 2) end
  local registry = require "knob.registry"
  local reg = opts.registry
  if type(reg) ~= "table" then reg = registry.open(reg) end
  local m = self:model()
  local f = self.record.final
  local metrics = {}
  for k, x in pairs{cv = f.cv, cv_std = f.cv_std, test = f.test, test_std = f.test_std} do
    if x == x then metrics[k] = x end -- a std over one seed is NaN: not recorded
  end
  local v = reg:register{name = opts.name or self.record.name, model = m, fingerprint = self.train,
    metrics = metrics,
    study = self.study.name, trial = f.winner == "single" and f.trial or nil,
    note = opts.note or ("knob.stages run, %s %s, seed %d"):format(self.record.model, self.metric, self.seed)}
  if opts.promote ~= false then v = reg:promote(v.name, v.version) end
  m:close()
  self.record.promoted = {name = v.name, version = v.version, stage = v.stage}
  self.log(("== promoted: %s version %d (%s)"):format(v.name, v.version, v.stage))
  return v
end

-- Create the directories above a file path (like mkdir -p), so a record can go to "runs/x.json" at once.
local function make_parent_dir(path)
  local lfs = require "lfs"
  local dir = path:match("^(.*)/[^/]*$")
  if not dir or dir == "" or lfs.attributes(dir, "mode") == "directory" then return end
  local sofar = dir:sub(1, 1) == "/" and "" or "."
  for part in dir:gmatch("[^/]+") do
    sofar = sofar .. "/" .. part
    if lfs.attributes(sofar, "mode") == nil then lfs.mkdir(sofar) end
  end
end

--- Write the run record (JSON: run.record plus every trial and the parameter importance; knob report turns
--- it into HTML) and the trials (CSV: one row per trial of every stage).
function Run:save(opts)
  local what = "run:save"
  opts = check_opts(what, opts, {"record", "trials_csv"})
  for _, path in ipairs{opts.record or false, opts.trials_csv or false} do
    if path then make_parent_dir(path) end
  end
  if opts.record then
    local rec = merge(self.record, {trials = require("knob.report").trials_of(self.study)})
    if self.study:n_trials{state = "complete"} > 0 then
      rec.importance, rec.importance_method = self:importance(), "|Spearman| / between-choice variance"
    end
    local f, err = io.open(opts.record, "w")
    if not f then return nil, what .. ": " .. tostring(err) end
    f:write(json.encode(rec, {indent = 2, nonfinite = "null"}), "\n")
    f:close()
  end
  if opts.trials_csv then
    local ok, err = self.study:to_csv(opts.trials_csv)
    if not ok then return nil, err end
  end
  return true
end

--- Every stage in order. opts: the options of knob.stages.new plus stages = {coarse = {sampler = "qmc",
--- trials = 30, ...}, grid = {params = 2} | false, fine = {sampler = "tpe", params = 3, trials = 30} | false,
--- rescore = {top = 5}, ensemble = {top = 3, kind = "weighted"} | false, final = {seeds = 5}},
--- record = path, trials_csv = path, promote = {registry =, name =} (run:promote after final). Returns the run.
function M.run(opts)
  local what = "knob.stages.run"
  if type(opts) ~= "table" then fail(what, "options must be a table", 2) end
  local stage_opts, record, trials_csv, opts_promote = opts.stages or {}, opts.record, opts.trials_csv, opts.promote
  local new_opts = {}
  for k, v in pairs(opts) do
    if k ~= "stages" and k ~= "record" and k ~= "trials_csv" and k ~= "promote" then new_opts[k] = v end
  end
  check_opts(what .. ": option 'stages'", stage_opts,
             {"baseline", "coarse", "grid", "fine", "rescore", "ensemble", "final"})
  local run = M.new(new_opts)
  if stage_opts.baseline ~= false then run:baseline(stage_opts.baseline) end
  run:search("coarse", merge({sampler = "qmc", trials = 30}, stage_opts.coarse))
  if stage_opts.grid ~= false then run:grid(stage_opts.grid) end
  if stage_opts.fine ~= false then
    run:search("fine", merge({sampler = "tpe", params = 3, trials = 30, plateau = 15}, stage_opts.fine))
  end
  run:rescore(stage_opts.rescore)
  if stage_opts.ensemble ~= false then run:ensemble(stage_opts.ensemble) end
  run:final(stage_opts.final)
  if opts_promote then run:promote(opts_promote) end
  if record or trials_csv then assert(run:save{record = record, trials_csv = trials_csv}) end
  return run
end

return M
