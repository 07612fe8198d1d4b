package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/sanitize"
	"github.com/rampart-go/rampart/secretbox"
)

// Regression tests for the findings of the independent review of the examples (issue 13).

// TestConcurrentLoginThrottle: parallel wrong passwords for one account get no more checks
// than sequential ones. Peeking at the limiters and charging failures after the (slow) password
// check let all 40 in-flight guesses through.
func TestConcurrentLoginThrottle(t *testing.T) {
	// 40 requests at once may open 40 connections, more than one address's share.
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil,
		func(c *config) { c.connsPerClient = 64 }, "-rate", "1000")
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
	// 40 requests at once may open 40 connections, more than one address's share.
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil,
		func(c *config) { c.connsPerClient = 64 }, "-rate", "1000")
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
	for i := range maxLoginsInFlight {
		if !a.enterLogin("192.0.2.1/32") {
			t.Fatalf("login %d of an address was refused", i+1)
		}
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
	return serveTestBody(h, method, path, "", hdrs...)
}

// serveTestBody is serveTest with a JSON body.
func serveTestBody(h http.Handler, method, path, body string, hdrs ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://127.0.0.1"+path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
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

// TestItemQuota (finding 4): one user can store at most maxItemsPerUser items (507 with a clear
// error beyond), so one account cannot fill the store, and slow every write, for everyone.
func TestItemQuota(t *testing.T) {
	a, mw, token := newTestApp(t)
	h := a.routes(mw)
	a.store.mu.Lock()
	for i := range maxItemsPerUser - 1 {
		a.store.st.Items = append(a.store.st.Items, item{ID: uint64(i + 1), Title: "t", Content: "c", Author: "alice"})
	}
	a.store.st.NextID = maxItemsPerUser
	a.store.mu.Unlock()
	data := `{"title":"t","content":"c"}`
	if w := serveTestBody(h, "POST", "/api/data", data, "Authorization", "Bearer "+token); w.Code != http.StatusCreated {
		t.Fatalf("item %d = %d %s, want 201", maxItemsPerUser, w.Code, w.Body)
	}
	w := serveTestBody(h, "POST", "/api/data", data, "Authorization", "Bearer "+token)
	if w.Code != http.StatusInsufficientStorage || !strings.Contains(w.Body.String(), "Item quota reached") {
		t.Errorf("item %d = %d %s, want 507 with the quota error", maxItemsPerUser+1, w.Code, w.Body)
	}
	if _, err := a.store.addItem(item{Title: "t", Content: "c", Author: "ALICE"}); !errors.Is(err, errQuota) {
		t.Errorf("addItem for ALICE (same user, other case) = %v, want errQuota", err)
	}
	if _, err := a.store.addItem(item{Title: "t", Content: "c", Author: "bob"}); err != nil {
		t.Errorf("addItem for another user = %v, want nil", err)
	}
}

// TestRegistrationsPerIP (finding 4): one client address creates at most 5 accounts an hour;
// invalid attempts are not charged, attempts on a taken name are (see
// TestRegisterNoExistenceOracle); another address is not affected.
func TestRegistrationsPerIP(t *testing.T) {
	clk := &testClock{}
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, clk, nil,
		"-rate", "1000", "-trusted-proxy", "127.0.0.0/8,::1/128")
	xff := "X-Forwarded-For"
	want(t, "invalid registration", s.do("POST", "/api/register", creds("x", newPassword(t)), xff, "203.0.113.9"), http.StatusBadRequest, "")
	want(t, "taken name", s.do("POST", "/api/register", creds("admin", newPassword(t)), xff, "203.0.113.9"), http.StatusConflict, "")
	for i := range 4 {
		want(t, fmt.Sprintf("registration %d", i+2), s.do("POST", "/api/register", creds(fmt.Sprintf("user%d", i), newPassword(t)), xff, "203.0.113.9"), http.StatusCreated, "")
	}
	r := s.do("POST", "/api/register", creds("user5", newPassword(t)), xff, "203.0.113.9")
	want(t, "registration 6", r, http.StatusTooManyRequests, "Too many accounts created from this address; try again later")
	wait, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || wait < 1 || wait > 3600 {
		t.Errorf("Retry-After = %q, want 1 to 3600 seconds", r.header.Get("Retry-After"))
	}
	want(t, "registration from another address", s.do("POST", "/api/register", creds("user6", newPassword(t)), xff, "192.0.2.77"), http.StatusCreated, "")
	clk.advance(time.Hour)
	want(t, "registration an hour later", s.do("POST", "/api/register", creds("user5", newPassword(t)), xff, "203.0.113.9"), http.StatusCreated, "")
}

