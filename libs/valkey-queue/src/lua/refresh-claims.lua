--[[ refresh-claims.lua: set the idle time of entries this consumer is working on, without
  touching their delivery count (XCLAIM ... JUSTID), so that no other consumer reclaims them.
  With idle 0 it keeps running handlers' entries fresh; with idle = claimIdle it hands entries
  back at shutdown, so the next reclaim sweep of any consumer picks them up at once.
  Only entries still pending to this consumer are touched: one reclaimed by another consumer
  meanwhile is never taken back.
  KEYS[1] queue STREAM
  ARGV[1] group   ARGV[2] consumer   ARGV[3] idle time to set, ms   ARGV[3 + i] stream entry ids
  Returns: the entry ids that are no longer pending to this consumer (lost) ]]
local mine, lost = {}, {}
for i = 4, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]
  if pending and pending[2] == ARGV[2] then
    mine[#mine + 1] = ARGV[i]
  else
    lost[#lost + 1] = ARGV[i]
  end
end
if #mine > 0 then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(mine), 'IDLE', ARGV[3], 'JUSTID')
end
return lost
