--[[ promote-due.lua: move delayed messages that are due onto their queue, atomically.
  One script per page, so two promoters (any number of app instances) never both move a message:
  whoever runs first removes it from the ZSET, the other no longer sees it.
  KEYS[1] delayed ZSET (id -> due ms)   KEYS[2] bodies HASH (id -> body)
  KEYS[3] target: the queue's STREAM or LIST   KEYS[4] dead-letter STREAM (for unreadable bodies)
  KEYS[5..14] optional: the target's priority keys `<target>:p1` .. `<target>:p10`. Given, a message
  with a `priority` field (stream) or property (list) of 1..10 goes to its priority's key; without
  them (or priority 0 or malformed) to KEYS[3] (fragment priority-route)
  ARGV[1] page size   ARGV[2] 'stream' | 'list'
  ARGV[3] optional: the priority channel; a message that creates the key of its priority (1..10) is
  announced there (PUBLISH <channel> <priority>), so idle workers start reading that key at once
  "Now" is the server's clock (TIME), so promoters on hosts with skewed clocks agree on what is due.
  Body: stream mode, the entry fields length-prefixed ("<bytes>:<value>" per field, no separators),
        so they are appended verbatim without any JSON decoding; list mode, the element itself.
  Returns: { promoted count, due score of the next message or -1 when none is left, server now ms } ]]
--#include server-clock
--#include delayed-body
--#include priority-route
--#include history-event

local routes = #KEYS >= 14 and 4 or nil
local channel = ARGV[3] ~= nil and ARGV[3] ~= '' and ARGV[3] or nil
local announced = {}
-- The key of a message of `priority`, announcing a priority key this promotion creates.
local function destination(priority)
  local key = routeKey(KEYS[3], routes, priority)
  if priority > 0 and routes and channel and not announced[priority] and redis.call('EXISTS', key) == 0 then
    announced[priority] = true
    redis.call('PUBLISH', channel, priority)
  end
  return key
end
local now = nowMs()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local promoted = 0
beginHistoryBatch()
for _, id in ipairs(due) do
  local body = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  if body then
    if ARGV[2] == 'list' then
      redis.call('LPUSH', destination(elementPriority(body)), body)
      recordElementHistory(KEYS[1], 'promoted', body)
      promoted = promoted + 1
    else
      local fields = decodeBody(body)
      if fields and #fields > 0 then
        redis.call('XADD', destination(fieldsPriority(fields)), '*', unpack(fields))
        recordEntryHistory(KEYS[1], 'promoted', fields)
        promoted = promoted + 1
      else
        redis.call('XADD', KEYS[4], '*', 'id', id, 'reason', 'broken',
          'error', 'unreadable delayed body', 'raw', body, 'failedAt', now)
      end
    end
  end
end
flushHistory()
local next = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { promoted, next[2] and tonumber(next[2]) or -1, now }
