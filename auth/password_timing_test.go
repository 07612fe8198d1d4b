package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// TestLoginTimingUnknownUserVsWrongPassword is the user-enumeration test: Login for a user
// that does not exist must take the same time as Login with a wrong password for one that
// does. It is built to hold on a shared, noisy machine and under -race:
//
//   - the parameters (4 MiB, t=2) make the hash dominate everything else Login does;
//   - the two cases are interleaved, alternating which goes first, so drift in machine load
//     affects both alike;
//   - it compares medians of many samples, which ignore the outliers a busy machine causes:
//     the passwordMedian of the per-pair ratios (each pair measured back to back) and, logged beside
//     it, the ratio of the two medians;
//   - a run that exceeds the bound is measured again, up to three times: a real timing leak
//     (an early return, a cheaper dummy) shows in every run.
//
// The same measurement must also tell apart a stored hash at half the memory, which shows
// that it can detect a difference of the size it guards against.
func TestLoginTimingUnknownUserVsWrongPassword(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	ctx := context.Background()
	h := newTestHasher(t, auth.HasherConfig{Argon2: auth.Argon2Params{Memory: 4096, Time: 2, Threads: 1}})
	stored, err := h.Hash(ctx, "the-real-password")
	if err != nil {
		t.Fatal(err)
	}
	cheaper, err := newTestHasher(t, auth.HasherConfig{Argon2: auth.Argon2Params{Memory: 1024, Time: 2, Threads: 1}}).Hash(ctx, "the-real-password")
	if err != nil {
		t.Fatal(err)
	}
	login := func(stored string) time.Duration {
		start := time.Now()
		_, err := h.Login(ctx, "a-wrong-password", stored)
		d := time.Since(start)
		if !errors.Is(err, auth.ErrPasswordMismatch) {
			t.Fatalf("Login(wrong password) = %v, want ErrPasswordMismatch", err)
		}
		return d
	}
	const samples = 41
	var ratio, cheapRatio float64
	for attempt := 1; attempt <= 3; attempt++ {
		var unknown, wrong []time.Duration
		var ratios, cheapRatios []float64
		login(stored) // warm up
		for i := range samples {
			var u, w time.Duration
			if i%2 == 0 {
				u = login("")
				w = login(stored)
			} else {
				w = login(stored)
				u = login("")
			}
			c := login(cheaper)
			unknown, wrong = append(unknown, u), append(wrong, w)
			ratios = append(ratios, float64(u)/float64(w))
			cheapRatios = append(cheapRatios, float64(c)/float64(w))
		}
		ratio, cheapRatio = passwordMedian(ratios), passwordMedian(cheapRatios)
		t.Logf("attempt %d: median of paired ratios unknown user / wrong password %.3f (medians %v and %v, ratio %.3f); quarter-memory hash / wrong password %.3f",
			attempt, ratio, passwordMedian(unknown), passwordMedian(wrong), float64(passwordMedian(unknown))/float64(passwordMedian(wrong)), cheapRatio)
		if ratio > 0.9 && ratio < 1.1 && cheapRatio < 0.9 {
			return
		}
	}
	if ratio <= 0.9 || ratio >= 1.1 {
		t.Errorf("passwordMedian Login time, unknown user / wrong password = %.3f, want within 10%% of 1", ratio)
	}
	if cheapRatio >= 0.9 {
		t.Errorf("passwordMedian Login time, quarter-memory hash / wrong password = %.3f: the measurement cannot see a 4x cheaper hash", cheapRatio)
	}
}

func passwordMedian[T time.Duration | float64](d []T) T {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
