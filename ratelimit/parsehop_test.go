package ratelimit

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzParseHop checks parseHop's "v4:port" fast path against netip.ParseAddrPort, which it
// replaces for that shape: both accept exactly the same strings and yield the same address.
func FuzzParseHop(f *testing.F) {
	for _, s := range []string{
		"203.0.113.7:4711", "0.0.0.0:0", "1.2.3.4:65535", "1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:00080",
		"1.2.3.4:+80", "1.2.3.4:-1", "1.2.3.4:8_0", "1.2.3.4:0x50", "1.2.3.4: 80", " 1.2.3.4:80 ",
		"01.2.3.4:80", "1.2.3:80", "1.2.3.4.5:80", "[1.2.3.4]:80", "[::1]:80", "::1", "host:80",
		"1.2.3.4%eth0:80", "1.2.3.4:99999999999999999999", "[::ffff:1.2.3.4]:80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseHop(s)
		trimmed := strings.TrimSpace(s)
		if len(trimmed) == 0 || len(trimmed) > 64 || trimmed[0] == '[' || strings.Count(trimmed, ":") != 1 {
			return // not the fast path's shape
		}
		ap, err := netip.ParseAddrPort(trimmed)
		if ok != (err == nil) {
			t.Fatalf("parseHop(%q) ok = %v; netip.ParseAddrPort error %v", s, ok, err)
		}
		if ok && got != ap.Addr().WithZone("").Unmap() {
			t.Fatalf("parseHop(%q) = %v; netip.ParseAddrPort %v", s, got, ap.Addr())
		}
	})
}
