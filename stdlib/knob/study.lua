-- knob.study — define-by-run hyperparameter search (the API of Optuna's Study and Trial).
--
--   local study = knob.study{name =, direction = "minimize"|"maximize", sampler =, pruner =, storage =,
--                            load_if_exists = false, repeats = false}
--   study:optimize(objective, {n_trials =, timeout =, callbacks =, catch = true,
--                              stop_after_no_improvement =, min_improvement = 0, jobs = 1})
--   local trial = study:ask();  ...;  study:tell(trial, value | "pruned" | "failed" [, reason])
--   study:enqueue{name = value, ...}      a trial with these parameters fixed runs next (warm start)
--   study:fix{name = value, ...}          fix parameters in every later trial (study:fix{} clears)
--   study:best() -> record | nil          study:top(k) -> records        study:trials{state =} -> records
--   study:n_trials{state =}               study:stop()                   study:set_user_attr(k, v)
--   study:to_csv(path) -> true | nil, msg     study:to_json([path]) -> text (or true | nil, msg with a path)
--   knob.study.load{name =, storage =, sampler =, pruner =}   resume a study kept in a storage
--   knob.study.worker{study =, storage =, recipe =, ...}      join a shared study as a worker (knob/worker.lua)
--
-- Options of knob.study. name: a string (default "study-<n>"); direction: "minimize" (default) or
-- "maximize"; directions = {d} is accepted for one objective (multi-objective studies are the next slice:
-- more than one direction is an error for now); sampler: any table implementing knob.samplers' interface
-- (default knob.samplers.tpe{}); pruner: a table with prune(study, record) (default
-- knob.pruners.median{}, as Optuna; knob.pruners.none() disables pruning); storage: nil / "memory", "sqlite:path.db" or a
-- backend (knob.storage); load_if_exists: resume a study of that name in the storage instead of failing;
-- repeats: true for a noisy objective -- every trial is evaluated even when its configuration was.
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
-- trial. jobs = N worker processes is the next slice: only jobs = 1 is accepted for now.
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

local function check_sampler(what, s)
  if s == nil then return require("knob.samplers").tpe() end
  return samplers.check(s, what .. ": option 'sampler'")
end

local function directions_of(what, opts)
  if opts.direction ~= nil and opts.directions ~= nil then fail(what, "give direction or directions, not both") end
  if opts.directions ~= nil then
    if type(opts.directions) ~= "table" or #opts.directions == 0 then
      fail(what, "option 'directions' must be a non-empty array")
    end
    if #opts.directions > 1 then
      fail(what, "multi-objective studies (several directions) are not supported yet (next slice of issue 4)")
    end
    return {check_direction(what, opts.directions[1])}
  end
  return {check_direction(what, opts.direction or "minimize")}
end

local function new_study(rec, st, opts, what)
  local self = setmetatable({
    name = rec.name, id = rec.id, storage = st, directions = copy(rec.directions),
    sampler = check_sampler(what, opts.sampler), pruner = check_pruner(what, opts.pruner),
    repeats = opts.repeats or false, _stop = false, _kinds = nil, _cache = nil,
    _fixed = copy(rec.system_attrs.fixed_params or {}),
  }, Study)
  self.direction = self.directions[1]
  self._sign = self.direction == "minimize" and 1 or -1
  return self
end

function M.new(opts)
  local what = "knob.study"
  opts = check_opts(what, opts, {"name", "direction", "directions", "sampler", "pruner", "storage",
                                 "load_if_exists", "repeats"})
  local dirs = directions_of(what, opts)
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
    local ok, created = pcall(st.create_study, st, {name = name, directions = dirs})
    -- in a shared storage another process may create it between the two calls: load_if_exists loads it
    rec = ok and created or (opts.load_if_exists and st:load_study(name))
    if not rec then error(created, 0) end
  end
  if rec.directions[1] ~= dirs[1] then
    fail(what, ("study '%s' exists with direction %s (asked: %s)"):format(name, rec.directions[1], dirs[1]))
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
  local best
  for _, r in ipairs(self.storage:trials(self.id, {complete = true})) do
    local v = r.value
    if v == v and (best == nil or self:_better(v, best.value)) then best = r end
  end
  return best
end

--- The best complete trial (a copy; earliest on ties), or nil when no trial is complete.
function Study:best()
  local b = self:_best_record()
  return b and snapshot(b) or nil
end

--- The k best complete trials, best first (ties by trial number).
function Study:top(k)
  if k ~= nil and (math.type(k) ~= "integer" or k < 1) then
    fail("study:top", "k must be an integer >= 1 (got " .. show(k) .. ")")
  end
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

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local map = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
    return map[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local function json_number(v)
  if v ~= v then return "null" end
  if v == math.huge then return '"Infinity"' end
  if v == -math.huge then return '"-Infinity"' end
  if math.type(v) == "integer" then return tostring(v) end
  return core.csv.format_number(v)
end

local function is_array(t)
  local n = #t
  if n == 0 then return false end
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

local function json(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "number" then return json_number(v) end
  if t == "string" then return json_string(v) end
  if t == "boolean" then return tostring(v) end
  if t ~= "table" then return json_string(tostring(v)) end
  local parts = {}
  if is_array(v) then
    for i = 1, #v do parts[i] = json(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  for _, k in ipairs(keys) do parts[#parts + 1] = json_string(tostring(k)) .. ":" .. json(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
M._json = json
M._json_string, M._is_array = json_string, is_array -- shared with knob.storage.sqlite's encoder

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
  local text = ('{"name":%s,"directions":%s,"trials":[%s]}'):format(json(self.name), json_list(self.directions),
                                                                      table.concat(trials, ",\n"))
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
  local header = {"number", "state", "value", "duration"}
  for _, k in ipairs(pnames) do header[#header + 1] = csv_cell("params_" .. k) end
  for _, k in ipairs(unames) do header[#header + 1] = csv_cell("user_attrs_" .. k) end
  header[#header + 1] = "reason"
  local lines = {table.concat(header, ",")}
  for _, r in ipairs(recs) do
    local row = {r.number, r.state, csv_cell(r.value), csv_cell(r.duration)}
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

--- Finish a trial from ask(): tell(trial, value) completes it (NaN fails it), tell(trial, "pruned"),
--- tell(trial, "failed", reason). trial may be the trial number. Returns the finished record (a copy).
function Study:tell(t, result, reason)
  local what = "study:tell"
  local trial = running_trial(self, t, what)
  local state, values
  if type(result) == "number" then
    if result ~= result then
      state, reason = "failed", "objective returned NaN"
    else
      state, values = "complete", {result}
    end
  elseif result == "pruned" or result == "failed" then
    state = result
    if reason ~= nil and type(reason) ~= "string" then fail(what, "reason must be a string (got " .. type(reason) .. ")") end
    if state == "failed" then reason = reason or "failed by tell" end
  else
    fail(what, "expected a number, 'pruned' or 'failed' (got " .. show(result) .. ")")
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
                                 "min_improvement"})
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
  o.n_trials = int_opt("n_trials", 1)
  o.timeout = num_opt("timeout", true)
  o.stop_after = int_opt("stop_after_no_improvement", 1)
  o.min_improvement = num_opt("min_improvement", false) or 0
  local jobs = int_opt("jobs", 1) or 1
  if jobs ~= 1 then fail(what, "option 'jobs' > 1 (worker processes) is not supported yet (next slice); use jobs = 1") end
  if opts.catch ~= nil and type(opts.catch) ~= "boolean" then
    fail(what, "option 'catch' must be a boolean (got " .. type(opts.catch) .. ")")
  end
  o.catch = opts.catch ~= false
  o.callbacks = opts.callbacks or {}
  if type(o.callbacks) ~= "table" then fail(what, "option 'callbacks' must be an array of functions (got " .. type(o.callbacks) .. ")") end
  for i, f in ipairs(o.callbacks) do
    if type(f) ~= "function" then fail(what, ("callback %d must be a function (got %s)"):format(i, type(f))) end
  end
  return o
end

-- Complete `trial` with the value of the cached trial `number`.
function Study:_complete_cached(trial, number)
  local src = self:_cached_value(number)
  self.storage:set_trial_attr(trial.id, "user", "cached_from", number)
  trial.user_attrs.cached_from = number
  return self:_finish(trial, "complete", {src.value}, nil)
end

-- Run one trial of optimize; returns its final record.
function Study:_run_one(objective, o)
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
      return self:_complete_cached(trial, hit)
    end
  end
  local traceback
  local ok, res = xpcall(objective, function(e)
    if type(e) == "string" then traceback = debug.traceback(e, 2) end
    return e
  end, trial)
  if ok then
    if type(res) == "number" and res == res then return self:_finish(trial, "complete", {res}, nil) end
    local why = type(res) == "number" and "objective returned NaN"
      or ("objective returned %s (expected a number)"):format(type(res))
    return self:_finish(trial, "failed", nil, why)
  end
  if res == PRUNED then return self:_finish(trial, "pruned", nil, nil) end
  if getmetatable(res) == CacheHit then return self:_complete_cached(trial, res.number) end
  local msg = error_text(res)
  if traceback then self:set_trial_system_attr(trial, "traceback", traceback) end
  local rec = self:_finish(trial, "failed", nil, msg)
  if res == trial._usage_error or not o.catch then error(res, 0) end
  return rec
end

--- Run trials of objective(trial) -> number; see the options at the top of this file. Returns the study.
function Study:optimize(objective, opts)
  local what = "study:optimize"
  local mt = getmetatable(objective)
  if type(objective) ~= "function" and not (mt and mt.__call) then
    fail(what, "objective must be a function (got " .. type(objective) .. ")")
  end
  local o = check_optimize_opts(what, opts)
  local t0 = clock()
  local n, n_failed, first_failure, stale = 0, 0, nil, 0
  local best = self:_best_record()
  local best_value = best and best.value
  self._stop = false
  while not self._stop do
    if o.n_trials and n >= o.n_trials then break end
    if o.timeout and clock() - t0 >= o.timeout then break end
    local rec = self:_run_one(objective, o)
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
    for _, cb in ipairs(o.callbacks) do cb(self, snapshot(rec)) end
    if o.stop_after and stale >= o.stop_after then break end
  end
  self._stop = false
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
