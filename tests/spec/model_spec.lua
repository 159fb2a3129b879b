-- model_spec.lua — the generic model interface (knob.model) exercised through the dummy baseline:
-- hyperparameter validation, fit/predict/proba, schema alignment by name, persistence, errors.
local knob = require "knob"
local tmpname = require("helpers").tmpname

-- y has 3 "a", 1 "b", 2 "c": class prior (hand-computed) = 1/2, 1/6, 1/3.
local function clf_data()
  return knob.data.from_table{X = {{1}, {2}, {3}, {4}, {5}, {6}}, names = {"x"},
                              y = {"a", "b", "a", "c", "a", "c"}}
end

describe("knob.model", function()
  it("lists kinds with their hyperparameters", function()
    local found
    for _, k in ipairs(knob.model.kinds()) do
      if k.kind == "dummy" then found = k end
    end
    assert.is_truthy(found)
    assert.is_true(found.classification and found.regression)
    local names = {}
    for _, p in ipairs(found.params) do names[p.name] = p end
    assert.equals("string", names.strategy.type)
    assert.equals("auto", names.strategy.default)
    assert.equals("integer", names.seed.type)
  end)

  it("rejects unknown kinds and misspelt or out-of-range hyperparameters, naming them", function()
    assert.has_error(function() return knob.model.nosuch end, "knob.model has no kind 'nosuch' (valid: " ..
      (function() local t = {} for _, k in ipairs(knob.model.kinds()) do t[#t + 1] = k.kind end
        return table.concat(t, ", ") end)() .. ")")
    local ok, err = pcall(knob.model.dummy, {stratgy = "prior"})
    assert.is_false(ok)
    assert.matches("dummy: unknown hyperparameter 'stratgy' (valid: strategy, constant, seed)", err, 1, true)
    ok, err = pcall(knob.model.dummy, {strategy = "modal"})
    assert.matches("must be one of auto, most_frequent", err, 1, true)
    ok, err = pcall(knob.model.dummy, {seed = -1})
    assert.matches("hyperparameter 'seed' must be >= 0 (got -1)", err, 1, true)
    ok, err = pcall(knob.model.dummy, {seed = 0.5})
    assert.matches("'seed' must be an integer", err, 1, true)
    ok, err = pcall(knob.model.dummy, {constant = "x"})
    assert.matches("'constant' must be a number (got string)", err, 1, true)
    ok, err = pcall(knob.model.dummy, {constant = 0 / 0})
    assert.matches("'constant' must be finite", err, 1, true)
    ok, err = pcall(knob.model.dummy, {[1] = 2})
    assert.matches("hyperparameter names must be strings", err, 1, true)
  end)

  it("fits a prior baseline: probabilities are the class frequencies", function()
    local ds = clf_data()
    local m = knob.model.dummy{}:fit(ds)
    local proba, classes = m:predict_proba(ds)
    assert.same({"a", "b", "c"}, classes)
    assert.near(1 / 2, proba[1][1], 1e-15)
    assert.near(1 / 6, proba[1][2], 1e-15)
    assert.near(1 / 3, proba[1][3], 1e-15)
    assert.same({"a", "a", "a", "a", "a", "a"}, m:predict(ds))
    assert.near(0.5, m:score(ds), 1e-15)      -- 3 of 6 rows are "a"
    assert.matches("knob.Model<dummy, auto, fitted>", tostring(m), 1, true)
    local info = m:info()
    assert.is_true(info.fitted)
    assert.equals("classification", info.task)
    assert.same({"a", "b", "c"}, info.classes)
  end)

  it("honours sample weights", function()
    local ds = clf_data()
    -- weights 0 on every "a": prior becomes b = 1/3, c = 2/3 (hand-computed)
    local m = knob.model.dummy{}:fit(ds, {sample_weight = {0, 1, 0, 1, 0, 1}})
    local proba = m:predict_proba(ds)
    assert.near(0, proba[1][1], 1e-15)
    assert.near(1 / 3, proba[1][2], 1e-15)
    assert.near(2 / 3, proba[1][3], 1e-15)
    assert.has_error(function() m:fit(ds, {sample_weight = {1, 1}}) end,
      "fit: sample_weight has 2 entries but the data has 6 rows")
    assert.has_error(function() m:fit(ds, {sample_weight = {1, 1, 1, 1, 1, -1}}) end)
    assert.has_error(function() m:fit(ds, {sample_wieght = {}}) end)
  end)

  it("regression baselines: mean and median (hand-computed)", function()
    local ds = knob.data.from_table{X = {{1}, {2}, {3}, {4}}, names = {"x"}, y = {1, 2, 3, 10},
                                    task = "regression"}
    local mean = knob.model.dummy{strategy = "mean"}:fit(ds)
    assert.same({4, 4, 4, 4}, mean:predict(ds))
    local med = knob.model.dummy{strategy = "median"}:fit(ds)
    assert.same({2.5, 2.5, 2.5, 2.5}, med:predict(ds))
    local ok, err = pcall(function() knob.model.dummy{strategy = "prior"}:fit(ds) end)
    assert.matches("strategy 'prior' is for classification", err, 1, true)
    ok, err = pcall(function() return mean:predict_proba(ds) end)
    assert.matches("predict_proba needs a fitted classifier", err, 1, true)
  end)

  it("aligns prediction data to the training schema by column name", function()
    local train = knob.data.from_table{X = {{1, "u"}, {2, "v"}}, names = {"a", "b"}, y = {"p", "q"}}
    local m = knob.model.dummy{strategy = "most_frequent"}:fit(train)
    local reordered = knob.data.from_table{X = {{"v", 5, 0}}, names = {"b", "a", "extra"}, y = {"q"}}
    assert.equals(1, #m:predict(reordered))
    local missing = knob.data.from_table{X = {{1}}, names = {"a"}, y = {"p"}}
    local ok, err = pcall(m.predict, m, missing)
    assert.is_false(ok)
    assert.matches("data has no column 'b'", err, 1, true)
    local wrong_kind = knob.data.from_table{X = {{1, 2}}, names = {"a", "b"}, y = {"p"}}
    ok, err = pcall(m.predict, m, wrong_kind)
    assert.matches("column 'b' is numeric in the data but was categorical when fitted", err, 1, true)
  end)

  it("refuses to predict before fit and after close", function()
    local m = knob.model.dummy{}
    local ok, err = pcall(m.predict, m, clf_data())
    assert.matches("dummy: model is not fitted", err, 1, true)
    m:close()
    m:close() -- idempotent
    ok, err = pcall(m.params, m)
    assert.matches("model is closed", err, 1, true)
    assert.equals("knob.Model<closed>", tostring(m))
  end)

  it("clones with overrides, unfitted", function()
    local m = knob.model.dummy{strategy = "uniform", seed = 3}:fit(clf_data())
    local c = m:clone{seed = 4}
    assert.same({strategy = "uniform", seed = 4, constant = 0}, c:params())
    assert.is_false(c:is_fitted())
    assert.same(m:params(), m:clone():params())
    assert.same({strategy = "auto", seed = 0, constant = 0}, knob.model.dummy():params())
    assert.has_error(function() m:clone{sed = 1} end)
  end)

  it("saves and loads with identical predictions", function()
    local ds = clf_data()
    local m = knob.model.dummy{strategy = "stratified", seed = 7}:fit(ds)
    local path = tmpname()
    assert.is_true(m:save(path))
    local back = assert(knob.model.load(path))
    os.remove(path)
    assert.same(m:predict(ds), back:predict(ds))
    assert.same(m:predict_proba(ds), back:predict_proba(ds))
    assert.same(m:params(), back:params())
  end)

  it("loads a saved pipeline too (one loader for everything :save writes)", function()
    local ds = clf_data()
    local p = knob.pipeline{knob.prep.standardize(), knob.model.dummy{strategy = "most_frequent"}}:fit(ds)
    local path = tmpname()
    assert.is_true(p:save(path))
    local back = assert(knob.model.load(path))
    os.remove(path)
    assert.equals("pipeline", back:kind())
    assert.same(p:predict(ds), back:predict(ds))
  end)

  it("reports corrupt, foreign and tampered model files clearly", function()
    local m, err = knob.model.load("/nonexistent/m.json")
    assert.is_nil(m)
    assert.matches("cannot open model file '/nonexistent/m.json'", err, 1, true)
    local cases = {
      {"{not json", "not valid JSON"},
      {'{"format":"other"}', "not a knob model"},
      {'{"format":"knob.model","version":99,"kind":"dummy"}', "unsupported version 99"},
      {'{"format":"knob.model","version":1,"kind":"nope","params":{}}', "unknown model kind 'nope'"},
      {'{"format":"knob.model","version":1,"kind":"dummy","params":{"x":1}}', "unknown hyperparameter 'x'"},
      {'{"format":"knob.model","version":1,"kind":"dummy","params":{"seed":-5}}', "'seed' must be >= 0"},
      {'{"format":"knob.model","version":1,"kind":"dummy","params":{},"fitted":true,"schema":{"features":[],' ..
        '"task":"classification","classes":["a"]},"state":{"prior":[1,2]}}', "'state.prior' must be an array of 1"},
      {'{"format":"knob.model","version":1,"kind":"dummy","params":{},"fitted":true,"schema":{"features":[{}],' ..
        '"task":"regression"},"state":{}}', "schema.features[].name"},
      -- 1e999 parses as infinity, which a model file cannot hold (found by tests/fuzz/fuzz_model_json)
      {'{"format":"knob.model","version":1,"kind":"dummy","params":{},"fitted":true,"schema":{"features":[],' ..
        '"task":"classification","classes":["a","b"]},"state":{"prior":[0.5,1e999]}}',
       "field 'state.prior' entry 2 is not a finite number"},
      {'{"format":"knob.model","version":1,"kind":"dummy","params":{},"fitted":true,"schema":{"features":[],' ..
        '"task":"regression"},"state":{"value":-1e999}}', "field 'state.value' must be a finite number"},
    }
    for _, c in ipairs(cases) do
      local got, msg = knob.model.from_json(c[1])
      assert.is_nil(got)
      assert.matches(c[2], msg, 1, true)
    end
  end)

  it("fit errors: no target, empty data", function()
    local m = knob.model.dummy{}
    local no_rows = clf_data():subset{}
    local ok, err = pcall(m.fit, m, no_rows)
    assert.matches("the training data has no rows", err, 1, true)
    local no_target = knob.data.from_table{X = {{1}, {2}}, names = {"x"}}
    ok, err = pcall(m.fit, m, no_target)
    assert.matches("no target", err, 1, true)
  end)

  it("rejects a wrong callback, eval_set or threads option", function()
    local m = knob.model.dummy{}
    local ds = clf_data()
    assert.has_error(function() m:fit(ds, {callback = 1}) end, "fit: option 'callback' must be a function (got number)")
    assert.has_error(function() m:fit(ds, {eval_set = {}}) end, "fit: option 'eval_set' must be a knob.Dataset (got table)")
    assert.has_error(function() m:fit(ds, {threads = -1}) end, "fit: option 'threads' must be >= 0")
  end)
end)
