-- knob.mlp — extras of the multilayer perceptron (the model itself is knob.model.mlp{...}).
--
-- The model, knob.model.mlp{hidden = {64, 64}, activation = "relu", optimizer = "adam", ...}
-- (knob.model.kinds() lists every hyperparameter with its default, range and a line of documentation):
--   * Inputs: numeric columns without missing values. A categorical column is an error asking for
--     knob.prep.onehot; a NaN is an error naming the column and row (knob.prep.impute). Features are NOT scaled
--     internally (like scikit-learn's MLP): standardize first (knob.prep.standardize) — unscaled inputs train
--     slowly or diverge.
--   * hidden = {} (the default) means one layer of 100 units. Weights start He-uniform (relu, gelu) or
--     Glorot-uniform (tanh, sigmoid, and the output layer), biases at 0, from `seed`.
--   * Output and loss: one sigmoid unit for two classes, softmax for more (cross-entropy); identity for
--     regression with half the squared error (scikit-learn's loss_; the history's valid_metric is the rmse).
--   * weight_decay: L2 on the weights, never the biases, as + weight_decay * w in the gradient of the mean
--     batch loss (scikit-learn's alpha = weight_decay * batch_size); adamw decays decoupled (PyTorch's AdamW).
--   * momentum / nesterov follow PyTorch's SGD; adam uses bias-corrected moments with eps outside the root.
--   * Schedules are per epoch (formulas in engine/include/knob/mlp.h): constant, step (gamma, default 0.1),
--     exponential (needs gamma), cosine (to min_lr), cyclic (triangular between min_lr and learning_rate,
--     step_size epochs per half cycle), one_cycle (PyTorch's OneCycleLR, one step per epoch);
--     warmup_epochs = W ramps epoch e <= W up linearly as learning_rate * e / (W + 1).
--   * dropout: one rate for every hidden layer, or layer_dropout = {0.5, 0.2} per layer (overrides it);
--     epoch e uses rate * dropout_decay^(e - 1). Inverted dropout: prediction uses no dropout.
--   * history(): per epoch train_loss (mean over the epoch's mini-batches, dropout on, no L2 term),
--     valid_loss and valid_metric (accuracy / rmse) on fit's eval_set or the early-stopping holdout, and the
--     learning_rate. Status: "epochs", "callback", "early_stopping", with " (best epoch N)" when the best
--     weights were restored, or "diverged: ...".
--   * early_stopping: without an eval_set, a seeded holdout of validation_fraction of the rows (stratified for
--     classification) is set aside. Training stops when the validation loss has not improved by more than
--     min_delta on the best so far for `patience` epochs (epoch 1 sets the reference); with restore_best the
--     model ends with the weights of the epoch of the lowest validation loss.
--   * Divergence (a non-finite loss, weights or validation loss) stops training cleanly: the status says
--     "diverged: loss is nan at epoch N" and the model keeps the weights of the last mini-batch whose loss was
--     finite (the best ones with early_stopping and restore_best). Check the status: such a model is rarely
--     good, but it never holds NaN weights.
--   * BLAS: matrix products go through OpenBLAS, whose threads are its own (OPENBLAS_NUM_THREADS); fit's
--     `threads` option is not used. For small networks OPENBLAS_NUM_THREADS=1 is often faster and leaves the
--     cores to parallel trials. Same seed, same machine: bit-identical results; a CPU with other BLAS kernels
--     may differ in the last bits.
--
--   local mlp = require "knob.mlp"
--   local curve = mlp.lr_range_test(knob.model.mlp{hidden = {64, 64}, optimizer = "sgd"}, train,
--                                   {lr_min = 1e-6, lr_max = 1, steps = 200})
--   print(curve.lr_at_min, curve.lr_suggested)   -- lr_suggested = lr_at_min / 10
--
-- lr_range_test(model, ds, opts) runs Leslie Smith's learning-rate range test with the model's hyperparameters
-- (its learning_rate and lr_schedule are ignored; the model is not changed): a fresh network is trained on
-- `steps` mini-batches while the learning rate grows exponentially from lr_min to lr_max; it stops early once
-- the smoothed loss exceeds stop_factor x its minimum (or is not finite). Options (defaults): lr_min (1e-7),
-- lr_max (10), steps (100), smoothing (0.98: bias-corrected exponential moving average), stop_factor (4).
-- Returns {lrs = {...}, losses = {...}, smoothed = {...}, lr_at_min = the rate of the lowest smoothed loss,
-- lr_suggested = lr_at_min / 10 (the usual rule of thumb: an order of magnitude below the minimum)}.
local core = require "knob.core"

local mlp = {}

function mlp.lr_range_test(model, ds, opts)
  local ok, r = pcall(core.mlp.lr_range_test, model, ds, opts)
  if not ok then error(r, 2) end
  local best = 1
  for i = 2, #r.smoothed do
    if r.smoothed[i] < r.smoothed[best] then best = i end
  end
  r.lr_at_min = r.lrs[best]
  r.lr_suggested = r.lrs[best] / 10
  return r
end

return mlp
