// Package authtest holds conformance tests for implementations of the interfaces of package
// [github.com/rampart-go/rampart/auth]. A store implementation calls the helper from its own
// test:
//
//	func TestStore(t *testing.T) {
//		authtest.TestRevocationStore(t, func(t *testing.T) auth.RevocationStore {
//			return newTestStore(t) // a fresh, empty store; register cleanup with t.Cleanup
//		})
//	}
package authtest

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// TestRevocationStore checks that the stores made by newStore implement the contract of
// [auth.RevocationStore], and of [auth.RevokeOnceStore] for stores that implement it (its
// subtest is skipped for the others). newStore is called once per subtest and must return an empty store
// (no counters, no denylist entries) that is independent of the others; it registers any cleanup
// with t.Cleanup. The subtests run sequentially against wall-clock time; one of them waits about
// a second for a denylist entry to expire and is skipped under -short.
func TestRevocationStore(t *testing.T, newStore func(t *testing.T) auth.RevocationStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s auth.RevocationStore)
	}{
		{"UnknownSubjectAndID", testUnknown},
		{"IncrementGeneration", testIncrement},
		{"SubjectsAreDistinct", testDistinctSubjects},
		{"ConcurrentIncrements", testConcurrentIncrements},
		{"RevokeAndLookup", testRevoke},
		{"RevokeInThePastIsNoop", testRevokePast},
		{"RevokeAgainKeepsLaterExpiry", testRevokeAgain},
		{"ConcurrentRevokes", testConcurrentRevokes},
		{"EntriesExpire", testExpiry},
		{"CanceledContext", testCanceled},
		{"RevokeOnce", testRevokeOnce},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tc.fn(t, s)
		})
	}
}

func newID(t *testing.T) auth.TokenID {
	t.Helper()
	var id auth.TokenID
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	return id
}

func lookup(t *testing.T, s auth.RevocationStore, subject string, id auth.TokenID) (uint64, bool) {
	t.Helper()
	g, revoked, err := s.Lookup(t.Context(), subject, id)
	if err != nil {
		t.Fatalf("Lookup(%q, %v) error: %v", subject, id, err)
	}
	return g, revoked
}

func generation(t *testing.T, s auth.RevocationStore, subject string) uint64 {
	t.Helper()
	g, err := s.Generation(t.Context(), subject)
	if err != nil {
		t.Fatalf("Generation(%q) error: %v", subject, err)
	}
	return g
}

func increment(t *testing.T, s auth.RevocationStore, subject string) uint64 {
	t.Helper()
	g, err := s.IncrementGeneration(t.Context(), subject)
	if err != nil {
		t.Fatalf("IncrementGeneration(%q) error: %v", subject, err)
	}
	return g
}

// revoke denylists id as a token of "alice", the subject every lookup of this suite uses.
func revoke(t *testing.T, s auth.RevocationStore, id auth.TokenID, expiry time.Time) {
	t.Helper()
	if err := s.Revoke(t.Context(), "alice", id, expiry); err != nil {
		t.Fatalf("Revoke(alice, %v, %v) error: %v", id, expiry, err)
	}
}

func testUnknown(t *testing.T, s auth.RevocationStore) {
	if g := generation(t, s, "alice"); g != 0 {
		t.Errorf("Generation(unknown) = %d, want 0", g)
	}
	for _, id := range []auth.TokenID{{}, newID(t)} {
		if g, revoked := lookup(t, s, "alice", id); g != 0 || revoked {
			t.Errorf("Lookup(unknown, %v) = %d, %v, want 0, false", id, g, revoked)
		}
	}
}

func testIncrement(t *testing.T, s auth.RevocationStore) {
	id := newID(t)
	for want := uint64(1); want <= 3; want++ {
		if g := increment(t, s, "alice"); g != want {
			t.Fatalf("IncrementGeneration #%d = %d, want %d", want, g, want)
		}
		if g := generation(t, s, "alice"); g != want {
			t.Fatalf("Generation after %d increments = %d, want %d", want, g, want)
		}
		if g, revoked := lookup(t, s, "alice", id); g != want || revoked {
			t.Fatalf("Lookup after %d increments = %d, %v, want %d, false", want, g, revoked, want)
		}
	}
	if g := generation(t, s, "bob"); g != 0 {
		t.Errorf("Generation(bob) after incrementing alice = %d, want 0", g)
	}
}

