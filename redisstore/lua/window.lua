-- rampart redisstore: one rate-limit decision for one client under a single sliding-window
-- counter policy. It is limit.lua's "w" branch alone, with the same KEYS, ARGV, state and
-- reply, so a decision made by either script reads the other's state; without the general
-- script's loop over policies and its tables it costs Redis less time per decision. limit.lua
-- documents the formulas and the layout:
--
-- KEYS[1]  the policy's state: <S in us>, <cur> and <prev> as three little-endian doubles
-- ARGV     cost, peek ("1" or "0"), t in us or "" for Redis's TIME, ns of t below the us,
--          extra TTL ms, "w", limit, W in us, unused
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
local floor, ceil, max = math.floor, math.ceil, math.max
local limit, Wus = tonumber(ARGV[7]), tonumber(ARGV[8])
local W = Wus * 1000
local s = tus - tus % Wus
local S, cur, prev = s, 0, 0
-- MGET, not GET: a key of another type reads as no state, as in limit.lua, rather than failing.
local v = redis.call('MGET', KEYS[1])[1]
if v then
  local vs, vc, vp
  local last = string.byte(v, -1)
  if #v == 24 and (last < 48 or last > 57) then -- packed doubles, not the old text form
    vs, vc, vp = struct.unpack('<ddd', v)
  else
    vs, vc, vp = string.match(v, '^(%-?%d+):(%d+):(%d+)$')
  end
  if vs then
    local old = tonumber(vs)
    if s == old or s < old then
      S, cur, prev = old, tonumber(vc), tonumber(vp)
    elseif s == old + Wus then
      prev = tonumber(vc)
    end
  end
end
local back = 0 -- how far t lies before S when the clock went back
local e = (tus - S) * 1000 + trem
if e < 0 then
  back, e = -e, 0
end

-- admits reports whether the sliding-window test passes e ns into a window.
local function admits(p, c, at)
  return p * (W - at) / W + (c + cost) <= limit
end

-- smallest returns the smallest w >= lo (ns) such that admits(p, c, e0 + w), starting from the
-- estimate w: the closed form can be off by a rounding step either way.
local function smallest(p, c, e0, w, lo)
  if w < lo then w = lo end
  for _ = 1, 64 do
    if admits(p, c, e0 + w) then break end
    w = w + 1
  end
  for _ = 1, 64 do
    if w <= lo or not admits(p, c, e0 + w - 1) then break end
    w = w - 1
  end
  return w
end

local ok, retry
if admits(prev, cur, e) then
  ok, retry = 1, 0
  cur = cur + cost
  if cost > 0 and ARGV[2] ~= '1' then
    redis.call('SET', KEYS[1], struct.pack('<ddd', S, cur, prev),
      'PX', ceil((back + 2 * W - e) / 1000000) + tonumber(ARGV[5]))
  end
else
  ok = 0
  if cur + cost <= limit and prev > 0 then
    -- within this window, once the previous window weighs little enough
    local est = ceil(W - (limit - cur - cost) * W / prev - e)
    retry = back + smallest(prev, cur, e, est, 1)
  else
    -- in the next window, where this window's count becomes the weighted one
    local est = 0
    if cur > 0 then est = ceil(W - (limit - cost) * W / cur) end
    retry = back + (W - e) + smallest(cur, 0, 0, est, 0)
  end
end
local remaining = max(0, floor(limit - prev * (W - e) / W - cur))
local reset = 0
if cur > 0 then
  reset = back + 2 * W - e
elseif prev > 0 then
  reset = back + W - e
end
return {ok, ok, remaining, retry, reset}
