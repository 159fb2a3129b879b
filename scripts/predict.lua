-- knob predict — apply a saved model (or pipeline) to a CSV file and write the predictions as CSV.
--   knob predict MODEL.json DATA.csv [-o predictions.csv] [--proba]
-- DATA.csv needs the model's feature columns (matched by name; other columns are ignored by a model; a
-- pipeline's transformers need exactly the fitted columns). A column named like the model's target is read
-- as the target and ignored. Output: a header row, then one row per data row: "prediction", or one probability column per
-- class ("proba_<class>") with --proba. Numbers are written exactly (%.17g).
local argparse = require "argparse"
local knob = require "knob"

local parser = argparse("knob predict", "Predict with a saved model or pipeline.")
parser:argument("model", "model file written by model:save(path) (or a pipeline's)")
parser:argument("data", "CSV file with a header row")
parser:option("-o --output", "write the predictions here (default: standard output)")
parser:flag("--proba", "write class probabilities instead of labels (classifiers)")
local args = parser:parse(arg)

local function fail(msg)
  io.stderr:write("knob predict: ", msg, "\n")
  os.exit(1)
end

local model, msg = knob.model.load(args.model)
if not model then fail(msg) end
if not model:is_fitted() then fail(args.model .. ": the model is not fitted") end

-- Read the target column as the target when the file has it, so it is not taken for a feature.
local target = model:info().target
local ds, derr
if target then
  ds, derr = knob.data.read_csv(args.data, {target = target})
  if not ds and derr:find("unknown target column", 1, true) then ds, derr = nil, nil end
end
if not ds and not derr then ds, derr = knob.data.read_csv(args.data) end
if not ds then fail(derr) end

local ok, rows, classes = pcall(function()
  if args.proba then return model:predict_proba(ds) end
  return model:predict(ds)
end)
if not ok then fail(args.data .. ": " .. tostring(rows):gsub("^[^:]*:%d+: ", "")) end

local function cell(v)
  if type(v) == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    return string.format("%.17g", v)
  end
  v = tostring(v)
  if v:find('[",\r\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

local out, err = io.stdout, nil
if args.output then
  out, err = io.open(args.output, "wb")
  if not out then fail("cannot write '" .. args.output .. "': " .. tostring(err)) end
end
if args.proba then
  local header = {}
  for i, c in ipairs(classes) do header[i] = cell("proba_" .. c) end
  out:write(table.concat(header, ","), "\n")
  for _, row in ipairs(rows) do
    local cells = {}
    for i, p in ipairs(row) do cells[i] = cell(p) end
    out:write(table.concat(cells, ","), "\n")
  end
else
  out:write("prediction\n")
  for _, v in ipairs(rows) do out:write(cell(v), "\n") end
end
if args.output then out:close() end
