-- knob version — print knob's version, the Lua version and where the library lives.
local knob = require "knob"
print(string.format("knob %s (%s), library at %s", knob.version, _VERSION, KNOB_HOME or "?"))
