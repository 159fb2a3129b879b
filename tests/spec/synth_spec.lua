-- synth_spec.lua — knob.core.synth: seeded synthetic datasets (make_classification, make_regression,
-- make_friedman1, make_hastie_10_2, make_blobs). Values are read through the public Dataset API as
-- helpers.snapshot(ds, {codes = true}) (tests/helpers.lua) = {X = {{row}...}, y = {...}, n_rows,
-- n_features, names, target, classes, task, fingerprint}, y holding class codes 0..K-1 (positions in
-- ds:classes()) for classification. Expected values are hand-derived from the generators' definitions or produced once with
-- scikit-learn 1.2.1 (snippets quoted where used); tolerances are a few standard errors, derived in place.
local synth = require("knob.core").synth
local helpers = require "helpers"

local function values(ds) return helpers.snapshot(ds, {codes = true}) end

local function column(v, j)
  local c = {}
  for i = 1, v.n_rows do c[i] = v.X[i][j] end
  return c
end

local function mean(a)
  local s = 0
  for i = 1, #a do s = s + a[i] end
  return s / #a
end

-- population variance (numpy's var, ddof = 0)
local function var(a)
  local m, s = mean(a), 0
  for i = 1, #a do s = s + (a[i] - m) ^ 2 end
  return s / #a
end

-- sum of the squares of all values of X
local function sum_squares(v)
  local s = 0
  for i = 1, v.n_rows do for j = 1, v.n_features do s = s + v.X[i][j] ^ 2 end end
  return s
end

-- Friedman #1 without noise
local function friedman1(x)
  return 10 * math.sin(math.pi * x[1] * x[2]) + 20 * (x[3] - 0.5) ^ 2 + 10 * x[4] + 5 * x[5]
end

local function count(a, x)
  local c = 0
  for i = 1, #a do if a[i] == x then c = c + 1 end end
  return c
end

-- the error message of f(...), which must fail
local function error_of(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

local function assert_error(f, opts, fragment)
  local msg = error_of(f, opts)
  assert(msg:find(fragment, 1, true), ("expected an error containing %q, got %q"):format(fragment, msg))
end

local generators = {
  make_classification = {n_samples = 50},
  make_regression = {n_samples = 50, n_features = 5},
  make_friedman1 = {n_samples = 50},
  make_hastie_10_2 = {n_samples = 50},
  make_blobs = {n_samples = 50},
}

local function with_seed(opts, seed)
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.seed = seed
  return o
end

describe("knob.core.synth", function()
  describe("determinism", function()
    for name, opts in pairs(generators) do
      it(name .. ": the same seed gives the same data, another seed other data", function()
        local f = synth[name]
        local a = values(f(with_seed(opts, 7))).fingerprint
        assert.equals(a, values(f(with_seed(opts, 7))).fingerprint)
        assert.not_equals(a, values(f(with_seed(opts, 8))).fingerprint)
        -- the seed defaults to 0, so a call without one is reproducible too
        assert.equals(values(f(with_seed(opts, 0))).fingerprint, values(f(opts)).fingerprint)
      end)
    end
  end)

  describe("make_classification", function()
    it("has scikit-learn's defaults: 100 x 20, two classes '0' and '1', target 'y'", function()
      local v = values(synth.make_classification())
      assert.equals(100, v.n_rows)
      assert.equals(20, v.n_features)
      assert.equals("classification", v.task)
      assert.same({"0", "1"}, v.classes)
      assert.equals("y", v.target)
      assert.equals("x1", v.names[1])
      assert.equals("x20", v.names[20])
    end)

    it("names classes 0..K-1 in numeric order", function()
      local v = values(synth.make_classification{n_samples = 200, n_informative = 4, n_classes = 12,
                                                 n_clusters_per_class = 1})
      assert.same({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}, v.classes)
      for i = 1, v.n_rows do
        assert.is_true(v.y[i] >= 0 and v.y[i] <= 11 and v.y[i] == math.floor(v.y[i]))
      end
    end)

    it("divides rows among classes by weight exactly when flip_y = 0", function()
      -- 1000 rows, weights 3/4 and 1/4, 2 clusters per class: floor(1000 * 0.75 / 2) = 375 and 125 rows
      -- per cluster (scikit-learn's rule), so 750 and 250 rows; the short form {0.75} means the same.
      for _, w in ipairs{{0.75, 0.25}, {0.75}, {3, 1}} do
        local v = values(synth.make_classification{n_samples = 1000, weights = w, flip_y = 0, seed = 3})
        assert.equals(750, count(v.y, 0))
        assert.equals(250, count(v.y, 1))
      end
    end)

    it("keeps class proportions within binomial 3-sigma with label noise", function()
      -- weights {0.7, 0.2, 0.1}, flip_y = 0.05 over 3 classes: P(class 0) = 0.95 * 0.7 + 0.05 / 3 = 0.68167,
      -- P(class 2) = 0.95 * 0.1 + 0.05 / 3 = 0.11167; sd of a proportion over n = 20000 rows is at most
      -- sqrt(p (1 - p) / n) (the pre-flip counts are fixed), so 3 sd = 0.0099 and 0.0067.
      local n = 20000
      local v = values(synth.make_classification{n_samples = n, n_classes = 3, n_informative = 3,
                                                 weights = {0.7, 0.2, 0.1}, flip_y = 0.05, seed = 11})
      local p0, p2 = 0.95 * 0.7 + 0.05 / 3, 0.95 * 0.1 + 0.05 / 3
      assert.near(p0, count(v.y, 0) / n, 3 * math.sqrt(p0 * (1 - p0) / n))
      assert.near(p2, count(v.y, 2) / n, 3 * math.sqrt(p2 * (1 - p2) / n))
    end)

    it("flips a fraction flip_y * (1 - 1/K) of the labels", function()
      -- unshuffled, rows 1..10000 are class 0 and 10001..20000 class 1 before flipping; a flipped label
      -- gets a uniform class, so it changes with probability 1/2: expected 0.2 * 0.5 = 0.1 changed,
      -- sd sqrt(0.1 * 0.9 / 20000) = 0.0021, tolerance 3 sd.
      local n = 20000
      local v = values(synth.make_classification{n_samples = n, n_clusters_per_class = 1, flip_y = 0.2,
                                                 shuffle = false, seed = 5})
      local changed = 0
      for i = 1, n do
        local orig = i <= n / 2 and 0 or 1
        if v.y[i] ~= orig then changed = changed + 1 end
      end
      assert.near(0.1, changed / n, 3 * math.sqrt(0.1 * 0.9 / n))
    end)

    it("is linearly separable with flip_y = 0, one cluster per class and a large class_sep", function()
      -- Two clusters on distinct vertices of the square of side 2 * 10 (>= 20 apart) with per-coordinate
      -- sd <= sqrt(2): the perpendicular bisector of the class means separates them (a margin of > 7 sd).
      local v = values(synth.make_classification{n_samples = 1000, n_features = 2, n_informative = 2,
                                                 n_redundant = 0, n_clusters_per_class = 1, class_sep = 10,
                                                 flip_y = 0, seed = 9})
      local m = {[0] = {0, 0, n = 0}, [1] = {0, 0, n = 0}}
      for i = 1, v.n_rows do
        local c = m[v.y[i]]
        c[1], c[2], c.n = c[1] + v.X[i][1], c[2] + v.X[i][2], c.n + 1
      end
      for k = 0, 1 do m[k][1], m[k][2] = m[k][1] / m[k].n, m[k][2] / m[k].n end
      local w = {m[1][1] - m[0][1], m[1][2] - m[0][2]}
      local mid = {(m[1][1] + m[0][1]) / 2, (m[1][2] + m[0][2]) / 2}
      for i = 1, v.n_rows do
        local s = w[1] * (v.X[i][1] - mid[1]) + w[2] * (v.X[i][2] - mid[2])
        assert.equals(v.y[i], s > 0 and 1 or 0)
      end
    end)

    it("puts clusters on distinct hypercube vertices", function()
      -- 2 classes x 4 clusters on the 8 vertices of {-5, 5}^3, 1000 rows each (unshuffled, in order); a
      -- cluster mean is its vertex within 4 * sqrt(3) / sqrt(1000) = 0.22 (coordinate sd <= sqrt(3)).
      local v = values(synth.make_classification{n_samples = 8000, n_features = 3, n_informative = 3,
                                                 n_redundant = 0, n_clusters_per_class = 4, class_sep = 5,
                                                 flip_y = 0, shuffle = false, seed = 2})
      local seen = {}
      for k = 0, 7 do
        local key = ""
        for j = 1, 3 do
          local s = 0
          for i = k * 1000 + 1, (k + 1) * 1000 do s = s + v.X[i][j] end
          s = s / 1000
          assert.near(5, math.abs(s), 0.22)
          key = key .. (s > 0 and "+" or "-")
        end
        assert.is_nil(seen[key])
        seen[key] = true
        assert.equals(k % 2, v.y[k * 1000 + 1]) -- cluster k holds class k mod 2
      end
    end)

    it("makes redundant features linear combinations and repeated features copies", function()
      local v = values(synth.make_classification{n_samples = 300, n_features = 6, n_informative = 2,
                                                 n_redundant = 2, n_repeated = 2, shuffle = false, seed = 4})
      local x1, x2 = column(v, 1), column(v, 2)
      -- least squares of each redundant column on x1, x2 (normal equations) leaves no residual
      local a, b, c = 0, 0, 0
      for i = 1, v.n_rows do a, b, c = a + x1[i] ^ 2, b + x1[i] * x2[i], c + x2[i] ^ 2 end
      for j = 3, 4 do
        local r = column(v, j)
        local d, e = 0, 0
        for i = 1, v.n_rows do d, e = d + x1[i] * r[i], e + x2[i] * r[i] end
        local det = a * c - b * b
        local u, w = (c * d - b * e) / det, (a * e - b * d) / det
        for i = 1, v.n_rows do assert.near(r[i], u * x1[i] + w * x2[i], 1e-9) end
      end
      for j = 5, 6 do
        local r, found = column(v, j), false
        for src = 1, 4 do
          local same = true
          for i = 1, v.n_rows do if r[i] ~= v.X[i][src] then same = false break end end
          found = found or same
        end
        assert.is_true(found, "repeated column " .. j .. " copies no informative/redundant column")
      end
    end)

    it("shuffling permutes rows and columns of the unshuffled data", function()
      -- shuffling draws after everything else, so the same seed gives the same rows in another order
      local o = {n_samples = 200, n_features = 7, n_repeated = 1, seed = 12}
      local a = values(synth.make_classification(o))
      o.shuffle = false
      local b = values(synth.make_classification(o))
      local function keys(v)
        local k = {}
        for i = 1, v.n_rows do
          local row = {}
          for j = 1, v.n_features do row[j] = v.X[i][j] end
          table.sort(row)
          k[i] = v.y[i] .. ":" .. table.concat(row, ",")
        end
        table.sort(k)
        return table.concat(k, ";")
      end
      assert.equals(keys(b), keys(a))
      assert.not_equals(a.fingerprint, b.fingerprint)
    end)

    it("shifts then scales features (number or per-feature list)", function()
      local base = {n_samples = 50, n_features = 3, n_redundant = 0, shuffle = false, seed = 6}
      local a = values(synth.make_classification(base))
      local o = with_seed(base, 6)
      o.shift, o.scale = 3, 2
      local b = values(synth.make_classification(o))
      o.shift, o.scale = {1, 2, 3}, {-1, 0.5, 10}
      local c = values(synth.make_classification(o))
      for i = 1, 50 do
        for j = 1, 3 do
          assert.near((a.X[i][j] + 3) * 2, b.X[i][j], 1e-12)
          assert.near((a.X[i][j] + ({1, 2, 3})[j]) * ({-1, 0.5, 10})[j], c.X[i][j], 1e-12)
        end
      end
      assert.same(a.y, b.y)
    end)

    it("draws random shift and scale in [-class_sep, class_sep] and [1, 101]", function()
      -- unshuffled: x = (z + s) * c, so the column means move by s * c and the sd scales by c
      local base = {n_samples = 400, n_features = 4, n_redundant = 0, shuffle = false, class_sep = 2, seed = 8}
      local a = values(synth.make_classification(base))
      local o = with_seed(base, 8)
      o.shift, o.scale = "random", "random"
      local b = values(synth.make_classification(o))
      for j = 1, 4 do
        local ca, cb = column(a, j), column(b, j)
        local c = (cb[2] - cb[1]) / (ca[2] - ca[1]) -- recover scale and shift from two points
        local s = cb[1] / c - ca[1]
        assert.is_true(c >= 1 and c <= 101, "scale " .. c)
        assert.is_true(s >= -2 and s <= 2, "shift " .. s)
        for i = 1, 400 do assert.near((ca[i] + s) * c, cb[i], 1e-9 * c) end
      end
    end)

    it("matches scikit-learn's feature variances over many seeds", function()
      --[[ /usr/bin/python3, scikit-learn 1.2.1:
        import numpy as np
        from sklearn.datasets import make_classification
        inf, red, noi = [], [], []
        for seed in range(200):
            X, y = make_classification(n_samples=1000, n_features=6, n_informative=2, n_redundant=2,
                                       flip_y=0, shuffle=False, random_state=seed)
            v = X.var(axis=0)
            inf += list(v[:2]); red += list(v[2:4]); noi += list(v[4:])
        for name, a in (("informative", inf), ("redundant", red), ("noise", noi)):
            a = np.array(a); print(name, "mean %.4f sd %.4f n %d" % (a.mean(), a.std(ddof=1), len(a)))
      -> informative mean 1.6574 sd 0.2181 n 400
         redundant mean 1.1040 sd 0.7508 n 400
         noise mean 1.0006 sd 0.0473 n 400
      (theory: informative 2/3 + class_sep^2 = 1.667, noise 1.) Tolerance: the difference of two means of
      400 values each has sd sqrt(2) * sd / 20; allow 4 of those. ]]
      local ref = {{1.6574, 0.2181}, {1.1040, 0.7508}, {1.0006, 0.0473}}
      local sums = {0, 0, 0}
      for seed = 0, 199 do
        local v = values(synth.make_classification{n_samples = 1000, n_features = 6, n_informative = 2,
                                                   n_redundant = 2, flip_y = 0, shuffle = false, seed = seed})
        for j = 1, 6 do
          local g = (j + 1) // 2
          sums[g] = sums[g] + var(column(v, j))
        end
      end
      for g = 1, 3 do
        assert.near(ref[g][1], sums[g] / 400, 4 * math.sqrt(2) * ref[g][2] / 20)
      end
    end)

    it("matches scikit-learn's informative variance off the hypercube", function()
      --[[ /usr/bin/python3, scikit-learn 1.2.1:
        inf = []
        for seed in range(200):
            X, y = make_classification(n_samples=1000, n_features=2, n_informative=2, n_redundant=0,
                                       hypercube=False, class_sep=2.0, flip_y=0, shuffle=False, random_state=seed)
            inf += list(X.var(axis=0))
        a = np.array(inf); print("polytope informative mean %.4f sd %.4f n %d" % (a.mean(), a.std(ddof=1), len(a)))
      -> polytope informative mean 1.0804 sd 0.5066 n 400   (on the hypercube it would be 2/3 + 4 = 4.67) ]]
      local s = 0
      for seed = 0, 199 do
        local v = values(synth.make_classification{n_samples = 1000, n_features = 2, n_informative = 2,
                                                   n_redundant = 0, hypercube = false, class_sep = 2,
                                                   flip_y = 0, shuffle = false, seed = seed})
        s = s + var(column(v, 1)) + var(column(v, 2))
      end
      assert.near(1.0804, s / 400, 4 * math.sqrt(2) * 0.5066 / 20)
    end)

    it("supports more than 30 informative features", function()
      local v = values(synth.make_classification{n_samples = 64, n_features = 40, n_informative = 35,
                                                 n_redundant = 0, n_classes = 4, n_clusters_per_class = 8})
      assert.equals(40, v.n_features)
      assert.equals(4, #v.classes)
    end)
  end)

  describe("make_regression", function()
    it("returns the dataset and the true coefficients; y = X coef + bias when noise = 0", function()
      local ds, coef = synth.make_regression{n_samples = 100, n_features = 8, n_informative = 3, bias = 2.5,
                                             seed = 1}
      local v = values(ds)
      assert.equals("regression", v.task)
      assert.equals("y", v.target)
      assert.equals(8, #coef)
      local nonzero = 0
      for j = 1, 8 do
        if coef[j] ~= 0 then nonzero = nonzero + 1 end
        assert.is_true(coef[j] >= 0 and coef[j] < 100)
      end
      assert.equals(3, nonzero)
      for i = 1, v.n_rows do
        local s = 2.5
        for j = 1, 8 do s = s + v.X[i][j] * coef[j] end
        assert.near(s, v.y[i], 1e-10 * (1 + math.abs(s)))
      end
    end)

    it("caps the default n_informative (10) at n_features", function()
      local _, coef = synth.make_regression{n_samples = 20, n_features = 4}
      for j = 1, 4 do assert.is_true(coef[j] > 0) end
    end)

    it("adds Gaussian noise of the given sd", function()
      -- residuals y - X coef are N(0, 3^2): the sample sd of 20000 is within 3 * 3 / sqrt(2 * 20000) = 0.045
      local ds, coef = synth.make_regression{n_samples = 20000, n_features = 3, noise = 3, seed = 2}
      local v, r = values(ds), {}
      for i = 1, v.n_rows do
        local s = 0
        for j = 1, 3 do s = s + v.X[i][j] * coef[j] end
        r[i] = v.y[i] - s
      end
      assert.near(0, mean(r), 3 * 3 / math.sqrt(20000))
      assert.near(3, math.sqrt(var(r)), 0.045)
    end)

    it("has standard normal features by default", function()
      -- mean within 4 / sqrt(n) and variance within 4 * sqrt(2 / n) of 0 and 1 (n = 5000)
      local v = values(synth.make_regression{n_samples = 5000, n_features = 3, seed = 3})
      for j = 1, 3 do
        local c = column(v, j)
        assert.near(0, mean(c), 4 / math.sqrt(5000))
        assert.near(1, var(c), 4 * math.sqrt(2 / 5000))
      end
    end)

    it("builds a low-rank X with scikit-learn's singular value profile (effective_rank)", function()
      --[[ X = U diag(s) V^T with orthonormal U, V, so sum(X^2) = sum(s_i^2) whatever the seed, with
        s_i = (1 - t) exp(-(i/r)^2) + t exp(-0.1 i/r), i = 0..min(n, p)-1. scikit-learn 1.2.1:
        [np.sum(make_low_rank_matrix(n_samples=50, n_features=20, effective_rank=5, tail_strength=ts,
                random_state=s)**2) for ts in (0.5, 0.1) for s in (0, 1)]
        -> [6.766049336204684, 6.766049336204685, 3.928227453306875, 3.928227453306875]
        np.sum(make_low_rank_matrix(n_samples=30, n_features=30, effective_rank=5, tail_strength=0.5,
               random_state=0)**2) -> 7.710531870233607   (square: the hardest case for Gram-Schmidt)
        np.sum(make_low_rank_matrix(n_samples=20, n_features=60, effective_rank=3, tail_strength=0.9,
               random_state=0)**2) -> 9.815872307042191   (wide) ]]
      for _, case in ipairs{{50, 20, 5, 0.5, 6.766049336204684}, {50, 20, 5, 0.1, 3.928227453306875},
                            {30, 30, 5, 0.5, 7.710531870233607}, {20, 60, 3, 0.9, 9.815872307042191}} do
        local v = values(synth.make_regression{n_samples = case[1], n_features = case[2], effective_rank = case[3],
                                               tail_strength = case[4], seed = 4})
        assert.near(case[5], sum_squares(v), 1e-9)
      end
      -- tail_strength defaults to 0.5
      local v = values(synth.make_regression{n_samples = 50, n_features = 20, effective_rank = 5, seed = 5})
      assert.near(6.766049336204684, sum_squares(v), 1e-9)
    end)
  end)

  describe("make_friedman1", function()
    it("computes y by Friedman's formula on uniform X when noise = 0", function()
      local v = values(synth.make_friedman1{n_samples = 200, n_features = 7, seed = 1})
      assert.equals(7, v.n_features)
      assert.equals("regression", v.task)
      for i = 1, v.n_rows do
        local x = v.X[i]
        for j = 1, 7 do assert.is_true(x[j] >= 0 and x[j] < 1) end
        assert.near(friedman1(x), v.y[i], 1e-12)
      end
    end)

    it("adds noise of the given sd", function()
      -- n = 20000 residuals N(0, 2^2): sd within 3 * 2 / sqrt(2n) = 0.03
      local v, r = values(synth.make_friedman1{n_samples = 20000, n_features = 5, noise = 2, seed = 2}), {}
      for i = 1, v.n_rows do
        r[i] = v.y[i] - friedman1(v.X[i])
      end
      assert.near(2, math.sqrt(var(r)), 0.03)
    end)

    it("defaults to 100 x 10", function()
      local v = values(synth.make_friedman1())
      assert.equals(100, v.n_rows)
      assert.equals(10, v.n_features)
    end)
  end)

  describe("make_hastie_10_2", function()
    it("labels rows '1' when the sum of squares exceeds 9.34, else '-1'", function()
      local v = values(synth.make_hastie_10_2{n_samples = 2000, seed = 1})
      assert.same({"-1", "1"}, v.classes)
      assert.equals(10, v.n_features)
      for i = 1, v.n_rows do
        local s = 0
        for j = 1, 10 do s = s + v.X[i][j] ^ 2 end
        assert.equals(s > 9.34 and "1" or "-1", v.classes[v.y[i] + 1])
      end
    end)

    it("has balanced classes (9.34 is about the median of chi-square with 10 df)", function()
      -- scipy: chi2.sf(9.34, 10) = 0.500169; n = 12000 (the default): 3 sd = 3 * sqrt(0.25 / 12000) = 0.0137
      local v = values(synth.make_hastie_10_2{seed = 3})
      assert.equals(12000, v.n_rows)
      assert.near(0.500169, count(v.y, 1) / 12000, 0.0137)
    end)
  end)

  describe("make_blobs", function()
    it("returns the centres; each blob's mean lies within 4 sd / sqrt(n) of its centre", function()
      local ds, centers = synth.make_blobs{n_samples = 3000, n_features = 3, centers = 4, cluster_std = 1.5,
                                           seed = 1}
      local v = values(ds)
      assert.equals(3000, v.n_rows)
      assert.same({"0", "1", "2", "3"}, v.classes)
      assert.equals(4, #centers)
      local sum, n = {}, {}
      for k = 0, 3 do
        sum[k], n[k] = {0, 0, 0}, 0
        for j = 1, 3 do assert.is_true(centers[k + 1][j] >= -10 and centers[k + 1][j] <= 10) end
      end
      for i = 1, v.n_rows do
        local k = v.y[i]
        n[k] = n[k] + 1
        for j = 1, 3 do sum[k][j] = sum[k][j] + v.X[i][j] end
      end
      for k = 0, 3 do
        assert.equals(750, n[k])
        for j = 1, 3 do assert.near(centers[k + 1][j], sum[k][j] / n[k], 4 * 1.5 / math.sqrt(750)) end
      end
    end)

    it("uses given centres, per-centre sds and per-centre counts", function()
      local ds, centers = synth.make_blobs{n_samples = {500, 2000}, centers = {{0, 0, 0}, {100, -50, 3}},
                                           cluster_std = {0.5, 4}, shuffle = false, seed = 2}
      local v = values(ds)
      assert.same({{0, 0, 0}, {100, -50, 3}}, centers)
      assert.equals(2500, v.n_rows)
      assert.equals(3, v.n_features)
      assert.equals(500, count(v.y, 0))
      -- unshuffled: rows 1..500 are blob 0; the sample sd of n normals is within 4 sd / sqrt(2n)
      local blocks = {{1, 500, 0.5, {0, 0, 0}}, {501, 2500, 4, {100, -50, 3}}}
      for _, b in ipairs(blocks) do
        local m = b[2] - b[1] + 1
        for j = 1, 3 do
          local c = {}
          for i = b[1], b[2] do c[#c + 1] = v.X[i][j] end
          assert.near(b[4][j], mean(c), 4 * b[3] / math.sqrt(m))
          assert.near(b[3], math.sqrt(var(c)), 4 * b[3] / math.sqrt(2 * m))
        end
      end
    end)

    it("deals the remainder to the first centres and honours center_box", function()
      local ds, centers = synth.make_blobs{n_samples = 11, centers = 3, center_box = {5, 6}, cluster_std = 0}
      local v = values(ds)
      assert.same({4, 4, 3}, {count(v.y, 0), count(v.y, 1), count(v.y, 2)})
      for k = 1, 3 do for j = 1, 2 do assert.is_true(centers[k][j] >= 5 and centers[k][j] < 6) end end
      for i = 1, 11 do assert.same(centers[v.y[i] + 1], v.X[i]) end -- cluster_std = 0: points on centres
    end)
  end)

  describe("bad options", function()
    local cases = {
      {"make_classification", 5, "table expected"},
      {"make_classification", {n_sample = 10}, "make_classification: unknown option 'n_sample' (valid: n_samples,"},
      {"make_classification", {n_samples = 0}, "make_classification: option 'n_samples' must be an integer >= 1 (got 0)"},
      {"make_classification", {n_samples = -5}, "option 'n_samples' must be an integer >= 1 (got -5)"},
      {"make_classification", {n_samples = 2.5}, "option 'n_samples' must be an integer"},
      {"make_classification", {n_samples = "10"}, "option 'n_samples' must be an integer (got string)"},
      {"make_classification", {n_features = 0}, "option 'n_features' must be an integer >= 1"},
      {"make_classification", {n_informative = 0}, "option 'n_informative' must be an integer >= 1"},
      {"make_classification", {n_redundant = -1}, "option 'n_redundant' must be an integer >= 0"},
      {"make_classification", {n_repeated = -1}, "option 'n_repeated' must be an integer >= 0"},
      {"make_classification", {n_classes = 1}, "option 'n_classes' must be an integer >= 2"},
      {"make_classification", {n_clusters_per_class = 0}, "option 'n_clusters_per_class' must be an integer >= 1"},
      {"make_classification", {n_features = 4, n_informative = 3, n_redundant = 2},
       "n_informative (3) + n_redundant (2) + n_repeated (0) must be <= n_features (4)"},
      {"make_classification", {n_features = 4, n_informative = 2, n_redundant = 1, n_repeated = 2},
       "n_informative (2) + n_redundant (1) + n_repeated (2) must be <= n_features (4)"},
      {"make_classification", {n_informative = 2, n_classes = 3, n_clusters_per_class = 2},
       "n_classes (3) * n_clusters_per_class (2) must be <= 2^n_informative (2^2)"},
      {"make_classification", {weights = {0.5, 0.3, 0.2}},
       "option 'weights' must have n_classes (2) or n_classes - 1 entries (got 3)"},
      {"make_classification", {weights = {}}, "option 'weights' must have n_classes (2) or n_classes - 1 entries (got 0)"},
      {"make_classification", {weights = {-0.1, 1.1}}, "option 'weights' entry 1 must be a finite number >= 0 (got -0.1)"},
      {"make_classification", {weights = {1, math.huge}}, "option 'weights' entry 2 must be a finite number >= 0"},
      {"make_classification", {weights = {0, 0}}, "option 'weights' must not be all zero"},
      {"make_classification", {n_classes = 3, n_clusters_per_class = 1, weights = {0.8, 0.5}}, "option 'weights' with n_classes - 1 entries must sum to <= 1"},
      {"make_classification", {weights = {0 / 0, 1}}, "option 'weights': entry 1 is NaN"},
      {"make_classification", {weights = "a"}, "option 'weights' must be a list of numbers (got string)"},
      {"make_classification", {weights = {"a", 1}}, "option 'weights': entry 1 must be a number (got string)"},
      {"make_classification", {flip_y = 1.5}, "option 'flip_y' must be in [0, 1] (got 1.5)"},
      {"make_classification", {flip_y = -0.1}, "option 'flip_y' must be in [0, 1] (got -0.1)"},
      {"make_classification", {flip_y = 0 / 0}, "option 'flip_y' must be a number, not NaN"},
      {"make_classification", {class_sep = -1}, "option 'class_sep' must be >= 0 (got -1)"},
      {"make_classification", {class_sep = math.huge}, "option 'class_sep' must be a finite number (got inf)"},
      {"make_classification", {shift = {1, 2}}, "option 'shift' must have n_features (20) entries (got 2)"},
      {"make_classification", {shift = "rand"}, "option 'shift' must be a number, a list of numbers or \"random\" (got rand)"},
      {"make_classification", {shift = true}, "option 'shift' must be a number, a list of numbers or \"random\" (got boolean)"},
      {"make_classification", {scale = math.huge}, "option 'scale' must be a finite number (got inf)"},
      {"make_classification", {n_features = 2, n_redundant = 0, scale = {1, -math.huge}},
       "option 'scale' entry 2 must be a finite number (got -inf)"},
      {"make_classification", {hypercube = 1}, "option 'hypercube' must be a boolean (got number)"},
      {"make_classification", {shuffle = "yes"}, "option 'shuffle' must be a boolean (got string)"},
      {"make_classification", {seed = -1}, "option 'seed' must be >= 0 (got -1)"},
      {"make_classification", {seed = 1.5}, "option 'seed' must be an integer"},
      {"make_regression", {coef = true}, "make_regression: unknown option 'coef'"},
      {"make_regression", {n_targets = 2}, "option 'n_targets' must be 1 (got 2; only one target is supported)"},
      {"make_regression", {n_features = 10, n_informative = 20}, "option 'n_informative' (20) must be <= n_features (10)"},
      {"make_regression", {n_informative = -1}, "option 'n_informative' must be an integer >= 0"},
      {"make_regression", {n_features = 0}, "option 'n_features' must be an integer >= 1"},
      {"make_regression", {n_samples = 0}, "option 'n_samples' must be an integer >= 1"},
      {"make_regression", {effective_rank = 0}, "option 'effective_rank' must be an integer >= 1 (got 0)"},
      {"make_regression", {effective_rank = 2.5}, "option 'effective_rank' must be an integer"},
      {"make_regression", {tail_strength = 0.3}, "option 'tail_strength' needs effective_rank"},
      {"make_regression", {effective_rank = 5, tail_strength = 1.5}, "option 'tail_strength' must be in [0, 1] (got 1.5)"},
      {"make_regression", {noise = -1}, "option 'noise' must be >= 0 (got -1)"},
      {"make_regression", {noise = 0 / 0}, "option 'noise' must be a number, not NaN"},
      {"make_regression", {bias = math.huge}, "option 'bias' must be a finite number (got inf)"},
      {"make_friedman1", {n_features = 4}, "make_friedman1: option 'n_features' must be an integer >= 5 (got 4)"},
      {"make_friedman1", {noise = -1}, "make_friedman1: option 'noise' must be >= 0 (got -1)"},
      {"make_friedman1", {n_samples = 0}, "make_friedman1: option 'n_samples' must be an integer >= 1 (got 0)"},
      {"make_friedman1", {random_state = 1}, "make_friedman1: unknown option 'random_state' (valid: n_samples, n_features, noise, seed)"},
      {"make_hastie_10_2", {n_samples = 0}, "make_hastie_10_2: option 'n_samples' must be an integer >= 1 (got 0)"},
      {"make_hastie_10_2", {n_features = 5}, "make_hastie_10_2: unknown option 'n_features' (valid: n_samples, seed)"},
      {"make_blobs", {centres = 3}, "make_blobs: unknown option 'centres'"},
      {"make_blobs", {centers = 0}, "make_blobs: option 'centers' must be an integer >= 1 (got 0)"},
      {"make_blobs", {centers = 2.5}, "option 'centers' must be an integer or a list of points (got a non-integer number)"},
      {"make_blobs", {centers = "3"}, "option 'centers' must be an integer or a list of points (got string)"},
      {"make_blobs", {centers = {}}, "option 'centers' must not be an empty list"},
      {"make_blobs", {centers = {5}}, "option 'centers' entry 1 must be a list of coordinates (got number)"},
      {"make_blobs", {centers = {{}}}, "option 'centers' entry 1 must have at least one coordinate"},
      {"make_blobs", {centers = {{0, 0}, {1}}}, "option 'centers' entry 2 has 1 coordinates but entry 1 has 2"},
      {"make_blobs", {centers = {{0, "a"}}}, "option 'centers' entry 1 coordinate 2 must be a number (got string)"},
      {"make_blobs", {centers = {{0, 0}, {0 / 0, 1}}}, "option 'centers' entry 2 coordinate 1 must be a finite number"},
      {"make_blobs", {centers = {{0, 0}}, n_features = 3}, "option 'n_features' (3) does not match the 2 coordinates of the centers"},
      {"make_blobs", {n_features = 0}, "option 'n_features' must be an integer >= 1"},
      {"make_blobs", {n_samples = 0}, "option 'n_samples' must be an integer >= 1"},
      {"make_blobs", {n_samples = {10, -1}}, "option 'n_samples' entry 2 must be an integer >= 0 (got -1)"},
      {"make_blobs", {n_samples = {1.5}}, "option 'n_samples' entry 1 must be an integer"},
      {"make_blobs", {n_samples = {}}, "option 'n_samples' must not be an empty list"},
      {"make_blobs", {n_samples = {0, 0, 0}}, "option 'n_samples' must ask for at least one row"},
      {"make_blobs", {n_samples = {5, 5}, centers = 3}, "option 'n_samples' has 2 entries but centers is 3"},
      {"make_blobs", {n_samples = {5, 5}, centers = {{0}, {1}, {2}}}, "option 'n_samples' has 2 entries but centers has 3"},
      {"make_blobs", {cluster_std = -1}, "option 'cluster_std' must be >= 0 (got -1)"},
      {"make_blobs", {cluster_std = {1, 2}}, "option 'cluster_std' must have one entry per centre (3) (got 2)"},
      {"make_blobs", {cluster_std = {1, -2, 1}}, "option 'cluster_std' entry 2 must be a finite number >= 0 (got -2)"},
      {"make_blobs", {cluster_std = "1"}, "option 'cluster_std' must be a number or a list of numbers (got string)"},
      {"make_blobs", {center_box = {10, -10}}, "option 'center_box' must be {low, high} with finite low < high (got {10, -10})"},
      {"make_blobs", {center_box = {1}}, "option 'center_box' must be {low, high} (got 1 entries)"},
      {"make_blobs", {centers = {{0, 0}}, center_box = {0, 1}}, "option 'center_box' is only used when centers is a number"},
    }
    for _, c in ipairs(cases) do
      it(c[1] .. ": " .. c[3], function() assert_error(synth[c[1]], c[2], c[3]) end)
    end
  end)
end)
