--[[ empty: delete up to N queued jobs (ids and data) from the head of the queue.
KEYS[1] queued
ARGV[1] key prefix  ARGV[2] N
Returns the number of ids removed; call again until it returns 0
]]
local ids = redis.call('LPOP', KEYS[1], ARGV[2])
if not ids then return 0 end
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. 'job:' .. id)
end
return #ids
