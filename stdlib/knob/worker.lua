-- knob.worker — run the trials of a study kept in a shared storage (many workers, many machines).
--
--   knob.study.worker{study = NAME, storage = URL, recipe = "recipe.lua" | table, trials =, total =,
--                     timeout =, heartbeat_grace =, max_retries =, seed =} -> summary
--   (the command line: knob worker --study NAME --storage URL --recipe recipe.lua [--trials N] ...)
--
-- The recipe is a Lua file (or the table it would return) that defines the objective; the worker never runs
-- code read from the database (parameters and values read back are data):
--   return {
--     objective = function(trial) ... return loss end,   -- required
--     direction = "minimize" | "maximize",              -- default "minimize"
--     sampler = function(seed) return knob.samplers.tpe{seed = seed, constant_liar = true} end,
--                                                        -- a sampler, or a function(seed) -> sampler; the
--                                                        -- default is that TPE (running trials count as bad)
--     pruner = knob.pruners.median{},                    -- default as knob.study
--     repeats = false,                                   -- as knob.study
--   }
-- Options: study (the name; created when missing, joined otherwise -- load_if_exists), storage (a database
-- URL "postgresql://..." or "sqlite:path.db", or a backend), trials (stop after this many trials of this
-- worker), total (stop when the study has this many finished -- complete, pruned or failed -- trials and no
-- waiting one, such as the retry of a lost trial; several
-- workers may overshoot it by one trial each), timeout (seconds, checked between trials),
-- heartbeat_grace and max_retries (the storage's options: see knob.storage.sqlite), seed (the sampler's
-- seed; default: from the clock and the process). With neither trials, total nor timeout the worker runs
-- until the study is stopped. Returns {trials =, complete =, pruned =, failed =, best = record | nil}.
local M = {}

local FINISHED = {complete = true, pruned = true, failed = true}

local function fail(msg)
  error("knob.study.worker: " .. msg, 0)
end

local function load_recipe(recipe)
  if type(recipe) == "table" then return recipe end
  if type(recipe) ~= "string" then fail("option 'recipe' must be a file name or a table (got " .. type(recipe) .. ")") end
  local chunk, msg = loadfile(recipe, "t")
  if not chunk then fail("cannot load the recipe: " .. msg) end
  local ok, r = pcall(chunk)
  if not ok then fail("the recipe '" .. recipe .. "' raised: " .. tostring(r)) end
  if type(r) ~= "table" then fail("the recipe '" .. recipe .. "' must return a table (got " .. type(r) .. ")") end
  return r
end

local function default_seed()
  local f = io.open("/proc/self/stat")
  local pid = f and tonumber((f:read("l") or ""):match("^(%d+)")) or 0
  if f then f:close() end
  return (os.time() * 7919 + pid * 104729) % 2147483647
end

function M.run(opts)
  local knob = require "knob"
  opts = require("knob.space").check_opts("knob.study.worker", opts, {"study", "storage", "recipe", "trials",
    "total", "timeout", "heartbeat_grace", "max_retries", "seed"})
  if type(opts.study) ~= "string" or opts.study == "" then fail("option 'study' must be a non-empty string") end
  if opts.storage == nil or opts.storage == "memory" then
    fail("option 'storage' must be a database (\"postgresql://...\" or \"sqlite:path.db\") shared by the workers")
  end
  for _, k in ipairs{"trials", "total", "seed"} do
    if opts[k] ~= nil and (math.type(opts[k]) ~= "integer" or opts[k] < 0) then
      fail(("option '%s' must be an integer >= 0"):format(k))
    end
  end
  local r = load_recipe(opts.recipe)
  if type(r.objective) ~= "function" then fail("the recipe must define objective = function(trial) ... end") end
  local seed = opts.seed or default_seed()
  local sampler = r.sampler
  if type(sampler) == "function" then sampler = sampler(seed) end
  if sampler == nil then sampler = knob.samplers.tpe{seed = seed, constant_liar = true} end
  local st = opts.storage
  if type(st) == "string" then
    st = require("knob.storage").open(st, "knob.study.worker",
                                      {heartbeat_grace = opts.heartbeat_grace, max_retries = opts.max_retries})
  end
  local study = knob.study{name = opts.study, storage = st, direction = r.direction, sampler = sampler,
                           pruner = r.pruner, repeats = r.repeats, load_if_exists = true}
  local summary = {trials = 0, complete = 0, pruned = 0, failed = 0}
  -- total reached, and no retry of a lost trial left waiting (a worker that stops would strand it)
  local function done()
    if not opts.total then return false end
    local st = study.storage
    if st:count_trials(study.id, FINISHED) < opts.total then return false end
    -- a trial lost with its worker becomes failed + a waiting retry only when reaped: reap before deciding
    if st.reap_lost then st:reap_lost(study.id) end
    return st:count_trials(study.id, {waiting = true}) == 0
  end
  if (opts.trials == 0) or done() then return summary end
  study:optimize(r.objective, {n_trials = opts.trials, timeout = opts.timeout, callbacks = {function(s, rec)
    summary.trials = summary.trials + 1
    summary[rec.state] = (summary[rec.state] or 0) + 1
    if done() then s:stop() end
  end}})
  summary.best = study:best()
  summary.study = study
  return summary
end

return M
