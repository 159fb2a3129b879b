-- linear_models_helper.lua — test support shared by model_linear_spec.lua and model_logistic_spec.lua:
-- load a bundled CSV (and its rows), standardize rows like scikit-learn's StandardScaler, read fitted
-- coefficients from a saved model, compare arrays.
local knob = require "knob"

local H = {}

--- A bundled CSV read with knob.data.read_csv, its feature rows X (numbers, or level names for categorical
--- columns), targets y and feature names. `edit(names, X)` may change names and rows in place; the dataset
--- is then rebuilt from them with knob.data.from_table.
function H.dataset(path, target, task, edit)
  local ds = assert(knob.data.read_csv(path, {target = target, task = task}))
  local names, cols, X = ds:names(), {}, {}
  for j = 1, #names do cols[j] = ds:column(j) end
  for i = 1, ds:rows() do
    local r = {}
    for j = 1, #names do r[j] = cols[j][i] end
    X[i] = r
  end
  local y = ds:target()
  if edit then
    edit(names, X)
    ds = knob.data.from_table{X = X, y = y, names = names, target = target, task = task}
  end
  return ds, X, y, names
end

--- X standardized column by column: (x - mean) / std with the population std (StandardScaler).
function H.standardize(X)
  local n, p = #X, #X[1]
  local Z = {}
  for i = 1, n do Z[i] = {} end
  for j = 1, p do
    local s = 0
    for i = 1, n do s = s + X[i][j] end
    local mean, ss = s / n, 0
    for i = 1, n do ss = ss + (X[i][j] - mean) ^ 2 end
    local sd = math.sqrt(ss / n)
    for i = 1, n do Z[i][j] = (X[i][j] - mean) / sd end
  end
  return Z
end

--- Rows i (1-based) with (i - 1) % k == 0 as test, the others as train: two index lists.
function H.every_kth(n, k)
  local train, test = {}, {}
  for i = 1, n do
    if (i - 1) % k == 0 then test[#test + 1] = i else train[#train + 1] = i end
  end
  return train, test
end

--- A numeric array field of the model's saved state, e.g. H.state(m, "coef").
function H.state(m, field)
  local json = m:to_json()
  local body = json:match('"state":{.-"' .. field .. '":%[(.-)%]')
  assert(body, "no state field " .. field)
  local v = {}
  for num in body:gmatch("[^,]+") do v[#v + 1] = tonumber(num) end
  return v
end

--- Assert |got[i] - want[i]| <= tol for every i (and equal lengths), naming the first entry that differs.
function H.near(want, got, tol, what)
  if #want ~= #got then error(string.format("%s: expected %d entries, got %d", what or "array", #want, #got), 2) end
  for i = 1, #want do
    if not (math.abs(want[i] - got[i]) <= tol) then
      error(string.format("%s[%d]: expected %.10g, got %.10g (tolerance %g)", what or "array", i, want[i], got[i], tol), 2)
    end
  end
end

--- Fraction of equal entries.
function H.accuracy(a, b)
  local hit = 0
  for i = 1, #a do if a[i] == b[i] then hit = hit + 1 end end
  return hit / #a
end

--- Coefficient of determination of predictions p for targets y.
function H.r2(y, p)
  local mean = 0
  for i = 1, #y do mean = mean + y[i] end
  mean = mean / #y
  local sse, sst = 0, 0
  for i = 1, #y do
    sse = sse + (y[i] - p[i]) ^ 2
    sst = sst + (y[i] - mean) ^ 2
  end
  return 1 - sse / sst
end

return H
