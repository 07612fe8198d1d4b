package tlsutil

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// ErrBlocked is wrapped by every [BlockedError]: the SSRF guard refused an address.
var ErrBlocked = errors.New("tlsutil: address blocked by the SSRF guard")

// BlockedError reports an address refused by a [Guard] and why.
type BlockedError struct {
	Addr   netip.Addr // the address judged (for embedded IPv4, the outer IPv6 address)
	Reason string     // the class, such as "loopback" or "IPv4-mapped IPv6 of private"
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("tlsutil: address %s blocked by the SSRF guard (%s)", e.Addr, e.Reason)
}

// Unwrap returns [ErrBlocked].
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// Guard decides which IP addresses an outgoing connection may reach, to stop server-side
// request forgery (SSRF). The zero value allows only globally reachable unicast addresses
// and blocks:
//
//   - unspecified (0.0.0.0/8, ::), loopback (127.0.0.0/8, ::1), private (10/8, 172.16/12,
//     192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), CGNAT (100.64/10),
//     multicast (224/4, ff00::/8), broadcast and reserved (240/4), benchmarking (198.18/15),
//     documentation (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20),
//     IETF protocol assignments (192.0.0/24, 2001::/23, which includes Teredo 2001::/32),
//     the 6to4 relay anycast 192.88.99/24, discard-only 100::/64, site-local fec0::/10, and
//     every IPv6 address outside the global unicast 2000::/3;
//   - cloud metadata and credential endpoints: 169.254.169.254 (AWS, GCP, Azure, Oracle,
//     OpenStack, ...), 169.254.170.2 and 169.254.170.23 (AWS ECS and EKS Pod Identity),
//     169.254.0.23 (Tencent), 169.254.42.42 (Scaleway), 100.100.100.200 (Alibaba),
//     192.0.0.192 (Oracle classic), 168.63.129.16 (Azure WireServer, a public address),
//     fd00:ec2::254 and fd00:ec2::23 (AWS), fd20:ce::254 (GCP), fd00:42::42 (Scaleway) and
//     fe80::a9fe:a9fe (OpenStack);
//   - IPv4 hidden in IPv6: IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), NAT64
//     64:ff9b::/96, 6to4 2002::/16 and ISATAP interface identifiers (::5efe:a.b.c.d and
//     ::200:5efe:a.b.c.d under a global prefix) are judged by the IPv4 address they reach,
//     and the local-use NAT64 prefix 64:ff9b:1::/48 is blocked.
//
// Zones are ignored (fe80::1%eth0 is link-local). The guard judges addresses, not names: the
// dialer applies it to every address it connects to, after DNS resolution, which defeats DNS
// rebinding (see [Guard.Control]).
//
// A Guard must not be modified after first use; it is then safe for concurrent use.
type Guard struct {
	// Allow lists prefixes that are reachable even though blocked above (an internal API,
	// a test server on loopback). Two rules keep a broad entry from opening more than was
	// meant:
	//
	//   - a metadata endpoint is allowed only by a prefix that contains nothing else (a /32
	//     or /128), so allowing 169.254.0.0/16, fc00::/7 or ::/0 does not open it;
	//   - an IPv6 address blocked for the IPv4 address it embeds is allowed by a prefix of
	//     that IPv4 address (10.0.0.0/8 opens 64:ff9b::10.1.2.3), or by an IPv6 prefix no
	//     wider than the embedding (::ffff:0:0/96, 64:ff9b::/96, 2002::/16, or a /64 for
	//     ISATAP), never by a wider one such as ::/0 or 2000::/3.
	//
	// A prefix matches by its masked bits: 127.0.0.1/8 allows all of 127.0.0.0/8, so write
	// single addresses as /32 or /128.
	Allow []netip.Prefix
}

type rangeRule struct {
	p      netip.Prefix
	reason string
}

func rules(specs ...string) []rangeRule {
	out := make([]rangeRule, 0, len(specs)/2)
	for i := 0; i < len(specs); i += 2 {
		out = append(out, rangeRule{netip.MustParsePrefix(specs[i]), specs[i+1]})
	}
	return out
}

