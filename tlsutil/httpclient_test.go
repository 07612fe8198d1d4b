package tlsutil_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

// countingServer is a plain HTTP server on loopback that counts the connections it accepts.
type countingServer struct {
	*httptest.Server
	conns atomic.Int64
}

func newCountingServer(t *testing.T, h http.Handler) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *countingServer) port() string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

var loopbackOnly = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func mustClient(t *testing.T, o tlsutil.ClientOptions) *http.Client {
	t.Helper()
	c, err := tlsutil.NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func get(c *http.Client, u string, hdr ...string) (int, string, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return 0, "", err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestClientBlocksInternalTargets points the default client at a live loopback server in many
// spellings: every request must fail with ErrBlocked before a connection is made.
func TestClientBlocksInternalTargets(t *testing.T) {
	srv := newCountingServer(t, okHandler())
	port := srv.port()
	c := mustClient(t, tlsutil.ClientOptions{DialTimeout: 2 * time.Second})
	for _, u := range []string{
		"http://127.0.0.1:" + port + "/",
		"http://localhost:" + port + "/",
		"http://[::1]:" + port + "/",
		"http://2130706433:" + port + "/",
		"http://0x7f.1:" + port + "/",
		"http://0177.0.0.1:" + port + "/",
		"http://127.1:" + port + "/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://[::ffff:7f00:1]:" + port + "/",
		"http://0.0.0.0:" + port + "/",
		"http://[fe80::1%25lo]:" + port + "/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/latest/meta-data/",
		"http://10.0.0.1:" + port + "/",
		"https://127.0.0.1:" + port + "/",
	} {
		_, _, err := get(c, u)
		if !errors.Is(err, tlsutil.ErrBlocked) {
			t.Errorf("GET %s = %v, want ErrBlocked", u, err)
		}
	}
	if n := srv.conns.Load(); n != 0 {
		t.Errorf("the loopback server accepted %d connections, want 0", n)
	}
	// The same server through an allowlist entry works.
	allowed := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}})
	if code, body, err := get(allowed, srv.URL); err != nil || code != 200 || body != "ok" {
		t.Errorf("allowlisted GET %s = %d %q %v", srv.URL, code, body, err)
	}
}

// TestClientDNSRebinding uses a DNS server that answers a public address first and 127.0.0.1
// second: a check at validation time passes, the connection is still refused.
func TestClientDNSRebinding(t *testing.T) {
	srv := newCountingServer(t, okHandler())
	public := netip.MustParseAddr("93.184.215.14")
	loop := netip.MustParseAddr("127.0.0.1")
	dns := startDNS(t, func(name string, n int) []netip.Addr {
		switch {
		case strings.HasPrefix(name, "rebind.test"):
			if n == 1 {
				return []netip.Addr{public}
			}
			return []netip.Addr{loop}
		case strings.HasPrefix(name, "internal.test"):
			return []netip.Addr{netip.MustParseAddr("10.0.0.1"), loop}
		case strings.HasPrefix(name, "allowed.test"):
			return []netip.Addr{loop}
		}
		return nil
	})
	res := dns.resolver()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// What a naive "resolve, check, then fetch" validation sees: a public address.
	var g tlsutil.Guard
	addrs, err := res.LookupNetIP(ctx, "ip4", "rebind.test")
	if err != nil || len(addrs) != 1 || addrs[0] != public || g.Check(addrs[0]) != nil {
		t.Fatalf("first resolution = %v, %v; want the public %v, allowed", addrs, err, public)
	}
	c := mustClient(t, tlsutil.ClientOptions{Resolver: res, DialTimeout: 2 * time.Second})
	_, _, err = get(c, "http://rebind.test:"+srv.port()+"/")
	var be *tlsutil.BlockedError
	if !errors.As(err, &be) || be.Addr != loop {
		t.Fatalf("GET after rebinding = %v, want a *BlockedError for 127.0.0.1", err)
	}
	if q := dns.queries("rebind.test"); q < 2 {
		t.Errorf("rebind.test was resolved %d times, want the client to resolve it itself", q)
	}
	// Every address of a multi-address answer is checked.
	if _, _, err := get(c, "http://internal.test:"+srv.port()+"/"); !errors.Is(err, tlsutil.ErrBlocked) {
		t.Errorf("GET internal.test = %v, want ErrBlocked", err)
	}
	if n := srv.conns.Load(); n != 0 {
		t.Errorf("the loopback server accepted %d connections, want 0", n)
	}
	// A name resolving to an allowlisted address works through the same resolver.
	ok := mustClient(t, tlsutil.ClientOptions{Resolver: res, Guard: &tlsutil.Guard{Allow: loopbackOnly}})
	if code, body, err := get(ok, "http://allowed.test:"+srv.port()+"/"); err != nil || code != 200 || body != "ok" {
		t.Errorf("GET allowed.test = %d %q %v", code, body, err)
	}
}

