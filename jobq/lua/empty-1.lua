--[[ empty: delete up to N queued jobs (ids and data) from the head of the queue;
callers blocked in Job.wait() on them are woken (they then find no job).
KEYS[1] queued
ARGV[1] key prefix  ARGV[2] N
Jobs waiting by priority (prefix..'prio', see includes/flow.lua) go after the list.
Returns the ids removed (for the change hooks); call again until it returns none
]]
--- @include terminal
--- @include checks

check_keys({ 'list' })
arg_int(ARGV[2], 'N', 1, 1e6)

local ids = redis.call('LPOP', KEYS[1], ARGV[2])
if not ids then
  local pk = ARGV[1] .. 'prio'
  if not kind_ok(pk, 'zset') then return {} end
  ids = {}
  local popped = redis.call('ZPOPMIN', pk, ARGV[2])
  for i = 1, #popped, 2 do ids[#ids + 1] = popped[i] end
  if #ids == 0 then return {} end
end
for _, id in ipairs(ids) do
  local jk = ARGV[1] .. 'job:' .. id
  notify_waiters(ARGV[1], id, jk)
  redis.call('DEL', jk)
end
return ids
