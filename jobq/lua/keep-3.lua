--[[ keep: set how long more a created or ended job is kept (rq's job.cleanup(ttl)).
An ended job's registry score is its expiry, so both change together; a created job
is in no registry and its expiry is its only end. A job that waits or runs is ended
by its own steps (or by cancel and delete), never by a TTL.
KEYS[1] finished  KEYS[2] failed (and stopped)  KEYS[3] canceled (and skipped)
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] ttl (ms, > 0; -1 keeps it forever)
ARGV[4] now (ms)
Returns 1 kept, -3 no such job, -4 the job waits or runs (nothing changed)
]]
--- @include checks

check_keys({ 'zset', 'zset', 'zset' })

local prefix, id = ARGV[1], ARGV[2]
local ttl = arg_int(ARGV[3], 'ttl', -1, 1e15)
local now = arg_int(ARGV[4], 'now', 0, 1e15)
if ttl == 0 then fail_step('ERR jobq: keep takes a ttl > 0 or -1; delete a job to end it now') end
local jk = prefix .. 'job:' .. id
local st = redis.pcall('HGET', jk, 'status')
if type(st) ~= 'string' then return -3 end  -- no job (or garbage at its key)
local registry = ({ finished = KEYS[1], failed = KEYS[2], stopped = KEYS[2],
                    canceled = KEYS[3], skipped = KEYS[3] })[st]
if not registry and st ~= 'created' then return -4 end
if ttl < 0 then
  redis.call('PERSIST', jk)
  if registry then redis.call('ZADD', registry, '+inf', id) end
else
  redis.call('PEXPIRE', jk, ttl)
  if registry then redis.call('ZADD', registry, now + ttl, id) end
end
return 1
