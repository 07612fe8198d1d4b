package tlsutil_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

// lockedBuffer is a goroutine-safe log sink.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startServer runs s on a loopback listener (TLS when tlsOn) until the test ends, and returns
// its address and a function that cancels its context and returns Serve's result.
func startServer(t *testing.T, s *tlsutil.Server, tlsOn bool) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		if tlsOn {
			done <- s.ServeTLS(ctx, ln)
		} else {
			done <- s.Serve(ctx, ln)
		}
	}()
	var once sync.Once
	var result error
	stop := func() error {
		once.Do(func() { cancel(); result = <-done })
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return ln.Addr().String(), stop
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
}

func tlsServerOptions(t *testing.T) tlsutil.ServerOptions {
	cfg := tlsutil.ServerConfig(tlsutil.Intermediate)
	cfg.Certificates = []tls.Certificate{dev(t).Server}
	return tlsutil.ServerOptions{TLS: cfg}
}

func TestNewServerDefaults(t *testing.T) {
	s, err := tlsutil.NewServer(okHandler(), tlsutil.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := s.HTTP
	if h.ReadHeaderTimeout != tlsutil.DefaultReadHeaderTimeout || h.ReadTimeout != tlsutil.DefaultReadTimeout ||
		h.WriteTimeout != tlsutil.DefaultWriteTimeout || h.IdleTimeout != tlsutil.DefaultIdleTimeout ||
		h.MaxHeaderBytes != tlsutil.DefaultMaxHeaderBytes || h.ErrorLog == nil {
		t.Errorf("NewServer defaults = %+v", h)
	}
	if h.TLSConfig == nil || h.TLSConfig.MinVersion != tls.VersionTLS12 || len(h.TLSConfig.CipherSuites) == 0 {
		t.Errorf("NewServer TLS config = %+v, want the Intermediate profile", h.TLSConfig)
	}
	for _, o := range []tlsutil.ServerOptions{{ReadTimeout: -1}, {MaxConns: -1}, {MaxHeaderBytes: -1}, {ShutdownTimeout: -time.Second}} {
		if _, err := tlsutil.NewServer(okHandler(), o); err == nil {
			t.Errorf("NewServer(%+v) accepted a negative value", o)
		}
	}
}

func httpsClient(t *testing.T) *http.Client {
	c, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: dev(t).Pool})
	if err != nil {
		t.Fatal(err)
	}
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: c, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
	t.Cleanup(cl.CloseIdleConnections)
	return cl
}

func TestServerServesHTTP2AndShutsDown(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		fmt.Fprint(w, r.Proto) // #nosec G705 -- the protocol name only, text/plain
	})
	s, err := tlsutil.NewServer(h, tlsServerOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := startServer(t, s, true)
	cl := httpsClient(t)
	resp, err := cl.Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "HTTP/2.0" {
		t.Errorf("protocol = %q, want HTTP/2.0", body)
	}
	// Graceful shutdown: an in-flight request completes after the context is cancelled.
	type result struct {
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := cl.Get("https://" + addr + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{string(b), err}
	}()
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// The listener closes at once: new connections are refused while /slow is in flight.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts after the context was cancelled")
		}
		runtimeGosched()
	}
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	default:
	}
	close(release)
	if r := <-slow; r.err != nil || r.body != "HTTP/2.0" {
		t.Errorf("in-flight request during shutdown = %q, %v", r.body, r.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("ServeTLS after cancel = %v, want nil", err)
	}
}

// TestSlowloris sends the request headers one byte every 20ms; ReadHeaderTimeout (300ms here)
// must cut the connection off long before the headers are complete.
func TestSlowloris(t *testing.T) {
	o := tlsServerOptions(t)
	o.ReadHeaderTimeout = 300 * time.Millisecond
	s, _ := tlsutil.NewServer(okHandler(), o)
	addr, _ := startServer(t, s, true)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: dev(t).Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "GET / HTTP/1.1\r\nHost: localhost\r\n" + strings.Repeat("X-Padding: slow\r\n", 20) + "\r\n"
	start := time.Now()
	sent := make(chan int, 1)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := range len(req) {
			<-tick.C
			if _, err := conn.Write([]byte{req[i]}); err != nil {
				sent <- i
				return
			}
		}
		sent <- len(req)
	}()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	elapsed := time.Since(start)
	if err != nil && !isClosed(err) {
		t.Fatalf("read: %v after %v", err, elapsed)
	}
	if strings.Contains(string(b), "200 OK") {
		t.Fatalf("slowloris request was served: %q", b)
	}
	_ = conn.Close()
	if n := <-sent; n >= len(req) {
		t.Errorf("all %d header bytes were accepted; want a cut-off", len(req))
	}
	if elapsed > 5*time.Second {
		t.Errorf("connection closed after %v, want about ReadHeaderTimeout (300ms)", elapsed)
	}
}

