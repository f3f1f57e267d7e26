#!lua
--[[ send.lua: append one message, or one batch chunk, to a queue, atomically with its dedup check
  and its idempotency marker. One call per send() and per sendBatch() chunk.
  The `#!lua` line makes the server check OOM before the script starts, so a chunk is written whole
  or not at all. Values are appended verbatim: no JSON decoding of payloads here.
  KEYS[1] target: the queue's STREAM (mode 'stream') or LIST (mode 'list')
  KEYS[2] delayed ZSET (id -> due ms)   KEYS[3] delayed bodies HASH (id -> body)
  KEYS[4] idempotency marker of this call (sent:<first id>)
  KEYS[5] dedup key (any key of the queue when ARGV[3] is 0)
  ARGV[1] mode: 'stream' | 'list' | 'delayed'
  ARGV[2] marker TTL ms (0: no marker)   ARGV[3] dedup TTL ms (0: no dedup)
  ARGV[4] the first envelope id (stored under the dedup key)
  ARGV[5] stream trimming: '' | 'MAXLEN' | 'MINID'   ARGV[6] max entries, or max age in ms (MINID)
  ARGV[7] due epoch ms ('' unless delayed with an absolute time)
  ARGV[8] delay ms from the server's clock ('' unless delayed with a relative delay)
  ARGV[9] values per message: stream, the field/value count; list, 1 (element); delayed, 2 (id, body)
  ARGV[10] '1' = a retry | '0' = a first attempt. Both check the marker: a first attempt can be run
           twice, when the client resends it unchanged after a reconnect (ioredis resends commands
           left unanswered by a dropped connection)
  ARGV[11..] the messages, ARGV[9] values each
  A delayed call that becomes the set's earliest publishes its due ms on the channel KEYS[2].
  Returns: { 0, appended count, due ms or -1 }   written
         | { 1, first id }                       deduplicated: the dedup key holds the first id
         | { 2 }                                 already written: the marker exists (a retried call) ]]
--#include server-clock
--#include history-event

local markerTtl = tonumber(ARGV[2])
local dedupTtl = tonumber(ARGV[3])
if markerTtl > 0 and redis.call('EXISTS', KEYS[4]) == 1 then return { 2 } end
if dedupTtl > 0 then
  local first = redis.call('GET', KEYS[5])
  if first then
    recordHistory(KEYS[2], 'deduplicated', ARGV[4], 'of', first)
    return { 1, first }
  end
end

local mode, width, first, last = ARGV[1], tonumber(ARGV[9]), 11, #ARGV
local due = -1
beginHistoryBatch()
if mode == 'stream' then
  for i = first, last, width do
    redis.call('XADD', KEYS[1], '*', unpack(ARGV, i, i + width - 1))
    recordEntryHistory(KEYS[2], 'sent', { unpack(ARGV, i, i + width - 1) })
  end
  if ARGV[5] == 'MAXLEN' then
    redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[6])
  elseif ARGV[5] == 'MINID' then
    redis.call('XTRIM', KEYS[1], 'MINID', '~', nowMs() - tonumber(ARGV[6]))
  end
elseif mode == 'list' then
  -- unpack() is bounded by the Lua C stack, so push in slices
  for i = first, last, 1000 do
    redis.call('LPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, last)))
  end
  for i = first, historyStreamOf(KEYS[2]) and last or 0 do recordElementHistory(KEYS[2], 'sent', ARGV[i]) end
else
  local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]
  due = ARGV[8] ~= '' and nowMs() + tonumber(ARGV[8]) or tonumber(ARGV[7])
  for i = first, last, 2 do
    redis.call('ZADD', KEYS[2], 'NX', due, ARGV[i])
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
    recordHistory(KEYS[2], 'delayed', ARGV[i], 'due', string.format('%d', due))
  end
  -- Now the earliest: wake the promoters sleeping until a later one (channel = the set's name).
  -- pcall: a user whose ACL denies the channel still sends; its instances poll instead.
  if not head or due < tonumber(head) then redis.pcall('PUBLISH', KEYS[2], due) end
end
flushHistory()

if dedupTtl > 0 then redis.call('SET', KEYS[5], ARGV[4], 'PX', dedupTtl) end
if markerTtl > 0 then redis.call('SET', KEYS[4], '1', 'PX', markerTtl) end
return { 0, (last - first + 1) / width, due }
