-- knob.space — parameter distributions and declarative search spaces.
--
--   space.float(low, high, {log = false, step = nil})   a real number in [low, high]
--   space.int(low, high, {log = false, step = 1})       an integer in [low, high]
--   space.categorical(choices)                          one of choices (numbers, strings or booleans)
--   space{name = dist | {v1, v2, ...}, ...}             a declared space: a list of values is a categorical
--                                                       (for grid, random and QMC samplers)
--
-- A distribution is a plain table {kind = "float"|"int"|"categorical", low, high, log, step, choices}; the
-- constructors validate it (Optuna's rules): low <= high, finite bounds; log needs low > 0 and no step (a log
-- integer has step 1); step > 0 (an integer step is an integer >= 1); an empty or duplicated choice list, a
-- NaN or a choice that is not a number, string or boolean is an error. When (high - low) is not a multiple of
-- step, high is lowered to the last multiple (like Optuna, which warns; knob records the adjusted bound in
-- the distribution, so messages and exports show it).
--
-- Helpers used by the study and the samplers (all take a distribution d):
--   space.contains(d, v)      is v a value of d (on the step grid, an integer for int, one of the choices)
--   space.equal(a, b)         same kind, bounds, log, step / same choices in the same order
--   space.single(d)           the only value when d has exactly one, else nil
--   space.from_unit(d, u)     the value at u in [0, 1): uniform (log-uniform with log) over d, as Optuna's
--                             RandomSampler draws it
--   space.index(d, v)         0-based index of a categorical choice (nil if absent)
--   space.values(d)           every value of a discrete d (error for a continuous float)
--   space.describe(d)         "float [0.001, 1] log", "int [1, 9] step 2", "categorical {'a', 'b'}"
--   space.show(v)             a value as text for messages
--   space.check_opts(what, opts, valid), space.opt_int / opt_bool / opt_fn(what, opts, k, def, ...)
--                             option tables: unknown keys, and typed values with defaults (clear errors)
local space = {}

local function fail(what, msg)
  error((what and (what .. ": ") or "") .. msg, 0)
end

local function show(v)
  if type(v) == "string" then return "'" .. v .. "'" end
  if v ~= v then return "NaN" end
  if math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 1e15 then return ("%.1f"):format(v) end
  return tostring(v)
end
space.show = show

local function check_opts(what, opts, valid)
  if opts == nil then return {} end
  if type(opts) ~= "table" then fail(what, "options must be a table (got " .. type(opts) .. ")") end
  for k in pairs(opts) do
    local ok = false
    for _, v in ipairs(valid) do ok = ok or k == v end
    if not ok then fail(what, ("unknown option '%s' (valid: %s)"):format(tostring(k), table.concat(valid, ", "))) end
  end
  return opts
end
space.check_opts = check_opts

local function check_number(what, name, v)
  if type(v) ~= "number" then fail(what, ("%s must be a number (got %s)"):format(name, type(v))) end
  if v ~= v then fail(what, name .. " is NaN") end
  if v == math.huge or v == -math.huge then fail(what, name .. " must be finite (got " .. tostring(v) .. ")") end
  return v
end

-- Option getters, for option tables check_opts passed: each returns opts[k], or def when it is absent, and fails
-- naming the option and the value otherwise.
local function got(v)
  return (type(v) == "number" or type(v) == "string") and show(v) or type(v)
end

--- opts[k]: an integer >= lo (and <= hi when hi is given).
function space.opt_int(what, opts, k, def, lo, hi)
  local v = opts[k]
  if v == nil then return def end
  if math.type(v) ~= "integer" or v < lo or (hi and v > hi) then
    fail(what, ("option '%s' must be an integer %s (got %s)"):format(k, hi and ("in %d..%d"):format(lo, hi) or (">= " .. lo),
      got(v)))
  end
  return v
end

local function opt_typed(what, opts, k, def, kind)
  local v = opts[k]
  if v == nil then return def end
  if type(v) ~= kind then fail(what, ("option '%s' must be a %s (got %s)"):format(k, kind, type(v))) end
  return v
end

--- opts[k]: a boolean.
function space.opt_bool(what, opts, k, def) return opt_typed(what, opts, k, def, "boolean") end

--- opts[k]: a function.
function space.opt_fn(what, opts, k, def) return opt_typed(what, opts, k, def, "function") end

