--[[ fire: run one slot of a schedule. Creates the run's job from the schedule's
template, queues it and advances the schedule, all in this one step; and only if the
schedule is still the revision and at the slot the caller read (compare-and-set), so
two schedulers that both saw the slot due cannot both fire it.
KEYS[1] schedules (hash)  KEYS[2] schedule-due (zset)  KEYS[3] queued  KEYS[4] wake
KEYS[5] finished  KEYS[6] failed  KEYS[7] canceled
ARGV[1] key prefix of the queue. Derived keys: the template prefix..'schedule-job:'..id,
        the pending runs prefix..'schedule-runs:'..id, the run prefix..'job:'..run id,
        the final definition of an ended schedule prefix..'schedule-ended:'..id (kept a day)
ARGV[2] schedule id  ARGV[3] expected revision  ARGV[4] expected next slot (ms)
ARGV[5] slot to fire (ms, >= ARGV[4]; the run id is id..'@'..ARGV[5])
ARGV[6] next slot after it (ms; -1 = the schedule ends after this run)
ARGV[7] now (ms)  ARGV[8] older slots passed over (counted in the definition)
ARGV[9] the run's meta, serialized ('' keeps the template's)
ARGV[10] the run's trace context (jobq.tracing; '' none; at most 1024 bytes)
Returns { code, run id }: 1 fired, 2 fired and the schedule ended,
  3 the slot's run id is held by a live job (no job made; the schedule advanced),
  4 skipped: the schedule's max_instances runs are still queued or running, so the
    slot's run is recorded with status 'skipped' and the reason (filed with the
    canceled, kept failure_ttl), 5 skipped and the schedule ended,
  0 nothing done (the schedule is gone or moved on since it was read)
With max_instances, the pending runs (prefix..'schedule-runs:'..id) keep started runs
too, until they end: they are the instances counted.
]]
--- @include push_ready
--- @include claim_id
--- @include checks
--- @include fields
--- @include terminal

check_keys({ 'hash', 'zset', 'list', 'list', 'zset', 'zset', 'zset' })
local prefix, id, rev = ARGV[1], ARGV[2], ARGV[3]
local expected = arg_int(ARGV[4], 'expected slot', 0, 1e15)
local slot = arg_int(ARGV[5], 'slot', 0, 1e15)
local nxt = arg_int(ARGV[6], 'next slot', -1, 1e15)
local now = arg_int(ARGV[7], 'now', 0, 1e15)
local skipped = arg_int(ARGV[8], 'slots passed over', 0, 1e15)
local meta = ARGV[9]
local trace = ARGV[10] or ''
if #trace > 1024 then
  fail_step('ERR jobq: trace context longer than 1024 bytes; nothing was written')
end
local raw = redis.call('HGET', KEYS[1], id)
if not raw then
  return { 0, '' }
end
local decoded, s = pcall(cjson.decode, raw)
if not decoded or type(s) ~= 'table' then
  return redis.error_reply('ERR jobq: schedule ' .. id .. ' holds no JSON object; nothing was written')
end
if s.rev ~= rev or s.next_run ~= expected or slot < expected then
  return { 0, '' }
end
local tk = prefix .. 'schedule-job:' .. id
check_key(tk, 'hash')
local template = redis.call('HGETALL', tk)
if #template == 0 then
  return { 0, '' }
end

local run = id .. '@' .. ARGV[5]
local jk = prefix .. 'job:' .. run
local rk = prefix .. 'schedule-runs:' .. id
check_key(jk, 'hash')
check_key(rk, 'zset')
local max_instances = int_field(s.max_instances, 0, 1e6, 0)

-- With max_instances: the live runs of the schedule (its runs that ended are forgotten),
-- the oldest first, as { run id, status }.
local function live_runs()
  local live = {}
  for _, r in ipairs(redis.call('ZRANGE', rk, 0, -1)) do
    local st = redis.pcall('HGET', prefix .. 'job:' .. r, 'status')  -- garbage: not live
    if st == 'queued' or st == 'scheduled' or st == 'started' or st == 'deferred' then
      live[#live + 1] = { r, st }
    else
      redis.call('ZREM', rk, r)
    end
  end
  return live
end

local code = 1
local live = max_instances > 0 and live_runs() or {}
if not claim_id(prefix, { finished = KEYS[5], failed = KEYS[6], canceled = KEYS[7] }, run) then
  code = 3
elseif max_instances > 0 and #live >= max_instances then
  code = 4
  redis.call('HSET', jk, unpack(template))
  redis.call('HSET', jk, 'created', now, 'schedule_id', id, 'slot', ARGV[5])
  make_terminal(prefix, run, 'skipped', KEYS[7], now, { 'reason', 'skipped: run ' .. live[1][1]
    .. ' of this schedule is still ' .. live[1][2] .. ' (max_instances=' .. max_instances .. ')' })
else
  redis.call('HSET', jk, unpack(template))
  redis.call('HSET', jk, 'status', 'queued', 'created', now, 'enqueued', now,
    'schedule_id', id, 'slot', ARGV[5])
  if meta ~= '' then
    redis.call('HSET', jk, 'meta', meta)
  end
  if trace ~= '' then
    redis.call('HSET', jk, 'trace', trace)
  end
  local ttl = int_field(s.ttl_ms, 0, 1e15, 0)
  if ttl > 0 then
    redis.call('PEXPIRE', jk, ttl)
  end
  -- forget runs that are no longer waiting (oldest first), then remember this one
  for _ = 1, (max_instances > 0 and 0 or 20) do
    local oldest = redis.call('ZRANGE', rk, 0, 0)[1]
    if not oldest then break end
    local st = redis.pcall('HGET', prefix .. 'job:' .. oldest, 'status')  -- garbage: not waiting
    if st == 'queued' or st == 'scheduled' then break end
    redis.call('ZREM', rk, oldest)
  end
  redis.call('ZADD', rk, slot, run)
  push_ready(KEYS[3], KEYS[4], run, false)
end

-- garbage counters (nan, inf: cjson cannot encode them) start again from 0
s.runs = int_field(s.runs, 0, 1e15, 0) + 1
s.skipped = int_field(s.skipped, 0, 1e15, 0) + skipped
s.last_run = slot
s.last_job = run
local left = int_field(s.left, -1, 1e15, -1)
if left > 0 then
  left = left - 1
  s.left = left
end
if left == 0 or nxt < 0 then
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('DEL', tk)
  redis.call('PEXPIRE', rk, 86400000)
  redis.call('SET', prefix .. 'schedule-ended:' .. id, cjson.encode(s), 'PX', 86400000)
  if code == 1 then code = 2 elseif code == 4 then code = 5 end
  return { code, run }
end
s.next_run = nxt
redis.call('HSET', KEYS[1], id, cjson.encode(s))
redis.call('ZADD', KEYS[2], nxt, id)
return { code, run }
