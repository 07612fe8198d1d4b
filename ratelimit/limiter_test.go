package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func newLimiter(t testing.TB, policies ...ratelimit.Policy) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(ratelimit.Config{}, policies...)
	if err != nil {
		t.Fatalf("New(%+v): %v", policies, err)
	}
	return l
}

func allowAt(t testing.TB, l *ratelimit.Limiter, key string, at time.Time) ratelimit.Decision {
	t.Helper()
	d, err := l.AllowAt(context.Background(), key, at, 1)
	if err != nil {
		t.Fatalf("AllowAt(%q, %v): %v", key, at, err)
	}
	return d
}

// TestNoBoundaryBurst is the classic fixed-window flaw: a full quota just before a window
// boundary and another just after. For each algorithm, count what an attacker gets in the
// 200ms around a boundary after saturating the window before it.
func TestNoBoundaryBurst(t *testing.T) {
	const limit = 100
	tests := []struct {
		p   ratelimit.Policy
		max int // admitted in [0.9s, 1.1s]
	}{
		// 100 before + 10% of 100 as the previous window's weight decays: L·(1 + d/W).
		{ratelimit.Policy{Algorithm: ratelimit.SlidingWindow, Limit: limit, Window: time.Second}, limit + limit/10},
		{ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: limit, Window: time.Second}, limit},
		// Burst 100 plus 200ms of refill at 100/s.
		{ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: limit, Window: time.Second}, limit + limit/5},
	}
	for _, tt := range tests {
		t.Run(tt.p.Algorithm.String(), func(t *testing.T) {
			l := newLimiter(t, tt.p)
			admitted := 0
			for at := ms(900); at <= ms(1100); at += ms(1) {
				for range 10 { // 10 attempts per millisecond
					if allowAt(t, l, "k", t0.Add(at)).Allowed {
						admitted++
					}
				}
			}
			if admitted > tt.max {
				t.Errorf("admitted %d in the 200ms around a window boundary, want at most %d (fixed windows admit %d)", admitted, tt.max, 2*limit)
			}
			if admitted < limit {
				t.Errorf("admitted %d, want at least the limit %d", admitted, limit)
			}
		})
	}
}

// TestSlidingLogExact checks that the log never admits more than Limit in any window of length
// Window, under random traffic.
func TestSlidingLogExact(t *testing.T) {
	const limit = 5
	w := 10 * time.Second
	l := newLimiter(t, ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: limit, Window: w})
	var admitted []time.Duration
	at := time.Duration(0)
	for i := range 2000 {
		at += ms((i * 7919) % 211) // deterministic, irregular gaps
		if allowAt(t, l, "k", t0.Add(at)).Allowed {
			admitted = append(admitted, at)
		}
	}
	for i := limit; i < len(admitted); i++ {
		if admitted[i]-admitted[i-limit] < w {
			t.Fatalf("admitted %d requests within %v (at %v and %v), want at most %d per %v",
				limit+1, admitted[i]-admitted[i-limit], admitted[i-limit], admitted[i], limit, w)
		}
	}
	if len(admitted) < 100 {
		t.Fatalf("admitted only %d in %v; want close to %d", len(admitted), at, int(at/w)*limit)
	}
}

// TestTokenBucketMatchesXTimeRate compares the token bucket with the semantics of
// golang.org/x/time/rate: r = Limit/Window per second, burst b, full at start.
func TestTokenBucketMatchesXTimeRate(t *testing.T) {
	l := newLimiter(t, ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 2, Window: time.Second, Burst: 3})
	// x/time/rate.NewLimiter(2, 3): 3 at once, then one per 500ms.
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {0, true}, {0, true}, {0, false},
		{ms(499), false}, {ms(500), true}, {ms(500), false},
		{ms(1000), true}, {ms(2500), true}, {ms(2500), true}, {ms(2500), true}, {ms(2500), false},
		{ms(10000), true}, {ms(10000), true}, {ms(10000), true}, {ms(10000), false},
	}
	for i, s := range steps {
		if got := allowAt(t, l, "k", t0.Add(s.at)).Allowed; got != s.want {
			t.Fatalf("step %d: AllowAt(T0+%v) = %v, want %v", i, s.at, got, s.want)
		}
	}
}

