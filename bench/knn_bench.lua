-- knn_bench.lua — knob's knn and naive_bayes side by side with scikit-learn on the same rows, in one run.
-- Usage: build/knob bench/knn_bench.lua [repeat]      (default: best of 3)
-- Data: a seeded knob.data.make_classification (30000 x 20, 3 classes; first 24000 rows train, the rest test)
-- and examples/data/digits.csv (stratified 70/30 split, seed 1), written to bench/data/ as CSV so both sides
-- read the same values. Each side runs in its own process (peak RSS = that process's getrusage maximum,
-- data included). Time = fit + predict on the test rows, best of `repeat`; both sides use every core
-- (knob: its default thread count; scikit-learn: n_jobs=-1 with OpenBLAS's default threads).
-- Ratio = scikit-learn time / knob time (> 1: knob faster); accuracy on the test rows.
local knob = require "knob"
local repeat_n = tonumber(arg and arg[1] ~= "--side" and arg[1]) or 3

local CASES = {
  {name = "synth knn k=5", data = "synth", kind = "knn", params = {n_neighbors = 5},
   sk = "KNeighborsClassifier(5, algorithm='brute', n_jobs=-1)"},
  {name = "synth knn k=15 distance", data = "synth", kind = "knn", params = {n_neighbors = 15, weights = "distance"},
   sk = "KNeighborsClassifier(15, weights='distance', algorithm='brute', n_jobs=-1)"},
  {name = "synth knn k=5 manhattan", data = "synth", kind = "knn", params = {n_neighbors = 5, metric = "manhattan"},
   sk = "KNeighborsClassifier(5, metric='manhattan', algorithm='brute', n_jobs=-1)"},
  {name = "digits knn k=5", data = "digits", kind = "knn", params = {n_neighbors = 5},
   sk = "KNeighborsClassifier(5, algorithm='brute', n_jobs=-1)"},
  {name = "synth naive_bayes", data = "synth", kind = "naive_bayes", params = {}, sk = "GaussianNB()"},
  {name = "digits naive_bayes", data = "digits", kind = "naive_bayes", params = {}, sk = "GaussianNB()"},
}

local function paths(data) return "bench/data/knn_" .. data .. "_train.csv", "bench/data/knn_" .. data .. "_test.csv" end

local function best(fn)
  local t = math.huge
  for _ = 1, repeat_n do
    collectgarbage()
    local t0 = knob.sys.clock()
    fn()
    t = math.min(t, knob.sys.clock() - t0)
  end
  return t
end

-- Child process: one knob case; prints "seconds accuracy peak_rss_bytes".
if arg[1] == "--side" then
  local case = CASES[tonumber(arg[2])]
  repeat_n = tonumber(arg[3])
  local tr, te = paths(case.data)
  local train = assert(knob.data.read_csv(tr, {target = -1, task = "classification"}))
  local test = assert(knob.data.read_csv(te, {target = -1, task = "classification"}))
  local acc
  local t = best(function()
    local m = knob.model[case.kind](case.params):fit(train)
    acc = m:score(test)
    m:close()
  end)
  print(("%.6f %.6f %d"):format(t, acc, knob.sys.peak_rss()))
  return
end

-- Data, written once.
os.execute("mkdir -p bench/data")
local synth_tr = paths("synth")
if not io.open(synth_tr, "rb") then
  local ds = knob.data.make_classification{n_samples = 30000, n_features = 20, n_informative = 10, n_classes = 3,
                                           seed = 1}
  local rows = {}
  for i = 1, 24000 do rows[i] = i end
  local test_rows = {}
  for i = 24001, 30000 do test_rows[#test_rows + 1] = i end
  local a, b = paths("synth")
  assert(knob.split.view(ds, rows):write_csv(a))
  assert(knob.split.view(ds, test_rows):write_csv(b))
  local digits = assert(knob.data.read_csv("examples/data/digits.csv", {target = "digit", task = "classification"}))
  local dtr, dte = knob.split.train_test(digits, {test = 0.3, stratify = true, seed = 1})
  a, b = paths("digits")
  assert(dtr:write_csv(a))
  assert(dte:write_csv(b))
end

local PY = [[
import sys, time, resource
import pandas as pd
from sklearn.neighbors import KNeighborsClassifier
from sklearn.naive_bayes import GaussianNB
tr, te, spec, rep = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def load(p):
    d = pd.read_csv(p)
    return d.iloc[:, :-1].to_numpy(float), d.iloc[:, -1].astype(str).to_numpy()
Xtr, ytr = load(tr); Xte, yte = load(te)
best = float("inf")
for _ in range(rep):
    t0 = time.perf_counter()
    acc = eval(spec).fit(Xtr, ytr).score(Xte, yte)
    best = min(best, time.perf_counter() - t0)
print("%.6f %.6f %d" % (best, acc, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
]]
local pyfile = os.tmpname()
do
  local f <close> = assert(io.open(pyfile, "w"))
  f:write(PY)
end

local exe = arg[-1] or "build/knob"
local function run(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  assert(p:close(), "failed: " .. cmd)
  local t, acc, rss = out:match("([%d%.]+) ([%d%.]+) (%d+)")
  return tonumber(t), tonumber(acc), tonumber(rss)
end

print(("knn / naive_bayes vs scikit-learn %s; time = fit + predict, best of %d; %d threads"):format(
  "(n_jobs=-1)", repeat_n, knob.sys.cpu_count()))
print(("%-26s | %9s %9s %6s | %7s %7s | %8s %8s"):format("case", "knob ms", "sk ms", "ratio", "knob", "sk",
  "knob MB", "sk MB"))
for i, case in ipairs(CASES) do
  local tr, te = paths(case.data)
  local kt, ka, kr = run(("%s bench/knn_bench.lua --side %d %d"):format(exe, i, repeat_n))
  local st, sa, sr = run(("/usr/bin/python3 %s %s %s %q %d"):format(pyfile, tr, te, case.sk, repeat_n))
  print(("%-26s | %9.1f %9.1f %6.2f | %7.4f %7.4f | %8.1f %8.1f"):format(case.name, kt * 1000, st * 1000, st / kt,
    ka, sa, kr / 2 ^ 20, sr / 2 ^ 20))
end
os.remove(pyfile)
