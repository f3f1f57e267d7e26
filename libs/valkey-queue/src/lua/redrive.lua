--[[ redrive.lua: move dead letters back onto their queue with the attempt count reset, atomically.
  The caller lists the dead-letter entries it found; each is re-read here and moved only if it is
  still there, so two admins redriving at once never move an entry twice.
  Moving an entry: XADD its fields to the queue stream verbatim (payload bytes untouched) except
  `attempt` = 1, without the dead-letter fields (reason error attempts failedAt sourceId, and a
  `stack` if a writer added one), without `firstAttempt` (its runs start over), and without an `expiresAt` that has already passed (it would
  only expire again); then XDEL it from the dead-letter stream and DEL its idempotency marker.
  An entry without a full envelope (`v`, `id`, `payload`) is left in place.
  KEYS[1] dead-letter STREAM   KEYS[2] queue STREAM   KEYS[3] stats HASH (`redriven` += moved)
  KEYS[3 + i] idempotency marker (`done:<envelope id>`) of the i-th entry
  Then optionally 10 routing KEYS, the queue stream's priority streams `:p1` .. `:p10`: given, an
  entry with a `priority` field of 1..10 goes back to its priority's stream (fragment priority-route)
  ARGV[1] now (epoch ms)   ARGV[1 + i] dead-letter stream entry id of the i-th entry
  Returns: one status per entry, in order: 1 moved | 0 gone (already moved or trimmed) | -1 not an envelope (kept) ]]
--#include priority-route
--#include history-event

local DEAD_ONLY = { reason = true, error = true, attempts = true, failedAt = true, sourceId = true, stack = true }
-- Dropped too: a redriven message starts with a fresh retry budget.
DEAD_ONLY.firstAttempt = true
local now = tonumber(ARGV[1])
local routes = #KEYS == 3 + (#ARGV - 1) + 10 and 3 + (#ARGV - 1) or nil
local statuses, moved = {}, 0

for i = 2, #ARGV do
  local entry = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])[1]
  local status = 0
  if entry then
    local fields, out, seen = entry[2], {}, {}
    for j = 1, #fields, 2 do
      local name, value = fields[j], fields[j + 1]
      seen[name] = value
      if name == 'attempt' then
        value = '1'
      elseif name == 'expiresAt' and tonumber(value) and tonumber(value) <= now then
        value = nil
      elseif DEAD_ONLY[name] then
        value = nil
      end
      if value then
        out[#out + 1] = name
        out[#out + 1] = value
      end
    end
    if seen.v and seen.id and seen.id ~= '' and seen.payload then
      if not seen.attempt then
        out[#out + 1] = 'attempt'
        out[#out + 1] = '1'
      end
      redis.call('XADD', routeKey(KEYS[2], routes, fieldsPriority(out)), '*', unpack(out))
      recordEntryHistory(KEYS[2], 'redriven', out)
      redis.call('XDEL', KEYS[1], ARGV[i])
      redis.call('DEL', KEYS[i + 2])
      moved = moved + 1
      status = 1
    else
      status = -1
    end
  end
  statuses[#statuses + 1] = status
end

if moved > 0 then redis.call('HINCRBY', KEYS[3], 'redriven', moved) end
return statuses
