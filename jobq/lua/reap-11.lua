--[[ reap: give back jobs whose lease expired (their worker died or hung).
Each goes back to the front of the queue, or to `failed` with reason
"worker died" once it has lost its worker max_lost times.
KEYS[1] started  KEYS[2] failed  KEYS[3] queued  KEYS[4] scheduled  KEYS[5] deferred
KEYS[6] canceled  KEYS[7] wake
KEYS[8] 10 s history bucket  KEYS[9] 1 min history bucket  KEYS[10] history totals
KEYS[11] functions the history tracks; KEYS[8..11] absent, or one of them of another
kind: no history recorded (with them, the step also samples the queue's depth)
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] batch limit  ARGV[4] max_lost
Ids in `started` that are no job ids (see valid_id) or whose key holds no job hash
(gone, or garbage) only leave `started`.
Returns { requeued ids, failed ids }: the hooks of the worker that reaped them
update what they recorded of the dead worker's jobs (Django's JobRecord)
]]
--- @include dependents
--- @include fields
--- @include flow
--- @include checks
--- @include history

check_keys({ 'zset', 'zset', 'list', 'zset', 'zset', 'zset', 'list' })

local prefix = ARGV[1]
local now = arg_int(ARGV[2], 'now', 0, 1e15)
local max_lost = arg_int(ARGV[4], 'max_lost', 1, 1e9)
arg_int(ARGV[3], 'batch limit', 1, 1e6)
local q = { started = KEYS[1], failed = KEYS[2], queued = KEYS[3], scheduled = KEYS[4],
            deferred = KEYS[5], canceled = KEYS[6], wake = KEYS[7] }
local h = history_open(8)
local ids = redis.call('ZRANGE', q.started, '-inf', now, 'BYSCORE', 'LIMIT', 0, ARGV[3])
local requeued, failed = {}, {}
for _, id in ipairs(ids) do
  local jk = prefix .. 'job:' .. id
  redis.call('ZREM', q.started, id)
  -- no job id, or a key holding no hash: garbage, no job; its id just leaves `started`
  if valid_id(id) and redis.call('TYPE', jk).ok == 'hash' then
    local lost = hincr(jk, 'lost', 1)
    local worker = redis.call('HGET', jk, 'worker') or '?'
    local func = redis.call('HGET', jk, 'func')
    history_add(h, 'reaped', func)
    if lost >= max_lost then
      make_terminal(prefix, id, 'failed', q.failed, now, { 'reason', 'worker died',
        'error', 'worker died: ' .. worker .. ' stopped renewing its lease ' .. lost .. ' time(s)' })
      settle_dependents(prefix, id, false, now, q)
      history_add(h, 'failed', func)
      failed[#failed + 1] = id
    else
      flow_pause(prefix, id, jk)
      redis.call('HSET', jk, 'status', 'queued', 'reason', 'worker died')
      push_ready(q.queued, q.wake, id, true)
      requeued[#requeued + 1] = id
    end
  end
end
history_write(h, q.queued)
return { requeued, failed }