// TestMaxConns (finding 4): the server caps its concurrent connections (1024 by default; 1
// here): while one connection is open, another is not served.
func TestMaxConns(t *testing.T) {
	if defaultMaxConns != 1024 {
		t.Errorf("defaultMaxConns = %d, want 1024", defaultMaxConns)
	}
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil,
		func(c *config) { c.maxConns = 1 })
	hold, err := net.Dial("tcp", strings.TrimPrefix(s.url, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	short := *s.client
	short.Timeout = 500 * time.Millisecond
	if resp, err := short.Get(s.url + "/healthz"); err == nil {
		_ = resp.Body.Close()
		t.Error("a second connection was served while the cap of 1 was taken")
	}
	_ = hold.Close()
	want(t, "healthz once the connection closed", s.do("GET", "/healthz", ""), http.StatusOK, "")
}

// TestLogProblems (finding 12): the log check exempts only the one-time password notice; a
// plain-text line that leaks a secret, or any other non-JSON line, is caught.
func TestLogProblems(t *testing.T) {
	const secret = "correct-horse-battery"
	record := `{"level":"INFO","msg":"ok"}`
	notice := "\n" + adminPasswordNotice + "\n\n    " + secret + "\n\n"
	for _, tc := range []struct {
		name, logs string
		problems   int
	}{
		{"records and the notice", record + "\n" + notice + record + "\n", 0},
		{"plain-text leak", record + "\npanic: login " + secret + "\n", 2},
		{"plain-text line", record + "\nsomething happened\n", 1},
		{"indented leak without the notice", record + "\n    " + secret + "\n", 2},
		{"secret in a record", `{"msg":"` + secret + `"}` + "\n", 1},
		{"notice alone", notice, 1},
	} {
		if got := logProblems(tc.logs, secrets{secret}); len(got) != tc.problems {
			t.Errorf("%s: logProblems = %q, want %d problems", tc.name, got, tc.problems)
		}
	}
}

// TestLogFields (finding 12): the login record says how the token was handed over in
// "delivery" (any key holding "cookie" is sensitive, so the redactor hid the flag), and a refused cross-origin request logs at most
// maxLogValue bytes of its Origin header.
func TestLogFields(t *testing.T) {
	pw := newPassword(t)
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": pw}, nil, nil, "-rate", "1000")
	want(t, "cookie login", s.do("POST", "/api/login?cookie=1", creds("admin", pw)), http.StatusOK, "")
	origin := "https://" + strings.Repeat("o", 300) + ".example"
	want(t, "cross-origin POST", s.do("POST", "/api/logout", "", "Origin", origin, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "")
	s.stop()
	var login, csrf map[string]any
	for line := range strings.SplitSeq(s.stderr.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		switch rec["event"] {
		case "login":
			login = rec
		case "csrf_refused":
			csrf = rec
		}
	}
	if login == nil || login["delivery"] != "cookie" || login["cookie"] != nil {
		t.Errorf("login record = %v, want delivery cookie and no cookie attribute", login)
	}
	o, _ := csrf["origin"].(string)
	if csrf == nil || len(o) > maxLogValue || !strings.HasPrefix(origin, o) || o == "" {
		t.Errorf("csrf_refused record = %v, want an origin of at most %d bytes cut from the header", csrf, maxLogValue)
	}
}

// serveOnce runs serve on dir and returns its error if it stops before listening; if it starts,
// it is shut down and the test fails.
func serveOnce(t *testing.T, dir string) error {
	t.Helper()
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-data", dir}, func(k string) string {
		if k == "SECUREAPI_ADMIN_PASSWORD" {
			return "a long enough admin password for tests"
		}
		return ""
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := false
	cfg.ready = func(string) { started = true; cancel() }
	err = serve(ctx, cfg, io.Discard, io.Discard)
	if started {
		t.Errorf("serve on %s started, want a refusal", dir)
	}
	return err
}

// TestDataDirLocked (finding 13): a second process on the same data directory is refused,
// since each would rewrite the store from its own state; the lock goes with the first.
func TestDataDirLocked(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("the data directory lock is taken on Unix systems")
	}
	dir := t.TempDir()
	s := startServer(t, dir, map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil, nil)
	if err := serveOnce(t, dir); !errors.Is(err, errDataDirInUse) {
		t.Errorf("second serve on the same -data = %v, want errDataDirInUse", err)
	}
	s.stop()
	s2 := startServer(t, dir, nil, nil, nil)
	want(t, "healthz after the first process stopped", s2.do("GET", "/healthz", ""), http.StatusOK, "")
}

// TestDataDirPermissions (finding 14): a data directory writable by others, or a symbolic
// link, is refused.
func TestDataDirPermissions(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("permissions are checked on Unix systems")
	}
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil { //nolint:gosec // G302: the test makes the directory too open on purpose
		t.Fatal(err)
	}
	if err := serveOnce(t, open); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("serve on a 0777 -data = %v, want a refusal", err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := serveOnce(t, link); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("serve on a symlinked -data = %v, want a refusal", err)
	}
	if err := checkDataDir(t.TempDir()); err != nil {
		t.Errorf("checkDataDir(a private directory) = %v, want nil", err)
	}
}

