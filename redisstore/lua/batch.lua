-- rampart redisstore: several single-policy decisions in one EVALSHA. batch.go builds this
-- script at start-up as bucket.lua and window.lua wrapped as the functions g and w, followed by
-- this part, so that each decision runs exactly the code it runs alone; what a batch saves is
-- the per-call costs (the command, the script call, TIME, the reply, the client's round trip).
--
-- KEYS     one per decision, in order
-- ARGV     the nine arguments of each decision one after the other, as bucket.lua or
--          window.lua takes them (the sixth, "g" or "w", says which)
-- Returns the five-integer replies one after the other. Decisions whose instant is "" share
-- one reading of Redis's TIME: the batch runs atomically, as if at that instant; they run in
-- order, so two decisions on one key see each other's writes as two calls would.
if #ARGV ~= 9 * #KEYS then
  return redis.error_reply('rampart batch: ' .. #ARGV .. ' arguments for ' .. #KEYS .. ' keys')
end
if redis.replicate_commands then
  redis.replicate_commands() -- as in bucket.lua: Redis < 5 needs it to write after TIME
end
local now = redis.call('TIME')
local tnow = tonumber(now[1]) * 1000000 + tonumber(now[2]) -- a number: tostring would round it
local out, n = {}, 0
for i = 1, #KEYS do
  local a, base = {}, (i - 1) * 9
  for j = 1, 9 do
    a[j] = ARGV[base + j]
  end
  if a[3] == '' then
    a[3], a[4] = tnow, 0
  end
  local r
  if a[6] == 'g' then
    r = g({KEYS[i]}, a)
  else
    r = w({KEYS[i]}, a)
  end
  for j = 1, 5 do
    out[n + j] = r[j]
  end
  n = n + 5
end
return out
