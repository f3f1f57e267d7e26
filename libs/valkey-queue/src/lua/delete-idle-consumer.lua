--[[ delete-idle-consumer.lua: remove one consumer from one group, only if it is idle longer than
  the threshold and has nothing pending. Checked and deleted in the same call, so a consumer that
  takes a message in between is never deleted with it (its entries would lose their owner).
  KEYS[1] queue STREAM
  ARGV[1] group   ARGV[2] consumer   ARGV[3] min idle ms
  Returns: 1 deleted | 0 no such consumer | -1 has pending entries | -2 not idle long enough ]]
local consumers = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
local idle
for _, consumer in ipairs(consumers) do
  local fields = {}
  for i = 1, #consumer, 2 do fields[consumer[i]] = consumer[i + 1] end
  if fields.name == ARGV[2] then idle = tonumber(fields.idle) end
end
if not idle then return 0 end
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return -1 end
if idle < tonumber(ARGV[3]) then return -2 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
