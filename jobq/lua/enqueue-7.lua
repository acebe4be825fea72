--[[ enqueue: store a new job and put it where it belongs.
KEYS[1] queued (list)    KEYS[2] scheduled (zset)  KEYS[3] deferred (zset)
KEYS[4] wake (list)      KEYS[5] finished (zset)   KEYS[6] failed (zset)
KEYS[7] canceled (zset)
ARGV[1] key prefix of the queue; job keys are prefix..'job:'..id,
        dependents sets prefix..'dependents:'..id
ARGV[2] job id          ARGV[3] now (ms)          ARGV[4] due time (ms, 0 = now)
ARGV[5] flags: 1 at front; 2 the id is new and random (made by the caller for this
        job), so a job holding it can only be this same enqueue, sent again after a
        lost reply (redis-py resends): nothing is written, its placement is answered;
        4 the fields hold flow-control options (pri, ukey, uuntil, ckey, climit; see
        includes/flow.lua for the keys derived from the prefix)
ARGV[6] ttl (ms, 0 = none)
ARGV[7] number N of dependency ids, ARGV[8 .. 7+N] the ids
ARGV[8+N ..] field, value pairs of the job hash
The job's 'created' field is set to now here, the one clock of the job's times.
A deferred job with a due time ahead keeps it in its 'due' field: the step that
settles its last dependency schedules it then instead of queueing it.
Returns 1 queued, 2 scheduled, 3 deferred, 4 canceled (a dependency failed),
        -1 a live job with this id exists (nothing written), or the id of the live
        job holding the job's unique key 'ukey' (nothing written)
]]
--- @include push_ready
--- @include claim_id
--- @include terminal
--- @include checks
--- @include flow

local prefix, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local due, flags = arg_int(ARGV[4], 'due', 0, 1e15), arg_int(ARGV[5], 'flags', 0, 7)
local ttl = arg_int(ARGV[6], 'ttl', 0, 1e15)
local ndeps = arg_int(ARGV[7], 'number of dependencies', 0, #ARGV - 7)
now = arg_int(now, 'now', 0, 1e15)
local front = flags % 2 == 1
local first_field = 8 + ndeps
local q = { queued = KEYS[1], scheduled = KEYS[2], deferred = KEYS[3], wake = KEYS[4],
            finished = KEYS[5], failed = KEYS[6], canceled = KEYS[7] }
local jk = prefix .. 'job:' .. id

if ndeps == 0 and due <= now and (flags == 2 or flags == 3) then
  -- the common case, a new random id due now, no flow control: each key's first command checks its kind
  -- (LLEN of the wake list, then the push, the first write; a failed command writes
  -- nothing; the job key is almost always absent), so it costs no more calls than it
  -- did unchecked
  if redis.call('EXISTS', jk) == 1 then
    check_key(jk, 'hash')
    return landed_code(jk)
  end
  local idle = call_checked('list', 'LLEN', q.wake) == 0
  call_checked('list', front and 'LPUSH' or 'RPUSH', q.queued, id)
  redis.call('HSET', jk, 'status', 'queued', 'created', now, unpack(ARGV, first_field, #ARGV))
  if ttl > 0 then
    redis.call('PEXPIRE', jk, ttl)
  end
  if idle then
    redis.call('RPUSH', q.wake, '1')
  end
  return 1
end

-- validate before the first write: what the common case writes, and what the other
-- cases (dependencies, a due time) touch
if ndeps == 0 and due <= now then
  check_keys({ 'list', '', '', 'list' })  -- claim_id checks the ended registries it touches
else
  check_keys({ 'list', 'zset', 'zset', 'list', 'zset', 'zset', 'zset' })
  for i = 8, 7 + ndeps do
    check_key(prefix .. 'job:' .. ARGV[i], 'hash')
    check_key(prefix .. 'dependents:' .. ARGV[i], 'set')
  end
end
-- (a job key holding no hash fails claim_id's or landed_code's HGET: before any write)
local ukey, pri, keyed = nil, 0, false
if flags >= 4 then
  for i = first_field, #ARGV - 1, 2 do
    local k = ARGV[i]
    if k == 'ukey' then ukey = ARGV[i + 1]
    elseif k == 'pri' then pri = arg_int(ARGV[i + 1], 'priority', -MAX_PRIORITY, MAX_PRIORITY)
    elseif k == 'ckey' or k == 'uuntil' then keyed = true
    end
  end
  check_key(prefix .. 'flow', 'hash')
end

if flags % 4 >= 2 then
  if redis.call('EXISTS', jk) == 1 then
    return landed_code(jk)
  end
end
if ukey then
  local holder = unique_holder(prefix, ukey)
  if holder and holder ~= id then return holder end
end
if flags % 4 < 2 and not claim_id(prefix, q, id) then
  return -1
end
if ukey then claim_unique(prefix, ukey, id) end
if keyed then redis.call('HSET', prefix .. 'flow', 'keyed', '1') end

-- queue the job: by priority when it has one, else at the end (or front) of the list
local function place()
  if pri ~= 0 then
    place_by_priority(prefix, id, pri)
  else
    push_ready(q.queued, q.wake, id, front)
  end
end

if ndeps == 0 and due <= now then
  -- a caller's own id due now: one write for the hash, one push
  redis.call('HSET', jk, 'status', 'queued', 'created', now, unpack(ARGV, first_field, #ARGV))
  if ttl > 0 then
    redis.call('PEXPIRE', jk, ttl)
  end
  place()
  return 1
end

redis.call('HSET', jk, 'created', now, unpack(ARGV, first_field, #ARGV))
if ttl > 0 then
  redis.call('PEXPIRE', jk, ttl)
end

local allow_fail = redis.call('HGET', jk, 'allow_dep_fail') == '1'
local pending, failed_dep = 0, nil
for i = 8, 7 + ndeps do
  local dep = ARGV[i]
  local st = redis.call('HGET', prefix .. 'job:' .. dep, 'status')
  if st == 'failed' or st == 'canceled' or st == 'stopped' then
    if not allow_fail then failed_dep = dep end
  elseif st and st ~= 'finished' then
    pending = pending + 1
    redis.call('SADD', prefix .. 'dependents:' .. dep, id)
  end
end

if failed_dep then
  for i = 8, 7 + ndeps do
    redis.call('SREM', prefix .. 'dependents:' .. ARGV[i], id)
  end
  make_terminal(prefix, id, 'canceled', q.canceled, now,
    { 'reason', 'dependency ' .. failed_dep .. ' did not finish' })
  return 4
end
if pending > 0 then
  redis.call('HSET', jk, 'status', 'deferred', 'pending_deps', pending)
  if due > now then
    -- runs once its dependencies finished and it is due, whichever comes last
    redis.call('HSET', jk, 'due', due)
  end
  redis.call('ZADD', q.deferred, now, id)
  return 3
end
if due > now then
  redis.call('HSET', jk, 'status', 'scheduled')
  redis.call('ZADD', q.scheduled, due, id)
  return 2
end
redis.call('HSET', jk, 'status', 'queued', 'enqueued', now)
place()
return 1
