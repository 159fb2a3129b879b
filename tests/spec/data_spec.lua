-- data_spec.lua — knob.data: from_table, read_csv/write_csv option handling, concat, the knob.Dataset
-- methods (shape, columns, targets, missing values, subsets sharing the frame, copies, select, describe,
-- head, fingerprints, bytes, close) and bad input everywhere.
local knob = require "knob"
local data = knob.data
local helpers = require "helpers"

local NaN = 0 / 0
local isnan = helpers.isnan

local function near(expected, actual, tol)
  tol = tol or 1e-12
  assert(math.abs(expected - actual) <= tol * math.max(1, math.abs(expected)),
         string.format("expected %.17g, got %.17g", expected, actual))
end

-- The small mixed table used throughout. Expected statistics below come from pandas:
--   import pandas as pd, numpy as np
--   df = pd.DataFrame({"a":[1,2,np.nan,4,8], "color":["red","blue","red","green",None], "b":[10,np.nan,30,40,50]})
--   df.describe().to_dict()      # a: count 4, mean 3.75, std 3.095695936834452, min 1, 25% 1.75, 50% 3,
--                                #    75% 5, max 8;  b: count 4, mean 32.5, std 17.07825127659933, min 10,
--                                #    25% 25, 50% 35, 75% 42.5, max 50
--   df["color"].describe().to_dict()   # count 4, unique 3, top 'red', freq 2
--   df.isna().sum().to_dict()          # a 1, color 1, b 1
--   pd.Series(["yes","no","yes","yes","no"]).value_counts().to_dict()   # yes 3, no 2
-- (by hand for a: values 1 2 4 8, mean 15/4, squared deviations 28.75, std sqrt(28.75/3); 25% at
--  position 0.75 between 1 and 2 = 1.75)
local function mixed()
  return data.from_table{
    X = {{1, "red", 10}, {2, "blue", NaN}, {NaN, "red", 30}, {4, "green", 40}, {8, NaN, 50}},
    y = {"yes", "no", "yes", "yes", "no"},
    names = {"a", "color", "b"},
    target = "label",
  }
end

