--[[ watch: register a waiter on a job, unless it already ended.
KEYS[1] the job's hash
Returns the job's status when it has ended or does not exist ('' then), or
false after registering the waiter (the terminal step pushes to its notify list)
]]
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return '' end
if st == 'finished' or st == 'failed' or st == 'canceled' or st == 'stopped' then
  return st
end
redis.call('HINCRBY', KEYS[1], 'waiters', 1)
return false
