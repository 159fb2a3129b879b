-- bench/run.lua — run every benchmark (bench/*_bench.lua) one after the other; each prints its own table
-- of knob against the peer on the same data in the same run. `make bench` runs this.
--   build/knob bench/run.lua [name ...]     (e.g. csv gbdt; default: all)
local lfs = require "lfs"
local want = {}
for _, a in ipairs(arg) do want[a] = true end
local names = {}
for f in lfs.dir("bench") do
  local name = f:match("^(.-)_bench%.lua$")
  if name and (next(want) == nil or want[name]) then names[#names + 1] = name end
end
table.sort(names)
local exe = arg[-1] or "build/knob"
local failed = 0
for _, name in ipairs(names) do
  print(("\n### %s\n"):format(name))
  io.stdout:flush()
  local ok = os.execute(exe .. " bench/" .. name .. "_bench.lua")
  if not ok then failed = failed + 1 end
end
if failed > 0 then os.exit(1) end
