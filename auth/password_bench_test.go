package auth

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/cputime"
	"golang.org/x/crypto/argon2"
)

// BenchmarkHasherOverhead measures what Hasher.Hash and Hasher.Verify add to a raw
// argon2.IDKey at the same (default) parameters. Each iteration times the raw call and the
// Hasher call back to back, in alternating order, so machine load hits both alike;
// overhead-% is computed from the two sums of wall time, cpu-overhead-% from the two sums of
// process CPU time, which a busy machine disturbs far less (the process's other goroutines
// are idle during the benchmark, so its CPU time is the calls' own, garbage collection
// included), and median-cpu-overhead-% from the median of the per-pair CPU ratios, which
// ignores the pairs where a collection or a page-fault storm landed on one call. ns/op is the time of both calls together.
//
// The "MinParams" cases use the smallest argon2 parameters (m=8 KiB, t=1), where the hash takes
// microseconds, to resolve the Hasher's fixed cost in nanoseconds (overhead-ns/op): at the
// default parameters that cost is far below the machine's noise.
func BenchmarkHasherOverhead(b *testing.B) {
	ctx := context.Background()
	password := []byte("correct horse battery staple")
	salt := make([]byte, hashSaltLen)
	for _, bc := range []struct {
		name   string
		params Argon2Params
	}{
		{"Hash", Argon2Params{}},
		{"Verify", Argon2Params{}},
		{"HashMinParams", Argon2Params{Memory: 8, Time: 1, Threads: 1}},
		{"VerifyMinParams", Argon2Params{Memory: 8, Time: 1, Threads: 1}},
	} {
		h, err := NewHasher(HasherConfig{Argon2: bc.params})
		if err != nil {
			b.Fatal(err)
		}
		p := h.target
		stored, err := h.Hash(ctx, string(password))
		if err != nil {
			b.Fatal(err)
		}
		op := bc.name[:4]
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var raw, wrapped time.Duration
			var rawCPU, wrappedCPU, lastRaw, lastWrapped time.Duration
			var ratios []float64
			rawCall := func() time.Duration {
				c0, t0 := cputime.Process(), time.Now()
				argon2.IDKey(password, salt, p.time, p.memory, p.threads, hashKeyLen)
				d := time.Since(t0)
				lastRaw = cputime.Process() - c0
				rawCPU += lastRaw
				return d
			}
			hasherCall := func() time.Duration {
				c0, t0 := cputime.Process(), time.Now()
				var err error
				if op == "Hash" {
					_, err = h.Hash(ctx, string(password))
				} else {
					_, err = h.Verify(ctx, string(password), stored)
				}
				d := time.Since(t0)
				lastWrapped = cputime.Process() - c0
				wrappedCPU += lastWrapped
				if err != nil {
					b.Fatal(err)
				}
				return d
			}
			i := 0
			for b.Loop() {
				// Alternate which call goes first: the second of two 19 MiB allocations in a
				// row tends to pay for the collection of the first.
				if i%2 == 0 {
					raw += rawCall()
					wrapped += hasherCall()
				} else {
					wrapped += hasherCall()
					raw += rawCall()
				}
				i++
				if lastRaw > 0 {
					ratios = append(ratios, float64(lastWrapped)/float64(lastRaw))
				}
			}
			b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "raw-ns/op")
			b.ReportMetric(float64(wrapped.Nanoseconds())/float64(b.N), "hasher-ns/op")
			b.ReportMetric(100*(float64(wrapped)-float64(raw))/float64(raw), "overhead-%")
			b.ReportMetric(float64((wrapped-raw).Nanoseconds())/float64(b.N), "overhead-ns/op")
			if rawCPU > 0 {
				b.ReportMetric(100*(float64(wrappedCPU)-float64(rawCPU))/float64(rawCPU), "cpu-overhead-%")
			}
			if len(ratios) > 0 {
				slices.Sort(ratios)
				b.ReportMetric(100*(ratios[len(ratios)/2]-1), "median-cpu-overhead-%")
			}
		})
	}
}

// BenchmarkLogin200Concurrent starts 200 concurrent logins (half unknown users) at the
// default parameters (19 MiB each) under a 64 MiB memory budget, and reports the peak memory
// the limiter admitted and the peak Go heap (live and not yet collected objects, sampled
// every 200µs). "gogc" runs with the default collector settings; "memlimit" also sets a soft
// memory limit of budget + 16 MiB, as a deployment that wants a hard bound would
// (GOMEMLIMIT), so that garbage from finished hashes is collected before the heap grows.
func BenchmarkLogin200Concurrent(b *testing.B) {
	const budget = 64 << 20
	for _, mode := range []string{"gogc", "memlimit"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "memlimit" {
				defer debug.SetMemoryLimit(debug.SetMemoryLimit(budget + 16<<20))
			}
			h, err := NewHasher(HasherConfig{MemoryBudget: budget})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			stored, err := h.Hash(ctx, "correct horse battery staple")
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			base := heapObjects()
			b.ReportAllocs()
			var peakHeap uint64
			for b.Loop() {
				stop := make(chan struct{})
				sampled := make(chan uint64)
				go func() {
					var peak uint64
					tick := time.NewTicker(200 * time.Microsecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							sampled <- peak
							return
						case <-tick.C:
							peak = max(peak, heapObjects())
						}
					}
				}()
				var wg sync.WaitGroup
				for i := range 200 {
					wg.Go(func() {
						s := stored
						if i%2 == 1 {
							s = ""
						}
						_, _ = h.Login(ctx, "wrong password", s)
					})
				}
				wg.Wait()
				close(stop)
				peakHeap = max(peakHeap, <-sampled)
			}
			_, peakAdmitted := h.lim.stats()
			b.ReportMetric(float64(peakAdmitted)/(1<<20), "peak-admitted-MiB")
			b.ReportMetric(float64(peakHeap-min(base, peakHeap))/(1<<20), "peak-heap-MiB")
			if peakAdmitted > budget {
				b.Errorf("peak admitted %d bytes, over the %d budget", peakAdmitted, budget)
			}
		})
	}
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func BenchmarkPasswordPolicyCheck(b *testing.B) {
	p := &PasswordPolicy{ContextWords: []string{"example.com"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check(ctx, "correct horse battery staple", "alice@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePHC(b *testing.B) {
	h, err := NewHasher(HasherConfig{})
	if err != nil {
		b.Fatal(err)
	}
	enc := "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parsePHC(enc, &h.limits); err != nil {
			b.Fatal(err)
		}
	}
}
