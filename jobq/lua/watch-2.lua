--[[ watch: register a waiter on a job; if it already ended, wake the caller at once.
KEYS[1] the job's hash  KEYS[2] the job's notify list
Returns the job's status when it has ended or does not exist ('' then), after
pushing one token to its notify list (the caller's BLPOP, sent in the same round
trip, returns at once); or false after registering the waiter (the terminal
step pushes its token)
]]
local st = redis.call('HGET', KEYS[1], 'status')
if not st or st == 'finished' or st == 'failed' or st == 'canceled' or st == 'stopped' then
  redis.call('RPUSH', KEYS[2], '1')
  redis.call('PEXPIRE', KEYS[2], 60000)
  return st or ''
end
redis.call('HINCRBY', KEYS[1], 'waiters', 1)
return false
