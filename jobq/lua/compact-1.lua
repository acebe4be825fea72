--[[ compact: drop from the queue's list the ids whose job hash is gone (rq's
Queue.compact); the order of the others is kept. Ids of jobs that exist stay, even
when their status says they are elsewhere: only a missing job is certain garbage.
KEYS[1] queued
ARGV[1] key prefix
Returns how many ids were dropped
]]
--- @include checks

check_keys({ 'list' })

local prefix = ARGV[1]
local dropped = 0
local seen = {}
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if not seen[id] and redis.call('EXISTS', prefix .. 'job:' .. id) == 0 then
    seen[id] = true
    dropped = dropped + redis.call('LREM', KEYS[1], 0, id)
  end
end
return dropped
