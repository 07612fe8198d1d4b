package tlsutil_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

func serve(h http.Handler) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "https://example.com/", nil))
	return w
}

var nonceRE = regexp.MustCompile(`'nonce-([A-Za-z0-9+/=]+)'`)

func TestHeadersDefaults(t *testing.T) {
	var gotNonce string
	h := tlsutil.Headers{}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotNonce = tlsutil.Nonce(r)
	}))
	w := serve(h)
	want := map[string]string{
		"Strict-Transport-Security":    "max-age=63072000",
		"X-Frame-Options":              "DENY",
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "strict-origin-when-cross-origin",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           tlsutil.DefaultPermissionsPolicy,
		"X-Xss-Protection":             "0",
	}
	for k, v := range want {
		if got := w.Header().Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	csp := w.Header().Get("Content-Security-Policy")
	m := nonceRE.FindAllStringSubmatch(csp, -1)
	if len(m) != 2 || m[0][1] != gotNonce || m[1][1] != gotNonce || len(gotNonce) < 22 {
		t.Fatalf("CSP %q: nonces %v, handler saw %q", csp, m, gotNonce)
	}
	for _, d := range []string{"default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, tlsutil.NoncePlaceholder) {
		t.Errorf("CSP %q still holds the placeholder", csp)
	}
	// A fresh nonce on every request.
	seen := map[string]bool{}
	for range 50 {
		serve(h)
		if seen[gotNonce] {
			t.Fatalf("nonce %q repeated", gotNonce)
		}
		seen[gotNonce] = true
	}
}

func TestHeadersOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    tlsutil.Headers
		want map[string]string // "" means absent
	}{
		{"hsts subdomains and preload", tlsutil.Headers{HSTSIncludeSubDomains: true, HSTSPreload: true},
			map[string]string{"Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload"}},
		{"hsts custom age", tlsutil.Headers{HSTSMaxAge: 24 * time.Hour},
			map[string]string{"Strict-Transport-Security": "max-age=86400"}},
		{"hsts off", tlsutil.Headers{HSTSMaxAge: -1}, map[string]string{"Strict-Transport-Security": ""}},
		{"api csp without nonce", tlsutil.Headers{ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'"},
			map[string]string{"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}},
		{"omit csp and frame options", tlsutil.Headers{ContentSecurityPolicy: tlsutil.Omit, FrameOptions: tlsutil.Omit},
			map[string]string{"Content-Security-Policy": "", "X-Frame-Options": "", "X-Content-Type-Options": "nosniff"}},
		{"overrides", tlsutil.Headers{FrameOptions: "SAMEORIGIN", ReferrerPolicy: "no-referrer",
			CrossOriginOpenerPolicy: "same-origin-allow-popups", CrossOriginResourcePolicy: "cross-origin", PermissionsPolicy: "camera=(self)"},
			map[string]string{"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "no-referrer",
				"Cross-Origin-Opener-Policy": "same-origin-allow-popups", "Cross-Origin-Resource-Policy": "cross-origin",
				"Permissions-Policy": "camera=(self)", "X-XSS-Protection": "0"}},
	} {
		w := serve(tc.h.Handler(http.NotFoundHandler()))
		for k, v := range tc.want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, got, v)
			}
		}
	}
}

