--[[ fragment pending-owner: whether a stream entry is still pending to this consumer. A move is
  made only then: an entry acked elsewhere or reclaimed by another consumer is someone else's. ]]
local function isPendingTo(stream, group, entryId, consumer)
  local pending = redis.call('XPENDING', stream, group, entryId, entryId, 1)[1]
  return pending ~= nil and pending[2] == consumer
end
