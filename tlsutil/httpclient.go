package tlsutil

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/http/httpguts"
)

var (
	// ErrTooManyRedirects is returned (inside a *url.Error) when a response would exceed
	// ClientOptions.MaxRedirects.
	ErrTooManyRedirects = errors.New("tlsutil: too many redirects")
	// ErrInsecureRedirect is returned (inside a *url.Error) for a redirect from https to a
	// plain http URL.
	ErrInsecureRedirect = errors.New("tlsutil: refusing to follow a redirect from https to http")
	// ErrResponseTooLarge is returned, by the request or by a read of the body, when a
	// response body exceeds ClientOptions.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("tlsutil: response body too large")
)

// Client defaults, used where ClientOptions leaves a field zero.
const (
	DefaultClientTimeout         = 30 * time.Second
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 15 * time.Second
	DefaultMaxRedirects          = 5
	DefaultMaxResponseBytes      = 10 << 20
)

// ClientOptions configures [NewClient]. The zero value is the secure default: every field
// left zero takes the default named after it, and the SSRF guard is on.
type ClientOptions struct {
	// TLS is the TLS configuration; nil means [ClientConfig] with zero options (system
	// roots, TLS 1.2 or later). The client uses a copy: later changes do not affect it.
	TLS *tls.Config
	// Guard decides which addresses may be reached; nil means the zero [Guard] (public
	// unicast addresses only). To reach internal services, list them in Guard.Allow.
	Guard *Guard
	// Resolver resolves names; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// Proxy, when set, sends every request through this HTTP proxy. Without it the client
	// connects directly and ignores HTTP_PROXY and friends. See "Proxies" in the package
	// documentation for what the guard can and cannot check through a proxy.
	Proxy *url.URL
	// Timeout bounds a whole request, redirects and body read included.
	Timeout time.Duration
	// DialTimeout bounds each TCP connect; TLSHandshakeTimeout the TLS handshake;
	// ResponseHeaderTimeout the wait for response headers after the request is written.
	DialTimeout, TLSHandshakeTimeout, ResponseHeaderTimeout time.Duration
	// MaxRedirects caps the redirects followed; a negative value follows none and returns
	// the redirect response itself.
	MaxRedirects int
	// MaxResponseBytes caps every response body; a longer body fails with
	// [ErrResponseTooLarge].
	MaxResponseBytes int64
	// SensitiveHeaders names more request headers that carry credentials (such as
	// X-Api-Key or X-Auth-Token); like Authorization, they are dropped whenever a redirect
	// changes the origin. Names are case-insensitive.
	SensitiveHeaders []string
}

