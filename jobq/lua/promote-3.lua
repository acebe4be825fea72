--[[ promote: move scheduled jobs that are due into the queue, oldest first.
KEYS[1] scheduled  KEYS[2] queued  KEYS[3] wake
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] batch limit
Returns the number of jobs queued
]]
--- @include push_ready

local prefix, now = ARGV[1], ARGV[2]
local ids = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, ARGV[3])
local n = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local jk = prefix .. 'job:' .. id
  if redis.call('EXISTS', jk) == 1 then
    redis.call('HSET', jk, 'status', 'queued', 'enqueued', now)
    push_ready(KEYS[2], KEYS[3], id, false)
    n = n + 1
  end
end
return n
