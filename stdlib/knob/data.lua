-- knob.data — datasets: read_csv, from_table, concat, the synthetic generators, and the knob.Dataset
-- methods. The C binding (knob.core.data) does the work; this module adds the printable summaries.
--
--   local ds = knob.data.read_csv("examples/data/iris.csv", {target = "species"})   -- or nil, msg
--   local ds = knob.data.from_table{X = {{1, "a"}, {2, "b"}}, y = {"no", "yes"}, names = {"x", "c"}}
--   print(ds:describe()); print(ds:head(3))
--
-- Values seen from Lua: numeric cells are numbers, categorical cells their level names, and a missing cell
-- is NaN in every kind of column (test with `v ~= v`), so arrays never have holes. Rows and columns are
-- 1-based; a column is given by name or index (negative counts from the end).
--
-- Dataset methods (C): rows features names kinds levels task classes class_counts target target_name
-- column row missing subset copy select column_stats write_csv fingerprint bytes close; #ds, tostring(ds).
-- Dataset methods (here): head(n) and describe(), each returning a printable string and a table;
-- split(opts) = knob.split.train_test(ds, opts) → train, test (row views, no copy).
local core = require "knob.core"

local data = {}
for k, v in pairs(core.data) do data[k] = v end
for k, v in pairs(core.synth) do
  if data[k] ~= nil then error("knob.data: knob.core.synth." .. k .. " collides with knob.core.data." .. k) end
  data[k] = v
end

local Dataset = core.data.Dataset -- the methods table shared by every knob.Dataset

local function isnan(v) return v ~= v end

