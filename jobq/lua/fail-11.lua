--[[ fail: record failed attempts for a batch of jobs; each is retried (per its
Retry) or moved to `failed`, and its dependents are settled.
KEYS[1] started  KEYS[2] failed  KEYS[3] queued  KEYS[4] scheduled  KEYS[5] deferred
KEYS[6] canceled  KEYS[7] wake
KEYS[8] 10 s history bucket  KEYS[9] 1 min history bucket  KEYS[10] history totals
KEYS[11] functions the history tracks; KEYS[8..11] absent: no history recorded
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] worker name
ARGV[4 ..] per job: id, error text (traceback), short reason, and with history:
function, run-time sketch bucket, wait-time sketch bucket (see jobq/history.py)
Returns one code per job: 1 failed, 2 retried, -2 lease lost
]]
--- @include retry
--- @include checks
--- @include history

check_keys({ 'zset', 'zset', 'list', 'zset', 'zset', 'zset', 'list', 'hash', 'hash', 'hash', 'set' })

local prefix, now, worker = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local q = { started = KEYS[1], failed = KEYS[2], queued = KEYS[3], scheduled = KEYS[4],
            deferred = KEYS[5], canceled = KEYS[6], wake = KEYS[7] }
local h = history_open(8)
local stride = h and 6 or 3
if h then
  for i = 4, #ARGV, stride do
    history_bucket(ARGV[i + 4], 'run bucket')
    history_bucket(ARGV[i + 5], 'wait bucket')
  end
end
local codes = {}
for i = 4, #ARGV, stride do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  -- pcall: a key holding no hash is no job this worker holds (the reaper drops it)
  if not redis.call('ZSCORE', q.started, id) or redis.pcall('HGET', jk, 'worker') ~= worker then
    codes[#codes + 1] = -2
  else
    redis.call('ZREM', q.started, id)
    local code = retry_or_fail(prefix, id, now, ARGV[i + 1], ARGV[i + 2], q)
    history_add(h, code == 2 and 'retried' or 'failed', ARGV[i + 3], ARGV[i + 4], ARGV[i + 5])
    codes[#codes + 1] = code
  end
end
history_write(h, q.queued)
return codes
