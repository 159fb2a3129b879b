-- knob.stages: the staged workflow. Values are checked against the primitives called directly (the split,
-- the CV folds, a hand-rolled refit) and against hand-computed numbers.
local knob = require "knob"
local helpers = require "helpers"

local bc = assert(knob.data.read_csv("examples/data/breast_cancer.csv", {target = "diagnosis"}))

local function quiet(opts)
  opts.log = false
  return opts
end

local function small_gbdt(params, seed)
  local p = {n_estimators = 20, seed = seed}
  for k, v in pairs(params) do p[k] = v end
  return knob.model.gbdt(p)
end

local SPACE = {learning_rate = knob.space.float(0.05, 0.5, {log = true}),
               max_leaves = knob.space.int(2, 16), min_samples_leaf = knob.space.int(2, 40, {log = true})}

describe("knob.stages", function()
  it("locks the same test split as ds:split and scores it only in final, equal to a hand-rolled refit", function()
    local run = knob.stages.new(quiet{data = bc, model = small_gbdt, space = SPACE, seed = 7})
    local train, test = bc:split{test = 0.2, stratify = true, seed = 7}
    assert.equals(train:fingerprint(), run.record.data.fingerprint)
    assert.equals(test:fingerprint(), run.record.data.test_fingerprint)
    assert.equals(455, run.record.data.train_rows) -- 569 rows, 20% stratified: 114 test rows
    assert.is_nil(run.test)                           -- the run never hands the test split out
    run:search("coarse", {sampler = "random", trials = 4})
    local f = run:final{seeds = 2}
    local best = run.study:best()
    local expect = {}
    for s = 1, 2 do
      local m = small_gbdt(best.params, 7 + s - 1)
      m:fit(train)
      expect[s] = m:score(test, "accuracy")
    end
    assert.same(expect, f.scores)
    assert.equals((expect[1] + expect[2]) / 2, f.test)
    assert.equals(best.value, f.cv)
    assert.same({}, run.record.warnings)
    run:final{seeds = 1}
    assert.equals(1, #run.record.warnings)
    assert.matches("scored for the 2. time", run.record.warnings[1], 1, true)
  end)

  it("scores baselines on the run's folds (dummy = the majority share, hand-computed)", function()
    local run = knob.stages.new(quiet{data = bc, model = "logistic", seed = 1})
    local b = run:baseline()
    -- the training split keeps 285 of the 357 benign rows among 455 (stratified); every stratified fold of
    -- 91 rows holds 57 benign, so most_frequent scores 57/91 = 285/455 on every fold
    assert.near(285 / 455, b.dummy.mean, 1e-15)
    assert.near(0, b.dummy.std, 1e-15)
    assert.is_true(b["default logistic"].mean > 0.95)
  end)

  it("runs stages on one study with their budgets, tags trials by stage and records them", function()
    local run = knob.stages.new(quiet{data = bc, model = small_gbdt, space = SPACE, seed = 3})
    local rec = run:search("coarse", {sampler = "qmc", trials = 6})
    assert.equals(6, rec.complete)
    assert.equals("qmc", rec.sampler)
    local g = run:grid{params = 2}
    local best_before = run.study:trials{state = "complete"}
    assert.equals(2, #g.params)
    -- every grid trial keeps the third parameter at the best coarse value
    local coarse_best
    for _, r in ipairs(best_before) do
      if r.user_attrs.stage == "coarse" and (not coarse_best or r.value > coarse_best.value) then coarse_best = r end
    end
    local free = {}
    for _, p in ipairs(g.params) do free[p] = true end
    for _, r in ipairs(run.study:trials{state = "complete"}) do
      if r.user_attrs.stage == "grid" then
        for name in pairs(SPACE) do
          if not free[name] then assert.equals(coarse_best.params[name], r.params[name]) end
        end
      end
    end
    local fine = run:search("fine", {sampler = "tpe", params = 1, trials = 4})
    assert.equals(4, fine.complete + fine.pruned + fine.failed)
    local n_fixed = 0
    for _ in pairs(fine.fixed) do n_fixed = n_fixed + 1 end
    assert.equals(2, n_fixed) -- 3 parameters, the top 1 searched
    assert.same({}, run.study.storage:load_study(run.study.name).system_attrs.fixed_params or {})
    assert.equals(3, #run.record.stages)
    assert.equals(6 + g.complete + g.pruned + g.failed + 4, run.study:n_trials())
  end)

  it("stops a stage on a plateau", function()
    local run = knob.stages.new(quiet{data = bc, model = function(_, _) return knob.model.dummy{} end,
                                      space = {x = knob.space.float(0, 1)}, seed = 1})
    -- a dummy model gives the same score for every x: the first trial sets the best, 3 more do not improve
    local rec = run:search("coarse", {sampler = "random", trials = 50, plateau = 3})
    assert.equals(4, rec.complete)
  end)

  it("re-scores the top distinct configurations on fresh folds", function()
    local run = knob.stages.new(quiet{data = bc, model = small_gbdt, space = SPACE, seed = 5})
    run:search("coarse", {sampler = "random", trials = 5})
    local r = run:rescore{top = 2}
    assert.equals(2, #r.rows)
    local fresh = knob.split.stratified_kfold{k = 5, shuffle = true, seed = 1005}
    local train = bc:split{test = 0.2, stratify = true, seed = 5}
    for _, row in ipairs(r.rows) do
      local expect = knob.cv.score(small_gbdt(row.params, 5), train, {folds = fresh, metrics = {"accuracy"}})
      assert.equals(expect, row.fresh)
      assert.equals(row.value - row.fresh, row.luck)
    end
    assert.equals(run.winner.trial, r.winner)
  end)

  it("builds an ensemble of the top configurations, scores it on the fresh folds and promotes the winner", function()
    local run = knob.stages.new(quiet{data = bc, model = small_gbdt, space = SPACE, seed = 9})
    run:search("coarse", {sampler = "random", trials = 5})
    local r = run:rescore{top = 3}
    local e = run:ensemble{top = 2, kind = "soft", min_gain = -1} -- min_gain -1: the ensemble always wins
    assert.is_true(e.chosen)
    -- members: the two best on the fresh folds
    local rows = {}
    for i, row in ipairs(r.rows) do rows[i] = row end
    table.sort(rows, function(a, b) return a.fresh > b.fresh or (a.fresh == b.fresh and a.number < b.number) end)
    assert.same({rows[1].number, rows[2].number}, e.members)
    local train, test = bc:split{test = 0.2, stratify = true, seed = 9}
    local function hand(seed)
      return knob.ensemble.voting{members = {small_gbdt(rows[1].params, seed), small_gbdt(rows[2].params, seed)},
                                  voting = "soft"}
    end
    local fresh = knob.split.stratified_kfold{k = 5, shuffle = true, seed = 1009}
    assert.equals(knob.cv.score(hand(9), train, {folds = fresh, metrics = {"accuracy"}}), e.cv)
    local f = run:final{seeds = 1}
    assert.equals("ensemble", f.winner)
    local h = hand(9)
    h:fit(train)
    assert.equals(h:score(test, "accuracy"), f.test)
    local reg = knob.registry.open("memory")
    local v = run:promote{registry = reg, name = "bc"}
    assert.equals(1, v.version)
    assert.equals("production", v.stage)
    assert.equals(f.test, reg:show("bc", "production").metrics.test)
    local loaded = reg:load_model("bc", "production")
    assert.same(h:predict(test), loaded:predict(test))
  end)

  it("saves the single winner with monitor reference statistics of the training rows", function()
    local run = knob.stages.new(quiet{data = bc, model = small_gbdt, space = SPACE, seed = 4})
    run:search("coarse", {sampler = "random", trials = 3})
    local path = helpers.tmpname()
    run:model(path)
    local m = assert(knob.model.load(path))
    local ref = knob.monitor.reference_of(m)
    assert.is_not_nil(ref)
    local report = knob.monitor.check(m, (bc:split{test = 0.2, stratify = true, seed = 4}))
    assert.equals("stable", report.verdict) -- the training rows against their own reference
    os.remove(path)
  end)

  it("lets the user choose the configuration final evaluates", function()
    local run = knob.stages.new(quiet{data = bc, model = small_gbdt, space = SPACE, seed = 6})
    run:search("coarse", {sampler = "random", trials = 3})
    local p = {learning_rate = 0.1, max_leaves = 4, min_samples_leaf = 10}
    local w = run:choose(p)
    local train, test = bc:split{test = 0.2, stratify = true, seed = 6}
    local folds = knob.split.stratified_kfold{k = 5, shuffle = true, seed = 6}
    assert.equals(knob.cv.score(small_gbdt(p, 6), train, {folds = folds, metrics = {"accuracy"}}), w.cv)
    local f = run:final{seeds = 1}
    local m = small_gbdt(p, 6)
    m:fit(train)
    assert.equals(m:score(test, "accuracy"), f.test)
    assert.equals(2, run:choose(2).trial)
    assert.matches("no complete trial 99", select(2, pcall(run.choose, run, 99)), 1, true)
    assert.matches("a trial number or a params table expected", select(2, pcall(run.choose, run, "x")), 1, true)
  end)

  it("ranks parameters by |Spearman| with the objective (hand-computed on a tiny study)", function()
    local run = knob.stages.new(quiet{data = bc, model = small_gbdt, seed = 1,
                                      space = {x = knob.space.float(0, 10), y = knob.space.float(0, 10)}})
    -- x = 1..4 and value = x: rho = 1; y = 2,1,4,3: d = 1,-1,1,-1, rho = 1 - 6*4/(4*15) = 0.6
    local ys = {2, 1, 4, 3}
    for i = 1, 4 do
      run.study:enqueue{x = i, y = ys[i]}
      local t = run.study:ask()
      t:suggest_float("x", 0, 10)
      t:suggest_float("y", 0, 10)
      run.study:tell(t, i)
    end
    local imp = run:importance()
    assert.equals("x", imp[1].name)
    assert.near(1, imp[1].importance, 1e-12)
    assert.near(0.6, imp[2].importance, 1e-12)
  end)

  it("handles regression with a minimized metric and writes the record and the trials CSV", function()
    local db = assert(knob.data.read_csv("examples/data/diabetes.csv", {target = "progression"}))
    local rec_path, csv_path = helpers.tmpname(), helpers.tmpname()
    local run = knob.stages.run(quiet{data = db, model = "linear", metric = "rmse", seed = 2,
      stages = {coarse = {trials = 4}, grid = false, fine = {trials = 3}, rescore = {top = 2}, final = {seeds = 1}},
      record = rec_path, trials_csv = csv_path})
    assert.equals("minimize", run.study.direction)
    local rec = knob.json.decode(helpers.slurp(rec_path))
    assert.equals("knob.run", rec.format)
    assert.equals("rmse", rec.metric)
    assert.equals(7, #rec.trials)
    assert.equals(run.record.final.test, rec.final.test)
    assert.is_true(rec.final.test > 40 and rec.final.test < 70) -- diabetes: linear models score RMSE ~ 54
    local lines = 0
    for _ in helpers.slurp(csv_path):gmatch("[^\n]+") do lines = lines + 1 end
    assert.equals(8, lines)
    os.remove(rec_path)
    os.remove(csv_path)
  end)

  it("rejects bad options with clear errors", function()
    local function err(opts) return select(2, pcall(knob.stages.new, quiet(opts))) end
    assert.matches("unknown option 'seeed'", err{data = bc, model = "gbdt", seeed = 1}, 1, true)
    assert.matches("unknown model 'svm' (built-in: forest, gbdt, knn, linear, logistic, mlp", err{data = bc, model = "svm"}, 1, true)
    assert.matches("a model builder function needs a 'space'", err{data = bc, model = small_gbdt}, 1, true)
    assert.matches("option 'test_size' must be in (0, 1)", err{data = bc, model = "gbdt", test_size = 1.5}, 1, true)
    assert.matches("unknown metric 'f2'", err{data = bc, model = "gbdt", metric = "f2"}, 1, true)
    assert.matches("option 'data' must be a Dataset", err{data = "x.csv", model = "gbdt"}, 1, true)
    local X = {}
    for i = 1, 12 do X[i] = {i} end
    local nt = knob.data.from_table{X = X, names = {"a"}}
    assert.matches("the data has no target column", err{data = nt, model = "gbdt"}, 1, true)
    local run = knob.stages.new(quiet{data = bc, model = "gbdt"})
    assert.matches("give the stage a budget", select(2, pcall(run.search, run, "coarse", {})), 1, true)
    assert.matches("unknown sampler 'tpee'", select(2, pcall(run.search, run, "coarse", {sampler = "tpee", trials = 1})), 1, true)
    assert.matches("needs a finished earlier stage", select(2, pcall(run.grid, run)), 1, true)
    assert.matches("run a search stage first", select(2, pcall(run.final, run)), 1, true)
  end)
end)

describe("knob tune", function()
  local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"
  it("tunes a CSV, saves a model that loads and predicts, and writes the record", function()
    local model_path, rec_path = helpers.tmpname(), helpers.tmpname()
    local out, code = helpers.run(exe .. " tune --data examples/data/iris.csv --target species --trials 8 -q"
                                  .. " --model logistic -o " .. model_path .. " --record " .. rec_path)
    assert.equals(0, code)
    assert.matches("test accuracy %d%.%d+ ± %d%.%d+ over 5 seeds", out)
    local m = assert(knob.model.load(model_path))
    local iris = assert(knob.data.read_csv("examples/data/iris.csv", {target = "species"}))
    assert.is_true(m:score(iris, "accuracy") > 0.9)
    assert.equals("logistic", knob.json.decode(helpers.slurp(rec_path)).model)
    os.remove(model_path)
    os.remove(rec_path)
  end)

  it("exits 1 with a clear message on bad input", function()
    local out, code = helpers.run(exe .. " tune --data examples/data/iris.csv --target nope")
    assert.equals(1, code)
    assert.matches("knob tune: .*unknown target column 'nope'", out)
    out, code = helpers.run(exe .. " tune --data examples/data/iris.csv --target species --trials 2")
    assert.equals(1, code)
    assert.matches("--trials must be an integer >= 4", out, 1, true)
    out, code = helpers.run(exe .. " tune --data /nonexistent.csv --target y")
    assert.equals(1, code)
    assert.matches("cannot open '/nonexistent.csv'", out, 1, true)
  end)
end)
