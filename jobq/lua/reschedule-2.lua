--[[ reschedule: move the next slot of a schedule (later slots follow from it).
KEYS[1] schedules (hash)  KEYS[2] schedule-due (zset)
ARGV[1] schedule id  ARGV[2] new next slot (ms)
Returns 1 moved, -3 no such schedule
]]

--- @include checks

check_keys({ 'hash', 'zset' })
local id, nxt = ARGV[1], arg_int(ARGV[2], 'next slot', 0, 1e15)
local raw = redis.call('HGET', KEYS[1], id)
if not raw then
  return -3
end
local ok, s = pcall(cjson.decode, raw)
if not ok or type(s) ~= 'table' then
  return redis.error_reply('ERR jobq: schedule ' .. id .. ' holds no JSON object; nothing was written')
end
s.next_run = nxt
redis.call('HSET', KEYS[1], id, cjson.encode(s))
redis.call('ZADD', KEYS[2], nxt, id)
return 1
