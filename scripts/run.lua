-- knob run — run a recipe (a Lua script) with its arguments: knob run recipe.lua [args...]
-- The same as `knob recipe.lua [args...]`: the recipe sees arg[0] = its path and arg[1..] = its arguments.
-- A recipe that cannot be read or parsed exits 1 with the reason; an error inside it prints a traceback.
local path = arg[1]
if path == nil or path == "-h" or path == "--help" then
  print("Usage: knob run RECIPE.lua [args...]\n\nRun a recipe (for example examples/staged.lua) with its arguments.")
  os.exit(path == nil and 1 or 0)
end
local chunk, err = loadfile(path)
if not chunk then
  io.stderr:write("knob run: ", tostring(err), "\n")
  os.exit(1)
end
local exe = arg[-1]
arg = {[-1] = exe, [0] = path, table.unpack(arg, 2)}
return chunk(table.unpack(arg))
