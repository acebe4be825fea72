--[[ take: lease one named queued job to a worker (rq's Worker.prepare_execution:
the caller picked the job, not the queue's order).
KEYS[1] queued (list)  KEYS[2] started (zset, score = lease deadline ms)
KEYS[3] flow (hash: the queue's limits; a queue that has any is not served here)
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] now (ms)  ARGV[4] lease (ms)
ARGV[5] worker name
Returns 1 taken, 0 already held by this worker (its lease renewed), -3 no such job,
-4 the job is not queued (nothing changed), -5 the queue has flow control (its
limits are kept by dequeue alone; nothing changed)
Validated before the first write: the kinds of KEYS, the numbers, the job's status
and its place in `queued`.
]]
--- @include fields
--- @include checks

check_keys({ 'list', 'zset', 'hash' })

local prefix, id, worker = ARGV[1], ARGV[2], ARGV[5]
local now = arg_int(ARGV[3], 'now', 0, 1e15)
local lease = arg_int(ARGV[4], 'lease', 1, 1e12)
local jk = prefix .. 'job:' .. id
local f = redis.pcall('HMGET', jk, 'status', 'worker', 'attempts')
if f.err or not f[1] then return -3 end  -- no job (or garbage at its key)
if f[1] == 'started' and f[2] == worker and redis.call('ZSCORE', KEYS[2], id) then
  redis.call('ZADD', KEYS[2], now + lease, id)
  return 0
end
if f[1] ~= 'queued' or not redis.call('LPOS', KEYS[1], id) then return -4 end
if redis.call('EXISTS', KEYS[3]) == 1 then return -5 end
redis.call('LREM', KEYS[1], 1, id)
redis.call('HSET', jk, 'status', 'started', 'started', now, 'worker', worker,
  'attempts', count_or_zero(f[3]) + 1)
redis.call('PERSIST', jk)
redis.call('ZADD', KEYS[2], now + lease, id)
return 1
