--[[ fail: record failed attempts for a batch of jobs; each is retried (per its
Retry) or moved to `failed`, and its dependents are settled.
KEYS[1] started  KEYS[2] failed  KEYS[3] queued  KEYS[4] scheduled  KEYS[5] deferred
KEYS[6] canceled  KEYS[7] wake
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] worker name
ARGV[4 ..] triples: job id, error text (traceback), short reason
Returns one code per job: 1 failed, 2 retried, -2 lease lost
]]
--- @include retry
--- @include checks

check_keys({ 'zset', 'zset', 'list', 'zset', 'zset', 'zset', 'list' })

local prefix, now, worker = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local q = { started = KEYS[1], failed = KEYS[2], queued = KEYS[3], scheduled = KEYS[4],
            deferred = KEYS[5], canceled = KEYS[6], wake = KEYS[7] }
local codes = {}
for i = 4, #ARGV, 3 do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  -- pcall: a key holding no hash is no job this worker holds (the reaper drops it)
  if not redis.call('ZSCORE', q.started, id) or redis.pcall('HGET', jk, 'worker') ~= worker then
    codes[#codes + 1] = -2
  else
    redis.call('ZREM', q.started, id)
    codes[#codes + 1] = retry_or_fail(prefix, id, now, ARGV[i + 1], ARGV[i + 2], q)
  end
end
return codes