// testDistinctSubjects uses subjects that a careless key scheme would merge: separators, glob
// characters, case, whitespace, NUL bytes, non-ASCII and the longest subject a token carries.
func testDistinctSubjects(t *testing.T, s auth.RevocationStore) {
	subjects := []string{
		"alice", "Alice", "alice ", " alice", "alice:gen", "alice:deny", "gen:alice", "alice\x00",
		"*", "?", "[a]", "a{b}c", "user/1", "user\\1", "ユーザー", "", strings.Repeat("x", 255),
		"0123456789abcdef0123456789abcdef", // looks like a token ID
	}
	for i, sub := range subjects {
		for range i + 1 {
			increment(t, s, sub)
		}
	}
	for i, sub := range subjects {
		if g, want := generation(t, s, sub), uint64(i+1); g != want {
			t.Errorf("Generation(%q) = %d, want %d", sub, g, want)
		}
	}
	// Denylist entries filed under each of these subjects are found under it.
	ids := make([]auth.TokenID, len(subjects))
	for i, sub := range subjects {
		ids[i] = newID(t)
		if err := s.Revoke(t.Context(), sub, ids[i], time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Revoke(%q, ...) error: %v", sub, err)
		}
	}
	for i, sub := range subjects {
		if g, revoked := lookup(t, s, sub, ids[i]); !revoked || g != uint64(i+1) {
			t.Errorf("Lookup(%q, its revoked ID) = %d, %v, want %d, true", sub, g, revoked, i+1)
		}
	}
	if g := generation(t, s, "alice*"); g != 0 {
		t.Errorf("Generation(%q) = %d, want 0", "alice*", g)
	}
}

