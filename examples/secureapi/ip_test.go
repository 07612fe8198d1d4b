package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/rampart-go/rampart/ratelimit"
)

// TestIP checks the client address that the logs show: netip's canonical form, the real client
// behind a trusted proxy only, and no allocation in the common case of a direct IPv4 client.
func TestIP(t *testing.T) {
	a := &app{clientIP: &ratelimit.ClientIP{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	for _, tc := range []struct{ remote, xff, want string }{
		{"198.51.100.7:40000", "", "198.51.100.7"},
		{"[2001:db8::1]:443", "", "2001:db8::1"},
		{"[2001:DB8:0:0::1]:443", "", "2001:db8::1"},          // canonical form, not as sent
		{"[::ffff:198.51.100.7]:80", "", "198.51.100.7"},      // unmapped
		{"[fe80::1%eth0]:80", "", "fe80::1"},                  // no zone
		{"198.51.100.7:40000", "203.0.113.9", "198.51.100.7"}, // untrusted peer: header ignored
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},       // trusted proxy
		{"10.1.2.3:5000", "[2001:db8::2]:1234, 10.9.9.9", "2001:db8::2"},
		{"not an address", "", ""},
		{"", "", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := a.ip(r); got != tc.want {
			t.Errorf("ip(RemoteAddr %q, X-Forwarded-For %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "198.51.100.7:40000"
	if n := testing.AllocsPerRun(100, func() { _ = a.ip(r) }); n != 0 {
		t.Errorf("ip of a direct IPv4 client: %v allocations, want 0", n)
	}
}

// TestAccessLogClientIP checks the client address in the access log: the TCP peer without
// trusted proxies (a client's X-Forwarded-For is ignored), the forwarded client behind one.
func TestAccessLogClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name              string
		proxies           []netip.Prefix
		remote, xff, want string
	}{
		{"direct", nil, "198.51.100.7:40000", "", "198.51.100.7"},
		{"direct, spoofed header", nil, "198.51.100.7:40000", "203.0.113.9", "198.51.100.7"},
		{"direct IPv6", nil, "[2001:db8::1]:443", "", "2001:db8::1"},
		{"proxy not trusted", nil, "10.1.2.3:5000", "203.0.113.9", "10.1.2.3"},
		{"trusted proxy", proxies, "10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},
		{"untrusted peer, proxies configured", proxies, "198.51.100.7:40000", "203.0.113.9", "198.51.100.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &app{clientIP: &ratelimit.ClientIP{TrustedProxies: tc.proxies}}
			var buf bytes.Buffer
			redactor, logger := newLogger(&buf)
			h := redactor.AccessLog(logger, a.accessLogConfig())(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			}))
			r := httptest.NewRequest(http.MethodGet, "/api/profile", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			var rec struct {
				ClientIP string `json:"client_ip"`
				Status   int    `json:"status"`
			}
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("access log %q: %v", buf.String(), err)
			}
			if rec.ClientIP != tc.want || rec.Status != http.StatusNoContent {
				t.Errorf("access log client_ip %q, status %d; want %q, 204 (record %s)", rec.ClientIP, rec.Status, tc.want, buf.String())
			}
		})
	}
}
