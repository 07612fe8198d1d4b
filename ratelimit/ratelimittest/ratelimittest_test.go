package ratelimittest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/ratelimittest"
)

func newMemory(t *testing.T) ratelimit.Store {
	m, err := ratelimit.NewMemory(ratelimit.MemoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMemory(t *testing.T) {
	ratelimittest.TestStore(t, newMemory)
}

// broken wraps the memory store with one deliberate defect.
type broken struct {
	ratelimit.Store
	defect string
}

func (b *broken) Take(ctx context.Context, req *ratelimit.Request, out []ratelimit.Decision) error {
	switch b.defect {
	case "peek-charges":
		r := *req
		r.Peek = false
		return b.Store.Take(ctx, &r, out)
	case "not-atomic": // each policy decided and charged on its own
		for i, p := range req.Policies {
			r := *req
			r.Policies = []ratelimit.Policy{p}
			if err := b.Store.Take(ctx, &r, out[i:i+1]); err != nil {
				return err
			}
			out[i].Policy = i
		}
		return nil
	case "window-overadmits": // the sliding window reports admissions it did not charge
		err := b.Store.Take(ctx, req, out)
		for i := range out {
			if req.Policies[i].Algorithm == ratelimit.SlidingWindow && !out[i].Allowed && !req.Peek {
				out[i].Allowed = true
			}
		}
		return err
	case "retry-short": // RetryAfter a little too short to be trusted
		err := b.Store.Take(ctx, req, out)
		for i := range out {
			if out[i].RetryAfter > 1_000_000 {
				out[i].RetryAfter -= 1_000_000
			}
		}
		return err
	}
	return b.Store.Take(ctx, req, out)
}

func (b *broken) Reset(ctx context.Context, key string, ps []ratelimit.Policy) error {
	if b.defect == "no-reset" {
		return nil
	}
	return b.Store.Reset(ctx, key, ps)
}

// TestBrokenStore is run in a child process by TestDetectsDefects.
func TestBrokenStore(t *testing.T) {
	defect := os.Getenv("RATELIMITTEST_DEFECT")
	if defect == "" {
		t.Skip("run by TestDetectsDefects")
	}
	ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
		return &broken{Store: newMemory(t), defect: defect}
	})
}

// TestDetectsDefects checks that the conformance helper fails stores with typical defects.
func TestDetectsDefects(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child test processes")
	}
	for _, defect := range []string{"peek-charges", "not-atomic", "window-overadmits", "retry-short", "no-reset"} {
		t.Run(defect, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStore$", "-test.count=1") // #nosec G702 G204 -- re-runs this test binary
			cmd.Env = append(os.Environ(), "RATELIMITTEST_DEFECT="+defect)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "--- FAIL") {
				t.Fatalf("TestStore passed a store with defect %q:\n%s", defect, out)
			}
		})
	}
}
