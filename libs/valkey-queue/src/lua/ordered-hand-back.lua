--[[ ordered-hand-back.lua: give keys back unfinished (shutdown): each lease ends and the key is
  ready at once for another worker, its head message unchanged. With ARGV[2] '1' the head's delivery
  is counted (its handler ran and was aborted); '0' for a head that never ran here.
  KEYS[1] ready ZSET   KEYS[2] leases ZSET   KEYS[3] holders HASH   KEYS[4] takes HASH
  ARGV[1] list prefix   ARGV[2] '1' = count the delivery | '0'
  Then 2 values per key: ordering key, fencing token
  Returns: one status per key: 1 handed back | 0 skipped (stale token) ]]
--#include server-clock
--#include ordered-keys
--#include batch-statuses

local now = nowMs()
return forEachItem(3, 2, function(i)
  local key, token = ARGV[i], ARGV[i + 1]
  if not holdsKey(KEYS[3], key, token) then return false end
  releaseKey(KEYS[1], KEYS[2], KEYS[3], ARGV[1] .. key, key, now)
  if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[4], key, 1) end
  return true
end)
