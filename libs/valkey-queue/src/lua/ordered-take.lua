--[[ ordered-take.lua: lease up to ARGV[3] ready keys (due now) and return the head message of
  each. First frees keys whose lease expired (a holder that died): each is made ready at once, the
  delivery that ended without an outcome is counted, and its old token stops being valid, so a late
  write of the old holder is refused (fenced).
  Every lease gets a new fencing token from one counter per queue, strictly increasing.
  KEYS[1] ready ZSET   KEYS[2] leases ZSET (key -> expiry ms)   KEYS[3] holders HASH (key -> token)
  KEYS[4] takes HASH (key -> deliveries of its head that ended without an outcome)
  KEYS[5] fence counter STRING
  ARGV[1] list prefix   ARGV[2] lease ms   ARGV[3] most keys
  ARGV[4] most messages per key (a run, default 1): the head and the next ones already due, which
  the holder handles one at a time, each under the next token (see ordered-ack.lua's 'k')
  Returns: { next ready ms or -1 (when nothing was taken: when to look again), reclaimed count,
             then per key: ordering key, token, deliveries of the head (this one included), head body,
             then per further message of its run: the same ordering key, the next token, 0, body } ]]
--#include server-clock
--#include ordered-keys

local now = nowMs()
local reclaimed = 0
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do
  releaseKey(KEYS[1], KEYS[2], KEYS[3], ARGV[1] .. key, key, now)
  redis.call('HINCRBY', KEYS[4], key, 1)
  reclaimed = reclaimed + 1
end

local reply = { -1, reclaimed }
local leaseUntil = now + tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
if #due > 0 then
  -- One ZREM, HMGET, INCRBY, HSET and ZADD for the whole page. A key's run gets consecutive tokens;
  -- its lease is held under the token of the message it runs now (its first, here).
  redis.call('ZREM', KEYS[1], unpack(due))
  local earlier = redis.call('HMGET', KEYS[4], unpack(due))
  local most = tonumber(ARGV[4] or '1')
  local runs = {}
  for index, key in ipairs(due) do runs[index] = dueRun(ARGV[1] .. key, most, now, false) end
  grantRuns(KEYS[3], KEYS[2], KEYS[5], due, runs, leaseUntil, function(index, position, token, body)
    reply[#reply + 1] = due[index]
    reply[#reply + 1] = token
    reply[#reply + 1] = position == 1 and (tonumber(earlier[index]) or 0) + 1 or 0
    reply[#reply + 1] = body
  end)
end
if #reply == 2 then
  local next = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
  if next then reply[1] = tonumber(next) end
end
return reply
