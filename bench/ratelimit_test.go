package bench

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	tollbooth "github.com/didip/tollbooth/v7"
	tbl "github.com/didip/tollbooth/v7/limiter"
	"github.com/go-chi/httprate"
	"github.com/rampart-go/rampart/ratelimit"
	sethvargo "github.com/sethvargo/go-limiter"
	"github.com/sethvargo/go-limiter/httplimit"
	"github.com/sethvargo/go-limiter/memorystore"
	"github.com/throttled/throttled/v2"
	"github.com/throttled/throttled/v2/store/memstore"
	ulule "github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/middleware/stdlib"
	ululemem "github.com/ulule/limiter/v3/drivers/store/memory"
	"golang.org/x/time/rate"
)

// A limiterImpl is one rate limiter under test, configured for "limit per window" on every key.
type limiterImpl struct {
	name string
	// decider returns a maker of per-goroutine decision functions (httprate needs a
	// ResponseWriter of its own per goroutine; the others share state and ignore the call), or
	// nil if the implementation cannot express the limit (a sliding log above MaxLogLimit).
	decider func(tb testing.TB, limit int, window time.Duration) func() func(key string) bool
	// middleware returns the implementation's net/http middleware keyed by client address, with
	// its default refusal response.
	middleware func(tb testing.TB, limit int, window time.Duration) func(http.Handler) http.Handler
}

// maxKeys is the key capacity given to the stores that have one (rampart's Memory,
// throttled's memstore): the same for both.
const maxKeys = 1 << 20

func rampartLimiter(tb testing.TB, alg ratelimit.Algorithm, limit int, window time.Duration) *ratelimit.Limiter {
	tb.Helper()
	if alg == ratelimit.SlidingLog && limit > ratelimit.MaxLogLimit {
		return nil
	}
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: maxKeys})
	if err != nil {
		tb.Fatal(err)
	}
	l, err := ratelimit.New(ratelimit.Config{Store: m}, ratelimit.Policy{Algorithm: alg, Limit: limit, Window: window})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func rampartImpl(alg ratelimit.Algorithm) limiterImpl {
	return limiterImpl{
		name: "rampart-" + alg.String(),
		decider: func(tb testing.TB, limit int, window time.Duration) func() func(string) bool {
			l := rampartLimiter(tb, alg, limit, window)
			if l == nil {
				return nil
			}
			ctx := context.Background()
			allow := func(key string) bool {
				d, err := l.Allow(ctx, key)
				return err == nil && d.Allowed
			}
			return func() func(string) bool { return allow }
		},
		middleware: func(tb testing.TB, limit int, window time.Duration) func(http.Handler) http.Handler {
			l := rampartLimiter(tb, alg, limit, window)
			if l == nil {
				return nil
			}
			return l.Middleware((&ratelimit.ClientIP{}).Key, ratelimit.MiddlewareConfig{})
		},
	}
}

// xrateMap is the usual hand-written keyed limiter over golang.org/x/time/rate: one
// rate.Limiter per key in a map under a mutex (unbounded: it never evicts).
type xrateMap struct {
	mu    sync.Mutex
	m     map[string]*rate.Limiter
	r     rate.Limit
	burst int
}

func newXrateMap(limit int, window time.Duration) *xrateMap {
	return &xrateMap{m: make(map[string]*rate.Limiter), r: rate.Limit(float64(limit) / window.Seconds()), burst: limit}
}

func (x *xrateMap) allow(key string) bool {
	x.mu.Lock()
	l, ok := x.m[key]
	if !ok {
		l = rate.NewLimiter(x.r, x.burst)
		x.m[key] = l
	}
	x.mu.Unlock()
	return l.Allow()
}

func clientHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func newUlule(limit int, window time.Duration) *ulule.Limiter {
	return ulule.New(ululemem.NewStore(), ulule.Rate{Period: window, Limit: int64(limit)})
}

