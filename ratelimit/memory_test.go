package ratelimit_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/ratelimittest"
)

func TestMemoryConformance(t *testing.T) {
	ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
		m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}

func newMemory(t testing.TB, maxKeys int) *ratelimit.Memory {
	t.Helper()
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: maxKeys})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMemoryCap floods a small store with distinct keys: it never holds more than its cap.
func TestMemoryCap(t *testing.T) {
	keys := 50_000
	if raceEnabled {
		keys = 10_000
	}
	for _, maxKeys := range []int{1, 100, 1000, 5000} {
		m := newMemory(t, maxKeys)
		if m.Cap() < maxKeys || m.Cap() > maxKeys+64 {
			t.Fatalf("Cap() = %d for MaxKeys %d, want MaxKeys rounded up to the shard count", m.Cap(), maxKeys)
		}
		l, _ := ratelimit.New(ratelimit.Config{Store: m}, ratelimit.Policy{Limit: 5, Window: time.Hour})
		for i := range keys {
			if d, _ := l.AllowAt(context.Background(), strconv.Itoa(i), t0, 1); !d.Allowed {
				t.Fatalf("first request of key %d refused", i)
			}
			if i%1000 == 0 && m.Len() > m.Cap() {
				t.Fatalf("after %d keys Len() = %d, above Cap() = %d", i+1, m.Len(), m.Cap())
			}
		}
		if n := m.Len(); n > m.Cap() || n < m.Cap()*3/4 {
			t.Fatalf("MaxKeys %d: Len() = %d after the flood, want in [%d, %d]", maxKeys, n, m.Cap()*3/4, m.Cap())
		}
	}
}

// TestMemoryKeepsStateBelowCap checks that no key is forgotten while the store is below its
// cap, across table growth.
func TestMemoryKeepsStateBelowCap(t *testing.T) {
	m := newMemory(t, 100_000)
	l, _ := ratelimit.New(ratelimit.Config{Store: m}, ratelimit.Policy{Limit: 1, Window: time.Hour})
	const keys = 60_000
	for i := range keys {
		_, _ = l.AllowAt(context.Background(), strconv.Itoa(i), t0, 1)
	}
	if m.Len() != keys {
		t.Fatalf("Len() = %d, want %d", m.Len(), keys)
	}
	for i := range keys {
		if d, _ := l.AllowAt(context.Background(), strconv.Itoa(i), t0.Add(time.Minute), 1); d.Allowed {
			t.Fatalf("key %d admitted twice within its window: its state was lost below the cap", i)
		}
	}
}

// TestMemoryEvictionKeepsHotKeys floods a full store with one-off keys while a client that
// keeps coming back stays refused: CLOCK evicts the keys seen once, not the active one.
func TestMemoryEvictionKeepsHotKeys(t *testing.T) {
	m := newMemory(t, 1000)
	l, _ := ratelimit.New(ratelimit.Config{Store: m}, ratelimit.Policy{Limit: 3, Window: time.Hour})
	ctx := context.Background()
	for range 3 {
		_, _ = l.AllowAt(ctx, "attacker", t0, 1)
	}
	for i := range 100_000 {
		_, _ = l.AllowAt(ctx, "flood"+strconv.Itoa(i), t0, 1)
		if i%50 == 0 {
			if d, _ := l.AllowAt(ctx, "attacker", t0, 1); d.Allowed {
				t.Fatalf("after %d flood keys the exhausted key was admitted: it was evicted", i)
			}
		}
	}
}

// TestMemoryIdleReuse checks that idle entries are reclaimed without a background goroutine:
// after their windows pass, new keys reuse their slots instead of evicting.
func TestMemoryIdleReuse(t *testing.T) {
	m := newMemory(t, 1000)
	l, _ := ratelimit.New(ratelimit.Config{Store: m}, ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1, Window: time.Second})
	ctx := context.Background()
	for i := range 900 {
		_, _ = l.AllowAt(ctx, "old"+strconv.Itoa(i), t0, 1)
	}
	before := m.Len()
	for i := range 900 {
		_, _ = l.AllowAt(ctx, "new"+strconv.Itoa(i), t0.Add(time.Hour), 1)
	}
	if m.Len() > before+100 {
		t.Fatalf("Len() grew from %d to %d: idle entries were not reused", before, m.Len())
	}
}

// TestMemoryFloodFlat: with a cap of 10,000 keys, heap use after 2,000,000 distinct keys is
// the same as after 100,000 (the benchmark BenchmarkMemoryFlood does the same at 10M keys).
func TestMemoryFloodFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("floods 2M keys")
	}
	m := newMemory(t, 10_000)
	l, _ := ratelimit.New(ratelimit.Config{Store: m}, ratelimit.Policy{Limit: 5, Window: time.Hour})
	ctx := context.Background()
	var buf [20]byte
	flood := func(from, to int) {
		for i := from; i < to; i++ {
			_, _ = l.AllowAt(ctx, string(strconv.AppendInt(buf[:0], int64(i), 10)), t0, 1)
		}
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	total := 2_000_000
	if raceEnabled {
		total = 400_000
	}
	flood(0, 100_000)
	h1 := heap()
	flood(100_000, total)
	h2 := heap()
	if h2 > h1+256<<10 {
		t.Fatalf("heap grew from %d to %d bytes while 1.9M more distinct keys passed a store capped at 10,000", h1, h2)
	}
	if m.Len() > m.Cap() {
		t.Fatalf("Len() = %d > Cap() = %d", m.Len(), m.Cap())
	}
}

