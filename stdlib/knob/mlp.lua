-- knob.mlp — extras of the multilayer perceptron (the model itself is knob.model.mlp{...}).
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
