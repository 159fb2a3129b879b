-- progress_spec.lua — knob.progress (the terminal progress bar) and knob.sys.isatty. Expected lines are
-- written by hand from the format: label, [bar], done/total, best, failures, elapsed m:ss, ETA m:ss, where
-- ETA = elapsed / done * (total - done) (capped by the time limit left).
local knob = require "knob"
local progress = knob.progress

-- A stream that records what is written, and a clock we move by hand.
local function fake()
  local s = {out = {}}
  function s:write(x) self.out[#self.out + 1] = x end
  function s:flush() end
  function s:text() return table.concat(self.out) end
  local now = 100
  local clock = function() return now end
  local set = function(t) now = t end
  return s, clock, set
end

describe("knob.progress", function()
  it("formats times", function()
    assert.equals("0:00", progress.format_time(0))
    assert.equals("0:42", progress.format_time(42.4))
    assert.equals("12:05", progress.format_time(725))
    assert.equals("1:02:03", progress.format_time(3723))
    assert.equals("?", progress.format_time(-1))
    assert.equals("?", progress.format_time(0 / 0))
    assert.equals("?", progress.format_time(math.huge))
  end)

  it("draws done/total, best, failures, elapsed and ETA, in place", function()
    local s, clock, set = fake()
    local bar = progress.new{total = 4, label = "bc", stream = s, clock = clock, enabled = true, width = 8}
    set(110)
    bar:update{done = 1, best = 0.5, failed = 0}
    -- elapsed 10 s for 1 of 4: ETA 10 / 1 * 3 = 30 s
    assert.equals("\rbc  [##------]  1/4  best 0.5  elapsed 0:10  ETA 0:30", s:text())
    set(110.05) -- within the redraw interval: nothing drawn
    bar:update{done = 2, best = 0.25, failed = 1}
    assert.equals(1, #s.out)
    set(120)
    bar:update{done = 3}
    -- 20 s for 3: ETA 20 / 3 * 1 = 6.67 -> 0:07
    assert.equals("\rbc  [######--]  3/4  best 0.25  1 failed  elapsed 0:20  ETA 0:07", s.out[2])
    set(125)
    bar:update{done = 4, best = 0.125}
    bar:finish()
    bar:finish()
    -- the update at 4/4 draws at once (ETA 0:00); finish draws the final line without an ETA and ends it
    assert.equals("\rbc  [########]  4/4  best 0.125  1 failed  elapsed 0:25  ETA 0:00", s.out[3])
    assert.equals("\rbc  [########]  4/4  best 0.125  1 failed  elapsed 0:25", (s.out[4]:gsub("%s+$", "")))
    assert.equals("\n", s.out[5])
    assert.equals(5, #s.out)
    assert.equals("knob.progress<4/4>", tostring(bar))
  end)

  it("pads a shorter line over a longer one", function()
    local s, clock, set = fake()
    local bar = progress.new{stream = s, clock = clock, enabled = true, interval = 0}
    set(100)
    bar:update{done = 9, best = 123456, failed = 3}
    bar:update{done = 10, failed = 0}
    assert.equals("\r9 done  best 123456  3 failed  elapsed 0:00", s.out[1])
    local second = s.out[2]
    assert.equals(#s.out[1], #second)
    assert.equals("\r10 done  best 123456  elapsed 0:00", second:gsub("%s+$", ""))
  end)

  it("uses the time limit for the ETA", function()
    local s, clock, set = fake()
    local bar = progress.new{time_limit = 60, stream = s, clock = clock, enabled = true}
    set(115)
    bar:update{done = 2}
    assert.equals("\r2 done  elapsed 0:15  ETA 0:45", s:text())
    local s2, clock2, set2 = fake()
    local capped = progress.new{total = 100, time_limit = 60, stream = s2, clock = clock2, enabled = true, width = 1}
    set2(110)
    capped:update{done = 1} -- 10 s per trial would be 990 s; the limit leaves 50
    assert.equals("\r[-]  1/100  elapsed 0:10  ETA 0:50", s2:text())
  end)

  it("is silent when disabled, and by default when stdout is not a terminal", function()
    local s, clock = fake()
    local bar = progress.new{total = 2, stream = s, clock = clock, enabled = false}
    bar:update{done = 1}
    bar:finish()
    assert.equals("", s:text())
    assert.is_false(bar.enabled)
    assert.equals("knob.progress<1/2, disabled>", tostring(bar))
    -- the suite's stdout is a file or a pipe under make test; isatty tells which
    local auto = progress.new{stream = s}
    assert.equals(knob.sys.isatty("stdout"), auto.enabled)
  end)

  it("stays silent in optimize when stdout is not a terminal or progress = false", function()
    local st = knob.study{sampler = knob.samplers.random{seed = 1}, pruner = knob.pruners.none()}
    st:optimize(function(t) return t:suggest_float("x", 0, 1) end, {n_trials = 3, progress = false})
    assert.equals(3, st:n_trials())
  end)

  it("rejects bad options and updates", function()
    for _, c in ipairs{
      {{total = 0}, "knob.progress.new: option 'total' must be an integer >= 1 (got 0)"},
      {{total = 2.5}, "knob.progress.new: option 'total' must be an integer >= 1 (got 2.5)"},
      {{time_limit = 0 / 0}, "knob.progress.new: option 'time_limit' must be a number > 0 (got " .. tostring(0 / 0) .. ")"},
      {{label = 3}, "knob.progress.new: option 'label' must be a string (got number)"},
      {{enabled = "yes"}, "knob.progress.new: option 'enabled' must be a boolean (got string)"},
      {{clock = 1}, "knob.progress.new: option 'clock' must be a function (got number)"},
      {{width = 0}, "knob.progress.new: option 'width' must be an integer in [1, 200] (got 0)"},
      {{interval = -1}, "knob.progress.new: option 'interval' must be a number >= 0 (got -1)"},
      {{totl = 3}, "knob.progress.new: unknown option 'totl' (valid: clock, enabled, interval, label, stream, time_limit, total, width)"},
    } do
      assert.has_error(function() progress.new(c[1]) end, c[2])
    end
    assert.has_error(function() progress.new(3) end, "knob.progress.new: options must be a table (got number)")
    local bar = progress.new{enabled = false}
    assert.has_error(function() bar:update(1) end, "bar:update: expected a table {done =, best =, failed =} (got number)")
    assert.has_error(function() bar:update{done = -1} end, "bar:update: 'done' must be an integer >= 0 (got -1)")
    assert.has_error(function() bar:update{failed = 0.5} end, "bar:update: 'failed' must be an integer >= 0 (got 0.5)")
    assert.has_error(function() bar:update{best = "x"} end, "bar:update: 'best' must be a number (got string)")
  end)
end)

describe("knob.sys.isatty", function()
  it("answers for named streams and descriptors", function()
    assert.is_boolean(knob.sys.isatty("stdout"))
    assert.is_boolean(knob.sys.isatty(2))
    assert.is_false(knob.sys.isatty(999))
    assert.has_error(function() knob.sys.isatty("stdot") end)
    assert.has_error(function() knob.sys.isatty(-1) end)
    assert.has_error(function() knob.sys.isatty() end)
  end)
end)
