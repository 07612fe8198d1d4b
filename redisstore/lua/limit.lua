-- rampart redisstore: one rate-limit decision for one client under several policies.
--
-- Everything about one decision happens here, in one round trip and atomically: read the
-- state of every policy, decide each with one clock, and write new state only if every policy
-- admits the cost (all-or-nothing), so a refused request consumes nothing. The formulas are
-- those of the ratelimit.Store contract, computed in nanoseconds relative to the decision
-- instant t so that Lua's doubles hold them exactly (up to about 104 days).
--
-- KEYS[i]  the state of policy i; all keys share one {hash tag}, so one hash slot.
-- ARGV[1]  cost (integer >= 0)
-- ARGV[2]  "1" to peek (decide and report as a take would, but never write), "0" to take
-- ARGV[3]  t in whole microseconds since the Unix epoch, or "" to use Redis's TIME
-- ARGV[4]  the nanoseconds of t below the microsecond (0..999)
-- ARGV[5]  extra milliseconds of TTL (used when t comes from the caller, not from TIME)
-- then four arguments per policy:
--   "g" (token bucket / GCRA), limit, T = window/limit in ns, tau = capacity*T in ns
--   "w" (sliding-window counter), limit, W in microseconds, unused
--   "l" (sliding log), limit, W in ns, unused
--
-- State: "g" keeps TAT as two little-endian doubles, <us> and <ns below the us> (16 bytes); "w"
-- keeps three, <S in us>, <cur> and <prev> (24 bytes); "l" keeps a list of "<us>:<ns>", one per
-- admitted unit, oldest first. Every value is an integer below 2^53, so exact in a double;
-- struct.pack and struct.unpack cost a fraction of string.format and string.match, which were
-- the most expensive steps of a decision. The text forms "<us>:<ns>" and "<S>:<cur>:<prev>"
-- that earlier versions wrote are still read.
-- Returns {allowed, then per policy: allowed, remaining, retry_ns, reset_ns}.
local cost = tonumber(ARGV[1])
local peek = ARGV[2] == '1'
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
local extra = tonumber(ARGV[5])

local floor, ceil, max = math.floor, math.ceil, math.max
local vals = redis.call('MGET', unpack(KEYS))
local out = {1}
local states, lives, logs = {}, {}, {}
local all = true

-- packed reports whether v is packed doubles rather than the text form, which can have the same
-- length ("1795795200000000:100:100" is 24 bytes): the text form ends with a digit, while the
-- last byte of a packed double (little-endian, so its sign and exponent) for an integer in
-- [0, 2^53) is 0x00 or 0x3F to 0x43, never an ASCII digit.
local function packed(v)
  local last = string.byte(v, -1)
  return last < 48 or last > 57
end

-- admits reports whether the sliding-window test passes e ns into a window.
local function admits(prev, cur, W, e, limit)
  return prev * (W - e) / W + (cur + cost) <= limit
end

-- smallest returns the smallest w >= lo (ns) such that admits(prev, cur, W, e0 + w, limit),
-- starting from the estimate w: the closed form can be off by a rounding step either way.
local function smallest(prev, cur, W, e0, limit, w, lo)
  if w < lo then w = lo end
  for _ = 1, 64 do
    if admits(prev, cur, W, e0 + w, limit) then break end
    w = w + 1
  end
  for _ = 1, 64 do
    if w <= lo or not admits(prev, cur, W, e0 + w - 1, limit) then break end
    w = w - 1
  end
  return w
end

