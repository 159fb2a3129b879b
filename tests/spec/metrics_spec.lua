-- metrics_spec.lua — knob.metrics checked against reference values computed ONCE with scikit-learn 1.2.1
-- (/usr/bin/python3, numpy 1.24.2). Each group below carries the exact python snippet that printed its numbers;
-- the printed reprs were pasted here. Floats are compared with a relative tolerance of 1e-12, counts exactly.
local knob = require "knob"
local metrics = knob.metrics
local core = require "knob.core".metrics

local function close(expected, actual, what)
  assert.is_number(actual, (what or "value") .. " is not a number")
  local ok = math.abs(actual - expected) <= 1e-12 * math.abs(expected) + 1e-15
  assert.is_true(ok, ("%s: expected %.17g, got %.17g"):format(what or "value", expected, actual))
end

local function close_all(expected, actual, what)
  assert.is_table(actual, (what or "value") .. " is not a table")
  assert.equals(#expected, #actual, (what or "value") .. ": length")
  for i = 1, #expected do
    if type(expected[i]) == "table" then close_all(expected[i], actual[i], (what or "") .. "[" .. i .. "]")
    else close(expected[i], actual[i], (what or "") .. "[" .. i .. "]") end
  end
end

-- f(...) must raise an error whose message contains `text` (plain substring).
local function fails(text, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error containing: " .. text)
  assert.is_truthy(tostring(err):find(text, 1, true), "error was: " .. tostring(err))
end

--[=[ reference values: /usr/bin/python3 (scikit-learn 1.2.1), printed reprs pasted below
# group 1: binary labels, unweighted and weighted
from sklearn import metrics as M
yt = [0, 1, 1, 0, 1, 1, 0, 0, 1, 0]
yp = [0, 1, 0, 0, 1, 1, 1, 0, 1, 1]
w = [1, 2, 0.5, 1, 3, 1, 0.25, 2, 1, 1.5]
for sw in (None, w):
    print(repr(M.accuracy_score(yt, yp, sample_weight=sw)),
          repr(M.balanced_accuracy_score(yt, yp, sample_weight=sw)),
          repr(M.precision_score(yt, yp, sample_weight=sw)),
          repr(M.recall_score(yt, yp, sample_weight=sw)),
          repr(M.f1_score(yt, yp, sample_weight=sw)),
          repr(M.fbeta_score(yt, yp, beta=0.5, sample_weight=sw)),
          repr(M.fbeta_score(yt, yp, beta=2, sample_weight=sw)),
          repr(M.matthews_corrcoef(yt, yp, sample_weight=sw)),
          repr(M.cohen_kappa_score(yt, yp, sample_weight=sw)),
          M.confusion_matrix(yt, yp, sample_weight=sw).tolist())
print(repr(M.precision_score(yt, yp, pos_label=0)), repr(M.recall_score(yt, yp, pos_label=0)))
print(repr(M.f1_score([-1, 1, 1, -1], [1, 1, -1, -1])))
]=]
describe("metrics: binary labels", function()
  local yt = {0, 1, 1, 0, 1, 1, 0, 0, 1, 0}
  local yp = {0, 1, 0, 0, 1, 1, 1, 0, 1, 1}
  local w = {1, 2, 0.5, 1, 3, 1, 0.25, 2, 1, 1.5}
  local ref = {
    {0.7, 0.7, 0.6666666666666666, 0.8, 0.7272727272727272, 0.689655172413793, 0.7692307692307692,
     0.408248290463863, 0.4, {{3, 2}, {1, 4}}},
    {0.8301886792452831, 0.8144927536231884, 0.8, 0.9333333333333333, 0.8615384615384616, 0.823529411764706,
     0.9032258064516129, 0.658256125846293, 0.6453531598513012, {{4.0, 1.75}, {0.5, 7.0}}},
  }

  for case, sw in ipairs({false, true}) do
    local o = sw and {sample_weight = w} or nil
    local r = ref[case]
    it("accuracy, balanced accuracy, precision, recall, F1, F-beta, MCC, kappa" .. (sw and " (weighted)" or ""),
      function()
        close(r[1], metrics.accuracy(yt, yp, o), "accuracy")
        close(r[2], metrics.balanced_accuracy(yt, yp, o), "balanced_accuracy")
        close(r[3], metrics.precision(yt, yp, o), "precision")
        close(r[4], metrics.recall(yt, yp, o), "recall")
        close(r[5], metrics.f1(yt, yp, o), "f1")
        close(r[6], metrics.fbeta(yt, yp, {beta = 0.5, sample_weight = o and w}), "f0.5")
        close(r[7], metrics.fbeta(yt, yp, {beta = 2, sample_weight = o and w}), "f2")
        close(r[8], metrics.mcc(yt, yp, o), "mcc")
        close(r[9], metrics.kappa(yt, yp, o), "kappa")
      end)
    it("confusion matrix" .. (sw and " (weighted)" or ""), function()
      local cm, labels = metrics.confusion_matrix(yt, yp, o)
      assert.same({0, 1}, labels)
      if sw then close_all(r[10], cm) else assert.same(r[10], cm) end
    end)
  end

  it("pos_label picks the positive class; {-1, 1} defaults to 1", function()
    close(0.75, metrics.precision(yt, yp, {pos_label = 0}))
    close(0.6, metrics.recall(yt, yp, {pos_label = 0}))
    close(0.5, metrics.f1({-1, 1, 1, -1}, {1, 1, -1, -1}))
  end)

  it("string labels: the positive class is the last sorted label", function()
    local map = {[0] = "no", [1] = "yes"}
    local st, sp = {}, {}
    for i = 1, #yt do st[i], sp[i] = map[yt[i]], map[yp[i]] end
    close(0.7272727272727272, metrics.f1(st, sp))
    close(0.75, metrics.precision(st, sp, {pos_label = "no"}))
  end)

  it("the positive class may be absent when only one label is present", function()
    -- python3: M.precision_score([0,0],[0,0]), M.precision_score([0,0],[0,0],zero_division=1),
    --   M.f1_score([0,0],[0,0],zero_division=1), M.recall_score([1,1],[1,0]),
    --   M.f1_score(['a','a'],['a','a'],pos_label='a')  ->  0.0 1.0 1.0 0.5 1.0
    close(0.0, metrics.precision({0, 0}, {0, 0}))
    close(1.0, metrics.precision({0, 0}, {0, 0}, {zero_division = 1}))
    close(1.0, metrics.f1({0, 0}, {0, 0}, {zero_division = 1}))
    close(0.5, metrics.recall({1, 1}, {1, 0}))
    fails("cannot tell the positive class from the single label 'a'; pass pos_label",
      metrics.f1, {"a", "a"}, {"a", "a"})
    close(1.0, metrics.f1({"a", "a"}, {"a", "a"}, {pos_label = "a"}))
  end)
end)

--[=[ reference values: /usr/bin/python3 (scikit-learn 1.2.1), printed reprs pasted below
# group 2: multiclass string labels (sorted: bird, cat, dog, fish; "fish" only predicted)
from sklearn import metrics as M
yt = ["cat", "dog", "bird", "cat", "dog", "dog", "bird", "cat", "cat", "dog", "bird", "bird"]
yp = ["cat", "dog", "cat", "cat", "bird", "dog", "bird", "fish", "cat", "dog", "dog", "bird"]
w = [1, 0.5, 2, 1, 1, 3, 0.5, 1, 2, 1, 1, 0.25]
for sw in (None, w):
    r = [M.accuracy_score(yt, yp, sample_weight=sw), M.balanced_accuracy_score(yt, yp, sample_weight=sw)]
    for avg in ("macro", "micro", "weighted"):
        r += [M.precision_score(yt, yp, average=avg, sample_weight=sw),
              M.recall_score(yt, yp, average=avg, sample_weight=sw),
              M.f1_score(yt, yp, average=avg, sample_weight=sw)]
    r += [M.fbeta_score(yt, yp, beta=2, average="macro", sample_weight=sw),
          M.matthews_corrcoef(yt, yp, sample_weight=sw)]
    r += [M.cohen_kappa_score(yt, yp, weights=k, sample_weight=sw) for k in (None, "linear", "quadratic")]
    print([repr(x) for x in r])
    print([x.tolist() for x in M.precision_recall_fscore_support(yt, yp, average=None, sample_weight=sw)])
    print(M.confusion_matrix(yt, yp, sample_weight=sw).tolist())
    print(M.classification_report(yt, yp, sample_weight=sw, output_dict=True))
print(M.classification_report(yt, yp))
labels = ["ant", "bird", "cat", "dog", "fish"]   # "ant" absent: 0/0 precision and recall
for zd in (0, 1):
    print(repr(M.precision_score(yt, yp, labels=labels, average="macro", zero_division=zd)),
          repr(M.recall_score(yt, yp, labels=labels, average="macro", zero_division=zd)),
          repr(M.f1_score(yt, yp, labels=labels, average="macro", zero_division=zd)))
print(M.classification_report(yt, yp, labels=labels, zero_division=0))
print(M.confusion_matrix(yt, yp, labels=["dog", "cat", "bird", "fish"]).tolist())
print([M.confusion_matrix(yt, yp, normalize=n).tolist() for n in ("true", "pred", "all")])
print(repr(M.cohen_kappa_score(yt, yp, labels=["dog", "cat", "bird", "fish"], weights="quadratic")))
]=]
describe("metrics: multiclass labels", function()
  local yt = {"cat", "dog", "bird", "cat", "dog", "dog", "bird", "cat", "cat", "dog", "bird", "bird"}
  local yp = {"cat", "dog", "cat", "cat", "bird", "dog", "bird", "fish", "cat", "dog", "dog", "bird"}
  local w = {1, 0.5, 2, 1, 1, 3, 0.5, 1, 2, 1, 1, 0.25}
  local ref = {
    {0.6666666666666666, 0.6666666666666666, 0.5416666666666666, 0.5, 0.5178571428571429, 0.6666666666666666,
     0.6666666666666666, 0.6666666666666666, 0.7222222222222222, 0.6666666666666666, 0.6904761904761906,
     0.506578947368421, 0.5254938542453882, 0.5199999999999999, 0.4, 0.3157894736842105},
    {0.6491228070175439, 0.6060606060606061, 0.4783549783549783, 0.4545454545454546, 0.4545454545454546,
     0.6491228070175439, 0.6491228070175439, 0.6491228070175439, 0.6624895572263992, 0.6491228070175439,
     0.6427432216905901, 0.4528232961068782, 0.4878083122544651, 0.47706422018348627, 0.36312849162011174,
     0.2665441176470589},
  }
  local per_class = {
    {{0.6666666666666666, 0.75, 0.75, 0.0}, {0.5, 0.75, 0.75, 0.0}, {0.5714285714285715, 0.75, 0.75, 0.0},
     {4, 4, 4, 0}},
    {{0.42857142857142855, 0.6666666666666666, 0.8181818181818182, 0.0}, {0.2, 0.8, 0.8181818181818182, 0.0},
     {0.27272727272727276, 0.7272727272727272, 0.8181818181818182, 0.0}, {3.75, 5.0, 5.5, 0.0}},
  }
  local cms = {
    {{2, 1, 1, 0}, {0, 3, 0, 1}, {1, 0, 3, 0}, {0, 0, 0, 0}},
    {{0.75, 2.0, 1.0, 0.0}, {0.0, 4.0, 0.0, 1.0}, {1.0, 0.0, 4.5, 0.0}, {0.0, 0.0, 0.0, 0.0}},
  }

  for case, sw in ipairs({false, true}) do
    local o = sw and {sample_weight = w} or {}
    local r = ref[case]
    local function with(t)
      t.sample_weight = o.sample_weight
      return t
    end
    it("averaged scores" .. (sw and " (weighted)" or ""), function()
      close(r[1], metrics.accuracy(yt, yp, o), "accuracy")
      close(r[2], metrics.balanced_accuracy(yt, yp, o), "balanced_accuracy")
      for j, avg in ipairs({"macro", "micro", "weighted"}) do
        close(r[3 + 3 * (j - 1)], metrics.precision(yt, yp, with{average = avg}), "precision " .. avg)
        close(r[4 + 3 * (j - 1)], metrics.recall(yt, yp, with{average = avg}), "recall " .. avg)
        close(r[5 + 3 * (j - 1)], metrics.f1(yt, yp, with{average = avg}), "f1 " .. avg)
      end
      close(r[12], metrics.fbeta(yt, yp, with{beta = 2, average = "macro"}), "f2 macro")
      close(r[13], metrics.mcc(yt, yp, o), "mcc")
      close(r[14], metrics.kappa(yt, yp, o), "kappa")
      close(r[15], metrics.kappa(yt, yp, with{weights = "linear"}), "kappa linear")
      close(r[16], metrics.kappa(yt, yp, with{weights = "quadratic"}), "kappa quadratic")
    end)
    it("per-class scores and confusion matrix" .. (sw and " (weighted)" or ""), function()
      local p, labels = metrics.precision(yt, yp, with{average = "none"})
      assert.same({"bird", "cat", "dog", "fish"}, labels)
      close_all(per_class[case][1], p, "precision")
      close_all(per_class[case][2], (metrics.recall(yt, yp, with{average = "none"})), "recall")
      close_all(per_class[case][3], (metrics.f1(yt, yp, with{average = "none"})), "f1")
      local cm = metrics.confusion_matrix(yt, yp, o)
      if sw then close_all(cms[case], cm) else assert.same(cms[case], cm) end
    end)
    it("report table" .. (sw and " (weighted)" or ""), function()
      local t = metrics.report(yt, yp, o)
      for i, label in ipairs({"bird", "cat", "dog", "fish"}) do
        close(per_class[case][1][i], t[label].precision)
        close(per_class[case][2][i], t[label].recall)
        close(per_class[case][3][i], t[label]["f1-score"])
        assert.equals(per_class[case][4][i], t[label].support)
      end
      close(r[1], t.accuracy)
      close(r[3], t["macro avg"].precision)
      close(r[4], t["macro avg"].recall)
      close(r[5], t["macro avg"]["f1-score"])
      close(r[9], t["weighted avg"].precision)
      close(r[10], t["weighted avg"].recall)
      close(r[11], t["weighted avg"]["f1-score"])
      assert.equals(sw and 14.25 or 12, t["weighted avg"].support)
    end)
  end

  it("report text matches classification_report", function()
    local _, text = metrics.report(yt, yp)
    assert.equals(table.concat({
      "              precision    recall  f1-score   support",
      "",
      "        bird       0.67      0.50      0.57         4",
      "         cat       0.75      0.75      0.75         4",
      "         dog       0.75      0.75      0.75         4",
      "        fish       0.00      0.00      0.00         0",
      "",
      "    accuracy                           0.67        12",
      "   macro avg       0.54      0.50      0.52        12",
      "weighted avg       0.72      0.67      0.69        12",
      ""}, "\n"), text)
  end)

  -- python3: print(M.classification_report([0, 1, 2, 2], [0, 2, 2, 1], sample_weight=[1, 2, 0.5, 1/3], digits=4))
  it("weighted report text with digits = 4 prints supports like python floats", function()
    local _, text = metrics.report({0, 1, 2, 2}, {0, 2, 2, 1}, {sample_weight = {1, 2, 0.5, 1 / 3}, digits = 4})
    assert.equals(table.concat({
      "              precision    recall  f1-score   support",
      "",
      "           0     1.0000    1.0000    1.0000       1.0",
      "           1     0.0000    0.0000    0.0000       2.0",
      "           2     0.2000    0.6000    0.3000 0.8333333333333333",
      "",
      "    accuracy                         0.3913 3.833333333333333",
      "   macro avg     0.4000    0.5333    0.4333 3.833333333333333",
      "weighted avg     0.3043    0.3913    0.3261 3.833333333333333",
      ""}, "\n"), text)
  end)

  it("labels with an absent class: zero_division and the micro avg row", function()
    local labels = {"ant", "bird", "cat", "dog", "fish"}
    close(0.4333333333333333, metrics.precision(yt, yp, {labels = labels, average = "macro"}))
    close(0.4, metrics.recall(yt, yp, {labels = labels, average = "macro"}))
    close(0.4142857142857143, metrics.f1(yt, yp, {labels = labels, average = "macro", zero_division = "warn"}))
    close(0.6333333333333333, metrics.precision(yt, yp, {labels = labels, average = "macro", zero_division = 1}))
    close(0.8, metrics.recall(yt, yp, {labels = labels, average = "macro", zero_division = 1}))
    close(0.6142857142857143, metrics.f1(yt, yp, {labels = labels, average = "macro", zero_division = 1}))
    local t, text = metrics.report(yt, yp, {labels = labels})
    assert.is_nil(t.accuracy)
    close(0.6666666666666666, t["micro avg"].precision)
    assert.equals(table.concat({
      "              precision    recall  f1-score   support",
      "",
      "         ant       0.00      0.00      0.00         0",
      "        bird       0.67      0.50      0.57         4",
      "         cat       0.75      0.75      0.75         4",
      "         dog       0.75      0.75      0.75         4",
      "        fish       0.00      0.00      0.00         0",
      "",
      "   micro avg       0.67      0.67      0.67        12",
      "   macro avg       0.43      0.40      0.41        12",
      "weighted avg       0.72      0.67      0.69        12",
      ""}, "\n"), text)
  end)

  it("confusion matrix in a given label order, normalized; kappa in that order", function()
    local order = {"dog", "cat", "bird", "fish"}
    local cm, labels = metrics.confusion_matrix(yt, yp, {labels = order})
    assert.same(order, labels)
    assert.same({{3, 0, 1, 0}, {0, 3, 0, 1}, {1, 1, 2, 0}, {0, 0, 0, 0}}, cm)
    close_all({{0.5, 0.25, 0.25, 0.0}, {0.0, 0.75, 0.0, 0.25}, {0.25, 0.0, 0.75, 0.0}, {0.0, 0.0, 0.0, 0.0}},
      (metrics.confusion_matrix(yt, yp, {normalize = "true"})))
    close_all({{0.6666666666666666, 0.25, 0.25, 0.0}, {0.0, 0.75, 0.0, 1.0}, {0.3333333333333333, 0.0, 0.75, 0.0},
      {0.0, 0.0, 0.0, 0.0}}, (metrics.confusion_matrix(yt, yp, {normalize = "pred"})))
    close_all({{0.16666666666666666, 0.08333333333333333, 0.08333333333333333, 0.0},
      {0.0, 0.25, 0.0, 0.08333333333333333}, {0.08333333333333333, 0.0, 0.25, 0.0}, {0.0, 0.0, 0.0, 0.0}},
      (metrics.confusion_matrix(yt, yp, {normalize = "all"})))
    close(0.3157894736842105, metrics.kappa(yt, yp, {labels = order, weights = "quadratic"}))
  end)

  it("numeric labels that are not 0..k-1 are mapped in numeric order", function()
    -- the same problem with bird, cat, dog, fish -> 2, 5, 10, 11 (10 sorts after 5 numerically)
    local map = {bird = 2, cat = 5, dog = 10, fish = 11}
    local nt, np = {}, {}
    for i = 1, #yt do nt[i], np[i] = map[yt[i]], map[yp[i]] end
    close(0.3157894736842105, metrics.kappa(nt, np, {weights = "quadratic"}))
    local _, labels = metrics.f1(nt, np, {average = "none"})
    assert.same({2, 5, 10, 11}, labels)
  end)
end)

--[=[ reference values: /usr/bin/python3 (scikit-learn 1.2.1), printed reprs pasted below
# group 3: binary scores with ties
from sklearn import metrics as M
import numpy as np
y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.35, 0.35, 0.6, 0.1]
w = [1, 2, 0.5, 1, 3, 1, 0.25, 2, 1, 1.5, 0, 2]
for sw in (None, w):
    print(repr(M.roc_auc_score(y, s, sample_weight=sw)), repr(M.average_precision_score(y, s, sample_weight=sw)))
print(repr(M.average_precision_score(y, 1 - np.array(s), pos_label=0)))   # positive class 0, its scores 1 - s
print(repr(M.roc_auc_score(y, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])))     # all tied
print(repr(M.log_loss(y, s)), repr(M.log_loss(y, s, sample_weight=w)))
print(repr(M.brier_score_loss(y, s)), repr(M.brier_score_loss(y, s, sample_weight=w)),
      repr(M.brier_score_loss(y, s, pos_label=0)))
print(repr(M.log_loss(y, [0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1])))       # exact 0/1 probabilities are clipped
print(repr(M.brier_score_loss([0, 0, 0], [0.1, 0.5, 0.2])))              # one class: fine for Brier
]=]
describe("metrics: binary scores", function()
  local y = {0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0}
  local s = {0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.35, 0.35, 0.6, 0.1}
  local w = {1, 2, 0.5, 1, 3, 1, 0.25, 2, 1, 1.5, 0, 2}

  it("ROC AUC and average precision with tied scores", function()
    close(0.8333333333333333, metrics.roc_auc(y, s))
    close(0.8333333333333333, metrics.average_precision(y, s))
    close(0.7925407925407926, metrics.roc_auc(y, s, {sample_weight = w}))
    close(0.7512626262626263, metrics.average_precision(y, s, {sample_weight = w}))
    local one = {}
    for i = 1, #y do one[i] = 1 end
    close(0.5, metrics.roc_auc(y, one))
  end)

  it("positive class by pos_label, string labels and a two-column matrix", function()
    local inv, st, m = {}, {}, {}
    for i = 1, #s do
      inv[i] = 1 - s[i]
      st[i] = y[i] == 1 and "pos" or "neg"
      m[i] = {1 - s[i], s[i]}
    end
    close(0.8333333333333333, metrics.average_precision(y, inv, {pos_label = 0}))
    close(0.8333333333333333, metrics.roc_auc(st, s))
    close(0.8333333333333333, metrics.roc_auc(y, m))
    close(0.7512626262626263, metrics.average_precision(st, m, {sample_weight = w}))
  end)

  it("log loss and Brier score", function()
    close(0.4784636181553195, metrics.log_loss(y, s))
    close(0.42603661829657047, metrics.log_loss(y, s, {sample_weight = w}))
    close(0.1597916666666667, metrics.brier(y, s))
    close(0.13622950819672133, metrics.brier(y, s, {sample_weight = w}))
    close(0.4681250000000001, metrics.brier(y, s, {pos_label = 0}))
    close(3.0036377824264293, metrics.log_loss(y, {0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1}))
    close(0.10000000000000002, metrics.brier({0, 0, 0}, {0.1, 0.5, 0.2}))
  end)

  it("single-class y_true is an error for ROC AUC and average precision", function()
    fails("roc_auc: ROC AUC is undefined when y_true has only one class", metrics.roc_auc, {1, 1, 1}, {0.1, 0.2, 0.3})
    fails("average_precision: average precision is undefined when y_true has only one class",
      metrics.average_precision, {0, 0, 0}, {0.1, 0.2, 0.3})
    -- two classes but one has zero total weight
    fails("ROC AUC is undefined when y_true has only one class", metrics.roc_auc, {0, 1, 1}, {0.1, 0.2, 0.3},
      {sample_weight = {0, 1, 1}})
    fails("log_loss: y_true contains only one label (1); pass the labels option", metrics.log_loss, {1, 1}, {0.5, 0.7})
  end)
end)

