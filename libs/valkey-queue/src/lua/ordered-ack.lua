--[[ ordered-ack.lua: finish the head message of many leased keys: pop it, end the lease, and make
  the key ready for its next message (or leave nothing behind when the list is empty). A key whose
  token is no longer current (its lease was reclaimed) is skipped: a stale holder never pops.
  KEYS[1] ready ZSET   KEYS[2] leases ZSET   KEYS[3] holders HASH   KEYS[4] takes HASH
  KEYS[5] stats HASH
  ARGV[1] list prefix   ARGV[2] stats counter to add to ('' = none)
  Then 2 values per key: ordering key, fencing token
  Returns: one status per key: 1 acknowledged | 0 skipped (stale token) ]]
--#include server-clock
--#include ordered-keys
--#include batch-statuses

local now = nowMs()
local done = 0
local statuses = forEachItem(3, 2, function(i)
  local key, token = ARGV[i], ARGV[i + 1]
  if not holdsKey(KEYS[3], key, token) then return false end
  local list = ARGV[1] .. key
  redis.call('LPOP', list)
  redis.call('HDEL', KEYS[4], key)
  releaseKey(KEYS[1], KEYS[2], KEYS[3], list, key, now)
  done = done + 1
  return true
end)
if ARGV[2] ~= '' and done > 0 then redis.call('HINCRBY', KEYS[5], ARGV[2], done) end
return statuses
