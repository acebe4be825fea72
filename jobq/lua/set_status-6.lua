--[[ set_status: end a job that has not ended by marking it finished, failed or
canceled (rq's job.set_status), without running it. It leaves every waiting
registry and is filed in the registry of its new status with that status's TTL;
callers blocked in Job.wait() on it are woken. Its dependents are not settled here:
rq settles them in a step of their own (Queue.enqueue_dependents, settle-5.lua).
A running job is refused: it ends through its worker (or cancel).
KEYS[1] queued  KEYS[2] scheduled  KEYS[3] deferred  KEYS[4] finished  KEYS[5] failed
KEYS[6] canceled
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] status (finished | failed | canceled)
ARGV[4] now (ms)
Returns 1 set, -3 no such job, -4 the job runs or already ended (nothing changed)
]]
--- @include terminal
--- @include checks

check_keys({ 'list', 'zset', 'zset', 'zset', 'zset', 'zset' })

local prefix, id, status, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local registry = ({ finished = KEYS[4], failed = KEYS[5], canceled = KEYS[6] })[status]
if not registry then
  fail_step('ERR jobq: set_status takes finished, failed or canceled, not ' .. tostring(status))
end
if not now then fail_step('ERR jobq: set_status needs a time in ms, not ' .. tostring(ARGV[4])) end
local jk = prefix .. 'job:' .. id
local st = redis.pcall('HGET', jk, 'status')
if type(st) ~= 'string' then return -3 end  -- no job (or garbage at its key)
if st ~= 'created' and st ~= 'queued' and st ~= 'scheduled' and st ~= 'deferred' then
  return -4
end
redis.call('LREM', KEYS[1], 0, id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
local extra = {}
if status ~= 'finished' then extra = { 'reason', 'status set to ' .. status } end
make_terminal(prefix, id, status, registry, now, extra)
return 1
