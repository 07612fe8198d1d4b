package auth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// mwWhoami answers 200 with the subject from the context, or 500 without claims.
var mwWhoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := auth.ClaimsFromContext(r.Context())
	if !ok {
		http.Error(w, "no claims in context", http.StatusInternalServerError)
		return
	}
	fmt.Fprint(w, "hello "+c.Subject)
})

func newTestMiddleware(t *testing.T, v auth.TokenVerifier, cfg auth.MiddlewareConfig) *auth.Middleware {
	t.Helper()
	m, err := auth.NewMiddleware(v, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type mwResponse struct {
	code      int
	body      string
	wwwAuth   string
	cookies   []*http.Cookie
	errorCode string // the "error" member of a JSON body
}

func mwServe(t *testing.T, h http.Handler, r *http.Request) mwResponse {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := mwResponse{code: res.StatusCode, body: string(body), wwwAuth: res.Header.Get("WWW-Authenticate"), cookies: res.Cookies()}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		var v struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("JSON body %q: %v", body, err)
		}
		out.errorCode = v.Error
	}
	return out
}

func TestMiddlewareBearer(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	tok, _ := e.login(t, "user")
	m := newTestMiddleware(t, e.s, auth.MiddlewareConfig{})
	h := m.Handler(mwWhoami)
	e.clk.Advance(time.Minute)
	expiredAt := func() string { // a token whose idle window ended
		e.clk.Advance(-time.Hour)
		tk, _, err := e.s.Login(t.Context(), auth.Claims{Subject: "old"})
		e.clk.Advance(time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}()
	sessionCookie := &http.Cookie{Name: "__Host-session", Value: tok, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}

	tests := []struct {
		name       string
		headers    []string // Authorization header values
		cookie     *http.Cookie
		wantCode   int
		wantWWW    string
		wantError  string
		wantBodyOK string
	}{
		{"valid", []string{"Bearer " + tok}, nil, 200, "", "", "hello alice"},
		{"scheme is case-insensitive", []string{"bearer " + tok}, nil, 200, "", "", "hello alice"},
		{"no header", nil, nil, 401, "Bearer", "unauthorized", ""},
		{"cookie ignored in Bearer mode", nil, sessionCookie, 401, "Bearer", "unauthorized", ""},
		{"Basic scheme", []string{"Basic YWxpY2U6c2VjcmV0"}, nil, 401, "Bearer", "unauthorized", ""},
		{"empty bearer", []string{"Bearer "}, nil, 401, `Bearer error="invalid_token"`, "invalid_token", ""},
		{"tampered", []string{"Bearer " + tok[:len(tok)-2] + "AA"}, nil, 401, `Bearer error="invalid_token"`, "invalid_token", ""},
		{"expired", []string{"Bearer " + expiredAt}, nil, 401, `Bearer error="invalid_token"`, "invalid_token", ""},
		{"garbage", []string{"Bearer <script>"}, nil, 401, `Bearer error="invalid_token"`, "invalid_token", ""},
		{"two headers", []string{"Bearer " + tok, "Bearer " + tok}, nil, 401, `Bearer error="invalid_token"`, "invalid_token", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/me", nil)
			for _, v := range tc.headers {
				r.Header.Add("Authorization", v)
			}
			if tc.cookie != nil {
				r.AddCookie(tc.cookie)
			}
			res := mwServe(t, h, r)
			if res.code != tc.wantCode || res.wwwAuth != tc.wantWWW || res.errorCode != tc.wantError {
				t.Fatalf("got %d, WWW-Authenticate %q, error %q (body %q); want %d, %q, %q",
					res.code, res.wwwAuth, res.errorCode, res.body, tc.wantCode, tc.wantWWW, tc.wantError)
			}
			if tc.wantBodyOK != "" && res.body != tc.wantBodyOK {
				t.Errorf("body = %q, want %q", res.body, tc.wantBodyOK)
			}
			if len(res.cookies) != 0 {
				t.Errorf("Bearer mode set cookies %v", res.cookies)
			}
		})
	}
}

