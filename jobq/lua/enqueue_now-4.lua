--[[ enqueue_now: queue a scheduled or deferred job at once, without waiting for
its due time or its dependencies (the admin's "enqueue now").
KEYS[1] scheduled  KEYS[2] deferred  KEYS[3] queued  KEYS[4] wake
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] now (ms)
Returns 1 queued, -3 no such job, -4 the job is neither scheduled nor deferred (nothing changed)
]]
--- @include push_ready
--- @include checks

check_keys({ 'zset', 'zset', 'list', 'list' })

local prefix, id, now = ARGV[1], ARGV[2], ARGV[3]
local jk = prefix .. 'job:' .. id
local st = redis.pcall('HGET', jk, 'status')
if type(st) ~= 'string' then return -3 end  -- no job (or garbage at its key)
if st ~= 'scheduled' and st ~= 'deferred' then return -4 end
redis.call('ZREM', KEYS[1], id)
redis.call('ZREM', KEYS[2], id)
-- a dependency that ends later finds the job no longer deferred and leaves it alone
redis.call('HSET', jk, 'status', 'queued', 'enqueued', now)
push_ready(KEYS[3], KEYS[4], id, false)
return 1
