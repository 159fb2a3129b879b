-- knob.storage — where studies and trials live, behind one interface.
--
--   storage.open(spec [, what [, opts]]) -> backend
--                                      spec: nil or "memory" (a new in-memory backend), a backend table
--                                      (returned as is after storage.check), "sqlite:path.db" (a file;
--                                      knob.storage.sqlite: shared by processes, survives crashes),
--                                      "postgresql://user@host/db" (knob.storage.postgres: shared by
--                                      workers on many machines); opts (database backends):
--                                      {heartbeat_grace = 60, max_retries = 2}, see knob.storage.sqlite
--   storage.check(backend)             raise unless every method below is a function
--   storage.STATES                     {"waiting", "running", "complete", "pruned", "failed"}
--
-- The interface. A backend is a table of methods (called with `:`); the memory backend
-- (knob.storage.memory) implements it, and the SQLite (knob.storage.sqlite) and PostgreSQL (issue 7)
-- backends implement the same calls with the same semantics, so a study never knows which one it has.
--
-- Studies
--   create_study{name =, directions = {"minimize"|"maximize", ...}, user_attrs =, system_attrs =}
--                                    -> study record; raises "study 'x' already exists" for a taken name
--   load_study(name)                 -> study record, or nil when there is none (a database backend
--                                    marks failed, and re-enqueues, the running trials whose owner is
--                                    gone: "process died" / "worker lost: no heartbeat for N s")
--   list_studies()                   -> array of study records, by creation order
--   delete_study(study_id)           removes the study and its trials
--   set_study_attr(study_id, kind, key, value)      kind "user" or "system"
--   A study record: {id, name, directions, user_attrs = {}, system_attrs = {}}.
--
-- Trials (numbers are 0-based and consecutive per study, in creation order, like Optuna's)
--   add_trial(study_id, {state = "running"|"waiting", system_attrs =, user_attrs =})  -> trial record
--                                    the backend assigns id and number atomically (several processes may
--                                    share a study); datetime_start is set for a running trial
--   pop_waiting(study_id)            -> the oldest waiting trial, now running (claimed atomically), or nil
--   get_trial(trial_id)              -> trial record (raises for an unknown id)
--   set_param(trial_id, name, value, distribution)     a running trial only; value in external form
--   report_intermediate(trial_id, step, value)          a running trial only; step an integer >= 0
--   set_trial_attr(trial_id, kind, key, value)          kind "user" or "system"
--   update_trial(trial_id, {state =, values =, reason =, duration =})
--                                    finish a running trial: state "complete" (values required, an array
--                                    of numbers, one per direction), "pruned" or "failed" (reason: the
--                                    message); raises for a trial that is already finished
--   trials(study_id, states)         -> array of trial records in number order; states nil (all) or a set
--                                    {complete = true, ...}
--   count_trials(study_id, states)   -> number of trials (same states argument)
--   close()                          release the backend (idempotent)
-- Database backends also have heartbeat(trial_id) (refresh a running trial's heartbeat) and shared = true
-- (other processes may change the study: knob.study refreshes its configuration cache per trial).
--
-- A trial record: {id, study_id, number, state, values (array or nil), value (= values[1]), params =
-- {name = value}, distributions = {name = distribution}, param_order = {names in suggestion order},
-- intermediate = {[step] = value}, last_step (nil when nothing was reported), user_attrs = {},
-- system_attrs = {}, reason (failed trials), datetime_start, datetime_complete (os.time() seconds),
-- duration (seconds on the monotonic clock)}.
--
-- Records returned by a backend are READ-ONLY for the caller: the memory backend returns its own tables
-- (no copying on the hot path of a sampler), a database backend returns fresh ones. Attribute values and
-- categorical choices are JSON-like: numbers, strings, booleans, and arrays/tables of those.
local storage = {}

storage.STATES = {"waiting", "running", "complete", "pruned", "failed"}

storage.METHODS = {
  "create_study", "load_study", "list_studies", "delete_study", "set_study_attr",
  "add_trial", "pop_waiting", "get_trial", "set_param", "report_intermediate", "set_trial_attr",
  "update_trial", "trials", "count_trials", "close",
}

function storage.check(backend, what)
  what = what or "knob.storage"
  if type(backend) ~= "table" then error(what .. ": a storage backend must be a table (got " .. type(backend) .. ")", 0) end
  local missing = {}
  for _, m in ipairs(storage.METHODS) do
    if type(backend[m]) ~= "function" then missing[#missing + 1] = m end
  end
  if #missing > 0 then
    error(what .. ": the storage backend lacks " .. table.concat(missing, ", "), 0)
  end
  return backend
end

function storage.open(spec, what, opts)
  what = what or "knob.storage.open"
  if spec == nil or spec == "memory" then return require("knob.storage.memory").new() end
  if type(spec) == "table" then return storage.check(spec, what) end
  if type(spec) == "string" then
    local path = spec:match("^sqlite:(.*)$")
    if path then
      if path == "" then error(what .. ": storage 'sqlite:' needs a file path (\"sqlite:path.db\")", 0) end
      return require("knob.storage.sqlite").open(path, opts)
    end
    if spec:match("^postgresql://") or spec:match("^postgres://") then return require("knob.storage.postgres").open(spec, opts) end
    local shown = spec:gsub("^(%a[%w+.-]*://[^:@/]*:)[^@/]*@", "%1***@") -- never show a password
    error(what .. ": unknown storage '" .. shown .. "' (valid: \"memory\", \"sqlite:path.db\", " ..
          "\"postgresql://user@host/db\", a backend table)", 0)
  end
  error(what .. ": storage must be nil, \"memory\", \"sqlite:path.db\", \"postgresql://...\" or a backend table (got " ..
        type(spec) .. ")", 0)
end

return storage
