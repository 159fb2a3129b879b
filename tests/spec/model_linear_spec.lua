-- model_linear_spec.lua — knob.model.linear: least squares, ridge, lasso, elastic net against scikit-learn.
--
-- Expected values were produced once with scikit-learn 1.2.1 / numpy 1.24.2 (/usr/bin/python3, run from the
-- repository root) by this snippet; floats printed with repr():
--
--   import numpy as np, pandas as pd
--   from sklearn.linear_model import LinearRegression, Ridge, Lasso, ElasticNet
--   d = pd.read_csv("examples/data/diabetes.csv")
--   X = d.drop(columns="progression").values; y = d["progression"].values
--   w = 1.0 + np.arange(len(y)) % 3                      # sample weights 1, 2, 3, 1, 2, 3, ...
--   def lua(v): return "{" + ", ".join(repr(float(x)) for x in np.ravel(v)) + "}"
--   def show(name, m): print(f"{name} = {{coef = {lua(m.coef_)}, intercept = {float(m.intercept_)!r}}},")
--   show("ols", LinearRegression().fit(X, y))
--   show("ridge", Ridge(alpha=1.0).fit(X, y))
--   show("ridge_w", Ridge(alpha=1.0).fit(X, y, sample_weight=w))
--   show("ridge_noint", Ridge(alpha=1.0, fit_intercept=False).fit(X, y))
--   show("lasso", Lasso(alpha=0.1, tol=1e-12, max_iter=100000).fit(X, y))
--   show("lasso_sparse", Lasso(alpha=2.0, tol=1e-12, max_iter=100000).fit(X, y))
--   show("enet", ElasticNet(alpha=0.1, l1_ratio=0.7, tol=1e-12, max_iter=100000).fit(X, y))
--   show("enet_w", ElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-12, max_iter=100000).fit(X, y, sample_weight=w))
--   r = Ridge(alpha=1.0).fit(X, y); imp = np.abs(r.coef_) * X.std(axis=0); print("ridge_importances =", lua(imp / imp.sum()))
--   te = np.arange(len(y)) % 4 == 0                     # held out: 0-based rows 0, 4, 8, ...
--   for name, m in [("ols", LinearRegression()), ("ridge", Ridge(alpha=1.0)),
--                   ("lasso", Lasso(alpha=0.1, tol=1e-12, max_iter=100000))]:
--       print(f"r2_{name} =", repr(m.fit(X[~te], y[~te]).score(X[te], y[te])))
--   band = np.where(d["age"] >= 60, "old", np.where(d["age"] >= 40, "mid", "young"))   # age as a category
--   Xc = np.column_stack([pd.get_dummies(band).values.astype(float), X[:, 1:]])
--   for name, m in [("ols", LinearRegression()), ("ridge", Ridge(alpha=1.0))]:
--       print(f"onehot_{name}_pred =", lua(m.fit(Xc, y).predict(Xc[:5])))
local knob = require "knob"
local H = require "linear_models_helper"

