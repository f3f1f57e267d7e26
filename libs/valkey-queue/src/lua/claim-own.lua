--[[ claim-own.lua: one page of a restarted consumer's own pending entries (a stable consumer
  name, e.g. POD_NAME), re-delivered to it with their delivery counts, oldest first. The cursor
  only moves forward, so draining the own PEL always ends, even if some entries stay pending.
  XCLAIM (not JUSTID) counts this delivery; entries deleted meanwhile leave the PEL.
  KEYS[1] queue STREAM
  ARGV[1] group   ARGV[2] consumer   ARGV[3] cursor: last entry id seen ('0-0' at first)   ARGV[4] count
  Returns: { last entry id of this page ('' when there are no more), { { entry id, fields, delivery count }, ... } } ]]
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '(' .. ARGV[3], '+', tonumber(ARGV[4]), ARGV[2])
if #pending == 0 then return { '', {} } end
local ids, counts = {}, {}
for i, item in ipairs(pending) do
  ids[i] = item[1]
  counts[item[1]] = item[4]
end
local entries = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(ids))
local claimed = {}
for _, entry in ipairs(entries) do
  if entry and entry[2] then claimed[#claimed + 1] = { entry[1], entry[2], counts[entry[1]] + 1 } end
end
return { ids[#ids], claimed }
