--[[ register_cron: record a cron scheduler's birth under its name, unless one of that
name is registered already.
KEYS[1] the registry of cron schedulers (zset: name -> last heartbeat, unix seconds)
KEYS[2] this scheduler's record (hash)
ARGV[1] name  ARGV[2] now (unix seconds)  ARGV[3] how long the record lives unrefreshed (ms)
ARGV[4 ..] field, value pairs of the record
Returns 1 registered, 0 a scheduler of this name is registered (nothing changed)
]]
--- @include checks

check_keys({ 'zset', 'hash' })
local ttl = arg_int(ARGV[3], 'ttl', 1, 1e12)
if not tonumber(ARGV[2]) then return redis.error_reply('ERR jobq: bad time; nothing was written') end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 4, #ARGV))
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
