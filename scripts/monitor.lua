-- knob monitor — check new data against the reference statistics saved with a model (knob.monitor).
--   knob monitor --model model.json --data new.csv [--json] [--watch 0.1] [--drifted 0.25]
-- The model (or pipeline) file must hold reference statistics: call knob.monitor.reference(model, train)
-- before model:save(path). DATA.csv needs the model's feature columns (by name); a column named like the
-- model's target is read as the target and otherwise ignored.
-- Prints one line per feature (PSI, KS or chi-square test, verdict), the predictions' line and the overall
-- verdict; --json prints the report of knob.monitor.check as JSON instead.
-- Exit status: 0 when the verdict is "stable" or "watch", 2 when it is "drifted", 1 on an error (a missing or
-- corrupt file, a model without reference statistics, a column missing from the data).
local argparse = require "argparse"
local knob = require "knob"

local parser = argparse("knob monitor", "Check new data for drift against the reference saved with a model.")
  :epilog("Exit status: 0 stable or watch, 2 drifted, 1 error.")
parser:option("-m --model", "model or pipeline file written by model:save(path) after knob.monitor.reference")
  :count(1)
parser:option("-d --data", "CSV file with a header row: the new batch"):count(1)
parser:flag("--json", "print the report as JSON")
parser:option("--watch", "PSI from which a feature is 'watch'", "0.1", tonumber)
parser:option("--drifted", "PSI from which a feature is 'drifted'", "0.25", tonumber)
local args = parser:parse(arg)

local function fail(msg)
  io.stderr:write("knob monitor: ", (tostring(msg):gsub("^[^:]*:%d+: ", "")), "\n")
  os.exit(1)
end

local model, msg = knob.model.load(args.model)
if not model then fail(msg) end

-- Read the model's target column as the target when the file has it, so it is not taken for a feature.
local function read(path, target)
  if target then
    local ds, err = knob.data.read_csv(path, {target = target})
    if ds or not err:find("unknown target column", 1, true) then return ds, err end
  end
  return knob.data.read_csv(path)
end
local ds, derr = read(args.data, model:is_fitted() and model:info().target)
if not ds then fail(derr) end

local ok, report = pcall(knob.monitor.check, model, ds, {watch = args.watch, drifted = args.drifted})
if not ok then fail(args.data .. ": " .. tostring(report):gsub("^[^:]*:%d+: ", "")) end
if args.json then
  print(knob.core.monitor.encode(report))
else
  print(knob.monitor.format(report))
end
os.exit(report.verdict == "drifted" and 2 or 0)
