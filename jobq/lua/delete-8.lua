--[[ delete: remove a job from every registry and delete its data; jobs that
waited on it are canceled (unless they allow failed dependencies), and callers
blocked in Job.wait() on it are woken (they then find no job).
KEYS[1] queued  KEYS[2] scheduled  KEYS[3] deferred  KEYS[4] started  KEYS[5] finished
KEYS[6] failed  KEYS[7] canceled  KEYS[8] wake
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] now (ms)
Returns 1 deleted, -3 no such job
]]
--- @include dependents
--- @include fields
--- @include flow
--- @include checks

check_keys({ 'list', 'zset', 'zset', 'zset', 'zset', 'zset', 'zset', 'list' })

local prefix, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local q = { queued = KEYS[1], scheduled = KEYS[2], deferred = KEYS[3], started = KEYS[4],
            finished = KEYS[5], failed = KEYS[6], canceled = KEYS[7], wake = KEYS[8] }
local jk = prefix .. 'job:' .. id
local st = redis.pcall('HGET', jk, 'status')
if type(st) ~= 'string' then return -3 end  -- no job (or garbage at its key)
if st == 'queued' then redis.call('LREM', q.queued, 0, id) end
for _, key in ipairs({ q.scheduled, q.deferred, q.started, q.finished, q.failed, q.canceled }) do
  redis.call('ZREM', key, id)
end
for _, dep in ipairs(decode_array(redis.call('HGET', jk, 'deps'))) do
  if type(dep) == 'string' then
    redis.pcall('SREM', prefix .. 'dependents:' .. dep, id)  -- garbage there: nothing to undo
  end
end
flow_done(prefix, id, redis.call('HMGET', jk, unpack(FLOW_FIELDS)))
redis.call('DEL', prefix .. 'notify:' .. id)
notify_waiters(prefix, id, jk)
redis.call('DEL', jk)
settle_dependents(prefix, id, st == 'finished', now, q)
return 1
