--[[ enqueue_many: store and queue a batch of jobs that need no dependency check and
are due now (enqueue_many's common case), with one push for the batch.
KEYS[1] queued (list)    KEYS[2] scheduled (zset)  KEYS[3] deferred (zset)
KEYS[4] wake (list)      KEYS[5] finished (zset)   KEYS[6] failed (zset)
KEYS[7] canceled (zset)
ARGV[1] key prefix of the queue   ARGV[2] now (ms)
then per job: id, flags (1: at front; 2: a new random id, which only this same call,
sent again after a lost reply, can have stored: then nothing is written for it), ttl
(ms, 0 = none), number F of field-value arguments, the F arguments
Returns a code per job, in order: 1 queued, -1 a live job with this id exists
(that job is not written; the others are)
]]
--- @include push_ready
--- @include claim_id

local prefix, now = ARGV[1], ARGV[2]
local q = { queued = KEYS[1], finished = KEYS[5], failed = KEYS[6], canceled = KEYS[7] }
local back, front, codes = {}, {}, {}
local i = 3
while i <= #ARGV do
  local id, flags, ttl, nf = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local first, last = i + 4, i + 3 + nf
  local jk = prefix .. 'job:' .. id
  local new_id = flags >= 2
  if new_id and redis.call('EXISTS', jk) == 1 then
    codes[#codes + 1] = landed_code(jk)  -- sent again after a lost reply: already here
  elseif new_id or claim_id(prefix, q, id) then
    redis.call('HSET', jk, 'status', 'queued', 'created', now, unpack(ARGV, first, last))
    if ttl > 0 then
      redis.call('PEXPIRE', jk, ttl)
    end
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
