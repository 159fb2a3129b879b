-- examples/staged.lua — the staged tuning workflow on bundled data (grows as knob grows).
local knob = require "knob"
print(string.format("knob %s", knob.version))
