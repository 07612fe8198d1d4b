package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/tlsutil"
)

// newPassword returns a fresh random password: tests hold no credentials either, and unique
// values make the log check meaningful.
func newPassword(t *testing.T) string {
	t.Helper()
	pw, _, err := auth.GeneratePassword(20, "")
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

// secrets collects every password and token a test used, to prove none reaches the logs.
type secrets []string

// add adds the non-empty values of v.
func (s *secrets) add(v ...string) {
	for _, x := range v {
		if x != "" {
			*s = append(*s, x)
		}
	}
}

// checkLogs fails t if any secret appears in the log output, or if a line is not a JSON log
// record (see logProblems).
func checkLogs(t *testing.T, logs string, s secrets) {
	t.Helper()
	for _, p := range logProblems(logs, s) {
		t.Error(p)
	}
}

// logProblems returns what is wrong with the log output: lines that hold a secret, lines that
// are not JSON records, no records at all. The only lines exempt are those of the one-time
// admin password notice: the notice itself, the password line that follows it, and blank
// lines.
func logProblems(logs string, s secrets) []string {
	var problems []string
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	n := 0
	afterNotice := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			continue
		case line == adminPasswordNotice:
			afterNotice = true
			continue
		case afterNotice && strings.HasPrefix(line, "    ") && !strings.ContainsAny(line[4:], " {"):
			afterNotice = false // the one-time password, printed once and exempt
			continue
		}
		afterNotice = false
		n++
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			problems = append(problems, fmt.Sprintf("log line is not JSON: %q", line))
		}
		for _, secret := range s {
			if strings.Contains(line, secret) {
				problems = append(problems, fmt.Sprintf("log line holds a password or token: %q", line))
			}
		}
	}
	if n == 0 {
		problems = append(problems, "no log records at all")
	}
	return problems
}

