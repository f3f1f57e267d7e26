--[[ ordered-retry.lua: a failed head message stays the head of its key, so nothing later of that
  key runs before it: its element is rewritten in place with the next attempt number (the stored
  bytes, field by field: the payload is never decoded) and due `delay` ms after now, and the key is
  made ready at that time. Stale tokens are skipped.
  KEYS[1] ready ZSET   KEYS[2] leases ZSET   KEYS[3] holders HASH   KEYS[4] takes HASH
  KEYS[5] stats HASH
  ARGV[1] list prefix, then 5 values per key: ordering key, fencing token, delay ms, next attempt,
  first attempt
  Returns: one status per key: 1 scheduled | 0 skipped (stale token) ]]
--#include server-clock
--#include delayed-body
--#include ordered-keys
--#include batch-statuses

local now = nowMs()
local scheduled = 0
local statuses = forEachItem(2, 5, function(i)
  local key, token, delay = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if not holdsKey(KEYS[3], key, token) then return false end
  local list = ARGV[1] .. key
  local head = redis.call('LINDEX', list, 0)
  if head then
    local fields = decodeBody(elementBody(head)) or {}
    local body = encodeNextAttempt(fields, ARGV[i + 3], ARGV[i + 4])
    redis.call('LSET', list, 0, (now + delay) .. ';' .. body)
    for j = 1, #fields - 1, 2 do
      if fields[j] == 'id' then recordHistory(KEYS[1], 'retried', fields[j + 1], 'due', string.format('%d', now + delay)) end
    end
  end
  redis.call('HDEL', KEYS[4], key)
  releaseKey(KEYS[1], KEYS[2], KEYS[3], list, key, now)
  scheduled = scheduled + 1
  return true
end)
if scheduled > 0 then
  redis.call('HINCRBY', KEYS[5], 'failed', scheduled)
  redis.call('HINCRBY', KEYS[5], 'retried', scheduled)
end
return statuses
