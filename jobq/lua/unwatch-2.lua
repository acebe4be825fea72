--[[ unwatch: take back a waiter that watch registered, whose wait was cancelled
or gave up, so that the job's end leaves nothing behind for it.
KEYS[1] the job's hash  KEYS[2] the job's notify list
ARGV[1] optional: a token to push to the notify list (after the take-back), that
        wakes the caller's own BLPOP still blocked there; the caller removes it
        (LREM) once that BLPOP has returned, in case nobody took it ('' for none)
ARGV[2] optional: the wait's own token given to watch; only a wait whose token is
        still marked takes anything back, and only once (a resent call does nothing)
Before the job ends: its waiters count goes down by one (never below zero). After
it ended: one token its end pushed is taken (the list goes with its last token).
Returns 1 when a waiter or a token was taken, else 0; reads both keys' types
first, so a key of another type changes nothing.
]]
local jt = redis.call('TYPE', KEYS[1]).ok
local nt = redis.call('TYPE', KEYS[2]).ok
if (jt ~= 'hash' and jt ~= 'none') or (nt ~= 'list' and nt ~= 'none') then return 0 end
local function wake()
  if ARGV[1] and ARGV[1] ~= '' then
    redis.call('RPUSH', KEYS[2], ARGV[1])
    redis.call('PEXPIRE', KEYS[2], 60000)
  end
end
if ARGV[2] and ARGV[2] ~= '' and redis.call('DEL', KEYS[2] .. ':w:' .. ARGV[2]) == 0 then
  -- this wait registered nothing (or took it back already: a resent call)
  wake()
  return 0
end
local st = redis.call('HGET', KEYS[1], 'status')
if st and st ~= 'finished' and st ~= 'failed' and st ~= 'canceled' and st ~= 'stopped'
    and st ~= 'skipped' then
  local w = tonumber(redis.call('HGET', KEYS[1], 'waiters') or '0')
  if w == nil or w < 1 then
    wake()
    return 0
  end
  if w < 2 then
    redis.call('HDEL', KEYS[1], 'waiters')
  else
    redis.call('HINCRBY', KEYS[1], 'waiters', -1)
  end
  wake()
  return 1
end
local taken = redis.call('LPOP', KEYS[2])
wake()
if taken then return 1 end
return 0
