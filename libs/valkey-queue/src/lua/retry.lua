--[[ retry.lua: schedule retries of many failed entries: each is acked (+ deleted) and a copy with
  the next attempt number goes to the delayed set, due `delay` ms after now (the server's clock).
  Per entry, the copy is written before the ack, so a failure in between leaves the entry pending
  (redelivered later), never lost. An entry no longer pending to this consumer (acked elsewhere,
  or reclaimed by another consumer) is skipped, so a retry never duplicates another's work.
  The copy is the stored entry, field by field, with `attempt` and `firstAttempt` replaced (or
  added): the payload bytes are never decoded. If the entry itself is gone (trimmed), the
  caller's copy (ARGV fallback) is used.
  Body format (docs/key-layout.md): every field as `<byte length>:<value>`, concatenated.
  KEYS[1] queue STREAM   KEYS[2] delayed ZSET   KEYS[3] delayed bodies HASH   KEYS[4] stats HASH
  ARGV[1] group   ARGV[2] consumer   ARGV[3] '1' = XDEL acked entries (deleteOnAck)
  Then 6 values per entry: stream entry id, envelope id, delay ms, next attempt, first attempt
  (the attempt it was first delivered with), fallback body
  The earliest retry, if due before every message already in the set, is published on KEYS[2].
  Returns: one status per entry: 1 scheduled | 0 skipped (no longer pending to this consumer) ]]
--#include server-clock
--#include delayed-body
--#include pending-owner
--#include retry-schedule
--#include batch-statuses

local now = nowMs()
local schedule = retrySchedule(KEYS[2], KEYS[3], KEYS[4])

local statuses = forEachItem(4, 6, function(i)
  local entryId, id, delay = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local fallback = ARGV[i + 5]
  if not isPendingTo(KEYS[1], ARGV[1], entryId, ARGV[2]) then return false end
  local entry = redis.call('XRANGE', KEYS[1], entryId, entryId)[1]
  local fields = entry and entry[2] or decodeBody(fallback) or {}
  schedule.add(id, now + tonumber(delay), encodeNextAttempt(fields, ARGV[i + 3], ARGV[i + 4]))
  redis.call('XACK', KEYS[1], ARGV[1], entryId)
  if ARGV[3] == '1' then redis.call('XDEL', KEYS[1], entryId) end
  return true
end)

schedule.finish()
return statuses
