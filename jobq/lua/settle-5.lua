--[[ settle: settle the dependents of an ended job (rq's Queue.enqueue_dependents).
The steps that end a job settle them themselves; this one is for a job ended by
set_status, whose dependents wait until it is called. A finished job releases its
dependents (queued, or scheduled when due later); a failed or canceled one cancels
those that do not allow failed dependencies, as its own end would have. A stopped job
keeps them waiting, as the stop step does: requeued and finished, it releases them.
KEYS[1] queued  KEYS[2] wake  KEYS[3] deferred  KEYS[4] canceled  KEYS[5] scheduled
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] now (ms)
Returns 1 settled, 0 the job has not ended, or was stopped (its dependents keep
waiting), -3 no such job
]]
--- @include dependents
--- @include checks

check_keys({ 'list', 'list', 'zset', 'zset', 'zset' })

local prefix, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if not now then fail_step('ERR jobq: settle needs a time in ms, not ' .. tostring(ARGV[3])) end
local st = redis.pcall('HGET', prefix .. 'job:' .. id, 'status')
if type(st) ~= 'string' then return -3 end  -- no job (or garbage at its key)
if st ~= 'finished' and st ~= 'failed' and st ~= 'canceled' then
  return 0
end
local q = { queued = KEYS[1], wake = KEYS[2], deferred = KEYS[3], canceled = KEYS[4],
            scheduled = KEYS[5] }
settle_dependents(prefix, id, st == 'finished', now, q)
return 1
