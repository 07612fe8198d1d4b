package tlsutil_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/tlsutil"
)

// FuzzCheckHost feeds untrusted URL hosts to the SSRF guard: no panic, only ErrBlocked, and
// literal addresses are judged exactly as Check judges the parsed address.
func FuzzCheckHost(f *testing.F) {
	for _, tc := range ssrfCorpus {
		f.Add(tc.host)
	}
	for _, s := range []string{"[::ffff:0:0]", "0x.0x.0x.0x", "00000000000000000000000001", "4294967296", "4294967295",
		"1.16777216", "1.2.65536", "[fe80::%zone%25x]", "::ffff:1.2.3.4%eth0", "[::1]:", ":80", "1:2:3:4:5:6:7:8:9"} {
		f.Add(s)
	}
	var g tlsutil.Guard
	f.Fuzz(func(t *testing.T, host string) {
		err := g.CheckHost(host)
		if err != nil && !errors.Is(err, tlsutil.ErrBlocked) {
			t.Fatalf("CheckHost(%q) = %v, not ErrBlocked", host, err)
		}
		if a, perr := netip.ParseAddr(host); perr == nil {
			if (g.Check(a) == nil) != (err == nil) {
				t.Fatalf("CheckHost(%q) = %v but Check = %v", host, err, g.Check(a))
			}
		}
	})
}

// FuzzGuardCheck checks arbitrary IPv4 addresses: the IPv4-mapped, NAT64, 6to4 and ISATAP
// (under a global prefix) forms of an address are allowed exactly when the address itself is.
func FuzzGuardCheck(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "8.8.8.8", "169.254.169.254", "10.0.0.1", "100.64.0.1", "0.0.0.0", "255.255.255.255", "93.184.215.14"} {
		a := netip.MustParseAddr(s).As4()
		f.Add(a[0], a[1], a[2], a[3])
	}
	var g tlsutil.Guard
	f.Fuzz(func(t *testing.T, a, b, c, d byte) {
		v4 := netip.AddrFrom4([4]byte{a, b, c, d})
		mapped := netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: a, 13: b, 14: c, 15: d})
		nat64 := netip.AddrFrom16([16]byte{0: 0, 1: 0x64, 2: 0xff, 3: 0x9b, 12: a, 13: b, 14: c, 15: d})
		sixToFour := netip.AddrFrom16([16]byte{0: 0x20, 1: 0x02, 2: a, 3: b, 4: c, 5: d, 15: 1})
		isatap := netip.AddrFrom16([16]byte{0: 0x26, 1: 0x00, 2: 0x1f, 3: 0x18, 8: 0x02, 10: 0x5e, 11: 0xfe, 12: a, 13: b, 14: c, 15: d})
		want := g.Check(v4) == nil
		for _, x := range []netip.Addr{mapped, nat64, sixToFour, isatap} {
			if got := g.Check(x) == nil; got != want {
				t.Fatalf("Check(%s) allowed = %v, but Check(%s) allowed = %v", x, got, v4, want)
			}
		}
	})
}

// FuzzParsePin: no panic, only ErrInvalidPin, and accepted pins round-trip.
func FuzzParsePin(f *testing.F) {
	for _, s := range []string{"sha256/" + strings.Repeat("A", 43) + "=", strings.Repeat("A", 43) + "=", "", "sha256/", "sha256/AAAA", "sha256/" + strings.Repeat("A", 44)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := tlsutil.ParsePin(s)
		if err != nil {
			if !errors.Is(err, tlsutil.ErrInvalidPin) {
				t.Fatalf("ParsePin(%q) = %v, not ErrInvalidPin", s, err)
			}
			return
		}
		if q, err := tlsutil.ParsePin(p.String()); err != nil || q != p {
			t.Fatalf("round trip of %q: %v, %v", s, q, err)
		}
	})
}

// FuzzCheckGODEBUGValues parses arbitrary GODEBUG strings without panicking, reporting only
// known settings with their effective values.
func FuzzCheckGODEBUGValues(f *testing.F) {
	f.Add("tls10server=1,tlsrsakex=1", "tlsrsakex=0")
	f.Add("", "tlsmlkem=0#bisect,,=,x")
	f.Add("tlsmaxrsasize=99999", "tlsmaxrsasize=")
	f.Fuzz(func(t *testing.T, build, env string) {
		for _, w := range tlsutil.CheckGODEBUGValues(build, env) {
			if w.Name == "" || w.Effect == "" || (w.Source != "build" && w.Source != "GODEBUG") {
				t.Fatalf("CheckGODEBUGValues(%q, %q) returned %+v", build, env, w)
			}
			if !strings.Contains(build, w.Name) && !strings.Contains(env, w.Name) {
				t.Fatalf("reported %s, absent from the input", w.Name)
			}
		}
	})
}

// FuzzRedirectHTTPS sends arbitrary Host headers and paths: a redirect only ever goes to
// https on a configured host.
func FuzzRedirectHTTPS(f *testing.F) {
	f.Add("example.com", "/a?b=c")
	f.Add("EXAMPLE.COM:80", "//evil.example/")
	f.Add("example.com.evil.example", "/")
	f.Add("evil.example@example.com", "/")
	f.Add("[::1]", "/%0d%0aSet-Cookie:x")
	h := tlsutil.RedirectHTTPS([]string{"example.com"}, 8443)
	f.Fuzz(func(t *testing.T, host, path string) {
		r := httptest.NewRequest("GET", "http://placeholder/", nil)
		r.Host = host
		r.URL.Path = path
		r.URL.RawPath = ""
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		loc := w.Header().Get("Location")
		switch w.Code {
		case http.StatusPermanentRedirect:
			rest, ok := strings.CutPrefix(loc, "https://example.com:8443")
			if !ok || (rest != "" && rest[0] != '/' && rest[0] != '?') {
				t.Fatalf("Host %q path %q redirected to %q", host, path, loc)
			}
			if strings.ContainsAny(loc, "\r\n") {
				t.Fatalf("Location %q contains a line break", loc)
			}
		case http.StatusBadRequest:
			if loc != "" {
				t.Fatalf("400 with Location %q", loc)
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