func TestMiddlewareCookie(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{IdleTimeout: 10 * time.Minute, RenewAfter: 2 * time.Minute}, true)
	tok, claims := e.login(t, "user")
	m := newTestMiddleware(t, e.s, auth.MiddlewareConfig{Cookie: &auth.SessionCookie{}})
	h := m.Handler(mwWhoami)
	req := func(cookie string, authz string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "https://example.com/me", nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: "__Host-session", Value: cookie, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		return r
	}

	// A young token: served, no new cookie.
	if res := mwServe(t, h, req(tok, "")); res.code != 200 || res.body != "hello alice" || len(res.cookies) != 0 {
		t.Fatalf("fresh cookie: %d %q cookies %v", res.code, res.body, res.cookies)
	}
	// Bearer is not accepted unless configured.
	if res := mwServe(t, h, req("", "Bearer "+tok)); res.code != 401 {
		t.Fatalf("Bearer in cookie-only mode: %d, want 401", res.code)
	}
	// Missing cookie: 401, nothing cleared.
	if res := mwServe(t, h, req("", "")); res.code != 401 || res.errorCode != "unauthorized" || len(res.cookies) != 0 {
		t.Fatalf("no cookie: %d %q cookies %v", res.code, res.errorCode, res.cookies)
	}
	// Renewal due: a new cookie with a new token of the same session, Max-Age the idle window.
	e.clk.Advance(3 * time.Minute)
	res := mwServe(t, h, req(tok, ""))
	if res.code != 200 || len(res.cookies) != 1 {
		t.Fatalf("renewal: %d, cookies %v", res.code, res.cookies)
	}
	nc := res.cookies[0]
	if nc.Name != "__Host-session" || nc.Value == tok || nc.MaxAge != 600 || !nc.Secure || !nc.HttpOnly || nc.Path != "/" {
		t.Errorf("renewed cookie = %+v", nc)
	}
	rc, err := e.s.Verify(t.Context(), nc.Value)
	if err != nil || rc.ID != claims.ID {
		t.Errorf("renewed token: %+v, %v; want the same session", rc, err)
	}
	// An invalid cookie: 401 and the cookie is cleared.
	res = mwServe(t, h, req(tok+"x", ""))
	if res.code != 401 || res.errorCode != "invalid_token" || len(res.cookies) != 1 || res.cookies[0].MaxAge >= 0 {
		t.Fatalf("invalid cookie: %d %q cookies %v", res.code, res.errorCode, res.cookies)
	}
	// A logged-out session: 401.
	if err := e.s.Logout(t.Context(), claims); err != nil {
		t.Fatal(err)
	}
	if res := mwServe(t, h, req(nc.Value, "")); res.code != 401 || res.errorCode != "invalid_token" {
		t.Fatalf("logged-out cookie: %d %q", res.code, res.errorCode)
	}

	// Cookie and Bearer: the header wins.
	both := newTestMiddleware(t, e.s, auth.MiddlewareConfig{Cookie: &auth.SessionCookie{}, Bearer: true}).Handler(mwWhoami)
	tok2, _ := e.login(t)
	if res := mwServe(t, both, req("", "Bearer "+tok2)); res.code != 200 {
		t.Errorf("Bearer in cookie+bearer mode: %d", res.code)
	}
	if res := mwServe(t, both, req(tok2, "")); res.code != 200 {
		t.Errorf("cookie in cookie+bearer mode: %d", res.code)
	}
	if res := mwServe(t, both, req(tok2, "Bearer bad")); res.code != 401 {
		t.Errorf("bad Bearer with a good cookie: %d, want 401", res.code)
	}
	if res := mwServe(t, both, req(tok2, "Basic YWxpY2U6c2VjcmV0")); res.code != 200 {
		t.Errorf("Basic header with a good cookie: %d, want 200", res.code)
	}
}

