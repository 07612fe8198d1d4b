package redisstore_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/redisstore"
)

// benchGoroutines is the concurrency of the parallel benchmarks: 32 callers, as 32 concurrent
// requests on one instance.
const benchGoroutines = 32

// roundTrips is a go-redis hook that counts round trips (a command sent alone, or a pipeline
// of commands sent together) and commands.
type roundTrips struct{ n, cmds atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		h.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		h.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func (h *roundTrips) reset() {
	h.n.Store(0)
	h.cmds.Store(0)
}

func (h *roundTrips) report(b *testing.B) {
	b.ReportMetric(float64(h.n.Load())/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(h.cmds.Load())/float64(b.N), "cmds/op")
}

func benchClient(b *testing.B, hook redis.Hook) *redis.Client {
	opt, err := redis.ParseURL(redisURL(b))
	if err != nil {
		b.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true
	opt.PoolSize = benchGoroutines
	c := redis.NewClient(opt)
	c.AddHook(hook)
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// BenchmarkTake measures decisions per second through ratelimit.Limiter on the Redis store,
// from 32 goroutines, and the round trips each decision takes (must be 1).
func BenchmarkTake(b *testing.B) {
	cases := []struct {
		name     string
		keys     int
		policies []ratelimit.Policy
	}{
		{"TokenBucket/10000keys", 10000, []ratelimit.Policy{{Algorithm: ratelimit.TokenBucket, Limit: 1_000_000, Window: time.Second}}},
		{"SlidingWindow/10000keys", 10000, []ratelimit.Policy{{Algorithm: ratelimit.SlidingWindow, Limit: 1 << 30, Window: time.Minute}}},
		{"TokenBucket/hotkey", 1, []ratelimit.Policy{{Algorithm: ratelimit.TokenBucket, Limit: 100, Window: time.Hour}}},
		{"ThreePolicies/10000keys", 10000, []ratelimit.Policy{
			{Name: "s", Algorithm: ratelimit.TokenBucket, Limit: 1_000_000, Window: time.Second},
			{Name: "h", Algorithm: ratelimit.SlidingWindow, Limit: 1 << 30, Window: time.Hour},
			{Name: "d", Algorithm: ratelimit.SlidingWindow, Limit: 1 << 30, Window: 24 * time.Hour},
		}},
	}
	modes := []struct {
		name     string
		maxBatch int
		auto     bool
	}{
		{"alone", 1, false},       // every decision its own EVALSHA
		{"batched", 0, false},     // the default: concurrent decisions share EVALSHAs
		{"autopipeline", 1, true}, // go-redis's automatic pipelining instead
	}
	for _, tc := range cases {
		for _, mode := range modes {
			auto := mode.auto
			name := tc.name + "/" + mode.name
			b.Run(name, func(b *testing.B) {
				var hook roundTrips
				var client redis.UniversalClient = benchClient(b, &hook)
				if auto {
					ap, err := client.AutoPipeline()
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { _ = ap.Close() })
					client = ap
				}
				store, err := redisstore.NewLimitStore(client, redisstore.Config{Prefix: testPrefix(b), Timeout: testTimeout, MaxBatch: mode.maxBatch})
				if err != nil {
					b.Fatal(err)
				}
				l := ratelimit.MustNew(ratelimit.Config{Store: store}, tc.policies...)
				keys := make([]string, tc.keys)
				for i := range keys {
					keys[i] = "203.0.113." + strconv.Itoa(i%256) + "/" + strconv.Itoa(i)
				}
				// Load the script and open the pool's connections: measure the steady state only.
				var wg sync.WaitGroup
				for range benchGoroutines {
					wg.Go(func() {
						for range 4 {
							if _, err := l.Allow(b.Context(), keys[0]); err != nil {
								b.Error(err)
							}
						}
					})
				}
				wg.Wait()
				hook.reset()
				var next atomic.Int64
				b.SetParallelism((benchGoroutines + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					i := int(next.Add(7919))
					for pb.Next() {
						i++
						if _, err := l.Allow(b.Context(), keys[i%len(keys)]); err != nil {
							b.Error(err)
							return
						}
					}
				})
				elapsed := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "decisions/s")
				hook.report(b)
			})
		}
	}
}

// BenchmarkTakeSerial is the latency of one decision from one goroutine: a full round trip.
func BenchmarkTakeSerial(b *testing.B) {
	var hook roundTrips
	store, err := redisstore.NewLimitStore(benchClient(b, &hook), redisstore.Config{Prefix: testPrefix(b), Timeout: testTimeout})
	if err != nil {
		b.Fatal(err)
	}
	l := ratelimit.MustNew(ratelimit.Config{Store: store}, ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 1_000_000, Window: time.Second})
	if _, err := l.Allow(b.Context(), "k"); err != nil {
		b.Fatal(err)
	}
	hook.reset()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Allow(b.Context(), "k"); err != nil {
			b.Fatal(err)
		}
	}
	hook.report(b)
}

// BenchmarkLookup measures the revocation check made on every token verification, from 32
// goroutines.
func BenchmarkLookup(b *testing.B) {
	var hook roundTrips
	store, err := redisstore.NewRevocationStore(benchClient(b, &hook), redisstore.Config{Prefix: testPrefix(b), Timeout: testTimeout})
	if err != nil {
		b.Fatal(err)
	}
	var id auth.TokenID
	var wg sync.WaitGroup
	for range benchGoroutines { // open the pool's connections: measure the steady state only
		wg.Go(func() {
			if _, _, err := store.Lookup(b.Context(), "user-42", id); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	hook.reset()
	b.SetParallelism((benchGoroutines + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := store.Lookup(b.Context(), "user-42", id); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "lookups/s")
	hook.report(b)
}