// TestClientProxyPolicy: through a proxy the guard judges the request's target (literal or
// resolved), while the configured proxy itself may sit on loopback.
func TestClientProxyPolicy(t *testing.T) {
	proxy := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "proxied %s", r.URL) // #nosec G705 -- test proxy answering itself so nothing leaves loopback; text/plain
	}))
	dns := startDNS(t, func(name string, _ int) []netip.Addr {
		switch {
		case strings.HasPrefix(name, "public.test"):
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}
		case strings.HasPrefix(name, "private.test"):
			return []netip.Addr{netip.MustParseAddr("192.168.1.10")}
		}
		return nil
	})
	pu, _ := url.Parse(proxy.URL)
	c := mustClient(t, tlsutil.ClientOptions{Proxy: pu, Resolver: dns.resolver()})
	if code, body, err := get(c, "http://public.test/x"); err != nil || code != 200 || body != "proxied http://public.test/x" {
		t.Errorf("GET public.test through the proxy = %d %q %v", code, body, err)
	}
	for _, u := range []string{"http://127.0.0.1/", "http://169.254.169.254/", "http://private.test/", "http://[::1]/", "http://2130706433/"} {
		if _, _, err := get(c, u); !errors.Is(err, tlsutil.ErrBlocked) {
			t.Errorf("GET %s through the proxy = %v, want ErrBlocked", u, err)
		}
	}
	if n := proxy.conns.Load(); n != 1 {
		t.Errorf("proxy saw %d connections, want 1 (the public request only)", n)
	}
}