// TestMiddlewareCrossOriginProtection composes net/http's CrossOriginProtection with cookie
// mode, as the package documentation recommends: a cross-origin POST carrying a valid session
// cookie is refused before it reaches the handler.
func TestMiddlewareCrossOriginProtection(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	tok, _ := e.login(t)
	m := newTestMiddleware(t, e.s, auth.MiddlewareConfig{Cookie: &auth.SessionCookie{}})
	reached := 0
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ })
	h := http.NewCrossOriginProtection().Handler(m.Handler(app))

	tests := []struct {
		name    string
		method  string
		headers map[string]string
		want    int
	}{
		{"same-origin POST", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"cross-site POST", http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site POST from a sibling subdomain", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"cross-origin POST from an old browser", http.MethodPost, map[string]string{"Origin": "https://evil.example"}, 403},
		{"same-origin POST from an old browser", http.MethodPost, map[string]string{"Origin": "https://bank.example"}, 200},
		{"cross-site GET (safe method)", http.MethodGet, map[string]string{"Sec-Fetch-Site": "cross-site"}, 200},
		{"non-browser POST", http.MethodPost, nil, 200},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, "https://bank.example/transfer", strings.NewReader("amount=100"))
		r.AddCookie(&http.Cookie{Name: "__Host-session", Value: tok, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		before := reached
		res := mwServe(t, h, r)
		if res.code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, res.code, tc.want)
		}
		if got := reached - before; (got == 1) != (tc.want == 200) {
			t.Errorf("%s: handler reached %d times", tc.name, got)
		}
	}
}

func TestMiddlewareRequireRole(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	adminTok, _ := e.login(t, "user", "admin")
	userTok, _ := e.login(t, "user")
	m := newTestMiddleware(t, e.s, auth.MiddlewareConfig{})
	standalone := m.RequireRole("admin")(mwWhoami)
	stacked := m.Handler(m.RequireRole("admin")(mwWhoami))
	for _, h := range []http.Handler{standalone, stacked} {
		for _, tc := range []struct {
			tok       string
			wantCode  int
			wantError string
		}{
			{adminTok, 200, ""},
			{userTok, 403, "insufficient_scope"},
			{"", 401, "unauthorized"},
			{"nonsense", 401, "invalid_token"},
		} {
			r := httptest.NewRequest(http.MethodGet, "/admin", nil)
			if tc.tok != "" {
				r.Header.Set("Authorization", "Bearer "+tc.tok)
			}
			res := mwServe(t, h, r)
			if res.code != tc.wantCode || res.errorCode != tc.wantError {
				t.Errorf("RequireRole(admin) with token %.10q: %d %q, want %d %q", tc.tok, res.code, res.errorCode, tc.wantCode, tc.wantError)
			}
			if tc.wantCode == 403 && res.wwwAuth != `Bearer error="insufficient_scope"` {
				t.Errorf("403 WWW-Authenticate = %q", res.wwwAuth)
			}
		}
	}
}

