-- knob.json: exact numbers, sorted keys, strict decoding with errors naming the byte.
local json = require "knob.json"

describe("knob.json", function()
  it("encodes tables with sorted keys and exact numbers (texts written by hand)", function()
    assert.equals('{"a":1,"b":[true,false,"x"],"c":0.1}', json.encode{c = 0.1, a = 1, b = {true, false, "x"}})
    assert.equals("2.0", json.encode(2.0))
    assert.equals("2", json.encode(2))
    assert.equals("0.30000000000000004", json.encode(0.1 + 0.2))
    assert.equals("{}", json.encode{})
    assert.equals('"a\\"b\\\\c\\n\\u0001"', json.encode('a"b\\c\n\1'))
    assert.equals("[NaN,Infinity,-Infinity]", json.encode{0 / 0, math.huge, -math.huge})
    assert.equals("[null,null]", json.encode({0 / 0, math.huge}, {nonfinite = "null"}))
    assert.equals('[null,"Infinity","-Infinity"]', json.encode({0 / 0, math.huge, -math.huge}, {nonfinite = "string"}))
    assert.equals('{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}', json.encode({a = {1, 2}, b = {}}, {indent = 2}))
  end)

  it("reads back what it wrote, bit for bit and with the integer/float subtype", function()
    local v = {x = 1 / 3, n = 7, f = 7.0, big = 1e300, tiny = 5e-324, neg = -0.5, s = "é\t", l = {1, "2", {k = false}}}
    local back = json.decode(json.encode(v))
    assert.equals(1 / 3, back.x)
    assert.equals("integer", math.type(back.n))
    assert.equals("float", math.type(back.f))
    assert.equals(1e300, back.big)
    assert.equals(5e-324, back.tiny)
    assert.same(v, back)
    local nf = json.decode("[NaN,Infinity,-Infinity]")
    assert.is_true(nf[1] ~= nf[1])
    assert.equals(math.huge, nf[2])
    assert.equals(-math.huge, nf[3])
  end)

  it("decodes standard JSON as Python's json.dumps writes it", function()
    -- python3 -c 'import json; print(json.dumps({"a": [1, 2.5, None is None], "b": "\u00e9\n", "c": {}}))'
    local v = json.decode('{"a": [1, 2.5, true], "b": "\\u00e9\\n", "c": {}}')
    assert.same({a = {1, 2.5, true}, b = "é\n", c = {}}, v)
  end)

  it("rejects malformed text, naming the byte", function()
    local cases = {
      {"[1,", "bad JSON in f: unexpected end at byte 4"},
      {"[1,]", "bad JSON in f: unexpected ']' at byte 4"},
      {"{'a': 1}", "bad JSON in f: expected a key at byte 2"},
      {'{"a" 1}', "bad JSON in f: expected ':' at byte 6"},
      {'{"a":1 "b":2}', "bad JSON in f: expected ',' or '}' at byte 8"},
      {"1 2", "bad JSON in f: trailing characters at byte 3"},
      {'"abc', "bad JSON in f: unterminated string at byte 5"},
      {'"a\nb"', "bad JSON in f: control character in a string at byte 3"},
      {"[1,null]", "bad JSON in f: null inside an array at byte 4"},
      {"// c\n1", "bad JSON in f: unexpected '/' at byte 1"},
      {"", "bad JSON in f: unexpected end at byte 1"},
    }
    for _, c in ipairs(cases) do
      assert.has_error(function() json.decode(c[1], "in f") end, c[2])
    end
    assert.has_error(function() json.decode(nil) end, "bad JSON: expected a text (got nil)")
  end)

  it("refuses values JSON cannot hold, naming where", function()
    assert.has_error(function() json.encode{a = {b = print}} end, "knob.json: cannot encode a function value at .a.b")
    assert.has_error(function() json.encode{[2.5] = 1} end, "knob.json: object keys must be strings (got number 2.5)")
    local t = {}
    t.self = t
    assert.has_error(function() json.encode(t) end, "knob.json: a table contains itself at .self")
    assert.has_error(function() json.encode(1, {indnt = 2}) end, "knob.json: unknown option 'indnt' (valid: indent, nonfinite)")
    assert.has_error(function() json.encode(1, {nonfinite = "zero"}) end,
      'knob.json: option \'nonfinite\' must be "token", "null" or "string" (got zero)')
  end)
end)
