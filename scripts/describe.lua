-- knob describe — summarize a CSV file: shape, columns, missing values, target and class balance.
--   knob describe examples/data/iris.csv --target species [--head 5] [--delimiter ';']
local argparse = require "argparse"
local knob = require "knob"

local parser = argparse("knob describe", "Summarize a CSV dataset: columns, missing values, target classes.")
parser:argument("file", "CSV file with a header row")
parser:option("-t --target", "target column (name, or 1-based index; negative counts from the end)")
parser:option("-d --delimiter", "field separator (default: detected)")
parser:option("-n --head", "also print the first N rows", nil, tonumber)
parser:option("--task", "force the task"):choices {"classification", "regression"}
local args = parser:parse(arg)

local opts = {delimiter = args.delimiter, task = args.task}
if args.target then opts.target = math.tointeger(tonumber(args.target)) or args.target end
local ds, err = knob.data.read_csv(args.file, opts)
if not ds then
  io.stderr:write("knob describe: ", err, "\n")
  os.exit(1)
end
print((ds:describe()))
print("fingerprint " .. ds:fingerprint())
if args.head then
  print()
  print((ds:head(args.head)))
end
