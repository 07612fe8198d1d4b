package ratelimit

import (
	"math"
	"time"
)

// prepared is a validated Policy with the constants its algorithm needs, computed once.
type prepared struct {
	Policy
	w     int64   // window, ns
	l     int64   // limit
	c     int64   // capacity
	ival  int64   // token bucket: emission interval T = W/L, ns
	inv   float64 // token bucket: 1/T, for divisions without an integer divide
	tau   int64   // token bucket: capacity·T, ns
	full  int64   // sliding window: firstAdmit(limit, 0, 0, W, limit, 1), the usual refusal's wait
	salt  uint64  // memory store: mixes the policy into the key's tag
	index int
}

func prepare(p Policy, i int, salt uint64) prepared {
	pp := prepared{Policy: p, w: int64(p.Window), l: int64(p.Limit), c: int64(p.Capacity()), salt: salt, index: i}
	if p.Algorithm == TokenBucket {
		pp.ival = pp.w / pp.l
		pp.tau = pp.c * pp.ival
		pp.inv = 1 / float64(pp.ival)
	}
	if p.Algorithm == SlidingWindow {
		pp.full, _, _ = firstAdmit(pp.l, 0, 0, pp.w, pp.l, 1)
	}
	return pp
}

// slot is one (key, policy) entry of the memory store: 24 bytes, no pointers.
//
// tag is the keyed hash of (key, policy) with bit 1 set (so a used slot is never 0) and bit 0
// the CLOCK reference bit. exp is the instant from which the state equals a fresh key's: the
// token bucket's TAT, the counter's window start + 2W, the log's newest instant + W. cur and prev
// are the counter's counts.
type slot struct {
	tag  uint64
	exp  int64
	cur  uint32
	prev uint32
}

const fresh = math.MinInt64

// maxInstant bounds the instants the algorithms compute with, in Unix nanoseconds (March
// 2232): far enough from the int64 limits that t + 2·Window and a bucket's TAT + τ never
// overflow, which would make a key look fresh on every request.
const maxInstant = math.MaxInt64 - 3*int64(maxWindow)

// unixNano is t.UnixNano clamped to ±maxInstant (UnixNano itself wraps beyond the years 1678
// and 2262). Time stands still at the bounds, which grants no extra quota.
func unixNano(t time.Time) int64 {
	switch s := t.Unix(); {
	case s >= maxInstant/1e9:
		return maxInstant
	case s <= -maxInstant/1e9:
		return -maxInstant
	}
	return t.UnixNano()
}

// clampTime is t within the instants unixNano represents exactly; the zero time is kept.
func clampTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if n := unixNano(t); n == maxInstant || n == -maxInstant {
		return time.Unix(0, n)
	}
	return t
}

// eval decides cost at t under p from state st (never nil; exp == fresh for a new key) without
// changing it. ring is the sliding log's instants (nil for a new key or another algorithm).
func (p *prepared) eval(st *slot, ring *logRing, t, cost int64) Decision {
	var d Decision
	p.evalInto(&d, st, ring, t, cost)
	return d
}

