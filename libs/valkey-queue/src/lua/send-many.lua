#!lua
--[[ send-many.lua: append the messages of several concurrent send() calls to one queue in one call.
  Each message keeps its own idempotency marker, so each call stays retry-safe on its own: a message
  whose marker exists was written by an earlier attempt and is skipped. Values are appended verbatim.
  `#!lua` makes the server check OOM before the script starts: all messages or none.
  KEYS[1] target: the queue's STREAM (mode 'stream') or LIST (mode 'list')
  KEYS[2..n+1] the idempotency marker of each message, in message order
  ARGV[1] mode: 'stream' | 'list'   ARGV[2] marker TTL ms (0: no markers)
  ARGV[3] stream trimming: '' | 'MAXLEN' | 'MINID'   ARGV[4] max entries, or max age in ms (MINID)
  ARGV[5] values per message: stream, the field/value count; list, 1 (the element)
  ARGV[6..] the messages, ARGV[5] values each
  Returns: one status per message: 0 written | 2 already written (marker present) ]]
--#include server-clock
--#include history-event

local mode, markerTtl, width = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
local statuses, n = {}, 0
beginHistoryBatch()
for i = 6, #ARGV, width do
  n = n + 1
  if markerTtl > 0 and redis.call('EXISTS', KEYS[n + 1]) == 1 then
    statuses[n] = 2
  else
    if mode == 'stream' then
      redis.call('XADD', KEYS[1], '*', unpack(ARGV, i, i + width - 1))
      recordEntryHistory(KEYS[1], 'sent', { unpack(ARGV, i, i + width - 1) })
    else
      redis.call('LPUSH', KEYS[1], ARGV[i])
      recordElementHistory(KEYS[1], 'sent', ARGV[i])
    end
    if markerTtl > 0 then redis.call('SET', KEYS[n + 1], '1', 'PX', markerTtl) end
    statuses[n] = 0
  end
end
flushHistory()
if ARGV[3] == 'MAXLEN' then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[4])
elseif ARGV[3] == 'MINID' then
  redis.call('XTRIM', KEYS[1], 'MINID', '~', nowMs() - tonumber(ARGV[4]))
end
return statuses
