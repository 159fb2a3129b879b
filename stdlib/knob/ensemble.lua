-- knob.ensemble — several fitted models (or pipelines) combined into one model-like object.
--
--   local ens = knob.ensemble.voting{members = {m1, m2, m3}, voting = "soft", weights = {2, 1, 1}}
--   local ens = knob.ensemble.weighted{members = {m1, m2, m3}, folds = 5, seed = 0}
--   local ens = knob.ensemble.stacking{members = {m1, m2}, meta = knob.model.logistic{}, folds = 5, seed = 0,
--                                      passthrough = false}
--   ens:fit(train); ens:predict(test); ens:predict_proba(test); ens:score(test, "roc_auc")
--
-- Kinds (members: a non-empty list of distinct knob.Model / knob.pipeline objects, all classifiers or all
-- regressors; an unknown option is an error listing the valid ones):
--   voting    classification: voting = "soft" (default; the weighted average of the members' predict_proba,
--             predict = the class of the largest average) or "hard" (each member votes its predicted class
--             with its weight; the class with the most votes wins; a TIE goes to the class that comes first in
--             the classes order -- the sorted labels, as Model:info().classes -- which is scikit-learn's
--             VotingClassifier rule; predict_proba is an error with hard voting). Regression: the weighted
--             average of the predictions. weights: one number >= 0 per member, not all 0 (default equal).
--             When every member given is already fitted (on the same target and classes) the ensemble is
--             fitted at once; fit(ds) refits every member on ds.
--   weighted  weights learned on out-of-fold predictions (knob.cv.cross_validate with the same folds for every
--             member), then every member refitted on all of ds. Regression: non-negative least squares
--             (Lawson-Hanson, knob.ensemble.nnls) of y on the members' OOF predictions, then normalised to sum
--             to 1 (all-zero NNLS weights -> equal weights). Classification: the weights on the simplex
--             (>= 0, sum 1) minimising the log-loss of the mixture of OOF probabilities
--             (knob.ensemble.simplex_logloss). predict = sum_j w_j * member j's prediction / probabilities.
--   stacking  a meta-model fitted on the members' OOF outputs: for a classifier the probabilities (one column
--             per class; with two classes only the second class's column, as scikit-learn), for a regressor
--             the predictions; passthrough = true appends the original feature columns. meta: any unfitted
--             model or pipeline (default knob.model.logistic{} for classification, knob.model.linear{} for
--             regression). Meta-feature columns are named "<i>.<member kind>:<class>" ("<i>.<kind>" for
--             regression). Members are refitted on all of ds.
--   folds = 5 (an integer >= 2 or a knob.split Splitter that validates every row once; default stratified
--   k-fold for classification, shuffled with seed = 0). A Splitter is not saved: a loaded ensemble that is
--   refitted uses folds = 5.
--
-- Ensemble methods: fit(ds [, fit_opts]) -> self (fit_opts go to every member's fit), predict(ds),
-- predict_proba(ds) -> proba, classes, score(ds, metric), save(path) / knob.model.load(path) /
-- knob.ensemble.load(path), to_json() / knob.ensemble.from_json(text) (JSON {"format": "knob.ensemble",
-- "version": 1, ..., "members": [member JSON as strings], "meta": meta JSON string}), clone() (unfitted copies
-- of the members and meta, same options), info() {kind = "ensemble", ensemble = kind, fitted, task, classes,
-- target, members = names, weights, voting, meta, meta_features, oof_score}, weights(), members(), meta(),
-- oof() -> rows, column names (the OOF matrix the weights / the meta-model were fitted on; nil before fit and
-- after load), diversity(ds), is_fitted(), kind() -> "ensemble", close(), tostring(ens).
-- The ensemble holds the member objects it was given: fitting it fits them.
--
-- ens:diversity(ds) -> {names, disagreement[i][j] (share of rows where members i and j predict different
--   classes; classification only), correlation[i][j] (Pearson correlation of the members' probabilities --
--   all class columns, row by row -- or of their predictions for regression), mean_disagreement,
--   mean_correlation (over the pairs)}; printable with tostring / print.
-- knob.ensemble.report(ens, ds, {metric =, repeats = 1}) -> {metric, rows = {{name, score, seconds,
--   us_per_row}}} with one row per member and a last row "ensemble": each scored on ds, with the best of
--   `repeats` wall-clock timings of predict(ds) (the ensemble's includes its members); printable.
-- Builders (they return a list of unfitted members, to put in `members`):
--   knob.ensemble.from_study(study, make_model, {top = 5}) -> members, records: make_model(params) for each
--     of the study's top-k complete trials (best first).
--   knob.ensemble.seeds(make_model, seeds) -> members: make_model(seed) for each seed of a list (or 1..n for a
--     count n).
-- Numerics: knob.ensemble.nnls(A, b) -> x, rnorm (A an array of rows; scipy.optimize.nnls) and
-- knob.ensemble.simplex_logloss(Q) -> w, loss (Q[i][j] = member j's probability of row i's true class).
local core = require "knob.core"
local model = require "knob.model"
local pipeline = require "knob.pipeline"
local split = require "knob.split"
local cv = require "knob.cv"
local data = require "knob.data"
local json = require "knob.json" -- exact numbers, strict decoder

local C = core.ensemble
local clock = core.sys.clock

local M = {}

local FORMAT, VERSION = "knob.ensemble", 1

local Ensemble = {}
Ensemble.__index = Ensemble
Ensemble.__name = "knob.Ensemble"

local OPTIONS = {
  voting = {"members", "voting", "weights"},
  weighted = {"members", "folds", "seed"},
  stacking = {"members", "meta", "folds", "seed", "passthrough"},
}

local function fail(what, msg, level)
  error(what .. ": " .. msg, level + 1)
end

-- true if x is a userdata of the class named name ("knob.Model", "knob.Dataset")
local function is_a(x, name)
  local mt = type(x) == "userdata" and getmetatable(x)
  return type(mt) == "table" and mt.__name == name
end

local function is_model(x) return model.is_model(x, true) end -- members: models and pipelines
local function is_dataset(x) return is_a(x, "knob.Dataset") end

-- What x is, for a message: an object's tostring, a number's value, otherwise its type.
local function describe(x)
  if x ~= x then return "NaN" end
  local mt = getmetatable(x)
  if type(x) == "number" or (type(mt) == "table" and mt.__tostring) then return tostring(x) end
  return type(x)
end

-- The model kind behind a member ("mlp" for a pipeline ending in an mlp).
local function model_kind(m)
  local info = m:info()
  return info.model or info.kind
end

local function member_name(i, m)
  if pipeline.is_pipeline(m) then return ("%d.pipeline(%s)"):format(i, model_kind(m)) end
  return ("%d.%s"):format(i, model_kind(m))
end

local KIND_TASKS
-- {classification = bool, regression = bool}: what a member can do (its fitted task once fitted).
local function member_tasks(m)
  local info = m:info()
  if info.fitted then return {[info.task] = true} end
  if not KIND_TASKS then
    KIND_TASKS = {}
    for _, k in ipairs(core.model.kinds()) do
      KIND_TASKS[k.kind] = {classification = k.classification, regression = k.regression}
    end
  end
  return KIND_TASKS[info.model or info.kind]
end

local function task_word(t)
  if t.classification and t.regression then return "classification or regression" end
  return t.classification and "classification only" or "regression only"
end

local function same_list(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

-- For fitted members: raise unless they share task, target and classes; returns that info.
local function check_fitted(what, members, level)
  local first
  for i, m in ipairs(members) do
    local info = m:info()
    if not first then
      first = info
    elseif info.task ~= first.task then
      fail(what, ("member %d (%s) is a %s model but member 1 (%s) is a %s model; members were trained on " ..
        "different targets"):format(i, member_name(i, m), info.task, member_name(1, members[1]), first.task),
        level + 1)
    elseif info.target ~= first.target then
      fail(what, ("members were trained on different targets: member 1 on '%s', member %d on '%s'"):format(
        tostring(first.target), i, tostring(info.target)), level + 1)
    elseif info.task == "classification" and not same_list(info.classes, first.classes) then
      fail(what, ("members were trained on different targets: member 1 has classes {%s}, member %d {%s}"):format(
        table.concat(first.classes, ", "), i, table.concat(info.classes, ", ")), level + 1)
    end
  end
  return first
end

local function check_folds(what, o, level)
  local folds, seed = o.folds, o.seed
  if split.is_splitter(folds) then
    if seed ~= nil then fail(what, "option 'seed' cannot be combined with a Splitter as folds", level + 1) end
    return folds, nil
  end
  if folds == nil then folds = 5 end
  if math.type(folds) ~= "integer" or folds < 2 then
    fail(what, "option 'folds' must be an integer >= 2 or a knob.split Splitter (got " .. describe(folds) .. ")",
      level + 1)
  end
  if seed == nil then seed = 0 end
  if math.type(seed) ~= "integer" then
    fail(what, "option 'seed' must be an integer (got " .. describe(seed) .. ")", level + 1)
  end
  return folds, seed
end

-- Build an ensemble of kind from the options table (checked); level is the caller's level.
local function build(kind, o, level)
  level = level + 1
  local what = "knob.ensemble." .. kind
  if type(o) ~= "table" then fail(what, "expected an options table (got " .. type(o) .. ")", level) end
  local valid = OPTIONS[kind]
  for k in pairs(o) do
    local ok = false
    for _, v in ipairs(valid) do ok = ok or k == v end
    if not ok then
      fail(what, ("unknown option '%s' (valid: %s)"):format(tostring(k), table.concat(valid, ", ")), level)
    end
  end
  local members = o.members
  if type(members) ~= "table" then
    fail(what, "option 'members' must be a list of models or pipelines (got " .. type(members) .. ")", level)
  end
  local n = #members
  for k in pairs(members) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      fail(what, "option 'members' must be a list (unexpected key " .. tostring(k) .. ")", level)
    end
  end
  if n == 0 then fail(what, "option 'members' is empty; give at least one model or pipeline", level) end
  local seen = {}
  for i, m in ipairs(members) do
    if not is_model(m) then
      fail(what, ("member %d must be a knob.Model or a knob.pipeline (got %s)"):format(i, describe(m)), level)
    end
    if seen[m] then fail(what, ("member %d is the same object as member %d"):format(i, seen[m]), level) end
    seen[m] = i
  end
  -- what every member can do
  local can = {classification = true, regression = true}
  for i, m in ipairs(members) do
    local t = member_tasks(m)
    for task in pairs(can) do
      if not t[task] then can[task] = nil end
    end
    if not next(can) then
      fail(what, ("members mix classifiers and regressors: member %d (%s) is %s but the members before it are " ..
        "not"):format(i, member_name(i, m), task_word(t)), level)
    end
  end
  local self = setmetatable({_kind = kind, _members = {table.unpack(members)}, _can = can, _fitted = false},
    Ensemble)
  if kind == "voting" then
    local v = o.voting
    if v == nil then v = "soft" end
    if v ~= "soft" and v ~= "hard" then
      fail(what, "option 'voting' must be \"soft\" or \"hard\" (got " .. describe(v) .. ")", level)
    end
    if v == "hard" and not can.classification then
      fail(what, "voting = \"hard\" needs classifiers (the members are regressors)", level)
    end
    self._voting = v
    local w = o.weights
    if w ~= nil then
      if type(w) ~= "table" then fail(what, "option 'weights' must be a list of numbers (got " .. type(w) .. ")", level) end
      if #w ~= n then
        fail(what, ("option 'weights' has %d entries but there are %d members"):format(#w, n), level)
      end
      local sum = 0
      for i = 1, n do
        local x = w[i]
        if type(x) ~= "number" or x ~= x or x < 0 or x == math.huge then
          fail(what, ("option 'weights': entry %d must be a finite number >= 0 (got %s)"):format(i, tostring(x)),
            level)
        end
        sum = sum + x
      end
      if sum <= 0 then fail(what, "option 'weights' are all 0", level) end
      self._weights = {table.unpack(w, 1, n)}
    end
    local all = true
    for _, m in ipairs(members) do all = all and m:info().fitted end
    if all then
      local info = check_fitted(what, members, level)
      self._fitted, self._task, self._classes, self._target = true, info.task, info.classes, info.target
      if v == "hard" and info.task ~= "classification" then
        fail(what, "voting = \"hard\" needs classifiers (the members are regressors)", level)
      end
    end
  else
    self._folds, self._seed = check_folds(what, o, level)
  end
  if kind == "stacking" then
    local meta = o.meta
    if meta ~= nil then
      if not is_model(meta) then
        fail(what, "option 'meta' must be a knob.Model or a knob.pipeline (got " .. describe(meta) .. ")", level)
      end
      if seen[meta] then fail(what, ("option 'meta' is the same object as member %d"):format(seen[meta]), level) end
    end
    self._meta = meta
    if o.passthrough ~= nil and type(o.passthrough) ~= "boolean" then
      fail(what, "option 'passthrough' must be a boolean (got " .. type(o.passthrough) .. ")", level)
    end
    self._passthrough = o.passthrough == true
  end
  return self
end

-- (not tail calls, so an error's position is the user's line)
function M.voting(o) local e = build("voting", o, 2) return e end
function M.weighted(o) local e = build("weighted", o, 2) return e end
function M.stacking(o) local e = build("stacking", o, 2) return e end

local function check_open(self, what)
  if self._closed then error("ensemble is closed", 3) end
  if what and not self._fitted then error("ensemble: " .. what .. " needs a fitted ensemble", 3) end
end

-- Call m[method](m, ...) naming the member in an error.
local function call_member(self, i, method, ...)
  local m = self._members[i]
  local r = table.pack(pcall(m[method], m, ...))
  if not r[1] then
    local msg = tostring(r[2]):gsub("^[^\n]-%.lua:%d+: ", "")
    error(("ensemble member %s: %s"):format(member_name(i, m), msg), 0)
  end
  return table.unpack(r, 2, r.n)
end

---------------------------------------------------------------------------------------------------------------
-- Fitting
---------------------------------------------------------------------------------------------------------------

-- The member outputs as one number matrix per member: probabilities (classification) or {prediction} rows.
local function member_outputs(self, ds)
  local out = {}
  for i = 1, #self._members do
    if self._task == "classification" then
      out[i] = call_member(self, i, "predict_proba", ds)
    else
      local p = call_member(self, i, "predict", ds)
      local rows = {}
      for r, v in ipairs(p) do rows[r] = {v} end
      out[i] = rows
    end
  end
  return out
end

-- Out-of-fold outputs of every member (same folds for all): a list of row matrices as member_outputs.
local function oof_outputs(self, ds, fit_opts)
  local classify = self._task == "classification"
  local opts = {folds = self._folds, seed = self._seed, metrics = {classify and "log_loss" or "mse"}, fit = fit_opts}
  local out = {}
  for i = 1, #self._members do
    local ok, r = pcall(cv.cross_validate, self._members[i], ds, opts)
    if not ok then
      error(("ensemble member %s: out-of-fold predictions: %s"):format(member_name(i, self._members[i]),
        tostring(r):gsub("^[^\n]-%.lua:%d+: ", "")), 0)
    end
    if classify and not same_list(r.classes, self._classes) then
      error(("ensemble member %s: the folds' models saw classes {%s}, not {%s} (use stratified folds)"):format(
        member_name(i, self._members[i]), table.concat(r.classes, ", "), table.concat(self._classes, ", ")), 0)
    end
    local rows = {}
    for row = 1, ds:rows() do
      local v
      if classify then v = r.oof_proba and r.oof_proba[row] else v = r.oof[row] end
      if v == nil then
        error(("ensemble: the folds did not validate row %d; out-of-fold predictions need a splitter that " ..
          "validates every row (k-fold)"):format(row), 0)
      end
      rows[row] = classify and v or {v}
    end
    out[i] = rows
  end
  return out
end

-- Meta-feature columns from member outputs: names (in order) and columns[name] = values.
local function meta_columns(self, outs)
  local names, cols = {}, {}
  local classes = self._classes
  for i, rows in ipairs(outs) do
    local base = member_name(i, self._members[i])
    local picks, labels = {1}, {base}
    if self._task == "classification" then
      picks, labels = {}, {}
      for c = (#classes == 2 and 2 or 1), #classes do
        picks[#picks + 1] = c
        labels[#labels + 1] = base .. ":" .. classes[c]
      end
    end
    for k, c in ipairs(picks) do
      local col = {}
      for r, row in ipairs(rows) do col[r] = row[c] end
      names[#names + 1] = labels[k]
      cols[labels[k]] = col
    end
  end
  return names, cols
end

-- The meta-model's dataset: meta-features (+ the original features with passthrough), target if with_y.
local function meta_dataset(self, ds, outs, with_y)
  local names, cols = meta_columns(self, outs)
  local order = {table.unpack(names)}
  if self._passthrough then
    for j, name in ipairs(ds:names()) do
      if cols[name] then error("ensemble: passthrough feature '" .. name .. "' collides with a meta-feature", 0) end
      order[#order + 1] = name
      cols[name] = ds:column(j)
    end
  end
  local spec = {columns = cols, order = order}
  if with_y then
    spec.y, spec.task, spec.target = ds:target(), ds:task(), ds:target_name()
  end
  return data.from_table(spec), names
end

local function flatten(rows)
  local flat = {}
  local k = 0
  for _, row in ipairs(rows) do
    for _, v in ipairs(row) do
      k = k + 1
      flat[k] = v
    end
  end
  return flat
end

-- Learn the weighted ensemble's weights from OOF outputs.
local function learn_weights(self, ds, outs)
  local n, m = ds:rows(), #outs
  local y = ds:target()
  local A = {}
  if self._task == "classification" then
    local col = {}
    for c, label in ipairs(self._classes) do col[label] = c end
    for r = 1, n do
      local row, c = {}, col[y[r]]
      for j = 1, m do row[j] = outs[j][r][c] end
      A[r] = row
    end
    local w, loss = C.simplex_logloss(flatten(A), n, m)
    self._weights, self._oof_score = w, {metric = "log_loss", value = loss}
  else
    for r = 1, n do
      local row = {}
      for j = 1, m do row[j] = outs[j][r][1] end
      A[r] = row
    end
    local x, msg = C.nnls(flatten(A), n, m, y)
    if not x then error("ensemble: weights: " .. msg, 0) end
    local sum = 0
    for j = 1, m do sum = sum + x[j] end
    for j = 1, m do x[j] = sum > 0 and x[j] / sum or 1 / m end
    local sse = 0
    for r = 1, n do
      local p = 0
      for j = 1, m do p = p + x[j] * A[r][j] end
      sse = sse + (p - y[r]) ^ 2
    end
    self._weights, self._oof_score = x, {metric = "mse", value = sse / n}
  end
  local names = {}
  for j = 1, m do names[j] = member_name(j, self._members[j]) end
  self._oof, self._oof_names = A, names
end

--- Fit the ensemble on ds (see the kinds above). fit_opts (optional) go to every member's fit. Returns self.
function Ensemble:fit(ds, fit_opts)
  check_open(self)
  if not is_dataset(ds) then error("ensemble: fit: a knob.Dataset expected (got " .. describe(ds) .. ")", 2) end
  if fit_opts ~= nil and type(fit_opts) ~= "table" then
    error("ensemble: fit: options must be a table (got " .. type(fit_opts) .. ")", 2)
  end
  local task = ds:task()
  if task ~= "classification" and task ~= "regression" then
    error("ensemble: fit: the dataset has no target", 2)
  end
  if not self._can[task] then
    error(("ensemble: fit: the dataset's task is %s but the members are %s"):format(task,
      task_word(self._can)), 2)
  end
  self._fitted = false
  self._task, self._target = task, ds:target_name()
  self._classes = task == "classification" and ds:classes() or nil
  self._oof, self._oof_names, self._oof_score = nil, nil, nil
  local ok, err = pcall(function()
    if self._kind == "weighted" then
      learn_weights(self, ds, oof_outputs(self, ds, fit_opts))
    elseif self._kind == "stacking" then
      local outs = oof_outputs(self, ds, fit_opts)
      local mds, names = meta_dataset(self, ds, outs, true)
      self._meta = self._meta or (task == "classification" and model.logistic{} or model.linear{})
      local fok, ferr = pcall(self._meta.fit, self._meta, mds)
      local _, cols = meta_columns(self, outs)
      mds:close()
      if not fok then error("ensemble: meta-model: " .. tostring(ferr):gsub("^[^\n]-%.lua:%d+: ", ""), 0) end
      local rows = {}
      for r = 1, ds:rows() do
        local row = {}
        for j, name in ipairs(names) do row[j] = cols[name][r] end
        rows[r] = row
      end
      self._oof, self._oof_names, self._meta_names = rows, names, names
    end
    for i = 1, #self._members do call_member(self, i, "fit", ds, fit_opts) end
    local info = check_fitted("ensemble: fit", self._members, 1)
    if task == "classification" and not same_list(info.classes, self._classes) then
      error("ensemble: fit: the members' classes differ from the dataset's", 0)
    end
  end)
  if not ok then error(err, 2) end
  self._fitted = true
  return self
end

---------------------------------------------------------------------------------------------------------------
-- Predicting
---------------------------------------------------------------------------------------------------------------

-- Normalised weights (equal when none were given).
local function norm_weights(self)
  local m = #self._members
  local w, sum = {}, 0
  for j = 1, m do
    w[j] = self._weights and self._weights[j] or 1
    sum = sum + w[j]
  end
  for j = 1, m do w[j] = w[j] / sum end
  return w
end

-- sum_j w_j * outs[j] (row matrices).
local function average(outs, w)
  local out = {}
  for r = 1, #outs[1] do
    local row = {}
    for c = 1, #outs[1][r] do
      local s = 0
      for j = 1, #outs do s = s + w[j] * outs[j][r][c] end
      row[c] = s
    end
    out[r] = row
  end
  return out
end

local function check_ds(what, ds)
  if not is_dataset(ds) then error("ensemble: " .. what .. ": a knob.Dataset expected (got " .. describe(ds) .. ")", 3) end
end

-- Guarded call for prediction paths: errors are raised at the user's call.
local function guarded(f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] then error(r[2], 3) end
  return table.unpack(r, 2, r.n)
end

local function proba_of(self, ds)
  if self._kind == "stacking" then
    local mds = meta_dataset(self, ds, member_outputs(self, ds), false)
    local ok, p, cl = pcall(self._meta.predict_proba, self._meta, mds)
    mds:close()
    if not ok then error("ensemble: meta-model: " .. tostring(p), 0) end
    return p, cl
  end
  return average(member_outputs(self, ds), norm_weights(self)), {table.unpack(self._classes)}
end

--- Class probabilities: proba (rows), classes.
function Ensemble:predict_proba(ds)
  check_open(self, "predict_proba")
  check_ds("predict_proba", ds)
  if self._task ~= "classification" then error("ensemble: predict_proba needs a classification ensemble", 2) end
  if self._voting == "hard" then
    error("ensemble: predict_proba is not available with voting = \"hard\" (use voting = \"soft\")", 2)
  end
  return guarded(proba_of, self, ds)
end

local function hard_votes(self, ds)
  local w = norm_weights(self)
  local index = {}
  for c, label in ipairs(self._classes) do index[label] = c end
  local preds = {}
  for j = 1, #self._members do preds[j] = call_member(self, j, "predict", ds) end
  local out = {}
  for r = 1, #preds[1] do
    local votes = {}
    for j = 1, #preds do
      local c = index[preds[j][r]]
      votes[c] = (votes[c] or 0) + w[j]
    end
    local best -- the first class (in classes order) with the most votes
    for c = 1, #self._classes do
      if votes[c] and (not best or votes[c] > votes[best]) then best = c end
    end
    out[r] = self._classes[best]
  end
  return out
end

local function predict_of(self, ds)
  if self._kind == "stacking" then
    local mds = meta_dataset(self, ds, member_outputs(self, ds), false)
    local ok, p = pcall(self._meta.predict, self._meta, mds)
    mds:close()
    if not ok then error("ensemble: meta-model: " .. tostring(p), 0) end
    return p
  end
  if self._task == "regression" then
    local avg = average(member_outputs(self, ds), norm_weights(self))
    local out = {}
    for r, row in ipairs(avg) do out[r] = row[1] end
    return out
  end
  if self._voting == "hard" then return hard_votes(self, ds) end
  local proba = proba_of(self, ds)
  local out = {}
  for r, row in ipairs(proba) do
    local best = 1
    for c = 2, #row do if row[c] > row[best] then best = c end end
    out[r] = self._classes[best]
  end
  return out
end

--- Predictions for ds: class labels or values.
function Ensemble:predict(ds)
  check_open(self, "predict")
  check_ds("predict", ds)
  return guarded(predict_of, self, ds)
end

--- Score on ds with a metric from knob.metrics (default accuracy or r2), as Model:score.
Ensemble.score = core.model.methods.score

--- Save as JSON (a temporary file, then renamed). true, or nil, msg.
Ensemble.save = core.model.methods.save

---------------------------------------------------------------------------------------------------------------
-- Introspection
---------------------------------------------------------------------------------------------------------------

local function copy(t)
  return t and {table.unpack(t)} or nil
end

--- What the ensemble is: kind = "ensemble", ensemble = voting|weighted|stacking, fitted, task, classes,
--- target, members (names), weights, voting, meta (the meta-model's kind), meta_features, passthrough,
--- oof_score ({metric, value} of the weighted ensemble's OOF combination).
function Ensemble:info()
  check_open(self)
  local names = {}
  for i, m in ipairs(self._members) do names[i] = member_name(i, m) end
  return {kind = "ensemble", ensemble = self._kind, fitted = self._fitted, task = self._task,
          classes = copy(self._classes), target = self._target, members = names, n_members = #names,
          weights = self:weights(), voting = self._voting,
          meta = self._meta and model_kind(self._meta) or nil, meta_features = copy(self._meta_names),
          passthrough = self._passthrough, folds = self._folds, seed = self._seed,
          oof_score = self._oof_score and {metric = self._oof_score.metric, value = self._oof_score.value}}
end

--- The normalised member weights (voting, weighted), nil for stacking.
function Ensemble:weights()
  check_open(self)
  if self._kind == "stacking" then return nil end
  if self._kind == "weighted" and not self._fitted then return nil end
  return norm_weights(self)
end

--- The member objects, in order.
function Ensemble:members()
  check_open(self)
  return {table.unpack(self._members)}
end

--- The meta-model (stacking; nil before fit unless one was given).
function Ensemble:meta()
  check_open(self)
  return self._meta
end

--- The OOF matrix the weights or the meta-model were fitted on (rows, column names); nil for voting, before
--- fit and after load. Stacking: the meta-features without the passthrough columns.
function Ensemble:oof()
  check_open(self)
  if not self._oof then return nil end
  local rows = {}
  for r, row in ipairs(self._oof) do rows[r] = {table.unpack(row)} end
  return rows, copy(self._oof_names)
end

function Ensemble:kind()
  return "ensemble"
end

function Ensemble:is_fitted()
  check_open(self)
  return self._fitted
end

--- Close every member and the meta-model. Idempotent.
function Ensemble:close()
  if self._closed then return end
  for _, m in ipairs(self._members) do m:close() end
  if self._meta then self._meta:close() end
  self._closed = true
end
Ensemble.__close = Ensemble.close

function Ensemble:__tostring()
  if self._closed then return "knob.Ensemble<closed>" end
  return ("knob.Ensemble<%s, %d members, %s>"):format(self._kind, #self._members,
    self._fitted and "fitted" or "not fitted")
end

local function options_of(self, members, meta)
  local o = {members = members}
  if self._kind == "voting" then
    o.voting, o.weights = self._voting, copy(self._weights)
  else
    o.folds, o.seed = self._folds, self._seed
  end
  if self._kind == "stacking" then o.meta, o.passthrough = meta, self._passthrough end
  return o
end

--- An unfitted copy: clones of the members (and of the meta-model), the same options.
function Ensemble:clone()
  check_open(self)
  local members = {}
  for i, m in ipairs(self._members) do members[i] = m:clone() end
  local meta = self._meta and self._meta:clone() or nil
  return build(self._kind, options_of(self, members, meta), 1)
end

---------------------------------------------------------------------------------------------------------------
-- JSON
---------------------------------------------------------------------------------------------------------------

--- The ensemble as JSON text; members and the meta-model are embedded as their own JSON texts (strings).
function Ensemble:to_json()
  check_open(self)
  local members = {}
  for i, m in ipairs(self._members) do members[i] = m:to_json() end
  local doc = {kind = self._kind, fitted = self._fitted, members = members,
               task = self._task, target = self._target, classes = self._classes, voting = self._voting,
               weights = self._weights, folds = math.type(self._folds) == "integer" and self._folds or nil,
               seed = self._seed, passthrough = self._passthrough, meta_features = self._meta_names,
               meta = self._meta and self._meta:to_json() or nil}
  -- "format" and "version" first, so knob.model.from_json can tell the document by its start
  return ('{"format":"%s","version":%d,'):format(FORMAT, VERSION) .. json.encode(doc):sub(2)
end

local function bad(msg, ...)
  return nil, "ensemble file: " .. msg:format(...)
end

local function close_list(list)
  for _, x in ipairs(list) do x:close() end
end

local function string_list(v)
  if type(v) ~= "table" then return false end
  for k, x in pairs(v) do
    if math.type(k) ~= "integer" or type(x) ~= "string" then return false end
  end
  return true
end

--- An ensemble from to_json text, or nil, msg naming what is wrong.
function M.from_json(text)
  if type(text) ~= "string" then error("knob.ensemble.from_json: expected a string (got " .. type(text) .. ")", 2) end
  local ok, doc = pcall(json.decode, text)
  if not ok then return bad("not valid JSON (%s)", tostring(doc):gsub("^bad JSON: ", "")) end
  if type(doc) ~= "table" or doc.format ~= FORMAT then
    return bad("not a knob ensemble (field 'format' is not \"%s\")", FORMAT)
  end
  if doc.version ~= VERSION then
    return bad("unsupported version %s (this knob reads version %d)", tostring(doc.version), VERSION)
  end
  if not OPTIONS[doc.kind] then return bad("unknown kind '%s' (valid: voting, weighted, stacking)", tostring(doc.kind)) end
  if type(doc.members) ~= "table" or #doc.members == 0 or not string_list(doc.members) then
    return bad("field 'members' must be a non-empty list of model JSON texts")
  end
  local fitted = doc.fitted == true
  local members = {}
  for i, t in ipairs(doc.members) do
    local m, msg = model.from_json(t)
    if not m then
      close_list(members)
      return bad("member %d: %s", i, msg)
    end
    members[i] = m
    if m:info().fitted ~= fitted then
      close_list(members)
      return bad("member %d is %s but the ensemble is %s", i, fitted and "not fitted" or "fitted",
        fitted and "fitted" or "not fitted")
    end
  end
  local meta
  if doc.meta ~= nil then
    local msg
    if type(doc.meta) ~= "string" then msg = "must be a model JSON text" else meta, msg = model.from_json(doc.meta) end
    if not meta then
      close_list(members)
      return bad("meta: %s", msg)
    end
  end
  local o = {members = members}
  if doc.kind == "voting" then
    o.voting, o.weights = doc.voting, doc.weights
  else
    o.folds, o.seed = doc.folds, doc.seed
  end
  if doc.kind == "stacking" then o.meta, o.passthrough = meta, doc.passthrough end
  local bok, ens = pcall(build, doc.kind, o, 1)
  if not bok then
    close_list(members)
    if meta then meta:close() end
    return bad("%s", tostring(ens):gsub("^[^\n]-%.lua:%d+: ", ""))
  end
  if fitted then
    local function reject(msg, ...)
      ens:close()
      return bad(msg, ...)
    end
    if doc.task ~= "classification" and doc.task ~= "regression" then
      return reject("field 'task' must be \"classification\" or \"regression\"")
    end
    if doc.task == "classification" and not string_list(doc.classes) then
      return reject("field 'classes' must be a list of class labels")
    end
    local iok, info = pcall(check_fitted, "members", members, 1)
    if not iok then return reject("%s", tostring(info)) end
    if info.task ~= doc.task or (doc.task == "classification" and not same_list(info.classes, doc.classes)) then
      return reject("the members' task or classes differ from the ensemble's")
    end
    if doc.kind == "weighted" then
      local w = doc.weights
      if type(w) ~= "table" or #w ~= #members then return reject("field 'weights' must have one entry per member") end
      for i = 1, #w do
        if type(w[i]) ~= "number" or not (w[i] >= 0 and w[i] < math.huge) then
          return reject("field 'weights': entry %d must be a finite number >= 0", i)
        end
      end
      ens._weights = w
    end
    if doc.kind == "stacking" then
      if not meta or not meta:info().fitted then return reject("field 'meta' must hold a fitted model") end
      if not string_list(doc.meta_features) then return reject("field 'meta_features' must be a list of names") end
      ens._meta_names = doc.meta_features
    end
    ens._fitted, ens._task, ens._classes, ens._target = true, doc.task, doc.classes, doc.target
  end
  return ens
end

--- Load an ensemble saved with :save(path) (knob.model.load reads it too); nil, msg on failure.
function M.load(path)
  if type(path) ~= "string" then error("knob.ensemble.load: path must be a string", 2) end
  local e, msg = model.load(path)
  if e and getmetatable(e) ~= Ensemble then
    e:close()
    return nil, path .. ": ensemble file: not a knob ensemble (field 'format' is not \"" .. FORMAT .. "\")"
  end
  return e, msg
end

--- true if x is a knob ensemble.
function M.is_ensemble(x)
  return getmetatable(x) == Ensemble
end

---------------------------------------------------------------------------------------------------------------
-- Diversity and report
---------------------------------------------------------------------------------------------------------------

local function pearson(a, b)
  local n = #a
  local ma, mb = 0, 0
  for i = 1, n do ma, mb = ma + a[i], mb + b[i] end
  ma, mb = ma / n, mb / n
  local sab, saa, sbb = 0, 0, 0
  for i = 1, n do
    local da, db = a[i] - ma, b[i] - mb
    sab, saa, sbb = sab + da * db, saa + da * da, sbb + db * db
  end
  if saa == 0 or sbb == 0 then return 0 / 0 end
  return sab / math.sqrt(saa * sbb)
end

local function fmt_matrix(names, mat)
  local lines = {}
  local w = 8
  for _, n in ipairs(names) do w = math.max(w, #n) end
  local head = {("%-" .. w .. "s"):format("")}
  for j = 1, #names do head[#head + 1] = ("%8s"):format(tostring(j)) end
  lines[1] = table.concat(head, " ")
  for i, n in ipairs(names) do
    local row = {("%-" .. w .. "s"):format(n)}
    for j = 1, #names do row[#row + 1] = ("%8.4f"):format(mat[i][j]) end
    lines[#lines + 1] = table.concat(row, " ")
  end
  return table.concat(lines, "\n")
end

local Diversity = {}
Diversity.__index = Diversity
function Diversity:__tostring()
  local parts = {}
  if self.disagreement then
    parts[#parts + 1] = ("disagreement (share of rows predicted differently; mean over pairs %.4f)"):format(
      self.mean_disagreement)
    parts[#parts + 1] = fmt_matrix(self.names, self.disagreement)
  end
  parts[#parts + 1] = ("correlation of %s (mean over pairs %.4f)"):format(
    self.disagreement and "probabilities" or "predictions", self.mean_correlation)
  parts[#parts + 1] = fmt_matrix(self.names, self.correlation)
  return table.concat(parts, "\n")
end

local function pair_mean(mat, m)
  if m < 2 then return 0 / 0 end
  local s, k = 0, 0
  for i = 1, m do
    for j = i + 1, m do s, k = s + mat[i][j], k + 1 end
  end
  return s / k
end

--- Pairwise diversity of the fitted members on ds (see the header).
function Ensemble:diversity(ds)
  check_open(self, "diversity")
  check_ds("diversity", ds)
  local m = #self._members
  local names = {}
  for i, x in ipairs(self._members) do names[i] = member_name(i, x) end
  local outs = guarded(member_outputs, self, ds)
  local flat = {}
  for j = 1, m do flat[j] = flatten(outs[j]) end
  local corr = {}
  for i = 1, m do
    corr[i] = {}
    for j = 1, m do corr[i][j] = i == j and 1 or pearson(flat[i], flat[j]) end
  end
  local r = setmetatable({names = names, correlation = corr, mean_correlation = pair_mean(corr, m)}, Diversity)
  if self._task == "classification" then
    local preds = {}
    for j = 1, m do preds[j] = guarded(call_member, self, j, "predict", ds) end
    local dis = {}
    for i = 1, m do
      dis[i] = {}
      for j = 1, m do
        local d = 0
        for row = 1, #preds[i] do if preds[i][row] ~= preds[j][row] then d = d + 1 end end
        dis[i][j] = d / #preds[i]
      end
    end
    r.disagreement, r.mean_disagreement = dis, pair_mean(dis, m)
  end
  return r
end

local Report = {}
Report.__index = Report
function Report:__tostring()
  local w = 10
  for _, row in ipairs(self.rows) do w = math.max(w, #row.name) end
  local lines = {("%-" .. w .. "s %12s %14s"):format("model", self.metric, "us/row predict")}
  for _, row in ipairs(self.rows) do
    lines[#lines + 1] = ("%-" .. w .. "s %12.4f %14.2f"):format(row.name, row.score, row.us_per_row)
  end
  return table.concat(lines, "\n")
end

local function timed_predict(x, ds, repeats)
  local best = math.huge
  for _ = 1, repeats do
    local t0 = clock()
    x:predict(ds)
    best = math.min(best, clock() - t0)
  end
  return best
end

--- Each member's and the ensemble's score on ds and predict time (see the header).
function M.report(ens, ds, opts)
  local what = "knob.ensemble.report"
  if not M.is_ensemble(ens) then fail(what, "an ensemble expected as argument 1 (got " .. describe(ens) .. ")", 2) end
  if not is_dataset(ds) then fail(what, "a knob.Dataset expected as argument 2 (got " .. describe(ds) .. ")", 2) end
  if opts ~= nil and type(opts) ~= "table" then fail(what, "options must be a table (got " .. type(opts) .. ")", 2) end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "metric" and k ~= "repeats" then
      fail(what, ("unknown option '%s' (valid: metric, repeats)"):format(tostring(k)), 2)
    end
  end
  local repeats = opts.repeats or 1
  if math.type(repeats) ~= "integer" or repeats < 1 then
    fail(what, "option 'repeats' must be an integer >= 1 (got " .. tostring(repeats) .. ")", 2)
  end
  if not ens:is_fitted() then fail(what, "the ensemble is not fitted", 2) end
  local metric = opts.metric or (ens._task == "classification" and "accuracy" or "r2")
  local ok, mrec = pcall(require("knob.metrics").get, metric)
  if not ok then fail(what, tostring(mrec), 2) end
  local rows = {}
  local n = ds:rows()
  local list = ens:members()
  list[#list + 1] = ens
  for i, x in ipairs(list) do
    local name = x == ens and "ensemble" or member_name(i, x)
    local sok, score = pcall(x.score, x, ds, metric)
    if not sok then fail(what, name .. ": " .. tostring(score), 2) end
    local secs = timed_predict(x, ds, repeats)
    rows[i] = {name = name, score = score, seconds = secs, us_per_row = secs / n * 1e6}
  end
  return setmetatable({metric = metric, greater_is_better = mrec.greater_is_better, rows = rows}, Report)
end

---------------------------------------------------------------------------------------------------------------
-- Builders and numerics
---------------------------------------------------------------------------------------------------------------

local function check_factory(what, make_model, arg, level)
  if type(make_model) ~= "function" then
    fail(what, "make_model must be a function returning a model (got " .. type(make_model) .. ")", level + 1)
  end
  local ok, m = pcall(make_model, arg)
  if not ok then fail(what, "make_model failed: " .. tostring(m), level + 1) end
  if not is_model(m) then
    fail(what, "make_model must return a knob.Model or a knob.pipeline (got " .. describe(m) .. ")", level + 1)
  end
  return m
end

--- Members from the study's top-k complete trials: make_model(params) each. Returns members, records.
function M.from_study(study, make_model, opts)
  local what = "knob.ensemble.from_study"
  if type(study) ~= "table" or type(study.top) ~= "function" then
    fail(what, "a knob.study expected as argument 1 (got " .. describe(study) .. ")", 2)
  end
  if opts ~= nil and type(opts) ~= "table" then fail(what, "options must be a table (got " .. type(opts) .. ")", 2) end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "top" then fail(what, ("unknown option '%s' (valid: top)"):format(tostring(k)), 2) end
  end
  local top = opts.top or 5
  if math.type(top) ~= "integer" or top < 1 then
    fail(what, "option 'top' must be an integer >= 1 (got " .. tostring(top) .. ")", 2)
  end
  if type(make_model) ~= "function" then
    fail(what, "make_model must be a function returning a model (got " .. type(make_model) .. ")", 2)
  end
  local records = study:top(top)
  if #records == 0 then fail(what, "the study has no complete trial", 2) end
  local members = {}
  for i, rec in ipairs(records) do members[i] = check_factory(what, make_model, rec.params, 2) end
  return members, records
end

--- Members for several seeds of one configuration: make_model(seed) for each seed (a list, or 1..n).
function M.seeds(make_model, seeds)
  local what = "knob.ensemble.seeds"
  if math.type(seeds) == "integer" and seeds >= 1 then
    local list = {}
    for i = 1, seeds do list[i] = i end
    seeds = list
  end
  if type(seeds) ~= "table" or #seeds == 0 then
    fail(what, "seeds must be a non-empty list of integers or a count >= 1 (got " .. describe(seeds) .. ")", 2)
  end
  local members = {}
  for i, s in ipairs(seeds) do
    if math.type(s) ~= "integer" then fail(what, ("seed %d must be an integer (got %s)"):format(i, describe(s)), 2) end
    members[i] = check_factory(what, make_model, s, 2)
  end
  return members
end

local function check_matrix(what, A, level)
  if type(A) ~= "table" or #A == 0 then fail(what, "expected a non-empty array of rows (got " .. describe(A) .. ")", level + 1) end
  local cols = type(A[1]) == "table" and #A[1] or 0
  if cols == 0 then fail(what, "row 1 must be a non-empty array of numbers", level + 1) end
  for i, row in ipairs(A) do
    if type(row) ~= "table" or #row ~= cols then
      fail(what, ("row %d must be an array of %d numbers (got %s)"):format(i, cols, describe(row)), level + 1)
    end
    for j = 1, cols do
      local v = row[j]
      if type(v) ~= "number" or v ~= v then
        fail(what, ("row %d entry %d must be a number, not NaN (got %s)"):format(i, j, describe(v)), level + 1)
      end
    end
  end
  return flatten(A), #A, cols
end

--- Non-negative least squares: x >= 0 minimising ||A x - b|| (A an array of rows). Returns x, rnorm.
function M.nnls(A, b, opts)
  local flat, rows, cols = check_matrix("knob.ensemble.nnls", A, 2)
  local ok, x, r = pcall(C.nnls, flat, rows, cols, b, opts)
  if not ok then fail("knob.ensemble.nnls", tostring(x):gsub("^nnls: ", ""), 2) end
  if not x then fail("knob.ensemble.nnls", r, 2) end
  return x, r
end

--- Simplex weights minimising the mixture log-loss (Q[i][j] = member j's probability of row i's true class).
--- Returns w, loss, iterations.
function M.simplex_logloss(Q, opts)
  local flat, rows, cols = check_matrix("knob.ensemble.simplex_logloss", Q, 2)
  local ok, w, loss, it = pcall(C.simplex_logloss, flat, rows, cols, opts)
  if not ok then fail("knob.ensemble.simplex_logloss", tostring(w):gsub("^simplex_logloss: ", ""), 2) end
  return w, loss, it
end

M.Ensemble = Ensemble

return M
