package ratelimit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/ratelimit"
)

// TestNoGoroutines: limiters, stores and the middleware start no goroutine (the package has
// no Close to stop one): the count does not grow across heavy use, including a store at its
// cap evicting and the sliding log growing its rings. It may shrink: a goroutine left by an
// earlier test (an httptest server, a timer) can end meanwhile, so the test asserts only
// "no more than before", polling for a bounded time while goroutines that are ending finish.
func TestNoGoroutines(t *testing.T) {
	check := testenv.CheckGoroutines(t)
	mem, err := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	l := ratelimit.MustNew(ratelimit.Config{Store: mem},
		ratelimit.Policy{Name: "a", Limit: 5, Window: time.Second},
		ratelimit.Policy{Name: "b", Algorithm: ratelimit.TokenBucket, Limit: 5, Window: time.Second},
		ratelimit.Policy{Name: "c", Algorithm: ratelimit.SlidingLog, Limit: 50, Window: time.Minute})
	ctx := context.Background()
	for i := range 5000 {
		key := fmt.Sprint("k", i%3000)
		if _, err := l.AllowAt(ctx, key, t0.Add(time.Duration(i)*time.Millisecond), 1); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			_ = l.Reset(ctx, key)
		}
	}
	h := l.Middleware((&ratelimit.ClientIP{}).Key, ratelimit.MiddlewareConfig{})(ok)
	for range 100 {
		serve(h, request("192.0.2.1:1"))
	}
	if _, err := ratelimit.New(ratelimit.Config{}, ratelimit.Policy{Limit: 1, Window: time.Second}); err != nil {
		t.Fatal(err)
	}
	check()
}