func newSethvargo(tb testing.TB, limit int, window time.Duration) sethvargo.Store {
	tb.Helper()
	s, err := memorystore.New(&memorystore.Config{Tokens: uint64(limit), Interval: window})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func newThrottled(tb testing.TB, limit int, window time.Duration) *throttled.GCRARateLimiterCtx {
	tb.Helper()
	st, err := memstore.NewCtx(maxKeys)
	if err != nil {
		tb.Fatal(err)
	}
	rl, err := throttled.NewGCRARateLimiterCtx(st, throttled.RateQuota{MaxRate: throttled.PerDuration(limit, window), MaxBurst: limit - 1})
	if err != nil {
		tb.Fatal(err)
	}
	return rl
}

func newTollbooth(limit int, window time.Duration) *tbl.Limiter {
	lmt := tollbooth.NewLimiter(float64(limit)/window.Seconds(), &tbl.ExpirableOptions{DefaultExpirationTTL: window})
	lmt.SetBurst(limit)
	lmt.SetIPLookups([]string{"RemoteAddr"}) // the others key on the connection's address too
	return lmt
}

var limiterImpls = []limiterImpl{
	rampartImpl(ratelimit.SlidingWindow),
	rampartImpl(ratelimit.TokenBucket),
	rampartImpl(ratelimit.SlidingLog),
	{
		name: "x-time-rate-map",
		decider: func(_ testing.TB, limit int, window time.Duration) func() func(string) bool {
			x := newXrateMap(limit, window)
			return func() func(string) bool { return x.allow }
		},
		middleware: func(_ testing.TB, limit int, window time.Duration) func(http.Handler) http.Handler {
			x := newXrateMap(limit, window)
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !x.allow(clientHost(r)) {
						http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
						return
					}
					next.ServeHTTP(w, r)
				})
			}
		},
	},
	{
		name: "ulule-limiter",
		decider: func(_ testing.TB, limit int, window time.Duration) func() func(string) bool {
			l := newUlule(limit, window)
			ctx := context.Background()
			allow := func(key string) bool {
				c, err := l.Get(ctx, key)
				return err == nil && !c.Reached
			}
			return func() func(string) bool { return allow }
		},
		middleware: func(_ testing.TB, limit int, window time.Duration) func(http.Handler) http.Handler {
			return stdlib.NewMiddleware(newUlule(limit, window)).Handler
		},
	},
	{
		name: "sethvargo-go-limiter",
		decider: func(tb testing.TB, limit int, window time.Duration) func() func(string) bool {
			s := newSethvargo(tb, limit, window)
			ctx := context.Background()
			allow := func(key string) bool {
				_, _, _, ok, err := s.Take(ctx, key)
				return err == nil && ok
			}
			return func() func(string) bool { return allow }
		},
		middleware: func(tb testing.TB, limit int, window time.Duration) func(http.Handler) http.Handler {
			m, err := httplimit.NewMiddleware(newSethvargo(tb, limit, window), httplimit.IPKeyFunc())
			if err != nil {
				tb.Fatal(err)
			}
			return m.Handle
		},
	},
	{
		// httprate has no decision API without HTTP: RateLimiter.OnLimit is its one entry
		// point, and it sets its response headers on the writer it is given.
		name: "go-chi-httprate",
		decider: func(_ testing.TB, limit int, window time.Duration) func() func(string) bool {
			rl := httprate.NewRateLimiter(limit, window)
			return func() func(string) bool {
				w := newDiscardWriter()
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				return func(key string) bool {
					clear(w.h)
					return !rl.OnLimit(w, r, key)
				}
			}
		},
		middleware: func(_ testing.TB, limit int, window time.Duration) func(http.Handler) http.Handler {
			// LimitByIP is deprecated; this is the replacement httprate documents: LimitBy keyed
			// off the resolved client address, canonicalized.
			return httprate.LimitBy(limit, window, func(r *http.Request) (string, error) {
				return httprate.CanonicalizeIP(clientHost(r)), nil
			})
		},
	},
	{
		name: "throttled",
		decider: func(tb testing.TB, limit int, window time.Duration) func() func(string) bool {
			rl := newThrottled(tb, limit, window)
			ctx := context.Background()
			allow := func(key string) bool {
				limited, _, err := rl.RateLimitCtx(ctx, key, 1)
				return err == nil && !limited
			}
			return func() func(string) bool { return allow }
		},
		middleware: func(tb testing.TB, limit int, window time.Duration) func(http.Handler) http.Handler {
			h := &throttled.HTTPRateLimiterCtx{RateLimiter: newThrottled(tb, limit, window), VaryBy: &throttled.VaryBy{RemoteAddr: true}}
			return h.RateLimit
		},
	},
	{
		name: "tollbooth",
		decider: func(_ testing.TB, limit int, window time.Duration) func() func(string) bool {
			lmt := newTollbooth(limit, window)
			allow := func(key string) bool { return !lmt.LimitReached(key) }
			return func() func(string) bool { return allow }
		},
		middleware: func(_ testing.TB, limit int, window time.Duration) func(http.Handler) http.Handler {
			lmt := newTollbooth(limit, window)
			return func(next http.Handler) http.Handler { return tollbooth.LimitHandler(lmt, next) }
		},
	},
}

// Limits of the scenarios. "Always allowed" is a limit no benchmark can exhaust; "always denied"
// is one request per hour, spent before timing; keyed scenarios use 100 per second per key, a
// typical API limit, so that their outcomes mix admissions and refusals alike for every library.
const (
	hugeLimit   = 1 << 30
	keyedLimit  = 100
	keyedWindow = time.Second
)

// ipKeys returns n distinct client keys shaped like addresses.
func ipKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
	}
	return keys
}

