--[[ lbs-dead-letter.lua: move a malformed LBS entry (no valid stream name, info not a JSON object)
  to the LBS dead-letter stream with the reason, and acknowledge and delete it, in one step, so a
  bad entry never stops the reader and is never lost.
  KEYS[1] LBS STREAM   KEYS[2] LBS dead-letter STREAM
  ARGV[1] consumer group   ARGV[2] LBS entry id   ARGV[3] reason   ARGV[4] dead-letter MAXLEN (~)
  Returns: 1 moved | 0 the entry was already gone (its pending record is acked) ]]
--#include server-clock

local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])[1]
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if not entry then return 0 end
local fields = entry[2]
fields[#fields + 1] = 'reason'
fields[#fields + 1] = ARGV[3]
fields[#fields + 1] = 'sourceId'
fields[#fields + 1] = ARGV[2]
fields[#fields + 1] = 'failedAt'
fields[#fields + 1] = string.format('%d', nowMs())
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', unpack(fields))
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