func TestMultiPolicyDecision(t *testing.T) {
	perSecond := ratelimit.Policy{Name: "second", Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second}
	perDay := ratelimit.Policy{Name: "day", Limit: 15, Window: 24 * time.Hour}
	l := newLimiter(t, perSecond, perDay)
	ctx := context.Background()
	for i := range 10 {
		d, err := l.AllowAt(ctx, "k", t0, 1)
		if err != nil || !d.Allowed {
			t.Fatalf("request %d = %+v, %v; want allowed", i+1, d, err)
		}
		// The binding policy is the one with fewer units left: the per-second one (10 vs 15).
		if d.Policy != 0 || d.Remaining != 9-i {
			t.Fatalf("request %d = %+v, want Policy 0 with Remaining %d", i+1, d, 9-i)
		}
	}
	d, _ := l.AllowAt(ctx, "k", t0, 1)
	if d.Allowed || d.Policy != 0 || d.RetryAfter != ms(100) {
		t.Fatalf("request 11 = %+v, want refused by policy 0 with RetryAfter 100ms", d)
	}
	// A second later the per-second bucket is full but the day has 5 left.
	for i := range 5 {
		d, _ := l.AllowAt(ctx, "k", t0.Add(time.Second), 1)
		if !d.Allowed || d.Policy != 1 || d.Remaining != 4-i {
			t.Fatalf("request %d a second later = %+v, want allowed, Policy 1, Remaining %d", i+1, d, 4-i)
		}
	}
	d, _ = l.AllowAt(ctx, "k", t0.Add(time.Second), 1)
	if d.Allowed || d.Policy != 1 || d.Limit != 15 {
		t.Fatalf("request over the daily quota = %+v, want refused by policy 1 (Limit 15)", d)
	}
	// T0 is noon UTC, so the current day window ends in 12h - 1s; in the next window the 15
	// requests of this one weigh 15·(1 - e/24h), which drops to 14 after e = 24h/15 = 96min.
	if want := 12*time.Hour - time.Second + 96*time.Minute; d.RetryAfter != want {
		t.Errorf("RetryAfter for the daily quota = %v, want %v", d.RetryAfter, want)
	}
}

func TestCost(t *testing.T) {
	l := newLimiter(t, ratelimit.Policy{Limit: 10, Window: time.Minute}, ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 100, Window: time.Minute, Burst: 8})
	ctx := context.Background()
	for _, n := range []int{-1, 9, math.MaxInt} {
		d, err := l.AllowAt(ctx, "k", t0, n)
		if !errors.Is(err, ratelimit.ErrCost) || d.Allowed {
			t.Errorf("AllowAt(cost %d) = %+v, %v; want refused with ErrCost (capacity is 8)", n, d, err)
		}
	}
	if d, err := l.AllowAt(ctx, "k", t0, 8); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Fatalf("AllowAt(cost 8) = %+v, %v; want allowed with Remaining 0", d, err)
	}
}

func TestPeekAndReset(t *testing.T) {
	l := newLimiter(t, ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: 3, Window: time.Minute})
	ctx := context.Background()
	for range 10 {
		if d, err := l.PeekAt(ctx, "u", t0, 1); err != nil || !d.Allowed || d.Remaining != 2 {
			t.Fatalf("PeekAt = %+v, %v; want allowed with Remaining 2 and nothing charged", d, err)
		}
	}
	for range 3 {
		allowAt(t, l, "u", t0)
	}
	if d, _ := l.PeekAt(ctx, "u", t0, 1); d.Allowed {
		t.Fatalf("PeekAt after 3 of 3 = %+v, want refused", d)
	}
	if err := l.Reset(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if d, _ := l.PeekAt(ctx, "u", t0, 1); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("PeekAt after Reset = %+v, want allowed with Remaining 2", d)
	}
	// The time.Now forms work too.
	if d, err := l.Peek(ctx, "v"); err != nil || !d.Allowed {
		t.Fatalf("Peek = %+v, %v", d, err)
	}
	if d, err := l.Allow(ctx, "v"); err != nil || !d.Allowed {
		t.Fatalf("Allow = %+v, %v", d, err)
	}
	if d, err := l.AllowN(ctx, "v", 2); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Fatalf("AllowN(2) = %+v, %v; want allowed with Remaining 0", d, err)
	}
}

