-- History (see jobq/history.py): a step sums what it records in a table, then
-- writes each field once (HINCRBY) to the 10 s bucket, the 1 min bucket and the
-- totals. KEYS[first .. first+3]: 10 s bucket, 1 min bucket (hashes), totals (hash),
-- functions tracked (set); a step called without them records no history.
-- Fields: finished | failed | retried | reaped, r<b> (run time), w<b> (wait time),
-- each also as <field>@<function>; depth (queued jobs when the step ran).
--- @include defaults
--- @include checks

-- {} to sum into when the step records history, else nil (the caller skips it all):
-- called without the history keys, or one of them holds another kind of value (then
-- nothing is recorded, and the step's own work goes on).
local function history_open(first)
  if not KEYS[first + 3] then return nil end
  for i, kind in ipairs({ 'hash', 'hash', 'hash', 'set' }) do
    if not kind_ok(KEYS[first + i - 1], kind) then return nil end
  end
  return { first = first, funcs = {} }
end

local function bump(t, field, n)
  t[field] = (t[field] or 0) + n
end

-- One job that did not run to an acknowledgement (reaped): counted by function.
local function history_add(h, outcome, func)
  if not h then return end
  if type(func) ~= 'string' or #func == 0 or #func > 512 then func = 'other' end
  local per = h.funcs[func]
  if not per then
    per = { n = {}, r = {}, w = {} }
    h.funcs[func] = per
  end
  bump(per.n, outcome, 1)
end

-- The name a function is counted under: itself while fewer than HISTORY_MAX_FUNCTIONS
-- are tracked (or it is one of them), else 'other'.
local function history_label(set, func)
  if func == 'other' or redis.call('SISMEMBER', set, func) == 1 then return func end
  if redis.call('SCARD', set) < HISTORY_MAX_FUNCTIONS then
    redis.call('SADD', set, func)
    return func
  end
  return 'other'
end

-- Write the sums; `queued`: the queue's list, sampled for the depth.
local function history_write(h, queued)
  if not h then return end
  local fields = {}
  for func, per in pairs(h.funcs) do
    local at = '@' .. history_label(KEYS[h.first + 3], func)
    for kind, counts in pairs(per) do
      local prefix = kind == 'n' and '' or kind
      for key, n in pairs(counts) do
        local field = prefix .. key
        bump(fields, field, n)
        bump(fields, field .. at, n)
      end
    end
  end
  local depth = redis.call('LLEN', queued)
  for i = 0, 2 do
    local key = KEYS[h.first + i]
    for field, n in pairs(fields) do
      redis.call('HINCRBY', key, field, n)
    end
    if i < 2 then
      redis.call('HSET', key, 'depth', depth)
      redis.call('EXPIRE', key, HISTORY_TTL[i + 1])
    end
  end
end
