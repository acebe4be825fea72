--[[ unschedule: delete a schedule and cancel its runs that have not started yet.
KEYS[1] schedules (hash)  KEYS[2] schedule-due (zset)  KEYS[3] queued  KEYS[4] scheduled
KEYS[5] deferred  KEYS[6] canceled  KEYS[7] wake
ARGV[1] key prefix of the queue. Derived keys: the template prefix..'schedule-job:'..id,
        the pending runs prefix..'schedule-runs:'..id, each run prefix..'job:'..run id,
        the record of an ended schedule prefix..'schedule-ended:'..id
ARGV[2] schedule id  ARGV[3] now (ms)
Returns the number of runs canceled (>= 0), or -3 when neither the schedule, nor
its ended record, nor runs of it are known
]]
--- @include dependents
--- @include checks

check_keys({ 'hash', 'zset', 'list', 'zset', 'zset', 'zset', 'list' })
check_key(ARGV[1] .. 'schedule-runs:' .. ARGV[2], 'zset')

local prefix, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local q = { queued = KEYS[3], scheduled = KEYS[4], deferred = KEYS[5], canceled = KEYS[6],
            wake = KEYS[7] }
local existed = redis.call('HDEL', KEYS[1], id)
  + redis.call('DEL', prefix .. 'schedule-ended:' .. id)
redis.call('ZREM', KEYS[2], id)
redis.call('DEL', prefix .. 'schedule-job:' .. id)
local rk = prefix .. 'schedule-runs:' .. id
local runs = redis.call('ZRANGE', rk, 0, -1)
redis.call('DEL', rk)
if existed == 0 and #runs == 0 then
  return -3
end
local canceled = 0
for _, run in ipairs(runs) do
  local st = redis.pcall('HGET', prefix .. 'job:' .. run, 'status')  -- garbage: left alone
  if st == 'queued' or st == 'scheduled' then
    redis.call('LREM', q.queued, 0, run)
    redis.call('ZREM', q.scheduled, run)
    make_terminal(prefix, run, 'canceled', q.canceled, now, { 'reason', 'schedule canceled' })
    settle_dependents(prefix, run, false, now, q)
    canceled = canceled + 1
  end
end
return canceled
