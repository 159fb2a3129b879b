-- bench/quality_bench.lua — search quality of knob's samplers against Optuna's TPE, in one run, one table.
--
--   build/knob bench/quality_bench.lua [--seeds N] [--trials N] [--timing N]
--
-- (a) quality: Branin (2-D), Hartmann6 (6-D), Rosenbrock (4-D, [-5, 10]) and Ackley (5-D, [-32.768, 32.768])
--     over seeds 1..N (--seeds; default 5, the quick mode; the full run is --seeds 20): median and
--     interquartile range of the simple regret (best value found minus the known optimum) after 50 and 100
--     evaluations (--trials sets the larger budget), for knob random, knob TPE (default and multivariate),
--     knob GP, and Optuna's TPESampler (default settings, and multivariate = true) through
--     bench/quality_optuna.py with /usr/bin/python3 and Debian's python3-optuna: same budget, same seeds.
-- (b) timing: milliseconds per GP suggestion (the trial time of a trivial objective, which is the sampler's
--     time) on Hartmann6 around 50, 100 and 200 trials (--timing sets the last; 0 skips it).
local knob = require "knob"
local HERE = (arg[0]:match("^(.*)/[^/]*$") or ".")
package.path = HERE .. "/?.lua;" .. package.path
local common = require "bench_common"
local clock = knob.core.sys.clock
local opts = common.parse(arg, {seeds = 5, trials = 100, timing = 200})

local PY = "/usr/bin/python3"
local function have_optuna()
  local p = io.popen(PY .. " -c 'import optuna' 2>/dev/null; echo $?")
  local rc = p:read("a")
  p:close()
  return rc:match("^0") ~= nil
end
local OPTUNA = have_optuna()
if not OPTUNA then
  print("(Optuna not found for " .. PY .. ": apt-get install python3-optuna; Optuna rows are skipped)")
end

-- Objectives (the same formulas as bench/quality_optuna.py).
local function branin(t)
  local x = t:suggest_float("x", -5, 10)
  local y = t:suggest_float("y", 0, 15)
  local b, c = 5.1 / (4 * math.pi ^ 2), 5 / math.pi
  return (y - b * x ^ 2 + c * x - 6) ^ 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
end

