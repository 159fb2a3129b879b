-- tests/pg_helper.lua — a PostgreSQL server for the specs (`local pg = require "pg_helper"`).
--
--   pg.url() -> url | nil, reason   $KNOB_TEST_PG when set (a server someone else started), otherwise a server
--                                   started by tests/pg_server.sh on loopback; KNOB_TEST_PG=none: no server
--   pg.guard(it, pending) -> url | nil   in a describe block (pass busted's it and pending): the url, or nil
--                                   after marking the block pending with
--                                   the reason -- or failing it when KNOB_TEST_PG_REQUIRED=1
--   pg.stop()                       stop the server started here (teardown of each spec file using it)
local helpers = require "helpers"

local M = {}
local url, reason, dir

-- Stop the server this process started (call it in the spec file's teardown); the next url() starts anew.
local function stop()
  if dir then
    helpers.run("tests/pg_server.sh stop " .. dir)
    url, reason = nil, nil
  end
  dir = nil
end

function M.url()
  if url or reason then return url, reason end
  url = os.getenv("KNOB_TEST_PG")
  if url == "none" then
    url, reason = nil, "no PostgreSQL server for the tests (KNOB_TEST_PG=none)"
    return nil, reason
  end
  if url and url ~= "" then return url end
  url = nil
  dir = os.tmpname()
  os.remove(dir)
  local out, code = helpers.run("tests/pg_server.sh start " .. dir)
  if code ~= 0 then
    reason = "no PostgreSQL server for the tests (tests/pg_server.sh: " .. out:gsub("%s+$", "") .. ")"
    stop()
    return nil, reason
  end
  url = out:match("(postgresql://%S+)%s*$")
  -- stop the server when the test process exits (a finalizer on a value kept until the end)
  M._anchor = setmetatable({}, {__gc = stop})
  return url
end

function M.guard(it, pending)
  local u, why = M.url()
  if u then return u end
  if os.getenv("KNOB_TEST_PG_REQUIRED") == "1" then
    it("has a PostgreSQL server (KNOB_TEST_PG_REQUIRED=1)", function() error(why, 0) end)
  else
    pending(why)
  end
  return nil
end

M.stop = stop
return M
