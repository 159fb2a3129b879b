-- knob.storage.memory — the in-memory backend of the storage interface (see knob/storage/init.lua).
-- Everything lives in Lua tables of this process; it is lost when the process ends.
local Memory = {}
Memory.__index = Memory

local M = {}

function M.new()
  return setmetatable({studies = {}, order = {}, by_name = {}, trials_by_id = {}, next_study = 1, next_trial = 1},
                      Memory)
end

local function fail(msg)
  error("storage (memory): " .. msg, 0)
end

local function study_of(self, id)
  local s = self.studies[id]
  if not s then fail("no study with id " .. tostring(id)) end
  return s
end

function Memory:create_study(t)
  if type(t.name) ~= "string" then fail("a study name must be a string") end
  if self.by_name[t.name] then fail("study '" .. t.name .. "' already exists") end
  local s = {id = self.next_study, name = t.name, directions = t.directions or {"minimize"},
             user_attrs = t.user_attrs or {}, system_attrs = t.system_attrs or {}, trials = {}, waiting = {}}
  self.next_study = self.next_study + 1
  self.studies[s.id] = s
  self.by_name[s.name] = s
  self.order[#self.order + 1] = s.id
  return s
end

function Memory:load_study(name)
  return self.by_name[name]
end

function Memory:list_studies()
  local out = {}
  for _, id in ipairs(self.order) do
    if self.studies[id] then out[#out + 1] = self.studies[id] end
  end
  return out
end

function Memory:delete_study(id)
  local s = study_of(self, id)
  for _, t in ipairs(s.trials) do self.trials_by_id[t.id] = nil end
  self.studies[id] = nil
  self.by_name[s.name] = nil
end

local function set_attr(target, kind, key, value)
  if kind ~= "user" and kind ~= "system" then fail("attribute kind must be 'user' or 'system' (got " .. tostring(kind) .. ")") end
  if type(key) ~= "string" then fail("attribute keys must be strings (got " .. type(key) .. ")") end
  target[kind .. "_attrs"][key] = value
end

function Memory:set_study_attr(id, kind, key, value)
  set_attr(study_of(self, id), kind, key, value)
end

function Memory:add_trial(study_id, t)
  local s = study_of(self, study_id)
  t = t or {}
  local state = t.state or "running"
  if state ~= "running" and state ~= "waiting" then fail("a new trial is running or waiting (got " .. tostring(state) .. ")") end
  local r = {id = self.next_trial, study_id = study_id, number = #s.trials, state = state, params = {},
             distributions = {}, param_order = {}, intermediate = {}, user_attrs = t.user_attrs or {},
             system_attrs = t.system_attrs or {}, datetime_start = state == "running" and os.time() or nil}
  self.next_trial = self.next_trial + 1
  s.trials[#s.trials + 1] = r
  self.trials_by_id[r.id] = r
  if state == "waiting" then s.waiting[#s.waiting + 1] = r end
  return r
end

function Memory:pop_waiting(study_id)
  local s = study_of(self, study_id)
  local r = table.remove(s.waiting, 1)
  if not r then return nil end
  r.state = "running"
  r.datetime_start = os.time()
  return r
end

function Memory:get_trial(id)
  local r = self.trials_by_id[id]
  if not r then fail("no trial with id " .. tostring(id)) end
  return r
end

local function running(self, id, what)
  local r = Memory.get_trial(self, id)
  if r.state ~= "running" then
    fail(("%s: trial %d is %s, not running"):format(what, r.number, r.state))
  end
  return r
end

function Memory:set_param(id, name, value, dist)
  local r = running(self, id, "set_param")
  if r.params[name] == nil then r.param_order[#r.param_order + 1] = name end
  r.params[name] = value
  r.distributions[name] = dist
end

function Memory:report_intermediate(id, step, value)
  local r = running(self, id, "report_intermediate")
  r.intermediate[step] = value
  if r.last_step == nil or step > r.last_step then r.last_step = step end
end

function Memory:set_trial_attr(id, kind, key, value)
  set_attr(Memory.get_trial(self, id), kind, key, value)
end

local terminal = {complete = true, pruned = true, failed = true}

function Memory:update_trial(id, u)
  local r = running(self, id, "update_trial")
  if not terminal[u.state] then fail("update_trial: state must be complete, pruned or failed (got " .. tostring(u.state) .. ")") end
  if u.state == "complete" and type(u.values) ~= "table" then fail("update_trial: a complete trial needs values") end
  r.state = u.state
  r.values = u.values
  r.value = u.values and u.values[1] or nil
  r.reason = u.reason
  r.duration = u.duration
  r.datetime_complete = os.time()
end

local function wanted(states, r)
  return states == nil or states[r.state]
end

function Memory:trials(study_id, states)
  local s = study_of(self, study_id)
  if states == nil then return s.trials end
  local out = {}
  for _, r in ipairs(s.trials) do
    if states[r.state] then out[#out + 1] = r end
  end
  return out
end

function Memory:count_trials(study_id, states)
  local s = study_of(self, study_id)
  if states == nil then return #s.trials end
  local n = 0
  for _, r in ipairs(s.trials) do
    if wanted(states, r) then n = n + 1 end
  end
  return n
end

function Memory:close() end

function Memory:__tostring()
  local n = 0
  for _ in pairs(self.studies) do n = n + 1 end
  return ("knob.storage.memory<%d studies>"):format(n)
end

return M
