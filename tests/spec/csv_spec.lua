-- csv_spec.lua — the CSV reader and writer (engine/src/csv.c, csv_write.c) through knob.core.csv.
-- Expected values are written by hand from the small inline CSV texts. The bundled files' shapes and
-- class counts are those of examples/data/README.md, confirmed once with pandas 1.5.3:
--   import pandas as pd
--   d = pd.read_csv("examples/data/wine.csv"); print(d.shape, d[d.columns[-1]].value_counts())
-- Parsed numbers are compared bit for bit with Lua's tonumber (strtod) of the same text.
local csv = require("knob.core").csv
local helpers = require "helpers"
local tmpfile, slurp, isnan = helpers.tmpfile, helpers.slurp, helpers.isnan

local DATA = "examples/data/"
local BUNDLED = {"iris", "wine", "breast_cancer", "digits", "diabetes"}

-- The dataset as plain tables through the public Dataset API (tests/helpers.lua): categorical cells and
-- class labels as 0-based codes, i.e. positions in ds:levels(j) / ds:classes() minus one.
local function dump(ds)
  return helpers.snapshot(ds, {codes = true})
end

-- Parse text (through a temporary file, so read() is what is tested) and dump the dataset.
local function load(text, opts)
  local path = tmpfile(text)
  local ds, err = csv.read(path, opts)
  os.remove(path)
  assert(ds, err)
  return dump(ds), ds
end

local function parse(text, opts)
  return dump(assert(csv.parse(text, opts)))
end

-- The error message of a parse that must fail.
local function fails(text, opts)
  local ds, err = csv.parse(text, opts)
  assert.is_nil(ds)
  assert.is_string(err)
  return err
end

local function bits(x)
  return string.pack("<d", x)
end

-- The reference value of a number's text: Lua's tonumber as a float. Text without an exponent gets "e0"
-- so that Lua takes its float path (strtod) even for integer syntax, where tonumber("-0") would be the
-- integer 0 rather than -0.0 (the only value where the integer path differs).
local function ref(s)
  return tonumber(s:find("[eE]") and s or s .. "e0")
end

