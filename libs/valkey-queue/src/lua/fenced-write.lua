--[[ fenced-write.lua: one write command, run only if the fencing check passes (assert_owner, the
  same fragment as assert-owner.lua's). The command's keys come first in its arguments, as for
  SET, HSET, RPUSH, XADD, INCR...
  KEYS[1] fence counter   KEYS[2] lease STRING   KEYS[3..] the command's keys
  ARGV[1] fencing token   ARGV[2] command name   ARGV[3..] the command's other arguments
  Returns: { 1, reply of the command } | { -1 } stale token | { -2 } no live lease with this token ]]
--#include assert-owner
local status = assert_owner(KEYS[1], KEYS[2], ARGV[1])
if status ~= 1 then return { status } end
local args = {}
for i = 3, #KEYS do args[#args + 1] = KEYS[i] end
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
return { 1, redis.call(ARGV[2], unpack(args)) }
