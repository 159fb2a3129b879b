-- knob.monitor — after deployment: is the new data still like the training data, is the model still as good
-- as it was, and is a candidate model better than the one in production?
--
--   knob.monitor.reference(model, train, {bins = 10, sample = 1000})  attach reference statistics to a fitted
--       model or pipeline; model:save(path) writes them and knob.model.load(path) reads them back, so a
--       monitor needs only the model file and the new data. Returns the reference table.
--   knob.monitor.check(model, new_ds, {watch = 0.1, drifted = 0.25, ks_method = "auto", epsilon = 1e-4})
--       -> report {features = {...}, prediction = {...}, verdict = "stable"|"watch"|"drifted", top_moved = {...}}
--   knob.monitor.format(report) -> text table
--   knob.monitor.performance(model, labelled, {metric, baseline, tolerance = 0, n_boot = 1000, seed = 0,
--       alpha = 0.05}) -> {metric, value, ci = {lo, hi}, baseline, degraded, ...}
--   knob.monitor.compare(candidate, production, labelled, {metric, n_boot = 1000, seed = 0, alpha = 0.05})
--       -> {improvement, ci, mcnemar = {...}, decision = "promote"|"keep", reason, ...}
--   knob.monitor.corrected_ttest(scores_a, scores_b, n_train, n_test) -> {t, p_value, df}
--   knob.monitor.reference_of(model) -> the attached reference table, or nil
--
-- Reference statistics (the "monitor" field of the model JSON; for a pipeline it is kept by the pipeline's
-- model step, and describes the pipeline's input columns): {version = 1, rows, bins, sample, features =
-- {...}, prediction = {...}}. A numeric entry has count (non-missing values), missing, edges (the reference
-- quantiles k/bins, k = 1..bins-1, repeated ones dropped), counts (#edges + 1 right-closed bins) and sample:
-- all sorted values when there are at most `sample` of them, else `sample` evenly spaced order statistics (the
-- KS test then compares against that stand-in for the empirical CDF and its p-value uses n = `sample`, which is
-- conservative). A categorical entry has count, missing, levels and counts. The prediction entry is numeric
-- on the positive-class probability (kind "proba", binary classifiers), categorical on the predicted class
-- (kind "class", other classifiers) or numeric on the prediction (kind "value", regressors). Refitting the
-- model drops its reference. Every field is checked when a model file is loaded; a corrupt one is an error
-- naming the field (e.g. "field 'monitor.features[2].edges' must be strictly increasing").
--
-- Drift statistics per feature (and for the predictions):
--   psi  population stability index over the reference bins plus a missing-value bin (categorical: the
--        reference levels, one bin for all unseen levels, and missing); an empty bin's share is raised to
--        `epsilon` (1e-4). The verdict comes from the PSI alone: < watch (0.1) "stable", < drifted (0.25)
--        "watch", otherwise "drifted" (the usual credit-scoring rule of thumb). The overall verdict is the worst
--        one; top_moved lists every feature by PSI, largest first.
--   ks   numeric: two-sample Kolmogorov–Smirnov statistic and p-value between the reference sample and the new
--        non-missing values, as scipy.stats.ks_2samp: method "exact" matches method="exact", "asymp" is
--        Kolmogorov's limiting distribution (scipy.stats.kstwobign), "auto" is exact when max(n, m) <= 10000.
--   chi2 categorical: chi-square test of homogeneity on reference vs new level counts, as
--        scipy.stats.chi2_contingency(table, correction=False); unseen levels are listed in `unseen`.
-- With many rows even a harmless shift gives a tiny p-value, so the tests are reported, not used for the verdict.
-- The PSI of two samples from the same distribution is not 0: its expected value is about
-- (bins - 1) (1/n_new + 1/n_ref) (0.05 for 10 bins and 200 + 1000 rows), so judge batches of a few hundred rows
-- or more, or use fewer bins.
--
-- performance: the metric on the batch with a percentile bootstrap interval (n_boot resamples drawn as
-- weights, the level 1 - alpha); degraded = the whole interval is worse than baseline by more than tolerance
-- (higher-is-better metrics: ci.hi < baseline - tolerance; lower-is-better: ci.lo > baseline + tolerance).
--
-- compare: both models on the same rows. improvement = candidate - production (sign flipped for
-- lower-is-better metrics, so positive is better) with a paired bootstrap interval (the same resamples for
-- both). Classifiers also get McNemar's test on the rows exactly one of them gets right (b = candidate only, c =
-- production only): exact binomial test when b + c < 25, else chi-square with continuity correction (as
-- statsmodels' mcnemar(table, exact=True) and mcnemar(table, exact=False, correction=True)). Decision:
-- "promote" only when the interval's lower end is above 0 and (classifiers) McNemar's p < alpha; else "keep".
--
-- corrected_ttest: Nadeau & Bengio's corrected resampled t-test for paired CV scores (a - b),
-- t = mean / sqrt((1/J + n_test/n_train) var), two-sided p from Student's t with J - 1 dof.
--
-- Misuse (wrong types, unfitted model, no reference, schema mismatch, empty batch, misspelt option) raises an
-- error naming what is wrong.
local core = require "knob.core"

local C = core.monitor
local M = {}

local VERSION = 1
local VERDICTS = {stable = 1, watch = 2, drifted = 3}

-- ---- arguments --------------------------------------------------------------------------------------

local check_opts = require("knob.space").check_opts -- unknown option: an error listing the valid ones

local function opt_number(fn, opts, name, def, lo, hi)
  local v = opts[name]
  if v == nil then return def end
  if type(v) ~= "number" or v ~= v then
    error(("%s: option '%s' must be a number (got %s)"):format(fn, name, v ~= v and "NaN" or type(v)), 3)
  end
  if (lo and v < lo) or (hi and v > hi) then
    error(("%s: option '%s' must be in [%s, %s] (got %s)"):format(fn, name, tostring(lo), tostring(hi), tostring(v)), 3)
  end
  return v
end

local function opt_integer(fn, opts, name, def, lo)
  local v = opts[name]
  if v == nil then return def end
  if math.type(v) ~= "integer" and not (type(v) == "number" and v == math.floor(v) and v == v) then
    error(("%s: option '%s' must be an integer (got %s)"):format(fn, name, tostring(v)), 3)
  end
  v = math.tointeger(v)
  if not v or v < lo then error(("%s: option '%s' must be an integer >= %d"):format(fn, name, lo), 3) end
  return v
end

local function is_dataset(x)
  local mt = type(x) == "userdata" and getmetatable(x)
  return type(mt) == "table" and mt.__name == "knob.Dataset"
end

local function check_dataset(fn, ds, what)
  if not is_dataset(ds) then error(("%s: %s must be a knob.Dataset (got %s)"):format(fn, what, type(ds)), 3) end
  if ds:rows() == 0 then error(("%s: %s has no rows"):format(fn, what), 3) end
end

-- The Model userdata that carries the monitor section: the model itself or a pipeline's model step.
local function carrier(fn, m)
  local pipeline = require "knob.pipeline"
  if not require("knob.model").is_model(m, true) then error(("%s: expected a knob.Model or knob.Pipeline (got %s)"):format(fn, type(m)), 3) end
  if not m:is_fitted() then error(fn .. ": the model is not fitted", 3) end
  if pipeline.is_pipeline(m) then
    local steps = m:steps()
    return steps[#steps]
  end
  return m
end

-- ---- reference statistics ---------------------------------------------------------------------------

local function is_missing(v) return v ~= v end

local function ref_categorical(values, levels)
  local index, counts, missing, count = {}, {}, 0, 0
  for i, l in ipairs(levels) do index[l], counts[i] = i, 0 end
  local extra = {}
  for _, v in ipairs(values) do
    if is_missing(v) then missing = missing + 1
    else
      local s = tostring(v)
      local i = index[s]
      if not i then
        extra[#extra + 1] = s
        i = #levels + #extra
        index[s], counts[i] = i, 0
      end
      counts[i] = counts[i] + 1
      count = count + 1
    end
  end
  local lv = {table.unpack(levels)}
  for _, s in ipairs(extra) do lv[#lv + 1] = s end
  return {kind = "categorical", count = count, missing = missing, levels = lv, counts = counts}
end

local function ref_numeric(values, opts)
  local r = C.numeric_ref(values, {bins = opts.bins, sample = opts.sample})
  r.kind = "numeric"
  return r
end

-- Values of the prediction the reference watches: kind and a values array.
local function prediction_values(m, ds)
  local info = m:info()
  if info.task == "classification" then
    local ok, proba, classes = pcall(m.predict_proba, m, ds)
    if ok and #classes == 2 then
      local v = {}
      for i, row in ipairs(proba) do v[i] = row[2] end
      return "proba", v, classes[2]
    end
    return "class", m:predict(ds)
  end
  return "value", m:predict(ds)
end

--- Compute reference statistics of the training data (and of the model's predictions on it) and attach them.
function M.reference(m, train, opts)
  local fn = "monitor.reference"
  local target = carrier(fn, m)
  check_dataset(fn, train, "the training data")
  opts = check_opts(fn, opts, {"bins", "sample"})
  local o = {bins = opt_integer(fn, opts, "bins", 10, 2), sample = opt_integer(fn, opts, "sample", 1000, 2)}
  if o.bins > 1000 then error(fn .. ": option 'bins' must be <= 1000", 2) end
  local names, kinds = train:names(), train:kinds()
  local features = {}
  for j, name in ipairs(names) do
    local values = train:column(j)
    local f = kinds[j] == "categorical" and ref_categorical(values, train:levels(j)) or ref_numeric(values, o)
    f.name = name
    features[j] = f
  end
  local kind, values, positive = prediction_values(m, train)
  local pred = kind == "class" and ref_categorical(values, {}) or ref_numeric(values, o)
  pred.name, pred.output, pred.positive = "prediction", kind, positive and tostring(positive) or nil
  local ref = {version = VERSION, rows = train:rows(), bins = o.bins, sample = o.sample, features = features,
               prediction = pred}
  C.attach(target, C.encode(ref))
  return ref
end

-- ---- validating a reference (on load) ---------------------------------------------------------------

local function verr(path, why) error({path = path, why = why}, 0) end

local function v_count(x, path)
  if math.type(x) ~= "integer" or x < 0 then verr(path, "must be an integer >= 0") end
end

local function v_numbers(x, path, order)
  if type(x) ~= "table" then verr(path, "must be an array of numbers") end
  for i, v in ipairs(x) do
    if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
      verr(path, "must be an array of finite numbers (entry " .. i .. ")")
    end
    if order == "strict" and i > 1 and not (v > x[i - 1]) then verr(path, "must be strictly increasing") end
    if order == "sorted" and i > 1 and v < x[i - 1] then verr(path, "must be sorted") end
  end
  local n = 0
  for _ in pairs(x) do n = n + 1 end
  if n ~= #x then verr(path, "must be an array") end
end

local function v_counts(x, path, n, total)
  if type(x) ~= "table" or #x ~= n then verr(path, "must be an array of " .. n .. " counts") end
  local s = 0
  for i, c in ipairs(x) do
    v_count(c, path .. "[" .. i .. "]")
    s = s + c
  end
  if s ~= total then verr(path, "must sum to count (" .. total .. ")") end
end

local function v_entry(f, path, allow_outputs)
  if type(f) ~= "table" then verr(path, "must be an object") end
  if type(f.name) ~= "string" then verr(path .. ".name", "must be a string") end
  v_count(f.count, path .. ".count")
  v_count(f.missing, path .. ".missing")
  if allow_outputs then
    if f.output ~= "proba" and f.output ~= "class" and f.output ~= "value" then
      verr(path .. ".output", 'must be "proba", "class" or "value"')
    end
    if (f.output == "class") ~= (f.kind == "categorical") then
      verr(path .. ".kind", "does not match output '" .. f.output .. "'")
    end
  end
  if f.kind == "numeric" then
    v_numbers(f.edges, path .. ".edges", "strict")
    v_counts(f.counts, path .. ".counts", #f.edges + 1, f.count)
    v_numbers(f.sample, path .. ".sample", "sorted")
    if #f.sample > f.count or (f.count > 0 and #f.sample < 1) then
      verr(path .. ".sample", "must hold between 1 and count values")
    end
  elseif f.kind == "categorical" then
    if type(f.levels) ~= "table" then verr(path .. ".levels", "must be an array of strings") end
    local seen = {}
    for i, l in ipairs(f.levels) do
      if type(l) ~= "string" then verr(path .. ".levels", "must be an array of strings (entry " .. i .. ")") end
      if seen[l] then verr(path .. ".levels", "repeats level '" .. l .. "'") end
      seen[l] = true
    end
    v_counts(f.counts, path .. ".counts", #f.levels, f.count)
  else
    verr(path .. ".kind", 'must be "numeric" or "categorical"')
  end
end

local function validate(ref)
  if type(ref) ~= "table" then verr("monitor", "must be an object") end
  if ref.version ~= VERSION then
    verr("monitor.version", "must be " .. VERSION .. " (got " .. tostring(ref.version) .. ")")
  end
  v_count(ref.rows, "monitor.rows")
  if ref.rows < 1 then verr("monitor.rows", "must be >= 1") end
  v_count(ref.bins, "monitor.bins")
  v_count(ref.sample, "monitor.sample")
  if type(ref.features) ~= "table" or #ref.features == 0 then verr("monitor.features", "must be a non-empty array") end
  local names = {}
  for j, f in ipairs(ref.features) do
    local path = "monitor.features[" .. j .. "]"
    v_entry(f, path, false)
    if names[f.name] then verr(path .. ".name", "repeats feature '" .. f.name .. "'") end
    names[f.name] = true
    if f.count + f.missing ~= ref.rows then verr(path .. ".count", "count + missing must equal monitor.rows") end
  end
  v_entry(ref.prediction, "monitor.prediction", true)
end

--- Check the JSON text of a monitor section: the reference table, or nil, "field '<path>' <why>".
function M.validate_section(text)
  local ref, msg = C.decode(text)
  if ref == nil then return nil, "field 'monitor' is " .. msg end
  local ok, e = pcall(validate, ref)
  if ok then return ref end
  if type(e) == "table" then return nil, ("field '%s' %s"):format(e.path, e.why) end
  return nil, "field 'monitor': " .. tostring(e)
end

--- The reference statistics attached to a model or pipeline, or nil.
function M.reference_of(m)
  local text = C.attached(carrier("monitor.reference_of", m))
  if not text then return nil end
  local ref, msg = M.validate_section(text)
  if not ref then error("monitor: " .. msg, 2) end
  return ref
end

-- ---- drift -------------------------------------------------------------------------------------------

local function verdict(psi, th)
  if psi < th.watch then return "stable" end
  if psi < th.drifted then return "watch" end
  return "drifted"
end

local function append(a, ...)
  local out = {table.unpack(a)}
  for _, v in ipairs({...}) do out[#out + 1] = v end
  return out
end

local function check_numeric(f, values, o)
  local counts, missing = C.bin_counts(values, f.edges)
  local r = {name = f.name, kind = "numeric", n_ref = f.count + f.missing, n_new = #values,
             missing_ref = f.missing, missing_new = missing}
  r.psi = C.psi(append(f.counts, f.missing), append(counts, missing), {epsilon = o.epsilon})
  if #f.sample > 0 and missing < #values then
    local d, p, method = C.ks(f.sample, values, {method = o.ks_method})
    r.ks = {statistic = d, p_value = p, method = method}
  end
  return r
end

local function check_categorical(f, values, o)
  local index, counts, missing = {}, {}, 0
  for i, l in ipairs(f.levels) do index[l], counts[i] = i, 0 end
  local unseen, unseen_counts = {}, {}
  for _, v in ipairs(values) do
    if is_missing(v) then missing = missing + 1
    else
      local s = tostring(v)
      local i = index[s]
      if i then counts[i] = counts[i] + 1
      else
        if not unseen_counts[s] then unseen[#unseen + 1] = s unseen_counts[s] = 0 end
        unseen_counts[s] = unseen_counts[s] + 1
      end
    end
  end
  table.sort(unseen)
  local n_unseen = 0
  for _, s in ipairs(unseen) do n_unseen = n_unseen + unseen_counts[s] end
  local r = {name = f.name, kind = "categorical", n_ref = f.count + f.missing, n_new = #values,
             missing_ref = f.missing, missing_new = missing, unseen = unseen, unseen_rows = n_unseen}
  r.psi = C.psi(append(f.counts, 0, f.missing), append(counts, n_unseen, missing), {epsilon = o.epsilon})
  if f.count > 0 and missing < #values then
    local ref_c, new_c = {table.unpack(f.counts)}, {table.unpack(counts)}
    for _, s in ipairs(unseen) do ref_c[#ref_c + 1], new_c[#new_c + 1] = 0, unseen_counts[s] end
    local stat, dof, p = C.chi2(ref_c, new_c)
    r.chi2 = {statistic = stat, dof = dof, p_value = p}
  end
  return r
end

local function check_entry(f, values, o)
  local r = f.kind == "numeric" and check_numeric(f, values, o) or check_categorical(f, values, o)
  r.verdict = verdict(r.psi, o)
  return r
end

--- Compare new data (and the model's predictions on it) with the reference attached to the model.
function M.check(m, new_ds, opts)
  local fn = "monitor.check"
  local target = carrier(fn, m)
  check_dataset(fn, new_ds, "the new data")
  opts = check_opts(fn, opts, {"watch", "drifted", "ks_method", "epsilon"})
  local o = {watch = opt_number(fn, opts, "watch", 0.1, 0), drifted = opt_number(fn, opts, "drifted", 0.25, 0),
             epsilon = opt_number(fn, opts, "epsilon", C.PSI_EPSILON, 1e-12, 0.5), ks_method = opts.ks_method}
  if not (o.watch <= o.drifted) then error(fn .. ": option 'watch' must be <= option 'drifted'", 2) end
  if o.ks_method ~= nil and o.ks_method ~= "auto" and o.ks_method ~= "exact" and o.ks_method ~= "asymp" then
    error(fn .. ": option 'ks_method' must be \"auto\", \"exact\" or \"asymp\" (got " .. tostring(o.ks_method) .. ")", 2)
  end
  local text = C.attached(target)
  if not text then
    error(fn .. ": the model has no reference statistics (call knob.monitor.reference(model, train) before saving it)", 2)
  end
  local ref, msg = M.validate_section(text)
  if not ref then error(fn .. ": " .. msg, 2) end
  local index, kinds = {}, new_ds:kinds()
  for j, name in ipairs(new_ds:names()) do index[name] = j end
  for _, f in ipairs(ref.features) do
    local j = index[f.name]
    if not j then error(("%s: column '%s' is missing from the new data"):format(fn, f.name), 2) end
    if kinds[j] ~= f.kind then
      error(("%s: column '%s' is %s in the reference but %s in the new data"):format(fn, f.name, f.kind, kinds[j]), 2)
    end
  end
  local report = {features = {}, rows = new_ds:rows(), reference_rows = ref.rows, thresholds = {watch = o.watch,
                  drifted = o.drifted}}
  local worst = "stable"
  for i, f in ipairs(ref.features) do
    local r = check_entry(f, new_ds:column(index[f.name]), o)
    report.features[i] = r
    if VERDICTS[r.verdict] > VERDICTS[worst] then worst = r.verdict end
  end
  local ok, kind, values = pcall(prediction_values, m, new_ds)
  if not ok then error(fn .. ": predicting on the new data failed: " .. tostring(kind), 2) end
  local pr = check_entry(ref.prediction, values, o)
  pr.output = kind
  report.prediction = pr
  if VERDICTS[pr.verdict] > VERDICTS[worst] then worst = pr.verdict end
  report.verdict = worst
  local moved = {}
  for i, r in ipairs(report.features) do moved[i] = {name = r.name, psi = r.psi, verdict = r.verdict} end
  table.sort(moved, function(a, b)
    if a.psi ~= b.psi then return a.psi > b.psi end
    return a.name < b.name
  end)
  report.top_moved = moved
  return report
end

local function fmt_p(p)
  if p == nil then return "-" end
  if p < 1e-4 then return ("%.1e"):format(p) end
  return ("%.4f"):format(p)
end

local function test_cells(r)
  if r.ks then return ("KS %.4f"):format(r.ks.statistic), fmt_p(r.ks.p_value) end
  if r.chi2 then return ("chi2 %.2f"):format(r.chi2.statistic), fmt_p(r.chi2.p_value) end
  return "-", "-"
end

--- The report of check() as a text table, one line per feature, then the prediction and the verdict.
function M.format(report)
  if type(report) ~= "table" or type(report.features) ~= "table" or not report.verdict then
    error("monitor.format: expected a report from knob.monitor.check", 2)
  end
  local width = #"prediction"
  for _, r in ipairs(report.features) do width = math.max(width, #r.name) end
  width = math.min(width, 40)
  local lines = {}
  local row = "%-" .. width .. "s  %-11s  %8s  %-13s  %9s  %s"
  lines[1] = row:format("feature", "kind", "psi", "test", "p-value", "verdict")
  local function add(r, name, kind)
    local test, p = test_cells(r)
    local line = row:format(name:sub(1, width), kind, ("%.4f"):format(r.psi), test, p, r.verdict)
    if r.unseen and #r.unseen > 0 then
      local shown = {table.unpack(r.unseen, 1, math.min(5, #r.unseen))}
      line = line .. "  unseen: " .. table.concat(shown, ", ") .. (#r.unseen > 5 and ", ..." or "")
    end
    lines[#lines + 1] = line
  end
  for _, r in ipairs(report.features) do add(r, r.name, r.kind) end
  if report.prediction then add(report.prediction, "prediction", report.prediction.output or "") end
  local top = {}
  for i = 1, math.min(3, #report.top_moved) do
    top[i] = ("%s (%.3f)"):format(report.top_moved[i].name, report.top_moved[i].psi)
  end
  lines[#lines + 1] = ("verdict: %s  (%d new rows vs %d reference rows; PSI watch >= %g, drifted >= %g; most moved: %s)")
    :format(report.verdict, report.rows or 0, report.reference_rows or 0, report.thresholds.watch,
      report.thresholds.drifted, table.concat(top, ", "))
  return table.concat(lines, "\n")
end

-- ---- performance and comparison -----------------------------------------------------------------------

-- A scorer of model m on ds with metric name: score(weights) -> value, plus the metric description.
local function scorer(fn, m, ds, metric)
  local metrics = require "knob.metrics"
  local info = m:info()
  if metric ~= nil and type(metric) ~= "string" then
    error(fn .. ": option 'metric' must be a metric name (got " .. type(metric) .. ")", 3)
  end
  metric = metric or (info.task == "classification" and "accuracy" or "r2")
  local ok, desc = pcall(metrics.get, metric)
  if not ok then error(fn .. ": " .. tostring(desc):gsub("^[^:]*:%d+: ", ""), 3) end
  if ds:task() == "none" then error(fn .. ": the data has no target (labels are needed)", 3) end
  local y = ds:target()
  local pred, base
  if desc.needs_proba then
    local proba, classes = m:predict_proba(ds)
    if #classes == 2 then
      pred = {}
      for i, row in ipairs(proba) do pred[i] = row[2] end
    else pred = proba end
    base = {labels = classes}
  else
    pred, base = m:predict(ds), {}
  end
  local function score(w)
    local o = {}
    for k, v in pairs(base) do o[k] = v end
    o.sample_weight = w
    return desc.fn(y, pred, o)
  end
  return score, desc
end

-- Linear-interpolation percentile (numpy's default) of sorted values at q in [0, 1].
local function quantile(sorted, q)
  local pos = q * (#sorted - 1)
  local lo = math.floor(pos)
  local hi = math.min(lo + 1, #sorted - 1)
  return sorted[lo + 1] + (sorted[hi + 1] - sorted[lo + 1]) * (pos - lo)
end

-- Bootstrap statistic(w) over n_boot resamples; returns the sorted finite values and how many failed.
local function bootstrap(n, n_boot, seed, statistic)
  local vals, failed = {}, 0
  for r = 1, n_boot do
    local ok, v = pcall(statistic, C.bootstrap_weights(n, seed, r))
    if ok and type(v) == "number" and v == v then vals[#vals + 1] = v else failed = failed + 1 end
  end
  table.sort(vals)
  return vals, failed
end

local function boot_opts(fn, opts)
  local o = {n_boot = opt_integer(fn, opts, "n_boot", 1000, 10), seed = opt_integer(fn, opts, "seed", 0, 0),
             alpha = opt_number(fn, opts, "alpha", 0.05, 1e-6, 0.5)}
  if o.alpha >= 0.5 then error(fn .. ": option 'alpha' must be < 0.5", 3) end
  return o
end

local function interval(fn, vals, failed, o)
  if #vals < o.n_boot / 2 then
    error(("%s: the metric is undefined on %d of %d bootstrap resamples (too few rows?)"):format(fn, failed, o.n_boot), 3)
  end
  return {quantile(vals, o.alpha / 2), quantile(vals, 1 - o.alpha / 2)}
end

--- The metric on a labelled batch with a bootstrap interval, compared with a baseline value.
function M.performance(m, batch, opts)
  local fn = "monitor.performance"
  carrier(fn, m)
  check_dataset(fn, batch, "the batch")
  opts = check_opts(fn, opts, {"metric", "baseline", "tolerance", "n_boot", "seed", "alpha"})
  local o = boot_opts(fn, opts)
  local baseline = opts.baseline ~= nil and opt_number(fn, opts, "baseline", nil) or nil
  local tolerance = opt_number(fn, opts, "tolerance", 0, 0)
  local score, desc = scorer(fn, m, batch, opts.metric)
  local value = score(nil)
  local vals, failed = bootstrap(batch:rows(), o.n_boot, o.seed, score)
  local ci = interval(fn, vals, failed, o)
  local degraded
  if baseline then
    if desc.greater_is_better then degraded = ci[2] < baseline - tolerance
    else degraded = ci[1] > baseline + tolerance end
  end
  return {metric = desc.name, greater_is_better = desc.greater_is_better, value = value, ci = ci,
          level = 1 - o.alpha, baseline = baseline, tolerance = tolerance, degraded = degraded,
          rows = batch:rows(), n_boot = o.n_boot, n_failed = failed, seed = o.seed}
end

--- Candidate vs production on the same labelled rows: McNemar (classifiers), paired bootstrap, decision.
function M.compare(candidate, production, ds, opts)
  local fn = "monitor.compare"
  carrier(fn, candidate)
  carrier(fn, production)
  check_dataset(fn, ds, "the labelled data")
  opts = check_opts(fn, opts, {"metric", "n_boot", "seed", "alpha"})
  local o = boot_opts(fn, opts)
  local task_c, task_p = candidate:info().task, production:info().task
  if task_c ~= task_p then error(("%s: the candidate is a %s model but production is %s"):format(fn, task_c, task_p), 2) end
  local score_c, desc = scorer(fn, candidate, ds, opts.metric)
  local score_p = scorer(fn, production, ds, desc.name)
  local sign = desc.greater_is_better and 1 or -1
  local vc, vp = score_c(nil), score_p(nil)
  local vals, failed = bootstrap(ds:rows(), o.n_boot, o.seed, function(w) return sign * (score_c(w) - score_p(w)) end)
  local ci = interval(fn, vals, failed, o)
  local out = {metric = desc.name, candidate = vc, production = vp, improvement = sign * (vc - vp), ci = ci,
               level = 1 - o.alpha, alpha = o.alpha, n_boot = o.n_boot, n_failed = failed, seed = o.seed,
               rows = ds:rows()}
  local significant = ci[1] > 0
  if task_c == "classification" then
    local y, pc, pp = ds:target(), candidate:predict(ds), production:predict(ds)
    local b, c = 0, 0
    for i = 1, #y do
      local t = tostring(y[i])
      local rc, rp = tostring(pc[i]) == t, tostring(pp[i]) == t
      if rc and not rp then b = b + 1 elseif rp and not rc then c = c + 1 end
    end
    local exact = b + c < 25
    local stat, p = C.mcnemar(b, c, {exact = exact})
    out.mcnemar = {b = b, c = c, statistic = stat, p_value = p, method = exact and "exact" or "chi2"}
    significant = significant and p < o.alpha
    out.reason = ("improvement %s, %d%% interval [%.4g, %.4g], McNemar p = %.4g (b = %d, c = %d)")
      :format(("%.4g"):format(out.improvement), math.floor(100 * (1 - o.alpha) + 0.5), ci[1], ci[2], p, b, c)
  else
    out.reason = ("improvement %.4g, %d%% interval [%.4g, %.4g]")
      :format(out.improvement, math.floor(100 * (1 - o.alpha) + 0.5), ci[1], ci[2])
  end
  out.decision = significant and "promote" or "keep"
  return out
end

--- Nadeau–Bengio corrected resampled t-test on paired CV scores.
function M.corrected_ttest(a, b, n_train, n_test)
  local fn = "monitor.corrected_ttest"
  if type(a) ~= "table" then error(fn .. ": scores_a must be an array of numbers (got " .. type(a) .. ")", 2) end
  if type(b) ~= "table" then error(fn .. ": scores_b must be an array of numbers (got " .. type(b) .. ")", 2) end
  for _, pair in ipairs({{"n_train", n_train}, {"n_test", n_test}}) do
    if type(pair[2]) ~= "number" or not (pair[2] > 0) then
      local got = pair[2] ~= pair[2] and "NaN" or tostring(pair[2])
      error(("%s: %s must be a number > 0 (got %s)"):format(fn, pair[1], got), 2)
    end
  end
  local ok, t, p = pcall(C.corrected_ttest, a, b, n_train, n_test)
  if not ok then error(fn .. ": " .. tostring(t):gsub("^corrected_ttest: ", ""), 2) end
  return {t = t, p_value = p, df = #a - 1}
end

return M
