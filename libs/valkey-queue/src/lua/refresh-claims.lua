--[[ refresh-claims.lua: set the idle time of entries this consumer is working on, without
  touching their delivery count (XCLAIM ... JUSTID), so that no other consumer reclaims them.
  With idle 0 it keeps running handlers' entries fresh; with idle = claimIdle it hands entries
  back at shutdown, so the next reclaim sweep of any consumer picks them up at once.
  Every entry given is set, in one XCLAIM (unpack() spreads a table only in the last argument
  position, so the ids and the options after them are one table). Callers send at most a few
  hundred ids per call: unpack() fails beyond Lua's stack limit (about 8,000 values).
  Only entries still pending to this consumer are touched: one reclaimed by another consumer
  meanwhile is never taken back.
  KEYS[1] queue STREAM
  ARGV[1] group   ARGV[2] consumer   ARGV[3] idle time to set, ms   ARGV[3 + i] stream entry ids
  Returns: the entry ids that are no longer pending to this consumer (lost) ]]
local claim, lost = {}, {}
for i = 4, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]
  if pending and pending[2] == ARGV[2] then
    claim[#claim + 1] = ARGV[i]
  else
    lost[#lost + 1] = ARGV[i]
  end
end
if #claim > 0 then
  claim[#claim + 1] = 'IDLE'
  claim[#claim + 1] = ARGV[3]
  claim[#claim + 1] = 'JUSTID'
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(claim))
end
return lost
