--[[ record_history: add what a worker's acknowledged jobs did to its queue's history (see
jobq/history.py); the worker sums its acknowledgements over about a second and sends
this step with the next batch of them.
KEYS[1] 10 s history bucket  KEYS[2] 1 min history bucket  KEYS[3] history totals
KEYS[4] functions the history tracks  KEYS[5] queued (sampled for the depth)
ARGV per function: function name, number of pairs N, then N pairs: field (finished,
failed, retried, reaped, r<bucket>, w<bucket>), count
Returns 1 written; -1 an argument is malformed, -3 a key holds another kind of value:
nothing written (history is statistics: the acknowledgements it rides with are not
held up by it)
]]
--- @include checks
--- @include history

local h = history_open(1)
if not h or not kind_ok(KEYS[5], 'list') then return -3 end

local OUTCOME = { finished = true, failed = true, retried = true, reaped = true }

-- (kind, key) of a field: ('n', outcome) or ('r'|'w', bucket); nil when malformed
local function parse_field(field)
  if OUTCOME[field] then return 'n', field end
  local kind, digits = string.match(field, '^([rw])(%d%d?%d?)$')
  local b = tonumber(digits)
  if kind and b < HISTORY_BUCKETS then return kind, b end
  return nil
end

local i = 1
while i <= #ARGV do
  local func, pairs_n = ARGV[i], tonumber(ARGV[i + 1])
  if not pairs_n or pairs_n < 1 or pairs_n > 1000 or pairs_n ~= math.floor(pairs_n)
      or i + 1 + 2 * pairs_n > #ARGV then
    return -1
  end
  if #func == 0 or #func > 512 then func = 'other' end
  local per = h.funcs[func]
  if not per then
    per = { n = {}, r = {}, w = {} }
    h.funcs[func] = per
  end
  for j = i + 2, i + 2 * pairs_n, 2 do
    local kind, key = parse_field(ARGV[j])
    local n = tonumber(ARGV[j + 1])
    if not kind or not n or n < 1 or n > 1e12 or n ~= math.floor(n) then return -1 end
    bump(per[kind], key, n)
  end
  i = i + 2 + 2 * pairs_n
end
if next(h.funcs) == nil then return -1 end
history_write(h, KEYS[5])
return 1
