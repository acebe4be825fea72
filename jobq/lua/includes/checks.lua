-- Validate before the first write. Redis does not roll back a script that stops
-- half-way, so a step checks the kind of every key it will touch, and the numbers it
-- was given, before it writes anything. A key of the queue holding another kind of
-- value stops the step with an error that names the key, nothing written; a per-job
-- key holding garbage is handled for that one job (skipped or failed with a reason),
-- and the step goes on with the others.

-- Stop the step with the error reply `msg` ('CODE text'). Redis 7 replies with it as
-- given; Redis 6.2 cannot raise an error table (its handler expects a string), so
-- there the text is raised as a string and arrives inside Redis's ERR wrapper.
local function fail_step(msg)
  if redis.REDIS_VERSION then error({ err = msg }) end
  error(msg)
end

-- Whether `key` is absent or holds a value of `kind` ('hash', 'list', 'zset', 'set').
local function kind_ok(key, kind)
  local got = redis.call('TYPE', key).ok
  return got == 'none' or got == kind
end

-- Stop the step (before its first write) unless each KEYS[i] is absent or of kinds[i]
-- ('' skips a key).
local function check_keys(kinds)
  for i, kind in ipairs(kinds) do
    if kind ~= '' then
      local got = redis.call('TYPE', KEYS[i]).ok
      if got ~= 'none' and got ~= kind then
        fail_step('WRONGTYPE jobq: key ' .. KEYS[i] .. ' holds a ' .. got .. ', not a '
          .. kind .. '; nothing was written (delete or repair that key)')
      end
    end
  end
end

-- Stop the step (before its first write) unless `key` (derived, not in KEYS) is absent
-- or holds a value of `kind`.
local function check_key(key, kind)
  local got = redis.call('TYPE', key).ok
  if got ~= 'none' and got ~= kind then
    fail_step('WRONGTYPE jobq: key ' .. key .. ' holds a ' .. got .. ', not a ' .. kind
      .. '; nothing was written (delete or repair that key)')
  end
end

-- Run `cmd` on `key` as the step's first touch of that key and answer its reply; if
-- the key holds another kind than `kind`, stop with check_key's message. Used where the
-- command itself is the check (a read, or the step's first write), so the common path
-- pays no TYPE call.
local function call_checked(kind, cmd, key, ...)
  local reply = redis.pcall(cmd, key, ...)
  if type(reply) == 'table' and reply.err then
    check_key(key, kind)
    fail_step(reply.err)
  end
  return reply
end

-- A whole number in [lo, hi] given to the step, or stop before writing.
-- (Comparisons with nan are false, so nan fails the range test; no global is read on
-- the good path, as globals of a Redis script sit behind a guarded table.)
local function arg_int(raw, what, lo, hi)
  local n = tonumber(raw)
  if n and n >= lo and n <= hi and n % 1 == 0 then
    return n
  end
  fail_step('ERR jobq: ' .. what .. ' must be a whole number in [' .. lo .. ', ' .. hi
    .. '], got ' .. tostring(raw))
end

-- Whether `id` is a job id jobq could have made or accepted: 1 to 1024 bytes of UTF-8
-- without white space or braces (keys.check_id; braces would change the hash tag).
-- Anything else in a queue was written by hand and is no job of ours.
local function valid_id(id)
  local n = #id
  if n == 0 or n > 1024 or id:find('[%s{}]') then return false end
  if not id:find('[\128-\255]') then return true end
  local i = 1
  while i <= n do
    local c = id:byte(i)
    local len, lo, hi = 1, 0x80, 0xBF
    if c < 0x80 then len = 1
    elseif c >= 0xC2 and c <= 0xDF then len = 2
    elseif c >= 0xE0 and c <= 0xEF then
      len = 3
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
    elseif c >= 0xF0 and c <= 0xF4 then
      len = 4
      if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
    else
      return false
    end
    for j = i + 1, i + len - 1 do
      local b = id:byte(j)
      if not b or b < lo or b > hi then return false end
      lo, hi = 0x80, 0xBF
    end
    i = i + len
  end
  return true
end
