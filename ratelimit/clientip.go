package ratelimit

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// ErrClientIP is wrapped by the error [ClientIP.Addr] and [ClientIP.Key] return when the request
// carries no usable client address: a malformed RemoteAddr, or a malformed entry where a
// trusted proxy should have written the address it saw.
var ErrClientIP = errors.New("ratelimit: no valid client address")

// maxHops bounds how many forwarding entries are examined, right to left.
const maxHops = 64

// ClientIP finds the address of the client that sent a request, in a way a client cannot
// spoof. The zero value trusts no proxy and uses the connection's address (RemoteAddr) only:
// X-Forwarded-For and Forwarded are ignored, since anyone can send them.
//
// Behind reverse proxies or a load balancer, list them in TrustedProxies (or count them in
// TrustedHops). Then, if the connection comes from a trusted proxy, the forwarding header is
// read from right to left, each proxy having appended the address it saw, and the first address
// that is not a trusted proxy is the client: entries further left were written by the client and
// are never believed. If every address is trusted, the leftmost one is used. Only the rightmost
// 64 entries are examined (counting the Forwarded header's elements, or X-Forwarded-For's
// comma-separated entries, over all its field lines).
//
// Addresses are parsed with [net/netip]; IPv4-mapped IPv6 addresses are unmapped and zones
// dropped. [ClientIP.Key] groups IPv6 clients by prefix (default /64), since one host
// typically controls a whole /64 and could otherwise rotate addresses to escape its limit. A
// client given a larger allocation (a /56 or /48) can still rotate through its /64s; a shorter
// IPv6Prefix stops that at the cost of grouping neighbours.
//
// A ClientIP is read-only after configuration and safe for concurrent use.
type ClientIP struct {
	// TrustedProxies are the networks of proxies whose forwarding headers are believed. List
	// only the proxies' own addresses: a client that can send from a listed network (a private
	// range shared with internal clients, or ::/0) is believed too, and then chooses its key by
	// writing any address to the left of its own. An
	// IPv4-mapped IPv6 prefix (::ffff:10.0.0.0/104) stands for its IPv4 prefix (10.0.0.0/8).
	TrustedProxies []netip.Prefix
	// TrustedHops is the number of proxies in front of the server that are always trusted,
	// whatever their address: the connection's peer is hop 1, and may then be a Unix socket
	// (whose RemoteAddr is not an IP address). Use it only if the server cannot
	// be reached except through those proxies: with TrustedHops = 1, a client that reaches the
	// server directly can claim any address.
	TrustedHops int
	// Header is the forwarding header the proxies write: "X-Forwarded-For" (the default) or
	// "Forwarded" (RFC 7239). Only this header is read, so that a client cannot inject the other.
	Header string
	// IPv6Prefix is the prefix length by which [ClientIP.Key] groups IPv6 addresses, from 32 to
	// 128. Zero means 64.
	IPv6Prefix int
	// IPv4Prefix is the prefix length by which [ClientIP.Key] groups IPv4 addresses, from 8 to
	// 32. Zero means 32 (one key per address).
	IPv4Prefix int
}

// Key returns the rate-limit key of r's client: its address masked to the configured prefix,
// in CIDR notation ("203.0.113.7/32", "2001:db8:1:2::/64"). Its signature fits [KeyFunc].
func (c *ClientIP) Key(r *http.Request) (string, error) {
	a, err := c.Addr(r)
	if err != nil {
		return "", err
	}
	bits := c.IPv4Prefix
	if bits == 0 {
		bits = 32
	}
	if a.Is6() {
		bits = c.IPv6Prefix
		if bits == 0 {
			bits = 64
		}
	}
	var buf [64]byte
	if bits == a.BitLen() {
		// The common case (IPv4 /32): masking is the identity (Addr drops zones), so format
		// the address with a constant suffix; the string is the one allocation.
		b := a.AppendTo(buf[:0])
		if bits == 32 {
			b = append(b, "/32"...)
		} else {
			b = append(b, "/128"...)
		}
		return string(b), nil
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrConfig, err)
	}
	b := p.Addr().AppendTo(buf[:0])
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(bits), 10)
	return string(b), nil
}

