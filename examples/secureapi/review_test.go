package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// Regression tests for the findings of the independent review of the examples (issue 13).

// TestConcurrentLoginThrottle: parallel wrong passwords for one account get no more checks
// than sequential ones. Peeking at the limiters and charging failures after the (slow) password
// check let all 40 in-flight guesses through.
func TestConcurrentLoginThrottle(t *testing.T) {
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil, nil, "-rate", "1000")
	const n = 40
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			codes[i] = s.do("POST", "/api/login", creds("admin", fmt.Sprintf("wrong-guess-number-%03d", i))).status
		})
	}
	wg.Wait()
	checked, throttled := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
			throttled++
		}
	}
	if checked > 5 || checked+throttled != n {
		t.Errorf("%d of %d parallel guesses checked, %d throttled; want at most 5 checked (the per-user limit) and the rest throttled", checked, n, throttled)
	}
}

// TestLoginsInFlightPerAddress (finding 1, follow-up): one address sends parallel wrong
// passwords for many different accounts, so that the per-account limit never triggers. The
// per-address failure limit (20) is peeked before the slow password check and charged after
// it; without a cap on logins in flight, all 40 passed the same peek and were checked. With at
// most 2 in flight, at most 20+1 are checked and the excess gets 429 with Retry-After: 1.
func TestLoginsInFlightPerAddress(t *testing.T) {
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil, nil, "-rate", "1000")
	const n = 40
	var wg sync.WaitGroup
	res := make([]response, n)
	for i := range n {
		wg.Go(func() {
			res[i] = s.do("POST", "/api/login", creds(fmt.Sprintf("victim%03d", i), fmt.Sprintf("wrong-guess-number-%03d", i)))
		})
	}
	wg.Wait()
	checked, inFlight := 0, 0
	for _, r := range res {
		switch {
		case r.status == http.StatusUnauthorized:
			checked++
		case r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "1" &&
			r.str("error") == "Too many login attempts in progress; try again later":
			inFlight++
		case r.status != http.StatusTooManyRequests:
			t.Errorf("parallel login = %d %s, want 401 or 429", r.status, r.raw)
		}
	}
	if checked > 21 {
		t.Errorf("%d of %d parallel guesses against distinct accounts from one address were checked, want at most 21 (per-address limit 20 + 2 in flight - 1)", checked, n)
	}
	if inFlight == 0 {
		t.Errorf("no parallel login was refused for being in flight (429 with Retry-After: 1); %d checked", checked)
	}
}

// TestLoginSlots checks the bookkeeping of logins in flight: two slots per address, others
// independent, and entries deleted at zero so the map stays bounded by the requests in flight.
func TestLoginSlots(t *testing.T) {
	var a app
	if !a.enterLogin("192.0.2.1/32") || !a.enterLogin("192.0.2.1/32") {
		t.Fatal("the first two logins of an address were refused")
	}
	if a.enterLogin("192.0.2.1/32") {
		t.Error("a third login in flight from one address was admitted")
	}
	if !a.enterLogin("192.0.2.2/32") {
		t.Error("another address was refused")
	}
	a.leaveLogin("192.0.2.1/32")
	if !a.enterLogin("192.0.2.1/32") {
		t.Error("a freed slot was not given again")
	}
	a.leaveLogin("192.0.2.1/32")
	a.leaveLogin("192.0.2.1/32")
	a.leaveLogin("192.0.2.2/32")
	if len(a.loginInFlight) != 0 {
		t.Errorf("loginInFlight = %v after every login left, want empty", a.loginInFlight)
	}
}

