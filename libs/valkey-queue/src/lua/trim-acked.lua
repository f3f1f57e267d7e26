--[[ trim-acked.lua: drop the stream entries that every consumer group has received and acknowledged,
  so a queue without deleteOnAck does not grow forever. Never drops a pending or undelivered entry:
  the cut (XTRIM MINID ~) is at or below, for every group, both its last delivered id and its oldest
  pending id. `~` trims whole stream nodes only, so a few acknowledged entries may remain.
  Nor does it drop an entry younger than ARGV[1] ms: a sender's retry after a lost reply looks for
  its message among the recent entries (send-retry.lua), and must find it even once acknowledged.
  KEYS[1] queue STREAM
  ARGV[1] ms of recent entries to keep (server clock; absent or 0: none)
  Returns: the number of entries removed, or -1 when the stream has no consumer group ]]
--#include server-clock

local function older(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end

local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return -1 end
local floor
for _, group in ipairs(groups) do
  local info = {}
  for i = 1, #group, 2 do info[group[i]] = group[i + 1] end
  local cut = info['last-delivered-id']
  local pending = redis.call('XPENDING', KEYS[1], info.name)
  if tonumber(pending[1]) > 0 and older(pending[2], cut) then cut = pending[2] end
  if not floor or older(cut, floor) then floor = cut end
end
local keep = tonumber(ARGV[1] or '0')
if keep > 0 then
  local recent = string.format('%d-0', nowMs() - keep)
  if older(recent, floor) then floor = recent end
end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', floor)
