--[[ fragment priority-route: the key a message of a given priority goes to (docs/key-layout.md,
  "Priorities"). Priority 0 stays on the queue's own key; priority p (1..10) goes to `<key>:p<p>`,
  passed by the caller as 10 routing KEYS in priority order. `routes` is the KEYS index just before
  them, or nil when the caller passed none: then every message goes to the queue's own key.
  A malformed priority also goes there: the worker reads it and handles it as broken. ]]

-- 1..10 for a stored priority of decimal digits in that range, else 0.
local function priorityOf(value)
  if type(value) == 'number' then value = tostring(value) end
  if type(value) ~= 'string' or not string.match(value, '^%d%d?$') then return 0 end
  local priority = tonumber(value)
  if priority >= 1 and priority <= 10 then return priority end
  return 0
end

-- The priority of flat stream fields (the last `priority` field wins, as in the workers).
local function fieldsPriority(fields)
  local priority = 0
  for i = 1, #fields - 1, 2 do
    if fields[i] == 'priority' then priority = priorityOf(fields[i + 1]) end
  end
  return priority
end

-- The priority of a list element (JSON text), decoded only when it mentions one.
local function elementPriority(element)
  if not string.find(element, '"priority"', 1, true) then return 0 end
  local ok, decoded = pcall(cjson.decode, element)
  if not ok or type(decoded) ~= 'table' then return 0 end
  return priorityOf(decoded.priority)
end

local function routeKey(base, routes, priority)
  if routes and priority > 0 then return KEYS[routes + priority] end
  return base
end