// TestHeadersPerRoute nests a route-specific Headers inside the site-wide one: the inner values
// and nonce win, and a handler can still set its own value.
func TestHeadersPerRoute(t *testing.T) {
	site := tlsutil.Headers{}
	embed := tlsutil.Headers{FrameOptions: tlsutil.Omit, ContentSecurityPolicy: "frame-ancestors https://partner.example; script-src 'nonce-{nonce}'"}
	api := tlsutil.Headers{ContentSecurityPolicy: "default-src 'none'"}
	var nonce string
	mux := http.NewServeMux()
	mux.Handle("/widget", embed.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { nonce = tlsutil.Nonce(r) })))
	mux.Handle("/api", api.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { nonce = tlsutil.Nonce(r) })))
	mux.HandleFunc("/custom", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Referrer-Policy", "no-referrer") })
	h := site.Handler(mux)
	do := func(path string) http.Header {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "https://example.com"+path, nil))
		return w.Header()
	}
	hdr := do("/widget")
	if hdr.Get("X-Frame-Options") != "" || !strings.HasPrefix(hdr.Get("Content-Security-Policy"), "frame-ancestors https://partner.example") ||
		len(hdr.Values("Content-Security-Policy")) != 1 || !strings.Contains(hdr.Get("Content-Security-Policy"), "'nonce-"+nonce+"'") {
		t.Errorf("/widget headers = %v (nonce %q)", hdr, nonce)
	}
	if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("Strict-Transport-Security") == "" {
		t.Errorf("/widget lost the site-wide headers: %v", hdr)
	}
	hdr = do("/api")
	if hdr.Get("Content-Security-Policy") != "default-src 'none'" || nonce != "" {
		t.Errorf("/api CSP = %q, nonce %q; want the route's policy and no nonce", hdr.Get("Content-Security-Policy"), nonce)
	}
	if got := do("/custom").Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("/custom Referrer-Policy = %q, want the handler's value", got)
	}
}

// TestHeadersHandlerEdits checks that the values of one response are independent: a handler that
// appends to a header, or edits a value in place, changes that header of that response only.
func TestHeadersHandlerEdits(t *testing.T) {
	names := []string{"Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
		"Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy", "Permissions-Policy", "X-Xss-Protection",
		"Content-Security-Policy"}
	for _, hv := range []tlsutil.Headers{{}, {ContentSecurityPolicy: "default-src 'none'"}} {
		pristine := serve(hv.Handler(http.NotFoundHandler())).Header().Clone()
		for _, name := range names {
			if len(pristine.Values(name)) != 1 {
				t.Fatalf("%s: %q, want one value", name, pristine.Values(name))
			}
		}
		for _, edited := range names {
			for _, edit := range []struct {
				name string
				f    func(http.Header)
			}{
				{"append", func(h http.Header) { h.Add(edited, "appended") }},
				{"append directly", func(h http.Header) { h[edited] = append(h[edited], "appended") }},
				{"edit in place", func(h http.Header) { h[edited][0] = "edited" }},
			} {
				first := true
				h := hv.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					if first {
						edit.f(w.Header())
						first = false
					}
				}))
				got := serve(h).Header()
				for _, name := range names {
					if name == edited || name == "Content-Security-Policy" && hv.ContentSecurityPolicy == "" {
						continue // the edited header; the default CSP has a fresh nonce each time
					}
					if g, w := got.Values(name), pristine.Values(name); len(g) != 1 || g[0] != w[0] {
						t.Errorf("%s %s: %s = %q, want %q", edit.name, edited, name, g, w)
					}
				}
				// The next response is unaffected, the edited header included.
				next := serve(h).Header()
				for _, name := range names {
					if name == "Content-Security-Policy" && hv.ContentSecurityPolicy == "" {
						continue
					}
					if g, w := next.Values(name), pristine.Values(name); len(g) != 1 || g[0] != w[0] {
						t.Errorf("%s %s: next response's %s = %q, want %q", edit.name, edited, name, g, w)
					}
				}
			}
		}
	}
}

func TestHeadersInvalidConfigPanics(t *testing.T) {
	for _, h := range []tlsutil.Headers{
		{HSTSPreload: true},
		{HSTSPreload: true, HSTSIncludeSubDomains: true, HSTSMaxAge: 30 * 24 * time.Hour},
		{ReferrerPolicy: "no-referrer\r\nSet-Cookie: x=1"},
		{ContentSecurityPolicy: "default-src 'self'\n"},
		{HSTSMaxAge: 63072000},               // seconds given as a Duration: 63 ms, max-age=0
		{HSTSMaxAge: 500 * time.Millisecond}, // max-age=0 would make browsers forget HSTS
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Headers%+v.Handler did not panic", h)
				}
			}()
			h.Handler(http.NotFoundHandler())
		}()
	}
}

func BenchmarkHeaders(b *testing.B) {
	h := tlsutil.Headers{}.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "https://example.com/", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
	}
}
