--[[ existing-keys.lua: which of the given keys exist, in one command (a worker looks for the
  priority streams or lists of its queue this way; a list exists only while it holds messages).
  KEYS[1..n] keys of one hash tag
  Returns: { 1 | 0, ... } one per key, in order ]]
local exists = {}
for i = 1, #KEYS do exists[i] = redis.call('EXISTS', KEYS[i]) end
return exists
