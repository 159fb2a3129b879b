-- knob.report — a self-contained HTML report of a run or a study: one file, inline SVG, no scripts, no network.
--
--   knob.report.html(record) -> text          record: a run record (run.record / the JSON run:save wrote)
--   knob.report.write(record, path) -> true | nil, msg
--   knob.report.from_study(study) -> record   a record of a bare study (its trials; no stages or final test)
--   knob.report.load(path) -> record | nil, msg    read a run record written by run:save
--
-- Sections, each shown when the record has what it needs: summary (data, metric, seed, fingerprint,
-- warnings), final test next to the baseline, stages, optimization history (every trial by stage and the
-- best so far), hyperparameter importance, parallel coordinates, one slice plot per parameter, the
-- rescored top configurations, learning and validation curves (record.curves), the winning configuration.
local json = require "knob.json"
local space = require "knob.space"
local svg = require "knob.svg"

local M = {}

local esc = svg.escape
local STAGE_COLORS = {"#3b528b", "#21918c", "#e07b00", "#c4368c", "#5ec962", "#7a0177", "#444444"}

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

local function num(v, digits)
  if type(v) ~= "number" then return v == nil and "" or esc(v) end
  if not finite(v) then return tostring(v) end
  if math.type(v) == "integer" then return tostring(v) end
  return ("%." .. (digits or 4) .. "f"):format(v)
end

local function pm(m, s)
  if not finite(m) then return "" end
  if finite(s) then return num(m) .. " ± " .. num(s) end
  return num(m)
end