// TestDevCANoSymlink (finding 14): a symbolic link planted at dev-ca.pem is replaced by the CA
// file, not followed.
func TestDevCANoSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "dev-ca.pem")); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir, map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil, nil)
	want(t, "healthz with the written CA", s.do("GET", "/healthz", ""), http.StatusOK, "")
	if b, err := os.ReadFile(victim); err != nil || string(b) != "precious" {
		t.Errorf("the symlink's target = %q, %v; want it untouched", b, err)
	}
	fi, err := os.Lstat(filepath.Join(dir, "dev-ca.pem"))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
		t.Errorf("dev-ca.pem = %v, %v; want a regular file of mode 0644", fi, err)
	}
}

// TestLoopbackChecks (finding 15): under -http the listener's real address must be loopback
// (the name "localhost" could resolve elsewhere), and requests must name a loopback host, so
// that a DNS-rebinding page cannot reach the API through a browser.
func TestLoopbackChecks(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 80}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.2"), Port: 80}, true},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 80}, false},
		{&net.TCPAddr{IP: net.IPv6zero, Port: 80}, false},
	} {
		if got := isLoopback(tc.addr); got != tc.want {
			t.Errorf("isLoopback(%v) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	for host, ok := range map[string]bool{
		"localhost": true, "LOCALHOST:8080": true, "127.0.0.1": true, "127.0.0.1:8443": true,
		"[::1]": true, "[::1]:8443": true, "127.0.0.2:80": true,
		"evil.example": false, "evil.example:8443": false, "localhost.evil.example": false,
		"": false, "192.0.2.1:80": false, "[fe80::1%25lo]:80": false, "0.0.0.0": false,
	} {
		if got := loopbackHost(host); got != ok {
			t.Errorf("loopbackHost(%q) = %v, want %v", host, got, ok)
		}
	}

	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil, nil, "-http")
	port := s.url[strings.LastIndex(s.url, ":")+1:]
	for host, code := range map[string]int{
		"rebound.evil.example:" + port: http.StatusMisdirectedRequest,
		"localhost:" + port:            http.StatusOK,
		"127.0.0.1:" + port:            http.StatusOK,
		"localhost":                    http.StatusOK,
	} {
		req, err := http.NewRequest("GET", s.url+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET /healthz with Host %q under -http = %d, want %d", host, resp.StatusCode, code)
		}
	}
}

