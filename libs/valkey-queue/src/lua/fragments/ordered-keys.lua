--[[ fragment ordered-keys: the per-key lists of ordered messages (docs/ordering.md). Each ordering
  key has a LIST `<list prefix><ordering key>` of elements `<due ms>;<body>` (body: the delayed-body
  format), oldest first, which exists only while the key has messages. A key is in exactly one of:
  the ready ZSET (key -> when its head may run), leased (holders HASH key -> fencing token, leases
  ZSET key -> lease expiry), parked (parked HASH), or nowhere (its list is empty: it costs nothing).
  List names are built here from the list prefix, which carries the queue's hash tag, so every
  list lives in the slot of the script's declared keys. ]]
--#include delayed-body
--#include history-event

-- The due time of an element (before `;`).
local function elementDue(element)
  return tonumber(string.sub(element, 1, string.find(element, ';', 1, true) - 1))
end

-- The due time of a list's head element, or nil when the list is empty.
local function headDue(list)
  local head = redis.call('LINDEX', list, 0)
  if not head then return nil end
  return elementDue(head)
end

-- The body of an element (after `<due>;`).
local function elementBody(element)
  return string.sub(element, string.find(element, ';', 1, true) + 1)
end

-- Bytes of the messages a run carries after its first one: bounds what a worker holds in memory
-- ahead of running it when payloads are large.
local RUN_BYTES = 65536

-- The bodies of the first `most` messages of the key's list that are due, oldest first: a run
-- its holder handles one at a time, message i under fencing token (first token + i - 1). Stops at
-- the first message not due yet (the head is checked only with `checkHead`: a ready key's head is
-- due by its score) or past RUN_BYTES after the head. Empty when the list is or its head is not due.
local function dueRun(list, most, now, checkHead)
  local elements
  if most > 1 then
    elements = redis.call('LRANGE', list, 0, most - 1)
  else
    elements = { redis.call('LINDEX', list, 0) or nil } -- an empty list: no element
  end
  local bodies = {}
  local bytes = 0
  for index, element in ipairs(elements) do
    local separator = string.find(element, ';', 1, true)
    if (index > 1 or checkHead) and tonumber(string.sub(element, 1, separator - 1)) > now then break end
    if index > 1 then
      bytes = bytes + #element
      if bytes > RUN_BYTES then break end
    end
    bodies[index] = string.sub(element, separator + 1)
  end
  return bodies
end

-- Whether `token` is the key's current fencing token: a reclaimed or released holder's is not.
local function holdsKey(holders, key, token)
  return redis.call('HGET', holders, key) == token
end

-- Ends the key's lease, then makes it ready for its next message (no earlier than that message's
-- due time), or leaves it nowhere when its list is empty (nothing is kept for an idle key).
local function releaseKey(ready, leases, holders, list, key, now)
  redis.call('ZREM', leases, key)
  redis.call('HDEL', holders, key)
  local due = headDue(list)
  if due then redis.call('ZADD', ready, math.max(now, due), key) end
end

-- Appends `<due>;<body>` to the key's list and makes the key ready at `due` when it had nothing
-- waiting and is neither leased nor parked (its holder, or the release, readies it later).
-- Returns whether it readied the key.
local function appendOrdered(ready, holders, parked, listPrefix, key, due, body)
  local waiting = redis.call('RPUSH', listPrefix .. key, due .. ';' .. body)
  if waiting == 1 and redis.call('HEXISTS', holders, key) == 0 and redis.call('HEXISTS', parked, key) == 0 then
    redis.call('ZADD', ready, due, key)
    return true
  end
  return false
end

-- Leases the keys of `granted` (flat list: ordering key, fencing token, ...) until `leaseUntil`:
-- one HSET of their tokens and one ZADD of their expiries, whatever the number of keys.
local function grantLeases(holders, leases, granted, leaseUntil)
  if #granted == 0 then return end
  local expiries = {}
  for j = 1, #granted, 2 do
    expiries[#expiries + 1] = leaseUntil
    expiries[#expiries + 1] = granted[j]
  end
  redis.call('HSET', holders, unpack(granted))
  redis.call('ZADD', leases, unpack(expiries))
end

-- Hands out the runs of messages `runs[i]` of ordering keys `keys[i]`: every message gets the next
-- token from the queue's `counter` (one INCRBY for all, consecutive in order), each key is leased
-- under its first message's token until `leaseUntil`, and `each(i, position, token, body)` is called
-- per message in that order (to build the reply).
local function grantRuns(holders, leases, counter, keys, runs, leaseUntil, each)
  local total = 0
  for i = 1, #runs do total = total + #runs[i] end
  if total == 0 then return end
  local token = redis.call('INCRBY', counter, total) - total
  local tokens = {}
  for i, key in ipairs(keys) do
    for position, body in ipairs(runs[i]) do
      token = token + 1
      if position == 1 then
        tokens[#tokens + 1] = key
        tokens[#tokens + 1] = tostring(token)
      end
      each(i, position, tostring(token), body)
    end
  end
  grantLeases(holders, leases, tokens, leaseUntil)
end

-- Records `event` about the ordered message stored as `body` in the history of `key`'s queue, with
-- history on. A body that does not decode records nothing here: its dead letter says why.
local function recordOrderedHistory(key, event, body, ...)
  if not historyStreamOf(key) then return end
  local fields = decodeBody(body)
  if fields then recordEntryHistory(key, event, fields, ...) end
end
