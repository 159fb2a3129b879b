-- pipeline_spec.lua — knob.pipeline: validation, model behaviour, no leakage from the test rows (also across
-- CV folds), eval_set passing through the transformers, params/clone with nested overrides, JSON persistence
-- and corrupt files, lifecycle.
local knob = require "knob"

-- x: 1 2 4 5 7 8 (mean 4.5), c: a b a b a b, y: p q p q q q
local function mixed()
  return knob.data.from_table{X = {{1, "a"}, {2, "b"}, {4, "a"}, {5, "b"}, {7, "a"}, {8, "b"}}, names = {"x", "c"},
                              y = {"p", "q", "p", "q", "q", "q"}}
end

local function mean(t)
  local s = 0
  for _, v in ipairs(t) do s = s + v end
  return s / #t
end

local function pstd(t) -- population standard deviation
  local m, s = mean(t), 0
  for _, v in ipairs(t) do s = s + (v - m) ^ 2 end
  return math.sqrt(s / #t)
end

local function err_of(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok)
  return tostring(err)
end

describe("knob.pipeline", function()
  it("is callable and validates its steps", function()
    local cases = {
      {nil, "knob.pipeline: expected a list of steps (got nil)"},
      {{}, "knob.pipeline: no steps; give zero or more transformers followed by one model"},
      {{knob.model.dummy{}, knob.model.knn{}}, "knob.pipeline: step 1 is a model (knob.Model<dummy, not fitted>); " ..
        "only the last step may be a model"},
      {{"standardize", knob.model.dummy{}}, "knob.pipeline: step 1 must be a knob.Transformer (got string)"},
      {{knob.prep.standardize()}, "knob.pipeline: the last step must be a model (got knob.Transformer<standardize, " ..
        "not fitted>), e.g. knob.model.knn{}"},
      {{knob.prep.standardize(), {}}, "knob.pipeline: the last step must be a model (got table"},
      {{knob.model.dummy{}, x = 1}, "knob.pipeline: steps must be a list (unexpected key x)"},
    }
    for _, c in ipairs(cases) do
      assert.matches(c[2], err_of(knob.pipeline, c[1]), 1, true)
    end
    local t = knob.prep.standardize()
    assert.matches("knob.pipeline: step 2 is the same object as step 1",
      err_of(knob.pipeline, {t, t, knob.model.dummy{}}), 1, true)
    -- the error points at the caller's line
    local ok, err = pcall(function() return knob.pipeline{} end)
    assert.is_false(ok)
    assert.matches("pipeline_spec.lua:%d+: knob.pipeline: no steps", err)
    assert.is_true(knob.pipeline.is_pipeline(knob.pipeline.new{knob.model.dummy{}}))
  end)

  it("behaves as a model: fit, predict, predict_proba, score, info, history, tostring", function()
    local ds = mixed()
    local p = knob.pipeline{knob.prep.standardize(), knob.prep.onehot(), knob.model.knn{n_neighbors = 1}}
    assert.equals("knob.Pipeline<standardize -> onehot -> knn, not fitted>", tostring(p))
    assert.is_false(p:is_fitted())
    assert.matches("pipeline: predict needs a fitted pipeline", err_of(p.predict, p, ds), 1, true)
    assert.equals(p, p:fit(ds))
    assert.equals("knob.Pipeline<standardize -> onehot -> knn, fitted>", tostring(p))
    assert.same(ds:target(), p:predict(ds)) -- k = 1 on the training rows
    local proba, classes = p:predict_proba(ds)
    assert.same({"p", "q"}, classes)
    assert.same({1, 0}, proba[1])
    assert.equals(1, p:score(ds))
    assert.equals(1, p:score(ds, "balanced_accuracy"))
    local info = p:info()
    assert.equals("pipeline", info.kind)
    assert.equals("knn", info.model)
    assert.same({"1.standardize", "2.onehot", "model"}, info.steps)
    assert.equals(3, info.n_features) -- x, c=a, c=b reach the model
    assert.is_true(info.fitted)
    assert.equals("table", type(p:history()))
    assert.equals("pipeline", p:kind())
    assert.equals(3, #p:steps())
    -- just a model
    local only = knob.pipeline{knob.model.dummy{strategy = "most_frequent"}}:fit(ds)
    assert.same({"q", "q", "q", "q", "q", "q"}, only:predict(ds))
    assert.equals(ds, only:transform(ds))
    -- regression
    local r = knob.data.from_table{X = {{0}, {10}, {20}}, y = {1, 2, 3}, names = {"x"}, task = "regression"}
    local pr = knob.pipeline{knob.prep.minmax(), knob.model.knn{n_neighbors = 2}}:fit(r)
    assert.same({1.5, 1.5, 2.5}, pr:predict(r))
    assert.matches("predict_proba needs a fitted classifier", err_of(pr.predict_proba, pr, r), 1, true)
  end)

  it("fits the transformers on the training rows only (no leakage into the test rows)", function()
    local ds = mixed()
    local train, test = knob.split.view(ds, {1, 2, 3, 4}), knob.split.view(ds, {5, 6})
    local p = knob.pipeline{knob.prep.standardize(), knob.model.dummy{}}:fit(train)
    local st = p:steps()[1]:state()
    assert.equals(3, st.mean[1]) -- mean of 1, 2, 4, 5 (not 4.5, the mean of all six rows)
    local sd = pstd{1, 2, 4, 5}
    assert.near(sd, st.scale[1], 1e-15)
    local out = p:transform(test):column("x")
    assert.near((7 - 3) / sd, out[1], 1e-15)
    assert.near((8 - 3) / sd, out[2], 1e-15)
    -- across CV folds: each fold's clone sees its own training rows only
    local cv = knob.split.kfold{k = 3}
    local base = knob.pipeline{knob.prep.standardize(), knob.prep.onehot(), knob.model.knn{n_neighbors = 1}}
    local folds = 0
    for _, tr, te in cv:iter(ds) do
      local fp = base:clone():fit(tr)
      local x = tr:column("x")
      assert.near(mean(x), fp:steps()[1]:state().mean[1], 1e-15)
      assert.near(pstd(x), fp:steps()[1]:state().scale[1], 1e-15)
      assert.equals(#te, #fp:predict(te))
      folds = folds + 1
    end
    assert.equals(3, folds)
    assert.is_false(base:is_fitted())
  end)

  it("passes eval_set through the fitted transformers and sample_weight to the model", function()
    local ds = mixed()
    -- onehot replaces column c by c=a and c=b: the model would reject an untransformed eval_set
    local p = knob.pipeline{knob.prep.onehot(), knob.model.dummy{}}
    p:fit(knob.split.view(ds, {1, 2, 3, 4}), {eval_set = knob.split.view(ds, {5, 6})})
    assert.is_true(p:is_fitted())
    -- weights 0 on every "p" row → prior of "q" is 1 (hand-computed)
    p:fit(ds, {sample_weight = {0, 1, 0, 1, 1, 1}})
    assert.same({0, 1}, p:predict_proba(ds)[1])
    local err = err_of(p.fit, p, ds, {eval_set = "x"})
    assert.matches("pipeline step 1.onehot (eval_set): ", err, 1, true)
    assert.is_false(p:is_fitted())
    assert.matches("sample_weight has 2 entries but the data has 6 rows", err_of(p.fit, p, ds, {sample_weight = {1, 1}}),
      1, true)
    assert.matches("sample_wieght", err_of(p.fit, p, ds, {sample_wieght = {}}), 1, true)
    assert.matches("fit: options must be a table (got number)", err_of(p.fit, p, ds, 5), 1, true)
  end)

  it("names the step at fault", function()
    local p = knob.pipeline{knob.prep.standardize(), knob.prep.onehot(), knob.model.knn{n_neighbors = 1}}:fit(mixed())
    local other = knob.data.from_table{X = {{1}}, names = {"z"}, y = {"p"}}
    assert.matches("pipeline step 1.standardize: ", err_of(p.predict, p, other), 1, true)
    local big = knob.pipeline{knob.prep.onehot(), knob.model.knn{n_neighbors = 9}}
    assert.matches("pipeline step model: knn: n_neighbors = 9 is more than the 6 training rows",
      err_of(big.fit, big, mixed()), 1, true)
  end)

  it("exposes nested params and clones with dotted or nested overrides", function()
    local p = knob.pipeline{knob.prep.standardize(), knob.prep.onehot{drop = "first"}, knob.model.knn{n_neighbors = 3}}
    p:fit(mixed())
    local params = p:params()
    assert.same({with_mean = true, with_std = true}, params["1.standardize"])
    assert.equals("first", params["2.onehot"].drop)
    assert.equals(3, params.model.n_neighbors)
    local c = p:clone{["model.n_neighbors"] = 2, ["1.standardize.with_std"] = false, ["2.onehot"] = {drop = "none"},
                      model = {weights = "distance"}}
    assert.is_false(c:is_fitted())
    assert.is_true(p:is_fitted())
    local cp = c:params()
    assert.equals(2, cp.model.n_neighbors)
    assert.equals("distance", cp.model.weights)
    assert.is_false(cp["1.standardize"].with_std)
    assert.equals("none", cp["2.onehot"].drop)
    assert.same(params, p:params()) -- the original is untouched
    assert.matches("pipeline: clone: step model: knn: unknown hyperparameter 'n_neigbors'",
      err_of(p.clone, p, {["model.n_neigbors"] = 1}), 1, true)
    assert.matches("pipeline: clone: step 1.standardize: standardize: unknown option 'with_man'",
      err_of(p.clone, p, {["1.standardize.with_man"] = true}), 1, true)
    assert.matches("pipeline: clone: 'modle.C' does not start with a step name (steps: 1.standardize, 2.onehot, model)",
      err_of(p.clone, p, {["modle.C"] = 1}), 1, true)
    assert.matches("override 'model' names a step, so its value must be a table",
      err_of(p.clone, p, {model = 3}), 1, true)
    assert.matches("override keys must be strings", err_of(p.clone, p, {5}), 1, true)
    assert.matches("pipeline: clone: overrides must be a table (got string)", err_of(p.clone, p, "x"), 1, true)
    assert.matches("must be >= 1", err_of(p.clone, p, {["model.n_neighbors"] = 0}), 1, true)
  end)

  it("saves one JSON document and loads with identical predictions", function()
    local ds = mixed()
    local p = knob.pipeline{knob.prep.standardize(), knob.prep.onehot(), knob.model.naive_bayes{}}:fit(ds)
    local text = p:to_json()
    assert.matches('^{"format":"knob.pipeline","version":1,"steps":%[{"format":"knob.transformer"', text)
    local path = os.tmpname() -- save replaces the empty file
    assert.is_true(p:save(path))
    local back = assert(knob.pipeline.load(path))
    os.remove(path)
    assert.equals(tostring(p), tostring(back))
    assert.same(p:predict_proba(ds), back:predict_proba(ds))
    assert.same(p:predict(ds), back:predict(ds))
    assert.same(p:params(), back:params())
    -- an unfitted pipeline round-trips unfitted
    local u = assert(knob.pipeline.from_json(knob.pipeline{knob.prep.minmax(), knob.model.knn{}}:to_json()))
    assert.is_false(u:is_fitted())
    assert.equals("knob.Pipeline<minmax -> knn, not fitted>", tostring(u))
    -- whitespace between tokens is fine
    assert.is_truthy(knob.pipeline.from_json(' { "steps" : [ ' .. knob.model.dummy{}:to_json() ..
      ' ] , "version" : 1 , "format" : "knob.pipeline" } '))
  end)

  it("reports corrupt, foreign and inconsistent pipeline files clearly", function()
    local p, err = knob.pipeline.load("/nonexistent/p.json")
    assert.is_nil(p)
    assert.matches("cannot open pipeline file '/nonexistent/p.json'", err, 1, true)
    local t = knob.prep.standardize()
    local fitted_t = knob.prep.standardize()
    fitted_t:fit(mixed())
    local m = knob.model.dummy{}:to_json()
    local fitted_m = knob.model.dummy{}:fit(mixed()):to_json()
    local function doc(steps) return '{"format":"knob.pipeline","version":1,"steps":[' .. steps .. ']}' end
    local cases = {
      {"", "pipeline file: not valid JSON (expected an object near byte 1)"},
      {"{not json", "pipeline file: not valid JSON (expected a string key near byte 2)"},
      {'{"format":"knob.pipeline","version":1,"steps":["unterminated', "unterminated string"},
      {'{"format":"knob.pipeline","version":1,"steps":[1 2]}', "expected ',' or a closing bracket near byte 50"},
      {doc(m) .. "x", "unexpected text after the document"},
      {'{"format":"knob.model"}', "pipeline file: not a knob pipeline (field 'format' is not \"knob.pipeline\")"},
      {'{"format":"knob.pipeline","version":2,"steps":[]}', "unsupported version 2 (this knob reads version 1)"},
      {'{"format":"knob.pipeline","version":1}', "field 'steps' must be an array"},
      {'{"format":"knob.pipeline","version":1,"steps":{}}', "field 'steps' must be an array"},
      {doc(""), "field 'steps' is empty (a pipeline needs a model)"},
      {doc(m .. "," .. m), "step 1 (a transformer): transformer JSON: not a knob transformer"},
      {doc(t:to_json()), "step 1 (the model): model file: not a knob model"},
      {doc('{"format":"knob.model","version":1,"kind":"nope","params":{}}'), "unknown model kind 'nope'"},
      {doc(fitted_t:to_json() .. "," .. m), "step 1 is fitted but the model is not fitted"},
      {doc(t:to_json() .. "," .. fitted_m), "step 1 is not fitted but the model is fitted"},
      {doc("true"), "step 1 (the model): model file:"},
    }
    for _, c in ipairs(cases) do
      local q, msg = knob.pipeline.from_json(c[1])
      assert.is_nil(q, c[1])
      assert.matches(c[2], msg, 1, true)
    end
    assert.matches("knob.pipeline.from_json: expected a string (got nil)", err_of(knob.pipeline.from_json), 1, true)
    assert.matches("knob.pipeline.load: path must be a string", err_of(knob.pipeline.load, 1), 1, true)
    local path = os.tmpname() -- save replaces the empty file
    local f = assert(io.open(path, "w"))
    f:write("[]")
    f:close()
    local q, msg = knob.pipeline.load(path)
    os.remove(path)
    assert.is_nil(q)
    assert.matches(path .. ": pipeline file: not valid JSON (expected an object near byte 1)", msg, 1, true)
  end)

  it("closes every step, idempotently", function()
    local t, m = knob.prep.standardize(), knob.model.dummy{}
    local p = knob.pipeline{t, m}
    p:close()
    p:close()
    assert.equals("knob.Pipeline<closed>", tostring(p))
    assert.equals("knob.Model<closed>", tostring(m))
    assert.equals("knob.Transformer<closed>", tostring(t))
    assert.matches("pipeline is closed", err_of(p.fit, p, mixed()), 1, true)
    assert.matches("pipeline is closed", err_of(p.params, p), 1, true)
    do
      local scoped <close> = knob.pipeline{knob.model.dummy{}}
      assert.is_false(scoped:is_fitted())
    end
  end)
end)