// TestTakeEnv (finding 17): the admin password is removed from the environment once read;
// other variables are left alone.
func TestTakeEnv(t *testing.T) {
	t.Setenv(envAdminPassword, "from the environment")
	t.Setenv("SECUREAPI_TEST_OTHER", "kept")
	if got := takeEnv(envAdminPassword); got != "from the environment" {
		t.Errorf("takeEnv = %q", got)
	}
	if v, ok := os.LookupEnv(envAdminPassword); ok {
		t.Errorf("%s = %q after it was read, want it unset", envAdminPassword, v)
	}
	if takeEnv("SECUREAPI_TEST_OTHER") != "kept" || os.Getenv("SECUREAPI_TEST_OTHER") != "kept" {
		t.Error("another variable was removed")
	}
}

// TestReadersDoNotWaitForWrites (finding 4): while a write is under way (held here in the
// middle), readers, among them the revocation Lookup of every authenticated request, are
// answered at once, and do not see the change before it is on disk.
func TestReadersDoNotWaitForWrites(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	if err := st.createUser(user{Name: "alice", Role: roleUser}); err != nil {
		t.Fatal(err)
	}
	inWrite, release := make(chan struct{}), make(chan struct{})
	st.beforeWrite = func() { close(inWrite); <-release }
	written := make(chan error, 1)
	go func() {
		_, err := st.addItem(item{Title: "t", Content: "c", Author: "alice"})
		written <- err
	}()
	<-inWrite
	read := make(chan int, 1)
	go func() {
		_, _, _ = st.Lookup(context.Background(), "alice", auth.TokenID{})
		_, _ = st.user("alice")
		read <- len(st.items())
	}()
	stuck := false
	select {
	case n := <-read:
		if n != 0 {
			t.Errorf("a reader saw %d items during the write, want 0 (nothing before it is on disk)", n)
		}
	case <-time.After(30 * time.Second):
		t.Error("readers waited for a write in progress")
		stuck = true
	}
	close(release)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if stuck {
		<-read // the stuck reader finishes now
	}
	if n := len(st.items()); n != 1 {
		t.Errorf("%d items after the write, want 1", n)
	}
}

// Regression tests for the findings of the review of secureapi as the flagship example.

// TestIdleConnsPerClient (flagship review, finding 1): one client address opens more than its
// share of keep-alive connections, makes one cheap request on each and leaves them idle; another
// client must still be served. Before the per-address cap, the first client held every one of
// the MaxConns slots (for the 120-second idle timeout) and the other waited in the accept
// queue. The second client sends from 127.0.0.2, another loopback address.
func TestIdleConnsPerClient(t *testing.T) {
	const slots, share = 8, 2
	if probe, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("127.0.0.2 is not a local address here: %v", err)
	} else {
		_ = probe.Close()
	}
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil,
		func(c *config) { c.maxConns, c.connsPerClient = slots, share })
	caPEM, err := os.ReadFile(filepath.Join(s.dir, "dev-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	addr := strings.TrimPrefix(s.url, "https://")
	served := 0
	for range slots {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12})
		if err != nil {
			continue // refused: over the share
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			continue
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			continue
		}
		_ = resp.Body.Close()
		served++ // and left open, idle
	}
	if served > share {
		t.Errorf("one address was served on %d connections at once, want at most %d", served, share)
	}

	other := clientFor(t, filepath.Join(s.dir, "dev-ca.pem"))
	other.Timeout = 5 * time.Second
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	other.Transport.(*http.Transport).DialContext = dialer.DialContext
	resp, err := other.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf("another client, while the first holds %d idle connections: %v", served, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("another client: GET /healthz = %d, want 200", resp.StatusCode)
	}
}

