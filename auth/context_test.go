package auth_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
)

type otherKey struct{}

// TestContextWithClaims checks that the claims context behaves like context.WithValue: the
// claims come back, the innermost claims win, other values and cancellation pass through, and a
// context derived from it is cancelled with its parent.
func TestContextWithClaims(t *testing.T) {
	if _, ok := auth.ClaimsFromContext(context.Background()); ok {
		t.Fatal("claims in an empty context")
	}
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), otherKey{}, "v"))
	outer := auth.Claims{Subject: "alice", Roles: []string{"user"}, Generation: 3, Expiry: time.Unix(1e9, 0).UTC()}
	ctx := auth.ContextWithClaims(parent, outer)
	got, ok := auth.ClaimsFromContext(ctx)
	if !ok || got.Subject != "alice" || !slices.Equal(got.Roles, outer.Roles) || got.Generation != 3 || !got.Expiry.Equal(outer.Expiry) {
		t.Fatalf("ClaimsFromContext = %+v, %v; want %+v", got, ok, outer)
	}
	got.Subject = "mallory" // a copy: the context's claims do not change
	if c, _ := auth.ClaimsFromContext(ctx); c.Subject != "alice" {
		t.Fatalf("editing the returned claims changed the context's: %q", c.Subject)
	}
	if v, _ := ctx.Value(otherKey{}).(string); v != "v" {
		t.Errorf("parent value = %q, want v", v)
	}
	inner := auth.ContextWithClaims(context.WithValue(ctx, otherKey{}, "w"), auth.Claims{Subject: "bob"})
	if c, _ := auth.ClaimsFromContext(inner); c.Subject != "bob" {
		t.Errorf("inner claims = %q, want bob", c.Subject)
	}
	if !strings.Contains(ctx.(interface{ String() string }).String(), "auth.Claims") ||
		strings.Contains(ctx.(interface{ String() string }).String(), "alice") {
		t.Errorf("String() = %q: want the type, not the claims", ctx)
	}

	child, stop := context.WithTimeout(inner, time.Hour)
	defer stop()
	errBoom := errors.New("boom")
	cancel(errBoom)
	for _, c := range []context.Context{ctx, inner, child} {
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("cancellation did not reach a derived context")
		}
		if !errors.Is(c.Err(), context.Canceled) || !errors.Is(context.Cause(c), errBoom) {
			t.Errorf("Err = %v, Cause = %v; want Canceled caused by boom", c.Err(), context.Cause(c))
		}
	}

	defer func() {
		if recover() == nil {
			t.Error("ContextWithClaims(nil, ...) did not panic")
		}
	}()
	//lint:ignore SA1012 the nil context is the point of the test
	auth.ContextWithClaims(nil, outer) //nolint:staticcheck // SA1012: the nil context is the point of the test
}

// TestContextWithClaimsAllocs checks that putting claims in a context costs one allocation, and
// reading them none.
func TestContextWithClaimsAllocs(t *testing.T) {
	c := auth.Claims{Subject: "alice", Roles: []string{"user"}}
	parent := context.Background()
	var ctx context.Context
	if n := testing.AllocsPerRun(100, func() { ctx = auth.ContextWithClaims(parent, c) }); n != 1 {
		t.Errorf("ContextWithClaims: %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = auth.ClaimsFromContext(ctx) }); n != 0 {
		t.Errorf("ClaimsFromContext: %v allocations, want 0", n)
	}
}

// TestContextWithClaimsExact checks that claims come back from the context exactly as they went
// in (reflect.DeepEqual: same instants, locations and monotonic readings), both the whole-second
// UTC times of verified tokens, which the context keeps as Unix seconds, and any other times.
func TestContextWithClaimsExact(t *testing.T) {
	sec := time.Unix(1790000000, 0).UTC()
	id := auth.TokenID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	base := auth.Claims{Subject: "alice", Roles: []string{"user", "admin", "x"}, ID: id, IssuedAt: sec,
		Expiry: sec.Add(time.Hour), AuthTime: sec.Add(-time.Minute), Generation: 7, Extra: []byte{1, 2}}
	for _, tc := range []struct {
		name string
		edit func(*auth.Claims)
	}{
		{"token times", func(*auth.Claims) {}},
		{"not before", func(c *auth.Claims) { c.NotBefore = sec.Add(time.Second) }},
		{"no times", func(c *auth.Claims) { *c = auth.Claims{Subject: "bob"} }},
		{"zero claims", func(c *auth.Claims) { *c = auth.Claims{} }},
		{"nanoseconds", func(c *auth.Claims) { c.IssuedAt = sec.Add(time.Nanosecond) }},
		{"local time", func(c *auth.Claims) { c.Expiry = time.Unix(1790003600, 0) }},
		{"other zone", func(c *auth.Claims) { c.AuthTime = sec.In(time.FixedZone("X", 3600)) }},
		{"monotonic reading", func(c *auth.Claims) { c.NotBefore = time.Now() }},
		{"the Unix epoch", func(c *auth.Claims) { c.NotBefore = time.Unix(0, 0).UTC() }},
		{"before 1970", func(c *auth.Claims) { c.AuthTime = time.Unix(-86400, 0).UTC() }},
	} {
		c := base
		c.Roles = slices.Clone(base.Roles)
		tc.edit(&c)
		got, ok := auth.ClaimsFromContext(auth.ContextWithClaims(context.Background(), c))
		if !ok || !reflect.DeepEqual(got, c) {
			t.Errorf("%s: ClaimsFromContext = %#v, %v; want %#v", tc.name, got, ok, c)
		}
	}
}
