--[[ unlock: release the scheduler lock, only if this owner still holds it.
KEYS[1] the lock (string: owner token)
ARGV[1] owner token
Returns 1 released, 0 not held by this owner (nothing changed)
]]

if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
