-- knob.registry.text — plain-text display helpers shared by `knob registry` and `knob studies`.
--
--   text.time(t)             os.time() seconds as "2026-11-28 20:50:39Z" (UTC), "-" for nil
--   text.exact(v)            a value as the shortest text that reads back as the same number (%.15g..%.17g;
--                            a whole float keeps a ".0");
--                            strings as they are, tables as JSON, nil as "-"
--   text.short(v)            a number with 6 significant digits (integers in full), else as text.exact
--   text.table(header, rows) columns padded to their widest cell, two spaces apart, no trailing blanks;
--                            header: an array of column names, or a number of columns (no header line)
--   text.failer(prog)        a function(msg) that flushes stdout, writes "<prog>: msg" to stderr, exits 1
--   text.existing(spec)      spec, after checking that an "sqlite:path" names an existing file (so that a
--                            mistyped path in a command line is an error, not a new empty database)
local encode = require("knob.json").encode

local M = {}

function M.time(t)
  if t == nil then return "-" end
  return os.date("!%Y-%m-%d %H:%M:%SZ", t)
end

function M.exact(v)
  if v == nil then return "-" end
  if type(v) == "table" then return encode(v) end
  if math.type(v) ~= "float" or v ~= v or v == math.huge or v == -math.huge then return tostring(v) end
  local s = ("%.17g"):format(v)
  for digits = 15, 16 do
    local t = ("%." .. digits .. "g"):format(v)
    if tonumber(t) == v then s = t break end
  end
  if not s:find("[.eE]") then s = s .. ".0" end -- a float stays recognisable as one
  return s
end

function M.short(v)
  if math.type(v) == "float" and v == v and v ~= math.huge and v ~= -math.huge then return ("%.6g"):format(v) end
  return M.exact(v)
end

function M.table(header, rows)
  local all, ncol = {header}, type(header) == "table" and #header or header
  if type(header) ~= "table" then all = {} end
  for _, r in ipairs(rows) do all[#all + 1] = r end
  local width = {}
  for _, r in ipairs(all) do
    for j = 1, ncol do width[j] = math.max(width[j] or 0, #tostring(r[j] or "")) end
  end
  local lines = {}
  for i, r in ipairs(all) do
    local cells = {}
    for j = 1, ncol do cells[j] = ("%-" .. width[j] .. "s"):format(tostring(r[j] or "")) end
    lines[i] = (table.concat(cells, "  "):gsub("%s+$", ""))
  end
  return table.concat(lines, "\n")
end

function M.failer(prog)
  return function(msg)
    io.stdout:flush() -- what was shown comes before the error
    io.stderr:write(prog, ": ", msg, "\n")
    os.exit(1)
  end
end

function M.existing(spec)
  local path = spec:match("^sqlite:(.+)$")
  local f = path and io.open(path, "rb")
  if path and not f then error("no database '" .. path .. "'", 0) end
  if f then f:close() end
  return spec
end

return M