--[=[ reference values: /usr/bin/python3 (scikit-learn 1.2.1), printed reprs pasted below
# group 4: multiclass probabilities (classes 0, 1, 2), ties across rows
from sklearn import metrics as M
from sklearn.preprocessing import label_binarize
y = [0, 1, 2, 2, 1, 0, 1, 2, 0, 1]
P = [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3],
     [0.5, 0.25, 0.25], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [1.0, 0.0, 0.0], [0.25, 0.5, 0.25]]
w = [1, 2, 0.5, 1, 3, 1, 0.25, 2, 1, 1.5]
for sw in (None, w):
    print(repr(M.roc_auc_score(y, P, multi_class="ovr", average="macro", sample_weight=sw)),
          repr(M.roc_auc_score(y, P, multi_class="ovr", average="weighted", sample_weight=sw)),
          M.roc_auc_score(y, P, multi_class="ovr", average=None, sample_weight=sw).tolist(),
          repr(M.average_precision_score(label_binarize(y, classes=[0, 1, 2]), P, average="macro", sample_weight=sw)),
          repr(M.average_precision_score(label_binarize(y, classes=[0, 1, 2]), P, average="weighted", sample_weight=sw)),
          repr(M.log_loss(y, P, sample_weight=sw)))
Q = [[0.0, 1.0, 0.0]] + P[1:]   # true class 0 gets probability 0: clipped to eps
print(repr(M.log_loss(y, Q)))
# labels given: columns a, b, c, d with "d" absent from y_true
print(repr(M.log_loss(["a", "b", "c"], [[0.7, 0.1, 0.1, 0.1], [0.2, 0.5, 0.2, 0.1], [0.1, 0.1, 0.4, 0.4]],
                      labels=["a", "b", "c", "d"])))
]=]
describe("metrics: multiclass probabilities", function()
  local y = {0, 1, 2, 2, 1, 0, 1, 2, 0, 1}
  local P = {{0.6, 0.3, 0.1}, {0.2, 0.5, 0.3}, {0.1, 0.2, 0.7}, {0.3, 0.3, 0.4}, {0.2, 0.5, 0.3},
    {0.5, 0.25, 0.25}, {0.6, 0.3, 0.1}, {0.2, 0.2, 0.6}, {1.0, 0.0, 0.0}, {0.25, 0.5, 0.25}}
  local w = {1, 2, 0.5, 1, 3, 1, 0.25, 2, 1, 1.5}
  local ref = {
    {0.9623015873015873, 0.9619047619047618, {0.9285714285714285, 0.9583333333333334, 1.0}, 0.9074074074074074,
     0.9083333333333334, 0.6271178449910587},
    {0.9940356241169249, 0.9943360826931926, {0.9878048780487805, 0.9943019943019943, 1.0}, 0.9762854429521095,
     0.9814960720621098, 0.6133360098432126},
  }
  for case, sw in ipairs({false, true}) do
    local r = ref[case]
    local weight = sw and w or nil
    it("one-vs-rest ROC AUC, average precision and log loss" .. (sw and " (weighted)" or ""), function()
      close(r[1], metrics.roc_auc(y, P, {sample_weight = weight}), "roc macro")
      close(r[2], metrics.roc_auc(y, P, {average = "weighted", sample_weight = weight}), "roc weighted")
      local per, labels = metrics.roc_auc(y, P, {average = "none", sample_weight = weight})
      close_all(r[3], per, "roc none")
      assert.same({0, 1, 2}, labels)
      close(r[4], metrics.average_precision(y, P, {sample_weight = weight}), "ap macro")
      close(r[5], metrics.average_precision(y, P, {average = "weighted", sample_weight = weight}), "ap weighted")
      close(r[6], metrics.log_loss(y, P, {sample_weight = weight}), "log_loss")
    end)
  end

  it("log loss clips probabilities and takes labels for absent classes", function()
    local Q = {{0.0, 1.0, 0.0}}
    for i = 2, #P do Q[i] = P[i] end
    close(4.180400621526175, metrics.log_loss(y, Q))
    close(0.6553709521242775, metrics.log_loss({"a", "b", "c"},
      {{0.7, 0.1, 0.1, 0.1}, {0.2, 0.5, 0.2, 0.1}, {0.1, 0.1, 0.4, 0.4}}, {labels = {"a", "b", "c", "d"}}))
  end)

  it("rejects rows that are not probabilities and classes absent from y_true", function()
    fails("log_loss: probabilities of row 2 sum to", metrics.log_loss, {0, 1}, {{0.5, 0.5}, {0.5, 0.6}})
    fails("roc_auc: scores of row 1 sum to", metrics.roc_auc, {0, 1, 2}, {{1, 1, 1}, {0, 1, 0}, {0, 0, 1}})
    fails("log_loss: y_proba row 1 column 2 is -0.5, not a probability in [0, 1]", metrics.log_loss, {0, 1},
      {{0.5, -0.5}, {0.5, 0.5}})
    fails("roc_auc: y_score row 2 column 1 is inf, not a finite number", metrics.roc_auc, {0, 1, 2},
      {{1, 0, 0}, {math.huge, 0, 0}, {0, 0, 1}})
    fails("roc_auc: ROC AUC is undefined for class code 3: it is absent in y_true", metrics.roc_auc, {0, 1, 2},
      {{0.5, 0.2, 0.2, 0.1}, {0.2, 0.5, 0.2, 0.1}, {0.2, 0.2, 0.5, 0.1}}, {labels = {0, 1, 2, 3}})
    fails("y_score has 2 columns but there are 3 classes", metrics.roc_auc, {0, 1, 2}, {{1, 0}, {0, 1}, {1, 0}})
    fails("log_loss: y_proba has 4 columns but there are 3 classes", metrics.log_loss, {0, 1, 2},
      {{0.7, 0.1, 0.1, 0.1}, {0.2, 0.5, 0.2, 0.1}, {0.1, 0.1, 0.4, 0.4}})
    fails("roc_auc: y_score row 2 has 2 entries, expected 3", metrics.roc_auc, {0, 1, 2},
      {{0.5, 0.25, 0.25}, {0.5, 0.5}, {0.5, 0.25, 0.25}})
    fails("y_true has 3 classes but y_score is one score per sample", metrics.roc_auc, {0, 1, 2}, {0.1, 0.2, 0.3})
  end)
end)

