--[[ renew: extend the leases of jobs a worker still holds (ids still in `started`).
KEYS[1] started (zset, score = lease deadline ms)
ARGV[1] new deadline (ms)  ARGV[2 ..] job ids
Returns the number of leases renewed (ids no longer in `started` are left out)
A full Redis (maxmemory, noeviction) refuses a script's first write if that write may
grow memory (ZADD), but never stops a script that has written. A renewal grows
nothing: it removes the held ids and adds them back with the new deadline, so it lands
even then, and a worker keeps its leases through a full Redis.
]]

local deadline = tonumber(ARGV[1])
if not deadline or deadline ~= deadline then return redis.error_reply('ERR bad deadline') end
local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'zset' then return 0 end
local held, scored = {}, {}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    held[#held + 1] = ARGV[i]
    scored[#scored + 1] = deadline
    scored[#scored + 1] = ARGV[i]
  end
end
-- in slices: Lua passes at most a few thousand arguments
for i = 1, #held, 1000 do
  redis.call('ZREM', KEYS[1], unpack(held, i, math.min(i + 999, #held)))
end
for i = 1, #scored, 1000 do
  redis.call('ZADD', KEYS[1], unpack(scored, i, math.min(i + 999, #scored)))
end
return #held