func TestClientRedirects(t *testing.T) {
	d := dev(t)
	type seen struct{ auth, cookie string }
	var b seen
	plain := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b = seen{r.Header.Get("Authorization"), r.Header.Get("Cookie")}
		fmt.Fprint(w, "plain")
	}))
	var hops atomic.Int64
	secure := httptest.NewUnstartedServer(nil)
	secure.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-http":
			http.Redirect(w, r, plain.URL+"/", http.StatusFound)
		case "/same-origin":
			http.Redirect(w, r, "/echo", http.StatusFound)
		case "/echo":
			fmt.Fprintf(w, "%s|%s", r.Header.Get("Authorization"), r.Header.Get("Cookie")) // #nosec G705 -- test echo server, text/plain
		case "/loop":
			hops.Add(1)
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	secure.TLS = tlsutil.ServerConfig(tlsutil.Intermediate)
	secure.TLS.Certificates = []tls.Certificate{d.Server}
	secure.Config.ErrorLog = log.New(io.Discard, "", 0)
	secure.StartTLS()
	defer secure.Close()
	cross := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// same host as plain, different port: a different origin
		http.Redirect(w, r, plain.URL+"/", http.StatusFound)
	}))

	tc, _ := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: d.Pool})
	c := mustClient(t, tlsutil.ClientOptions{TLS: tc, Guard: &tlsutil.Guard{Allow: loopbackOnly}})
	creds := []string{"Authorization", "Bearer s3cret", "Cookie", "session=s3cret"}

	if _, _, err := get(c, secure.URL+"/to-http", creds...); !errors.Is(err, tlsutil.ErrInsecureRedirect) {
		t.Errorf("https -> http redirect = %v, want ErrInsecureRedirect", err)
	}
	if n := plain.conns.Load(); n != 0 {
		t.Errorf("the http target was contacted %d times after an https -> http redirect", n)
	}
	if code, body, err := get(c, secure.URL+"/same-origin", creds...); err != nil || code != 200 || body != "Bearer s3cret|session=s3cret" {
		t.Errorf("same-origin redirect = %d %q %v, want the credentials kept", code, body, err)
	}
	if code, body, err := get(c, cross.URL+"/", creds...); err != nil || code != 200 || body != "plain" {
		t.Fatalf("cross-origin redirect = %d %q %v", code, body, err)
	}
	if b.auth != "" || b.cookie != "" {
		t.Errorf("cross-origin redirect forwarded Authorization %q and Cookie %q", b.auth, b.cookie)
	}

	if _, _, err := get(c, secure.URL+"/loop"); !errors.Is(err, tlsutil.ErrTooManyRedirects) || hops.Load() != tlsutil.DefaultMaxRedirects+1 {
		t.Errorf("redirect loop = %v after %d requests, want ErrTooManyRedirects after %d", err, hops.Load(), tlsutil.DefaultMaxRedirects+1)
	}
	hops.Store(0)
	c2 := mustClient(t, tlsutil.ClientOptions{TLS: tc, Guard: &tlsutil.Guard{Allow: loopbackOnly}, MaxRedirects: 2})
	if _, _, err := get(c2, secure.URL+"/loop"); !errors.Is(err, tlsutil.ErrTooManyRedirects) || hops.Load() != 3 {
		t.Errorf("MaxRedirects 2: %v after %d requests, want ErrTooManyRedirects after 3", err, hops.Load())
	}
	c3 := mustClient(t, tlsutil.ClientOptions{TLS: tc, Guard: &tlsutil.Guard{Allow: loopbackOnly}, MaxRedirects: -1})
	if code, _, err := get(c3, secure.URL+"/loop"); err != nil || code != http.StatusFound {
		t.Errorf("MaxRedirects -1 = %d %v, want the 302 itself", code, err)
	}
}

func TestClientBodyCap(t *testing.T) {
	const limit = 1 << 10
	srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		_, _ = fmt.Sscan(r.URL.Query().Get("n"), &n)
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", fmt.Sprint(n))
		}
		for i := 0; i < n; i += 100 {
			_, _ = io.WriteString(w, strings.Repeat("x", min(100, n-i)))
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
	}))
	c := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}, MaxResponseBytes: limit})
	for _, tc := range []struct {
		query string
		want  error
	}{
		{"n=1024", nil},
		{"n=1024&chunked=1", nil},
		{"n=1025", tlsutil.ErrResponseTooLarge},
		{"n=1025&chunked=1", tlsutil.ErrResponseTooLarge},
		{"n=100000&chunked=1", tlsutil.ErrResponseTooLarge},
	} {
		_, body, err := get(c, srv.URL+"/?"+tc.query)
		if !errors.Is(err, tc.want) || (tc.want == nil && len(body) != limit) || len(body) > limit {
			t.Errorf("GET ?%s = %d bytes, %v; want %v", tc.query, len(body), err, tc.want)
		}
	}
}

func TestClientTimeoutsAndOptions(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	c := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}, ResponseHeaderTimeout: 200 * time.Millisecond})
	start := time.Now()
	_, _, err := get(c, srv.URL)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || time.Since(start) > 5*time.Second {
		t.Errorf("GET a stalled server = %v after %v, want a timeout", err, time.Since(start))
	}
	for _, o := range []tlsutil.ClientOptions{{Timeout: -1}, {DialTimeout: -1}, {MaxResponseBytes: -1}} {
		if _, err := tlsutil.NewClient(o); err == nil {
			t.Errorf("NewClient(%+v) accepted a negative value", o)
		}
	}
	def := mustClient(t, tlsutil.ClientOptions{})
	if def.Timeout != tlsutil.DefaultClientTimeout || def.CheckRedirect == nil {
		t.Errorf("default client: Timeout %v, CheckRedirect set %v", def.Timeout, def.CheckRedirect != nil)
	}
}

