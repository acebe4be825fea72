--[[ save_created: store a job made by Job.create() and not enqueued yet (rq's
job.save()). A created job is in no registry, by design: it expires after ARGV[2]
ms unless an enqueue (which drops the created hash through claim_id) places it.
KEYS[1] the job's hash
ARGV[1] now (ms)         ARGV[2] expiry (ms, > 0)
ARGV[3 ..] field, value pairs of the job hash
Returns 1 stored, -1 a job with this id exists and is not a created one (nothing written)
]]
--- @include checks

local now = arg_int(ARGV[1], 'now', 0, 1e15)
local expiry = arg_int(ARGV[2], 'expiry', 1, 1e15)
check_keys({ 'hash' })
local old = redis.call('HGET', KEYS[1], 'status')
if old and old ~= 'created' then
  return -1
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'status', 'created', 'created', now, unpack(ARGV, 3, #ARGV))
redis.call('PEXPIRE', KEYS[1], expiry)
return 1
