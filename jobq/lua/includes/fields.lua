-- Job fields are data: a hash edited by hand may hold garbage. The counters the
-- scripts keep and the lists they decode are read so that garbage never raises a
-- Lua error half-way through a step, which would leave the step half done (an id
-- popped from the queue but never leased is a lost job).

-- The largest counter a job keeps (attempts, lost); past it a value is garbage.
local MAX_COUNT = 1000000000

-- Attempts a job may have at most (Retry(max) < this); a larger max_attempts is garbage.
local MAX_ATTEMPTS = 100000
-- Seconds a retry may wait at most (about 30 years); a longer interval is garbage.
local MAX_RETRY_DELAY = 1e9

-- HINCRBY that resets a field holding no integer to `by`; returns the new value.
local function hincr(key, field, by)
  local n = redis.pcall('HINCRBY', key, field, by)
  if type(n) ~= 'number' or n > MAX_COUNT or n < -MAX_COUNT then
    n = by
    redis.call('HSET', key, field, n)
  end
  return n
end

-- A whole number in [lo, hi] read from a hash field, else `default` (missing, not
-- decimal digits, nan, inf, a fraction, out of bounds: garbage never drives a loop or a retry).
local function int_field(raw, lo, hi, default)
  -- text must be decimal digits (tonumber would take '0x10', ' 7', '1e3')
  if type(raw) == 'string' and not raw:match('^%-?%d+$') then return default end
  local n = tonumber(raw)
  if not n or n ~= n or n < lo or n > hi or n ~= math.floor(n) then return default end
  return n
end

-- A counter field's value read from a hash: a whole number in [0, MAX_COUNT], else 0.
local function count_or_zero(raw)
  return int_field(raw, 0, MAX_COUNT, 0)
end

-- The JSON array in `raw` as a Lua table; {} when missing or not a JSON array.
local function decode_array(raw)
  if not raw then return {} end
  local ok, value = pcall(cjson.decode, raw)
  if not ok or type(value) ~= 'table' then return {} end
  return value
end
