--[[ list-take.lua: move up to `count` waiting messages of a queue list into one consumer's
  in-flight list, oldest first (RIGHT of the queue to LEFT of the in-flight list), and report how
  often each was delivered. Sent right behind the consumer's BLMOVE on the same connection, so a
  read is one round trip: BLMOVE waits for the first message, this script takes the rest.
  It also renews the consumer's heartbeat and registration when they lapsed, so a consumer whose
  in-flight list is not empty can always be found by the others (list-reap.lua).
  Deliveries: 1 + the element's count in the deliveries hash (bumped each time the element was
  returned from a dead consumer's in-flight list). The hash is read only when it is not empty.
  KEYS[1] queue LIST   KEYS[2] in-flight LIST of this consumer   KEYS[3] deliveries HASH
  KEYS[4] heartbeat STRING of this consumer   KEYS[5] list consumers HASH
  ARGV[1] most elements to move (0 allowed)   ARGV[2] '1' = also report the deliveries of the
  element right below the moved ones (the one the BLMOVE before this script moved, if any)
  ARGV[3] consumer name   ARGV[4] queue list key name (registered for the consumer)   ARGV[5] heartbeat TTL ms
  Returns: { deliveries of that element (0 when not asked), element 1, deliveries 1, element 2, ... } ]]
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[5])
  redis.call('HSET', KEYS[5], ARGV[3], ARGV[4])
end

local counted = redis.call('HLEN', KEYS[3]) > 0
local function deliveries(element)
  if not counted or not element then return 1 end
  return 1 + tonumber(redis.call('HGET', KEYS[3], redis.sha1hex(element)) or '0')
end

local reply = { 0 }
for _ = 1, tonumber(ARGV[1]) do
  local element = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not element then break end
  reply[#reply + 1] = element
  reply[#reply + 1] = deliveries(element)
end
if ARGV[2] == '1' then
  reply[1] = deliveries(redis.call('LINDEX', KEYS[2], math.floor((#reply - 1) / 2)))
end
return reply
