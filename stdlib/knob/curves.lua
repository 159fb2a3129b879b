-- knob.curves — learning curves, validation curves and the learning-rate range test, each with a text format.
--
--   local lc = knob.curves.learning(knob.model.gbdt{seed = 1}, train, {sizes = 8, repeats = 3, seed = 42})
--   print(lc)                                  -- aligned table, sparkline and the diagnosis
--   local vc = knob.curves.validation(function(v) return knob.model.gbdt{learning_rate = v} end,
--                                     "learning_rate", {0.01, 0.03, 0.1, 0.3}, train, {folds = 5})
--   print(vc.best.value)
--   local lr = knob.curves.lr_range(knob.model.mlp{hidden = {32}}, scaled_train, {lr_min = 1e-5, lr_max = 1})
--
-- learning(model, ds, opts). Options (an unknown option is an error listing the valid ones):
--   sizes = 8          an integer k: k log-spaced fractions 10^linspace(log10(min_fraction), 0, k) (numpy's
--                      logspace); or a list: floats in (0, 1] are fractions, integers are row counts (each
--                      <= the rows of the first fold's training part)
--   min_fraction = 0.1 the smallest fraction when sizes is a count
--   folds = 5, repeats = 3, stratified = true, seed = 0, metric (default accuracy / r2)
--   baseline = true    also cross-validate knob.model.dummy{} (prior / mean) on the same folds
--   variance_gap = 0.1, bias_skill = 0.8, slope = 0.01   thresholds of the diagnosis (below)
-- Procedure (the same as scikit-learn's learning_curve, with repeats and stratified subsets): for repeat r the
-- folds are knob.split.stratified_kfold{k = folds, shuffle = true, seed = seed + r - 1} (kfold for regression).
-- Sizes are counted as scikit-learn does: n_max = the training rows of repeat 1's first fold, a fraction f
-- gives f * n_max rows truncated to an integer, clipped to [1, n_max]; repeated sizes are dropped. For each fold and
-- size n < the fold's training rows, the n rows are the test part of knob.split.train_test_indices(fold's
-- training view of m rows, {test = n, stratify = (classification and stratified and n >= k and m - n >= k for
-- k classes), seed = seed + r - 1}) (a random subset, stratified unless a side would have fewer rows than
-- classes; not the first n rows as scikit-learn takes); otherwise every training row of the fold. A clone of the model is fit
-- on them and scored (Model:score) on them (train) and on the fold's validation rows (valid).
-- Result: {kind = "learning", metric, greater_is_better, n_max, repeats, folds, seed,
--   points = {{n_train, fraction, train_mean, train_std, valid_mean, valid_std, fit_seconds (mean per fit),
--              train = {scores}, valid = {scores} (repeat by repeat, fold by fold)}},
--   baseline = the dummy's mean validation score (or nil), diagnosis = {labels = {...}, text, skill = {...}}}.
--
-- diagnose(curve, opts) — the rules, on the largest size. Scores are first turned into a skill, the fraction
-- of the way from the dummy baseline D to a perfect score P (P = 1 for metrics where greater is better:
-- accuracy, f1, roc_auc, r2, ...; P = 0 for error metrics: rmse, log_loss, ...): skill(x) = (x - D) / (P - D),
-- so the thresholds mean the same for every metric. Without a baseline D = 0 (greater is better) or the largest
-- validation error on the curve (error metrics).
--   gap = skill(train) - skill(valid)
--   "high variance"        gap > variance_gap (0.1): the model fits its training rows much better than new ones
--   "high bias"            otherwise, when skill(train) < bias_skill (0.8): training and validation both low
--                          and close
--   "still improving with more data"   the least-squares slope of skill(valid) against log2(n_train) over the
--                          last three sizes (two if there are two) > slope (0.01 per doubling of the rows)
--   "converged"            none of the above
-- (variance and still improving may come together: more data is then likely to help.)
--
-- validation(make_model, param_name, values, ds, opts): make_model(value) returns a model (or pipeline) for each
-- value; every model is cross-validated with return_train on the same folds (folds = 5, stratified = true,
-- seed = 0, metric). Result: {kind = "validation", param, metric, greater_is_better, points = {{value,
-- train_mean, train_std, valid_mean, valid_std, fit_seconds}}, best = {value, valid_mean, valid_std, index}}
-- (the best validation mean; the first of equal ones), close_to_best = the values whose validation mean is
-- within one validation std of the best one (the best included: this CV does not tell them apart).
--
-- lr_range(model, ds, opts) runs knob.mlp.lr_range_test (same options: lr_min, lr_max, steps, smoothing,
-- stop_factor) and returns {kind = "lr_range", points = {{lr, loss, smoothed}}, lr_at_min, suggested
-- (= lr_at_min / 10)}.
--
-- format(curve) (also tostring(curve)): an aligned table with a sparkline of the validation scores (of the
-- smoothed loss for lr_range), and the diagnosis or the best value.
local evaluate = require "knob.evaluate"
local cv = require "knob.cv"
local split = require "knob.split"
local sys = require "knob.sys"

local I = evaluate._internal
local fail = I.fail

local M = {}

local Curve = {}
Curve.__index = Curve

---------------------------------------------------------------------------------------------------------------
-- sizes
---------------------------------------------------------------------------------------------------------------

--- The training-set sizes for n_max training rows: sizes is a count k (log-spaced fractions from
--- min_fraction to 1) or a list of fractions (floats in (0, 1]) or row counts (integers). As scikit-learn's
--- learning_curve: f * n_max truncated to an integer, clipped to [1, n_max], sorted, repeats dropped.
--- @return sizes (row counts), fractions (the fraction of each, n / n_max)
function M.train_sizes(sizes, n_max, min_fraction)
  local what = "knob.curves.train_sizes"
  min_fraction = min_fraction or 0.1
  if type(min_fraction) ~= "number" or not (min_fraction > 0 and min_fraction <= 1) then
    fail(what, "min_fraction must be in (0, 1] (got " .. tostring(min_fraction) .. ")", 2)
  end
  local list
  if math.type(sizes) == "integer" then
    if sizes < 1 then fail(what, "sizes must be a count >= 1 or a list (got " .. sizes .. ")", 2) end
    list = {}
    local lo = math.log(min_fraction, 10)
    for i = 1, sizes do
      list[i] = sizes == 1 and 1.0 or 10 ^ (lo + (0 - lo) * (i - 1) / (sizes - 1))
    end
  elseif type(sizes) == "table" then
    list = sizes
    if #list == 0 then fail(what, "sizes is an empty list", 2) end
  else
    fail(what, "sizes must be a count >= 1 or a list of fractions or row counts (got " .. type(sizes) .. ")", 2)
  end
  local fractions = false
  for _, v in ipairs(list) do
    if math.type(v) == "float" then fractions = true end
  end
  local abs, seen = {}, {}
  for i, v in ipairs(list) do
    local n
    if type(v) ~= "number" or v ~= v then
      fail(what, ("sizes entry %d must be a number (got %s)"):format(i, v ~= v and "NaN" or tostring(v)), 2)
    elseif fractions then
      if not (v > 0 and v <= 1) then
        fail(what, ("sizes entry %d: a fraction must be in (0, 1] (got %s)"):format(i, tostring(v)), 2)
      end
      n = math.max(1, math.min(n_max, math.floor(v * n_max)))
    else
      if v < 1 or v > n_max then
        fail(what, ("sizes entry %d: %d rows is outside 1..%d (the training rows of a fold)"):format(i, v, n_max), 2)
      end
      n = v
    end
    if not seen[n] then seen[n], abs[#abs + 1] = true, n end
  end
  table.sort(abs)
  local fr = {}
  for i, n in ipairs(abs) do fr[i] = n / n_max end
  return abs, fr
end

---------------------------------------------------------------------------------------------------------------
-- diagnosis
---------------------------------------------------------------------------------------------------------------

local DIAGNOSE_OPTIONS = {{"variance_gap", I.positive_number}, {"bias_skill", I.positive_number},
                         {"slope", I.positive_number}}

local ADVICE = {
  ["high variance"] = "the model fits its training rows much better than new rows: regularize, simplify, or " ..
    "add data",
  ["high bias"] = "training and validation scores are both low and close: a more flexible model or better " ..
    "features",
  ["still improving with more data"] = "the validation score still rises with the training rows: more data " ..
    "is likely to help",
  ["converged"] = "the validation score has levelled off close to the training score: more data will not " ..
    "help much; tune or change the model",
}

--- The diagnosis of a learning curve (see the header): curve = {points = {{n_train, train_mean, valid_mean}},
--- greater_is_better, baseline}; opts = {variance_gap, bias_skill, slope}.
--- @return {labels = {...}, text, skill = {train, valid, gap, slope}}
function M.diagnose(curve, opts)
  local what = "knob.curves.diagnose"
  if type(curve) ~= "table" or type(curve.points) ~= "table" or #curve.points == 0 then
    fail(what, "a curve with points expected (got " .. type(curve) .. ")", 2)
  end
  opts = I.check_options(what, opts, DIAGNOSE_OPTIONS, 2)
  local pts, gib = curve.points, curve.greater_is_better ~= false
  local P, D = gib and 1 or 0, curve.baseline
  if D == nil then
    D = 0
    if not gib then
      for _, p in ipairs(pts) do D = math.max(D, p.valid_mean) end
    end
  end
  local scale = P - D
  if math.abs(scale) < 1e-12 then scale = gib and 1 or -1 end
  local function skill(x) return (x - D) / scale end
  local last = pts[#pts]
  local s = {train = skill(last.train_mean), valid = skill(last.valid_mean)}
  s.gap = s.train - s.valid
  local from = math.max(1, #pts - 2)
  if #pts >= 2 then
    local mx, my, k = 0, 0, #pts - from + 1
    for i = from, #pts do
      mx, my = mx + math.log(pts[i].n_train, 2), my + skill(pts[i].valid_mean)
    end
    mx, my = mx / k, my / k
    local sxy, sxx = 0, 0
    for i = from, #pts do
      local dx = math.log(pts[i].n_train, 2) - mx
      sxy, sxx = sxy + dx * (skill(pts[i].valid_mean) - my), sxx + dx * dx
    end
    s.slope = sxx > 0 and sxy / sxx or 0
  end
  local labels = {}
  if s.gap > (opts.variance_gap or 0.1) then
    labels[#labels + 1] = "high variance"
  elseif s.train < (opts.bias_skill or 0.8) then
    labels[#labels + 1] = "high bias"
  end
  if s.slope and s.slope > (opts.slope or 0.01) then labels[#labels + 1] = "still improving with more data" end
  if #labels == 0 then labels[1] = "converged" end
  local lines = {}
  for _, l in ipairs(labels) do lines[#lines + 1] = l .. ": " .. ADVICE[l] end
  lines[#lines + 1] = ("(skill = share of the way from the dummy baseline to a perfect score: train %.3f, valid " ..
    "%.3f, gap %.3f, slope %s per doubling of the rows)"):format(s.train, s.valid, s.gap,
    s.slope and ("%.3f"):format(s.slope) or "-")
  return {labels = labels, text = table.concat(lines, "\n"), skill = s}
end

---------------------------------------------------------------------------------------------------------------
-- learning
---------------------------------------------------------------------------------------------------------------

local LEARNING_OPTIONS = {
  {"sizes", function(v)
    if math.type(v) ~= "integer" and type(v) ~= "table" then return "must be a count or a list" end
  end},
  {"min_fraction", I.positive_number}, {"folds", I.int_at_least(2)}, {"repeats", I.int_at_least(1)},
  {"stratified", "boolean"}, {"seed", I.is_integer}, {"metric", "string"}, {"baseline", "boolean"},
  {"variance_gap", I.positive_number}, {"bias_skill", I.positive_number}, {"slope", I.positive_number},
}

local function check_model(what, model)
  if not I.is_model(model) then
    fail(what, "a knob.Model or knob.pipeline expected as argument 1 (got " .. type(model) .. ")", 3)
  end
end

local function default_metric(task)
  return task == "classification" and "accuracy" or "r2"
end

--- The learning curve of model on ds (see the header). @return the curve (prints with format)
function M.learning(model, ds, opts)
  local what = "knob.curves.learning"
  check_model(what, model)
  local task = I.check_dataset(what, ds, 2, 2)
  opts = I.check_options(what, opts, LEARNING_OPTIONS, 2)
  local metric = opts.metric or default_metric(task)
  local mrec = I.get_metric(what, metric, task, 2)
  local folds, repeats, seed = opts.folds or 5, opts.repeats or 3, opts.seed or 0
  local strat = task == "classification" and opts.stratified ~= false

  local parts = {}
  for r = 1, repeats do
    local ok, p = pcall(function() return I.splitter(task, folds, opts.stratified, seed + r - 1):split(ds) end)
    if not ok then fail(what, tostring(p), 2) end
    parts[r] = p
  end
  local n_max = #parts[1][1].train
  local n_classes = task == "classification" and #ds:classes() or 0
  local ok, sizes, fractions = pcall(M.train_sizes, opts.sizes or 8, n_max, opts.min_fraction)
  if not ok then fail(what, (tostring(sizes):gsub("^knob%.curves%.train_sizes: ", "")), 2) end

  local points = {}
  for s, n in ipairs(sizes) do
    points[s] = {n_train = n, fraction = fractions[s], train = {}, valid = {}, fit = {}}
  end
  for r = 1, repeats do
    for f, part in ipairs(parts[r]) do
      local va = split.view(ds, part.test)
      for s, n in ipairs(sizes) do
        local rows = part.train
        if n < #part.train then
          local trv = split.view(ds, part.train)
          local m = #part.train
          local okk, got, sub = pcall(split.train_test_indices, trv,
            {test = n, stratify = strat and n >= n_classes and m - n >= n_classes, seed = seed + r - 1})
          trv:close()
          if not okk then
            va:close()
            fail(what, ("size %d, repeat %d, fold %d: %s"):format(n, r, f, tostring(got)), 2)
          end
          rows = {}
          for i, j in ipairs(sub) do rows[i] = part.train[j] end
        end
        local tr = split.view(ds, rows)
        local fm = model:clone()
        local okf, err = pcall(function()
          local t0 = sys.clock()
          fm:fit(tr)
          local pt = points[s]
          pt.fit[#pt.fit + 1] = sys.clock() - t0
          pt.train[#pt.train + 1] = fm:score(tr, metric)
          pt.valid[#pt.valid + 1] = fm:score(va, metric)
        end)
        fm:close()
        tr:close()
        if not okf then
          va:close()
          fail(what, ("size %d, repeat %d, fold %d: %s"):format(n, r, f,
            tostring(err):gsub("^[^\n]-%.lua:%d+: ", "")), 2)
        end
      end
      va:close()
    end
  end
  for _, pt in ipairs(points) do
    pt.train_mean, pt.train_std = I.mean_std(pt.train)
    pt.valid_mean, pt.valid_std = I.mean_std(pt.valid)
    pt.fit_seconds = I.mean_std(pt.fit)
    pt.fit = nil
  end
  local curve = setmetatable({kind = "learning", metric = metric, greater_is_better = mrec.greater_is_better,
                              n_max = n_max, repeats = repeats, folds = folds, seed = seed, points = points}, Curve)
  if opts.baseline ~= false then
    local dummy = require("knob.model").dummy{}
    local xs = {}
    for r = 1, repeats do
      local res = cv.cross_validate(dummy, ds, {folds = I.splitter(task, folds, opts.stratified, seed + r - 1),
                                                metrics = {metric}})
      for _, fo in ipairs(res.folds) do xs[#xs + 1] = fo.valid[metric] end
    end
    dummy:close()
    curve.baseline = I.mean_std(xs)
  end
  curve.diagnosis = M.diagnose(curve, {variance_gap = opts.variance_gap, bias_skill = opts.bias_skill,
                                       slope = opts.slope})
  return curve
end

---------------------------------------------------------------------------------------------------------------
-- validation
---------------------------------------------------------------------------------------------------------------

local VALIDATION_OPTIONS = {{"folds", I.int_at_least(2)}, {"stratified", "boolean"}, {"seed", I.is_integer},
                            {"metric", "string"}}

--- The validation curve of one hyperparameter (see the header). @return the curve (prints with format)
function M.validation(make_model, param_name, values, ds, opts)
  local what = "knob.curves.validation"
  if type(make_model) ~= "function" then
    fail(what, "a function value -> model expected as argument 1 (got " .. type(make_model) .. ")", 2)
  end
  if type(param_name) ~= "string" then
    fail(what, "a parameter name expected as argument 2 (got " .. type(param_name) .. ")", 2)
  end
  if type(values) ~= "table" or #values == 0 then
    fail(what, "a non-empty list of values expected as argument 3 (got " ..
      (type(values) == "table" and "an empty table" or type(values)) .. ")", 2)
  end
  local task = I.check_dataset(what, ds, 4, 2)
  opts = I.check_options(what, opts, VALIDATION_OPTIONS, 2)
  local metric = opts.metric or default_metric(task)
  local mrec = I.get_metric(what, metric, task, 2)
  local gib = mrec.greater_is_better
  local sp = I.splitter(task, opts.folds or 5, opts.stratified, opts.seed or 0)
  local curve = setmetatable({kind = "validation", param = param_name, metric = metric, greater_is_better = gib,
                              points = {}}, Curve)
  for i, v in ipairs(values) do
    local ok, m = pcall(make_model, v)
    if not ok then fail(what, ("make_model(%s): %s"):format(tostring(v), tostring(m)), 2) end
    if not I.is_model(m) then
      fail(what, ("make_model(%s) returned %s, not a knob.Model or knob.pipeline"):format(tostring(v), type(m)), 2)
    end
    local okc, res = pcall(cv.cross_validate, m, ds, {folds = sp, metrics = {metric}, return_train = true})
    m:close()
    if not okc then fail(what, ("%s = %s: %s"):format(param_name, tostring(v), tostring(res)), 2) end
    local tr, fit = {}, {}
    for j, f in ipairs(res.folds) do tr[j], fit[j] = f.train[metric], f.fit_seconds end
    local pt = {value = v, valid_mean = res.mean[metric], valid_std = res.std[metric]}
    pt.train_mean, pt.train_std = I.mean_std(tr)
    pt.fit_seconds = I.mean_std(fit)
    curve.points[i] = pt
    local b = curve.best
    if b == nil or (gib and pt.valid_mean > b.valid_mean) or (not gib and pt.valid_mean < b.valid_mean) then
      curve.best = {value = v, valid_mean = pt.valid_mean, valid_std = pt.valid_std, index = i}
    end
  end
  curve.close_to_best = {}
  local b = curve.best
  for _, p in ipairs(curve.points) do
    if math.abs(p.valid_mean - b.valid_mean) <= (b.valid_std == b.valid_std and b.valid_std or 0) then
      curve.close_to_best[#curve.close_to_best + 1] = p.value
    end
  end
  return curve
end

---------------------------------------------------------------------------------------------------------------
-- lr_range
---------------------------------------------------------------------------------------------------------------

--- knob.mlp.lr_range_test as a curve (see the header).
function M.lr_range(model, ds, opts)
  local ok, r = pcall(require("knob.mlp").lr_range_test, model, ds, opts)
  if not ok then error("knob.curves.lr_range: " .. tostring(r):gsub("^[^\n]-%.lua:%d+: ", ""), 2) end
  local curve = setmetatable({kind = "lr_range", points = {}, lr_at_min = r.lr_at_min, suggested = r.lr_suggested},
                             Curve)
  for i, lr in ipairs(r.lrs) do curve.points[i] = {lr = lr, loss = r.losses[i], smoothed = r.smoothed[i]} end
  return curve
end

---------------------------------------------------------------------------------------------------------------
-- format
---------------------------------------------------------------------------------------------------------------

local BARS = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}

--- A sparkline of numbers (NaN and infinities as spaces): one of 8 bars per value, scaled min..max; with
--- width (default 60), longer inputs are shown at width evenly spaced positions.
function M.sparkline(xs, width)
  width = width or 60
  if #xs > width then
    local picked = {}
    for i = 1, width do picked[i] = xs[1 + ((i - 1) * (#xs - 1)) // (width - 1)] end
    xs = picked
  end
  local lo, hi = math.huge, -math.huge
  for _, x in ipairs(xs) do
    if x == x and math.abs(x) ~= math.huge then lo, hi = math.min(lo, x), math.max(hi, x) end
  end
  local out = {}
  for i, x in ipairs(xs) do
    if x ~= x or math.abs(x) == math.huge then
      out[i] = " "
    elseif hi > lo then
      out[i] = BARS[math.floor((x - lo) / (hi - lo) * 7 + 0.5) + 1]
    else
      out[i] = BARS[4]
    end
  end
  return table.concat(out)
end

local function column(points, key)
  local xs = {}
  for i, p in ipairs(points) do xs[i] = p[key] end
  return xs
end

local function format_learning(c)
  local rows = {{"n_train", "fraction", ("train %s"):format(c.metric), ("valid %s"):format(c.metric), "fit"}}
  for _, p in ipairs(c.points) do
    rows[#rows + 1] = {tostring(p.n_train), ("%.3f"):format(p.fraction), I.pm(p.train_mean, p.train_std),
                       I.pm(p.valid_mean, p.valid_std), I.seconds(p.fit_seconds)}
  end
  local out = {("learning curve: %s, %d folds x %d repeats, seed %d"):format(c.metric, c.folds, c.repeats, c.seed),
               I.layout(rows),
               ("valid %s by size: %s"):format(c.metric, M.sparkline(column(c.points, "valid_mean")))}
  if c.baseline then out[#out + 1] = ("dummy baseline (valid): %.4f"):format(c.baseline) end
  out[#out + 1] = "diagnosis: " .. c.diagnosis.text
  return table.concat(out, "\n")
end

local function format_validation(c)
  local close = {}
  for i, v in ipairs(c.close_to_best) do close[i] = tostring(v) end
  local rows = {{c.param, ("train %s"):format(c.metric), ("valid %s"):format(c.metric), "fit"}}
  for i, p in ipairs(c.points) do
    rows[#rows + 1] = {tostring(p.value) .. (i == c.best.index and " *" or ""), I.pm(p.train_mean, p.train_std),
                       I.pm(p.valid_mean, p.valid_std), I.seconds(p.fit_seconds)}
  end
  return table.concat({("validation curve of %s (%s)"):format(c.param, c.metric), I.layout(rows),
    ("valid %s by value: %s"):format(c.metric, M.sparkline(column(c.points, "valid_mean"))),
    ("best %s = %s: valid %s"):format(c.param, tostring(c.best.value), I.pm(c.best.valid_mean, c.best.valid_std)),
    ("within one std of the best (not told apart by this CV): %s"):format(table.concat(close, ", "))}, "\n")
end

local function format_lr_range(c)
  local rows = {{"learning rate", "loss", "smoothed"}}
  local n = #c.points
  local step = math.max(1, n // 12)
  for i = 1, n, step do
    local p = c.points[i]
    rows[#rows + 1] = {("%.3g"):format(p.lr), ("%.4g"):format(p.loss), ("%.4g"):format(p.smoothed)}
  end
  return table.concat({("learning-rate range test: %d steps"):format(n), I.layout(rows),
    ("smoothed loss: %s"):format(M.sparkline(column(c.points, "smoothed"))),
    ("lowest smoothed loss at lr %.3g; suggested learning rate %.3g (a tenth of it)"):format(c.lr_at_min,
      c.suggested)}, "\n")
end

--- The text of a curve from learning, validation or lr_range.
function M.format(c)
  if getmetatable(c) ~= Curve then
    error("knob.curves.format: a curve of knob.curves.learning, validation or lr_range expected (got " ..
      type(c) .. ")", 2)
  end
  if c.kind == "learning" then return format_learning(c) end
  if c.kind == "validation" then return format_validation(c) end
  return format_lr_range(c)
end

Curve.__tostring = M.format

return M
