--[[ assert-owner.lua: the fencing check. A writer holding fencing token T passes only while T is
  the newest token issued for the stream AND the live lease carries it; any older token is stale.
  Copy the assert_owner function (between the BEGIN/END markers) into your own scripts to guard a
  write in the same atomic step (docs/ownership.md; on Cluster your keys must share the service's
  hash tag), or call fenced-write.lua / OwnershipFence.write() for a single-command write.
  KEYS[1] fence counter   KEYS[2] lease STRING
  ARGV[1] fencing token
  Returns: 1 current holder | -1 stale (a newer token was issued) | -2 no live lease with this token ]]
-- BEGIN assert_owner
local function assert_owner(fence_key, lease_key, token)
  local mine = tonumber(token)
  if not mine then return -2 end
  local current = tonumber(redis.call('GET', fence_key)) or 0
  if mine < current then return -1 end
  local value = redis.call('GET', lease_key)
  if mine ~= current or not value or tonumber(string.match(value, ':(%d+)$')) ~= mine then return -2 end
  return 1
end
-- END assert_owner
return assert_owner(KEYS[1], KEYS[2], ARGV[1])
