-- knob.registry.sha256 — SHA-256 (FIPS 180-4) of a string, as 64 lowercase hex digits.
--
--   require("knob.registry.sha256")(text) -> "e3b0c442..."
--
-- Pure Lua 5.4 (64-bit integers, masked to 32 bits). The registry uses it for the checksum of a stored
-- model, so `sha256sum` of a model file saved with model:save gives the same digest.
local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local M32 = 0xffffffff

-- A rotation right of a 32-bit x by n is ((x | x << 32) >> n) & M32: the doubled word is built once and
-- shifted three times for each sigma (no function calls in the inner loop).
return function(text)
  if type(text) ~= "string" then error("sha256: expected a string (got " .. type(text) .. ")", 2) end
  local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
  local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  local len = #text
  -- padding: 0x80, zeros to 56 mod 64, the bit length as a 64-bit big-endian integer
  local padded = text .. "\128" .. ("\0"):rep((55 - len) % 64) .. string.pack(">I8", len * 8)
  local w, unpack, k = {}, string.unpack, K
  for pos = 1, #padded, 64 do
    w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16] =
      unpack(">I4I4I4I4I4I4I4I4I4I4I4I4I4I4I4I4", padded, pos)
    for i = 17, 64 do
      local a, b = w[i - 15], w[i - 2]
      local aa, bb = a | (a << 32), b | (b << 32)
      local s0 = ((aa >> 7) ~ (aa >> 18) ~ (a >> 3)) & M32
      local s1 = ((bb >> 17) ~ (bb >> 19) ~ (b >> 10)) & M32
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & M32
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for i = 1, 64 do
      local ee, aa = e | (e << 32), a | (a << 32)
      local t1 = (h + (((ee >> 6) ~ (ee >> 11) ~ (ee >> 25)) & M32) + ((e & f) ~ (~e & g)) + k[i] + w[i]) & M32
      local t2 = (((aa >> 2) ~ (aa >> 13) ~ (aa >> 22)) & M32) + ((a & b) ~ (a & c) ~ (b & c))
      h, g, f, e, d, c, b, a = g, f, e, (d + t1) & M32, c, b, a, (t1 + t2) & M32
    end
    h0, h1, h2, h3 = (h0 + a) & M32, (h1 + b) & M32, (h2 + c) & M32, (h3 + d) & M32
    h4, h5, h6, h7 = (h4 + e) & M32, (h5 + f) & M32, (h6 + g) & M32, (h7 + h) & M32
  end
  return ("%08x%08x%08x%08x%08x%08x%08x%08x"):format(h0, h1, h2, h3, h4, h5, h6, h7)
end
