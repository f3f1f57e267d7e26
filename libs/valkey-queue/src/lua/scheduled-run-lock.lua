--[[ scheduled-run-lock.lua: the lock that keeps two runs of one @Scheduled method from overlapping.
  KEYS[1] the lock (STRING: the owner's id, with a TTL)
  ARGV[1] 'acquire' | 'renew' | 'release'   ARGV[2] owner id   ARGV[3] ttl ms (acquire, renew)
  Returns: 1 done | 0 not ours (acquire: someone else runs; renew/release: the lock lapsed or moved) ]]
local mode, owner = ARGV[1], ARGV[2]
if mode == 'acquire' then
  return redis.call('SET', KEYS[1], owner, 'NX', 'PX', ARGV[3]) and 1 or 0
end
if redis.call('GET', KEYS[1]) ~= owner then return 0 end
if mode == 'renew' then return redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return redis.call('DEL', KEYS[1])
