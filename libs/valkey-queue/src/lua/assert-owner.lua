--[[ assert-owner.lua: the fencing check. A writer holding fencing token T passes only while T is
  the newest token issued for the stream AND the live lease carries it; any older token is stale.
  The assert_owner function (fragments/assert-owner.lua, published as ASSERT_OWNER_LUA) can be
  pasted into your own scripts to guard a write in the same atomic step (docs/ownership.md; on
  Cluster your keys must share the service's hash tag), or call fenced-write.lua /
  OwnershipFence.write() for a single-command write.
  KEYS[1] fence counter   KEYS[2] lease STRING
  ARGV[1] fencing token
  Returns: 1 current holder | -1 stale (a newer token was issued) | -2 no live lease with this token ]]
--#include assert-owner
return assert_owner(KEYS[1], KEYS[2], ARGV[1])
