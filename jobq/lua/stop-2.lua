--[[ stop: end a running job at once (rq's stop command). It is filed in `failed`
with status "stopped" (as rq files it) and its waiters are woken; its dependents
stay deferred, as behind a job that has not ended well: requeueing it lets them
run once it finishes. The worker that ran it finds its lease gone (its result is
dropped); the caller then tells that worker (jobq.command) to end the run and call
the job's on_stopped.
KEYS[1] started  KEYS[2] failed
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] now (ms)
Returns the name of the worker that ran the job; -3 no such job, -4 the job is not
running (nothing changed)
]]
--- @include terminal
--- @include checks

check_keys({ 'zset', 'zset' })

local prefix, id = ARGV[1], ARGV[2]
local now = arg_int(ARGV[3], 'now', 0, 1e15)
local jk = prefix .. 'job:' .. id
local f = redis.pcall('HMGET', jk, 'status', 'worker')
if f.err or not f[1] then return -3 end  -- no job (or garbage at its key)
if f[1] ~= 'started' or not redis.call('ZSCORE', KEYS[1], id) then return -4 end
local worker = f[2] or ''
redis.call('ZREM', KEYS[1], id)
make_terminal(prefix, id, 'stopped', KEYS[2], now,
  { 'reason', 'stopped', 'error', 'stopped by a command while it ran on ' .. worker })
return worker
