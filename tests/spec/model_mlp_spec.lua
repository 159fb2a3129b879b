-- model_mlp_spec.lua — the multilayer perceptron (knob.model.mlp) and its extras (knob.mlp): backprop against
-- finite differences, XOR, every optimizer and schedule on toy problems, schedule formulas, dropout,
-- determinism, sample weights, early stopping, divergence, callbacks, persistence, the LR range test, a
-- reference accuracy against scikit-learn 1.2.1, and bad input everywhere.
local knob = require "knob"
local mlp = require "knob.mlp"
local core = require "knob.core"

local function near(expected, actual, tol, what)
  tol = tol or 1e-12
  assert(math.abs(expected - actual) <= tol * math.max(1, math.abs(expected)),
         string.format("%sexpected %.17g, got %.17g", what and (what .. ": ") or "", expected, actual))
end

local function errmsg(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(err)
end

-- An n x n grid on [-1, 1]^2 with target f(a, b).
local function grid(n, f, task)
  local X, y = {}, {}
  for i = 0, n - 1 do
    for j = 0, n - 1 do
      local a, b = -1 + 2 * i / (n - 1), -1 + 2 * j / (n - 1)
      X[#X + 1] = {a, b}
      y[#y + 1] = f(a, b)
    end
  end
  return knob.data.from_table{X = X, y = y, names = {"a", "b"}, task = task}
end

-- Two classes split by the line a + b = 0 (no grid point lies on it for even n).
local function separable(n)
  return grid(n or 10, function(a, b) return a + b > 0 and "pos" or "neg" end, "classification")
end

local function linear(n)
  return grid(n or 10, function(a, b) return 2 * a - b + 0.5 end, "regression")
end

local function xor()
  return knob.data.from_table{X = {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, names = {"a", "b"}, y = {"n", "y", "y", "n"}}
end

-- Mean cross-entropy of predicted probabilities, computed here from predict_proba (independent of the C loss).
local function log_loss(m, ds)
  local proba, classes = m:predict_proba(ds)
  local col = {}
  for k, c in ipairs(classes) do col[c] = k end
  local y, s = ds:target(), 0
  for i, row in ipairs(proba) do s = s - math.log(row[col[y[i]]]) end
  return s / #proba
end

local function last(t) return t[#t] end

describe("knob.model.mlp", function()
  it("is listed with its hyperparameters", function()
    local found
    for _, k in ipairs(knob.model.kinds()) do
      if k.kind == "mlp" then found = k end
    end
    assert.is_truthy(found)
    assert.is_true(found.classification and found.regression)
    local p = {}
    for _, s in ipairs(found.params) do p[s.name] = s end
    for _, name in ipairs{"hidden", "activation", "optimizer", "learning_rate", "momentum", "beta1", "beta2", "eps",
                          "weight_decay", "batch_size", "epochs", "shuffle", "lr_schedule", "step_size", "gamma",
                          "min_lr", "warmup_epochs", "dropout", "layer_dropout", "dropout_decay", "early_stopping",
                          "patience", "min_delta", "validation_fraction", "restore_best", "seed"} do
      assert.is_truthy(p[name], name)
    end
    assert.equals("list", p.hidden.type)
    assert.equals("relu", p.activation.default)
    assert.equals("adam", p.optimizer.default)
    assert.same({"relu", "tanh", "sigmoid", "gelu"}, p.activation.choices)
    assert.same({"constant", "step", "exponential", "cosine", "cyclic", "one_cycle"}, p.lr_schedule.choices)
    assert.is_true(p.gamma.nullable)
  end)

  it("learns XOR with a small network", function()
    local ds = xor()
    local m = knob.model.mlp{hidden = {8}, activation = "tanh", learning_rate = 0.05, epochs = 500, batch_size = 4,
                             seed = 1}:fit(ds)
    assert.same({"n", "y", "y", "n"}, m:predict(ds))
    local proba, classes = m:predict_proba(ds)
    assert.same({"n", "y"}, classes)
    for i, want in ipairs{1, 2, 2, 1} do
      assert.is_true(proba[i][want] > 0.9)
      near(1, proba[i][1] + proba[i][2], 1e-15)
    end
    assert.equals("epochs", m:history().status)
    assert.equals(500, #m:history().iterations)
    assert.matches("knob.Model<mlp, 2%-8%-1 tanh, 500 epochs, fitted>", tostring(m))
    local info = m:info()
    assert.equals(2 * 8 + 8 + 8 * 1 + 1, info.n_params)   -- weights and biases of a 2-8-1 network
  end)

  it("backpropagation matches finite differences for every activation, output layer, dropout and weights", function()
    for _, act in ipairs{"relu", "tanh", "sigmoid", "gelu"} do
      for _, classes in ipairs{0, 2, 4} do            -- regression, sigmoid output, softmax output
        for _, dropout in ipairs{0, 0.4} do
          local rel, abs = core.mlp._grad_check{hidden = {5, 4}, activation = act, classes = classes,
                                                dropout = dropout, weighted = true, weight_decay = 0.05,
                                                rows = 9, features = 3, seed = 3}
          local what = string.format("%s, %d classes, dropout %g", act, classes, dropout)
          assert(rel < 1e-5, what .. ": relative error " .. rel)
          assert(abs < 1e-8, what .. ": absolute error " .. abs)
        end
      end
    end
    local rel = core.mlp._grad_check{hidden = {}, activation = "relu", classes = 3, rows = 4, features = 2}
    assert(rel < 1e-5, "no hidden layer: " .. rel)
    assert.matches("unknown activation 'swish'", errmsg(core.mlp._grad_check, {activation = "swish"}), 1, true)
    assert.matches("_grad_check: unknown option 'rws'", errmsg(core.mlp._grad_check, {rws = 3}), 1, true)
    assert.matches("rows and features must be >= 1", errmsg(core.mlp._grad_check, {rows = 0}), 1, true)
    assert.matches("bad options", errmsg(core.mlp._grad_check, {dropout = 1}), 1, true)
    assert.matches("hidden sizes must be in", errmsg(core.mlp._grad_check, {hidden = {0}}), 1, true)
  end)

  it("reaches a known-good loss with every optimizer and schedule on toy problems", function()
    -- Thresholds chosen by hand: a separable 2-class grid (cross-entropy starts near ln 2 = 0.69) and an exact
    -- linear regression (half squared error starts near 1).
    local clf, reg = separable(), linear()
    local rates = {sgd = 0.2, momentum = 0.05, nesterov = 0.05, adam = 0.01, adamw = 0.01}
    for _, opt in ipairs{"sgd", "momentum", "nesterov", "adam", "adamw"} do
      for _, sched in ipairs{"constant", "step", "exponential", "cosine", "cyclic", "one_cycle"} do
        local p = {hidden = {16}, optimizer = opt, learning_rate = rates[opt], lr_schedule = sched, epochs = 150,
                   batch_size = 10, seed = 2, step_size = 50, gamma = sched == "exponential" and 0.99 or nil}
        if sched == "cyclic" then p.min_lr, p.step_size = rates[opt] / 10, 10 end
        if opt == "adamw" then p.weight_decay = 1e-4 end
        local what = opt .. "/" .. sched
        local h = knob.model.mlp(p):fit(clf):history().iterations
        assert(last(h).train_loss < 0.1, what .. " classification loss " .. last(h).train_loss)
        h = knob.model.mlp(p):fit(reg):history().iterations
        assert(last(h).train_loss < 0.01, what .. " regression loss " .. last(h).train_loss)
      end
    end
  end)

  it("uses the documented learning rate at every epoch (schedules, warm-up)", function()
    local ds = separable(4)
    local function lrs(p)
      p.epochs = p.epochs or 10
      p.learning_rate = 0.1
      p.hidden = {2}
      local out = {}
      for i, it in ipairs(knob.model.mlp(p):fit(ds):history().iterations) do out[i] = it.learning_rate end
      return out
    end
    local function check(want, got, what)
      assert.equals(#want, #got, what)
      for e = 1, #want do near(want[e], got[e], 1e-14, what .. " epoch " .. e) end
    end
    -- hand-computed from the formulas in engine/include/knob/mlp.h
    check({0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, lrs{}, "constant")
    check({0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125},
          lrs{lr_schedule = "step", step_size = 3, gamma = 0.5}, "step")
    check({0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 1e-4, 1e-4, 1e-5, 1e-5},
          lrs{lr_schedule = "step", step_size = 2}, "step with the default gamma 0.1")
    local want = {}
    for e = 1, 10 do want[e] = 0.1 * 0.9 ^ (e - 1) end
    check(want, lrs{lr_schedule = "exponential", gamma = 0.9}, "exponential")
    for e = 1, 10 do want[e] = 0.01 + 0.09 * (1 + math.cos(math.pi * (e - 1) / 10)) / 2 end
    check(want, lrs{lr_schedule = "cosine", min_lr = 0.01}, "cosine")
    near(0.055, want[6], 1e-15)   -- halfway: the mean of 0.1 and 0.01
    check({0.02, 0.06, 0.1, 0.06, 0.02, 0.06, 0.1, 0.06, 0.02, 0.06},
          lrs{lr_schedule = "cyclic", min_lr = 0.02, step_size = 2}, "cyclic")
    -- warm-up of 2 epochs: 0.1 * 1/3, 0.1 * 2/3, then the schedule over the remaining 10 epochs
    local w = lrs{lr_schedule = "cosine", warmup_epochs = 2, epochs = 12}
    near(0.1 / 3, w[1], 1e-15)
    near(0.2 / 3, w[2], 1e-15)
    for e = 3, 12 do near(0.1 * (1 + math.cos(math.pi * (e - 3) / 10)) / 2, w[e], 1e-14, "warm cosine " .. e) end
    check({0.1 / 3, 0.2 / 3, 0.1, 0.1, 0.1}, lrs{warmup_epochs = 2, epochs = 5}, "warm constant")
    -- one_cycle = PyTorch OneCycleLR(max_lr = 0.1, total_steps = 10, pct_start = 0.3, anneal_strategy = "cos",
    -- div_factor = 25, final_div_factor = 1e4) stepped once per epoch: up from 0.004 until t = 0.3 * 10 - 1 = 2,
    -- then down to 0.004 / 1e4 = 4e-7 at t = 9.
    local function anneal(a, b, pct) return b + (a - b) / 2 * (1 + math.cos(math.pi * pct)) end
    for t = 0, 9 do want[t + 1] = t <= 2 and anneal(0.004, 0.1, t / 2) or anneal(0.1, 4e-7, (t - 2) / 7) end
    check(want, lrs{lr_schedule = "one_cycle"}, "one_cycle")
    near(0.004, want[1], 1e-15)
    near(0.052, want[2], 1e-15)
    near(4e-7, want[10], 1e-15)
  end)

  it("dropout: per-layer rates and decay; zero rates train exactly like no dropout", function()
    local ds = separable()
    local base = {hidden = {8, 8}, epochs = 20, batch_size = 10, seed = 4}
    local function proba(extra)
      local p = {}
      for k, v in pairs(base) do p[k] = v end
      for k, v in pairs(extra) do p[k] = v end
      return (knob.model.mlp(p):fit(ds):predict_proba(ds))
    end
    local plain = proba{}
    assert.same(plain, proba{layer_dropout = {0, 0}})
    assert.same(plain, proba{dropout = 0.5, layer_dropout = {0, 0}})       -- layer_dropout overrides dropout
    assert.are_not.same(plain, proba{dropout = 0.3})
    assert.are_not.same(proba{dropout = 0.3}, proba{dropout = 0.3, dropout_decay = 0.5})
    assert.same(proba{dropout = 0.3}, proba{layer_dropout = {0.3, 0.3}})
    local m = knob.model.mlp{hidden = {16}, dropout = 0.2, dropout_decay = 0.9, epochs = 150, batch_size = 10,
                             learning_rate = 0.01, seed = 1}:fit(ds)
    assert.equals(1, m:score(ds))
  end)

  it("is deterministic for a seed", function()
    local ds = separable()
    local p = {hidden = {8}, epochs = 10, batch_size = 7, dropout = 0.2, seed = 11}
    local a = knob.model.mlp(p):fit(ds):predict_proba(ds)
    local b = knob.model.mlp(p):fit(ds):predict_proba(ds)
    assert.same(a, b)
    p.seed = 12
    assert.are_not.same(a, knob.model.mlp(p):fit(ds):predict_proba(ds))
    -- without shuffling only the initial weights depend on the seed; still deterministic
    local q = {hidden = {8}, epochs = 5, shuffle = false, seed = 3}
    assert.same(knob.model.mlp(q):fit(ds):predict_proba(ds), knob.model.mlp(q):fit(ds):predict_proba(ds))
  end)

  it("sample weights: equal weights change nothing, zero weights silence rows", function()
    local ds = separable()
    local p = {hidden = {8}, epochs = 10, batch_size = 10, seed = 5}
    local twos, w = {}, {}
    for i = 1, #ds do twos[i] = 2 end
    assert.same(knob.model.mlp(p):fit(ds):predict_proba(ds),
                knob.model.mlp(p):fit(ds, {sample_weight = twos}):predict_proba(ds))
    -- flip the labels of the rows with a > 0.5 and give them weight 0: the model still learns the clean rule
    local X, y = {}, {}
    local clean = {}
    for i = 0, 9 do
      for j = 0, 9 do
        local a, b = -1 + 2 * i / 9, -1 + 2 * j / 9
        local label = a + b > 0 and "pos" or "neg"
        X[#X + 1], clean[#clean + 1] = {a, b}, label
        local noisy = a > 0.5
        y[#y + 1] = noisy and (label == "pos" and "neg" or "pos") or label
        w[#w + 1] = noisy and 0 or 1
      end
    end
    local dirty = knob.data.from_table{X = X, y = y, names = {"a", "b"}}
    local m = knob.model.mlp{hidden = {16}, epochs = 150, batch_size = 10, learning_rate = 0.01, seed = 1}
    m:fit(dirty, {sample_weight = w})
    assert.same(clean, m:predict(dirty))
    local zeros = {}
    for i = 1, #dirty do zeros[i] = 0 end
    assert.matches("sample weights of the training rows sum to zero",
                   errmsg(m.fit, m, dirty, {sample_weight = zeros}), 1, true)
  end)

  it("early stopping with an eval_set stops after patience epochs and restores the best weights", function()
    -- noisy labels and a large network overfit: the validation loss falls, then rises
    local function noisy(seed)
      local ds = knob.data.make_classification{n_samples = 120, n_features = 5, n_informative = 3, flip_y = 0.3,
                                               seed = seed}
      return ds
    end
    local train, valid = noisy(1), noisy(2)
    local m = knob.model.mlp{hidden = {64, 64}, learning_rate = 0.01, epochs = 300, batch_size = 16,
                             early_stopping = true, patience = 5, seed = 3}
    m:fit(train, {eval_set = valid})
    local h = m:history()
    local best, best_loss = 0, math.huge
    for i, it in ipairs(h.iterations) do
      if it.valid_loss < best_loss then best, best_loss = i, it.valid_loss end
    end
    assert.is_true(#h.iterations < 300)
    assert.equals("early_stopping (best epoch " .. best .. ")", h.status)
    assert.equals(best + 5, #h.iterations)              -- min_delta 0: patience counts from the best epoch
    near(best_loss, log_loss(m, valid), 1e-10, "final model's validation loss")
    -- the last epoch's metric is the accuracy of the weights of that epoch, not of the restored ones
    local kept = knob.model.mlp{hidden = {64, 64}, learning_rate = 0.01, epochs = 300, batch_size = 16,
                                early_stopping = true, patience = 5, restore_best = false, seed = 3}
    kept:fit(train, {eval_set = valid})
    assert.equals("early_stopping", kept:history().status)
    near(last(kept:history().iterations).valid_metric, kept:score(valid), 1e-15)
    near(last(kept:history().iterations).valid_loss, log_loss(kept, valid), 1e-10)
    -- min_delta: an improvement smaller than min_delta does not reset patience (epoch 1 sets the reference)
    local strict = knob.model.mlp{hidden = {64, 64}, learning_rate = 0.01, epochs = 300, batch_size = 16,
                                  early_stopping = true, patience = 5, min_delta = 10, seed = 3}
    strict:fit(train, {eval_set = valid})
    assert.equals(1 + 5, #strict:history().iterations)
  end)

  it("early stopping without an eval_set holds out a seeded validation_fraction", function()
    local ds = knob.data.make_classification{n_samples = 200, n_features = 5, flip_y = 0.2, seed = 7}
    local p = {hidden = {32}, learning_rate = 0.01, epochs = 200, batch_size = 16, early_stopping = true,
               patience = 3, validation_fraction = 0.25, seed = 1}
    local m = knob.model.mlp(p):fit(ds)
    local h = m:history()
    assert.matches("^early_stopping %(best epoch %d+%)$", h.status)
    for _, it in ipairs(h.iterations) do
      assert.is_number(it.valid_loss)
      -- accuracy on the 50 held-out rows: a multiple of 1/50
      near(math.floor(it.valid_metric * 50 + 0.5) / 50, it.valid_metric, 1e-12)
    end
    assert.same(h, knob.model.mlp(p):fit(ds):history())
    p.validation_fraction = 0.001   -- one validation row for two classes: cannot stratify
    assert.matches("mlp: early-stopping holdout: stratify", errmsg(function() knob.model.mlp(p):fit(
      knob.data.from_table{X = {{1}, {2}, {3}, {4}}, names = {"x"}, y = {"a", "b", "a", "b"}}) end), 1, true)
  end)

  it("stops cleanly on divergence with the last finite weights and a status", function()
    local ds = linear()
    local m = knob.model.mlp{hidden = {16}, optimizer = "sgd", learning_rate = 1e6, epochs = 50, seed = 1}
    m:fit(ds)
    local h = m:history()
    local epoch = tonumber(h.status:match("^diverged: loss is %a+ at epoch (%d+)$"))
    assert.is_truthy(epoch, h.status)
    assert.equals(epoch - 1, #h.iterations)
    assert.matches("diverged", m:info().status, 1, true)
    assert.is_true(epoch > 2)
    -- it keeps the weights of the last mini-batch whose loss was finite. Here an epoch is one batch (100 rows,
    -- batch_size 200): epoch N's loss was not finite, so the weights that gave epoch N - 1 its finite loss are
    -- kept — those after epoch N - 2: the model predicts exactly like the same fit stopped there
    local stopped = knob.model.mlp{hidden = {16}, optimizer = "sgd", learning_rate = 1e6, epochs = epoch - 2, seed = 1}
    local want = stopped:fit(ds):predict(ds)
    local got = m:predict(ds)
    assert.same(want, got)
    for i = 1, #got do assert.is_true(got[i] == got[i] and math.abs(got[i]) < math.huge) end
    local path = os.tmpname()
    assert.is_true(m:save(path))    -- finite weights: saved and loaded like any model
    local back = assert(knob.model.load(path))
    os.remove(path)
    assert.same(got, back:predict(ds))
    assert.equals(h.status, back:history().status)
  end)

  it("calls the callback each epoch; returning true stops cleanly, an error aborts", function()
    local ds = separable()
    local seen = {}
    local m = knob.model.mlp{hidden = {4}, epochs = 50, seed = 1}
    m:fit(ds, {eval_set = ds, callback = function(it)
      seen[#seen + 1] = it
      return it.iteration == 3
    end})
    assert.equals(3, #seen)
    assert.equals("callback", m:history().status)
    assert.equals(3, #m:history().iterations)
    for i, it in ipairs(seen) do
      assert.equals(i, it.iteration)
      assert.equals(0.001, it.learning_rate)
      assert.is_number(it.train_loss)
      assert.is_number(it.valid_loss)
      assert.is_number(it.valid_metric)
    end
    assert.matches("boom", errmsg(m.fit, m, ds, {callback = function() error("boom") end}), 1, true)
  end)

  it("regression: half squared error loss, rmse metric", function()
    local ds = linear()
    local m = knob.model.mlp{hidden = {16}, learning_rate = 0.01, epochs = 200, batch_size = 10, seed = 1}
    m:fit(ds, {eval_set = ds})
    local it = last(m:history().iterations)
    near(math.sqrt(2 * it.valid_loss), it.valid_metric, 1e-12)   -- loss = mean(r^2) / 2, rmse = sqrt(mean(r^2))
    assert.is_true(it.valid_metric < 0.05)
    local pred, y, sse = m:predict(ds), ds:target(), 0
    for i = 1, #y do sse = sse + (pred[i] - y[i]) ^ 2 end
    near(it.valid_metric, math.sqrt(sse / #y), 1e-12)
    assert.matches("predict_proba needs a fitted classifier", errmsg(m.predict_proba, m, ds), 1, true)
  end)

  it("multiclass: softmax probabilities sum to one", function()
    local ds = knob.data.make_blobs{n_samples = 150, centers = 3, n_features = 2, seed = 1}
    local m = knob.model.mlp{hidden = {8}, learning_rate = 0.01, epochs = 100, batch_size = 16, seed = 1}:fit(ds)
    local proba, classes = m:predict_proba(ds)
    assert.equals(3, #classes)
    for _, row in ipairs(proba) do near(1, row[1] + row[2] + row[3], 1e-14) end
    assert.is_true(m:score(ds) > 0.95)
    assert.equals(2 * 8 + 8 + 8 * 3 + 3, m:info().n_params)
  end)

  it("saves and loads with identical predictions; a corrupt state is a clear error", function()
    local ds = knob.data.make_blobs{n_samples = 60, centers = 3, n_features = 2, seed = 2}
    local m = knob.model.mlp{hidden = {5, 3}, activation = "gelu", epochs = 5, seed = 1,
                             layer_dropout = {0.1, 0.2}}:fit(ds)
    local path = os.tmpname()
    assert.is_true(m:save(path))
    local back = assert(knob.model.load(path))
    os.remove(path)
    assert.same(m:predict_proba(ds), back:predict_proba(ds))
    assert.same(m:predict(ds), back:predict(ds))
    assert.same(m:params(), back:params())
    local h, hb = m:history(), back:history()
    assert.equals(h.status, hb.status)
    for i, it in ipairs(h.iterations) do near(it.train_loss, hb.iterations[i].train_loss, 1e-14) end
    local text = m:to_json()
    local short = text:gsub('"theta":%[', '"theta":[1,', 1)
    local _, err = knob.model.from_json(short)
    assert.matches("field 'state.theta' must be an array of 45 numbers", err, 1, true)  -- 2*5+5+5*3+3+3*3+3
    local resized = text:gsub('"sizes":%[2,', '"sizes":[4,', 1)
    _, err = knob.model.from_json(resized)
    assert.matches("field 'state.sizes' entry 1 is 4 but the hyperparameters and schema give 2", err, 1, true)
    local missing = text:gsub('"theta":', '"thet":', 1)
    _, err = knob.model.from_json(missing)
    assert.matches("state.theta", err, 1, true)
  end)

  it("matches scikit-learn 1.2.1 MLPClassifier held-out accuracy on standardized digits (within 1 point)", function()
    local ds = knob.data.read_csv("examples/data/digits.csv", {target = "digit"})
    if not ds then pending("needs the CSV reader") return end
    -- every 4th row (0-based index % 4 == 0) is held out; scaler fitted on the training rows. Reference:
    --   import numpy as np, pandas as pd
    --   from sklearn.neural_network import MLPClassifier; from sklearn.preprocessing import StandardScaler
    --   df = pd.read_csv("examples/data/digits.csv"); y = df.pop("digit").to_numpy(); X = df.to_numpy(float)
    --   test = np.arange(len(y)) % 4 == 0; sc = StandardScaler().fit(X[~test])
    --   accs = [MLPClassifier(hidden_layer_sizes=(64,), activation="relu", solver="adam", alpha=0.0,
    --           batch_size=64, learning_rate_init=0.001, max_iter=100, tol=0.0, n_iter_no_change=1000,
    --           random_state=s).fit(sc.transform(X[~test]), y[~test]).score(sc.transform(X[test]), y[test])
    --           for s in range(5)]
    --   # [0.98, 0.98, 0.98, 0.9822222222222222, 0.98], mean 0.9804444444444445
    local sklearn = 0.9804444444444445
    local tr, te = {}, {}
    for i = 1, #ds do
      if (i - 1) % 4 == 0 then te[#te + 1] = i else tr[#tr + 1] = i end
    end
    local st = knob.prep.standardize{}
    local train = st:fit_transform(ds:subset(tr))
    local test = st:transform(ds:subset(te))
    local sum = 0
    for seed = 0, 4 do
      local m = knob.model.mlp{hidden = {64}, activation = "relu", optimizer = "adam", learning_rate = 0.001,
                               batch_size = 64, epochs = 100, seed = seed}:fit(train)
      sum = sum + m:score(test)
    end
    local acc = sum / 5
    assert(math.abs(acc - sklearn) <= 0.01, string.format("knob %.4f vs scikit-learn %.4f", acc, sklearn))
  end)

  it("rejects bad hyperparameters with clear messages", function()
    local cases = {
      {{hiden = {4}}, "mlp: unknown hyperparameter 'hiden' (valid: hidden, activation"},
      {{hidden = {0}}, "hyperparameter 'hidden' must be >= 1 (got 0)"},
      {{hidden = {2.5}}, "hyperparameter 'hidden' must be an integer"},
      {{hidden = 4}, "hyperparameter 'hidden' must be a list of integers (got number)"},
      {{activation = "swish"}, "'activation' must be one of relu, tanh, sigmoid, gelu (got 'swish')"},
      {{optimizer = "rmsprop"}, "'optimizer' must be one of sgd, momentum, nesterov, adam, adamw"},
      {{lr_schedule = "linear"}, "'lr_schedule' must be one of constant, step, exponential, cosine, cyclic"},
      {{learning_rate = 0}, "'learning_rate' must be > 0 (got 0)"},
      {{learning_rate = 0 / 0}, "'learning_rate' must be finite"},
      {{learning_rate = "fast"}, "'learning_rate' must be a number (got string)"},
      {{momentum = 1}, "'momentum' must be < 1 (got 1)"},
      {{beta2 = -0.1}, "'beta2' must be >= 0"},
      {{eps = 0}, "'eps' must be > 0"},
      {{weight_decay = -1}, "'weight_decay' must be >= 0"},
      {{batch_size = 0}, "'batch_size' must be >= 1 (got 0)"},
      {{epochs = 0}, "'epochs' must be >= 1 (got 0)"},
      {{dropout = 1}, "'dropout' must be < 1 (got 1)"},
      {{dropout_decay = 0}, "'dropout_decay' must be > 0"},
      {{gamma = 1.5}, "'gamma' must be <= 1"},
      {{validation_fraction = 1}, "'validation_fraction' must be < 1"},
      {{patience = 0}, "'patience' must be >= 1"},
      {{early_stopping = 1}, "'early_stopping' must be a boolean (got number)"},
      {{layer_dropout = {0.5}}, "mlp: layer_dropout has 1 rate but there are 2 hidden layers", {hidden = {4, 4}}},
      {{layer_dropout = {0.5, 0.1}}, "mlp: layer_dropout has 2 rates but there is 1 hidden layer"},
      {{layer_dropout = "0.5,0.1"}, "hyperparameter 'layer_dropout' must be a list of numbers (got string)"},
      {{layer_dropout = {1}}, "hyperparameter 'layer_dropout' must be < 1 (got 1)"},
      {{layer_dropout = {-0.1}}, "hyperparameter 'layer_dropout' must be >= 0 (got -0.10000000000000001)"},
      {{layer_dropout = {}}, "mlp: layer_dropout has 0 rates but there is 1 hidden layer"},
      {{lr_schedule = "exponential"}, "mlp: lr_schedule 'exponential' needs gamma"},
      {{warmup_epochs = 10, epochs = 10}, "mlp: warmup_epochs (10) must be less than epochs (10)"},
      {{lr_schedule = "one_cycle", warmup_epochs = 2}, "warmup_epochs does not combine with lr_schedule 'one_cycle'"},
      {{lr_schedule = "cosine", min_lr = 0.01, learning_rate = 0.01},
       "mlp: min_lr (0.01) must be less than learning_rate (0.01) for lr_schedule 'cosine'"},
    }
    for _, c in ipairs(cases) do
      local p = c[1]
      for k, v in pairs(c[3] or {}) do p[k] = v end
      assert.matches(c[2], errmsg(knob.model.mlp, p), 1, true)
    end
  end)

  it("rejects categorical, missing, non-finite and one-class inputs clearly", function()
    local m = knob.model.mlp{hidden = {2}, epochs = 1}
    local cat = knob.data.from_table{X = {{1, "u"}, {2, "v"}}, names = {"x", "c"}, y = {"a", "b"}}
    assert.matches("mlp: column 'c' is categorical; the mlp needs numeric inputs (one-hot encode it first: " ..
                   "knob.prep.onehot)", errmsg(m.fit, m, cat), 1, true)
    local nan = knob.data.from_table{X = {{1, 1}, {2, 2}, {3, 0 / 0}}, names = {"x", "z"}, y = {"a", "b", "a"}}
    assert.matches("mlp: column 'z' has a missing value at row 3 of the training data (impute it first: " ..
                   "knob.prep.impute)", errmsg(m.fit, m, nan), 1, true)
    local inf = knob.data.from_table{X = {{1, 1}, {1 / 0, 2}}, names = {"x", "z"}, y = {"a", "b"}}
    assert.matches("mlp: column 'x' has an infinite value at row 2 of the training data", errmsg(m.fit, m, inf), 1,
                   true)
    local ok = knob.data.from_table{X = {{1, 1}, {2, 2}, {3, 3}}, names = {"x", "z"}, y = {"a", "b", "a"}}
    m:fit(ok)
    assert.matches("column 'z' has a missing value at row 3 of the prediction data", errmsg(m.predict, m, nan), 1,
                   true)
    assert.matches("of the eval_set data", errmsg(m.fit, m, ok, {eval_set = nan}), 1, true)
    local reg = knob.data.from_table{X = {{1, 1}}, names = {"x", "z"}, y = {1}, task = "regression"}
    assert.matches("mlp: the eval_set needs a target of the same task", errmsg(m.fit, m, ok, {eval_set = reg}), 1,
                   true)
    local one = knob.data.from_table{X = {{1}, {2}}, names = {"x"}, y = {"a", "a"}}
    assert.matches("mlp: classification needs at least 2 classes (the target has 1)", errmsg(m.fit, m, one), 1, true)
    assert.matches("mlp: model is not fitted", errmsg(function() knob.model.mlp{}:predict(ok) end), 1, true)
  end)
end)

describe("knob.mlp.lr_range_test", function()
  it("sweeps the learning rate exponentially and smooths the loss", function()
    local ds = separable()
    local m = knob.model.mlp{hidden = {8}, optimizer = "sgd", batch_size = 10}
    local r = mlp.lr_range_test(m, ds, {lr_min = 1e-4, lr_max = 1e-2, steps = 30})
    assert.equals(30, #r.lrs)
    assert.equals(30, #r.losses)
    assert.equals(30, #r.smoothed)
    near(1e-4, r.lrs[1], 1e-15)
    near(1e-2, r.lrs[30], 1e-13)
    local factor = 100 ^ (1 / 29)     -- (lr_max / lr_min)^(1 / (steps - 1))
    for i = 2, 30 do near(factor, r.lrs[i] / r.lrs[i - 1], 1e-12) end
    -- bias-corrected exponential moving average with beta = 0.98 (hand-derived for the first two steps)
    near(r.losses[1], r.smoothed[1], 1e-15)
    near((0.98 * 0.02 * r.losses[1] + 0.02 * r.losses[2]) / (1 - 0.98 ^ 2), r.smoothed[2], 1e-13)
    local best = 1
    for i = 2, 30 do if r.smoothed[i] < r.smoothed[best] then best = i end end
    assert.equals(r.lrs[best], r.lr_at_min)
    near(r.lrs[best] / 10, r.lr_suggested, 1e-15)
    assert.is_false(m:is_fitted())            -- the model is not touched
    local again = mlp.lr_range_test(m, ds, {lr_min = 1e-4, lr_max = 1e-2, steps = 30})
    assert.same(r.losses, again.losses)       -- seeded
  end)

  it("stops once the smoothed loss exceeds stop_factor times its minimum", function()
    local ds = linear()
    local r = mlp.lr_range_test(knob.model.mlp{hidden = {8}, optimizer = "sgd", batch_size = 10}, ds,
                                {lr_min = 1e-3, lr_max = 1e6, steps = 200, smoothing = 0.5})
    assert.is_true(#r.lrs < 200)
    local min, n = math.huge, #r.smoothed   -- the running minimum of the smoothed loss
    for i = 1, n - 1 do
      assert.is_true(r.smoothed[i] <= 4 * min, "step " .. i)
      min = math.min(min, r.smoothed[i])
    end
    assert.is_true(r.smoothed[n] ~= r.smoothed[n] or r.smoothed[n] > 4 * min)
  end)

  it("rejects bad input", function()
    local ds = separable(4)
    local m = knob.model.mlp{}
    assert.matches("lr_range_test needs an mlp model (got 'dummy')",
                   errmsg(mlp.lr_range_test, knob.model.dummy{}, ds), 1, true)
    assert.matches("lr_min must be a finite number > 0 (got 0)", errmsg(mlp.lr_range_test, m, ds, {lr_min = 0}), 1,
                   true)
    assert.matches("lr_max must be finite and > lr_min", errmsg(mlp.lr_range_test, m, ds, {lr_max = 1e-8}), 1, true)
    assert.matches("option 'steps' must be >= 2 (got 1)", errmsg(mlp.lr_range_test, m, ds, {steps = 1}), 1, true)
    assert.matches("smoothing must be in [0, 1) (got 1)", errmsg(mlp.lr_range_test, m, ds, {smoothing = 1}), 1, true)
    assert.matches("stop_factor must be > 1 (got 1)", errmsg(mlp.lr_range_test, m, ds, {stop_factor = 1}), 1, true)
    assert.matches("lr_range_test: unknown option 'lr_mni'", errmsg(mlp.lr_range_test, m, ds, {lr_mni = 1}), 1, true)
    assert.matches("option 'steps' must be an integer", errmsg(mlp.lr_range_test, m, ds, {steps = 2.5}), 1, true)
    assert.matches("knob.Dataset expected", errmsg(mlp.lr_range_test, m, {}), 1, true)
    local nolabel = knob.data.from_table{X = {{1}, {2}}, names = {"x"}}
    assert.matches("lr_range_test: the data has no target", errmsg(mlp.lr_range_test, m, nolabel), 1, true)
    local cat = knob.data.from_table{X = {{"u"}, {"v"}}, names = {"c"}, y = {"a", "b"}}
    assert.matches("column 'c' is categorical", errmsg(mlp.lr_range_test, m, cat), 1, true)
    local bad = knob.model.mlp{lr_schedule = "exponential", gamma = 0.5}
    assert.is_table(mlp.lr_range_test(bad, ds, {steps = 5}))
    m:close()
    assert.matches("model is closed", errmsg(mlp.lr_range_test, m, ds), 1, true)
  end)
end)
