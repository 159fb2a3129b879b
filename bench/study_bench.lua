-- bench/study_bench.lua — the whole 100-trial TPE study of a GBDT with 5-fold stratified CV, knob against
-- Optuna TPE + scikit-learn HistGradientBoosting (bench/study_peer.py) with the same space, budget and folds
-- (unshuffled stratified 5-fold on the same training rows: knob's folds equal scikit-learn's), on
-- breast_cancer and digits. Prints wall time (ratio), best CV accuracy and the held-out test accuracy of the
-- best configuration refit on the training rows.
--   build/knob bench/study_bench.lua [--trials 100] [--seeds 1] [--first 1] [--threads 1] [--jobs 1] [--data 0|1|2]
-- --threads: threads inside a trial on each side (knob gbdt n_jobs; the peer's OMP_NUM_THREADS); --jobs:
-- trials at once on each side (knob: study:optimize{jobs = N}, N worker processes; the peer: Optuna's
-- study.optimize(n_jobs = N), N threads); --peer_threads / --peer_jobs: other settings for the peer (0: the
-- same as knob's; e.g. --jobs 2 --peer_jobs 1 --peer_threads 2 is each side's way to use two cores);
-- --data 1 breast_cancer only, 2 digits only, 0 both; --seeds N --first F: seeds F .. F + N - 1 (each seed its own
-- test split and sampler seed); --knob_only 1: knob's side alone (bench/study_side_by_side.sh repeats it on one
-- core while the peer runs once on the other, so a machine whose speed drifts slows both alike).
local common = require "bench.bench_common"
local knob = require "knob"

local opts = common.parse(arg, {trials = 100, seeds = 1, first = 1, threads = 1, jobs = 1, peer_threads = 0,
                                peer_jobs = 0, data = 0, knob_only = 0})
if opts.peer_threads == 0 then opts.peer_threads = opts.threads end
if opts.peer_jobs == 0 then opts.peer_jobs = opts.jobs end
os.execute("mkdir -p bench/data")

local DATASETS = {{"breast_cancer", "diagnosis"}, {"digits", "digit"}}

local function knob_study(train, test, seed)
  local function cpu() return knob.sys.cpu_time() + knob.sys.children_cpu_time() end -- with its workers
  local t0, c0 = knob.sys.clock(), cpu()
  local folds = knob.split.stratified_kfold{k = 5, shuffle = false}
  local function model(p)
    return knob.model.gbdt{learning_rate = p.learning_rate, max_leaves = p.max_leaves,
                           min_samples_leaf = p.min_samples_leaf, l2 = p.l2, n_estimators = 100,
                           max_bins = 255, seed = seed, n_jobs = opts.threads}
  end
  local study = knob.study{direction = "maximize", sampler = knob.samplers.tpe{seed = seed},
                           pruner = knob.pruners.none()}
  study:optimize(function(t)
    local p = {learning_rate = t:suggest_float("learning_rate", 0.01, 0.3, {log = true}),
               max_leaves = t:suggest_int("max_leaves", 4, 64, {log = true}),
               min_samples_leaf = t:suggest_int("min_samples_leaf", 2, 64, {log = true}),
               l2 = t:suggest_float("l2", 1e-3, 10, {log = true})}
    return (knob.cv.score(model(p), train, {folds = folds, metrics = {"accuracy"}}))
  end, {n_trials = opts.trials, jobs = opts.jobs})
  local best = study:best()
  local m = model(best.params)
  m:fit(train)
  return knob.sys.clock() - t0, cpu() - c0, best.value, m:score(test, "accuracy")
end

print(("knob: %d thread(s) per trial, %d trial(s) at once (jobs); peer: OMP_NUM_THREADS=%d, Optuna n_jobs=%d"):format(
  opts.threads, opts.jobs, opts.peer_threads, opts.peer_jobs))
print(("%-14s %4s %17s %7s %17s %7s   %-17s   %-17s"):format("data", "seed", "wall s knob/peer", "ratio",
  "CPU s knob/peer", "ratio", "best CV knob/peer", "test knob/peer"))
for di, d in ipairs(DATASETS) do
  local name, target = d[1], d[2]
  if opts.data ~= 0 and opts.data ~= di then goto next_data end
  local ds = assert(knob.data.read_csv("examples/data/" .. name .. ".csv", {target = target}))
  for seed = opts.first, opts.first + opts.seeds - 1 do
    local train, test = ds:split{test = 0.2, stratify = true, seed = seed}
    local trp, tep = ("bench/data/%s-train-%d.csv"):format(name, seed), ("bench/data/%s-test-%d.csv"):format(name, seed)
    assert(train:write_csv(trp))
    assert(test:write_csv(tep))
    local ks, kc, kbest, ktest = knob_study(train, test, seed)
    if opts.knob_only == 1 then
      print(("%-14s %4d knob wall %.1f s CPU %.1f s best CV %.4f test %.4f"):format(name, seed, ks, kc, kbest, ktest))
      io.stdout:flush()
      goto next_seed
    end
    local p = io.popen(("OMP_NUM_THREADS=%d /usr/bin/python3 bench/study_peer.py %s %s %s %d %d %d"):format(opts.peer_threads,
      trp, tep, target, opts.trials, seed, opts.peer_jobs))
    local out = p:read("a")
    p:close()
    local ps, pc = tonumber(out:match("wall (%S+)")), tonumber(out:match("cpu (%S+)"))
    local pbest, ptest = tonumber(out:match("best (%S+)")), tonumber(out:match("test (%S+)"))
    if not ps then error("peer failed: " .. out) end
    print(("%-14s %4d %8.1f /%7.1f %6.1fx %8.1f /%7.1f %6.1fx   %.4f / %.4f   %.4f / %.4f"):format(name, seed,
      ks, ps, ps / ks, kc, pc, pc / kc, kbest, pbest, ktest, ptest))
    io.stdout:flush()
    ::next_seed::
  end
  ::next_data::
end
