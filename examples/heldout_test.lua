-- examples/heldout_test.lua — the final test protocol, and what goes wrong when you peek at the test rows.
--
--   knob examples/heldout_test.lua [data.csv target]   (default: examples/data/breast_cancer.csv diagnosis)
--   KNOB_QUICK=1 knob examples/heldout_test.lua        (a smaller search: what tests/spec/recipes_spec.lua runs)
--
-- The protocol (knob.stages does the bookkeeping):
--   1. lock a stratified 20% test split FIRST, before looking at any score;
--   2. baselines (the dummy and the gbdt defaults) and the whole search on 5-fold CV of the training rows only;
--   3. re-score the top configurations on fresh folds (how much of the best CV score was selection luck);
--   4. refit the winner on ALL training rows and score the test split ONCE, over 5 seeds (mean ± std), next to
--      the CV estimate and the defaults on the same test rows.
-- Then the mistake, on purpose: score the top configurations on the test split one after another and keep the
-- best (run:final again and again: every call after the first adds a warning to the run record). How large
-- the optimistic bias of "choose on test" is: the test rows are cut in two halves 50 times; the configuration
-- that is best on half A is scored on half B too; the mean of A - B is the bias of choosing on the rows you
-- report.
local knob = require "knob"

local path, target, quick = knob.recipe.args(arg)
local seed = 42

local section = knob.recipe.section

local t0, c0 = knob.sys.clock(), os.clock()
local ds = assert(knob.data.read_csv(path, {target = target}))
local classification = ds:task() == "classification"
local metric = classification and "accuracy" or "r2"

-- 1. Lock the test split before anything else ------------------------------------------------------------------
section("1. lock the test split")
local train, test = ds:split{test = 0.2, stratify = classification, seed = seed}
print(("%s: %d training rows; %d test rows locked (fingerprint %s)"):format(path, train:rows(), test:rows(),
  test:fingerprint()))
local run = knob.stages.new{train = train, test = test, model = "gbdt", fixed = {n_estimators = 100},
                            metric = metric, seed = seed, name = "heldout", log = false}

-- 2. Baselines and the search, on CV only ---------------------------------------------------------------------
section("2. baselines and the search (5-fold CV on the training rows)")
local base = run:baseline()
for _, name in ipairs{"dummy", "default gbdt"} do
  print(("  %-14s CV %s %.4f ± %.4f"):format(name, metric, base[name].mean, base[name].std))
