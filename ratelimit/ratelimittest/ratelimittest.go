// Package ratelimittest checks that a [ratelimit.Store] behaves as the ratelimit package
// requires. Every store, in this module or outside it, should pass [TestStore]:
//
//	func TestConformance(t *testing.T) {
//		ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
//			return newTestStore(t) // a fresh, empty store; register cleanup with t.Cleanup
//		})
//	}
//
// The checks use synthetic instants (Request.Now), aligned to whole milliseconds, so a store
// must honour a non-zero Now; one check also uses the store's own clock. Keys are unique per
// check, so a store backed by a shared server may be reused across checks. A store that returns
// an error wrapping [ratelimit.ErrUnsupported] for the sliding log passes without those checks.
package ratelimittest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// T0 returns the first synthetic instant of every check: a whole day in Unix time (so a
// multiple of every window the checks use), in 2027. Stores' own tests may start from it too.
func T0() time.Time { return time.Unix(1_799_971_200, 0) }

func t0() time.Time { return T0() }

// TestStore runs the conformance checks, each as a subtest with a store from newStore.
func TestStore(t *testing.T, newStore func(t *testing.T) ratelimit.Store) {
	t.Helper()
	checks := []struct {
		name string
		fn   func(t *testing.T, c *checker)
	}{
		{"TokenBucket/Exact", testBucketExact},
		{"TokenBucket/Concurrent", testBucketConcurrent},
		{"TokenBucket/RetryAfter", testRetryAfter(bucket(7, time.Second, 3))},
		{"SlidingWindow/Boundary", testWindowBoundary},
		{"SlidingWindow/Bound", testWindowBound},
		{"SlidingWindow/Concurrent", testWindowConcurrent},
		{"SlidingWindow/RetryAfter", testRetryAfter(window(7, time.Second))},
		{"SlidingLog/Exact", testLogExact},
		{"Cost", testCost},
		{"Peek", testPeek},
		{"Reset", testReset},
		{"MultiPolicy/AllOrNothing", testMultiPolicy},
		{"MultiPolicy/Concurrent", testMultiPolicyConcurrent},
		{"Independent", testIndependent},
		{"IdleExpiry", testIdleExpiry},
		{"ClockBack", testClockBack},
		{"StoreClock", testStoreClock},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			c.fn(t, &checker{t: t, s: s, prefix: fmt.Sprintf("ratelimittest/%s/%x/", t.Name(), rand.Uint64())}) // #nosec G404 -- a unique key prefix, not a secret
		})
	}
}

func bucket(limit int, w time.Duration, burst int) ratelimit.Policy {
	return ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: limit, Window: w, Burst: burst}
}

func window(limit int, w time.Duration) ratelimit.Policy {
	return ratelimit.Policy{Algorithm: ratelimit.SlidingWindow, Limit: limit, Window: w}
}

type checker struct {
	t      *testing.T
	s      ratelimit.Store
	prefix string
}

func (c *checker) key(name string) string { return c.prefix + name }

// take calls Store.Take and fails the test on error.
func (c *checker) take(key string, at time.Time, cost int, peek bool, ps ...ratelimit.Policy) []ratelimit.Decision {
	c.t.Helper()
	ds, err := c.try(key, at, cost, peek, ps...)
	if err != nil {
		c.t.Fatalf("Take(%q, cost %d, peek %v, at T0%+v) error: %v", key, cost, peek, at.Sub(t0()), err)
	}
	return ds
}

func (c *checker) try(key string, at time.Time, cost int, peek bool, ps ...ratelimit.Policy) ([]ratelimit.Decision, error) {
	out := make([]ratelimit.Decision, len(ps))
	err := c.s.Take(context.Background(), &ratelimit.Request{Key: c.key(key), Policies: ps, Cost: cost, Peek: peek, Now: at}, out)
	return out, err
}

