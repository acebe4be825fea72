--[[ dequeue: take up to N ready jobs, each with a lease in `started`.
KEYS[1] queued (list)  KEYS[2] started (zset, score = lease deadline ms)  KEYS[3] wake (list)
ARGV[1] key prefix (job keys are prefix..'job:'..id)
ARGV[2] now (ms)
ARGV[3] lease (ms; the deadline is now + lease)  ARGV[4] N  ARGV[5] worker name
ARGV[6] '1': read now from the server's clock (TIME) instead, for a call queued behind
        a blocking pop whose wake-up time the caller cannot know; ARGV[2] is then the
        latest it can be (send time + the pop's timeout), used if the ACL user may not
        call TIME
Returns an array with one entry per job taken: { id, field, value, field, value, ... }
(the stored hash, then the fields this step changed), and one entry { id, reason } per
id skipped because it is no job id (see valid_id) or its key holds another kind of
value than a hash (garbage, written by hand: left as it is; the id leaves the queue). Ids whose hash is gone (expired ttl, deleted) are
dropped; more are taken in the place of both.
Flow control (includes/flow.lua): a queue whose prefix..'flow' hash is empty takes the
plain path, FIFO from `queued`. Otherwise, read once per call: jobs with a priority
above 0 come first, then `queued`, then those below 0; a job whose concurrency key has
no free slot is parked in prefix..'held:'..key (the next release of a slot of that key
puts one back at the front) and the others go on; the queue's rate (GCRA in microseconds,
state 'tat') and concurrency limit cap how many are taken. When they hold back work, the
reply ends with a row { ms }: how long until the rate may let one more through, or
{ -ms } when the concurrency limit holds it (a finish frees a slot and leaves a wake token;
ms bounds the wait for a holder that died). No wake token is left for the work held back.
Validated before the first write: the kinds of KEYS, N and the lease; each job key is
read with HGETALL through pcall, so a key of another kind cannot stop the step after
its LPOP (the popped ids would be lost).
]]
--- @include fields
--- @include checks
--- @include flow

check_keys({ 'list', 'zset', 'list' })
local prefix, worker = ARGV[1], ARGV[5]
local want = arg_int(ARGV[4], 'N', 1, 100000)
local lease = arg_int(ARGV[3], 'lease', 1, 1e12)
local now = arg_int(ARGV[2], 'now', 0, 1e15)
if ARGV[6] == '1' then
  local t = redis.pcall('TIME')  -- TIME is in @fast only: an ACL user may lack it
  if not t.err then now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
end
local deadline = now + lease
local out, leases, taken = {}, {}, 0
local fk = prefix .. 'flow'
local flow = redis.pcall('HGETALL', fk)
if flow.err then check_key(fk, 'hash') end  -- stops the step, naming the key

