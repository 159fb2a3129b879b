-- tests/storage_cases.lua — spec cases shared by the database backends' specs (storage_sqlite_spec.lua,
-- storage_pg_spec.lua): each takes a storage spec ("sqlite:path.db", "postgresql://...") and a fresh study
-- name, and runs its assertions. Expected values are hand-written inputs read back.
local knob = require "knob"
local assert = require "luassert"

local M = {}

-- A study with complete, pruned and failed trials, params of every kind, attributes and intermediate
-- values, read back through a new connection, then continued there.
function M.round_trip(storage, name)
  local s = knob.study{name = name, storage = storage, direction = "maximize",
                       sampler = knob.samplers.random{seed = 3}, pruner = knob.pruners.none()}
  s:set_user_attr("note", {tags = {"a", "b"}, n = 2})
  local t = s:ask()
  t:suggest_float("lr", 1e-4, 1, {log = true})
  t:suggest_int("depth", 1, 8)
  t:suggest_categorical("kind", {"gbdt", true, 3, 0.5})
  t:report(0, 0.25)
  t:report(1, math.huge)
  t:set_user_attr("folds", {0.5, 0.75})
  s:tell(t, 0.75)
  local t2 = s:ask()
  t2:suggest_float("x", 0, 1, {step = 0.25})
  t2:report(0, 0 / 0)
  s:tell(t2, "pruned")
  local t3 = s:ask()
  s:tell(t3, "failed", "it's \"bad\"\n")
  local before = s:trials()
  s.storage:close()

  local l = knob.study.load{name = name, storage = storage}
  assert.equals("maximize", l.direction)
  assert.same({note = {tags = {"a", "b"}, n = 2}}, l:user_attrs())
  local after = l:trials()
  assert.equals(3, #after)
  for i = 1, 3 do
    for _, k in ipairs{"number", "state", "value", "params", "distributions", "param_order", "user_attrs",
                       "reason", "last_step"} do
      assert.same(before[i][k], after[i][k])
    end
  end
  local r = after[1]
  assert.equals("complete", r.state)
  assert.equals(0.75, r.value)
  assert.same({"lr", "depth", "kind"}, r.param_order)
  assert.equals("integer", math.type(r.params.depth))
  assert.equals("float", math.type(r.params.lr))
  assert.same({kind = "categorical", choices = {"gbdt", true, 3, 0.5}}, r.distributions.kind)
  assert.same({0.25, math.huge}, {r.intermediate[0], r.intermediate[1]})
  assert.same({0.5, 0.75}, r.user_attrs.folds)
  assert.equals("pruned", after[2].state)
  assert.is_true(after[2].intermediate[0] ~= after[2].intermediate[0]) -- NaN kept
  assert.equals("failed", after[3].state)
  assert.equals("it's \"bad\"\n", after[3].reason)
  -- the study goes on in the reloaded storage
  l:optimize(function(tr) return tr:suggest_float("x", 0, 1) end, {n_trials = 3})
  local numbers = {}
  for i, x in ipairs(l:trials()) do numbers[i] = x.number end
  assert.same({0, 1, 2, 3, 4, 5}, numbers)
  l.storage:close()
end

-- Study, parameter and attribute names holding quotes and SQL are stored as they are.
function M.quoted_names(storage, name)
  local s = knob.study{name = name, storage = storage, sampler = knob.samplers.random{seed = 1}}
  s:optimize(function(t)
    t:set_user_attr("'; DELETE FROM trials; --", "\"quoted\"")
    return t:suggest_float("a'\"b", 0, 1)
  end, {n_trials = 2})
  s.storage:close()
  local l = knob.study.load{name = name, storage = storage}
  assert.equals(name, l.name)
  local tr = l:trials()
  assert.equals(2, #tr)
  assert.same({"a'\"b"}, tr[1].param_order)
  assert.equals("\"quoted\"", tr[2].user_attrs["'; DELETE FROM trials; --"])
  l.storage:close()
end

return M
