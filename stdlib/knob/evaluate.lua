-- knob.evaluate — a baseline report of a model or pipeline on training data, and baselines side by side.
--
--   local r = knob.evaluate.baseline(knob.model.gbdt{seed = 1}, train, {folds = 5, seed = 42, name = "gbdt"})
--   print(knob.evaluate.format(r))                 -- or print(r)
--   print(knob.evaluate.compare{r_dummy, r_logistic, r_gbdt})   -- one line per report
--
-- baseline(model, ds, opts) options (an unknown option is an error listing the valid ones):
--   folds = 5, stratified = true, seed = 0     the CV splitter (always shuffled with seed; stratified for
--                                               classification), as knob.cv.cross_validate
--   metrics                                     metric names (default {"accuracy"} / {"r2"}); the first one
--                                               decides the overfitting flag
--   latency_rows = 1000, latency_repeats = 20   rows timed for the prediction latency (see below)
--   imbalance_ratio = 4                         class-imbalance threshold (see below)
--   overfit_gap = 0.05, overfit_ratio = 0.25    overfitting thresholds (see below)
--   name                                        a label for format/compare (default: the model's kind)
--
-- What the report holds and how each number is measured:
--   valid / train = {mean = {metric = v}, std = {...}}   knob.cv.cross_validate with return_train = true:
--       mean and sample std (ddof 1) over the folds of the validation and of the training scores; cv = the
--       cross_validate result itself.
--   gap = {metric = v}   train mean - validation mean, signed so that a positive gap means "better on the
--       training rows" (for error metrics such as rmse it is validation - train).
--   overfit (boolean), overfit_rule (text): on the first metric, a metric where greater is better is flagged
--       when gap > overfit_gap (absolute, in the metric's units: 0.05 = 5 points of accuracy); an error metric
--       (rmse, log_loss, ...) when gap / |validation mean| > overfit_ratio (relative: 0.25 = the training
--       error is more than 25% below the validation error).
--   fit_seconds   one fit of a clone on every row of ds (monotonic clock); cv_fit_seconds = mean fold fit.
--   peak_rss_delta   how much the process's peak resident memory (knob.sys.peak_rss, the OS high-water mark)
--       rose during that full fit, in bytes. It is a lower bound of the fit's working memory: 0 when the fit
--       stayed under a peak the process had already reached earlier. rss_delta = resident memory after the
--       fit minus before (what the fit left allocated: the model and caches; may be negative after a GC).
--   json_bytes   length of the fitted model's :to_json() (the size of its saved file); state_bytes = the
--       model's info().bytes (its in-memory state; for a pipeline the model step's only).
--   latency.batch = {p50, p99, rows, repeats}   seconds per row: a view of latency_rows rows (ds's rows
--       cycled when ds is shorter) is predicted latency_repeats times, each time divided by the row count;
--       the percentiles are over the repeats (numpy.percentile, linear). One warm-up call is not timed.
--   latency.single = {p50, p99, n}   seconds for one predict() of a one-row view (knob.split.view: no copy),
--       latency_rows calls over ds's rows cycled, percentiles over the calls.
--   throughput   rows per second in batch = 1 / latency.batch.p50.
--   imbalance (classification) = {counts = {class = n}, minority, minority_fraction, ratio = largest /
--       smallest class count, imbalanced, class_weights = {class = n / (k * n_c)} (scikit-learn's
--       "balanced")}. imbalanced when ratio > imbalance_ratio (default 4, i.e. for two classes a minority
--       below 20%): a warning is added, balanced_accuracy and f1_macro are added to the metrics, and
--       class_weight = "balanced" (logistic, tree, forest) or these weights as sample_weight are suggested.
--   fingerprint (ds:fingerprint()), seed, folds, n_rows, n_features, task, classes, name, warnings, kind (the
--   model's kind; for a pipeline its steps, "standardize -> logistic").
--
-- imbalance(ds, threshold) is the class-imbalance part of the report on its own; percentile(values, p) is the
-- percentile the latencies use (numpy.percentile, linear interpolation; NaN ignored; nil for no value).
--
-- compare(reports) takes a list of baseline reports (of the same data, folds and seed; otherwise a warning
-- says they are not comparable) and returns a table {names, metrics (those every report has), rows = {{name,
-- valid = {metric = {mean, std}}, gap, overfit, fit_seconds, batch_p50, single_p50, json_bytes}}, best =
-- {metric = index of the best report}, warnings} that prints as one aligned line per report.
local cv = require "knob.cv"
local metrics = require "knob.metrics"
local split = require "knob.split"
local sys = require "knob.sys"
local percentile = require("knob.pruners")._percentile

local M = {}

---------------------------------------------------------------------------------------------------------------
-- Helpers shared with knob.curves (M._internal)
---------------------------------------------------------------------------------------------------------------

local function fail(what, msg, level)
  error(what .. ": " .. msg, level + 1)
end

local function is_model(x) return require("knob.model").is_model(x) end

-- Check ds is a non-empty Dataset with a target.
local function check_dataset(what, ds, argn, level)
  local mt = type(ds) == "userdata" and getmetatable(ds)
  if not (type(mt) == "table" and mt.__name == "knob.Dataset") then
    fail(what, ("a knob.Dataset expected as argument %d (got %s)"):format(argn, type(ds)), level + 1)
  end
  if ds:rows() == 0 then fail(what, "the dataset is empty", level + 1) end
  local task = ds:task()
  if task ~= "classification" and task ~= "regression" then
    fail(what, "the dataset has no target", level + 1)
  end
  return task
end

-- opts (nil or a table) checked against spec = {{name, type or checker}, ...}; returns a table.
-- A checker returns an error text for a bad value.
local function check_options(what, opts, spec, level)
  if opts == nil then return {} end
  if type(opts) ~= "table" then fail(what, "options must be a table (got " .. type(opts) .. ")", level + 1) end
  local names, by = {}, {}
  for i, s in ipairs(spec) do names[i], by[s[1]] = s[1], s[2] end
  for k, v in pairs(opts) do
    local t = by[k]
    if t == nil then
      fail(what, ("unknown option '%s' (valid: %s)"):format(tostring(k), table.concat(names, ", ")), level + 1)
    end
    local msg
    if type(t) == "function" then
      msg = t(v)
    elseif type(v) ~= t then
      msg = "must be a " .. t
    end
    if msg then fail(what, ("option '%s' %s (got %s)"):format(k, msg, tostring(v)), level + 1) end
  end
  return opts
end

local function int_at_least(lo)
  return function(v)
    if math.type(v) ~= "integer" or v < lo then return "must be an integer >= " .. lo end
  end
end

local function positive_number(v)
  if type(v) ~= "number" or v ~= v or v <= 0 or v == math.huge then return "must be a positive number" end
end

local function is_integer(v)
  if math.type(v) ~= "integer" then return "must be an integer" end
end

-- A metric record from knob.metrics.get, the error re-raised under `what`.
local function get_metric(what, name, task, level)
  local ok, m = pcall(metrics.get, name)
  if not ok then fail(what, tostring(m), level + 1) end
  if m.needs_proba and task == "regression" then
    fail(what, ("metric '%s' needs class probabilities; the dataset's task is regression"):format(name), level + 1)
  end
  return m
end

local mean_std = require("knob.cv").mean_std

-- The CV splitter knob.evaluate and knob.curves use: shuffled k-fold, stratified for classification.
local function splitter(task, folds, stratified, seed) return split.for_task(task, folds, seed, stratified) end

-- Fixed-width cells: "0.9561 ± 0.0123".
local function pm(mean, std)
  if std ~= std then return ("%.4f"):format(mean) end
  return ("%.4f ± %.4f"):format(mean, std)
end

-- Lay out rows of cells (row 1 = header), right-aligned except column 1; widths counted in characters.
local function layout(rows)
  local function len(s) return utf8.len(s) or #s end
  local width = {}
  for _, r in ipairs(rows) do
    for j, c in ipairs(r) do width[j] = math.max(width[j] or 0, len(c)) end
  end
  local lines = {}
  for _, r in ipairs(rows) do
    local parts = {}
    for j, c in ipairs(r) do
      local pad = (" "):rep(width[j] - len(c))
      parts[j] = j == 1 and c .. pad or pad .. c
    end
    lines[#lines + 1] = (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  return table.concat(lines, "\n")
end

-- A signed gap, "+0.0000" (not "-0.0000") for a rounding-level difference.
local function signed(x)
  if math.abs(x) < 5e-5 then x = 0.0 end
  return ("%+.4f"):format(x)
end

local function seconds(s)
  if s ~= s then return "-" end
  if s < 1e-6 then return ("%.0f ns"):format(s * 1e9) end
  if s < 1e-3 then return ("%.1f µs"):format(s * 1e6) end
  if s < 1 then return ("%.2f ms"):format(s * 1e3) end
  return ("%.2f s"):format(s)
end

local function bytes(b)
  if b == nil then return "-" end
  local a = math.abs(b)
  if a < 1024 then return ("%d B"):format(b) end
  if a < 1024 * 1024 then return ("%.1f KiB"):format(b / 1024) end
  return ("%.1f MiB"):format(b / (1024 * 1024))
end

M.percentile = percentile

M._internal = {fail = fail, is_model = is_model, check_dataset = check_dataset, check_options = check_options,
               int_at_least = int_at_least, positive_number = positive_number, is_integer = is_integer,
               get_metric = get_metric, mean_std = mean_std, splitter = splitter, pm = pm, layout = layout,
               seconds = seconds}

---------------------------------------------------------------------------------------------------------------
-- Class imbalance
---------------------------------------------------------------------------------------------------------------

--- Class counts, the minority class and scikit-learn's "balanced" class weights n / (k * n_c) of a
--- classification dataset. ratio = largest / smallest count; imbalanced when ratio > threshold (default 4).
function M.imbalance(ds, threshold)
  check_dataset("knob.evaluate.imbalance", ds, 1, 2)
  if ds:task() ~= "classification" then fail("knob.evaluate.imbalance", "the dataset's task is regression", 2) end
  threshold = threshold or 4
  local msg = positive_number(threshold)
  if msg then fail("knob.evaluate.imbalance", "threshold " .. msg .. " (got " .. tostring(threshold) .. ")", 2) end
  local counts, classes = ds:class_counts(), ds:classes()
  local n, k = ds:rows(), 0
  local lo, hi, minority
  for _, c in ipairs(classes) do
    local nc = counts[c] or 0
    if nc > 0 then
      k = k + 1
      if not lo or nc < lo then lo, minority = nc, c end
      if not hi or nc > hi then hi = nc end
    end
  end
  local weights = {}
  for _, c in ipairs(classes) do
    if (counts[c] or 0) > 0 then weights[c] = n / (k * counts[c]) end
  end
  return {counts = counts, classes = classes, minority = minority, minority_fraction = lo / n, ratio = hi / lo,
          imbalanced = hi / lo > threshold, threshold = threshold, class_weights = weights}
end

---------------------------------------------------------------------------------------------------------------
-- Latency
---------------------------------------------------------------------------------------------------------------

-- Per-row latency of fitted model m on ds's rows (cycled to `rows` rows), batch and single-row.
local function latency(m, ds, rows, repeats)
  local n = ds:rows()
  local idx = {}
  for i = 1, rows do idx[i] = (i - 1) % n + 1 end
  local block = split.view(ds, idx)
  m:predict(block) -- warm-up
  local per_row = {}
  for r = 1, repeats do
    local t0 = sys.clock()
    m:predict(block)
    per_row[r] = (sys.clock() - t0) / rows
  end
  block:close()
  local views = {}
  for i = 1, math.min(rows, n) do views[i] = split.view(ds, {i}) end
  local single = {}
  for i = 1, rows do
    local v = views[(i - 1) % #views + 1]
    local t0 = sys.clock()
    m:predict(v)
    single[i] = sys.clock() - t0
  end
  for _, v in ipairs(views) do v:close() end
  local batch = {p50 = percentile(per_row, 50), p99 = percentile(per_row, 99), rows = rows, repeats = repeats}
  return batch, {p50 = percentile(single, 50), p99 = percentile(single, 99), n = rows}
end

---------------------------------------------------------------------------------------------------------------
-- baseline
---------------------------------------------------------------------------------------------------------------

local Report = {}
Report.__index = Report
local Comparison = {}
Comparison.__index = Comparison

local BASELINE_OPTIONS = {
  {"folds", int_at_least(2)}, {"stratified", "boolean"}, {"seed", is_integer}, {"metrics", "table"},
  {"latency_rows", int_at_least(1)}, {"latency_repeats", int_at_least(1)}, {"imbalance_ratio", positive_number},
  {"overfit_gap", positive_number}, {"overfit_ratio", positive_number}, {"name", "string"},
}

--- Evaluate model (a knob.Model or pipeline; never fitted itself) on ds: see the header for the options and
--- the report's fields. @return the report (prints with format)
function M.baseline(model, ds, opts)
  local what = "knob.evaluate.baseline"
  if not is_model(model) then
    fail(what, "a knob.Model or knob.pipeline expected as argument 1 (got " .. type(model) .. ")", 2)
  end
  local task = check_dataset(what, ds, 2, 2)
  opts = check_options(what, opts, BASELINE_OPTIONS, 2)
  local seed = opts.seed or 0
  local folds = opts.folds or 5
  local names = {}
  for i, name in ipairs(opts.metrics or {task == "classification" and "accuracy" or "r2"}) do names[i] = name end
  if #names == 0 then fail(what, "option 'metrics' is empty", 2) end
  local gib = {}
  for _, name in ipairs(names) do gib[name] = get_metric(what, name, task, 2).greater_is_better end

  local r = setmetatable({name = opts.name, kind = model:kind(), task = task, n_rows = ds:rows(),
                          n_features = ds:features(), fingerprint = ds:fingerprint(), seed = seed, folds = folds,
                          warnings = {}}, Report)
  r.name = r.name or r.kind
  if r.kind == "pipeline" then r.kind = tostring(model):match("^knob%.Pipeline<(.-), [%a ]+>$") or r.kind end
  if task == "classification" then
    r.classes = ds:classes()
    r.imbalance = M.imbalance(ds, opts.imbalance_ratio)
    local im = r.imbalance
    if im.imbalanced then
      for _, extra in ipairs({"balanced_accuracy", "f1_macro"}) do
        if gib[extra] == nil then names[#names + 1], gib[extra] = extra, true end
      end
      r.warnings[#r.warnings + 1] = ("class imbalance: '%s' is %.1f%% of the rows (largest / smallest class " ..
        "= %.1f > %g); balanced_accuracy and f1_macro added; try class_weight = \"balanced\" or sample " ..
        "weights n / (k * n_c)"):format(tostring(im.minority), 100 * im.minority_fraction, im.ratio,
        im.threshold)
    end
  end
  r.metrics, r.metric, r.greater_is_better = names, names[1], gib

  -- the full fit first: its memory is measured before the CV fits raise the process's high-water mark
  local full = model:clone()
  collectgarbage()
  local peak0, rss0 = sys.peak_rss(), sys.rss()
  local t0 = sys.clock()
  local ok, err = pcall(full.fit, full, ds)
  r.fit_seconds = sys.clock() - t0
  if not ok then
    full:close()
    fail(what, "fitting on every row: " .. tostring(err):gsub("^[^\n]-%.lua:%d+: ", ""), 2)
  end
  r.peak_rss_delta, r.rss_delta = sys.peak_rss() - peak0, sys.rss() - rss0
  r.json_bytes = #full:to_json()
  r.state_bytes = full:info().bytes
  local rows = opts.latency_rows or 1000
  r.latency = {}
  r.latency.batch, r.latency.single = latency(full, ds, rows, opts.latency_repeats or 20)
  r.throughput = 1 / r.latency.batch.p50
  full:close()

  local ok_cv, res = pcall(cv.cross_validate, model, ds, {folds = splitter(task, folds, opts.stratified, seed),
                                                          metrics = names, return_train = true})
  if not ok_cv then fail(what, (tostring(res):gsub("^[^\n]-%.lua:%d+: ", "")), 2) end
  r.cv = res
  r.valid, r.train, r.gap = {mean = {}, std = {}}, {mean = {}, std = {}}, {}
  local fit_s = {}
  for i, f in ipairs(res.folds) do fit_s[i] = f.fit_seconds end
  r.cv_fit_seconds = mean_std(fit_s)
  for _, name in ipairs(names) do
    local xs = {}
    for i, f in ipairs(res.folds) do xs[i] = f.train[name] end
    r.train.mean[name], r.train.std[name] = mean_std(xs)
    r.valid.mean[name], r.valid.std[name] = res.mean[name], res.std[name]
    local d = r.train.mean[name] - r.valid.mean[name]
    r.gap[name] = gib[name] and d or -d
  end
  local first, gap = names[1], r.gap[names[1]]
  if gib[first] then
    local th = opts.overfit_gap or 0.05
    r.overfit = gap > th
    r.overfit_rule = ("train - validation %s > %g"):format(first, th)
  else
    local th = opts.overfit_ratio or 0.25
    local v = math.abs(r.valid.mean[first])
    r.overfit = v > 0 and gap / v > th
    r.overfit_rule = ("(validation - train %s) / validation > %g"):format(first, th)
  end
  if r.overfit then
    r.warnings[#r.warnings + 1] = ("overfitting: %s is %.4f better on the training rows than on validation " ..
      "(rule: %s); regularize, simplify or get more data"):format(first, gap, r.overfit_rule)
  end
  return r
end

--- The report as text.
local function format_report(r)
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(("baseline: %s (%s)   %d rows x %d features, %s   data %s   seed %d"):format(r.name, r.kind, r.n_rows,
    r.n_features, r.task, r.fingerprint, r.seed))
  add("")
  local rows = {{"metric", ("valid (%d-fold CV)"):format(r.folds), "train", "gap"}}
  for _, name in ipairs(r.metrics) do
    rows[#rows + 1] = {name, pm(r.valid.mean[name], r.valid.std[name]), pm(r.train.mean[name], r.train.std[name]),
                       signed(r.gap[name])}
  end
  add(layout(rows))
  add(("overfitting: %s   (rule: %s)"):format(r.overfit and "YES" or "no", r.overfit_rule))
  add("")
  add(("fit on all rows %s (CV fold mean %s)   peak RSS +%s, resident +%s"):format(seconds(r.fit_seconds),
    seconds(r.cv_fit_seconds), bytes(r.peak_rss_delta), bytes(r.rss_delta)))
  add(("model size: saved JSON %s, in memory %s"):format(bytes(r.json_bytes), bytes(r.state_bytes)))
  local b, s = r.latency.batch, r.latency.single
  add(("latency per row: batch of %d p50 %s p99 %s (%d repeats)   single row p50 %s p99 %s (%d calls)"):format(
    b.rows, seconds(b.p50), seconds(b.p99), b.repeats, seconds(s.p50), seconds(s.p99), s.n))
  add(("throughput: %.0f rows/s (batch)"):format(r.throughput))
  local im = r.imbalance
  if im then
    local parts = {}
    for _, c in ipairs(im.classes) do
      if im.class_weights[c] then
        parts[#parts + 1] = ("%s=%d (weight %.4g)"):format(tostring(c), im.counts[c], im.class_weights[c])
      end
    end
    add(("classes: %s   largest/smallest %.2f"):format(table.concat(parts, ", "), im.ratio))
  end
  for _, w in ipairs(r.warnings) do add("WARNING " .. w) end
  return table.concat(out, "\n")
end

---------------------------------------------------------------------------------------------------------------
-- compare
---------------------------------------------------------------------------------------------------------------

--- Several baseline reports side by side (see the header).
function M.compare(reports)
  local what = "knob.evaluate.compare"
  if type(reports) ~= "table" or getmetatable(reports) == Report then
    fail(what, "a list of knob.evaluate.baseline reports expected (got " .. type(reports) .. ")", 2)
  end
  if #reports == 0 then fail(what, "no reports to compare", 2) end
  for i, r in ipairs(reports) do
    if getmetatable(r) ~= Report then
      fail(what, ("entry %d is not a knob.evaluate.baseline report (got %s)"):format(i, type(r)), 2)
    end
  end
  local c = setmetatable({names = {}, metrics = {}, rows = {}, best = {}, warnings = {}}, Comparison)
  local r1 = reports[1]
  for _, name in ipairs(r1.metrics) do
    local everywhere = true
    for _, r in ipairs(reports) do everywhere = everywhere and r.valid.mean[name] ~= nil end
    if everywhere then c.metrics[#c.metrics + 1] = name end
  end
  for i, r in ipairs(reports) do
    if r.fingerprint ~= r1.fingerprint or r.seed ~= r1.seed or r.folds ~= r1.folds then
      c.warnings[#c.warnings + 1] = ("'%s' was evaluated on other data, folds or seed than '%s': the numbers " ..
        "are not comparable"):format(r.name, r1.name)
    end
    c.names[i] = r.name
    local row = {name = r.name, valid = {}, gap = r.gap[r.metric], overfit = r.overfit, fit_seconds = r.fit_seconds,
                 batch_p50 = r.latency.batch.p50, single_p50 = r.latency.single.p50, json_bytes = r.json_bytes}
    for _, name in ipairs(c.metrics) do
      row.valid[name] = {mean = r.valid.mean[name], std = r.valid.std[name]}
      local b = c.best[name]
      local better = b == nil or (r1.greater_is_better[name] and r.valid.mean[name] > reports[b].valid.mean[name])
        or (not r1.greater_is_better[name] and r.valid.mean[name] < reports[b].valid.mean[name])
      if better then c.best[name] = i end
    end
    c.rows[i] = row
  end
  return c
end

local function format_comparison(c)
  local header = {"model"}
  for _, name in ipairs(c.metrics) do header[#header + 1] = name end
  for _, h in ipairs({"gap", "fit", "batch/row", "single row", "saved"}) do header[#header + 1] = h end
  local rows = {header}
  for i, row in ipairs(c.rows) do
    local cells = {row.name}
    for _, name in ipairs(c.metrics) do
      cells[#cells + 1] = pm(row.valid[name].mean, row.valid[name].std) .. (c.best[name] == i and " *" or "  ")
    end
    cells[#cells + 1] = signed(row.gap) .. (row.overfit and " !" or "  ")
    cells[#cells + 1] = seconds(row.fit_seconds)
    cells[#cells + 1] = seconds(row.batch_p50)
    cells[#cells + 1] = seconds(row.single_p50)
    cells[#cells + 1] = bytes(row.json_bytes)
    rows[#rows + 1] = cells
  end
  local out = {layout(rows), "* best validation mean   ! overfitting flag   gap = train - validation of the " ..
    "first metric   latencies are p50"}
  for _, w in ipairs(c.warnings) do out[#out + 1] = "WARNING " .. w end
  return table.concat(out, "\n")
end

--- Text of a baseline report or of a comparison.
function M.format(x)
  local mt = getmetatable(x)
  if mt == Report then return format_report(x) end
  if mt == Comparison then return format_comparison(x) end
  error("knob.evaluate.format: a report of knob.evaluate.baseline or compare expected (got " .. type(x) .. ")", 2)
end

Report.__tostring = format_report
Comparison.__tostring = format_comparison

return M
