package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authtest"
)

func TestMemoryRevocationStoreConformance(t *testing.T) {
	authtest.TestRevocationStore(t, func(t *testing.T) auth.RevocationStore {
		s, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// tokClock is a synthetic tokClock for tests.
type tokClock struct{ t time.Time }

func newTokClock() *tokClock                { return &tokClock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)} }
func (c *tokClock) Now() time.Time          { return c.t }
func (c *tokClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func TestMemoryRevocationStoreExpiry(t *testing.T) {
	clk := newTokClock()
	s, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	id := auth.TokenID{1}
	tokT0 := clk.Now()
	if err := s.Revoke(ctx, "alice", id, tokT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Duration
		want bool
	}{
		{0, true},
		{59 * time.Second, true},
		{time.Minute - time.Nanosecond, true},
		{time.Minute, false},
		{time.Hour, false},
	}
	for _, tc := range tests {
		clk.t = tokT0.Add(tc.at)
		_, revoked, err := s.Lookup(ctx, "alice", id)
		if err != nil || revoked != tc.want {
			t.Errorf("Lookup at tokT0+%v = %v, %v, want %v, nil", tc.at, revoked, err, tc.want)
		}
	}
}

func TestMemoryRevocationStoreBounded(t *testing.T) {
	clk := newTokClock()
	s, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{MaxSubjects: 2, MaxTokens: 3, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for i := range 3 {
		if err := s.Revoke(ctx, "alice", auth.TokenID{byte(i)}, clk.Now().Add(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatalf("Revoke #%d: %v", i, err)
		}
	}
	if err := s.Revoke(ctx, "alice", auth.TokenID{9}, clk.Now().Add(time.Hour)); !errors.Is(err, auth.ErrRevocationStoreFull) {
		t.Fatalf("Revoke beyond MaxTokens error = %v, want ErrRevocationStoreFull", err)
	}
	// Revoking an ID already held is not a new entry.
	if err := s.Revoke(ctx, "alice", auth.TokenID{0}, clk.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Revoke of a held ID at the bound: %v", err)
	}
	// Once entries expire, their room is reused.
	clk.Advance(3*time.Minute + time.Second)
	if err := s.Revoke(ctx, "alice", auth.TokenID{9}, clk.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Revoke after expiry freed room: %v", err)
	}
	if _, n := s.Len(); n != 2 {
		t.Errorf("denylist entries after expiry = %d, want 2", n)
	}
	for _, tc := range []struct {
		id   auth.TokenID
		want bool
	}{{auth.TokenID{0}, true}, {auth.TokenID{1}, false}, {auth.TokenID{2}, false}, {auth.TokenID{9}, true}} {
		if _, revoked, _ := s.Lookup(ctx, "x", tc.id); revoked != tc.want {
			t.Errorf("Lookup(%v) revoked = %v, want %v", tc.id, revoked, tc.want)
		}
	}

	for _, sub := range []string{"a", "b"} {
		if _, err := s.IncrementGeneration(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.IncrementGeneration(ctx, "c"); !errors.Is(err, auth.ErrRevocationStoreFull) {
		t.Errorf("IncrementGeneration beyond MaxSubjects error = %v, want ErrRevocationStoreFull", err)
	}
	if g, err := s.IncrementGeneration(ctx, "a"); err != nil || g != 2 {
		t.Errorf("IncrementGeneration(held subject) at the bound = %d, %v, want 2, nil", g, err)
	}
}

func TestMemoryRevocationStoreHeapStaysBounded(t *testing.T) {
	clk := newTokClock()
	s, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{MaxTokens: 4, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	// Re-revoking one ID with ever later expiries must not grow memory without bound.
	for i := range 1000 {
		if err := s.Revoke(t.Context(), "alice", auth.TokenID{1}, clk.Now().Add(time.Duration(i+1)*time.Second)); err != nil {
			t.Fatalf("Revoke #%d: %v", i, err)
		}
	}
	if _, n := s.Len(); n != 1 {
		t.Errorf("entries = %d, want 1", n)
	}
	clk.Advance(999 * time.Second)
	if _, revoked, _ := s.Lookup(t.Context(), "x", auth.TokenID{1}); !revoked {
		t.Error("latest expiry not kept")
	}
	clk.Advance(time.Second)
	if _, revoked, _ := s.Lookup(t.Context(), "x", auth.TokenID{1}); revoked {
		t.Error("entry outlived its latest expiry")
	}
}

func TestNewMemoryRevocationStoreRejectsNegativeBounds(t *testing.T) {
	for _, cfg := range []auth.MemoryRevocationConfig{{MaxSubjects: -1}, {MaxTokens: -1}} {
		if _, err := auth.NewMemoryRevocationStore(cfg); err == nil {
			t.Errorf("NewMemoryRevocationStore(%+v) succeeded, want error", cfg)
		}
	}
}

// TestMemoryRevocationStorePerSubject checks that one subject cannot fill the denylist: past
// MaxTokensPerSubject its revocations fail, while other subjects' still succeed, and its room
// comes back as its entries expire.
func TestMemoryRevocationStorePerSubject(t *testing.T) {
	clk := newTokClock()
	s, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{MaxTokens: 10, MaxTokensPerSubject: 3, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for i := range 3 {
		if err := s.Revoke(ctx, "mallory", auth.TokenID{byte(i)}, clk.Now().Add(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatalf("Revoke #%d: %v", i, err)
		}
	}
	if err := s.Revoke(ctx, "mallory", auth.TokenID{3}, clk.Now().Add(time.Hour)); !errors.Is(err, auth.ErrRevocationStoreFull) {
		t.Fatalf("Revoke beyond MaxTokensPerSubject error = %v, want ErrRevocationStoreFull", err)
	}
	// Extending a held entry is not a new one, whatever subject is given.
	if err := s.Revoke(ctx, "alice", auth.TokenID{0}, clk.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Revoke of a held ID: %v", err)
	}
	for i := range 3 {
		if err := s.Revoke(ctx, "alice", auth.TokenID{byte(10 + i)}, clk.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Revoke of another subject #%d: %v", i, err)
		}
	}
	// mallory's entries 1 and 2 expire (entry 0 was extended, and stays mallory's): room for
	// two more.
	clk.Advance(3*time.Minute + time.Second)
	for i := range 2 {
		if err := s.Revoke(ctx, "mallory", auth.TokenID{byte(20 + i)}, clk.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Revoke after expiry #%d: %v", i, err)
		}
	}
	if err := s.Revoke(ctx, "mallory", auth.TokenID{22}, clk.Now().Add(time.Hour)); !errors.Is(err, auth.ErrRevocationStoreFull) {
		t.Errorf("Revoke beyond MaxTokensPerSubject after expiry error = %v, want ErrRevocationStoreFull", err)
	}
	if _, n := s.Len(); n != 6 {
		t.Errorf("entries = %d, want 6", n)
	}
	if _, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{MaxTokensPerSubject: -1}); err == nil {
		t.Error("a negative MaxTokensPerSubject was accepted")
	}
}
