-- knob.workers — trials in worker processes: study:optimize(objective, {jobs = N, trial_timeout =,
-- trial_memory =}) runs here (knob.study calls workers.run; it is not meant to be called directly).
--
-- How it works. The parent process owns the study and its storage. For each trial it asks the sampler
-- (study:_start_trial: enqueued/fixed values, relative sampling, the cache), takes a snapshot of the
-- study's trial records, and forks a worker (knob.core.proc). The fork copies the Lua state, so the worker
-- calls the objective directly on its copy of the trial; its study reads the snapshot (a proxy storage:
-- the worker never touches the parent's database connection) and every write -- a suggested parameter, a
-- report() value, a user or system attribute -- is applied to the snapshot and sent to the parent as a
-- message, which the parent writes to the real storage at once (so nothing reported is lost when a worker
-- dies). trial:should_prune() asks the parent: a round trip over the down pipe, where the parent runs the
-- study's pruner on the trial's stored record -- the pruner sees every trial finished so far, also those of
-- the other workers since the fork. study:stop() in a worker is sent to the parent too. The worker ends by
-- sending the outcome (value, pruned, failed with the error message and traceback, or a cache hit) and
-- exiting with _exit; the parent finishes the trial in storage and calls the sampler's after_trial.
--
-- Failures. A worker that dies without an outcome fails its trial with the cause: "killed by signal 11
-- (SIGSEGV)", "the worker process exited with status 3" (os.exit in the objective), "exceeded the trial time
-- limit of 2 s" (trial_timeout: the parent kills it with SIGKILL at the deadline). trial_memory = MB caps
-- how much a worker's address space may grow beyond its size at the fork (RLIMIT_AS; the data the parent
-- had loaded is shared, not counted): an allocation beyond it fails, and the trial fails with "exceeded the
-- memory limit of 512 MB (not enough memory)"; a worker killed by a signal under a memory limit says so in
-- its reason. A Lua error in the objective fails the trial as in-process (reason and traceback); misuse
-- errors, and with catch = false any failure, are raised by optimize once the running trials have
-- finished. The parent never dies of a worker's failure; if the parent itself raises (a callback's error),
-- the running workers are killed and their trials failed with "the study stopped: <error>".
--
-- Threads. Each worker gets max(1, floor(T / jobs)) threads for the core's pool (GBDT, forests, ...) and
-- for OpenBLAS, T being the pool's default (KNOB_THREADS, else the CPU count), so trials x threads do not
-- oversubscribe the machine. workers.plan_threads(jobs) tells the number.
--
-- Samplers. Independent sampling happens in the worker, on a copy of the sampler: the built-in samplers
-- derive each trial's random stream from (seed, trial number) (knob.samplers.trial_rng), so workers do not
-- repeat each other's draws and jobs = 1 gives the same study in or out of a worker process. Running trials
-- are in every snapshot with the parameters they have suggested so far, so tpe{constant_liar = true} keeps
-- parallel workers from proposing the same configuration.
local core = require "knob.core"

local proc = core.proc
local M = {}

---------------------------------------------------------------------------------------------------------------
-- Messages: Lua values as bytes (numbers exact: integers as 8-byte integers, floats as IEEE doubles)
---------------------------------------------------------------------------------------------------------------

local pack, unpack = string.pack, string.unpack

