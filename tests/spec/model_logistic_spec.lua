-- model_logistic_spec.lua — knob.model.logistic: binary and multinomial logistic regression against scikit-learn.
--
-- Expected values were produced once with scikit-learn 1.2.1 / numpy 1.24.2 (/usr/bin/python3, run from the
-- repository root) by this snippet; floats printed with repr(). scikit-learn's lbfgs does not converge on
-- the raw breast-cancer features (it stops on its relative-decrease test far from the optimum) and is off by
-- ~1e-4 even on standardized ones, so the references come from solvers run to convergence: newton-cholesky
-- (binary) and saga (multinomial, l1, elasticnet). All but bc_raw use standardized features (StandardScaler;
-- the spec standardizes the same way, with the population std, before building its datasets).
--
--   import numpy as np, pandas as pd, warnings
--   from sklearn.linear_model import LogisticRegression
--   from sklearn.preprocessing import StandardScaler
--   warnings.simplefilter("ignore")
--   def lua(v): return "{" + ", ".join(repr(float(x)) for x in np.ravel(v)) + "}"
--   def show(name, m): print(f"  {name} = {{coef = {lua(m.coef_)}, intercept = {lua(m.intercept_)}}},")
--   def load(f, t):
--       d = pd.read_csv("examples/data/" + f); return d.drop(columns=t).values, d[t].astype(str).values
--   X, y = load("breast_cancer.csv", "diagnosis")        # classes sorted: benign, malignant
--   Z = StandardScaler().fit_transform(X)
--   w = 1.0 + np.arange(len(y)) % 3
--   show("bc_raw", LogisticRegression(solver="newton-cholesky", C=1.0, tol=1e-12, max_iter=1000).fit(X, y))
--   NC = dict(solver="newton-cholesky", tol=1e-12, max_iter=1000)      # exact binary solver
--   SG = dict(solver="saga", tol=1e-12, max_iter=1000000)              # multinomial (agrees with newton-cg to 2e-9)
--   show("bc_l2", LogisticRegression(C=1.0, **NC).fit(Z, y))
--   show("bc_l2_w", LogisticRegression(C=1.0, **NC).fit(Z, y, sample_weight=w))
--   show("bc_l2_bal", LogisticRegression(C=0.1, class_weight="balanced", **NC).fit(Z, y))
--   show("bc_noint", LogisticRegression(C=1.0, fit_intercept=False, **NC).fit(Z, y))
--   show("bc_l1", LogisticRegression(penalty="l1", solver="saga", C=0.5, tol=1e-12, max_iter=1000000).fit(Z, y))
--   show("bc_enet", LogisticRegression(penalty="elasticnet", solver="saga", C=0.5, l1_ratio=0.5, tol=1e-12, max_iter=1000000).fit(Z, y))
--   X, y = load("iris.csv", "species"); show("iris_l2", LogisticRegression(C=1.0, **SG).fit(StandardScaler().fit_transform(X), y))
--   X, y = load("wine.csv", "cultivar"); show("wine_l2", LogisticRegression(C=0.1, **SG).fit(StandardScaler().fit_transform(X), y))
--   # held out (standardized with the scaler fitted on all rows, as the spec does): test = 0-based rows 0, 5, 10, ...
--   te = np.arange(len(Z)) % 5 == 0
--   X, y = load("breast_cancer.csv", "diagnosis")
--   m = LogisticRegression(C=1.0, **NC).fit(Z[~te], y[~te])
--   print("  bc_test_accuracy =", repr(m.score(Z[te], y[te])) + ",")
--   print("  bc_test_proba =", lua(m.predict_proba(Z[te][:3])) + ",")
--   X, y = load("iris.csv", "species"); Zi = StandardScaler().fit_transform(X); te = np.arange(len(Zi)) % 5 == 0
--   m = LogisticRegression(C=1.0, **SG).fit(Zi[~te], y[~te])
--   print("  iris_test_accuracy =", repr(m.score(Zi[te], y[te])) + ",")
--   print("  iris_test_proba =", lua(m.predict_proba(Zi[te][:3])) + ",")
--   # one-hot: iris with petal_width (standardized) replaced by a band category; predict_proba of rows 1..3
--   band = np.where(X[:, 3] >= 1.7, "wide", np.where(X[:, 3] >= 0.8, "medium", "narrow"))
--   Zc = np.column_stack([Zi[:, :3], pd.get_dummies(band).values.astype(float)])
--   print("  onehot_proba =", lua(LogisticRegression(C=1.0, **SG).fit(Zc, y).predict_proba(Zc[:3])) + ",")
local knob = require "knob"
local H = require "linear_models_helper"

