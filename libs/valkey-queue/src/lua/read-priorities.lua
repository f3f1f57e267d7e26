--[[ read-priorities.lua: one non-blocking read of new messages over the priority streams of a
  queue (docs/architecture.md, "Priorities"), highest priority first ('strict') or in shares
  proportional to the weights ('weighted'); fragment priority-pick. Each stream is read with
  XREADGROUP ... STREAMS <stream> '>' for this consumer, so the entries become pending to it exactly
  as with a plain read. Every stream must have the group (NOGROUP error otherwise).
  KEYS[1..n] the queue's priority streams, highest priority first (priority 0 is the queue's stream)
  ARGV[1] group   ARGV[2] consumer   ARGV[3] most entries in all   ARGV[4] '1' = NOACK
  ARGV[5] 'strict' | 'weighted'   ARGV[6] seed of the weighted draws (an integer)
  ARGV[6 + i] weight of KEYS[i] (priority + 1)
  Returns: flat { i, entries, i, entries, ... } for every stream read from, `entries` as XREADGROUP
  gives them ({ { id, { field, value, ... } }, ... }), in the order they were read. ]]
--#include priority-pick

local reply = {}
local function take(i, count)
  local read
  if ARGV[4] == '1' then
    read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count, 'NOACK', 'STREAMS', KEYS[i], '>')
  else
    read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', count, 'STREAMS', KEYS[i], '>')
  end
  if not read or not read[1] then return 0 end
  local entries = read[1][2]
  if #entries == 0 then return 0 end
  reply[#reply + 1] = i
  reply[#reply + 1] = entries
  return #entries
end

local weights = {}
for i = 1, #KEYS do weights[i] = tonumber(ARGV[6 + i]) or 1 end
takeByPriority(#KEYS, weights, tonumber(ARGV[3]), ARGV[5] == 'weighted', tonumber(ARGV[6]) or 1, take)
return reply