// Addr returns the client's address. Its errors wrap [ErrClientIP], or [ErrConfig] for an
// invalid configuration.
func (c *ClientIP) Addr(r *http.Request) (netip.Addr, error) {
	if err := c.check(); err != nil {
		return netip.Addr{}, err
	}
	remote, ok := parseHop(r.RemoteAddr)
	switch {
	case !ok && c.TrustedHops == 0:
		return netip.Addr{}, fmt.Errorf("%w: RemoteAddr %.64q", ErrClientIP, r.RemoteAddr)
	case ok && !c.trusted(remote, 1):
		return remote, nil
	}
	// The peer is a trusted proxy: by address, or by position (then it may be a Unix socket,
	// whose RemoteAddr is no IP address).
	var hops [maxHops]string
	var n int
	if c.Header == "Forwarded" {
		n = forwardedFor(r.Header.Values("Forwarded"), &hops)
	} else {
		n = forwardedList(r.Header.Values("X-Forwarded-For"), &hops)
	}
	last := remote
	for i := range n {
		a, ok := parseHop(hops[i])
		if !ok {
			return netip.Addr{}, fmt.Errorf("%w: forwarding entry %.64q", ErrClientIP, hops[i])
		}
		if !c.trusted(a, i+2) {
			return a, nil
		}
		last = a
	}
	if !last.IsValid() {
		return netip.Addr{}, fmt.Errorf("%w: RemoteAddr %.64q and no forwarding entry", ErrClientIP, r.RemoteAddr)
	}
	return last, nil
}

func (c *ClientIP) check() error {
	switch {
	case c.Header != "" && c.Header != "X-Forwarded-For" && c.Header != "Forwarded":
		return fmt.Errorf("%w: ClientIP.Header %q is neither X-Forwarded-For nor Forwarded", ErrConfig, c.Header)
	case c.TrustedHops < 0 || c.TrustedHops > maxHops:
		return fmt.Errorf("%w: ClientIP.TrustedHops %d out of range [0, %d]", ErrConfig, c.TrustedHops, maxHops)
	case c.IPv6Prefix != 0 && (c.IPv6Prefix < 32 || c.IPv6Prefix > 128):
		return fmt.Errorf("%w: ClientIP.IPv6Prefix %d out of range [32, 128]", ErrConfig, c.IPv6Prefix)
	case c.IPv4Prefix != 0 && (c.IPv4Prefix < 8 || c.IPv4Prefix > 32):
		return fmt.Errorf("%w: ClientIP.IPv4Prefix %d out of range [8, 32]", ErrConfig, c.IPv4Prefix)
	}
	return nil
}

// trusted reports whether the address at hop (1 = the connection's peer) is a trusted proxy.
func (c *ClientIP) trusted(a netip.Addr, hop int) bool {
	if hop <= c.TrustedHops {
		return true
	}
	for _, p := range c.TrustedProxies {
		if p.Contains(a) {
			return true
		}
		// Addresses are unmapped, so an IPv4-mapped prefix (::ffff:10.0.0.0/104, as written
		// for a dual-stack listener) is compared as the IPv4 prefix it denotes.
		if a.Is4() && p.Addr().Is4In6() && p.Bits() >= 96 {
			if q, err := p.Addr().Unmap().Prefix(p.Bits() - 96); err == nil && q.Contains(a) {
				return true
			}
		}
	}
	return false
}

