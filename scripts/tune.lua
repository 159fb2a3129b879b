-- knob tune — the staged workflow on a CSV file, without writing Lua.
--   knob tune --data x.csv --target y [--model gbdt] [--metric f1] [--trials 100] [--storage sqlite:x.db]
--             [--seed 42] [--folds 5] [--test-size 0.2] [--record run.json] [--trials-csv trials.csv]
--             [-o model.json] [--quiet]
-- Locks a test split, scores baselines, then spends --trials trials: 40% on a coarse QMC search, a grid
-- around the best on the two most important parameters (at most 9 trials), the rest on multivariate TPE over
-- the three most important; re-scores the top 5 on fresh folds; evaluates the winner once on the test split
-- over 5 seeds. Exit status: 0 done, 1 bad input or a failed run.
local argparse = require "argparse"
local knob = require "knob"

local kinds = {}
for k in pairs(knob.stages.kinds) do kinds[#kinds + 1] = k end
table.sort(kinds)

local parser = argparse("knob tune", "Tune a model on a CSV file with the staged workflow "
  .. "(baseline → coarse → grid → fine → rescore → final test).")
parser:option("--data", "CSV file with a header row"):count(1)
parser:option("--target", "the target column (name)"):count(1)
parser:option("--model", "model kind: " .. table.concat(kinds, ", "), "gbdt"):choices(kinds)
parser:option("--metric", "metric to optimize (knob.metrics names; default accuracy / r2)")
parser:option("--trials", "trial budget of the searches", "60"):convert(math.tointeger)
parser:option("--storage", "keep the study here, e.g. sqlite:runs/x.db (default: in memory)")
parser:option("--name", "study name", "tune")
parser:option("--seed", "seed of every random choice", "42"):convert(math.tointeger)
parser:option("--folds", "cross-validation folds", "5"):convert(math.tointeger)
parser:option("--test-size", "fraction of rows locked away for the final test", "0.2"):convert(tonumber)
parser:option("--record", "write the run record (JSON) here")
parser:option("--trials-csv", "write every trial (CSV) here")
parser:option("-o --output", "save the winning model, refit on all training rows, here")
parser:flag("-q --quiet", "print only the final summary")
local args = parser:parse(arg)

local function fail(msg)
  io.stderr:write("knob tune: ", tostring(msg):gsub("^[^\n]-%.lua:%d+: ", ""), "\n")
  os.exit(1)
end

if not args.trials or args.trials < 4 then fail("--trials must be an integer >= 4") end
if not args.seed or args.seed < 0 then fail("--seed must be an integer >= 0") end
if not args.folds or args.folds < 2 then fail("--folds must be an integer >= 2") end
if not args.test_size then fail("--test-size must be a number in (0, 1)") end

local ds, err = knob.data.read_csv(args.data, {target = args.target})
if not ds then fail(err) end

local coarse = math.max(2, math.floor(args.trials * 0.4 + 0.5))
local ok, run = pcall(knob.stages.run, {
  data = ds, model = args.model, metric = args.metric, seed = args.seed, folds = args.folds,
  test_size = args.test_size, name = args.name, storage = args.storage,
  log = (not args.quiet) and print or false,
  stages = {coarse = {trials = coarse}, grid = {params = 2},
            fine = {trials = math.max(1, args.trials - coarse - 9), params = 3, plateau = 20}},
  record = args.record, trials_csv = args.trials_csv,
})
if not ok then fail(run) end
if args.output then
  local saved, serr = pcall(run.model, run, args.output)
  if not saved then fail(serr) end
end

local f = run.record.final
print()
print(("best configuration (trial %d), CV %s %.4f"):format(f.trial, run.metric, f.cv))
for _, k in ipairs(run.names) do print(("  %-20s %s"):format(k, tostring(f.params[k]))) end
print(("test %s %.4f ± %.4f over %d seeds; default configuration %.4f"):format(
  run.metric, f.test, f.test_std, f.seeds, f.default_test))
for _, w in ipairs(run.record.warnings) do print("warning: " .. w) end
if args.output then print("model saved to " .. args.output) end