--[=[ reference values: /usr/bin/python3 (scikit-learn 1.2.1), printed reprs pasted below
# group 5: regression
from sklearn import metrics as M
yt = [3.0, -0.5, 2.0, 7.0, 0.0, 4.5, -2.0, 1.25]
yp = [2.5, 0.0, 2.0, 8.0, 0.1, 4.0, -1.0, 1.0]
w = [1, 2, 0.5, 1, 3, 1, 0.25, 2]
for sw in (None, w):
    print(repr(M.mean_squared_error(yt, yp, sample_weight=sw)),
          repr(M.mean_squared_error(yt, yp, squared=False, sample_weight=sw)),
          repr(M.mean_absolute_error(yt, yp, sample_weight=sw)),
          repr(M.r2_score(yt, yp, sample_weight=sw)),
          repr(M.mean_absolute_percentage_error(yt, yp, sample_weight=sw)),   # y_true 0: divided by eps
          repr(M.explained_variance_score(yt, yp, sample_weight=sw)),
          repr(M.median_absolute_error(yt, yp, sample_weight=sw)))
print(repr(M.max_error(yt, yp)), repr(M.median_absolute_error(yt[:7], yp[:7])))
print(repr(M.mean_absolute_percentage_error(yt[:4], yp[:4])))
# constant y_true (force_finite): perfect -> 1.0, imperfect -> 0.0
print(M.r2_score([2, 2, 2], [2, 2, 2]), M.r2_score([2, 2, 2], [2, 2, 2.5]),
      M.explained_variance_score([2, 2, 2], [2, 2, 2]), M.explained_variance_score([2, 2, 2], [2, 2, 2.5]),
      M.explained_variance_score([1, 2, 3], [2, 3, 4]))
print(M.median_absolute_error([1, 2, 3, 4], [1, 3, 5, 7], sample_weight=[1, 1, 1, 1]),
      M.median_absolute_error([1, 2, 3, 4], [1, 3, 5, 7]))
]=]
describe("metrics: regression", function()
  local yt = {3.0, -0.5, 2.0, 7.0, 0.0, 4.5, -2.0, 1.25}
  local yp = {2.5, 0.0, 2.0, 8.0, 0.1, 4.0, -1.0, 1.0}
  local w = {1, 2, 0.5, 1, 3, 1, 0.25, 2}
  local ref = {
    {0.3528125, 0.593980218525836, 0.48125, 0.9521546814991392, 56294995342131.47, 0.9560164216660045, 0.5},
    {0.22372093023255815, 0.472991469513519, 0.3767441860465116, 0.9596133756407127, 125681850066153.66,
     0.9613356114229924, 0.25},
  }
  local names = {"mse", "rmse", "mae", "r2", "mape", "explained_variance", "median_absolute_error"}
  for case, sw in ipairs({false, true}) do
    it("all regression metrics" .. (sw and " (weighted)" or ""), function()
      local o = sw and {sample_weight = w} or nil
      for j, name in ipairs(names) do close(ref[case][j], metrics[name](yt, yp, o), name) end
    end)
  end

  it("max error, median of an odd count, MAPE without zeros", function()
    close(1.0, metrics.max_error(yt, yp))
    local t7, p7 = {table.unpack(yt, 1, 7)}, {table.unpack(yp, 1, 7)}
    close(0.5, metrics.median_absolute_error(t7, p7))
    close(0.3273809523809524, metrics.mape({table.unpack(yt, 1, 4)}, {table.unpack(yp, 1, 4)}))
  end)

  it("constant y_true follows force_finite; weighted median is the lower weighted percentile", function()
    assert.equals(1.0, metrics.r2({2, 2, 2}, {2, 2, 2}))
    assert.equals(0.0, metrics.r2({2, 2, 2}, {2, 2, 2.5}))
    assert.equals(1.0, metrics.explained_variance({2, 2, 2}, {2, 2, 2}))
    assert.equals(0.0, metrics.explained_variance({2, 2, 2}, {2, 2, 2.5}))
    assert.equals(1.0, metrics.explained_variance({1, 2, 3}, {2, 3, 4}))
    assert.equals(1.0, metrics.median_absolute_error({1, 2, 3, 4}, {1, 3, 5, 7}, {sample_weight = {1, 1, 1, 1}}))
    assert.equals(1.5, metrics.median_absolute_error({1, 2, 3, 4}, {1, 3, 5, 7}))
  end)

  it("R^2 with one sample is an error (scikit-learn: NaN with a warning)", function()
    fails("r2: R^2 is undefined with fewer than two samples", metrics.r2, {1}, {2})
  end)
end)