var (
	metadata = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, Oracle, OpenStack, DigitalOcean, ...
		netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata and credentials
		netip.MustParseAddr("169.254.170.23"),  // AWS EKS Pod Identity Agent (credentials)
		netip.MustParseAddr("169.254.0.23"),    // Tencent Cloud
		netip.MustParseAddr("169.254.42.42"),   // Scaleway
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
		netip.MustParseAddr("192.0.0.192"),     // Oracle Cloud (classic)
		netip.MustParseAddr("168.63.129.16"),   // Azure WireServer (a public address: only this list blocks it)
		netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
		netip.MustParseAddr("fd00:ec2::23"),    // AWS EKS Pod Identity Agent over IPv6
		netip.MustParseAddr("fd20:ce::254"),    // GCP metadata over IPv6
		netip.MustParseAddr("fd00:42::42"),     // Scaleway over IPv6
		netip.MustParseAddr("fe80::a9fe:a9fe"), // OpenStack metadata over IPv6
	}
	v4Rules = rules(
		"0.0.0.0/8", "unspecified",
		"10.0.0.0/8", "private",
		"100.64.0.0/10", "CGNAT shared address space",
		"127.0.0.0/8", "loopback",
		"169.254.0.0/16", "link-local",
		"172.16.0.0/12", "private",
		"192.0.0.0/24", "IETF protocol assignments",
		"192.0.2.0/24", "documentation",
		"192.88.99.0/24", "6to4 relay anycast",
		"192.168.0.0/16", "private",
		"198.18.0.0/15", "benchmarking",
		"198.51.100.0/24", "documentation",
		"203.0.113.0/24", "documentation",
		"224.0.0.0/4", "multicast",
		"240.0.0.0/4", "reserved or broadcast",
	)
	v6Rules = rules(
		"::/128", "unspecified",
		"::1/128", "loopback",
		"64:ff9b:1::/48", "local-use NAT64",
		"100::/64", "discard-only",
		"2001::/32", "Teredo",
		"2001::/23", "IETF protocol assignments",
		"2001:db8::/32", "documentation",
		"3fff::/20", "documentation",
		"fc00::/7", "private (unique local)",
		"fe80::/10", "link-local",
		"fec0::/10", "site-local",
		"ff00::/8", "multicast",
	)
	globalUnicast = netip.MustParsePrefix("2000::/3")
	nat64         = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour     = netip.MustParsePrefix("2002::/16")
	v4Compatible  = netip.MustParsePrefix("::/96")
)

// Check returns nil if addr may be reached, or a [*BlockedError] (wrapping [ErrBlocked]).
func (g *Guard) Check(addr netip.Addr) error {
	if !addr.IsValid() {
		return &BlockedError{Addr: addr, Reason: "invalid address"}
	}
	addr = addr.WithZone("")
	v := classify(addr)
	if v.reason == "" {
		return nil
	}
	if g != nil && g.allowed(addr, v) {
		return nil
	}
	return &BlockedError{Addr: addr, Reason: v.reason}
}

// allowed reports whether an Allow prefix opens addr, blocked for v.
func (g *Guard) allowed(addr netip.Addr, v verdict) bool {
	exactOnly := strings.HasSuffix(v.reason, "cloud metadata")
	for _, p := range g.Allow {
		if !p.Contains(addr) || exactOnly && !p.IsSingleIP() {
			continue
		}
		// A prefix wider than the embedding range (::/0, 2000::/3) was not written with
		// the embedded IPv4 address in mind: it does not open that address.
		if p.Bits() < v.minBits {
			continue
		}
		return true
	}
	// an IPv4 address hidden in IPv6 is also allowed by the prefix of the IPv4 address
	if v.via.IsValid() {
		return g.allowed(v.via, classify(v.via))
	}
	return false
}

func isMetadata(a netip.Addr) bool {
	for _, m := range metadata {
		if a == m {
			return true
		}
	}
	return false
}

// embedding is an IPv4 address reached through an IPv6 address.
type embedding struct {
	kind string     // "IPv4-mapped IPv6", "NAT64", ...
	v4   netip.Addr // the IPv4 address reached
	bits int        // length of the embedding range, such as 96 for 64:ff9b::/96
}

// embeddedV4 returns the IPv4 address reached through an IPv4-mapped, IPv4-compatible,
// NAT64 (64:ff9b::/96) or 6to4 address.
func embeddedV4(a netip.Addr) (embedding, bool) {
	if !a.Is6() {
		return embedding{}, false
	}
	b := a.As16()
	switch {
	case a.Is4In6():
		return embedding{"IPv4-mapped IPv6", a.Unmap(), 96}, true
	case nat64.Contains(a):
		return embedding{"NAT64", netip.AddrFrom4([4]byte(b[12:16])), 96}, true
	case v4Compatible.Contains(a) && !a.IsUnspecified() && a != netip.IPv6Loopback():
		return embedding{"IPv4-compatible IPv6", netip.AddrFrom4([4]byte(b[12:16])), 96}, true
	case sixToFour.Contains(a):
		return embedding{"6to4", netip.AddrFrom4([4]byte(b[2:6])), 16}, true
	}
	return embedding{}, false
}

