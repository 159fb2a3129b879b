-- examples/learning_curve.lua — would more data help, or a different model? And which learning rate?
--
--   knob examples/learning_curve.lua [data.csv target]   (default: examples/data/breast_cancer.csv diagnosis)
--
-- On the training rows (the test split stays locked): the learning curves of a scaled logistic regression and
-- of a default gbdt (8 log-spaced training sizes, 5-fold CV repeated 3 times, with the dummy's score for
-- reference) and their diagnosis (high bias / high variance / still improving / converged: the rules are in
-- stdlib/knob/curves.lua); then the validation curve of gbdt's learning_rate.
local knob = require "knob"

local path, target = knob.recipe.args(arg)
local seed = 42

local section = knob.recipe.section

local ds = assert(knob.data.read_csv(path, {target = target}))
local classification = ds:task() == "classification"
local train = ds:split{test = 0.2, stratify = classification, seed = seed}
local metric = classification and "accuracy" or "r2"
print(("%s: %d training rows, metric %s, seed %d"):format(path, train:rows(), metric, seed))

local t0 = knob.sys.clock()
section("learning curve: logistic regression (standardized features)")
local linear = classification and knob.model.logistic{} or knob.model.linear{}
local lc_lin = knob.curves.learning(knob.pipeline{knob.prep.standardize(), linear}, train,
                                    {sizes = 8, repeats = 3, folds = 5, metric = metric, seed = seed})
print(lc_lin)

section("learning curve: gbdt (defaults)")
local lc_gbdt = knob.curves.learning(knob.model.gbdt{seed = seed}, train,
                                     {sizes = 8, repeats = 2, folds = 5, metric = metric, seed = seed})
print(lc_gbdt)

section("validation curve: gbdt learning_rate (5-fold CV)")
local rates = {0.01, 0.03, 0.1, 0.3, 1.0}
local vc = knob.curves.validation(function(lr) return knob.model.gbdt{learning_rate = lr, seed = seed} end,
                                  "learning_rate", rates, train, {folds = 5, metric = metric, seed = seed})
print(vc)

section("what the curves say")
for _, c in ipairs({{"logistic", lc_lin}, {"gbdt", lc_gbdt}}) do
  local last = c[2].points[#c[2].points]
  print(("%-9s at %d rows: valid %.4f ± %.4f (dummy %.4f) -> %s"):format(c[1], last.n_train, last.valid_mean,
    last.valid_std, c[2].baseline, table.concat(c[2].diagnosis.labels, " + ")))
end
local best = vc.points[vc.best.index]
print(("gbdt's best learning_rate here is %s (valid %.4f ± %.4f, train %.4f); the default is 0.1")
  :format(tostring(vc.best.value), best.valid_mean, best.valid_std, best.train_mean))
if #vc.close_to_best > 1 then
  print(("but %d of the %d rates are within one std of it: tune learning_rate together with the number of trees" ..
    " (a study), rather than trust this one-dimensional curve"):format(#vc.close_to_best, #rates))
end
print(("(%.1f s in all)"):format(knob.sys.clock() - t0))
