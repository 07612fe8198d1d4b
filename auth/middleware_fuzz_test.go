package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
)

// FuzzMiddlewareRequest feeds arbitrary Authorization headers (none, one or two) and session
// cookie headers to a cookie+Bearer middleware. It must never panic, must answer only 200 or a
// 401 with the RFC 6750 challenge and JSON error that go together, and may serve the request
// only when the one valid token was actually presented in the header or the cookie.
func FuzzMiddlewareRequest(f *testing.F) {
	clk := newTokClock()
	// A fixed random source gives every fuzz worker process the same token as the seeds.
	sessions, err := auth.NewSessions(newTokKeyring(f, auth.TokenConfig{Now: clk.Now, Rand: tokFixedRand(7)}), auth.SessionConfig{})
	if err != nil {
		f.Fatal(err)
	}
	tok, _, err := sessions.Login(f.Context(), auth.Claims{Subject: "alice", Roles: []string{"user"}})
	if err != nil {
		f.Fatal(err)
	}
	m, err := auth.NewMiddleware(sessions, auth.MiddlewareConfig{Cookie: &auth.SessionCookie{}, Bearer: true})
	if err != nil {
		f.Fatal(err)
	}
	h := m.Handler(mwWhoami)
	f.Add(uint8(1), "Bearer "+tok, "", "")
	f.Add(uint8(1), "bEaReR   "+tok, "", "")
	f.Add(uint8(2), "Bearer "+tok, "Bearer "+tok, "")
	f.Add(uint8(0), "", "", "__Host-session="+tok)
	f.Add(uint8(1), "Basic YWxpY2U6c2VjcmV0", "", "__Host-session="+tok)
	f.Add(uint8(1), "Bearer", "", "__Host-session="+tok)
	f.Add(uint8(0), "", "", "__Host-session="+tok+"; __Host-session=x")
	f.Add(uint8(0), "", "", `__Host-session="`+tok+`"`)
	f.Add(uint8(1), "Bearer "+tok+" ", "", "")
	f.Add(uint8(1), "Bearer\t"+tok, "", "")
	f.Fuzz(func(t *testing.T, nHeaders uint8, h1, h2, cookie string) {
		r := httptest.NewRequest(http.MethodGet, "https://example.com/me", nil)
		switch nHeaders % 3 {
		case 1:
			r.Header["Authorization"] = []string{h1}
		case 2:
			r.Header["Authorization"] = []string{h1, h2}
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.String()
		switch res.StatusCode {
		case http.StatusOK:
			if body != "hello alice" {
				t.Fatalf("200 with body %q", body)
			}
			presented := strings.Contains(h1, tok) || strings.Contains(cookie, tok) || nHeaders%3 == 2 && strings.Contains(h2, tok)
			if !presented {
				t.Fatalf("served a request that did not present the token: headers %q %q, cookie %q", h1, h2, cookie)
			}
		case http.StatusUnauthorized:
			www := res.Header.Get("WWW-Authenticate")
			switch body {
			case "{\"error\":\"unauthorized\"}\n":
				if www != "Bearer" {
					t.Fatalf("no-token 401 with WWW-Authenticate %q", www)
				}
			case "{\"error\":\"invalid_token\"}\n":
				if www != `Bearer error="invalid_token"` {
					t.Fatalf("invalid-token 401 with WWW-Authenticate %q", www)
				}
			default:
				t.Fatalf("401 with body %q", body)
			}
		default:
			t.Fatalf("status %d, body %q", res.StatusCode, body)
		}
		// The exact, well-formed presentations must be served.
		if nHeaders%3 == 1 && h1 == "Bearer "+tok && res.StatusCode != http.StatusOK {
			t.Fatalf("valid Bearer header refused: %d %q", res.StatusCode, body)
		}
	})
}
