--[[ fragment in-flight: a list consumer's in-flight list. A message leaves it only while it is
  still there (a lapsed heartbeat may have returned it to the queue meanwhile), found by its exact
  bytes from the oldest end, and its delivery count goes with it. ]]
--#include list-deliveries
local function inFlightList(inflight, deliveries)
  local forgetDelivery = deliveryForgetter(deliveries)
  local list = {}
  function list.holds(element)
    return redis.call('LPOS', inflight, element, 'RANK', -1) ~= false
  end
  function list.release(element)
    redis.call('LREM', inflight, -1, element)
    forgetDelivery(element)
  end
  return list
end