local H_ALPHA = {1.0, 1.2, 3.0, 3.2}
local H_A = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}}
local H_P = {{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
             {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}}
local function hartmann6(t)
  local x = {}
  for j = 1, 6 do x[j] = t:suggest_float("x" .. j, 0, 1) end
  local s = 0
  for a = 1, 4 do
    local e = 0
    for j = 1, 6 do e = e + H_A[a][j] * (x[j] - H_P[a][j] * 1e-4) ^ 2 end
    s = s - H_ALPHA[a] * math.exp(-e)
  end
  return s
end

local function rosenbrock4(t)
  local x = {}
  for j = 1, 4 do x[j] = t:suggest_float("x" .. j, -5, 10) end
  local s = 0
  for j = 1, 3 do s = s + 100 * (x[j + 1] - x[j] ^ 2) ^ 2 + (1 - x[j]) ^ 2 end
  return s
end

local function ackley5(t)
  local x, n = {}, 5
  for j = 1, n do x[j] = t:suggest_float("x" .. j, -32.768, 32.768) end
  local s1, s2 = 0, 0
  for j = 1, n do
    s1 = s1 + x[j] * x[j]
    s2 = s2 + math.cos(2 * math.pi * x[j])
  end
  return -20 * math.exp(-0.2 * math.sqrt(s1 / n)) - math.exp(s2 / n) + 20 + math.exp(1)
end

local PROBLEMS = {
  {name = "branin", fn = branin, optimum = 0.397887357729738},
  {name = "hartmann6", fn = hartmann6, optimum = -3.32236801141551},
  {name = "rosenbrock4", fn = rosenbrock4, optimum = 0},
  {name = "ackley5", fn = ackley5, optimum = 0},
}

-- Quantile q of a sample (linear interpolation between order statistics, numpy's default).
local function quantile(t, q)
  local s = {table.unpack(t)}
  table.sort(s)
  local n = #s
  if n == 0 then return 0 / 0 end
  local h = (n - 1) * q + 1
  local lo = math.floor(h)
  local hi = math.min(lo + 1, n)
  return s[lo] + (h - lo) * (s[hi] - s[lo])
end

-- Best value after each trial of a knob study.
local function knob_curve(sampler, fn, n)
  local study = knob.study{sampler = sampler, pruner = knob.pruners.none(), repeats = true}
  local best, curve = math.huge, {}
  study:optimize(fn, {n_trials = n, callbacks = {function(_, r)
    if r.value and r.value < best then best = r.value end
    curve[#curve + 1] = best
  end}})
  return curve
end

-- curves[seed][k] for every seed, from one Optuna process.
local function optuna_curves(name, kind, seeds, n)
  local p = io.popen(("%s %s/quality_optuna.py %s %s %d %d"):format(PY, HERE, name, kind, seeds, n))
  local curves = {}
  for line in p:lines() do
    local s, k, v = line:match("^best (%d+) (%d+) (%S+)$")
    if s then
      s = tonumber(s)
      curves[s] = curves[s] or {}
      curves[s][tonumber(k)] = tonumber(v)
    end
  end
  p:close()
  return curves
end

local SAMPLERS = {
  {"knob random", function(seed) return knob.samplers.random{seed = seed} end},
  {"knob tpe", function(seed) return knob.samplers.tpe{seed = seed} end},
  {"knob tpe-mv", function(seed) return knob.samplers.tpe{seed = seed, multivariate = true} end},
  {"knob gp", function(seed) return knob.samplers.gp{seed = seed} end},
  {"optuna tpe", "tpe"},
  {"optuna tpe-mv", "tpe_multi"},
}

local function quality()
  local n = opts.trials
  local budgets = {math.min(50, n), n}
  print(("\n(a) quality: simple regret over %d seeds, median [q25, q75] (lower is better)\n"):format(opts.seeds))
  local header = ("%-12s %-14s"):format("function", "sampler")
  for _, b in ipairs(budgets) do header = header .. ("  %-30s"):format("@" .. b) end
  print(header .. "  time")
  for _, prob in ipairs(PROBLEMS) do
    local med = {}
    for _, row in ipairs(SAMPLERS) do
      local label, make = row[1], row[2]
      if type(make) == "function" or OPTUNA then
        local t0 = clock()
        local curves = {}
        if type(make) == "function" then
          for seed = 1, opts.seeds do curves[seed] = knob_curve(make(seed), prob.fn, n) end
        else
          curves = optuna_curves(prob.name, make, opts.seeds, n)
        end
        local line = ("%-12s %-14s"):format(prob.name, label)
        med[label] = {}
        for b, budget in ipairs(budgets) do
          local r = {}
          for seed = 1, opts.seeds do r[seed] = ((curves[seed] or {})[budget] or 0 / 0) - prob.optimum end
          med[label][b] = quantile(r, 0.5)
          line = line .. ("  %-30s"):format(("%.3g [%.3g, %.3g]"):format(med[label][b], quantile(r, 0.25),
                                                                      quantile(r, 0.75)))
        end
        print(line .. ("  %.1fs"):format(clock() - t0))
        io.stdout:flush()
      end
    end
    if OPTUNA then
      for _, pair in ipairs{{"knob tpe", "optuna tpe"}, {"knob tpe-mv", "optuna tpe-mv"}, {"knob gp", "optuna tpe"}} do
        local line = ("%-12s %-14s"):format(prob.name, pair[1]:sub(6) .. "/" .. pair[2]:sub(8))
        for b = 1, #budgets do line = line .. ("  %-30s"):format(("ratio %.2f"):format(med[pair[1]][b] / med[pair[2]][b])) end
        print(line)
      end
    end
  end
end

local function timing()
  local n = opts.timing
  print(("\n(b) GP time per suggestion on Hartmann6 (6-D), %d trials, mean over the 10 trials ending at\n"):format(n))
  local marks, t = {}, {}
  for _, m in ipairs{50, 100, 200} do
    if m <= n then marks[m] = true end
  end
  marks[n] = true
  local study = knob.study{sampler = knob.samplers.gp{seed = 1}, pruner = knob.pruners.none(), repeats = true}
  local last = clock()
  study:optimize(hartmann6, {n_trials = n, callbacks = {function(_, r)
    local now = clock()
    t[r.number + 1] = now - last
    last = now
  end}})
  print(("%-10s %14s"):format("trials", "ms/suggestion"))
  local ks = {}
  for m in pairs(marks) do ks[#ks + 1] = m end
  table.sort(ks)
  for _, m in ipairs(ks) do
    local s, c = 0, 0
    for i = math.max(1, m - 9), m do s, c = s + t[i], c + 1 end
    print(("%-10s %14.1f"):format(m, s / c * 1000))
  end
end

quality()
if opts.timing > 0 then timing() end
