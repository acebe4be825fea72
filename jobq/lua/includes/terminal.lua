-- Terminal states: wake the waiters of a job, file it in its registry with its TTL.
--- @include defaults
--- @include checks
--- @include flow

local MAX_WAKE = 10000
-- a TTL in seconds past this (centuries, inf) keeps the job forever
local MAX_TTL = 1e10
-- how long a wake-up token waits for its waiter's next BLPOP
local NOTIFY_MS = 60000

-- waiters: the job's waiters field if the caller read it already, else nil
local function notify_waiters(prefix, id, jk, waiters)
  if waiters == nil then
    waiters = redis.pcall('HGET', jk, 'waiters')
    if type(waiters) == 'table' then waiters = nil end  -- no hash at jk: no waiters
  end
  -- at most MAX_WAKE: a count no client made (garbage, 1e309, nan) must not loop forever
  local w = math.min(tonumber(waiters or '0') or 0, MAX_WAKE)
  if w > 0 then
    local nk = prefix .. 'notify:' .. id
    if not kind_ok(nk, 'list') then redis.call('DEL', nk) end  -- garbage: replaced
    for _ = 1, w do
      redis.call('RPUSH', nk, '1')
    end
    redis.call('PEXPIRE', nk, NOTIFY_MS)
    redis.call('HDEL', jk, 'waiters')
    return true
  end
  return false
end

-- status: finished | failed | canceled; the TTL field is result_ttl for finished,
-- failure_ttl otherwise (seconds; -1 keeps forever, 0 deletes at once; a job
-- without the field has the default).
-- known: { ttl = raw TTL field or false, waiters = raw waiters field or false,
-- flow = the values of FLOW_FIELDS, or nil for a job without the 'flow' mark } when the
-- caller already read them (HMGET), else nil.
local function make_terminal(prefix, id, status, registry, now, extra, known)
  local jk = prefix .. 'job:' .. id
  local ttl_field, ttl = 'failure_ttl', DEFAULT_FAILURE_TTL
  if status == 'finished' then ttl_field, ttl = 'result_ttl', DEFAULT_RESULT_TTL end
  local raw_ttl, waiters, flow
  if known then
    raw_ttl, waiters, flow = known.ttl, known.waiters, known.flow
  else
    local r = redis.call('HMGET', jk, ttl_field, unpack(FLOW_FIELDS))
    raw_ttl = r[1]
    if r[2] or r[3] or r[4] or r[5] then flow = { r[2], r[3], r[4], r[5] } end
  end
  if flow then flow_done(prefix, id, flow) end
  local default_ttl = ttl
  ttl = tonumber(raw_ttl or ttl) or ttl
  if ttl ~= ttl then  -- nan: garbage, the default
    ttl = default_ttl
  elseif ttl > MAX_TTL then
    ttl = -1
  end
  redis.call('HSET', jk, 'status', status, 'ended', now, unpack(extra))
  local woken = notify_waiters(prefix, id, jk, waiters)
  if ttl == 0 and woken then
    -- not kept, but a caller blocked in wait() reads the outcome: it lives as long
    -- as the token that wakes that caller, outside every registry
    redis.call('PEXPIRE', jk, NOTIFY_MS)
  elseif ttl == 0 then
    redis.call('DEL', jk)
  elseif ttl < 0 then
    redis.call('PERSIST', jk)
    redis.call('ZADD', registry, '+inf', id)
  else
    local ms = math.floor(ttl * 1000)
    redis.call('PEXPIRE', jk, ms)
    redis.call('ZADD', registry, now + ms, id)
  end
end