local SK = {
  ols = {coef = {-0.036361224223618455, -22.859648090498386, 5.602962091923714, 1.1168079933181858, -1.0899963340632302, 0.7464504555142089, 0.3720047150891356, 6.5338319359903405, 68.48312496478826, 0.28011698932149576}, intercept = -334.56713851878544},
  ridge = {coef = {-0.03285239685543166, -22.607045432279943, 5.640405234365653, 1.1189975700485104, -0.9146734842698945, 0.5849098252881801, 0.17788523837881803, 6.2504417786616395, 63.179080873617366, 0.28776690289978646}, intercept = -316.077118604289},
  ridge_w = {coef = {-0.07718022890342512, -19.423299240331776, 5.540625238559063, 1.0223807239259644, -1.1553558363893626, 0.8166195930202903, 0.4694547241657477, 7.521638651467291, 67.76247083050693, 0.3095096847768391}, intercept = -330.4646404169167},
  ridge_noint = {coef = {0.02146006534437128, -25.77335985516478, 5.361632305397319, 1.0164972599550275, 1.2708613229778578, -1.293182769656419, -3.067491679521433, -5.450316141059601, 5.250924240444186, 0.12325165667074642}, intercept = 0.0},
  lasso = {coef = {-0.03422279260528476, -22.318880533780973, 5.628234934900233, 1.1138766959004827, -0.9348422389466402, 0.6134460927137628, 0.17627318118602056, 5.754816262364746, 64.3289633877177, 0.28537555771448836}, intercept = -318.12881282139836},
  lasso_sparse = {coef = {-0.0, -12.57838853508421, 6.099096011044702, 1.0878938185063618, 1.1953922614243733, -1.3020497681662462, -2.2084485120002864, 0.0, 1.4591714852241693, 0.35944469588650313}, intercept = -98.6413910529183},
  enet = {coef = {-0.016914516412168887, -19.535956555638762, 5.880831146488274, 1.1200818329962465, 0.15654706044502145, -0.3927257694829492, -1.0130055844313908, 3.9943132762495894, 31.320524704506898, 0.330329615732315}, intercept = -205.09733732825842},
  enet_w = {coef = {-0.06379202424464592, -17.27421466248108, 5.756086986237729, 1.0319145642689376, -0.1490686825142641, -0.08810193503303428, -0.6984339585635025, 4.893770814755415, 37.41058133888366, 0.34003786645901657}, intercept = -219.9075397724075},
}
local ridge_importances = {0.0029050854283806447, 0.07618225855053819, 0.16810062580119142, 0.10440300197541293, 0.21353280364429525, 0.11999708528546002, 0.015520328775754358, 0.05440931066801023, 0.22263322994593868, 0.02231626992501832}
local r2_ols, r2_ridge, r2_lasso = 0.46289118467727053, 0.4637395856706624, 0.4646588139446626
local onehot_ols_pred = {202.50610260857115, 64.4305054681509, 182.4536554525355, 169.516838396938, 125.05334462587575}
local onehot_ridge_pred = {202.00964317094304, 65.24643784358562, 181.9387435698623, 168.50709452671595, 125.12550248031044}

local DIABETES = "examples/data/diabetes.csv"

