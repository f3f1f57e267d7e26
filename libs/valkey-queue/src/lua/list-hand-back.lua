--[[ list-hand-back.lua: return list messages a consumer holds but will not finish (shutdown, or
  elements left in its in-flight list that it no longer tracks) to the head of the queue, so the
  next read of any consumer takes them first. With ARGV[1] = '1' each return counts as a delivery
  (like a reclaim on the stream transport: its handler ran, or a crash left it), so a message that
  keeps failing this way still ends dead; '0' for messages whose handler never started.
  The first element given is the first one read again. An element no longer in the in-flight list
  is skipped (acknowledged meanwhile, or returned already).
  KEYS[1] in-flight LIST   KEYS[2] queue LIST   KEYS[3] deliveries HASH
  KEYS[4..13] optional: the queue list's priority lists `:p1` .. `:p10`: given, an element with a
  `priority` property of 1..10 goes back to the head of its priority's list (fragment priority-route)
  ARGV[1] '1' = count a delivery per element returned | '0' = do not
  ARGV[1 + i] the i-th list element, exactly as read
  Returns: the number of elements returned to the queue ]]
--#include list-deliveries
--#include priority-route

local routes = #KEYS >= 13 and 3 or nil
local returned = 0
for i = #ARGV, 2, -1 do
  if redis.call('LREM', KEYS[1], -1, ARGV[i]) > 0 then
    redis.call('RPUSH', routeKey(KEYS[2], routes, elementPriority(ARGV[i])), ARGV[i])
    if ARGV[1] == '1' then countDelivery(KEYS[3], ARGV[i]) end
    returned = returned + 1
  end
end
return returned
