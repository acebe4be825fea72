-- Job fields are data: a hash edited by hand may hold garbage. The counters the
-- scripts keep and the lists they decode are read so that garbage never raises a
-- Lua error half-way through a step, which would leave the step half done (an id
-- popped from the queue but never leased is a lost job).

-- HINCRBY that resets a field holding no integer to `by`; returns the new value.
local function hincr(key, field, by)
  local n = redis.pcall('HINCRBY', key, field, by)
  if type(n) ~= 'number' then
    n = by
    redis.call('HSET', key, field, n)
  end
  return n
end

-- A counter field's value read from a hash: a whole number >= 0, else 0.
local function count_or_zero(raw)
  local n = tonumber(raw)
  if not n or n < 0 or n ~= math.floor(n) then return 0 end
  return n
end

-- The JSON array in `raw` as a Lua table; {} when missing or not a JSON array.
local function decode_array(raw)
  if not raw then return {} end
  local ok, value = pcall(cjson.decode, raw)
  if not ok or type(value) ~= 'table' then return {} end
  return value
end
