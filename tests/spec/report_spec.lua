-- knob.report / knob.svg / knob report: the HTML report of a run, rendered by headless Chromium.
local knob = require "knob"
local helpers = require "helpers"
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

-- A small hand-made run record: two stages, a log parameter, a categorical one, a warning, a final test.
local function record()
  local trials = {}
  local vals = {0.90, 0.93, 0.91, 0.95, 0.94, 0.96}
  for i, v in ipairs(vals) do
    trials[i] = {number = i - 1, state = "complete", value = v, stage = i <= 3 and "coarse" or "fine",
                 params = {lr = 10.0 ^ (-i / 2), kind = i % 2 == 0 and "a" or "b<x>"}}
  end
  trials[7] = {number = 6, state = "pruned", params = {lr = 0.5, kind = "a"}}
  return {format = "knob.run", name = "demo <run>", metric = "accuracy", direction = "maximize", seed = 1,
          folds = 5, model = "gbdt", space = {lr = "float [0.001, 1] log", kind = "categorical {'a', 'b<x>'}"},
          data = {rows = 100, train_rows = 80, test_rows = 20, task = "classification", fingerprint = "abc"},
          stages = {{name = "coarse", sampler = "qmc", complete = 3, pruned = 0, failed = 0, seconds = 1.5, best = 0.93, best_trial = 1},
                    {name = "fine", sampler = "tpe", complete = 3, pruned = 1, failed = 0, seconds = 2, best_before = 0.93, best = 0.96, best_trial = 5}},
          trials = trials, importance = {{name = "lr", importance = 0.8}, {name = "kind", importance = 0.2}},
          warnings = {"test is <much> worse"},
          final = {trial = 5, cv = 0.96, cv_std = 0.01, test = 0.94, test_std = 0.005, seeds = 3,
                   default_test = 0.9, default_test_std = 0, params = {lr = 0.001, kind = "a"}},
          curves = {learning = {x = {10, 20, 40}, train_mean = {1, 0.99, 0.98}, train_std = {0, 0.01, 0.01},
                                valid_mean = {0.8, 0.88, 0.92}, valid_std = {0.05, 0.03, 0.02}, baseline = 0.6}}}
end

describe("knob.svg", function()
  it("maps scores to the colour scale's stops (the stops written in svg.lua, by hand)", function()
    assert.equals("#440154", knob.svg.color(0))
    assert.equals("#21918c", knob.svg.color(0.5))
    assert.equals("#fde725", knob.svg.color(1))
    assert.equals("#999999", knob.svg.color(0 / 0))
  end)

  it("escapes text and picks nice ticks", function()
    assert.equals("&lt;a&amp;b&gt; &quot;q&quot; &#39;", knob.svg.escape("<a&b> \"q\" '"))
    local s = knob.svg.xy{series = {{kind = "points", x = {0, 10}, y = {0, 1}}}}
    for _, t in ipairs{">0<", ">2<", ">4<", ">6<", ">8<", ">10<"} do assert.matches(t, s, 1, true) end
    local lg = knob.svg.xy{x = {log = true}, series = {{kind = "line", x = {0.001, 1}, y = {1, 2}}}}
    for _, t in ipairs{">0.001<", ">0.01<", ">0.1<", ">1<"} do assert.matches(t, lg, 1, true) end
    assert.matches("no data", knob.svg.xy{series = {{kind = "points", x = {0 / 0}, y = {1}}}}, 1, true)
  end)
end)