local SK = {
  bc_raw = {coef = {-1.0145620739976158, -0.1813824279503967, 0.2756971245956171, -0.022650714260033115, 0.17839594836452682, 0.22083868988987698, 0.5350498859959213, 0.29511967550809404, 0.26623906493872185, 0.030256473441985173, 0.07839730008559531, -1.263849194423747, -0.11659032892311576, 0.10881541809332503, 0.025097420093006625, -0.06720934872459625, 0.03600866922817812, 0.03799277389677956, 0.03678087625652501, -0.013988344536324505, -0.1378669592421737, 0.4376418760906736, 0.10580436638843203, 0.013632561684180951, 0.35635273841959664, 0.6878723167364199, 1.4219060176110603, 0.6023603222399811, 0.730906744197411, 0.09500191086539778}, intercept = {-28.088997621918576}},
  bc_l2 = {coef = {0.3630925319064731, 0.38767544240859514, 0.3510621186677118, 0.4356098032751118, 0.1618311028031329, -0.562654033705375, 0.8599171195795229, 0.962280223476802, -0.07620903147701878, -0.322226236950291, 1.2909422896656915, -0.2689219013860395, 0.6599745965524891, 1.0125577321734922, 0.27721295891285436, -0.7363240127821202, -0.11053932078344862, 0.333407618872738, -0.2957930258946487, -0.6809196730549373, 1.0292622616340463, 1.3146076344380297, 0.8233473825619094, 1.0107068321012709, 0.670681962771426, -0.044564251789743436, 0.8733339165121515, 0.9120031219156362, 0.88783732430445, 0.47981890803844485}, intercept = {-0.21450271739737375}},
  bc_l2_w = {coef = {0.3966683160779216, 0.2528447194389048, 0.37013369085750863, 0.4727152352171156, 0.13919296249493476, -0.6271742896016628, 1.2436340554618677, 1.3360912949360815, 0.06603203769777638, -0.418988852699931, 1.5850841551243988, -0.4948765974976729, 0.7048437772512676, 1.3468330952236685, 0.4850934385410692, -0.8080406787483828, -0.19007465502761528, 0.2488806664384698, -0.4564181699794116, -1.1380516305753676, 1.2520987698447523, 1.7744221594398506, 0.9001722775494017, 1.2154979247325608, 0.7788586946958478, 0.01617539789035856, 1.2223482770151382, 0.83864541960415, 1.084265565433667, 0.4625285227028756}, intercept = {-0.14753926354328653}},
  bc_l2_bal = {coef = {0.3860581907593546, 0.41345026189518047, 0.3758831034680061, 0.37472729852646813, 0.15126850654680665, -0.03032304761567294, 0.38055398299718024, 0.4656663923397818, 0.05367024949538739, -0.25054202440773565, 0.522417322826202, -0.03891422838122356, 0.3755404326085107, 0.39825968868362444, 0.0483954390808846, -0.28703392032936936, -0.05115744266128328, 0.14874338853161773, -0.16405093987513045, -0.27602390633503054, 0.5433345768021529, 0.611616266752966, 0.494782742447466, 0.4876365146093458, 0.4218614102347871, 0.14152866086341082, 0.42205063607482657, 0.5353612591915134, 0.4322336337926409, 0.15655155831947487}, intercept = {-0.15950423502532815}},
  bc_noint = {coef = {0.3063779940965004, 0.37595897978049897, 0.29907456785491965, 0.4741502333443247, 0.12480221604367688, -0.5991529051119451, 0.916212576246794, 0.9991900653455732, -0.060215680721317055, -0.2563469733012512, 1.3193639163156428, -0.27343904334963504, 0.6986760509140517, 1.1232219596983695, 0.2994274852028039, -0.7767995851461651, -0.12887514222509797, 0.2533631068871898, -0.2598921615072063, -0.6233628616315566, 1.0379528429407279, 1.3042881542680755, 0.8388875614034548, 1.1283942554381394, 0.6818195652589839, -0.071717826028661, 0.8661029257684227, 0.9076048235982536, 0.8648196543620928, 0.50542609543412}, intercept = {0.0}},
  bc_l1 = {coef = {0.0, 0.22216043643581648, 0.0, 0.0, 0.0, 0.0, 0.0, 0.7463779029059278, 0.0, -0.08661870418581752, 1.8417796670915523, 0.0, 0.0, 0.0, 0.06629668173844265, -0.34428867260067636, 0.0, 0.0, 0.0, -0.2208168262340252, 3.699667004388054, 1.1160308028129842, 0.0, 0.0, 0.5853111822332012, 0.0, 0.7428117315266034, 1.1470437685764148, 0.406539602822804, 0.0}, intercept = {-0.4228898510481422}},
  bc_enet = {coef = {0.2764249667892214, 0.3647936870582963, 0.22719929789046564, 0.3092030503981913, 0.0, 0.0, 0.48090984071007165, 0.7513444403633257, 0.0, -0.2265033741835632, 1.167795209398338, -0.09470042095577237, 0.39849972428056835, 0.6862940521102778, 0.12230438002271404, -0.5674847254986947, 0.0, 0.005091425190917359, -0.1546571906106725, -0.2632149731079574, 1.0074259885466028, 1.0293537190853495, 0.7712454156282434, 0.8815708354835383, 0.670176060423068, 0.0, 0.6767377090812157, 0.9520498854711177, 0.622054045731401, 0.0}, intercept = {-0.30169862989298957}},
  iris_l2 = {coef = {-1.0740661541688283, 1.1601151162154373, -1.930691861661388, -1.8115561242606533, 0.5878102398532965, -0.3618406263298494, -0.36343102294300955, -0.8262695763957486, 0.486255914315551, -0.7982744898855937, 2.2941228846044455, 2.6378257006564483}, intercept = {-0.20524113302716285, 2.0748397842367092, -1.8695986512094007}},
  wine_l2 = {coef = {0.45900588591728764, 0.043648281882243824, 0.23624820412642333, -0.4205639018954619, 0.05793064269612261, 0.2170566468737861, 0.3530324938332588, -0.1585604733930551, 0.07981809410018725, 0.0862486016360754, 0.11363985041513934, 0.36797821282387766, 0.5865609052253257, -0.5856492984505569, -0.25676004943725067, -0.3765252097811931, 0.25450965940309733, -0.11138060212451661, 0.024129325741540853, 0.1263106349603345, 0.07075952635048437, 0.15010908505755738, -0.5256181009909662, 0.32508674045635, 0.08400793404585018, -0.5589756146944317, 0.12664341253327815, 0.21311176755500907, 0.14027700565477355, 0.16605424249236425, 0.05344995942839133, -0.24118597261532682, -0.47934312879359015, 0.0878009470425675, -0.22992717915774227, 0.43936949935489245, -0.4387265908714965, -0.4519861468697258, -0.02758529053089346}, intercept = {0.11505673124314482, 0.5091463045651341, -0.6242030358082935}},
  bc_test_accuracy = 0.9649122807017544,
  bc_test_proba = {2.0438306602699186e-09, 0.9999999979561693, 0.07573238294035611, 0.9242676170596439, 0.06816186546693292, 0.9318381345330671},
  iris_test_accuracy = 0.9666666666666667,
  iris_test_proba = {0.9810017150171487, 0.01899800005860811, 2.849242431309921e-07, 0.9862024375565673, 0.01379700826542351, 5.541780092854413e-07, 0.981261525912003, 0.018738209678391897, 2.644096050352837e-07},
  onehot_proba = {0.9851449645017396, 0.014726270652196838, 0.0001287648460636442, 0.965278224834207, 0.03418891299910978, 0.0005328621666833553, 0.9843284378537708, 0.01552450458805051, 0.00014705755817887543},
}

