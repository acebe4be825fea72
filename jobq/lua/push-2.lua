--[[ push: put a job id on the queue's list (rq's Queue.push_job_id). Two cases have a
meaning: a queued job that its list lost (put back, once), and an id of no job, which
the list may hold as rq's does (dequeue and compact drop it). Any other job has its
place already: it is refused, nothing written.
KEYS[1] queued  KEYS[2] wake
ARGV[1] key prefix  ARGV[2] job id  ARGV[3] at front (1/0)
Returns 1 pushed, 0 already on the list (nothing written), -4 the job has another place
(not queued, or waiting by priority or for a concurrency slot)
]]
--- @include push_ready
--- @include checks

check_keys({ 'list', 'list' })

local prefix, id = ARGV[1], ARGV[2]
local jk = prefix .. 'job:' .. id
local kind = redis.call('TYPE', jk).ok
if kind == 'hash' then
  local f = redis.call('HMGET', jk, 'status', 'pri', 'ckey')
  if f[1] ~= 'queued' or f[2] or f[3] then return -4 end
  if redis.call('LPOS', KEYS[1], id) then return 0 end
elseif kind ~= 'none' then
  return -4  -- garbage at the job's key: not a place for an id
end
push_ready(KEYS[1], KEYS[2], id, ARGV[3] == '1')
return 1
