-- knob.json — JSON text for run records, stored values and reports, written so numbers read back exactly.
--
--   json.encode(v [, {indent = n, nonfinite = "token"|"null"|"string"}]) -> text
--   json.decode(text [, where]) -> value          raises "bad JSON <where>: <what> at byte <n>"
--
-- encode: numbers are exact (floats in the shortest form that reads back bit for bit, with a ".0" added when it would read back as an integer, so an
-- integer and a float keep their Lua subtype); object keys are sorted, so the same table gives the same
-- text; a table is an array when its keys are exactly 1..n (an empty table is {}). NaN and +-inf have no
-- JSON form: nonfinite = "token" (default) writes NaN / Infinity / -Infinity, which decode reads back (as
-- JavaScript's JSON5 does); "null" writes null (standard JSON, for files other programs read); "string"
-- writes NaN as null and +-inf as the strings "Infinity" / "-Infinity" (standard JSON keeping the sign).
-- Strings are
-- written byte for byte with control characters, quotes and backslashes escaped. A function, userdata or a
-- table key that is not a string (objects) is an error naming it. indent = n pretty-prints with n spaces.
--
-- decode is strict JSON plus the NaN / Infinity / -Infinity tokens: trailing commas, comments, single
-- quotes, unquoted keys and trailing text are errors naming the byte. Integers without '.', 'e' come back
-- as Lua integers, others as floats. null becomes nil (so it disappears from objects and arrays: arrays
-- containing null are an error rather than a silently shorter list).
local format_number = require("knob.core").csv.format_number -- the shortest text that reads back exactly

local M = {}

local function fail(msg)
  error("knob.json: " .. msg, 0)
end

local ESCAPES = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}

--- A JSON string literal for s.
function M.string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return ESCAPES[c] or ("\\u%04x"):format(c:byte()) end) .. '"'
end

--- True when t's keys are exactly 1..#t and t is not empty.
function M.is_array(t)
  local n = #t
  if n == 0 then return false end
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

local function number(v, nonfinite)
  if v ~= v or v == math.huge or v == -math.huge then
    if nonfinite == "null" or (nonfinite == "string" and v ~= v) then return "null" end
    local word = v ~= v and "NaN" or (v > 0 and "Infinity" or "-Infinity")
    return nonfinite == "string" and ('"' .. word .. '"') or word
  end
  if math.type(v) == "integer" then return tostring(v) end
  local s = format_number(v)
  if not s:find("[.eEn]") then s = s .. ".0" end
  return s
end

