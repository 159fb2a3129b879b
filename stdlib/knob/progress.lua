-- knob.progress — a one-line progress bar for a terminal: items done / total, the best value so far,
-- failures, elapsed time and an ETA. study:optimize uses it (option progress = false turns it off); any
-- workflow can too.
--
--   local bar = knob.progress.new{total =, time_limit =, label =, enabled =, stream =, clock =, width =,
--                                 interval =}
--   bar:update{done =, best =, failed =}     redraw (at most every `interval` seconds, and always at the end)
--   bar:finish()                             draw the final state and end the line (idempotent)
--   bar.enabled                              false when the bar draws nothing
--   knob.progress.format_time(seconds) -> "0:42", "12:05", "1:02:03"
--
-- Options. total: the number of items (an integer >= 1) or nil when unknown; time_limit: seconds the whole
-- run may take (a number > 0) or nil; label: a string shown first; enabled: true / false, or nil = only when
-- stdout is a terminal (knob.sys.isatty), so that logs and pipes get no control characters; stream: where to
-- draw (an object with write and flush; default io.stdout); clock: a function returning seconds (default the
-- monotonic clock); width: the bar's width in characters (default 24); interval: the least time between two
-- redraws, in seconds (default 0.1).
--
-- The ETA is elapsed / done * (total - done) when total is known, capped by the time limit left; with only a
-- time limit it is the time left; with neither there is none. The line is redrawn in place with "\r".
local core = require "knob.core"

local M = {}
local Bar = {}
Bar.__index = Bar

local function fail(msg)
  error("knob.progress.new: " .. msg, 0)
end

--- Seconds as m:ss or h:mm:ss (rounded to the second); "?" for a negative, NaN or infinite value.
function M.format_time(s)
  if type(s) ~= "number" or s ~= s or s < 0 or s == math.huge then return "?" end
  local t = math.floor(s + 0.5)
  local h, m, sec = t // 3600, (t % 3600) // 60, t % 60
  if h > 0 then return ("%d:%02d:%02d"):format(h, m, sec) end
  return ("%d:%02d"):format(m, sec)
end

local VALID = {total = true, time_limit = true, label = true, enabled = true, stream = true, clock = true, width = true,
               interval = true}

function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then fail("options must be a table (got " .. type(opts) .. ")") end
  for k in pairs(opts) do
    if not VALID[k] then
      fail(("unknown option '%s' (valid: clock, enabled, interval, label, stream, time_limit, total, width)"):format(tostring(k)))
    end
  end
  local total, tl = opts.total, opts.time_limit
  if total ~= nil and (math.type(total) ~= "integer" or total < 1) then
    fail("option 'total' must be an integer >= 1 (got " .. tostring(total) .. ")")
  end
  if tl ~= nil and (type(tl) ~= "number" or not (tl > 0)) then
    fail("option 'time_limit' must be a number > 0 (got " .. tostring(tl) .. ")")
  end
  if opts.label ~= nil and type(opts.label) ~= "string" then fail("option 'label' must be a string (got " .. type(opts.label) .. ")") end
  if opts.enabled ~= nil and type(opts.enabled) ~= "boolean" then
    fail("option 'enabled' must be a boolean (got " .. type(opts.enabled) .. ")")
  end
  if opts.clock ~= nil and type(opts.clock) ~= "function" then fail("option 'clock' must be a function (got " .. type(opts.clock) .. ")") end
  local width = opts.width or 24
  if math.type(width) ~= "integer" or width < 1 or width > 200 then
    fail("option 'width' must be an integer in [1, 200] (got " .. tostring(width) .. ")")
  end
  local interval = opts.interval or 0.1
  if type(interval) ~= "number" or not (interval >= 0) then
    fail("option 'interval' must be a number >= 0 (got " .. tostring(interval) .. ")")
  end
  local stream = opts.stream or io.stdout
  local enabled = opts.enabled
  if enabled == nil then enabled = core.sys.isatty("stdout") end
  local clock = opts.clock or core.sys.clock
  return setmetatable({total = total, time_limit = tl, label = opts.label, enabled = enabled, stream = stream,
                       clock = clock, width = width, interval = interval, t0 = clock(), last = nil, done = 0,
                       best = nil, failed = 0, shown = 0, finished = false}, Bar)
end

local function show_number(v)
  if math.type(v) == "integer" then return tostring(v) end
  return ("%.6g"):format(v)
end

-- The text of the bar at time `now`.
function Bar:line(now)
  local elapsed = now - self.t0
  local parts = {}
  if self.label then parts[#parts + 1] = self.label end
  local done, total = self.done, self.total
  if total then
    local filled = math.min(self.width, math.floor(self.width * done / total))
    parts[#parts + 1] = "[" .. ("#"):rep(filled) .. ("-"):rep(self.width - filled) .. "]"
    parts[#parts + 1] = ("%d/%d"):format(done, total)
  else
    parts[#parts + 1] = ("%d done"):format(done)
  end
  if self.best ~= nil then parts[#parts + 1] = "best " .. show_number(self.best) end
  if self.failed > 0 then parts[#parts + 1] = self.failed .. " failed" end
  parts[#parts + 1] = "elapsed " .. M.format_time(elapsed)
  local eta
  if total and done > 0 then eta = elapsed / done * (total - done) end
  if self.time_limit then
    local left = math.max(0, self.time_limit - elapsed)
    if eta == nil or left < eta then eta = left end
  end
  if eta and not self.finished then parts[#parts + 1] = "ETA " .. M.format_time(eta) end
  return table.concat(parts, "  ")
end

function Bar:_draw(now)
  local text = self:line(now)
  local pad = math.max(0, self.shown - #text)
  self.stream:write("\r" .. text .. (" "):rep(pad))
  if self.stream.flush then self.stream:flush() end
  self.shown = #text
  self.last = now
end

--- Record progress (fields done, best, failed; each optional) and redraw if enough time has passed.
function Bar:update(t)
  if type(t) ~= "table" then error("bar:update: expected a table {done =, best =, failed =} (got " .. type(t) .. ")", 0) end
  for _, k in ipairs{"done", "failed"} do
    local v = t[k]
    if v ~= nil and (math.type(v) ~= "integer" or v < 0) then
      error(("bar:update: '%s' must be an integer >= 0 (got %s)"):format(k, tostring(v)), 0)
    end
  end
  if t.best ~= nil and type(t.best) ~= "number" then error("bar:update: 'best' must be a number (got " .. type(t.best) .. ")", 0) end
  self.done, self.failed = t.done or self.done, t.failed or self.failed
  if t.best ~= nil then self.best = t.best end
  if not self.enabled or self.finished then return end
  local now = self.clock()
  if self.last == nil or now - self.last >= self.interval or (self.total and self.done >= self.total) then
    self:_draw(now)
  end
end

--- Draw the final state and end the line.
function Bar:finish()
  if self.finished then return end
  self.finished = true
  if not self.enabled or self.last == nil then return end
  self:_draw(self.clock())
  self.stream:write("\n")
  if self.stream.flush then self.stream:flush() end
end

function Bar:__tostring()
  return ("knob.progress<%d%s%s>"):format(self.done, self.total and ("/" .. self.total) or "",
                                          self.enabled and "" or ", disabled")
end

return M
