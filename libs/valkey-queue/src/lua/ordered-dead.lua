--[[ ordered-dead.lua: move the head message of many leased keys to the dead-letter stream (its
  stored fields verbatim, then reason, error, attempts, failedAt, sourceId = the ordering key, and
  the stack when given), then, per the policy: 'continue' makes the key ready for its next message;
  'park' (reason 'dead' only) holds the key, its later messages kept, until releaseOrderingKey().
  Stale tokens are skipped, so the dead-letter stream gets one copy.
  KEYS[1] ready ZSET   KEYS[2] leases ZSET   KEYS[3] holders HASH   KEYS[4] takes HASH
  KEYS[5] dead-letter STREAM   KEYS[6] stats HASH   KEYS[7] parked HASH (key -> parked at ms)
  ARGV[1] list prefix   ARGV[2] dead-letter MAXLEN (approximate)   ARGV[3] '1' = park on 'dead'
  Then 7 values per key: ordering key, fencing token, reason (dead | broken | expired, also the
  counter), error text, attempts, '1' = also count a failure, stack ('' = none)
  Returns: one status per key: 1 moved | 0 skipped (stale token) ]]
--#include server-clock
--#include delayed-body
--#include dead-letter
--#include ordered-keys
--#include batch-statuses

local now = nowMs()
local statuses = forEachItem(4, 7, function(i)
  local key, token, reason, err = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local attempts, failed, stack = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  if not holdsKey(KEYS[3], key, token) then return false end
  local list = ARGV[1] .. key
  local head = redis.call('LPOP', list)
  if head then
    local fields = decodeBody(elementBody(head)) or {}
    appendDeadLetter(KEYS[5], ARGV[2], fields, reason, err, attempts, tostring(now), key, stack)
    if failed == '1' then countFailure() end
  end
  redis.call('HDEL', KEYS[4], key)
  if ARGV[3] == '1' and reason == 'dead' then
    redis.call('ZREM', KEYS[2], key)
    redis.call('HDEL', KEYS[3], key)
    redis.call('HSET', KEYS[7], key, now)
  else
    releaseKey(KEYS[1], KEYS[2], KEYS[3], list, key, now)
  end
  return true
end)
flushOutcomes(KEYS[6])
return statuses
