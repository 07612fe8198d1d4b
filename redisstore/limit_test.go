package redisstore_test

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/ratelimittest"
	"github.com/rampart-go/rampart/redisstore"
)

func TestLimitStoreConformance(t *testing.T) {
	url := redisURL(t)
	for _, tc := range []struct {
		name string
		cfg  func(t *testing.T) redisstore.Config
		auto bool
	}{
		{"PlainKeys", func(t *testing.T) redisstore.Config {
			return redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout}
		}, false},
		{"KeySecret", func(t *testing.T) redisstore.Config {
			return redisstore.Config{Prefix: testPrefix(t), KeySecret: secret(t), Timeout: testTimeout}
		}, false},
		{"AutoPipeline", func(t *testing.T) redisstore.Config {
			return redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
				var client redis.UniversalClient = newClient(t, url)
				if tc.auto {
					client = autoPipeline(t, client)
				}
				s, err := redisstore.NewLimitStore(client, tc.cfg(t))
				if err != nil {
					t.Fatalf("NewLimitStore: %v", err)
				}
				return s
			})
		})
	}
}

// newLimitStore returns a LimitStore on its own go-redis client (its own connection pool, as a
// separate instance of a service would have) with a test-unique prefix.
func newLimitStore(t testing.TB, url, prefix string, hooks ...redis.Hook) *redisstore.LimitStore {
	t.Helper()
	c := newClient(t, url)
	for _, h := range hooks {
		c.AddHook(h)
	}
	s, err := redisstore.NewLimitStore(c, redisstore.Config{Prefix: prefix, Timeout: testTimeout})
	if err != nil {
		t.Fatalf("NewLimitStore: %v", err)
	}
	return s
}

// redisNow returns Redis's clock.
func redisNow(t testing.TB, url string) time.Time {
	t.Helper()
	now, err := newClient(t, url).Time(t.Context()).Result()
	if err != nil {
		t.Fatalf("TIME: %v", err)
	}
	return now
}

// TestOvershoot is the distributed race: 32 instances (separate clients, separate connection
// pools) hammer one key with 4,000 attempts against a limit of 100. The token bucket admits
// exactly 100; the sliding-window counter admits exactly 100 unless the burst straddles a
// window boundary, and then stays within its documented bound Limit·(1 + d/Window).
func TestOvershoot(t *testing.T) {
	url := redisURL(t)
	const instances, attempts, limit = 32, 4000, 100
	tests := []struct {
		name   string
		policy ratelimit.Policy
	}{
		{"TokenBucket", ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: limit, Window: time.Hour}},
		{"SlidingWindow", ratelimit.Policy{Algorithm: ratelimit.SlidingWindow, Limit: limit, Window: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := testPrefix(t)
			limiters := make([]*ratelimit.Limiter, instances)
			for i := range limiters {
				limiters[i] = ratelimit.MustNew(ratelimit.Config{Store: newLimitStore(t, url, prefix)}, tt.policy)
			}
			var admitted, refused atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, instances)
			start := redisNow(t, url)
			for _, l := range limiters {
				wg.Go(func() {
					for range attempts / instances {
						d, err := l.Allow(t.Context(), "one-key")
						if err != nil {
							errs <- err
							return
						}
						if d.Allowed {
							admitted.Add(1)
						} else {
							refused.Add(1)
						}
					}
				})
			}
			wg.Wait()
			end := redisNow(t, url)
			close(errs)
			for err := range errs {
				t.Fatalf("Allow: %v", err)
			}
			got := admitted.Load()
			if got+refused.Load() != attempts {
				t.Fatalf("%d admitted + %d refused, want %d attempts", got, refused.Load(), attempts)
			}
			w := tt.policy.Window
			sameWindow := start.Truncate(w).Equal(end.Truncate(w))
			if tt.policy.Algorithm == ratelimit.TokenBucket || sameWindow {
				if got != limit {
					t.Fatalf("%d instances, %d attempts, limit %d: %d admitted, want exactly %d", instances, attempts, limit, got, limit)
				}
				return
			}
			d := end.Sub(start)
			bound := int64(limit + math.Ceil(limit*float64(d)/float64(w)))
			if got < limit || got > bound {
				t.Fatalf("across a window boundary (%v): %d admitted, want %d..%d", d, got, limit, bound)
			}
		})
	}
}

