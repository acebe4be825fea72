--[[ finish: record the results of jobs that returned, for a batch of jobs.
KEYS[1] started  KEYS[2] finished  KEYS[3] queued  KEYS[4] deferred  KEYS[5] canceled
KEYS[6] wake  KEYS[7] scheduled (dependents enqueued with a due time still ahead)
KEYS[8] 10 s history bucket  KEYS[9] 1 min history bucket  KEYS[10] history totals
KEYS[11] functions the history tracks; KEYS[8..11] absent: no history recorded
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] worker name
ARGV[4 ..] per job: id, serialized result, and with history: function, run-time
sketch bucket, wait-time sketch bucket (see jobq/history.py)
Returns one code per job: 1 finished, -2 lease lost (another worker or a cancel
took the job meanwhile; nothing written for it)
]]
--- @include dependents
--- @include checks
--- @include history

check_keys({ 'zset', 'zset', 'list', 'zset', 'zset', 'list', 'zset', 'hash', 'hash', 'hash', 'set' })

local prefix, now, worker = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local q = { started = KEYS[1], finished = KEYS[2], queued = KEYS[3], deferred = KEYS[4],
            canceled = KEYS[5], wake = KEYS[6], scheduled = KEYS[7] }
local h = history_open(8)
local stride = h and 5 or 2
if h then
  for i = 4, #ARGV, stride do
    history_bucket(ARGV[i + 3], 'run bucket')
    history_bucket(ARGV[i + 4], 'wait bucket')
  end
end
local codes = {}
for i = 4, #ARGV, stride do
  local id, result = ARGV[i], ARGV[i + 1]
  local jk = prefix .. 'job:' .. id
  -- pcall: a key holding no hash is no job this worker holds (the reaper drops it)
  local f = redis.pcall('HMGET', jk, 'worker', 'result_ttl', 'waiters')
  -- held by this worker, and still leased (ZREM answers 0 when not in started)
  if f.err or f[1] ~= worker or redis.call('ZREM', q.started, id) == 0 then
    codes[#codes + 1] = -2
  else
    make_terminal(prefix, id, 'finished', q.finished, now, { 'result', result },
      { ttl = f[2], waiters = f[3] })
    settle_dependents(prefix, id, true, now, q)
    history_add(h, 'finished', ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
    codes[#codes + 1] = 1
  end
end
history_write(h, q.queued)
return codes
