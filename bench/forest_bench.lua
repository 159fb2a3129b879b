-- forest_bench.lua — knob's random forest and extra trees side by side with scikit-learn, same data, one run.
-- Usage: build/knob bench/forest_bench.lua [n_rows] [n_trees] [threads]     (defaults 100000 100 2)
-- Data: knob.data.make_classification{n_samples = n_rows, n_features = 20, n_informative = 10, seed = 1},
--   written to bench/data/forest_<n_rows>.csv; an 80/20 split (knob.split.train_test, seed 42) whose test
--   rows go to bench/data/forest_<n_rows>.test for the peer, so both fit and score the same rows.
-- Each side runs in its own process (so peak memory is its own):
--   knob:    knob.model.forest{n_estimators = T, n_jobs = threads, seed = 0} (and extra_trees)
--   sklearn: bench/forest_sklearn.py: RandomForestClassifier(n_estimators=T, n_jobs=threads, random_state=0)
--            (and ExtraTreesClassifier), on the same CSV and rows
-- Reported: fit wall time, time ratio knob / sklearn (target <= 0.5), held-out accuracy, peak resident
-- memory of the process (MB) and its resident memory just before the fit (data loaded).
local knob = require "knob"
local n_rows = tonumber(arg and arg[1]) or 100000
local n_trees = tonumber(arg and arg[2]) or 100
local threads = tonumber(arg and arg[3]) or 2
local side = arg and arg[4]

local csv = ("bench/data/forest_%d.csv"):format(n_rows)
local rows_file = ("bench/data/forest_%d.test"):format(n_rows)

local function load_split()
  local ds = assert(knob.data.read_csv(csv, {target = "y"}))
  local train, test, _, test_rows = knob.split.train_test(ds, {test = 0.2, seed = 42})
  return ds, train, test, test_rows
end

local MB = 1024 * 1024

if side == "knob" then -- the child process: fit both kinds and print one line per kind
  local _, train, test = load_split()
  for _, kind in ipairs{"forest", "extra_trees"} do
    collectgarbage()
    local before = knob.sys.rss()
    local m = knob.model[kind]{n_estimators = n_trees, n_jobs = threads, seed = 0}
    local t0, c0 = knob.sys.clock(), knob.sys.cpu_time()
    m:fit(train)
    local wall, cpu = knob.sys.clock() - t0, knob.sys.cpu_time() - c0
    print(("%s\t%.6f\t%.6f\t%.6f\t%.1f\t%.1f\t%d"):format(kind, wall, cpu, m:score(test), knob.sys.peak_rss() / MB,
      before / MB, m:info().n_params))
    m:close()
  end
  os.exit(0)
end

-- the parent: make the data once, then run both sides
os.execute("mkdir -p bench/data")
if not io.open(csv, "rb") then
  local ds = knob.data.make_classification{n_samples = n_rows, n_features = 20, n_informative = 10, seed = 1}
  assert(ds:write_csv(csv))
end
local _, _, _, test_rows = load_split()
local f = assert(io.open(rows_file, "w"))
for _, r in ipairs(test_rows) do f:write(r - 1, "\n") end -- 0-based for numpy
f:close()

local function run(cmd)
  local res = {}
  local p = assert(io.popen(cmd))
  for line in p:lines() do
    local kind, wall, cpu, acc, peak, before, size = line:match("^(%S+)\t(%S+)\t(%S+)\t(%S+)\t(%S+)\t(%S+)\t(%S+)$")
    if kind then
      res[kind] = {wall = tonumber(wall), cpu = tonumber(cpu), acc = tonumber(acc), peak = tonumber(peak),
                   before = tonumber(before), nodes = tonumber(size)}
    end
  end
  assert(p:close(), "failed: " .. cmd)
  return res
end

local exe = arg and arg[-1] or "build/knob"
local k = run(("%s bench/forest_bench.lua %d %d %d knob"):format(exe, n_rows, n_trees, threads))
local s = run(("/usr/bin/python3 bench/forest_sklearn.py %s %s %d %d"):format(csv, rows_file, n_trees, threads))

print(("\n%d x 20 binary classification, 80/20 split, %d trees, %d threads; one fit each"):format(n_rows, n_trees,
  threads))
print(("%-12s | %8s %8s %7s | %8s %8s %6s | %8s %8s | %9s %9s | %9s %9s"):format("model", "knob s", "sk s", "ratio",
  "knob cpu", "sk cpu", "ratio", "knob acc", "sk acc", "knob peak", "sk peak", "knob base", "sk base"))
for _, kind in ipairs{"forest", "extra_trees"} do
  local a, b = k[kind], s[kind]
  print(("%-12s | %8.2f %8.2f %7.3f | %8.2f %8.2f %6.3f | %8.4f %8.4f | %8.0fM %8.0fM | %8.0fM %8.0fM"):format(kind,
    a.wall, b.wall, a.wall / b.wall, a.cpu, b.cpu, a.cpu / b.cpu, a.acc, b.acc, a.peak, b.peak, a.before, b.before))
end
print(("nodes: knob forest %d, sklearn forest %d; knob extra_trees %d, sklearn extra_trees %d"):format(
  k.forest.nodes, s.forest.nodes, k.extra_trees.nodes, s.extra_trees.nodes))
print("ratio = knob / sklearn (< 1: knob faster); peak = process peak RSS; base = RSS before the fit")
