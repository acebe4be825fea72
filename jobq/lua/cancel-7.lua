--[[ cancel: stop a job from running (queued, scheduled, deferred or started);
its dependents are canceled unless they allow failed dependencies.
KEYS[1] queued  KEYS[2] scheduled  KEYS[3] deferred  KEYS[4] started  KEYS[5] canceled
KEYS[6] failed  KEYS[7] wake
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] now (ms)
Returns 1 canceled, -3 no such job, -4 the job already ended (nothing changed)
]]
--- @include dependents
--- @include checks

check_keys({ 'list', 'zset', 'zset', 'zset', 'zset', 'zset', 'list' })

local prefix, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local q = { queued = KEYS[1], scheduled = KEYS[2], deferred = KEYS[3], started = KEYS[4],
            canceled = KEYS[5], failed = KEYS[6], wake = KEYS[7] }
local jk = prefix .. 'job:' .. id
local st = redis.pcall('HGET', jk, 'status')
if type(st) ~= 'string' then return -3 end  -- no job (or garbage at its key)
if st == 'finished' or st == 'failed' or st == 'canceled' or st == 'stopped' then return -4 end
redis.call('LREM', q.queued, 0, id)
redis.call('ZREM', q.scheduled, id)
redis.call('ZREM', q.deferred, id)
redis.call('ZREM', q.started, id)
make_terminal(prefix, id, 'canceled', q.canceled, now, { 'reason', 'canceled' })
settle_dependents(prefix, id, false, now, q)
return 1
