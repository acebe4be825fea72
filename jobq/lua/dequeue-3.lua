--[[ dequeue: take up to N ready jobs, each with a lease in `started`.
KEYS[1] queued (list)  KEYS[2] started (zset, score = lease deadline ms)  KEYS[3] wake (list)
ARGV[1] key prefix (job keys are prefix..'job:'..id)
ARGV[2] now (ms)
ARGV[3] lease (ms; the deadline is now + lease)  ARGV[4] N  ARGV[5] worker name
ARGV[6] '1': read now from the server's clock (TIME) instead, for a call queued behind
        a blocking pop whose wake-up time the caller cannot know; ARGV[2] is then the
        latest it can be (send time + the pop's timeout), used if the ACL user may not
        call TIME
Returns an array with one entry per job taken: { id, field, value, field, value, ... }
(the stored hash, then the fields this step changed), and one entry { id, reason } per
id skipped because it is no job id (see valid_id) or its key holds another kind of
value than a hash (garbage, written by hand: left as it is; the id leaves the queue). Ids whose hash is gone (expired ttl, deleted) are
dropped; more are taken in the place of both.
Validated before the first write: the kinds of KEYS, N and the lease; each job key is
read with HGETALL through pcall, so a key of another kind cannot stop the step after
its LPOP (the popped ids would be lost).
]]
--- @include fields
--- @include checks

check_keys({ 'list', 'zset', 'list' })
local prefix, worker = ARGV[1], ARGV[5]
local want = arg_int(ARGV[4], 'N', 1, 100000)
local lease = arg_int(ARGV[3], 'lease', 1, 1e12)
local now = arg_int(ARGV[2], 'now', 0, 1e15)
if ARGV[6] == '1' then
  local t = redis.pcall('TIME')  -- TIME is in @fast only: an ACL user may lack it
  if not t.err then now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
end
local deadline = now + lease
local out, leases, taken = {}, {}, 0
while taken < want do
  local ids = redis.call('LPOP', KEYS[1], want - taken)
  if not ids then
    break
  end
  for _, id in ipairs(ids) do
    local jk = prefix .. 'job:' .. id
    local h = valid_id(id) and redis.pcall('HGETALL', jk)
    if not h then
      out[#out + 1] = { id, 'not a job id (empty, too long, white space, braces or not UTF-8)' }
    elseif h.err then
      out[#out + 1] = { id, 'its key holds no job hash (' .. redis.call('TYPE', jk).ok .. ')' }
    elseif #h > 0 then
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
      taken = taken + 1
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
