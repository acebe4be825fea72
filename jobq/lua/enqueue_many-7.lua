--[[ enqueue_many: store and queue a batch of jobs that need no dependency check and
are due now (enqueue_many's common case), with one push for the batch.
KEYS[1] queued (list)    KEYS[2] scheduled (zset)  KEYS[3] deferred (zset)
KEYS[4] wake (list)      KEYS[5] finished (zset)   KEYS[6] failed (zset)
KEYS[7] canceled (zset)
ARGV[1] key prefix of the queue   ARGV[2] now (ms)
then per job: id, flags (1: at front; 2: a new random id, which only this same call,
sent again after a lost reply, can have stored: then nothing is written for it), ttl
(ms, 0 = none), number F of field-value arguments, the F arguments
Returns a code per job, in order: 1 queued, -1 a live job with this id exists, or its
key holds another kind of value than a hash (that job is not written; the others are)
]]
--- @include push_ready
--- @include claim_id
--- @include checks

local prefix, now = ARGV[1], ARGV[2]
local q = { queued = KEYS[1], finished = KEYS[5], failed = KEYS[6], canceled = KEYS[7] }
-- validate before the first write: the keys and every job's numbers (a bad number
-- would otherwise stop the step after the writes of the jobs before it); a job key
-- holding another kind than a hash refuses only that job (-1), in the loop below
-- all of them: claim_id touches the ended registries, a check there would come after
-- the writes of earlier jobs of the batch
check_keys({ 'list', '', '', 'list', 'zset', 'zset', 'zset' })
arg_int(now, 'now', 0, 1e15)
local i = 3
while i <= #ARGV do
  arg_int(ARGV[i + 1], 'flags', 0, 3)
  arg_int(ARGV[i + 2], 'ttl', 0, 1e15)
  i = i + 4 + arg_int(ARGV[i + 3], 'field count', 0, #ARGV - i - 3)
end

local back, front, codes, written = {}, {}, {}, {}
i = 3
while i <= #ARGV do
  local id, flags, ttl, nf = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local first, last = i + 4, i + 3 + nf
  local jk = prefix .. 'job:' .. id
  local new_id = flags >= 2
  -- a new random id's key is almost always absent: EXISTS (an integer reply) answers
  -- that; any other key has its kind read before claim_id reads it
  local kind = 'none'
  if not new_id or redis.call('EXISTS', jk) == 1 then
    kind = redis.call('TYPE', jk).ok
  end
  if kind ~= 'none' and kind ~= 'hash' then
    codes[#codes + 1] = -1
  elseif new_id and (kind == 'hash' or written[jk]) then
    codes[#codes + 1] = landed_code(jk)  -- sent again after a lost reply: already here
  elseif new_id or claim_id(prefix, q, id) then
    redis.call('HSET', jk, 'status', 'queued', 'created', now, unpack(ARGV, first, last))
    if ttl > 0 then
      redis.call('PEXPIRE', jk, ttl)
    end
    written[jk] = true
    if flags % 2 == 1 then front[#front + 1] = id else back[#back + 1] = id end
    codes[#codes + 1] = 1
  else
    codes[#codes + 1] = -1
  end
  i = last + 1
end
-- LPUSH of many ids leaves them in the order of one LPUSH each
if #front > 0 then redis.call('LPUSH', KEYS[1], unpack(front)) end
if #back > 0 then redis.call('RPUSH', KEYS[1], unpack(back)) end
if #front + #back > 0 then wake_workers(KEYS[4]) end
return codes
