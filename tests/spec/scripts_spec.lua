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
