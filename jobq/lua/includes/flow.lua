-- Flow control (docs/flow-control.md). Its keys are derived from the queue's key
-- prefix (same hash tag, same cluster slot), like per-job keys:
--   prefix..'flow'            hash: the queue's limits and state (rate, period, burst,
--                             tat, conc) and flags set at enqueue (prio, keyed, seq)
--   prefix..'prio'            zset: queued ids with a priority, score -priority*2^40+seq
--   prefix..'qslots'          zset: ids holding one of the queue's concurrency slots
--   prefix..'slots:'..key     zset: ids holding a slot of concurrency key `key`
--   prefix..'held:'..key      list: ids parked until a slot of `key` frees
--   prefix..'unique:'..key    string: the id of the job holding unique key `key`
-- A job with any flow-control field (pri, ukey, ckey, qslot) also has the field 'flow' =
-- '1', so that finish, the hot end, reads one more field of a job without any.
-- Slot zsets are scored by the lease deadline at the time the slot was taken; a member
-- whose deadline passed and whose lease in `started` is gone or past too is a dead
-- holder's, dropped by the next taker.
--- @include push_ready
--- @include fields
--- @include checks

local PRIO_STEP = 1099511627776  -- 2^40: room for the sequence below one priority step
local MAX_PRIORITY = 1000
local LIVE = { queued = true, scheduled = true, deferred = true, started = true }

-- A key derived from the prefix that holds another kind of value is garbage: replaced.
local function fresh(key, kind)
  if not kind_ok(key, kind) then redis.call('DEL', key) end
  return key
end

-- Whether the job holding a unique key is still live; the key is then refused to another.
local function unique_holder(prefix, ukey)
  local uk = prefix .. 'unique:' .. ukey
  local holder = redis.pcall('GET', uk)
  if type(holder) ~= 'string' then return nil end
  local st = redis.pcall('HGET', prefix .. 'job:' .. holder, 'status')
  if type(st) == 'string' and LIVE[st] then return holder end
  return nil
end

local function claim_unique(prefix, ukey, id)
  redis.call('SET', fresh(prefix .. 'unique:' .. ukey, 'string'), id)
end

-- Release a unique key only if this job holds it (a later job may hold it by now).
local function release_unique(prefix, ukey, id)
  local uk = prefix .. 'unique:' .. ukey
  if redis.pcall('GET', uk) == id then redis.call('DEL', uk) end
end

-- Queue `id` by its priority (a whole number in [-MAX_PRIORITY, MAX_PRIORITY], 0 = FIFO).
local function place_by_priority(prefix, id, pri)
  local fk = prefix .. 'flow'
  local seq = hincr(fk, 'seq', 1) % PRIO_STEP
  redis.call('HSET', fk, 'prio', '1')
  redis.call('ZADD', fresh(prefix .. 'prio', 'zset'), -pri * PRIO_STEP + seq, id)
  wake_workers(prefix .. 'wake')
end

-- How many members of slot zset `zk` are live; dead holders' members are dropped.
local function live_slots(zk, started, now)
  local members = redis.call('ZRANGE', zk, 0, -1, 'WITHSCORES')
  local n = 0
  for i = 1, #members, 2 do
    local lease = tonumber(members[i + 1]) or 0
    if lease < now then lease = tonumber(redis.call('ZSCORE', started, members[i]) or 0) or 0 end
    if lease < now then redis.call('ZREM', zk, members[i]) else n = n + 1 end
  end
  return n
end

-- Take a slot of zset `zk` (at most `limit` holders) for `id` until `deadline`.
local function take_slot(zk, id, limit, started, now, deadline)
  fresh(zk, 'zset')
  if redis.call('ZCARD', zk) >= limit and live_slots(zk, started, now) >= limit then
    return false
  end
  redis.call('ZADD', zk, deadline, id)
  return true
end

-- Give back the slots job `id` holds (key slot `ckey`, queue slot `qslot`) and let one
-- job parked behind its key try again, at the front of the queue.
local function free_slots(prefix, id, ckey, qslot)
  if ckey then
    redis.pcall('ZREM', prefix .. 'slots:' .. ckey, id)
    local hk = prefix .. 'held:' .. ckey
    local next_id = kind_ok(hk, 'list') and redis.call('LPOP', hk)
    if next_id then push_ready(prefix .. 'queued', prefix .. 'wake', next_id, true) end
  end
  if qslot and redis.pcall('ZREM', prefix .. 'qslots', id) == 1
      and redis.call('LLEN', prefix .. 'queued') > 0 then
    wake_workers(prefix .. 'wake')  -- a worker held back by the limit may take one now
  end
end

-- Names of the job fields flow control keeps, read together (HMGET) by the ends.
local FLOW_FIELDS = { 'ukey', 'ckey', 'qslot', 'pri' }

-- A job leaves for good (ended, canceled, deleted): its slots, its place among the
-- waiting, its unique key. f: the values of FLOW_FIELDS, in order.
local function flow_done(prefix, id, f)
  local ukey, ckey, qslot, pri = f[1], f[2], f[3], f[4]
  if pri then redis.pcall('ZREM', prefix .. 'prio', id) end
  if ckey then redis.pcall('LREM', prefix .. 'held:' .. ckey, 0, id) end
  free_slots(prefix, id, ckey, qslot)
  if ukey then release_unique(prefix, ukey, id) end
end

-- A job goes back to waiting (retried, reaped, handed back): it gives up its slots.
local function flow_pause(prefix, id, jk)
  local f = redis.call('HMGET', jk, 'ckey', 'qslot')
  if f[1] or f[2] then
    redis.call('HDEL', jk, 'qslot')
    free_slots(prefix, id, f[1], f[2])
  end
end
