-- knob registry — look at and manage the model registry kept in a knob database (knob.registry).
--   knob registry list [NAME] --storage sqlite:x.db       entries (or the versions of NAME)
--   knob registry show NAME [VERSION] --storage ...        one version (VERSION: a number, latest, production)
--   knob registry diff NAME V1 V2 --storage ...            parameters added/removed/changed, metric deltas
--   knob registry promote NAME VERSION --storage ...       make VERSION the production version
--   knob registry rollback NAME --storage ...              production goes back to the previous production
--   knob registry history NAME --storage ...               register/promote/rollback events with times
-- Errors (an unknown name or version, a damaged model row) print "knob registry: <message>" and exit 1.
local argparse = require "argparse"
local knob = require "knob"
local text = require "knob.registry.text"

local parser = argparse("knob registry", "List, inspect, diff, promote and roll back registered models.")
parser:command_target("command")

local function with_storage(cmd)
  cmd:option("--storage", "the knob database: sqlite:path.db (it must exist)"):count(1)
  return cmd
end

local list = with_storage(parser:command("list", "List the registry entries, or the versions of one entry."))
list:argument("name", "an entry: list its versions"):args("?")
local show = with_storage(parser:command("show", "Show one version: metadata, metrics, parameters."))
show:argument("name", "the entry")
show:argument("version", "a version number, latest or production"):args("?")
local diff = with_storage(parser:command("diff", "Compare two versions of an entry."))
diff:argument("name", "the entry")
diff:argument("v1", "the version to compare from (a number, latest or production)")
diff:argument("v2", "the version to compare to")
local promote = with_storage(parser:command("promote", "Make a version the production version (the previous one is archived)."))
promote:argument("name", "the entry")
promote:argument("version", "the version to promote (a number or latest)")
local rollback = with_storage(parser:command("rollback", "Put the previous production version back into production."))
rollback:argument("name", "the entry")
local history = with_storage(parser:command("history", "List the events of an entry (register, promote, rollback)."))
history:argument("name", "the entry")

local args = parser:parse(arg)

local fail = text.failer("knob registry")

-- "3" or "v3" -> 3; "latest" and "production" as they are.
local function version_arg(s)
  if s == nil or s == "latest" or s == "production" then return s end
  local n = s:match("^v?(%d+)$")
  if not n then fail(("bad version '%s' (a number, latest or production)"):format(s)) end
  return math.tointeger(tonumber(n))
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function metrics_text(m)
  local parts = {}
  for _, k in ipairs(sorted_keys(m)) do parts[#parts + 1] = k .. "=" .. text.short(m[k]) end
  return table.concat(parts, " ")
end

local out = {}
local function say(s) out[#out + 1] = s end

local commands = {}

function commands.list(reg)
  if not args.name then
    local rows = {}
    for i, e in ipairs(reg:list()) do rows[i] = {e.name, e.n_versions, e.latest, e.production or "-"} end
    if #rows == 0 then say("(the registry is empty)") return end
    say(text.table({"name", "versions", "latest", "production"}, rows))
    return
  end
  local rows = {}
  for i, r in ipairs(reg:list(args.name)) do
    rows[i] = {r.version, r.stage, r.kind, text.time(r.created), r.parent or "-", metrics_text(r.metrics), r.note or ""}
  end
  say(text.table({"version", "stage", "kind", "created", "parent", "metrics", "note"}, rows))
end

function commands.show(reg)
  local r = reg:show(args.name, version_arg(args.version))
  local ok, msg = reg:verify(args.name, r.version)
  local rows = {
    {"stage", r.stage}, {"kind", r.kind}, {"created", text.time(r.created)}, {"parent", r.parent or "-"},
    {"study", r.study and (r.study .. (r.trial and (" (trial " .. r.trial .. ")") or "")) or "-"},
    {"fingerprint", r.fingerprint or "-"}, {"note", r.note or ""},
    {"model", r.checksum .. (ok and "  (loads, checksum matches)" or "")},
  }
  say(("%s v%d"):format(r.name, r.version))
  say(text.table(2, rows))
  local m = {}
  for i, k in ipairs(sorted_keys(r.metrics)) do m[i] = {"  " .. k, text.exact(r.metrics[k])} end
  say("metrics" .. (#m == 0 and " (none)" or ""))
  if #m > 0 then say(text.table(2, m)) end
  local flat = knob.registry._flatten(r.params)
  local p = {}
  for i, k in ipairs(sorted_keys(flat)) do p[i] = {"  " .. k, text.exact(flat[k])} end
  say("params" .. (#p == 0 and " (none)" or ""))
  if #p > 0 then say(text.table(2, p)) end
  return msg -- a damaged model: shown, then reported as the error
end

function commands.diff(reg)
  local d = reg:diff(args.name, version_arg(args.v1), version_arg(args.v2))
  say(("%s v%d -> v%d"):format(d.name, d.from, d.to))
  if d.kind then say(("kind: %s -> %s"):format(d.kind.from, d.kind.to)) end
  if d.fingerprint then
    local f = d.fingerprint
    say(("data fingerprint: %s -> %s%s"):format(f.from or "-", f.to or "-", f.from and f.to and " (trained on other data)" or ""))
  end
  local p = d.params
  if next(p.added) == nil and next(p.removed) == nil and next(p.changed) == nil then
    say("params: no change")
  else
    say("params:")
    for _, k in ipairs(sorted_keys(p.added)) do say(("  + %s = %s"):format(k, text.exact(p.added[k]))) end
    for _, k in ipairs(sorted_keys(p.removed)) do say(("  - %s = %s"):format(k, text.exact(p.removed[k]))) end
    for _, k in ipairs(sorted_keys(p.changed)) do
      say(("  ~ %s: %s -> %s"):format(k, text.exact(p.changed[k].from), text.exact(p.changed[k].to)))
    end
  end
  local rows = {}
  for _, k in ipairs(sorted_keys(d.metrics)) do
    local m = d.metrics[k]
    rows[#rows + 1] = {"  " .. k, text.short(m.from), text.short(m.to),
                       m.delta and ((m.delta >= 0 and "+" or "") .. text.short(m.delta)) or "-"}
  end
  if #rows == 0 then say("metrics: none") return end
  say("metrics:")
  say(text.table({"", "v" .. d.from, "v" .. d.to, "delta"}, rows))
end

function commands.promote(reg)
  local before = reg:list()
  local r = reg:promote(args.name, version_arg(args.version))
  local previous
  for _, e in ipairs(before) do if e.name == args.name then previous = e.production end end
  if previous == r.version then
    say(("%s v%d is already in production"):format(r.name, r.version))
  else
    say(("%s v%d is now in production%s"):format(r.name, r.version, previous and (" (v" .. previous .. " archived)") or ""))
  end
end

function commands.rollback(reg)
  local from
  for _, e in ipairs(reg:list()) do if e.name == args.name then from = e.production end end
  local r = reg:rollback(args.name)
  say(("%s: production rolled back from v%d to v%d (v%d archived)"):format(r.name, from, r.version, from))
end

function commands.history(reg)
  local rows = {}
  for i, e in ipairs(reg:history(args.name)) do
    rows[i] = {text.time(e.time), e.event, "v" .. e.version, e.previous and ("v" .. e.previous) or ""}
  end
  say(text.table({"time", "event", "version", "previous production"}, rows))
end

local ok, err = pcall(function()
  local reg <close> = knob.registry.open(text.existing(args.storage))
  return commands[args.command](reg)
end)
if #out > 0 then io.stdout:write(table.concat(out, "\n"), "\n") end
if not ok or err then fail(tostring(err)) end
