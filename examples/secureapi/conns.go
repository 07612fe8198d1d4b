package main

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

const (
	// defaultConnsPerClient caps the connections one client address (an IPv4 address, or an
	// IPv6 /64) may hold at once, so that one client cannot take every one of the server's
	// defaultMaxConns slots with idle keep-alive connections: it would need 32 addresses (32
	// IPv6 /64s, which one /56 holds: this raises the cost of the attack, not more).
	// Browsers open at most 6 HTTP/1.1 connections to a host (one for HTTP/2), which leaves
	// room for a few users behind one NAT.
	defaultConnsPerClient = 32
	// idleTimeout closes a keep-alive connection that carried no request for this long (the
	// library default, 120 s, would let idle connections hold their slots eight times as
	// long). A client that comes back later opens a new connection.
	idleTimeout = 15 * time.Second
)

// clientConns is a listener that caps the connections of each client address: a connection
// beyond the share of its address is closed as soon as it is accepted, before any TLS
// handshake, and so never takes one of the server's MaxConns slots (tlsutil's limit wraps
// this listener: the slot it holds while this Accept runs is the one that the next admitted
// connection gets). Connections from exempt networks (the trusted proxies, which carry many
// clients each) are not counted.
//
// The map holds one entry per address with a connection open, so it is bounded by the
// server's connection cap.
type clientConns struct {
	net.Listener
	max    int
	exempt []netip.Prefix
	log    *slog.Logger

	mu   sync.Mutex
	open map[netip.Prefix]int // by clientPrefix
}

// limitPerClient wraps ln so that each client address holds at most max connections at once;
// addresses in exempt are not limited.
func limitPerClient(ln net.Listener, maxPerClient int, exempt []netip.Prefix, logger *slog.Logger) *clientConns {
	return &clientConns{Listener: ln, max: maxPerClient, exempt: exempt, log: logger, open: map[netip.Prefix]int{}}
}

// Accept returns the next connection whose address is within its share, closing the others.
func (l *clientConns) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if release, ok := l.take(c.RemoteAddr()); ok {
			return &clientConn{Conn: c, release: release}, nil
		}
		l.log.Warn("connection refused: too many from one client address", "event", "conn_refused",
			"client_ip", remoteIP(c.RemoteAddr()), "max", l.max)
		_ = c.Close() // refused; nothing was read from it
	}
}

// take counts a connection from addr, and returns the function that uncounts it, or reports
// false if the address has its max already (or is not an IP address).
func (l *clientConns) take(addr net.Addr) (release func(), ok bool) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil, false
	}
	ip := ap.Addr().Unmap().WithZone("")
	for _, p := range l.exempt {
		if p.Contains(ip) {
			return func() {}, true
		}
	}
	key := clientPrefix(ip)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] >= l.max {
		return nil, false
	}
	l.open[key]++
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.open[key] <= 1 {
			delete(l.open, key)
			return
		}
		l.open[key]--
	}, true
}

// clientPrefix is the network that counts as one client: an IPv4 address, or the /64 of an
// IPv6 address (one host typically has a whole /64 and could otherwise rotate through it).
func clientPrefix(ip netip.Addr) netip.Prefix {
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits) // cannot fail: bits fits the address family
	return p
}

// remoteIP returns the IP address of addr for a log record, or "" if it has none.
func remoteIP(addr net.Addr) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return ""
	}
	return ap.Addr().Unmap().WithZone("").String()
}

// clientConn gives its address's share back once, on the first Close.
type clientConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *clientConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
