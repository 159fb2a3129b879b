-- bench/tpe_bench.lua — knob's TPE against random search and Optuna's TPESampler, in one run.
--
--   build/knob bench/tpe_bench.lua [quality] [overhead] [--seeds N] [--trials N]
--
-- (a) quality: Branin (2-D) and Hartmann6 (6-D) over 10 seeds (--seeds), median simple regret (best value
--     found minus the known optimum) after 50 and 100 evaluations, for knob TPE, knob random and Optuna TPE
--     (bench/tpe_optuna.py through /usr/bin/python3 with Debian's python3-optuna; same budget, default
--     settings on both sides, seeds 1..N).
-- (b) overhead: 1000 trials (--trials) of a trivial 8-parameter objective (4 floats, a log float, 2 ints, a
--     categorical) with TPE; milliseconds per trial and per suggestion in each 100-trial window, knob vs
--     Optuna, and their ratio. Both run in this same process tree on the same machine, one after the other.
local knob = require "knob"
local clock = knob.core.sys.clock

local args = {}
local opts = {seeds = 10, trials = 1000}
local i = 1
while i <= #arg do
  local a = arg[i]
  if a == "--seeds" or a == "--trials" then
    opts[a:sub(3)] = math.tointeger(tonumber(arg[i + 1])) or error("bad value for " .. a)
    i = i + 1
  else
    args[a] = true
  end
  i = i + 1
end
if not next(args) then args = {quality = true, overhead = true} end

local PY = "/usr/bin/python3"
local HERE = (arg[0]:match("^(.*)/[^/]*$") or ".")
package.path = HERE .. "/?.lua;" .. package.path

local problems = require "problems"
local OPTUNA = problems.have_optuna(PY)
if not OPTUNA then
  print("(Optuna not found for " .. PY .. ": apt-get install python3-optuna; Optuna columns are skipped)")
end

-- Objectives: bench/problems.lua (the same formulas as bench/problems.py).
local function trivial(t)
  local s = 0
  for j = 1, 4 do s = s + t:suggest_float("x" .. j, -5, 5) ^ 2 end
  s = s + math.log(t:suggest_float("lr", 1e-5, 1, {log = true})) ^ 2 / 100
  s = s + t:suggest_int("n", 1, 100)
  s = s + t:suggest_int("depth", 1, 12)
  s = s + (t:suggest_categorical("kind", {"a", "b", "c"}) == "a" and 0 or 1)
  return s
end

local PROBLEMS = {problems.ALL[1], problems.ALL[2]} -- branin, hartmann6

local function median(t)
  local s = {table.unpack(t)}
  table.sort(s)
  local n = #s
  if n == 0 then return 0 / 0 end
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

local knob_curve = problems.knob_curve

local function optuna_curve(name, seed, n)
  local p = io.popen(("%s %s/tpe_optuna.py quality %s %d %d"):format(PY, HERE, name, seed, n))
  local curve = {}
  for line in p:lines() do
    local k, v = line:match("^best (%d+) (%S+)$")
    if k then curve[tonumber(k)] = tonumber(v) end
  end
  p:close()
  return curve
end

local function quality()
  local budgets = {50, 100}
  local n = budgets[#budgets]
  print(("\n(a) quality: median simple regret over %d seeds (lower is better)\n"):format(opts.seeds))
  local header = ("%-10s %-12s"):format("function", "sampler")
  for _, b in ipairs(budgets) do header = header .. ("  %12s"):format("@" .. b) end
  print(header .. "   time")
  for _, prob in ipairs(PROBLEMS) do
    local rows = {
      {"knob tpe", function(seed) return knob_curve(knob.samplers.tpe{seed = seed}, prob.fn, n) end},
      {"knob random", function(seed) return knob_curve(knob.samplers.random{seed = seed}, prob.fn, n) end},
    }
    if OPTUNA then rows[#rows + 1] = {"optuna tpe", function(seed) return optuna_curve(prob.name, seed, n) end} end
    local med = {}
    for _, row in ipairs(rows) do
      local t0 = clock()
      local regrets = {}
      for b = 1, #budgets do regrets[b] = {} end
      for seed = 1, opts.seeds do
        local curve = row[2](seed)
        for b, budget in ipairs(budgets) do regrets[b][seed] = (curve[budget] or 0 / 0) - prob.optimum end
      end
      local line = ("%-10s %-12s"):format(prob.name, row[1])
      med[row[1]] = {}
      for b = 1, #budgets do
        med[row[1]][b] = median(regrets[b])
        line = line .. ("  %12.3e"):format(med[row[1]][b])
      end
      print(line .. ("   %.1fs"):format(clock() - t0))
    end
    if OPTUNA then
      local line = ("%-10s %-12s"):format(prob.name, "ratio k/o")
      for b = 1, #budgets do line = line .. ("  %12.2f"):format(med["knob tpe"][b] / med["optuna tpe"][b]) end
      print(line)
    end
  end
end

local function overhead()
  local n, window = opts.trials, 100
  print(("\n(b) overhead: %d trials of a trivial 8-parameter objective, TPE, per %d-trial window\n"):format(n, window))
  local knob_ms = {}
  local study = knob.study{sampler = knob.samplers.tpe{seed = 1}, pruner = knob.pruners.none(), repeats = true}
  local last, cpu_last = clock(), knob.core.sys.cpu_time()
  local knob_cpu = {}
  study:optimize(trivial, {n_trials = n, callbacks = {function(_, r)
    if (r.number + 1) % window == 0 then
      local now, cpu = clock(), knob.core.sys.cpu_time()
      knob_ms[#knob_ms + 1] = (now - last) * 1000 / window
      knob_cpu[#knob_cpu + 1] = (cpu - cpu_last) * 1000 / window
      last, cpu_last = now, cpu
    end
  end}})
  local opt_ms = {}
  if OPTUNA then
    local p = io.popen(("%s %s/tpe_optuna.py overhead %d %d"):format(PY, HERE, n, window))
    for line in p:lines() do
      local _, v = line:match("^window (%d+) (%S+)$")
      if v then opt_ms[#opt_ms + 1] = tonumber(v) end
    end
    p:close()
  end
  print(("%-12s %12s %12s %14s %12s %10s"):format("trials", "knob ms/trial", "knob cpu", "knob ms/sugg.", "optuna ms", "ratio o/k"))
  local tk, to = 0, 0
  for w = 1, #knob_ms do
    tk, to = tk + knob_ms[w], to + (opt_ms[w] or 0)
    print(("%-12s %12.3f %12.3f %14.4f %12s %10s"):format(((w - 1) * window + 1) .. "-" .. (w * window), knob_ms[w],
      knob_cpu[w], knob_ms[w] / 8, opt_ms[w] and ("%.2f"):format(opt_ms[w]) or "-",
      opt_ms[w] and ("%.1f"):format(opt_ms[w] / knob_ms[w]) or "-"))
  end
  print(("%-12s %12.3f %12s %14.4f %12s %10s"):format("mean", tk / #knob_ms, "", tk / #knob_ms / 8,
    OPTUNA and ("%.2f"):format(to / #knob_ms) or "-", OPTUNA and ("%.1f"):format(to / tk) or "-"))
end

if args.quality then quality() end
if args.overhead then overhead() end
