--[[ fragment schedule-tick: the compare-and-set both fire scripts start with, and the bookkeeping
  they end with, so a timed tick and an ordered one fire exactly once by the same rule. ]]

-- True when the schedule `name` still waits for the tick `planned` in `schedules`: the caller
-- won the tick. False when another instance fired it first, or the schedule was removed.
local function scheduleTickIsOurs(schedules, name, planned)
  local score = redis.call('ZSCORE', schedules, name)
  return score ~= false and tonumber(score) == tonumber(planned)
end

-- Counts the `fired` ticks in the schedule's hash and moves it to its `next` tick (ms), or out of
-- `schedules` when `next` is negative (the schedule ended).
local function advanceSchedule(schedules, schedule, name, fired, lastRunAt, next)
  if fired > 0 then
    redis.call('HINCRBY', schedule, 'runs', fired)
    redis.call('HSET', schedule, 'lastRunAt', lastRunAt)
  end
  if tonumber(next) >= 0 then
    redis.call('ZADD', schedules, next, name)
  else
    redis.call('ZREM', schedules, name)
  end
end
