--[[ list-retry.lua: schedule retries of many failed list messages: each leaves the consumer's
  in-flight list and its next copy (built by the worker: the same element with `attempt` + 1, the
  payload string untouched) goes to the queue's delayed set, due `delay` ms after now (server clock).
  Per element, the copy is written before the removal, so a failure in between leaves the element
  in flight (returned to the queue later), never lost. An element no longer in the in-flight list
  (returned to the queue after a lapsed heartbeat) is skipped, so a retry never duplicates it.
  Body format (docs/key-layout.md): for list queues, the list element itself.
  KEYS[1] in-flight LIST   KEYS[2] delayed ZSET   KEYS[3] delayed bodies HASH   KEYS[4] stats HASH
  KEYS[5] deliveries HASH
  ARGV: 4 values per element: element as read, envelope id, delay ms, next element (the copy)
  The earliest retry, if due before every message already in the set, is published on KEYS[2]
  (the promoters' wake-up channel, as retry.lua does).
  Returns: one status per element: 1 scheduled | 0 skipped (no longer in the in-flight list) ]]
--#include server-clock
--#include retry-schedule
--#include batch-statuses
--#include in-flight

local now = nowMs()
local inFlight = inFlightList(KEYS[1], KEYS[5])
local schedule = retrySchedule(KEYS[2], KEYS[3], KEYS[4])

local statuses = forEachItem(1, 4, function(i)
  local element, id, delay, copy = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if not inFlight.holds(element) then return false end
  schedule.add(id, now + tonumber(delay), copy)
  inFlight.release(element)
  return true
end)

schedule.finish()
return statuses