// fakeConn is a connection from a given address that only records whether it was closed.
type fakeConn struct {
	net.Conn
	addr   net.Addr
	closed bool
}

func (c *fakeConn) RemoteAddr() net.Addr { return c.addr }
func (c *fakeConn) Close() error         { c.closed = true; return nil }

// fakeListener hands out the connections of its channel, then fails with net.ErrClosed.
type fakeListener struct {
	net.Listener
	conns chan *fakeConn
}

func (l *fakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	default:
		return nil, net.ErrClosed
	}
}

// TestClientConns checks the per-address bookkeeping of the connection cap: IPv4 addresses
// count alone, IPv6 addresses by /64 (mapped addresses as IPv4), exempt networks not at all,
// and a closed connection (closed twice, even) frees exactly one place.
func TestClientConns(t *testing.T) {
	exempt := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	fl := &fakeListener{conns: make(chan *fakeConn, 16)}
	l := limitPerClient(fl, 2, exempt, slog.New(slog.DiscardHandler))
	accept := func(remote string) (net.Conn, *fakeConn) {
		t.Helper()
		fc := &fakeConn{addr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(remote))}
		fl.conns <- fc
		c, err := l.Accept()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept = %v", err)
		}
		return c, fc
	}
	var open []net.Conn
	for _, tc := range []struct {
		remote string
		admit  bool
	}{
		{"198.51.100.7:1000", true},
		{"198.51.100.7:1001", true},
		{"[::ffff:198.51.100.7]:1002", false}, // the same IPv4 client
		{"198.51.100.8:1000", true},
		{"[2001:db8:1:2::1]:443", true},
		{"[2001:db8:1:2:ffff::9]:443", true},
		{"[2001:db8:1:2::77]:443", false}, // the same /64
		{"[2001:db8:1:3::1]:443", true},
		{"10.1.1.1:1", true}, // exempt
		{"10.1.1.1:2", true},
		{"10.1.1.1:3", true},
	} {
		c, fc := accept(tc.remote)
		if got := c != nil; got != tc.admit || fc.closed == tc.admit {
			t.Errorf("Accept from %s: admitted %v (closed %v), want admitted %v", tc.remote, got, fc.closed, tc.admit)
		}
		if c != nil {
			open = append(open, c)
		}
	}
	_ = open[0].Close()
	_ = open[0].Close() // a second Close frees nothing more
	if c, _ := accept("198.51.100.7:1003"); c == nil {
		t.Error("a freed place was not given again")
	}
	if c, _ := accept("198.51.100.7:1004"); c != nil {
		t.Error("a second Close freed a second place")
	}
	for _, c := range open {
		_ = c.Close()
	}
	if n := len(l.open); n != 1 { // 198.51.100.7's connection from port 1003
		t.Errorf("%d addresses counted after their connections closed, want 1: %v", n, l.open)
	}
}