// TestEndToEnd walks the tutorial's security scenario, and more, against a real server over
// verified TLS: every request crosses the whole stack (headers, rate limit, CSRF protection,
// authentication, access log).
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	var used secrets
	// pw returns a fresh password that the log check then looks for, whether it was right,
	// wrong or refused.
	pw := func() string {
		p := newPassword(t)
		used.add(p)
		return p
	}
	adminPW := pw()
	env := map[string]string{"SECUREAPI_ADMIN_PASSWORD": adminPW}
	clk := &testClock{}
	s := startServer(t, dir, env, clk, nil, "-rate", "1000")
	alicePW, bobPW := pw(), pw()

	t.Run("health and security headers", func(t *testing.T) {
		r := s.do("GET", "/healthz", "")
		want(t, "GET /healthz", r, http.StatusOK, "")
		for h, v := range map[string]string{
			"Strict-Transport-Security": "max-age=63072000",
			"X-Content-Type-Options":    "nosniff",
			"X-Frame-Options":           "DENY",
			"Referrer-Policy":           "strict-origin-when-cross-origin",
		} {
			if got := r.header.Get(h); got != v {
				t.Errorf("GET /healthz header %s = %q, want %q", h, got, v)
			}
		}
		if r.header.Get("Content-Security-Policy") == "" {
			t.Error("GET /healthz has no Content-Security-Policy")
		}
		// Errors carry the headers too.
		r = s.do("GET", "/nowhere", "")
		want(t, "GET /nowhere", r, http.StatusNotFound, "Not found")
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Error("404 response lacks the security headers")
		}
		want(t, "GET /api/login", s.do("GET", "/api/login", ""), http.StatusMethodNotAllowed, "Method not allowed")
	})

	t.Run("401 without auth", func(t *testing.T) {
		for _, rq := range []struct{ method, path string }{
			{"GET", "/api/profile"}, {"GET", "/api/admin/users"}, {"POST", "/api/data"},
			{"POST", "/api/logout"}, {"POST", "/api/logout-all"},
		} {
			r := s.do(rq.method, rq.path, "")
			want(t, rq.method+" "+rq.path, r, http.StatusUnauthorized, "Authentication required")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: WWW-Authenticate = %q, want a Bearer challenge", rq.method, rq.path, r.header.Get("WWW-Authenticate"))
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: Cache-Control = %q, want no-store", rq.method, rq.path, r.header.Get("Cache-Control"))
			}
		}
	})

	t.Run("register", func(t *testing.T) {
		r := s.do("POST", "/api/register", creds("alice", alicePW))
		want(t, "register alice", r, http.StatusCreated, "")
		if r.str("message") != "User created successfully" {
			t.Errorf("register alice = %s, want the success message", r.raw)
		}
		want(t, "register ALICE again", s.do("POST", "/api/register", creds("ALICE", pw())), http.StatusConflict, "Username already exists")
		// NFKC: fullwidth letters are plain letters.
		want(t, "register fullwidth bob", s.do("POST", "/api/register", creds("ｂｏｂ", bobPW)), http.StatusCreated, "")

		for _, tc := range []struct {
			name, user, password, field string
		}{
			{"short name", "al", pw(), "username"},
			{"long name", strings.Repeat("a", 51), pw(), "username"},
			{"bad character", "alice!", pw(), "username"},
			{"script in name", "<script>", pw(), "username"},
			{"short password", "carol", "short", "password"},
			{"common password", "carol", "passwordpassword", "password"},
			{"password holds user name", "carolyn", "carolyn-" + pw(), "password"},
			{"missing password", "carol", "", "password"},
		} {
			r := s.do("POST", "/api/register", creds(tc.user, tc.password))
			want(t, "register "+tc.name, r, http.StatusBadRequest, "Invalid input")
			if !strings.Contains(string(r.raw), `"field":"`+tc.field+`"`) {
				t.Errorf("register %s = %s, want a field error for %s", tc.name, r.raw, tc.field)
			}
		}
		// Strict JSON: unknown fields (mass assignment), duplicate keys, wrong type, size.
		want(t, "register with role", s.do("POST", "/api/register", `{"username":"mallory","password":"`+pw()+`","role":"admin"}`), http.StatusBadRequest, "Invalid input")
		want(t, "register with duplicate keys", s.do("POST", "/api/register", `{"username":"mallory","USERNAME":"admin","password":"x"}`), http.StatusBadRequest, "")
		want(t, "register malformed", s.do("POST", "/api/register", `{"username":`), http.StatusBadRequest, "")
		want(t, "register as text/plain", s.do("POST", "/api/register", creds("mallory", "x"), "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "")
		want(t, "register oversized", s.do("POST", "/api/register", creds("mallory", strings.Repeat("x", 8<<10))), http.StatusRequestEntityTooLarge, "")
	})

	var aliceToken string
	t.Run("login and profile", func(t *testing.T) {
		aliceToken = s.login("alice", alicePW)
		used.add(aliceToken)
		r := s.do("GET", "/api/profile", "", bearer(aliceToken)...)
		want(t, "profile", r, http.StatusOK, "")
		if r.str("username") != "alice" || r.str("role") != "user" || r.str("message") != "Hello, alice!" {
			t.Errorf("profile = %s, want alice, user, Hello, alice!", r.raw)
		}
		// The name is case-insensitive and NFKC-normalized at login too.
		used.add(s.login("ＡＬＩＣＥ", alicePW))
		bobToken := s.login("bob", bobPW)
		used.add(bobToken)
		if r := s.do("GET", "/api/profile", "", bearer(bobToken)...); r.str("username") != "bob" {
			t.Errorf("profile of bob = %s", r.raw)
		}
		// Wrong password and unknown user: the same 401 and body.
		wrong := s.do("POST", "/api/login", creds("alice", pw()))
		unknown := s.do("POST", "/api/login", creds("nobody", pw()))
		want(t, "login wrong password", wrong, http.StatusUnauthorized, "Invalid credentials")
		want(t, "login unknown user", unknown, http.StatusUnauthorized, "Invalid credentials")
		if string(wrong.raw) != string(unknown.raw) {
			t.Errorf("bodies differ: wrong password %q, unknown user %q", wrong.raw, unknown.raw)
		}
		want(t, "login without password", s.do("POST", "/api/login", `{"username":"alice"}`), http.StatusBadRequest, "")
	})

	t.Run("admin only", func(t *testing.T) {
		want(t, "admin users as alice", s.do("GET", "/api/admin/users", "", bearer(aliceToken)...), http.StatusForbidden, "Admin access required")
		adminToken := s.login("admin", adminPW)
		used.add(adminToken)
		r := s.do("GET", "/api/admin/users", "", bearer(adminToken)...)
		want(t, "admin users as admin", r, http.StatusOK, "")
		var body struct {
			Users []struct {
				Username  string    `json:"username"`
				Role      string    `json:"role"`
				CreatedAt time.Time `json:"created_at"`
			} `json:"users"`
		}
		if err := json.Unmarshal(r.raw, &body); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, u := range body.Users {
			got[u.Username] = u.Role
			if u.CreatedAt.IsZero() {
				t.Errorf("user %s has no created_at", u.Username)
			}
		}
		if len(got) != 3 || got["admin"] != "admin" || got["alice"] != "user" || got["bob"] != "user" {
			t.Errorf("admin users = %s, want admin, alice and bob", r.raw)
		}
		if strings.Contains(string(r.raw), "argon2") || strings.Contains(string(r.raw), "hash") {
			t.Errorf("admin users leaks password hashes: %s", r.raw)
		}
	})

	t.Run("data", func(t *testing.T) {
		body, _ := json.Marshal(map[string]string{
			"title":   `<script>alert("t")</script> Report`,
			"content": `<p onclick="steal()">Hello <b>world</b></p><script>alert(document.cookie)</script><a href="javascript:alert(1)">x</a>`,
		})
		r := s.do("POST", "/api/data", string(body), bearer(aliceToken)...)
		want(t, "post data", r, http.StatusCreated, "")
		if r.str("message") != "Data processed successfully" {
			t.Errorf("post data = %s", r.raw)
		}
		d, _ := r.body["data"].(map[string]any)
		title, _ := d["title"].(string)
		content, _ := d["content"].(string)
		if d["author"] != "alice" || d["id"] == nil || d["created_at"] == nil {
			t.Errorf("post data = %s, want id, author alice, created_at", r.raw)
		}
		if strings.Contains(title, "<script") || !strings.Contains(title, "&lt;script&gt;") {
			t.Errorf("title = %q, want the script tag escaped", title)
		}
		for _, bad := range []string{"<script", "onclick", "javascript:", "document.cookie"} {
			if strings.Contains(content, bad) {
				t.Errorf("content = %q, still holds %q", content, bad)
			}
		}
		if !strings.Contains(content, "<b>world</b>") {
			t.Errorf("content = %q, want safe formatting kept", content)
		}

		post := func(title, content string) response {
			b, _ := json.Marshal(map[string]string{"title": title, "content": content})
			return s.do("POST", "/api/data", string(b), bearer(aliceToken)...)
		}
		want(t, "title of 100 code points", post(strings.Repeat("é", 100), "x"), http.StatusCreated, "")
		want(t, "content of 1000 code points", post("t", strings.Repeat("ü", 1000)), http.StatusCreated, "")
		for _, tc := range []struct {
			name           string
			title, content string
			field          string
		}{
			{"title of 101 code points", strings.Repeat("é", 101), "x", "title"},
			{"content of 1001 code points", "t", strings.Repeat("ü", 1001), "content"},
			{"empty title", "", "x", "title"},
			{"empty content", "t", "", "content"},
			{"control character", "t\x00", "x", "title"},
			{"bidi override", "t\u202e", "x", "title"},
		} {
			r := post(tc.title, tc.content)
			want(t, tc.name, r, http.StatusBadRequest, "Invalid input")
			if !strings.Contains(string(r.raw), `"field":"`+tc.field+`"`) {
				t.Errorf("%s = %s, want a field error for %s", tc.name, r.raw, tc.field)
			}
		}
		want(t, "oversized data", post("t", strings.Repeat("x", 64<<10)), http.StatusRequestEntityTooLarge, "")
		want(t, "data as form", s.do("POST", "/api/data", "title=x&content=y", append(bearer(aliceToken), "Content-Type", "application/x-www-form-urlencoded")...), http.StatusUnsupportedMediaType, "")
		want(t, "data with unknown field", s.do("POST", "/api/data", `{"title":"t","content":"c","author":"admin"}`, bearer(aliceToken)...), http.StatusBadRequest, "")
	})

	t.Run("bad tokens", func(t *testing.T) {
		tampered := []byte(aliceToken)
		i := len(tampered) / 2
		if tampered[i] == 'A' {
			tampered[i] = 'B'
		} else {
			tampered[i] = 'A'
		}
		for name, tok := range map[string]string{
			"tampered":  string(tampered),
			"truncated": aliceToken[:len(aliceToken)-4],
			"extended":  aliceToken + "AAAA",
			"garbage":   "not-a-token",
		} {
			r := s.do("GET", "/api/profile", "", bearer(tok)...)
			want(t, name+" token", r, http.StatusUnauthorized, "Invalid or expired token")
			if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("%s token: WWW-Authenticate = %q", name, r.header.Get("WWW-Authenticate"))
			}
		}
	})

	t.Run("logout and logout-all", func(t *testing.T) {
		t1, t2, t3 := s.login("bob", bobPW), s.login("bob", bobPW), s.login("bob", bobPW)
		used.add(t1, t2, t3)
		want(t, "logout", s.do("POST", "/api/logout", "", bearer(t1)...), http.StatusNoContent, "")
		want(t, "profile with the logged-out token", s.do("GET", "/api/profile", "", bearer(t1)...), http.StatusUnauthorized, "Invalid or expired token")
		want(t, "logout again", s.do("POST", "/api/logout", "", bearer(t1)...), http.StatusUnauthorized, "")
		want(t, "profile with another session", s.do("GET", "/api/profile", "", bearer(t2)...), http.StatusOK, "")
		want(t, "logout-all", s.do("POST", "/api/logout-all", "", bearer(t2)...), http.StatusNoContent, "")
		for i, tok := range []string{t2, t3} {
			want(t, fmt.Sprintf("profile with session %d after logout-all", i+2), s.do("GET", "/api/profile", "", bearer(tok)...), http.StatusUnauthorized, "")
		}
		t4 := s.login("bob", bobPW)
		used.add(t4)
		want(t, "profile after a new login", s.do("GET", "/api/profile", "", bearer(t4)...), http.StatusOK, "")
		want(t, "alice unaffected", s.do("GET", "/api/profile", "", bearer(aliceToken)...), http.StatusOK, "")
	})

	t.Run("cookie mode and cross-origin protection", func(t *testing.T) {
		r := s.do("POST", "/api/login?cookie=1", creds("alice", alicePW))
		want(t, "cookie login", r, http.StatusOK, "")
		if _, ok := r.body["token"]; ok || r.str("message") != "Login successful" {
			t.Errorf("cookie login body = %s, want the message alone: the token is in the HttpOnly cookie only", r.raw)
		}
		cookie := sessionCookie(t, r.header)
		used.add(cookie.Value)
		if !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Name != "__Host-session" {
			t.Errorf("session cookie = %+v, want __Host-session, Secure, HttpOnly, SameSite=Lax, Path=/", cookie)
		}
		c := "Cookie"
		cv := cookie.Name + "=" + cookie.Value
		want(t, "profile by cookie", s.do("GET", "/api/profile", "", c, cv), http.StatusOK, "")
		data := `{"title":"t","content":"c"}`
		want(t, "same-origin cookie POST", s.do("POST", "/api/data", data, c, cv, "Sec-Fetch-Site", "same-origin", "Origin", s.url), http.StatusCreated, "")
		want(t, "cookie POST without browser headers", s.do("POST", "/api/data", data, c, cv), http.StatusCreated, "")
		want(t, "cross-site cookie POST", s.do("POST", "/api/data", data, c, cv, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), http.StatusForbidden, "Cross-origin request refused")
		want(t, "cross-origin cookie POST (Origin only)", s.do("POST", "/api/data", data, c, cv, "Origin", "https://evil.example"), http.StatusForbidden, "Cross-origin request refused")
		want(t, "cross-site logout", s.do("POST", "/api/logout", "", c, cv, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "")
		// A form post logs in with a cookie; a cross-site one (login CSRF) is refused.
		form := "username=bob&password=" + bobPW
		fr := s.do("POST", "/api/login", form, "Content-Type", "application/x-www-form-urlencoded")
		want(t, "form login", fr, http.StatusOK, "")
		if _, ok := fr.body["token"]; ok {
			t.Errorf("form login body = %s, want no token", fr.raw)
		}
		used.add(sessionCookie(t, fr.header).Value)
		want(t, "cross-site form login", s.do("POST", "/api/login", form, "Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "")
		// Logout through the cookie revokes the session and clears the cookie.
		lr := s.do("POST", "/api/logout", "", c, cv, "Sec-Fetch-Site", "same-origin")
		want(t, "cookie logout", lr, http.StatusNoContent, "")
		if cl := sessionCookie(t, lr.header); cl.Value != "" || cl.MaxAge >= 0 {
			t.Errorf("logout cookie = %+v, want it cleared", cl)
		}
		want(t, "profile by revoked cookie", s.do("GET", "/api/profile", "", c, cv), http.StatusUnauthorized, "")
	})

	t.Run("login throttling per user", func(t *testing.T) {
		carolPW := pw()
		used.add(carolPW)
		want(t, "register carol", s.do("POST", "/api/register", creds("carol", carolPW)), http.StatusCreated, "")
		for i := range 5 {
			want(t, fmt.Sprintf("wrong password %d", i+1), s.do("POST", "/api/login", creds("carol", pw())), http.StatusUnauthorized, "Invalid credentials")
		}
		r := s.do("POST", "/api/login", creds("Carol", carolPW)) // right password, any case: still throttled
		want(t, "login after 5 failures", r, http.StatusTooManyRequests, "")
		wait, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || wait < 1 || wait > 15*60 {
			t.Fatalf("throttled login: Retry-After = %q, want 1 to 900 seconds", r.header.Get("Retry-After"))
		}
		// Other accounts from the same address are not locked out.
		used.add(s.login("alice", alicePW))
		clk.advance(time.Duration(wait) * time.Second)
		used.add(s.login("carol", carolPW))
	})

	t.Run("expired token", func(t *testing.T) {
		tok := s.login("alice", alicePW)
		used.add(tok)
		want(t, "fresh token", s.do("GET", "/api/profile", "", bearer(tok)...), http.StatusOK, "")
		clk.advance(31 * time.Minute) // past the 30-minute idle timeout
		want(t, "expired token", s.do("GET", "/api/profile", "", bearer(tok)...), http.StatusUnauthorized, "Invalid or expired token")
	})

	// A revoked token must stay revoked across a restart; a valid one stays valid.
	revoked := s.login("bob", bobPW)
	valid := s.login("bob", bobPW)
	used.add(revoked, valid)
	want(t, "logout before restart", s.do("POST", "/api/logout", "", bearer(revoked)...), http.StatusNoContent, "")

	s.stop()
	logs := s.stderr.String()
	if strings.Contains(logs, "one-time password") {
		t.Error("the admin password was given in the environment, yet a one-time password was printed")
	}
	for _, event := range []string{"register", "login", "login_failed", "login_throttled", "forbidden",
		"logout", "logout_all", "token_rejected", "csrf_refused"} {
		if !strings.Contains(logs, `"event":"`+event+`"`) {
			t.Errorf("no %q security event in the logs", event)
		}
	}

	t.Run("restart keeps data", func(t *testing.T) {
		s2 := startServer(t, dir, nil, clk, nil, "-rate", "1000")
		if strings.Contains(s2.stderr.String(), "one-time password") {
			t.Error("restart created the admin again")
		}
		used.add(s2.login("alice", alicePW), s2.login("admin", adminPW))
		want(t, "valid token after restart", s2.do("GET", "/api/profile", "", bearer(valid)...), http.StatusOK, "")
		want(t, "revoked token after restart", s2.do("GET", "/api/profile", "", bearer(revoked)...), http.StatusUnauthorized, "")
		r := s2.do("POST", "/api/data", `{"title":"after","content":"restart"}`, bearer(valid)...)
		want(t, "data after restart", r, http.StatusCreated, "")
		d, _ := r.body["data"].(map[string]any)
		s2.stop()
		logs += s2.stderr.String()

		// The file on disk is encrypted: no user name, hash or title in clear.
		raw, err := os.ReadFile(filepath.Join(dir, storeFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, plain := range []string{"alice", "argon2id", "Report", "restart"} {
			if strings.Contains(string(raw), plain) {
				t.Errorf("the store file holds %q in clear", plain)
			}
		}
		st := openTestStore(t, dir)
		items := st.items()
		if len(items) != 6 || d["id"] != float64(items[len(items)-1].ID) || items[len(items)-1].Title != "after" {
			t.Errorf("store holds %d items (last %+v), want the 5 from before the restart and 1 after (id %v)", len(items), items[len(items)-1], d["id"])
		}
		if u, ok := st.user("alice"); !ok || u.Role != roleUser {
			t.Errorf("store user alice = %+v, %v", u, ok)
		}
	})

	checkLogs(t, logs, used)
}

// sessionCookie returns the session cookie set in h.
func sessionCookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if strings.HasSuffix(c.Name, "session") {
			return c
		}
	}
	t.Fatalf("no session cookie in %q", h.Values("Set-Cookie"))
	return nil
}

// openTestStore opens the store in dir with the keys of its key file.
func openTestStore(t *testing.T, dir string) *store {
	t.Helper()
	k, err := loadKeys(dir, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(dir, k.store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRateLimit checks the per-IP limit on /api: 429 with a Retry-After that a client can
// trust (waiting exactly that long is enough) and the RateLimit headers; /healthz is exempt.
func TestRateLimit(t *testing.T) {
	clk := &testClock{}
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, clk, nil, "-rate", "5")
	for i := range 5 {
		r := s.do("GET", "/api/profile", "")
		want(t, fmt.Sprintf("request %d", i+1), r, http.StatusUnauthorized, "")
		if r.header.Get("RateLimit-Policy") == "" || r.header.Get("RateLimit") == "" {
			t.Errorf("request %d: no RateLimit headers in %v", i+1, r.header)
		}
	}
	r := s.do("GET", "/api/profile", "")
	want(t, "request 6", r, http.StatusTooManyRequests, "")
	if !strings.HasPrefix(r.str("error"), "Rate limit exceeded") {
		t.Errorf("429 body = %s", r.raw)
	}
	wait, err := strconv.Atoi(r.header.Get("Retry-After"))
	// The sliding window may ask to wait into the next window, until the weight of the full
	// previous one has decayed enough: at most two windows.
	if err != nil || wait < 1 || wait > 120 {
		t.Fatalf("Retry-After = %q, want 1 to 120 seconds", r.header.Get("Retry-After"))
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("the 429 lacks the security headers")
	}
	want(t, "health while limited", s.do("GET", "/healthz", ""), http.StatusOK, "")
	want(t, "register while limited", s.do("POST", "/api/register", creds("dave", newPassword(t))), http.StatusTooManyRequests, "")
	clk.advance(time.Duration(wait) * time.Second)
	want(t, "request after Retry-After", s.do("GET", "/api/profile", ""), http.StatusUnauthorized, "")
	s.stop()
	if !strings.Contains(s.stderr.String(), `"event":"rate_limited"`) {
		t.Error("no rate_limited event in the logs")
	}
}

// TestLoginThrottlePerIP checks that one address cannot try many accounts: failures are
// counted per client IP too, across user names.
func TestLoginThrottlePerIP(t *testing.T) {
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil,
		func(c *config) { c.loginFailuresPerIP = 3 }, "-rate", "1000")
	for i := range 3 {
		want(t, fmt.Sprintf("failure %d", i+1), s.do("POST", "/api/login", creds(fmt.Sprintf("user%d", i), newPassword(t))), http.StatusUnauthorized, "")
	}
	r := s.do("POST", "/api/login", creds("admin", newPassword(t)))
	want(t, "fourth account from the same address", r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Error("throttled login has no Retry-After")
	}
}

// TestFirstStart runs the program as a user would, through run and its flags, with no keys or
// admin password in the environment: it must generate a 0600 key file with a warning, print
// where it listens, the CA and a curl command on stdout, and the one-time admin password on
// stderr, outside the JSON log records. A second start must not print a password again.
func TestFirstStart(t *testing.T) {
	dir := t.TempDir()
	env := func(string) string { return "" }
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-data", dir}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ready = func(a string) { ready <- a }
	var stdout, stderr syncBuffer
	ctx, cancel := contextWithCancel()
	go func() { done <- serve(ctx, cfg, &stdout, &stderr) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve() = %v", err)
	}
	out := stdout.String()
	caPath := filepath.Join(dir, "dev-ca.pem")
	for _, w := range []string{"listening on https://" + addr, caPath, "curl --cacert " + caPath + " https://" + addr + "/healthz",
		"the development certificate expires at " + time.Now().Add(tlsutil.DevValidity).UTC().Format("2006-01-02T")} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout = %q, want it to contain %q", out, w)
		}
	}
	errOut := stderr.String()
	var password string
	lines := strings.Split(errOut, "\n")
	for i, l := range lines {
		if strings.Contains(l, "one-time password") && i+2 < len(lines) {
			password = strings.TrimSpace(lines[i+2])
		}
	}
	if len(password) < 20 {
		t.Fatalf("stderr = %q, want a one-time admin password", errOut)
	}
	if strings.Count(errOut, password) != 1 {
		t.Errorf("the admin password appears %d times on stderr, want once", strings.Count(errOut, password))
	}
	if !strings.Contains(errOut, `"level":"WARN","msg":"generated new keys`) {
		t.Errorf("no warning about the generated key file in %q", errOut)
	}
	fi, err := os.Stat(filepath.Join(dir, keyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 0600", fi, err)
	}
	// The printed password logs in as admin, with the printed CA.
	s := &testServer{t: t, dir: dir, clock: &testClock{}, stdout: &stdout, stderr: &stderr, cancel: cancel, done: done}
	s.url = "https://" + addr
	s.client = clientFor(t, caPath)
	adminToken := s.login("admin", password)
	if r := s.do("GET", "/api/admin/users", "", bearer(adminToken)...); r.status != http.StatusOK {
		t.Errorf("admin users = %d %s", r.status, r.raw)
	}
	s.stop()
	checkLogs(t, stderr.String(), secrets{password, adminToken})

	s2 := startServer(t, dir, nil, nil, nil)
	s2.stop()
	if strings.Contains(s2.stderr.String(), "one-time password") || strings.Contains(s2.stderr.String(), "generated new keys") {
		t.Errorf("second start printed a new password or keys: %q", s2.stderr.String())
	}
}

// TestPlainHTTP checks that -http is refused off loopback and works on it, with the same
// secure cookie and HSTS as over TLS: -http is for running behind a local TLS proxy, whose
// clients see https (review finding 2).
func TestPlainHTTP(t *testing.T) {
	env := func(string) string { return "" }
	for _, addr := range []string{"0.0.0.0:8080", "192.0.2.1:80", ":8080", "example.com:80"} {
		if _, err := parseConfig([]string{"-http", "-addr", addr}, env, io.Discard); err == nil {
			t.Errorf("parseConfig(-http -addr %s) = nil error, want a refusal", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "localhost:0", "127.0.0.2:80"} {
		if _, err := parseConfig([]string{"-http", "-addr", addr}, env, io.Discard); err != nil {
			t.Errorf("parseConfig(-http -addr %s) = %v, want nil", addr, err)
		}
	}
	for _, args := range [][]string{{"-rate", "0"}, {"-cert", "x.pem"}, {"-trusted-proxy", "10.0.0.0/99"}, {"extra"}, {"-session-idle", "1s"}} {
		if _, err := parseConfig(args, env, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) = nil error, want one", args)
		}
	}

	pw := newPassword(t)
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": pw}, nil, nil, "-http")
	r := s.do("POST", "/api/login?cookie=1", creds("admin", pw))
	want(t, "login over http", r, http.StatusOK, "")
	c := sessionCookie(t, r.header)
	if !c.Secure || !c.HttpOnly || c.Name != "__Host-session" {
		t.Errorf("cookie under -http = %+v, want __Host-session, Secure, HttpOnly", c)
	}
	if h := r.header.Get("Strict-Transport-Security"); h != "max-age=63072000" {
		t.Errorf("HSTS under -http = %q, want max-age=63072000", h)
	}
	want(t, "profile by cookie under -http", s.do("GET", "/api/profile", "", "Cookie", c.Name+"="+c.Value), http.StatusOK, "")
}

// TestKeys checks where keys come from: both environment variables, or the key file; never
// half of each; a key file others can read is refused; the wrong keys cannot open the store.
func TestKeys(t *testing.T) {
	kf, err := generateKeys()
	if err != nil {
		t.Fatal(err)
	}
	both := map[string]string{envStoreKeys: kf.StoreKeys, envTokenKey: kf.TokenKey}
	dir := t.TempDir()
	if _, err := loadKeys(dir, func(k string) string { return both[k] }, nil); err != nil {
		t.Fatalf("loadKeys(env) = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, keyFileName)); !os.IsNotExist(err) {
		t.Errorf("keys from the environment, yet a key file was written (%v)", err)
	}
	if _, err := loadKeys(dir, func(k string) string { return both[envStoreKeys] }, nil); err == nil || strings.Contains(err.Error(), kf.StoreKeys) {
		t.Errorf("loadKeys(one variable) = %v, want an error without the key", err)
	}
	bad := map[string]string{envStoreKeys: kf.StoreKeys, envTokenKey: "c2hvcnQ"}
	if _, err := loadKeys(dir, func(k string) string { return bad[k] }, nil); err == nil {
		t.Error("loadKeys(short token key) = nil error")
	}

	// Start once with the environment keys, then try to open the store with other keys.
	pw := newPassword(t)
	env := map[string]string{envStoreKeys: kf.StoreKeys, envTokenKey: kf.TokenKey, "SECUREAPI_ADMIN_PASSWORD": pw}
	s := startServer(t, dir, env, nil, nil)
	s.stop()
	other, _ := generateKeys()
	k2, err := parseKeys(other, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(dir, k2.store, nil, nil); err == nil {
		t.Error("openStore with other keys = nil error")
	}

	// A key file readable by others is refused.
	dir2 := t.TempDir()
	s2 := startServer(t, dir2, map[string]string{"SECUREAPI_ADMIN_PASSWORD": pw}, nil, nil)
	s2.stop()
	if err := os.Chmod(filepath.Join(dir2, keyFileName), 0o644); err != nil { //nolint:gosec // G302: the test makes the key file too open on purpose
		t.Fatal(err)
	}
	if _, err := loadKeys(dir2, func(string) string { return "" }, nil); err == nil {
		t.Error("loadKeys with a 0644 key file = nil error")
	}
}

// TestAdminPasswordPolicy checks that a weak SECUREAPI_ADMIN_PASSWORD is refused at start.
func TestAdminPasswordPolicy(t *testing.T) {
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, func(k string) string {
		if k == "SECUREAPI_ADMIN_PASSWORD" {
			return "password"
		}
		return ""
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithCancel()
	defer cancel()
	if err := serve(ctx, cfg, io.Discard, io.Discard); err == nil {
		t.Error("serve with a weak admin password = nil error")
	}
}

// TestTrustedProxy checks that X-Forwarded-For is believed only from -trusted-proxy networks:
// behind a trusted proxy each client has its own quota; otherwise the header is ignored and
// the quota is the connection's.
func TestTrustedProxy(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		t.Run(fmt.Sprintf("trusted=%v", trusted), func(t *testing.T) {
			args := []string{"-rate", "1"}
			if trusted {
				args = append(args, "-trusted-proxy", "127.0.0.0/8, ::1/128")
			}
			s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil, nil, args...)
			xff := "X-Forwarded-For"
			want(t, "client A", s.do("GET", "/api/profile", "", xff, "203.0.113.9"), http.StatusUnauthorized, "")
			want(t, "client A again", s.do("GET", "/api/profile", "", xff, "203.0.113.9"), http.StatusTooManyRequests, "")
			// A spoofed left-most entry does not help client A either way.
			want(t, "client A spoofing", s.do("GET", "/api/profile", "", xff, "198.51.100.1, 203.0.113.9"), http.StatusTooManyRequests, "")
			wantB := http.StatusTooManyRequests
			if trusted {
				wantB = http.StatusUnauthorized
			}
			want(t, "client B", s.do("GET", "/api/profile", "", xff, "192.0.2.77"), wantB, "")
		})
	}
}

// TestGracefulShutdown shuts the server down while a registration is in flight: the request
// must complete with 201, and the user must be in the store after a restart.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}
	arrived := make(chan struct{})
	var once sync.Once
	s := startServer(t, dir, env, nil, func(c *config) {
		c.onRequest = func(r *http.Request) {
			if r.URL.Path == "/api/register" {
				once.Do(func() { close(arrived) })
			}
		}
	})
	pw := newPassword(t)
	res := make(chan int, 1)
	go func() {
		resp, err := s.client.Post(s.url+"/api/register", "application/json", strings.NewReader(creds("erin", pw)))
		if err != nil {
			res <- 0
			return
		}
		_ = resp.Body.Close()
		res <- resp.StatusCode
	}()
	<-arrived
	s.cancel() // SIGTERM, as far as serve is concerned; the hash of erin's password is under way
	if code := <-res; code != http.StatusCreated {
		t.Errorf("register during shutdown = %d, want 201", code)
	}
	s.stop()
	s2 := startServer(t, dir, nil, nil, nil)
	s2.login("erin", pw)
}

// TestOwnCertificate starts secureapi with -cert and -key: it serves that certificate, and
// writes and prints no development CA.
func TestOwnCertificate(t *testing.T) {
	dev, err := tlsutil.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := tlsutil.MarshalPEM(dev.Server)
	if err != nil {
		t.Fatal(err)
	}
	certDir := t.TempDir()
	certFile, keyFile := filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-data", dir, "-cert", certFile, "-key", keyFile},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	cfg.ready = func(a string) { ready <- a }
	ctx, cancel := contextWithCancel()
	done := make(chan error, 1)
	var stdout syncBuffer
	go func() { done <- serve(ctx, cfg, &stdout, io.Discard) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve() = %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: dev.Pool, MinVersion: tls.VersionTLS12}}}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Errorf("GET /healthz with the operator's certificate: %v", err)
	} else {
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz = %d", resp.StatusCode)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve() after cancel = %v", err)
	}
	client.CloseIdleConnections()
	if _, err := os.Stat(filepath.Join(dir, "dev-ca.pem")); !os.IsNotExist(err) {
		t.Errorf("a development CA was written despite -cert (%v)", err)
	}
	if strings.Contains(stdout.String(), "development CA") || !strings.Contains(stdout.String(), "curl https://"+addr+"/healthz") {
		t.Errorf("stdout = %q, want a curl command without --cacert", stdout.String())
	}
}