func TestConfigNow(t *testing.T) {
	now := t0
	l, err := ratelimit.New(ratelimit.Config{Now: func() time.Time { return now }},
		ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1, Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if d, _ := l.Allow(ctx, "k"); !d.Allowed {
		t.Fatal("first Allow refused")
	}
	if d, _ := l.Allow(ctx, "k"); d.Allowed || d.RetryAfter != time.Minute {
		t.Fatalf("second Allow = %+v, want refused with RetryAfter 1m", d)
	}
	now = now.Add(time.Minute)
	if d, _ := l.Allow(ctx, "k"); !d.Allowed {
		t.Fatal("Allow a minute later refused")
	}
}

func TestNewErrors(t *testing.T) {
	ok := ratelimit.Policy{Limit: 1, Window: time.Second}
	one := 1
	huge := math.MaxInt32 + one // 2^31 where int has 64 bits; wraps negative where it has 32
	tests := []struct {
		name string
		ps   []ratelimit.Policy
	}{
		{"none", nil},
		{"zero limit", []ratelimit.Policy{{Window: time.Second}}},
		{"negative limit", []ratelimit.Policy{{Limit: -1, Window: time.Second}}},
		{"huge limit", []ratelimit.Policy{{Limit: huge, Window: time.Second}}},
		{"short window", []ratelimit.Policy{{Limit: 1, Window: time.Microsecond}}},
		{"long window", []ratelimit.Policy{{Limit: 1, Window: 100 * 366 * 24 * time.Hour}}},
		{"unknown algorithm", []ratelimit.Policy{{Algorithm: 9, Limit: 1, Window: time.Second}}},
		{"burst on window", []ratelimit.Policy{{Limit: 1, Window: time.Second, Burst: 2}}},
		{"negative burst", []ratelimit.Policy{{Algorithm: ratelimit.TokenBucket, Limit: 1, Window: time.Second, Burst: -1}}},
		{"rate finer than 1ns", []ratelimit.Policy{{Algorithm: ratelimit.TokenBucket, Limit: 1 << 30, Window: time.Millisecond}}},
		{"burst refill over 10 years", []ratelimit.Policy{{Algorithm: ratelimit.TokenBucket, Limit: 1, Window: 24 * time.Hour, Burst: 10*366 + 1}}},
		{"big log", []ratelimit.Policy{{Algorithm: ratelimit.SlidingLog, Limit: ratelimit.MaxLogLimit + 1, Window: time.Second}}},
		{"quote in name", []ratelimit.Policy{{Name: `a"b`, Limit: 1, Window: time.Second}}},
		{"newline in name", []ratelimit.Policy{{Name: "a\nb", Limit: 1, Window: time.Second}}},
		{"duplicate names", []ratelimit.Policy{ok, ok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ratelimit.New(ratelimit.Config{}, tt.ps...); !errors.Is(err, ratelimit.ErrInvalidPolicy) {
				t.Fatalf("New(%+v) error = %v, want ErrInvalidPolicy", tt.ps, err)
			}
		})
	}
	if _, err := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: -1}); !errors.Is(err, ratelimit.ErrConfig) {
		t.Fatalf("NewMemory(MaxKeys -1) error = %v, want ErrConfig", err)
	}
	// MaxInt made the shard sizing overflow to a negative cap (and an unbounded table).
	if m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: math.MaxInt}); !errors.Is(err, ratelimit.ErrConfig) {
		t.Fatalf("NewMemory(MaxKeys MaxInt) = cap %d, %v; want ErrConfig", m.Cap(), err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustNew with no policy did not panic")
		}
	}()
	ratelimit.MustNew(ratelimit.Config{})
}

// failingStore fails every call, or passes them to a Memory when healthy is set.
type failingStore struct {
	healthy atomic.Bool
	mem     *ratelimit.Memory
}

var errDown = errors.New("store down")

func (f *failingStore) Take(ctx context.Context, req *ratelimit.Request, out []ratelimit.Decision) error {
	if !f.healthy.Load() {
		return errDown
	}
	return f.mem.Take(ctx, req, out)
}

func (f *failingStore) Reset(ctx context.Context, key string, ps []ratelimit.Policy) error {
	if !f.healthy.Load() {
		return errDown
	}
	return f.mem.Reset(ctx, key, ps)
}

