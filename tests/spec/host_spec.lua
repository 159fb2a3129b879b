-- host_spec.lua — the knob executable: script args, -e, subcommands, --version/--help, errors.
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

local helpers = require "helpers"
local run, tmpfile = helpers.run, helpers.tmpfile

describe("knob host", function()
  it("runs a script with arg like lua", function()
    local f = tmpfile("print(arg[0] ~= nil, arg[1], arg[2], select('#', ...))")
    local out, code = run(exe .. " " .. f .. " a b")
    os.remove(f)
    assert.equals(0, code)
    assert.equals("true\ta\tb\t2\n", out)
  end)

  it("runs -e code with knob on package.path", function()
    local out, code = run(exe .. " -e 'print(require(\"knob\").version)'")
    assert.equals(0, code)
    assert.matches("^%d+%.%d+%.%d+\n$", out)
  end)

  it("prints a traceback and exits non-zero on error", function()
    local out, code = run(exe .. " -e 'local function f() error(\"boom\") end f()'")
    assert.equals(1, code)
    assert.matches("boom", out)
    assert.matches("stack traceback", out)
  end)

  it("reports a missing script file", function()
    local out, code = run(exe .. " /nonexistent/x.lua")
    assert.equals(1, code)
    assert.matches("cannot open /nonexistent/x.lua", out, 1, true)
  end)

  it("reports an unknown subcommand and an unknown option", function()
    local out, code = run(exe .. " nosuchcommand")
    assert.equals(1, code)
    assert.matches("unknown command 'nosuchcommand'", out, 1, true)
    out, code = run(exe .. " --frobnicate")
    assert.equals(1, code)
    assert.matches("unknown option '--frobnicate'", out, 1, true)
  end)

  it("runs a subcommand from scripts/", function()
    local out, code = run(exe .. " version")
    assert.equals(0, code)
    assert.matches("^knob %d+%.%d+%.%d+", out)
  end)

  it("prints --version and --help with the subcommands found", function()
    local out, code = run(exe .. " --version")
    assert.equals(0, code)
    assert.matches("^knob %d+%.%d+%.%d+ %(Lua 5%.4", out)
    out, code = run(exe .. " --help")
    assert.equals(0, code)
    assert.matches("usage: knob FILE.lua", out, 1, true)
    assert.matches("\n  version\n", out, 1, true)
  end)

  it("evaluates expressions in the REPL from stdin", function()
    local out, code = run("printf '1+2\\nx = 5\\nx*2\\nerror(\"bad\")\\n' | " .. exe)
    assert.equals(0, code)
    assert.matches("^3\n10\n", out)
    assert.matches("bad", out)
  end)

  it("is loadable as a C module from a stock lua5.4", function()
    local out, code = run("lua5.4 -e 'package.cpath=\"build/lib/?.so;\"..package.cpath; " ..
      "package.path=\"stdlib/?.lua;stdlib/?/init.lua;\"..package.path; " ..
      "local k = require \"knob\"; print(k.version, type(k.sys.clock()))'")
    assert.equals(0, code)
    assert.matches("^%d+%.%d+%.%d+\tnumber\n$", out)
  end)

  it("rejects an unknown knob module with a clear error", function()
    local knob = require "knob"
    assert.has_error(function() return knob.nosuch end, "knob has no module 'nosuch'")
  end)
end)