function M.encode(v, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "indent" and k ~= "nonfinite" then fail("unknown option '" .. tostring(k) .. "' (valid: indent, nonfinite)") end
  end
  local nonfinite = opts.nonfinite or "token"
  if nonfinite ~= "token" and nonfinite ~= "null" and nonfinite ~= "string" then
    fail("option 'nonfinite' must be \"token\", \"null\" or \"string\" (got " .. tostring(nonfinite) .. ")")
  end
  local indent = opts.indent
  if indent ~= nil and (math.type(indent) ~= "integer" or indent < 0) then
    fail("option 'indent' must be an integer >= 0 (got " .. tostring(indent) .. ")")
  end
  local seen = {}
  local function at(path) return path == "" and "" or " at " .. path end
  local function enc(x, depth, path)
    local t = type(x)
    if t == "nil" then return "null" end
    if t == "number" then return number(x, nonfinite) end
    if t == "string" then return M.string(x) end
    if t == "boolean" then return tostring(x) end
    if t ~= "table" then fail("cannot encode a " .. t .. " value" .. at(path)) end
    if seen[x] then fail("a table contains itself" .. at(path)) end
    seen[x] = true
    local nl, pad, inner = "", "", ""
    if indent then
      nl = "\n"
      pad = (" "):rep(indent * depth)
      inner = (" "):rep(indent * (depth + 1))
    end
    local parts = {}
    local open, close
    if M.is_array(x) then
      open, close = "[", "]"
      for i = 1, #x do parts[i] = inner .. enc(x[i], depth + 1, path .. "[" .. i .. "]") end
    else
      open, close = "{", "}"
      local keys = {}
      for k in pairs(x) do
        if type(k) ~= "string" then
          fail("object keys must be strings (got " .. type(k) .. " " .. tostring(k) .. ")" .. at(path))
        end
        keys[#keys + 1] = k
      end
      table.sort(keys)
      local colon = indent and ": " or ":"
      for i, k in ipairs(keys) do parts[i] = inner .. M.string(k) .. colon .. enc(x[k], depth + 1, path .. "." .. k) end
    end
    seen[x] = nil
    if #parts == 0 then return open .. close end
    return open .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. close
  end
  return enc(v, 0, "")
end

local UNESCAPE = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t'}
local WORDS = {{"true", true}, {"false", false}, {"null", nil}, {"NaN", 0 / 0}, {"Infinity", math.huge},
               {"-Infinity", -math.huge}}

function M.decode(text, where)
  where = where and (" " .. where) or ""
  if type(text) ~= "string" then error(("bad JSON%s: expected a text (got %s)"):format(where, type(text)), 0) end
  local pos = 1
  local function bad(msg)
    error(("bad JSON%s: %s at byte %d"):format(where, msg, pos), 0)
  end
  local function ws() pos = text:find("[^ \t\r\n]", pos) or #text + 1 end
  local function str()
    pos = pos + 1
    local out = {}
    while true do
      local c = text:sub(pos, pos)
      if c == "" then bad("unterminated string") end
      if c == '"' then pos = pos + 1; return table.concat(out) end
      if c == "\\" then
        local e = text:sub(pos + 1, pos + 1)
        if e == "u" then
          local hex = text:match("^%x%x%x%x", pos + 2)
          if not hex then bad("bad \\u escape") end
          out[#out + 1] = utf8.char(tonumber(hex, 16))
          pos = pos + 6
        elseif UNESCAPE[e] then
          out[#out + 1] = UNESCAPE[e]
          pos = pos + 2
        else
          bad("bad escape")
        end
      elseif c:byte() < 32 then
        bad("control character in a string")
      else
        local chunk = text:match('^[^"\\%c]+', pos)
        out[#out + 1] = chunk
        pos = pos + #chunk
      end
    end
  end
  local value
  function value()
    ws()
    local c = text:sub(pos, pos)
    if c == '"' then return str() end
    if c == "{" then
      pos = pos + 1
      local t = {}
      ws()
      if text:sub(pos, pos) == "}" then pos = pos + 1; return t end
      while true do
        ws()
        if text:sub(pos, pos) ~= '"' then bad("expected a key") end
        local k = str()
        ws()
        if text:sub(pos, pos) ~= ":" then bad("expected ':'") end
        pos = pos + 1
        t[k] = value()
        ws()
        local d = text:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return t end
        if d ~= "," then pos = pos - 1; bad("expected ',' or '}'") end
      end
    end
    if c == "[" then
      pos = pos + 1
      local t = {}
      ws()
      if text:sub(pos, pos) == "]" then pos = pos + 1; return t end
      while true do
        local at = pos
        local v = value()
        if v == nil then pos = at; bad("null inside an array") end
        t[#t + 1] = v
        ws()
        local d = text:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return t end
        if d ~= "," then pos = pos - 1; bad("expected ',' or ']'") end
      end
    end
    for _, w in ipairs(WORDS) do
      if text:sub(pos, pos + #w[1] - 1) == w[1] then pos = pos + #w[1]; return w[2] end
    end
    local num = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if num and num ~= "" and num ~= "-" then
      local v = num:find("[.eE]") and tonumber(num) or math.tointeger(tonumber(num))
      if v == nil then bad("bad number '" .. num .. "'") end
      pos = pos + #num
      return v
    end
    bad(c == "" and "unexpected end" or ("unexpected '" .. c .. "'"))
  end
  local v = value()
  ws()
  if pos <= #text then bad("trailing characters") end
  return v
end

return M
