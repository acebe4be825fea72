--- @include checks

-- A job id may be (re)used unless a live job holds it. An ended job with that id
-- is dropped, hash and registry entries, so that the new job starts clean.
local function claim_id(prefix, q, id)
  local jk = prefix .. 'job:' .. id
  local old = redis.call('HGET', jk, 'status')
  if old == 'queued' or old == 'started' or old == 'scheduled' or old == 'deferred' then
    return false
  end
  if old then
    check_key(q.finished, 'zset')
    check_key(q.failed, 'zset')
    check_key(q.canceled, 'zset')
    redis.call('DEL', jk)
    redis.call('ZREM', q.finished, id)
    redis.call('ZREM', q.failed, id)
    redis.call('ZREM', q.canceled, id)
  end
  return true
end

-- The placement code an enqueue answers for a job that is already stored (a resent
-- call): 1 queued (or since taken or ended), 2 scheduled, 3 deferred, 4 canceled.
local function landed_code(jk)
  local placed = { scheduled = 2, deferred = 3, canceled = 4 }
  return placed[redis.call('HGET', jk, 'status')] or 1
end