// zipfSequence returns a fixed sequence of n indexes into 10,000 keys drawn from a Zipf law
// (s = 1.1), the same for every implementation.
func zipfSequence(n int) []int {
	r := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // a reproducible key sequence, not a secret
	z := rand.NewZipf(r, 1.1, 1, 10_000-1)
	seq := make([]int, n)
	for i := range seq {
		seq[i] = int(z.Uint64())
	}
	return seq
}

// BenchmarkRateLimit is one decision per operation, for every implementation, in the in-memory
// scenarios of issue 12: a hot key always allowed, a hot key always denied, 10,000 keys visited
// uniformly and by a Zipf law (every key seen once before timing), and the uniform case from
// GOMAXPROCS goroutines.
func BenchmarkRateLimit(b *testing.B) {
	keys := ipKeys(10_000)
	zipf := zipfSequence(1 << 16)
	const hot = "203.0.113.7"
	for _, impl := range limiterImpls {
		b.Run("hot-allowed/"+impl.name, func(b *testing.B) {
			mk := impl.decider(b, hugeLimit, time.Hour)
			if mk == nil {
				b.Skip("limit not expressible by this algorithm")
			}
			allow := mk()
			allow(hot)
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if !allow(hot) {
					b.Fatal("refused under an inexhaustible limit")
				}
			}
		})
		b.Run("hot-denied/"+impl.name, func(b *testing.B) {
			allow := impl.decider(b, 1, time.Hour)()
			if !allow(hot) {
				b.Fatal("first request refused")
			}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if allow(hot) {
					b.Fatal("admitted beyond 1 per hour")
				}
			}
		})
		b.Run("10k-uniform/"+impl.name, func(b *testing.B) {
			allow := impl.decider(b, keyedLimit, keyedWindow)()
			for _, k := range keys {
				allow(k)
			}
			i := 0
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				allow(keys[i])
				if i++; i == len(keys) {
					i = 0
				}
			}
		})
		b.Run("10k-zipf/"+impl.name, func(b *testing.B) {
			allow := impl.decider(b, keyedLimit, keyedWindow)()
			for _, k := range keys {
				allow(k)
			}
			i := 0
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				allow(keys[zipf[i&(len(zipf)-1)]])
				i++
			}
		})
		b.Run("10k-parallel/"+impl.name, func(b *testing.B) {
			mk := impl.decider(b, keyedLimit, keyedWindow)
			fill := mk()
			for _, k := range keys {
				fill(k)
			}
			var seed sync.Mutex
			next := 0
			b.ReportAllocs()
			b.ResetTimer()
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				allow := mk()
				seed.Lock()
				i := next * 1237 % len(keys)
				next++
				seed.Unlock()
				for pb.Next() {
					allow(keys[i])
					if i++; i == len(keys) {
						i = 0
					}
				}
			})
		})
	}
}

// BenchmarkRateLimitMiddleware is the whole HTTP path of each library's own middleware, keyed by
// the client address of an httptest request: key extraction, decision, response headers and, when
// denied, the library's default 429 response.
func BenchmarkRateLimitMiddleware(b *testing.B) {
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, impl := range limiterImpls {
		for _, sc := range []struct {
			name   string
			limit  int
			status int
		}{{"allowed", hugeLimit, http.StatusOK}, {"denied", 1, http.StatusTooManyRequests}} {
			b.Run(sc.name+"/"+impl.name, func(b *testing.B) {
				mw := impl.middleware(b, sc.limit, time.Hour)
				if mw == nil {
					b.Skip("limit not expressible by this algorithm")
				}
				h := mw(noop)
				r := httptest.NewRequest(http.MethodGet, "/api/orders", nil)
				r.RemoteAddr = "203.0.113.7:4711"
				w := newDiscardWriter()
				h.ServeHTTP(w, r) // spends the one request of the "denied" policy
				w.reset()
				h.ServeHTTP(w, r)
				if w.code != sc.status {
					b.Fatalf("status %d, want %d", w.code, sc.status)
				}
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					w.reset()
					h.ServeHTTP(w, r)
				}
			})
		}
	}
}

// BenchmarkRateLimitMemory stores 1,000,000 distinct keys (10 per minute each) and reports the
// live heap they add, in bytes per key, measured with runtime.MemStats after a full collection.
// The key strings themselves are allocated before the first measurement and are not counted;
// copies a library makes of them (prefixed keys, map keys it builds) are. ns/op is the time to
// insert all the keys. Run it with -benchtime=1x.
func BenchmarkRateLimitMemory(b *testing.B) {
	const n = 1_000_000
	keys := ipKeys(n)
	for _, impl := range limiterImpls {
		b.Run("1M-keys/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				before := heapInUse()
				mk := impl.decider(b, 10, time.Minute)
				allow := mk()
				for _, k := range keys {
					allow(k)
				}
				after := heapInUse()
				b.ReportMetric(float64(int64(after)-int64(before))/n, "bytes/key")
				// Keep the limiter and its state alive past the measurement.
				allow(keys[0])
			}
		})
	}
}