// evalInto is eval writing into *d, which it overwrites whole. The hot path uses it: filling the
// caller's Decision in place is measurably cheaper than returning a six-word struct by value
// through several calls.
func (p *prepared) evalInto(d *Decision, st *slot, ring *logRing, t, cost int64) {
	*d = Decision{Limit: p.Limit, Policy: p.index}
	switch p.Algorithm {
	case TokenBucket:
		tat := max(st.exp, t)
		next := tat + cost*p.ival
		if next-t <= p.tau {
			d.Allowed = true
			d.Remaining = int(p.units(p.tau - (next - t)))
			d.Reset = time.Duration(next - t)
		} else {
			d.RetryAfter = time.Duration(next - p.tau - t)
			d.Remaining = int(p.units(max(p.tau-(tat-t), 0))) // tat-t > τ only if the clock went back
			d.Reset = time.Duration(tat - t)
		}
	case SlidingWindow:
		s, tt, cur, prev := p.window(st, t)
		skew := tt - t // > 0 only when the clock went back: durations count from the real t
		t = tt
		e := t - s
		w := p.w
		if prev == 0 {
			// Integer fast path, exact: with no previous count the weighted term of
			// counterAdmits is 0·(w−e)/w = 0 exactly, and counts below 2³¹ are exact in
			// float64, so the float test and floor below reduce to these integer ones.
			if cur+cost <= p.l {
				d.Allowed = true
				cur += cost
			} else {
				d.RetryAfter = time.Duration(p.counterRetry(s, e, cur, prev, cost))
			}
			d.Remaining = int(max(p.l-cur, 0))
		} else {
			pw := float64(prev) * float64(w-e) / float64(w) // as in counterAdmits
			if pw+float64(cur+cost) <= float64(p.l) {
				d.Allowed = true
				cur += cost
			} else {
				d.RetryAfter = time.Duration(p.counterRetry(s, e, cur, prev, cost))
			}
			if r := math.Floor(float64(p.l) - pw - float64(cur)); r > 0 {
				d.Remaining = int(r)
			}
		}
		switch {
		case cur > 0:
			d.Reset = time.Duration(s + 2*w - t + skew)
		case prev > 0:
			d.Reset = time.Duration(s + w - t + skew)
		}
		if !d.Allowed {
			d.RetryAfter += time.Duration(skew)
		}
	case SlidingLog:
		n, skip := int64(0), 0
		var newest int64
		if ring != nil {
			skip = ring.expired(t - p.w) // counted, not dropped: a Peek changes nothing
			n = int64(ring.n - skip)
			if n > 0 {
				newest = ring.at(ring.n - 1)
			}
		}
		if n+cost <= p.l {
			d.Allowed = true
			n += cost
			newest = max(newest, t)
		} else {
			i := ring.at(skip + int(n+cost-p.l-1))
			d.RetryAfter = time.Duration(max(i+p.w-t, 1))
		}
		d.Remaining = int(p.l - n)
		if n > 0 {
			d.Reset = time.Duration(max(newest+p.w-t, 0))
		}
	}
	if d.Allowed {
		d.RetryAfter = 0
	}
}

// units is ⌊x/T⌋ for 0 ≤ x ≤ τ, computed with a float multiply and an exact correction (an
// integer divide is the slowest instruction of the hot path).
func (p *prepared) units(x int64) int64 {
	q := int64(float64(x) * p.inv)
	for q > 0 && q*p.ival > x {
		q--
	}
	for (q+1)*p.ival <= x {
		q++
	}
	return q
}

// apply charges cost at t to st (and ring for the sliding log). The caller has checked with
// eval that every policy admits it.
func (p *prepared) apply(st *slot, ring *logRing, t, cost int64) {
	switch p.Algorithm {
	case TokenBucket:
		st.exp = max(st.exp, t) + cost*p.ival
	case SlidingWindow:
		s, _, cur, prev := p.window(st, t)
		st.exp = s + 2*p.w
		st.cur = uint32(cur + cost) // #nosec G115 -- cur+cost <= Limit < 2^31, checked by eval
		st.prev = uint32(prev)      // #nosec G115 -- prev <= Limit < 2^31
	case SlidingLog:
		ring.expire(t - p.w)
		if ring.n > 0 {
			t = max(t, ring.at(ring.n-1)) // instants stay sorted even if the clock steps back
		}
		for range cost {
			ring.push(t)
		}
		st.exp = t + p.w
	}
}

