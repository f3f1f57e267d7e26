--[[ claim-idle.lua: one step of the reclaim sweep: XAUTOCLAIM entries idle longer than
  `minIdle` (their consumer is presumed dead) to this consumer, with their delivery counts, so the
  caller can tell a crash loop from a first redelivery. The caller follows the returned cursor
  until it is 0-0, and asks for no more entries than it has free handler slots.
  Entries deleted while pending are dropped from the PEL by XAUTOCLAIM and only counted here.
  KEYS[1] queue STREAM
  ARGV[1] group   ARGV[2] consumer   ARGV[3] min idle ms   ARGV[4] cursor (start id)   ARGV[5] count
  Returns: { next cursor, { { entry id, fields, delivery count }, ... }, deleted count } ]]
local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local claimed = {}
for _, entry in ipairs(reply[2]) do
  if entry and entry[2] then
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)[1]
    claimed[#claimed + 1] = { entry[1], entry[2], pending and pending[4] or 1 }
  end
end
local deleted = reply[3] and #reply[3] or 0
return { reply[1], claimed, deleted }
