-- bench/bench_common.lua — what the side-by-side benchmarks share:
--   parse(arg, defaults) → opts, worker: the command line
--     --rows N --threads N --repeat N --rounds N   (integers overriding the defaults given)
--     --worker NAME                                (internal: run one side in its own process)
--   range(a, b) → {a, a+1, ..., b}
local M = {}

function M.parse(args, defaults)
  local opts, worker = defaults, nil
  local valid = {}
  for k in pairs(defaults) do valid[#valid + 1] = "--" .. k end
  table.sort(valid)
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--worker" then
      worker = args[i + 1]
    elseif a:match("^%-%-") and opts[a:sub(3)] then
      opts[a:sub(3)] = math.tointeger(tonumber(args[i + 1])) or error("bench: " .. a .. " needs an integer")
    else
      error("bench: unknown argument '" .. a .. "' (valid: " .. table.concat(valid, ", ") .. ")")
    end
    i = i + 2
  end
  return opts, worker
end

function M.range(a, b)
  local t = {}
  for i = a, b do t[#t + 1] = i end
  return t
end

return M