local function split(line, sep)
  local out = {}
  for field in (line .. sep):gmatch("(.-)" .. sep) do out[#out + 1] = field end
  return out
end

describe("csv reader: bundled datasets", function()
  local expect = {
    iris = {n = 150, p = 4, target = "species", task = "classification",
            classes = {"setosa", "versicolor", "virginica"}, counts = {50, 50, 50}},
    wine = {n = 178, p = 13, target = "cultivar", task = "classification",
            classes = {"0", "1", "2"}, counts = {59, 71, 48}},
    breast_cancer = {n = 569, p = 30, target = "diagnosis", task = "classification",
                     classes = {"benign", "malignant"}, counts = {357, 212}},
    digits = {n = 1797, p = 64, target = "digit", task = "classification",
              classes = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
              counts = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180}},
    diabetes = {n = 442, p = 10, target = "progression", task = "regression"},
  }
  for _, name in ipairs(BUNDLED) do
    it(name .. ": shape, target, task, classes and class counts", function()
      local e = expect[name]
      local ds = assert(csv.read(DATA .. name .. ".csv", {target = e.target}))
      local d = dump(ds)
      assert.equals(e.n, d.n_rows)
      assert.equals(e.p, #d.names)
      assert.equals(e.task, d.task)
      assert.equals(e.target, d.target)
      for j = 1, e.p do
        assert.equals("numeric", d.kinds[j])
        assert.equals(0, d.missing[j])
      end
      if e.classes then
        assert.same(e.classes, d.classes)
        local counts = {}
        for k = 1, #e.classes do counts[k] = 0 end
        for _, c in ipairs(d.y) do counts[c + 1] = counts[c + 1] + 1 end
        assert.same(e.counts, counts)
      end
    end)

    it(name .. ": every parsed number is bit-identical to tonumber of its text", function()
      local d = dump(assert(csv.read(DATA .. name .. ".csv", {target = -1})))
      local lines = {}
      for line in io.lines(DATA .. name .. ".csv") do lines[#lines + 1] = line end
      local header = split(lines[1], ",")
      assert.same({table.unpack(header, 1, #header - 1)}, d.names)
      assert.equals(#lines - 1, d.n_rows)
      local checked = 0
      for i = 2, #lines do
        local f = split(lines[i], ",")
        for j = 1, #f - 1 do
          local want = tonumber(f[j])
          if math.type(want) == "integer" then want = want + 0.0 end -- no "-0" in these files
          if bits(d.X[i - 1][j]) ~= bits(want) then
            error(("%s line %d col %d: %q read as %.17g, tonumber gives %.17g"):format(name, i, j, f[j],
              d.X[i - 1][j], want))
          end
          checked = checked + 1
        end
        if d.task == "regression" then assert.equals(bits(ref(f[#f])), bits(d.y[i - 1])) end
      end
      assert.equals(d.n_rows * #d.names, checked)
    end)
  end

  it("reads the target by index: 1-based, negative from the end", function()
    local last = dump(assert(csv.read(DATA .. "iris.csv", {target = -1})))
    local by5 = dump(assert(csv.read(DATA .. "iris.csv", {target = 5})))
    assert.equals("species", last.target)
    assert.equals("species", by5.target)
    local first = dump(assert(csv.read(DATA .. "iris.csv", {target = 1})))
    assert.equals("sepal_length_cm", first.target)
    assert.equals("regression", first.task) -- 5.1, 4.9, ... are not integers
    assert.same({"sepal_width_cm", "petal_length_cm", "petal_width_cm", "species"}, first.names)
    assert.equals("categorical", first.kinds[4])
    assert.same({"setosa", "versicolor", "virginica"}, first.levels[4]) -- order of first appearance
  end)

  it("without a target every column is a feature and the task is none", function()
    local d = dump(assert(csv.read(DATA .. "iris.csv")))
    assert.equals(5, #d.names)
    assert.equals("none", d.task)
    assert.is_nil(d.y)
    assert.equals("categorical", d.kinds[5])
    assert.equals(0, d.X[1][5])
    assert.equals(2, d.X[150][5])
  end)
end)

describe("csv reader: format", function()
  it("parses numbers and keeps the header names", function()
    local d = load("a,b,c\n1,2.5,-3e2\n4,0.125,.5\n")
    assert.same({"a", "b", "c"}, d.names)
    assert.same({{1, 2.5, -300}, {4, 0.125, 0.5}}, d.X)
    assert.same({"numeric", "numeric", "numeric"}, d.kinds)
  end)

  it("detects the delimiter: , ; tab |", function()
    for _, sep in ipairs{",", ";", "\t", "|"} do
      local d = load((("x%sy%sz\n1%s2%s3\n"):gsub("%%s", sep)))
      assert.same({"x", "y", "z"}, d.names)
      assert.same({{1, 2, 3}}, d.X)
    end
  end)

  it("detects ';' when the numbers use a decimal comma (and keeps those as text)", function()
    local d = load("x;y\n1,5;2\n")
    assert.same({"x", "y"}, d.names)
    assert.equals("categorical", d.kinds[1])
    assert.same({"1,5"}, d.levels[1])
  end)

  it("prefers a candidate that occurs as often in the first data row", function()
    -- header: one ',' and one ';'; the data row has one ';' and no ',' -> ';'
    local d = load("a,b;c\n1;2\n")
    assert.same({"a,b", "c"}, d.names)
    assert.same({{1, 2}}, d.X)
  end)

  it("takes a given delimiter over detection", function()
    local d = load("a;b\n1;2\n", {delimiter = ","})
    assert.same({"a;b"}, d.names)
    assert.same({"1;2"}, d.levels[1])
    d = load("a,b|c\n1,2|3\n", {delimiter = "|"})
    assert.same({"a,b", "c"}, d.names)
  end)

  it("handles RFC 4180 quoting: delimiters, doubled quotes and line breaks inside quotes", function()
    local d = load('name,"the, value",y\n"a,b",1,"say ""hi"""\n"two\nlines",2,"x"\n"",3,""""\n')
    assert.same({"name", "the, value", "y"}, d.names)
    assert.same({"a,b", "two\nlines"}, d.levels[1])
    assert.same({'say "hi"', "x", '"'}, d.levels[3])
    assert.same({1, 2, 3}, {d.X[1][2], d.X[2][2], d.X[3][2]})
    assert.is_true(isnan(d.X[3][1])) -- "" is an empty field: missing
    assert.equals(1, d.missing[1])
  end)

  it("reads quoted numbers as numbers and keeps a quote inside an unquoted field", function()
    local d = load('a,b\n"1.5",5\'10"\n"2",6\'1"\n')
    assert.equals("numeric", d.kinds[1])
    assert.same({1.5, 2}, {d.X[1][1], d.X[2][1]})
    assert.same({"5'10\"", "6'1\""}, d.levels[2])
  end)

  it("accepts LF, CRLF and lone CR line ends, and no final line end", function()
    local want = {{1, 2}, {3, 4}}
    assert.same(want, load("a,b\n1,2\n3,4\n").X)
    assert.same(want, load("a,b\r\n1,2\r\n3,4\r\n").X)
    assert.same(want, load("a,b\r1,2\r3,4\r").X)
    assert.same(want, load("a,b\n1,2\n3,4").X)
    assert.same({"a\r\nb"}, load('x,y\n"a\r\nb",1\r\n').levels[1]) -- CRLF kept inside quotes
  end)

  it("skips a UTF-8 byte order mark", function()
    local d = load("\239\187\191a,b\n1,2\n")
    assert.same({"a", "b"}, d.names)
  end)

  it("ignores empty lines at the end", function()
    assert.equals(2, load("a,b\n1,2\n3,4\n\n\n").n_rows)
    assert.equals(2, load("a,b\r\n1,2\r\n3,4\r\n\r\n").n_rows)
  end)

  it("with one column, an empty line between rows is a missing value", function()
    local d = load("x\n1\n\n3\n\n")
    assert.equals(3, d.n_rows)
    assert.equals(1, d.X[1][1])
    assert.is_true(isnan(d.X[2][1]))
    assert.equals(3, d.X[3][1])
    assert.equals(1, d.missing[1])
  end)

  it("reads the missing-value spellings as NaN and counts them per column", function()
    local d = load("a,b,c\n1,NA,x\n,N/A,y\nNaN,nan,NULL\nnull,?,z\n5, NA ,\"NA\"\n")
    assert.equals(5, d.n_rows)
    assert.same({3, 5, 2}, d.missing)
    assert.equals("numeric", d.kinds[1])
    assert.equals("numeric", d.kinds[2]) -- all missing: still numeric
    assert.equals("categorical", d.kinds[3])
    assert.same({"x", "y", "z"}, d.levels[3])
    assert.equals(1, d.X[1][1])
    assert.equals(5, d.X[5][1])
    for i = 1, 4 do assert.is_true(isnan(d.X[i][2])) end
    assert.is_true(isnan(d.X[3][3]))
    assert.is_true(isnan(d.X[5][3]))
  end)

  it("takes extra missing-value spellings", function()
    local d = load("a,b\n-999,x\n2,-\n", {na_values = {"-999", "-"}})
    assert.is_true(isnan(d.X[1][1]))
    assert.equals(2, d.X[2][1])
    assert.same({1, 1}, d.missing)
    assert.same({"x"}, d.levels[2])
  end)

  it("ignores spaces around numbers but keeps categorical values verbatim", function()
    local d = load("a,b\n 1 , x\n2,x\n")
    assert.same({1, 2}, {d.X[1][1], d.X[2][1]})
    assert.same({" x", "x"}, d.levels[2])
  end)

  it("keeps categorical values as codes, levels in order of first appearance", function()
    local d = load("color,n\nred,1\nblue,2\nred,3\ngreen,4\nblue,5\n")
    assert.equals("categorical", d.kinds[1])
    assert.same({"red", "blue", "green"}, d.levels[1])
    assert.same({0, 1, 0, 2, 1}, {d.X[1][1], d.X[2][1], d.X[3][1], d.X[4][1], d.X[5][1]})
    assert.equals("numeric", d.kinds[2])
    assert.is_nil(d.levels[2]) -- a numeric column has no levels
  end)

  it("turns a column categorical at its first non-number, keeping earlier values as text", function()
    local d = load("v\n1\n2.0\nabc\n1\n")
    assert.equals("categorical", d.kinds[1])
    assert.same({"1", "2.0", "abc"}, d.levels[1])
    assert.same({{0}, {1}, {2}, {0}}, d.X)
    d = load("a,b\n1,\n2,x\n3,NA\n") -- missing values before the change are counted once
    assert.same({0, 2}, d.missing)
    assert.same({"x"}, d.levels[2])
  end)

  it("forces columns categorical or numeric", function()
    local d = load("a,b\n10,1\n2,2\n10,3\n", {categorical = {"a"}, numeric = {"b"}})
    assert.equals("categorical", d.kinds[1])
    assert.same({"10", "2"}, d.levels[1])
    assert.same({0, 1, 0}, {d.X[1][1], d.X[2][1], d.X[3][1]})
    assert.equals("numeric", d.kinds[2])
  end)

  it("reads hex, thousands separators and spelled-out NaN variants as text", function()
    local d = load("a,b,c\n0x10,1 000,-nan\n")
    assert.same({"categorical", "categorical", "categorical"}, d.kinds)
  end)

  it("accepts infinity spellings as text in a categorical column", function()
    local d = load("a\nx\ninf\n-Infinity\n")
    assert.same({"x", "inf", "-Infinity"}, d.levels[1])
    d = load("a\ninf\n", {categorical = {"a"}})
    assert.same({"inf"}, d.levels[1])
  end)

  it("reads many columns and rows", function()
    local rows = {}
    local names = {}
    for j = 1, 300 do names[j] = "c" .. j end
    rows[1] = table.concat(names, ",")
    for i = 1, 500 do
      local r = {}
      for j = 1, 300 do r[j] = tostring(i * 1000 + j) end
      rows[i + 1] = table.concat(r, ",")
    end
    local d = load(table.concat(rows, "\n"))
    assert.equals(500, d.n_rows)
    assert.equals(300, #d.names)
    assert.equals(1001, d.X[1][1])
    assert.equals(500300, d.X[500][300])
    assert.equals(250123, d.X[250][123])
  end)

  it("parse() reads from a string and names it in messages", function()
    local d = parse("a,b\n1,2\n")
    assert.same({{1, 2}}, d.X)
    local err = fails("a,b\n1\n", {name = "inline.csv"})
    assert.matches("^inline%.csv, line 2: too few fields", err)
    assert.matches("^<string>, line 2", fails("a,b\n1\n"))
  end)
end)

describe("csv reader: target and task", function()
  it("a string target is classification with classes sorted bytewise", function()
    local d = load("x,y\n1,b\n2,a\n3,C\n4,b\n", {target = "y"})
    assert.equals("classification", d.task)
    assert.same({"C", "a", "b"}, d.classes)
    assert.same({2, 1, 0, 2}, d.y)
    assert.same({"x"}, d.names)
  end)

  it("few-valued integer targets are classification with classes sorted numerically", function()
    local d = load("x,y\n1,10\n2,9\n3,2\n4,10\n", {target = "y"})
    assert.equals("classification", d.task)
    assert.same({"2", "9", "10"}, d.classes)
    assert.same({2, 1, 0, 2}, d.y)
  end)

  it("class codes do not depend on row order", function()
    local a = load("x,y\n1,b\n2,a\n", {target = "y"})
    local b = load("x,y\n2,a\n1,b\n", {target = "y"})
    assert.same(a.classes, b.classes)
    assert.same({1, 0}, a.y)
    assert.same({0, 1}, b.y)
    local c = load("x,y\n1,3\n2,1\n", {target = "y"})
    local e = load("x,y\n2,1\n1,3\n", {target = "y"})
    assert.same({"1", "3"}, c.classes)
    assert.same(c.classes, e.classes)
  end)

  it("numeric classes are named by their shortest text: 1.0 and 1 are one class", function()
    local d = load("x,y\n1,1.0\n2,1\n3,-0\n4,0\n", {target = "y"})
    assert.same({"0", "1"}, d.classes)
    assert.same({1, 1, 0, 0}, d.y)
  end)

  it("non-integer or many-valued numeric targets are regression", function()
    local d = load("x,y\n1,1.5\n2,2\n", {target = "y"})
    assert.equals("regression", d.task)
    assert.same({1.5, 2}, d.y)
    assert.is_nil(d.classes)
    local rows = {"x,y"}
    for i = 1, 21 do rows[#rows + 1] = i .. "," .. i end -- 21 distinct integers > default 20
    assert.equals("regression", load(table.concat(rows, "\n"), {target = "y"}).task)
    table.remove(rows) -- 20 distinct integers
    assert.equals("classification", load(table.concat(rows, "\n"), {target = "y"}).task)
  end)

  it("max_classes sets the inference threshold", function()
    local text = "x,y\n1,1\n2,2\n3,3\n"
    assert.equals("regression", load(text, {target = "y", max_classes = 2}).task)
    assert.equals("classification", load(text, {target = "y", max_classes = 3}).task)
    local rows = {"y"}
    for i = 1, 100 do rows[#rows + 1] = tostring(i % 70) end
    assert.equals("classification", load(table.concat(rows, "\n"), {target = 1, max_classes = 70}).task)
    assert.equals("regression", load(table.concat(rows, "\n"), {target = 1, max_classes = 69}).task)
  end)

  it("the task can be forced either way", function()
    local d = load("x,y\n1,0.5\n2,0.25\n3,0.5\n", {target = "y", task = "classification"})
    assert.equals("classification", d.task)
    assert.same({"0.25", "0.5"}, d.classes)
    assert.same({1, 0, 1}, d.y)
    d = load("x,y\n1,1\n2,2\n", {target = "y", task = "regression"})
    assert.equals("regression", d.task)
    assert.same({1, 2}, d.y)
  end)

  it("a forced-categorical numeric target has string classes", function()
    local d = load("x,y\n1,10\n2,9\n", {target = "y", categorical = {"y"}})
    assert.same({"10", "9"}, d.classes) -- bytewise: "10" < "9"
    assert.same({0, 1}, d.y)
  end)

  it("a target-only file has no features", function()
    local d = load("y\n1\n2\n", {target = 1})
    assert.equals(0, #d.names)
    assert.same({0, 1}, d.y)
  end)
end)

describe("csv reader: errors name file, line and column", function()
  it("file not found", function()
    local ds, err = csv.read("/nonexistent/dir/data.csv")
    assert.is_nil(ds)
    assert.equals("cannot open '/nonexistent/dir/data.csv': No such file or directory", err)
  end)

  it("a directory", function()
    local ds, err = csv.read("/tmp")
    assert.is_nil(ds)
    assert.equals("cannot read '/tmp': Is a directory", err)
  end)

  it("empty file, BOM only, line breaks only", function()
    assert.equals("<string>: empty file (no header row)", fails(""))
    assert.equals("<string>: empty file (no header row)", fails("\239\187\191"))
    assert.equals("<string>: empty file (no header row)", fails("\n\r\n"))
    local path = tmpfile("")
    local ds, err = csv.read(path)
    os.remove(path)
    assert.is_nil(ds)
    assert.equals(path .. ": empty file (no header row)", err)
  end)

  it("header only: no data rows", function()
    assert.equals("<string>: no data rows (only a header)", fails("a,b\n"))
    assert.equals("<string>: no data rows (only a header)", fails("a,b"))
    assert.equals("<string>: no data rows (only a header)", fails("a,b\n\n\n"))
  end)

  it("duplicate and empty header names", function()
    assert.equals("<string>, line 1: duplicate column name 'b' (columns 2 and 4)", fails("a,b,c,b\n1,2,3,4\n"))
    assert.equals("<string>, line 1, column 2: empty column name in the header", fails("a,,c\n1,2,3\n"))
    assert.equals("<string>, line 1, column 3: empty column name in the header", fails("a,b,\n1,2,3\n"))
  end)

  it("ragged rows: too many and too few fields", function()
    assert.equals("<string>, line 3: too many fields: 4, expected 3 as in the header",
      fails("a,b,c\n1,2,3\n1,2,3,4\n"))
    assert.equals("<string>, line 3: too few fields: 2, expected 3 as in the header (column 3 'c' is missing)",
      fails("a,b,c\n1,2,3\n1,2\n"))
    assert.equals("<string>, line 2: too few fields: 1, expected 2 as in the header (column 2 'b' is missing)",
      fails("a,b\nx\n"))
  end)

  it("an empty line between rows", function()
    assert.equals("<string>, line 3: empty line (expected 2 fields as in the header)", fails("a,b\n1,2\n\n3,4\n"))
  end)

  it("unterminated quote, at the line where it opens", function()
    assert.equals("<string>, line 3, column 2 ('b'): unterminated quoted field (the quote opened here is never closed)",
      fails('a,b\n1,2\n3,"four\n5,6\n'))
  end)

  it("text after a closing quote", function()
    assert.equals("<string>, line 2, column 1 ('a'): unexpected 'x' after a closing quote (a quote inside a " ..
      "quoted field must be doubled)", fails('a,b\n"1"x,2\n'))
  end)

  it("line numbers count line breaks inside quoted fields", function()
    local err = fails('a,b\n"x\ny\nz",1\n1,2,3\n')
    assert.equals("<string>, line 5: too many fields: 3, expected 2 as in the header", err)
  end)

  it("a NUL byte in a field", function()
    assert.equals("<string>, line 2, column 2 ('b'): NUL byte in a field", fails("a,b\n1,x\0y\n"))
    assert.equals("<string>, line 2, column 1 ('a'): NUL byte in a field", fails('a,b\n"\0",1\n'))
  end)

  it("unknown target column: a suggestion and the valid names", function()
    local err = fails("sepal,petal,species\n1,2,x\n", {target = "specis"})
    assert.equals("<string>: unknown target column 'specis' (did you mean 'species'? columns: sepal, petal, species)", err)
    err = fails("a,b\n1,2\n", {target = "zzz"})
    assert.equals("<string>: unknown target column 'zzz' (columns: a, b)", err)
    local names = {}
    for j = 1, 12 do names[j] = "col" .. j end
    err = fails(table.concat(names, ",") .. "\n" .. ("1,"):rep(11) .. "1\n", {target = "nope"})
    assert.matches("columns: col1, col2, col3, col4, col5, col6, col7, col8, ... (12 columns))", err, 1, true)
  end)

  it("target index out of range", function()
    assert.equals("<string>: target index 3 out of range (the file has 2 columns)", fails("a,b\n1,2\n", {target = 3}))
    assert.equals("<string>: target index -3 out of range (the file has 2 columns)", fails("a,b\n1,2\n", {target = -3}))
  end)

  it("unknown forced columns", function()
    assert.equals("<string>: unknown categorical column 'c' (columns: a, b)", fails("a,b\n1,2\n", {categorical = {"c"}}))
    assert.equals("<string>: unknown numeric column 'B' (did you mean 'b'? columns: a, b)",
      fails("a,b\n1,2\n", {numeric = {"B"}}))
  end)

  it("a non-number in a column forced numeric", function()
    assert.equals("<string>, line 3, column 2 ('b'): 'abc' is not a number (the column is forced numeric)",
      fails("a,b\n1,2\n3,abc\n", {numeric = {"b"}}))
  end)

  it("infinity or overflow in a numeric column", function()
    local msg = "infinite value '%s' in a numeric column (knob holds finite numbers; write a missing value as an " ..
      "empty field or NA)"
    assert.equals("<string>, line 3, column 2 ('b'): " .. msg:format("inf"), fails("a,b\n1,2\n3,inf\n"))
    assert.equals("<string>, line 2, column 1 ('a'): " .. msg:format("-Infinity"), fails("a\n-Infinity\n1\n"))
    assert.equals("<string>, line 2, column 1 ('a'): " .. msg:format("1e999"), fails("a\n1e999\n"))
    assert.equals("<string>, line 2, column 1 ('a'): " .. msg:format("-1e400"), fails("a\n-1e400\n", {numeric = {"a"}}))
  end)

  it("a missing target value", function()
    assert.equals("<string>, line 3, column 2 ('y'): missing target value", fails("x,y\n1,a\n2,\n", {target = "y"}))
    assert.equals("<string>, line 2, column 2 ('y'): missing target value", fails("x,y\n1,NA\n2,3\n", {target = -1}))
  end)

  it("a string target cannot be forced to regression", function()
    assert.equals("<string>, line 3, column 2 ('y'): the target is not numeric ('b'), so it cannot be a regression target",
      fails("x,y\n1,2\n2,b\n", {target = "y", task = "regression"}))
    assert.has_error(function() csv.parse("x,y\n1,2\n", {target = "y", task = "regression", categorical = {"y"}}) end,
      "<string>: the target 'y' is forced categorical, so it cannot be a regression target")
  end)

  it("the message is capped and control characters are shown as '?'", function()
    local err = fails("a\n1\n" .. ("x"):rep(100) .. "\n", {numeric = {"a"}})
    assert.equals("<string>, line 3, column 1 ('a'): '" .. ("x"):rep(40) .. "...' is not a number (the column is " ..
      "forced numeric)", err)
  end)
end)

describe("csv reader: options", function()
  it("rejects unknown options, naming the valid ones", function()
    assert.has_error(function() csv.read(DATA .. "iris.csv", {targt = "species"}) end,
      "csv.read: unknown option 'targt' (valid: delimiter, target, task, max_classes, na_values, categorical, numeric)")
    assert.has_error(function() csv.parse("a\n1\n", {nme = "x"}) end,
      "csv.parse: unknown option 'nme' (valid: delimiter, target, task, max_classes, na_values, categorical, numeric, name)")
  end)

  it("rejects options of the wrong type or value", function()
    local bad = {
      {{delimiter = ",,"}, "csv.read: option 'delimiter' must be ',', ';', '\\t', '|' or 'auto' (got ',,')"},
      {{delimiter = ":"}, "csv.read: option 'delimiter' must be ',', ';', '\\t', '|' or 'auto' (got ':')"},
      {{target = 0}, "csv.read: option 'target' must be a column name or a non-zero integer index (got 0)"},
      {{target = 1.5}, "csv.read: option 'target' must be a column name or a non-zero integer index (got 1.5)"},
      {{target = true}, "csv.read: option 'target' must be a column name or a non-zero integer index (got boolean)"},
      {{target = ""}, "examples/data/iris.csv: target name is empty"},
      {{task = "clustering"}, "csv.read: option 'task' must be one of auto, classification, regression (got 'clustering')"},
      {{task = "regression"}, "examples/data/iris.csv: a task is given but no target column"},
      {{max_classes = 0}, "csv.read: option 'max_classes' must be >= 1 (got 0)"},
      {{max_classes = 0 / 0}, "csv.read: option 'max_classes' must be an integer (got number)"},
      {{na_values = "NA"}, "csv.read: option 'na_values' must be a list of strings (got string)"},
      {{categorical = {1}}, "csv.read: option 'categorical': entry 1 must be a string (got number)"},
      {{categorical = {"a"}, numeric = {"a"}}, "examples/data/iris.csv: column 'a' is forced both categorical and numeric"},
    }
    for _, case in ipairs(bad) do
      assert.has_error(function() csv.read(DATA .. "iris.csv", case[1]) end, case[2])
    end
    assert.has_error(function() csv.read(DATA .. "iris.csv", "species") end)
    assert.has_error(function() csv.read(nil) end)
    assert.has_error(function() csv.parse({}) end)
  end)

  it("accepts delimiter = 'auto' and task = 'auto'", function()
    local d = load("a;b\n1;2\n", {delimiter = "auto", task = "auto"})
    assert.same({"a", "b"}, d.names)
  end)
end)

describe("csv number parsing", function()
  it("is bit-identical to tonumber on hard cases", function()
    local cases = {"0", "-0", "-0.0", "0.1", "0.2", "0.3", "1e22", "1e23", "9007199254740992", "9007199254740993",
      "9007199254740995", "2.2250738585072011e-308", "2.2250738585072014e-308", "4.9e-324", "2e-324",
      "1.7976931348623157e308", "123456789012345678901234567890", "0.30000000000000004", "1e-400", ".5", "5.",
      "+3", "-1.5e+10", "1E5", "7.0e-10", "3.14159265358979323846264338327950288", "1448997445238699",
      "8.41e21", "5e-324", "0.000001", "1234567890123456789", "12345678901234567890", "1e-22", "1e-23",
      "123e25", "9e37", "00012", "0.0000000000000000000000000001"}
    for _, s in ipairs(cases) do
      local got, want = csv.parse_number(s), ref(s)
      assert(bits(got) == bits(want), ("%s: got %.17g, want %.17g"):format(s, got, want))
    end
    assert.equals(bits(-0.0), bits(csv.parse_number("-0")))
  end)

  it("is bit-identical to tonumber on 100000 random decimal strings", function()
    math.randomseed(20240607)
    local function digits(n)
      local t = {}
      for k = 1, n do t[k] = string.char(48 + math.random(0, 9)) end
      return table.concat(t)
    end
    for _ = 1, 100000 do
      local s = (math.random() < 0.3 and "-" or "") .. digits(math.random(1, 12))
      local r = math.random()
      if r < 0.7 then s = s .. "." .. digits(math.random(0, 14)) end
      if r > 0.5 then s = s .. "e" .. math.random(-330, 310) end
      local got, want = csv.parse_number(s), ref(s)
      if bits(got) ~= bits(want) then error(("%s: got %.17g, want %.17g"):format(s, got, want)) end
    end
  end)

  it("rejects what is not a decimal number", function()
    for _, s in ipairs{"", " ", "abc", "1e", "1e+", ".", "-", "+", "0x10", "1,5", "1 000", "inf", "nan", "NaN",
                       "1.2.3", "--1", "1e5x", "e5", "\t"} do
      assert.is_nil(csv.parse_number(s), s)
    end
    assert.equals(7, csv.parse_number(" 7 \t"))
    assert.has_error(function() csv.parse_number(nil) end)
    assert.has_error(function() csv.parse_number({}) end)
  end)

  it("formats numbers in their shortest round-trip form", function()
    assert.equals("0.1", csv.format_number(0.1))
    assert.equals("0.30000000000000004", csv.format_number(0.1 + 0.2))
    assert.equals("-0", csv.format_number(-0.0))
    assert.equals("0", csv.format_number(0))
    assert.equals("123", csv.format_number(123))
    assert.equals("-5", csv.format_number(-5))
    assert.equals("1e+15", csv.format_number(1e15))
    assert.equals("1e+300", csv.format_number(1e300))
    assert.equals("4.94065645841247e-324", csv.format_number(4.9e-324)) -- python3: '%.15g' % 5e-324
    assert.equals("1.7976931348623157e+308", csv.format_number(1.7976931348623157e308))
    assert.has_error(function() csv.format_number(1 / 0) end)
    assert.has_error(function() csv.format_number("x") end)
    math.randomseed(7)
    for _ = 1, 20000 do
      local x = (math.random() - 0.5) * 10 ^ math.random(-300, 300)
      assert.equals(bits(x), bits(ref(csv.format_number(x))))
    end
  end)
end)

describe("csv writer", function()
  local function same_dump(a, b)
    assert.same(a.names, b.names)
    assert.same(a.kinds, b.kinds)
    assert.same(a.levels, b.levels)
    assert.same(a.missing, b.missing)
    assert.equals(a.task, b.task)
    assert.same(a.classes, b.classes)
    assert.equals(a.n_rows, b.n_rows)
    for i = 1, a.n_rows do
      for j = 1, #a.names do
        local x, y = a.X[i][j], b.X[i][j]
        if not (isnan(x) and isnan(y)) and bits(x) ~= bits(y) then
          error(("row %d col %d: %.17g ~= %.17g"):format(i, j, x, y))
        end
      end
      if a.y then assert.equals(bits(a.y[i]), bits(b.y[i])) end
    end
  end

  for _, name in ipairs(BUNDLED) do
    it("round trip " .. name .. ": reading back what was written is bit-identical", function()
      local ds = assert(csv.read(DATA .. name .. ".csv", {target = -1}))
      local out = helpers.tmpname()
      assert.is_true(csv.write(ds, out))
      local back = assert(csv.read(out, {target = -1}))
      os.remove(out)
      same_dump(dump(ds), dump(back))
    end)
  end

  it("round trip with missing values, categorical columns, quotes and another delimiter", function()
    local text = 'num,cat,y\n1.5,"a;b",x\n,"say ""hi""",y\n-0,"two\nlines",x\n1e-300,,y\n'
    local ds = assert(csv.parse(text, {target = "y"}))
    local out = helpers.tmpname()
    assert.is_true(csv.write(ds, out, {delimiter = ";"}))
    local written = slurp(out)
    assert.equals('num;cat;y\n1.5;"a;b";x\n;"say ""hi""";y\n-0;"two\nlines";x\n1e-300;;y\n', written)
    local back = assert(csv.read(out, {target = "y"}))
    os.remove(out)
    same_dump(dump(ds), dump(back))
  end)

  it("writes numbers in shortest form and classes by name", function()
    local ds = assert(csv.parse("a,b,y\n0.1,100,2\n0.30000000000000004,-2.5e-7,10\n", {target = "y"}))
    local out = helpers.tmpname()
    assert.is_true(csv.write(ds, out))
    assert.equals("a,b,y\n0.1,100,2\n0.30000000000000004,-2.5e-07,10\n", slurp(out))
    os.remove(out)
  end)

  it("writes a missing value of a one-column dataset as \"\" so it is not a blank line", function()
    local ds = assert(csv.parse("x\n1\n\n\n2\n"))
    local out = helpers.tmpname()
    assert.is_true(csv.write(ds, out))
    assert.equals('x\n1\n""\n""\n2\n', slurp(out))
    local back = dump(assert(csv.read(out)))
    os.remove(out)
    assert.equals(4, back.n_rows)
    assert.equals(2, back.missing[1])
  end)

  it("writes tab- and pipe-delimited files", function()
    local ds = assert(csv.parse("a,b\n1,x|y\n"))
    local out = helpers.tmpname()
    assert.is_true(csv.write(ds, out, {delimiter = "\t"}))
    assert.equals("a\tb\n1\tx|y\n", slurp(out))
    assert.is_true(csv.write(ds, out, {delimiter = "|"}))
    assert.equals('a|b\n1|"x|y"\n', slurp(out))
    os.remove(out)
  end)

  it("refuses a level that would read back as missing with the delimiter written", function()
    local ds = assert(csv.parse('a\tb\nx\t"\t"\n', {delimiter = "\t"}))
    assert.same({"\t"}, dump(ds).levels[2]) -- a tab is not a space when it is the delimiter
    local out = helpers.tmpname()
    assert.has_error(function() csv.write(ds, out) end,
      out .. ": column 'b': level '\t' would be read back as a missing value")
    assert.is_nil(io.open(out, "rb")) -- nothing was created
    assert.is_true(csv.write(ds, out, {delimiter = "\t"}))
    assert.equals('a\tb\nx\t"\t"\n', slurp(out))
    os.remove(out)
  end)

  it("reports an unwritable path and rejects bad arguments", function()
    local ds = assert(csv.parse("a\n1\n"))
    local ok, err = csv.write(ds, "/nonexistent/dir/out.csv")
    assert.is_nil(ok)
    assert.equals("cannot open '/nonexistent/dir/out.csv' for writing: No such file or directory", err)
    assert.has_error(function() csv.write(ds, "/tmp/x.csv", {delimiter = ":"}) end,
      "csv.write: option 'delimiter' must be ',', ';', '\\t', '|' or 'auto' (got ':')")
    assert.has_error(function() csv.write(ds, "/tmp/x.csv", {sep = ","}) end,
      "csv.write: unknown option 'sep' (valid: delimiter)")
    assert.has_error(function() csv.write("not a dataset", "/tmp/x.csv") end)
    assert.has_error(function() csv.write(ds) end)
  end)
end)
