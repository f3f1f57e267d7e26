--[[ list-take-priorities.lua: move up to `count` waiting messages from the priority lists of a
  queue into one consumer's in-flight list (docs/architecture.md, "Priorities"), highest priority
  first ('strict') or in shares proportional to the weights ('weighted'); fragment priority-pick.
  Within one list, oldest first (RIGHT of the list to LEFT of the in-flight list), as list-take.lua.
  Renews the consumer's heartbeat and registration when they lapsed, and reports deliveries, as
  list-take.lua does.
  KEYS[1] in-flight LIST of this consumer   KEYS[2] deliveries HASH   KEYS[3] heartbeat STRING
  KEYS[4] list consumers HASH   KEYS[4 + i] the i-th priority list, highest priority first
  (priority 0 is the queue's list)
  ARGV[1] most elements to move   ARGV[2] consumer name   ARGV[3] queue list key name (registered)
  ARGV[4] heartbeat TTL ms   ARGV[5] 'strict' | 'weighted'   ARGV[6] seed of the weighted draws
  ARGV[6 + i] weight of the i-th priority list (priority + 1)
  Returns: { 0, element 1, deliveries 1, element 2, ... } (list-take.lua's shape, nothing probed) ]]
--#include priority-pick

if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])
  redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
end

local counted = redis.call('HLEN', KEYS[2]) > 0
local reply = { 0 }
local function take(i, count)
  local taken = 0
  for _ = 1, count do
    local element = redis.call('LMOVE', KEYS[4 + i], KEYS[1], 'RIGHT', 'LEFT')
    if not element then break end
    reply[#reply + 1] = element
    reply[#reply + 1] = counted and 1 + tonumber(redis.call('HGET', KEYS[2], redis.sha1hex(element)) or '0') or 1
    taken = taken + 1
  end
  return taken
end

local lists = #KEYS - 4
local weights = {}
for i = 1, lists do weights[i] = tonumber(ARGV[6 + i]) or 1 end
takeByPriority(lists, weights, tonumber(ARGV[1]), ARGV[5] == 'weighted', tonumber(ARGV[6]) or 1, take)
return reply