func isClosed(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || (errors.As(err, &ne) && !ne.Timeout()) ||
		strings.Contains(err.Error(), "connection reset")
}

func TestOversizedHeaders(t *testing.T) {
	for _, tc := range []struct {
		name  string
		max   int
		size  int
		want  int
		proto string
	}{
		{"default cap, small", 0, 1 << 10, 200, "HTTP/1.1"},
		{"default cap, 100KiB", 0, 100 << 10, http.StatusRequestHeaderFieldsTooLarge, "HTTP/1.1"},
		{"8KiB cap, 16KiB", 8 << 10, 16 << 10, http.StatusRequestHeaderFieldsTooLarge, "HTTP/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tlsServerOptions(t)
			o.MaxHeaderBytes = tc.max
			s, _ := tlsutil.NewServer(okHandler(), o)
			addr, _ := startServer(t, s, true)
			conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: dev(t).Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			go func() {
				_, _ = fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", tc.size))
			}()
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestIdleKeepAliveClosed(t *testing.T) {
	o := tlsServerOptions(t)
	o.IdleTimeout = 300 * time.Millisecond
	s, _ := tlsutil.NewServer(okHandler(), o)
	addr, _ := startServer(t, s, true)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: dev(t).Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i := range 2 { // the connection is kept alive between requests
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("request %d: %v %v", i, resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	idleFrom := time.Now()
	n, err := br.ReadByte() // blocks until the server closes the idle connection
	idle := time.Since(idleFrom)
	if err == nil {
		t.Fatalf("read %q from an idle connection", n)
	}
	if !isClosed(err) {
		t.Fatalf("idle connection: %v after %v, want closed by the server", err, idle)
	}
	if idle > 5*time.Second {
		t.Errorf("idle connection closed after %v, want about IdleTimeout (300ms)", idle)
	}
}

func TestMaxConns(t *testing.T) {
	s, _ := tlsutil.NewServer(okHandler(), tlsutil.ServerOptions{MaxConns: 1})
	addr, _ := startServer(t, s, false)
	request := func(c net.Conn) (int, error) {
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	a, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := request(a); err != nil || code != 200 {
		t.Fatalf("first connection: %v %v", code, err)
	}
	b, err := net.Dial("tcp", addr) // completes in the kernel's backlog, not accepted
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_ = b.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var ne net.Error
	if _, err := request(b); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("second connection while the first is open: %v, want a timeout", err)
	}
	_ = a.Close()
	_ = b.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(b), nil) // the request written above is now served
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("second connection after the first closed: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestServerErrorLogToSlog(t *testing.T) {
	var buf lockedBuffer
	o := tlsServerOptions(t)
	o.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	s, _ := tlsutil.NewServer(okHandler(), o)
	addr, _ := startServer(t, s, true)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = conn.Write([]byte("\x16\x03\x01\x00\x05hello-not-tls"))
	_, _ = io.ReadAll(conn) // the server logs before it closes
	_ = conn.Close()
	if got := buf.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "TLS handshake error") {
		t.Errorf("slog output = %q, want a WARN record of the handshake error", got)
	}
}

func TestServeTLSWithoutCertificate(t *testing.T) {
	s, _ := tlsutil.NewServer(okHandler(), tlsutil.ServerOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := s.ServeTLS(context.Background(), ln); !errors.Is(err, tlsutil.ErrNoCertificate) {
		t.Errorf("ServeTLS without a certificate = %v, want ErrNoCertificate", err)
	}
	if err := s.ListenAndServeTLS(context.Background(), "127.0.0.1:0"); !errors.Is(err, tlsutil.ErrNoCertificate) {
		t.Errorf("ListenAndServeTLS without a certificate = %v, want ErrNoCertificate", err)
	}
}

func TestRedirectHTTPS(t *testing.T) {
	h := tlsutil.RedirectHTTPS([]string{"example.com", "www.example.com", "::1"}, 8443)
	h443 := tlsutil.RedirectHTTPS([]string{"example.com"}, 443)
	for _, tc := range []struct {
		h          http.Handler
		method     string
		host, path string
		code       int
		loc        string
	}{
		{h, "GET", "example.com", "/a/b?x=1&y=%20", 308, "https://example.com:8443/a/b?x=1&y=%20"},
		{h, "POST", "EXAMPLE.com:80", "/form", 308, "https://example.com:8443/form"},
		{h, "GET", "www.example.com.", "/", 308, "https://www.example.com:8443/"},
		{h, "GET", "[::1]:80", "/", 308, "https://[::1]:8443/"},
		{h, "GET", "example.com", "//evil.example/x", 308, "https://example.com:8443//evil.example/x"},
		{h443, "GET", "example.com", "/p%2Fq", 308, "https://example.com/p%2Fq"},
		{h, "GET", "evil.example", "/", 400, ""},
		{h, "GET", "example.com.evil.example", "/", 400, ""},
		{h, "GET", "evilexample.com", "/", 400, ""},
		{h, "GET", "", "/", 400, ""},
	} {
		r := httptest.NewRequest(tc.method, "http://placeholder"+tc.path, nil)
		r.Host = tc.host
		w := httptest.NewRecorder()
		tc.h.ServeHTTP(w, r)
		if w.Code != tc.code || w.Header().Get("Location") != tc.loc {
			t.Errorf("%s http://%s%s = %d %q, want %d %q", tc.method, tc.host, tc.path, w.Code, w.Header().Get("Location"), tc.code, tc.loc)
		}
	}
	// Over a real listener, with a client that does not follow redirects.
	s, _ := tlsutil.NewServer(h, tlsutil.ServerOptions{})
	addr, _ := startServer(t, s, false)
	req, _ := http.NewRequest("GET", "http://"+addr+"/x", nil)
	req.Host = "example.com"
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 308 || resp.Header.Get("Location") != "https://example.com:8443/x" {
		t.Errorf("redirect over the wire = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestServerWithReloaderMTLS wires a Reloader with a client CA file into NewServer: HTTP/2
// works through GetConfigForClient, and handlers see the verified client.
func TestServerWithReloaderMTLS(t *testing.T) {
	d := dev(t)
	_, certPEM, keyPEM := pairPEM(t, d)
	p := newPairFiles(t, certPEM, keyPEM)
	caFile := p.cert + ".ca"
	writeFile(t, caFile, pemCA(d))
	r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{ClientCAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	h := tlsutil.RequireClientCert(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tlsutil.ClientIdentity(r)
		fmt.Fprintf(w, "%s %s", id.CommonName, r.Proto) // #nosec G705 -- test handler, text/plain
	}))
	s, err := tlsutil.NewServer(h, tlsutil.ServerOptions{TLS: r.ServerConfig(tlsutil.Intermediate)})
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := startServer(t, s, true)
	dave, _ := d.ClientCertificate("dave")
	c, _ := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: d.Pool, Certificates: []tls.Certificate{dave}})
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: c, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
	defer cl.CloseIdleConnections()
	code, body, err := get(cl, "https://"+addr+"/")
	if err != nil || code != 200 || body != "dave HTTP/2.0" {
		t.Errorf("GET = %d %q %v, want 200 \"dave HTTP/2.0\"", code, body, err)
	}
}

// TestServerBodyCap checks NewServer's request-body cap: a handler reading a body over the cap
// gets an *http.MaxBytesError (by default at DefaultMaxBodyBytes, or at MaxBodyBytes), a
// body within it reads whole, and a negative MaxBodyBytes sets no cap.
func TestServerBodyCap(t *testing.T) {
	for _, tc := range []struct {
		name     string
		max      int64
		size     int
		wantCapd bool
	}{
		{"default, over", 0, tlsutil.DefaultMaxBodyBytes + 1, true},
		{"default, within", 0, 1 << 20, false},
		{"explicit, over", 100, 101, true},
		{"explicit, at the cap", 100, 100, false},
		{"no cap", -1, tlsutil.DefaultMaxBodyBytes + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var readErr error
			var n int64
			s, err := tlsutil.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, readErr = io.Copy(io.Discard, r.Body)
			}), tlsutil.ServerOptions{MaxBodyBytes: tc.max})
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(make([]byte, tc.size)))
			s.HTTP.Handler.ServeHTTP(httptest.NewRecorder(), r)
			var mbe *http.MaxBytesError
			if got := errors.As(readErr, &mbe); got != tc.wantCapd || (!tc.wantCapd && n != int64(tc.size)) {
				t.Errorf("reading %d bytes: %d read, err %v; want capped %v", tc.size, n, readErr, tc.wantCapd)
			}
		})
	}
}
