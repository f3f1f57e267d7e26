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
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local counted = redis.call('HLEN', KEYS[5]) > 0
local statuses, scheduled = {}, 0
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2]
local earliest

for i = 1, #ARGV, 4 do
  local element, id, delay, copy = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local status = 0
  if redis.call('LPOS', KEYS[1], element, 'RANK', -1) then
    local due = now + tonumber(delay)
    if not earliest or due < earliest then earliest = due end
    redis.call('ZADD', KEYS[2], due, id)
    redis.call('HSET', KEYS[3], id, copy)
    redis.call('LREM', KEYS[1], -1, element)
    if counted then redis.call('HDEL', KEYS[5], redis.sha1hex(element)) end
    scheduled = scheduled + 1
    status = 1
  end
  statuses[#statuses + 1] = status
end

-- A retry due before every other message wakes the promoters of other instances too.
-- pcall: a user whose ACL denies the channel still works; its instances poll instead.
if earliest and (not head or earliest < tonumber(head)) then redis.pcall('PUBLISH', KEYS[2], earliest) end
if scheduled > 0 then
  redis.call('HINCRBY', KEYS[4], 'failed', scheduled)
  redis.call('HINCRBY', KEYS[4], 'retried', scheduled)
end
return statuses