// allow is take with cost 1 and one policy; it returns that policy's decision.
func (c *checker) allow(key string, at time.Time, p ratelimit.Policy) ratelimit.Decision {
	c.t.Helper()
	return c.take(key, at, 1, false, p)[0]
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func testBucketExact(t *testing.T, c *checker) {
	p := bucket(10, time.Second, 5) // one token per 100ms, bucket of 5
	for i := range 5 {
		d := c.allow("k", t0(), p)
		if !d.Allowed || d.Remaining != 4-i || d.Limit != 10 {
			t.Fatalf("request %d at T0 = %+v, want allowed with Remaining %d, Limit 10", i+1, d, 4-i)
		}
		if want := ms(100 * (i + 1)); d.Reset != want {
			t.Errorf("request %d at T0: Reset = %v, want %v", i+1, d.Reset, want)
		}
	}
	d := c.allow("k", t0(), p)
	if d.Allowed || d.Remaining != 0 || d.RetryAfter != ms(100) || d.Reset != ms(500) {
		t.Fatalf("request 6 at T0 = %+v, want refused, Remaining 0, RetryAfter 100ms, Reset 500ms", d)
	}
	if d := c.allow("k", t0().Add(ms(99)), p); d.Allowed {
		t.Fatalf("request at T0+99ms = %+v, want refused", d)
	}
	if d := c.allow("k", t0().Add(ms(100)), p); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("request at T0+100ms = %+v, want allowed with Remaining 0", d)
	}
	// After a long idle period the bucket is full again, never fuller.
	for i := range 5 {
		if d := c.allow("k", t0().Add(time.Hour), p); !d.Allowed {
			t.Fatalf("request %d an hour later = %+v, want allowed", i+1, d)
		}
	}
	if d := c.allow("k", t0().Add(time.Hour), p); d.Allowed {
		t.Fatalf("request 6 an hour later = %+v, want refused (burst is 5)", d)
	}
}

