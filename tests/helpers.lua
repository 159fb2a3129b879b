-- tests/helpers.lua — small helpers shared by the specs (`local helpers = require "helpers"`; tests/run.lua
-- puts tests/ on package.path).
--
--   helpers.tmpname()          a fresh temporary path that does not exist yet
--   helpers.tmpfile(content)   a temporary file holding content (written as bytes); returns its path
--   helpers.tmpdb()            a fresh temporary database path ("<tmp>.db"), remembered for remove_tmpdbs
--   helpers.remove_tmpdbs()    remove every tmpdb path (with its -wal/-shm files) and the files made next to
--                              them (path .. ".lua", path .. ".json"); call it in teardown
--   helpers.slurp(path)        the bytes of a file
--   helpers.run(cmd)           run a shell command: its stdout and stderr together, and its exit code
--   helpers.isnan(x)           x ~= x
--   helpers.error_of(f, ...)   the message of the error f(...) raises (fails the spec when f does not raise)
--   helpers.codes(values, levels)   level names → 0-based codes (the position in levels - 1; NaN stays NaN)
--   helpers.snapshot(ds [, {codes = true}])   a dataset as plain tables, read through the public Dataset API
--   helpers.err_of(f, ...)     the error message (a string) of a call that must fail
--   helpers.mean_std(xs)       mean and sample std (ddof 1) of an array
--   helpers.zdt1(trial)        the ZDT1 objective (5 floats x1..x5 in [0, 1]) -> f1, f2, both minimized
--   helpers.front_hypervolume(study, ref)   hypervolume of a multi-objective study's Pareto front w.r.t. ref
--   helpers.saved_trees(model)  the CART trees of a saved tree / forest / extra_trees model, decoded
--   helpers.lcg(seed)          a function returning a reproducible pseudo-random number in [0, 1) per call
--   helpers.near(expected, actual [, tol = 1e-12 [, what]])   relative closeness (absolute below 1); raises, else true
--   helpers.assert_near_list(expected, got, tol)   same length, each entry near its expected value
--   helpers.assert_errors(cases)   each case {fn, text}: fn() raises an error whose message contains text
local helpers = {}

function helpers.isnan(x)
  return x ~= x
end

function helpers.error_of(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(err)
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

local tmpdbs = {}

function helpers.tmpdb()
  local p = helpers.tmpname() .. ".db"
  tmpdbs[#tmpdbs + 1] = p
  return p
end

function helpers.remove_tmpdbs()
  for _, p in ipairs(tmpdbs) do
    for _, sfx in ipairs{"", "-wal", "-shm", ".lua", ".json"} do os.remove(p .. sfx) end
  end
  tmpdbs = {}
end

function helpers.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- ZDT1 (Zitzler, Deb & Thiele 2000): f1 = x1, g = 1 + 9 (x2 + ... + x5) / 4, f2 = g (1 - sqrt(f1 / g)).
function helpers.zdt1(t)
  local x = {}
  for i = 1, 5 do x[i] = t:suggest_float("x" .. i, 0, 1) end
  local g = 1 + 9 * (x[2] + x[3] + x[4] + x[5]) / 4
  return x[1], g * (1 - math.sqrt(x[1] / g))
end

function helpers.front_hypervolume(study, ref)
  local pts = {}
  for i, r in ipairs(study:best_trials()) do pts[i] = r.values end
  return require("knob").core.search.hypervolume(pts, ref)
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

function helpers.err_of(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(err)
end

function helpers.mean_std(xs)
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  local m = s / #xs
  local v = 0
  for _, x in ipairs(xs) do v = v + (x - m) ^ 2 end
  return m, math.sqrt(v / (#xs - 1))
end

-- The saved trees, decoded in Lua: {feature = {...}, child = {...}, threshold = {...}, value = {...}, cover = {...}}
-- (0-based indices, as stored: little-endian int32 / float64 arrays in base64; cover when saved).
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function unbase64(s)
  local bytes, bits, nbits = {}, 0, 0
  for ch in s:gmatch("[^=]") do
    bits = (bits << 6) | (B64:find(ch, 1, true) - 1)
    nbits = nbits + 6
    if nbits >= 8 then
      nbits = nbits - 8
      bytes[#bytes + 1] = string.char((bits >> nbits) & 255)
    end
  end
  return table.concat(bytes)
end

local function unpack_all(s, fmt, width)
  local out = {}
  for pos = 1, #s, width do out[#out + 1] = (string.unpack(fmt, s, pos)) end
  return out
end

function helpers.saved_trees(m)
  local trees = {}
  local pat = '"n_nodes":(%d+),"n_leaves":(%d+),"feature":"([^"]*)","child":"([^"]*)","threshold":"([^"]*)",' ..
              '"value":"([^"]*)"'
  for _, _, f, c, t, v in m:to_json():gmatch(pat) do
    trees[#trees + 1] = {feature = unpack_all(unbase64(f), "<i4", 4), child = unpack_all(unbase64(c), "<i4", 4),
                         threshold = unpack_all(unbase64(t), "<d", 8), value = unpack_all(unbase64(v), "<d", 8)}
  end
  local k = 0
  for cv in m:to_json():gmatch('"cover":"([^"]*)"') do
    k = k + 1
    trees[k].cover = unpack_all(unbase64(cv), "<d", 8)
  end
  return trees
end

function helpers.lcg(seed)
  local s = seed
  return function()
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  end
end

function helpers.near(expected, actual, tol, what)
  tol = tol or 1e-12
  assert(math.abs(expected - actual) <= tol * math.max(1, math.abs(expected)),
         string.format("%sexpected %.17g, got %.17g", what and (what .. ": ") or "", expected, actual))
  return true
end

function helpers.assert_near_list(expected, got, tol)
  local assert = require "luassert"
  assert.equals(#expected, #got)
  for i = 1, #expected do
    helpers.near(expected[i], got[i], tol, "entry " .. i)
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
