--[[ claim_worker: take a worker name for this worker instance, unless a live worker
(its record not yet expired: it heartbeats) holds it.
KEYS[1] the worker's record (hash)
ARGV[1] this instance's token  ARGV[2] how long the record lives unrefreshed (ms)
Returns 1 the name is this instance's, 0 another live instance holds it (nothing changed)
]]
--- @include checks

check_keys({ 'hash' })
local ttl = arg_int(ARGV[2], 'ttl', 1, 1e12)
if redis.call('HSETNX', KEYS[1], 'instance', ARGV[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
end
if redis.call('HGET', KEYS[1], 'instance') == ARGV[1] then
  return 1
end
return 0