describe("knob.model.linear", function()
  local ds, X, y = H.dataset(DIABETES, "progression", "regression")
  local n = #y
  local w = {}
  for i = 1, n do w[i] = 1 + (i - 1) % 3 end

  local function fit(params, opts)
    return knob.model.linear(params):fit(ds, opts)
  end

  local function check(m, ref, tol, what)
    H.near(ref.coef, H.state(m, "coef"), tol, what .. " coef")
    H.near({ref.intercept}, H.state(m, "intercept"), tol, what .. " intercept")
  end

  describe("matches scikit-learn on diabetes", function()
    it("ordinary least squares (LinearRegression) to 1e-6", function()
      local m = fit{}
      check(m, SK.ols, 1e-6, "ols")
      assert.equals("converged", m:history().status)
      assert.equals(0, #m:history().iterations)
    end)

    it("ridge (Ridge alpha = 1) to 1e-6, with and without an intercept", function()
      check(fit{penalty = "l2", alpha = 1}, SK.ridge, 1e-6, "ridge")
      check(fit{penalty = "l2", alpha = 1, fit_intercept = false}, SK.ridge_noint, 1e-6, "ridge_noint")
    end)

    it("ridge with sample weights to 1e-6", function()
      check(fit({penalty = "l2", alpha = 1}, {sample_weight = w}), SK.ridge_w, 1e-6, "ridge_w")
    end)

    it("lasso (alpha = 0.1 and a sparse alpha = 2) to 1e-4, with the same zeros", function()
      local m = fit{penalty = "l1", alpha = 0.1, tol = 1e-12, max_iter = 100000}
      check(m, SK.lasso, 1e-4, "lasso")
      assert.equals("converged", m:history().status)
      local sparse = fit{penalty = "l1", alpha = 2, tol = 1e-12, max_iter = 100000}
      check(sparse, SK.lasso_sparse, 1e-4, "lasso_sparse")
      local coef = H.state(sparse, "coef")
      assert.equals(0, coef[1])
      assert.equals(0, coef[8])
    end)

    it("elastic net to 1e-4, with sample weights too", function()
      check(fit{penalty = "elasticnet", alpha = 0.1, l1_ratio = 0.7, tol = 1e-12, max_iter = 100000}, SK.enet, 1e-4, "enet")
      check(fit({penalty = "elasticnet", alpha = 0.05, l1_ratio = 0.5, tol = 1e-12, max_iter = 100000}, {sample_weight = w}),
            SK.enet_w, 1e-4, "enet_w")
    end)

    it("alpha = 0 is least squares whatever the penalty", function()
      check(fit{penalty = "l1", alpha = 0}, SK.ols, 1e-6, "l1 alpha 0")
      check(fit{penalty = "l2", alpha = 0}, SK.ols, 1e-6, "l2 alpha 0")
    end)

    it("held-out R^2 on the same split", function()
      local tr, te = H.every_kth(n, 4)
      local train, test = ds:subset(tr), ds:subset(te)
      local yt = test:target()
      local function r2(params) return H.r2(yt, knob.model.linear(params):fit(train):predict(test)) end
      assert.is_true(math.abs(r2{} - r2_ols) < 1e-9)
      assert.is_true(math.abs(r2{penalty = "l2", alpha = 1} - r2_ridge) < 1e-9)
      assert.is_true(math.abs(r2{penalty = "l1", alpha = 0.1, tol = 1e-12, max_iter = 100000} - r2_lasso) < 1e-6)
      assert.is_true(math.abs(knob.model.linear{}:fit(train):score(test) - r2_ols) < 1e-9)
    end)

    it("predicts a window of consecutive rows in place exactly as a copy of those rows", function()
      local rows = {}
      for i = 51, 150 do rows[i - 50] = i end
      local window = ds:subset(rows)
      local m = fit{penalty = "l2"}
      assert.same(m:predict(window:copy()), m:predict(window))
      assert.same(H.state(knob.model.linear{}:fit(window), "coef"), H.state(knob.model.linear{}:fit(window:copy()), "coef"))
    end)

    it("importances are |coef| x column std, normalised", function()
      local imp = fit{penalty = "l2", alpha = 1}:feature_importances()
      local names = ds:names()
      local got = {}
      for j, name in ipairs(names) do got[j] = imp[name] end
      H.near(ridge_importances, got, 1e-9, "importances")
    end)
  end)

  describe("categorical features", function()
    local function band(names, Xr)
      names[1] = "age_band"
      for _, r in ipairs(Xr) do r[1] = r[1] >= 60 and "old" or r[1] >= 40 and "mid" or "young" end
    end
    local cds = H.dataset(DIABETES, "progression", "regression", band)

    it("are one-hot encoded internally (rank-deficient least squares and ridge match scikit-learn)", function()
      local first5 = cds:subset{1, 2, 3, 4, 5}
      local ols = knob.model.linear{}:fit(cds)
      H.near(onehot_ols_pred, ols:predict(first5), 1e-6, "one-hot ols")
      H.near(onehot_ridge_pred, knob.model.linear{penalty = "l2"}:fit(cds):predict(first5), 1e-6, "one-hot ridge")
      assert.equals(12, #H.state(ols, "coef"))          -- 3 level indicators + 9 numeric columns
      local imp = ols:feature_importances()
      assert.is_number(imp.age_band)
      assert.is_nil(imp.age)
    end)

    it("a level unseen in training predicts with all indicators zero", function()
      local train = knob.data.from_table{X = {{"a", 1}, {"b", 2}, {"a", 3}, {"b", 5}}, y = {1, 2, 3, 4.5},
                                         names = {"c", "x"}, task = "regression"}
      local m = knob.model.linear{penalty = "l2", alpha = 0.1}:fit(train)
      local new = knob.data.from_table{X = {{"z", 2}}, y = {0}, names = {"c", "x"}, task = "regression"}
      local p = m:predict(new)[1]
      local coef, b = H.state(m, "coef"), H.state(m, "intercept")[1]
      assert.is_true(math.abs(p - (b + coef[3] * 2)) < 1e-12)
    end)
  end)

  describe("wide data", function()
    -- scikit-learn 1.2.1:  rng = np.random.RandomState(0); X = rng.randn(8, 12); y = rng.randn(8)
    --   for fi in (True, False): m = Ridge(alpha=0.5, fit_intercept=fi).fit(X, y); print(m.coef_, m.intercept_)
    local Xw = {
        {1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458, 1.8675579901499675, -0.977277879876411, 0.9500884175255894, -0.1513572082976979, -0.10321885179355784, 0.41059850193837233, 0.144043571160878, 1.454273506962975},
        {0.7610377251469934, 0.12167501649282841, 0.44386323274542566, 0.33367432737426683, 1.4940790731576061, -0.20515826376580087, 0.31306770165090136, -0.8540957393017248, -2.5529898158340787, 0.6536185954403606, 0.8644361988595057, -0.7421650204064419},
        {2.2697546239876076, -1.4543656745987648, 0.04575851730144607, -0.1871838500258336, 1.5327792143584575, 1.469358769900285, 0.1549474256969163, 0.37816251960217356, -0.8877857476301128, -1.980796468223927, -0.3479121493261526, 0.15634896910398005},
        {1.2302906807277207, 1.2023798487844113, -0.3873268174079523, -0.30230275057533557, -1.0485529650670926, -1.4200179371789752, -1.7062701906250126, 1.9507753952317897, -0.5096521817516535, -0.4380743016111864, -1.2527953600499262, 0.7774903558319101},
        {-1.6138978475579515, -0.2127402802139687, -0.8954665611936756, 0.386902497859262, -0.510805137568873, -1.180632184122412, -0.028182228338654868, 0.42833187053041766, 0.06651722238316789, 0.3024718977397814, -0.6343220936809636, -0.3627411659871381},
        {-0.672460447775951, -0.3595531615405413, -0.813146282044454, -1.7262826023316769, 0.17742614225375283, -0.4017809362082619, -1.6301983469660446, 0.4627822555257742, -0.9072983643832422, 0.05194539579613895, 0.7290905621775369, 0.12898291075741067},
        {1.1394006845433007, -1.2348258203536526, 0.402341641177549, -0.6848100909403132, -0.8707971491818818, -0.5788496647644155, -0.31155253212737266, 0.05616534222974544, -1.1651498407833565, 0.9008264869541871, 0.46566243973045984, -1.5362436862772237},
        {1.4882521937955997, 1.8958891760305832, 1.1787795711596507, -0.17992483581235091, -1.0707526215105425, 1.0544517269311366, -0.40317694697317963, 1.2224450703824274, 0.2082749780768603, 0.9766390364837128, 0.3563663971744019, 0.7065731681919482}}
    local yw = {0.010500020720820478, 1.7858704939058352, 0.12691209270361992, 0.40198936344470165, 1.8831506970562544, -1.3477590611424464, -1.2704849984857336, 0.9693967081580112}
    local with_b = {coef = {-0.5474051613083473, 0.8837332395406242, -0.1666508626948242, 0.5146449027522398, -0.06570976149160726, 0.5308877959112537, 0.5301828303311455, 0.0036894319445207047, -0.5367296351927162, -0.2640801542427569, -0.6297894884612935, -0.4220942060720938}, intercept = 0.7724574006720579}
    local without_b = {coef = {-0.5122418744483691, 0.6436035421921033, -0.2612286498425648, 0.6761931647159631, 0.09543640380955143, 0.5619512487700131, 0.5234486709118653, 0.7190408191594114, -0.8912092470380871, 0.06822281496620564, -0.5398224426786229, -0.3563852909850459}, intercept = 0.0}

    it("ridge with more features than rows (the n x n kernel form) matches scikit-learn to 1e-9", function()
      local wds = knob.data.from_table{X = Xw, y = yw, task = "regression"}
      local function got(params)
        local m = knob.model.linear(params):fit(wds)
        return H.state(m, "coef"), H.state(m, "intercept")[1]
      end
      local w, b = got{penalty = "l2", alpha = 0.5}
      H.near(with_b.coef, w, 1e-9, "wide coef")
      H.near({with_b.intercept}, {b}, 1e-9, "wide intercept")
      w, b = got{penalty = "l2", alpha = 0.5, fit_intercept = false}
      H.near(without_b.coef, w, 1e-9, "wide coef, no intercept")
      assert.equals(0, b)
    end)
  end)

  describe("iterations and history", function()
    it("records one history entry per coordinate-descent sweep with a decreasing objective", function()
      local m = fit{penalty = "l1", alpha = 0.1}
      local h = m:history()
      assert.equals("converged", h.status)
      assert.is_true(#h.iterations > 1)
      for i = 2, #h.iterations do
        assert.is_true(h.iterations[i].train_loss <= h.iterations[i - 1].train_loss + 1e-12)
      end
    end)

    it("reports max_iter when the sweeps run out", function()
      local h = fit{penalty = "l1", alpha = 0.1, max_iter = 3, tol = 1e-12}:history()
      assert.equals("max_iter", h.status)
      assert.equals(3, #h.iterations)
    end)

    it("honours the callback and fills validation scores from eval_set", function()
      local tr, te = H.every_kth(n, 4)
      local seen = 0
      local m = knob.model.linear{penalty = "elasticnet", alpha = 0.01, tol = 1e-12}
      m:fit(ds:subset(tr), {eval_set = ds:subset(te), callback = function(info)
        seen = seen + 1
        assert.equals(seen, info.iteration)
        assert.is_number(info.valid_loss)
        assert.is_number(info.valid_metric)
        return seen == 4
      end})
      assert.equals(4, seen)
      assert.equals("stopped by callback", m:history().status)
      assert.equals(4, #m:history().iterations)
    end)

    it("propagates an error raised in the callback", function()
      assert.has_error(function()
        fit({penalty = "l1", alpha = 0.1}, {callback = function() error("boom") end})
      end)
    end)
  end)

  describe("persistence", function()
    it("a save/load round trip gives identical predictions", function()
      for _, params in ipairs{{}, {penalty = "l2"}, {penalty = "elasticnet", alpha = 0.1}} do
        local m = fit(params)
        local path = os.tmpname()
        assert.is_true(m:save(path))
        local back = assert(knob.model.load(path))
        os.remove(path)
        assert.same(m:predict(ds), back:predict(ds))
        assert.same(m:feature_importances(), back:feature_importances())
      end
    end)

    it("rejects a corrupt state naming the field", function()
      local json = fit{}:to_json()
      local bad = json:gsub('"coef":%[[^%]]*%]', '"coef":[1,2]')
      local m, msg = knob.model.from_json(bad)
      assert.is_nil(m)
      assert.matches("state.coef", msg, 1, true)
      local m2, msg2 = knob.model.from_json((json:gsub('"intercept":%[[^%]]*%]', '"intercept":"x"')))
      assert.is_nil(m2)
      assert.matches("state.intercept", msg2, 1, true)
    end)
  end)

  describe("bad input", function()
    it("rejects bad hyperparameters with clear errors", function()
      assert.has_error(function() knob.model.linear{alpha = -1} end, "linear: hyperparameter 'alpha' must be >= 0 (got -1)")
      assert.has_error(function() knob.model.linear{l1_ratio = 1.5} end,
                       "linear: hyperparameter 'l1_ratio' must be <= 1 (got 1.5)")
      assert.has_error(function() knob.model.linear{l1_ratio = -0.1} end,
                       "linear: hyperparameter 'l1_ratio' must be >= 0 (got -0.10000000000000001)")
      assert.has_error(function() knob.model.linear{penalty = "l3"} end,
                       "linear: hyperparameter 'penalty' must be one of none, l2, l1, elasticnet (got 'l3')")
      assert.has_error(function() knob.model.linear{tol = 0} end, "linear: hyperparameter 'tol' must be > 0 (got 0)")
      assert.has_error(function() knob.model.linear{max_iter = 0} end, "linear: hyperparameter 'max_iter' must be >= 1 (got 0)")
      assert.has_error(function() knob.model.linear{alpha = 0 / 0} end)
      assert.has_error(function() knob.model.linear{alpha = "big"} end,
                       "linear: hyperparameter 'alpha' must be a number (got string)")
      local ok, msg = pcall(knob.model.linear, {alpah = 1})
      assert.is_false(ok)
      assert.matches("unknown hyperparameter 'alpah' (valid: penalty, alpha, l1_ratio, fit_intercept, tol, max_iter)", msg, 1, true)
    end)

    it("names the column holding a missing value", function()
      local nan = 0 / 0
      local bad = knob.data.from_table{X = {{1, 2}, {2, nan}, {3, 1}}, y = {1, 2, 3}, names = {"a", "b"}, task = "regression"}
      local ok, msg = pcall(function() knob.model.linear{}:fit(bad) end)
      assert.is_false(ok)
      assert.matches("linear: feature 'b' has a missing value at row 2", msg, 1, true)
      assert.matches("knob.prep.impute", msg, 1, true)
      local m = knob.model.linear{}:fit(knob.data.from_table{X = {{1, 2}, {2, 3}, {3, 1}}, y = {1, 2, 3},
                                                             names = {"a", "b"}, task = "regression"})
      assert.has_error(function() m:predict(bad) end, "linear: feature 'b' has a missing value at row 2; linear models need complete numeric data (impute it first, e.g. with knob.prep.impute)")
      local rows, y = {}, {}
      for i = 1, 10 do rows[i], y[i] = {i, i % 3}, i end
      rows[7][1] = 1 / 0
      local inf = knob.data.from_table{X = rows, y = y, names = {"a", "b"}, task = "regression"}
      ok, msg = pcall(function() knob.model.linear{}:fit(inf) end)
      assert.is_false(ok)
      assert.matches("linear: feature 'a' has an infinite value at row 7", msg, 1, true)
      assert.has_error(function() m:predict(inf) end) -- the window path of predict checks too
      rows[7][1], rows[9][2] = 7, nan
      ok, msg = pcall(function() m:predict(knob.data.from_table{X = rows, y = y, names = {"a", "b"}, task = "regression"}) end)
      assert.is_false(ok)
      assert.matches("feature 'b' has a missing value at row 9", msg, 1, true)
    end)

    it("rejects classification targets and zero total weight", function()
      local clf = knob.data.from_table{X = {{1}, {2}, {3}}, y = {"a", "b", "a"}}
      assert.has_error(function() knob.model.linear{}:fit(clf) end, "linear does not support classification")
      assert.has_error(function() knob.model.linear{}:fit(ds, {sample_weight = (function()
        local z = {}
        for i = 1, n do z[i] = 0 end
        return z
      end)()}) end, "linear: the sample weights sum to zero")
    end)

    it("predict before fit is an error", function()
      assert.has_error(function() knob.model.linear{}:predict(ds) end, "linear: model is not fitted")
    end)
  end)
end)