describe("knob.report", function()
  it("writes every section of a run record, with user text escaped", function()
    local html = knob.report.html(record())
    for _, h in ipairs{"Final test", "Stages", "Optimization history", "Hyperparameter importance",
                       "Parallel coordinates", "Slices", "Curves", "Winning configuration"} do
      assert.matches("<h2>" .. h, html, 1, true)
    end
    assert.matches("0.9600 ± 0.0100", html, 1, true)
    assert.matches("0.9400 ± 0.0050", html, 1, true)
    assert.matches("test is &lt;much&gt; worse", html, 1, true)
    assert.matches("demo &lt;run&gt;", html, 1, true)
    assert.is_nil(html:find("<x>", 1, true))
    assert.is_nil(html:find("<script", 1, true)) -- no scripts, no network
    local _, n_http = html:gsub("https?://", "")
    local _, n_ns = html:gsub('xmlns="http://www.w3.org/2000/svg"', "")
    assert.equals(n_ns, n_http) -- the SVG namespace is the only address in the file
    local _, n_svg = html:gsub("<svg ", "")
    assert.equals(1 + 1 + 1 + 2 + 1, n_svg) -- history, importance, parallel, 2 slices, learning curve
  end)

  it("reads back a run record saved by run:save and rejects other files", function()
    local path = helpers.tmpname()
    local f = io.open(path, "w")
    f:write(knob.json.encode(record()))
    f:close()
    local rec = assert(knob.report.load(path))
    assert.equals("demo <run>", rec.name)
    f = io.open(path, "w")
    f:write('{"format": "knob.model"}')
    f:close()
    local r, msg = knob.report.load(path)
    assert.is_nil(r)
    assert.matches("not a knob run record", msg, 1, true)
    f = io.open(path, "w")
    f:write('{"format": "knob.run",')
    f:close()
    r, msg = knob.report.load(path)
    assert.is_nil(r)
    assert.matches("bad JSON in " .. path .. ": expected a key at byte 23", msg, 1, true)
    os.remove(path)
    assert.has_error(function() knob.report.html("x") end, "knob.report.html: a run record (table) expected (got string)")
  end)

  it("renders in headless Chromium to a picture that is not blank", function()
    local chromium = helpers.run("command -v chromium"):gsub("%s+$", "")
    assert.is_true(chromium ~= "", "chromium is not installed (make test-deps installs it)")
    local dir = helpers.tmpname()
    os.execute("mkdir -p " .. dir)
    assert(knob.report.write(record(), dir .. "/report.html"))
    local blank = io.open(dir .. "/blank.html", "w")
    blank:write("<!DOCTYPE html><html><body></body></html>")
    blank:close()
    local function shot(name)
      local cmd = ("cd %s && HOME=%s timeout 120 %s --headless --no-sandbox --disable-gpu --hide-scrollbars "
        .. "--window-size=1200,2400 --screenshot=%s.png file://%s/%s.html"):format(dir, dir, chromium, name, dir, name)
      helpers.run(cmd)
      local fh = io.open(dir .. "/" .. name .. ".png", "rb")
      assert.is_not_nil(fh, "chromium wrote no screenshot of " .. name)
      local bytes = fh:read("a")
      fh:close()
      assert.equals("\137PNG", bytes:sub(1, 4))
      return #bytes
    end
    local report_bytes, blank_bytes = shot("report"), shot("blank")
    -- a white page compresses to a few KB; charts, tables and text do not
    assert.is_true(report_bytes > 10 * blank_bytes, ("report %d bytes vs blank %d"):format(report_bytes, blank_bytes))
    local dom = helpers.run(("HOME=%s timeout 120 %s --headless --no-sandbox --disable-gpu --dump-dom file://%s/report.html 2>/dev/null")
      :format(dir, chromium, dir))
    local _, n_svg = dom:gsub("<svg ", "")
    assert.equals(6, n_svg)
    os.execute("rm -rf " .. dir)
  end)
end)

describe("knob report", function()
  it("turns a run record into HTML and a stored study too; bad input exits 1", function()
    local dir = helpers.tmpname()
    os.execute("mkdir -p " .. dir)
    local rec = dir .. "/run.json"
    local f = io.open(rec, "w")
    f:write(knob.json.encode(record()))
    f:close()
    local out, code = helpers.run(exe .. " report " .. rec .. " -o " .. dir .. "/r.html")
    assert.equals(0, code)
    assert.matches("wrote " .. dir .. "/r.html (7 trials)", out, 1, true)
    local db = "sqlite:" .. dir .. "/s.db"
    local study = knob.study{name = "it's", storage = db, sampler = knob.samplers.random{seed = 1}}
    study:optimize(function(t) return t:suggest_float("x", 0, 1) ^ 2 end, {n_trials = 5})
    out, code = helpers.run(exe .. " report --study \"it's\" --storage " .. db .. " -o " .. dir .. "/s.html")
    assert.equals(0, code)
    assert.matches("(5 trials)", out, 1, true)
    assert.matches("Optimization history", helpers.slurp(dir .. "/s.html"), 1, true)
    out, code = helpers.run(exe .. " report " .. dir .. "/missing.json")
    assert.equals(1, code)
    assert.matches("knob report: cannot open run record", out, 1, true)
    out, code = helpers.run(exe .. " report --study nope --storage " .. db)
    assert.equals(1, code)
    assert.matches("no study 'nope'", out, 1, true)
    out, code = helpers.run(exe .. " report")
    assert.equals(1, code)
    os.execute("rm -rf " .. dir)
  end)
end)
