-- knob.study — define-by-run hyperparameter search (the API of Optuna's Study and Trial).
--
--   local study = knob.study{name =, direction = "minimize"|"maximize", sampler =, pruner =, storage =,
--                            load_if_exists = false, repeats = false}
--   study:optimize(objective, {n_trials =, timeout =, callbacks =, catch = true,
--                              stop_after_no_improvement =, min_improvement = 0, jobs = 1,
--                              trial_timeout =, trial_memory =, progress = true})
--   local trial = study:ask();  ...;  study:tell(trial, value | {values} | "pruned" | "failed" [, reason])
--   study:enqueue{name = value, ...}      a trial with these parameters fixed runs next (warm start)
--   study:fix{name = value, ...}          fix parameters in every later trial (study:fix{} clears)
--   study:best() -> record | nil          study:top(k) -> records        study:trials{state =} -> records
--   study:best_trials() -> records (the Pareto front of a multi-objective study; ties of the best otherwise)
--   study:n_trials{state =}               study:stop()                   study:set_user_attr(k, v)
--   study:to_csv(path) -> true | nil, msg     study:to_json([path]) -> text (or true | nil, msg with a path)
--   knob.study.load{name =, storage =, sampler =, pruner =}   resume a study kept in a storage
--   knob.study.worker{study =, storage =, recipe =, ...}      join a shared study as a worker (knob/worker.lua)
--
-- Options of knob.study. name: a string (default "study-<n>"); direction: "minimize" (default) or
-- "maximize"; directions = {d1, d2, ...}: a multi-objective study (see below); sampler: any table
-- implementing knob.samplers' interface (default knob.samplers.tpe{}; knob.samplers.nsga2{} for several
-- directions, as Optuna); pruner: a table with prune(study, record) (default
-- knob.pruners.median{}, as Optuna; knob.pruners.none() disables pruning); storage: nil / "memory", "sqlite:path.db" or a
-- backend (knob.storage); load_if_exists: resume a study of that name in the storage instead of failing;
-- repeats: true for a noisy objective -- every trial is evaluated even when its configuration was;
-- metric_names: one name per direction (CSV columns values_<name> of a multi-objective study).
--
-- Multi-objective studies (directions with two or more entries). The objective returns one number per
-- direction, as several return values (`return acc, latency`) or as one array (`return {acc, latency}`);
-- another count is a misuse error raised at once (the trial is recorded failed); NaN in any objective
-- fails the trial. study:best_trials() is the Pareto front: the complete trials no other complete trial
-- dominates (at least as good in every objective, each in its own direction, and better in one), in number
-- order, computed in C (knob.core.search.pareto_fronts). best() and top() raise ("use best_trials()");
-- study.direction is nil (study.directions lists them); a record's values holds the objectives (value is
-- values[1]); tell(trial, {v1, v2}) completes a trial from ask(); to_csv writes columns values_0, values_1,
-- ... (Optuna's names; values_<name> with the study option metric_names = {"acc", "latency"}, one name per
-- direction, kept in the storage) in place of value; to_json writes "values". stop_after_no_improvement is an error
-- (no best value); callbacks receive the records as usual; trial:report works but trial:should_prune raises
-- (pruning needs one objective: use pruner = knob.pruners.none()). Samplers: random, grid and qmc work
-- unchanged; knob.samplers.nsga2 is made for these studies; tpe is multi-objective (MOTPE) as Optuna's.
--
-- Trials. The objective receives a trial and returns a number:
--   trial:suggest_float(name, low, high, {log =, step =})   trial:suggest_int(name, low, high, {log =, step =})
--   trial:suggest_categorical(name, choices)                 trial:suggest(name, dist)   (a knob.space dist)
--   trial:report(step, value)   trial:should_prune() -> boolean   trial:prune() (raises; ends the trial)
--   trial:set_user_attr(key, value)   trial.number, trial.params (read-only), trial.user_attrs
-- A parameter may be suggested only in some branches (conditional). Suggesting a name twice in a trial
-- returns the same value; with another distribution it is an error, and a parameter keeps its kind (and a
-- categorical its choices) across the study (a float range may change between trials, as in Optuna).
-- Bounds are checked by knob.space (low > high, log with low <= 0, step with log, empty choices, ...; when
-- step does not divide the range high is lowered to the last step, as Optuna does). A value fixed by
-- enqueue/fix must lie in the suggested distribution, and so must a sampler's proposal: both are errors
-- naming the parameter otherwise.
--
-- Trial states: waiting (enqueued), running, complete, pruned, failed. In optimize():
--   * a number (inf included) completes the trial; NaN or a non-number fails it ("objective returned NaN");
--   * a Lua error in the objective fails the trial with the error message as its reason (the traceback is
--     kept in system_attrs.traceback) and, with catch = true (the default), the study goes on -- like
--     Optuna's catch=(Exception,), chosen as default because one bad configuration (a diverging model, an
--     out-of-memory fit) must not end a long study. catch = false records the failure, then re-raises.
--     If every trial of an optimize() call fails, optimize raises at the end with the first reason (a typo
--     in the objective should not look like a finished study);
--   * misuse of the API inside the objective (bad bounds, a re-suggested name with another range, a
--     sampler proposing outside the space, a repeated report step) fails the trial and is re-raised at once;
--   * trial:prune() or error(knob.study.pruned) marks the trial pruned.
--
-- Cache. A configuration already evaluated (same parameter names and values as a complete trial) is not
-- evaluated again unless repeats = true: the trial is completed with the earlier value and user attribute
-- cached_from = <that trial's number>. When the configuration is known before the objective runs (enqueued
-- or fixed values, a grid point, a sampler's relative sample) the objective is not called at all; otherwise
-- the objective is stopped at the suggest call that completes a known configuration (knob assumes a
-- deterministic objective: the same values take the same branches). Only optimize() uses the cache;
-- ask/tell leaves the decision to the caller.
--
-- Stopping. optimize returns after n_trials trials (of this call), or when timeout seconds have passed
-- (checked between trials), or after stop_after_no_improvement consecutive complete trials that did not
-- improve the best value by more than min_improvement (absolute), or when study:stop() is called (by a
-- callback, a sampler -- the grid sampler when every point has been visited -- or the objective). With
-- none of these it runs until stopped. callbacks: an array of functions(study, record) called after each
-- trial.
--
-- Worker processes (knob/workers.lua tells how). jobs = N (1..64) runs N trials at a time, each in its own
-- forked process; the parent keeps the storage and writes every parameter, report and result the workers
-- send. trial_timeout = seconds (a finite number > 0): a trial still running then is killed and failed with
-- "exceeded the trial time limit of 2 s". trial_memory = MB: a trial whose process grows by more than that
-- fails with "exceeded the memory limit of 512 MB (not enough memory)". A trial that segfaults, aborts or
-- calls os.exit fails with the cause ("killed by signal 11 (SIGSEGV)", "the worker process exited with
-- status 3"), and the study goes on. With jobs = 1 and neither limit trials run in this process, as before;
-- a limit with jobs = 1 runs each trial in one worker process. Each worker plans max(1, floor(threads /
-- jobs)) threads for the core's pool and OpenBLAS (threads: KNOB_THREADS, else the CPU count). With jobs >
-- 1 the order in which trials finish depends on timing; use knob.samplers.tpe{constant_liar = true} so that
-- workers do not propose the configurations of trials still running. n_trials counts trials started; when
-- a stopping rule fires no new trial starts and the running ones finish.
--
-- progress = true (default) draws a progress bar (trials done/total, best so far, ETA; knob.progress) when
-- stdout is a terminal, and nothing otherwise; progress = false turns it off.
local core = require "knob.core"
local space = require "knob.space"
local storage_mod = require "knob.storage"
local samplers = require "knob.samplers"

local M = {}
local Study = {}
Study.__index = Study
local Trial = {}
Trial.__index = Trial

local show = space.show
local clock = core.sys.clock

local function fail(what, msg)
  error(what .. ": " .. msg, 0)
end

-- The error raised by trial:prune(); error(knob.study.pruned) works too.
local PRUNED = setmetatable({}, {__tostring = function() return "knob.study.pruned" end})
M.pruned = PRUNED

-- Raised inside the objective when its configuration completes a cached one (caught by optimize).
local CacheHit = {__tostring = function(e) return "cache hit (trial " .. e.number .. ")" end}

local VALID_STATES = {waiting = true, running = true, complete = true, pruned = true, failed = true}

local function error_text(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if mt and mt.__tostring then return tostring(e) end
  return "(error object is a " .. type(e) .. " value)"
end

---------------------------------------------------------------------------------------------------------------
-- Records: read-only storage tables -> user-facing copies
---------------------------------------------------------------------------------------------------------------

local function copy(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = copy(x) end
  return t
end

local Record = {}
Record.__index = Record

function Record:__tostring()
  local parts = {}
  for _, name in ipairs(self.param_order or {}) do parts[#parts + 1] = name .. "=" .. show(self.params[name]) end
  local s = ("trial %d (%s)"):format(self.number, self.state)
  if self.value ~= nil then s = s .. ": value " .. show(self.value) end
  if #parts > 0 then s = s .. "; " .. table.concat(parts, ", ") end
  if self.reason then s = s .. "; reason: " .. self.reason end
  return s
end

local function snapshot(r)
  return setmetatable({
    number = r.number, state = r.state, value = r.value, values = copy(r.values), params = copy(r.params),
    distributions = copy(r.distributions), param_order = copy(r.param_order), intermediate = copy(r.intermediate),
    last_step = r.last_step, user_attrs = copy(r.user_attrs), system_attrs = copy(r.system_attrs),
    reason = r.reason, datetime_start = r.datetime_start, datetime_complete = r.datetime_complete,
    duration = r.duration, id = r.id,
  }, Record)
end

---------------------------------------------------------------------------------------------------------------
-- Configuration keys (the cache)
---------------------------------------------------------------------------------------------------------------

local function value_key(v)
  local t = type(v)
  if t == "number" then return "n" .. ("%.17g"):format(v) end
  if t == "string" then return "s" .. v end
  return "b" .. tostring(v)
end

local function config_key(params)
  local names = {}
  for k in pairs(params) do names[#names + 1] = k end
  if #names == 0 then return nil end
  table.sort(names)
  for i, k in ipairs(names) do names[i] = k .. "\0" .. value_key(params[k]) end
  return table.concat(names, "\1")
end

---------------------------------------------------------------------------------------------------------------
-- Options
---------------------------------------------------------------------------------------------------------------

local check_opts = space.check_opts

local function check_direction(what, d)
  if d ~= "minimize" and d ~= "maximize" then
    fail(what, "direction must be 'minimize' or 'maximize' (got " .. show(d) .. ")")
  end
  return d
end

local n_unnamed = 0

local function default_pruner()
  return require("knob.pruners").median()
end

local function check_pruner(what, p)
  if p == nil then return default_pruner() end
  if type(p) ~= "table" or type(p.prune) ~= "function" then
    fail(what, "option 'pruner' must be a table with a prune(study, record) method (got " .. type(p) .. ")")
  end
  return p
end

local function check_sampler(what, s, multi)
  if s == nil then return multi and samplers.nsga2() or samplers.tpe() end
  return samplers.check(s, what .. ": option 'sampler'")
end

local function directions_of(what, opts)
  if opts.direction ~= nil and opts.directions ~= nil then fail(what, "give direction or directions, not both") end
  if opts.directions ~= nil then
    if type(opts.directions) ~= "table" or #opts.directions == 0 then
      fail(what, "option 'directions' must be a non-empty array")
    end
    local out = {}
    for i = 1, #opts.directions do out[i] = check_direction(what, opts.directions[i]) end
    return out
  end
  return {check_direction(what, opts.direction or "minimize")}
end

-- metric_names: one distinct non-empty string per direction (names the CSV value columns), or nil.
local function metric_names_of(what, names, n)
  if names == nil then return nil end
  if type(names) ~= "table" or #names ~= n then
    fail(what, ("option 'metric_names' must be an array of %d names, one per direction (got %s)")
      :format(n, type(names) == "table" and (#names .. " entries") or type(names)))
  end
  local seen = {}
  for i, v in ipairs(names) do
    if type(v) ~= "string" or v == "" or seen[v] then
      fail(what, ("option 'metric_names': entry %d must be a distinct non-empty string (got %s)"):format(i, show(v)))
    end
    seen[v] = true
  end
  return copy(names)
end

local function new_study(rec, st, opts, what)
  local self = setmetatable({
    name = rec.name, id = rec.id, storage = st, directions = copy(rec.directions),
    sampler = check_sampler(what, opts.sampler, #rec.directions > 1), pruner = check_pruner(what, opts.pruner),
    repeats = opts.repeats or false, _stop = false, _kinds = nil, _cache = nil,
    _fixed = copy(rec.system_attrs.fixed_params or {}),
    metric_names = copy(rec.system_attrs.metric_names),
  }, Study)
  self._multi = #self.directions > 1
  -- a multi-objective study has no single direction: study.direction is nil (samplers and pruners that
  -- need one must check), study.directions lists them
  self.direction = not self._multi and self.directions[1] or nil
  self._sign = self.directions[1] == "minimize" and 1 or -1
  return self
end

function M.new(opts)
  local what = "knob.study"
  opts = check_opts(what, opts, {"name", "direction", "directions", "sampler", "pruner", "storage",
                                 "load_if_exists", "repeats", "metric_names"})
  local dirs = directions_of(what, opts)
  local names = metric_names_of(what, opts.metric_names, #dirs)
  for _, k in ipairs{"load_if_exists", "repeats"} do
    if opts[k] ~= nil and type(opts[k]) ~= "boolean" then
      fail(what, ("option '%s' must be a boolean (got %s)"):format(k, type(opts[k])))
    end
  end
  local name = opts.name
  if name == nil then
    n_unnamed = n_unnamed + 1
    name = "study-" .. n_unnamed
  elseif type(name) ~= "string" or name == "" then
    fail(what, "option 'name' must be a non-empty string (got " .. show(name) .. ")")
  end
  local st = storage_mod.open(opts.storage, what)
  local rec = st:load_study(name)
  if rec and not opts.load_if_exists then
    fail(what, "study '" .. name .. "' already exists in this storage (load_if_exists = true resumes it)")
  elseif not rec then
    local ok, created = pcall(st.create_study, st, {name = name, directions = dirs,
                                                    system_attrs = names and {metric_names = names} or nil})
    -- in a shared storage another process may create it between the two calls: load_if_exists loads it
    rec = ok and created or (opts.load_if_exists and st:load_study(name))
    if not rec then error(created, 0) end
  end
  if table.concat(rec.directions, ",") ~= table.concat(dirs, ",") then
    fail(what, ("study '%s' exists with direction %s (asked: %s)"):format(name, table.concat(rec.directions, ", "),
                                                                          table.concat(dirs, ", ")))
  end
  return new_study(rec, st, opts, what)
end

--- Resume a study kept in a storage: knob.study.load{name =, storage =, sampler =, pruner =, repeats =}.
function M.load(opts)
  local what = "knob.study.load"
  opts = check_opts(what, opts, {"name", "storage", "sampler", "pruner", "repeats"})
  if type(opts.name) ~= "string" then fail(what, "option 'name' must be a string") end
  if opts.storage == nil then fail(what, "option 'storage' is required (a memory study lives in its process)") end
  local st = storage_mod.open(opts.storage, what)
  local rec = st:load_study(opts.name)
  if not rec then fail(what, "no study '" .. opts.name .. "' in this storage") end
  return new_study(rec, st, opts, what)
end

---------------------------------------------------------------------------------------------------------------
-- Study: access for samplers and pruners
---------------------------------------------------------------------------------------------------------------

local function state_set(what, states)
  if states == nil then return nil end
  local set = {}
  if type(states) == "string" then states = {states} end
  if type(states) ~= "table" then fail(what, "states must be a state name, a list or a set (got " .. type(states) .. ")") end
  for k, v in pairs(states) do
    local s = math.type(k) == "integer" and v or k
    if not VALID_STATES[s] then
      fail(what, "unknown trial state " .. show(s) .. " (valid: waiting, running, complete, pruned, failed)")
    end
    set[s] = true
  end
  return set
end

--- Read-only trial records in number order (states: nil, a name, a list or a set). For samplers/pruners.
function Study:trials_raw(states)
  return self.storage:trials(self.id, state_set("study:trials_raw", states))
end

--- Persist a sampler's or pruner's bookkeeping on a trial (a Trial or a record).
function Study:set_trial_system_attr(t, key, value)
  self.storage:set_trial_attr(t.id, "system", key, value)
  if getmetatable(t) == Trial and t.system_attrs then t.system_attrs[key] = value end
end

function Study:stop()
  self._stop = true
end

function Study:set_user_attr(key, value)
  if type(key) ~= "string" then fail("study:set_user_attr", "key must be a string (got " .. type(key) .. ")") end
  self.storage:set_study_attr(self.id, "user", key, value)
end

function Study:user_attrs()
  local rec = self.storage:load_study(self.name)
  return copy(rec and rec.user_attrs or {})
end

function Study:__tostring()
  local n = self.storage:count_trials(self.id)
  if self._multi then
    return ("knob.Study<%s, %s, %d trials, %d on the Pareto front>"):format(self.name,
      table.concat(self.directions, "/"), n, #self:_front_records())
  end
  local b = self:_best_record()
  return ("knob.Study<%s, %s, %d trials%s>"):format(self.name, self.direction, n,
    b and (", best " .. show(b.value) .. " (trial " .. b.number .. ")") or "")
end

---------------------------------------------------------------------------------------------------------------
-- Results
---------------------------------------------------------------------------------------------------------------

-- Is loss a better than loss b (sign-adjusted, minimize)?
function Study:_better(a, b)
  return self._sign * a < self._sign * b
end

function Study:_best_record()
  if self._multi then return nil end -- no single best: best_trials() gives the Pareto front
  local best
  for _, r in ipairs(self.storage:trials(self.id, {complete = true})) do
    local v = r.value
    if v == v and (best == nil or self:_better(v, best.value)) then best = r end
  end
  return best
end

local function single_objective(self, what)
  if self._multi then
    fail(what, ("a multi-objective study (%d directions) has no single best trial; use best_trials() (the Pareto front)")
      :format(#self.directions))
  end
end

--- Sign-adjusted objective vectors of records (losses: smaller is better in each objective; a maximized
--- objective is negated) -- what knob.core.search.pareto_fronts takes. For samplers.
function Study:losses(recs)
  local out = {}
  for i, r in ipairs(recs) do
    local row = {}
    for k, d in ipairs(self.directions) do row[k] = d == "minimize" and r.values[k] or -r.values[k] end
    out[i] = row
  end
  return out
end

-- The complete trials on the Pareto front (non-dominated, respecting each direction), in number order.
function Study:_front_records()
  local recs = {}
  for _, r in ipairs(self.storage:trials(self.id, {complete = true})) do
    if r.values and #r.values == #self.directions then recs[#recs + 1] = r end
  end
  if #recs == 0 then return recs end
  local fronts = core.search.pareto_fronts(self:losses(recs))
  local out = {}
  for i, r in ipairs(recs) do
    if fronts[i] == 1 then out[#out + 1] = r end
  end
  return out
end

--- The Pareto front: copies of the complete trials that no other complete trial dominates (at least as good
--- in every objective and better in one), in number order. With one objective: every trial with the best
--- value. Computed in C (knob.core.search.pareto_fronts).
function Study:best_trials()
  local out = {}
  for i, r in ipairs(self:_front_records()) do out[i] = snapshot(r) end
  return out
end

--- The best complete trial (a copy; earliest on ties), or nil when no trial is complete.
function Study:best()
  single_objective(self, "study:best")
  local b = self:_best_record()
  return b and snapshot(b) or nil
end

--- The k best complete trials, best first (ties by trial number).
function Study:top(k)
  if k ~= nil and (math.type(k) ~= "integer" or k < 1) then
    fail("study:top", "k must be an integer >= 1 (got " .. show(k) .. ")")
  end
  single_objective(self, "study:top")
  local list = {}
  for _, r in ipairs(self.storage:trials(self.id, {complete = true})) do
    if r.value == r.value then list[#list + 1] = r end
  end
  local sign = self._sign
  table.sort(list, function(a, b)
    if a.value ~= b.value then return sign * a.value < sign * b.value end
    return a.number < b.number
  end)
  local out = {}
  for i = 1, math.min(k or #list, #list) do out[i] = snapshot(list[i]) end
  return out
end

--- Copies of the trials, in number order; opts.state: a state name, a list or a set.
function Study:trials(opts)
  opts = check_opts("study:trials", opts, {"state"})
  local out = {}
  for i, r in ipairs(self.storage:trials(self.id, state_set("study:trials", opts.state))) do out[i] = snapshot(r) end
  return out
end

function Study:n_trials(opts)
  opts = check_opts("study:n_trials", opts, {"state"})
  return self.storage:count_trials(self.id, state_set("study:n_trials", opts.state))
end

---------------------------------------------------------------------------------------------------------------
-- Export
---------------------------------------------------------------------------------------------------------------

local jsonmod = require "knob.json"

-- A value as JSON for to_json / to_csv: tables with number keys (intermediate steps) get string keys.
local function stringify_keys(v)
  if type(v) ~= "table" or jsonmod.is_array(v) then return v end
  local out = {}
  for k, x in pairs(v) do out[tostring(k)] = stringify_keys(x) end
  return out
end

local function json(v)
  return jsonmod.encode(stringify_keys(v), {nonfinite = "string"})
end

local function json_list(t)
  local parts = {}
  for i, x in ipairs(t) do parts[i] = json(x) end
  return "[" .. table.concat(parts, ",") .. "]"
end

local function write_file(path, text, what)
  local f, msg = io.open(path, "w")
  if not f then return nil, what .. ": " .. msg end
  local ok, wmsg = f:write(text)
  f:close()
  if not ok then return nil, what .. ": " .. tostring(wmsg) end
  return true
end

--- The study as JSON: {name, directions, trials: [{number, state, value, params, distributions, param_order,
--- intermediate, user_attrs, system_attrs, reason, duration, ...}]}. NaN is null, +-inf "Infinity"/"-Infinity".
--- With a path, writes the file and returns true (or nil, msg).
function Study:to_json(path)
  if path ~= nil and type(path) ~= "string" then fail("study:to_json", "path must be a string (got " .. type(path) .. ")") end
  local trials = {}
  for i, r in ipairs(self.storage:trials(self.id)) do
    local fields = {
      '"number":' .. r.number, '"state":' .. json(r.state), '"value":' .. json(r.value),
      '"values":' .. (r.values and json_list(r.values) or "null"), '"params":' .. json(r.params),
      '"distributions":' .. json(r.distributions), '"param_order":' .. json_list(r.param_order),
      '"intermediate":' .. json(r.intermediate), '"user_attrs":' .. json(r.user_attrs),
      '"system_attrs":' .. json(r.system_attrs), '"reason":' .. json(r.reason),
      '"duration":' .. json(r.duration), '"datetime_start":' .. json(r.datetime_start),
      '"datetime_complete":' .. json(r.datetime_complete),
    }
    trials[i] = "{" .. table.concat(fields, ",") .. "}"
  end
  local names = self.metric_names and (',"metric_names":' .. json_list(self.metric_names)) or ""
  local text = ('{"name":%s,"directions":%s%s,"trials":[%s]}'):format(json(self.name), json_list(self.directions),
                                                                        names, table.concat(trials, ",\n"))
  if path then return write_file(path, text .. "\n", "study:to_json") end
  return text
end

local function csv_cell(v)
  if v == nil then return "" end
  local t = type(v)
  if t == "number" then
    if v ~= v then return "NaN" end
    return math.type(v) == "integer" and tostring(v) or core.csv.format_number(v)
  end
  if t == "table" then v = json(v) else v = tostring(v) end
  if v:find('[,"\r\n]') or v:match("^%s") or v:match("%s$") then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

--- One row per trial: number, state, value, duration, params_<name>..., user_attrs_<key>..., reason.
--- A multi-objective study has values_0, values_1, ... (one per direction, as Optuna; values_<name> with
--- metric_names) in place of value.
--- Returns true, or nil, msg when the file cannot be written.
function Study:to_csv(path)
  if type(path) ~= "string" then fail("study:to_csv", "path must be a string (got " .. type(path) .. ")") end
  local recs = self.storage:trials(self.id)
  local pnames, unames, seen_p, seen_u = {}, {}, {}, {}
  for _, r in ipairs(recs) do
    for k in pairs(r.params) do
      if not seen_p[k] then seen_p[k], pnames[#pnames + 1] = true, k end
    end
    for k in pairs(r.user_attrs) do
      if not seen_u[k] then seen_u[k], unames[#unames + 1] = true, k end
    end
  end
  table.sort(pnames)
  table.sort(unames)
  local header = {"number", "state"}
  local nv = #self.directions
  if nv > 1 then
    for k = 1, nv do header[#header + 1] = csv_cell("values_" .. (self.metric_names and self.metric_names[k] or (k - 1))) end
  else
    header[#header + 1] = "value"
  end
  header[#header + 1] = "duration"
  for _, k in ipairs(pnames) do header[#header + 1] = csv_cell("params_" .. k) end
  for _, k in ipairs(unames) do header[#header + 1] = csv_cell("user_attrs_" .. k) end
  header[#header + 1] = "reason"
  local lines = {table.concat(header, ",")}
  for _, r in ipairs(recs) do
    local row = {r.number, r.state}
    for k = 1, nv do row[#row + 1] = csv_cell(r.values and r.values[k]) end
    row[#row + 1] = csv_cell(r.duration)
    for _, k in ipairs(pnames) do row[#row + 1] = csv_cell(r.params[k]) end
    for _, k in ipairs(unames) do row[#row + 1] = csv_cell(r.user_attrs[k]) end
    row[#row + 1] = csv_cell(r.reason)
    lines[#lines + 1] = table.concat(row, ",")
  end
  return write_file(path, table.concat(lines, "\n") .. "\n", "study:to_csv")
end

---------------------------------------------------------------------------------------------------------------
-- Fixed parameters, enqueue
---------------------------------------------------------------------------------------------------------------

local function check_params(what, params)
  if type(params) ~= "table" then fail(what, "parameters must be a table of name = value (got " .. type(params) .. ")") end
  local out = {}
  for k, v in pairs(params) do
    if type(k) ~= "string" or k == "" then fail(what, "parameter names must be non-empty strings (got " .. show(k) .. ")") end
    local t = type(v)
    if (t ~= "number" and t ~= "string" and t ~= "boolean") or v ~= v then
      fail(what, ("parameter '%s' must be a number, string or boolean (got %s)"):format(k, t == "number" and "NaN" or t))
    end
    out[k] = v
  end
  return out
end

--- Queue a trial whose parameters `params` are fixed (the others are sampled); it runs before any new one.
function Study:enqueue(params)
  local p = check_params("study:enqueue", params)
  self.storage:add_trial(self.id, {state = "waiting", system_attrs = {fixed_params = p}})
end

--- Fix parameters in every later trial (enqueued values take precedence); study:fix{} clears.
function Study:fix(params)
  self._fixed = check_params("study:fix", params)
  self.storage:set_study_attr(self.id, "system", "fixed_params", copy(self._fixed))
end

---------------------------------------------------------------------------------------------------------------
-- Ask / tell
---------------------------------------------------------------------------------------------------------------

local function new_trial(study, rec, fixed)
  return setmetatable({
    study = study, id = rec.id, number = rec.number, params = {}, distributions = {}, user_attrs = {},
    system_attrs = rec.system_attrs, _fixed = fixed, _relative = nil, _rel_space = nil, _t0 = clock(),
    _finished = false, _cache_on = false,
  }, Trial)
end

--- Start a trial (the oldest enqueued one first); the sampler's before_trial and relative sampling run here.
function Study:ask()
  local rec = self.storage:pop_waiting(self.id)
  local fixed = copy(self._fixed)
  if rec then
    for k, v in pairs(rec.system_attrs.fixed_params or {}) do fixed[k] = v end
  else
    rec = self.storage:add_trial(self.id, {state = "running"})
  end
  local trial = new_trial(self, rec, fixed)
  local s = self.sampler
  local ok, err = pcall(function()
    if s.before_trial then s:before_trial(self, trial) end
    if s.infer_relative_space then
      local sp = s:infer_relative_space(self, trial)
      if sp and next(sp) ~= nil then
        trial._rel_space = sp
        trial._relative = s:sample_relative(self, trial, sp) or {}
      end
    end
  end)
  if not ok then -- a sampler error: the trial fails with it (no trial is left running), and it is raised
    self:_finish(trial, "failed", nil, error_text(err))
    error(err, 0)
  end
  return trial
end

-- refresh: in a shared storage (storage.shared, several workers) also take in the trials other workers
-- completed since the last refresh (optimize refreshes once per trial).
function Study:_cache_map(refresh)
  if not self._cache or (refresh and self.storage.shared) then
    local c, seen = self._cache or {}, self._cache_seen or {}
    for _, r in ipairs(self.storage:trials(self.id, {complete = true})) do
      local k = not seen[r.id] and config_key(r.params)
      seen[r.id] = true
      if k and c[k] == nil and r.value ~= nil then c[k] = r.number end
    end
    self._cache, self._cache_seen = c, seen
  end
  return self._cache
end

function Study:_cached_value(number)
  for _, r in ipairs(self.storage:trials(self.id, {complete = true})) do
    if r.number == number then return r end
  end
end

-- Finish a running trial: storage, sampler hook, cache. Returns the record.
function Study:_finish(trial, state, values, reason)
  local duration = trial._t0 and (clock() - trial._t0) or nil
  self.storage:update_trial(trial.id, {state = state, values = values, reason = reason, duration = duration})
  trial._finished = true
  local rec = self.storage:get_trial(trial.id)
  if state == "complete" and self._cache then
    local k = config_key(rec.params)
    if k and self._cache[k] == nil then self._cache[k] = rec.number end
  end
  if self.sampler.after_trial then self.sampler:after_trial(self, rec, state, values) end
  return rec
end

local function running_trial(self, t, what)
  local trial = t
  if math.type(t) == "integer" then
    trial = nil
    for _, r in ipairs(self.storage:trials(self.id, {running = true})) do
      if r.number == t then trial = {id = r.id, number = r.number} end
    end
    if not trial then fail(what, "no running trial number " .. t) end
  elseif getmetatable(t) ~= Trial then
    fail(what, "expected a trial or a trial number (got " .. type(t) .. ")")
  elseif t.study ~= self then
    fail(what, "trial " .. t.number .. " belongs to another study")
  end
  local rec = self.storage:get_trial(trial.id)
  if rec.state ~= "running" then fail(what, ("trial %d is already %s"):format(rec.number, rec.state)) end
  return trial
end

--- Finish a trial from ask(): tell(trial, value) completes it (NaN fails it), tell(trial, {v1, v2, ...}) for a
--- multi-objective study (one value per direction: another count raises), tell(trial, "pruned"),
--- tell(trial, "failed", reason). trial may be the trial number. Returns the finished record (a copy).
function Study:tell(t, result, reason)
  local what = "study:tell"
  local trial = running_trial(self, t, what)
  local state, values
  if type(result) == "number" or (self._multi and type(result) == "table") then
    local why, misuse
    values, why, misuse = self:_objective_values(what, {result, n = 1})
    if misuse then error(why, 0) end
    state, reason = values and "complete" or "failed", why
  elseif result == "pruned" or result == "failed" then
    state = result
    if reason ~= nil and type(reason) ~= "string" then fail(what, "reason must be a string (got " .. type(reason) .. ")") end
    if state == "failed" then reason = reason or "failed by tell" end
  else
    fail(what, (self._multi and "expected an array of numbers (one per direction)" or "expected a number")
      .. ", 'pruned' or 'failed' (got " .. show(result) .. ")")
  end
  if state ~= "failed" then reason = nil end
  return snapshot(self:_finish(trial, state, values, reason))
end

---------------------------------------------------------------------------------------------------------------
-- Trial
---------------------------------------------------------------------------------------------------------------

-- A misuse error inside the objective: remembered so that optimize re-raises it instead of catching it.
local function usage(trial, msg)
  trial._usage_error = msg
  error(msg, 0)
end

function Study:_check_kind(trial, name, dist, what)
  if not self._kinds then
    self._kinds = {}
    for _, r in ipairs(self.storage:trials(self.id)) do
      for k, d in pairs(r.distributions) do
        if self._kinds[k] == nil then self._kinds[k] = {dist = d, number = r.number} end
      end
    end
  end
  local prev = self._kinds[name]
  if not prev then
    self._kinds[name] = {dist = dist, number = trial.number}
    return
  end
  local d = prev.dist
  if d.kind ~= dist.kind or (d.kind == "categorical" and not space.equal(d, dist)) then
    usage(trial, ("%s: parameter '%s' was %s in trial %d; now %s (a parameter keeps its kind and choices in a study)")
      :format(what, name, space.describe(d), prev.number, space.describe(dist)))
  end
end

function Trial:_suggest(name, dist, what)
  if self._finished then usage(self, what .. ": trial " .. self.number .. " is finished") end
  local prev = self.distributions[name]
  if prev then
    if not space.equal(prev, dist) then
      usage(self, ("%s: parameter '%s' was already suggested in this trial as %s; now %s")
        :format(what, name, space.describe(prev), space.describe(dist)))
    end
    return self.params[name]
  end
  local study = self.study
  study:_check_kind(self, name, dist, what)
  local v = self._fixed[name]
  if v ~= nil then
    if dist.kind == "int" and math.type(v) == "float" then v = math.tointeger(v) or v end
    if not space.contains(dist, v) then
      usage(self, ("%s: the fixed value %s of parameter '%s' is outside %s"):format(what, show(v), name, space.describe(dist)))
    end
  else
    v = space.single(dist)
    if v == nil then
      local s = study.sampler
      local rel = self._relative and self._relative[name]
      if rel ~= nil and (s.relative_strict or space.equal(self._rel_space[name], dist)) then
        v = rel
      else
        local ok, res = pcall(s.sample, s, study, self, name, dist)
        if not ok then usage(self, res) end
        v = res
      end
      if not space.contains(dist, v) then
        usage(self, ("%s: sampler %s proposed %s for parameter '%s' outside %s"):format(
          what, tostring(s.name or s), show(v), name, space.describe(dist)))
      end
    end
  end
  if dist.kind == "float" then v = v + 0.0 end
  study.storage:set_param(self.id, name, v, dist)
  self.params[name] = v
  self.distributions[name] = dist
  if self._cache_on then
    local hit = study:_cache_map()[config_key(self.params)]
    if hit then error(setmetatable({number = hit}, CacheHit)) end
  end
  return v
end

local function check_name(trial, what, name)
  if type(name) ~= "string" or name == "" then
    usage(trial, what .. ": the parameter name must be a non-empty string (got " .. show(name) .. ")")
  end
  return what .. "('" .. name .. "')"
end

-- Build a distribution; a bad argument is a usage error of the trial.
local function make_dist(trial, what, f, ...)
  local ok, d = pcall(f, ...)
  if not ok then usage(trial, tostring(d)) end
  return d
end

function Trial:suggest_float(name, low, high, opts)
  local what = check_name(self, "trial:suggest_float", name)
  return self:_suggest(name, make_dist(self, what, space.float, low, high, opts, what), what)
end

function Trial:suggest_int(name, low, high, opts)
  local what = check_name(self, "trial:suggest_int", name)
  return self:_suggest(name, make_dist(self, what, space.int, low, high, opts, what), what)
end

function Trial:suggest_categorical(name, choices)
  local what = check_name(self, "trial:suggest_categorical", name)
  return self:_suggest(name, make_dist(self, what, space.categorical, choices, what), what)
end

--- Suggest with a knob.space distribution (e.g. from a declared space).
function Trial:suggest(name, dist)
  local what = check_name(self, "trial:suggest", name)
  return self:_suggest(name, make_dist(self, what, space.check, dist, what), what)
end

--- Report an intermediate value (a fold score, an epoch's loss) at step (an integer >= 0, once per step).
function Trial:report(step, value)
  local what = "trial:report"
  if self._finished then usage(self, what .. ": trial " .. self.number .. " is finished") end
  if type(step) ~= "number" or not math.tointeger(step) or step < 0 then
    usage(self, what .. ": step must be an integer >= 0 (got " .. show(step) .. ")")
  end
  if type(value) ~= "number" then usage(self, what .. ": value must be a number (got " .. type(value) .. ")") end
  step = math.tointeger(step)
  local rec = self.study.storage:get_trial(self.id)
  if rec.intermediate[step] ~= nil then
    usage(self, ("%s: step %d was already reported in trial %d"):format(what, step, self.number))
  end
  self.study.storage:report_intermediate(self.id, step, value)
end

--- Should the trial stop now? Asks the study's pruner about the values reported so far.
function Trial:should_prune()
  if self._finished then usage(self, "trial:should_prune: trial " .. self.number .. " is finished") end
  local p = self.study.pruner
  if not p then return false end
  if self.study._multi then
    usage(self, "trial:should_prune: pruning is not supported in a multi-objective study (report() is; use knob.pruners.none())")
  end
  local ok, res = pcall(p.prune, p, self.study, self.study.storage:get_trial(self.id))
  if not ok then usage(self, res) end
  return res == true
end

--- End the trial as pruned (raises knob.study.pruned, which optimize catches).
function Trial:prune()
  error(PRUNED, 0)
end

function Trial:set_user_attr(key, value)
  if type(key) ~= "string" then usage(self, "trial:set_user_attr: key must be a string (got " .. type(key) .. ")") end
  local t = type(value)
  if t ~= "number" and t ~= "string" and t ~= "boolean" and t ~= "table" then
    usage(self, ("trial:set_user_attr: value of '%s' must be a number, string, boolean or table (got %s)"):format(key, t))
  end
  self.study.storage:set_trial_attr(self.id, "user", key, value)
  self.user_attrs[key] = value
end

function Trial:__tostring()
  return ("knob.Trial<%d of %s%s>"):format(self.number, self.study.name, self._finished and ", finished" or "")
end

---------------------------------------------------------------------------------------------------------------
-- Optimize
---------------------------------------------------------------------------------------------------------------

local function check_optimize_opts(what, opts)
  opts = check_opts(what, opts, {"n_trials", "timeout", "jobs", "callbacks", "catch", "stop_after_no_improvement",
                                 "min_improvement", "trial_timeout", "trial_memory", "progress"})
  local o = {}
  local function int_opt(k, lo)
    local v = opts[k]
    if v == nil then return nil end
    if math.type(v) ~= "integer" or v < lo then fail(what, ("option '%s' must be an integer >= %d (got %s)"):format(k, lo, show(v))) end
    return v
  end
  local function num_opt(k, positive)
    local v = opts[k]
    if v == nil then return nil end
    if type(v) ~= "number" or v ~= v or (positive and v <= 0) or v < 0 then
      fail(what, ("option '%s' must be a number %s 0 (got %s)"):format(k, positive and ">" or ">=", show(v)))
    end
    return v
  end
  local function limit_opt(k)
    local v = num_opt(k, true)
    if v == math.huge then fail(what, ("option '%s' must be finite (got inf; leave it out for no limit)"):format(k)) end
    return v
  end
  o.n_trials = int_opt("n_trials", 1)
  o.timeout = num_opt("timeout", true)
  o.stop_after = int_opt("stop_after_no_improvement", 1)
  o.min_improvement = num_opt("min_improvement", false) or 0
  o.jobs = int_opt("jobs", 1) or 1
  if o.jobs > 64 then fail(what, "option 'jobs' must be at most 64 (got " .. o.jobs .. ")") end
  o.trial_timeout = limit_opt("trial_timeout")
  o.trial_memory = limit_opt("trial_memory")
  for _, k in ipairs{"catch", "progress"} do
    if opts[k] ~= nil and type(opts[k]) ~= "boolean" then
      fail(what, ("option '%s' must be a boolean (got %s)"):format(k, type(opts[k])))
    end
  end
  o.catch = opts.catch ~= false
  o.progress = opts.progress ~= false
  o.callbacks = opts.callbacks or {}
  if type(o.callbacks) ~= "table" then fail(what, "option 'callbacks' must be an array of functions (got " .. type(o.callbacks) .. ")") end
  for i, f in ipairs(o.callbacks) do
    if type(f) ~= "function" then fail(what, ("callback %d must be a function (got %s)"):format(i, type(f))) end
  end
  return o
end

-- The values of an objective's results r (a table.pack of its return values): a single-objective study takes
-- one number (further return values are ignored); a multi-objective one takes one number per direction,
-- as several return values or as one array. Returns values, or nil, reason (the trial fails), misuse (true
-- when the count does not match the directions: an error raised by optimize and tell).
function Study:_objective_values(what, r)
  local nd = #self.directions
  local vals, n
  if nd == 1 then
    vals, n = {r[1]}, 1
  elseif r.n == 1 and type(r[1]) == "table" then
    vals, n = r[1], #r[1]
  else
    vals, n = r, r.n
  end
  if n ~= nd then
    return nil, ("%s: the objective returned %d value%s for %d directions (return one number per direction, "
      .. "as several values or one array)"):format(what, n, n == 1 and "" or "s", nd), true
  end
  for k = 1, nd do
    local v = vals[k]
    local which = nd > 1 and (" for objective " .. k) or ""
    if type(v) ~= "number" then return nil, ("objective returned %s%s (expected a number)"):format(type(v), which) end
    if v ~= v then return nil, "objective returned NaN" .. which end
  end
  return {table.unpack(vals, 1, nd)}
end

-- Complete `trial` with the value of the cached trial `number`.
function Study:_complete_cached(trial, number)
  local src = self:_cached_value(number)
  self.storage:set_trial_attr(trial.id, "user", "cached_from", number)
  trial.user_attrs.cached_from = number
  return self:_finish(trial, "complete", copy(src.values), nil)
end

-- Start a trial of optimize: ask, then look its configuration up in the cache when it is known before the
-- objective runs. Returns the trial and, on a cache hit, its finished record.
function Study:_start_trial()
  local trial = self:ask()
  trial._cache_on = not self.repeats
  if trial._cache_on then
    local pre = {}
    for k, v in pairs(trial._relative or {}) do pre[k] = v end
    for k, v in pairs(trial._fixed) do pre[k] = v end
    local key = config_key(pre)
    local hit = self:_cache_map(true)[key or ""]
    if hit then
      local src = self:_cached_value(hit)
      for _, name in ipairs(src.param_order) do
        self.storage:set_param(trial.id, name, src.params[name], src.distributions[name])
        trial.params[name], trial.distributions[name] = src.params[name], src.distributions[name]
      end
      return trial, self:_complete_cached(trial, hit)
    end
  end
  return trial
end

-- Run the objective on a started trial; returns the outcome without finishing the trial (a worker process
-- sends it to the parent): {state = "complete", values} | {state = "pruned"} | {state = "cached", number} |
-- {state = "failed", reason, traceback, raised = the objective raised, usage = a misuse error, error}.
function Study:_evaluate(objective, trial)
  local traceback
  local out = table.pack(xpcall(objective, function(e)
    if type(e) == "string" then traceback = debug.traceback(e, 2) end
    return e
  end, trial))
  local ok, res = out[1], out[2]
  if ok then
    local values, why, misuse = self:_objective_values("study:optimize", table.pack(table.unpack(out, 2, out.n)))
    if values then return {state = "complete", values = values} end
    return {state = "failed", reason = why, usage = misuse}
  end
  if res == PRUNED then return {state = "pruned"} end
  if getmetatable(res) == CacheHit then return {state = "cached", number = res.number} end
  return {state = "failed", reason = error_text(res), traceback = traceback, raised = true,
          usage = res == trial._usage_error, error = res}
end

-- Finish a trial with an outcome of _evaluate; raises a misuse error, or any error with catch = false.
function Study:_apply_outcome(trial, out, o)
  if out.state == "cached" then return self:_complete_cached(trial, out.number) end
  if out.state == "complete" then return self:_finish(trial, "complete", out.values, nil) end
  if out.state == "pruned" then return self:_finish(trial, "pruned", nil, nil) end
  if out.traceback then self:set_trial_system_attr(trial, "traceback", out.traceback) end
  local rec = self:_finish(trial, "failed", nil, out.reason)
  if out.usage or (out.raised and not o.catch) then
    if out.error ~= nil then error(out.error, 0) end
    error(out.reason, 0)
  end
  return rec
end

-- Run one trial of optimize in this process; returns its final record.
function Study:_run_one(objective, o)
  local trial, rec = self:_start_trial()
  if rec then return rec end
  return self:_apply_outcome(trial, self:_evaluate(objective, trial), o)
end

--- Run trials of objective(trial) -> number; see the options at the top of this file. Returns the study.
function Study:optimize(objective, opts)
  local what = "study:optimize"
  local mt = getmetatable(objective)
  if type(objective) ~= "function" and not (mt and mt.__call) then
    fail(what, "objective must be a function (got " .. type(objective) .. ")")
  end
  local o = check_optimize_opts(what, opts)
  if self._multi and o.stop_after then
    fail(what, "option 'stop_after_no_improvement' needs a single objective (a multi-objective study has no best value)")
  end
  local t0 = clock()
  local n, n_failed, first_failure, stale = 0, 0, nil, 0
  local best = self:_best_record()
  local best_value = best and best.value
  local enabled -- nil: when stdout is a terminal
  if not o.progress then enabled = false end
  local bar = require("knob.progress").new{total = o.n_trials, time_limit = o.timeout, label = self.name,
                                           enabled = enabled}
  self._stop = false
  local run = {}
  -- May another trial start?
  function run.more(started)
    if self._stop then return false end
    if o.n_trials and started >= o.n_trials then return false end
    if o.timeout and clock() - t0 >= o.timeout then return false end
    if o.stop_after and stale >= o.stop_after then return false end
    return true
  end
  -- Account for a finished trial (its record); false when optimize should stop starting trials.
  function run.done(rec)
    n = n + 1
    if rec.state == "failed" then
      n_failed = n_failed + 1
      first_failure = first_failure or rec
    elseif rec.state == "complete" then
      local v = rec.value
      if best_value == nil or self._sign * (best_value - v) > o.min_improvement then
        stale = 0
      else
        stale = stale + 1
      end
      if best_value == nil or self:_better(v, best_value) then best_value = v end
    end
    bar:update{done = n, best = best_value, failed = n_failed}
    for _, cb in ipairs(o.callbacks) do cb(self, snapshot(rec)) end
  end
  local ok, err = pcall(function()
    if o.jobs == 1 and not o.trial_timeout and not o.trial_memory then
      while run.more(n) do run.done(self:_run_one(objective, o)) end
    else
      require("knob.workers").run(self, objective, o, run)
    end
  end)
  bar:finish()
  self._stop = false
  if not ok then error(err, 0) end
  if n > 0 and n_failed == n then
    fail(what, ("all %d trials failed; the first, trial %d: %s"):format(n, first_failure.number, first_failure.reason))
  end
  return self
end

--- Run trials of a study in a shared storage, the objective from a recipe: see knob/worker.lua.
function M.worker(opts)
  return require("knob.worker").run(opts)
end

return setmetatable(M, {__call = function(_, opts) return M.new(opts) end})
