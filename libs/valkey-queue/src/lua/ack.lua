--[[ ack.lua: acknowledge many handled stream entries of one consumer group in one call.
  Idempotency markers are written first, so a marker exists whenever an entry is acked: the entry
  is never acked without its marker (a failed write stops the script before the XACK).
  KEYS[1] queue STREAM   KEYS[2] stats HASH
  KEYS[2 + i] idempotency marker (`done:<envelope id>`) of the i-th entry, only when ARGV[3] > 0
  ARGV[1] group   ARGV[2] '1' = XDEL the entries too (deleteOnAck)
  ARGV[3] marker TTL in ms ('0' = write no markers)   ARGV[4] counter field to add to ('' = none)
  ARGV[5] '1' = the entries were read with NOACK (nothing to XACK; count every entry)
  ARGV[5 + i] stream entry id of the i-th entry
  With history on (the script's history variant), each entry is instead a group from ARGV[6] on:
  stream entry id, n, then n values: the `succeeded` event's envelope fields as stored (name/value
  pairs of id, attempt, labels, priority), so the entry is not read again; n = -1: read them here.
  Returns: the number of entries acknowledged now (XACK count; every entry with NOACK) ]]
--#include idempotency-markers
--#include history-event

local ids = {}
local eventFields = {} -- with history on: the i-th entry's event fields, false = read the entry
if historyOn then
  local i = 6
  while i <= #ARGV do
    local count = tonumber(ARGV[i + 1])
    ids[#ids + 1] = ARGV[i]
    eventFields[#ids] = count >= 0 and { unpack(ARGV, i + 2, i + 1 + count) }
    i = i + 2 + math.max(count, 0)
  end
else
  for i = 6, #ARGV do ids[#ids + 1] = ARGV[i] end
end
if #ids == 0 then return 0 end

local ttl = tonumber(ARGV[3])
if ttl > 0 then writeMarkers(3, #ids, ttl) end

local acked = #ids
if ARGV[5] ~= '1' then acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)) end
if historyStreamOf(KEYS[1]) then
  beginHistoryBatch() -- one history entry for the whole ack
  for i, entryId in ipairs(ids) do
    local fields = eventFields[i]
    if not fields then
      local entry = redis.call('XRANGE', KEYS[1], entryId, entryId)[1]
      fields = entry and entry[2]
    end
    if fields then recordEntryHistory(KEYS[1], 'succeeded', fields) end
  end
  flushHistory()
end
if ARGV[2] == '1' then redis.call('XDEL', KEYS[1], unpack(ids)) end
if ARGV[4] ~= '' and acked > 0 then redis.call('HINCRBY', KEYS[2], ARGV[4], acked) end
return acked
