--[[ retry.lua: schedule retries of many failed entries: each is acked (+ deleted) and a copy with
  the next attempt number goes to the delayed set, due `delay` ms after now (the server's clock).
  Per entry, the copy is written before the ack, so a failure in between leaves the entry pending
  (redelivered later), never lost. An entry no longer pending to this consumer (acked elsewhere,
  or reclaimed by another consumer) is skipped, so a retry never duplicates another's work.
  The copy is the stored entry, field by field, with `attempt` replaced: the payload bytes are
  never decoded. If the entry itself is gone (trimmed), the caller's copy (ARGV fallback) is used.
  Body format (docs/key-layout.md): every field as `<byte length>:<value>`, concatenated.
  KEYS[1] queue STREAM   KEYS[2] delayed ZSET   KEYS[3] delayed bodies HASH   KEYS[4] stats HASH
  ARGV[1] group   ARGV[2] consumer   ARGV[3] '1' = XDEL acked entries (deleteOnAck)
  Then 5 values per entry: stream entry id, envelope id, delay ms, next attempt, fallback body
  The earliest retry, if due before every message already in the set, is published on KEYS[2].
  Returns: one status per entry: 1 scheduled | 0 skipped (no longer pending to this consumer) ]]
local function decode(body)
  local fields, pos, size = {}, 1, #body
  while pos <= size do
    local colon = string.find(body, ':', pos, true)
    local length = colon and tonumber(string.sub(body, pos, colon - 1))
    if not length or colon + length > size then return nil end
    fields[#fields + 1] = string.sub(body, colon + 1, colon + length)
    pos = colon + length + 1
  end
  return fields
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local statuses, scheduled = {}, 0
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]
local earliest

for i = 4, #ARGV, 5 do
  local entryId, id, delay, attempt, fallback = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entryId, entryId, 1)[1]
  local status = 0
  if pending and pending[2] == ARGV[2] then
    local entry = redis.call('XRANGE', KEYS[1], entryId, entryId)[1]
    local fields = entry and entry[2] or decode(fallback) or {}
    local parts, seen = {}, false
    for j = 1, #fields, 2 do
      local value = fields[j + 1]
      if fields[j] == 'attempt' then
        value = attempt
        seen = true
      end
      parts[#parts + 1] = #fields[j] .. ':' .. fields[j] .. #value .. ':' .. value
    end
    if not seen then parts[#parts + 1] = '7:attempt' .. #attempt .. ':' .. attempt end
    local due = now + tonumber(delay)
    if not earliest or due < earliest then earliest = due end
    redis.call('ZADD', KEYS[2], due, id)
    redis.call('HSET', KEYS[3], id, table.concat(parts))
    redis.call('XACK', KEYS[1], ARGV[1], entryId)
    if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], entryId) end
    scheduled = scheduled + 1
    status = 1
  end
  statuses[#statuses + 1] = status
end

-- A retry due before every other message wakes the promoters of other instances too.
-- pcall: a user whose ACL denies the channel still sends; its instances poll instead.
if earliest and (not head or earliest < tonumber(head)) then redis.pcall('PUBLISH', KEYS[2], earliest) end
if scheduled > 0 then
  redis.call('HINCRBY', KEYS[4], 'failed', scheduled)
  redis.call('HINCRBY', KEYS[4], 'retried', scheduled)
end
return statuses
