-- Put a job id where workers take it, and leave one wake-up token for idle workers.
local function push_ready(queued, wake, id, front)
  if front then
    redis.call('LPUSH', queued, id)
  else
    redis.call('RPUSH', queued, id)
  end
  if redis.call('LLEN', wake) == 0 then
    redis.call('RPUSH', wake, '1')
  end
end
