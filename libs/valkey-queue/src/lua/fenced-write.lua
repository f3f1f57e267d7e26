--[[ fenced-write.lua: one write command, run only if the fencing check passes (assert_owner is a
  verbatim copy of the one in assert-owner.lua; a unit test keeps them identical). The command's
  keys come first in its arguments, as for SET, HSET, RPUSH, XADD, INCR...
  KEYS[1] fence counter   KEYS[2] lease STRING   KEYS[3..] the command's keys
  ARGV[1] fencing token   ARGV[2] command name   ARGV[3..] the command's other arguments
  Returns: { 1, reply of the command } | { -1 } stale token | { -2 } no live lease with this token ]]
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
local status = assert_owner(KEYS[1], KEYS[2], ARGV[1])
if status ~= 1 then return { status } end
local args = {}
for i = 3, #KEYS do args[#args + 1] = KEYS[i] end
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
return { 1, redis.call(ARGV[2], unpack(args)) }
