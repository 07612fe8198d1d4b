-- rampart redisstore: put a token ID on its subject's denylist until an expiry, keeping the
-- later of the old and new expiries, within the subject's bound.
--
-- KEYS[1]  the subject's denylist: a sorted set of token IDs scored by expiry
-- ARGV[1]  the token ID
-- ARGV[2]  its expiry, in Unix milliseconds by the clock of the service that verifies it
-- ARGV[3]  that clock's now less the most two instances' clocks may differ, in Unix
--          milliseconds: entries scored at or before it have expired for every instance (an
--          entry this instance sees expired may still be live for one whose clock is behind)
-- ARGV[4]  the token's time left plus the largest leeway, in milliseconds (> 0): the set lives
--          at least that long by Redis's clock, so it never ends before its entries do by any
--          instance's clock
-- ARGV[5]  the most unexpired entries the subject may have
-- ARGV[6]  the service clock's now, in Unix milliseconds: an entry scored at or before it is no
--          revocation for this instance, so writing it again counts as a new one (return 2)
-- Returns 2 if the entry was written and the ID was not revoked before (no unexpired entry),
-- 1 if an unexpired entry's expiry was moved later, 0 if it was already there with at least
-- that expiry, -1 if the subject's denylist is full.
--
-- The reads come first and ZADD is the first write: Redis checks maxmemory only before a
-- script's first write, so a full Redis refuses the revocation (an error the caller sees)
-- rather than letting it through.
local exp, horizon = tonumber(ARGV[2]), tonumber(ARGV[3])
local old = redis.call('ZSCORE', KEYS[1], ARGV[1])
if old and tonumber(old) >= exp then
  return 0
end
local fresh = not old or tonumber(old) <= tonumber(ARGV[6])
if not old or tonumber(old) <= horizon then -- a new entry, as far as the bound is concerned
  if redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[3], '+inf') >= tonumber(ARGV[5]) then
    return -1
  end
end
redis.call('ZADD', KEYS[1], exp, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
if fresh then
  return 2
end
return 1