// TestSkew runs two instances whose local clocks differ by 500 ms. On the store's clock
// (Redis TIME, what a Limiter uses when Config.Now is nil) they decide exactly as one instance
// would; fed their own clocks instead (the control), the skewed instance gets quota the
// limit does not allow, which shows the test can tell the difference.
func TestSkew(t *testing.T) {
	url := redisURL(t)
	const skew = 500 * time.Millisecond
	// Two requests per second, one at a time: after one request the next is 500 ms away.
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 2, Window: time.Second, Burst: 1}
	prefix := testPrefix(t)
	clockA := func() time.Time { return time.Now().Add(skew) } // instance A runs 500 ms fast
	clockB := time.Now

	t.Run("StoreClock", func(t *testing.T) {
		a := ratelimit.MustNew(ratelimit.Config{Store: newLimitStore(t, url, prefix)}, p)
		b := ratelimit.MustNew(ratelimit.Config{Store: newLimitStore(t, url, prefix)}, p)
		single := ratelimit.MustNew(ratelimit.Config{Store: newLimitStore(t, url, prefix)}, p)
		// The same sequence on one key from the two instances and on another key from a single
		// instance: b, a, a, b.
		for i, l := range []*ratelimit.Limiter{b, a, a, b} {
			got, err := l.Allow(t.Context(), "skewed")
			if err != nil {
				t.Fatal(err)
			}
			want, err := single.Allow(t.Context(), "single")
			if err != nil {
				t.Fatal(err)
			}
			if got.Allowed != want.Allowed || got.Remaining != want.Remaining || (got.RetryAfter-want.RetryAfter).Abs() > 100*time.Millisecond {
				t.Fatalf("request %d: two skewed instances decided %+v, one instance %+v; want the same", i+1, got, want)
			}
			if i == 0 && !got.Allowed || i > 0 && got.Allowed {
				t.Fatalf("request %d = %+v, want only the first admitted (burst 1, 500 ms per token)", i+1, got)
			}
		}
	})

	t.Run("LocalClocksControl", func(t *testing.T) {
		a := ratelimit.MustNew(ratelimit.Config{Store: newLimitStore(t, url, prefix), Now: clockA}, p)
		b := ratelimit.MustNew(ratelimit.Config{Store: newLimitStore(t, url, prefix), Now: clockB}, p)
		db, err := b.Allow(t.Context(), "control")
		if err != nil {
			t.Fatal(err)
		}
		da, err := a.Allow(t.Context(), "control")
		if err != nil {
			t.Fatal(err)
		}
		if !db.Allowed || !da.Allowed {
			t.Fatalf("on local clocks 500 ms apart: b %+v, a %+v; want both admitted (the skew the store clock prevents)", db, da)
		}
	})
}