// isatapV4 returns the IPv4 address in an ISATAP interface identifier (RFC 5214 section
// 6.1: 0000:5efe or 0200:5efe, the universal/local bit either way, then the IPv4 address).
func isatapV4(a netip.Addr) (embedding, bool) {
	b := a.As16()
	if !a.Is6() || b[8]&^0x02 != 0 || b[9] != 0 || b[10] != 0x5e || b[11] != 0xfe {
		return embedding{}, false
	}
	return embedding{"ISATAP", netip.AddrFrom4([4]byte(b[12:16])), 64}, true
}

// verdict is why an address is blocked ("" when it is not), and the embedded IPv4 address
// that decided it, if any.
type verdict struct {
	reason  string
	via     netip.Addr // the embedded IPv4 address judged, or the zero Addr
	minBits int        // an Allow prefix shorter than this does not open the address
}

// classify returns why a is blocked, or a zero verdict for a globally reachable unicast address.
func classify(a netip.Addr) verdict {
	if isMetadata(a) {
		return verdict{reason: "cloud metadata"}
	}
	if a.Is4() {
		for _, r := range v4Rules {
			if r.p.Contains(a) {
				return verdict{reason: r.reason}
			}
		}
		return verdict{}
	}
	if e, ok := embeddedV4(a); ok {
		if r := classify(e.v4).reason; r != "" {
			return verdict{reason: e.kind + " of " + r, via: e.v4, minBits: e.bits}
		}
		switch e.kind {
		case "IPv4-compatible IPv6":
			return verdict{reason: "deprecated IPv4-compatible IPv6"}
		case "6to4": // its interface identifier may still be ISATAP
		default:
			return verdict{}
		}
	} else {
		for _, r := range v6Rules {
			if r.p.Contains(a) {
				return verdict{reason: r.reason}
			}
		}
		if !globalUnicast.Contains(a) {
			return verdict{reason: "reserved IPv6"}
		}
	}
	if e, ok := isatapV4(a); ok {
		if r := classify(e.v4).reason; r != "" {
			return verdict{reason: e.kind + " of " + r, via: e.v4, minBits: e.bits}
		}
	}
	return verdict{}
}

// Control checks the address a socket is about to connect to; set it as
// net.Dialer.ControlContext. The dialer calls it after DNS resolution, once for every address
// it tries, so a name that resolves to a public address when validated and to 127.0.0.1 when
// used (DNS rebinding) is still refused. Addresses that are not IP:port are refused.
func (g *Guard) Control(_ context.Context, network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Reason: fmt.Sprintf("not an IP address: %s %q", network, address)}
	}
	return g.Check(ap.Addr())
}

// CheckHost judges a URL host or dial host that is an IP literal, in any spelling a resolver
// might accept: dotted IPv4, IPv6 with or without brackets and zone ("[fe80::1%25eth0]"), and
// the inet_aton forms decimal ("2130706433"), octal ("0177.0.0.1"), hex ("0x7f.1") and short
// ("127.1"). A port suffix is ignored. It returns nil for a name (the dial-time check judges
// what it resolves to) and a [*BlockedError] for a blocked literal. It never panics.
func (g *Guard) CheckHost(host string) error {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if i := strings.IndexByte(host, '%'); i >= 0 && strings.Contains(host, ":") {
		host = host[:i] // zone, possibly percent-encoded as %25
	}
	if !literalChars(host) {
		return nil // a name: only hex digits, dots, colons and x can spell an address
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return g.Check(a)
	}
	if a, ok := parseInetAton(host); ok {
		return g.Check(a)
	}
	return nil
}

// literalChars reports whether s uses only characters an IP literal can contain.
func literalChars(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F', c == '.', c == ':', c == 'x', c == 'X':
		default:
			return false
		}
	}
	return true
}

// parseInetAton parses the numeric IPv4 forms of inet_aton(3): one to four parts separated by
// dots, each decimal, octal (leading 0) or hex (0x), the last part filling the remaining
// bytes.
func parseInetAton(s string) (netip.Addr, bool) {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint32, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
			base, p = 16, p[2:]
			if p == "" {
				p = "0"
			}
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = uint32(v) // #nosec G115 -- ParseUint with bitSize 32 returns at most 1<<32-1
	}
	var n uint64
	last := len(vals) - 1
	for i := range last {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
		n = n<<8 | uint64(vals[i])
	}
	rest := uint(4 - last)
	if uint64(vals[last]) >= 1<<(8*rest) {
		return netip.Addr{}, false
	}
	n = n<<(8*rest) | uint64(vals[last])
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n)) // #nosec G115 -- n < 1<<32 by the checks above
	return netip.AddrFrom4(b), true
}
