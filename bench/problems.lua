-- bench/problems.lua — what the search benchmarks (quality_bench.lua, tpe_bench.lua) share: test functions
-- written as knob objectives, with their known optima, and the Optuna check. bench/problems.py has the same
-- functions for the Optuna side.
--   problems.branin, hartmann6, rosenbrock4, ackley5    objectives function(trial) -> value (minimize)
--   problems.ALL                                         {name =, fn =, optimum =} for each, in that order
--   problems.have_optuna(py)                             can the python at path py import optuna?
--   problems.knob_curve(sampler, fn, n)                  best value after each of n trials of a knob study
local M = {}

function M.have_optuna(py)
  local p = io.popen(py .. " -c 'import optuna' 2>/dev/null; echo $?")
  local rc = p:read("a")
  p:close()
  return rc:match("^0") ~= nil
end

function M.knob_curve(sampler, fn, n)
  local knob = require "knob"
  local study = knob.study{sampler = sampler, pruner = knob.pruners.none(), repeats = true}
  local best, curve = math.huge, {}
  study:optimize(fn, {n_trials = n, callbacks = {function(_, r)
    if r.value and r.value < best then best = r.value end
    curve[#curve + 1] = best
  end}})
  return curve
end

-- Branin on [-5, 10] x [0, 15]; minimum 0.397887357729738 at three points.
function M.branin(t)
  local x = t:suggest_float("x", -5, 10)
  local y = t:suggest_float("y", 0, 15)
  local b, c = 5.1 / (4 * math.pi ^ 2), 5 / math.pi
  return (y - b * x ^ 2 + c * x - 6) ^ 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
end

local H_ALPHA = {1.0, 1.2, 3.0, 3.2}
local H_A = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}}
local H_P = {{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
             {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}}

-- Hartmann6 on [0, 1]^6; minimum -3.32236801141551.
function M.hartmann6(t)
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

-- Rosenbrock on [-5, 10]^4; minimum 0 at (1, 1, 1, 1).
function M.rosenbrock4(t)
  local x = {}
  for j = 1, 4 do x[j] = t:suggest_float("x" .. j, -5, 10) end
  local s = 0
  for j = 1, 3 do s = s + 100 * (x[j + 1] - x[j] ^ 2) ^ 2 + (1 - x[j]) ^ 2 end
  return s
end

-- Ackley on [-32.768, 32.768]^5; minimum 0 at the origin.
function M.ackley5(t)
  local x, n = {}, 5
  for j = 1, n do x[j] = t:suggest_float("x" .. j, -32.768, 32.768) end
  local s1, s2 = 0, 0
  for j = 1, n do
    s1 = s1 + x[j] * x[j]
    s2 = s2 + math.cos(2 * math.pi * x[j])
  end
  return -20 * math.exp(-0.2 * math.sqrt(s1 / n)) - math.exp(s2 / n) + 20 + math.exp(1)
end

M.ALL = {
  {name = "branin", fn = M.branin, optimum = 0.397887357729738},
  {name = "hartmann6", fn = M.hartmann6, optimum = -3.32236801141551},
  {name = "rosenbrock4", fn = M.rosenbrock4, optimum = 0},
  {name = "ackley5", fn = M.ackley5, optimum = 0},
}

return M