// TestRoundTrips counts the commands each call sends: one EVALSHA per decision whatever the
// number of policies, one DEL per Reset, and EVALSHA then EVAL once when Redis does not have
// the script (a fresh server, or one whose script cache was flushed).
func TestRoundTrips(t *testing.T) {
	url := redisURL(t)
	var hook counter
	s := newLimitStore(t, url, testPrefix(t), &hook)
	policies := []ratelimit.Policy{
		{Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second, Name: "burst"},
		{Algorithm: ratelimit.SlidingWindow, Limit: 1000, Window: time.Hour, Name: "hour"},
		{Algorithm: ratelimit.SlidingWindow, Limit: 10000, Window: 24 * time.Hour, Name: "day"},
	}
	take := func(ps ...ratelimit.Policy) {
		t.Helper()
		out := make([]ratelimit.Decision, len(ps))
		if err := s.Take(t.Context(), &ratelimit.Request{Key: "k", Policies: ps, Cost: 1}, out); err != nil {
			t.Fatalf("Take: %v", err)
		}
	}
	take(policies[0]) // load the script if this server never saw it
	hook.take()
	for n := 1; n <= len(policies); n++ {
		for range 5 {
			take(policies[:n]...)
			if cmds := hook.take(); !slices.Equal(cmds, []string{"evalsha"}) {
				t.Fatalf("one decision with %d policies sent %q, want [evalsha]", n, cmds)
			}
		}
	}
	if err := s.Reset(t.Context(), "k", policies); err != nil {
		t.Fatal(err)
	}
	if cmds := hook.take(); !slices.Equal(cmds, []string{"del"}) {
		t.Fatalf("Reset sent %q, want [del]", cmds)
	}

	// SCRIPT FLUSH on a server of our own, never on a shared REDIS_URL.
	own := startServer(t)
	c := newClient(t, own.URL())
	if err := c.Ping(t.Context()).Err(); err != nil { // connect first: not a decision's work
		t.Fatal(err)
	}
	c.AddHook(&hook)
	var err error
	if s, err = redisstore.NewLimitStore(c, redisstore.Config{Timeout: testTimeout}); err != nil {
		t.Fatal(err)
	}
	take(policies...)
	if cmds := hook.take(); !slices.Equal(cmds, []string{"evalsha", "eval"}) {
		t.Fatalf("first decision on a fresh server sent %q, want [evalsha eval]", cmds)
	}
	if err := newClient(t, own.URL()).ScriptFlush(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	take(policies...)
	if cmds := hook.take(); !slices.Equal(cmds, []string{"evalsha", "eval"}) {
		t.Fatalf("first decision after SCRIPT FLUSH sent %q, want [evalsha eval]", cmds)
	}
	take(policies...)
	if cmds := hook.take(); !slices.Equal(cmds, []string{"evalsha"}) {
		t.Fatalf("second decision after SCRIPT FLUSH sent %q, want [evalsha]", cmds)
	}
}

// TestStateEncoding: the token bucket and the sliding-window counter keep their state as packed
// doubles (16 and 24 bytes), and still read the text forms earlier versions wrote, so a rolling
// upgrade does not hand every client a fresh quota.
func TestStateEncoding(t *testing.T) {
	c := newClient(t, redisURL(t))
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) // a whole hour: a window start
	us := t0.UnixMicro()
	for _, tc := range []struct {
		name    string
		policy  ratelimit.Policy
		size    int
		text    string // state written in the old text form
		wantRem int    // Remaining of the next request with that state
	}{
		// TAT one hour ahead: with T = 1h and τ = 10h, a request at t0 leaves 8 units.
		{"token bucket", ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 10, Window: 10 * time.Hour}, 16,
			strconv.FormatInt(us+int64(time.Hour/time.Microsecond), 10) + ":0", 8},
		// Three units used in the current window: a fourth leaves 6.
		{"sliding window", ratelimit.Policy{Algorithm: ratelimit.SlidingWindow, Limit: 10, Window: time.Hour}, 24,
			strconv.FormatInt(us, 10) + ":3:0", 6},
		// A text state exactly as long as the packed form (24 bytes) is still read as text: 100
		// weighted in full from the previous window, 100 + 1 in this one.
		{"sliding window, text of packed length", ratelimit.Policy{Algorithm: ratelimit.SlidingWindow, Limit: 1000, Window: time.Hour}, 24,
			strconv.FormatInt(us, 10) + ":100:100", 799},
	} {
		// A lone policy is decided by a specialised script, one beside another by limit.lua:
		// both must read the text form.
		for _, script := range []string{"specialised", "general"} {
			t.Run(tc.name+"/"+script, func(t *testing.T) {
				prefix := testPrefix(t)
				store, err := redisstore.NewLimitStore(c, redisstore.Config{Prefix: prefix, Timeout: testTimeout})
				if err != nil {
					t.Fatal(err)
				}
				l := ratelimit.MustNew(ratelimit.Config{Store: store}, tc.policy)
				if d, err := l.AllowAt(t.Context(), "client", t0, 1); err != nil || d.Remaining != tc.policy.Limit-1 {
					t.Fatalf("first request: %+v, %v; want %d remaining", d, err, tc.policy.Limit-1)
				}
				keys, err := c.Keys(t.Context(), prefix+"*").Result()
				if err != nil || len(keys) != 1 {
					t.Fatalf("keys %q, %v; want one", keys, err)
				}
				v, err := c.Get(t.Context(), keys[0]).Result()
				if err != nil || len(v) != tc.size {
					t.Fatalf("state %q (%d bytes), %v; want %d bytes", v, len(v), err, tc.size)
				}
				if err := c.Set(t.Context(), keys[0], tc.text, time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
				if script == "general" {
					wide := ratelimit.Policy{Name: "wide", Algorithm: ratelimit.TokenBucket, Limit: 1 << 20, Window: time.Second}
					l = ratelimit.MustNew(ratelimit.Config{Store: store}, tc.policy, wide)
				}
				d, err := l.AllowAt(t.Context(), "client", t0, 1)
				if err != nil || !d.Allowed || d.Remaining != tc.wantRem {
					t.Fatalf("after the text state %q: %+v, %v; want allowed with %d remaining", tc.text, d, err, tc.wantRem)
				}
				if v, _ := c.Get(t.Context(), keys[0]).Result(); len(v) != tc.size {
					t.Errorf("state rewritten as %q, want the packed form", v)
				}
			})
		}
	}
}

// TestSlidingLogScanBounded: a Peek on a full sliding log whose entries have all left the window
// finds the first live entry by binary search, a few LINDEX calls, not one per entry (a linear
// walk held Redis for tens of milliseconds per Peek at MaxLogLimit). The count comes from
// Redis's own command statistics.
func TestSlidingLogScanBounded(t *testing.T) {
	c := newClient(t, redisURL(t))
	store, err := redisstore.NewLimitStore(c, redisstore.Config{Prefix: testPrefix(t), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: ratelimit.MaxLogLimit, Window: time.Second}
	l := ratelimit.MustNew(ratelimit.Config{Store: store}, p)
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	if d, err := l.AllowAt(t.Context(), "k", t0, ratelimit.MaxLogLimit); err != nil || !d.Allowed {
		t.Fatalf("filling the log: %+v, %v", d, err)
	}
	lindex := func() int64 {
		info, err := c.Info(t.Context(), "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\n") {
			if rest, ok := strings.CutPrefix(line, "cmdstat_lindex:calls="); ok {
				n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
				return n
			}
		}
		return 0
	}
	before := lindex()
	d, err := l.PeekAt(t.Context(), "k", t0.Add(2*time.Second), 1)
	if err != nil || !d.Allowed || d.Remaining != ratelimit.MaxLogLimit-1 {
		t.Fatalf("Peek after the window: %+v, %v; want allowed with %d remaining", d, err, ratelimit.MaxLogLimit-1)
	}
	if n := lindex() - before; n > 20 {
		t.Errorf("one Peek made %d LINDEX calls on a %d-entry log, want about log2 of it", n, ratelimit.MaxLogLimit)
	}
}
