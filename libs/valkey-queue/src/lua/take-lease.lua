--[[ take-lease.lua: take the lease on one data stream of an ownership service, in one step with
  the fencing token and the assignment record, so the LBS entry, the lease and the record never
  disagree. Used for a fresh LBS delivery ('read'), claim() ('claim') and recovery ('recover').
  The token is INCR of the fence counter: strictly increasing per stream, across owners and restarts.
  KEYS[1] LBS STREAM   KEYS[2] lease STRING   KEYS[3] fence counter   KEYS[4] assignment HASH
  KEYS[5] assignments ZSET
  ARGV[1] consumer group (the service)   ARGV[2] owner (consumer id)   ARGV[3] lease ttl ms
  ARGV[4] data stream name   ARGV[5] mode: 'read' | 'claim' | 'recover'
  ARGV[6] LBS entry id ('read', 'recover'; 'claim' uses the assignment's entry)
  ARGV[7] 'recover' only: ms the LBS entry must have been idle and the lease absent
  Returns: { token, expiresAtMs (server clock), info JSON, LBS entry id } when taken
    | { -1, holder '<owner>:<token>' } the lease is held (nothing changed)
    | { -2 } not assigned: no assignment, or its LBS entry is gone (a stale record is removed)
    | { -3 } duplicate: the stream is assigned through another pending entry; this one was acked and deleted
    | { -4 } 'recover': the entry is no longer pending, or not idle / lease-less for long enough ]]
--#include server-clock

local lbs, lease, fence, record, index = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, owner, ttl, stream, mode = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local entryId = ARGV[6]
local minIdle = tonumber(ARGV[7]) or 0
local now = nowMs()

local recorded = redis.call('HGET', record, 'entryId')
if mode == 'claim' then
  if not recorded then return { -2 } end
  entryId = recorded
elseif recorded and recorded ~= entryId then
  -- Assigned through an earlier entry: while that one is pending the stream is unfinished, so
  -- this entry is a duplicate. Otherwise the record is stale and this entry replaces it.
  if #redis.call('XPENDING', lbs, group, recorded, recorded, 1) > 0 then
    redis.call('XACK', lbs, group, entryId)
    redis.call('XDEL', lbs, entryId)
    return { -3 }
  end
  recorded = false
end

local holder = redis.call('GET', lease)
if holder then return { -1, holder } end

local entry = redis.call('XRANGE', lbs, entryId, entryId)[1]
if not entry then
  redis.call('XACK', lbs, group, entryId)
  if recorded then
    redis.call('DEL', record)
    redis.call('ZREM', index, stream)
  end
  return { -2 }
end

if mode == 'recover' and recorded then
  local lapsedAt = tonumber(redis.call('HGET', record, 'expiresAt')) or 0
  if now - lapsedAt < minIdle then return { -4 } end
end
if mode ~= 'read' then
  -- Moves the pending entry to us; the idle condition keeps recovery off entries just delivered.
  local claimed = redis.call('XCLAIM', lbs, group, owner, mode == 'recover' and minIdle or 0, entryId, 'JUSTID')
  if #claimed == 0 then
    if mode == 'recover' then return { -4 } end
    redis.call('DEL', record)
    redis.call('ZREM', index, stream)
    return { -2 }
  end
end

local info = '{}'
local fields = entry[2]
for i = 1, #fields, 2 do
  if fields[i] == 'info' then info = fields[i + 1] end
end
local token = redis.call('INCR', fence)
local expiresAt = now + ttl
redis.call('SET', lease, owner .. ':' .. token, 'PX', ttl)
redis.call('HSET', record, 'entryId', entryId, 'owner', owner, 'token', token, 'expiresAt', expiresAt, 'info', info)
redis.call('ZADD', index, expiresAt, stream)
return { token, expiresAt, info, entryId }
