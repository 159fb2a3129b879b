-- knob.svg — small inline SVG charts for knob's HTML reports (no scripts, no network, no fonts to fetch).
--
--   svg.xy{title =, width = 640, height = 300, x = {label =, log =}, y = {label =, log =}, series = {...}}
--       series: {kind = "points"|"line"|"step"|"band", x = {...}, y = {...} (band: lo = {...}, hi = {...}),
--                color =, label =, radius = 3, colors = {...} (points: one colour per point)}
--   svg.bars{title =, labels = {...}, values = {...}, width =, color =, format = "%.3f"}  horizontal bars
--   svg.parallel{title =, axes = {{name =, values = {...}, log =, choices = {...}}, ...}, scores = {...},
--                width =, height =}        parallel coordinates, one polyline per row coloured by its score
--   svg.color(t)   a colour on a blue → yellow scale for t in [0, 1] (NaN: grey)
--   svg.escape(s)  text made safe for SVG/HTML
-- Axis ranges come from the data (padded 5%); log axes need positive values (others are dropped from the
-- plot). Non-finite values are skipped. Every function returns the SVG text.
local M = {}

local function escape(s)
  return (tostring(s):gsub("[&<>\"']", {["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;"}))
end
M.escape = escape

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

-- blue (low) → green → yellow (high), like viridis' ends
local STOPS = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}
function M.color(t)
  if not finite(t) then return "#999999" end
  t = math.max(0, math.min(1, t))
  local pos = t * (#STOPS - 1)
  local i = math.min(#STOPS - 2, math.floor(pos))
  local f = pos - i
  local a, b = STOPS[i + 1], STOPS[i + 2]
  local c = {}
  for k = 1, 3 do c[k] = math.floor(a[k] + f * (b[k] - a[k]) + 0.5) end
  return ("#%02x%02x%02x"):format(c[1], c[2], c[3])
end

local function fmt(v)
  if v == 0 then return "0" end
  local a = math.abs(v)
  if a >= 1e4 or a < 1e-3 then return ("%.0e"):format(v) end
  return (("%.4g"):format(v))
end

-- Tick values for [lo, hi]: about n "nice" numbers (1, 2, 5 × 10^k), or decades on a log axis.
local ticks
function ticks(lo, hi, log, n)
  local out = {}
  if log then
    -- decades when the range spans two or more, else 1-2-5 multiples, else nice linear ticks
    for _, ms in ipairs{{1}, {1, 2, 5}} do
      out = {}
      for e = math.floor(math.log(lo, 10)), math.ceil(math.log(hi, 10)) do
        for _, m in ipairs(ms) do
          local v = m * 10.0 ^ e
          if v >= lo * (1 - 1e-9) and v <= hi * (1 + 1e-9) then out[#out + 1] = v end
        end
      end
      if #out >= 3 then return out end
    end
    return ticks(lo, hi, false, n)
  end
  local span = hi - lo
  if span <= 0 then return {lo} end
  local raw = span / (n or 5)
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local step = mag
  for _, m in ipairs{1, 2, 5, 10} do
    if m * mag >= raw then step = m * mag break end
  end
  for v = math.ceil(lo / step) * step, hi + step * 1e-9, step do out[#out + 1] = v end
  return out
end

-- A linear or log map of [lo, hi] onto [a, b] (pixels).
local function scale(lo, hi, log, a, b)
  if log then lo, hi = math.log(lo), math.log(hi) end
  if hi == lo then lo, hi = lo - 0.5, hi + 0.5 end
  return function(v)
    if log then v = math.log(v) end
    return a + (v - lo) / (hi - lo) * (b - a)
  end
end

local function range(values, log)
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(values) do
    if finite(v) and (not log or v > 0) then lo, hi = math.min(lo, v), math.max(hi, v) end
  end
  if lo > hi then return nil end
  if log then
    if lo == hi then return lo / 2, hi * 2 end
    local pad = (hi / lo) ^ 0.05
    return lo / pad, hi * pad
  end
  local pad = (hi - lo) * 0.05
  if pad == 0 then pad = math.abs(lo) * 0.05 + 0.5 end
  return lo - pad, hi + pad
end

local function header(w, h, title)
  local s = {('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
    .. 'font-family="sans-serif" font-size="11" role="img">'):format(w, h, w, h),
    ('<rect width="%d" height="%d" fill="#ffffff"/>'):format(w, h)}
  if title then s[#s + 1] = ('<text x="%d" y="16" font-size="13" font-weight="bold">%s</text>'):format(8, escape(title)) end
  return s
end

function M.xy(o)
  local w, h = o.width or 640, o.height or 300
  local L, R, T, B = 60, 16, 28, 40
  local xs, ys = {}, {}
  for _, s in ipairs(o.series or {}) do
    for _, v in ipairs(s.x) do xs[#xs + 1] = v end
    for _, v in ipairs(s.y or {}) do ys[#ys + 1] = v end
    for _, v in ipairs(s.lo or {}) do ys[#ys + 1] = v end
    for _, v in ipairs(s.hi or {}) do ys[#ys + 1] = v end
  end
  local xo, yo = o.x or {}, o.y or {}
  local s = header(w, h, o.title)
  local x0, x1 = range(xs, xo.log)
  local y0, y1 = range(ys, yo.log)
  if not x0 or not y0 then
    s[#s + 1] = ('<text x="%d" y="%d" fill="#666">no data</text></svg>'):format(w / 2 - 20, h / 2)
    return table.concat(s, "\n")
  end
  local fx, fy = scale(x0, x1, xo.log, L, w - R), scale(y0, y1, yo.log, h - B, T)
  s[#s + 1] = ('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#ccc"/>'):format(L, T, w - L - R, h - T - B)
  for _, t in ipairs(ticks(x0, x1, xo.log, 6)) do
    local px = fx(t)
    s[#s + 1] = ('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>')
      :format(px, T, px, h - B, px, h - B + 14, fmt(t))
  end
  for _, t in ipairs(ticks(y0, y1, yo.log, 5)) do
    local py = fy(t)
    s[#s + 1] = ('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>')
      :format(L, py, w - R, py, L - 4, py + 4, fmt(t))
  end
  if xo.label then s[#s + 1] = ('<text x="%d" y="%d" text-anchor="middle">%s</text>'):format((L + w - R) / 2, h - 6, escape(xo.label)) end
  if yo.label then
    s[#s + 1] = ('<text transform="translate(12,%d) rotate(-90)" text-anchor="middle">%s</text>'):format((T + h - B) / 2, escape(yo.label))
  end
  local function ok(x, y) return finite(x) and finite(y) and (not xo.log or x > 0) and (not yo.log or y > 0) end
  local legend = {}
  for _, se in ipairs(o.series or {}) do
    local color = se.color or "#3b528b"
    if se.kind == "band" then
      local up, down = {}, {}
      for i = 1, #se.x do
        if ok(se.x[i], se.lo[i]) and ok(se.x[i], se.hi[i]) then
          up[#up + 1] = ("%.1f,%.1f"):format(fx(se.x[i]), fy(se.hi[i]))
          table.insert(down, 1, ("%.1f,%.1f"):format(fx(se.x[i]), fy(se.lo[i])))
        end
      end
      if #up > 0 then
        s[#s + 1] = ('<polygon points="%s %s" fill="%s" fill-opacity="0.2" stroke="none"/>'):format(
          table.concat(up, " "), table.concat(down, " "), color)
      end
    elseif se.kind == "line" or se.kind == "step" then
      local pts, prev = {}, nil
      for i = 1, #se.x do
        if ok(se.x[i], se.y[i]) then
          if se.kind == "step" and prev then pts[#pts + 1] = ("%.1f,%.1f"):format(fx(se.x[i]), fy(prev)) end
          pts[#pts + 1] = ("%.1f,%.1f"):format(fx(se.x[i]), fy(se.y[i]))
          prev = se.y[i]
        end
      end
      s[#s + 1] = ('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>'):format(table.concat(pts, " "), color)
    else
      for i = 1, #se.x do
        if ok(se.x[i], se.y[i]) then
          s[#s + 1] = ('<circle cx="%.1f" cy="%.1f" r="%s" fill="%s" fill-opacity="0.8"/>'):format(
            fx(se.x[i]), fy(se.y[i]), se.radius or 3, se.colors and se.colors[i] or color)
        end
      end
    end
    if se.label then legend[#legend + 1] = {se.label, color} end
  end
  for i, l in ipairs(legend) do
    local y = T + 4 + 14 * i
    s[#s + 1] = ('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>'):format(
      w - R - 150, y - 9, l[2], w - R - 136, y, escape(l[1]))
  end
  s[#s + 1] = "</svg>"
  return table.concat(s, "\n")
end

function M.bars(o)
  local labels, values = o.labels or {}, o.values or {}
  local w = o.width or 640
  local row, L, T = 20, 160, 28
  local h = T + row * #labels + 12
  local s = header(w, h, o.title)
  local top = 0
  for _, v in ipairs(values) do if finite(v) then top = math.max(top, v) end end
  if top == 0 then top = 1 end
  for i, label in ipairs(labels) do
    local v = values[i]
    local y = T + (i - 1) * row
    local bw = finite(v) and math.max(0, v) / top * (w - L - 70) or 0
    s[#s + 1] = ('<text x="%d" y="%d" text-anchor="end">%s</text><rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
      .. '<text x="%.1f" y="%d">%s</text>'):format(L - 6, y + 14, escape(label), L, y + 3, bw, row - 6,
      o.color or "#21918c", L + bw + 4, y + 14, finite(v) and (o.format or "%.3f"):format(v) or "n/a")
  end
  s[#s + 1] = "</svg>"
  return table.concat(s, "\n")
end

function M.parallel(o)
  local axes, scores = o.axes or {}, o.scores or {}
  local w, h = o.width or math.max(320, 110 * (#axes + 1)), o.height or 320
  local L, R, T, B = 50, 60, 36, 30
  local s = header(w, h, o.title)
  if #axes == 0 then s[#s + 1] = "</svg>" return table.concat(s, "\n") end
  local smin, smax = math.huge, -math.huge
  for _, v in ipairs(scores) do if finite(v) then smin, smax = math.min(smin, v), math.max(smax, v) end end
  local gap = #axes > 1 and (w - L - R) / (#axes - 1) or 0
  local maps = {}
  for a, ax in ipairs(axes) do
    local x = L + (a - 1) * gap
    local f
    if ax.choices then
      local idx = {}
      for i, c in ipairs(ax.choices) do idx[tostring(c)] = i end
      local n = #ax.choices
      f = function(v)
        local i = idx[tostring(v)]
        return i and (h - B - (n == 1 and 0.5 or (i - 1) / (n - 1)) * (h - B - T)) or nil
      end
      for i, c in ipairs(ax.choices) do
        s[#s + 1] = ('<text x="%.1f" y="%.1f">%s</text>'):format(x + 4, f(c) + 4, escape(c))
        if i > 12 then break end
      end
    else
      local lo, hi = range(ax.values, ax.log)
      if lo then
        local sc = scale(lo, hi, ax.log, h - B, T)
        f = function(v) return finite(v) and (not ax.log or v > 0) and sc(v) or nil end
        for _, t in ipairs(ticks(lo, hi, ax.log, 4)) do
          s[#s + 1] = ('<text x="%.1f" y="%.1f">%s</text>'):format(x + 4, sc(t) + 4, fmt(t))
        end
      else
        f = function() return nil end
      end
    end
    maps[a] = f
    s[#s + 1] = ('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#333"/><text x="%.1f" y="%d" text-anchor="middle" font-weight="bold">%s</text>')
      :format(x, T, x, h - B, x, T - 8, escape(ax.name))
  end
  for i = 1, #scores do
    local pts = {}
    for a, ax in ipairs(axes) do
      local y = maps[a](ax.values[i])
      if y then pts[#pts + 1] = ("%.1f,%.1f"):format(L + (a - 1) * gap, y) end
    end
    local t = smax > smin and (scores[i] - smin) / (smax - smin) or 0.5
    if o.reverse then t = 1 - t end
    if #pts > 1 then
      s[#s + 1] = ('<polyline points="%s" fill="none" stroke="%s" stroke-opacity="0.6"/>'):format(table.concat(pts, " "), M.color(t))
    end
  end
  s[#s + 1] = "</svg>"
  return table.concat(s, "\n")
end

return M
