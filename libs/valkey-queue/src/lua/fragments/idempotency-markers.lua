--[[ fragment idempotency-markers: `done:<envelope id>` markers, written before the acknowledgement
  they belong to, so a message is never acknowledged without its marker (a failed write stops the
  script first). ]]
local function writeMarkers(firstKey, count, ttl)
  for i = firstKey, firstKey + count - 1 do redis.call('SET', KEYS[i], '1', 'PX', ttl) end
end
