-- scripts_spec.lua — the bundled subcommands (scripts/*.lua) run through the knob host.
local helpers = require "helpers"
local run = helpers.run
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

describe("knob describe", function()
  it("summarizes a CSV with its target classes (iris: 150 rows, 50 per class)", function()
    local out, code = run(exe .. " describe examples/data/iris.csv --target species --head 2")
    assert.equals(0, code)
    assert.matches("knob.Dataset<150 rows x 4 features, classification 3 classes, target 'species'>", out, 1, true)
    assert.matches("setosa 50, versicolor 50, virginica 50", out, 1, true)
    assert.matches("[2 of 150 rows]", out, 1, true)
    assert.matches("fingerprint %x+", out)
  end)

  it("takes the target by index", function()
    local out, code = run(exe .. " describe examples/data/wine.csv -t 14")
    assert.equals(0, code)
    assert.matches("178 rows x 13 features, classification 3 classes", out, 1, true)
  end)

  it("reports a missing file and an unknown target column, exiting 1", function()
    local out, code = run(exe .. " describe /nonexistent.csv")
    assert.equals(1, code)
    assert.matches("knob describe: cannot open '/nonexistent.csv'", out, 1, true)
    out, code = run(exe .. " describe examples/data/iris.csv --target nope")
    assert.equals(1, code)
    assert.matches("nope", out, 1, true)
  end)

  it("rejects unknown flags with usage", function()
    local out, code = run(exe .. " describe examples/data/iris.csv --frobnicate")
    assert.is_not.equals(0, code)
    assert.matches("Usage: knob describe", out, 1, true)
  end)
end)

describe("knob predict", function()
  local knob = require "knob"
  local iris = assert(knob.data.read_csv("examples/data/iris.csv", {target = "species"}))

  it("writes the labels a saved model predicts, one per data row (the target column is ignored)", function()
    local m = knob.model.logistic{}:fit(iris)
    local path = helpers.tmpname()
    assert(m:save(path))
    local out, code = run(exe .. " predict " .. path .. " examples/data/iris.csv")
    os.remove(path)
    assert.equals(0, code)
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equals("prediction", lines[1])
    assert.equals(151, #lines)
    -- the command line must print exactly what the Lua API predicts for the same rows
    assert.same(m:predict(iris), {table.unpack(lines, 2)})
  end)

  it("writes class probabilities of a saved pipeline to a file with --proba -o", function()
    local p = knob.pipeline{knob.prep.standardize(), knob.model.knn{n_neighbors = 5}}:fit(iris)
    local path, out_path = helpers.tmpname(), helpers.tmpname()
    assert(p:save(path))
    local _, code = run(exe .. " predict " .. path .. " examples/data/iris.csv --proba -o " .. out_path)
    os.remove(path)
    assert.equals(0, code)
    local written = helpers.slurp(out_path)
    os.remove(out_path)
    local header, first = written:match("^([^\n]+)\n([^\n]+)\n")
    assert.equals("proba_setosa,proba_versicolor,proba_virginica", header)
    local proba = p:predict_proba(iris)
    local values = {}
    for v in first:gmatch("[^,]+") do values[#values + 1] = tonumber(v) end
    assert.same(proba[1], values) -- %.17g reads back bit for bit
  end)

  it("reports a missing model, a foreign file and data without the model's columns, exiting 1", function()
    local out, code = run(exe .. " predict /nonexistent.json examples/data/iris.csv")
    assert.equals(1, code)
    assert.matches("knob predict: cannot open model file '/nonexistent.json'", out, 1, true)
    local bad = helpers.tmpfile('{"format":"other"}')
    out, code = run(exe .. " predict " .. bad .. " examples/data/iris.csv")
    os.remove(bad)
    assert.equals(1, code)
    assert.matches("not a knob model", out, 1, true)
    local path = helpers.tmpname()
    assert(knob.model.logistic{}:fit(iris):save(path))
    out, code = run(exe .. " predict " .. path .. " examples/data/wine.csv")
    os.remove(path)
    assert.equals(1, code)
    assert.matches("knob predict: examples/data/wine.csv: data has no column 'sepal_length_cm'", out, 1, true)
  end)
end)

describe("the demo recipe", function()
  it("runs and keeps the test split unscored", function()
    local out, code = run(exe .. " examples/staged.lua")
    assert.equals(0, code)
    assert.matches("train 455 rows  benign=285 malignant=170", out, 1, true)
    assert.matches("test  114 rows  benign=72 malignant=42", out, 1, true)
    assert.matches("most frequent class          0.626 ± 0.000", out, 1, true)
    assert.matches("25 trials %(%d+ pruned%) in [%d.]+ s; best trial #%d+: CV accuracy 0%.9%d+", out)
    assert.matches("The test split has not been scored", out, 1, true)
  end)
end)
