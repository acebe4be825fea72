--[[ promote: move scheduled jobs that are due into the queue, oldest first.
KEYS[1] scheduled  KEYS[2] queued  KEYS[3] wake
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] batch limit
Ids whose key holds no job hash (gone, or garbage) only leave `scheduled`.
Returns the number of jobs queued
]]
--- @include push_ready
--- @include checks

check_keys({ 'zset', 'list', 'list' })
arg_int(ARGV[2], 'now', 0, 1e15)
arg_int(ARGV[3], 'batch limit', 1, 1e6)

local prefix, now = ARGV[1], ARGV[2]
local ids = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, ARGV[3])
local n = 0
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local jk = prefix .. 'job:' .. id
  -- a key holding no hash is garbage, no job: its id just leaves `scheduled`
  if redis.call('TYPE', jk).ok == 'hash' then
    redis.call('HSET', jk, 'status', 'queued', 'enqueued', now)
    push_ready(KEYS[2], KEYS[3], id, false)
    n = n + 1
  end
end
return n
