--[[ dequeue: take up to N ready jobs, each with a lease in `started`.
KEYS[1] queued (list)  KEYS[2] started (zset, score = lease deadline ms)  KEYS[3] wake (list)
ARGV[1] key prefix (job keys are prefix..'job:'..id)
ARGV[2] now (ms)  ARGV[3] lease deadline (ms)  ARGV[4] N  ARGV[5] worker name
Returns an array with one entry per job taken: { id, field, value, field, value, ... }
(the stored hash, then the fields this step changed). Ids whose hash is gone
(expired ttl, deleted, garbage) are dropped and more are taken in their place.
]]
--- @include fields

local prefix, now, deadline, worker = ARGV[1], ARGV[2], ARGV[3], ARGV[5]
local want = tonumber(ARGV[4])
local out = {}
while #out < want do
  local ids = redis.call('LPOP', KEYS[1], want - #out)
  if not ids then
    break
  end
  for _, id in ipairs(ids) do
    local jk = prefix .. 'job:' .. id
    local h = redis.call('HGETALL', jk)
    if #h > 0 then
      local attempts = hincr(jk, 'attempts', 1)
      redis.call('HSET', jk, 'status', 'started', 'started', now, 'worker', worker)
      redis.call('PERSIST', jk)
      redis.call('ZADD', KEYS[2], deadline, id)
      table.insert(h, 1, id)
      h[#h + 1] = 'attempts'
      h[#h + 1] = attempts
      h[#h + 1] = 'status'
      h[#h + 1] = 'started'
      h[#h + 1] = 'started'
      h[#h + 1] = now
      out[#out + 1] = h
    end
  end
end
-- more work left: keep a token so another idle worker wakes up too
if redis.call('LLEN', KEYS[1]) > 0 and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('RPUSH', KEYS[3], '1')
end
return out