func testConcurrentIncrements(t *testing.T, s auth.RevocationStore) {
	const workers, each = 8, 25
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = make(map[uint64]bool)
		errs []error
	)
	for range workers {
		wg.Go(func() {
			for range each {
				g, err := s.IncrementGeneration(t.Context(), "carol")
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else if seen[g] {
					errs = append(errs, errors.New("value returned twice"))
				}
				seen[g] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("concurrent IncrementGeneration: %d errors, first: %v", len(errs), errs[0])
	}
	if g := generation(t, s, "carol"); g != workers*each {
		t.Errorf("Generation after %d concurrent increments = %d, want %d", workers*each, g, workers*each)
	}
}

func testRevoke(t *testing.T, s auth.RevocationStore) {
	id, other := newID(t), newID(t)
	if _, revoked := lookup(t, s, "alice", id); revoked {
		t.Fatal("Lookup before Revoke reports revoked")
	}
	revoke(t, s, id, time.Now().Add(time.Hour))
	if g, revoked := lookup(t, s, "alice", id); !revoked || g != 0 {
		t.Errorf("Lookup after Revoke = %d, %v, want 0, true", g, revoked)
	}
	// A store may keep entries by subject (Lookup is always made with the subject the token
	// was revoked under), so a lookup under another subject may report either.
	bobs, bob := newID(t), "b{o}b:1 ü"
	if err := s.Revoke(t.Context(), bob, bobs, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Revoke(%q, ...) error: %v", bob, err)
	}
	if _, revoked := lookup(t, s, bob, bobs); !revoked {
		t.Errorf("Lookup(%q, id) after Revoke(%q, id) reports not revoked", bob, bob)
	}
	if _, revoked := lookup(t, s, "alice", other); revoked {
		t.Error("Lookup of another ID reports revoked")
	}
	var zero auth.TokenID
	revoke(t, s, zero, time.Now().Add(time.Hour))
	if _, revoked := lookup(t, s, "alice", zero); !revoked {
		t.Error("the zero TokenID cannot be revoked")
	}
	// A store may drop a subject's denylist entries when its generation moves: every token
	// they name carries an older generation, so the new one refuses it anyway. It must keep
	// other subjects' entries, and record the subject's later revocations.
	increment(t, s, "alice")
	if g, _ := lookup(t, s, "alice", id); g != 1 {
		t.Errorf("Lookup after Revoke and IncrementGeneration = generation %d, want 1", g)
	}
	if _, revoked := lookup(t, s, bob, bobs); !revoked {
		t.Errorf("IncrementGeneration(alice) un-revoked an ID of %q", bob)
	}
	later := newID(t)
	revoke(t, s, later, time.Now().Add(time.Hour))
	if g, revoked := lookup(t, s, "alice", later); !revoked || g != 1 {
		t.Errorf("Lookup of an ID revoked after IncrementGeneration = %d, %v, want 1, true", g, revoked)
	}
}

// testRevokeOnce checks RevokeOnce: true for the first revocation of an ID only (also among
// concurrent calls), false again after a later expiry is recorded, false for an expiry in the
// past, and the ID revoked as by Revoke.
func testRevokeOnce(t *testing.T, s auth.RevocationStore) {
	ro, ok := s.(auth.RevokeOnceStore)
	if !ok {
		t.Skip("the store does not implement auth.RevokeOnceStore")
	}
	once := func(id auth.TokenID, expiry time.Time) bool {
		t.Helper()
		first, err := ro.RevokeOnce(t.Context(), "alice", id, expiry)
		if err != nil {
			t.Fatalf("RevokeOnce(alice, %v, %v) error: %v", id, expiry, err)
		}
		return first
	}
	id := newID(t)
	if !once(id, time.Now().Add(time.Hour)) {
		t.Error("the first RevokeOnce of an ID reported false")
	}
	if _, revoked := lookup(t, s, "alice", id); !revoked {
		t.Error("an ID revoked by RevokeOnce is not revoked")
	}
	if once(id, time.Now().Add(time.Hour)) || once(id, time.Now().Add(2*time.Hour)) {
		t.Error("RevokeOnce of an ID already revoked reported true")
	}
	revoked := newID(t)
	revoke(t, s, revoked, time.Now().Add(time.Hour))
	if once(revoked, time.Now().Add(time.Hour)) {
		t.Error("RevokeOnce of an ID revoked by Revoke reported true")
	}
	past := newID(t)
	if once(past, time.Now().Add(-time.Second)) {
		t.Error("RevokeOnce with an expiry in the past reported true")
	}
	if _, revoked := lookup(t, s, "alice", past); revoked {
		t.Error("RevokeOnce with an expiry in the past revoked the ID")
	}
	// Concurrent calls for one ID: exactly one reports true.
	for range 5 {
		shared := newID(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		firsts := 0
		for range 8 {
			wg.Go(func() {
				first, err := ro.RevokeOnce(t.Context(), "alice", shared, time.Now().Add(time.Hour))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("concurrent RevokeOnce: %v", err)
				}
				if first {
					firsts++
				}
			})
		}
		wg.Wait()
		if firsts != 1 {
			t.Fatalf("%d of 8 concurrent RevokeOnce calls for one ID reported true, want 1", firsts)
		}
	}
}

func testRevokePast(t *testing.T, s auth.RevocationStore) {
	for _, exp := range []time.Time{{}, time.Unix(0, 0), time.Now().Add(-time.Second)} {
		id := newID(t)
		revoke(t, s, id, exp)
		if _, revoked := lookup(t, s, "alice", id); revoked {
			t.Errorf("Revoke(id, %v) in the past left the ID revoked", exp)
		}
	}
}

func testRevokeAgain(t *testing.T, s auth.RevocationStore) {
	id := newID(t)
	revoke(t, s, id, time.Now().Add(time.Hour))
	revoke(t, s, id, time.Now().Add(-time.Second))
	revoke(t, s, id, time.Now().Add(2*time.Second))
	if _, revoked := lookup(t, s, "alice", id); !revoked {
		t.Error("revoking an ID again with an earlier expiry un-revoked it")
	}
	// Far-future expiries (beyond any TTL a backend might support natively) must work too.
	far := newID(t)
	revoke(t, s, far, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, revoked := lookup(t, s, "alice", far); !revoked {
		t.Error("Revoke with a far-future expiry did not take effect")
	}
}

func testConcurrentRevokes(t *testing.T, s auth.RevocationStore) {
	ids := make([]auth.TokenID, 64)
	for i := range ids {
		ids[i] = newID(t)
	}
	exp := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		// One subject each: a store may cap the entries of one subject (see
		// auth.MemoryRevocationConfig.MaxTokensPerSubject).
		wg.Go(func() { errs[i] = s.Revoke(t.Context(), "user"+strconv.Itoa(i), id, exp) })
	}
	wg.Wait()
	for i, id := range ids {
		if errs[i] != nil {
			t.Fatalf("concurrent Revoke: %v", errs[i])
		}
		if _, revoked := lookup(t, s, "user"+strconv.Itoa(i), id); !revoked {
			t.Errorf("ID %v revoked concurrently is not revoked", id)
		}
	}
}

func testExpiry(t *testing.T, s auth.RevocationStore) {
	if testing.Short() {
		t.Skip("waits for a denylist entry to expire")
	}
	id, keep := newID(t), newID(t)
	exp := time.Now().Add(1200 * time.Millisecond)
	revoke(t, s, id, exp)
	revoke(t, s, keep, time.Now().Add(time.Hour))
	if _, revoked := lookup(t, s, "alice", id); !revoked && time.Now().Before(exp) {
		t.Fatal("ID not revoked before its expiry")
	}
	// Wall-clock stores cannot be driven by a synthetic clock: poll until well past the expiry.
	deadline := exp.Add(5 * time.Second)
	for {
		if _, revoked := lookup(t, s, "alice", id); !revoked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ID still revoked 5s after its expiry %v", exp)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if time.Now().Before(exp) {
		t.Errorf("ID stopped being revoked before its expiry %v", exp)
	}
	if _, revoked := lookup(t, s, "alice", keep); !revoked {
		t.Error("an unexpired entry expired together with another one")
	}
}

func testCanceled(t *testing.T, s auth.RevocationStore) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	id := newID(t)
	if _, err := s.Generation(ctx, "alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("Generation(canceled ctx) error = %v, want context.Canceled", err)
	}
	if _, err := s.IncrementGeneration(ctx, "alice"); !errors.Is(err, context.Canceled) {
		t.Errorf("IncrementGeneration(canceled ctx) error = %v, want context.Canceled", err)
	}
	if err := s.Revoke(ctx, "alice", id, time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("Revoke(canceled ctx) error = %v, want context.Canceled", err)
	}
	if _, _, err := s.Lookup(ctx, "alice", id); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup(canceled ctx) error = %v, want context.Canceled", err)
	}
	if g := generation(t, s, "alice"); g != 0 {
		t.Errorf("IncrementGeneration with a canceled context still counted: generation %d", g)
	}
	if _, revoked := lookup(t, s, "alice", id); revoked {
		t.Error("Revoke with a canceled context still revoked the ID")
	}
}