-- Number of whole steps in [0, r] with a relative tolerance for floating-point noise (0.3 / 0.1).
local function whole_steps(r, step)
  local x = r / step
  local k = math.floor(x + 1e-9 * math.max(1, math.abs(x)))
  return k, math.abs(x - k) <= 1e-9 * math.max(1, math.abs(x))
end

--- A real number in [low, high]; opts: log (boolean), step (number > 0).
function space.float(low, high, opts, what)
  what = what or "space.float"
  opts = check_opts(what, opts, {"log", "step"})
  check_number(what, "low", low)
  check_number(what, "high", high)
  if low > high then fail(what, ("low %s is greater than high %s"):format(show(low), show(high))) end
  local log = space.opt_bool(what, opts, "log", false)
  local step = opts.step
  if step ~= nil then
    check_number(what, "option 'step'", step)
    if step <= 0 then fail(what, "option 'step' must be > 0 (got " .. show(step) .. ")") end
    if log then fail(what, "options 'step' and 'log' cannot be used together") end
  end
  if log and low <= 0 then fail(what, ("log needs low > 0 (got %s)"):format(show(low))) end
  low, high = low + 0.0, high + 0.0
  if step then
    local k, exact = whole_steps(high - low, step)
    if not exact then high = low + k * step end
  end
  return {kind = "float", low = low, high = high, log = log, step = step}
end

local function check_integer(what, name, v)
  check_number(what, name, v)
  local i = math.tointeger(v)
  if not i then fail(what, ("%s must be an integer (got %s)"):format(name, show(v))) end
  return i
end

--- An integer in [low, high]; opts: log (boolean), step (integer >= 1).
function space.int(low, high, opts, what)
  what = what or "space.int"
  opts = check_opts(what, opts, {"log", "step"})
  low = check_integer(what, "low", low)
  high = check_integer(what, "high", high)
  if low > high then fail(what, ("low %d is greater than high %d"):format(low, high)) end
  local log = space.opt_bool(what, opts, "log", false)
  local step = 1
  if opts.step ~= nil then
    step = check_integer(what, "option 'step'", opts.step)
    if step < 1 then fail(what, "option 'step' must be >= 1 (got " .. step .. ")") end
    if log and step ~= 1 then fail(what, "option 'step' must be 1 with log (got " .. step .. ")") end
  end
  if log and low < 1 then fail(what, ("log needs low >= 1 (got %d)"):format(low)) end
  high = low + (high - low) // step * step
  return {kind = "int", low = low, high = high, log = log, step = step}
end

--- One of choices (an array of numbers, strings or booleans; no duplicates).
function space.categorical(choices, what)
  what = what or "space.categorical"
  if type(choices) ~= "table" then fail(what, "choices must be an array (got " .. type(choices) .. ")") end
  local n = #choices
  if n == 0 then fail(what, "choices is empty") end
  for k in pairs(choices) do
    if math.type(k) ~= "integer" or k < 1 or k > n then
      fail(what, "choices must be an array (found key " .. show(k) .. ")")
    end
  end
  local copy = {}
  for i = 1, n do
    local v = choices[i]
    local t = type(v)
    if t ~= "number" and t ~= "string" and t ~= "boolean" then
      fail(what, ("choice %d must be a number, string or boolean (got %s)"):format(i, t))
    end
    if v ~= v then fail(what, ("choice %d is NaN"):format(i)) end
    for j = 1, i - 1 do
      if copy[j] == v then fail(what, ("choice %s appears twice (%d and %d)"):format(show(v), j, i)) end
    end
    copy[i] = v
  end
  return {kind = "categorical", choices = copy}
end

local kinds = {float = true, int = true, categorical = true}

--- Is d a distribution table (as built by the constructors)?
function space.is_dist(d)
  return type(d) == "table" and kinds[d.kind] == true
end

