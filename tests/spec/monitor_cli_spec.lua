-- monitor_cli_spec.lua — `knob monitor --model m.json --data new.csv [--json]` through the knob host.
local knob = require "knob"
local helpers = require "helpers"
local run = helpers.run
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

-- breast_cancer halves; the model (with reference statistics, 5 bins) is fitted on the first.
local bc = assert(knob.data.read_csv("examples/data/breast_cancer.csv", {target = "diagnosis"}))
local train, test = bc:split{test = 0.5, seed = 3, stratify = true}

local function write(ds)
  local path = helpers.tmpname() .. ".csv"
  assert(ds:write_csv(path))
  return path
end

-- test with mean_texture moved by 2 standard deviations (8.6 is about 2 x its std in this data)
local function shifted()
  local X, y = {}, {}
  local names = test:names()
  for i = 1, test:rows() do
    local row, t = test:row(i)
    row[2] = row[2] + 8.6
    X[i], y[i] = row, t
  end
  assert.equals("mean_texture", names[2])
  return knob.data.from_table{X = X, y = y, names = names, target = "diagnosis"}
end

describe("knob monitor", function()
  local model_path, plain_path, same_csv, moved_csv
  setup(function()
    local m = knob.model.logistic{}:fit(train)
    knob.monitor.reference(m, train, {bins = 5})
    model_path = helpers.tmpname()
    assert(m:save(model_path))
    plain_path = helpers.tmpname()
    assert(knob.model.logistic{}:fit(train):save(plain_path))
    same_csv, moved_csv = write(test), write(shifted())
  end)
  teardown(function()
    for _, p in ipairs({model_path, plain_path, same_csv, moved_csv}) do os.remove(p) end
  end)

  it("prints the verdict table and exits 0 when nothing drifted", function()
    local out, code = run(exe .. " monitor --model " .. model_path .. " --data " .. same_csv)
    assert.equals(0, code)
    assert.matches("^feature%s+kind%s+psi%s+test%s+p%-value%s+verdict\n", out)
    assert.matches("\nmean_radius%s+numeric%s+0%.%d+%s+KS 0%.%d+%s+%S+%s+stable\n", out)
    assert.matches("\nprediction%s+proba%s+", out)
    assert.matches("verdict: stable", out, 1, true)
  end)

  it("exits 2 on drift and names the feature that moved most", function()
    local out, code = run(exe .. " monitor -m " .. model_path .. " -d " .. moved_csv)
    assert.equals(2, code)
    assert.matches("\nmean_texture%s+numeric%s+%d+%.%d+%s+KS 0%.%d+%s+%S+%s+drifted\n", out)
    assert.matches("verdict: drifted", out, 1, true)
    assert.matches("most moved: mean_texture", out, 1, true)
  end)

  it("prints the report as JSON with --json; thresholds are options", function()
    local out, code = run(exe .. " monitor --model " .. model_path .. " --data " .. moved_csv .. " --json")
    assert.equals(2, code)
    local report = assert(knob.core.monitor.decode(out))
    assert.equals("drifted", report.verdict)
    assert.equals("mean_texture", report.top_moved[1].name)
    assert.equals(#test:names(), #report.features)
    out, code = run(exe .. " monitor --model " .. model_path .. " --data " .. moved_csv .. " --watch 100 --drifted 200")
    assert.equals(0, code)
    assert.matches("verdict: stable", out, 1, true)
  end)

  it("exits 1 with a clear message on errors", function()
    local out, code = run(exe .. " monitor --model /nonexistent.json --data " .. same_csv)
    assert.equals(1, code)
    assert.matches("knob monitor: cannot open model file '/nonexistent.json'", out, 1, true)
    out, code = run(exe .. " monitor --model " .. plain_path .. " --data " .. same_csv)
    assert.equals(1, code)
    assert.matches("knob monitor: " .. same_csv .. ": monitor.check: the model has no reference statistics", out, 1, true)
    out, code = run(exe .. " monitor --model " .. model_path .. " --data examples/data/iris.csv")
    assert.equals(1, code)
    assert.matches("monitor.check: column 'mean_radius' is missing from the new data", out, 1, true)
    out, code = run(exe .. " monitor --model " .. model_path .. " --data /nonexistent.csv")
    assert.equals(1, code)
    assert.matches("knob monitor: cannot open '/nonexistent.csv'", out, 1, true)
    out, code = run(exe .. " monitor --model " .. model_path .. " --data " .. same_csv .. " --watch x")
    assert.is_not.equals(0, code)
    assert.matches("malformed argument 'x'", out, 1, true)
  end)

  it("has --help and rejects unknown flags and missing options with usage", function()
    local out, code = run(exe .. " monitor --help")
    assert.equals(0, code)
    assert.matches("Usage: knob monitor", out, 1, true)
    assert.matches("Exit status: 0 stable or watch, 2 drifted, 1 error.", out, 1, true)
    out, code = run(exe .. " monitor --model " .. model_path)
    assert.is_not.equals(0, code)
    assert.matches("missing option '-d'", out, 1, true)
    out, code = run(exe .. " monitor --model " .. model_path .. " --data " .. same_csv .. " --frobnicate")
    assert.is_not.equals(0, code)
    assert.matches("Usage: knob monitor", out, 1, true)
  end)
end)