// parseHop parses one address as found in RemoteAddr or a forwarding header: "192.0.2.1",
// "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]:80", optionally with a zone, which is dropped.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 0 || len(s) > 64 {
		return netip.Addr{}, false
	}
	var a netip.Addr
	var err error
	switch {
	case s[0] == '[' && s[len(s)-1] == ']':
		a, err = netip.ParseAddr(s[1 : len(s)-1])
	case s[0] != '[' && strings.Count(s, ":") == 1:
		// "v4:port", the usual RemoteAddr: what netip.ParseAddrPort accepts (an IPv4 address,
		// since the host has no colon, and a decimal port below 2¹⁶), without its port parse.
		i := strings.IndexByte(s, ':')
		a, err = netip.ParseAddr(s[:i])
		if err == nil && (!a.Is4() || !validPort(s[i+1:])) {
			return netip.Addr{}, false
		}
	case s[0] == '[':
		// "[v6]:port" or "v4:port". Parsing by shape avoids building an error on the hot path.
		var ap netip.AddrPort
		ap, err = netip.ParseAddrPort(s)
		a = ap.Addr()
	default:
		a, err = netip.ParseAddr(s)
	}
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// validPort reports whether s is what strconv.ParseUint(s, 10, 16) accepts: one or more
// decimal digits (leading zeros allowed) with a value below 2¹⁶.
func validPort(s string) bool {
	if s == "" {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		if n = n*10 + int(c-'0'); n > 0xffff {
			return false
		}
	}
	return true
}

// forwardedList fills hops with the comma-separated entries of the X-Forwarded-For field lines,
// rightmost first, and returns how many it stored (at most maxHops).
func forwardedList(lines []string, hops *[maxHops]string) int {
	n := 0
	for i := len(lines) - 1; i >= 0; i-- {
		s := lines[i]
		for n < maxHops {
			j := strings.LastIndexByte(s, ',')
			hops[n] = s[j+1:]
			n++
			if j < 0 {
				break
			}
			s = s[:j]
		}
	}
	return n
}

// forwardedFor fills hops with the for= values of the RFC 7239 Forwarded field lines,
// rightmost first (an element without for= gives an empty, hence invalid, entry), and returns
// how many it stored (at most maxHops, the rightmost ones).
func forwardedFor(lines []string, hops *[maxHops]string) int {
	var ring [maxHops]string
	total := 0
	for _, line := range lines {
		if !quotesBalanced(line) {
			// An unterminated quoted string would swallow the elements that proxies append to
			// the client's line ("for=6.6.6.6;x=\"" + ", for=<real client>" parses as one element
			// whose for= is the client's choice): the line counts as one invalid entry.
			ring[total%maxHops] = ""
			total++
			continue
		}
		for elem := range forwardedElements(line) {
			ring[total%maxHops] = elem
			total++
		}
	}
	// Only the rightmost elements are parsed: unquoting may allocate, and a client can send
	// tens of thousands of elements in one header.
	n := min(total, maxHops)
	for i := range n {
		hops[i] = forParam(ring[(total-1-i)%maxHops])
	}
	return n
}

// quotesBalanced reports whether every quoted string of a Forwarded field line is terminated.
func quotesBalanced(line string) bool {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		}
	}
	return !quoted
}

// forwardedElements yields the comma-separated elements of a Forwarded field line, honouring
// quoted strings (which may contain commas and escaped quotes).
func forwardedElements(line string) func(func(string) bool) {
	return func(yield func(string) bool) {
		start, quoted := 0, false
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case quoted && c == '\\':
				i++
			case c == '"':
				quoted = !quoted
			case c == ',' && !quoted:
				if !yield(line[start:i]) {
					return
				}
				start = i + 1
			}
		}
		yield(line[start:])
	}
}

// forParam returns the unquoted value of the for parameter of one Forwarded element, or "".
func forParam(elem string) string {
	for len(elem) > 0 {
		var pair string
		// Split on ';' outside quotes.
		quoted, end := false, len(elem)
		for i := 0; i < len(elem); i++ {
			if c := elem[i]; c == '"' {
				quoted = !quoted
			} else if c == '\\' && quoted {
				i++
			} else if c == ';' && !quoted {
				end = i
				break
			}
		}
		pair = strings.TrimSpace(elem[:end])
		if end < len(elem) {
			elem = elem[end+1:]
		} else {
			elem = ""
		}
		name, value, ok := strings.Cut(pair, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "for") {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
			if strings.IndexByte(value, '\\') >= 0 {
				value = strings.ReplaceAll(value, `\`, "") // quoted-pair: drop the escapes
			}
		}
		return value
	}
	return ""
}
