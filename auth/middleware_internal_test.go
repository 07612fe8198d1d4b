package auth

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestMiddlewareAllocs checks the allocations of an authenticated request in Bearer mode with a
// token of one role: the request copy, the context with the claims and roles, and the strings.
// (The race detector drops sync.Pool items, so it would count the token buffers too.)
func TestMiddlewareAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	key, err := NewKey("k1", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := NewKeyring(TokenConfig{}, key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSessions(kr, SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.Login(t.Context(), Claims{Subject: "alice", Roles: []string{"user"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMiddleware(s, MiddlewareConfig{})
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served++ }))
	r := httptest.NewRequest(http.MethodGet, "/me", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) }); n != 3 {
		t.Errorf("%v allocations per authenticated request, want 3", n)
	}
	if served != 101 {
		t.Errorf("served %d requests, want 101", served)
	}
}
