--[[ list-reap.lua: return the in-flight lists of dead list consumers to the queue. A consumer is
  dead when its heartbeat key has expired; the check and the move are one script, so a live
  consumer's messages are never taken. Its elements go to the head of the queue, oldest read first,
  and each return counts as a delivery (deliveries hash), so a message that kills every worker
  that takes it is dead after maxRetries + 1 deliveries instead of looping.
  Only consumers registered for this list key are touched (another list key of the same queue,
  e.g. a valkeysender-style `queue:<name>`, is recovered by its own consumers). A consumer whose
  in-flight list is empty is unregistered.
  KEYS[1] list consumers HASH   KEYS[2] queue LIST   KEYS[3] deliveries HASH
  Then per candidate: KEYS[2 + 2i] its heartbeat STRING, KEYS[3 + 2i] its in-flight LIST
  Then optionally 10 routing KEYS, the queue list's priority lists `:p1` .. `:p10`: given, an element
  with a `priority` property of 1..10 goes to the head of its priority's list (fragment priority-route)
  ARGV[1] queue list key name (as registered)   ARGV[2] most elements moved per consumer per call
  ARGV[2 + i] the i-th candidate consumer name
  Returns: one value per candidate: elements returned (>= 0; its list is empty and it is unregistered
  unless that reached the limit) | -1 alive (heartbeat present) | -2 not registered for this list ]]
--#include list-deliveries
--#include priority-route

local limit = tonumber(ARGV[2])
local candidates = #ARGV - 2
local routes = #KEYS == 3 + 2 * candidates + 10 and 3 + 2 * candidates or nil
local results = {}
for i = 1, #ARGV - 2 do
  local name, heartbeat, inflight = ARGV[2 + i], KEYS[2 + 2 * i], KEYS[3 + 2 * i]
  local result
  if redis.call('EXISTS', heartbeat) == 1 then
    result = -1
  elseif redis.call('HGET', KEYS[1], name) ~= ARGV[1] then
    result = -2
  else
    result = 0
    while result < limit do
      -- newest first onto the head: the oldest ends at the very head, read first
      local element = redis.call('LINDEX', inflight, 0)
      if not element then break end
      redis.call('LPOP', inflight)
      redis.call('RPUSH', routeKey(KEYS[2], routes, elementPriority(element)), element)
      countDelivery(KEYS[3], element)
      result = result + 1
    end
    if redis.call('LLEN', inflight) == 0 then redis.call('HDEL', KEYS[1], name) end
  end
  results[#results + 1] = result
end
return results
