-- tests/run.lua — runs the busted suite inside the knob host (so the host itself is under test, and the
-- sanitizer build runs the very same specs). Usage: knob tests/run.lua [busted options] [spec files]
local root = KNOB_HOME or "."
package.path = root .. "/tests/?.lua;" .. package.path
local args = {...}
local has_output, has_paths = false, false
for _, a in ipairs(args) do
  if a:match("^%-o") or a:match("^%-%-output") then has_output = true end
  if not a:match("^%-") then has_paths = true end
end
if not has_output then table.insert(args, 1, "--output=tests/summary_output.lua") end
if not has_paths then args[#args + 1] = "tests/spec" end
table.insert(args, 1, "--pattern=_spec")
arg = args
arg[0] = "tests/run.lua"
require "busted.runner"({standalone = false})
