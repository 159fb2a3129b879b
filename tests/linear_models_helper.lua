-- linear_models_helper.lua — test support shared by model_linear_spec.lua and model_logistic_spec.lua:
-- load a bundled CSV into a knob.Dataset, standardize it like scikit-learn's StandardScaler, read fitted
-- coefficients from a saved model, compare arrays.
local knob = require "knob"

local H = {}

local function split_line(line)
  local cells = {}
  for cell in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = cell end
  return cells
end

--- The rows of a simple CSV (header row, no quoting): names, rows of cells (numbers where they parse).
function H.read_rows(path)
  local f = assert(io.open(path, "r"))
  local names = split_line(f:read("l"))
  local rows = {}
  for line in f:lines() do
    if line ~= "" then
      local r = split_line(line)
      for j, v in ipairs(r) do r[j] = tonumber(v) or v end
      rows[#rows + 1] = r
    end
  end
  f:close()
  return names, rows
end

--- A dataset from the rows of a CSV: the target is column `target`; `edit(names, X)` may change the
--- features (in place) before the dataset is built.
function H.dataset(path, target, task, edit)
  local names, rows = H.read_rows(path)
  local t
  for j, n in ipairs(names) do if n == target then t = j end end
  assert(t, "no column " .. target)
  local X, y, fnames = {}, {}, {}
  for j, n in ipairs(names) do if j ~= t then fnames[#fnames + 1] = n end end
  for i, r in ipairs(rows) do
    local x = {}
    for j, v in ipairs(r) do if j ~= t then x[#x + 1] = v end end
    X[i], y[i] = x, r[t]
  end
  if edit then edit(fnames, X) end
  return knob.data.from_table{X = X, y = y, names = fnames, target = target, task = task}, X, y, fnames
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

--- A number field of the model's saved state.
function H.state_number(m, field)
  return tonumber(m:to_json():match('"state":{.-"' .. field .. '":([^,}]+)'))
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
