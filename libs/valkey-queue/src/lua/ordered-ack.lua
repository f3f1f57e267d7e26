--[[ ordered-ack.lua: finish the head message of many leased keys: pop it and end the lease, making
  the key ready for its next message (or leaving nothing behind when the list is empty). A key the
  caller may continue (a count n) and whose next message is due keeps its lease instead: its next
  messages (a run of up to n, see ordered-take.lua) are returned under new consecutive fencing
  tokens and a fresh lease, so a busy key costs no re-ready and no separate take per message. A key
  whose holder goes on with the next message of a run it already has ('k') keeps its lease under
  the next token (token + 1): no message comes back. A key whose token is no longer current (its
  lease was reclaimed, or an earlier message of its run is not acknowledged yet) is skipped: a
  stale holder never pops, and a message is popped at most once.
  KEYS[1] ready ZSET   KEYS[2] leases ZSET   KEYS[3] holders HASH   KEYS[4] takes HASH
  KEYS[5] stats HASH   KEYS[6] fence counter STRING
  ARGV[1] list prefix   ARGV[2] stats counter to add to ('' = none)   ARGV[3] lease ms of a continued key
  Then 3 values per key: ordering key, fencing token, and '0' = end the lease | 'k' = keep it for
  the next message of the run | n >= 1 = continue with a run of up to n next messages
  Returns: { { one status per key: 1 acknowledged | 0 skipped (stale token) },
             { per continued key: ordering key, new token, its new head's body, then per further
               message of its run: the same ordering key, the next token, body } } ]]
--#include server-clock
--#include ordered-keys
--#include batch-statuses

local now = nowMs()
beginHistoryBatch() -- one history entry for the whole ack
local history = ARGV[2] == 'processed' and historyStreamOf(KEYS[1])
-- Every key's current token with one HMGET; a key whose token this call changes is in `moved`:
-- its new token ('k'), or false (lease ended or renewed below), checked by its later items.
local keys = {}
for i = 4, #ARGV, 3 do keys[#keys + 1] = ARGV[i] end
local current = #keys > 0 and redis.call('HMGET', KEYS[3], unpack(keys)) or {}
local moved = {}
local popped = {}
local continued, runs = {}, {} -- the keys that go on with a run, and their runs
local statuses = forEachItem(4, 3, function(i)
  local key, token, next = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local holder = moved[key]
  if holder == nil then holder = current[(i - 1) / 3] end
  if holder ~= token then return false end
  local list = ARGV[1] .. key
  local head = redis.call('LPOP', list)
  if head and history then recordOrderedHistory(KEYS[1], 'succeeded', elementBody(head)) end
  popped[#popped + 1] = key
  if next == 'k' then
    moved[key] = tostring(tonumber(token) + 1)
    return true
  end
  moved[key] = false
  local run = next ~= '0' and dueRun(list, tonumber(next), now, true) or {}
  if #run > 0 then
    continued[#continued + 1] = key
    runs[#runs + 1] = run
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
-- One HSET for the keys that go on with the next message of their run.
local kept = {}
for key, token in pairs(moved) do
  if token then
    kept[#kept + 1] = key
    kept[#kept + 1] = token
  end
end
if #kept > 0 then redis.call('HSET', KEYS[3], unpack(kept)) end
local reply = {}
-- One INCRBY, one HSET and one ZADD for every continued key: consecutive tokens, in order.
grantRuns(KEYS[3], KEYS[2], KEYS[6], continued, runs, now + tonumber(ARGV[3]), function(index, _, token, body)
  reply[#reply + 1] = continued[index]
  reply[#reply + 1] = token
  reply[#reply + 1] = body
end)
flushHistory()
return { statuses, reply }
