--[[ ordered-ack.lua: finish the head message of many leased keys: pop it and end the lease, making
  the key ready for its next message (or leaving nothing behind when the list is empty). A key the
  caller may continue ('1') and whose next message is due keeps its lease instead: the next message
  becomes the head under a new fencing token and a fresh lease, and is returned, so a busy key costs
  no re-ready and no separate take per message. A key whose token is no longer current (its lease
  was reclaimed) is skipped: a stale holder never pops.
  KEYS[1] ready ZSET   KEYS[2] leases ZSET   KEYS[3] holders HASH   KEYS[4] takes HASH
  KEYS[5] stats HASH   KEYS[6] fence counter STRING
  ARGV[1] list prefix   ARGV[2] stats counter to add to ('' = none)   ARGV[3] lease ms of a continued key
  Then 3 values per key: ordering key, fencing token, '1' = may continue with its next message | '0'
  Returns: { { one status per key: 1 acknowledged | 0 skipped (stale token) },
             { per continued key: ordering key, new token, its new head's body } } ]]
--#include server-clock
--#include ordered-keys
--#include batch-statuses

local now = nowMs()
beginHistoryBatch() -- one history entry for the whole ack
local popped = {}
local continued = {}
local statuses = forEachItem(4, 3, function(i)
  local key, token = ARGV[i], ARGV[i + 1]
  if not holdsKey(KEYS[3], key, token) then return false end
  local list = ARGV[1] .. key
  local head = redis.call('LPOP', list)
  if head and ARGV[2] == 'processed' then recordOrderedHistory(KEYS[1], 'succeeded', elementBody(head)) end
  popped[#popped + 1] = key
  local next = ARGV[i + 2] == '1' and redis.call('LINDEX', list, 0)
  if next and elementDue(next) <= now then
    continued[#continued + 1] = key
    continued[#continued + 1] = elementBody(next)
  else
    releaseKey(KEYS[1], KEYS[2], KEYS[3], list, key, now)
  end
  return true
end)
if #popped > 0 then
  -- Deliveries of a head are counted only when one ended without an outcome (reclaim, hand-back).
  redis.call('HDEL', KEYS[4], unpack(popped))
  if ARGV[2] ~= '' then redis.call('HINCRBY', KEYS[5], ARGV[2], #popped) end
end
local reply = {}
if #continued > 0 then
  -- One INCRBY, one HSET and one ZADD for every continued key: tokens last - n + 1 .. last, in order.
  local n = #continued / 2
  local last = redis.call('INCRBY', KEYS[6], n)
  local leaseUntil = now + tonumber(ARGV[3])
  local tokens = {}
  for index = 1, n do
    local key, token = continued[2 * index - 1], tostring(last - n + index)
    tokens[#tokens + 1] = key
    tokens[#tokens + 1] = token
    reply[#reply + 1] = key
    reply[#reply + 1] = token
    reply[#reply + 1] = continued[2 * index]
  end
  grantLeases(KEYS[3], KEYS[2], tokens, leaseUntil)
end
flushHistory()
return { statuses, reply }
