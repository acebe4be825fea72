--[[ lock: take the scheduler lock when it is free, or renew it when this owner holds it.
KEYS[1] the lock (string: owner token)
ARGV[1] owner token  ARGV[2] time to live (ms)
Returns 1 renewed, 2 taken, 0 held by another owner (nothing changed)
]]

local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