// window returns the current fixed window start s, the (possibly clamped) time t, and the
// counts of the current and previous windows.
func (p *prepared) window(st *slot, t int64) (s, tt, cur, prev int64) {
	w := p.w
	if st.exp <= t {
		return t - floorMod(t, w), t, 0, 0
	}
	start := st.exp - 2*w
	switch {
	case t >= start+w: // the next window (start+2W > t since the state has not expired)
		return start + w, t, 0, int64(st.cur)
	case t >= start:
		return start, t, int64(st.cur), int64(st.prev)
	default: // t < start: the clock went back; keep the stored window
		return start, start, int64(st.cur), int64(st.prev)
	}
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// counterAdmits is the sliding-window counter's test, in exactly the documented arithmetic.
func counterAdmits(prev, cur, e, w, l, cost int64) bool {
	pw := float64(prev) * float64(w-e) / float64(w)
	return pw+float64(cur+cost) <= float64(l)
}

// counterRetry returns the wait, from t = s+e, until counterAdmits holds, assuming no other
// traffic. Cost ≤ L is guaranteed by the caller, so the wait is finite.
func (p *prepared) counterRetry(s, e, cur, prev, cost int64) int64 {
	w, l := p.w, p.l
	if cur+cost <= l && prev > 0 {
		if x, ok, _ := firstAdmit(prev, cur, e, w, l, cost); ok {
			return x - e
		}
	}
	// Next window: the current count becomes the previous one.
	if cur == l && cost == 1 {
		return w - e + p.full // a full window refused a single unit: the common case, precomputed
	}
	x, _, _ := firstAdmit(cur, 0, 0, w, l, cost)
	return w - e + x
}

// firstAdmit returns the smallest elapsed time x in [from, w) at which counterAdmits holds
// with the given counts, or w and false if there is none, and how many times it evaluated
// counterAdmits (at most about 64, for tests).
//
// counterAdmits is monotone in x even in float arithmetic (every step is a monotone rounding),
// so a binary search finds the exact first x. The closed form is tried first and is almost
// always right; it cannot simply be corrected by stepping, since with large counts and
// windows the float test stays constant over millions of nanoseconds around it.
func firstAdmit(prev, cur, from, w, l, cost int64) (int64, bool, int) {
	if counterAdmits(prev, cur, from, w, l, cost) {
		return from, true, 1
	}
	if prev == 0 || cur+cost > l {
		return w, false, 1
	}
	// Invariant: counterAdmits is false at lo, and true at hi unless hi == w.
	lo, hi, evals := from, w, 1
	// prev·(w−x)/w ≤ l−cur−cost  ⇔  x ≥ w − (l−cur−cost)·w/prev.
	x := w - int64(math.Floor(float64(l-cur-cost)*float64(w)/float64(prev)))
	for _, y := range [2]int64{x - 1, x} {
		if lo < y && y < hi {
			evals++
			if counterAdmits(prev, cur, y, w, l, cost) {
				hi = y
			} else {
				lo = y
			}
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		evals++
		if counterAdmits(prev, cur, mid, w, l, cost) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, hi < w, evals
}

// logRing holds a sliding log's instants, oldest first, in a ring that grows by doubling up to
// the policy's Limit, so a key costs memory in proportion to its recent traffic.
type logRing struct {
	buf  []int64
	head int
	n    int
	max  int
}

func newLogRing(limit int) *logRing {
	return &logRing{buf: make([]int64, min(limit, 4)), max: limit}
}

func (r *logRing) at(i int) int64 { return r.buf[(r.head+i)%len(r.buf)] }

// expired returns how many of the oldest instants are at or before cutoff. The instants are
// sorted, so it is a binary search: Peeks do not drop expired instants, and a linear count
// over up to MaxLogLimit of them on every Peek would be a cheap way to hold the shard lock.
func (r *logRing) expired(cutoff int64) int {
	lo, hi := 0, r.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.at(mid) <= cutoff {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func (r *logRing) expire(cutoff int64) {
	for r.n > 0 && r.buf[r.head] <= cutoff {
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
}

func (r *logRing) push(t int64) {
	if r.n == len(r.buf) {
		if len(r.buf) >= r.max {
			return // unreachable: eval admits at most Limit instants
		}
		grown := make([]int64, min(2*len(r.buf), r.max))
		for i := range r.n {
			grown[i] = r.at(i)
		}
		r.buf, r.head = grown, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = t
	r.n++
}
