--[[ update: set fields of a job that still exists (meta, progress); never
recreates a job that ended and expired meanwhile.
KEYS[1] the job's hash
ARGV field, value pairs
Returns 1 updated, -3 no such job
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return -3 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