// NewClient returns an http.Client that:
//
//   - connects only to addresses its [Guard] allows, checked at connect time for every
//     resolved address (DNS rebinding cannot slip a private address past it);
//   - verifies TLS with [ClientConfig] and bounds dial, handshake, response-header and
//     overall time;
//   - follows at most MaxRedirects redirects, never from https to http, and drops the
//     Authorization, Proxy-Authorization and Cookie headers, and those named in
//     SensitiveHeaders, whenever a redirect leaves the origin (scheme, host and port) of
//     the original request, and on every hop after that, back at that origin included
//     (its path and query were then chosen elsewhere), and cuts the Referer sent to another origin down to the origin
//     (no path or query, where tokens hide);
//   - fails a response whose body exceeds MaxResponseBytes with [ErrResponseTooLarge], and
//     one whose headers exceed 64 KiB.
//
// It returns an error for negative durations or size, and for an invalid header name in
// SensitiveHeaders.
func NewClient(o ClientOptions) (*http.Client, error) {
	if o.Timeout < 0 || o.DialTimeout < 0 || o.TLSHandshakeTimeout < 0 || o.ResponseHeaderTimeout < 0 || o.MaxResponseBytes < 0 {
		return nil, errors.New("tlsutil: negative ClientOptions value")
	}
	sensitive := []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2"}
	for _, h := range o.SensitiveHeaders {
		if !httpguts.ValidHeaderFieldName(h) {
			return nil, fmt.Errorf("tlsutil: invalid header name %q in ClientOptions.SensitiveHeaders", h)
		}
		sensitive = append(sensitive, http.CanonicalHeaderKey(h))
	}
	def := func(d, v time.Duration) time.Duration {
		if d == 0 {
			return v
		}
		return d
	}
	if o.TLS == nil {
		c, err := ClientConfig(TLSClientOptions{})
		if err != nil {
			return nil, err
		}
		o.TLS = c
	} else {
		o.TLS = o.TLS.Clone() // http.Transport writes NextProtos into its TLSClientConfig
	}
	guard := o.Guard
	if guard == nil {
		guard = &Guard{}
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	guarded := &net.Dialer{Timeout: def(o.DialTimeout, DefaultDialTimeout), KeepAlive: 30 * time.Second,
		Resolver: o.Resolver, ControlContext: guard.Control}
	tr := &http.Transport{
		TLSClientConfig:        o.TLS,
		TLSHandshakeTimeout:    def(o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		ResponseHeaderTimeout:  def(o.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConns:           100,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
	if o.Proxy == nil {
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if err := guard.CheckHost(addr); err != nil {
				return nil, err
			}
			return guarded.DialContext(ctx, network, addr)
		}
	} else {
		proxy := *o.Proxy
		proxyAddr := canonicalAddr(&proxy)
		direct := &net.Dialer{Timeout: guarded.Timeout, KeepAlive: guarded.KeepAlive, Resolver: o.Resolver}
		resolver := o.Resolver
		if resolver == nil {
			resolver = net.DefaultResolver
		}
		tr.Proxy = func(r *http.Request) (*url.URL, error) {
			if err := checkTarget(r.Context(), guard, resolver, r.URL.Hostname()); err != nil {
				return nil, err
			}
			// A plain-HTTP request goes to the proxy as an absolute URI built from r.Host
			// (when set) or taken from an opaque URL whole, and the proxy connects to that
			// host, not to r.URL's: judge it too. (HTTPS goes through CONNECT to r.URL's host.)
			if r.URL.Opaque != "" {
				return nil, &BlockedError{Reason: "opaque URL through a proxy"}
			}
			if r.URL.Scheme != "https" && r.Host != "" && r.Host != r.URL.Host {
				host, ok := proxiedHost(r.Host)
				if !ok {
					return nil, &BlockedError{Reason: "malformed Host through a proxy"}
				}
				if err := checkTarget(r.Context(), guard, resolver, host); err != nil {
					return nil, err
				}
			}
			return &proxy, nil
		}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == proxyAddr {
				return direct.DialContext(ctx, network, addr)
			}
			return guarded.DialContext(ctx, network, addr)
		}
	}
	maxRedirects := o.MaxRedirects
	return &http.Client{
		Transport: &capTransport{rt: tr, max: o.MaxResponseBytes},
		Timeout:   def(o.Timeout, DefaultClientTimeout),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			return checkRedirect(req, via, maxRedirects, sensitive)
		},
	}, nil
}

// checkTarget applies the guard to a proxied request's target before it goes to the proxy:
// the literal, or every address the name resolves to now.
func checkTarget(ctx context.Context, g *Guard, r *net.Resolver, host string) error {
	if err := g.CheckHost(host); err != nil {
		return err
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := g.Check(a); err != nil {
			return err
		}
	}
	return nil
}

// proxiedHost returns the host name or address in a Host header value that net/http would
// put in the request line sent to a proxy, and false for a value with anything but the
// characters of a host name, an IP address and a port (such a value could be read differently
// by net/http or the proxy than here).
func proxiedHost(h string) (string, bool) {
	for i := 0; i < len(h); i++ {
		if !hostChar(h[i]) {
			return "", false
		}
	}
	host := (&url.URL{Host: h}).Hostname()
	return host, host != ""
}

// hostChar reports whether c may appear in a host name, an IP address (bracketed for IPv6)
// or a port.
func hostChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_'
}

// canonicalAddr returns host:port of u, with the default port http.Transport uses for its
// scheme.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "socks5", "socks5h":
			port = "1080"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func checkRedirect(req *http.Request, via []*http.Request, limit int, sensitive []string) error {
	if limit < 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > limit {
		return fmt.Errorf("%w (%d)", ErrTooManyRedirects, limit)
	}
	if req.URL.Scheme != "https" {
		for _, v := range via {
			if v.URL.Scheme == "https" {
				return ErrInsecureRedirect
			}
		}
	}
	// net/http copies the first request's headers onto every hop: once any hop has left the
	// first origin, the chain is out of the caller's hands (A -> B -> A lets B choose the
	// path and query at A), so credentials stay off every later hop.
	left := origin(req.URL) != origin(via[0].URL)
	for _, v := range via[1:] {
		left = left || origin(v.URL) != origin(via[0].URL)
	}
	if left {
		for _, h := range sensitive {
			req.Header.Del(h)
		}
	}
	// Go sends the previous URL, query included, as Referer; across origins keep only the
	// origin (strict-origin-when-cross-origin), so tokens in URLs do not leak.
	if ref := req.Header.Get("Referer"); ref != "" && origin(req.URL) != origin(via[len(via)-1].URL) {
		if u, err := url.Parse(ref); err == nil && u.Scheme != "" && u.Host != "" {
			req.Header.Set("Referer", u.Scheme+"://"+u.Host+"/")
		} else {
			req.Header.Del("Referer")
		}
	}
	return nil
}

func origin(u *url.URL) string {
	return u.Scheme + "://" + canonicalAddr(&url.URL{Scheme: u.Scheme, Host: u.Host})
}

// capTransport caps response bodies.
type capTransport struct {
	rt  http.RoundTripper
	max int64
}

func (t *capTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if r.Method == http.MethodHead {
		return resp, nil // no body; Content-Length is the size a GET would get
	}
	if resp.ContentLength > t.max {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("%w: Content-Length %d exceeds %d bytes", ErrResponseTooLarge, resp.ContentLength, t.max)
	}
	resp.Body = &capBody{rc: resp.Body, left: t.max}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the underlying transport; without it
// http.Client.CloseIdleConnections would not reach them.
func (t *capTransport) CloseIdleConnections() {
	if c, ok := t.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// capBody fails the read that would go past the cap.
type capBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *capBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, ErrResponseTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = -1
		return n, ErrResponseTooLarge
	}
	b.left -= int64(n)
	return n, err
}

func (b *capBody) Close() error { return b.rc.Close() }