// TestMemoryTakeContract checks the Store-level validation of the memory store.
func TestMemoryTakeContract(t *testing.T) {
	m := newMemory(t, 0)
	ctx := context.Background()
	p := ratelimit.Policy{Limit: 2, Window: time.Second}
	tests := []struct {
		name string
		req  ratelimit.Request
		out  int
		want error
	}{
		{"cost above capacity", ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p}, Cost: 3}, 1, ratelimit.ErrCost},
		{"negative cost", ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p}, Cost: -1}, 1, ratelimit.ErrCost},
		{"invalid policy", ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{{Limit: 0, Window: time.Second}}, Cost: 1}, 1, ratelimit.ErrInvalidPolicy},
		{"short out", ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p, p}, Cost: 1}, 1, ratelimit.ErrConfig},
		{"no policy", ratelimit.Request{Key: "k", Cost: 1}, 0, ratelimit.ErrConfig},
		// One state judged twice and charged twice (a cost of 2 would take 4): refused, as the
		// Redis store refuses it.
		{"same policy twice", ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p, p}, Cost: 1}, 2, ratelimit.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.Take(ctx, &tt.req, make([]ratelimit.Decision, tt.out)); !errors.Is(err, tt.want) {
				t.Fatalf("Take(%+v) error = %v, want %v", tt.req, err, tt.want)
			}
		})
	}
	if m.Len() != 0 {
		t.Fatalf("Len() = %d after rejected requests, want 0", m.Len())
	}
}

func TestMemoryClock(t *testing.T) {
	now := t0
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	l := ratelimit.MustNew(ratelimit.Config{Store: m}, ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1, Window: time.Second})
	ctx := context.Background()
	if d, _ := l.Allow(ctx, "k"); !d.Allowed {
		t.Fatal("first Allow refused")
	}
	if d, _ := l.Allow(ctx, "k"); d.Allowed || d.RetryAfter != time.Second {
		t.Fatalf("second Allow on the store's clock = %+v, want refused with RetryAfter 1s", d)
	}
	now = now.Add(time.Second)
	if d, _ := l.Allow(ctx, "k"); !d.Allowed {
		t.Fatal("Allow a second later on the store's clock refused")
	}
}

// TestMemorySharedByLimiters: two limiters on one store keep their state apart unless their
// policies are identical (same name and parameters).
func TestMemorySharedByLimiters(t *testing.T) {
	m := newMemory(t, 0)
	ctx := context.Background()
	login := ratelimit.MustNew(ratelimit.Config{Store: m}, ratelimit.Policy{Name: "login", Limit: 1, Window: time.Hour})
	api := ratelimit.MustNew(ratelimit.Config{Store: m}, ratelimit.Policy{Name: "api", Limit: 1, Window: time.Hour})
	same := ratelimit.MustNew(ratelimit.Config{Store: m}, ratelimit.Policy{Name: "login", Limit: 1, Window: time.Hour})
	if d, _ := login.AllowAt(ctx, "k", t0, 1); !d.Allowed {
		t.Fatal("login limiter refused its first request")
	}
	if d, _ := api.AllowAt(ctx, "k", t0, 1); !d.Allowed {
		t.Fatal("api limiter refused: it shares state with the login limiter")
	}
	if d, _ := same.AllowAt(ctx, "k", t0, 1); d.Allowed {
		t.Fatal("a limiter with an identical policy did not share state")
	}
}

// TestMemoryFarInstantKeepsOtherKeys checks that decisions at a far-future instant, on other
// keys, do not expire and reuse the live state of an exhausted key: other entries are judged
// by the store's clock, not by the caller's instant.
func TestMemoryFarInstantKeepsOtherKeys(t *testing.T) {
	for _, alg := range []ratelimit.Algorithm{ratelimit.TokenBucket, ratelimit.SlidingWindow, ratelimit.SlidingLog} {
		t.Run(alg.String(), func(t *testing.T) {
			now := t0
			m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: 1024, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			l := ratelimit.MustNew(ratelimit.Config{Store: m}, ratelimit.Policy{Algorithm: alg, Limit: 1, Window: time.Hour})
			ctx := context.Background()
			if d, _ := l.AllowAt(ctx, "victim", t0, 1); !d.Allowed {
				t.Fatal("the victim's first request was refused")
			}
			far := t0.AddDate(100, 0, 0)
			for i := range 200 { // enough inserts to land in the victim's sets and to grow the table
				_, _ = l.AllowAt(ctx, "other"+strconv.Itoa(i), far, 1)
			}
			if d, _ := l.AllowAt(ctx, "victim", t0.Add(time.Minute), 1); d.Allowed {
				t.Error("decisions at a far-future instant on other keys reset the victim's exhausted quota")
			}
		})
	}
}
