--[[ fragment retry-schedule: retry copies go to the queue's delayed set (ZSET id -> due ms, the
  body in the bodies HASH). At the end, the earliest copy, if due before everything already
  waiting, is published on the delayed key (the promoters' wake-up channel), and the stats count
  each copy as a failure and a retry. ]]
--#include history-event
local function retrySchedule(delayed, bodies, stats)
  local head = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')[2]
  local earliest, scheduled = nil, 0
  local schedule = {}

  function schedule.add(id, due, body)
    if not earliest or due < earliest then earliest = due end
    redis.call('ZADD', delayed, due, id)
    redis.call('HSET', bodies, id, body)
    scheduled = scheduled + 1
    recordHistory(delayed, 'retried', id, 'due', string.format('%d', due))
  end

  function schedule.finish()
    -- pcall: a user whose ACL denies the channel still works; its instances poll instead.
    if earliest and (not head or earliest < tonumber(head)) then redis.pcall('PUBLISH', delayed, earliest) end
    if scheduled > 0 then
      redis.call('HINCRBY', stats, 'failed', scheduled)
      redis.call('HINCRBY', stats, 'retried', scheduled)
    end
  end

  return schedule
end
