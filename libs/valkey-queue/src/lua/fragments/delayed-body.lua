--[[ fragment delayed-body: the stored-fields format of docs/key-layout.md ("Delayed bodies"):
  every field as `<byte length>:<value>`, concatenated. Split and joined with string operations
  only, never JSON-decoded, so payload bytes pass through untouched. ]]

-- The fields of a body, or nil when it is malformed (a length runs past the end, or an odd count).
local function decodeBody(body)
  local fields, pos, size = {}, 1, #body
  while pos <= size do
    local colon = string.find(body, ':', pos, true)
    local length = colon and tonumber(string.sub(body, pos, colon - 1))
    if not length or colon + length > size then return nil end
    fields[#fields + 1] = string.sub(body, colon + 1, colon + length)
    pos = colon + length + 1
  end
  if #fields % 2 ~= 0 then return nil end
  return fields
end

-- One field of a body.
local function encodeBodyField(name, value)
  return #name .. ':' .. name .. #value .. ':' .. value
end

-- The body of a message's next attempt: its fields in order, with `attempt` and `firstAttempt`
-- replaced (or added at the end when absent).
local function encodeNextAttempt(fields, attempt, firstAttempt)
  local replaced = { attempt = attempt, firstAttempt = firstAttempt }
  local parts, seen = {}, {}
  for j = 1, #fields, 2 do
    local name, value = fields[j], fields[j + 1]
    if replaced[name] then
      value = replaced[name]
      seen[name] = true
    end
    parts[#parts + 1] = encodeBodyField(name, value)
  end
  if not seen.attempt then parts[#parts + 1] = encodeBodyField('attempt', attempt) end
  if not seen.firstAttempt then parts[#parts + 1] = encodeBodyField('firstAttempt', firstAttempt) end
  return table.concat(parts)
end
