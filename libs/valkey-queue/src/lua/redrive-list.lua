--[[ redrive-list.lua: move dead letters of a list queue back onto its list, atomically. The admin
  builds each element from the dead letter's envelope fields (attempt 1, dead-letter fields and a
  passed expiresAt dropped, the payload string untouched) and lists the entries with their elements;
  each entry is re-read here and moved only if it is still there, so two admins redriving at once
  never move an entry twice. Moving an entry: LPUSH its element (the tail: read after what waits),
  XDEL it from the dead-letter stream and DEL its idempotency marker.
  KEYS[1] dead-letter STREAM   KEYS[2] queue LIST   KEYS[3] stats HASH (`redriven` += moved)
  KEYS[3 + i] idempotency marker (`done:<envelope id>`) of the i-th entry
  Then optionally 10 routing KEYS, the list's priority lists `:p1` .. `:p10`: given, an element with
  a `priority` property of 1..10 goes back to its priority's list (fragment priority-route)
  ARGV: 2 values per entry: dead-letter stream entry id, list element
  Returns: one status per entry, in order: 1 moved | 0 gone (already moved or trimmed) ]]
--#include priority-route
--#include history-event

local routes = #KEYS == 3 + #ARGV / 2 + 10 and 3 + #ARGV / 2 or nil
local statuses, moved = {}, 0
for i = 1, #ARGV, 2 do
  local status = 0
  if redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])[1] then
    redis.call('LPUSH', routeKey(KEYS[2], routes, elementPriority(ARGV[i + 1])), ARGV[i + 1])
    recordElementHistory(KEYS[1], 'redriven', ARGV[i + 1])
    redis.call('XDEL', KEYS[1], ARGV[i])
    redis.call('DEL', KEYS[3 + (i + 1) / 2])
    moved = moved + 1
    status = 1
  end
  statuses[#statuses + 1] = status
end
if moved > 0 then redis.call('HINCRBY', KEYS[3], 'redriven', moved) end
return statuses
