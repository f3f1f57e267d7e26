--[[ release-lease.lua: the owner is done with a data stream. Only while the lease is still exactly
  ours: delete it, acknowledge and delete the stream's LBS entry, and drop the assignment, so a
  stale owner can never mark the current owner's work done.
  KEYS[1] LBS STREAM   KEYS[2] lease STRING   KEYS[3] assignment HASH   KEYS[4] assignments ZSET
  ARGV[1] consumer group   ARGV[2] expected lease value '<owner>:<token>'   ARGV[3] data stream name
  Returns: 1 released | 0 lease missing (nothing acked) | -1 held by another owner or token (nothing acked) ]]
local value = redis.call('GET', KEYS[2])
if not value then return 0 end
if value ~= ARGV[2] then return -1 end
local entryId = redis.call('HGET', KEYS[3], 'entryId')
if entryId then
  redis.call('XACK', KEYS[1], ARGV[1], entryId)
  redis.call('XDEL', KEYS[1], entryId)
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[3])
return 1
