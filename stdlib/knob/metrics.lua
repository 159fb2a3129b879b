-- knob.metrics — classification and regression metrics with scikit-learn 1.2.1 semantics.
--
-- Every function takes Lua arrays and an optional options table (an unknown option is an error):
--   accuracy(y_true, y_pred, {sample_weight})                balanced_accuracy(y_true, y_pred, {sample_weight})
--   precision / recall / f1(y_true, y_pred,
--                           {average = "binary", pos_label, labels, sample_weight, zero_division})
--   fbeta(y_true, y_pred, {beta = b, ...same})               mcc(y_true, y_pred, {sample_weight})
--   kappa(y_true, y_pred, {weights = "linear"|"quadratic", labels, sample_weight})
--   confusion_matrix(y_true, y_pred, {labels, sample_weight, normalize = "true"|"pred"|"all"})
--                                                                        -> matrix, labels
--   report(y_true, y_pred, {labels, sample_weight, zero_division, digits = 2}) -> table, string
--   roc_auc / average_precision(y_true, y_score, {average = "macro", labels, pos_label, sample_weight})
--   log_loss(y_true, y_proba, {labels, sample_weight})        brier(y_true, y_prob, {pos_label, sample_weight})
--   mse rmse mae r2 mape explained_variance median_absolute_error (y_true, y_pred, {sample_weight})
--   max_error(y_true, y_pred)
--   get(name) -> {name, fn, greater_is_better, needs_proba}; names() -> sorted metric names
--
-- Labels. Class labels may be numbers or strings (not both). The classes are the union of the labels in
-- y_true and y_pred (y_true alone for score/probability metrics), sorted (numbers numerically, strings
-- bytewise), or the `labels` option, taken in the order given: every label in the data must be in it
-- (scikit-learn drops the others silently; knob raises). Probability matrices (arrays of rows) have one column
-- per class in that order; a score array of numbers is the score of the positive class.
--
-- Positive class (average = "binary", roc_auc / average_precision / log_loss on a score array, brier):
-- pos_label when given; otherwise the second of the two classes: the larger (last sorted) one, so 1 for {0, 1}
-- and {-1, 1} as scikit-learn's pos_label=1 and "yes" for {"no", "yes"} (where scikit-learn asks for
-- pos_label), or the second entry of the `labels` option when that is given. With a single class present,
-- a number label in {-1, 0, 1} uses pos_label = 1 like scikit-learn (so {0} has no positives); any other
-- single label needs pos_label. pos_label with average ~= "binary" is an error (not
-- ignored with a warning as in scikit-learn).
--
-- Deviations from scikit-learn (the numeric ones also in engine/include/knob/metrics.h): zero_division is 0
-- without a warning ("warn" is accepted as 0); R^2 with one sample, Cohen's kappa 0/0, ROC AUC and average
-- precision with one class in y_true are errors (scikit-learn: NaN / -0.0 / 1.0 with warnings); log_loss
-- rejects probabilities outside [0, 1] or rows not summing to 1 (1.2.1 clips and renormalizes silently;
-- within tolerance knob clips with eps = DBL_EPSILON and renormalizes exactly like 1.2.1); sample weights must
-- be >= 0; average_precision on a probability matrix is one-vs-rest (scikit-learn 1.3's multiclass AP).
-- Weights are accepted by every metric except max_error.
local core = require "knob.core"
local C = core.metrics

local M = {}

local function fail(name, msg)
  error(name .. ": " .. msg, 0)
end

-- Call a knob.core.metrics function; its errors are re-raised under the user-facing name.
local function call(name, f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] then
    local msg = tostring(r[2]):gsub("^[%w_]+: ", "")
    fail(name, msg)
  end
  return table.unpack(r, 2, r.n)
end

local function show(v)
  if v ~= v then return "NaN" end
  return type(v) == "string" and ("'" .. v .. "'") or tostring(v)
end

local function show_list(list)
  local t = {}
  for i = 1, math.min(#list, 20) do t[i] = show(list[i]) end
  if #list > 20 then t[#t + 1] = "..." end
  return table.concat(t, ", ")
end

---------------------------------------------------------------------------------------------------------------
-- Options
---------------------------------------------------------------------------------------------------------------

-- Type of each option: a Lua type name, or a function returning an error text for a bad value.
local option_types = {
  sample_weight = "table",
  labels = "table",
  average = "string",
  beta = "number",
  weights = "string",
  normalize = "string",
  digits = function(v)
    if math.type(v) ~= "integer" or v < 0 or v > 17 then return "must be an integer in 0..17" end
  end,
  pos_label = function(v)
    local t = type(v)
    if (t ~= "number" and t ~= "string") or v ~= v then return "must be a number or a string" end
  end,
  zero_division = function(v)
    if v ~= 0 and v ~= 1 and v ~= "warn" then return "must be 0, 1 or 'warn'" end
  end,
}

local function check_opts(name, opts, valid)
  if opts == nil then return {} end
  if type(opts) ~= "table" then fail(name, "options must be a table (got " .. type(opts) .. ")") end
  for k, v in pairs(opts) do
    local ok = false
    for _, o in ipairs(valid) do
      if k == o then ok = true end
    end
    if not ok then
      fail(name, ("unknown option '%s' (valid: %s)"):format(tostring(k), table.concat(valid, ", ")))
    end
    local t = option_types[k]
    if type(t) == "string" and type(v) ~= t then
      fail(name, ("option '%s' must be a %s (got %s)"):format(k, t, type(v)))
    elseif type(t) == "function" then
      local msg = t(v)
      if msg then fail(name, ("option '%s' %s (got %s)"):format(k, msg, show(v))) end
    end
  end
  return opts
end

local function check_array(name, what, t)
  if type(t) ~= "table" then fail(name, ("%s must be an array (got %s)"):format(what, type(t))) end
  local n = #t
  if n == 0 then fail(name, what .. " is empty") end
  return n
end

local function check_lengths(name, a, na, b, nb)
  if na ~= nb then fail(name, ("%s and %s have different lengths (%d and %d)"):format(a, b, na, nb)) end
end

---------------------------------------------------------------------------------------------------------------
-- Labels -> class codes
---------------------------------------------------------------------------------------------------------------

-- Check one label value; returns its kind ("number" or "string").
local function label_kind(name, what, i, v)
  local t = type(v)
  if t == "number" then
    if v ~= v then fail(name, ("%s entry %d is NaN"):format(what, i)) end
  elseif t ~= "string" then
    fail(name, ("%s entry %d must be a number or a string (got %s)"):format(what, i, t))
  end
  return t
end

local function mixed(name)
  fail(name, "labels mix numbers and strings")
end

-- The classes of the given arrays: {list = sorted labels (or opts.labels), code = {label -> 0-based code},
-- k = #list, codes = {array of codes per input}}. arrays = {{what, t, n}, ...}.
local function encode(name, arrays, labels)
  local list, code, kind = {}, {}, nil
  if labels ~= nil then
    for i = 1, check_array(name, "option 'labels'", labels) do
      local v = labels[i]
      local t = label_kind(name, "option 'labels'", i, v)
      if kind and t ~= kind then mixed(name) end
      kind = t
      if code[v] then fail(name, "option 'labels' repeats " .. show(v)) end
      code[v] = i - 1
      list[i] = v
    end
  else
    for _, a in ipairs(arrays) do
      local what, t = a[1], a[2]
      for i = 1, a[3] do
        local v = t[i]
        if code[v] == nil then
          local tv = label_kind(name, what, i, v)
          if kind and tv ~= kind then mixed(name) end
          kind = tv
          code[v] = true
          list[#list + 1] = v
        end
      end
    end
    table.sort(list)
    for i, v in ipairs(list) do code[v] = i - 1 end
  end
  local k = #list
  local enc = {list = list, code = code, k = k, codes = {}}
  -- fast path: labels already 0..k-1 in order, no explicit labels: the arrays are their own codes
  local identity = labels == nil and kind == "number"
  for i = 1, k do
    if list[i] ~= i - 1 then identity = false end
  end
  for j, a in ipairs(arrays) do
    local what, t, n = a[1], a[2], a[3]
    if identity then
      enc.codes[j] = t
    else
      local c = {}
      for i = 1, n do
        local v = t[i]
        local ci = code[v]
        if ci == nil then
          label_kind(name, what, i, v)
          fail(name, ("%s entry %d (%s) is not one of the labels (%s)"):format(what, i, show(v), show_list(list)))
        end
        c[i] = ci
      end
      enc.codes[j] = c
    end
  end
  return enc
end

-- Code of the positive class (see the header), or nil when the positive class is absent from the labels.
local function positive(name, enc, pos_label)
  local list = enc.list
  if pos_label ~= nil then
    local c = enc.code[pos_label]
    if c == nil and #list >= 2 then
      fail(name, ("pos_label=%s is not a valid label (labels: %s)"):format(show(pos_label), show_list(list)))
    end
    return c
  end
  if #list == 2 then return 1 end
  if #list == 1 then
    local v = list[1]
    if v == 1 then return 0 end
    if v == 0 or v == -1 then return nil end
    fail(name, ("cannot tell the positive class from the single label %s; pass pos_label"):format(show(v)))
  end
  fail(name, ("a binary metric needs 2 labels, got %d (%s)"):format(#list, show_list(list)))
end

-- Common start of the label-vs-label metrics.
local function prep_labels(name, y_true, y_pred, opts, valid)
  opts = check_opts(name, opts, valid)
  local n = check_array(name, "y_true", y_true)
  local m = check_array(name, "y_pred", y_pred)
  check_lengths(name, "y_true", n, "y_pred", m)
  return opts, encode(name, {{"y_true", y_true, n}, {"y_pred", y_pred, m}}, opts.labels)
end

local function core_opts(enc, opts, extra)
  local o = {n_classes = enc.k, sample_weight = opts.sample_weight}
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

---------------------------------------------------------------------------------------------------------------
-- Label metrics
---------------------------------------------------------------------------------------------------------------

local function simple_label_metric(name, core_fn)
  return function(y_true, y_pred, opts)
    local o, enc = prep_labels(name, y_true, y_pred, opts, {"sample_weight"})
    return call(name, core_fn, enc.codes[1], enc.codes[2], core_opts(enc, o))
  end
end

--- Accuracy: the (weighted) fraction of exact matches.
M.accuracy = simple_label_metric("accuracy", C.accuracy)
--- Balanced accuracy: mean recall over the classes present in y_true.
M.balanced_accuracy = simple_label_metric("balanced_accuracy", C.balanced_accuracy)
--- Matthews correlation coefficient (multiclass R_K); 0 when y_true or y_pred is constant.
M.mcc = simple_label_metric("mcc", C.mcc)

--- Cohen's kappa; weights = nil (unweighted), "linear" or "quadratic" (by position in the class order).
function M.kappa(y_true, y_pred, opts)
  local o, enc = prep_labels("kappa", y_true, y_pred, opts, {"labels", "sample_weight", "weights"})
  return call("kappa", C.kappa, enc.codes[1], enc.codes[2], core_opts(enc, o, {weights = o.weights}))
end

-- precision / recall / F-beta. which: 1 precision, 2 recall, 3 F.
local prf_options = {"average", "labels", "pos_label", "sample_weight", "zero_division"}
local fbeta_options = {"average", "beta", "labels", "pos_label", "sample_weight", "zero_division"}

local function prf(name, which, y_true, y_pred, opts, valid)
  local o, enc = prep_labels(name, y_true, y_pred, opts, valid)
  local average = o.average or "binary"
  local k, pos = enc.k, 0
  if average == "binary" then
    if k > 2 then
      fail(name, ("average 'binary' needs 2 labels, got %d (%s); use average 'macro', 'micro', 'weighted' or "
        .. "'none'"):format(k, show_list(enc.list)))
    end
    pos = positive(name, enc, o.pos_label)
    if pos == nil then k, pos = 2, 1 end -- the positive class is absent: a phantom class with no samples
  elseif o.pos_label ~= nil then
    fail(name, "pos_label is only used with average 'binary' (got average '" .. average .. "')")
  end
  local zd = o.zero_division == 1 and 1 or 0
  local p, r, f = call(name, C.prf, enc.codes[1], enc.codes[2], {n_classes = k,
    sample_weight = o.sample_weight, average = average, pos = pos, beta = o.beta, zero_division = zd})
  local v = ({p, r, f})[which]
  if average == "none" then return v, enc.list end
  return v
end

local function prf_metric(name, which, valid)
  return function(y_true, y_pred, opts)
    local v, labels = prf(name, which, y_true, y_pred, opts, valid)
    return v, labels
  end
end

--- Precision; average = "binary" (default), "micro", "macro", "weighted" or "none" (returns per-class values
--- and the labels).
M.precision = prf_metric("precision", 1, prf_options)
--- Recall; options as precision.
M.recall = prf_metric("recall", 2, prf_options)
--- F1 score; options as precision.
M.f1 = prf_metric("f1", 3, prf_options)
local fbeta = prf_metric("fbeta", 3, fbeta_options)

--- F-beta score: opts.beta is required (>= 0; math.huge gives recall).
function M.fbeta(y_true, y_pred, opts)
  if type(opts) ~= "table" or opts.beta == nil then fail("fbeta", "option 'beta' is required") end
  return fbeta(y_true, y_pred, opts)
end

--- Confusion matrix (rows = true class, columns = predicted class) and the class labels.
--- normalize = "true" (rows sum to 1), "pred" (columns) or "all"; an all-zero row/column stays 0.
function M.confusion_matrix(y_true, y_pred, opts)
  local name = "confusion_matrix"
  local o, enc = prep_labels(name, y_true, y_pred, opts, {"labels", "normalize", "sample_weight"})
  local norm = o.normalize
  if norm ~= nil and norm ~= "true" and norm ~= "pred" and norm ~= "all" then
    fail(name, "option 'normalize' must be one of true, pred, all (got '" .. norm .. "')")
  end
  local cm = call(name, C.confusion, enc.codes[1], enc.codes[2], core_opts(enc, o))
  local k = enc.k
  if norm then
    local rows, cols, all = {}, {}, 0
    for i = 1, k do
      for j = 1, k do
        rows[i] = (rows[i] or 0) + cm[i][j]
        cols[j] = (cols[j] or 0) + cm[i][j]
        all = all + cm[i][j]
      end
    end
    for i = 1, k do
      for j = 1, k do
        local d = norm == "true" and rows[i] or norm == "pred" and cols[j] or all
        cm[i][j] = d ~= 0 and cm[i][j] / d or 0.0
      end
    end
  elseif o.sample_weight == nil then
    for i = 1, k do
      for j = 1, k do cm[i][j] = math.tointeger(cm[i][j]) end
    end
  end
  return cm, enc.list
end

---------------------------------------------------------------------------------------------------------------
-- Classification report
---------------------------------------------------------------------------------------------------------------

-- Python's str() of the support: an int when unweighted, else the shortest round-trip float ("4.5", "1.0").
local function fmt_support(v, weighted)
  if not weighted then return tostring(math.tointeger(v)) end
  local s
  for digits = 1, 17 do
    s = ("%." .. digits .. "g"):format(v)
    if tonumber(s) == v then break end
  end
  if not s:find("[%.eEn]") then s = s .. ".0" end
  return s
end

--- Per-class precision, recall, f1-score and support plus accuracy, macro and weighted averages, as
--- scikit-learn's classification_report: returns the table (output_dict=True shape: t[label] = {precision,
--- recall, ["f1-score"], support}, t.accuracy, t["macro avg"], t["weighted avg"]; "micro avg" replaces
--- accuracy when `labels` lists classes absent from the data) and the formatted text.
function M.report(y_true, y_pred, opts)
  local name = "report"
  local o, enc = prep_labels(name, y_true, y_pred, opts, {"digits", "labels", "sample_weight", "zero_division"})
  local zd = o.zero_division == 1 and 1 or 0
  local function run(average)
    return call(name, C.prf, enc.codes[1], enc.codes[2], core_opts(enc, o, {average = average,
      zero_division = zd}))
  end
  local p, r, f, support = run("none")
  local weighted = o.sample_weight ~= nil
  local total = 0
  for i = 1, enc.k do
    if not weighted then support[i] = math.tointeger(support[i]) end
    total = total + support[i]
  end
  -- accuracy row unless `labels` names classes absent from both y_true and y_pred (then "micro avg")
  local present = {}
  for j = 1, 2 do
    local codes = enc.codes[j]
    for i = 1, #codes do present[codes[i]] = true end
  end
  local micro_is_accuracy = true
  for c = 0, enc.k - 1 do
    if not present[c] then micro_is_accuracy = false end
  end
  local t, rows = {}, {}
  for i, label in ipairs(enc.list) do
    t[label] = {precision = p[i], recall = r[i], ["f1-score"] = f[i], support = support[i]}
    rows[i] = {tostring(label), p[i], r[i], f[i], support[i]}
  end
  local avgs = {}
  for _, average in ipairs({"micro", "macro", "weighted"}) do
    local ap, ar, af = run(average)
    local heading = average .. " avg"
    if average == "micro" and micro_is_accuracy then
      heading = "accuracy"
      t.accuracy = ap
    else
      t[heading] = {precision = ap, recall = ar, ["f1-score"] = af, support = total}
    end
    avgs[#avgs + 1] = {heading, ap, ar, af, total}
  end
  -- text, laid out exactly as scikit-learn's
  local digits = o.digits or 2
  local width = #"weighted avg"
  for _, row in ipairs(rows) do width = math.max(width, #row[1]) end
  width = math.max(width, digits)
  local num = (" %9." .. digits .. "f")
  local out = {(" "):rep(width) .. " " .. (" %9s"):rep(4):format("precision", "recall", "f1-score", "support"),
    "\n\n"}
  local function line(row)
    out[#out + 1] = ("%" .. width .. "s "):format(row[1]) .. num:rep(3):format(row[2], row[3], row[4])
      .. (" %9s\n"):format(fmt_support(row[5], weighted))
  end
  for _, row in ipairs(rows) do line(row) end
  out[#out + 1] = "\n"
  for _, row in ipairs(avgs) do
    if row[1] == "accuracy" then
      out[#out + 1] = ("%" .. width .. "s "):format("accuracy") .. (" "):rep(20) .. num:format(row[4])
        .. (" %9s\n"):format(fmt_support(row[5], weighted))
    else
      line(row)
    end
  end
  return t, table.concat(out)
end

---------------------------------------------------------------------------------------------------------------
-- Scores and probabilities
---------------------------------------------------------------------------------------------------------------

-- Classify a score argument: "vector" (array of numbers) or "matrix" (array of rows), with its length.
local function score_shape(name, what, s)
  local n = check_array(name, what, s)
  return type(s[1]) == "table" and "matrix" or "vector", n
end

-- y01 array: 1 where the code is pos.
local function binary01(codes, pos)
  local y = {}
  for i = 1, #codes do y[i] = codes[i] == pos and 1 or 0 end
  return y
end

local function column(rows, j)
  local c = {}
  for i = 1, #rows do
    local r = rows[i]
    c[i] = type(r) == "table" and r[j] or r -- a malformed row is reported by the core
  end
  return c
end

local function n_cols(rows)
  return #rows[1]
end

-- Common start of the score / probability metrics: options, y_true vs scores, classes of y_true.
local function prep_scores(name, y_true, scores, what, opts, valid)
  local o = check_opts(name, opts, valid)
  local n = check_array(name, "y_true", y_true)
  local shape, m = score_shape(name, what, scores)
  check_lengths(name, "y_true", n, what, m)
  return o, encode(name, {{"y_true", y_true, n}}, o.labels), shape
end

-- Shared by roc_auc and average_precision.
local function ranking(name, title, binary_fn, ovr_fn, y_true, y_score, opts)
  local o, enc, shape = prep_scores(name, y_true, y_score, "y_score", opts,
    {"average", "labels", "pos_label", "sample_weight"})
  local k = enc.k
  if shape == "matrix" then
    local cols = n_cols(y_score)
    if cols ~= k then
      fail(name, ("y_score has %d columns but there are %d classes (%s); pass labels to name the columns")
        :format(cols, k, show_list(enc.list)))
    end
  end
  if k == 1 then
    fail(name, ("%s is undefined when y_true has only one class (%s)"):format(title, show(enc.list[1])))
  end
  if shape == "vector" or k == 2 then
    if shape == "vector" and k > 2 then
      fail(name, ("y_true has %d classes but y_score is one score per sample; pass a matrix with one column "
        .. "per class for one-vs-rest"):format(k))
    end
    local pos = positive(name, enc, o.pos_label)
    local s = shape == "vector" and y_score or column(y_score, pos + 1)
    return call(name, binary_fn, binary01(enc.codes[1], pos), s, {sample_weight = o.sample_weight})
  end
  if o.pos_label ~= nil then fail(name, "pos_label is only used for binary y_true") end
  local v = call(name, ovr_fn, enc.codes[1], y_score, {average = o.average or "macro",
    sample_weight = o.sample_weight})
  if o.average == "none" then return v, enc.list end
  return v
end

--- ROC AUC. y_score: the positive-class scores (binary), or an n x k probability matrix (binary: the
--- positive class's column; multiclass: one-vs-rest, average = "macro" (default), "weighted" or "none").
function M.roc_auc(y_true, y_score, opts)
  return ranking("roc_auc", "ROC AUC", C.roc_auc, C.roc_auc_ovr, y_true, y_score, opts)
end

--- Average precision (step integral of the precision-recall curve), with the same inputs as roc_auc.
function M.average_precision(y_true, y_score, opts)
  return ranking("average_precision", "average precision", C.average_precision, C.average_precision_ovr, y_true,
    y_score, opts)
end

--- Log loss from an n x k probability matrix (columns = classes in order) or, for two classes, the
--- probability of the second class.
function M.log_loss(y_true, y_proba, opts)
  local name = "log_loss"
  local o, enc, shape = prep_scores(name, y_true, y_proba, "y_proba", opts, {"labels", "sample_weight"})
  if enc.k == 1 then
    fail(name, ("y_true contains only one label (%s); pass the labels option"):format(show(enc.list[1])))
  end
  local co = {sample_weight = o.sample_weight}
  if shape == "vector" then
    if enc.k ~= 2 then
      fail(name, ("y_proba is one probability per sample but there are %d classes"):format(enc.k))
    end
    return call(name, C.log_loss_binary, binary01(enc.codes[1], 1), y_proba, co)
  end
  local cols = n_cols(y_proba)
  if cols ~= enc.k then
    fail(name, ("y_proba has %d columns but there are %d classes (%s); pass labels"):format(cols, enc.k,
      show_list(enc.list)))
  end
  return call(name, C.log_loss, enc.codes[1], y_proba, co)
end

--- Brier score of the positive-class probability (or of the positive column of an n x 2 matrix).
function M.brier(y_true, y_prob, opts)
  local name = "brier"
  local o, enc, shape = prep_scores(name, y_true, y_prob, "y_prob", opts, {"pos_label", "sample_weight"})
  if enc.k > 2 then
    fail(name, ("only binary y_true is supported (got %d classes: %s)"):format(enc.k, show_list(enc.list)))
  end
  local pos = positive(name, enc, o.pos_label)
  if shape == "matrix" then
    local cols = n_cols(y_prob)
    if enc.k ~= 2 or cols ~= 2 then fail(name, "a probability matrix needs 2 columns and 2 classes") end
    y_prob = column(y_prob, pos + 1)
  end
  return call(name, C.brier, binary01(enc.codes[1], pos), y_prob, {sample_weight = o.sample_weight})
end

---------------------------------------------------------------------------------------------------------------
-- Regression
---------------------------------------------------------------------------------------------------------------

local function regression(name, core_fn, valid)
  return function(y_true, y_pred, opts)
    local o = check_opts(name, opts, valid)
    check_array(name, "y_true", y_true)
    check_array(name, "y_pred", y_pred)
    return call(name, core_fn, y_true, y_pred, o.sample_weight and {sample_weight = o.sample_weight} or nil)
  end
end

local weight_only = {"sample_weight"}
--- Mean squared error.
M.mse = regression("mse", C.mse, weight_only)
--- Root mean squared error.
M.rmse = regression("rmse", C.rmse, weight_only)
--- Mean absolute error.
M.mae = regression("mae", C.mae, weight_only)
--- R^2 (1.0 for a perfect fit of a constant y_true, 0.0 for an imperfect one; error with one sample).
M.r2 = regression("r2", C.r2, weight_only)
--- Mean absolute percentage error, as a fraction, |e| / max(|y_true|, DBL_EPSILON).
M.mape = regression("mape", C.mape, weight_only)
--- Explained variance score.
M.explained_variance = regression("explained_variance", C.explained_variance, weight_only)
--- Median absolute error (weighted: scikit-learn's weighted 50th percentile).
M.median_absolute_error = regression("median_absolute_error", C.median_absolute_error, weight_only)
--- Largest absolute error (no weights).
M.max_error = regression("max_error", C.max_error, {})

---------------------------------------------------------------------------------------------------------------
-- Registry: metrics by name, for cross-validation and tuning
---------------------------------------------------------------------------------------------------------------

-- fn with some options fixed (passing a different value for one of them is an error).
local function fixed(name, fn, fix)
  return function(y_true, y_pred, opts)
    if opts ~= nil and type(opts) ~= "table" then fail(name, "options must be a table (got " .. type(opts) .. ")") end
    local o = {}
    for k, v in pairs(opts or {}) do o[k] = v end
    for k, v in pairs(fix) do
      if o[k] ~= nil and o[k] ~= v then fail(name, ("option '%s' is fixed to %s"):format(k, show(v))) end
      o[k] = v
    end
    return fn(y_true, y_pred, o)
  end
end

local registry = {
  accuracy = {M.accuracy, true},
  balanced_accuracy = {M.balanced_accuracy, true},
  f1 = {M.f1, true},
  precision = {M.precision, true},
  recall = {M.recall, true},
  mcc = {M.mcc, true},
  kappa = {M.kappa, true},
  roc_auc = {M.roc_auc, true, true},
  average_precision = {M.average_precision, true, true},
  log_loss = {M.log_loss, false, true},
  brier = {M.brier, false, true},
  mse = {M.mse, false},
  rmse = {M.rmse, false},
  mae = {M.mae, false},
  r2 = {M.r2, true},
  mape = {M.mape, false},
  explained_variance = {M.explained_variance, true},
  max_error = {M.max_error, false},
  median_absolute_error = {M.median_absolute_error, false},
}
for _, avg in ipairs({"macro", "micro", "weighted"}) do
  for _, m in ipairs({"f1", "precision", "recall"}) do
    local name = m .. "_" .. avg
    registry[name] = {fixed(name, M[m], {average = avg}), true}
  end
end
registry.roc_auc_ovr = {fixed("roc_auc_ovr", M.roc_auc, {average = "macro"}), true, true}
registry.roc_auc_ovr_weighted = {fixed("roc_auc_ovr_weighted", M.roc_auc, {average = "weighted"}), true, true}

--- Sorted list of the metric names get() knows.
function M.names()
  local t = {}
  for k in pairs(registry) do t[#t + 1] = k end
  table.sort(t)
  return t
end

--- A metric by name: {name =, fn = function(y_true, y_pred_or_scores, opts), greater_is_better =,
--- needs_proba =}. needs_proba metrics take positive-class scores or a probability matrix (one column per
--- class, in sorted label order). Unknown names are an error listing the valid ones.
function M.get(name)
  local r = type(name) == "string" and registry[name]
  if not r then
    fail("metrics.get", ("unknown metric %s (valid: %s)"):format(show(name), table.concat(M.names(), ", ")))
  end
  return {name = name, fn = r[1], greater_is_better = r[2], needs_proba = r[3] or false}
end

return M
