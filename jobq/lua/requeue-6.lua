--[[ requeue: run an ended job (failed, canceled, stopped, finished, or a schedule's
skipped run) again, with its attempts reset and its start and end times cleared (it has
not run since).
KEYS[1] queued  KEYS[2] failed  KEYS[3] canceled  KEYS[4] finished  KEYS[5] wake
KEYS[6] scheduled
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] now (ms)  ARGV[4] at_front (1/0)
Returns 1 requeued, -3 no such job, -4 the job has not ended (nothing changed)
]]
--- @include push_ready
--- @include checks

check_keys({ 'list', 'zset', 'zset', 'zset', 'list', 'zset' })

local prefix, id, now = ARGV[1], ARGV[2], ARGV[3]
local jk = prefix .. 'job:' .. id
local st = redis.pcall('HGET', jk, 'status')
if type(st) ~= 'string' then return -3 end  -- no job (or garbage at its key)
if st ~= 'failed' and st ~= 'canceled' and st ~= 'stopped' and st ~= 'finished'
    and st ~= 'skipped' then
  return -4
end
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('PERSIST', jk)
redis.call('HSET', jk, 'status', 'queued', 'attempts', 0, 'lost', 0, 'enqueued', now)
redis.call('HDEL', jk, 'started', 'ended', 'result', 'waiters')
push_ready(KEYS[1], KEYS[5], id, ARGV[4] == '1')
return 1
