--[[ dequeue: take up to N ready jobs, each with a lease in `started`.
KEYS[1] queued (list)  KEYS[2] started (zset, score = lease deadline ms)  KEYS[3] wake (list)
ARGV[1] key prefix (job keys are prefix..'job:'..id)
ARGV[2] now (ms; '' = the server's clock, for a call queued behind a blocking pop
        whose wake-up time the caller cannot know)
ARGV[3] lease (ms; the deadline is now + lease)  ARGV[4] N  ARGV[5] worker name
Returns an array with one entry per job taken: { id, field, value, field, value, ... }
(the stored hash, then the fields this step changed). Ids whose hash is gone
(expired ttl, deleted, garbage) are dropped and more are taken in their place.
]]
--- @include fields

local prefix, worker = ARGV[1], ARGV[5]
local now = tonumber(ARGV[2])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local deadline = now + tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local out, leases = {}, {}
while #out < want do
  local ids = redis.call('LPOP', KEYS[1], want - #out)
  if not ids then
    break
  end
  for _, id in ipairs(ids) do
    local jk = prefix .. 'job:' .. id
    local h = redis.call('HGETALL', jk)
    if #h > 0 then
      local attempts = 1
      for i = 1, #h, 2 do
        if h[i] == 'attempts' then attempts = count_or_zero(h[i + 1]) + 1 end
      end
      redis.call('HSET', jk, 'status', 'started', 'started', now, 'worker', worker,
        'attempts', attempts)
      redis.call('PERSIST', jk)
      leases[#leases + 1] = deadline
      leases[#leases + 1] = id
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
-- one ZADD for the batch (in slices: Lua passes at most a few thousand arguments)
for i = 1, #leases, 1000 do
  redis.call('ZADD', KEYS[2], unpack(leases, i, math.min(i + 999, #leases)))
end
-- more work left: keep a token so another idle worker wakes up too
if redis.call('LLEN', KEYS[1]) > 0 and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('RPUSH', KEYS[3], '1')
end
return out