// TestProxyJudgesHostHeader checks that through a proxy a plain-HTTP request cannot reach a
// blocked host by its Host header (which net/http puts in the request line the proxy follows)
// or an opaque URL, including through httputil.ReverseProxy, which forwards the client's Host;
// and that a Host naming an allowed address still goes through.
func TestProxyJudgesHostHeader(t *testing.T) {
	var asked []string
	proxy := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.RequestURI)
		_, _ = io.WriteString(w, "proxied")
	}))
	pu, err := url.Parse(proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := mustClient(t, tlsutil.ClientOptions{Proxy: pu})
	public := "http://93.184.215.14/latest/meta-data/"
	for _, tc := range []struct {
		name, host, opaque string
		blocked            bool
	}{
		{"Host of the metadata service", "169.254.169.254", "", true},
		{"Host with a port", "127.0.0.1:6379", "", true},
		{"Host in brackets", "[::1]:80", "", true},
		{"malformed Host", "169.254.169.254/x", "", true},
		{"opaque URL", "", "//127.0.0.1:6379/", true},
		{"Host of another public address", "93.184.215.15", "", false},
		{"Host as the URL's", "93.184.215.14", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked = nil
			req, err := http.NewRequest(http.MethodGet, public, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			req.URL.Opaque = tc.opaque
			resp, err := c.Do(req)
			if resp != nil {
				_ = resp.Body.Close()
			}
			switch {
			case tc.blocked && !errors.Is(err, tlsutil.ErrBlocked):
				t.Errorf("err = %v, want ErrBlocked; the proxy was asked for %q", err, asked)
			case tc.blocked && len(asked) > 0:
				t.Errorf("the proxy was asked for %q", asked)
			case !tc.blocked && err != nil:
				t.Errorf("err = %v, want the request to go through the proxy", err)
			}
		})
	}
	t.Run("ReverseProxy", func(t *testing.T) {
		asked = nil
		up, err := url.Parse("http://93.184.215.14")
		if err != nil {
			t.Fatal(err)
		}
		rp := httputil.NewSingleHostReverseProxy(up)
		rp.Transport = c.Transport
		rp.ErrorLog = log.New(io.Discard, "", 0)
		in := httptest.NewRequest(http.MethodGet, "http://169.254.169.254/latest/meta-data/iam/", nil) // the client's Host
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, in)
		if rec.Code != http.StatusBadGateway || len(asked) > 0 {
			t.Errorf("status %d, the egress proxy was asked for %q; want 502 and nothing asked", rec.Code, asked)
		}
	})
}

// TestRedirectBackKeepsCredentialsOff checks that once a redirect chain has left the
// original origin, credentials stay off every later hop, one back at the original origin (on
// a path chosen elsewhere) included; for another host name and for another port of the same
// host, which net/http itself treats as the same domain.
func TestRedirectBackKeepsCredentialsOff(t *testing.T) {
	for _, sameHost := range []bool{false, true} {
		t.Run(map[bool]string{false: "other host name", true: "other port"}[sameHost], func(t *testing.T) {
			var got, originURL string
			other := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, originURL+"/admin/delete?id=1", http.StatusFound) // back to A
			}))
			origin := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/away" {
					b := other.URL
					if !sameHost {
						b = strings.Replace(b, "127.0.0.1", "localhost", 1)
					}
					http.Redirect(w, r, b+"/", http.StatusFound)
					return
				}
				got = r.URL.Path + " key=" + r.Header.Get("X-Api-Key") + " auth=" + r.Header.Get("Authorization") + " cookie=" + r.Header.Get("Cookie")
			}))
			originURL = origin.URL
			c := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}, SensitiveHeaders: []string{"X-Api-Key"}})
			if _, _, err := get(c, origin.URL+"/away", "X-Api-Key", "k3y", "Authorization", "Bearer t0ken", "Cookie", "s=c00kie"); err != nil {
				t.Fatal(err)
			}
			if want := "/admin/delete key= auth= cookie="; got != want {
				t.Errorf("after A -> B -> A the origin saw %q, want %q", got, want)
			}
		})
	}
}
