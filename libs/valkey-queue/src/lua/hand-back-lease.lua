--[[ hand-back-lease.lua: give an unfinished data stream back (shutdown, or a lease we gave up on).
  Only while the lease is still exactly ours: delete it WITHOUT acknowledging the LBS entry, mark
  the assignment lapsed now, and publish the stream name so other instances emit 'expired' and
  claim it at once instead of waiting for the TTL.
  KEYS[1] lease STRING   KEYS[2] assignment HASH   KEYS[3] assignments ZSET
  ARGV[1] expected lease value '<owner>:<token>'   ARGV[2] data stream name   ARGV[3] pub/sub channel
  Returns: 1 handed back | 0 lease missing | -1 held by another owner or token (nothing changed) ]]
--#include server-clock

local value = redis.call('GET', KEYS[1])
if not value then return 0 end
if value ~= ARGV[1] then return -1 end
local now = nowMs()
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'expiresAt', now)
  redis.call('ZADD', KEYS[3], now, ARGV[2])
end
-- pcall: an ACL without channel access must not fail a hand-back already written (sweepers find it).
redis.pcall('PUBLISH', ARGV[3], ARGV[2])
return 1
