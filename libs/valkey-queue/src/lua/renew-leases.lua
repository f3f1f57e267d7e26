--[[ renew-leases.lua: heartbeat of one instance, for many leases in one call. A lease is extended
  (PEXPIRE) only while its value is still exactly ours ('<owner>:<token>'): a lapsed lease is never
  re-created, and another owner's lease is never touched.
  KEYS[1] assignments ZSET, then per lease: lease STRING, assignment HASH
  ARGV[1] lease ttl ms, then per lease: expected value '<owner>:<token>', data stream name
  Returns: { expiresAtMs (server clock), status per lease... } with status
    1 renewed | 0 lease missing (lapsed or released) | -1 held by another owner or token ]]
--#include server-clock

local ttl = tonumber(ARGV[1])
local expiresAt = nowMs() + ttl
local result = { expiresAt }
for i = 1, (#KEYS - 1) / 2 do
  local lease, record = KEYS[2 * i], KEYS[2 * i + 1]
  local expected, stream = ARGV[2 * i], ARGV[2 * i + 1]
  local value = redis.call('GET', lease)
  if not value then
    result[i + 1] = 0
  elseif value ~= expected then
    result[i + 1] = -1
  else
    redis.call('PEXPIRE', lease, ttl)
    redis.call('HSET', record, 'expiresAt', expiresAt)
    redis.call('ZADD', KEYS[1], 'XX', expiresAt, stream)
    result[i + 1] = 1
  end
end
return result
