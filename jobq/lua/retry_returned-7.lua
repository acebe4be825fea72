--[[ retry_returned: record runs whose job function returned a Retry (rq 2.x), for a
batch of jobs. A returned Retry asks for another run under its own policy, apart from
the job's retry= option: the job runs again (queued now, or scheduled after the
policy's interval for this retry) while the retries it used are fewer than the
policy's max, and fails with reason "max retries exceeded" once they are not. The
policy is kept on the job (`retry_returned`): it is the run's result.
KEYS[1] started  KEYS[2] failed  KEYS[3] queued  KEYS[4] scheduled  KEYS[5] deferred
KEYS[6] canceled  KEYS[7] wake
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] worker name
ARGV[4 ..] pairs: job id, policy as JSON {"max": n, "interval": seconds or [seconds],
"enqueue_at_front": bool}
Returns one code per job: 1 failed (max retries exceeded), 2 retried, -2 lease lost
]]
--- @include retry
--- @include checks

check_keys({ 'zset', 'zset', 'list', 'zset', 'zset', 'zset', 'list' })

local prefix, worker = ARGV[1], ARGV[3]
local now = arg_int(ARGV[2], 'now', 0, 1e15)

-- The policy in `raw`, checked: { max, intervals, front }; stops the step when it is no policy.
local function policy(raw)
  local ok, p = pcall(cjson.decode, raw)
  if ok and type(p) == 'table' then
    local max, interval, front = p['max'], p['interval'], p['enqueue_at_front']
    local intervals = type(interval) == 'number' and { interval } or interval
    local good = type(max) == 'number' and max >= 1 and max < MAX_ATTEMPTS and max % 1 == 0
      and type(intervals) == 'table' and type(front) == 'boolean'
    for _, s in ipairs(good and intervals or {}) do
      if type(s) ~= 'number' or not (s >= 0 and s <= MAX_RETRY_DELAY) then good = false end
    end
    if good then return { max = max, intervals = intervals, front = front } end
  end
  fail_step('ERR jobq: a returned Retry must be {"max", "interval", "enqueue_at_front"}, got '
    .. tostring(raw))
end

local policies = {}
for i = 4, #ARGV, 2 do
  policies[#policies + 1] = policy(ARGV[i + 1])
end

local q = { started = KEYS[1], failed = KEYS[2], queued = KEYS[3], scheduled = KEYS[4],
            deferred = KEYS[5], canceled = KEYS[6], wake = KEYS[7] }
local codes = {}
for n, p in ipairs(policies) do
  local id, raw = ARGV[2 + 2 * n], ARGV[3 + 2 * n]
  local jk = prefix .. 'job:' .. id
  -- pcall: a key holding no hash is no job this worker holds (the reaper drops it)
  if not redis.call('ZSCORE', q.started, id) or redis.pcall('HGET', jk, 'worker') ~= worker then
    codes[#codes + 1] = -2
  else
    redis.call('ZREM', q.started, id)
    -- this run is attempt `attempts`: the retries used before it are one fewer
    local used = math.max(0, count_or_zero(redis.call('HGET', jk, 'attempts')) - 1)
    redis.call('HDEL', jk, 'error')
    if used >= p.max then
      make_terminal(prefix, id, 'failed', q.failed, now,
        { 'reason', 'max retries exceeded', 'retry_returned', raw })
      settle_dependents(prefix, id, false, now, q)
      codes[#codes + 1] = 1
    else
      local delay = #p.intervals > 0 and p.intervals[math.min(used + 1, #p.intervals)] or 0
      redis.call('HSET', jk, 'reason', 'retry returned', 'retry_returned', raw, 'ended', now)
      retry_later(prefix, id, jk, now, delay, p.front, q)
      codes[#codes + 1] = 2
    end
  end
end
return codes
