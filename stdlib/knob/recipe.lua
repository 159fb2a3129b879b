-- knob.recipe — what the bundled recipes (examples/*.lua) share: their command line and section headers.
--
--   local path, target, quick = knob.recipe.args(arg)   arg[1] or examples/data/breast_cancer.csv, arg[2] or
--                                                        "diagnosis"; quick = (KNOB_QUICK == "1"): smaller budgets
--   knob.recipe.section(title)                           prints a blank line and "== title ====..."
--   local ds, train, test = knob.recipe.load(path, target, seed)   the CSV and a locked 20% test split
--                                                        (stratified for classification)
local M = {}

function M.args(arg)
  local home = rawget(_G, "KNOB_HOME") or "."
  return arg[1] or (home .. "/examples/data/breast_cancer.csv"), arg[2] or "diagnosis", os.getenv("KNOB_QUICK") == "1"
end

function M.section(title)
  print()
  print(("== %s "):format(title) .. ("="):rep(math.max(0, 72 - #title)))
end

function M.load(path, target, seed)
  local ds = assert(require("knob.data").read_csv(path, {target = target}))
  local train, test = ds:split{test = 0.2, stratify = ds:task() == "classification", seed = seed}
  return ds, train, test
end

return M
