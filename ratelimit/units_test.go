package ratelimit

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestUnits checks the float-based ⌊x/T⌋ against integer division.
func TestUnits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6)) // #nosec G404 -- deterministic test inputs
	for range 20000 {
		limit := 1 + r.IntN(maxLimit)
		w := time.Duration(int64(time.Millisecond) + r.Int64N(int64(maxWindow)))
		if int64(w)/int64(limit) < 1 {
			continue
		}
		p := prepare(Policy{Algorithm: TokenBucket, Limit: limit, Window: w, Burst: 1 + r.IntN(limit)}, 0, 0)
		for _, x := range []int64{0, 1, p.ival - 1, p.ival, p.ival + 1, p.tau, p.tau - 1, r.Int64N(p.tau + 1)} {
			if x < 0 || x > p.tau {
				continue
			}
			if got, want := p.units(x), x/p.ival; got != want {
				t.Fatalf("units(%d) with T=%d = %d, want %d", x, p.ival, got, want)
			}
		}
	}
}
