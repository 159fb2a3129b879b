-- knob.sys — timing and memory: a monotonic clock, CPU time, resident memory, CPU count.
local core = require "knob.core"
local sys = {}
for k, v in pairs(core.sys) do sys[k] = v end

--- Run fn(...) and return (seconds elapsed on the monotonic clock, fn's results...).
function sys.time(fn, ...)
  local t0 = core.sys.clock()
  local r = table.pack(fn(...))
  return core.sys.clock() - t0, table.unpack(r, 1, r.n)
end

return sys
