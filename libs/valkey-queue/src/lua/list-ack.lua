--[[ list-ack.lua: acknowledge many handled list messages of one consumer in one call: remove each
  from the consumer's in-flight list (LREM, searching from the oldest end).
  Idempotency markers are written first, so a message is never removed without its marker.
  An element no longer in the in-flight list (returned to the queue after this consumer's heartbeat
  lapsed) is not counted, and its delivery count is kept for the copy now on the queue.
  KEYS[1] in-flight LIST   KEYS[2] stats HASH   KEYS[3] deliveries HASH
  KEYS[3 + i] idempotency marker (`done:<envelope id>`) of the i-th element, only when ARGV[1] > 0
  ARGV[1] marker TTL in ms ('0' = write no markers)   ARGV[2] counter field to add to ('' = none)
  ARGV[2 + i] the i-th list element, exactly as read
  Returns: the number of elements removed now ]]
--#include idempotency-markers
--#include list-deliveries
--#include history-event

local ttl = tonumber(ARGV[1])
if ttl > 0 then writeMarkers(4, #ARGV - 2, ttl) end

local forgetDelivery = deliveryForgetter(KEYS[3])
local removed = 0
beginHistoryBatch()
for i = 3, #ARGV do
  if redis.call('LREM', KEYS[1], -1, ARGV[i]) > 0 then
    removed = removed + 1
    forgetDelivery(ARGV[i])
    recordElementHistory(KEYS[1], 'succeeded', ARGV[i])
  end
end
flushHistory()
if ARGV[2] ~= '' and removed > 0 then redis.call('HINCRBY', KEYS[2], ARGV[2], removed) end
return removed