--- Check a distribution table built elsewhere (e.g. a custom sampler's or loaded from storage); returns a
--- validated copy.
function space.check(d, what)
  what = what or "space.check"
  if not space.is_dist(d) then fail(what, "not a distribution (a table with kind = float, int or categorical)") end
  if d.kind == "categorical" then return space.categorical(d.choices, what) end
  local opts = {log = d.log or nil, step = d.step}
  if d.kind == "int" and d.step == 1 then opts.step = nil end
  return space[d.kind](d.low, d.high, opts, what)
end

function space.describe(d)
  if d.kind == "categorical" then
    local t = {}
    for i, c in ipairs(d.choices) do
      if i > 10 then
        t[#t + 1] = "..."
        break
      end
      t[#t + 1] = show(c)
    end
    return "categorical {" .. table.concat(t, ", ") .. "}"
  end
  local s = ("%s [%s, %s]"):format(d.kind, show(d.low), show(d.high))
  if d.log then s = s .. " log" end
  if d.step and not (d.kind == "int" and d.step == 1) then s = s .. " step " .. show(d.step) end
  return s
end

function space.equal(a, b)
  if a.kind ~= b.kind then return false end
  if a.kind == "categorical" then
    if #a.choices ~= #b.choices then return false end
    for i, c in ipairs(a.choices) do
      if c ~= b.choices[i] or math.type(c) ~= math.type(b.choices[i]) then return false end
    end
    return true
  end
  return a.low == b.low and a.high == b.high and (a.log or false) == (b.log or false) and a.step == b.step
end

function space.index(d, v)
  for i, c in ipairs(d.choices) do
    if c == v then return i - 1 end
  end
  return nil
end

function space.contains(d, v)
  if d.kind == "categorical" then return v ~= nil and space.index(d, v) ~= nil end
  if type(v) ~= "number" or v ~= v or v < d.low or v > d.high then return false end
  if d.kind == "int" then
    return math.type(v) == "integer" and (v - d.low) % d.step == 0
  end
  if d.step then
    local x = (v - d.low) / d.step
    return math.abs(x - math.floor(x + 0.5)) <= 1e-8 * math.max(1, math.abs(x))
  end
  return true
end

function space.single(d)
  if d.kind == "categorical" then
    if #d.choices == 1 then return d.choices[1] end
  elseif d.low == d.high then
    return d.low
  end
  return nil
end

local function clip(v, lo, hi)
  if v < lo then return lo end
  if v > hi then return hi end
  return v
end

function space.from_unit(d, u)
  if d.kind == "categorical" then
    local n = #d.choices
    return d.choices[math.min(n, math.floor(u * n) + 1)]
  end
  local lo, hi = d.low, d.high
  if d.kind == "int" then
    if d.log then
      local a, b = math.log(lo - 0.5), math.log(hi + 0.5)
      return clip(math.floor(math.exp(a + u * (b - a)) + 0.5), lo, hi)
    end
    local n = (hi - lo) // d.step + 1
    return lo + math.min(n - 1, math.floor(u * n)) * d.step
  end
  if d.log then
    local a, b = math.log(lo), math.log(hi)
    return clip(math.exp(a + u * (b - a)), lo, hi)
  end
  if d.step then
    local n = whole_steps(hi - lo, d.step) + 1
    return clip(lo + math.min(n - 1, math.floor(u * n)) * d.step, lo, hi)
  end
  return clip(lo + u * (hi - lo), lo, hi)
end

function space.values(d, what)
  if d.kind == "categorical" then return {table.unpack(d.choices)} end
  local out = {}
  if d.kind == "int" then
    for v = d.low, d.high, d.step do out[#out + 1] = v end
    return out
  end
  if not d.step then
    fail(what or "space.values", space.describe(d) .. " is continuous: give it a step or list its values")
  end
  local n = whole_steps(d.high - d.low, d.step)
  for k = 0, n do out[#out + 1] = math.min(d.high, d.low + k * d.step) end
  return out
end

--- Sorted names of a declared space (or any table keyed by names).
function space.names(t)
  local names = {}
  for k in pairs(t) do names[#names + 1] = k end
  table.sort(names)
  return names
end

--- Normalize a declared space: {name = dist | array of values}; returns a new table name -> dist.
function space.new(t, what)
  what = what or "knob.space"
  if type(t) ~= "table" then fail(what, "a space must be a table of name = distribution (got " .. type(t) .. ")") end
  local out, n = {}, 0
  for name, d in pairs(t) do
    if type(name) ~= "string" or name == "" then fail(what, "parameter names must be non-empty strings (got " .. show(name) .. ")") end
    local w = what .. ": parameter '" .. name .. "'"
    if space.is_dist(d) then
      out[name] = space.check(d, w)
    elseif type(d) == "table" then
      out[name] = space.categorical(d, w)
    else
      fail(w, "must be a distribution or a list of values (got " .. type(d) .. ")")
    end
    n = n + 1
  end
  if n == 0 then fail(what, "the space is empty") end
  return out
end

return setmetatable(space, {__call = function(_, t) return space.new(t) end})
