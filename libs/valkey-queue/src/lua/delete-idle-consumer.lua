--[[ delete-idle-consumer.lua: remove one consumer from one group, only if it is idle longer than
  the threshold and has nothing pending. Checked and deleted in the same call, so a consumer that
  takes a message in between is never deleted with it (its entries would lose their owner).
  Idle is XINFO CONSUMERS `idle`: since the last read attempt on Redis 7.2+ and Valkey. Before 7.2 it
  counts from the last read that returned something, so workers there mark themselves live before
  every read (server-capabilities.ts), and it means the same. Never `inactive`: a live consumer
  waiting on an empty queue is inactive for as long as the queue stays empty.
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
