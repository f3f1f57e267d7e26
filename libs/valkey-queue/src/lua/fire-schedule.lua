--[[ fire-schedule.lua: fire a due schedule tick exactly once across all instances.
  Compare-and-set on the next-tick score: only the caller that still sees the tick it planned for
  appends the tick messages and advances the schedule; everyone else gets 0 and does nothing.
  KEYS[1] the queue's schedules ZSET   KEYS[2] the schedule's HASH   KEYS[3] target STREAM or LIST
  ARGV[1] name   ARGV[2] the due score the caller planned from   ARGV[3] next tick ms, or -1 (ended)
  ARGV[4] 'stream' | 'list'   ARGV[5] values per message (stream: field/value count; list: 1)
  ARGV[6] time of the last tick fired   ARGV[7..] the messages, one after the other
  Returns: number of messages appended (0 when another instance fired this tick, or it was removed) ]]
--#include history-event
--#include schedule-tick
if not scheduleTickIsOurs(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
local width = tonumber(ARGV[5])
local fired = 0
for first = 7, #ARGV, width do
  if ARGV[4] == 'list' then
    redis.call('LPUSH', KEYS[3], ARGV[first])
    recordElementHistory(KEYS[1], 'scheduled', ARGV[first], 'schedule', ARGV[1])
  else
    redis.call('XADD', KEYS[3], '*', unpack(ARGV, first, first + width - 1))
    recordEntryHistory(KEYS[1], 'scheduled', { unpack(ARGV, first, first + width - 1) }, 'schedule', ARGV[1])
  end
  fired = fired + 1
end
advanceSchedule(KEYS[1], KEYS[2], ARGV[1], fired, ARGV[6], ARGV[3])
return fired
