-- rampart redisstore: put a token ID on the denylist for a time, keeping the longer of the old
-- and new lifetimes.
--
-- KEYS[1]  the denylist entry
-- ARGV[1]  how long the entry must live, in milliseconds (> 0): the token's time left, by the
--          clock of the service that verifies it
-- Returns 1 if the entry was written, 0 if it was already there for at least that long.
local ttl = tonumber(ARGV[1])
local old = redis.call('PTTL', KEYS[1])
if old >= ttl then
  return 0
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1
