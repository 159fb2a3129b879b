-- prep_spec.lua — knob.prep: preprocessing transformers (fit on training rows, transform, JSON, errors).
--
-- Datasets are built with knob.data.from_table and read back through the public Dataset API
-- (helpers.snapshot, tests/helpers.lua). from_table codes a categorical column's levels in order of first
-- appearance; where a case needs other codes (a test set whose codes differ from the training set's for
-- the same level names), with_levels() puts rows listing the levels first and keeps a view of the others.
--
-- Expected values marked [sklearn] were produced once with scikit-learn 1.2.1 / numpy 1.24.2
-- (/usr/bin/python3) by this snippet; arrays printed with repr():
--
--   import numpy as np
--   from sklearn.preprocessing import (StandardScaler, MinMaxScaler, RobustScaler, OneHotEncoder,
--                                      OrdinalEncoder, PolynomialFeatures)
--   from sklearn.impute import SimpleImputer
--   from sklearn.feature_selection import VarianceThreshold
--   nan = np.nan
--   Xtr = np.array([[1, 10, 3], [2, nan, 3], [4, 30, 3], [7, 25, 3], [11, 5, 3], [16, 40, 3]], dtype=float)
--   Xte = np.array([[0, 15, 3], [8, nan, 4], [20, 50, 2]], dtype=float)
--   s = StandardScaler().fit(Xtr); s.mean_, s.var_, s.scale_, s.transform(Xte)
--   StandardScaler(with_mean=False).fit(Xtr).transform(Xte); StandardScaler(with_std=False).fit(Xtr).transform(Xte)
--   s = MinMaxScaler(feature_range=(-1, 2)).fit(Xtr); s.data_min_, s.data_max_, s.transform(Xte)
--   s = RobustScaler().fit(Xtr); s.center_, s.scale_, s.transform(Xte)
--   s = RobustScaler(quantile_range=(10, 90)).fit(Xtr); s.center_, s.scale_, s.transform(Xte)
--   for st in ["mean", "median", "most_frequent"]:
--       s = SimpleImputer(strategy=st).fit(Xtr); s.statistics_, s.transform(Xte)
--   SimpleImputer(strategy="constant", fill_value=-1).fit(Xtr).transform(Xte)
--   Ctr = np.array([["red", "S"], ["green", "M"], ["blue", "S"], ["green", "L"], [nan, "M"], ["red", "S"]], dtype=object)
--   Cte = np.array([["blue", "M"], ["purple", "S"], [nan, "L"]], dtype=object)
--   e = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(Ctr)
--   e.categories_, e.get_feature_names_out(["color", "size"]), e.transform(Cte), e.transform(Ctr)
--   e = OneHotEncoder(handle_unknown="ignore", drop="first", sparse_output=False).fit(Ctr)
--   e.get_feature_names_out(["color", "size"]), e.transform(Cte)
--   Btr = np.array([["yes", "S"], ["no", "M"], ["yes", "S"], ["no", "L"], ["no", "M"], ["yes", "S"]], dtype=object)
--   Bte = np.array([["no", "L"], ["yes", "M"]], dtype=object)
--   e = OneHotEncoder(drop="if_binary", sparse_output=False).fit(Btr); e.get_feature_names_out(["flag", "size"]), e.transform(Bte)
--   Otr = np.array([["red", "S"], ["green", "M"], ["blue", "S"], ["green", "L"], ["red", "M"], ["red", "S"]], dtype=object)
--   Ote = np.array([["blue", "M"], ["purple", "S"], ["red", "XL"]], dtype=object)
--   e = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1).fit(Otr); e.categories_, e.transform(Ote)
--   SimpleImputer(strategy="most_frequent").fit(Ctr).statistics_
--   SimpleImputer(strategy="constant", fill_value="none").fit(Ctr).transform(Cte)
--   P = np.array([[1, 2, 3], [2, -1, 0.5], [0, 4, -2]], dtype=float)
--   p = PolynomialFeatures(degree=2).fit(P); p.get_feature_names_out(["a", "b", "c"]), p.transform(P)
--   p = PolynomialFeatures(degree=3, interaction_only=True, include_bias=True).fit(P); (names, transform) likewise
--   p = PolynomialFeatures(degree=3, include_bias=False).fit(P[:, :2]); p.get_feature_names_out(["a", "b"]), p.transform(P[:, :2])
--   V = np.array([[0, 2, 0, 3], [0, 1, 4, 3], [0, 1, 1, 3.5], [0, 1.5, 2, 3]], dtype=float)
--   v = VarianceThreshold(threshold=0.1).fit(V); v.variances_, v.get_support(); VarianceThreshold().fit(V).get_support()
--
-- knob names one-hot columns "col=level" where scikit-learn says "col_level"; knob's "drop first" and
-- categories follow scikit-learn (levels seen in the training rows, sorted by name; NaN last).
local knob = require "knob"
local prep = knob.prep
local helpers = require "helpers"
local snapshot, isnan = helpers.snapshot, helpers.isnan
local nan = 0 / 0

-- from_table on rows X with names; levels (optional) = {column = {level names}} states the level order
-- (codes 0, 1, ...) a case relies on, which from_table gives by first appearance: checked here.
local function dataset(X, names, levels)
  local ds = knob.data.from_table{X = X, names = names}
  for name, lv in pairs(levels or {}) do assert.same(lv, ds:levels(name)) end
  return ds
