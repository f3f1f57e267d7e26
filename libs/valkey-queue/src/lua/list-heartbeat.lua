--[[ list-heartbeat.lua: keep one list consumer known to the others, or let it leave.
  'beat' (every claimIdle / 3, and at start): set the heartbeat (PX claimIdle) and register the
  consumer with the list key it reads, so others can return its in-flight list if it dies.
  'leave' (clean shutdown): only when its in-flight list is empty, drop the heartbeat and the
  registration. With messages still in flight (a handler that ignored the shutdown signal) both are
  kept: the heartbeat expires after claimIdle and another consumer returns them, as on the stream
  transport an abandoned entry is reclaimed after claimIdle.
  KEYS[1] heartbeat STRING   KEYS[2] list consumers HASH   KEYS[3] in-flight LIST
  ARGV[1] consumer name   ARGV[2] queue list key name   ARGV[3] heartbeat TTL ms   ARGV[4] 'beat' | 'leave'
  Returns: beat: 1 the heartbeat was alive | 0 it had lapsed (others may have returned our messages)
           leave: 1 left | 0 kept (in-flight list not empty) ]]
if ARGV[4] == 'leave' then
  if redis.call('LLEN', KEYS[3]) > 0 then return 0 end
  redis.call('DEL', KEYS[1])
  if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[2], ARGV[1]) end
  return 1
end
local alive = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return alive
