--[[ register_scheduler: record a named scheduler's birth, unless a live scheduler (its
record present and not marked dead) has the name.
KEYS[1] the scheduler's record (hash)
ARGV[1] birth (unix seconds)  ARGV[2] how long the record lives unrefreshed (ms)
ARGV[3 ..] more field, value pairs of the record
Returns 1 recorded (a dead one's record replaced), 0 a live scheduler has the name
(nothing changed)
]]
--- @include checks

check_keys({ 'hash' })
local ttl = arg_int(ARGV[2], 'ttl', 1, 1e12)
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HEXISTS', KEYS[1], 'death') == 0 then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'birth', ARGV[1], unpack(ARGV, 3, #ARGV))
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