-- A dataset with the features of rows X (already edited) and targets y.
local function build(X, y, names, task)
  return knob.data.from_table{X = X, y = y, names = names, task = task or "classification"}
end

-- A CSV as (raw dataset, standardized dataset, rows, targets, names).
local function load(file, target)
  local raw, X, y, names = H.dataset("examples/data/" .. file, target, "classification")
  return raw, build(H.standardize(X), y, names), X, y, names
end

local function flat(rows)
  local v = {}
  for _, r in ipairs(rows) do for _, x in ipairs(r) do v[#v + 1] = x end end
  return v
end

local function check(m, ref, tol, what)
  H.near(ref.coef, H.state(m, "coef"), tol, what .. " coef")
  H.near(ref.intercept, H.state(m, "intercept"), tol, what .. " intercept")
end

describe("knob.model.logistic", function()
  local bc_raw, bc, bc_X, bc_y, bc_names = load("breast_cancer.csv", "diagnosis")
  local _, iris, iris_X, iris_y, iris_names = load("iris.csv", "species")
  local _, wine = load("wine.csv", "cultivar")
  local n_bc = #bc_y

  describe("binary, matches scikit-learn on breast_cancer", function()
    it("raw features: the exact optimum (newton-cholesky) to 1e-4 in few Newton steps", function()
      local m = knob.model.logistic{tol = 1e-8}:fit(bc_raw)
      check(m, SK.bc_raw, 1e-4, "bc_raw")
      local h = m:history()
      assert.equals("converged", h.status)
      assert.is_true(#h.iterations <= 20)
    end)

    it("L2 on standardized features to 1e-4 with both solvers", function()
      check(knob.model.logistic{tol = 1e-8}:fit(bc), SK.bc_l2, 1e-4, "newton")
      check(knob.model.logistic{tol = 1e-8, solver = "lbfgs", max_iter = 1000}:fit(bc), SK.bc_l2, 1e-4, "lbfgs")
    end)

    it("sample weights, balanced class weights, no intercept", function()
      local w = {}
      for i = 1, n_bc do w[i] = 1 + (i - 1) % 3 end
      check(knob.model.logistic{tol = 1e-8}:fit(bc, {sample_weight = w}), SK.bc_l2_w, 1e-4, "weights")
      check(knob.model.logistic{tol = 1e-8, C = 0.1, class_weight = "balanced"}:fit(bc), SK.bc_l2_bal, 1e-4, "balanced")
      check(knob.model.logistic{tol = 1e-8, fit_intercept = false}:fit(bc), SK.bc_noint, 1e-4, "no intercept")
    end)

    it("L1 and elastic net (OWL-QN) to 1e-4, with the same zeros", function()
      local l1 = knob.model.logistic{penalty = "l1", C = 0.5, tol = 1e-9, max_iter = 1000}:fit(bc)
      check(l1, SK.bc_l1, 1e-4, "l1")
      local coef = H.state(l1, "coef")
      for j, c in ipairs(SK.bc_l1.coef) do
        if c == 0 then assert.equals(0, coef[j]) end
      end
      check(knob.model.logistic{penalty = "elasticnet", C = 0.5, l1_ratio = 0.5, tol = 1e-9, max_iter = 1000}:fit(bc),
            SK.bc_enet, 1e-4, "elasticnet")
    end)

    it("held-out accuracy and probabilities on the same split", function()
      local tr, te = H.every_kth(n_bc, 5)
      local train, test = bc:subset(tr), bc:subset(te)
      local m = knob.model.logistic{tol = 1e-8}:fit(train)
      assert.is_true(math.abs(m:score(test) - SK.bc_test_accuracy) < 1e-12)
      assert.is_true(math.abs(H.accuracy(m:predict(test), test:target()) - SK.bc_test_accuracy) < 1e-12)
      local proba, classes = m:predict_proba(test:subset{1, 2, 3})
      assert.same({"benign", "malignant"}, classes)
      H.near(SK.bc_test_proba, flat(proba), 1e-6, "proba")
    end)

    it("importances are |coef| x column std, normalised to 1", function()
      local imp = knob.model.logistic{tol = 1e-8}:fit(bc):feature_importances()
      local total, want = 0, 0
      for _, c in ipairs(SK.bc_l2.coef) do want = want + math.abs(c) end -- standardized data: std = 1
      for j, name in ipairs(bc_names) do
        total = total + imp[name]
        assert.is_true(math.abs(imp[name] - math.abs(SK.bc_l2.coef[j]) / want) < 1e-5)
      end
      assert.is_true(math.abs(total - 1) < 1e-12)
    end)
  end)

  describe("multinomial", function()
    it("iris (standardized, C = 1) to 1e-4 with both solvers", function()
      check(knob.model.logistic{tol = 1e-8}:fit(iris), SK.iris_l2, 1e-4, "iris newton")
      check(knob.model.logistic{tol = 1e-8, solver = "lbfgs", max_iter = 1000}:fit(iris), SK.iris_l2, 1e-4, "iris lbfgs")
    end)

    it("wine (standardized, C = 0.1) to 1e-4", function()
      local m = knob.model.logistic{tol = 1e-8, C = 0.1}:fit(wine)
      check(m, SK.wine_l2, 1e-4, "wine")
      assert.equals("converged", m:history().status)
    end)

    it("held-out accuracy and probabilities on the same split", function()
      local tr, te = H.every_kth(#iris_y, 5)
      local train, test = iris:subset(tr), iris:subset(te)
      local m = knob.model.logistic{tol = 1e-8}:fit(train)
      assert.is_true(math.abs(m:score(test) - SK.iris_test_accuracy) < 1e-12)
      local proba = m:predict_proba(test:subset{1, 2, 3})
      H.near(SK.iris_test_proba, flat(proba), 1e-6, "proba")
      for _, row in ipairs(m:predict_proba(test)) do
        assert.is_true(math.abs(row[1] + row[2] + row[3] - 1) < 1e-12)
      end
    end)

    it("one-hot encodes a categorical feature", function()
      local Z = H.standardize(iris_X)
      local names = {iris_names[1], iris_names[2], iris_names[3], "petal_band"}
      for i, r in ipairs(Z) do
        local pw = iris_X[i][4]
        r[4] = pw >= 1.7 and "wide" or pw >= 0.8 and "medium" or "narrow"
      end
      local ds = build(Z, iris_y, names)
      local m = knob.model.logistic{tol = 1e-8}:fit(ds)
      H.near(SK.onehot_proba, flat(m:predict_proba(ds:subset{1, 2, 3})), 1e-6, "one-hot proba")
      assert.equals(3 * 6, #H.state(m, "coef"))
    end)

    it("a class absent from the training rows gets probability 0", function()
      local rows = {}
      for i = 1, 100 do rows[i] = i end -- iris rows 1..100: setosa and versicolor only
      local m = knob.model.logistic{}:fit(iris:subset(rows))
      assert.equals(1, #H.state(m, "intercept")) -- fitted as a binary problem
      local proba, classes = m:predict_proba(iris)
      assert.same({"setosa", "versicolor", "virginica"}, classes)
      for _, row in ipairs(proba) do
        assert.equals(0, row[3])
        assert.is_true(math.abs(row[1] + row[2] - 1) < 1e-12)
      end
      for _, c in ipairs(m:predict(iris)) do assert.is_not.equals("virginica", c) end
    end)
  end)

  describe("iterations and history", function()
    it("records one entry per iteration with a decreasing objective, and honours max_iter", function()
      for _, solver in ipairs{"newton", "lbfgs"} do
        local h = knob.model.logistic{solver = solver, tol = 1e-8, max_iter = 500}:fit(bc):history()
        assert.is_true(#h.iterations >= 2)
        for i = 2, #h.iterations do
          assert.equals(i, h.iterations[i].iteration)
          assert.is_true(h.iterations[i].train_loss <= h.iterations[i - 1].train_loss)
        end
        local short = knob.model.logistic{solver = solver, tol = 1e-12, max_iter = 1}:fit(bc):history()
        assert.equals("max_iter", short.status)
        assert.equals(1, #short.iterations)
      end
    end)

    it("honours the callback and reports validation loss and accuracy", function()
      local tr, te = H.every_kth(n_bc, 5)
      local calls = 0
      local m = knob.model.logistic{solver = "lbfgs", tol = 1e-12, max_iter = 100}
      m:fit(bc:subset(tr), {eval_set = bc:subset(te), callback = function(info)
        calls = calls + 1
        assert.is_true(info.valid_loss > 0)
        assert.is_true(info.valid_metric > 0.5 and info.valid_metric <= 1)
        return calls == 5
      end})
      assert.equals(5, calls)
      assert.equals("stopped by callback", m:history().status)
      assert.has_error(function()
        knob.model.logistic{}:fit(bc, {callback = function() error("boom") end})
      end)
    end)

    it("fits a window of consecutive rows in place exactly as a copy of those rows", function()
      local rows = {}
      for i = 101, 400 do rows[i - 100] = i end
      local window = bc_raw:subset(rows)
      local a = knob.model.logistic{tol = 1e-8}:fit(window)
      local b = knob.model.logistic{tol = 1e-8}:fit(window:copy())
      assert.same(H.state(a, "coef"), H.state(b, "coef"))
      assert.same(a:predict_proba(window), b:predict_proba(window:copy()))
    end)

    it("gives identical results for any thread count", function()
      local ds = knob.data.make_classification{n_samples = 40000, n_features = 10, seed = 3}
      for _, solver in ipairs{"newton", "lbfgs"} do
        local a = knob.model.logistic{solver = solver, tol = 1e-10}:fit(ds, {threads = 1})
        local b = knob.model.logistic{solver = solver, tol = 1e-10}:fit(ds, {threads = 2})
        assert.same(H.state(a, "coef"), H.state(b, "coef"))
        assert.same(H.state(a, "intercept"), H.state(b, "intercept"))
      end
    end)
  end)

  describe("persistence", function()
    it("a save/load round trip gives identical predictions and probabilities", function()
      for _, case in ipairs{{bc, {}}, {iris, {penalty = "l1", C = 0.5}}, {wine, {solver = "lbfgs"}}} do
        local ds, params = case[1], case[2]
        local m = knob.model.logistic(params):fit(ds)
        local path = os.tmpname()
        assert.is_true(m:save(path))
        local back = assert(knob.model.load(path))
        os.remove(path)
        assert.same(m:predict(ds), back:predict(ds))
        assert.same(m:predict_proba(ds), back:predict_proba(ds))
      end
    end)

    it("rejects a corrupt state naming the field", function()
      local json = knob.model.logistic{}:fit(iris):to_json()
      local m, msg = knob.model.from_json((json:gsub('"state":{"classes":%[[^%]]*%]', '"state":{"classes":[2,1,0]')))
      assert.is_nil(m)
      assert.matches("state.classes", msg, 1, true)
      m, msg = knob.model.from_json((json:gsub('"intercept":%[[^%]]*%]', '"intercept":[1]')))
      assert.is_nil(m)
      assert.matches("state.intercept", msg, 1, true)
      m, msg = knob.model.from_json((json:gsub('"coef":%[[^%]]*%]', '"coef":"x"')))
      assert.is_nil(m)
      assert.matches("state.coef", msg, 1, true)
    end)
  end)

  describe("bad input", function()
    it("rejects bad hyperparameters with clear errors", function()
      assert.has_error(function() knob.model.logistic{C = 0} end, "logistic: hyperparameter 'C' must be > 0 (got 0)")
      assert.has_error(function() knob.model.logistic{C = -1} end, "logistic: hyperparameter 'C' must be > 0 (got -1)")
      assert.has_error(function() knob.model.logistic{l1_ratio = 2} end,
                       "logistic: hyperparameter 'l1_ratio' must be <= 1 (got 2)")
      assert.has_error(function() knob.model.logistic{penalty = "l3"} end,
                       "logistic: hyperparameter 'penalty' must be one of l2, none, l1, elasticnet (got 'l3')")
      assert.has_error(function() knob.model.logistic{class_weight = "auto"} end,
                       "logistic: hyperparameter 'class_weight' must be one of none, balanced (got 'auto')")
      assert.has_error(function() knob.model.logistic{tol = -1} end, "logistic: hyperparameter 'tol' must be > 0 (got -1)")
      assert.has_error(function() knob.model.logistic{max_iter = 2.5} end,
                       "logistic: hyperparameter 'max_iter' must be an integer (got 2.5)")
      assert.has_error(function() knob.model.logistic{C = 1 / 0} end)
      assert.has_error(function() knob.model.logistic{penalty = "l1", solver = "newton"} end,
                       "logistic: solver 'newton' needs a smooth penalty (l2 or none, or elasticnet with l1_ratio = 0); use solver 'lbfgs' or 'auto' (OWL-QN) for l1/elasticnet")
      local ok, msg = pcall(knob.model.logistic, {c = 1})
      assert.is_false(ok)
      assert.matches("unknown hyperparameter 'c'", msg, 1, true)
    end)

    it("names the column holding a missing value", function()
      local nan = 0 / 0
      local bad = build({{1, 2}, {2, nan}, {3, 1}, {0, 0}}, {"a", "b", "a", "b"}, {"u", "v"})
      local ok, msg = pcall(function() knob.model.logistic{}:fit(bad) end)
      assert.is_false(ok)
      assert.matches("logistic: feature 'v' has a missing value at row 2", msg, 1, true)
      assert.matches("knob.prep.impute", msg, 1, true)
    end)

    it("rejects regression targets and a single class", function()
      local reg = knob.data.from_table{X = {{1}, {2}, {3}}, y = {0.5, 1.5, 2}, task = "regression"}
      assert.has_error(function() knob.model.logistic{}:fit(reg) end, "logistic does not support regression")
      local rows = {}
      for i = 1, 50 do rows[i] = i end
      assert.has_error(function() knob.model.logistic{}:fit(iris:subset(rows)) end,
                       "logistic: the training data needs at least two classes with positive weight (found 1)")
    end)

    it("predict before fit is an error", function()
      assert.has_error(function() knob.model.logistic{}:predict_proba(iris) end, "logistic: model is not fitted")
    end)
  end)
end)
