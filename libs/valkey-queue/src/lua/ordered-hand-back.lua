--[[ ordered-hand-back.lua: give keys back unfinished (shutdown): each lease ends and the key is
  ready at once for another worker, its head message unchanged (the delivery already counted).
  KEYS[1] ready ZSET   KEYS[2] leases ZSET   KEYS[3] holders HASH
  ARGV[1] list prefix, then 2 values per key: ordering key, fencing token
  Returns: one status per key: 1 handed back | 0 skipped (stale token) ]]
--#include server-clock
--#include ordered-keys
--#include batch-statuses

local now = nowMs()
return forEachItem(2, 2, function(i)
  local key, token = ARGV[i], ARGV[i + 1]
  if not holdsKey(KEYS[3], key, token) then return false end
  releaseKey(KEYS[1], KEYS[2], KEYS[3], ARGV[1] .. key, key, now)
  return true
end)
