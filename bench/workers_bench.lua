-- bench/workers_bench.lua — trials per second of 1, 2 and 4 worker processes sharing one study in PostgreSQL,
-- knob (knob worker, default TPE with constant_liar) against Optuna 3.1 with RDBStorage on the SAME server
-- (bench/workers_peer.py, TPESampler(constant_liar=True)), on a trivial objective (one float, one int), so
-- that the figures are the coordination cost: sampler + storage round trips.
--
--   build/knob bench/workers_bench.lua [--total N] [--url postgresql://...]
--
-- The server: --url, else $KNOB_TEST_PG, else one started for the run by tests/pg_server.sh (stopped at the
-- end). Each configuration runs a fresh study to --total (default 200) finished trials; throughput = trials
-- / (last trial end - first trial start) over all workers (CLOCK_MONOTONIC on both sides), so process
-- start-up and Python imports are not counted. Each worker process of either side uses a different seed.
local knob = require "knob"

local opts = {total = 200}
local i = 1
while i <= #arg do
  if arg[i] == "--total" then opts.total = math.tointeger(tonumber(arg[i + 1])) or error("bad --total")
  elseif arg[i] == "--url" then opts.url = arg[i + 1]
  else error("unknown argument " .. arg[i]) end
  i = i + 2
end

local PY = "/usr/bin/python3"
local HERE = (arg[0]:match("^(.*)/[^/]*$") or ".")
local EXE = arg[-1] or "build/knob"

local function sh(cmd)
  local p = io.popen(cmd .. " 2>&1")
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local url, dir = opts.url or os.getenv("KNOB_TEST_PG"), nil
if not url or url == "" then
  dir = os.tmpname()
  os.remove(dir)
  local out, ok = sh(HERE .. "/../tests/pg_server.sh start " .. dir)
  if not ok then error("cannot start a PostgreSQL server: " .. out) end
  url = out:match("(postgresql://%S+)%s*$")
end
local optuna_ok = select(2, sh(PY .. " -c 'import optuna, psycopg2'"))

local RECIPE = os.tmpname() .. ".lua"
do
  local f = assert(io.open(RECIPE, "w"))
  f:write([[
local clock = require("knob.core").sys.clock
local first
return {
  objective = function(t)
    first = first or clock()
    return t:suggest_float("x", -1, 1) ^ 2 + t:suggest_int("k", 0, 3)
  end,
  after = function() return first end,
}
]])
  f:close()
end

-- Run w workers (commands built by cmd(k)); each prints "first <t> last <t> n <trials in the study>";
-- returns the first start, the last end and the largest n.
local function measure(w, cmd)
  local parts = {}
  for k = 1, w do parts[k] = cmd(k) end
  local out = sh("(" .. table.concat(parts, " & ") .. " & wait)")
  local first, last = math.huge, -math.huge
  local n, total = 0, 0
  for a, b, t in out:gmatch("first (%S+) last (%S+) n (%d+)") do
    first, last, n = math.min(first, tonumber(a)), math.max(last, tonumber(b)), n + 1
    total = math.max(total, tonumber(t))
  end
  if n ~= w then error("workers failed:\n" .. out) end
  return first, last, total
end

-- knob's worker, timed in-process: a tiny Lua driver around knob.study.worker.
local DRIVER = os.tmpname() .. ".lua"
do
  local f = assert(io.open(DRIVER, "w"))
  f:write([[
local knob = require "knob"
local clock = knob.core.sys.clock
local recipe = dofile(arg[4])
local res = knob.study.worker{study = arg[2], storage = arg[1], recipe = recipe, total = tonumber(arg[3]),
                              seed = tonumber(arg[5])}
print(("first %.6f last %.6f n %d"):format(recipe.after() or clock(), clock(), res.trials))
res.study.storage:close()
]])
  f:close()
end

local rows = {}
local stamp = os.time()
for _, w in ipairs{1, 2, 4} do
  local name = ("bench-knob-%d-%d"):format(stamp, w)
  local a, b = measure(w, function(k)
    return ("%s %s '%s' %s %d %s %d"):format(EXE, DRIVER, url, name, opts.total, RECIPE, k)
  end)
  local st = require("knob.storage").open(url)
  local rec = st:load_study(name)
  local n = st:count_trials(rec.id, {complete = true, pruned = true, failed = true})
  st:close()
  local row = {w = w, knob = n / (b - a)}
  if optuna_ok then
    local oname = ("bench-optuna-%d-%d"):format(stamp, w)
    local ourl = url:gsub("^postgresql://", "postgresql+psycopg2://")
    local oa, ob, on = measure(w, function(k)
      return ("%s %s/workers_peer.py '%s' %s %d %d"):format(PY, HERE, ourl, oname, opts.total, k)
    end)
    row.optuna = on / (ob - oa)
  end
  rows[#rows + 1] = row
  io.stderr:write(("workers %d done\n"):format(w))
end

print(("trials per second, %d trials of a trivial objective, workers sharing one PostgreSQL study"):format(opts.total))
print(("%-8s %12s %12s %8s"):format("workers", "knob", "optuna", "ratio"))
for _, r in ipairs(rows) do
  print(("%-8d %12.1f %12s %8s"):format(r.w, r.knob, r.optuna and ("%.1f"):format(r.optuna) or "-",
    r.optuna and ("%.1fx"):format(r.knob / r.optuna) or "-"))
end
if not optuna_ok then print("(optuna / psycopg2 not importable by " .. PY .. ": peer column empty)") end
os.remove(RECIPE)
os.remove(DRIVER)
if dir then sh(HERE .. "/../tests/pg_server.sh stop " .. dir) end