end

-- Rows X with names whose categorical columns have exactly the levels given, in that order (codes 0, 1,
-- ...): a dataset whose first rows list those levels (NaN elsewhere), viewed without those rows.
local function with_levels(X, names, levels)
  local lead, rows = 0, {}
  for _, lv in pairs(levels) do lead = math.max(lead, #lv) end
  for i = 1, lead do
    rows[i] = {}
    for j, name in ipairs(names) do rows[i][j] = levels[name] and levels[name][i] or nan end
  end
  local keep = {}
  for i, r in ipairs(X) do
    rows[lead + i], keep[i] = r, lead + i
  end
  return dataset(rows, names, levels):subset(keep)
end

local function close(a, b, tol)
  if type(a) == "number" and isnan(a) then return type(b) == "number" and isnan(b) end
  if type(a) ~= "number" or type(b) ~= "number" then return a == b end
  return math.abs(a - b) <= (tol or 1e-12) * math.max(1, math.abs(a))
end

local function same(expected, got, tol, where)
  where = where or "value"
  if type(expected) == "table" then
    assert(type(got) == "table", where .. ": expected a table, got " .. tostring(got))
    assert(#got == #expected, ("%s: expected %d entries, got %d"):format(where, #expected, #got))
    for i = 1, #expected do same(expected[i], got[i], tol, where .. "[" .. i .. "]") end
  else
    assert(close(expected, got, tol), ("%s: expected %s, got %s"):format(where, tostring(expected), tostring(got)))
  end
end

-- Two snapshots are identical (names, values bit for bit, levels).
local function same_values(a, b)
  same(a.names, b.names, 0, "names")
  same(a.X, b.X, 0, "X")
  for k, v in pairs(a.levels) do same(v, b.levels[k], 0, "levels." .. k) end
  for k in pairs(b.levels) do assert(a.levels[k], "extra levels for " .. k) end
end

local function errmatch(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error matching '" .. pattern .. "'")
  assert(tostring(err):find(pattern, 1, true), "error '" .. tostring(err) .. "' does not contain '" .. pattern .. "'")
end

-- The numeric data: training rows 1..6, test rows 7..9 of one frame (views share the frame).
local NUM = {{1, 10, 3}, {2, nan, 3}, {4, 30, 3}, {7, 25, 3}, {11, 5, 3}, {16, 40, 3},
             {0, 15, 3}, {8, nan, 4}, {20, 50, 2}}
local function num_views()
  local ds = dataset(NUM, {"a", "b", "c"})
  return ds:subset{1, 2, 3, 4, 5, 6}, ds:subset{7, 8, 9}
end

describe("knob.prep scalers", function()
  it("standardize learns from the training rows only and matches StandardScaler [sklearn]", function()
    local train, test = num_views()
    local t = prep.standardize{}:fit(train)
    local st = t:state()
    same({"a", "b", "c"}, st.columns)
    same({6.833333333333333, 22.0, 3.0}, st.mean)
    same({27.805555555555557, 166.0, 0.0}, st.var)
    same({5.273097339852125, 12.884098726725126, 1.0}, st.scale) -- constant column: scale 1
    local out = snapshot(t:transform(test))
    same({"a", "b", "c"}, out.names)
    same({{-1.2958860595440784, -0.543305367994433, 0.0},
          {0.22124883943435494, nan, 1.0},
          {2.496951187902005, 2.173221471977732, -1.0}}, out.X)
  end)

  it("standardize with_mean = false / with_std = false [sklearn]", function()
    local train, test = num_views()
    same({{0.0, 1.1642257885594993, 3.0}, {1.5171348989784335, nan, 4.0}, {3.7928372474460836, 3.8807526285316643, 2.0}},
         snapshot(prep.standardize{with_mean = false}:fit(train):transform(test)).X)
    same({{-6.833333333333333, -7.0, 0.0}, {1.166666666666667, nan, 1.0}, {13.166666666666668, 28.0, -1.0}},
         snapshot(prep.standardize{with_std = false}:fit(train):transform(test)).X)
  end)

  it("minmax maps the training min..max onto range [sklearn]", function()
    local train, test = num_views()
    local t = prep.minmax{range = {-1, 2}}:fit(train)
    same({1.0, 5.0, 3.0}, t:state().data_min)
    same({16.0, 40.0, 3.0}, t:state().data_max)
    same({{-1.2, -0.1428571428571428, -1.0}, {0.40000000000000013, nan, 2.0}, {2.8, 2.8571428571428568, -4.0}},
         snapshot(t:transform(test)).X)
  end)

  it("robust uses the median and the interquartile range with numpy's interpolation [sklearn]", function()
    local train, test = num_views()
    local t = prep.robust{}:fit(train)
    same({5.5, 25.0, 3.0}, t:state().center)
    same({7.5, 20.0, 1.0}, t:state().scale)
    same({{-0.7333333333333333, -0.5, 0.0}, {0.3333333333333333, nan, 1.0}, {1.9333333333333333, 1.25, -1.0}},
         snapshot(t:transform(test)).X)
    t = prep.robust{quantile_range = {10, 90}}:fit(train)
    same({12.0, 29.0, 1.0}, t:state().scale)
    same({{-0.4583333333333333, -0.3448275862068966, 0.0}, {0.20833333333333334, nan, 1.0},
          {1.2083333333333333, 0.8620689655172413, -1.0}}, snapshot(t:transform(test)).X)
    -- ties and uneven positions [sklearn]: x = np.array([3,1,3,3,0,7,3,2.]).reshape(-1, 1);
    -- RobustScaler(quantile_range=(10, 90)).fit(x) and (30, 40): center_ 3.0, scale_ 3.499999999999999 / 0.7000000000000002
    local ties = dataset({{3}, {1}, {3}, {3}, {0}, {7}, {3}, {2}}, {"v"})
    same({3.0}, prep.robust{quantile_range = {10, 90}}:fit(ties):state().center)
    same({3.499999999999999}, prep.robust{quantile_range = {10, 90}}:fit(ties):state().scale)
    same({0.7000000000000002}, prep.robust{quantile_range = {30, 40}}:fit(ties):state().scale)
    -- with_centering = false: x / IQR (hand: 8 / 7.5)
    same(8 / 7.5, snapshot(prep.robust{with_centering = false}:fit(train):transform(test)).X[2][1])
  end)

  it("keep NaN, pass categorical columns through, and pass an all-missing column through", function()
    local ds = dataset({{1, "x", nan}, {3, "y", nan}, {nan, "x", nan}}, {"u", "k", "m"}, {k = {"x", "y"}})
    for _, t in ipairs{prep.standardize{}, prep.minmax{}, prep.robust{}} do
      local out = snapshot(t:fit_transform(ds))
      same({"u", "k", "m"}, out.names)
      same({"u"}, t:state().columns) -- k is categorical, m has no observed value
      assert.equals("x", out.X[1][2])
      assert.equals("y", out.X[2][2])
      assert.is_true(isnan(out.X[3][1]))
      assert.is_true(isnan(out.X[1][3]))
    end
    -- standardize by hand: mean 2, population std 1
    same({{-1, "x", nan}, {1, "y", nan}, {nan, "x", nan}}, snapshot(prep.standardize{}:fit_transform(ds)).X)
  end)

  it("process only the listed columns", function()
    local train, test = num_views()
    local t = prep.standardize{columns = {"b"}}:fit(train)
    same({"b"}, t:state().columns)
    local out = snapshot(t:transform(test)).X
    same({0, 3}, {out[1][1], out[1][3]}) -- a, c unchanged
    same(-0.543305367994433, out[1][2])
  end)

  it("copy the target through and leave the input unchanged", function()
    local ds = knob.data.from_table{X = {{1, 2}, {3, 4}, {5, 9}}, names = {"p", "q"}, y = {10, 20, 30},
                                    target = "price", task = "regression"}
    local before = snapshot(ds)
    local out = snapshot(prep.standardize{}:fit_transform(ds))
    same({10, 20, 30}, out.y)
    assert.equals("price", out.target)
    same(before.X, snapshot(ds).X)
  end)
end)

describe("knob.prep.impute", function()
  it("fills numeric columns with the training mean / median / most frequent / constant [sklearn]", function()
    local train, test = num_views()
    local cases = {
      {{strategy = "mean"}, {6.833333333333333, 22.0, 3.0}, 22.0},
      {{strategy = "median"}, {5.5, 25.0, 3.0}, 25.0},
      {{strategy = "most_frequent"}, {1.0, 5.0, 3.0}, 5.0},
      {{strategy = "constant", fill_value = -1}, {-1, -1, -1}, -1.0},
    }
    for _, c in ipairs(cases) do
      local t = prep.impute(c[1]):fit(train)
      same(c[2], t:state().statistics)
      same({{0.0, 15.0, 3.0}, {8.0, c[3], 4.0}, {20.0, 50.0, 2.0}}, snapshot(t:transform(test)).X)
    end
  end)

  it("fills categorical columns by level name (most_frequent, constant) [sklearn]", function()
    local train = dataset({{"red", "S"}, {"green", "M"}, {"blue", "S"}, {"green", "L"}, {nan, "M"}, {"red", "S"}},
                          {"color", "size"}, {color = {"red", "green", "blue"}, size = {"S", "M", "L"}})
    -- read separately: other level codes, an unseen level
    local test = with_levels({{"blue", "M"}, {"purple", "S"}, {nan, "L"}}, {"color", "size"},
                             {color = {"purple", "blue"}, size = {"L", "M", "S"}})
    local t = prep.impute{strategy = "most_frequent"}:fit(train)
    same({"green", "S"}, t:state().statistics) -- tie green/red (2 each) goes to the first name
    local out = snapshot(t:transform(test))
    same({{"blue", "M"}, {"purple", "S"}, {"green", "L"}}, out.X)
    same({"red", "green", "blue", "purple"}, out.levels[1]) -- fit-time levels keep their codes
    t = prep.impute{strategy = "constant", fill_value = "none"}:fit(train)
    out = snapshot(t:transform(test))
    same({{"blue", "M"}, {"purple", "S"}, {"none", "L"}}, out.X)
    same({"red", "green", "blue", "none", "purple"}, out.levels[1])
  end)

  it("mean/median skip categorical columns; a column with nothing observed is an error", function()
    local ds = dataset({{1, "x", nan}, {nan, "y", nan}}, {"u", "k", "m"}, {k = {"x", "y"}})
    errmatch("column 'm' has no observed value in the 2 training rows", function() prep.impute{}:fit(ds) end)
    errmatch("so its median is undefined", function() prep.impute{strategy = "median"}:fit(ds) end)
    local out = snapshot(prep.impute{columns = {"u"}}:fit_transform(ds))
    same({{1, "x", nan}, {1, "y", nan}}, out.X)
    errmatch("column 'k' is categorical; impute processes numeric columns with this strategy",
             function() prep.impute{columns = {"k"}}:fit(ds) end)
    -- constant works on an empty column
    same({{1, "x", 7}, {7, "y", 7}}, snapshot(prep.impute{strategy = "constant", fill_value = 7}:fit_transform(ds)).X)
  end)
end)

describe("knob.prep.onehot", function()
  local function cat_data()
    local train = dataset({{"red", "S"}, {"green", "M"}, {"blue", "S"}, {"green", "L"}, {nan, "M"}, {"red", "S"}},
                          {"color", "size"}, {color = {"red", "green", "blue"}, size = {"S", "M", "L"}})
    -- read separately: the same names have other codes here, and 'purple' is new
    local test = with_levels({{"blue", "M"}, {"purple", "S"}, {nan, "L"}}, {"color", "size"},
                             {color = {"purple", "blue", "red"}, size = {"M", "S", "L"}})
    return train, test
  end

  it("encodes by level name, NaN as its own category, unknown as zeros [sklearn]", function()
    local train, test = cat_data()
    local t = prep.onehot{handle_unknown = "ignore"}:fit(train)
    same({{"blue", "green", "red"}, {"L", "M", "S"}}, t:state().categories)
    same({true, false}, t:state().nan_category)
    local out = snapshot(t:transform(test))
    same({"color=blue", "color=green", "color=red", "color=nan", "size=L", "size=M", "size=S"}, out.names)
    same({{1, 0, 0, 0, 0, 1, 0}, {0, 0, 0, 0, 0, 0, 1}, {0, 0, 0, 1, 1, 0, 0}}, out.X)
    same({{0, 0, 1, 0, 0, 0, 1}, {0, 1, 0, 0, 0, 1, 0}, {1, 0, 0, 0, 0, 0, 1}, {0, 1, 0, 0, 1, 0, 0},
          {0, 0, 0, 1, 0, 1, 0}, {0, 0, 1, 0, 0, 0, 1}}, snapshot(t:transform(train)).X)
  end)

  it("drop = first / if_binary [sklearn]", function()
    local train, test = cat_data()
    local out = snapshot(prep.onehot{handle_unknown = "ignore", drop = "first"}:fit(train):transform(test))
    same({"color=green", "color=red", "color=nan", "size=M", "size=S"}, out.names)
    same({{0, 0, 0, 1, 0}, {0, 0, 0, 0, 1}, {0, 0, 1, 0, 0}}, out.X)
    local btr = dataset({{"yes", "S"}, {"no", "M"}, {"yes", "S"}, {"no", "L"}, {"no", "M"}, {"yes", "S"}},
                        {"flag", "size"}, {flag = {"yes", "no"}, size = {"S", "M", "L"}})
    local bte = dataset({{"no", "L"}, {"yes", "M"}}, {"flag", "size"}, {flag = {"no", "yes"}, size = {"L", "M"}})
    out = snapshot(prep.onehot{drop = "if_binary"}:fit(btr):transform(bte))
    same({"flag=yes", "size=L", "size=M", "size=S"}, out.names)
    same({{0, 1, 0, 0}, {1, 0, 1, 0}}, out.X)
  end)

  it("raises on an unknown level or missing value as configured", function()
    local train, test = cat_data()
    errmatch("onehot: column 'color' row 2: level 'purple' not seen at fit (use handle_unknown = 'ignore'",
             function() prep.onehot{}:fit(train):transform(test) end)
    errmatch("onehot: column 'color' row 5: missing value (option missing = 'error'",
             function() prep.onehot{missing = "error"}:fit(train) end)
    local t2 = prep.onehot{columns = {"size"}, handle_unknown = "error"}:fit(train)
    same({"color", "size=L", "size=M", "size=S"}, snapshot(t2:transform(test)).names) -- color passed through
    local nonan = dataset({{"red"}, {"blue"}}, {"color"}, {color = {"red", "blue"}})
    local withnan = with_levels({{"red"}, {nan}}, {"color"}, {color = {"red", "blue"}})
    errmatch("row 2: missing value not seen at fit", function() prep.onehot{}:fit(nonan):transform(withnan) end)
    same({{0, 1}, {0, 0}}, snapshot(prep.onehot{handle_unknown = "ignore"}:fit(nonan):transform(withnan)).X)
  end)

  it("passes numeric columns through and refuses a listed numeric column", function()
    local ds = dataset({{1.5, "a"}, {2.5, "b"}}, {"x", "k"}, {k = {"a", "b"}})
    local out = snapshot(prep.onehot{}:fit_transform(ds))
    same({"x", "k=a", "k=b"}, out.names)
    same({{1.5, 1, 0}, {2.5, 0, 1}}, out.X)
    errmatch("onehot: column 'x' is numeric; onehot processes categorical columns",
             function() prep.onehot{columns = {"x"}}:fit(ds) end)
  end)
end)

describe("knob.prep.ordinal", function()
  local train = dataset({{"red", "S"}, {"green", "M"}, {"blue", "S"}, {"green", "L"}, {"red", "M"}, {"red", "S"}},
                        {"color", "size"}, {color = {"red", "green", "blue"}, size = {"S", "M", "L"}})
  local test = with_levels({{"blue", "M"}, {"purple", "S"}, {"red", "XL"}}, {"color", "size"},
                           {color = {"purple", "red", "blue"}, size = {"XL", "S", "M"}})

  it("codes levels by sorted name; unknown → unknown_value [sklearn]", function()
    local t = prep.ordinal{unknown_value = -1}:fit(train)
    same({{"blue", "green", "red"}, {"L", "M", "S"}}, t:state().categories)
    local out = snapshot(t:transform(test))
    same({"color", "size"}, out.names)
    same({{0, 1}, {-1, 2}, {2, -1}}, out.X)
    assert.is_nil(out.levels[1]) -- numeric now
    assert.is_true(isnan(snapshot(prep.ordinal{unknown_value = nan}:fit(train):transform(test)).X[2][1]))
  end)

  it("raises on unknown levels by default, and on an unknown_value that is a code", function()
    errmatch("ordinal: column 'color' row 2: level 'purple' not seen at fit (give unknown_value",
             function() prep.ordinal{}:fit(train):transform(test) end)
    errmatch("ordinal: unknown_value 1 is already the code of level 'green' of column 'color'",
             function() prep.ordinal{unknown_value = 1}:fit(train) end)
    errmatch("handle_unknown = 'use_encoded_value' needs option 'unknown_value'",
             function() prep.ordinal{handle_unknown = "use_encoded_value"} end)
    errmatch("ordinal: option 'unknown_value' must be an integer or NaN (got 0.5)",
             function() prep.ordinal{unknown_value = 0.5} end)
  end)

  it("keeps missing values missing", function()
    local ds = with_levels({{"a"}, {nan}, {"b"}}, {"k"}, {k = {"b", "a"}})
    same({{0}, {nan}, {1}}, snapshot(prep.ordinal{}:fit_transform(ds)).X)
  end)
end)

describe("knob.prep.poly", function()
  local P = {{1, 2, 3}, {2, -1, 0.5}, {0, 4, -2}}
  local ds = dataset(P, {"a", "b", "c"})

  it("degree 2 with bias: scikit-learn's order and names [sklearn]", function()
    local out = snapshot(prep.poly{degree = 2, include_bias = true}:fit_transform(ds))
    same({"1", "a", "b", "c", "a^2", "a b", "a c", "b^2", "b c", "c^2"}, out.names)
    same({{1.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 4.0, 6.0, 9.0}, {1.0, 2.0, -1.0, 0.5, 4.0, -2.0, 1.0, 1.0, -0.5, 0.25},
          {1.0, 0.0, 4.0, -2.0, 0.0, 0.0, -0.0, 16.0, -8.0, 4.0}}, out.X)
  end)

  it("degree 3 interaction_only with bias [sklearn]", function()
    local out = snapshot(prep.poly{degree = 3, interaction_only = true, include_bias = true}:fit_transform(ds))
    same({"1", "a", "b", "c", "a b", "a c", "b c", "a b c"}, out.names)
    same({{1.0, 1.0, 2.0, 3.0, 2.0, 3.0, 6.0, 6.0}, {1.0, 2.0, -1.0, 0.5, -2.0, 1.0, -0.5, -1.0},
          {1.0, 0.0, 4.0, -2.0, 0.0, -0.0, -8.0, -0.0}}, out.X)
  end)

  it("degree 3 on listed columns, others passed through after the block [sklearn]", function()
    local out = snapshot(prep.poly{degree = 3, columns = {"a", "b"}}:fit_transform(ds))
    same({"a", "b", "a^2", "a b", "b^2", "a^3", "a^2 b", "a b^2", "b^3", "c"}, out.names)
    same({{1.0, 2.0, 1.0, 2.0, 4.0, 1.0, 2.0, 4.0, 8.0, 3}, {2.0, -1.0, 4.0, -2.0, 1.0, 8.0, -4.0, 2.0, -1.0, 0.5},
          {0.0, 4.0, 0.0, 0.0, 16.0, 0.0, 0.0, 0.0, 64.0, -2}}, out.X)
  end)

  it("propagates NaN, skips categorical columns, and refuses an output name clash", function()
    local d = dataset({{2, "u", nan}}, {"x", "k", "y"}, {k = {"u"}})
    local out = snapshot(prep.poly{}:fit_transform(d))
    same({"x", "y", "x^2", "x y", "y^2", "k"}, out.names)
    same({2, nan, 4, nan, nan, "u"}, out.X[1])
    local clash = dataset({{1, 2}}, {"x", "x^2"})
    errmatch("poly: the output column name 'x^2' would appear twice",
             function() prep.poly{columns = {"x"}}:fit(clash) end)
  end)
end)

describe("knob.prep.variance_filter", function()
  local V = dataset({{0, 2, 0, 3}, {0, 1, 4, 3}, {0, 1, 1, 3.5}, {0, 1.5, 2, 3}}, {"p", "q", "r", "s"})
  it("keeps the columns with variance above the threshold [sklearn]", function()
    local t = prep.variance_filter{threshold = 0.1}:fit(V)
    same({0.0, 0.171875, 2.1875, 0.046875}, t:state().variances)
    same({"q", "r"}, snapshot(t:transform(V)).names)
    same({"q", "r", "s"}, snapshot(prep.variance_filter{}:fit_transform(V)).names)
  end)
  it("drops a column with nothing observed and passes categorical columns", function()
    local d = dataset({{1, nan, "a"}, {2, nan, "b"}}, {"u", "m", "k"}, {k = {"a", "b"}})
    local t = prep.variance_filter{}:fit(d)
    assert.is_true(isnan(t:state().variances[2]))
    same({"u", "k"}, snapshot(t:transform(d)).names)
  end)
end)

describe("knob.prep.corr_filter", function()
  -- By hand, on x = {1,2,3,4}: b = 2x + 1 has r = 1, c = -x has r = -1, d = {1,-1,-1,1} has r = 0,
  -- e = {2,1,4,3} has r = 3/5 = 0.6 (deviations -1.5,-0.5,.5,1.5 and -.5,-1.5,1.5,.5: sum of products 3,
  -- sums of squares 5 and 5).  z = {3,1,4,2}: r(x, z) = 0, r(e, z) = 4/5 = 0.8.
  local ds = dataset({{1, 3, -1, 1, 2, 3}, {2, 5, -2, -1, 1, 1}, {3, 7, -3, -1, 4, 4}, {4, 9, -4, 1, 3, 2}},
                     {"x", "b", "c", "d", "e", "z"})
  it("drops the later column of each pair with |r| above the threshold (by hand)", function()
    local t = prep.corr_filter{}:fit(ds)
    local st = t:state()
    same({"b", "c"}, st.dropped)
    same({"x", "x"}, st.correlated_with)
    same({1, -1}, st.r)
    same({"x", "d", "e", "z"}, snapshot(t:transform(ds)).names)
  end)
  it("is deterministic: a dropped column does not drop others (by hand)", function()
    -- threshold 0.5: e goes (0.6 with x); z stays although r(e, z) = 0.8, because e was dropped
    local t = prep.corr_filter{threshold = 0.5}:fit(ds)
    same({"b", "c", "e"}, t:state().dropped)
    same({0.6}, {t:state().r[3]})
    same({"x", "d", "z"}, snapshot(t:transform(ds)).names)
  end)
  it("uses pairwise-complete rows and never drops on a constant column", function()
    local d = dataset({{1, 2, 5}, {2, 4, 5}, {3, 6, 5}, {4, nan, 5}, {5, 11, 5}}, {"x", "w", "k"})
    -- rows 1,2,3,5: w = {2,4,6,11} vs x = {1,2,3,5}: not exactly linear, r = 0.99... > 0.95 by hand:
    -- x dev {-1.75,-.75,.25,2.25}, w dev {-3.75,-1.75,.25,5.25}: sxy = 19.75, sxx = 8.75, syy = 44.75
    local t = prep.corr_filter{}:fit(d)
    same({"w"}, t:state().dropped)
    same({19.75 / math.sqrt(8.75 * 44.75)}, t:state().r)
    same({"x", "k"}, snapshot(t:transform(d)).names)
  end)
end)

describe("knob.prep schema matching", function()
  it("matches columns by name and writes them in fit-time order", function()
    local a = dataset({{1, 10}, {3, 30}}, {"u", "v"})
    local b = dataset({{30, 3}}, {"v", "u"})
    local t = prep.minmax{}:fit(a)
    local out = snapshot(t:transform(b))
    same({"u", "v"}, out.names)
    same({{1, 1}}, out.X)
  end)
  it("reports a missing column, an extra column and a kind change by name", function()
    local a = dataset({{1, "p"}, {3, "q"}}, {"u", "k"}, {k = {"p", "q"}})
    local t = prep.standardize{}:fit(a)
    errmatch("standardize: column 'k' (present at fit) is missing from the dataset",
             function() t:transform(dataset({{1}}, {"u"})) end)
    errmatch("standardize: column 'w' was not present at fit",
             function() t:transform(dataset({{1, "p", 2}}, {"u", "k", "w"}, {k = {"p"}})) end)
    errmatch("standardize: column 'k' was categorical at fit but is numeric here",
             function() t:transform(dataset({{1, 2}}, {"u", "k"})) end)
  end)
end)

describe("knob.prep JSON", function()
  local train, test = num_views()
  local cat = dataset({{"red", 1, "S"}, {"green", 2, "M"}, {nan, 3, "S"}, {"blue", nan, "L"}}, {"color", "n", "size"},
                      {color = {"red", "green", "blue"}, size = {"S", "M", "L"}})

  it("round-trips every kind to identical transforms and identical text", function()
    local cases = {
      {prep.standardize{}, train, test}, {prep.minmax{range = {-1, 2}}, train, test},
      {prep.robust{quantile_range = {10, 90}}, train, test}, {prep.impute{strategy = "median"}, train, test},
      {prep.impute{strategy = "most_frequent"}, cat, cat}, {prep.onehot{drop = "if_binary"}, cat, cat},
      {prep.ordinal{unknown_value = nan}, cat, cat}, {prep.poly{degree = 3, include_bias = true}, train, test},
      {prep.variance_filter{threshold = 1}, train, test}, {prep.corr_filter{threshold = 0.5}, train, test},
      {prep.standardize{columns = {"b", "a"}}, train, test},
    }
    for _, c in ipairs(cases) do
      local t, fit, apply = c[1], c[2], c[3]
      t:fit(fit)
      local text = t:to_json()
      assert.matches('"format":"knob.transformer"', text, 1, true)
      assert.matches('"version":1', text, 1, true)
      local u = assert(prep.from_json(text))
      assert.equals(text, u:to_json())
      assert.equals(tostring(t), tostring(u))
      same_values(snapshot(t:transform(apply)), snapshot(u:transform(apply)))
    end
  end)

  it("writes doubles exactly (%.17g) and round-trips an unfitted transformer", function()
    local t = prep.standardize{}:fit(train)
    assert.matches("27.805555555555557", t:to_json(), 1, true)
    local u = assert(prep.from_json(prep.corr_filter{threshold = 0.1}:to_json()))
    assert.is_false(u:fitted())
    assert.equals(0.1, u:params().threshold)
  end)

  it("rejects corrupt, foreign and inconsistent documents with a clear message", function()
    local good = prep.standardize{}:fit(train):to_json()
    local function bad(text, msg)
      local t, err = prep.from_json(text)
      assert.is_nil(t)
      assert(err:find(msg, 1, true), "error '" .. tostring(err) .. "' does not contain '" .. msg .. "'")
    end
    bad(good:sub(1, 40), "transformer JSON: invalid JSON at byte")
    bad("", "invalid JSON")
    bad("[1, 2]", "not a knob transformer (expected an object)")
    bad('{"format": "knob.model", "version": 1}', "not a knob transformer (format is 'knob.model'")
    bad('{"version": 1}', "format is missing")
    bad((good:gsub('"version":1', '"version":2')), "unsupported version 2 (this knob reads version 1)")
    bad((good:gsub('"kind":"standardize"', '"kind":"whiten"')), "unknown kind 'whiten'")
    bad((good:gsub('"with_mean":true', '"with_mean":1')), "params.with_mean must be true or false")
    bad((good:gsub('"with_mean":true,', '')), "params.with_mean is missing")
    -- JSON allows a repeated key; a transformer file never has one (found by tests/fuzz/fuzz_prep_json: a
    -- repeated fill_level leaked, a repeated columns failed with no message)
    bad((good:gsub('"with_mean":true', '"with_mean":true,"with_mean":false')), "params.with_mean is given twice")
    bad((prep.standardize{columns = {"a"}}:to_json():gsub('"columns":%["a"%]', '"columns":["a"],"columns":["b"]')),
        "params.columns is given twice")
    local imp = prep.impute{strategy = "constant", fill_level = "x"}:to_json()
    bad((imp:gsub('"fill_level":"x"', '"fill_level":"x","fill_level":"y"')), "params.fill_level is given twice")
    bad((good:gsub('"with_mean":true', '"with_mean":true,"bogus":3')), "params.bogus is not a parameter")
    bad((good:gsub('"mean":%[[^,]*', '"mean":["x"')), "state.mean[1] must be a number")
    -- 1e999 parses as infinity, which a transformer file cannot hold (found by tests/fuzz/fuzz_prep_json)
    bad((good:gsub('"mean":%[[^,]*', '"mean":[1e999')), "state.mean[1] must be a finite number")
    bad((good:gsub('"scale":%[[^,]*', '"scale":[-1e999')), "state.scale[1] must be a finite number")
    bad((good:gsub('"scale":%[[^%]]*%]', '"scale":[1,2]')), "state.scale must have 3 entries")
    bad((good:gsub('"scale":%[[^,]*,', '"scale":[-1,')), "state.scale[1] must be > 0")
    bad((good:gsub(',"state":.*', '}')), "state is missing")
    bad((good:gsub('"fitted":true', '"fitted":"yes"')), "transformer JSON: fitted must be true or false")
    bad((good:gsub('"kind":"numeric"', '"kind":"text"', 1)), "schema[1].kind has an unknown value 'text'")
    bad((good:gsub('"columns":%["a"', '"columns":["zz"')), "state.columns[1] is not a column of the schema")
    local oh = prep.onehot{}:fit(cat):to_json()
    bad((oh:gsub('%["blue","green","red"%]', '["red","blue","green"]')), "state.categories[1] must be sorted")
    bad((prep.minmax{}:to_json():gsub("%[0,1%]", "[1,0]")), "option 'range' must be {min, max}")
  end)
end)

describe("knob.prep Transformer object", function()
  local train = num_views()
  it("reports itself, its parameters and its state", function()
    local t = prep.standardize{with_std = false}
    assert.equals("knob.Transformer<standardize, not fitted>", tostring(t))
    assert.equals(t, t:fit(train))
    assert.equals("knob.Transformer<standardize, fitted on 3 columns>", tostring(t))
    assert.equals("standardize", t:kind())
    local p = t:params()
    assert.is_true(p.with_mean)
    assert.is_false(p.with_std)
    local c = prep.clone(t)
    assert.is_false(c:fitted())
    assert.is_false(c:params().with_std)
    same({{"a", "b"}}, {prep.clone(prep.minmax{columns = {"a", "b"}}):params().columns})
  end)

  it("raises before fit and after close", function()
    local t = prep.standardize{}
    errmatch("transformer is not fitted", function() t:transform(train) end)
    errmatch("transformer is not fitted", function() t:state() end)
    t:close()
    t:close() -- idempotent
    assert.equals("knob.Transformer<closed>", tostring(t))
    errmatch("transformer is closed", function() t:fit(train) end)
    do
      local u <close> = prep.minmax{}
      u:fit(train)
    end
  end)

  it("a failed refit keeps the previous state", function()
    local t = prep.impute{}:fit(train)
    local empty = dataset({{nan, 1, 2}}, {"a", "b", "c"})
    errmatch("column 'a' has no observed value", function() t:fit(empty) end)
    same({6.833333333333333, 22.0, 3.0}, t:state().statistics)
  end)
end)

describe("knob.prep bad input", function()
  local train = num_views()
  it("rejects unknown options, listing the valid ones", function()
    errmatch("standardize: unknown option 'with_means' (valid: columns, with_mean, with_std)",
             function() prep.standardize{with_means = true} end)
    errmatch("minmax: unknown option 'feature_range' (valid: columns, range)", function() prep.minmax{feature_range = {0, 1}} end)
    errmatch("poly: unknown option 'bias'", function() prep.poly{bias = true} end)
    errmatch("table expected, got string", function() prep.standardize("with_mean") end)
    errmatch("corr_filter: unknown option 'treshold' (valid: columns, threshold)", function() prep.corr_filter{treshold = 1} end)
  end)

  it("rejects wrong types and out-of-range values", function()
    errmatch("standardize: option 'with_mean' must be a boolean (got number)", function() prep.standardize{with_mean = 1} end)
    errmatch("minmax: option 'range' must be {min, max} with finite min < max (got {1, 0})", function() prep.minmax{range = {1, 0}} end)
    errmatch("minmax: option 'range' must be a pair {low, high} (got 3 numbers)", function() prep.minmax{range = {0, 1, 2}} end)
    errmatch("minmax: option 'range': entry 2 is NaN", function() prep.minmax{range = {0, nan}} end)
    errmatch("robust: option 'quantile_range' must be {low, high} with 0 <= low < high <= 100 (got {75, 25})",
             function() prep.robust{quantile_range = {75, 25}} end)
    errmatch("robust: option 'quantile_range' must be {low, high} with 0 <= low < high <= 100 (got {-1, 50})",
             function() prep.robust{quantile_range = {-1, 50}} end)
    errmatch("impute: option 'strategy' must be one of mean, median, most_frequent, constant (got 'mode')",
             function() prep.impute{strategy = "mode"} end)
    errmatch("impute: option 'fill_value' must be a number (numeric columns) or a string", function() prep.impute{fill_value = true} end)
    errmatch("impute: option 'fill_value' must be finite", function() prep.impute{strategy = "constant", fill_value = math.huge} end)
    errmatch("onehot: option 'handle_unknown' must be one of error, ignore (got 'skip')", function() prep.onehot{handle_unknown = "skip"} end)
    errmatch("onehot: option 'drop' must be one of none, first, if_binary (got 'last')", function() prep.onehot{drop = "last"} end)
    errmatch("poly: option 'degree' must be in 1..16 (got 0)", function() prep.poly{degree = 0} end)
    errmatch("poly: option 'degree' must be an integer (got number)", function() prep.poly{degree = 2.5} end)
    errmatch("variance_filter: option 'threshold' must be finite and >= 0 (got -1)", function() prep.variance_filter{threshold = -1} end)
    errmatch("corr_filter: option 'threshold' must be in [0, 1] (got 1.5)", function() prep.corr_filter{threshold = 1.5} end)
    errmatch("corr_filter: option 'threshold' must be a number, not NaN", function() prep.corr_filter{threshold = nan} end)
  end)

  it("rejects bad column lists", function()
    errmatch("option 'columns' must be a list of column names (got string)", function() prep.standardize{columns = "a"} end)
    errmatch("option 'columns': entry 2 must be a column name (got number)", function() prep.standardize{columns = {"a", 2}} end)
    errmatch("standardize: option 'columns' is empty", function() prep.standardize{columns = {}} end)
    errmatch("standardize: option 'columns': column 'a' is listed twice", function() prep.standardize{columns = {"a", "a"}} end)
    errmatch("standardize: column 'zz' (option 'columns') is not in the dataset",
             function() prep.standardize{columns = {"zz"}}:fit(train) end)
    local ds = dataset({{1, "p"}}, {"u", "k"}, {k = {"p"}})
    errmatch("standardize: column 'k' is categorical; standardize processes numeric columns",
             function() prep.standardize{columns = {"k"}}:fit(ds) end)
  end)

  it("rejects bad datasets", function()
    errmatch("bad argument #1", function() prep.standardize{}:fit({}) end)
    errmatch("bad argument #1", function() prep.standardize{}:fit_transform("x") end)
    errmatch("standardize: cannot fit on a dataset with no rows",
             function() prep.standardize{}:fit(dataset({{1}}, {"a"}):subset{}) end)
    errmatch("standardize: column 'a' row 2: infinite value",
             function() prep.standardize{}:fit(dataset({{1}, {math.huge}}, {"a"})) end)
    errmatch("bad argument #1 to 'from_json'", function() prep.from_json({}) end)
  end)
end)
