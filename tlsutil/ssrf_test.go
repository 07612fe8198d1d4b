package tlsutil_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/tlsutil"
)

// ssrfCorpus lists hosts as they may appear in a URL, with the class the guard must report
// ("" for allowed). Address classes follow the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (RFC 6890 and updates), RFC 6052 and RFC 8215 (NAT64), RFC 3056 (6to4) and
// RFC 4380 (Teredo).
var ssrfCorpus = []struct{ host, reason string }{
	// loopback, unspecified
	{"127.0.0.1", "loopback"},
	{"127.255.255.254", "loopback"},
	{"127.0.0.1:8080", "loopback"},
	{"0.0.0.0", "unspecified"},
	{"0.1.2.3", "unspecified"},
	{"::1", "loopback"},
	{"[::1]:443", "loopback"},
	{"::", "unspecified"},
	// private, CGNAT, link-local, multicast, reserved
	{"10.0.0.1", "private"},
	{"172.16.0.1", "private"},
	{"172.31.255.255", "private"},
	{"192.168.1.1", "private"},
	{"100.64.0.1", "CGNAT"},
	{"100.127.255.254", "CGNAT"},
	{"169.254.1.1", "link-local"},
	{"224.0.0.1", "multicast"},
	{"239.255.255.250", "multicast"},
	{"255.255.255.255", "reserved"},
	{"240.0.0.1", "reserved"},
	{"192.0.2.1", "documentation"},
	{"198.51.100.7", "documentation"},
	{"203.0.113.9", "documentation"},
	{"198.18.0.1", "benchmarking"},
	{"192.0.0.8", "IETF"},
	{"192.88.99.1", "6to4 relay"},
	{"fc00::1", "private"},
	{"fd12:3456::1", "private"},
	{"fe80::1", "link-local"},
	{"fe80::1%eth0", "link-local"},
	{"[fe80::1%25eth0]", "link-local"},
	{"[fe80::1%25eth0]:80", "link-local"},
	{"fec0::1", "site-local"},
	{"ff02::1", "multicast"},
	{"ff05::1:3", "multicast"},
	{"100::1", "discard"},
	{"2001:db8::1", "documentation"},
	{"3fff::1", "documentation"},
	{"2001:10::1", "IETF"},
	{"4000::1", "reserved IPv6"},
	// cloud metadata
	{"169.254.169.254", "cloud metadata"},
	{"169.254.170.2", "cloud metadata"},
	{"100.100.100.200", "cloud metadata"},
	{"fd00:ec2::254", "cloud metadata"},
	{"[fd00:ec2::254]:80", "cloud metadata"},
	// IPv4 hidden in IPv6
	{"::ffff:127.0.0.1", "IPv4-mapped IPv6 of loopback"},
	{"::ffff:7f00:1", "IPv4-mapped IPv6 of loopback"},
	{"[::ffff:169.254.169.254]", "cloud metadata"},
	{"::ffff:10.0.0.1", "IPv4-mapped IPv6 of private"},
	{"::ffff:192.168.0.1", "IPv4-mapped IPv6 of private"},
	{"::127.0.0.1", "IPv4-compatible IPv6 of loopback"},
	{"::10.0.0.1", "IPv4-compatible IPv6 of private"},
	{"::8.8.8.8", "deprecated IPv4-compatible"},
	{"64:ff9b::127.0.0.1", "NAT64 of loopback"},
	{"64:ff9b::7f00:1", "NAT64 of loopback"},
	{"64:ff9b::a9fe:a9fe", "NAT64 of cloud metadata"},
	{"64:ff9b::10.1.2.3", "NAT64 of private"},
	{"64:ff9b:1::1", "local-use NAT64"},
	{"64:ff9b:1:fffe::a00:1", "local-use NAT64"},
	{"2002:7f00:1::1", "6to4 of loopback"},
	{"2002:a9fe:a9fe::", "6to4 of cloud metadata"},
	{"2002:c0a8:101::1", "6to4 of private"},
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
	{"2001::1", "Teredo"},
	// odd IPv4 spellings (inet_aton)
	{"2130706433", "loopback"},
	{"0x7f000001", "loopback"},
	{"0X7F000001", "loopback"},
	{"017700000001", "loopback"},
	{"0177.0.0.1", "loopback"},
	{"0x7f.0.0.1", "loopback"},
	{"0x7f.1", "loopback"},
	{"127.1", "loopback"},
	{"127.0.1", "loopback"},
	{"127.0.0.1.", "loopback"},
	{"0", "unspecified"},
	{"2852039166", "cloud metadata"},
	{"0xA9FEA9FE", "cloud metadata"},
	{"0251.0376.0251.0376", "cloud metadata"},
	{"10.1", "private"},
	{"0300.0250.0.1", "private"},
	// allowed: public addresses, including through NAT64, 6to4 and IPv4-mapped forms
	{"8.8.8.8", ""},
	{"1.1.1.1:443", ""},
	{"93.184.215.14", ""},
	{"134744072", ""},
	{"0x08080808", ""},
	{"2606:4700:4700::1111", ""},
	{"[2606:4700:4700::1111]:443", ""},
	{"::ffff:8.8.8.8", ""},
	{"64:ff9b::808:808", ""},
	{"2002:808:808::1", ""},
	{"100.63.255.255", ""},
	{"100.128.0.0", ""},
	{"172.15.255.255", ""},
	{"172.32.0.0", ""},
	{"11.0.0.0", ""},
	{"169.253.255.255", ""},
	{"192.169.0.0", ""},
	{"223.255.255.255", ""},
	// names are judged at dial time, by the addresses they resolve to
	{"example.com", ""},
	{"localhost", ""},
	{"127.0.0.1.nip.io", ""},
	{"0x7g.1", ""},
	{"1.2.3.4.5", ""},
	{"999.1.1.1", ""},
	// malformed input never panics
	{"", ""},
	{"[", ""},
	{"]", ""},
	{"[::1", "loopback"},
	{"%", ""},
	{"[%25]", ""},
	{"::ffff:", ""},
	{"fe80::1%", "link-local"},
	{"0x", "unspecified"},
	{strings.Repeat("1.", 40), ""},
}

