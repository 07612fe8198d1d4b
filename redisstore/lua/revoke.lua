-- rampart redisstore: put a token ID on the denylist until an instant, keeping the later of the
-- old and new expiries. Redis's clock decides what "the future" is, so every instance agrees.
--
-- KEYS[1]  the denylist entry
-- ARGV[1]  the expiry in milliseconds since the Unix epoch
-- Returns 1 if the entry was written, 0 if it was already there for longer or the expiry passed.
if redis.replicate_commands then
  redis.replicate_commands() -- Redis < 5 needs it to write after TIME; a no-op since
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local exp = tonumber(ARGV[1])
if exp <= now then
  return 0
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 and now + ttl >= exp then
  return 0
end
redis.call('SET', KEYS[1], '1', 'PX', string.format('%.0f', exp - now))
return 1