-- The hash of job `id` if it can be taken; a skipped id gets its row in `out`.
local function read_job(id)
  local jk = prefix .. 'job:' .. id
  local h = valid_id(id) and redis.pcall('HGETALL', jk)
  if not h then
    out[#out + 1] = { id, 'not a job id (empty, too long, white space, braces or not UTF-8)' }
  elseif h.err then
    out[#out + 1] = { id, 'its key holds no job hash (' .. redis.call('TYPE', jk).ok .. ')' }
  elseif #h > 0 then
    return h
  end
  return nil
end

-- Lease job `id` (hash `h`) to this worker; `qslot`: it holds a queue concurrency slot.
local function start(id, h, qslot)
  local jk = prefix .. 'job:' .. id
  local attempts = 1
  for i = 1, #h, 2 do
    if h[i] == 'attempts' then attempts = count_or_zero(h[i + 1]) + 1 end
  end
  if qslot then
    redis.call('HSET', jk, 'status', 'started', 'started', now, 'worker', worker,
      'attempts', attempts, 'qslot', '1', 'flow', '1')
  else
    redis.call('HSET', jk, 'status', 'started', 'started', now, 'worker', worker,
      'attempts', attempts)
  end
  redis.call('PERSIST', jk)
  leases[#leases + 1] = deadline
  leases[#leases + 1] = id
  table.insert(h, 1, id)
  h[#h + 1] = 'attempts'
  h[#h + 1] = attempts
  h[#h + 1] = 'status'
  h[#h + 1] = 'started'
  h[#h + 1] = 'started'
  h[#h + 1] = now
  out[#out + 1] = h
  taken = taken + 1
end

local NONE = {}

-- The queue's limits: how many may be taken now, and the rate's state.
local function limits(f, qk)
  local lim = { take = want, T = 0, tau = 0, tat = 0, conc = 0, full = false,
                keyed = f.keyed == '1' }
  local rate = int_field(f.rate, 1, 1e6, 0)
  local period = int_field(f.period, 1000, 864e5, 0)
  if rate > 0 and period > 0 then
    lim.T = math.floor(period * 1000 / rate)
    lim.tau = (int_field(f.burst, 1, 1e6, 1) - 1) * lim.T
    lim.tat = math.max(int_field(f.tat, 0, 1e16, 0), now * 1000)
    local k = math.floor((lim.tau - (lim.tat - now * 1000)) / lim.T) + 1
    lim.take = math.max(0, math.min(lim.take, k))
  end
  lim.conc = int_field(f.conc, 1, 1e6, 0)
  if lim.conc > 0 then
    local free = lim.conc - live_slots(qk, KEYS[2], now)
    lim.full = free <= lim.take
    lim.take = math.max(0, math.min(lim.take, free))
  end
  return lim
end

-- Up to n ids to look at next: priorities above 0, the list, priorities below 0.
local function reader(pk, prio)
  local phase = prio and 1 or 2
  return function(n)
    if phase == 1 then
      local top = redis.call('ZRANGE', pk, 0, n - 1, 'WITHSCORES')
      local ids = {}
      for i = 1, #top, 2 do
        if (tonumber(top[i + 1]) or 0) >= 0 then break end
        ids[#ids + 1] = top[i]
      end
      if #ids > 0 then
        redis.call('ZREM', pk, unpack(ids))
        return ids
      end
      phase = 2
    end
    if phase == 2 then
      local ids = redis.call('LPOP', KEYS[1], n)
      if ids then return ids end
      phase = prio and 3 or 4
    end
    if phase == 3 then
      local top = redis.call('ZPOPMIN', pk, n)
      local ids = {}
      for i = 1, #top, 2 do ids[#ids + 1] = top[i] end
      if #ids > 0 then return ids end
      phase = 4
    end
    return nil
  end
end

-- Take (or park) one job read from the queue under flow control.
local function take_flow(id, h, lim, qk)
  local v = NONE
  if lim.keyed then  -- jobs of the queue may have a concurrency key or unique_until
    v = {}
    for i = 1, #h, 2 do v[h[i]] = h[i + 1] end
  end
  local ckey = v.ckey
  if ckey and valid_id(ckey) and not take_slot(prefix .. 'slots:' .. ckey, id,
      int_field(v.climit, 1, 1e6, 1), KEYS[2], now, deadline) then
    redis.call('RPUSH', fresh(prefix .. 'held:' .. ckey, 'list'), id)
    return
  end
  if lim.conc > 0 then redis.call('ZADD', qk, deadline, id) end
  if v.ukey and v.uuntil == 'start' then release_unique(prefix, v.ukey, id) end
  start(id, h, lim.conc > 0)
end

-- jobs left waiting by priority after a flow-control dequeue (they want a wake token too)
local prio_left = 0

-- Returns the ms until the limits may let another job through, or nil when not held.
local function flow_dequeue()
  local f = {}
  for i = 1, #flow, 2 do f[flow[i]] = flow[i + 1] end
  local pk, qk = prefix .. 'prio', prefix .. 'qslots'
  check_key(pk, 'zset')
  check_key(qk, 'zset')
  local prio = f.prio == '1'
  local lim = limits(f, qk)
  local next_ids = reader(pk, prio)
  while taken < lim.take do
    local ids = next_ids(lim.take - taken)
    if not ids then break end
    for _, id in ipairs(ids) do
      local h = read_job(id)
      if h then take_flow(id, h, lim, qk) end
    end
  end
  if lim.T > 0 and taken > 0 then
    lim.tat = lim.tat + taken * lim.T
    redis.call('HSET', fk, 'tat', string.format('%.0f', lim.tat))
  end
  local left = prio and redis.call('ZCARD', pk) or 0
  if prio and left == 0 then redis.call('HDEL', fk, 'prio') end
  prio_left = left
  if lim.take >= want or left + redis.call('LLEN', KEYS[1]) == 0 then return nil end
  local wait = 1
  if lim.T > 0 then wait = math.ceil((lim.tat - lim.tau - now * 1000) / 1000) end
  if lim.full then return -math.max(1, wait, lease) end
  return math.max(1, wait)
end

local held = nil
if #flow == 0 then
  while taken < want do
    local ids = redis.call('LPOP', KEYS[1], want - taken)
    if not ids then
      break
    end
    for _, id in ipairs(ids) do
      local h = read_job(id)
      if h then start(id, h, false) end
    end
  end
else
  held = flow_dequeue()
end
-- one ZADD for the batch (in slices: Lua passes at most a few thousand arguments)
for i = 1, #leases, 1000 do
  redis.call('ZADD', KEYS[2], unpack(leases, i, math.min(i + 999, #leases)))
end
if held then
  out[#out + 1] = { held }
-- more work left: keep a token so another idle worker wakes up too
elseif (prio_left > 0 or redis.call('LLEN', KEYS[1]) > 0) and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('RPUSH', KEYS[3], '1')
end
return out
