-- knob studies — the studies kept in a knob database (knob.study with storage = "sqlite:path.db").
--   knob studies list --storage sqlite:x.db              every study: direction, trial counts by state, best
--   knob studies show NAME --storage sqlite:x.db [--top K]   the best trial and a table of the K best
-- Loading a study marks failed the running trials of processes that are gone (as knob.study.load does).
-- Errors print "knob studies: <message>" and exit 1.
local argparse = require "argparse"
local knob = require "knob"
local text = require "knob.registry.text"

local parser = argparse("knob studies", "List the studies in a knob database and show their best trials.")
parser:command_target("command")
local list = parser:command("list", "List the studies with trial counts by state and the best value.")
list:option("--storage", "the knob database: sqlite:path.db (it must exist)"):count(1)
local show = parser:command("show", "Show a study's best trial and its top trials.")
show:argument("name", "the study")
show:option("--storage", "the knob database: sqlite:path.db (it must exist)"):count(1)
show:option("--top", "how many of the best trials to list", "10"):convert(function(s)
  local k = math.tointeger(tonumber(s))
  if not k or k < 1 then return nil, "--top must be an integer >= 1 (got '" .. s .. "')" end
  return k
end)
local args = parser:parse(arg)

local fail = text.failer("knob studies")

local STATES = {"complete", "pruned", "failed", "running", "waiting"}

local out = {}
local function say(s) out[#out + 1] = s end

local function load(st, name)
  return knob.study.load{name = name, storage = st, sampler = knob.samplers.random{}}
end

local commands = {}

function commands.list(st)
  local rows = {}
  for _, rec in ipairs(st:list_studies()) do
    local s = load(st, rec.name)
    local best = s:best()
    local row = {rec.name, s.direction, s:n_trials()}
    for _, state in ipairs(STATES) do row[#row + 1] = s:n_trials{state = state} end
    row[#row + 1] = best and text.short(best.value) or "-"
    row[#row + 1] = best and best.number or "-"
    rows[#rows + 1] = row
  end
  if #rows == 0 then say("(no studies)") return end
  local header = {"name", "direction", "trials"}
  for _, state in ipairs(STATES) do header[#header + 1] = state end
  header[#header + 1] = "best"
  header[#header + 1] = "best trial"
  say(text.table(header, rows))
end

function commands.show(st)
  local s = load(st, args.name)
  local counts = {}
  for _, state in ipairs(STATES) do
    local n = s:n_trials{state = state}
    if n > 0 then counts[#counts + 1] = n .. " " .. state end
  end
  local n = s:n_trials()
  say(("study %s (%s), %d trial%s%s"):format(s.name, s.direction, n, n == 1 and "" or "s",
    #counts > 0 and (": " .. table.concat(counts, ", ")) or ""))
  local best = s:best()
  if not best then say("no complete trial yet") return end
  say(("best trial #%d: value %s"):format(best.number, text.exact(best.value)))
  local p = {}
  for i, name in ipairs(best.param_order) do p[i] = {"  " .. name, text.exact(best.params[name])} end
  if #p > 0 then say(text.table(2, p)) end
  -- the top trials, one column per parameter (in order of first suggestion)
  local top = s:top(args.top)
  local names, seen = {}, {}
  for _, r in ipairs(top) do
    for _, name in ipairs(r.param_order) do
      if not seen[name] then seen[name], names[#names + 1] = true, name end
    end
  end
  local header = {"rank", "trial", "value"}
  for _, name in ipairs(names) do header[#header + 1] = name end
  local rows = {}
  for i, r in ipairs(top) do
    local row = {i, r.number, text.short(r.value)}
    for _, name in ipairs(names) do row[#row + 1] = r.params[name] == nil and "-" or text.short(r.params[name]) end
    rows[i] = row
  end
  say(("top %d of %d complete trials:"):format(#top, s:n_trials{state = "complete"}))
  say(text.table(header, rows))
end

local ok, err = pcall(function()
  local st = require("knob.storage").open(text.existing(args.storage), "knob studies")
  local done, e = pcall(commands[args.command], st)
  st:close()
  if not done then error(e, 0) end
end)
if #out > 0 then io.stdout:write(table.concat(out, "\n"), "\n") end
if not ok then fail((tostring(err):gsub("^knob%.study%.load: ", ""))) end
