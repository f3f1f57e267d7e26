--[[ ordered-release.lua: release a parked ordering key (QueueAdmin.releaseOrderingKey): its later
  messages run again, from the oldest.
  KEYS[1] ready ZSET   KEYS[2] holders HASH   KEYS[3] parked HASH
  ARGV[1] list prefix   ARGV[2] ordering key
  Returns: 1 released | 0 the key was not parked ]]
--#include server-clock
--#include ordered-keys

local key = ARGV[2]
if redis.call('HDEL', KEYS[3], key) == 0 then return 0 end
local due = headDue(ARGV[1] .. key)
if due and redis.call('HEXISTS', KEYS[2], key) == 0 then
  redis.call('ZADD', KEYS[1], math.max(nowMs(), due), key)
end
return 1
