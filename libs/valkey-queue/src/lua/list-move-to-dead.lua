--[[ list-move-to-dead.lua: copy many list messages to the dead-letter stream and remove them from
  the consumer's in-flight list, each copy written before its removal, so a message leaves the
  in-flight list only once its copy exists. The copy carries the fields the worker read from the
  element (as a delayed body: `<byte length>:<value>` per field, split here with string operations,
  never JSON-decoded), then `reason`, `error`, `attempts`, `failedAt` (server clock, ms), `sourceId`
  (the list key the message was read from) and, when given, `stack`: the fields of the stream
  transport's dead letters. An empty body (what the worker sends for an element that is not UTF-8
  text) or one that cannot be split keeps the element whole in `raw`, byte for byte.
  An element no longer in the in-flight list is skipped (someone else has it), so the DLQ gets one copy.
  KEYS[1] in-flight LIST   KEYS[2] dead-letter STREAM   KEYS[3] stats HASH   KEYS[4] deliveries HASH
  ARGV[1] dead-letter MAXLEN (approximate)   ARGV[2] source list key name (stored as `sourceId`)
  Then 7 values per element: element as read, reason (dead | broken | expired, also the counter),
  error text, attempts, '1' = also count a failure, stack ('' = none), fields as a delayed body ('' = none)
  Returns: one status per element: 1 moved | 0 skipped (no longer in the in-flight list) ]]
local function decode(body)
  local fields, pos, size = {}, 1, #body
  while pos <= size do
    local colon = string.find(body, ':', pos, true)
    local length = colon and tonumber(string.sub(body, pos, colon - 1))
    if not length or colon + length > size then return nil end
    fields[#fields + 1] = string.sub(body, colon + 1, colon + length)
    pos = colon + length + 1
  end
  if #fields == 0 or #fields % 2 ~= 0 then return nil end
  return fields
end

local time = redis.call('TIME')
local now = tostring(tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
local counted = redis.call('HLEN', KEYS[4]) > 0
local statuses, counts = {}, {}

for i = 3, #ARGV, 7 do
  local element, reason, err, attempts = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local countFailure, stack, body = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local status = 0
  if redis.call('LPOS', KEYS[1], element, 'RANK', -1) then
    local copy = decode(body) or { 'raw', element }
    local extra = { 'reason', reason, 'error', err, 'attempts', attempts, 'failedAt', now, 'sourceId', ARGV[2] }
    for j = 1, #extra do copy[#copy + 1] = extra[j] end
    if stack ~= '' then
      copy[#copy + 1] = 'stack'
      copy[#copy + 1] = stack
    end
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(copy))
    redis.call('LREM', KEYS[1], -1, element)
    if counted then redis.call('HDEL', KEYS[4], redis.sha1hex(element)) end
    counts[reason] = (counts[reason] or 0) + 1
    if countFailure == '1' then counts.failed = (counts.failed or 0) + 1 end
    status = 1
  end
  statuses[#statuses + 1] = status
end

for field, count in pairs(counts) do redis.call('HINCRBY', KEYS[3], field, count) end
return statuses