// concurrent runs attempts requests from workers goroutines at instant at and returns how many
// were admitted.
func concurrent(t *testing.T, c *checker, key string, at time.Time, p ratelimit.Policy, workers, attempts int) int64 {
	var admitted atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	per := attempts / workers
	for range workers {
		wg.Go(func() {
			for range per {
				ds, err := c.try(key, at, 1, false, p)
				if err != nil {
					failed.Store(err)
					return
				}
				if ds[0].Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("concurrent Take: %v", err)
	}
	return admitted.Load()
}

func testBucketConcurrent(t *testing.T, c *checker) {
	p := bucket(100, time.Hour, 0)
	if n := concurrent(t, c, "k", t0(), p, 16, 800); n != 100 {
		t.Fatalf("16 goroutines, 800 attempts at one instant, token bucket of 100: %d admitted, want exactly 100", n)
	}
}

func testWindowConcurrent(t *testing.T, c *checker) {
	p := window(100, time.Minute)
	if n := concurrent(t, c, "k", t0().Add(10*time.Second), p, 16, 800); n != 100 {
		t.Fatalf("16 goroutines, 800 attempts at one instant, window of 100: %d admitted, want exactly 100", n)
	}
}

// testWindowBoundary is the fixed-window flaw: a full quota at the end of one window and another
// at the start of the next. The sliding window must refuse the second.
func testWindowBoundary(t *testing.T, c *checker) {
	p := window(10, time.Second)
	for i := range 10 {
		if d := c.allow("k", t0().Add(ms(900)), p); !d.Allowed || d.Remaining != 9-i {
			t.Fatalf("request %d at T0+900ms = %+v, want allowed with Remaining %d", i+1, d, 9-i)
		}
	}
	d := c.allow("k", t0().Add(ms(1000)), p)
	if d.Allowed {
		t.Fatalf("request at the window boundary T0+1s = %+v, want refused (no burst at the boundary)", d)
	}
	if d.RetryAfter != ms(100) {
		t.Errorf("RetryAfter at T0+1s = %v, want 100ms (the previous window's weight drops to 9 at T0+1.1s)", d.RetryAfter)
	}
	if d := c.allow("k", t0().Add(ms(1099)), p); d.Allowed {
		t.Fatalf("request at T0+1.099s = %+v, want refused", d)
	}
	if d := c.allow("k", t0().Add(ms(1100)), p); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("request at T0+1.1s = %+v, want allowed with Remaining 0", d)
	}
	if d := c.allow("k", t0().Add(ms(1100)), p); d.Allowed {
		t.Fatalf("second request at T0+1.1s = %+v, want refused", d)
	}
	// At T0+1.5s the estimate is 10·0.5 + 1 = 6: 4 more.
	for i := range 4 {
		if d := c.allow("k", t0().Add(ms(1500)), p); !d.Allowed {
			t.Fatalf("request %d at T0+1.5s = %+v, want allowed", i+1, d)
		}
	}
	if d := c.allow("k", t0().Add(ms(1500)), p); d.Allowed {
		t.Fatalf("request 5 at T0+1.5s = %+v, want refused", d)
	}
}

// testWindowBound sends random traffic and checks the documented bounds: at most Limit in any
// fixed window, and at most Limit·(1 + d/Window) in any interval of length d ≤ Window.
func testWindowBound(t *testing.T, c *checker) {
	const limit = 20
	w := time.Second
	p := window(limit, w)
	r := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- deterministic test traffic
	var admitted []time.Duration
	at := time.Duration(0)
	for range 600 {
		at += ms(r.IntN(40)) // about 50 attempts per second for 12 s
		if d := c.allow("k", t0().Add(at), p); d.Allowed {
			admitted = append(admitted, at)
		}
	}
	if len(admitted) < 5*limit {
		t.Fatalf("only %d admitted over 12 windows; the limiter refuses too much", len(admitted))
	}
	perWindow := map[time.Duration]int{}
	for _, a := range admitted {
		perWindow[a.Truncate(w)]++
	}
	for win, n := range perWindow {
		if n > limit {
			t.Fatalf("fixed window at T0+%v admitted %d, want at most %d", win, n, limit)
		}
	}
	for i := range admitted {
		for j := i; j < len(admitted) && admitted[j]-admitted[i] <= w; j++ {
			d := admitted[j] - admitted[i]
			bound := limit + int(math.Ceil(float64(limit)*float64(d)/float64(w)))
			if n := j - i + 1; n > bound {
				t.Fatalf("interval [T0+%v, T0+%v] admitted %d, want at most Limit·(1+d/W) = %d", admitted[i], admitted[j], n, bound)
			}
		}
	}
}

// testRetryAfter checks that RetryAfter can be trusted: a request made RetryAfter later is
// admitted, and one made a millisecond earlier is not.
func testRetryAfter(p ratelimit.Policy) func(t *testing.T, c *checker) {
	return func(t *testing.T, c *checker) {
		r := rand.New(rand.NewPCG(3, 4)) // #nosec G404 -- deterministic test traffic
		at := time.Duration(0)
		refusals := 0
		for range 300 {
			at += ms(r.IntN(120))
			cost := 1 + r.IntN(p.Capacity())
			ds := c.take("k", t0().Add(at), cost, false, p)
			if ds[0].Allowed {
				if ds[0].RetryAfter != 0 {
					t.Fatalf("admitted decision with RetryAfter %v", ds[0].RetryAfter)
				}
				continue
			}
			refusals++
			ra := ds[0].RetryAfter
			if ra <= 0 {
				t.Fatalf("refusal at T0+%v with RetryAfter %v, want > 0", at, ra)
			}
			if ra > ms(1) {
				if early := c.take("k", t0().Add(at+ra-ms(1)), cost, true, p); early[0].Allowed {
					t.Fatalf("refusal at T0+%v said RetryAfter %v, but a Peek 1ms earlier is admitted", at, ra)
				}
			}
			at += ra
			if ds := c.take("k", t0().Add(at), cost, false, p); !ds[0].Allowed {
				t.Fatalf("refusal said RetryAfter %v; the same request (cost %d) at T0+%v = %+v, want allowed", ra, cost, at, ds[0])
			}
		}
		if refusals < 10 {
			t.Fatalf("only %d refusals in 300 requests; the check did not exercise RetryAfter", refusals)
		}
	}
}

func testLogExact(t *testing.T, c *checker) {
	p := ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: 3, Window: 10 * time.Second}
	if _, err := c.try("probe", t0(), 1, false, p); errors.Is(err, ratelimit.ErrUnsupported) {
		t.Log("store does not implement the sliding log; skipping its checks")
		return
	}
	for i := range 3 {
		at := t0().Add(time.Duration(i) * time.Second)
		if d := c.allow("k", at, p); !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("request %d at T0+%ds = %+v, want allowed with Remaining %d", i+1, i, d, 2-i)
		}
	}
	d := c.allow("k", t0().Add(9*time.Second), p)
	if d.Allowed || d.RetryAfter != time.Second {
		t.Fatalf("request at T0+9s = %+v, want refused with RetryAfter 1s", d)
	}
	if d := c.allow("k", t0().Add(ms(9999)), p); d.Allowed {
		t.Fatalf("request at T0+9.999s = %+v, want refused", d)
	}
	if d := c.allow("k", t0().Add(10*time.Second), p); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("request at T0+10s = %+v, want allowed (the T0 request left the window) with Remaining 0", d)
	}
	// Cost 2 needs the two oldest (T0+1s, T0+2s) to leave: at T0+12s.
	ds := c.take("k", t0().Add(10*time.Second), 2, false, p)
	if ds[0].Allowed || ds[0].RetryAfter != 2*time.Second {
		t.Fatalf("cost 2 at T0+10s = %+v, want refused with RetryAfter 2s", ds[0])
	}
}

