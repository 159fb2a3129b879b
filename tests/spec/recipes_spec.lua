-- recipes_spec.lua — the tuning recipes (examples/*.lua) run through the knob host on bundled data.
-- Each runs with KNOB_QUICK=1 (the smaller budgets every recipe documents in its header) and
-- OPENBLAS_NUM_THREADS=1; the checks are the lines a person reads to decide the next step: the conclusion,
-- and numbers in a sane range. Row counts are facts of the data: breast_cancer has 569 rows (357 benign, 212
-- malignant), so a stratified 20% test split leaves 455 training rows and 114 test rows (scikit-learn's
-- train_test_split(test_size=0.2, stratify=y) gives the same counts: ceil(0.2 * 569) = 114).
local helpers = require "helpers"
local run = helpers.run
local exe = os.getenv("KNOB_TEST_EXE") or "build/knob"

local function recipe(name, args)
  return run("KNOB_QUICK=1 OPENBLAS_NUM_THREADS=1 " .. exe .. " examples/" .. name .. ".lua" .. (args and (" " .. args) or ""))
end

-- Every number captured by pattern (one capture per match), as numbers.
local function numbers(out, pattern)
  local xs = {}
  for x in out:gmatch(pattern) do xs[#xs + 1] = tonumber(x) end
  return xs
end

local function in_range(x, lo, hi, what)
  assert(x ~= nil, (what or "value") .. " not found")
  assert(x >= lo and x <= hi, ("%s = %s outside [%s, %s]"):format(what or "value", tostring(x), lo, hi))
end

describe("examples/key_hyperparameters.lua", function()
  it("ranks the gbdt hyperparameters and names two or three worth tuning", function()
    local out, code = recipe("key_hyperparameters")
    assert.equals(0, code, out)
    assert.matches("455 training rows (114 test rows locked), metric accuracy, 16 trials", out, 1, true)
    assert.matches("16 trials: accuracy from", out, 1, true)
    for _, p in ipairs{"learning_rate", "n_estimators", "max_leaves", "min_samples_leaf", "l2", "subsample",
                       "colsample", "min_split_gain"} do
      assert.matches("\n" .. p .. " +[01]%.%d%d +", out) -- one importance row per parameter
    end
    local imps = numbers(out, "\n[%w_]+ +([01]%.%d%d) +%d")
    assert.equals(8, #imps)
    for i = 2, #imps do assert.is_true(imps[i] <= imps[i - 1], "importances in decreasing order") end
    local worth = out:match("worth tuning: ([%w_, ]+)\n")
    assert.is_truthy(worth, out)
    local _, commas = worth:gsub(",", "")
    assert.is_true(commas >= 1 and commas <= 2, worth) -- two or three names
    assert.matches("fix the others at the best trial's values: ", out, 1, true)
    assert.matches("next step: search ", out, 1, true)
    in_range(tonumber(out:match("best (0%.%d+) ± ")), 0.9, 1, "best CV accuracy")
  end)

  it("reports a missing data file", function()
    local out, code = recipe("key_hyperparameters", "/nonexistent.csv target")
    assert.is_not.equals(0, code)
    assert.matches("cannot open '/nonexistent.csv'", out, 1, true)
  end)
end)

describe("examples/learning_rate.lua", function()
  it("runs the LR range test, the lr × batch grid and the gbdt lr × trees table", function()
    local out, code = recipe("learning_rate")
    assert.equals(0, code, out)
    assert.matches("learning%-rate range test: %d+ steps", out)
    local suggested = tonumber(out:match("suggested learning rate ([%d.e-]+)"))
    in_range(suggested, 1e-5, 1, "suggested learning rate")
    assert.matches("learning_rate           batch 16         batch 128", out, 1, true)
    assert.matches("%(%* = best cell%)", out)
    -- gbdt: a smaller learning rate needs more trees (early stopping): trees decrease down the rates 0.3, 0.1, 0.03
    local trees = numbers(out, "\n0%.0?[13] +(%d+) +0%.%d+ ± ")
    assert.equals(3, #trees, out)
    assert.is_true(trees[1] < trees[2] and trees[2] < trees[3], table.concat(trees, " "))
    assert.matches("MLP: the range test suggests learning_rate", out, 1, true)
    assert.matches("\n  choose learning_rate [%d.]+ with n_estimators ≈ %d+", out)
    assert.matches("next step: fix these and tune regularization", out, 1, true)
  end)
end)

describe("examples/regularization.lua", function()
  it("draws a validation curve per knob and chooses a value by the one-standard-error rule", function()
    local out, code = recipe("regularization")
    assert.equals(0, code, out)
    for _, knob in ipairs{"l2", "min_samples_leaf", "weight_decay", "dropout", "patience"} do
      assert.matches("\n" .. knob .. " +%S+ +[01]%.%d+ +[-+]%d%.%d+ +[-+]%d%.%d+", out) -- the conclusion table
    end
    -- the gap at the chosen value is never larger than at the weakest setting by more than noise, and the
    -- gbdt's weakest min_samples_leaf (1) overfits: training accuracy 1
    for gap, weakest in out:gmatch("gap ([-+]%d%.%d+) %(weakest setting: ([-+]%d%.%d+)%)") do
      assert.is_true(tonumber(gap) <= tonumber(weakest) + 0.03, gap .. " vs " .. weakest)
    end
    local shrunk, total = out:match("shrank the train%-vs%-validation gap on (%d) of (%d) knobs")
    assert.equals("5", total)
    assert.is_true(tonumber(shrunk) >= 1)
    assert.matches("early stopping (patience 5) on all training rows: ", out, 1, true)
    assert.matches("next step: use the chosen values", out, 1, true)
  end)
end)

describe("examples/systematic_search.lua", function()
  it("compares four samplers on one budget and counts the folds pruning saved", function()
    local out, code = recipe("systematic_search")
    assert.equals(0, code, out)
    assert.matches("budget 8 trials per sampler", out, 1, true)
    assert.matches("trials      random       qmc      grid       tpe", out, 1, true)
    -- best-so-far never gets worse (log loss: lower is better) in any column
    local rows = {}
    for line in out:gmatch("\n(%d+ +%d%.%d+ +%d%.%d+ +%d%.%d+ +%d%.%d+)") do rows[#rows + 1] = numbers(line, "%d+%.%d+") end
    assert.is_true(#rows >= 3, out)
    for i = 2, #rows do
      for j = 1, 4 do assert.is_true(rows[i][j] <= rows[i - 1][j]) end
    end
    for j = 1, 4 do in_range(rows[#rows][j], 0.01, 0.69, "best log loss") end -- below log(2): better than a coin
    local saved, of = out:match("pruning saved %d+%% of the fold fits %((%d+) of (%d+)%)")
    assert.equals("40", of) -- 8 trials × 5 folds without pruning
    assert.is_true(tonumber(saved) >= 0 and tonumber(saved) < 40)
    assert.matches("tpe                 8        0           40", out, 1, true)
  end)
end)

describe("examples/heldout_test.lua", function()
  it("scores the test split once, then shows the warnings and bias of peeking", function()
    local out, code = recipe("heldout_test")
    assert.equals(0, code, out)
    assert.matches("455 training rows; 114 test rows locked", out, 1, true)
    assert.matches("dummy          CV accuracy 0.6264", out, 1, true) -- 285 / 455 benign: the prior
    local test, std = out:match("report: test accuracy (0%.%d+) ± (0%.%d+)")
    in_range(tonumber(test), 0.85, 1, "test accuracy")
    in_range(tonumber(std), 0, 0.05, "seed std")
    assert.matches("winner %(trial %d+%)   CV 0%.9%d+", out)
    local n, was, rep = out:match("warnings in the run record: (%d+) %(was (%d+)%), (%d+) of them say")
    assert.equals("6", rep) -- 6 more final calls after the first: each scores the test split again
    assert.is_true(tonumber(n) >= tonumber(was) + 6)
    assert.matches("the test split is scored for the 2. time", out, 1, true)
    local bias = tonumber(out:match("than on the unseen half B")
      and out:match("scores ([-+]%d%.%d+) better on A"))
    in_range(bias, 0, 0.2, "peeking bias") -- choosing the best on A can only look better on A, on average
    assert.matches("next step: deploy", out, 1, true)
  end)
end)

describe("examples/architecture.lua", function()
  it("compares MLP shapes and activations, and the feature steps", function()
    local out, code = recipe("architecture")
    assert.equals(0, code, out)
    -- weights of 30 inputs -> hidden -> 1 output, biases included: {16}: 31*16 + 17 = 513; {64}: 31*64 + 65 = 2049;
    -- {64, 64}: 31*64 + 65*64 + 65 = 6209
    assert.matches("{16}                513", out, 1, true)
    assert.matches("{64}               2049", out, 1, true)
    assert.matches("{64, 64}           6209", out, 1, true)
    assert.matches("columns: 30; after variance_filter 30;", out, 1, true)
    assert.matches("degree%-2 poly 495", out) -- 30 + 30 squares + C(30, 2) = 435 products
    assert.matches("architecture: hidden = {%d[%d, ]*} %(%d+ weights", out)
    assert.matches("activation: ", out, 1, true)
    assert.matches("of 30 features carry 80%% of the gain", out)
  end)
end)

describe("examples/retune.lua", function()
  it("detects the injected drift, retunes, A/B tests and promotes through the registry", function()
    local out, code = recipe("retune")
    assert.equals(0, code, out)
    -- 569 rows, stratified 40% to production: ceil(0.4 * 569) = 228 production rows, 341 development rows
    assert.matches("341 development rows", out, 1, true)
    assert.matches("228 production rows", out, 1, true)
    assert.matches("verdict: drifted", out, 1, true)
    assert.matches("DEGRADED", out, 1, true)
    local prod, cand = out:match("production accuracy (0%.%d+), candidate (0%.%d+)")
    assert.is_true(tonumber(cand) > tonumber(prod))
    assert.matches("decision: promote", out, 1, true)
    assert.matches("  register  version 1\n  promote   version 1\n  register  version 2\n" ..
                   "  promote   version 2 (previous production 1)", out, 1, true)
    assert.matches("diff v1 -> v2:", out, 1, true)
    assert.matches("promoted version 2", out, 1, true)
  end)

  it("keeps production when the candidate is not significantly better (wine: few holdout rows)", function()
    local out, code = recipe("retune", "examples/data/wine.csv cultivar")
    assert.equals(0, code, out)
    assert.matches("verdict: drifted", out, 1, true)
    assert.matches("kept version 1 in production", out, 1, true)
    assert.is_falsy(out:find("promote   version 2", 1, true))
  end)
end)
