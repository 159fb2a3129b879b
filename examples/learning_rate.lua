-- examples/learning_rate.lua — which learning rate (and batch size / number of trees) to use?
--
--   knob examples/learning_rate.lua [data.csv target]   (default: examples/data/breast_cancer.csv diagnosis)
--   KNOB_QUICK=1 knob examples/learning_rate.lua        (smaller grids: what tests/spec/recipes_spec.lua runs)
--
-- On the training rows (a stratified test split stays locked), three steps:
--   1. the MLP learning-rate range test (knob.curves.lr_range, Leslie Smith's test) on standardized features:
--      the rate grows exponentially over a few hundred mini-batches; the suggested rate is a tenth of the rate
--      with the lowest smoothed loss;
--   2. a small grid of learning_rate (around the suggestion) × batch_size, each cell a 5-fold CV of
--      standardize -> mlp on the same folds: the best rate per batch size (larger batches usually take larger
--      rates) and which cells the CV cannot tell apart (within one fold std of the best);
--   3. for gbdt, the learning_rate × n_estimators trade-off: per rate, each CV fold's training part is split
--      again (80/20) and the gbdt boosts up to 2000 rounds with early_stopping_rounds = 50 on that inner split;
--      the table shows how many trees each rate needs and what it scores on the fold's validation rows.
local knob = require "knob"

local path, target, quick = knob.recipe.args(arg)
local seed = 42

local section = knob.recipe.section

local t0, c0 = knob.sys.clock(), os.clock()
local ds, train, test = knob.recipe.load(path, target, seed)
local classification = ds:task() == "classification"
local metric = classification and "accuracy" or "r2"
local folds = knob.split.for_task(ds:task(), 5, seed)
print(("%s: %d training rows (%d test rows locked), metric %s, seed %d"):format(path, train:rows(), test:rows(),
  metric, seed))

-- 1. LR range test ---------------------------------------------------------------------------------------------
section("MLP learning-rate range test (adam, one hidden layer of 64, batch 32, standardized features)")
-- The range test trains on the rows it is given: fit the scaler on the training rows only.
local scaled = knob.prep.standardize():fit_transform(train)
local range = knob.curves.lr_range(knob.model.mlp{hidden = {64}, batch_size = 32, seed = seed}, scaled,
                                   {lr_min = 1e-5, lr_max = 10, steps = quick and 150 or 300})
print(range)
local suggested = range.suggested

-- 2. learning_rate × batch_size grid ------------------------------------------------------------------------------
local rates = quick and {suggested / 10, suggested, suggested * 3}
                     or {suggested / 10, suggested / 3, suggested, suggested * 3}
local batches = quick and {16, 128} or {16, 64, 256}
section(("learning_rate × batch_size: %d × %d cells, 5-fold CV of standardize -> mlp{64}, 100 epochs"):format(
  #rates, #batches))
local grid, best = {}, nil
for i, lr in ipairs(rates) do
  grid[i] = {}
  for j, bs in ipairs(batches) do
    local model = knob.pipeline{knob.prep.standardize(),
      knob.model.mlp{hidden = {64}, learning_rate = lr, batch_size = bs, epochs = 100, seed = seed}}
    local r = knob.cv.cross_validate(model, train, {folds = folds, metrics = {metric}})
    grid[i][j] = {mean = r.score, std = r.std[metric], lr = lr, bs = bs}
    if not best or r.score > best.mean then best = grid[i][j] end
  end
end
local header = {("%-14s"):format("learning_rate")}
for _, bs in ipairs(batches) do header[#header + 1] = ("%18s"):format("batch " .. bs) end
print(table.concat(header))
for i, lr in ipairs(rates) do
  local cells = {("%-14.3g"):format(lr)}
  for j = 1, #batches do
    local c = grid[i][j]
    cells[#cells + 1] = ("%18s"):format(("%.4f ± %.4f%s"):format(c.mean, c.std, c == best and "*" or " "))
  end
  print(table.concat(cells))
end
print("(* = best cell)")
local close, cheapest = 0, best -- cells the CV cannot tell from the best; the cheapest: largest batch, then rate
for i = 1, #rates do
  for j = 1, #batches do
    local c = grid[i][j]
    if best.mean - c.mean <= best.std then
      close = close + 1
      if c.bs > cheapest.bs or (c.bs == cheapest.bs and c.lr > cheapest.lr) then cheapest = c end
    end
  end
end
for j, bs in ipairs(batches) do
  local bi = 1
  for i = 2, #rates do if grid[i][j].mean > grid[bi][j].mean then bi = i end end
  print(("  batch %-4d best learning_rate %.3g (%.4f)"):format(bs, rates[bi], grid[bi][j].mean))
end

-- 3. gbdt: learning_rate × n_estimators with early stopping ----------------------------------------------------
local gb_rates = quick and {0.3, 0.1, 0.03} or {0.3, 0.1, 0.03, 0.01}
section("gbdt learning_rate × n_estimators (early stopping on an inner 20% of each fold's training rows)")
print(("%-14s %14s %18s %10s"):format("learning_rate", "trees (mean)", metric .. " (CV)", "fit s"))
local gb = {}
for i, lr in ipairs(gb_rates) do
  local trees, scores, secs = {}, {}, 0
  for fold, tr, va in folds:iter(train) do
    local inner_tr, inner_va = tr:split{test = 0.2, stratify = classification, seed = seed + fold}
    local m = knob.model.gbdt{learning_rate = lr, n_estimators = 2000, early_stopping_rounds = 50, seed = seed}
    secs = secs + knob.sys.time(m.fit, m, inner_tr, {eval_set = inner_va})
    trees[fold] = tonumber(m:history().status:match("best iteration (%d+)")) or 2000
    scores[fold] = m:score(va, metric)
    m:close()
  end
  local function mean(xs) local s = 0 for _, x in ipairs(xs) do s = s + x end return s / #xs end
  local mu, sd = mean(scores), 0
  for _, x in ipairs(scores) do sd = sd + (x - mu) ^ 2 end
  sd = math.sqrt(sd / (#scores - 1))
  gb[i] = {lr = lr, trees = mean(trees), mean = mu, std = sd, secs = secs / #scores}
  print(("%-14.3g %14.0f %18s %10.3f"):format(lr, gb[i].trees, ("%.4f ± %.4f"):format(mu, sd), gb[i].secs))
end

-- Decision -----------------------------------------------------------------------------------------------------
section("conclusion")
print(("MLP: the range test suggests learning_rate %.3g; the CV grid's best cell is learning_rate %.3g with batch %d "
  .. "(%s %.4f ± %.4f)"):format(suggested, best.lr, best.bs, metric, best.mean, best.std))
if close > 1 then
  print(("  %d of the %d cells are within one fold std of it: the MLP is not sensitive here; take the cheapest of "
    .. "them, learning_rate %.3g with batch %d (%.4f)"):format(close, #rates * #batches, cheapest.lr, cheapest.bs,
    cheapest.mean))
end
local gbest = gb[1]
for _, g in ipairs(gb) do if g.mean > gbest.mean then gbest = g end end
local cheap = gbest -- the fastest rate whose score is within one std of the best
for _, g in ipairs(gb) do
  if gbest.mean - g.mean <= gbest.std and g.trees < cheap.trees then cheap = g end
end
print(("gbdt: best learning_rate %.3g (%.0f trees, %.4f ± %.4f); a smaller rate needs more trees for little gain"):format(
  gbest.lr, gbest.trees, gbest.mean, gbest.std))
print(("  choose learning_rate %.3g with n_estimators ≈ %d (%.0f trees: within one std of the best, cheapest to "
  .. "fit and serve); or keep early_stopping_rounds with an eval_set"):format(cheap.lr,
  math.ceil(cheap.trees * 1.1), cheap.trees))
print("next step: fix these and tune regularization (examples/regularization.lua)")
print(("(%.1f s wall, %.1f s CPU)"):format(knob.sys.clock() - t0, os.clock() - c0))
