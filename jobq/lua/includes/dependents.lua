-- Settle the jobs that wait on `id` once it reached a terminal state.
-- ok: the dependency finished. Otherwise a dependent is canceled, unless it
-- allows failed dependencies, and its own dependents are settled in turn.
--- @include push_ready
--- @include terminal
--- @include fields

-- q: the queue's keys; queued, wake, deferred, canceled and scheduled are used
local function settle_dependents(prefix, id, ok, now, q)
  local stack = { { id, ok } }
  while #stack > 0 do
    local top = table.remove(stack)
    local parent, parent_ok = top[1], top[2]
    local dkey = prefix .. 'dependents:' .. parent
    local members = redis.pcall('SMEMBERS', dkey)
    if members.err then  -- garbage where the set of dependents was: nobody to settle
      redis.call('DEL', dkey)
      members = {}
    elseif #members > 0 then
      redis.call('DEL', dkey)
    end
    for _, d in ipairs(members) do
      local jk = prefix .. 'job:' .. d
      -- pcall: a dependent whose key holds no hash is garbage, left alone
      if redis.pcall('HGET', jk, 'status') == 'deferred' then
        if parent_ok or redis.call('HGET', jk, 'allow_dep_fail') == '1' then
          if hincr(jk, 'pending_deps', -1) <= 0 then
            redis.call('ZREM', q.deferred, d)
            local due = int_field(redis.call('HGET', jk, 'due'), 0, 1e15, 0)
            if due > 0 then redis.call('HDEL', jk, 'due') end
            if due > now then  -- enqueued with a due time still ahead
              redis.call('HSET', jk, 'status', 'scheduled')
              redis.call('ZADD', q.scheduled, due, d)
            else
              redis.call('HSET', jk, 'status', 'queued', 'enqueued', now)
              push_ready(q.queued, q.wake, d, false)
            end
          end
        else
          redis.call('ZREM', q.deferred, d)
          make_terminal(prefix, d, 'canceled', q.canceled, now,
            { 'reason', 'dependency ' .. parent .. ' did not finish' })
          table.insert(stack, { d, false })
        end
      end
    end
  end
end
