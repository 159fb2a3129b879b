-- csv_bench.lua — knob's CSV reader and writer side by side with pandas, on the same files in one run.
-- Usage: build/knob bench/csv_bench.lua [repeat]       (default: best of 5)
-- Files: bench/data/numeric_100k.csv (made by bench/gen_numeric_csv.lua if missing) and examples/data/*.csv.
--   knob read:   knob.core.csv.read(path, {target = -1})   (parse, column kinds, task inference)
--   knob write:  knob.core.csv.write(ds, tmp)
--   pandas:      pd.read_csv(path) with its default float parser ("pandas") and with
--                float_precision="round_trip" ("pd-rt", correctly rounded as knob is); DataFrame.to_csv.
-- Ratio = pandas time / knob time (> 1: knob is faster). Wall-clock and CPU time are both shown: on a
-- busy machine CPU time is the steadier comparison.
local core = require "knob.core"
local csv, clock, cpu = core.csv, core.sys.clock, core.sys.cpu_time
local repeat_n = tonumber(arg and arg[1]) or 5

local big = "bench/data/numeric_100k.csv"
if not io.open(big, "rb") then
  assert(os.execute("build/knob bench/gen_numeric_csv.lua " .. big))
end
local files = {big}
for _, name in ipairs{"digits", "breast_cancer", "diabetes", "wine", "iris"} do
  files[#files + 1] = "examples/data/" .. name .. ".csv"
end

local function best(fn)
  local wall, cput = math.huge, math.huge
  for _ = 1, repeat_n do
    collectgarbage()
    local w0, c0 = clock(), cpu()
    fn()
    wall, cput = math.min(wall, clock() - w0), math.min(cput, cpu() - c0)
  end
  return {wall = wall, cpu = cput}
end

local function size_of(path)
  local f <close> = assert(io.open(path, "rb"))
  return f:seek("end")
end

local tmp = os.tmpname()
local knob_t, shape = {}, {}
for _, path in ipairs(files) do
  local ds = assert(csv.read(path, {target = -1}))
  local d = csv._dump(ds)
  shape[path] = d.n_rows .. " x " .. (#d.names + 1)
  knob_t[path] = {
    read = best(function() assert(csv.read(path, {target = -1})) end),
    write = best(function() assert(csv.write(ds, tmp)) end),
  }
end
os.remove(tmp)

local pd = {}
local p = assert(io.popen("/usr/bin/python3 bench/csv_pandas.py " .. repeat_n .. " " .. table.concat(files, " ")))
for line in p:lines() do
  local path, task, wall, cput = line:match("^(%S+)\t(%S+)\t(%S+)\t(%S+)$")
  if path then
    pd[path] = pd[path] or {}
    pd[path][task] = {wall = tonumber(wall), cpu = tonumber(cput)}
  end
end
assert(p:close(), "bench/csv_pandas.py failed (needs /usr/bin/python3 with pandas)")

local function ms(t) return ("%8.1f"):format(t * 1000) end
for _, clk in ipairs{"wall", "cpu"} do
  print(("\nCSV %s time, best of %d, milliseconds; ratio = pandas / knob (> 1: knob faster)"):format(
    clk == "wall" and "wall-clock" or "CPU", repeat_n))
  print(("%-32s %6s %12s | %8s %8s %6s %8s %6s | %8s %8s %6s"):format("file", "MB", "rows x cols",
    "knob", "pandas", "ratio", "pd-rt", "ratio", "knob-w", "pandas-w", "ratio"))
  for _, path in ipairs(files) do
    local k, q = knob_t[path], pd[path]
    local kr, kw = k.read[clk], k.write[clk]
    print(("%-32s %6.2f %12s | %s %s %6.2f %s %6.2f | %s %s %6.2f"):format(path, size_of(path) / 1e6,
      shape[path], ms(kr), ms(q.read[clk]), q.read[clk] / kr, ms(q.read_rt[clk]), q.read_rt[clk] / kr,
      ms(kw), ms(q.write[clk]), q.write[clk] / kw))
  end
end