-- Arrays equal element by element, NaN matching NaN.
local function same_nan(expected, actual)
  assert.equals(#expected, #actual)
  for i = 1, #expected do
    local e, a = expected[i], actual[i]
    assert(e == a or (isnan(e) and isnan(a)), string.format("entry %d: expected %s, got %s", i, tostring(e), tostring(a)))
  end
end

local function errors(fn, pattern)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error matching '" .. pattern .. "'")
  assert(tostring(err):find(pattern, 1, true), "error '" .. tostring(err) .. "' does not contain '" .. pattern .. "'")
end

local function range(n)
  local t = {}
  for i = 1, n do t[i] = i end
  return t
end

describe("knob.data.from_table", function()
  it("builds a dataset from rows with numeric and categorical columns", function()
    local ds = mixed()
    assert.equals(5, ds:rows())
    assert.equals(5, #ds)
    assert.equals(3, ds:features())
    assert.same({"a", "color", "b"}, ds:names())
    assert.same({"numeric", "categorical", "numeric"}, ds:kinds())
    assert.same({"red", "blue", "green"}, ds:levels("color")) -- first-appearance order
    assert.is_nil(ds:levels("a"))
    assert.equals("classification", ds:task())
    assert.equals("label", ds:target_name())
    assert.same({"no", "yes"}, ds:classes()) -- sorted
    assert.same({no = 2, yes = 3}, ds:class_counts())
    assert.same({"yes", "no", "yes", "yes", "no"}, ds:target())
    assert.equals("knob.Dataset<5 rows x 3 features, classification 2 classes, target 'label'>", tostring(ds))
  end)

  it("returns columns with NaN for missing values in every kind of column", function()
    local ds = mixed()
    local a = ds:column("a")
    assert.equals(5, #a)
    assert.same({1, 2}, {a[1], a[2]})
    assert.is_true(isnan(a[3]))
    assert.same({4, 8}, {a[4], a[5]})
    local c = ds:column(2)
    assert.same({"red", "blue", "red", "green"}, {c[1], c[2], c[3], c[4]})
    assert.is_true(isnan(c[5]))
    same_nan(ds:column("b"), ds:column(-1)) -- negative index from the end
    same_nan({10, NaN, 30, 40, 50}, ds:column("b"))
    assert.same(ds:target(), ds:column("label")) -- the target by name
    assert.same({"no", "yes"}, ds:levels("label"))
  end)

  it("returns a row as an array of features and the target", function()
    local x, y = mixed():row(2)
    assert.equals(3, #x)
    assert.equals(2, x[1])
    assert.equals("blue", x[2])
    assert.is_true(isnan(x[3]))
    assert.equals("no", y)
  end)

  it("counts missing values per column", function()
    local m, total = mixed():missing()
    assert.same({a = 1, color = 1, b = 1}, m)
    assert.equals(3, total)
  end)

  it("names columns x1..xp and the target 'target' by default", function()
    local ds = data.from_table{X = {{1, 2}, {3, 4}}, y = {0.5, 1.5}}
    assert.same({"x1", "x2"}, ds:names())
    assert.equals("target", ds:target_name())
    assert.equals("regression", ds:task())
    assert.same({0.5, 1.5}, ds:target())
    assert.equals("knob.Dataset<2 rows x 2 features, regression, target 'target'>", tostring(ds))
  end)

  it("infers the task like the CSV reader: few integer values are classes, else regression", function()
    local c = data.from_table{X = {{1}, {2}, {3}}, y = {2, 0, 2}}
    assert.equals("classification", c:task())
    assert.same({"0", "2"}, c:classes()) -- sorted numerically, named by their value
    assert.same({"2", "0", "2"}, c:target())
    assert.same({["0"] = 1, ["2"] = 2}, c:class_counts())
    local r = data.from_table{X = {{1}, {2}, {3}}, y = {2, 0, 2}, task = "regression"}
    assert.equals("regression", r:task())
    assert.same({2, 0, 2}, r:target())
    -- more distinct integers than max_classes → regression
    assert.equals("regression", data.from_table{X = {{1}, {2}, {3}}, y = {1, 2, 3}, max_classes = 2}:task())
    -- forced classification of non-integer numbers; classes sorted numerically (10 after 9.5)
    local f = data.from_table{X = {{1}, {2}, {3}}, y = {10, 0.25, 9.5}, task = "classification"}
    assert.same({"0.25", "9.5", "10"}, f:classes())
  end)

  it("takes the target from a column of X by name or index (negative from the end)", function()
    local X = {{1, "p", 5}, {2, "q", 6}, {3, "p", 7}}
    local ds = data.from_table{X = X, names = {"u", "kind", "v"}, target = "kind"}
    assert.same({"u", "v"}, ds:names())
    assert.equals("kind", ds:target_name())
    assert.same({"p", "q", "p"}, ds:target())
    local ds2 = data.from_table{X = X, names = {"u", "kind", "v"}, target = -1, task = "regression"}
    assert.same({"u", "kind"}, ds2:names())
    assert.same({5, 6, 7}, ds2:target())
    local ds3 = data.from_table{X = X, target = 1, task = "regression"}
    assert.same({"x2", "x3"}, ds3:names())
    assert.equals("x1", ds3:target_name())
  end)

  it("builds a dataset without a target", function()
    local ds = data.from_table{X = {{1, "a"}, {2, "b"}}}
    assert.equals("none", ds:task())
    assert.is_nil(ds:target_name())
    assert.equals("knob.Dataset<2 rows x 2 features, no target>", tostring(ds))
    local x, y = ds:row(1)
    assert.same({1, "a"}, x)
    assert.is_nil(y)
    errors(function() ds:target() end, "target: dataset has no target")
    errors(function() ds:classes() end, "classes: not a classification dataset (task is none)")
  end)

  it("accepts the columns form, ordered by order or by sorted names", function()
    local ds = data.from_table{columns = {b = {1, 2, 3}, a = {"x", "y", "x"}, t = {0, 1, 1}}, order = {"b", "a", "t"},
                               target = "t"}
    assert.same({"b", "a"}, ds:names())
    assert.same({"numeric", "categorical"}, ds:kinds())
    assert.same({"0", "1", "1"}, ds:target())
    local ds2 = data.from_table{columns = {b = {1, 2}, a = {3, 4}}}
    assert.same({"a", "b"}, ds2:names())
    assert.same({3, 4}, ds2:column("a"))
    -- same content through both forms → same fingerprint
    local rows = data.from_table{X = {{3, 1}, {4, 2}}, names = {"a", "b"}}
    assert.equals(rows:fingerprint(), ds2:fingerprint())
  end)

  it("accepts NaN as missing in a string column", function()
    local ds = data.from_table{X = {{NaN}, {"a"}, {NaN}}}
    assert.same({"categorical"}, ds:kinds())
    assert.same({"a"}, ds:levels(1))
    assert.same({x1 = 2}, (ds:missing()))
  end)

  it("rejects bad input with clear errors", function()
    errors(function() data.from_table() end, "bad argument #1 to 'from_table' (table expected, got no value)")
    errors(function() data.from_table{X = {{1}}, Y = {1}} end, "from_table: unknown option 'Y' (valid: X, y, names")
    errors(function() data.from_table{} end, "from_table: give X (an array of rows) or columns")
    errors(function() data.from_table{X = {{1}}, columns = {a = {1}}} end, "give X (rows) or columns, not both")
    errors(function() data.from_table{X = {}} end, "from_table: X is empty (no rows)")
    errors(function() data.from_table{X = "x"} end, "from_table: X must be a table of rows (got string)")
    errors(function() data.from_table{X = {{}}} end, "from_table: X[1] is empty (no columns)")
    errors(function() data.from_table{X = {1, 2}} end, "from_table: X[1] must be a table")
    errors(function() data.from_table{X = {{1, 2}, {3}}} end, "ragged rows: X[2] has 1 values but X[1] has 2")
    errors(function() data.from_table{X = {{1}, {"a"}}} end,
           "mixed types in a column: X[1][1] is a number but X[2][1] is a string")
    errors(function() data.from_table{X = {{1}, {true}}} end, "X[2][1] must be a number or a string (got boolean)")
    errors(function() data.from_table{X = {{1}, {{}}}} end, "X[2][1] must be a number or a string (got table)")
    errors(function() data.from_table{X = {{1, 2}}, names = {"a"}} end, "names has 1 entries but X has 2 columns")
    errors(function() data.from_table{X = {{1, 2}}, names = {"a", "a"}} end, "duplicate column name 'a'")
    errors(function() data.from_table{X = {{1, 2}}, names = {"a", 2}} end, "names[2] must be a string (got number)")
    errors(function() data.from_table{X = {{1}}, y = {1}, target = "x1"} end, "duplicate column name 'x1'")
    errors(function() data.from_table{X = {{1}, {2}}, y = {1}} end, "y has 1 values but there are 2 rows")
    errors(function() data.from_table{X = {{1}, {2}}, y = {1, NaN}} end, "y[2] is NaN (a target value cannot be missing)")
    errors(function() data.from_table{X = {{1}, {2}}, y = {1, "a"}} end, "y[1] is a number but y[2] is a string")
    errors(function() data.from_table{X = {{1}, {2}}, y = {"a", "b"}, task = "regression"} end,
           "task 'regression' needs numeric target values")
    errors(function() data.from_table{X = {{1}}, y = {1}, task = "ranking"} end,
           "from_table: option 'task' must be one of classification, regression (got 'ranking')")
    errors(function() data.from_table{X = {{1}}, task = "regression"} end, "option 'task' needs a target")
    errors(function() data.from_table{X = {{1}}, y = {1}, max_classes = 0} end, "option 'max_classes' must be >= 1")
    errors(function() data.from_table{X = {{1}}, y = {1}, max_classes = 2.5} end, "option 'max_classes' must be an integer")
    errors(function() data.from_table{X = {{1, 2}}, target = "z"} end, "target 'z' is not one of the columns")
    errors(function() data.from_table{X = {{1, 2}}, target = 3} end, "from_table: target column 3 out of range")
    errors(function() data.from_table{X = {{1, 2}}, target = 0} end, "from_table: target column 0 out of range")
    errors(function() data.from_table{X = {{1, 2}}, target = true} end, "option 'target' must be a column name or index")
    errors(function() data.from_table{X = {{1}}, target = 1} end, "the target is the only column")
    errors(function() data.from_table{X = {{1}}, y = {1}, target = 5} end, "option 'target' is the target's name")
    errors(function() data.from_table{X = {{1}}, order = {"a"}} end, "option 'order' goes with columns")
    errors(function() data.from_table{columns = {a = {1}}, names = {"a"}} end, "option 'names' goes with X")
    errors(function() data.from_table{columns = {}} end, "from_table: columns is empty")
    errors(function() data.from_table{columns = {{1, 2}}} end, "columns must be keyed by column name")
    errors(function() data.from_table{columns = {a = {1, 2}, b = {1}}} end, "column 'b' has 1 values but 'a' has 2")
    errors(function() data.from_table{columns = {a = {}}} end, "the columns are empty (no rows)")
    errors(function() data.from_table{columns = {a = {1}}, order = {"b"}} end, "column 'b' is in order but not in columns")
    errors(function() data.from_table{columns = {a = {1}, b = {2}}, order = {"a"}} end,
           "order lists 1 names but columns has 2")
    errors(function() data.from_table{columns = {a = 5}} end, "column 'a' must be an array of values")
  end)
end)

describe("knob.Dataset methods", function()
  it("resolves columns by name or index and rejects unknown ones", function()
    local ds = mixed()
    errors(function() ds:column("nope") end, "column: unknown column 'nope' (columns: a, color, b)")
    errors(function() ds:column(4) end, "column: column 4 out of range (dataset has 3 features)")
    errors(function() ds:column(-4) end, "column: column -4 out of range (dataset has 3 features)")
    errors(function() ds:column(0) end, "column: column 0 out of range")
    errors(function() ds:column(1.5) end, "column: column index must be an integer (got 1.5)")
    errors(function() ds:column(true) end, "column: a column name or index expected (got boolean)")
    errors(function() ds:column() end, "column: a column name or index expected (got no value)")
    errors(function() ds:levels("zz") end, "levels: unknown column 'zz'")
    errors(function() ds:row(0) end, "row: row 0 out of range (dataset has 5 rows)")
    errors(function() ds:row(6) end, "row: row 6 out of range (dataset has 5 rows)")
    errors(function() ds:row("1") end, "row: row index must be an integer (got string)")
  end)

  it("rejects classification-only methods on a regression dataset", function()
    local ds = data.from_table{X = {{1}, {2}}, y = {0.5, 1}}
    errors(function() ds:classes() end, "classes: not a classification dataset (task is regression)")
    errors(function() ds:class_counts() end, "class_counts: not a classification dataset (task is regression)")
  end)

  it("takes row subsets that share the frame, with repeats", function()
    local ds = mixed()
    local s = ds:subset{5, 1, 1}
    assert.equals(3, s:rows())
    assert.same({"no", "yes", "yes"}, s:target())
    assert.same({8, 1, 1}, s:column("a"))
    assert.same({no = 1, yes = 2}, s:class_counts())
    assert.same({a = 0, color = 1, b = 0}, (s:missing())) -- per view, not per frame
    assert.same({"red", "blue", "green"}, s:levels("color")) -- schema kept
    local e = ds:subset{}
    assert.equals(0, e:rows())
    assert.same({}, e:target())
    -- a subset of a subset indexes the view, not the frame
    assert.same({1, 8}, s:subset{2, 1}:column("a"))
  end)

  it("keeps a subset alive after its parent is closed", function()
    local ds = mixed()
    local s = ds:subset{2, 4}
    ds:close()
    assert.same({2, 4}, s:column("a"))
    assert.same({"no", "yes"}, s:target())
  end)

  it("stores a subset in its index list only: bytes() of a subset is far smaller than of a copy", function()
    local X = {}
    for i = 1, 2000 do
      local r = {}
      for j = 1, 10 do r[j] = i * j end
      X[i] = r
    end
    local ds = data.from_table{X = X}
    local sub = ds:subset(range(2000))
    local copy = ds:copy()
    local sub_total, sub_view = sub:bytes()
    local ds_total, ds_view = ds:bytes()
    local copy_total = copy:bytes()
    -- the frame behind the subset is the very same one: totals differ only by the views
    assert.equals(ds_total - ds_view, sub_total - sub_view)
    -- the values alone are 2000 x 10 doubles; the subset's own memory is the 2000 indices
    assert.is_true(copy_total >= 2000 * 10 * 8)
    assert.is_true(sub_view >= 2000 * 8 and sub_view < 2000 * 8 + 256)
    assert.is_true(sub_view * 5 < copy_total)
    assert.is_true(ds_view < 256) -- a full view has no index list
  end)

  it("rejects bad subset indices naming them", function()
    local ds = mixed()
    errors(function() ds:subset{1, 6} end, "subset: row index 6 (entry 2) out of range (dataset has 5 rows)")
    errors(function() ds:subset{0} end, "subset: row index 0 (entry 1) out of range")
    errors(function() ds:subset{-1} end, "subset: row index -1 (entry 1) out of range")
    errors(function() ds:subset{1.5} end, "subset: entry 1 must be an integer row index (got 1.5)")
    errors(function() ds:subset{"a"} end, "subset: entry 1 must be an integer row index (got string)")
    errors(function() ds:subset(3) end, "bad argument #1 to 'subset' (table expected, got number)")
  end)

  it("copies into a new frame with the same content", function()
    local ds = mixed()
    local c = ds:copy()
    assert.equals(ds:fingerprint(), c:fingerprint())
    ds:close()
    assert.same({"yes", "no", "yes", "yes", "no"}, c:target())
    assert.same({a = 1, color = 1, b = 1}, (c:missing()))
  end)

  it("selects features by name or index into a new frame", function()
    local ds = mixed()
    local s = ds:select{"b", 2}
    assert.same({"b", "color"}, s:names())
    assert.same({"numeric", "categorical"}, s:kinds())
    assert.same({"red", "blue", "green"}, s:levels("color"))
    assert.equals("label", s:target_name())
    assert.same(ds:target(), s:target())
    assert.same({b = 1, color = 1}, (s:missing()))
    -- select on a subset takes the subset's rows
    local t = ds:subset{4, 1}:select{-3}
    assert.same({4, 1}, t:column(1))
    assert.same({"yes", "yes"}, t:target())
    errors(function() ds:select{} end, "select: no columns given")
    errors(function() ds:select{"a", 1} end, "select: column 'a' selected twice")
    errors(function() ds:select{"zz"} end, "select: unknown column 'zz'")
    errors(function() ds:select{"label"} end, "select: 'label' is the target, not a feature column")
    errors(function() ds:select{9} end, "select: column 9 out of range")
    errors(function() ds:select("a") end, "bad argument #1 to 'select' (table expected, got string)")
  end)

  it("gives column statistics like pandas", function()
    local ds = mixed()
    local a = ds:column_stats("a")
    assert.equals("numeric", a.kind)
    assert.equals(4, a.count)
    assert.equals(1, a.missing)
    near(3.75, a.mean)
    near(3.095695936834452, a.std)
    assert.same({1, 1.75, 3, 5, 8}, {a.min, a.q25, a.q50, a.q75, a.max})
    local b = ds:column_stats(3)
    near(32.5, b.mean)
    near(17.07825127659933, b.std)
    assert.same({10, 25, 35, 42.5, 50}, {b.min, b.q25, b.q50, b.q75, b.max})
    local c = ds:column_stats("color")
    assert.equals("categorical", c.kind)
    assert.same({4, 1, 3, "red", 2}, {c.count, c.missing, c.unique, c.top, c.freq})
    assert.same({red = 2, blue = 1, green = 1}, c.counts)
    local t = ds:column_stats("label")
    assert.same({5, 0, 2, "yes", 3}, {t.count, t.missing, t.unique, t.top, t.freq})
  end)

  it("gives NaN statistics where they are undefined", function()
    -- pandas: pd.Series([7.0]).describe() → count 1, mean 7, std NaN, min/quartiles/max 7
    local s = data.from_table{X = {{7}}}:column_stats(1)
    assert.same({1, 0, 7, 7, 7, 7, 7, 7}, {s.count, s.missing, s.mean, s.min, s.q25, s.q50, s.q75, s.max})
    assert.is_true(isnan(s.std))
    local m = data.from_table{X = {{NaN}, {NaN}}}:column_stats(1)
    assert.same({0, 2}, {m.count, m.missing})
    for _, k in ipairs{"mean", "std", "min", "q25", "q50", "q75", "max"} do assert.is_true(isnan(m[k]), k) end
    local e = mixed():subset{}:column_stats("color")
    assert.same({0, 0, 0, 0}, {e.count, e.missing, e.unique, e.freq})
    assert.is_nil(e.top)
  end)

  it("describes a dataset: a printable string and a table", function()
    local text, t = mixed():describe()
    assert.equals(5, t.rows)
    assert.equals(3, #t.columns)
    assert.same({"a", "color", "b"}, {t.columns[1].name, t.columns[2].name, t.columns[3].name})
    near(3.095695936834452, t.columns[1].std)
    assert.equals(42.5, t.columns[3].q75)
    assert.same({"red", 2, 3}, {t.columns[2].top, t.columns[2].freq, t.columns[2].unique})
    assert.equals("label", t.target.name)
    assert.equals("classification", t.target.task)
    assert.same({"no", "yes"}, t.target.classes)
    assert.same({no = 2, yes = 3}, t.target.counts)
    assert.matches("^knob%.Dataset<5 rows x 3 features", text)
    assert.matches("numeric%s+count%s+missing%s+mean%s+std%s+min%s+25%%%s+50%%%s+75%%%s+max", text)
    assert.matches("\na%s+4%s+1%s+3%.75%s+3%.0957%s+1%s+1%.75%s+3%s+5%s+8\n", text)
    assert.matches("\nb%s+4%s+1%s+32%.5%s+17%.0783%s+10%s+25%s+35%s+42%.5%s+50\n", text)
    assert.matches("\ncolor%s+4%s+1%s+3%s+red%s+2\n", text)
    assert.matches("target 'label' (classification, 2 classes): no 2, yes 3", text, 1, true)
  end)

  it("describes a regression target with numeric statistics", function()
    -- pandas: pd.Series([3.5, -1.0, 2.25, 10.0]).describe() → count 4, mean 3.6875,
    --   std 4.615982199561288, min -1, 25% 1.4375, 50% 2.875, 75% 5.125, max 10
    local ds = data.from_table{X = {{1}, {2}, {3}, {4}}, y = {3.5, -1.0, 2.25, 10.0}, target = "price"}
    local text, t = ds:describe()
    assert.equals("regression", t.target.task)
    near(3.6875, t.target.mean)
    near(4.615982199561288, t.target.std)
    assert.same({-1, 1.4375, 2.875, 5.125, 10}, {t.target.min, t.target.q25, t.target.q50, t.target.q75, t.target.max})
    assert.matches("\nprice %(target%)%s+4%s+0%s+3%.6875%s+4%.61598", text)
  end)

  it("shows the first rows with head", function()
    local ds = mixed()
    local text, rows = ds:head(2)
    assert.equals(2, #rows)
    assert.same({a = 1, color = "red", b = 10, label = "yes"}, rows[1])
    assert.equals("blue", rows[2].color)
    assert.is_true(isnan(rows[2].b))
    assert.matches("a%s+color%s+b%s+| label\n1%s+1%s+red%s+10%s+| yes\n2%s+2%s+blue%s+NaN%s+| no", text)
    assert.matches("[2 of 5 rows]", text, 1, true)
    local _, all = ds:head()
    assert.equals(5, #all) -- default 5
    local _, more = ds:head(50)
    assert.equals(5, #more) -- clamped to the rows there are
    local _, none = ds:head(0)
    assert.same({}, none)
    errors(function() ds:head(-1) end, "head: n must be an integer >= 0 (got -1)")
    errors(function() ds:head(1.5) end, "head: n must be an integer >= 0 (got 1.5)")
    errors(function() ds:head("3") end, "head: n must be an integer >= 0 (got 3)")
  end)

  it("elides middle columns of a wide dataset in head's text but not in its records", function()
    local row = {}
    for j = 1, 14 do row[j] = j end
    local text, rows = data.from_table{X = {row}}:head()
    assert.matches("x5%s+...%s+x10", text)
    assert.is_nil(text:find("x6", 1, true))
    assert.equals(7, rows[1].x7)
  end)

  it("fingerprints content: equal content, equal hash; any change, another hash", function()
    local a, b = mixed(), mixed()
    assert.matches("^%x+$", a:fingerprint())
    assert.equals(16, #a:fingerprint())
    assert.equals(a:fingerprint(), b:fingerprint())
    -- a subset in the original order hashes like a copy of it, and like the whole when it is all rows
    local s = a:subset{2, 3, 5}
    assert.equals(s:fingerprint(), s:copy():fingerprint())
    assert.equals(a:fingerprint(), a:subset(range(5)):fingerprint())
    assert.not_equals(a:fingerprint(), a:subset{2, 1, 3, 4, 5}:fingerprint()) -- row order matters
    local function fp(t) return data.from_table(t):fingerprint() end
    local base = {X = {{1, "u"}, {2, "v"}}, y = {0.5, 1.5}, names = {"p", "q"}}
    local h = fp(base)
    assert.not_equals(h, fp{X = {{1, "u"}, {3, "v"}}, y = {0.5, 1.5}, names = {"p", "q"}}) -- a value
    assert.not_equals(h, fp{X = {{1, "u"}, {2, "v"}}, y = {0.5, 2.5}, names = {"p", "q"}}) -- the target
    assert.not_equals(h, fp{X = {{1, "u"}, {2, "v"}}, y = {0.5, 1.5}, names = {"p", "r"}}) -- a name
    assert.not_equals(h, fp{X = {{1, "u"}, {2, "w"}}, y = {0.5, 1.5}, names = {"p", "q"}}) -- a level
    assert.not_equals(h, fp{X = {{1, "v"}, {2, "u"}}, y = {0.5, 1.5}, names = {"p", "q"}}) -- level order
    -- NaN of either sign is one missing value
    assert.equals(fp{X = {{NaN}}}, fp{X = {{-(0 / 0)}}})
  end)

  it("fingerprints the same on every machine (FNV-1a reference computed independently)", function()
    -- Python, following the layout documented in data.c: FNV-1a 64 over n_rows, n_features (as
    -- little-endian IEEE doubles), per column name+NUL, kind, levels+NUL; task; the target column; the
    -- values column by column; the target values.
    --   import struct; P=0x100000001b3; M=(1<<64)-1
    --   def b(h,bs):
    --       for x in bs: h=((h^x)*P)&M
    --       return h
    --   d=lambda h,v: b(h,struct.pack('<d',float(v))); s=lambda h,t: b(h,t.encode()+b'\0')
    --   def col(h,name,kind,levels=()):
    --       h=s(h,name); h=d(h,kind)
    --       for l in levels: h=s(h,l)
    --       return h
    --   h=0xcbf29ce484222325; h=d(h,2); h=d(h,1); h=col(h,"x1",0); h=d(h,2); h=col(h,"target",0)
    --   for v in [1,2,0.5,1.5]: h=d(h,v)
    --   print("%016x"%h)                                   # 62409619e764b8c1
    --   h=0xcbf29ce484222325; h=d(h,3); h=d(h,1); h=col(h,"x1",1,["a","b"]); h=d(h,1)
    --   h=col(h,"target",1,["n","y"])
    --   for v in [0,1,0,0,1,1]: h=d(h,v)
    --   print("%016x"%h)                                   # d2f4a27f5900f8de
    assert.equals("62409619e764b8c1", data.from_table{X = {{1}, {2}}, y = {0.5, 1.5}}:fingerprint())
    assert.equals("d2f4a27f5900f8de", data.from_table{X = {{"a"}, {"b"}, {"a"}}, y = {"n", "y", "y"}}:fingerprint())
  end)

  it("concatenates rows of datasets with the same schema", function()
    local ds = mixed()
    local c = data.concat(ds:subset{1, 2}, ds:subset{5})
    assert.equals(3, c:rows())
    assert.same({"yes", "no", "no"}, c:target())
    assert.same({a = 0, color = 1, b = 1}, (c:missing()))
    assert.equals(ds:subset{1, 2, 5}:fingerprint(), c:fingerprint())
    local other = data.from_table{X = {{1, "red", 10}, {1, "blue", 10}, {1, "green", 10}}, y = {"yes", "no", "no"},
                                  names = {"a", "color", "c"}, target = "label"}
    errors(function() data.concat(ds, other) end, "concat: column is named 'b' in one dataset and 'c' in the other")
    local lv = data.from_table{X = {{1, "blue", 10}}, y = {"yes"}, names = {"a", "color", "b"}, target = "label"}
    errors(function() data.concat(ds, lv) end, "concat: column 'color' has different kinds or levels")
    local cls = data.from_table{X = {{1, "red", 10}, {1, "blue", 10}, {1, "green", 10}}, y = {"yes", "yes", "yes"},
                                names = {"a", "color", "b"}, target = "label"}
    errors(function() data.concat(ds, cls) end, "concat: target 'label' has different kinds or levels")
    errors(function() data.concat(ds, ds:select{"a"}) end, "concat: datasets have 3 and 1 features")
    errors(function() data.concat(ds, 5) end, "bad argument #2 to 'concat' (knob.Dataset expected, got number)")
  end)

  it("closes once, by close, <close> or the collector; a closed dataset raises", function()
    local ds = mixed()
    ds:close()
    ds:close() -- idempotent
    assert.equals("knob.Dataset<closed>", tostring(ds))
    for _, m in ipairs{"rows", "features", "names", "kinds", "task", "classes", "class_counts", "target",
                       "target_name", "missing", "copy", "fingerprint", "bytes", "describe", "head"} do
      errors(function() ds[m](ds) end, "dataset is closed")
    end
    errors(function() ds:column(1) end, "dataset is closed")
    errors(function() ds:subset{1} end, "dataset is closed")
    errors(function() return #ds end, "dataset is closed")
    errors(function() data.concat(ds, mixed()) end, "dataset is closed")
    local keep
    do
      local scoped <close> = mixed()
      keep = scoped
      assert.equals(5, #scoped)
    end
    assert.equals("knob.Dataset<closed>", tostring(keep))
    for _ = 1, 50 do mixed():subset{1, 2} end
    collectgarbage()
    collectgarbage()
  end)

  it("merges knob.core.data and knob.core.synth; Lua methods live in the shared methods table", function()
    for k, v in pairs(knob.core.data) do assert.equals(v, data[k]) end
    for k, v in pairs(knob.core.synth) do assert.equals(v, data[k]) end
    assert.equals(knob.core.data.Dataset, data.Dataset)
    assert.equals(getmetatable(mixed()).__index, data.Dataset)
    assert.is_function(data.Dataset.describe)
    assert.is_function(data.Dataset.head)
  end)

  it("rejects a non-dataset self", function()
    errors(function() data.Dataset.rows({}) end, "bad argument #1 to 'rows' (knob.Dataset expected, got table)")
  end)
end)

describe("knob.data.read_csv / write_csv options", function()
  it("returns nil and a message naming the file when it cannot read it", function()
    local ds, msg = data.read_csv("/nonexistent/dir/x.csv")
    assert.is_nil(ds)
    assert.matches("/nonexistent/dir/x.csv", msg, 1, true)
    ds, msg = data.read_csv("/nonexistent/dir/x.csv", {target = -1, delimiter = ";", task = "classification",
                                                      max_classes = 5, na_values = {"-"}, categorical = {"a"},
                                                      numeric = {"b"}})
    assert.is_nil(ds)
    assert.is_string(msg)
  end)

  it("raises on a misspelt option or a wrong type before reading", function()
    local p = "/nonexistent/x.csv"
    errors(function() data.read_csv(p, {targt = "y"}) end,
           "read_csv: unknown option 'targt' (valid: target, delimiter, task, max_classes, na_values, categorical, numeric)")
    errors(function() data.read_csv() end, "bad argument #1 to 'read_csv' (string expected, got no value)")
    errors(function() data.read_csv(p, "y") end, "bad argument #2 to 'read_csv' (table expected, got string)")
    errors(function() data.read_csv(p, {target = true}) end, "read_csv: option 'target' must be a column name or index (got boolean)")
    errors(function() data.read_csv(p, {target = 0}) end, "option 'target' must be a column name or a non-zero integer index (got 0)")
    errors(function() data.read_csv(p, {target = 1.5}) end, "non-zero integer index (got 1.5)")
    errors(function() data.read_csv(p, {delimiter = ",,"}) end, "option 'delimiter' must be one character")
    errors(function() data.read_csv(p, {delimiter = '"'}) end, "option 'delimiter' must be one character")
    errors(function() data.read_csv(p, {delimiter = 44}) end, "read_csv: option 'delimiter' must be a string (got number)")
    errors(function() data.read_csv(p, {task = "clustering"}) end,
           "read_csv: option 'task' must be one of classification, regression (got 'clustering')")
    errors(function() data.read_csv(p, {max_classes = 0}) end, "read_csv: option 'max_classes' must be >= 1 (got 0)")
    errors(function() data.read_csv(p, {max_classes = "5"}) end, "option 'max_classes' must be an integer")
    errors(function() data.read_csv(p, {na_values = "NA"}) end, "read_csv: option 'na_values' must be a list of strings (got string)")
    errors(function() data.read_csv(p, {na_values = {"NA", 3}}) end, "read_csv: option 'na_values': entry 2 must be a string (got number)")
    errors(function() data.read_csv(p, {categorical = {true}}) end, "option 'categorical': entry 1 must be a string")
    errors(function() data.read_csv(p, {numeric = 1}) end, "option 'numeric' must be a list of strings")
    errors(function() data.read_csv(p, {categorical = {"a", "b"}, numeric = {"b"}}) end,
           "read_csv: column 'b' is listed as both categorical and numeric")
  end)

  it("write_csv checks its options and returns nil, msg when it cannot write", function()
    local ds = mixed()
    errors(function() ds:write_csv("/tmp/x.csv", {delimeter = ";"}) end, "write_csv: unknown option 'delimeter' (valid: delimiter)")
    errors(function() ds:write_csv("/tmp/x.csv", {delimiter = "ab"}) end, "write_csv: option 'delimiter' must be one character")
    errors(function() ds:write_csv() end, "bad argument #1 to 'write_csv' (string expected, got no value)")
    local ok, msg = ds:write_csv("/nonexistent/dir/x.csv")
    assert.is_nil(ok)
    assert.matches("/nonexistent/dir/x.csv", msg, 1, true)
  end)
end)

describe("knob.data.read_csv on the bundled data", function()
  it("reads iris with string classes", function()
    local ds = assert(data.read_csv("examples/data/iris.csv", {target = "species"}))
    assert.equals("knob.Dataset<150 rows x 4 features, classification 3 classes, target 'species'>", tostring(ds))
    assert.same({"sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"}, ds:names())
    assert.same({"setosa", "versicolor", "virginica"}, ds:classes())
    assert.same({setosa = 50, versicolor = 50, virginica = 50}, ds:class_counts())
    -- first row of the file: 5.1,3.5,1.4,0.2,setosa
    local x, y = ds:row(1)
    assert.same({5.1, 3.5, 1.4, 0.2}, x)
    assert.equals("setosa", y)
    -- pandas: pd.read_csv("examples/data/iris.csv")["sepal_length_cm"].describe() → mean 5.843333333333334,
    --   std 0.8280661279778629, 25% 5.1, 50% 5.8, 75% 6.4
    local s = ds:column_stats(1)
    near(5.843333333333334, s.mean, 1e-12)
    near(0.8280661279778629, s.std, 1e-12)
    assert.same({4.3, 5.1, 5.8, 6.4, 7.9}, {s.min, s.q25, s.q50, s.q75, s.max})
  end)

  it("reads breast_cancer with the target last (-1)", function()
    local ds = assert(data.read_csv("examples/data/breast_cancer.csv", {target = -1}))
    assert.equals("knob.Dataset<569 rows x 30 features, classification 2 classes, target 'diagnosis'>", tostring(ds))
    assert.same({benign = 357, malignant = 212}, ds:class_counts())
  end)

  it("reads diabetes as regression and wine's integer classes as classification", function()
    local d = assert(data.read_csv("examples/data/diabetes.csv", {target = "progression"}))
    assert.equals("knob.Dataset<442 rows x 10 features, regression, target 'progression'>", tostring(d))
    local w = assert(data.read_csv("examples/data/wine.csv", {target = "cultivar"}))
    assert.same({"0", "1", "2"}, w:classes())
    local r = assert(data.read_csv("examples/data/wine.csv", {target = "cultivar", task = "regression"}))
    assert.equals("regression", r:task())
  end)

  it("writes a dataset and reads it back with the same content", function()
    local ds = mixed()
    local path = helpers.tmpname()
    assert.is_true(ds:write_csv(path))
    local back = assert(data.read_csv(path, {target = "label"}))
    os.remove(path)
    assert.equals(ds:fingerprint(), back:fingerprint())
    local sub = ds:subset{4, 2}
    assert.is_true(sub:write_csv(path, {delimiter = ";"}))
    local back2 = assert(data.read_csv(path, {target = -1, delimiter = ";"}))
    os.remove(path)
    assert.same(sub:target(), back2:target())
    assert.same(sub:column("a"), back2:column("a"))
  end)

  it("raises when the reader finds the options wrong whatever the file holds", function()
    errors(function() data.read_csv("examples/data/iris.csv", {delimiter = "x"}) end, "delimiter")
    errors(function() data.read_csv("examples/data/iris.csv", {task = "regression"}) end, "target")
    -- a target the file does not have depends on the content: nil, msg
    local ds, msg = data.read_csv("examples/data/iris.csv", {target = "nope"})
    assert.is_nil(ds)
    assert.matches("nope", msg, 1, true)
  end)

  it("applies na_values, categorical and numeric", function()
    local path = helpers.tmpfile("code,size,label\n1,-,a\n2,3.5,b\n1,4,a\n")
    local ds = assert(data.read_csv(path, {target = "label", na_values = {"-"}, categorical = {"code"}}))
    assert.same({"categorical", "numeric"}, ds:kinds())
    assert.same({size = 1, code = 0}, (ds:missing()))
    local bad, msg = data.read_csv(path, {target = "label", numeric = {"label"}})
    os.remove(path)
    assert.is_nil(bad)
    assert.is_string(msg)
  end)
end)
