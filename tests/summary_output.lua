-- tests/summary_output.lua — busted output handler: the plain terminal output, then one last line
-- "tests: N passed, N failed[, N skipped]" (errors count as failures).
return function(options)
  local busted = require "busted"
  local handler = require "busted.outputHandlers.plainTerminal"(options)
  busted.subscribe({"suite", "end"}, function()
    local failed = handler.failuresCount + handler.errorsCount
    local line = string.format("tests: %d passed, %d failed", handler.successesCount, failed)
    if handler.pendingsCount > 0 then line = line .. string.format(", %d skipped", handler.pendingsCount) end
    io.write(line, "\n")
    io.flush()
    return nil, true
  end)
  return handler
end
