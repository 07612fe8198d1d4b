package bench

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/redisstore"
	"github.com/redis/go-redis/v9"
	ulule "github.com/ulule/limiter/v3"
	ululeredis "github.com/ulule/limiter/v3/drivers/store/redis"
)

// redisClients is the number of concurrent clients of the Redis benchmarks.
const redisClients = 32

// roundTrips counts the round trips a go-redis client makes: one per command, one per pipeline.
type roundTrips struct{ n atomic.Int64 }

func (*roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// redisClient connects to REDIS_URL (compare.sh starts a throwaway redis-server and sets it)
// with a pool large enough for every benchmark client, and flushes the database.
func redisClient(b *testing.B) (*redis.Client, *roundTrips) {
	b.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		b.Skip("REDIS_URL is not set; ./bench/compare.sh starts a redis-server and sets it")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	opt.ContextTimeoutEnabled = true // required by redisstore
	opt.PoolSize = 2 * redisClients
	c := redis.NewClient(opt)
	b.Cleanup(func() { _ = c.Close() })
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		b.Fatalf("redis at %s: %v", url, err)
	}
	rt := new(roundTrips)
	c.AddHook(rt)
	return c, rt
}

// redisImpl makes a decision function for limit per window on a Redis client.
type redisImpl struct {
	name string
	new  func(b *testing.B, c *redis.Client, limit int, window time.Duration) func(ctx context.Context, key string) (bool, error)
}

// rampartRedis is rampart's Redis store for one policy of alg; with maxBatch 1, every decision
// goes alone (the default batches concurrent decisions, see redisstore.Config.MaxBatch).
func rampartRedis(alg ratelimit.Algorithm, maxBatch int) redisImpl {
	name := "rampart-" + alg.String()
	if maxBatch == 1 {
		name += "-unbatched"
	}
	return redisImpl{name, func(b *testing.B, c *redis.Client, limit int, window time.Duration) func(context.Context, string) (bool, error) {
		// The peers wait up to go-redis's 3 s read timeout; rampart's default per-call bound is
		// 250 ms, which a loaded benchmark machine can exceed. Give it the same 3 s.
		st, err := redisstore.NewLimitStore(c, redisstore.Config{Timeout: 3 * time.Second, MaxBatch: maxBatch})
		if err != nil {
			b.Fatal(err)
		}
		l, err := ratelimit.New(ratelimit.Config{Store: st}, ratelimit.Policy{Algorithm: alg, Limit: limit, Window: window})
		if err != nil {
			b.Fatal(err)
		}
		return func(ctx context.Context, key string) (bool, error) {
			d, err := l.Allow(ctx, key)
			return d.Allowed, err
		}
	}}
}

var redisImpls = []redisImpl{
	rampartRedis(ratelimit.SlidingWindow, 0),
	rampartRedis(ratelimit.TokenBucket, 0),
	rampartRedis(ratelimit.TokenBucket, 1),
	{"redis_rate", func(_ *testing.B, c *redis.Client, limit int, window time.Duration) func(context.Context, string) (bool, error) {
		l := redis_rate.NewLimiter(c)
		lim := redis_rate.Limit{Rate: limit, Period: window, Burst: limit}
		return func(ctx context.Context, key string) (bool, error) {
			res, err := l.Allow(ctx, key, lim)
			if err != nil {
				return false, err
			}
			return res.Allowed > 0, nil
		}
	}},
	{"ulule-limiter-redis", func(b *testing.B, c *redis.Client, limit int, window time.Duration) func(context.Context, string) (bool, error) {
		st, err := ululeredis.NewStoreWithOptions(c, ulule.StoreOptions{Prefix: "ulule", MaxRetry: 3})
		if err != nil {
			b.Fatal(err)
		}
		l := ulule.New(st, ulule.Rate{Period: window, Limit: int64(limit)})
		return func(ctx context.Context, key string) (bool, error) {
			res, err := l.Get(ctx, key)
			return err == nil && !res.Reached, err
		}
	}},
}

// BenchmarkRedis runs each Redis-backed limiter against the same local redis-server:
//
//   - decisions: 32 concurrent clients deciding over 10,000 keys (filled before timing) under a
//     limit none of them reaches; reports decisions/s and round-trips/op (go-redis commands and
//     pipelines per decision);
//   - overshoot: 32 concurrent clients make 4,000 attempts in all on one fresh key limited to
//     100 per hour; reports how many were admitted and the overshoot beyond 100 (the worst of
//     the iterations), and the attempts per run that failed with an error (a timeout under load;
//     they are neither admitted nor refused).
func BenchmarkRedis(b *testing.B) {
	keys := ipKeys(10_000)
	par := (redisClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	for _, impl := range redisImpls {
		b.Run("decisions/"+impl.name, func(b *testing.B) {
			c, rt := redisClient(b)
			allow := impl.new(b, c, hugeLimit, time.Hour)
			ctx := context.Background()
			// Fill the key space from 32 goroutines, which also opens the pool's connections
			// before counting round trips.
			var wg sync.WaitGroup
			for g := range redisClients {
				wg.Go(func() {
					for i := g; i < len(keys); i += redisClients {
						if ok, err := allow(ctx, keys[i]); err != nil || !ok {
							b.Errorf("fill: allowed=%v, %v", ok, err)
							return
						}
					}
				})
			}
			wg.Wait()
			var next atomic.Int64
			rt.n.Store(0)
			b.SetParallelism(par)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1)*313) % len(keys)
				for pb.Next() {
					if ok, err := allow(ctx, keys[i]); err != nil || !ok {
						b.Errorf("allowed=%v, %v", ok, err)
						return
					}
					if i++; i == len(keys) {
						i = 0
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "decisions/s")
			b.ReportMetric(float64(rt.n.Load())/float64(b.N), "round-trips/op")
		})
		b.Run("overshoot/"+impl.name, func(b *testing.B) {
			const limit, attempts = 100, 4000
			c, _ := redisClient(b)
			allow := impl.new(b, c, limit, time.Hour)
			ctx := context.Background()
			worst, iter := -1, 0
			var admittedWorst, errs int64
			b.ReportAllocs()
			for b.Loop() {
				key := "overshoot-" + strconv.Itoa(iter)
				iter++
				var admitted, failed atomic.Int64
				var wg sync.WaitGroup
				for range redisClients {
					wg.Go(func() {
						for range attempts / redisClients {
							ok, err := allow(ctx, key)
							if err != nil {
								failed.Add(1)
							} else if ok {
								admitted.Add(1)
							}
						}
					})
				}
				wg.Wait()
				errs += failed.Load()
				if over := int(admitted.Load()) - limit; over > worst {
					worst, admittedWorst = over, admitted.Load()
				}
			}
			b.ReportMetric(float64(admittedWorst), "admitted")
			b.ReportMetric(float64(max(worst, 0)), "overshoot")
			b.ReportMetric(float64(errs)/float64(iter), "errors/run")
		})
	}
}
