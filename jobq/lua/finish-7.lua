--[[ finish: record the results of jobs that returned, for a batch of jobs.
KEYS[1] started  KEYS[2] finished  KEYS[3] queued  KEYS[4] deferred  KEYS[5] canceled
KEYS[6] wake  KEYS[7] scheduled (dependents enqueued with a due time still ahead)
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] worker name
ARGV[4 ..] pairs: job id, serialized result
Returns one code per job: 1 finished, -2 lease lost (another worker or a cancel
took the job meanwhile; nothing written for it)
]]
--- @include dependents
--- @include checks

check_keys({ 'zset', 'zset', 'list', 'zset', 'zset', 'list', 'zset' })

local prefix, now, worker = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local q = { started = KEYS[1], finished = KEYS[2], queued = KEYS[3], deferred = KEYS[4],
            canceled = KEYS[5], wake = KEYS[6], scheduled = KEYS[7] }
local codes = {}
for i = 4, #ARGV, 2 do
  local id, result = ARGV[i], ARGV[i + 1]
  local jk = prefix .. 'job:' .. id
  -- pcall: a key holding no hash is no job this worker holds (the reaper drops it)
  local f = redis.pcall('HMGET', jk, 'worker', 'result_ttl', 'waiters', 'flow')
  -- held by this worker, and still leased (ZREM answers 0 when not in started)
  if f.err or f[1] ~= worker or redis.call('ZREM', q.started, id) == 0 then
    codes[#codes + 1] = -2
  else
    make_terminal(prefix, id, 'finished', q.finished, now, { 'result', result },
      { ttl = f[2], waiters = f[3], flow = f[4] and redis.call('HMGET', jk, unpack(FLOW_FIELDS)) })
    settle_dependents(prefix, id, true, now, q)
    codes[#codes + 1] = 1
  end
end
return codes
