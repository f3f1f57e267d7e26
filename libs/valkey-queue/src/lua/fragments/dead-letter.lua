--[[ fragment dead-letter: one dead letter, in the format of docs/key-layout.md ("Dead letters"):
  the message's fields verbatim, then `reason`, `error`, `attempts`, `failedAt`, `sourceId` and,
  when given, `stack`. The stream is capped (MAXLEN ~). Outcome tallies are added to the stats
  hash once per call, by flushOutcomes. ]]
--#include history-event
local outcomes = {}

local function appendDeadLetter(dead, maxLen, fields, reason, err, attempts, failedAt, sourceId, stack)
  local copy = {}
  for j = 1, #fields do copy[j] = fields[j] end
  local extra = { 'reason', reason, 'error', err, 'attempts', attempts, 'failedAt', failedAt, 'sourceId', sourceId }
  for j = 1, #extra do copy[#copy + 1] = extra[j] end
  if stack ~= '' then
    copy[#copy + 1] = 'stack'
    copy[#copy + 1] = stack
  end
  redis.call('XADD', dead, 'MAXLEN', '~', maxLen, '*', unpack(copy))
  outcomes[reason] = (outcomes[reason] or 0) + 1
  recordDeadHistory(dead, fields, reason, err, attempts, sourceId)
end

-- A handler failure that is not retried (the last attempt failed) also counts as `failed`.
local function countFailure()
  outcomes.failed = (outcomes.failed or 0) + 1
end

local function flushOutcomes(stats)
  for field, count in pairs(outcomes) do redis.call('HINCRBY', stats, field, count) end
end
