--[[ ack.lua: acknowledge many handled stream entries of one consumer group in one call.
  Idempotency markers are written first, so a marker exists whenever an entry is acked: the entry
  is never acked without its marker (a failed write stops the script before the XACK).
  KEYS[1] queue STREAM   KEYS[2] stats HASH
  KEYS[2 + i] idempotency marker (`done:<envelope id>`) of the i-th entry, only when ARGV[3] > 0
  ARGV[1] group   ARGV[2] '1' = XDEL the entries too (deleteOnAck)
  ARGV[3] marker TTL in ms ('0' = write no markers)   ARGV[4] counter field to add to ('' = none)
  ARGV[5] '1' = the entries were read with NOACK (nothing to XACK; count every entry)
  ARGV[5 + i] stream entry id of the i-th entry
  With history on (the script's history variant), from ARGV[6] on instead: ARGV[6] the `succeeded`
  events of the entries whose fields the caller read, as one `many` list (format 3 of
  fragments/history-event.lua: a JSON array of [id, attempt, labels, priority] as stored; '' = none),
  so those entries are not read again; ARGV[7] r; ARGV[7 + i] stream entry id of the i-th entry, the
  first r of them not in the list (their fields are read here).
  Returns: the number of entries acknowledged now (XACK count; every entry with NOACK) ]]
--#include idempotency-markers
--#include history-event

local ids = {}
local firstId, toRead, succeeded = 6, 0, ''
if historyOn then firstId, toRead, succeeded = 8, tonumber(ARGV[7]), ARGV[6] end
for i = firstId, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return 0 end

local ttl = tonumber(ARGV[3])
if ttl > 0 then writeMarkers(3, #ids, ttl) end

local acked = #ids
if ARGV[5] ~= '1' then acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids)) end
if historyStreamOf(KEYS[1]) then
  beginHistoryBatch() -- one history entry for the whole ack
  if succeeded ~= '' then appendHistory(historyStreamOf(KEYS[1]), { 'e', 'succeeded', 'many', succeeded }) end
  for i = 1, toRead do
    local entry = redis.call('XRANGE', KEYS[1], ids[i], ids[i])[1]
    if entry then recordEntryHistory(KEYS[1], 'succeeded', entry[2]) end
  end
  flushHistory()
end
if ARGV[2] == '1' then redis.call('XDEL', KEYS[1], unpack(ids)) end
if ARGV[4] ~= '' and acked > 0 then redis.call('HINCRBY', KEYS[2], ARGV[4], acked) end
return acked