end
local trials = quick and 10 or 24
run:search("coarse", {sampler = "qmc", trials = trials // 2})
run:search("fine", {sampler = "tpe", trials = trials - trials // 2})
local best = run.study:best()
print(("  search: %d trials, best CV %s %.4f (trial %d)"):format(run.study:n_trials(), metric, best.value, best.number))

-- 3. Re-score the top configurations on fresh folds -----------------------------------------------------------
section("3. the top configurations on fresh folds")
local top_k = quick and 3 or 5
local rescore = run:rescore{top = top_k}
for _, row in ipairs(rescore.rows) do
  print(("  trial %-3d study folds %.4f   fresh folds %.4f ± %.4f   luck %+.4f"):format(row.number, row.value,
    row.fresh, row.fresh_std, row.luck))
end
print(("  selection luck of the best trial: %+.4f"):format(rescore.selection_luck))

-- 4. The final test: once -------------------------------------------------------------------------------------
section("4. final: refit on all training rows, score the test split once (5 seeds)")
local final = run:final{seeds = 5}
print(("  winner (trial %d)   CV %.4f ± %.4f   test %.4f ± %.4f over %d seeds"):format(final.trial, final.cv,
  final.cv_std or 0 / 0, final.test, final.test_std, final.seeds))
print(("  gbdt defaults      CV %.4f ± %.4f   test %.4f ± %.4f"):format(base["default gbdt"].mean,
  base["default gbdt"].std, final.default_test, final.default_test_std))
print(("  dummy              CV %.4f"):format(base.dummy.mean))
local warnings_after_final = #run.record.warnings
print(("  warnings so far: %d%s"):format(warnings_after_final,
  warnings_after_final > 0 and (" (" .. run.record.warnings[1] .. ")") or ""))
local honest = final.test

-- 5. What goes wrong when you peek ---------------------------------------------------------------------------
section("5. the mistake: choosing among configurations by their test score")
-- The distinct configurations the study ranks highest (a cached trial repeats an earlier one).
local configs = {}
for _, r in ipairs(run.study:top(run.study:n_trials{state = "complete"})) do
  if #configs == (quick and 6 or 10) then break end
  if r.user_attrs.cached_from == nil then configs[#configs + 1] = r end
end
local peek = {}
for i, r in ipairs(configs) do
  run:choose(r.number)
  peek[i] = run:final{seeds = 1}.test -- every call adds a warning: the test split was scored before
end
local pi = 1
for i = 2, #peek do if peek[i] > peek[pi] then pi = i end end
print(("  scored %d configurations on the test split; the best of them: trial %d, test %.4f"):format(#configs,
  configs[pi].number, peek[pi]))
local repeated = 0
for _, w in ipairs(run.record.warnings) do
  if w:find("is scored for the", 1, true) then repeated = repeated + 1 end
end
print(("  warnings in the run record: %d (was %d), %d of them say the test split was scored again, e.g."):format(
  #run.record.warnings, warnings_after_final, repeated))
for _, w in ipairs(run.record.warnings) do
  if w:find("is scored for the", 1, true) then print("    " .. w) break end
end

-- How optimistic is "the best test score"? Fit each configuration once, then split the test rows in halves.
local fitted = {}
for i, r in ipairs(configs) do
  fitted[i] = run.build(r.params, seed)
  fitted[i]:fit(train)
end
local reps = quick and 20 or 50
local bias = 0
for rep = 1, reps do
  local a, b = test:split{test = 0.5, stratify = classification, seed = seed + rep}
  local ci, ca = 1, -math.huge
  for i, m in ipairs(fitted) do
    local s = m:score(a, metric)
    if s > ca then ci, ca = i, s end
  end
  bias = bias + (ca - fitted[ci]:score(b, metric)) / reps
end
for _, m in ipairs(fitted) do m:close() end
print(("  over %d random halves of the test rows: the configuration chosen on half A scores %+.4f better on A " ..
  "than on the unseen half B"):format(reps, bias))

-- Decision -----------------------------------------------------------------------------------------------------
section("conclusion")
local gap = final.cv - honest
print(("report: test %s %.4f ± %.4f (winner refit on all %d training rows, %d seeds); CV estimate %.4f (%s by %.4f)")
  :format(metric, honest, final.test_std, train:rows(), final.seeds, final.cv, gap >= 0 and "optimistic" or
  "pessimistic", math.abs(gap)))
print(("gain over the gbdt defaults on the same test rows: %+.4f; over the dummy (CV): %+.4f"):format(
  honest - final.default_test, honest - base.dummy.mean))
local seed_noise = math.max(final.test_std, final.default_test_std or 0)
local sign = run.greater_is_better and 1 or -1
if sign * (honest - final.default_test) < -seed_noise then
  print("the tuned model scores BELOW the defaults on the test split: its CV lead was within the fold noise " ..
    "(selection luck, section 3); ship the defaults, or get more data before tuning further")
elseif math.abs(honest - final.default_test) <= seed_noise then
  print("the tuned model and the defaults are within the seed noise on this test split: tuning did not clearly pay")
else
  print("the tuned model beats the defaults on the test split by more than the seed noise: ship it")
end
print(("peeking: the best of %d test scores (%.4f) is not a test estimate: choosing on the rows you report inflates " ..
  "them by about %+.4f here; the honest number is the first one"):format(#configs, peek[pi], bias))
print("next step: deploy the model the test split supports (the winner: run:model(path)) with monitoring, " ..
  "and retune only when it drifts (examples/retune.lua)")
print(("(%.1f s wall, %.1f s CPU)"):format(knob.sys.clock() - t0, os.clock() - c0))
