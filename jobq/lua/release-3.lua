--[[ release: hand jobs a worker took but will not run back to the front of the
queue, in their order, without counting the attempt.
KEYS[1] started  KEYS[2] queued  KEYS[3] wake
ARGV[1] key prefix  ARGV[2] worker name  ARGV[3 ..] job ids
Returns the number of jobs handed back (jobs the worker no longer holds are skipped)
]]
--- @include push_ready
--- @include fields
--- @include flow
--- @include checks

check_keys({ 'zset', 'list', 'list' })

local prefix, worker = ARGV[1], ARGV[2]
local n = 0
for i = #ARGV, 3, -1 do
  local id = ARGV[i]
  local jk = prefix .. 'job:' .. id
  -- pcall: a key holding no hash is no job this worker holds (the reaper drops it)
  if redis.call('ZSCORE', KEYS[1], id) and redis.pcall('HGET', jk, 'worker') == worker then
    redis.call('ZREM', KEYS[1], id)
    hincr(jk, 'attempts', -1)
    flow_pause(prefix, id, jk)
    redis.call('HSET', jk, 'status', 'queued')
    push_ready(KEYS[2], KEYS[3], id, true)
    n = n + 1
  end
end
return n
