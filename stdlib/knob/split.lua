-- knob.split — train/test splits and cross-validation splitters.
--
--   local train, test = knob.split.train_test(ds, {test = 0.2, stratify = true, seed = 42})
--   local cv = knob.split.stratified_kfold{k = 5, shuffle = true, seed = 1}
--   for fold, tr, te in cv:iter(train) do ... end
--   knob.split.for_task(ds:task(), 5, seed [, stratified = true])   shuffled (stratified) k-fold for the task
--
-- Row indices are 1-based and ascending inside every part. Dataset parts are views that share the
-- original's values (no copy). Without shuffling, kfold / stratified_kfold / group_kfold / time_series
-- give exactly scikit-learn 1.2's folds; shuffled, they use knob's own seeded generator (the same seed
-- gives the same folds on every machine, but not the folds scikit-learn would give).
--
-- Choices that differ from scikit-learn, on purpose:
--   * seed defaults to 0 (deterministic), and giving a seed with shuffle = false is an error.
--   * stratified k-fold with a class smaller than k is an error (scikit-learn only warns): some fold would
--     have no row of that class.
--   * stratified train/test with a single-row class is an error (as scikit-learn); with shuffle = false
--     it is allowed and takes each class's last rows as test rows (scikit-learn refuses).
--   * test = a fraction in (0, 1) (rounded up, like scikit-learn) or a whole number of rows.
local core = require "knob.core"
local C = core.split

local split = {}

local function is_dataset(x)
  local mt = type(x) == "userdata" and getmetatable(x)
  return type(mt) == "table" and mt.__name == "knob.Dataset"
end

local function check_dataset(what, ds)
  if not is_dataset(ds) then
    error(what .. ": a knob.Dataset expected (got " .. type(ds) .. "); for a row count use the *_indices " ..
      "functions or Splitter:split", 3)
  end
end

--- Row indices of a train/test split of a row count or a Dataset.
-- opts: test (0.2: fraction or row count), shuffle (true), stratify (false; true uses the dataset's
-- classification target or option y), seed (0), y (class labels per row, numbers or strings).
-- @return train, test: arrays of 1-based row indices (ascending)
function split.train_test_indices(n_or_ds, opts)
  return C.train_test_indices(n_or_ds, opts)
end

--- Split a Dataset into train and test views (same options as train_test_indices).
-- @return train_ds, test_ds, train_idx, test_idx
function split.train_test(ds, opts)
  check_dataset("knob.split.train_test", ds)
  local tr, te = C.train_test_indices(ds, opts)
  return C.view(ds, tr), C.view(ds, te), tr, te
end

--- A Dataset view of the given 1-based rows (repeats allowed), sharing ds's values.
split.view = C.view

-- Splitter objects ------------------------------------------------------------------------------------

local Splitter = {}
Splitter.__index = Splitter

--- The folds of a row count or a Dataset: { {train = {...}, test = {...}}, ... } (1-based, ascending).
function Splitter:split(n_or_ds)
  return C[self.kind .. "_indices"](n_or_ds, self.opts)
end

--- Number of train/test splits this splitter produces.
function Splitter:n_splits()
  return self.params.n_splits
end

--- Iterate over the folds of a Dataset: for fold_no, train_ds, test_ds in s:iter(ds) do ... end
function Splitter:iter(ds)
  check_dataset("knob.split." .. self.kind .. ":iter", ds)
  local folds = self:split(ds)
  local i = 0
  return function()
    i = i + 1
    local f = folds[i]
    if f then return i, C.view(ds, f.train), C.view(ds, f.test) end
  end
end

local shown = {"k", "repeats", "n_splits", "test", "test_size", "max_train", "gap", "shuffle", "stratify", "seed"}

function Splitter:__tostring()
  local p, parts = self.params, {}
  for _, key in ipairs(shown) do
    local v = p[key]
    local skip = v == nil or (key == "n_splits" and p.k) or (key == "stratify" and not v)
      or (key == "shuffle" and (self.kind:match("^repeated") or self.kind == "shuffle_split"))
    if not skip then parts[#parts + 1] = key .. "=" .. tostring(v) end
  end
  local g = self.opts.groups
  if type(g) == "string" then parts[#parts + 1] = "groups=" .. g
  elseif g then parts[#parts + 1] = "groups=<" .. #g .. " labels>" end
  return "knob.Splitter<" .. self.kind .. (#parts > 0 and ": " .. table.concat(parts, ", ") or "") .. ">"
end

local function new_splitter(kind, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("knob.split." .. kind .. ": options must be a table (got " .. type(opts) .. ")", 3)
  end
  local params = C.check(kind, opts)
  local copy = {}
  for key, v in pairs(opts or {}) do copy[key] = v end
  return setmetatable({kind = kind, params = params, opts = copy}, Splitter)
end

--- true if x is a Splitter.
function split.is_splitter(x)
  return getmetatable(x) == Splitter
end

--- K-fold: opts k (5), shuffle (false), seed (0).
function split.kfold(opts) return new_splitter("kfold", opts) end
--- Stratified k-fold: opts k (5), shuffle (false), seed (0), y (labels for a row count).
function split.stratified_kfold(opts) return new_splitter("stratified_kfold", opts) end
--- Repeated (always shuffled) k-fold: opts k (5), repeats (10), seed (0); each repeat a new shuffle.
function split.repeated_kfold(opts) return new_splitter("repeated_kfold", opts) end
--- Repeated stratified k-fold: opts k (5), repeats (10), seed (0), y.
function split.repeated_stratified_kfold(opts) return new_splitter("repeated_stratified_kfold", opts) end
--- Independent random train/test splits: opts n_splits (10), test (0.1), stratify (false), seed (0), y.
function split.shuffle_split(opts) return new_splitter("shuffle_split", opts) end
--- Group k-fold: opts k (5), groups (labels per row, or a dataset column name). No group in two folds.
function split.group_kfold(opts) return new_splitter("group_kfold", opts) end
--- Time-series splits (expanding window): opts n_splits (5), max_train, test_size (n / (n_splits + 1)), gap (0).
function split.time_series(opts) return new_splitter("time_series", opts) end

--- The usual CV folds for a dataset's task: shuffled k-fold with the seed, stratified for classification
--- (unless stratified = false). split.for_task(ds:task(), 5, 42) is what knob.stages, knob.evaluate,
--- knob.curves and the recipes use.
function split.for_task(task, k, seed, stratified)
  local kind = (task == "classification" and stratified ~= false) and "stratified_kfold" or "kfold"
  return new_splitter(kind, {k = k, shuffle = true, seed = seed})
end

return split
