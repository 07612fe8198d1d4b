-- rampart redisstore: several decisions in one EVALSHA. batch.go builds this script at start-up
-- as bucket.lua, window.lua and limit.lua wrapped as the functions g, w and l, followed by this
-- part, so that each decision runs exactly the code it runs alone; what a batch saves is the
-- per-call costs (the command, the script call, TIME, the reply, the client's round trip).
--
-- KEYS     the keys of each decision one after the other: n keys for n policies
-- ARGV     for each decision: n, then the 5 + 4n arguments its own script takes (limit.lua's
--          layout, which bucket.lua and window.lua share for one policy)
-- Returns the replies one after the other, 1 + 4n integers each (or, for a decision that
-- failed, its error message and 4n zeros). Decisions whose instant is ""
-- share one reading of Redis's TIME: the batch runs atomically, as if at that instant; they
-- run in order, so two decisions on one key see each other's writes as two calls would.
if redis.replicate_commands then
  redis.replicate_commands() -- as in bucket.lua: Redis < 5 needs it to write after TIME
end
local now = redis.call('TIME')
local tnow = tonumber(now[1]) * 1000000 + tonumber(now[2]) -- a number: tostring would round it
local out, o, k, x = {}, 0, 0, 0 -- replies written, keys and arguments read
while x < #ARGV do
  local n = tonumber(ARGV[x + 1])
  local m = 5 + 4 * n
  if not n or n < 1 or x + 1 + m > #ARGV or k + n > #KEYS then
    return redis.error_reply('rampart batch: malformed arguments at ' .. x)
  end
  local keys, a = {}, {}
  for j = 1, n do
    keys[j] = KEYS[k + j]
  end
  for j = 1, m do
    a[j] = ARGV[x + 1 + j]
  end
  if a[3] == '' then
    a[3], a[4] = tnow, 0
  end
  local f = l
  if n == 1 and a[6] == 'g' then
    f = g
  elseif n == 1 and a[6] == 'w' then
    f = w
  end
  -- A decision whose write Redis refuses (OOM, READONLY, MISCONF: checked before a script's
  -- first write, so it wrote nothing) fails alone, as it would alone, and the others still
  -- decide: its place in the reply holds the error message, then zeros.
  local ok, r = pcall(f, keys, a)
  if ok then
    for j = 1, 1 + 4 * n do
      out[o + j] = r[j]
    end
  else
    if type(r) == 'table' and r.err then
      r = r.err -- Redis 7: the error reply
    else
      -- Redis 5 and 6 raise "@user_script: 12: -OOM command not allowed...": keep the reply.
      r = string.match(tostring(r), ': %-(%u.*)$') or tostring(r)
    end
    out[o + 1] = r
    for j = 2, 1 + 4 * n do
      out[o + j] = 0
    end
  end
  o, k, x = o + 1 + 4 * n, k + n, x + 1 + m
end
if k ~= #KEYS then
  return redis.error_reply('rampart batch: ' .. #KEYS .. ' keys for ' .. k)
end
return out
