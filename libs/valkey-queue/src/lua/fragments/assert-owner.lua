--[[ fragment assert-owner: the fencing check of stream ownership. A writer holding fencing token T
  passes only while T is the newest token issued for the stream AND the live lease carries it.
  The function between the BEGIN/END markers is also published as ASSERT_OWNER_LUA, for users to
  paste into their own scripts (docs/ownership.md): keep the markers. ]]
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
