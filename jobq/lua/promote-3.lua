--[[ promote: move scheduled jobs that are due into the queue, oldest first.
KEYS[1] scheduled  KEYS[2] queued  KEYS[3] wake
ARGV[1] key prefix  ARGV[2] now (ms)  ARGV[3] batch limit
A job whose 'front' field is '1' (enqueue_at(..., at_front=True)) goes to the head of
the queue, the others to its end. Ids whose key holds no job hash (gone, or garbage)
only leave `scheduled`. On a queue where jobs have priorities (flag 'prio' in
prefix..'flow'), a job with one takes its place by it (includes/flow.lua).
Returns the number of jobs queued
]]
--- @include push_ready
--- @include checks
--- @include flow

check_keys({ 'zset', 'list', 'list' })
arg_int(ARGV[2], 'now', 0, 1e15)
arg_int(ARGV[3], 'batch limit', 1, 1e6)

local prefix, now = ARGV[1], ARGV[2]
local ids = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, ARGV[3])
local n = 0
local by_priority = #ids > 0 and redis.pcall('HGET', prefix .. 'flow', 'prio') == '1'
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local jk = prefix .. 'job:' .. id
  -- a key holding no hash is garbage, no job: its id just leaves `scheduled`
  if redis.call('TYPE', jk).ok == 'hash' then
    redis.call('HSET', jk, 'status', 'queued', 'enqueued', now)
    local pri = by_priority and int_field(redis.call('HGET', jk, 'pri'), -MAX_PRIORITY,
      MAX_PRIORITY, 0) or 0
    if pri ~= 0 then
      place_by_priority(prefix, id, pri)
    else
      push_ready(KEYS[2], KEYS[3], id, redis.call('HGET', jk, 'front') == '1')
    end
    n = n + 1
  end
end
return n
