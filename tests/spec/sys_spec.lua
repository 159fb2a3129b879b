-- sys_spec.lua — knob.sys: monotonic clock, CPU time, memory, CPU count, and Dataset byte counts.
local knob = require "knob"

describe("knob.sys", function()
  it("has a monotonic clock and a CPU-time clock that advance with work", function()
    local t0, c0 = knob.sys.clock(), knob.sys.cpu_time()
    local x = 0
    for i = 1, 3e6 do x = x + i % 7 end
    local t1, c1 = knob.sys.clock(), knob.sys.cpu_time()
    assert.is_true(x > 0)
    assert.is_true(t1 > t0)
    assert.is_true(c1 > c0)
  end)

  it("counts the CPU time of worker processes that have ended in children_cpu_time, not in cpu_time", function()
    local c0, k0 = knob.sys.cpu_time(), knob.sys.children_cpu_time()
    require("knob.workers").map(2, 2, function()
      local t, x = knob.sys.cpu_time(), 0
      while knob.sys.cpu_time() - t < 0.2 do x = x + 1 end
      return x > 0
    end)
    local c1, k1 = knob.sys.cpu_time(), knob.sys.children_cpu_time()
    assert.is_true(k1 - k0 >= 0.3, ("children: %.3f s"):format(k1 - k0)) -- two workers, 0.2 s each
    assert.is_true(c1 - c0 < 0.2, ("self: %.3f s"):format(c1 - c0))
  end)

  it("time(fn, ...) returns the elapsed seconds and every result of fn", function()
    local secs, a, b, c = knob.sys.time(function(p, q) return p + q, nil, "x" end, 2, 3)
    assert.is_true(secs >= 0)
    assert.equals(5, a)
    assert.is_nil(b)
    assert.equals("x", c)
  end)

  it("reports resident memory that covers a dataset's 8 bytes per value", function()
    assert.is_true(knob.sys.peak_rss() > 0)
    assert.is_true(knob.sys.rss() > 0)
    -- 400 000 x 10 doubles = 32 MB written by the generator: the peak must rise by most of it
    local ds = knob.data.make_regression{n_samples = 400000, n_features = 10, seed = 1}
    local total = ds:bytes()
    assert.is_true(total >= 400000 * 11 * 8)          -- features + target, 8 bytes each
    -- the values are resident now (the generator wrote every one), and so they count in the peak too
    assert.is_true(knob.sys.rss() >= 0.9 * 400000 * 10 * 8)
    assert.is_true(knob.sys.peak_rss() >= 0.9 * 400000 * 10 * 8)
    ds:close()
  end)

  it("counts at least one CPU", function()
    assert.is_true(math.type(knob.sys.cpu_count()) == "integer")
    assert.is_true(knob.sys.cpu_count() >= 1)
  end)
end)
