--[[ file: put a job that is not running into the registry of `status` (rq's
registry.add): finished, failed or canceled with an expiry, or deferred (parked until
enqueued by hand: Queue.enqueue_job or "enqueue now"). It leaves every waiting
registry; a job filed as ended wakes its waiters and releases its unique key and
place, like any end. Its dependents are not settled here (rq settles them in a step
of their own). A job already in that registry is filed again: for an ended one,
only its expiry changes.
KEYS[1] queued  KEYS[2] scheduled  KEYS[3] deferred  KEYS[4] finished  KEYS[5] failed
KEYS[6] canceled  KEYS[7] prio (queued jobs with a priority)
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] status (finished | failed | canceled |
deferred)  ARGV[4] now (ms)  ARGV[5] ttl in seconds ('' = the job's own result_ttl or
failure_ttl; -1 = kept forever; 0 = not kept)  ARGV[6] error text ('' = none)
ARGV[7] '1': only a job already in that registry (rq's xx)
Returns 1 filed, 0 not in the registry (xx; nothing changed), -3 no such job, -4 the
job is running (it ends through its worker) or ended otherwise (requeue it first), or
it is to be deferred while flow control holds it (a unique key, a concurrency key or
a priority: it would run from there)
Validated before the first write: the kinds of KEYS, the status, the numbers.
]]
--- @include terminal
--- @include checks

check_keys({ 'list', 'zset', 'zset', 'zset', 'zset', 'zset', 'zset' })

local prefix, id, status, err = ARGV[1], ARGV[2], ARGV[3], ARGV[6]
local registry = ({ finished = KEYS[4], failed = KEYS[5], canceled = KEYS[6],
                    deferred = KEYS[3] })[status]
if not registry then
  fail_step('ERR jobq: file takes finished, failed, canceled or deferred, not ' .. tostring(status))
end
local now = arg_int(ARGV[4], 'now', 0, 1e15)
local ttl = false
if ARGV[5] ~= '' then ttl = arg_int(ARGV[5], 'ttl', -1, 1e12) end
local jk = prefix .. 'job:' .. id
local st = redis.pcall('HGET', jk, 'status')
if type(st) ~= 'string' then return -3 end  -- no job (or garbage at its key)
if ARGV[7] == '1' and not redis.call('ZSCORE', registry, id) then return 0 end
local waiting = st == 'created' or st == 'queued' or st == 'scheduled' or st == 'deferred'
if not waiting and st ~= status then return -4 end
if status == 'deferred' then
  local f = redis.call('HMGET', jk, unpack(FLOW_FIELDS))
  if f[1] or f[2] or f[3] or f[4] then return -4 end
end

if st == status and status ~= 'deferred' then  -- ended already, here: a new expiry
  if ttl == false then return 1 end
  if ttl == 0 then
    redis.call('ZREM', registry, id)
    redis.call('DEL', jk)
  elseif ttl < 0 then
    redis.call('PERSIST', jk)
    redis.call('ZADD', registry, '+inf', id)
  else
    redis.call('PEXPIRE', jk, ttl * 1000)
    redis.call('ZADD', registry, now + ttl * 1000, id)
  end
  return 1
end

redis.call('LREM', KEYS[1], 0, id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[7], id)
if status == 'deferred' then
  redis.call('HSET', jk, 'status', 'deferred')
  redis.call('ZADD', registry, now, id)
  return 1
end
if ttl ~= false then
  redis.call('HSET', jk, status == 'finished' and 'result_ttl' or 'failure_ttl', ttl)
end
local extra = { 'reason', 'filed as ' .. status }
if err ~= '' then extra = { 'reason', 'filed as ' .. status, 'error', err } end
make_terminal(prefix, id, status, registry, now, extra)
return 1
