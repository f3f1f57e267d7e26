--[[ ordered-renew.lua: extend the leases of keys whose handlers still run (every claimIdle / 3),
  so no other worker reclaims them. A key whose token is no longer current is reported lost.
  KEYS[1] leases ZSET   KEYS[2] holders HASH
  ARGV[1] lease ms, then 2 values per key: ordering key, fencing token
  Returns: the tokens no longer current ]]
--#include server-clock
--#include ordered-keys

local leaseUntil = nowMs() + tonumber(ARGV[1])
local lost = {}
for i = 2, #ARGV, 2 do
  if holdsKey(KEYS[2], ARGV[i], ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], leaseUntil, ARGV[i])
  else
    lost[#lost + 1] = ARGV[i + 1]
  end
end
return lost
