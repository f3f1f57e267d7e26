--[[ promote-due.lua: move delayed messages that are due onto their queue, atomically.
  One script per page, so two promoters (any number of app instances) never both move a message:
  whoever runs first removes it from the ZSET, the other no longer sees it.
  KEYS[1] delayed ZSET (id -> due ms)   KEYS[2] bodies HASH (id -> body)
  KEYS[3] target: the queue's STREAM or LIST   KEYS[4] dead-letter STREAM (for unreadable bodies)
  ARGV[1] page size   ARGV[2] 'stream' | 'list'
  "Now" is the server's clock (TIME), so promoters on hosts with skewed clocks agree on what is due.
  Body: stream mode, the entry fields length-prefixed ("<bytes>:<value>" per field, no separators),
        so they are appended verbatim without any JSON decoding; list mode, the element itself.
  Returns: { promoted count, due score of the next message or -1 when none is left, server now ms } ]]
--#include server-clock
--#include delayed-body
--#include history-event

local now = nowMs()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local promoted = 0
for _, id in ipairs(due) do
  local body = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  if body then
    if ARGV[2] == 'list' then
      redis.call('LPUSH', KEYS[3], body)
      recordElementHistory(KEYS[1], 'promoted', body)
      promoted = promoted + 1
    else
      local fields = decodeBody(body)
      if fields and #fields > 0 then
        redis.call('XADD', KEYS[3], '*', unpack(fields))
        recordEntryHistory(KEYS[1], 'promoted', fields)
        promoted = promoted + 1
      else
        redis.call('XADD', KEYS[4], '*', 'id', id, 'reason', 'broken',
          'error', 'unreadable delayed body', 'raw', body, 'failedAt', now)
      end
    end
  end
end
local next = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { promoted, next[2] and tonumber(next[2]) or -1, now }