// serveTest sends one request through the whole stack of newTestApp, from one address.
func serveTest(h http.Handler, method, path string, hdrs ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://127.0.0.1"+path, nil)
	r.RemoteAddr = "198.51.100.7:1"
	for i := 0; i+1 < len(hdrs); i += 2 {
		r.Header.Set(hdrs[i], hdrs[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// aliceSession starts one more session of alice, the user of newTestApp.
func aliceSession(t *testing.T, a *app) string {
	t.Helper()
	tok, _, err := a.sessions.Login(context.Background(), auth.Claims{Subject: "alice", Roles: []string{roleUser}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLogoutWhenRevocationsFull (finding 3): with the service-wide denylist full, a logout
// used to answer 500 and leave the token valid. It must now log the user out everywhere.
func TestLogoutWhenRevocationsFull(t *testing.T) {
	a, mw, token := newTestApp(t)
	other := aliceSession(t, a)
	a.store.mu.Lock()
	exp := time.Now().Add(12 * time.Hour)
	for i := range maxRevoked {
		var id auth.TokenID
		id[0], id[1], id[2], id[15] = byte(i), byte(i>>8), byte(i>>16), 0xee
		a.store.st.Revoked[id] = exp
	}
	a.store.mu.Unlock()
	h := a.routes(mw)
	w := serveTest(h, "POST", "/api/logout", "Authorization", "Bearer "+token)
	if w.Code != http.StatusNoContent {
		t.Fatalf("logout with the denylist full = %d %s, want 204", w.Code, w.Body)
	}
	for name, tok := range map[string]string{"logged-out token": token, "other session": other} {
		if code := serveTest(h, "GET", "/api/profile", "Authorization", "Bearer "+tok).Code; code != http.StatusUnauthorized {
			t.Errorf("profile with the %s after a logout with the denylist full = %d, want 401", name, code)
		}
	}
}

// TestLogoutPerUserCap (finding 3): one user's logouts take at most maxRevokedPerUser denylist
// entries; past that a logout is a logout everywhere, which also frees the user's entries.
func TestLogoutPerUserCap(t *testing.T) {
	a, mw, _ := newTestApp(t)
	h := a.routes(mw)
	keep := aliceSession(t, a)
	for i := range maxRevokedPerUser {
		tok := aliceSession(t, a)
		if w := serveTest(h, "POST", "/api/logout", "Authorization", "Bearer "+tok); w.Code != http.StatusNoContent {
			t.Fatalf("logout %d = %d %s", i+1, w.Code, w.Body)
		}
	}
	if code := serveTest(h, "GET", "/api/profile", "Authorization", "Bearer "+keep).Code; code != http.StatusOK {
		t.Fatalf("another session after %d logouts = %d, want 200 (only the logged-out sessions end)", maxRevokedPerUser, code)
	}
	owned := func() int {
		a.store.mu.RLock()
		defer a.store.mu.RUnlock()
		n := 0
		for _, o := range a.store.st.RevokedOwners {
			if o == "alice" {
				n++
			}
		}
		return n
	}
	if n := owned(); n != maxRevokedPerUser {
		t.Fatalf("%d denylist entries charged to alice, want %d", n, maxRevokedPerUser)
	}
	tok := aliceSession(t, a)
	if w := serveTest(h, "POST", "/api/logout", "Authorization", "Bearer "+tok); w.Code != http.StatusNoContent {
		t.Fatalf("logout past the per-user cap = %d %s, want 204", w.Code, w.Body)
	}
	for name, tk := range map[string]string{"logged-out token": tok, "other session": keep} {
		if code := serveTest(h, "GET", "/api/profile", "Authorization", "Bearer "+tk).Code; code != http.StatusUnauthorized {
			t.Errorf("profile with the %s after a logout past the cap = %d, want 401 (logged out everywhere)", name, code)
		}
	}
	if n := owned(); n != 0 {
		t.Errorf("%d denylist entries still charged to alice after a logout everywhere, want 0", n)
	}
}

// TestLogoutClearsCookieOnError (finding 3): the session cookie is cleared even when the
// revocation fails.
func TestLogoutClearsCookieOnError(t *testing.T) {
	a, mw, token := newTestApp(t)
	h := a.routes(mw)
	_ = a.store.close() // every write now fails
	for _, path := range []string{"/api/logout", "/api/logout-all"} {
		w := serveTest(h, "POST", path, "Cookie", a.cookie.CookieName()+"="+token)
		if w.Code != http.StatusInternalServerError {
			t.Errorf("%s with the store closed = %d, want 500", path, w.Code)
		}
		cleared := false
		for _, c := range w.Result().Cookies() {
			cleared = cleared || (c.Name == a.cookie.CookieName() && c.Value == "" && c.MaxAge < 0)
		}
		if !cleared {
			t.Errorf("%s with the store closed: Set-Cookie %q, want the session cookie cleared", path, w.Header().Values("Set-Cookie"))
		}
	}
}
