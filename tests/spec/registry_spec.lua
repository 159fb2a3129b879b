-- registry_spec.lua — knob.registry: numbering (also with two processes on one file), promote/rollback,
-- diff, models stored in the database and loaded back, tampered rows, names stored as they are, persistence.
-- Expected values are hand-written inputs read back and hand-computed diffs; SHA-256 digests come from
-- Python's hashlib (snippets next to them) or from coreutils' sha256sum run on the same bytes.
local knob = require "knob"
local core = require "knob.core"
local helpers = require "helpers"
local run = helpers.run
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

local tmpdb = helpers.tmpdb
teardown(helpers.remove_tmpdbs)

local iris = assert(knob.data.read_csv("examples/data/iris.csv", {target = "species"}))

local function fitted(params)
  return knob.model.gbdt(params or {n_estimators = 5, seed = 1}):fit(iris)
end

-- Write a child script (every %s in text: the database path) to path .. ".lua"; returns the script path.
local function script_for(path, text)
  local script = path .. ".lua"
  local f = assert(io.open(script, "w"))
  f:write((text:gsub("%%s", function() return path end)))
  f:close()
  return script
end

describe("knob.registry.sha256", function()
  it("matches Python's hashlib, across block boundaries", function()
    -- import hashlib; hashlib.sha256(x).hexdigest() for each x below
    local sha = knob.registry.sha256
    assert.equals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha(""))
    assert.equals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", sha("abc"))
    assert.equals("9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318", sha(("a"):rep(55)))
    assert.equals("b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a", sha(("a"):rep(56)))
    assert.equals("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb", sha(("a"):rep(64)))
    assert.equals("a21e1563f78f98b5ff8ab36b29dba78d430634b9301496ad4354b287e1056335", sha("knob \195\169\n"))
    local bytes = {}
    for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
    -- hashlib.sha256(bytes(range(256)) * 5)
    assert.equals("d414b085826eb06778483ba35564dc849e643359f69ed9747878ba6e54985bed", sha(table.concat(bytes):rep(5)))
    assert.has_error(function() sha(42) end, "sha256: expected a string (got number)")
  end)
end)

