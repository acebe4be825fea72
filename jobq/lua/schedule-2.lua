--[[ schedule: store (or replace) a recurring schedule and the template of its runs.
KEYS[1] schedules (hash: schedule id → definition JSON)
KEYS[2] schedule-due (zset: schedule id → next slot, ms)
ARGV[1] key prefix of the queue; the run template is prefix..'schedule-job:'..id, and
        the record of an ended schedule with this id, prefix..'schedule-ended:'..id, is dropped
ARGV[2] schedule id  ARGV[3] definition (JSON, its next_run is ARGV[4])
ARGV[4] first slot (ms)
ARGV[5 ..] field, value pairs of the run template (the job hash every run starts from)
Returns 1 stored, 2 stored over an existing schedule with this id (its runs stay)
]]

--- @include checks

check_keys({ 'hash', 'zset' })
arg_int(ARGV[4], 'first slot', 0, 1e15)
local prefix, id = ARGV[1], ARGV[2]
local tk = prefix .. 'schedule-job:' .. id
local existed = redis.call('HEXISTS', KEYS[1], id)
redis.call('HSET', KEYS[1], id, ARGV[3])
redis.call('DEL', tk, prefix .. 'schedule-ended:' .. id)
redis.call('HSET', tk, unpack(ARGV, 5, #ARGV))
redis.call('ZADD', KEYS[2], ARGV[4], id)
if existed == 1 then
  return 2
end
return 1
