--[[ reschedule: move the next slot of a schedule (later slots follow from it).
KEYS[1] schedules (hash)  KEYS[2] schedule-due (zset)
ARGV[1] schedule id  ARGV[2] new next slot (ms)
Returns 1 moved, -3 no such schedule
]]

local id, nxt = ARGV[1], tonumber(ARGV[2])
local raw = redis.call('HGET', KEYS[1], id)
if not raw then
  return -3
end
local s = cjson.decode(raw)
s.next_run = nxt
redis.call('HSET', KEYS[1], id, cjson.encode(s))
redis.call('ZADD', KEYS[2], nxt, id)
return 1
