-- Put job ids where workers take them, and leave one wake-up token for idle workers.

local function wake_workers(wake)
  if redis.call('LLEN', wake) == 0 then
    redis.call('RPUSH', wake, '1')
  end
end

local function push_ready(queued, wake, id, front)
  if front then
    redis.call('LPUSH', queued, id)
  else
    redis.call('RPUSH', queued, id)
  end
  wake_workers(wake)
end
