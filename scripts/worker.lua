-- knob worker — run trials of a study kept in a shared database (PostgreSQL or SQLite), the objective taken
-- from a recipe file (see stdlib/knob/worker.lua for the recipe). Start any number of workers on any number
-- of machines with the same --study, --storage and recipe:
--   knob worker --study NAME --storage postgresql://user@host/db --recipe recipe.lua [--trials N] [--total N]
--               [--timeout S] [--heartbeat-grace S] [--max-retries K] [--seed N]
-- Prints one summary line; errors print "knob worker: <message>" (never the storage's password) and exit 1.
local argparse = require "argparse"
local knob = require "knob"
local text = require "knob.registry.text"

local function int(name, lo)
  return function(s)
    local k = math.tointeger(tonumber(s))
    if not k or k < lo then return nil, ("%s must be an integer >= %d (got '%s')"):format(name, lo, s) end
    return k
  end
end

local function positive(name)
  return function(s)
    local v = tonumber(s)
    if not v or v ~= v or v <= 0 then return nil, ("%s must be a number > 0 (got '%s')"):format(name, s) end
    return v
  end
end

local parser = argparse("knob worker", "Run trials of a study shared through a database.")
parser:option("--study", "the study's name (created when missing)"):count(1)
parser:option("--storage", "the database: postgresql://user@host/db or sqlite:path.db"):count(1)
parser:option("--recipe", "a Lua file returning {objective =, direction =, sampler =, pruner =}"):count(1)
parser:option("--trials", "stop after N trials of this worker"):convert(int("--trials", 1))
parser:option("--total", "stop when the study has N finished trials"):convert(int("--total", 1))
parser:option("--timeout", "stop after S seconds (checked between trials)"):convert(positive("--timeout"))
parser:option("--heartbeat-grace", "a trial silent for S seconds on another host is lost", "60")
  :convert(positive("--heartbeat-grace"))
parser:option("--max-retries", "retries of a lost trial", "2"):convert(int("--max-retries", 0))
parser:option("--seed", "the sampler's seed (default: from the clock and the process)"):convert(int("--seed", 0))
local args = parser:parse(arg)

local fail = text.failer("knob worker")
local ok, res = pcall(knob.study.worker, {study = args.study, storage = args.storage, recipe = args.recipe,
  trials = args.trials, total = args.total, timeout = args.timeout, heartbeat_grace = args.heartbeat_grace,
  max_retries = args.max_retries, seed = args.seed})
if not ok then fail(tostring(res):gsub("^knob%.study%.worker: ", "")) end
local b = res.best
print(("worker: %d trials (%d complete, %d pruned, %d failed); study '%s' best %s%s"):format(res.trials,
  res.complete, res.pruned, res.failed, args.study, b and text.short(b.value) or "-",
  b and (" (trial " .. b.number .. ")") or ""))
if res.study then res.study.storage:close() end