func testCost(t *testing.T, c *checker) {
	for _, p := range []ratelimit.Policy{window(10, time.Minute), bucket(10, time.Minute, 0)} {
		key := p.Algorithm.String()
		ds := c.take(key, t0(), 4, false, p)
		if !ds[0].Allowed || ds[0].Remaining != 6 {
			t.Fatalf("%v: cost 4 of 10 = %+v, want allowed with Remaining 6", p.Algorithm, ds[0])
		}
		if ds := c.take(key, t0(), 7, false, p); ds[0].Allowed || ds[0].Remaining != 6 {
			t.Fatalf("%v: cost 7 with 6 left = %+v, want refused with Remaining 6", p.Algorithm, ds[0])
		}
		if ds := c.take(key, t0(), 6, false, p); !ds[0].Allowed || ds[0].Remaining != 0 {
			t.Fatalf("%v: cost 6 with 6 left = %+v, want allowed with Remaining 0", p.Algorithm, ds[0])
		}
		if ds := c.take(key, t0(), 0, false, p); !ds[0].Allowed || ds[0].Remaining != 0 {
			t.Fatalf("%v: cost 0 with none left = %+v, want allowed with Remaining 0", p.Algorithm, ds[0])
		}
	}
}

func testPeek(t *testing.T, c *checker) {
	for _, p := range []ratelimit.Policy{window(3, time.Minute), bucket(3, time.Minute, 0),
		{Algorithm: ratelimit.SlidingLog, Limit: 3, Window: time.Minute}} {
		key := p.Algorithm.String()
		if _, err := c.try(key+"probe", t0(), 1, true, p); errors.Is(err, ratelimit.ErrUnsupported) {
			continue
		}
		for i := range 4 {
			at := t0().Add(time.Duration(i) * time.Second)
			for range 5 {
				peek := c.take(key, at, 1, true, p)[0]
				if peek.Allowed != (i < 3) {
					t.Fatalf("%v: Peek before request %d = %+v, want Allowed %v", p.Algorithm, i+1, peek, i < 3)
				}
			}
			peek := c.take(key, at, 1, true, p)[0]
			got := c.allow(key, at, p)
			if peek != got {
				t.Fatalf("%v: Peek = %+v but the Allow that followed = %+v; want equal", p.Algorithm, peek, got)
			}
		}
	}
}

func testReset(t *testing.T, c *checker) {
	ps := []ratelimit.Policy{window(2, time.Hour), bucket(2, time.Hour, 0)}
	for _, key := range []string{"a", "b"} {
		for range 2 {
			c.take(key, t0(), 1, false, ps...)
		}
		if ds := c.take(key, t0(), 1, false, ps...); ds[0].Allowed || ds[1].Allowed {
			t.Fatalf("key %s after 2 of 2: %+v, want both policies refusing", key, ds)
		}
	}
	if err := c.s.Reset(context.Background(), c.key("a"), ps); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	ds := c.take("a", t0(), 1, false, ps...)
	if !ds[0].Allowed || !ds[1].Allowed || ds[0].Remaining != 1 || ds[1].Remaining != 1 {
		t.Fatalf("after Reset: %+v, want both policies allowed with Remaining 1", ds)
	}
	if ds := c.take("b", t0(), 1, false, ps...); ds[0].Allowed || ds[1].Allowed {
		t.Fatalf("Reset of key a changed key b: %+v, want refused", ds)
	}
	if err := c.s.Reset(context.Background(), c.key("never-seen"), ps); err != nil {
		t.Fatalf("Reset of an unknown key: %v, want nil", err)
	}
}

// testMultiPolicy checks that several policies decide together and that a refusal charges none.
func testMultiPolicy(t *testing.T, c *checker) {
	burst := bucket(5, time.Second, 0)
	burst.Name = "burst"
	minute := window(3, time.Minute)
	minute.Name = "minute"
	for i := range 3 {
		ds := c.take("k", t0(), 1, false, burst, minute)
		if !ds[0].Allowed || !ds[1].Allowed || ds[0].Remaining != 4-i || ds[1].Remaining != 2-i {
			t.Fatalf("request %d = %+v, want both allowed, Remaining %d and %d", i+1, ds, 4-i, 2-i)
		}
		if ds[0].Policy != 0 || ds[1].Policy != 1 {
			t.Fatalf("Decision.Policy = %d, %d, want 0, 1", ds[0].Policy, ds[1].Policy)
		}
	}
	for range 10 {
		ds := c.take("k", t0(), 1, false, burst, minute)
		if !ds[0].Allowed || ds[1].Allowed {
			t.Fatalf("request over the minute quota = %+v, want the burst policy admitting and the minute policy refusing", ds)
		}
	}
	// The ten refusals must not have charged the burst policy: 2 of its 5 are left.
	if ds := c.take("k", t0(), 2, false, burst); !ds[0].Allowed || ds[0].Remaining != 0 {
		t.Fatalf("burst policy alone, cost 2, after 3 admitted and 10 refused = %+v, want allowed with Remaining 0 (refusals charge nothing)", ds[0])
	}
	// And the converse: refused by the burst policy, the minute policy is not charged.
	ds := c.take("k2", t0(), 5, false, burst, window(100, time.Minute))
	if !ds[0].Allowed {
		t.Fatalf("cost 5 = %+v, want allowed", ds)
	}
	for range 10 {
		c.take("k2", t0(), 1, false, burst, window(100, time.Minute))
	}
	if ds := c.take("k2", t0(), 1, true, window(100, time.Minute)); ds[0].Remaining != 94 {
		t.Fatalf("window after cost 5 admitted and 10 refusals = %+v, want Remaining 94", ds[0])
	}
}

