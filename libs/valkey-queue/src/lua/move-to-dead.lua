--[[ move-to-dead.lua: copy many entries to the dead-letter stream and ack (+ delete) them there,
  each copy written before its ack, so the source is acked only once the copy exists.
  The copy is the stored entry's fields verbatim (payload bytes untouched), then `reason`, `error`,
  `attempts`, `failedAt` (server clock, ms), `sourceId` and, when given, `stack`. If the entry is
  gone (trimmed), the caller's copy of its fields (ARGV fallback) is used. An entry no longer
  pending to this consumer is skipped (someone else finished it), so the DLQ gets one copy.
  KEYS[1] queue STREAM   KEYS[2] dead-letter STREAM   KEYS[3] stats HASH
  ARGV[1] group   ARGV[2] consumer   ARGV[3] '1' = XDEL the source (deleteOnAck)
  ARGV[4] dead-letter MAXLEN (approximate)   ARGV[5] '1' = read with NOACK (nothing pending to check or ack)
  Then 7 values per entry: stream entry id, reason (dead | broken | expired, also the counter),
  error text, attempts, '1' = also count a failure, stack ('' = none), fallback fields as a
  delayed body (`<byte length>:<value>` per field)
  Returns: one status per entry: 1 moved | 0 skipped (no longer pending to this consumer) ]]
local function decode(body)
  local fields, pos, size = {}, 1, #body
  while pos <= size do
    local colon = string.find(body, ':', pos, true)
    local length = colon and tonumber(string.sub(body, pos, colon - 1))
    if not length or colon + length > size then return nil end
    fields[#fields + 1] = string.sub(body, colon + 1, colon + length)
    pos = colon + length + 1
  end
  if #fields % 2 ~= 0 then return nil end
  return fields
end

local time = redis.call('TIME')
local now = tostring(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
local noAck = ARGV[5] == '1'
local statuses, counts = {}, {}

for i = 6, #ARGV, 7 do
  local entryId, reason, err, attempts = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local countFailure, stack, fallback = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local status = 0
  local pending = noAck or redis.call('XPENDING', KEYS[1], ARGV[1], entryId, entryId, 1)[1]
  if noAck or (pending and pending[2] == ARGV[2]) then
    local entry = redis.call('XRANGE', KEYS[1], entryId, entryId)[1]
    local fields = entry and entry[2] or decode(fallback) or {}
    local copy = {}
    for j = 1, #fields do copy[j] = fields[j] end
    local extra = { 'reason', reason, 'error', err, 'attempts', attempts, 'failedAt', now, 'sourceId', entryId }
    for j = 1, #extra do copy[#copy + 1] = extra[j] end
    if stack ~= '' then
      copy[#copy + 1] = 'stack'
      copy[#copy + 1] = stack
    end
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', unpack(copy))
    if not noAck then redis.call('XACK', KEYS[1], ARGV[1], entryId) end
    if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], entryId) end
    counts[reason] = (counts[reason] or 0) + 1
    if countFailure == '1' then counts.failed = (counts.failed or 0) + 1 end
    status = 1
  end
  statuses[#statuses + 1] = status
end

for field, count in pairs(counts) do redis.call('HINCRBY', KEYS[3], field, count) end
return statuses
