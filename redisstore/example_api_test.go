package redisstore_test

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/redisstore"
)

// TestExampleAPI runs the package example's service as two instances on one Redis: a logout
// everywhere on one holds on the other, and the two share one client's rate limit.
func TestExampleAPI(t *testing.T) {
	url := redisURL(t)
	secret := make([]byte, auth.MinKeySize)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	key, err := auth.NewKey("k1", secret)
	if err != nil {
		t.Fatal(err)
	}
	cfg := redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout}
	a, sessions, err := newAPI(newClient(t, url), cfg, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := newAPI(newClient(t, url), cfg, key)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := sessions.Login(t.Context(), auth.Claims{Subject: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	do := func(h http.Handler, method, path, addr string) int {
		t.Helper()
		r := httptest.NewRequest(method, path, nil)
		r.RemoteAddr = addr
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Header().Get("RateLimit-Policy") == "" {
			t.Errorf("%s %s: no RateLimit-Policy header", method, path)
		}
		return w.Code
	}
	if code := do(b, "GET", "/me", "192.0.2.1:1000"); code != http.StatusOK {
		t.Fatalf("GET /me on instance b = %d, want 200", code)
	}
	if code := do(a, "POST", "/logout-everywhere", "192.0.2.1:1000"); code != http.StatusNoContent {
		t.Fatalf("POST /logout-everywhere on instance a = %d, want 204", code)
	}
	if code := do(b, "GET", "/me", "192.0.2.1:1000"); code != http.StatusUnauthorized {
		t.Fatalf("GET /me on instance b after logging out everywhere on a = %d, want 401", code)
	}

	// The burst of 20 per client, spread over both instances: the 21st request is refused
	// wherever it lands. 192.0.2.1 already used 3.
	admitted := 3
	start := time.Now()
	for i := range 40 {
		h := a
		if i%2 == 1 {
			h = b
		}
		if code := do(h, "GET", "/me", "192.0.2.1:1000"); code != http.StatusTooManyRequests {
			admitted++
		}
	}
	// The bucket refills 10 per second while the loop runs.
	if most := 20 + 1 + int(time.Since(start).Seconds()*10); admitted < 20 || admitted > most {
		t.Fatalf("one client over two instances got %d requests through, want 20 to %d", admitted, most)
	}
	if code := do(a, "GET", "/me", "192.0.2.2:1000"); code == http.StatusTooManyRequests {
		t.Fatal("another client was refused: limits must be per client")
	}
}
