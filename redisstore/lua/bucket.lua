-- rampart redisstore: one rate-limit decision for one client under a single token-bucket
-- (GCRA) policy, the commonest request. It is limit.lua's "g" branch alone, with the same
-- KEYS, ARGV, state and reply, so a decision made by either script reads the other's state;
-- without the general script's loops, tables and helper closures it costs Redis less time per
-- decision (13.7-17.5 us against 16.4-21.5 us for limit.lua in one interleaved redis-benchmark
-- run on a 2-core machine). limit.lua documents the formulas and the layout:
--
-- KEYS[1]  the policy's state: TAT as two little-endian doubles, <us> and <ns below the us>
-- ARGV     cost, peek ("1" or "0"), t in us or "" for Redis's TIME, ns of t below the us,
--          extra TTL ms, "g", limit, T = window/limit in ns, tau = capacity*T in ns
-- Returns {allowed, allowed, remaining, retry_ns, reset_ns}.
local cost = tonumber(ARGV[1])
local tus, trem
if ARGV[3] == '' then
  if redis.replicate_commands then
    redis.replicate_commands() -- Redis < 5 needs it to write after TIME; a no-op since
  end
  local now = redis.call('TIME')
  tus, trem = tonumber(now[1]) * 1000000 + tonumber(now[2]), 0
else
  tus, trem = tonumber(ARGV[3]), tonumber(ARGV[4])
end
local T, tau = tonumber(ARGV[8]), tonumber(ARGV[9])
local tat = 0 -- max(TAT, t) - t
-- MGET, not GET: a key of another type reads as no state, as in limit.lua, rather than failing.
local v = redis.call('MGET', KEYS[1])[1]
if v then
  local us, ns
  local last = string.byte(v, -1)
  if #v == 16 and (last < 48 or last > 57) then -- packed doubles, not the old text form
    us, ns = struct.unpack('<dd', v)
  else
    us, ns = string.match(v, '^(%-?%d+):(%d+)$')
  end
  if us then
    tat = (tonumber(us) - tus) * 1000 + (tonumber(ns) - trem)
    if tat < 0 then tat = 0 end
  end
end
local nxt = tat + cost * T
if nxt > tau then
  local remaining = math.floor((tau - tat) / T)
  if remaining < 0 then remaining = 0 end
  return {0, 0, remaining, nxt - tau, tat}
end
if cost > 0 and ARGV[2] ~= '1' then
  local abs = trem + nxt
  local carry = math.floor(abs / 1000)
  redis.call('SET', KEYS[1], struct.pack('<dd', tus + carry, abs - carry * 1000),
    'PX', math.ceil(nxt / 1000000) + tonumber(ARGV[5]))
end
return {1, 1, math.floor((tau - nxt) / T), 0, nxt}
