-- knob.prep — preprocessing transformers, fitted on training rows only.
--
--   local t = knob.prep.standardize{columns = {"age", "income"}}
--   local train_x = t:fit_transform(train)     -- learns means/scales from train's rows
--   local test_x  = t:transform(test)          -- uses train's statistics
--   local saved   = t:to_json()                -- and knob.prep.from_json(saved) gives it back
--
-- Constructors (one options table each; an unknown option is an error listing the valid ones; every
-- transformer takes `columns = {names...}` to choose the columns it processes):
--   standardize{with_mean = true, with_std = true}        (x - mean) / std, population std (ddof 0)
--   minmax{range = {0, 1}}                                 min..max of the training rows → range
--   robust{quantile_range = {25, 75}, with_centering = true, with_scaling = true}   (x - median) / IQR
--   impute{strategy = "mean"|"median"|"most_frequent"|"constant", fill_value = 0 | "missing"}
--   onehot{handle_unknown = "error"|"ignore", drop = "none"|"first"|"if_binary", missing = "category"|"error"}
--   ordinal{unknown_value = n, handle_unknown = "error"|"use_encoded_value"}
--   poly{degree = 2, interaction_only = false, include_bias = false}
--   variance_filter{threshold = 0}                        keeps columns with variance > threshold
--   corr_filter{threshold = 0.95}                         drops the later column of each pair with |r| > threshold
--
-- Behaviour (details in engine/include/knob/prep.h):
--   * Default columns: numeric transformers process the numeric columns and pass categorical ones through
--     unchanged; onehot/ordinal process the categorical columns; impute with most_frequent/constant
--     processes all. Listing a column of the wrong kind is an error.
--   * transform matches columns BY NAME (a missing or extra column is an error; output follows the fit-time
--     column order) and categorical values BY LEVEL NAME, so datasets read separately work together.
--   * Categories (onehot, ordinal) are the levels seen in the training rows, sorted by name; onehot names
--     its columns "col=level" ("col=nan" for the missing-value category).
--   * NaN: scalers ignore it at fit and keep it; a column with nothing observed is passed through by the
--     scalers, and is an error for impute (mean/median/most_frequent).
--
-- Methods of a knob.Transformer: fit(ds) → self, transform(ds) → new Dataset, fit_transform(ds),
-- to_json() → text, params() → table (valid options for the constructor of kind()), state() → the learned
-- values (e.g. mean, scale per column), kind(), fitted(), close().
local core = require "knob.core"

local prep = {}
for _, name in ipairs {"standardize", "minmax", "robust", "impute", "onehot", "ordinal", "poly",
                       "variance_filter", "corr_filter"} do
  prep[name] = core.prep[name]
end

--- Rebuild a transformer from to_json text; returns nil, message for a corrupt or foreign document.
prep.from_json = core.prep.from_json

--- Rebuild an unfitted transformer with the same kind and parameters as t.
function prep.clone(t)
  return prep[t:kind()](t:params())
end

return prep