describe("knob.registry", function()
  it("numbers versions per name, records what was given and defaults the parent to the latest", function()
    local reg = knob.registry.open()
    local m = fitted()
    local v1 = reg:register{name = "churn", model = m, metrics = {cv_mean = 0.9, cv_std = 0.02}, fingerprint = iris,
                            study = "s", trial = 3, note = "first"}
    assert.equals(1, v1.version)
    assert.equals("churn", v1.name)
    assert.equals("gbdt", v1.kind)
    assert.equals("candidate", v1.stage)
    assert.is_nil(v1.parent)
    assert.same({cv_mean = 0.9, cv_std = 0.02}, v1.metrics)
    assert.equals(iris:fingerprint(), v1.fingerprint)
    assert.same({"s", 3, "first"}, {v1.study, v1.trial, v1.note})
    assert.equals(5, v1.params.n_estimators)
    assert.equals("integer", math.type(v1.params.n_estimators))
    assert.equals(0.1, v1.params.learning_rate)
    assert.is_true(math.abs(v1.created - os.time()) <= 5)
    assert.equals("churn v1 (gbdt, candidate)", tostring(v1))
    local v2 = reg:register{name = "churn", model = m, params = {depth = 3}}
    local other = reg:register{name = "other", model = m}
    local v3 = reg:register{name = "churn", model = m, parent = 1}
    assert.same({2, 1, 3, 1}, {v2.version, v2.parent, v3.version, v3.parent})
    assert.same({depth = 3}, v2.params)
    assert.same({}, v2.metrics)
    assert.same({1, nil}, {other.version, other.parent})
    local all = reg:list("churn")
    assert.same({1, 2, 3}, {all[1].version, all[2].version, all[3].version})
    assert.same({{name = "churn", n_versions = 3, latest = 3}, {name = "other", n_versions = 1, latest = 1}}, reg:list())
    assert.equals(3, reg:show("churn").version)
    assert.equals(3, reg:show("churn", "latest").version)
    assert.equals(2, reg:show("churn", 2).version)
    -- the stored model is the model's JSON: its checksum is what sha256sum computes on those bytes
    local path = tmpdb() .. ".json"
    assert(m:save(path))
    local out = run("sha256sum " .. path)
    assert.equals("sha256:" .. out:match("^(%x+)"), v1.checksum)
    reg:close()
    reg:close()
    assert.has_error(function() reg:list() end, "registry:list: the registry is closed")
  end)

  it("registers a saved file (path =) and a pipeline, and loads them back predicting bit for bit", function()
    local reg = knob.registry.open("memory")
    local m = knob.model.forest{n_estimators = 7, seed = 3}:fit(iris)
    local path = tmpdb() .. ".json"
    assert(m:save(path))
    local v = reg:register{name = "f", path = path}
    assert.equals("forest", v.kind)
    assert.equals(7, v.params.n_estimators)
    local back = reg:load_model("f", v.version)
    assert.same(m:predict(iris), back:predict(iris))
    assert.same(m:predict_proba(iris), back:predict_proba(iris))
    local p = knob.pipeline{knob.prep.standardize(), knob.model.knn{n_neighbors = 4}}:fit(iris)
    local pv = reg:register{name = "p", model = p}
    assert.equals("pipeline", pv.kind)
    assert.equals(4, pv.params.model.n_neighbors)
    local pb = reg:load_model("p")
    assert.equals("pipeline", pb:kind())
    assert.same(p:predict_proba(iris), pb:predict_proba(iris))
    assert.is_true(reg:verify("p", 1))
    reg:close()
  end)

  it("promotes one production per name and rolls back through earlier productions, keeping every event", function()
    local reg = knob.registry.open()
    local m = fitted()
    for _ = 1, 4 do reg:register{name = "a", model = m} end
    reg:register{name = "b", model = m}
    local function stages()
      local out = {}
      for i, r in ipairs(reg:list("a")) do out[i] = r.stage end
      return out
    end
    assert.has_error(function() reg:show("a", "production") end,
      "registry:show: 'a' has no production version (promote one first)")
    assert.has_error(function() reg:rollback("a") end, "registry:rollback: 'a' has no production version to roll back")
    assert.equals("production", reg:promote("a", 1).stage)
    assert.has_error(function() reg:rollback("a") end,
      "registry:rollback: 'a' has no earlier production version to roll back to (v1 is the first)")
    reg:promote("a", 3)
    reg:promote("a", 3) -- already production: nothing happens
    reg:promote("a", 4)
    reg:promote("b", 1)
    assert.same({"archived", "candidate", "archived", "production"}, stages())
    assert.equals(4, reg:show("a", "production").version)
    assert.same({4, 1}, {reg:list()[1].production, reg:list()[2].production})
    assert.equals(3, reg:rollback("a").version)
    assert.same({"archived", "candidate", "production", "archived"}, stages())
    assert.equals(1, reg:rollback("a").version)
    assert.same({"production", "candidate", "archived", "archived"}, stages())
    assert.has_error(function() reg:rollback("a") end,
      "registry:rollback: 'a' has no earlier production version to roll back to (v1 is the first)")
    reg:promote("a", 2)
    assert.equals(1, reg:rollback("a").version)
    assert.equals("production", reg:show("b", "production").stage) -- another name is not touched
    local h = reg:history("a")
    local got = {}
    for i, e in ipairs(h) do
      got[i] = e.event .. " " .. e.version .. (e.previous and (" from " .. e.previous) or "")
      assert.equals("integer", math.type(e.time))
    end
    assert.same({"register 1", "register 2", "register 3", "register 4", "promote 1", "promote 3 from 1",
                 "promote 4 from 3", "rollback 3 from 4", "rollback 1 from 3", "promote 2 from 1",
                 "rollback 1 from 2"}, got)
    -- the database refuses a second production row even when written behind the registry's back
    assert.has_error(function()
      reg.backend.db:run("UPDATE registry_versions SET stage = 'production' WHERE name = 'a' AND version = 3")
    end)
    reg:close()
  end)

  it("diffs hand-made params and metrics", function()
    local reg = knob.registry.open()
    local m = fitted()
    reg:register{name = "d", model = m, params = {lr = 0.1, depth = 3, loss = "l2", tags = {"a", "b"}, step = {x = 1}},
                 metrics = {acc = 0.5, f1 = 0.25, old = 1}, fingerprint = "aaaa"}
    reg:register{name = "d", model = m, params = {lr = 0.05, depth = 3, tags = {"a", "c"}, step = {x = 1, y = 2}, seed = 7},
                 metrics = {acc = 0.75, f1 = 0.25, new = 2}, fingerprint = "bbbb"}
    local d = reg:diff("d", 1, 2)
    assert.same({name = "d", from = 1, to = 2,
                 params = {added = {seed = 7, ["step.y"] = 2}, removed = {loss = "l2"},
                           changed = {lr = {from = 0.1, to = 0.05}, tags = {from = {"a", "b"}, to = {"a", "c"}}}},
                 metrics = {acc = {from = 0.5, to = 0.75, delta = 0.25}, f1 = {from = 0.25, to = 0.25, delta = 0},
                            old = {from = 1}, new = {to = 2}},
                 fingerprint = {from = "aaaa", to = "bbbb"}}, d)
    local same = reg:diff("d", "latest", 2)
    assert.same({added = {}, removed = {}, changed = {}}, same.params)
    assert.is_nil(same.fingerprint)
    assert.is_nil(same.kind)
    -- a pipeline against a plain model: kinds differ, nested params compared by their dotted path
    reg:register{name = "d", model = knob.pipeline{knob.model.knn{n_neighbors = 2}}:fit(iris)}
    local k = reg:diff("d", 2, 3)
    assert.same({from = "gbdt", to = "pipeline"}, k.kind)
    assert.equals(2, k.params.added["model.n_neighbors"])
    reg:close()
  end)

  it("stores names, notes and study names containing quotes and SQL as they are", function()
    local path = tmpdb()
    local reg = knob.registry.open("sqlite:" .. path)
    local name = "x'); DROP TABLE registry_versions; --"
    local note = "it's \"quoted\"; DELETE FROM registry_events; --\n"
    reg:register{name = name, model = fitted(), note = note, study = "s'--", trial = 0,
                 metrics = {["a'b"] = 1}, params = {["'; --"] = "\"v\""}}
    reg:promote(name, 1)
    reg:close()
    local again = knob.registry.open("sqlite:" .. path)
    assert.same({{name = name, n_versions = 1, latest = 1, production = 1}}, again:list())
    local r = again:show(name, "production")
    assert.same({note, "s'--", 0, {["a'b"] = 1}, {["'; --"] = "\"v\""}}, {r.note, r.study, r.trial, r.metrics, r.params})
    assert.equals(2, #again:history(name))
    again:close()
  end)

  it("numbers versions without gaps or duplicates when two processes register at once", function()
    local path = tmpdb()
    local script = script_for(path, [[
local knob = require "knob"
local ds = knob.data.read_csv("examples/data/iris.csv", {target = "species"})
local m = knob.model.naive_bayes{}:fit(ds)
local reg = knob.registry.open("sqlite:%s")
for i = 1, 15 do reg:register{name = "shared", model = m, note = arg[1] .. ":" .. i} end
reg:close()
print("done")
]])
    local out, code = run(("(%s %s A & %s %s B & wait) 2>&1"):format(exe, script, exe, script))
    assert.equals(0, code)
    local _, n_done = out:gsub("done", "")
    assert.equals(2, n_done, out)
    local reg = knob.registry.open("sqlite:" .. path)
    local all = reg:list("shared")
    assert.equals(30, #all)
    local per = {A = 0, B = 0}
    for i, r in ipairs(all) do
      assert.equals(i, r.version)
      if i > 1 then assert.equals(i - 1, r.parent) end -- the parent is read inside the same transaction
      local who, n = r.note:match("^(%a):(%d+)$")
      per[who] = per[who] + 1
      assert.equals(per[who], tonumber(n)) -- each process's versions in its own order
    end
    assert.same({A = 15, B = 15}, per)
    assert.equals(30, #reg:history("shared"))
    reg:close()
  end)

  it("persists across processes next to the studies of the same file", function()
    local path = tmpdb()
    local out, code = run(exe .. " " .. script_for(path, [[
local knob = require "knob"
local ds = knob.data.read_csv("examples/data/iris.csv", {target = "species"})
local s = knob.study{name = "st", storage = "sqlite:%s", sampler = knob.samplers.random{seed = 1}}
s:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 3})
local m = knob.model.logistic{}:fit(ds)
assert(m:save("%s.json"))
local reg = knob.registry.open("sqlite:%s")
reg:register{name = "lg", model = m, study = s, trial = s:best(), fingerprint = ds, metrics = {acc = 0.5}}
reg:register{name = "lg", model = m}
reg:promote("lg", 1)
reg:promote("lg", 2)
reg:rollback("lg")
reg:close()
]]))
    assert.equals(0, code, out)
    local reg = knob.registry.open("sqlite:" .. path)
    local r = reg:show("lg", "production")
    assert.same({1, "st", "logistic", iris:fingerprint(), {acc = 0.5}}, {r.version, r.study, r.kind, r.fingerprint, r.metrics})
    local s = knob.study.load{name = "st", storage = "sqlite:" .. path}
    assert.equals(s:best().number, r.trial)
    assert.equals(3, s:n_trials())
    s.storage:close()
    local saved = assert(knob.model.load(path .. ".json"))
    local back = reg:load_model("lg", "production")
    assert.same(saved:predict_proba(iris), back:predict_proba(iris))
    local ev = {}
    for i, e in ipairs(reg:history("lg")) do ev[i] = e.event end
    assert.same({"register", "register", "promote", "promote", "rollback"}, ev)
    reg:close()
    -- the studies' schema version is untouched by the registry's tables
    local db = assert(core.sqlite.open(path))
    assert.same({{app = "knob", version = 2}}, db:rows("SELECT app, version FROM schema_version"))
    assert.same({{version = 1}}, db:rows("SELECT version FROM registry_schema_version"))
    db:close()
  end)

  it("refuses a tampered model, checksum or params row; nothing stored is executed", function()
    local path = tmpdb()
    local reg = knob.registry.open("sqlite:" .. path)
    local m = fitted()
    for _ = 1, 4 do reg:register{name = "t", model = m} end
    local db = assert(core.sqlite.open(path))
    -- 1: a digit of the model changed; 2: the checksum changed; 3: code with its own correct checksum
    db:run("UPDATE registry_versions SET model = replace(model, '\"n_estimators\":5', '\"n_estimators\":6') WHERE version = 1")
    db:run("UPDATE registry_versions SET checksum = ? WHERE version = 2",
           {"sha256:0000000000000000000000000000000000000000000000000000000000000000"})
    -- printf 'os.exit(3)' | sha256sum
    db:run("UPDATE registry_versions SET model = 'os.exit(3)', checksum = ? WHERE version = 3",
           {"sha256:" .. run("printf 'os.exit(3)' | sha256sum"):match("^(%x+)")})
    db:run("UPDATE registry_versions SET params = 'os.exit(4)' WHERE version = 4")
    db:run("UPDATE registry_versions SET stage = 'os.exit(5)' WHERE version = 3")
    db:close()
    local good = reg:show("t", 1).checksum
    local ok, msg = reg:verify("t", 1)
    assert.is_nil(ok)
    assert.matches("^'t' version 1: the stored model does not match its checksum %(stored " .. good .. ", computed sha256:%x+%)$", msg)
    assert.has_error(function() reg:load_model("t", 2) end,
      "registry:load_model: 't' version 2: the stored model does not match its checksum (stored " ..
      "sha256:0000000000000000000000000000000000000000000000000000000000000000, computed " .. good .. ")")
    local ok3, msg3 = pcall(reg.load_model, reg, "t", 3)
    assert.is_false(ok3)
    assert.matches("^registry:load_model: 't' version 3: the stored model does not load: ", msg3)
    assert.has_error(function() reg:show("t", 3) end, "registry (sqlite): bad stored stage of 't' version 3: os.exit(5)")
    assert.has_error(function() reg:show("t", 4) end,
      "storage (sqlite): bad stored value of 't' version 4 (params): unexpected 'o' at byte 1")
    reg:close()
  end)

  it("rejects bad arguments with messages naming them", function()
    local reg = knob.registry.open()
    local m = fitted()
    local cases = {
      {function() reg:register() end, "registry:register: expected an options table {name =, model = ...} (got nil)"},
      {function() reg:register{nmae = "x", model = m} end,
       "registry:register: unknown option 'nmae' (valid: name, model, path, params, metrics, fingerprint, study, trial, parent, note)"},
      {function() reg:register{model = m} end, "registry:register: name must be a non-empty string (got nil)"},
      {function() reg:register{name = "", model = m} end, "registry:register: name must be a non-empty string (got '')"},
      {function() reg:register{name = 5, model = m} end, "registry:register: name must be a non-empty string (got 5)"},
      {function() reg:register{name = "x"} end,
       "registry:register: give one of 'model' (a fitted model) or 'path' (a saved model file)"},
      {function() reg:register{name = "x", model = m, path = "p"} end,
       "registry:register: give one of 'model' (a fitted model) or 'path' (a saved model file)"},
      {function() reg:register{name = "x", model = {}} end,
       "registry:register: option 'model' must be a knob model, pipeline or ensemble (got table)"},
      {function() reg:register{name = "x", model = iris} end,
       "registry:register: option 'model' must be a knob model, pipeline or ensemble (got " .. tostring(iris) .. ")"},
      {function() reg:register{name = "x", model = knob.model.knn{}} end,
       "registry:register: the model is not fitted (register a fitted model)"},
      {function() reg:register{name = "x", path = "/nonexistent.json"} end,
       "registry:register: cannot open model file '/nonexistent.json': /nonexistent.json: No such file or directory"},
      {function() reg:register{name = "x", path = 3} end, "registry:register: option 'path' must be a string (got number)"},
      {function() reg:register{name = "x", model = m, metrics = 0.5} end,
       "registry:register: option 'metrics' must be a table {name = number} (got number)"},
      {function() reg:register{name = "x", model = m, metrics = {acc = "high"}} end,
       "registry:register: metric 'acc' must be a number (got 'high')"},
      {function() reg:register{name = "x", model = m, metrics = {acc = 0 / 0}} end, "registry:register: metric 'acc' is NaN"},
      {function() reg:register{name = "x", model = m, metrics = {0.5}} end,
       "registry:register: metric names must be strings (got 1)"},
      {function() reg:register{name = "x", model = m, params = "lr=1"} end,
       "registry:register: option 'params' must be a table (got string)"},
      {function() reg:register{name = "x", model = m, params = {f = print}} end,
       "registry:register: params.f must hold numbers, strings, booleans and tables (got function)"},
      {function() reg:register{name = "x", model = m, fingerprint = 12} end,
       "registry:register: option 'fingerprint' must be a string or a Dataset (got number)"},
      {function() reg:register{name = "x", model = m, fingerprint = ""} end,
       "registry:register: option 'fingerprint' must not be empty"},
      {function() reg:register{name = "x", model = m, trial = 2} end,
       "registry:register: option 'trial' needs option 'study' (the study the trial belongs to)"},
      {function() reg:register{name = "x", model = m, study = "s", trial = -1} end,
       "registry:register: option 'trial' must be an integer >= 0 (got -1)"},
      {function() reg:register{name = "x", model = m, study = 7} end,
       "registry:register: option 'study' must be a study name or a knob.Study (got 7)"},
      {function() reg:register{name = "x", model = m, parent = 1} end, "registry:register: parent: 'x' has no version 1"},
      {function() reg:register{name = "x", model = m, parent = 0} end,
       "registry:register: option 'parent' must be an integer >= 1 (got 0)"},
      {function() reg:register{name = "x", model = m, note = 1} end, "registry:register: option 'note' must be a string (got number)"},
      {function() reg:show("nope") end, "registry:show: no registry entry 'nope'"},
      {function() reg:show() end, "registry:show: name must be a non-empty string (got nil)"},
      {function() reg:list("nope") end, "registry:list: no registry entry 'nope'"},
      {function() reg:history("nope") end, "registry:history: no registry entry 'nope'"},
      {function() reg:rollback("nope") end, "registry:rollback: no registry entry 'nope'"},
      {function() reg:promote("nope", 1) end, "registry:promote: no registry entry 'nope'"},
      {function() reg:load_model("nope") end, "registry:load_model: no registry entry 'nope'"},
    }
    for _, c in ipairs(cases) do assert.has_error(c[1], c[2]) end
    local bad = helpers.tmpfile('{"format":"other"}')
    local ok, msg = pcall(reg.register, reg, {name = "x", path = bad})
    os.remove(bad)
    assert.is_false(ok)
    assert.matches("^registry:register: " .. bad:gsub("%p", "%%%0") .. ": .*not a knob model", msg)
    local unfitted = tmpdb() .. ".json"
    assert(knob.model.knn{}:save(unfitted))
    assert.has_error(function() reg:register{name = "x", path = unfitted} end,
      "registry:register: the model is not fitted (register a fitted model)")
    assert.equals(0, #reg:list()) -- nothing half-registered
    reg:register{name = "x", model = m}
    for _, c in ipairs{
      {function() reg:show("x", 2) end, "registry:show: 'x' has no version 2 (latest: 1)"},
      {function() reg:show("x", 0) end, "registry:show: version must be an integer >= 1, \"latest\" or \"production\" (got 0)"},
      {function() reg:show("x", 1.5) end, "registry:show: version must be an integer >= 1, \"latest\" or \"production\" (got 1.5)"},
      {function() reg:show("x", 0 / 0) end, "registry:show: version must be an integer >= 1, \"latest\" or \"production\" (got NaN)"},
      {function() reg:show("x", "prod") end,
       "registry:show: version must be an integer >= 1, \"latest\" or \"production\" (got 'prod')"},
      {function() reg:diff("x", 1) end, "registry:diff: give two versions: reg:diff(name, v1, v2)"},
      {function() reg:diff("x", 1, 3) end, "registry:diff: 'x' has no version 3 (latest: 1)"},
      {function() reg:promote("x") end, "registry:promote: give the version to promote: reg:promote(name, version)"},
      {function() reg:promote("x", 9) end, "registry:promote: 'x' has no version 9 (latest: 1)"},
      {function() reg:load_model("x", 9) end, "registry:load_model: 'x' has no version 9 (latest: 1)"},
      {function() reg.show({}, "x") end, "registry:show: call it as a method (reg:show(...))"},
    } do
      assert.has_error(c[1], c[2])
    end
    reg:close()
  end)

  it("rejects bad storage specs, foreign files and a newer registry schema", function()
    assert.has_error(function() knob.registry.open(42) end,
      "knob.registry.open: storage must be nil, \"memory\", \"sqlite:path.db\" or a backend table (got number)")
    assert.has_error(function() knob.registry.open("sqlite:") end,
      "knob.registry.open: storage 'sqlite:' needs a file path (\"sqlite:path.db\")")
    assert.has_error(function() knob.registry.open("mysql:x") end,
      "knob.registry.open: unknown storage 'mysql:x' (valid: \"memory\", \"sqlite:path.db\", a backend table)")
    assert.has_error(function() knob.registry.open({close = function() end}) end,
      "knob.registry.open: the registry backend lacks atomic, insert_version, version, versions, latest, names, " ..
      "model_text, set_stage, add_event, events")
    local foreign = tmpdb()
    local db = assert(core.sqlite.open(foreign))
    db:exec("CREATE TABLE people(name TEXT)")
    db:close()
    assert.has_error(function() knob.registry.open("sqlite:" .. foreign) end,
      "storage (sqlite): '" .. foreign .. "' is not a knob database (an SQLite file without knob's schema_version table)")
    local newer = tmpdb()
    knob.registry.open("sqlite:" .. newer):close()
    db = assert(core.sqlite.open(newer))
    db:run("UPDATE registry_schema_version SET version = 2")
    db:close()
    assert.has_error(function() knob.registry.open("sqlite:" .. newer) end,
      "registry (sqlite): '" .. newer .. "' has registry schema version 2, written by a newer knob (this knob reads version 1)")
    -- a registry opened first leaves a file the studies can use, and the other way round
    local fresh = tmpdb()
    knob.registry.open("sqlite:" .. fresh):close()
    local s = knob.study{name = "after", storage = "sqlite:" .. fresh}
    s.storage:close()
    assert.equals(0, #knob.registry.open("sqlite:" .. fresh):list())
    -- two in-memory registries are separate
    local a, b = knob.registry.open(), knob.registry.open("memory")
    a:register{name = "only-a", model = fitted()}
    assert.same({}, b:list())
    assert.equals("knob.Registry<memory>", tostring(a))
    a:close()
    b:close()
  end)
end)
