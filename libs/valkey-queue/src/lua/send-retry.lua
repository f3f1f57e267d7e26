#!lua
--[[ send-retry.lua: the retry of a single send whose first attempt was a plain XADD (no marker) and
  whose reply was lost. Appends the message only if that XADD did not land: it looks for the envelope
  id among the stream entries added since the first attempt was written, at most ARGV[4] entries per
  call (the caller goes on from the returned cursor, so no call blocks the server for long).
  Entries are only ever appended at the end, so what one call scanned stays scanned; the append
  happens in the call that reaches the end, after it checked that no entry of the window was
  deleted (a deleted entry could have been the one looked for: then nothing is written).
  `#!lua` makes the server check OOM before the script starts.
  KEYS[1] the queue's STREAM (or a priority stream of it)
  KEYS[2] `done:<envelope id>` marker (a worker with `idempotent: true` processed the message)
  KEYS[3] delayed ZSET (a worker's retry parked the message there by its envelope id)
  ARGV[1] envelope id   ARGV[2] window: ms before the server's now when the first attempt may have
  been written (the caller's elapsed time since that attempt, plus a margin for clock drift)
  ARGV[3] cursor: '' on the first call, else the last entry id scanned by the previous call
  ARGV[4] most entries to read in this call
  ARGV[5] '1' when the window reaches further back than trim-acked.lua keeps entries: trimming leaves
          no trace (max-deleted-entry-id counts XDEL only), so a stream whose first entry is inside
          the window may have lost entries of it
  ARGV[6..] the message's field/value pairs, appended verbatim
  Returns: { 0 }           appended now (the first attempt did not land)
         | { 2 }           found: the first attempt landed, nothing written
         | { 3 }           unknown: an entry of the window was deleted (deleteOnAck, XDEL) or may have
                           been trimmed (ARGV[5]); nothing written
         | { 4, cursor }   not found yet: call again with this cursor ]]
--#include server-clock

local CHUNK = 100
local envelopeId = ARGV[1]
local from = math.max(0, nowMs() - tonumber(ARGV[2]))

if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('ZSCORE', KEYS[3], envelopeId) then return { 2 } end

-- The envelope id is a field of the entry (`id`), second after `v` in the library's format.
local function holdsId(fields)
  for i = 1, #fields, 2 do
    if fields[i] == 'id' then return fields[i + 1] == envelopeId end
  end
  return false
end

local start = ARGV[3] == '' and string.format('%d', from) or '(' .. ARGV[3]
local budget = tonumber(ARGV[4])
while budget > 0 do
  local entries = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', math.min(CHUNK, budget))
  for _, entry in ipairs(entries) do
    if holdsId(entry[2]) then return { 2 } end
  end
  if #entries < math.min(CHUNK, budget) then budget = -1 break end
  budget = budget - #entries
  start = '(' .. entries[#entries][1]
end
if budget == 0 then return { 4, string.sub(start, 2) } end

-- At the end, not found. Any entry deleted since `from` might have been ours: take no chance.
local function msOf(entryId) return tonumber(string.match(entryId, '^(%d+)-')) end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local deleted, first
  for i = 1, #info, 2 do
    if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
    if info[i] == 'first-entry' then first = info[i + 1] end
  end
  -- Servers before 7.0 do not track deletions: unknown.
  if not deleted or msOf(deleted) >= from then return { 3 } end
  if ARGV[5] == '1' and first and first ~= false and msOf(first[1]) >= from then return { 3 } end
end
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 6, #ARGV))
return { 0 }
