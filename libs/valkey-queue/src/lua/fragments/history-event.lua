--[[ fragment history-event: append a state change to the queue's history STREAM, in the script that
  makes the change, so the history never records a change that did not happen nor misses one that did.
  Whether history is on is part of the script's text: the line below reads `false` in the scripts as
  loaded, and a module configured with `history` defines its commands with it set to `true`
  (lua-scripts.ts, withHistory), so with history off no command is run and nothing is written.
  Likewise `historyPayloads` (history.payloads other than 'none'): `sent` and `scheduled` events then
  carry the message's payload.
  The stream's name is the hash tag of a key the script was given plus `:history`, so it is always
  in the same cluster slot as that key (the history writer finds these streams by SCAN).
  Event fields: `e` type, `id` envelope id, then optional `attempt`, `error`, `labels`, `priority`,
  `due`, `of` (the message a duplicate matched), `raw` (a broken entry's fields, in the delayed-body
  format). The time is the event entry's id (server clock).
  Packing (format 2): a script that records many events opens a batch (beginHistoryBatch) and ends it
  (flushHistory): its events then go into ONE entry, each starting at its own `e` field (field names
  repeat), so an ack of 50 messages costs one XADD. A single-event entry (format 1) is the same
  format with one event; the writer reads both.
  A `many` event (format 3): `e <type> many <JSON list>` (plus shared fields, e.g. `consumer`) stands
  for one event of that type per message of the list, each `[id, attempt, labels, priority]` as
  stored ('' = absent): what a caller that read the messages builds (ack.lua's `succeeded`, the
  readers' `started`), appended as one field instead of eight per message. ]]
local historyOn = false
local historyPayloads = false
-- While a batch is open: stream name -> the flat field list of its pending events.
local historyBatch = false
-- Flush a stream's packed entry at this many fields (unpack's stack limit is about 8,000 values).
local HISTORY_PACK_FIELDS = 4000

-- Appends the events in `fields` (flat name/value list) to `stream`: now, or at flushHistory().
local function appendHistory(stream, fields)
  if not historyBatch then
    redis.call('XADD', stream, '*', unpack(fields))
    return
  end
  local pending = historyBatch[stream]
  if not pending then
    pending = {}
    historyBatch[stream] = pending
  end
  for j = 1, #fields do pending[#pending + 1] = fields[j] end
  if #pending >= HISTORY_PACK_FIELDS then
    redis.call('XADD', stream, '*', unpack(pending))
    historyBatch[stream] = {}
  end
end

-- Packs the events recorded from now until flushHistory() into one entry per stream.
local function beginHistoryBatch()
  if historyOn then historyBatch = {} end
end

-- Writes the packed entries of the open batch (call before the script returns) and closes it.
local function flushHistory()
  if not historyBatch then return end
  for stream, pending in pairs(historyBatch) do
    if #pending > 0 then redis.call('XADD', stream, '*', unpack(pending)) end
  end
  historyBatch = false
end

-- The history stream of the queue `key` belongs to, or false when history is off. A key outside the
-- library's layout (a list named by a queueNamer) has no history stream: nothing would drain it.
local function historyStreamOf(key)
  if not historyOn then return false end
  local tag = string.match(key, '^{.-}')
  return tag and tag .. ':history' or false
end

-- Appends one event about message `id`; `...` are more field/value pairs (values never nil).
local function recordHistory(key, event, id, ...)
  local stream = historyStreamOf(key)
  if stream then appendHistory(stream, { 'e', event, 'id', id, ... }) end
end

-- Appends one event about the message whose envelope fields are `fields` (flat name/value array):
-- its id, attempt, labels and priority come from them; `...` are more field/value pairs.
local function recordEntryHistory(key, event, fields, ...)
  local stream = historyStreamOf(key)
  if not stream then return end
  local event_fields = { 'e', event }
  local kept = { id = true, attempt = true, labels = true, priority = true }
  if historyPayloads and (event == 'sent' or event == 'scheduled') then kept.payload = true end
  for j = 1, #fields - 1, 2 do
    if kept[fields[j]] then
      event_fields[#event_fields + 1] = fields[j]
      event_fields[#event_fields + 1] = fields[j + 1]
    end
  end
  local extra = { ... }
  for j = 1, #extra do event_fields[#event_fields + 1] = extra[j] end
  appendHistory(stream, event_fields)
end

-- A dead letter: the reason (dead | broken | expired) is the event. A broken entry keeps its raw
-- fields (delayed-body format: bytes untouched) and its stream entry id, as it may have no envelope id.
local function recordDeadHistory(key, fields, reason, err, attempts, sourceId)
  if not historyStreamOf(key) then return end
  if reason ~= 'broken' then
    recordEntryHistory(key, reason, fields, 'error', err, 'attempts', attempts)
    return
  end
  local raw = {}
  for j = 1, #fields - 1, 2 do
    raw[#raw + 1] = #fields[j] .. ':' .. fields[j] .. #fields[j + 1] .. ':' .. fields[j + 1]
  end
  recordEntryHistory(key, reason, fields, 'error', err, 'attempts', attempts, 'source', sourceId, 'raw', table.concat(raw))
end

-- Appends one event about the list-transport message `element` (a JSON object, read only for its
-- id, attempt, labels and priority: cjson under pcall, so an unreadable element records nothing).
local function recordElementHistory(key, event, element, ...)
  if not historyStreamOf(key) then return end
  local ok, decoded = pcall(cjson.decode, element)
  if not ok or type(decoded) ~= 'table' or type(decoded.id) ~= 'string' then return end
  local fields = { 'id', decoded.id }
  if decoded.attempt ~= nil then fields[#fields + 1] = 'attempt'; fields[#fields + 1] = tostring(decoded.attempt) end
  if type(decoded.labels) == 'table' then fields[#fields + 1] = 'labels'; fields[#fields + 1] = cjson.encode(decoded.labels) end
  if type(decoded.labels) == 'string' then fields[#fields + 1] = 'labels'; fields[#fields + 1] = decoded.labels end
  if historyPayloads and decoded.payload ~= nil then
    -- A list element holds its payload as JSON: read back, it is re-encoded (key order may change).
    local payload = decoded.payload
    fields[#fields + 1] = 'payload'
    fields[#fields + 1] = type(payload) == 'string' and payload or cjson.encode(payload)
  end
  recordEntryHistory(key, event, fields, ...)
end
