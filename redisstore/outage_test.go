package redisstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/redisstore"
)

// TestOutage stops Redis under a running limiter, in both fail modes: decisions follow the
// limiter's FailOpen choice within the store's timeout, with an error wrapping
// ratelimit.ErrStore and redisstore.ErrUnavailable; once Redis is back on the same address,
// decisions resume with the same store and client.
func TestOutage(t *testing.T) {
	for _, tc := range []struct {
		failOpen, auto bool
	}{{false, false}, {true, false}, {false, true}} {
		failOpen := tc.failOpen
		name := map[bool]string{false: "FailClosed", true: "FailOpen"}[failOpen]
		if tc.auto {
			name += "/AutoPipeline"
		}
		t.Run(name, func(t *testing.T) {
			srv := startServer(t) // this test kills its own server, never the shared one
			const timeout = 500 * time.Millisecond
			var client redis.UniversalClient = newClient(t, srv.URL())
			if tc.auto {
				// The automatic pipeliner sends batches with the client's own socket
				// timeouts, not the callers' contexts: bound those by the store's timeout.
				opt, err := redis.ParseURL(srv.URL())
				if err != nil {
					t.Fatal(err)
				}
				opt.ContextTimeoutEnabled = true
				opt.ReadTimeout, opt.WriteTimeout = timeout, timeout
				c := redis.NewClient(opt)
				t.Cleanup(func() { _ = c.Close() })
				client = autoPipeline(t, c)
			}
			store, err := redisstore.NewLimitStore(client, redisstore.Config{Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 3, Window: time.Hour}
			l := ratelimit.MustNew(ratelimit.Config{Store: store, FailOpen: failOpen}, p)

			allow := func(want bool) {
				t.Helper()
				d, err := l.Allow(t.Context(), "k")
				if err != nil || d.Allowed != want {
					t.Fatalf("Allow with Redis up = %+v, %v; want Allowed %v, no error", d, err, want)
				}
			}
			down := func(what string) {
				t.Helper()
				start := time.Now()
				d, err := l.Allow(t.Context(), "k")
				elapsed := time.Since(start)
				if !errors.Is(err, ratelimit.ErrStore) || !errors.Is(err, redisstore.ErrUnavailable) {
					t.Fatalf("Allow with Redis %s: error %v, want one wrapping ratelimit.ErrStore and redisstore.ErrUnavailable", what, err)
				}
				if d.Allowed != failOpen {
					t.Fatalf("Allow with Redis %s = %+v, want Allowed %v (FailOpen %v)", what, d, failOpen, failOpen)
				}
				// The timeout plus scheduling slack on a loaded machine; never go-redis's 3 s
				// ReadTimeout or its retries.
				if elapsed > timeout+time.Second {
					t.Fatalf("Allow with Redis %s took %v, want about the %v timeout", what, elapsed, timeout)
				}
			}

			allow(true) // 2 left

			// Hung: the process is stopped, the connections stay open, nothing answers.
			srv.Pause(t)
			start := time.Now()
			down("paused")
			if elapsed := time.Since(start); elapsed < timeout/2 {
				t.Errorf("Allow with Redis paused returned after %v, before the %v timeout could fire", elapsed, timeout)
			}
			srv.Resume(t)
			// The timed-out call may have reached Redis before it stopped; it ran at most once.
			d, err := l.Peek(t.Context(), "k")
			if err != nil {
				t.Fatalf("Peek after resume: %v", err)
			}
			if !d.Allowed { // 2 left before the stall; a Peek reports what Allow would
				t.Fatalf("after one timed-out call, Peek = %+v: more than one unit charged, so the call was retried", d)
			}
			if err := store.Reset(t.Context(), "k", []ratelimit.Policy{p}); err != nil {
				t.Fatal(err)
			}
			allow(true) // 2 left

			// Gone: the process is killed, connections break and new ones are refused.
			srv.Stop()
			for range 3 {
				down("stopped")
			}

			// Back on the same port, empty (no persistence): the store recovers on its own,
			// reloading its script through the NOSCRIPT fallback.
			if err := srv.Start(); err != nil {
				t.Fatalf("restarting redis-server: %v", err)
			}
			// go-redis drops the dead connections when it takes them from the pool (its health
			// check sees the reset), so the very first decision after the restart succeeds.
			d, err = l.Allow(t.Context(), "k")
			if err != nil || !d.Allowed || d.Remaining != 2 {
				t.Fatalf("first decision after restart = %+v, %v; want allowed with Remaining 2 (fresh state)", d, err)
			}
			allow(true)
			allow(true)
			allow(false)
		})
	}
}

// TestNoRetryAfterTimeout is the double-count hazard: a client whose own ReadTimeout fires
// before the store's timeout, with go-redis retries enabled, against a Redis that stalls. The
// EVALSHA that timed out must not be sent again, or Redis would run it twice once it wakes up.
func TestNoRetryAfterTimeout(t *testing.T) {
	srv := startServer(t)
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true
	opt.ReadTimeout = 50 * time.Millisecond
	opt.MaxRetries = 5
	opt.MinRetryBackoff = time.Millisecond
	opt.MaxRetryBackoff = 2 * time.Millisecond
	client := redis.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })
	store, err := redisstore.NewLimitStore(client, redisstore.Config{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 100, Window: time.Hour}
	req := &ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p}, Cost: 1}
	out := make([]ratelimit.Decision, 1)
	if err := store.Take(t.Context(), req, out); err != nil {
		t.Fatal(err)
	}
	// Fill the pool with connections that have been used (and so initialised): a retry takes
	// one of them and sends the command at once.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_ = client.Ping(t.Context()).Err()
			}
		})
	}
	wg.Wait()
	if n := client.PoolStats().IdleConns; n < 4 {
		t.Fatalf("%d idle connections after warm-up, want at least 4 for a retry to use", n)
	}
	srv.Pause(t)
	err = store.Take(t.Context(), req, out)
	srv.Resume(t)
	if !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("Take against a stalled Redis: %v, want ErrUnavailable", err)
	}
	// Let Redis run whatever reached it while it was stopped.
	probe := newClient(t, srv.URL())
	if err := probe.Ping(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	req.Peek = true
	if err := store.Take(t.Context(), req, out); err != nil {
		t.Fatal(err)
	}
	// 1 charged before the stall, at most 1 by the timed-out call, and the Peek reports what
	// one more would leave: at least 97.
	if out[0].Remaining < 97 {
		t.Fatalf("after one timed-out Take, Peek Remaining = %d: the EVALSHA ran %d times", out[0].Remaining, 98-out[0].Remaining)
	}
}
