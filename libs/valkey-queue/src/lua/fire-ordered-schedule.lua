--[[ fire-ordered-schedule.lua: fire a due tick of a schedule with an ordering key exactly once
  across all instances (the compare-and-set of fire-schedule.lua), appending its messages to the
  key's list of ordered messages (docs/ordering.md) as ordered-send.lua does: in order behind the
  key's earlier messages, the key readied when it had nothing waiting and is neither leased nor
  parked; a call that makes the ready set non-empty publishes on its name (wakes idle workers).
  KEYS[1] the queue's schedules ZSET   KEYS[2] the schedule's HASH
  KEYS[3] ordered ready ZSET   KEYS[4] ordered holders HASH   KEYS[5] ordered parked HASH
  ARGV[1] name   ARGV[2] the due score the caller planned from   ARGV[3] next tick ms, or -1 (ended)
  ARGV[4] time of the last tick fired   ARGV[5] list prefix   ARGV[6] ordering key
  ARGV[7..] the tick messages' bodies (delayed-body format), oldest first
  Returns: number of messages appended (0 when another instance fired this tick, or it was removed) ]]
--#include server-clock
--#include ordered-keys
--#include schedule-tick

if not scheduleTickIsOurs(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
local now = nowMs()
local wasEmpty = redis.call('ZCARD', KEYS[3]) == 0
local readied = false
beginHistoryBatch()
for i = 7, #ARGV do
  readied = appendOrdered(KEYS[3], KEYS[4], KEYS[5], ARGV[5], ARGV[6], now, ARGV[i]) or readied
  recordOrderedHistory(KEYS[3], 'scheduled', ARGV[i], 'schedule', ARGV[1])
end
flushHistory()
-- pcall: a user whose ACL denies the channel still fires; workers then poll.
if readied and wasEmpty then redis.pcall('PUBLISH', KEYS[3], now) end
local fired = #ARGV - 6
advanceSchedule(KEYS[1], KEYS[2], ARGV[1], fired, ARGV[4], ARGV[3])
return fired
