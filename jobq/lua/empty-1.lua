--[[ empty: delete up to N queued jobs (ids and data) from the head of the queue;
callers blocked in Job.wait() on them are woken (they then find no job).
KEYS[1] queued
ARGV[1] key prefix  ARGV[2] N
Returns the ids removed (for the change hooks); call again until it returns none
]]
--- @include terminal
--- @include checks

check_keys({ 'list' })
arg_int(ARGV[2], 'N', 1, 1e6)

local ids = redis.call('LPOP', KEYS[1], ARGV[2])
if not ids then return {} end
for _, id in ipairs(ids) do
  local jk = ARGV[1] .. 'job:' .. id
  notify_waiters(ARGV[1], id, jk)
  redis.call('DEL', jk)
end
return ids
