#!lua
--[[ ordered-send.lua: append messages with ordering keys to their keys' lists (oldest first),
  atomically with the dedup check and the idempotency marker, and make each key that had nothing
  waiting ready (unless it is leased or parked: its holder, or the release, readies it later).
  Same argument layout as send.lua, so a retried call sets ARGV[10] alike. One call per send()
  and per sendBatch() chunk; nothing is appended to the queue's stream.
  KEYS[1] ready ZSET (key -> ready at ms)   KEYS[2] holders HASH   KEYS[3] parked HASH
  KEYS[4] idempotency marker of this call (sent:<first id>)
  KEYS[5] dedup key (any key of the queue when ARGV[3] is 0)
  ARGV[1] list prefix (`<hash tag>:ordered:key:`)
  ARGV[2] marker TTL ms (0: no marker)   ARGV[3] dedup TTL ms (0: no dedup)
  ARGV[4] the first envelope id (stored under the dedup key)   ARGV[5], ARGV[6] unused ('')
  ARGV[7] due epoch ms ('' unless delayed with an absolute time)
  ARGV[8] delay ms from the server's clock ('' unless delayed with a relative delay)
  ARGV[9] 2 (values per message)   ARGV[10] '1' = a retry | '0' (both check the marker, as in send.lua)
  ARGV[11..] per message: ordering key, body (delayed-body format)
  A call that makes the ready set non-empty publishes the due ms on the channel KEYS[1] (wakes
  idle workers).
  Returns: { 0, appended count, due ms (delayed) or -1 }   written
         | { 1, first id }   deduplicated   | { 2 }   already written (a retried call) ]]
--#include server-clock
--#include ordered-keys

local markerTtl = tonumber(ARGV[2])
local dedupTtl = tonumber(ARGV[3])
if markerTtl > 0 and redis.call('EXISTS', KEYS[4]) == 1 then return { 2 } end
if dedupTtl > 0 then
  local first = redis.call('GET', KEYS[5])
  if first then
    recordHistory(KEYS[1], 'deduplicated', ARGV[4], 'of', first)
    return { 1, first }
  end
end

local now = nowMs()
local delayed = ARGV[7] ~= '' or ARGV[8] ~= ''
local due = ARGV[8] ~= '' and now + tonumber(ARGV[8]) or (ARGV[7] ~= '' and tonumber(ARGV[7]) or now)
local wasEmpty = redis.call('ZCARD', KEYS[1]) == 0
local readied = false
beginHistoryBatch() -- one history entry for the whole call
for i = 11, #ARGV, 2 do
  readied = appendOrdered(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[i], due, ARGV[i + 1]) or readied
  if delayed then
    recordOrderedHistory(KEYS[1], 'delayed', ARGV[i + 1], 'due', string.format('%d', due))
  else
    recordOrderedHistory(KEYS[1], 'sent', ARGV[i + 1])
  end
end
flushHistory()
-- pcall: a user whose ACL denies the channel still sends; workers then poll.
if readied and wasEmpty then redis.pcall('PUBLISH', KEYS[1], due) end

if dedupTtl > 0 then redis.call('SET', KEYS[5], ARGV[4], 'PX', dedupTtl) end
if markerTtl > 0 then redis.call('SET', KEYS[4], '1', 'PX', markerTtl) end
return { 0, (#ARGV - 10) / 2, delayed and due or -1 }
