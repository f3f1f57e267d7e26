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
