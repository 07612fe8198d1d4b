package redisstore_test

import (
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// TestMemoryPerKey backs the package documentation's figures: Redis's MEMORY USAGE of the
// state of one IPv4 client under one policy, with a prefix as long as DefaultPrefix, and the
// cost of each further unit in a sliding log.
func TestMemoryPerKey(t *testing.T) {
	url := redisURL(t)
	prefix := "t" + testPrefix(t)[13:19] + ":" // as long as DefaultPrefix, "rampart:"
	s := newLimitStore(t, url, prefix)
	rdb := newClient(t, url)
	tests := []struct {
		policy  ratelimit.Policy
		maxOne  int64   // bytes for a client after one request
		maxUnit float64 // bytes per further admitted unit
	}{
		{ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 100, Window: time.Hour}, 128, 0},
		{ratelimit.Policy{Algorithm: ratelimit.SlidingWindow, Limit: 100, Window: time.Hour}, 128, 0},
		{ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: 100, Window: time.Hour}, 224, 32},
	}
	const client = "203.0.113.7/32"
	for _, tt := range tests {
		p := tt.policy
		usage := func() int64 {
			t.Helper()
			keys, err := rdb.Keys(t.Context(), prefix+"*").Result()
			if err != nil || len(keys) != 1 {
				t.Fatalf("KEYS %s* = %q, %v; want one key", prefix, keys, err)
			}
			n, err := rdb.MemoryUsage(t.Context(), keys[0]).Result()
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		take := func(cost int) {
			t.Helper()
			out := make([]ratelimit.Decision, 1)
			req := &ratelimit.Request{Key: client, Policies: []ratelimit.Policy{p}, Cost: cost}
			if err := s.Take(t.Context(), req, out); err != nil || !out[0].Allowed {
				t.Fatalf("Take = %+v, %v", out[0], err)
			}
		}
		take(1)
		one := usage()
		t.Logf("%v: %d bytes for one client", p.Algorithm, one)
		if one > tt.maxOne {
			t.Errorf("%v: MEMORY USAGE %d bytes for one client, want at most %d", p.Algorithm, one, tt.maxOne)
		}
		take(50)
		per := float64(usage()-one) / 50
		t.Logf("%v: %.1f bytes per further unit", p.Algorithm, per)
		if per > tt.maxUnit {
			t.Errorf("%v: %.1f bytes per further unit, want at most %v", p.Algorithm, per, tt.maxUnit)
		}
		if err := s.Reset(t.Context(), client, []ratelimit.Policy{p}); err != nil {
			t.Fatal(err)
		}
	}
}
