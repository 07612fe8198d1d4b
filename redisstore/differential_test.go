package redisstore_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/ratelimittest"
)

// TestMatchesMemory replays the same random traffic (costs, peeks, several policies at once,
// gaps from nothing to a few windows, synthetic instants at nanosecond resolution) against
// ratelimit's in-memory store and the Redis store, and requires identical decisions: the Lua
// script computes the Store contract's formulas exactly as the reference does.
func TestMatchesMemory(t *testing.T) {
	url := redisURL(t)
	sets := []struct {
		name     string
		policies []ratelimit.Policy
	}{
		{"TokenBucket", []ratelimit.Policy{{Algorithm: ratelimit.TokenBucket, Limit: 7, Window: time.Second, Burst: 3}}},
		{"TokenBucketOddRate", []ratelimit.Policy{{Algorithm: ratelimit.TokenBucket, Limit: 3, Window: time.Second}}},
		{"SlidingWindow", []ratelimit.Policy{{Algorithm: ratelimit.SlidingWindow, Limit: 7, Window: time.Second}}},
		{"SlidingWindowOdd", []ratelimit.Policy{{Algorithm: ratelimit.SlidingWindow, Limit: 13, Window: 777 * time.Millisecond}}},
		{"SlidingLog", []ratelimit.Policy{{Algorithm: ratelimit.SlidingLog, Limit: 5, Window: time.Second}}},
		{"Mixed", []ratelimit.Policy{
			{Name: "a", Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second, Burst: 4},
			{Name: "b", Algorithm: ratelimit.SlidingWindow, Limit: 20, Window: 3 * time.Second},
			{Name: "c", Algorithm: ratelimit.SlidingLog, Limit: 6, Window: 2 * time.Second},
		}},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			mem, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
			if err != nil {
				t.Fatal(err)
			}
			red := newLimitStore(t, url, testPrefix(t))
			capacity := set.policies[0].Capacity()
			for _, p := range set.policies {
				capacity = min(capacity, p.Capacity())
			}
			r := rand.New(rand.NewPCG(7, uint64(len(set.name)))) // #nosec G404 -- deterministic test traffic
			at := ratelimittest.T0()
			for i := range 400 {
				switch r.IntN(10) {
				case 0:
					at = at.Add(time.Duration(r.Int64N(int64(3 * time.Second))))
				case 1, 2, 3:
					at = at.Add(time.Duration(r.Int64N(int64(200 * time.Millisecond))))
				case 4, 5:
					at = at.Add(time.Duration(r.Int64N(int64(time.Millisecond))))
				}
				req := ratelimit.Request{
					Key:      "k",
					Policies: set.policies,
					Cost:     r.IntN(capacity + 1),
					Peek:     r.IntN(5) == 0,
					Now:      at,
				}
				want := make([]ratelimit.Decision, len(set.policies))
				got := make([]ratelimit.Decision, len(set.policies))
				if err := mem.Take(t.Context(), &req, want); err != nil {
					t.Fatal(err)
				}
				if err := red.Take(t.Context(), &req, got); err != nil {
					t.Fatal(err)
				}
				for j := range want {
					if set.policies[j].Algorithm == ratelimit.SlidingLog && req.Cost == 0 && want[j].Allowed {
						// The memory store reports Reset = Window for an admitted cost of 0 on
						// the sliding log, as if t had been recorded; nothing was, and the
						// Redis store reports newest + W - t as the contract says.
						want[j].Reset = got[j].Reset
					}
					if got[j] != want[j] {
						t.Fatalf("request %d (cost %d, peek %v, at T0%+v), policy %d:\nredis  %+v\nmemory %+v",
							i, req.Cost, req.Peek, at.Sub(ratelimittest.T0()), j, got[j], want[j])
					}
				}
			}
		})
	}
}

// TestSingleScriptsShareState: a lone token-bucket or sliding-window policy is decided by a
// specialised script (lua/bucket.lua, lua/window.lua) and the same policy beside another by
// the general one (lua/limit.lua); requests that alternate between the two on one client must
// read each other's state and decide as ratelimit.Memory does, the clock going back now and
// then included.
func TestSingleScriptsShareState(t *testing.T) {
	wide := ratelimit.Policy{Name: "wide", Algorithm: ratelimit.TokenBucket, Limit: 1 << 20, Window: time.Second}
	for _, p := range []ratelimit.Policy{
		{Algorithm: ratelimit.TokenBucket, Limit: 5, Window: time.Second, Burst: 2},
		{Algorithm: ratelimit.SlidingWindow, Limit: 9, Window: 700 * time.Millisecond},
	} {
		t.Run(p.Algorithm.String(), func(t *testing.T) {
			mem, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
			if err != nil {
				t.Fatal(err)
			}
			red := newLimitStore(t, redisURL(t), testPrefix(t))
			r := rand.New(rand.NewPCG(11, uint64(p.Algorithm))) // #nosec G404 -- deterministic test traffic
			at := ratelimittest.T0()
			for i := range 600 {
				switch r.IntN(12) {
				case 0:
					at = at.Add(-time.Duration(r.Int64N(int64(300 * time.Millisecond)))) // the clock went back
				case 1, 2, 3, 4:
					at = at.Add(time.Duration(r.Int64N(int64(400 * time.Millisecond))))
				case 5, 6:
					at = at.Add(time.Duration(r.Int64N(int64(time.Millisecond))))
				}
				policies := []ratelimit.Policy{p}
				if r.IntN(2) == 0 {
					policies = append(policies, wide)
				}
				req := ratelimit.Request{Key: "k", Policies: policies, Cost: r.IntN(p.Capacity() + 1), Peek: r.IntN(5) == 0, Now: at}
				want := make([]ratelimit.Decision, len(policies))
				got := make([]ratelimit.Decision, len(policies))
				if err := mem.Take(t.Context(), &req, want); err != nil {
					t.Fatal(err)
				}
				if err := red.Take(t.Context(), &req, got); err != nil {
					t.Fatal(err)
				}
				if got[0] != want[0] {
					t.Fatalf("request %d (%d policies, cost %d, peek %v, at T0%+v):\nredis  %+v\nmemory %+v",
						i, len(policies), req.Cost, req.Peek, at.Sub(ratelimittest.T0()), got[0], want[0])
				}
			}
		})
	}
}