func TestMiddlewareErrorHandler(t *testing.T) {
	var got []error
	cfg := auth.MiddlewareConfig{ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
		got = append(got, err)
		http.Error(w, "custom", http.StatusTeapot)
	}}
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	userTok, _ := e.login(t, "user")
	m := newTestMiddleware(t, e.s, cfg)
	h := m.Handler(m.RequireRole("admin")(mwWhoami))
	for _, authz := range []string{"", "Bearer x", "Bearer " + userTok} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if res := mwServe(t, h, r); res.code != http.StatusTeapot {
			t.Errorf("custom handler not used: %d", res.code)
		}
	}
	want := []error{auth.ErrNoToken, auth.ErrInvalidToken, auth.ErrForbidden}
	if len(got) != len(want) {
		t.Fatalf("error handler called with %v, want %v", got, want)
	}
	for i := range want {
		if !errors.Is(got[i], want[i]) {
			t.Errorf("error #%d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestMiddlewareStoreFailure(t *testing.T) {
	good := newTokKeyring(t, auth.TokenConfig{})
	gs, err := auth.NewSessions(good, auth.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := gs.Login(t.Context(), auth.Claims{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	down := newTokKeyring(t, auth.TokenConfig{Revocation: failingRevocationStore{errors.New("down")}})
	ds, err := auth.NewSessions(down, auth.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	h := newTestMiddleware(t, ds, auth.MiddlewareConfig{}).Handler(mwWhoami)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if res := mwServe(t, h, r); res.code != http.StatusServiceUnavailable || res.errorCode != "temporarily_unavailable" {
		t.Errorf("store down: %d %q, want 503 temporarily_unavailable", res.code, res.errorCode)
	}
}

func TestMiddlewareCheck(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	tok, _ := e.login(t)
	m := newTestMiddleware(t, e.s, auth.MiddlewareConfig{})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if _, err := m.Check(r); !errors.Is(err, auth.ErrNoToken) {
		t.Errorf("Check(no token) = %v, want ErrNoToken", err)
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	if c, err := m.Check(r); err != nil || c.Subject != "alice" {
		t.Errorf("Check = %+v, %v", c, err)
	}
	if _, err := auth.NewMiddleware(nil, auth.MiddlewareConfig{}); err == nil {
		t.Error("NewMiddleware(nil) succeeded")
	}
	if _, err := auth.NewMiddleware(e.s, auth.MiddlewareConfig{Cookie: &auth.SessionCookie{Name: "bad name"}}); err == nil {
		t.Error("NewMiddleware with an invalid cookie name succeeded")
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	tests := []struct {
		name    string
		sc      auth.SessionCookie
		want    string // the Set-Cookie header of Set(w, "tok", 90s)
		wantErr bool
	}{
		{"default", auth.SessionCookie{}, "__Host-session=tok; Path=/; Max-Age=90; HttpOnly; Secure; SameSite=Lax", false},
		{"named", auth.SessionCookie{Name: "sid"}, "__Host-sid=tok; Path=/; Max-Age=90; HttpOnly; Secure; SameSite=Lax", false},
		{"already prefixed", auth.SessionCookie{Name: "__Host-sid"}, "__Host-sid=tok; Path=/; Max-Age=90; HttpOnly; Secure; SameSite=Lax", false},
		{"strict", auth.SessionCookie{SameSite: http.SameSiteStrictMode}, "__Host-session=tok; Path=/; Max-Age=90; HttpOnly; Secure; SameSite=Strict", false},
		{"insecure dev", auth.SessionCookie{InsecureHTTP: true}, "session=tok; Path=/; Max-Age=90; HttpOnly; SameSite=Lax", false},
		// Browsers drop a __Host- or __Secure- cookie that lacks Secure, so InsecureHTTP drops the
		// prefix from a Name that carries one too.
		{"insecure dev, prefixed name", auth.SessionCookie{Name: "__Host-sid", InsecureHTTP: true}, "sid=tok; Path=/; Max-Age=90; HttpOnly; SameSite=Lax", false},
		{"insecure dev, __Secure- name", auth.SessionCookie{Name: "__Secure-sid", InsecureHTTP: true}, "sid=tok; Path=/; Max-Age=90; HttpOnly; SameSite=Lax", false},
		{"insecure dev, bare prefix", auth.SessionCookie{Name: "__Host-", InsecureHTTP: true}, "", true},
		{"SameSite=None refused", auth.SessionCookie{SameSite: http.SameSiteNoneMode}, "", true},
		{"bad name", auth.SessionCookie{Name: "a;b"}, "", true},
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		err := tc.sc.Set(rec, "tok", 90*time.Second+500*time.Millisecond)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: Set error = %v, want error %v", tc.name, err, tc.wantErr)
		}
		if got := rec.Header().Get("Set-Cookie"); got != tc.want {
			t.Errorf("%s: Set-Cookie = %q, want %q", tc.name, got, tc.want)
		}
	}
	rec := httptest.NewRecorder()
	if err := (auth.SessionCookie{}).Clear(rec); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.Header().Get("Set-Cookie"), "__Host-session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"; got != want {
		t.Errorf("Clear Set-Cookie = %q, want %q", got, want)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "session", Value: "unprefixed", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if tok, ok := (auth.SessionCookie{}).Token(r); ok {
		t.Errorf("Token read the unprefixed cookie %q", tok)
	}
}

// TestNewMiddlewareNilSessions: a nil *Sessions is a non-nil TokenVerifier interface; it must be
// refused at construction rather than panic on the first request.
func TestNewMiddlewareNilSessions(t *testing.T) {
	var s *auth.Sessions
	if _, err := auth.NewMiddleware(s, auth.MiddlewareConfig{}); err == nil {
		t.Error("NewMiddleware((*Sessions)(nil)) succeeded")
	}
	if _, err := auth.NewMiddleware(nil, auth.MiddlewareConfig{}); err == nil {
		t.Error("NewMiddleware(nil) succeeded")
	}
}

// TestMiddlewareClaimsRoles checks the claims a handler reads behind the middleware, with zero to
// three roles (the first two are stored in the request's context, more in a slice of their own),
// in Bearer and cookie mode and behind RequireRole alone: the roles are the token's, appending to
// them leaves the context's claims as they were, and two requests never share their roles.
func TestMiddlewareClaimsRoles(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{}, false)
	cookieMode := newTestMiddleware(t, e.s, auth.MiddlewareConfig{Cookie: &auth.SessionCookie{}})
	bearerMode := newTestMiddleware(t, e.s, auth.MiddlewareConfig{})
	for _, roles := range [][]string{nil, {"user"}, {"user", "admin"}, {"user", "admin", "billing"}} {
		tok, _ := e.login(t, roles...)
		want, err := e.s.Verify(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []struct {
			name   string
			wrap   func(http.Handler) http.Handler
			cookie bool
		}{
			{"bearer", bearerMode.Handler, false},
			{"cookie", cookieMode.Handler, true},
			{"RequireRole alone", bearerMode.RequireRole("user"), false},
		} {
			if mode.name == "RequireRole alone" && len(roles) == 0 {
				continue
			}
			var seen [][]string
			h := mode.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, ok := auth.ClaimsFromContext(r.Context())
				if !ok {
					t.Fatalf("%s %q: no claims", mode.name, roles)
				}
				if !reflect.DeepEqual(c, want) {
					t.Errorf("%s: claims in the context %#v, want those of Verify %#v", mode.name, c, want)
				}
				seen = append(seen, c.Roles)
				_ = append(c.Roles, "root") // must not write into storage the context still uses
				if again, _ := auth.ClaimsFromContext(r.Context()); !slices.Equal(again.Roles, roles) {
					t.Errorf("%s %q: after an append, the context's roles are %q", mode.name, roles, again.Roles)
				}
			}))
			for range 2 {
				r := httptest.NewRequest(http.MethodGet, "https://example.com/me", nil)
				if mode.cookie {
					r.AddCookie(&http.Cookie{Name: "__Host-session", Value: tok, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
				} else {
					r.Header.Set("Authorization", "Bearer "+tok)
				}
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			if len(seen) != 2 || !slices.Equal(seen[0], roles) || !slices.Equal(seen[1], roles) {
				t.Fatalf("%s: roles seen %q, want %q twice", mode.name, seen, roles)
			}
			if len(roles) > 0 && &seen[0][0] == &seen[1][0] {
				t.Errorf("%s %q: two requests share their roles' storage", mode.name, roles)
			}
		}
	}
}

// TestMiddlewareCookieRenewalClaims checks that after a cookie-mode renewal the handler sees the
// claims of the new token, not those of the old one.
func TestMiddlewareCookieRenewalClaims(t *testing.T) {
	e := newSessionEnv(t, auth.SessionConfig{IdleTimeout: 10 * time.Minute, RenewAfter: 2 * time.Minute}, true)
	tok, old := e.login(t, "user")
	var got auth.Claims
	h := newTestMiddleware(t, e.s, auth.MiddlewareConfig{Cookie: &auth.SessionCookie{}}).Handler(
		http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got, _ = auth.ClaimsFromContext(r.Context()) }))
	e.clk.Advance(3 * time.Minute)
	r := httptest.NewRequest(http.MethodGet, "https://example.com/me", nil)
	r.AddCookie(&http.Cookie{Name: "__Host-session", Value: tok, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	res := mwServe(t, h, r)
	if res.code != 200 || len(res.cookies) != 1 {
		t.Fatalf("renewal: %d, cookies %v", res.code, res.cookies)
	}
	want, err := e.s.Verify(t.Context(), res.cookies[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || got.ID != old.ID || !got.IssuedAt.After(old.IssuedAt) {
		t.Errorf("claims after renewal %#v, want those of the new token %#v (old %#v)", got, want, old)
	}
}

// TestRequireRoleIgnoresForeignClaims checks that RequireRole does not take claims another
// Middleware verified (here for user sessions, a purpose the admin middleware does not
// accept) as its own: it authenticates the request itself, and the user-session token fails.
// Its own middleware's claims and the application's (ContextWithClaims) still count.
func TestRequireRoleIgnoresForeignClaims(t *testing.T) {
	clk := newTokClock()
	kr := newTokKeyring(t, auth.TokenConfig{Now: clk.Now})
	users, err := auth.NewSessions(kr, auth.SessionConfig{Purpose: "user-session"})
	if err != nil {
		t.Fatal(err)
	}
	admins, err := auth.NewSessions(kr, auth.SessionConfig{Purpose: "admin-session"})
	if err != nil {
		t.Fatal(err)
	}
	userMW := newTestMiddleware(t, users, auth.MiddlewareConfig{})
	adminMW := newTestMiddleware(t, admins, auth.MiddlewareConfig{})
	// A customer who is "admin" of their own organisation, in the user app.
	userTok, _, err := users.Login(t.Context(), auth.Claims{Subject: "mallory", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	staffTok, _, err := admins.Login(t.Context(), auth.Claims{Subject: "sam", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/staff/", adminMW.RequireRole("admin")(mwWhoami))
	mux.Handle("/", mwWhoami)
	for _, tc := range []struct {
		name     string
		h        http.Handler
		tok      string
		wantCode int
		wantBody string
	}{
		{"user token behind the user middleware", userMW.Handler(mux), userTok, http.StatusUnauthorized, ""},
		{"staff token behind the admin middleware", adminMW.Handler(mux), staffTok, http.StatusOK, "hello sam"},
		{"staff token, RequireRole alone", mux, staffTok, http.StatusOK, "hello sam"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/staff/panel", nil)
			r.Header.Set("Authorization", "Bearer "+tc.tok)
			res := mwServe(t, tc.h, r)
			if res.code != tc.wantCode || (tc.wantBody != "" && res.body != tc.wantBody) {
				t.Errorf("%d %q, want %d %q", res.code, res.body, tc.wantCode, tc.wantBody)
			}
		})
	}
	// Claims the application put in the context are its own word.
	r := httptest.NewRequest(http.MethodGet, "/staff/panel", nil)
	r = r.WithContext(auth.ContextWithClaims(r.Context(), auth.Claims{Subject: "app", Roles: []string{"admin"}}))
	if res := mwServe(t, mux, r); res.code != http.StatusOK || res.body != "hello app" {
		t.Errorf("ContextWithClaims behind RequireRole: %d %q, want 200 %q", res.code, res.body, "hello app")
	}
}