-- A number as a short string (up to 6 significant digits, like pandas' display), "NaN" for missing.
local function fmt_number(v)
  if isnan(v) then return "NaN" end
  if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
  return string.format("%.6g", v)
end

local function fmt_cell(v)
  if type(v) == "number" then return fmt_number(v) end
  return tostring(v)
end

-- Lay out rows of cells (row 1 = header) in columns; align[j] is "l" or "r".
local function layout(rows, align)
  local width = {}
  for _, r in ipairs(rows) do
    for j, c in ipairs(r) do width[j] = math.max(width[j] or 0, #c) end
  end
  local lines = {}
  for _, r in ipairs(rows) do
    local parts = {}
    for j, c in ipairs(r) do
      local pad = string.rep(" ", width[j] - #c)
      parts[j] = align[j] == "l" and c .. pad or pad .. c
    end
    lines[#lines + 1] = (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  return table.concat(lines, "\n")
end

-- Columns to show: all, or the first and last few when there are more than max.
local function shown_columns(p, max)
  local cols = {}
  if p <= max then
    for j = 1, p do cols[#cols + 1] = j end
  else
    local half = max // 2
    for j = 1, half do cols[#cols + 1] = j end
    cols[#cols + 1] = false -- the "..." column
    for j = p - (max - half) + 1, p do cols[#cols + 1] = j end
  end
  return cols
end

local HEAD_MAX_COLUMNS = 10

--- The first n rows (default 5; fewer if the dataset is shorter) as a printable string and as a table of
--- records keyed by column name (the target included; missing cells are NaN). More than 10 features are
--- shown as the first 5, "...", the last 5 in the string; the records always hold every column.
function Dataset:head(n)
  n = n == nil and 5 or n
  if math.type(n) ~= "integer" or n < 0 then
    error("head: n must be an integer >= 0 (got " .. tostring(n) .. ")", 2)
  end
  local rows = self:rows()
  if n > rows then n = rows end
  local names, tname = self:names(), self:target_name()
  local records, cells = {}, {}
  for i = 1, n do
    local x, y = self:row(i)
    local rec = {}
    for j, name in ipairs(names) do rec[name] = x[j] end
    if tname then rec[tname] = y end
    records[i], cells[i] = rec, {x = x, y = y}
  end
  local cols = shown_columns(#names, HEAD_MAX_COLUMNS)
  local header, align = {""}, {"r"}
  for _, j in ipairs(cols) do
    header[#header + 1] = j and names[j] or "..."
    align[#align + 1] = "r"
  end
  if tname then
    header[#header + 1] = "| " .. tname
    align[#align + 1] = "l"
  end
  local grid = {header}
  for i = 1, n do
    local line = {tostring(i)}
    for _, j in ipairs(cols) do line[#line + 1] = j and fmt_cell(cells[i].x[j]) or "..." end
    if tname then line[#line + 1] = "| " .. fmt_cell(cells[i].y) end
    grid[#grid + 1] = line
  end
  local text = tostring(self) .. "\n" .. layout(grid, align)
  if n < rows then text = text .. string.format("\n[%d of %d rows]", n, rows) end
  return text, records
end

local NUMERIC_STATS = {"count", "missing", "mean", "std", "min", "q25", "q50", "q75", "max"}
local NUMERIC_HEADER = {"count", "missing", "mean", "std", "min", "25%", "50%", "75%", "max"}

local function counts_text(classes, counts)
  local parts = {}
  for _, c in ipairs(classes) do parts[#parts + 1] = string.format("%s %d", c, counts[c]) end
  return table.concat(parts, ", ")
end

--- Summary statistics, pandas-like: a printable string and a table
---   {rows = n, columns = {stats of each feature, in order}, target = stats of the target or nil}.
--- Numeric stats: name, kind = "numeric", count (non-missing), missing, mean, std (sample, n - 1), min,
--- q25, q50, q75 (linear interpolation, as pandas), max. Categorical stats: name, kind = "categorical",
--- count, missing, unique (levels present), top (most frequent; the first level on ties), freq, counts
--- (level → count). The target's table also has task, and for classification classes (in class order).
function Dataset:describe()
  local names, kinds = self:names(), self:kinds()
  local result = {rows = self:rows(), columns = {}}
  local numeric = {{"numeric"}}
  local categorical = {{"categorical", "count", "missing", "unique", "top", "freq"}}
  for _, h in ipairs(NUMERIC_HEADER) do numeric[1][#numeric[1] + 1] = h end
  local function add_numeric(label, s)
    local line = {label}
    for _, k in ipairs(NUMERIC_STATS) do line[#line + 1] = fmt_number(s[k]) end
    numeric[#numeric + 1] = line
  end
  for j, name in ipairs(names) do
    local s = self:column_stats(j)
    s.name = name
    result.columns[j] = s
    if kinds[j] == "numeric" then
      add_numeric(name, s)
    else
      categorical[#categorical + 1] = {name, fmt_number(s.count), fmt_number(s.missing), fmt_number(s.unique),
                                       s.top or "", fmt_number(s.freq)}
    end
  end
  local tname, task = self:target_name(), self:task()
  local target_line
  if tname then
    local s = self:column_stats(tname)
    s.name, s.task = tname, task
    if task == "classification" then
      s.classes = self:classes()
      target_line = string.format("target '%s' (classification, %d classes): %s", tname, #s.classes,
                                  counts_text(s.classes, s.counts))
    else
      add_numeric(tname .. " (target)", s)
    end
    result.target = s
  end
  local parts = {tostring(self)}
  local function right_but_first(n)
    local a = {"l"}
    for k = 2, n do a[k] = "r" end
    return a
  end
  if #numeric > 1 then parts[#parts + 1] = layout(numeric, right_but_first(#numeric[1])) end
  if #categorical > 1 then
    local a = right_but_first(6)
    a[5] = "l"
    parts[#parts + 1] = layout(categorical, a)
  end
  if target_line then parts[#parts + 1] = target_line end
  return table.concat(parts, "\n"), result
end

--- ds:split{test = 0.2, stratify = false, shuffle = true, seed = 0} → train, test, train_idx, test_idx.
function Dataset:split(opts)
  return require("knob.split").train_test(self, opts)
end

return data