-- The same LCG as lcg_rows() in the python snippet of group 6.
local function lcg_rows(n, seed)
  local s = seed
  local function u()
    s = (1664525 * s + 1013904223) % 4294967296
    return s / 4294967296
  end
  local R = {yb = {}, sb = {}, ym = {}, P = {}, pm = {}, yr = {}, pr = {}, w = {}}
  for i = 1, n do
    local yb = u() < 0.4 and 1 or 0
    R.yb[i], R.sb[i] = yb, math.floor((u() + 0.3 * yb) * 8) / 8
    local ym = math.floor(u() * 4)
    R.ym[i] = ym
    local raw, sum = {}, 0
    for c = 0, 3 do
      raw[c + 1] = 1 + math.floor(u() * 5) + (c == ym and 3 or 0)
      sum = sum + raw[c + 1]
    end
    for c = 1, 4 do raw[c] = raw[c] / sum end
    R.P[i] = raw
    local keep, other = u() < 0.6, math.floor(u() * 4)
    R.pm[i] = keep and ym or other
    local yr = 10 * u() - 5
    R.yr[i], R.pr[i] = yr, yr + (u() - 0.5) * 2
    R.w[i] = 1 + math.floor(u() * 3)
  end
  return R
end

--[=[ reference values: /usr/bin/python3 (scikit-learn 1.2.1), printed reprs pasted below
# group 6: 200 rows from an LCG (reproduced by lcg_rows() in this spec)
import math
from sklearn import metrics as M
from sklearn.preprocessing import label_binarize
def lcg_rows(n=200, seed=12345):
    s = seed
    def u():
        nonlocal s
        s = (1664525 * s + 1013904223) % 2**32
        return s / 2**32
    R = dict(yb=[], sb=[], ym=[], P=[], pm=[], yr=[], pr=[], w=[])
    for _ in range(n):
        yb = 1 if u() < 0.4 else 0
        R["yb"].append(yb); R["sb"].append(math.floor((u() + 0.3 * yb) * 8) / 8)
        ym = math.floor(u() * 4); R["ym"].append(ym)
        raw = [1 + math.floor(u() * 5) + (3 if c == ym else 0) for c in range(4)]
        R["P"].append([r / sum(raw) for r in raw])
        keep = u() < 0.6; other = math.floor(u() * 4)
        R["pm"].append(ym if keep else other)
        yr = 10 * u() - 5; R["yr"].append(yr); R["pr"].append(yr + (u() - 0.5) * 2)
        R["w"].append(1 + math.floor(u() * 3))
    return R
R = lcg_rows(); yb, sb, ym, P, pm, yr, pr, w = (R[k] for k in ("yb", "sb", "ym", "P", "pm", "yr", "pr", "w"))
B = label_binarize(ym, classes=[0, 1, 2, 3])
for sw in (None, w):
    print([repr(x) for x in [
        M.roc_auc_score(yb, sb, sample_weight=sw), M.average_precision_score(yb, sb, sample_weight=sw),
        M.roc_auc_score(ym, P, multi_class="ovr", sample_weight=sw),
        M.roc_auc_score(ym, P, multi_class="ovr", average="weighted", sample_weight=sw),
        M.average_precision_score(B, P, average="macro", sample_weight=sw), M.log_loss(ym, P, sample_weight=sw),
        M.accuracy_score(ym, pm, sample_weight=sw), M.balanced_accuracy_score(ym, pm, sample_weight=sw),
        M.f1_score(ym, pm, average="macro", sample_weight=sw), M.f1_score(ym, pm, average="weighted", sample_weight=sw),
        M.matthews_corrcoef(ym, pm, sample_weight=sw),
        M.cohen_kappa_score(ym, pm, weights="quadratic", sample_weight=sw),
        M.mean_squared_error(yr, pr, sample_weight=sw), M.mean_squared_error(yr, pr, squared=False, sample_weight=sw),
        M.mean_absolute_error(yr, pr, sample_weight=sw), M.r2_score(yr, pr, sample_weight=sw),
        M.mean_absolute_percentage_error(yr, pr, sample_weight=sw),
        M.explained_variance_score(yr, pr, sample_weight=sw), M.median_absolute_error(yr, pr, sample_weight=sw)]])
print(repr(M.max_error(yr, pr)), sum(yb), len(set(sb)), M.confusion_matrix(ym, pm).tolist())
]=]
describe("metrics: 200 pseudo-random rows (sorting and ties)", function()
  local R = lcg_rows(200, 12345)
  local ref = {
    {0.7850676431695656, 0.7521887405209051, 0.9434955024504432, 0.9420588100340609, 0.8595254762195075,
     0.9404296258182226, 0.66, 0.6587119181631376, 0.6535225425649109, 0.6635665417383797, 0.5475317229964572,
     0.5147344273866243, 0.3260503598409556, 0.5710081959490211, 0.48099429031834007, 0.9598613960772874,
     0.4736353374999154, 0.9600769701475195, 0.4706953801214695},
    {0.7703497615262321, 0.7384817226269126, 0.9456862131519261, 0.944260388690667, 0.8621981502316276,
     0.9407585470636535, 0.6690307328605201, 0.6635055588195418, 0.6578945070941848, 0.673043710536246,
     0.5569391114231338, 0.5195067161784257, 0.32268828636571234, 0.5680565872918932, 0.4771967576288268,
     0.9607256172888015, 0.46241471606835194, 0.9609363618958026, 0.4681763341650367},
  }

  it("the Lua LCG reproduces the python rows", function()
    local pos, distinct, n = 0, {}, 0
    for i = 1, 200 do
      pos = pos + R.yb[i]
      if not distinct[R.sb[i]] then distinct[R.sb[i]], n = true, n + 1 end
    end
    assert.equals(87, pos)
    assert.equals(11, n)
    assert.same({{25, 7, 2, 7}, {8, 35, 4, 5}, {5, 8, 43, 9}, {6, 4, 3, 29}}, (metrics.confusion_matrix(R.ym, R.pm)))
    close(0.9997028922662139, metrics.max_error(R.yr, R.pr))
  end)

  for case, sw in ipairs({false, true}) do
    it("every metric" .. (sw and " (weighted)" or ""), function()
      local r, o = ref[case], {sample_weight = sw and R.w or nil}
      local function with(t)
        t.sample_weight = o.sample_weight
        return t
      end
      local got = {
        metrics.roc_auc(R.yb, R.sb, o), metrics.average_precision(R.yb, R.sb, o),
        metrics.roc_auc(R.ym, R.P, o), metrics.roc_auc(R.ym, R.P, with{average = "weighted"}),
        metrics.average_precision(R.ym, R.P, o), metrics.log_loss(R.ym, R.P, o),
        metrics.accuracy(R.ym, R.pm, o), metrics.balanced_accuracy(R.ym, R.pm, o),
        metrics.f1(R.ym, R.pm, with{average = "macro"}), metrics.f1(R.ym, R.pm, with{average = "weighted"}),
        metrics.mcc(R.ym, R.pm, o), metrics.kappa(R.ym, R.pm, with{weights = "quadratic"}),
        metrics.mse(R.yr, R.pr, o), metrics.rmse(R.yr, R.pr, o), metrics.mae(R.yr, R.pr, o),
        metrics.r2(R.yr, R.pr, o), metrics.mape(R.yr, R.pr, o), metrics.explained_variance(R.yr, R.pr, o),
        metrics.median_absolute_error(R.yr, R.pr, o),
      }
      for j = 1, #r do close(r[j], got[j], "metric #" .. j) end
    end)
  end
end)

