-- knob report — a self-contained HTML report (inline SVG, no network) of a run or of a study.
--   knob report RUN.json -o report.html                       a run record written by run:save / knob tune --record
--   knob report --study NAME --storage sqlite:x.db -o report.html    every trial of a stored study
local argparse = require "argparse"
local knob = require "knob"

local parser = argparse("knob report", "Write an HTML report of a run record or a stored study.")
parser:argument("record", "run record (JSON) written by run:save or knob tune --record"):args("?")
parser:option("--study", "a study name (with --storage) instead of a run record")
parser:option("--storage", "where the study is, e.g. sqlite:runs/x.db")
parser:option("-o --output", "the HTML file to write", "report.html")
local args = parser:parse(arg)

local function fail(msg)
  io.stderr:write("knob report: ", tostring(msg):gsub("^[^\n]-%.lua:%d+: ", ""), "\n")
  os.exit(1)
end

local rec
if args.record then
  if args.study then fail("give a run record or --study, not both") end
  local err
  rec, err = knob.report.load(args.record)
  if not rec then fail(err) end
elseif args.study then
  if not args.storage then fail("--study needs --storage (a study in memory is gone with its process)") end
  local ok, study = pcall(knob.study.load, {name = args.study, storage = args.storage})
  if not ok then fail(study) end
  rec = knob.report.from_study(study)
else
  fail("give a run record (RUN.json) or --study NAME --storage URL")
end
local ok, err = knob.report.write(rec, args.output)
if not ok then fail(err) end
print(("knob report: wrote %s (%d trials)"):format(args.output, #(rec.trials or {})))
