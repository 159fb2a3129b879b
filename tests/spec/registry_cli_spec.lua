-- registry_cli_spec.lua — `knob registry` and `knob studies` (scripts/registry.lua, scripts/studies.lua) run
-- through the knob host on databases written here. Expected outputs are the hand-written inputs (params,
-- metrics, trial values) laid out as documented; differences and rankings are computed by hand.
local knob = require "knob"
local core = require "knob.core"
local helpers = require "helpers"
local run = helpers.run
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

local tmpdb = helpers.tmpdb
teardown(helpers.remove_tmpdbs)

local function lines(s)
  local out = {}
  for line in s:gmatch("[^\n]+") do out[#out + 1] = line end
  return out
end

local iris = assert(knob.data.read_csv("examples/data/iris.csv", {target = "species"}))

-- A database with two entries: "churn" v1..v3 (hand-made params and metrics) and "other" v1.
local function registry_db()
  local path = tmpdb()
  local reg = knob.registry.open("sqlite:" .. path)
  local m = knob.model.naive_bayes{}:fit(iris)
  reg:register{name = "churn", model = m, params = {lr = 0.1, depth = 3, loss = "l2"},
               metrics = {acc = 0.5, f1 = 0.25}, study = "s1", trial = 4, note = "first", fingerprint = "00ff00ff00ff00ff"}
  reg:register{name = "churn", model = m, params = {lr = 0.05, depth = 3, seed = 7}, metrics = {acc = 0.75}}
  reg:register{name = "churn", model = m, params = {lr = 0.05, depth = 4, seed = 7}, metrics = {acc = 0.625, f1 = 0.5}}
  reg:register{name = "other", model = m, params = {}}
  reg:close()
  return path
end

describe("knob registry", function()
  local path
  local function reg(args)
    return run(exe .. " registry " .. args .. " --storage sqlite:" .. path)
  end
  before_each(function() path = registry_db() end)

  it("lists the entries and the versions of one", function()
    local out, code = reg("list")
    assert.equals(0, code, out)
    assert.same({"name   versions  latest  production",
                 "churn  3         3       -",
                 "other  1         1       -"}, lines(out))
    out, code = reg("list churn")
    assert.equals(0, code, out)
    local l = lines(out)
    assert.equals(4, #l)
    assert.matches("^version  stage      kind         created%s+parent  metrics%s+note$", l[1])
    assert.matches("^1        candidate  naive_bayes  %d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%dZ  %-       acc=0%.5 f1=0%.25%s+first$", l[2])
    assert.matches("^2        candidate  naive_bayes  [-0-9: Z]+  1       acc=0%.75$", l[3])
    assert.matches("^3        candidate  naive_bayes  [-0-9: Z]+  2       acc=0%.625 f1=0%.5$", l[4])
  end)

  it("shows a version with its metadata, metrics and params, and checks its model", function()
    local out, code = reg("show churn 1")
    assert.equals(0, code, out)
    local l = lines(out)
    assert.equals("churn v1", l[1])
    assert.equals("stage        candidate", l[2])
    assert.equals("kind         naive_bayes", l[3])
    assert.matches("^created      %d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%dZ$", l[4])
    assert.same({"parent       -", "study        s1 (trial 4)", "fingerprint  00ff00ff00ff00ff", "note         first"},
                {l[5], l[6], l[7], l[8]})
    assert.matches("^model        sha256:%x+  %(loads, checksum matches%)$", l[9])
    assert.same({"metrics", "  acc  0.5", "  f1   0.25", "params", "  depth  3", "  loss   l2", "  lr     0.1"},
                {table.unpack(l, 10)})
    -- "latest" is the default, "production" and "v2" are understood
    out = reg("show churn")
    assert.equals("churn v3", lines(out)[1])
    out = reg("show churn v2")
    assert.equals("churn v2", lines(out)[1])
  end)

  it("diffs two versions: params added, removed, changed and metric deltas", function()
    local out, code = reg("diff churn 1 3")
    assert.equals(0, code, out)
    -- by hand: depth 3 -> 4, lr 0.1 -> 0.05, loss removed, seed added; acc 0.625 - 0.5 = +0.125, f1 +0.25
    assert.same({"churn v1 -> v3",
                 "data fingerprint: 00ff00ff00ff00ff -> -",
                 "params:",
                 "  + seed = 7",
                 "  - loss = l2",
                 "  ~ depth: 3 -> 4",
                 "  ~ lr: 0.1 -> 0.05",
                 "metrics:",
                 "       v1    v3     delta",
                 "  acc  0.5   0.625  +0.125",
                 "  f1   0.25  0.5    +0.25"}, lines(out))
    out = reg("diff churn 3 2")
    assert.same({"churn v3 -> v2", "params:", "  ~ depth: 4 -> 3", "metrics:",
                 "       v3     v2    delta", "  acc  0.625  0.75  +0.125", "  f1   0.5    -     -"}, lines(out))
  end)

  it("promotes, rolls back and shows the history", function()
    local out, code = reg("promote churn 1")
    assert.equals(0, code, out)
    assert.equals("churn v1 is now in production\n", out)
    assert.equals("churn v3 is now in production (v1 archived)\n", (reg("promote churn latest")))
    assert.equals("churn v3 is already in production\n", (reg("promote churn 3")))
    assert.equals("churn  3         3       3", lines(reg("list"))[2])
    out, code = reg("rollback churn")
    assert.equals(0, code, out)
    assert.equals("churn: production rolled back from v3 to v1 (v3 archived)\n", out)
    assert.equals("churn v1", lines(reg("show churn production"))[1])
    out, code = reg("rollback churn")
    assert.equals(1, code)
    assert.equals("knob registry: registry:rollback: 'churn' has no earlier production version to roll back to (v1 is the first)\n", out)
    local l = lines(reg("history churn"))
    assert.equals("time                  event     version  previous production", l[1])
    local events = {}
    for i = 2, #l do events[#events + 1] = l[i]:gsub("^[-0-9: Z]+Z  ", ""):gsub("%s+$", "") end
    assert.same({"register  v1", "register  v2", "register  v3", "promote   v1", "promote   v3       v1",
                 "rollback  v1       v3"}, events)
  end)

  it("reports unknown names and versions, a missing database, bad arguments and a damaged model, exiting 1", function()
    for _, case in ipairs{
      {"show nope", "knob registry: registry:show: no registry entry 'nope'\n"},
      {"show churn 9", "knob registry: registry:show: 'churn' has no version 9 (latest: 3)\n"},
      {"show churn x", "knob registry: bad version 'x' (a number, latest or production)\n"},
      {"show other production", "knob registry: registry:show: 'other' has no production version (promote one first)\n"},
      {"rollback other", "knob registry: registry:rollback: 'other' has no production version to roll back\n"},
      {"promote nope 1", "knob registry: registry:promote: no registry entry 'nope'\n"},
      {"diff churn 1 7", "knob registry: registry:diff: 'churn' has no version 7 (latest: 3)\n"},
      {"history nope", "knob registry: registry:history: no registry entry 'nope'\n"},
    } do
      local out, code = reg(case[1])
      assert.equals(1, code)
      assert.equals(case[2], out)
    end
    local out, code = run(exe .. " registry list --storage sqlite:/nonexistent-dir/x.db")
    assert.equals(1, code)
    assert.equals("knob registry: no database '/nonexistent-dir/x.db'\n", out)
    out, code = run(exe .. " registry list")
    assert.equals(1, code)
    assert.matches("Usage: knob registry list", out, 1, true)
    assert.matches("missing option '--storage'", out, 1, true)
    out, code = reg("diff churn 1")
    assert.equals(1, code)
    assert.matches("missing argument 'v2'", out, 1, true)
    out, code = reg("frobnicate")
    assert.equals(1, code)
    assert.matches("unknown command 'frobnicate'", out, 1, true)
    out, code = run(exe .. " registry list --storage memory")
    assert.equals(0, code)
    assert.equals("(the registry is empty)\n", out)
    -- a changed model row: shown, then reported
    local db = assert(core.sqlite.open(path))
    db:run("UPDATE registry_versions SET model = model || ' ' WHERE name = 'churn' AND version = 2")
    db:close()
    out, code = reg("show churn 2")
    assert.equals(1, code)
    assert.matches("^churn v2\n", out)
    assert.matches("\nknob registry: 'churn' version 2: the stored model does not match its checksum %(stored sha256:%x+, computed sha256:%x+%)\n$", out)
  end)

  it("has --help on every subcommand", function()
    for _, cmd in ipairs{"list", "show", "diff", "promote", "rollback", "history"} do
      local out, code = run(exe .. " registry " .. cmd .. " --help")
      assert.equals(0, code)
      assert.matches("Usage: knob registry " .. cmd .. " [-h] --storage <storage>", out, 1, true)
    end
    local out, code = run(exe .. " registry --help")
    assert.equals(0, code)
    for _, cmd in ipairs{"list", "show", "diff", "promote", "rollback", "history"} do assert.matches("   " .. cmd .. " ", out, 1, true) end
  end)
end)

describe("knob studies", function()
  -- Two studies with enqueued (hand-picked) parameters and hand-picked values:
  --   "tune" (maximize): trials 0..4 with x = 0.5, 0.25, 0.75, 1.0, 0.125 -> values 0.5, 0.75, pruned, failed, 0.25;
  --                      trial 1 also suggests k = 3.  Best: trial 1 (0.75); then 0 (0.5), 4 (0.25).
  --   "idle" (minimize): no trials.
  local path
  setup(function()
    path = tmpdb()
    local s = knob.study{name = "tune", direction = "maximize", storage = "sqlite:" .. path,
                         sampler = knob.samplers.random{seed = 1}, pruner = knob.pruners.none()}
    local outcomes = {{0.5, 0.5}, {0.25, 0.75}, {0.75, "pruned"}, {1.0, "failed"}, {0.125, 0.25}}
    for i, o in ipairs(outcomes) do
      s:enqueue{x = o[1]}
      local t = s:ask()
      t:suggest_float("x", 0, 1)
      if i == 2 then t:suggest_int("k", 1, 5) end
      s:tell(t, o[2])
    end
    s.storage:close()
    knob.study{name = "idle", storage = "sqlite:" .. path}.storage:close()
  end)

  it("lists the studies with trial counts by state and the best value", function()
    local out, code = run(exe .. " studies list --storage sqlite:" .. path)
    assert.equals(0, code, out)
    assert.same({"name  direction  trials  complete  pruned  failed  running  waiting  best  best trial",
                 "tune  maximize   5       3         1       1       0        0        0.75  1",
                 "idle  minimize   0       0         0       0       0        0        -     -"}, lines(out))
  end)

  it("shows the best trial and the top trials", function()
    local out, code = run(exe .. " studies show tune --top 2 --storage sqlite:" .. path)
    assert.equals(0, code, out)
    local l = lines(out)
    assert.equals("study tune (maximize), 5 trials: 3 complete, 1 pruned, 1 failed", l[1])
    assert.equals("best trial #1: value 0.75", l[2])
    assert.equals("  x  0.25", l[3])
    assert.matches("^  k  [1-5]$", l[4])
    assert.equals("top 2 of 3 complete trials:", l[5])
    assert.equals("rank  trial  value  x     k", l[6])
    assert.matches("^1     1      0%.75   0%.25  [1-5]$", l[7])
    assert.equals("2     0      0.5    0.5   -", l[8])
    out = run(exe .. " studies show idle --storage sqlite:" .. path)
    assert.equals("study idle (minimize), 0 trials\nno complete trial yet\n", out)
  end)

  it("reports an unknown study, a missing database and bad arguments", function()
    local out, code = run(exe .. " studies show nope --storage sqlite:" .. path)
    assert.equals(1, code)
    assert.equals("knob studies: no study 'nope' in this storage\n", out)
    out, code = run(exe .. " studies list --storage sqlite:/nonexistent-dir/x.db")
    assert.equals(1, code)
    assert.equals("knob studies: no database '/nonexistent-dir/x.db'\n", out)
    out, code = run(exe .. " studies show tune --top 0 --storage sqlite:" .. path)
    assert.equals(1, code)
    assert.matches("--top must be an integer >= 1 (got '0')", out, 1, true)
    out, code = run(exe .. " studies list --storage mysql:x")
    assert.equals(1, code)
    assert.equals("knob studies: knob studies: unknown storage 'mysql:x' (valid: \"memory\", \"sqlite:path.db\", \"postgresql://user@host/db\", a backend table)\n", out)
    for _, cmd in ipairs{"list", "show"} do
      out, code = run(exe .. " studies " .. cmd .. " --help")
      assert.equals(0, code)
      assert.matches("Usage: knob studies " .. cmd, out, 1, true)
    end
  end)
end)
