package ratelimit

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestFirstAdmitBounded: the sliding-window counter's RetryAfter search finds the exact first
// admitting instant with a bounded number of evaluations, also where the float test is flat
// over millions of nanoseconds (huge limits and windows, a small previous count). A linear
// correction of the closed form took 2,791,531 steps on the first case, under a shard lock.
func TestFirstAdmitBounded(t *testing.T) {
	type args struct{ prev, cur, from, w, l, cost int64 }
	cases := []args{
		{13504, 1456247821, 159845839847500427, 316223999999999403, 1790436632, 334188811},
		{32167, 379654479, 93904909347147556, 220906485021523350, 2099084709, 1719430230},
		{3, 2, 0, int64(time.Second), 5, 1},
		{5, 0, 0, int64(time.Second), 5, 5},
		{1, 0, 0, int64(time.Millisecond), 1, 1},
	}
	r := rand.New(rand.NewPCG(7, 8)) // #nosec G404 -- deterministic test inputs
	for range 20000 {
		w := int64(time.Millisecond) + r.Int64N(int64(maxWindow))
		l := 1 + r.Int64N(math.MaxInt32)
		cost := 1 + r.Int64N(l)
		cur := r.Int64N(l - cost + 1)
		cases = append(cases, args{1 + r.Int64N(l), cur, r.Int64N(w), w, l, cost})
	}
	for _, c := range cases {
		x, ok, evals := firstAdmit(c.prev, c.cur, c.from, c.w, c.l, c.cost)
		if evals > 66 {
			t.Errorf("firstAdmit%+v: %d evaluations, want at most 66", c, evals)
		}
		admits := func(x int64) bool { return counterAdmits(c.prev, c.cur, x, c.w, c.l, c.cost) }
		switch {
		case ok && (x < c.from || x >= c.w || !admits(x) || (x > c.from && admits(x-1))):
			t.Errorf("firstAdmit%+v = %d: not the first admitting instant in [from, w)", c, x)
		case !ok && (x != c.w || admits(c.w-1)):
			t.Errorf("firstAdmit%+v = %d, false; but the last instant of the window admits", c, x)
		}
	}
}

// TestLogRingExpired checks the sliding log's binary search against a linear count, on rings
// that have wrapped around, with repeated instants.
func TestLogRingExpired(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10)) // #nosec G404 -- deterministic test inputs
	for range 2000 {
		limit := 1 + r.IntN(64)
		ring := newLogRing(limit)
		now := int64(0)
		for range r.IntN(3 * limit) {
			now += r.Int64N(3)
			ring.expire(now - 40)
			if ring.n < limit {
				ring.push(now)
			}
		}
		for cutoff := now - 50; cutoff <= now+1; cutoff++ {
			want := 0
			for want < ring.n && ring.at(want) <= cutoff {
				want++
			}
			if got := ring.expired(cutoff); got != want {
				t.Fatalf("expired(%d) = %d, want %d (ring of %d)", cutoff, got, want, ring.n)
			}
		}
	}
}

// TestCounterIntegerFastPath: eval's integer path for a key with no previous-window count
// decides and reports exactly what the documented float arithmetic (counterAdmits, and
// ⌊L − prev·(W−e)/W − cur⌋ for Remaining) gives, across limits up to the maximum, windows up
// to the maximum and every position in the window; and a key with a previous count still takes
// the float path (checked by the same oracle).
func TestCounterIntegerFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 12)) // #nosec G404 -- reproducible test inputs, not secrets
	limits := []int64{1, 2, 3, 10, 1000, 1 << 20, maxLimit}
	windows := []int64{int64(minWindow), int64(time.Second), int64(time.Hour), int64(maxWindow)}
	for range 20000 {
		l := limits[rng.IntN(len(limits))]
		w := windows[rng.IntN(len(windows))]
		p := prepare(Policy{Limit: int(l), Window: time.Duration(w)}, 0, 0)
		s := int64(1_800_000_000) * int64(time.Second)
		s -= floorMod(s, w)
		cur := rng.Int64N(l + 1)
		var prev int64
		if rng.IntN(2) == 0 {
			prev = rng.Int64N(l + 1)
		}
		cost := rng.Int64N(min(l, 3) + 1)
		if rng.IntN(4) == 0 {
			cost = rng.Int64N(l + 1)
		}
		e := rng.Int64N(w)
		st := slot{exp: s + 2*w, cur: uint32(cur), prev: uint32(prev)} // #nosec G115 -- ≤ maxLimit
		d := p.eval(&st, nil, s+e, cost)
		wantAllowed := counterAdmits(prev, cur, e, w, l, cost)
		after := cur
		if wantAllowed {
			after += cost
		}
		wantRemaining := 0
		if r := math.Floor(float64(l) - float64(prev)*float64(w-e)/float64(w) - float64(after)); r > 0 {
			wantRemaining = int(r)
		}
		if d.Allowed != wantAllowed || d.Remaining != wantRemaining {
			t.Fatalf("L=%d W=%d e=%d prev=%d cur=%d cost=%d: Allowed=%v Remaining=%d, want %v %d",
				l, w, e, prev, cur, cost, d.Allowed, d.Remaining, wantAllowed, wantRemaining)
		}
		if wantAllowed != (d.RetryAfter == 0) {
			t.Fatalf("L=%d W=%d e=%d prev=%d cur=%d cost=%d: RetryAfter=%v with Allowed=%v", l, w, e, prev, cur, cost, d.RetryAfter, d.Allowed)
		}
	}
}

// TestCounterRetryFullWindow: the precomputed wait of a full window refusing one unit
// (prepared.full) equals what the general search computes, for limits and windows from tiny to
// huge and at every elapsed time tried.
func TestCounterRetryFullWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4)) // #nosec G404 -- reproducible test inputs, not secrets
	for _, c := range []struct{ l, w int64 }{
		{1, int64(time.Second)}, {2, int64(time.Second)}, {3, 7}, {100, int64(time.Minute)},
		{1000, int64(24 * time.Hour)}, {math.MaxInt32 - 1, int64(time.Hour)}, {1 << 20, int64(maxWindow)},
	} {
		p := prepare(Policy{Algorithm: SlidingWindow, Limit: int(c.l), Window: time.Duration(c.w)}, 0, 0)
		want, _, _ := firstAdmit(c.l, 0, 0, c.w, c.l, 1)
		if p.full != want {
			t.Errorf("l=%d w=%d: full = %d, want %d", c.l, c.w, p.full, want)
		}
		for range 50 {
			e := r.Int64N(c.w)
			prev := r.Int64N(c.l + 1)
			got := p.counterRetry(0, e, c.l, prev, 1)
			x, _, _ := firstAdmit(c.l, 0, 0, c.w, c.l, 1)
			if want := c.w - e + x; got != want {
				t.Fatalf("l=%d w=%d e=%d prev=%d: counterRetry = %d, want %d", c.l, c.w, e, prev, got, want)
			}
		}
	}
}
