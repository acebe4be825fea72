-- Decide what a failed attempt leads to: another attempt (now or after the
-- job's retry interval) or the failed registry. Returns 2 when retried, 1 when failed.
--- @include push_ready
--- @include terminal
--- @include dependents
--- @include fields

local function retry_or_fail(prefix, id, now, err, reason, q)
  local jk = prefix .. 'job:' .. id
  local attempts = tonumber(redis.call('HGET', jk, 'attempts') or '0') or 0
  local max_attempts = tonumber(redis.call('HGET', jk, 'max_attempts') or '1') or 1
  if max_attempts == math.huge then max_attempts = 1 end  -- garbage: never retry forever
  if attempts < max_attempts then
    local delay = 0
    local intervals = decode_array(redis.call('HGET', jk, 'retry_intervals'))
    if #intervals > 0 then
      delay = tonumber(intervals[math.min(attempts, #intervals)]) or 0
    end
    redis.call('HSET', jk, 'error', err, 'reason', reason)
    if delay > 0 then
      redis.call('HSET', jk, 'status', 'scheduled')
      redis.call('ZADD', q.scheduled, now + math.floor(delay * 1000), id)
    else
      redis.call('HSET', jk, 'status', 'queued', 'enqueued', now)
      push_ready(q.queued, q.wake, id, false)
    end
    return 2
  end
  make_terminal(prefix, id, 'failed', q.failed, now, { 'error', err, 'reason', reason })
  settle_dependents(prefix, id, false, now, q)
  return 1
end
