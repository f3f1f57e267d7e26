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
--#include server-clock
--#include delayed-body
--#include pending-owner
--#include dead-letter
--#include batch-statuses

local now = tostring(nowMs())
local noAck = ARGV[5] == '1'

local statuses = forEachItem(6, 7, function(i)
  local entryId, reason, err, attempts = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local failed, stack, fallback = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  if not (noAck or isPendingTo(KEYS[1], ARGV[1], entryId, ARGV[2])) then return false end
  local entry = redis.call('XRANGE', KEYS[1], entryId, entryId)[1]
  local fields = entry and entry[2] or decodeBody(fallback) or {}
  appendDeadLetter(KEYS[2], ARGV[4], fields, reason, err, attempts, now, entryId, stack)
  if failed == '1' then countFailure() end
  if not noAck then redis.call('XACK', KEYS[1], ARGV[1], entryId) end
  if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], entryId) end
  return true
end)

flushOutcomes(KEYS[3])
return statuses
