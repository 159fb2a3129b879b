-- tests/fuzz/seeds.lua — writes the seed corpora of the JSON fuzz targets from real saved files:
--   corpus/model_json/   the dummy model, unfitted and fitted for classification and regression with each
--                        strategy (numeric and categorical features), plus corrupt variants
--   corpus/prep_json/    every transformer kind, unfitted and fitted, plus corrupt variants
-- Run from the repository root: build/knob tests/fuzz/seeds.lua   (files named regress_* are added by hand
-- for crashes found by fuzzing and are left alone.)
local knob = require "knob"
local nan = 0 / 0
local DIR = "tests/fuzz/corpus/"

local function write(sub, name, text)
  text = text:gsub('"fit_seconds":[^,}]*', '"fit_seconds":0.001') -- the same seeds on every run
  local f = assert(io.open(DIR .. sub .. "/" .. name, "wb"))
  f:write(text)
  f:close()
end

-- Corrupt variants of a good text: cut short, a wrong version, a foreign format, a type changed.
local function corrupt(sub, base, text)
  write(sub, "bad_" .. base .. "_truncated.json", text:sub(1, #text // 2))
  write(sub, "bad_" .. base .. "_version.json", (text:gsub('"version":1', '"version":2', 1)))
  write(sub, "bad_" .. base .. "_format.json", (text:gsub('"format":"knob%.[a-z]+"', '"format":"other"', 1)))
  write(sub, "bad_" .. base .. "_fitted.json", (text:gsub('"fitted":true', '"fitted":"yes"', 1)))
end

-- Models: the dummy baseline on a small mixed dataset.
local X = {{1, "red"}, {2, "blue"}, {3, "red"}, {4, "green"}, {5, nan}, {6, "blue"}}
local clf = knob.data.from_table{X = X, names = {"x", "color"}, y = {"a", "b", "a", "c", "a", "c"}}
local reg = knob.data.from_table{X = X, names = {"x", "color"}, y = {1.5, 2, 3.25, 10, -4, 0}, task = "regression"}
write("model_json", "good_unfitted.json", knob.model.dummy{strategy = "stratified", seed = 3}:to_json())
for _, s in ipairs{"auto", "most_frequent", "prior", "stratified", "uniform"} do
  write("model_json", "good_clf_" .. s .. ".json", knob.model.dummy{strategy = s, seed = 7}:fit(clf):to_json())
end
for _, s in ipairs{"mean", "median", "constant"} do
  write("model_json", "good_reg_" .. s .. ".json", knob.model.dummy{strategy = s, constant = 2.5}:fit(reg):to_json())
end
local weighted = knob.model.dummy{}:fit(clf, {sample_weight = {0, 1, 0, 1, 0, 1}}):to_json()
write("model_json", "good_clf_weighted.json", weighted)
corrupt("model_json", "clf", weighted)
corrupt("model_json", "reg", knob.model.dummy{}:fit(reg):to_json())
write("model_json", "bad_not_object.json", "[1, 2, 3]")
write("model_json", "bad_kind.json", '{"format":"knob.model","version":1,"kind":"nope","params":{}}')
write("model_json", "bad_prior_length.json", '{"format":"knob.model","version":1,"kind":"dummy","params":{},' ..
  '"fitted":true,"schema":{"features":[],"task":"classification","classes":["a"]},"state":{"prior":[1,2]}}')

-- Transformers: each kind, fitted on numeric or categorical data.
local num = knob.data.from_table{X = {{1, 10, 3}, {2, nan, 3}, {4, 30, 3}, {7, 25, 3}, {11, 5, 3}, {16, 40, 3}},
                                 names = {"a", "b", "c"}}
local cat = knob.data.from_table{X = {{"red", 1, "S"}, {"green", 2, "M"}, {nan, 3, "S"}, {"blue", nan, "L"}},
                                 names = {"color", "n", "size"}}
local corr = knob.data.from_table{X = {{1, 3, -1, 1, 2, 3}, {2, 5, -2, -1, 1, 1}, {3, 7, -3, -1, 4, 4},
                                       {4, 9, -4, 1, 3, 2}}, names = {"x", "b", "c", "d", "e", "z"}}
local prep = knob.prep
local cases = {
  {"standardize", prep.standardize{}, num}, {"standardize_cols", prep.standardize{columns = {"b", "a"}}, num},
  {"minmax", prep.minmax{range = {-1, 2}}, num}, {"robust", prep.robust{quantile_range = {10, 90}}, num},
  {"impute_median", prep.impute{strategy = "median"}, num}, {"impute_mode", prep.impute{strategy = "most_frequent"}, cat},
  {"impute_constant", prep.impute{strategy = "constant", fill_value = -1, fill_level = "none"}, cat},
  {"onehot", prep.onehot{handle_unknown = "ignore", drop = "if_binary"}, cat},
  {"ordinal", prep.ordinal{unknown_value = nan}, cat}, {"ordinal_value", prep.ordinal{unknown_value = -1}, cat},
  {"poly", prep.poly{degree = 3, include_bias = true}, num}, {"poly_inter", prep.poly{degree = 2, interaction_only = true}, num},
  {"variance", prep.variance_filter{threshold = 1}, num}, {"corr", prep.corr_filter{threshold = 0.5}, corr},
}
for _, c in ipairs(cases) do
  local name, t, ds = c[1], c[2], c[3]
  write("prep_json", "good_" .. name .. "_unfitted.json", t:to_json())
  local text = t:fit(ds):to_json()
  write("prep_json", "good_" .. name .. ".json", text)
  if name == "standardize" or name == "onehot" or name == "corr" then corrupt("prep_json", name, text) end
end
write("prep_json", "bad_not_object.json", "[1, 2]")
write("prep_json", "bad_kind.json", '{"format":"knob.transformer","version":1,"kind":"whiten","params":{}}')
