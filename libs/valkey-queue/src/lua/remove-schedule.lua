--[[ remove-schedule.lua: delete a schedule; no tick fires after this returns.
  KEYS[1] the queue's schedules ZSET   KEYS[2] the schedule's HASH
  ARGV[1] name
  Returns: 1 removed | 0 there was no such schedule on this queue ]]
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('DEL', KEYS[2])