describe("metrics: registry", function()
  it("gets metrics by name with their direction and input kind", function()
    local f1m = metrics.get("f1_macro")
    assert.equals("f1_macro", f1m.name)
    assert.is_true(f1m.greater_is_better)
    assert.is_false(f1m.needs_proba)
    close(0.5178571428571429, f1m.fn({"cat", "dog", "bird", "cat", "dog", "dog", "bird", "cat", "cat", "dog", "bird",
      "bird"}, {"cat", "dog", "cat", "cat", "bird", "dog", "bird", "fish", "cat", "dog", "dog", "bird"}))
    local ll = metrics.get("log_loss")
    assert.is_false(ll.greater_is_better)
    assert.is_true(ll.needs_proba)
    close(0.4784636181553195, ll.fn({0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0},
      {0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.35, 0.35, 0.6, 0.1}))
    assert.is_false(metrics.get("rmse").greater_is_better)
    assert.is_true(metrics.get("r2").greater_is_better)
    assert.is_true(metrics.get("roc_auc_ovr").needs_proba)
    for _, name in ipairs({"accuracy", "balanced_accuracy", "f1", "f1_macro", "precision", "recall", "roc_auc",
      "roc_auc_ovr", "average_precision", "log_loss", "brier", "mcc", "kappa", "mse", "rmse", "mae", "r2", "mape",
      "explained_variance"}) do
      assert.is_function(metrics.get(name).fn, name)
    end
  end)

  it("a fixed option cannot be overridden; an unknown name lists the valid ones", function()
    fails("f1_macro: option 'average' is fixed to 'macro'", metrics.get("f1_macro").fn, {0, 1}, {0, 1},
      {average = "micro"})
    fails("metrics.get: unknown metric 'f2' (valid: accuracy, average_precision,", metrics.get, "f2")
    fails("metrics.get: unknown metric nil", metrics.get)
  end)
end)