// TestItemStoredSize (flagship review, finding 2): an item's size in the store is bounded in
// bytes, not only in code points before escaping. A title of 100 "<" and a content of 1000
// "<" (valid input) became 1100 "&lt;", each "&" of which json.Marshal escaped as \u0026: about
// 10 KB in the file per item, 100 MB for the 10,000-item cap. The file is now JSON without
// HTML escaping, and escape-heavy text past maxContentBytes is refused with a field error.
func TestItemStoredSize(t *testing.T) {
	a, mw, token := newTestApp(t)
	h := a.routes(mw)
	file := filepath.Join(a.store.dir, storeFile)
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	post := func(title, content string) *httptest.ResponseRecorder {
		body, err := json.Marshal(map[string]string{"title": title, "content": content})
		if err != nil {
			t.Fatal(err)
		}
		return serveTestBody(h, "POST", "/api/data", string(body), "Authorization", "Bearer "+token)
	}
	before := size()
	if w := post(strings.Repeat("<", 100), strings.Repeat("<", 1000)); w.Code != http.StatusCreated {
		t.Fatalf("POST /api/data with 100 and 1000 %q = %d %s, want 201", "<", w.Code, w.Body)
	}
	if grew := size() - before; grew > 4400+200 {
		t.Errorf("one item of 100 and 1000 %q grew the store file by %d bytes, want at most %d (4400 escaped, and the item's other fields)", "<", grew, 4400+200)
	}
	for _, tc := range []struct{ name, title, content, field string }{
		{`content of 1000 '"'`, "t", strings.Repeat(`"`, 1000), "content"},      // 5000 bytes as &#34;
		{"content of links", "t", strings.Repeat("<a href=/>x", 99), "content"}, // 4680 bytes with rel="nofollow..."
		{"content of 1000 '&'", "t", strings.Repeat("&", 1000), "content"},      // 5000 bytes as &amp;
	} {
		before := size()
		w := post(tc.title, tc.content)
		var resp struct {
			Errors []sanitize.FieldError `json:"errors"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &resp)
		found := false
		for _, fe := range resp.Errors {
			found = found || fe.Field == tc.field
		}
		if w.Code != http.StatusBadRequest || !found {
			t.Errorf("POST /api/data with %s = %d %.200s, want 400 with an error for %q", tc.name, w.Code, w.Body, tc.field)
		}
		if size() != before {
			t.Errorf("POST /api/data with %s changed the store file", tc.name)
		}
	}
}

// TestStoreItemBytes (flagship review, finding 2): items are also capped in stored bytes, per
// author and in all, and the per-author count survives a restart (it is derived from the file).
func TestStoreItemBytes(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	big := item{Title: strings.Repeat("&lt;", 100), Content: strings.Repeat("&lt;", 1000), Author: "mallory"}
	n := 0
	for ; n <= maxItemsPerUser; n++ {
		if _, err := st.addItem(big); errors.Is(err, errQuota) {
			break
		} else if err != nil {
			t.Fatalf("addItem #%d = %v", n+1, err)
		}
	}
	if size := n * itemSize(&big); n > maxItemsPerUser || size > maxItemBytesPerUser {
		t.Errorf("one author stored %d items of about %d bytes (%d bytes), want at most %d bytes", n, itemSize(&big), size, maxItemBytesPerUser)
	}
	if _, err := st.addItem(item{Title: "t", Content: "c", Author: "bob"}); err != nil {
		t.Errorf("addItem for another author = %v, want nil", err)
	}
	_ = st.close()
	st = openTestStore(t, dir)
	if _, err := st.addItem(big); !errors.Is(err, errQuota) {
		t.Errorf("addItem past the author's bytes, after a restart = %v, want errQuota", err)
	}
	st.mu.Lock()
	st.st.itemBytes = maxItemBytes - 100 // as if many authors had filled the store
	st.mu.Unlock()
	if _, err := st.addItem(item{Title: "t", Content: strings.Repeat("c", 100), Author: "carol"}); !errors.Is(err, errStoreFull) {
		t.Errorf("addItem past maxItemBytes = %v, want errStoreFull", err)
	}
}

// TestStoreWorstCaseSize (flagship review, finding 2): with every cap of the store filled by
// the largest records the API lets anyone make, the file stays within worstCaseStoreBytes, the
// figure store.go documents, so that a write stays fast. Before the item byte caps and HTML-free
// encoding, items alone could take about 100 MB, and a write about a second.
func TestStoreWorstCaseSize(t *testing.T) {
	const worstCaseStoreBytes = 11 << 20
	st := openTestStore(t, t.TempDir())
	now := time.Now().UTC()
	hash := "$argon2id$v=19$m=65536,t=3,p=4$" + strings.Repeat("s", 22) + "$" + strings.Repeat("h", 43)
	next := st.st.clone()
	for i := range maxUsers {
		name := fmt.Sprintf("u%049d", i) // 50 characters, the longest name
		next.Users[userKey(name)] = &user{Name: name, Hash: hash, Role: roleUser, CreatedAt: now}
		next.Generations[userKey(name)] = 1 << 40
	}
	// The largest items the handler accepts, by authors of the longest names.
	it := item{Title: strings.Repeat("x", maxTitleBytes), Content: strings.Repeat("x", maxContentBytes), CreatedAt: now}
	for i := 0; ; i++ {
		it.ID, it.Author = uint64(i+1)<<40, fmt.Sprintf("u%049d", i/maxItemsPerUser)
		size := itemSize(&it)
		if len(next.Items) >= maxItems || next.itemBytes+size > maxItemBytes {
			break
		}
		next.Items = append(next.Items, it)
		next.itemBytes += size
	}
	for i := range maxRevoked {
		var id auth.TokenID
		for j := range id {
			id[j] = byte(i >> (8 * (j % 4)))
		}
		next.Revoked[id] = now.Add(12 * time.Hour)
		next.RevokedOwners[id] = fmt.Sprintf("u%049d", i/maxRevokedPerUser)
	}
	start := time.Now()
	if err := st.write(&next); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	fi, err := os.Stat(filepath.Join(st.dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("worst-case store: %d users, %d items, %d revocations: %.1f MB, written in %v",
		len(next.Users), len(next.Items), len(next.Revoked), float64(fi.Size())/1e6, took)
	if fi.Size() > worstCaseStoreBytes {
		t.Errorf("worst-case store file = %d bytes, want at most %d", fi.Size(), worstCaseStoreBytes)
	}
}

// TestRegisterNoExistenceOracle (flagship review, finding 3): an address past its registration
// limit gets 429 for taken and free names alike. The existence check used to answer 409 before
// the limit was charged, so such an address could still learn, name after name, which accounts
// exist (409) and which do not (429), which login takes care to hide.
func TestRegisterNoExistenceOracle(t *testing.T) {
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil,
		func(c *config) { c.registrationsPerIP = 2 }, "-rate", "1000")
	want(t, "register a taken name", s.do("POST", "/api/register", creds("admin", newPassword(t))), http.StatusConflict, "Username already exists")
	want(t, "register alice", s.do("POST", "/api/register", creds("alice", newPassword(t))), http.StatusCreated, "")
	for _, name := range []string{"Admin", "alice", "nosuchuser", "admin", "bob"} {
		want(t, fmt.Sprintf("register %q past the limit", name), s.do("POST", "/api/register", creds(name, newPassword(t))),
			http.StatusTooManyRequests, "Too many accounts created from this address; try again later")
	}
}

// TestHTTPTrustedProxy (flagship review, finding 4, as reviewed again): -http trusts no proxy
// unless told, since a TCP-level TLS proxy or any local process could then pick its address
// through X-Forwarded-For; the banner says how to trust an HTTP proxy, and with
// -trusted-proxy 127.0.0.1/32 each of the proxy's clients keeps its own limits. A mapped
// -trusted-proxy is read as the IPv4 network it denotes.
func TestHTTPTrustedProxy(t *testing.T) {
	env := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-http"}, ""},
		{[]string{"-http", "-trusted-proxy", "10.0.0.0/8"}, "10.0.0.0/8"},
		{[]string{"-trusted-proxy", "::ffff:10.0.0.5/128"}, "10.0.0.5/32"},
		{nil, ""},
	} {
		cfg, err := parseConfig(tc.args, env, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if got := proxyList(cfg.trustedProxies); got != tc.want {
			t.Errorf("parseConfig(%q): trusted proxies %q, want %q", tc.args, got, tc.want)
		}
	}

	// Without -trusted-proxy, a client's own X-Forwarded-For is ignored: rotating it does not
	// escape the per-address limit.
	adminPW := newPassword(t)
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": adminPW}, nil, nil, "-http", "-rate", "1000")
	for i := range 20 {
		want(t, "failed login with a forged X-Forwarded-For", s.do("POST", "/api/login", creds(fmt.Sprintf("victim%02d", i), "wrong-password-guess"),
			"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i)), http.StatusUnauthorized, "")
	}
	want(t, "the 21st failure from the same connection address", s.do("POST", "/api/login", creds("victim99", "wrong-password-guess"),
		"X-Forwarded-For", "203.0.113.99"), http.StatusTooManyRequests, "")
	if out := s.stdout.String(); !strings.Contains(out, "add -trusted-proxy 127.0.0.1/32") {
		t.Errorf("the banner does not say how to trust a local HTTP proxy: %q", out)
	}

	// With the proxy trusted, each of its clients keeps its own limits.
	s2 := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": adminPW}, nil, nil, "-http", "-rate", "1000", "-trusted-proxy", "127.0.0.1/32")
	for i := range 20 {
		want(t, "failed login behind the proxy", s2.do("POST", "/api/login", creds(fmt.Sprintf("victim%02d", i), "wrong-password-guess"),
			"X-Forwarded-For", "203.0.113.66"), http.StatusUnauthorized, "")
	}
	want(t, "the attacker's 21st attempt", s2.do("POST", "/api/login", creds("admin", adminPW), "X-Forwarded-For", "203.0.113.66"),
		http.StatusTooManyRequests, "")
	want(t, "another client of the proxy, with the right password", s2.do("POST", "/api/login", creds("admin", adminPW),
		"X-Forwarded-For", "198.51.100.7"), http.StatusOK, "")
}

// TestStoreNotDurable (flagship review, finding 5): when only the directory sync after the
// rename fails (secretbox.ErrNotDurable), the file already holds the change, so memory must
// hold it too: the write succeeds and the problem is logged. update used to treat it as a
// failure, leaving memory without a state that the disk had (a registration answered 500
// whose user existed after a restart). Any other failure still changes nothing.
func TestStoreNotDurable(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	var logs syncBuffer
	st.log = slog.New(slog.NewJSONHandler(&logs, nil))
	st.encryptFile = func(name string, src io.Reader, w secretbox.Wrapper, ad []byte) error {
		if err := secretbox.EncryptFile(name, src, w, ad); err != nil {
			return err
		}
		return fmt.Errorf("%w: injected directory sync failure", secretbox.ErrNotDurable)
	}
	if err := st.createUser(user{Name: "alice", Role: roleUser}); err != nil {
		t.Errorf("createUser with the directory sync failing = %v, want nil (the file holds the user)", err)
	}
	if _, ok := st.user("alice"); !ok {
		t.Error("alice is in the file but not in memory")
	}
	if !strings.Contains(logs.String(), `"event":"store_not_durable"`) {
		t.Errorf("no store_not_durable event in the logs: %q", logs.String())
	}

	failed := errors.New("injected: disk full")
	st.encryptFile = func(string, io.Reader, secretbox.Wrapper, []byte) error { return failed }
	if err := st.createUser(user{Name: "bob", Role: roleUser}); !errors.Is(err, failed) {
		t.Errorf("createUser with the write failing = %v, want %v", err, failed)
	}
	if _, ok := st.user("bob"); ok {
		t.Error("bob was published although his write failed")
	}
	_ = st.close()
	st = openTestStore(t, dir)
	if _, ok := st.user("alice"); !ok {
		t.Error("alice is not in the file after a restart")
	}
}
