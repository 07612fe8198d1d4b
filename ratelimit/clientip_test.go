package ratelimit_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/ratelimit"
)

func request(remote string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	return r
}

var proxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}

func TestClientIPAddr(t *testing.T) {
	tests := []struct {
		name string
		c    ratelimit.ClientIP
		r    *http.Request
		want string
	}{
		// Without trusted proxies, forwarding headers are ignored: a client cannot spoof them.
		{"no proxies ignores XFF", ratelimit.ClientIP{}, request("203.0.113.7:5000", "X-Forwarded-For", "1.2.3.4"), "203.0.113.7"},
		{"no proxies ignores Forwarded", ratelimit.ClientIP{Header: "Forwarded"}, request("203.0.113.7:5000", "Forwarded", "for=1.2.3.4"), "203.0.113.7"},
		{"untrusted peer ignores XFF", ratelimit.ClientIP{TrustedProxies: proxies}, request("203.0.113.7:5000", "X-Forwarded-For", "1.2.3.4"), "203.0.113.7"},
		// Behind trusted proxies, the rightmost untrusted entry counts; entries to its left
		// are the client's own claims.
		{"rightmost untrusted", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "1.2.3.4, 198.51.100.9, 10.0.0.2"), "198.51.100.9"},
		{"spoofed leftmost ignored", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "10.9.9.9, 198.51.100.9"), "198.51.100.9"},
		{"several header lines", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "1.2.3.4", "X-Forwarded-For", "198.51.100.9, 10.0.0.3"), "198.51.100.9"},
		{"all trusted gives leftmost", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "10.0.0.5, 10.0.0.2"), "10.0.0.5"},
		{"no header from proxy", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80"), "10.0.0.1"},
		{"entry with port", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "198.51.100.9:4711"), "198.51.100.9"},
		{"IPv6 entry with port", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "[2001:db8::1]:4711"), "2001:db8::1"},
		{"mapped IPv4 entry", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "::ffff:198.51.100.9"), "198.51.100.9"},
		// A proxy network written IPv4-mapped, as for a dual-stack listener, is the IPv4 network.
		{"mapped trusted prefix", ratelimit.ClientIP{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")}}, request("[::ffff:10.0.0.1]:80", "X-Forwarded-For", "198.51.100.9, 10.0.0.2"), "198.51.100.9"},
		{"mapped trusted prefix, untrusted peer", ratelimit.ClientIP{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")}}, request("11.0.0.1:80", "X-Forwarded-For", "198.51.100.9"), "11.0.0.1"},
		// Hop counting: the peer is hop 1; with 2 hops, the client is the second entry from the right.
		{"hops", ratelimit.ClientIP{TrustedHops: 2}, request("192.0.2.1:80", "X-Forwarded-For", "6.6.6.6, 198.51.100.9, 192.0.2.2"), "198.51.100.9"},
		{"hops short chain", ratelimit.ClientIP{TrustedHops: 3}, request("192.0.2.1:80", "X-Forwarded-For", "198.51.100.9"), "198.51.100.9"},
		// RFC 7239 Forwarded.
		{"Forwarded", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", `for=1.2.3.4, for=198.51.100.9;proto=https, for=10.0.0.2`), "198.51.100.9"},
		{"Forwarded quoted IPv6", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", `for="[2001:db8:cafe::17]:4711";by=10.0.0.1`), "2001:db8:cafe::17"},
		{"Forwarded quoted comma", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", `for=198.51.100.9;ext="a,b", for=10.0.0.2`), "198.51.100.9"},
		{"Forwarded case", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", `By=10.0.0.1;For=198.51.100.9`), "198.51.100.9"},
		// A client's line with an unterminated quote cannot hide the proxy's own line.
		{"Forwarded unterminated quote on the client's line", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", `for=6.6.6.6;by="`, "Forwarded", "for=198.51.100.9"), "198.51.100.9"},
		{"Forwarded ignores XFF", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "X-Forwarded-For", "6.6.6.6", "Forwarded", "for=198.51.100.9"), "198.51.100.9"},
		{"XFF ignores Forwarded", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "Forwarded", "for=6.6.6.6", "X-Forwarded-For", "198.51.100.9"), "198.51.100.9"},
		// RemoteAddr forms.
		{"IPv6 remote", ratelimit.ClientIP{}, request("[2001:db8::5]:443"), "2001:db8::5"},
		{"zone dropped", ratelimit.ClientIP{}, request("[fe80::1%eth0]:443"), "fe80::1"},
		{"mapped remote", ratelimit.ClientIP{}, request("[::ffff:192.0.2.1]:443"), "192.0.2.1"},
		{"bare remote", ratelimit.ClientIP{}, request("192.0.2.1"), "192.0.2.1"},
		// A proxy trusted by position may reach the server over a Unix socket.
		{"Unix socket peer", ratelimit.ClientIP{TrustedHops: 1}, request("@", "X-Forwarded-For", "6.6.6.6, 198.51.100.9"), "198.51.100.9"},
		{"unnamed Unix socket peer", ratelimit.ClientIP{TrustedHops: 1}, request("", "X-Forwarded-For", "198.51.100.9"), "198.51.100.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Addr(tt.r)
			if err != nil || got != netip.MustParseAddr(tt.want) {
				t.Fatalf("Addr() = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestClientIPErrors(t *testing.T) {
	tests := []struct {
		name string
		c    ratelimit.ClientIP
		r    *http.Request
		want error
	}{
		{"empty remote", ratelimit.ClientIP{}, request(""), ratelimit.ErrClientIP},
		{"garbage remote", ratelimit.ClientIP{}, request("not an address"), ratelimit.ErrClientIP},
		{"hostname remote", ratelimit.ClientIP{}, request("localhost:80"), ratelimit.ErrClientIP},
		{"Unix socket peer, no proxy trusted", ratelimit.ClientIP{TrustedProxies: proxies}, request("@", "X-Forwarded-For", "198.51.100.9"), ratelimit.ErrClientIP},
		{"Unix socket peer, no header", ratelimit.ClientIP{TrustedHops: 1}, request("@"), ratelimit.ErrClientIP},
		{"garbage hop", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "1.2.3.4, garbage"), ratelimit.ErrClientIP},
		{"empty hop", ratelimit.ClientIP{TrustedProxies: proxies}, request("10.0.0.1:80", "X-Forwarded-For", "1.2.3.4,"), ratelimit.ErrClientIP},
		{"obfuscated Forwarded", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", "for=_hidden"), ratelimit.ErrClientIP},
		// The client sends `for=6.6.6.6;by="` and the proxy appends ", for=<client>" to the same
		// line (nginx's $proxy_add_forwarded does): the open quote must not swallow the proxy's
		// element and leave the client's for= as the rightmost one.
		{"Forwarded unterminated quote", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", `for=6.6.6.6;by=", for=198.51.100.9`), ratelimit.ErrClientIP},
		{"Forwarded unterminated escaped quote", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", `for=6.6.6.6;by="x\", for=198.51.100.9`), ratelimit.ErrClientIP},
		{"Forwarded without for", ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}, request("10.0.0.1:80", "Forwarded", "proto=https"), ratelimit.ErrClientIP},
		{"bad header name", ratelimit.ClientIP{Header: "X-Real-IP"}, request("192.0.2.1:80"), ratelimit.ErrConfig},
		{"bad hops", ratelimit.ClientIP{TrustedHops: -1}, request("192.0.2.1:80"), ratelimit.ErrConfig},
		{"bad v6 prefix", ratelimit.ClientIP{IPv6Prefix: 8}, request("192.0.2.1:80"), ratelimit.ErrConfig},
		{"bad v4 prefix", ratelimit.ClientIP{IPv4Prefix: 33}, request("192.0.2.1:80"), ratelimit.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Key(tt.r)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Key() = %q, %v; want error %v", got, err, tt.want)
			}
		})
	}
}

// TestClientIPv6Rotation: a host that owns a /64 gets one key whatever address it uses.
func TestClientIPv6Rotation(t *testing.T) {
	c := &ratelimit.ClientIP{}
	addrs := []string{"[2001:db8:1:2::1]:1", "[2001:db8:1:2:ffff:ffff:ffff:ffff]:2", "[2001:db8:1:2:dead:beef:0:1%eth0]:3"}
	for _, a := range addrs {
		k, err := c.Key(request(a))
		if err != nil || k != "2001:db8:1:2::/64" {
			t.Fatalf("Key(%s) = %q, %v; want 2001:db8:1:2::/64", a, k, err)
		}
	}
	if k, _ := c.Key(request("[2001:db8:1:3::1]:1")); k == "2001:db8:1:2::/64" {
		t.Fatal("a different /64 got the same key")
	}
	c = &ratelimit.ClientIP{IPv6Prefix: 128, IPv4Prefix: 24}
	if k, _ := c.Key(request("[2001:db8::1]:1")); k != "2001:db8::1/128" {
		t.Fatalf("Key with IPv6Prefix 128 = %q", k)
	}
	if k, _ := c.Key(request("192.0.2.77:1")); k != "192.0.2.0/24" {
		t.Fatalf("Key with IPv4Prefix 24 = %q", k)
	}
	if k, _ := c.Key(request("[::ffff:192.0.2.77]:1")); k != "192.0.2.0/24" {
		t.Fatalf("Key of an IPv4-mapped address = %q, want the IPv4 key", k)
	}
}

func TestClientIPLongHeader(t *testing.T) {
	// A header with thousands of entries is examined from the right and bounded.
	c := &ratelimit.ClientIP{TrustedProxies: proxies}
	long := strings.Repeat("10.0.0.9, ", 5000) + "10.0.0.8"
	got, err := c.Addr(request("10.0.0.1:80", "X-Forwarded-For", long))
	if err != nil || !proxies[0].Contains(got) {
		t.Fatalf("Addr() with 5001 trusted entries = %v, %v; want a trusted address and no error", got, err)
	}
}

// FuzzClientIP feeds arbitrary RemoteAddr and forwarding headers to both parsers: no panic,
// errors are only ErrClientIP, and a returned address is valid, zone-free and unmapped.
func FuzzClientIP(f *testing.F) {
	seeds := [][3]string{
		{"10.0.0.1:80", "1.2.3.4, 198.51.100.9", `for=1.2.3.4, for="[2001:db8::1]:80"`},
		{"[fe80::1%eth0]:443", "[2001:db8::1]:4711", `for="_hidden";by=x`},
		{"10.0.0.1:80", ",,,", `for="a\"b,c";proto=https,for=unknown`},
		{"[::ffff:10.0.0.1]:1", "::ffff:1.2.3.4%zone", `for="`},
		{"", "", ""},
		{"10.0.0.1:80", "1.2.3.4", `for=6.6.6.6;by=", for=198.51.100.9`},
		{"10.0.0.1", strings.Repeat("1.1.1.1,", 100), strings.Repeat("for=1.1.1.1,", 100)},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	confs := []ratelimit.ClientIP{
		{},
		{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}},
		{TrustedProxies: proxies, Header: "Forwarded"},
		{TrustedHops: 2, Header: "Forwarded", IPv6Prefix: 48},
	}
	f.Fuzz(func(t *testing.T, remote, xff, fwd string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {xff}, "Forwarded": {fwd}}}
		for _, c := range confs {
			a, err := c.Addr(r)
			if err != nil {
				if !errors.Is(err, ratelimit.ErrClientIP) {
					t.Fatalf("Addr error %v does not wrap ErrClientIP", err)
				}
				continue
			}
			if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
				t.Fatalf("Addr() = %v: want a valid, zone-free, unmapped address", a)
			}
			if _, err := c.Key(r); err != nil {
				t.Fatalf("Key() failed after Addr() succeeded: %v", err)
			}
		}
	})
}

// TestClientIPHostileHeaderAllocs: a client's near-1MB Forwarded header of escaped quoted
// elements costs a bounded number of allocations (only the rightmost 64 elements are
// unquoted), not one per element.
func TestClientIPHostileHeaderAllocs(t *testing.T) {
	c := &ratelimit.ClientIP{TrustedProxies: proxies, Header: "Forwarded"}
	hostile := strings.Repeat(`for="\1.2.3.4";by=x, `, 40000) + "for=198.51.100.9"
	r := request("10.0.0.1:80", "Forwarded", hostile)
	if a, err := c.Addr(r); err != nil || a != netip.MustParseAddr("198.51.100.9") {
		t.Fatalf("Addr() = %v, %v; want 198.51.100.9", a, err)
	}
	if n := testing.AllocsPerRun(5, func() { _, _ = c.Addr(r) }); n > 100 {
		t.Fatalf("Addr() with a %d-byte hostile Forwarded header: %v allocations, want at most 100", len(hostile), n)
	}
}

// TestClientIPKeyFullLength: at full prefix length (IPv4 /32, IPv6 /128) Key is the masked
// prefix's CIDR text, exactly as netip formats it, for zoned, mapped and unusual addresses.
func TestClientIPKeyFullLength(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"203.0.113.7:4711", "203.0.113.7/32"},
		{"0.0.0.0:0", "0.0.0.0/32"},
		{"255.255.255.255:65535", "255.255.255.255/32"},
		{"[::ffff:203.0.113.7]:80", "203.0.113.7/32"},
		{"[2001:db8::1]:1", "2001:db8::1/128"},
		{"[2001:db8::1%eth0]:1", "2001:db8::1/128"},
		{"[::]:1", "::/128"},
		{"[::1]:1", "::1/128"},
		{"[2001:0db8:0000:0000:0000:0000:0000:0001]:1", "2001:db8::1/128"},
	}
	c := &ratelimit.ClientIP{IPv6Prefix: 128}
	for _, tt := range tests {
		got, err := c.Key(request(tt.remote))
		if err != nil || got != tt.want {
			t.Errorf("Key(%s) = %q, %v; want %q", tt.remote, got, err, tt.want)
			continue
		}
		a, err := c.Addr(request(tt.remote))
		if err != nil {
			t.Fatal(err)
		}
		if p := netip.PrefixFrom(a, a.BitLen()).Masked().String(); got != p {
			t.Errorf("Key(%s) = %q, netip prefix %q", tt.remote, got, p)
		}
	}
}