describe("metrics: bad input", function()
  it("wrong types", function()
    fails("accuracy: y_true must be an array (got string)", metrics.accuracy, "abc", {1})
    fails("accuracy: y_pred entry 2 must be a number or a string (got boolean)", metrics.accuracy, {1, 2}, {1, true})
    fails("accuracy: options must be a table (got number)", metrics.accuracy, {1}, {1}, 3)
    fails("mse: y_pred: entry 1 must be a number (got string)", metrics.mse, {1}, {"x"})
    fails("roc_auc: y_score: entry 2 must be a number (got string)", metrics.roc_auc, {0, 1}, {0.5, "x"})
    fails("f1: option 'sample_weight' must be a table (got number)", metrics.f1, {0, 1}, {0, 1}, {sample_weight = 1})
    fails("f1: option 'average' must be a string (got number)", metrics.f1, {0, 1}, {0, 1}, {average = 2})
    fails("f1: option 'zero_division' must be 0, 1 or 'warn' (got 2)", metrics.f1, {0, 1}, {0, 1},
      {zero_division = 2})
    fails("accuracy: labels mix numbers and strings", metrics.accuracy, {1, "a"}, {1, "a"})
    fails("f1: sample_weight: entry 2 must be a number (got string)", metrics.f1, {0, 1}, {0, 1},
      {sample_weight = {1, "x"}})
  end)

  it("empty inputs", function()
    fails("accuracy: y_true is empty", metrics.accuracy, {}, {})
    fails("roc_auc: y_true is empty", metrics.roc_auc, {}, {})
    fails("mse: y_true is empty", metrics.mse, {}, {})
    fails("log_loss: y_proba is empty", metrics.log_loss, {1}, {})
    fails("report: y_pred is empty", metrics.report, {1}, {})
  end)

  it("NaN", function()
    fails("accuracy: y_true entry 2 is NaN", metrics.accuracy, {1, 0 / 0}, {1, 1})
    fails("roc_auc: y_score: entry 1 is NaN", metrics.roc_auc, {0, 1}, {0 / 0, 1})
    fails("log_loss: y_score row 1 entry 2 is NaN", metrics.log_loss, {0, 1}, {{0.5, 0 / 0}, {0.5, 0.5}})
    fails("r2: y_true: entry 1 is NaN", metrics.r2, {0 / 0, 1}, {1, 1})
    fails("mae: sample_weight: entry 1 is NaN", metrics.mae, {1, 1}, {1, 1}, {sample_weight = {0 / 0, 1}})
    fails("f1: option 'pos_label' must be a number or a string (got NaN)", metrics.f1, {0, 1}, {0, 1},
      {pos_label = 0 / 0})
    fails("mse: y_pred entry 2 is infinite", metrics.mse, {1, 2}, {1, math.huge})
  end)

  it("length mismatch", function()
    fails("accuracy: y_true and y_pred have different lengths (2 and 3)", metrics.accuracy, {1, 2}, {1, 2, 3})
    fails("roc_auc: y_true and y_score have different lengths (2 and 1)", metrics.roc_auc, {0, 1}, {0.5})
    fails("mse: y_true and y_pred have different lengths (1 and 2)", metrics.mse, {1}, {1, 2})
    fails("accuracy: sample_weight has 1 entries, expected 2", metrics.accuracy, {1, 2}, {1, 2},
      {sample_weight = {1}})
  end)

  it("unknown average, unknown option, misuse of options", function()
    fails("f1: option 'average' must be one of binary, micro, macro, weighted, none (got 'samples')", metrics.f1,
      {0, 1}, {0, 1}, {average = "samples"})
    fails("roc_auc: option 'average' must be one of macro, weighted, none (got 'micro')", metrics.roc_auc,
      {0, 1, 2}, {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, {average = "micro"})
    fails("mse: unknown option 'weights' (valid: sample_weight)", metrics.mse, {1}, {1}, {weights = {1}})
    fails("max_error: unknown option 'sample_weight' (valid: )", metrics.max_error, {1}, {1}, {sample_weight = {1}})
    fails("kappa: option 'weights' must be one of none, linear, quadratic (got 'cubic')", metrics.kappa, {0, 1},
      {0, 1}, {weights = "cubic"})
    fails("confusion_matrix: option 'normalize' must be one of true, pred, all (got 'rows')",
      metrics.confusion_matrix, {0, 1}, {0, 1}, {normalize = "rows"})
    fails("f1: pos_label is only used with average 'binary'", metrics.f1, {0, 1}, {0, 1},
      {average = "macro", pos_label = 1})
    fails("fbeta: option 'beta' is required", metrics.fbeta, {0, 1}, {0, 1})
    fails("fbeta: beta must be >= 0 (got -1)", metrics.fbeta, {0, 1}, {0, 1}, {beta = -1})
    fails("report: option 'digits' must be an integer in 0..17 (got 1.5)", metrics.report, {0, 1}, {0, 1},
      {digits = 1.5})
  end)

  it("labels and positive class out of range", function()
    fails("f1: average 'binary' needs 2 labels, got 3 (0, 1, 2)", metrics.f1, {0, 1, 2}, {0, 1, 1})
    fails("f1: pos_label=2 is not a valid label (labels: 0, 1)", metrics.f1, {0, 1}, {0, 1}, {pos_label = 2})
    fails("confusion_matrix: y_pred entry 2 ('c') is not one of the labels ('a', 'b')", metrics.confusion_matrix,
      {"a", "b"}, {"a", "c"}, {labels = {"a", "b"}})
    fails("kappa: option 'labels' repeats 1", metrics.kappa, {0, 1}, {0, 1}, {labels = {0, 1, 1}})
    fails("brier: only binary y_true is supported (got 3 classes: 0, 1, 2)", metrics.brier, {0, 1, 2},
      {0.1, 0.2, 0.3})
    fails("brier: y_prob entry 1 is 1.5, not a probability in [0, 1]", metrics.brier, {0, 1}, {1.5, 0.2})
    fails("log_loss: y_proba entry 2 is 1.25, not a probability in [0, 1]", metrics.log_loss, {0, 1}, {0.5, 1.25})
    fails("accuracy: sample_weight entry 2 is negative (-1)", metrics.accuracy, {0, 1}, {0, 1},
      {sample_weight = {1, -1}})
    fails("accuracy: sample weights sum to zero", metrics.accuracy, {0, 1}, {0, 1}, {sample_weight = {0, 0}})
  end)

  it("undefined values", function()
    fails("kappa: Cohen's kappa is undefined when the expected disagreement is 0", metrics.kappa, {1, 1}, {1, 1})
    close(0.0, metrics.mcc({1, 1, 0}, {1, 1, 1})) -- python3: M.matthews_corrcoef([1,1,0],[1,1,1]) -> 0.0
  end)

  it("every metric rejects a wrong type, empty input, NaN, a length mismatch and an unknown option", function()
    local labels = {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "mcc", "kappa", "confusion_matrix",
      "report"}
    local scores = {"roc_auc", "average_precision", "log_loss", "brier"}
    local regression = {"mse", "rmse", "mae", "r2", "mape", "explained_variance", "median_absolute_error",
      "max_error"}
    local function each(names, second, nan_second, nan_text)
      for _, name in ipairs(names) do
        local f = metrics[name]
        fails(name .. ": y_true must be an array (got number)", f, 1, second)
        fails(name .. ": y_true is empty", f, {}, second)
        fails(name .. ": y_true and ", f, {0, 1, 0}, second)
        local ok, err = pcall(f, {0, 1}, nan_second)
        assert.is_false(ok)
        assert.equals(name .. ": ", err:sub(1, #name + 2))
        assert.is_truthy(err:find(nan_text, 1, true), err)
        fails(name .. ": unknown option 'sample_weights'", f, {0, 1}, second, {sample_weights = {1, 1}})
      end
    end
    each(labels, {0, 1}, {0, 0 / 0}, "y_pred entry 2 is NaN")
    each(scores, {0.25, 0.75}, {0.25, 0 / 0}, "entry 2 is NaN")
    each(regression, {0.25, 0.75}, {0.25, 0 / 0}, "y_pred: entry 2 is NaN")
    fails("fbeta: y_true must be an array (got number)", metrics.fbeta, 1, {0, 1}, {beta = 1})
    fails("fbeta: unknown option 'bta'", metrics.fbeta, {0, 1}, {0, 1}, {beta = 1, bta = 2})
  end)

  it("the core rejects class codes out of range", function()
    fails("accuracy: y_pred entry 2 is 2, not a class code in 0..1", core.accuracy, {0, 1}, {0, 2}, {n_classes = 2})
    fails("precision_recall_fscore: y_true entry 1 is 0.5, not a class code in 0..1", core.prf, {0.5, 1}, {0, 1},
      {n_classes = 2})
    fails("roc_auc: y_true entry 1 is 2, not 0 or 1", core.roc_auc, {2, 1}, {0.5, 0.5})
    fails("accuracy: option 'n_classes' must be an integer >= 1", core.accuracy, {0}, {0})
  end)
end)
