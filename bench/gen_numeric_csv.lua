-- gen_numeric_csv.lua — writes the seeded numeric CSV used by bench/csv_bench.lua:
-- 100 000 rows x 25 columns (24 features + an integer label), about 26 MB, to bench/data/numeric_100k.csv
-- (bench/data/ is git-ignored). Usage: knob bench/gen_numeric_csv.lua [path] [rows] [seed]
-- The same seed gives the same file on every machine (Lua 5.4's xoshiro256**, "C" locale formatting).
local path = arg[1] or "bench/data/numeric_100k.csv"
local rows = tonumber(arg[2]) or 100000
local seed = tonumber(arg[3]) or 42
math.randomseed(seed)
os.execute("mkdir -p '" .. path:match("^(.*)/[^/]*$") .. "'")

local function normal()
  local u = 1 - math.random() -- (0, 1]
  return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * math.random())
end

-- 24 features of four kinds, like real tabular data: measurements with 8 significant digits,
-- counts, wide-range amounts with 10 significant digits, and small-scale ratios in exponent form.
local kinds = {}
for j = 1, 24 do kinds[j] = ({"measure", "measure", "measure", "count", "amount", "ratio"})[(j - 1) % 6 + 1] end

local header = {}
for j = 1, 24 do header[j] = string.format("%s_%02d", kinds[j], j) end
header[25] = "label"
local f = assert(io.open(path, "wb"))
f:write(table.concat(header, ","), "\n")
local row, fmt = {}, string.format
for _ = 1, rows do
  for j = 1, 24 do
    local k = kinds[j]
    if k == "measure" then row[j] = fmt("%.8g", normal() * 10 ^ (j % 3))
    elseif k == "count" then row[j] = fmt("%d", math.random(0, 99999))
    elseif k == "amount" then row[j] = fmt("%.10g", math.exp(normal() * 2) * 1000)
    else row[j] = fmt("%.7e", math.random() * 1e-3) end
  end
  row[25] = fmt("%d", math.random(0, 4))
  f:write(table.concat(row, ","), "\n")
end
f:close()
local size = io.open(path, "rb"):seek("end")
print(string.format("wrote %s: %d rows x 25 columns, %.1f MB", path, rows, size / 1e6))
