-- Decide what a failed attempt leads to: another attempt (now or after the
-- job's retry interval) or the failed registry. Returns 2 when retried, 1 when failed.
--- @include push_ready
--- @include terminal
--- @include dependents
--- @include fields
--- @include flow

-- Put a job that just ran back: queued now (at the head with `front`), or scheduled
-- `delay` seconds ahead.
local function retry_later(prefix, id, jk, now, delay, front, q)
  flow_pause(prefix, id, jk)
  if delay > 0 then
    redis.call('HSET', jk, 'status', 'scheduled')
    redis.call('ZADD', q.scheduled, now + math.floor(delay * 1000), id)
  else
    redis.call('HSET', jk, 'status', 'queued', 'enqueued', now)
    push_ready(q.queued, q.wake, id, front)
  end
end

local function retry_or_fail(prefix, id, now, err, reason, q)
  local jk = prefix .. 'job:' .. id
  -- garbage (1e308, nan, -1, 2.5) is no retry: never retry forever
  local attempts = count_or_zero(redis.call('HGET', jk, 'attempts'))
  local max_attempts = int_field(redis.call('HGET', jk, 'max_attempts'), 1, MAX_ATTEMPTS, 1)
  if attempts < max_attempts then
    local delay = 0
    local intervals = decode_array(redis.call('HGET', jk, 'retry_intervals'))
    if #intervals > 0 then
      -- seconds, finite, at most MAX_RETRY_DELAY; anything else: at once
      delay = tonumber(intervals[math.max(1, math.min(attempts, #intervals))]) or 0
      if delay ~= delay or delay < 0 or delay > MAX_RETRY_DELAY then delay = 0 end
    end
    redis.call('HSET', jk, 'error', err, 'reason', reason)
    retry_later(prefix, id, jk, now, delay, redis.call('HGET', jk, 'retry_front') == '1', q)
    return 2
  end
  make_terminal(prefix, id, 'failed', q.failed, now, { 'error', err, 'reason', reason })
  settle_dependents(prefix, id, false, now, q)
  return 1
end