local function table_html(head, rows)
  local out = {"<table><tr>"}
  for _, h in ipairs(head) do out[#out + 1] = "<th>" .. esc(h) .. "</th>" end
  out[#out + 1] = "</tr>"
  for _, r in ipairs(rows) do
    out[#out + 1] = "<tr>"
    for _, c in ipairs(r) do out[#out + 1] = "<td>" .. c .. "</td>" end
    out[#out + 1] = "</tr>"
  end
  out[#out + 1] = "</table>"
  return table.concat(out)
end

local function sorted_keys(t)
  return space.names(t or {})
end

local function param_value(v)
  if type(v) == "number" and math.type(v) == "float" then return ("%.6g"):format(v) end
  return esc(tostring(v))
end

-- The parameter names of the record: from its space, else from the trials.
local function param_names(rec)
  local names = sorted_keys(rec.space)
  if #names > 0 then return names end
  local seen = {}
  for _, t in ipairs(rec.trials or {}) do
    for k in pairs(t.params or {}) do seen[k] = true end
  end
  return sorted_keys(seen)
end

local function is_log(rec, name)
  return type(rec.space) == "table" and type(rec.space[name]) == "string" and rec.space[name]:find(" log") ~= nil
end

local function history_svg(rec)
  local trials = rec.trials or {}
  local stages, order = {}, {}
  for _, t in ipairs(trials) do
    if t.state == "complete" and finite(t.value) then
      local st = t.stage or "trials"
      if not stages[st] then
        stages[st] = {kind = "points", x = {}, y = {}, label = st, color = STAGE_COLORS[(#order % #STAGE_COLORS) + 1]}
        order[#order + 1] = st
      end
      local s = stages[st]
      s.x[#s.x + 1], s.y[#s.y + 1] = t.number, t.value
    end
  end
  local best = {kind = "step", x = {}, y = {}, label = "best so far", color = "#d62728"}
  local b
  local sign = rec.direction == "minimize" and -1 or 1
  for _, t in ipairs(trials) do
    if t.state == "complete" and finite(t.value) then
      if b == nil or sign * (t.value - b) > 0 then b = t.value end
      best.x[#best.x + 1], best.y[#best.y + 1] = t.number, b
    end
  end
  local series = {}
  for _, st in ipairs(order) do series[#series + 1] = stages[st] end
  series[#series + 1] = best
  return svg.xy{title = "Optimization history", x = {label = "trial"}, y = {label = rec.metric or "value"},
                series = series, width = 760}
end

local function complete_trials(rec)
  local out = {}
  for _, t in ipairs(rec.trials or {}) do
    if t.state == "complete" and finite(t.value) then out[#out + 1] = t end
  end
  return out
end

local function parallel_svg(rec, names)
  local done = complete_trials(rec)
  local axes, scores = {}, {}
  for i, t in ipairs(done) do scores[i] = t.value end
  for _, name in ipairs(names) do
    local vals, categorical, choices, seen = {}, false, {}, {}
    for i, t in ipairs(done) do
      local v = t.params and t.params[name]
      vals[i] = v
      if v ~= nil and type(v) ~= "number" then categorical = true end
    end
    if categorical then
      for i = 1, #done do
        local v = vals[i]
        if v ~= nil and not seen[tostring(v)] then seen[tostring(v)] = true choices[#choices + 1] = v end
      end
      table.sort(choices, function(a, b) return tostring(a) < tostring(b) end)
    end
    axes[#axes + 1] = {name = name, values = vals, log = is_log(rec, name), choices = categorical and choices or nil}
  end
  axes[#axes + 1] = {name = rec.metric or "value", values = scores}
  return svg.parallel{title = "Parallel coordinates (colour: " .. (rec.metric or "value") .. ", yellow = best)",
                      axes = axes, scores = scores, reverse = rec.direction == "minimize"}
end

local function slice_svgs(rec, names)
  local done = complete_trials(rec)
  local out = {}
  local vmin, vmax = math.huge, -math.huge
  for _, t in ipairs(done) do vmin, vmax = math.min(vmin, t.number), math.max(vmax, t.number) end
  for _, name in ipairs(names) do
    local xs, ys, colors, labels = {}, {}, {}, nil
    for _, t in ipairs(done) do
      local v = t.params and t.params[name]
      if type(v) == "number" then
        xs[#xs + 1], ys[#ys + 1] = v, t.value
        colors[#colors + 1] = svg.color(vmax > vmin and (t.number - vmin) / (vmax - vmin) or 0.5)
      elseif v ~= nil then
        labels = labels or {}
        labels[tostring(v)] = labels[tostring(v)] or {}
        table.insert(labels[tostring(v)], t.value)
      end
    end
    if labels then
      local ls, ms = {}, {}
      for _, k in ipairs(sorted_keys(labels)) do
        local s = 0
        for _, v in ipairs(labels[k]) do s = s + v end
        ls[#ls + 1], ms[#ms + 1] = k .. " (" .. #labels[k] .. ")", s / #labels[k]
      end
      out[#out + 1] = svg.bars{title = "Slice: " .. name .. " (mean " .. (rec.metric or "value") .. ")",
                               labels = ls, values = ms, width = 370, format = "%.4f"}
    else
      out[#out + 1] = svg.xy{title = "Slice: " .. name .. " (colour: trial number)", width = 370, height = 240,
                             x = {label = name, log = is_log(rec, name)}, y = {label = rec.metric or "value"},
                             series = {{kind = "points", x = xs, y = ys, colors = colors}}}
    end
  end
  return out
end

local function curve_svg(title, c, xlabel, xlog)
  local x = c.x or c.n_train or c.sizes or c.values
  if type(x) ~= "table" then return nil end
  local series = {}
  local function band(mean, std, color, label)
    if type(mean) ~= "table" then return end
    if type(std) == "table" then
      local lo, hi = {}, {}
      for i = 1, #mean do lo[i], hi[i] = mean[i] - (std[i] or 0), mean[i] + (std[i] or 0) end
      series[#series + 1] = {kind = "band", x = x, lo = lo, hi = hi, color = color}
    end
    series[#series + 1] = {kind = "line", x = x, y = mean, color = color, label = label}
    series[#series + 1] = {kind = "points", x = x, y = mean, color = color}
  end
  band(c.train_mean, c.train_std, "#e07b00", "train")
  band(c.valid_mean, c.valid_std, "#3b528b", "validation")
  if type(c.baseline) == "number" then
    series[#series + 1] = {kind = "line", x = {x[1], x[#x]}, y = {c.baseline, c.baseline}, color = "#999999", label = "dummy baseline"}
  end
  return svg.xy{title = title, x = {label = xlabel, log = xlog}, y = {label = c.metric or "score"}, series = series,
                width = 560}
end

local CSS = [[
body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.warn{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px;margin:6px 0}
.grid{display:flex;flex-wrap:wrap;gap:8px}.muted{color:#666}
]]

function M.html(rec)
  if type(rec) ~= "table" then error("knob.report.html: a run record (table) expected (got " .. type(rec) .. ")", 2) end
  local names = param_names(rec)
  local out = {"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>knob report: " .. esc(rec.name or "run")
    .. "</title><style>" .. CSS .. "</style></head><body>"}
  local function add(s) out[#out + 1] = s end
  add("<h1>knob report: " .. esc(rec.name or "run") .. "</h1>")
  local d = rec.data or {}
  add(("<p class=\"muted\">%s %s · model %s · %d-fold CV · seed %s · created %s · knob %s</p>"):format(
    esc(rec.direction or ""), esc(rec.metric or ""), esc(rec.model or "?"), rec.folds or 0, esc(rec.seed or "?"),
    esc(rec.created or "?"), esc(rec.knob or "?")))
  if d.rows then
    add(("<p>data: %d rows (%d train, %d test locked away), %s, fingerprint <code>%s</code></p>"):format(
      d.rows, d.train_rows or 0, d.test_rows or 0, esc(d.task or ""), esc(d.fingerprint or "")))
  end
  for _, w in ipairs(rec.warnings or {}) do add("<div class=\"warn\">⚠ " .. esc(w) .. "</div>") end

  local f = rec.final
  if f then
    add("<h2>Final test</h2>")
    local rows = {{"winner (trial " .. num(f.trial) .. ")", pm(f.cv, f.cv_std), pm(f.test, f.test_std), num(f.seeds)},
                  {"default configuration", "", pm(f.default_test, f.default_test_std), num(f.seeds)}}
    for _, k in ipairs(sorted_keys(rec.baseline)) do
      local b = rec.baseline[k]
      rows[#rows + 1] = {"baseline: " .. esc(k), pm(b.mean, b.std), "", ""}
    end
    add(table_html({"model", "CV " .. (rec.metric or ""), "test " .. (rec.metric or ""), "seeds"}, rows))
  elseif rec.baseline then
    add("<h2>Baselines</h2>")
    local rows = {}
    for _, k in ipairs(sorted_keys(rec.baseline)) do
      local b = rec.baseline[k]
      rows[#rows + 1] = {esc(k), pm(b.mean, b.std), num(b.train)}
    end
    add(table_html({"model", "CV", "train"}, rows))
  end

  if rec.stages and #rec.stages > 0 then
    add("<h2>Stages</h2>")
    local rows = {}
    for _, s in ipairs(rec.stages) do
      rows[#rows + 1] = {esc(s.name), esc(s.sampler or ""), num(s.complete), num(s.pruned), num(s.failed),
                         num(s.seconds, 1), num(s.best_before), num(s.best), num(s.best_trial)}
    end
    add(table_html({"stage", "sampler", "complete", "pruned", "failed", "seconds", "best before", "best after", "best trial"}, rows))
  end

  if rec.trials and #rec.trials > 0 then
    add("<h2>Optimization history</h2>")
    add(history_svg(rec))
  end
  if rec.importance and #rec.importance > 0 then
    add("<h2>Hyperparameter importance</h2>")
    local labels, values = {}, {}
    for i, it in ipairs(rec.importance) do labels[i], values[i] = it.name, it.importance end
    add(svg.bars{title = "Importance" .. (rec.importance_method and (" (" .. rec.importance_method .. ")") or ""),
                 labels = labels, values = values})
  end
  if #names > 0 and #complete_trials(rec) > 0 then
    add("<h2>Parallel coordinates</h2>")
    add(parallel_svg(rec, names))
    add("<h2>Slices</h2><div class=\"grid\">")
    for _, s in ipairs(slice_svgs(rec, names)) do add(s) end
    add("</div>")
  end
  if rec.rescore then
    add("<h2>Top configurations on fresh folds</h2>")
    local rows = {}
    for _, r in ipairs(rec.rescore.rows or {}) do
      rows[#rows + 1] = {num(r.number), num(r.value), pm(r.fresh, r.fresh_std), num(r.luck)}
    end
    add(table_html({"trial", "study CV", "fresh CV", "selection luck"}, rows))
  end
  local curves = rec.curves or {}
  if curves.learning or curves.validation then
    add("<h2>Curves</h2><div class=\"grid\">")
    if curves.learning then
      local s = curve_svg("Learning curve", curves.learning, "training rows", false)
      if s then add(s) end
    end
    if curves.validation then
      local v = curves.validation
      local s = curve_svg("Validation curve: " .. tostring(v.param or ""), v, v.param or "value", v.log)
      if s then add(s) end
    end
    add("</div>")
  end
  if f and f.params then
    add("<h2>Winning configuration</h2>")
    local rows = {}
    for _, k in ipairs(sorted_keys(f.params)) do rows[#rows + 1] = {esc(k), param_value(f.params[k])} end
    add(table_html({"parameter", "value"}, rows))
  end
  add("</body></html>\n")
  return table.concat(out, "\n")
end

function M.write(rec, path)
  if type(path) ~= "string" then error("knob.report.write: path must be a string", 2) end
  local text = M.html(rec)
  local fh, err = io.open(path, "w")
  if not fh then return nil, "knob.report.write: " .. tostring(err) end
  fh:write(text)
  fh:close()
  return true
end

--- The trials of a record: number, state, value, params, stage (user attr), cv_std.
function M.trials_of(study)
  local out = {}
  for i, r in ipairs(study:trials()) do
    out[i] = {number = r.number, state = r.state, value = r.value, params = r.params,
              stage = r.user_attrs.stage, cv_std = r.user_attrs.cv_std}
  end
  return out
end

function M.from_study(study)
  return {format = "knob.run", name = study.name, direction = study.direction,
          metric = study.user_attrs and study:user_attrs().metric or "value", trials = M.trials_of(study)}
end

function M.load(path)
  local fh, err = io.open(path, "r")
  if not fh then return nil, "cannot open run record '" .. tostring(path) .. "': " .. tostring(err) end
  local text = fh:read("a")
  fh:close()
  local ok, rec = pcall(json.decode, text, "in " .. path)
  if not ok then return nil, rec end
  if type(rec) ~= "table" or rec.format ~= "knob.run" then
    return nil, path .. ": not a knob run record (no \"format\": \"knob.run\")"
  end
  return rec
end

return M