for i = 1, #KEYS do
  local b = 5 + (i - 1) * 4
  local kind, limit = ARGV[b + 1], tonumber(ARGV[b + 2])
  local v = vals[i]
  local ok, remaining, retry, reset
  if kind == 'g' then
    local T, tau = tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
    local tat = 0 -- max(TAT, t) - t
    if v then
      local us, ns
      if #v == 16 and packed(v) then
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
    if nxt <= tau then
      ok, retry = true, 0
      remaining, reset = floor((tau - nxt) / T), nxt
      if cost > 0 then
        local abs = trem + nxt
        local carry = floor(abs / 1000)
        states[i] = struct.pack('<dd', tus + carry, abs - carry * 1000)
        lives[i] = nxt
      end
    else
      ok, retry = false, nxt - tau
      remaining, reset = max(0, floor((tau - tat) / T)), tat
    end
  elseif kind == 'l' then
    -- Sliding log: a list of the instants of admitted units ("<us>:<ns>"), oldest first, one
    -- entry per unit. Instants at or before t - W have left the window.
    local W = tonumber(ARGV[b + 3])
    local key = KEYS[i]
    local function rel(x) -- x - t in ns
      local us, ns = string.match(x, '^(%-?%d+):(%d+)$')
      return (tonumber(us) - tus) * 1000 + (tonumber(ns) - trem)
    end
    local len = redis.call('LLEN', key)
    -- gone: how many entries at the head have left the window. The list is sorted, so a
    -- binary search finds it in log2(len) LINDEX calls; a linear walk from the head cost
    -- O(len^2) list steps on a full log (tens of milliseconds at MaxLogLimit, holding Redis),
    -- and a Peek, which never trims, would pay it every time.
    local lo, hi = 0, len
    while lo < hi do
      local mid = floor((lo + hi) / 2)
      if rel(redis.call('LINDEX', key, mid)) <= -W then lo = mid + 1 else hi = mid end
    end
    local gone = lo
    local n = len - gone
    local newest = nil
    if n > 0 then newest = rel(redis.call('LINDEX', key, -1)) end
    if n + cost <= limit then
      ok, retry = true, 0
      if cost > 0 then
        if newest == nil or newest < 0 then newest = 0 end
        logs[i] = {gone = gone, at = newest}
      end
      n = n + cost
      remaining = limit - n
    else
      ok = false
      local oldest = rel(redis.call('LINDEX', key, gone + n + cost - limit - 1))
      retry = max(oldest + W, 1)
      remaining = limit - n
    end
    if n > 0 then
      reset = max((newest or 0) + W, 0)
    else
      reset = 0
    end
  else
    local Wus = tonumber(ARGV[b + 3])
    local W = Wus * 1000
    local s = tus - tus % Wus
    local S, cur, prev = s, 0, 0
    if v then
      local vs, vc, vp
      if #v == 24 and packed(v) then
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
    if admits(prev, cur, W, e, limit) then
      ok, retry = true, 0
      cur = cur + cost
      if cost > 0 then
        states[i] = struct.pack('<ddd', S, cur, prev)
        lives[i] = back + 2 * W - e
      end
    else
      ok = false
      if cur + cost <= limit and prev > 0 then
        -- within this window, once the previous window weighs little enough
        local est = ceil(W - (limit - cur - cost) * W / prev - e)
        retry = back + smallest(prev, cur, W, e, limit, est, 1)
      else
        -- in the next window, where this window's count becomes the weighted one
        local est = 0
        if cur > 0 then est = ceil(W - (limit - cost) * W / cur) end
        retry = back + (W - e) + smallest(cur, 0, W, 0, limit, est, 0)
      end
    end
    remaining = max(0, floor(limit - prev * (W - e) / W - cur))
    if cur > 0 then
      reset = back + 2 * W - e
    elseif prev > 0 then
      reset = back + W - e
    else
      reset = 0
    end
  end
  if not ok then all = false end
  out[#out + 1] = ok and 1 or 0
  out[#out + 1] = remaining
  out[#out + 1] = retry
  out[#out + 1] = reset
end

if not all then
  out[1] = 0
elseif not peek then
  for i = 1, #KEYS do
    if states[i] then
      redis.call('SET', KEYS[i], states[i], 'PX', ceil(lives[i] / 1000000) + extra)
    elseif logs[i] then -- set only for a cost above 0
      -- RPUSH first: Redis refuses a script's writes for OOM only before its first one, and
      -- LTRIM and PEXPIRE are not refused, so trimming first would let every later write of
      -- the script (of a batch) past maxmemory. Trimming the head after appending at the tail
      -- removes the same entries.
      local key, l = KEYS[i], logs[i]
      -- Keep the log sorted even if the clock stepped back: record max(t, newest).
      local abs = trem + l.at
      local carry = floor(abs / 1000)
      local entry = string.format('%.0f:%d', tus + carry, abs - carry * 1000)
      local chunk = {}
      for _ = 1, math.min(cost, 1000) do chunk[#chunk + 1] = entry end
      local left = cost
      while left > 0 do
        local m = math.min(left, #chunk)
        redis.call('RPUSH', key, unpack(chunk, 1, m))
        left = left - m
      end
      if l.gone > 0 then
        redis.call('LTRIM', key, l.gone, -1)
      end
      local W = tonumber(ARGV[5 + (i - 1) * 4 + 3])
      redis.call('PEXPIRE', key, ceil((l.at + W) / 1000000) + extra)
    end
  end
end
return out
