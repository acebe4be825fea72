-- Terminal states: wake the waiters of a job, file it in its registry with its TTL.

local function notify_waiters(prefix, id, jk)
  local w = tonumber(redis.call('HGET', jk, 'waiters') or '0') or 0
  if w > 0 then
    local nk = prefix .. 'notify:' .. id
    for _ = 1, w do
      redis.call('RPUSH', nk, '1')
    end
    redis.call('PEXPIRE', nk, 60000)
    redis.call('HDEL', jk, 'waiters')
  end
end

-- status: finished | failed | canceled; the TTL field is result_ttl for finished,
-- failure_ttl otherwise (seconds; -1 keeps forever, 0 deletes at once).
local function make_terminal(prefix, id, status, registry, now, extra)
  local jk = prefix .. 'job:' .. id
  local ttl_field = 'failure_ttl'
  if status == 'finished' then ttl_field = 'result_ttl' end
  local ttl = tonumber(redis.call('HGET', jk, ttl_field) or '-1') or -1
  redis.call('HSET', jk, 'status', status, 'ended', now, unpack(extra))
  notify_waiters(prefix, id, jk)
  if ttl == 0 then
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