// testMultiPolicyConcurrent races many two-policy requests: exactly the smaller quota is
// admitted, and the refusals charge the other policy nothing.
func testMultiPolicyConcurrent(t *testing.T, c *checker) {
	big := bucket(50, time.Hour, 0)
	small := window(30, time.Hour)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 16 {
		wg.Go(func() {
			for range 25 {
				ds, err := c.try("k", t0(), 1, false, big, small)
				if err != nil {
					failed.Store(err)
					return
				}
				if ds[0].Allowed && ds[1].Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatalf("concurrent Take: %v", err)
	}
	if n := admitted.Load(); n != 30 {
		t.Fatalf("400 concurrent requests under 50/h and 30/h: %d admitted, want exactly 30", n)
	}
	if d := c.take("k", t0(), 0, true, big)[0]; d.Remaining != 20 {
		t.Fatalf("the 50/h bucket after 30 admitted and 370 refused = %+v, want Remaining 20", d)
	}
}

func testIndependent(t *testing.T, c *checker) {
	p := window(1, time.Hour)
	q := window(1, time.Hour)
	q.Name = "other"
	if !c.allow("a", t0(), p).Allowed || c.allow("a", t0(), p).Allowed {
		t.Fatal("key a: want one request allowed, then refused")
	}
	if !c.allow("b", t0(), p).Allowed {
		t.Fatal("key b refused after key a used its quota; keys must be independent")
	}
	if !c.allow("a", t0(), q).Allowed {
		t.Fatal("policy with another name refused key a; policies with different IDs must be independent")
	}
}

func testIdleExpiry(t *testing.T, c *checker) {
	for _, p := range []ratelimit.Policy{window(3, time.Second), bucket(3, time.Second, 0)} {
		key := p.Algorithm.String()
		for range 3 {
			c.allow(key, t0(), p)
		}
		last := c.allow(key, t0(), p)
		if last.Allowed {
			t.Fatalf("%v: fourth request = %+v, want refused", p.Algorithm, last)
		}
		at := t0().Add(last.Reset)
		if d := c.take(key, at, 0, true, p)[0]; d.Remaining != 3 || d.Reset != 0 {
			t.Fatalf("%v: Peek at T0+Reset (%v) = %+v, want a fresh key: Remaining 3, Reset 0", p.Algorithm, last.Reset, d)
		}
		if d := c.take(key, t0().Add(24*time.Hour), 0, true, p)[0]; d.Remaining != 3 {
			t.Fatalf("%v: Peek a day later = %+v, want Remaining 3", p.Algorithm, d)
		}
	}
}

// testClockBack checks that a decision at an earlier instant (clock skew between instances,
// a stepped clock) grants no extra quota.
func testClockBack(t *testing.T, c *checker) {
	for _, p := range []ratelimit.Policy{window(3, time.Second), bucket(3, time.Second, 0)} {
		key := p.Algorithm.String()
		for range 3 {
			c.allow(key, t0().Add(5*time.Second), p)
		}
		if d := c.allow(key, t0().Add(ms(4000)), p); d.Allowed {
			t.Fatalf("%v: request a second in the past after the quota was spent = %+v, want refused", p.Algorithm, d)
		}
	}
}

func testStoreClock(t *testing.T, c *checker) {
	p := window(5, time.Hour)
	for i := range 3 {
		d := c.allow("k", time.Time{}, p)
		if !d.Allowed || d.Remaining != 4-i {
			t.Fatalf("request %d on the store's clock = %+v, want allowed with Remaining %d", i+1, d, 4-i)
		}
		if d.Reset <= 0 || d.Reset > 2*time.Hour {
			t.Fatalf("request %d on the store's clock: Reset = %v, want in (0, 2h]", i+1, d.Reset)
		}
	}
}
