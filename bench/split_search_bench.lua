-- split_search_bench.lua — knob's two GBDT split searches against each other: histograms and the rows search
-- (each feature's rows in value order), over row counts and features of 16, 64 and 255 distinct values. The
-- ratio rows/histogram says where split_search = "auto" should switch (engine/src/models/gbdt_tree.c,
-- ROWS_BASE and ROWS_PER_SLOT: auto takes rows up to 250 + 10 x the mean slots, at most 1024 rows).
--
--   build/knob bench/split_search_bench.lua [--reps 3]
--
-- Data: 20 features of V distinct values (V = 16, 64; 255 = continuous values, 255 bins), a binary target of a
-- linear score, seeded. Fits: 100 trees each of three shapes (16 leaves / min 5 rows, 31 / 2, 8 / 20), one
-- thread; the two searches alternate within each repetition, so a drifting machine slows both alike; the CPU
-- time is summed over the repetitions.
local knob = require "knob"

package.path = "bench/?.lua;" .. package.path
local common = require "bench_common"
local opts = common.parse(arg, {reps = 3})

local function data(n, values, seed)
  math.randomseed(seed)
  local X, y, names = {}, {}, {}
  for j = 1, 20 do names[j] = "f" .. j end
  for i = 1, n do
    X[i] = {}
    local s = 0
    for j = 1, 20 do
      X[i][j] = values == 255 and math.random() or math.random(0, values - 1) / values
      s = s + X[i][j] * (j % 3)
    end
    y[i] = s + math.random() * 2 > 10.5 and "a" or "b"
  end
  return knob.data.from_table{X = X, y = y, names = names}
end

print(("%6s %6s %12s %12s %10s"):format("values", "rows", "histogram s", "rows s", "rows/hist"))
for _, case in ipairs{{16, {100, 200, 400, 800}}, {64, {400, 700, 900, 1200}}, {255, {300, 700, 1000, 1500}}} do
  local values = case[1]
  for _, n in ipairs(case[2]) do
    local ds = data(n, values, n + values)
    local t = {histogram = 0, rows = 0}
    for _ = 1, opts.reps do
      for _, search in ipairs{"histogram", "rows"} do
        local c0 = knob.sys.cpu_time()
        for _, shape in ipairs{{16, 5}, {31, 2}, {8, 20}} do
          knob.model.gbdt{n_estimators = 100, max_leaves = shape[1], min_samples_leaf = shape[2], n_jobs = 1,
                          split_search = search}:fit(ds)
        end
        t[search] = t[search] + knob.sys.cpu_time() - c0
      end
    end
    print(("%6d %6d %12.3f %12.3f %10.2f"):format(values, n, t.histogram, t.rows, t.rows / t.histogram))
    io.stdout:flush()
  end
end