func TestStoreFailure(t *testing.T) {
	p := ratelimit.Policy{Limit: 1, Window: time.Minute}
	for _, failOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("FailOpen=%v", failOpen), func(t *testing.T) {
			mem, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{})
			s := &failingStore{mem: mem}
			l, err := ratelimit.New(ratelimit.Config{Store: s, FailOpen: failOpen}, p)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			d, err := l.AllowAt(ctx, "k", t0, 1)
			if !errors.Is(err, ratelimit.ErrStore) || !errors.Is(err, errDown) || d.Allowed != failOpen {
				t.Fatalf("AllowAt on a failed store = %+v, %v; want Allowed %v and an error wrapping ErrStore and the cause", d, err, failOpen)
			}
			if err := l.Reset(ctx, "k"); !errors.Is(err, ratelimit.ErrStore) {
				t.Fatalf("Reset on a failed store = %v, want ErrStore", err)
			}
			// Recovery: decisions resume without a new limiter, through the generic path.
			s.healthy.Store(true)
			if d, err := l.AllowAt(ctx, "k", t0, 1); err != nil || !d.Allowed {
				t.Fatalf("AllowAt after recovery = %+v, %v; want allowed", d, err)
			}
			if d, err := l.AllowAt(ctx, "k", t0, 1); err != nil || d.Allowed || d.RetryAfter <= 0 {
				t.Fatalf("second AllowAt after recovery = %+v, %v; want refused with RetryAfter", d, err)
			}
		})
	}
}

// TestConcurrentKeys hammers many keys from many goroutines (run with -race) and checks that
// no key is admitted more than its quota.
func TestConcurrentKeys(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindow, ratelimit.TokenBucket, ratelimit.SlidingLog} {
		t.Run(alg.String(), func(t *testing.T) {
			const keys, limit, workers = 50, 20, 16
			l := newLimiter(t, ratelimit.Policy{Algorithm: alg, Limit: limit, Window: time.Hour})
			var admitted [keys]atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range 400 {
						k := (i + w) % keys
						if d, _ := l.AllowAt(context.Background(), fmt.Sprint("key", k), t0, 1); d.Allowed {
							admitted[k].Add(1)
						}
					}
				})
			}
			wg.Wait()
			for k := range admitted {
				if n := admitted[k].Load(); n != limit {
					t.Errorf("key %d: %d admitted, want exactly %d", k, n, limit)
				}
			}
		})
	}
}

// TestExtremeInstants: instants near the ends of int64 nanoseconds (and beyond, where
// time.Time.UnixNano wraps) never turn a limit off: at most Limit of 10 requests are admitted,
// on the in-memory fast path and through the generic Store path alike.
func TestExtremeInstants(t *testing.T) {
	instants := []time.Time{
		time.Unix(0, math.MaxInt64-int64(time.Hour)),
		time.Unix(0, math.MaxInt64),
		time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC),
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, math.MinInt64+1),
		time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, alg := range []ratelimit.Algorithm{ratelimit.SlidingWindow, ratelimit.TokenBucket, ratelimit.SlidingLog} {
		for _, generic := range []bool{false, true} {
			var store ratelimit.Store
			mem, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{})
			store = mem
			if generic {
				store = opaque{mem}
			}
			l := ratelimit.MustNew(ratelimit.Config{Store: store}, ratelimit.Policy{Algorithm: alg, Limit: 2, Window: 10 * 365 * 24 * time.Hour})
			for i, at := range instants {
				admitted := 0
				for range 10 {
					d, err := l.AllowAt(context.Background(), fmt.Sprint("k", i), at, 1)
					if err != nil {
						t.Fatal(err)
					}
					if d.Allowed {
						admitted++
					}
				}
				if admitted != 2 {
					t.Errorf("%v (generic %v) at %v: %d of 10 admitted, want 2", alg, generic, at, admitted)
				}
			}
		}
	}
}

// pickyStore is a Memory that supports only token buckets, as a distributed store might.
type pickyStore struct{ *ratelimit.Memory }

func (pickyStore) CheckPolicy(p ratelimit.Policy) error {
	if p.Algorithm != ratelimit.TokenBucket {
		return fmt.Errorf("picky: %v: %w", p.Algorithm, ratelimit.ErrUnsupported)
	}
	return nil
}

// TestPolicyChecker: New refuses a policy the store's CheckPolicy refuses, so that a FailOpen
// limiter cannot end up admitting everything because every Take fails.
func TestPolicyChecker(t *testing.T) {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	store := pickyStore{m}
	ok := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1, Window: time.Second}
	bad := ratelimit.Policy{Algorithm: ratelimit.SlidingWindow, Limit: 1, Window: time.Hour}
	if _, err := ratelimit.New(ratelimit.Config{Store: store, FailOpen: true}, ok); err != nil {
		t.Fatalf("supported policy: %v", err)
	}
	_, err = ratelimit.New(ratelimit.Config{Store: store, FailOpen: true}, ok, bad)
	if !errors.Is(err, ratelimit.ErrUnsupported) {
		t.Fatalf("unsupported policy: err = %v, want ErrUnsupported", err)
	}
}
