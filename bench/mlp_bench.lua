-- bench/mlp_bench.lua — knob's mlp against scikit-learn 1.2.1 MLPClassifier, side by side on the same data.
--
-- Usage: build/knob bench/mlp_bench.lua [epochs=10] [rows=100000]
--
-- Data: knob.data.make_classification{n_samples = rows, n_features = 20, n_informative = 10, n_redundant = 4,
-- seed = 42}, split 80/20 (seed 1); both parts are written to CSV for the peer. Model on both sides:
-- hidden (64, 64), relu, adam (lr 0.001), batch 128, no L2, shuffled batches, exactly `epochs` epochs.
-- Each side runs in its own process (knob: this script with "worker"; peer: bench/mlp_bench_peer.py) so peak
-- memory (getrusage ru_maxrss) is per side; both load the same data (knob regenerates it from the seed,
-- the peer reads the CSV). BLAS threads: OpenBLAS's default on both sides (set OPENBLAS_NUM_THREADS to pin).
local knob = require "knob"

local EPOCHS = tonumber(arg[1]) or 10
local ROWS = tonumber(arg[2]) or 100000
local MODE = arg[3]

local function data()
  local ds = knob.data.make_classification{n_samples = ROWS, n_features = 20, n_informative = 10,
                                           n_redundant = 4, seed = 42}
  return ds:split{test = 0.2, seed = 1}
end

if MODE == "worker" then
  local train, test = data()
  local m = knob.model.mlp{hidden = {64, 64}, activation = "relu", optimizer = "adam", learning_rate = 0.001,
                           batch_size = 128, epochs = EPOCHS, seed = 0}
  local cpu0 = knob.sys.cpu_time()
  m:fit(train)
  local cpu = knob.sys.cpu_time() - cpu0
  print(string.format("fit_seconds=%.6f cpu_seconds=%.6f epochs=%d accuracy=%.6f peak_rss_mb=%.1f",
                      m:info().fit_seconds, cpu, #m:history().iterations, m:score(test), knob.sys.peak_rss() / 2 ^ 20))
  return
end

local exe = arg[-1] or "build/knob"
local script = arg[0]
local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))
local train, test = data()
assert(train:write_csv(dir .. "/train.csv"))
assert(test:write_csv(dir .. "/test.csv"))

local function run(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  local r = {}
  for k, v in out:gmatch("(%w[%w_]*)=([%d%.eE+-]+)") do r[k] = tonumber(v) end
  if not r.fit_seconds then error("benchmark side failed: " .. cmd .. "\n" .. out) end
  return r
end

local k = run(string.format("%s %s %d %d worker", exe, script, EPOCHS, ROWS))
local s = run(string.format("/usr/bin/python3 bench/mlp_bench_peer.py %s/train.csv %s/test.csv %d", dir, dir, EPOCHS))
os.remove(dir .. "/train.csv")
os.remove(dir .. "/test.csv")
os.remove(dir)

local kt, st = k.fit_seconds / k.epochs, s.fit_seconds / s.epochs
local kc, sc = k.cpu_seconds / k.epochs, s.cpu_seconds / s.epochs
print(string.format("mlp (64, 64) adam batch 128: %d x 20 synthetic binary, %d train rows, %d epochs, BLAS threads %s",
                    ROWS, #train, EPOCHS, os.getenv("OPENBLAS_NUM_THREADS") or "default"))
print(string.format("%-14s %12s %12s %10s %12s", "", "wall s/epoch", "CPU s/epoch", "accuracy", "peak RSS MB"))
print(string.format("%-14s %12.4f %12.4f %10.4f %12.1f", "knob", kt, kc, k.accuracy, k.peak_rss_mb))
print(string.format("%-14s %12.4f %12.4f %10.4f %12.1f", "scikit-learn", st, sc, s.accuracy, s.peak_rss_mb))
print(string.format("%-14s %12.3f %12.3f %+10.4f %12.3f", "knob / sklearn", kt / st, kc / sc, k.accuracy - s.accuracy,
                    k.peak_rss_mb / s.peak_rss_mb))
