--[[ watch: register a waiter on a job; if it already ended, wake the caller at once.
KEYS[1] the job's hash  KEYS[2] the job's notify list
ARGV[1] optional: the wait's own token. A call sent again with the same token (a
        client that gave up on the reply and resent the round trip) does nothing:
        each wait counts once. The token is marked for 10 minutes.
Returns the job's status when it has ended or does not exist ('' then), after
pushing one token to its notify list (the caller's BLPOP, sent in the same round
trip, returns at once); or false after registering the waiter (the terminal
step pushes its token), or when this wait's token was seen already
]]
if ARGV[1] and ARGV[1] ~= '' then
  if not redis.call('SET', KEYS[2] .. ':w:' .. ARGV[1], '1', 'NX', 'PX', 600000) then
    return false
  end
end
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'finished' or st == 'failed' or st == 'canceled' or st == 'stopped'
    or st == 'skipped' then
  redis.call('RPUSH', KEYS[2], '1')
  redis.call('PEXPIRE', KEYS[2], 60000)
  return st or ''
end
redis.call('HINCRBY', KEYS[1], 'waiters', 1)
return false
