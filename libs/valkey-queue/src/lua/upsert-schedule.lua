--[[ upsert-schedule.lua: create or replace a schedule, or leave an identical one untouched.
  Upserting the same definition again keeps its run count and next tick, so every app instance can
  upsert its schedules at startup without resetting them.
  KEYS[1] the queue's schedules ZSET (name -> next tick ms)   KEYS[2] the schedule's HASH
  ARGV[1] name   ARGV[2] definition (canonical JSON, compared for equality)   ARGV[3] timing JSON
  ARGV[4] payload text   ARGV[5] headers JSON   ARGV[6] 'stream' | 'list'   ARGV[7] first tick ms, or -1
  ARGV[8] labels JSON of every tick message, or '' for none (then no `labels` field is stored)
  ARGV[9] priority of every tick message (1..10), or '' / absent for 0 (then no `priority` field is stored)
  ARGV[10] ordering key of every tick message, or '' / absent for none (then no `orderingKey` field)
  Returns: 1 created or replaced | 0 unchanged ]]
if redis.call('HGET', KEYS[2], 'definition') == ARGV[2] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'definition', ARGV[2], 'timing', ARGV[3], 'payload', ARGV[4],
  'headers', ARGV[5], 'transport', ARGV[6], 'runs', 0)
if ARGV[8] ~= '' then redis.call('HSET', KEYS[2], 'labels', ARGV[8]) end
if ARGV[9] and ARGV[9] ~= '' then redis.call('HSET', KEYS[2], 'priority', ARGV[9]) end
if ARGV[10] and ARGV[10] ~= '' then redis.call('HSET', KEYS[2], 'orderingKey', ARGV[10]) end
if tonumber(ARGV[7]) >= 0 then
  redis.call('ZADD', KEYS[1], ARGV[7], ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
