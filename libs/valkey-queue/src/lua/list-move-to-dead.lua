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
--#include server-clock
--#include delayed-body
--#include dead-letter
--#include batch-statuses
--#include in-flight

local now = tostring(nowMs())
local inFlight = inFlightList(KEYS[1], KEYS[4])

local statuses = forEachItem(3, 7, function(i)
  local element, reason, err, attempts = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local failed, stack, body = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  if not inFlight.holds(element) then return false end
  local fields = decodeBody(body)
  if not fields or #fields == 0 then fields = { 'raw', element } end
  appendDeadLetter(KEYS[2], ARGV[1], fields, reason, err, attempts, now, ARGV[2], stack)
  if failed == '1' then countFailure() end
  inFlight.release(element)
  return true
end)

flushOutcomes(KEYS[3])
return statuses
