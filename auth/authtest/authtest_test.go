package authtest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authtest"
)

func TestMemoryStorePasses(t *testing.T) {
	authtest.TestRevocationStore(t, func(t *testing.T) auth.RevocationStore {
		s, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// brokenStore wraps a correct store and breaks one behaviour.
type brokenStore struct {
	auth.RevocationStore
	mode    string
	mu      sync.Mutex
	racy    map[string]uint64
	cleared bool // increment-clears-all: an increment happened
}

func (s *brokenStore) Generation(ctx context.Context, subject string) (uint64, error) {
	if s.mode == "shared-counter" {
		subject = strings.ToLower(strings.TrimSpace(subject)) // merges distinct subjects
	}
	if s.mode == "racy-increment" {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.racy[subject], nil
	}
	return s.RevocationStore.Generation(ctx, subject)
}

func (s *brokenStore) IncrementGeneration(ctx context.Context, subject string) (uint64, error) {
	switch s.mode {
	case "increment-clears-all": // drops every subject's entries, not only this one's
		s.mu.Lock()
		s.cleared = true
		s.mu.Unlock()
	case "shared-counter":
		subject = strings.ToLower(strings.TrimSpace(subject))
	case "racy-increment": // read, yield, write: loses concurrent increments
		s.mu.Lock()
		g := s.racy[subject]
		s.mu.Unlock()
		time.Sleep(time.Microsecond)
		s.mu.Lock()
		s.racy[subject] = g + 1
		s.mu.Unlock()
		return g + 1, nil
	}
	return s.RevocationStore.IncrementGeneration(ctx, subject)
}

func (s *brokenStore) Revoke(ctx context.Context, subject string, id auth.TokenID, expiry time.Time) error {
	switch s.mode {
	case "forgetful":
		return nil
	case "ignores-context":
		return s.RevocationStore.Revoke(context.Background(), subject, id, expiry)
	}
	return s.RevocationStore.Revoke(ctx, subject, id, expiry)
}

func (s *brokenStore) Lookup(ctx context.Context, subject string, id auth.TokenID) (uint64, bool, error) {
	if s.mode == "shared-counter" {
		subject = strings.ToLower(strings.TrimSpace(subject))
	}
	switch s.mode {
	case "increment-clears-all":
		s.mu.Lock()
		cleared := s.cleared
		s.mu.Unlock()
		if cleared {
			g, _, err := s.RevocationStore.Lookup(ctx, subject, id)
			return g, false, err
		}
	case "ignores-entries-after-increment": // a subject logged out everywhere once can never log out again
		g, revoked, err := s.RevocationStore.Lookup(ctx, subject, id)
		return g, revoked && g == 0, err
	}
	if s.mode == "never-expires" {
		g, _, err := s.RevocationStore.Lookup(ctx, subject, id)
		return g, true, err // reports every ID revoked
	}
	return s.RevocationStore.Lookup(ctx, subject, id)
}

// brokenOnceStore is a brokenStore with a RevokeOnce method, broken by mode.
type brokenOnceStore struct{ *brokenStore }

func (s brokenOnceStore) RevokeOnce(ctx context.Context, subject string, id auth.TokenID, expiry time.Time) (bool, error) {
	switch s.mode {
	case "once-always-first":
		return true, s.Revoke(ctx, subject, id, expiry)
	case "once-check-then-revoke": // not atomic: concurrent callers all see the ID unrevoked
		_, revoked, err := s.Lookup(ctx, subject, id)
		if err != nil {
			return false, err
		}
		time.Sleep(time.Millisecond)
		if err := s.Revoke(ctx, subject, id, expiry); err != nil {
			return false, err
		}
		return !revoked && expiry.After(time.Now()), nil
	}
	return s.RevocationStore.(auth.RevokeOnceStore).RevokeOnce(ctx, subject, id, expiry)
}

const brokenEnv = "AUTHTEST_BROKEN_MODE"

// TestBrokenStoreHelper runs the conformance test against a broken store; it only does so in
// the subprocess started by TestConformanceCatchesBrokenStores.
func TestBrokenStoreHelper(t *testing.T) {
	mode := os.Getenv(brokenEnv)
	if mode == "" {
		t.Skip("run by TestConformanceCatchesBrokenStores")
	}
	authtest.TestRevocationStore(t, func(t *testing.T) auth.RevocationStore {
		inner, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{})
		if err != nil {
			t.Fatal(err)
		}
		b := &brokenStore{RevocationStore: inner, mode: mode, racy: map[string]uint64{}}
		if strings.HasPrefix(mode, "once-") {
			return brokenOnceStore{b}
		}
		return b
	})
}

// TestConformanceCatchesBrokenStores checks that the conformance test fails, in the right
// subtest, for stores that each break one rule of the contract.
func TestConformanceCatchesBrokenStores(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		t.Skip("inside the subprocess")
	}
	tests := map[string]string{
		"forgetful":       "RevokeAndLookup",
		"shared-counter":  "SubjectsAreDistinct",
		"racy-increment":  "ConcurrentIncrements",
		"never-expires":   "UnknownSubjectAndID",
		"ignores-context": "CanceledContext",
		// Two stores that drop entries wrongly when a generation moves.
		"increment-clears-all":            "RevokeAndLookup",
		"ignores-entries-after-increment": "RevokeAndLookup",
		// Two RevokeOnce methods that do not report the first revocation alone.
		"once-always-first":      "RevokeOnce",
		"once-check-then-revoke": "RevokeOnce",
	}
	for mode, subtest := range tests {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenStoreHelper$", "-test.short", "-test.count=1") // #nosec G702 G204 -- re-runs this test binary with fixed arguments
			cmd.Env = append(os.Environ(), brokenEnv+"="+mode)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("conformance test passed a %s store:\n%s", mode, out)
			}
			if want := "--- FAIL: TestBrokenStoreHelper/" + subtest; !strings.Contains(string(out), want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		})
	}
}
