-- tests/helpers.lua — small helpers shared by the specs (`local helpers = require "helpers"`; tests/run.lua
-- puts tests/ on package.path).
--
--   helpers.tmpname()          a fresh temporary path that does not exist yet
--   helpers.tmpfile(content)   a temporary file holding content (written as bytes); returns its path
--   helpers.slurp(path)        the bytes of a file
--   helpers.run(cmd)           run a shell command: its stdout and stderr together, and its exit code
--   helpers.isnan(x)           x ~= x
--   helpers.codes(values, levels)   level names → 0-based codes (the position in levels - 1; NaN stays NaN)
--   helpers.snapshot(ds [, {codes = true}])   a dataset as plain tables, read through the public Dataset API
--   helpers.near(got, expected, tol)   |got - expected| <= tol * max(1, |expected|)
--   helpers.assert_near_list(expected, got, tol)   same length, each entry near its expected value
--   helpers.assert_errors(cases)   each case {fn, text}: fn() raises an error whose message contains text
local helpers = {}

function helpers.isnan(x)
  return x ~= x
end

function helpers.tmpname()
  local name = os.tmpname() -- creates the file; the caller wants a path that is not there yet
  os.remove(name)
  return name
end

function helpers.tmpfile(content)
  local name = os.tmpname()
  local f = assert(io.open(name, "wb"))
  f:write(content)
  f:close()
  return name
end

function helpers.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

function helpers.run(cmd)
  local p = io.popen(cmd .. " 2>&1; echo \"exit:$?\"")
  local out = p:read("a")
  p:close()
  local code = tonumber(out:match("exit:(%d+)%s*$"))
  return (out:gsub("exit:%d+%s*$", "")), code
end

-- The 0-based code of each value: its position in levels, minus one (the code a level name stands for in
-- a Dataset). NaN (missing) stays NaN; a value that is not a level raises.
function helpers.codes(values, levels)
  local code = {}
  for k, name in ipairs(levels) do code[name] = k - 1 end
  local out = {}
  for i, v in ipairs(values) do
    if helpers.isnan(v) then
      out[i] = v
    else
      out[i] = code[v]
      if out[i] == nil then error(("codes: entry %d (%s) is not a level"):format(i, tostring(v)), 2) end
    end
  end
  return out
end

--- Everything the Dataset API shows of ds, as plain tables:
---   n_rows, n_features, names, kinds, levels (levels[j] for each categorical column j, nil for numeric),
---   missing (missing[j] = missing cells of column j), X (X[i][j] = row i of ds:column(j): numbers, level
---   names, NaN),
---   task, target (its name, or nil), y (ds:target(), or nil), classes (classification only), fingerprint.
--- With opts.codes, categorical cells of X and the values of a classification y are 0-based codes
--- (helpers.codes against ds:levels(j) and ds:classes()) instead of names.
function helpers.snapshot(ds, opts)
  local s = {n_rows = ds:rows(), n_features = ds:features(), names = ds:names(), kinds = ds:kinds(), levels = {},
             missing = {}, X = {}, task = ds:task(), target = ds:target_name(), fingerprint = ds:fingerprint()}
  local codes = opts and opts.codes
  local by_name = ds:missing()
  for i = 1, s.n_rows do s.X[i] = {} end
  for j, name in ipairs(s.names) do
    s.levels[j] = ds:levels(j)
    s.missing[j] = by_name[name]
    local col = ds:column(j)
    if codes and s.levels[j] then col = helpers.codes(col, s.levels[j]) end
    for i = 1, s.n_rows do s.X[i][j] = col[i] end
  end
  if s.target then s.y = ds:target() end
  if s.task == "classification" then
    s.classes = ds:classes()
    if codes then s.y = helpers.codes(s.y, s.classes) end
  end
  return s
end

-- Tamper with a saved model's JSON text: for each case {pattern, replacement, message}, the text with the
-- pattern replaced must differ from the original and knob.model.from_json must refuse it with a message
-- containing `message`.
function helpers.assert_tampered_models(text, cases)
  local knob = require "knob"
  local assert = require "luassert"
  for _, c in ipairs(cases) do
    local bad = text:gsub(c[1], c[2])
    assert.are_not.equal(text, bad)
    local m, err = knob.model.from_json(bad)
    assert.is_nil(m)
    assert.matches(c[3], err, 1, true)
  end
end

function helpers.near(got, expected, tol)
  return math.abs(got - expected) <= tol * math.max(1, math.abs(expected))
end

function helpers.assert_near_list(expected, got, tol)
  local assert = require "luassert"
  assert.equals(#expected, #got)
  for i = 1, #expected do
    assert.is_true(helpers.near(got[i], expected[i], tol),
      ("entry %d: expected %.17g, got %.17g"):format(i, expected[i], got[i]))
  end
end

function helpers.assert_errors(cases)
  local assert = require "luassert"
  for i, c in ipairs(cases) do
    local ok, err = pcall(c[1])
    assert.is_false(ok, "case " .. i .. " did not raise")
    assert.is_truthy(tostring(err):find(c[2], 1, true), ("case %d: %s"):format(i, tostring(err)))
  end
end

return helpers
