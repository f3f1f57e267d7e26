--[[ fragment list-deliveries: list elements have no delivery count of their own, so the list
  transport keeps one per element in a HASH (field: SHA1 of the element's exact bytes). ]]

-- A function that forgets an element's count once it leaves for good. An empty hash (no element
-- ever returned to the queue, the common case) is checked once per call, not per element.
local function deliveryForgetter(deliveries)
  local counted = redis.call('HLEN', deliveries) > 0
  return function(element)
    if counted then redis.call('HDEL', deliveries, redis.sha1hex(element)) end
  end
end

-- Counts one more delivery of an element returned to the queue.
local function countDelivery(deliveries, element)
  redis.call('HINCRBY', deliveries, redis.sha1hex(element), 1)
end