func TestGuardCorpus(t *testing.T) {
	if n := len(ssrfCorpus); n < 40 {
		t.Fatalf("corpus has %d cases, want at least 40", n)
	}
	var g tlsutil.Guard
	for _, tc := range ssrfCorpus {
		err := g.CheckHost(tc.host)
		if tc.reason == "" {
			if err != nil {
				t.Errorf("CheckHost(%q) = %v, want allowed", tc.host, err)
			}
			continue
		}
		var be *tlsutil.BlockedError
		if !errors.As(err, &be) || !errors.Is(err, tlsutil.ErrBlocked) {
			t.Errorf("CheckHost(%q) = %v, want a *BlockedError (%s)", tc.host, err, tc.reason)
			continue
		}
		if !strings.Contains(be.Reason, tc.reason) {
			t.Errorf("CheckHost(%q) reason = %q, want it to mention %q", tc.host, be.Reason, tc.reason)
		}
	}
}

func TestGuardAllow(t *testing.T) {
	pfx := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range s {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out
	}
	for _, tc := range []struct {
		allow   []netip.Prefix
		addr    string
		allowed bool
	}{
		{pfx("127.0.0.0/8"), "127.0.0.1", true},
		{pfx("127.0.0.0/8"), "::ffff:127.0.0.1", true}, // embedded IPv4 follows the IPv4 prefix
		{pfx("127.0.0.0/8"), "10.0.0.1", false},
		{pfx("127.0.0.0/8"), "::1", false},
		{pfx("10.1.0.0/16"), "10.1.2.3", true},
		{pfx("10.1.0.0/16"), "10.2.0.1", false},
		{pfx("fd00::/8"), "fd12::1", true},
		{pfx("fe80::/10"), "fe80::1%eth0", true},
		{pfx("169.254.0.0/16"), "169.254.1.1", true},
		{pfx("169.254.0.0/16"), "169.254.169.254", false}, // metadata needs an exact entry
		{pfx("169.254.169.254/32"), "169.254.169.254", true},
		{pfx("0.0.0.0/0", "::/0"), "fd00:ec2::254", false},
		{pfx("0.0.0.0/0", "::/0"), "::ffff:169.254.169.254", false},
		{pfx("0.0.0.0/0", "::/0"), "10.0.0.1", true},
		{pfx("fd00:ec2::254/128"), "fd00:ec2::254", true},
	} {
		g := tlsutil.Guard{Allow: tc.allow}
		err := g.Check(netip.MustParseAddr(tc.addr))
		if (err == nil) != tc.allowed {
			t.Errorf("Guard{Allow: %v}.Check(%s) = %v, want allowed %v", tc.allow, tc.addr, err, tc.allowed)
		}
	}
	var g *tlsutil.Guard // a nil *Guard is the zero Guard
	if err := g.Check(netip.MustParseAddr("127.0.0.1")); !errors.Is(err, tlsutil.ErrBlocked) {
		t.Errorf("(*Guard)(nil).Check(127.0.0.1) = %v", err)
	}
	if err := g.Check(netip.Addr{}); !errors.Is(err, tlsutil.ErrBlocked) {
		t.Errorf("Check(invalid) = %v", err)
	}
}

func TestGuardControl(t *testing.T) {
	var g tlsutil.Guard
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"8.8.8.8:53", true},
		{"[2606:4700:4700::1111]:443", true},
		{"127.0.0.1:80", false},
		{"[::1]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"[::ffff:127.0.0.1]:80", false},
		{"/tmp/socket", false},
		{"", false},
	} {
		err := g.Control(t.Context(), "tcp", tc.addr, nil)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, tlsutil.ErrBlocked)) {
			t.Errorf("Control(tcp, %q) = %v, want ok %v", tc.addr, err, tc.ok)
		}
	}
}