local function encode_into(v, out)
  local t = type(v)
  if t == "nil" then
    out[#out + 1] = "0"
  elseif t == "boolean" then
    out[#out + 1] = v and "t" or "f"
  elseif t == "number" then
    out[#out + 1] = math.type(v) == "integer" and pack("<c1j", "i", v) or pack("<c1d", "d", v)
  elseif t == "string" then
    out[#out + 1] = pack("<c1s4", "s", v)
  elseif t == "table" then
    local n = 0
    for _ in pairs(v) do n = n + 1 end
    out[#out + 1] = pack("<c1I4", "T", n)
    for k, x in pairs(v) do
      encode_into(k, out)
      encode_into(x, out)
    end
  else
    error("knob.workers: cannot send a " .. t .. " value to the parent process", 0)
  end
end

--- Bytes for a value (nil, boolean, number, string, or tables of those).
function M.encode(v)
  local out = {}
  encode_into(v, out)
  return table.concat(out)
end

local function decode_at(s, i)
  local tag = s:sub(i, i)
  if tag == "0" then return nil, i + 1 end
  if tag == "t" then return true, i + 1 end
  if tag == "f" then return false, i + 1 end
  if tag == "i" then return unpack("<j", s, i + 1) end
  if tag == "d" then return unpack("<d", s, i + 1) end
  if tag == "s" then return unpack("<s4", s, i + 1) end
  if tag == "T" then
    local n, j = unpack("<I4", s, i + 1)
    local t = {}
    for _ = 1, n do
      local k, x
      k, j = decode_at(s, j)
      x, j = decode_at(s, j)
      t[k] = x
    end
    return t, j
  end
  error("knob.workers: a malformed message (tag " .. ("%q"):format(tag) .. " at byte " .. i .. ")", 0)
end

--- The value encoded in bytes s.
function M.decode(s)
  local v, j = decode_at(s, 1)
  if j ~= #s + 1 then error("knob.workers: a malformed message (" .. (#s + 1 - j) .. " bytes left over)", 0) end
  return v
end

local function send(w, msg)
  local ok, err = w:send(M.encode(msg))
  if not ok then error("knob.workers: the parent process is gone (" .. tostring(err) .. ")", 0) end
end

--- Threads per worker for `jobs` workers: max(1, floor(T / jobs)), T = the core pool's default.
function M.plan_threads(jobs)
  local pool = proc.threads()
  return math.max(1, pool // jobs)
end

---------------------------------------------------------------------------------------------------------------
-- The worker side
---------------------------------------------------------------------------------------------------------------

local NO = function() error("knob.workers: this storage operation is not available inside a worker process", 0) end

-- A storage over a snapshot of the study's trials; writes are applied locally and sent to the parent.
local function proxy_storage(recs, study_rec, w)
  local by_id = {}
  for _, r in ipairs(recs) do by_id[r.id] = r end
  local function rec_of(id)
    local r = by_id[id]
    if not r then error("storage (worker): no trial with id " .. tostring(id), 0) end
    return r
  end
  local st = {}
  function st.trials(_, _, states)
    if not states then return recs end
    local out = {}
    for _, r in ipairs(recs) do
      if states[r.state] then out[#out + 1] = r end
    end
    return out
  end
  function st.count_trials(self, id, states) return #self:trials(id, states) end
  function st.get_trial(_, id) return rec_of(id) end
  function st.load_study() return study_rec end
  function st.list_studies() return {study_rec} end
  function st.set_param(_, id, name, value, dist)
    local r = rec_of(id)
    if r.params[name] == nil then r.param_order[#r.param_order + 1] = name end
    r.params[name], r.distributions[name] = value, dist
    send(w, {"param", name, value, dist})
  end
  function st.report_intermediate(_, id, step, value)
    local r = rec_of(id)
    r.intermediate[step] = value
    if r.last_step == nil or step > r.last_step then r.last_step = step end
    send(w, {"report", step, value})
  end
  function st.set_trial_attr(_, id, kind, key, value)
    local r = rec_of(id)
    r[kind .. "_attrs"][key] = value
    send(w, {"attr", kind, key, value})
  end
  function st.set_study_attr(_, _, kind, key, value)
    study_rec[kind .. "_attrs"][key] = value
    send(w, {"study_attr", kind, key, value})
  end
  st.create_study, st.delete_study, st.add_trial, st.pop_waiting, st.update_trial = NO, NO, NO, NO, NO
  function st.close() end
  return st
end

local function is_memory_error(msg)
  local m = msg:lower()
  return m:find("not enough memory", 1, true) or m:find("out of memory", 1, true)
end

-- Run the trial in this (child) process and exit; never returns.
local function worker_main(study, trial, objective, w, recs, study_rec, o, threads)
  local code = 0
  local ok, err = pcall(function()
    proc.set_threads(threads)
    study.storage = proxy_storage(recs, study_rec, w)
    study._kinds = nil -- rebuilt from the snapshot
    study.pruner = {prune = function()
      send(w, {"prune"})
      local reply = w:recv(true)
      if reply == nil then error("knob.workers: the parent process is gone", 0) end
      local r = M.decode(reply)
      if not r[1] then error(r[2], 0) end
      return r[2]
    end}
    study.stop = function() send(w, {"stop"}) end
    local out = study:_evaluate(objective, trial)
    out.error = nil
    if out.state == "failed" and out.raised and o.trial_memory and is_memory_error(out.reason) then
      out.reason = ("exceeded the memory limit of %g MB (%s)"):format(o.trial_memory, out.reason)
    end
    collectgarbage()
    send(w, {"done", out})
  end)
  if not ok then
    code = 1
    pcall(send, w, {"done", {state = "failed", raised = true, reason = "knob.workers: " .. tostring(err)}})
  end
  w:exit(code)
end

---------------------------------------------------------------------------------------------------------------
-- The parent side
---------------------------------------------------------------------------------------------------------------

local error_text = function(e)
  if type(e) == "string" then return e end
  return tostring(e)
end

-- Apply one message of a worker (slot) to the storage.
local function handle(study, slot, m)
  local kind, trial, st = m[1], slot.trial, study.storage
  if kind == "param" then
    st:set_param(trial.id, m[2], m[3], m[4])
    trial.params[m[2]], trial.distributions[m[2]] = m[3], m[4]
  elseif kind == "report" then
    st:report_intermediate(trial.id, m[2], m[3])
  elseif kind == "attr" then
    st:set_trial_attr(trial.id, m[2], m[3], m[4])
    if m[2] == "user" then trial.user_attrs[m[3]] = m[4] end
  elseif kind == "study_attr" then
    st:set_study_attr(study.id, m[2], m[3], m[4])
  elseif kind == "prune" then
    local p = study.pruner
    local ok, res = pcall(p.prune, p, study, st:get_trial(trial.id))
    local reply = ok and {true, res == true} or {false, error_text(res)}
    slot.w:send(M.encode(reply)) -- a worker that died meanwhile is reaped below
  elseif kind == "stop" then
    study:stop()
  elseif kind == "done" then
    slot.out = m[2]
  else
    error("knob.workers: unknown message " .. tostring(kind), 0)
  end
end

-- The worker of slot has ended: reap it and finish its trial. Returns the record and an error to raise.
local function finish(study, slot, o)
  local e = slot.w:reap()
  slot.w:close()
  local out = slot.out
  if not out then
    out = {state = "failed", raised = true,
           reason = e.reason ~= "" and e.reason or "the worker process ended without a result"}
  end
  local ok, err = pcall(study._apply_outcome, study, slot.trial, out, o)
  return study.storage:get_trial(slot.trial.id), (not ok) and err or nil
end

--- Run trials in worker processes until run.more(started) is false; run.done(record) after each trial.
function M.run(study, objective, o, run)
  local threads = M.plan_threads(o.jobs)
  local study_rec = study.storage:load_study(study.name)
  local slots, started, failure = {}, 0, nil
  local limits = {time_limit = o.trial_timeout, memory_limit = o.trial_memory}

  local function start_one()
    local trial, rec = study:_start_trial()
    started = started + 1
    if rec then return run.done(rec) end
    local recs = study.storage:trials(study.id)
    local w, is_child = proc.fork(limits)
    if not w then
      local r, err = nil, nil
      local ok, e = pcall(study._apply_outcome, study, trial,
                          {state = "failed", raised = true, reason = "could not start a worker: " .. tostring(is_child)}, o)
      r, err = study.storage:get_trial(trial.id), (not ok) and e or nil
      failure = failure or err
      return run.done(r)
    end
    if is_child then worker_main(study, trial, objective, w, recs, study_rec, o, threads) end
    slots[#slots + 1] = {w = w, trial = trial}
  end

  local function drain(slot)
    while true do
      local m = slot.w:recv()
      if m == false then return false end
      if m == nil then return true end
      handle(study, slot, M.decode(m))
    end
  end

  local ok, err = pcall(function()
    while true do
      while failure == nil and #slots < o.jobs and run.more(started) do start_one() end
      if #slots == 0 then break end
      local ws = {}
      for i, s in ipairs(slots) do ws[i] = s.w end
      proc.poll(ws)
      for i = #slots, 1, -1 do
        local slot = slots[i]
        if drain(slot) then
          table.remove(slots, i)
          local rec, e = finish(study, slot, o)
          if e then failure = failure or e else run.done(rec) end
        end
      end
    end
  end)
  study._kinds = nil -- parameters first seen in workers: rebuild from storage when next needed
  if not ok then
    local why = "the study stopped: " .. error_text(err)
    for _, slot in ipairs(slots) do
      slot.w:kill(why)
      slot.out = nil
      pcall(finish, study, slot, {catch = true})
    end
    error(err, 0)
  end
  if failure ~= nil then error(failure, 0) end
end

---------------------------------------------------------------------------------------------------------------
-- A parallel map over worker processes
---------------------------------------------------------------------------------------------------------------

--- results[i] = fn(i) for i = 1..n, computed in up to `jobs` worker processes (each with plan_threads(jobs)
--- threads); a result must be plain data (nil, booleans, numbers, strings, tables of those). An error in
--- fn(i), or a worker that dies, raises "knob.workers.map: item i: <why>" (the lowest such i among the items
--- started) after the running workers end; no item starts after a failure.
--- jobs = 1 runs fn in this process.
function M.map(jobs, n, fn)
  local results = {}
  if jobs <= 1 or n <= 1 then
    for i = 1, n do results[i] = fn(i) end
    return results
  end
  local threads = M.plan_threads(jobs)
  local slots, next_i, failure, failure_i = {}, 1, nil, nil
  local function start(i)
    local w, is_child = proc.fork{}
    if not w then error("knob.workers.map: could not start a worker: " .. tostring(is_child), 0) end
    if is_child then
      proc.set_threads(threads)
      local ok, res = pcall(fn, i)
      local sent = pcall(send, w, ok and {true, res} or {false, error_text(res)})
      w:exit((ok and sent) and 0 or 1)
    end
    slots[#slots + 1] = {w = w, i = i, buf = {}}
  end
  local ok, err = pcall(function()
    while true do
      while failure == nil and #slots < jobs and next_i <= n do
        start(next_i)
        next_i = next_i + 1
      end
      if #slots == 0 then break end
      local ws = {}
      for k, sl in ipairs(slots) do ws[k] = sl.w end
      proc.poll(ws)
      for k = #slots, 1, -1 do
        local sl = slots[k]
        local ended = false
        while true do
          local m = sl.w:recv()
          if m == false then break end
          if m == nil then ended = true break end
          sl.msg = M.decode(m)
        end
        if ended then
          table.remove(slots, k)
          local e = sl.w:reap()
          sl.w:close()
          if sl.msg and sl.msg[1] then
            results[sl.i] = sl.msg[2]
          else
            -- the lowest failing item is reported, whichever worker ended first
            if failure == nil or sl.i < failure_i then
              failure_i = sl.i
              failure = ("knob.workers.map: item %d: %s"):format(sl.i,
                sl.msg and sl.msg[2] or (e.reason ~= "" and e.reason or "the worker ended without a result"))
            end
          end
        end
      end
    end
  end)
  if not ok then
    for _, sl in ipairs(slots) do sl.w:kill("stopped") sl.w:reap() sl.w:close() end
    error(err, 0)
  end
  if failure then error(failure, 0) end
  return results
end

return M
