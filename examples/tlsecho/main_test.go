package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testServer runs "tlsecho server" in-process on a free port.
type testServer struct {
	addr    string
	pool    *x509.CertPool
	caPath  string
	srv     *server
	stdout  *lockedBuffer
	stderr  *lockedBuffer
	cancel  context.CancelFunc
	done    chan error
	release chan struct{}
}

func startServer(t *testing.T, tweak func(*server), args ...string) *testServer {
	t.Helper()
	return startServerCA(t, filepath.Join(t.TempDir(), "ca.pem"), tweak, args...)
}

// startServerCA is startServer with the CA written to caPath, or to the default path if
// caPath is "".
func startServerCA(t *testing.T, caPath string, tweak func(*server), args ...string) *testServer {
	t.Helper()
	ts := &testServer{caPath: caPath, stdout: &lockedBuffer{}, stderr: &lockedBuffer{},
		done: make(chan error, 1), release: make(chan struct{}, 100)}
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	if caPath == "" {
		ts.caPath = defaultCAFile()
		args = append([]string{"server", "-addr", "127.0.0.1:0"}, args...)
	} else {
		args = append([]string{"server", "-addr", "127.0.0.1:0", "-ca-out", caPath}, args...)
	}
	go func() {
		ts.done <- run(ctx, args, nil, ts.stdout, ts.stderr, func(s *server, addr string) {
			s.onRelease = func() { ts.release <- struct{}{} }
			if tweak != nil {
				tweak(s)
			}
			ts.srv, ts.addr = s, addr
			close(ready)
		})
	}()
	select {
	case <-ready:
	case err := <-ts.done:
		t.Fatalf("server: %v", err)
	}
	t.Cleanup(func() { ts.stop(t) })
	var err error
	if ts.pool, err = loadCA(ts.caPath); err != nil {
		t.Fatal(err)
	}
	return ts
}

func (ts *testServer) stop(t *testing.T) {
	ts.cancel()
	select {
	case err, ok := <-ts.done:
		if ok && err != nil {
			t.Errorf("server returned %v after shutdown, want nil", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("server did not shut down within a minute")
	}
}

// dial opens a verified TLS connection with the ALPN of tlsecho.
func (ts *testServer) dial(t *testing.T) (*tls.Conn, *bufio.Reader) {
	t.Helper()
	cfg, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: ts.pool})
	if err != nil {
		t.Fatal(err)
	}
	cfg.NextProtos = []string{alpn}
	c, err := tls.Dial("tcp", ts.addr, cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}

func roundTrip(t *testing.T, c *tls.Conn, r *bufio.Reader, msg string) string {
	t.Helper()
	if _, err := io.WriteString(c, msg+"\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

// TestEcho runs the client command against the server command: a real TLS round trip,
// verified against the development CA the server wrote out.
func TestEcho(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	var out, errOut bytes.Buffer
	msgs := []string{"hello", "héllo wörld ✓", strings.Repeat("x", 4096), ""}
	if err := run(ctx, append([]string{"client", "-addr", ts.addr, "-ca", ts.caPath}, msgs...), nil, &out, &errOut, nil); err != nil {
		t.Fatalf("client: %v (%s)", err, errOut.String())
	}
	if got, want := out.String(), strings.Join(msgs, "\n")+"\n"; got != want {
		t.Errorf("client printed %.80q, want %.80q", got, want)
	}
	// Lines from standard input.
	out.Reset()
	if err := run(ctx, []string{"client", "-addr", ts.addr, "-ca", ts.caPath}, strings.NewReader("one\ntwo\r\n"), &out, &errOut, nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != "one\ntwo\n" {
		t.Errorf("client (stdin) printed %q", out.String())
	}
	if s := ts.stdout.String(); !strings.Contains(s, "listening on "+ts.addr) || !strings.Contains(s, ts.caPath) {
		t.Errorf("server stdout = %q, want the address and the CA path", s)
	}
	c, _ := ts.dial(t)
	if st := c.ConnectionState(); st.Version < tls.VersionTLS12 || st.NegotiatedProtocol != alpn {
		t.Errorf("connection state: version %x, ALPN %q", st.Version, st.NegotiatedProtocol)
	}
}

// TestVerification checks that the client refuses a server its CA did not sign, and a server
// that does not negotiate tlsecho's ALPN.
func TestVerification(t *testing.T) {
	ts := startServer(t, nil)
	other, err := tlsutil.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	_, err = echo(context.Background(), ts.addr, other.Pool, []string{"hi"}, 4096)
	var uae x509.UnknownAuthorityError
	if !errors.As(err, &uae) {
		t.Errorf("echo with another CA = %v, want x509.UnknownAuthorityError", err)
	}
	// A TLS server of another protocol (no tlsecho ALPN) with a trusted certificate.
	cfg := tlsutil.ServerConfig(tlsutil.Intermediate)
	cfg.Certificates = []tls.Certificate{other.Server}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	if _, err := echo(context.Background(), ln.Addr().String(), other.Pool, []string{"hi"}, 4096); err == nil {
		t.Error("echo to a server without the tlsecho ALPN = nil error")
	}
}

// TestMaxMessage checks the size limit: a message of exactly -max-msg bytes is echoed, one byte
// more is refused with an error reply and the connection closed.
func TestMaxMessage(t *testing.T) {
	ts := startServer(t, nil, "-max-msg", "64")
	c, r := ts.dial(t)
	if got := roundTrip(t, c, r, strings.Repeat("a", 64)); got != strings.Repeat("a", 64) {
		t.Errorf("64-byte message echoed as %q", got)
	}
	got := roundTrip(t, c, r, strings.Repeat("b", 65))
	if !strings.HasPrefix(got, replyTooLong) {
		t.Errorf("65-byte message: reply %q, want %q", got, replyTooLong)
	}
	if _, err := r.ReadString('\n'); !errors.Is(err, io.EOF) {
		t.Errorf("after the refusal: read = %v, want EOF", err)
	}
	// Through the client, a large message is an error too.
	_, err := echo(context.Background(), ts.addr, ts.pool, []string{strings.Repeat("c", 100_000)}, 4096)
	if err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("echo of 100,000 bytes = %v, want the server's refusal", err)
	}
}

// TestConnectionCap checks -max-conns: with two connections served, a third is told the server
// is busy; once one closes, a new connection is served.
func TestConnectionCap(t *testing.T) {
	ts := startServer(t, nil, "-max-conns", "2")
	c1, r1 := ts.dial(t)
	c2, r2 := ts.dial(t)
	// A round trip on each proves that both hold a slot.
	roundTrip(t, c1, r1, "one")
	roundTrip(t, c2, r2, "two")
	c3, r3 := ts.dial(t)
	if got := roundTrip(t, c3, r3, "three"); got != replyBusy {
		t.Errorf("third connection: %q, want %q", got, replyBusy)
	}
	_ = c1.Close()
	<-ts.release // c1's handler gave its slot back
	c4, r4 := ts.dial(t)
	if got := roundTrip(t, c4, r4, "four"); got != "four" {
		t.Errorf("connection after one closed: %q, want the echo", got)
	}
	if !strings.Contains(ts.stderr.String(), "too many connections") {
		t.Error("the refusal was not logged")
	}
}

// TestTimeouts checks that a client that never completes the handshake, and one that goes
// idle, are disconnected by the server's deadlines.
func TestTimeouts(t *testing.T) {
	// Each deadline gets its own server, so that a slow handshake on a loaded machine cannot
	// trip the short handshake deadline of the idle test.
	ts := startServer(t, func(s *server) { s.handshakeTimeout = 100 * time.Millisecond })
	raw, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Read(make([]byte, 1)); err == nil { // blocks until the server hangs up
		t.Error("silent TCP client: read succeeded, want the server to close the connection")
	}
	idle := startServer(t, func(s *server) { s.idleTimeout = 100 * time.Millisecond })
	_, r := idle.dial(t) // and then say nothing
	if _, err := r.ReadString('\n'); !errors.Is(err, io.EOF) {
		t.Errorf("idle client: read = %v, want EOF when the server closes", err)
	}
}

// TestShutdown checks that cancelling the server's context closes idle connections and makes
// the server return nil, with no handler left running.
func TestShutdown(t *testing.T) {
	ts := startServer(t, nil)
	c, r := ts.dial(t)
	roundTrip(t, c, r, "before")
	ts.cancel()
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("server returned %v, want nil", err)
		}
		close(ts.done) // for the cleanup's stop
	case <-time.After(time.Minute):
		t.Fatal("server did not return after cancellation")
	}
	if _, err := r.ReadString('\n'); err == nil {
		t.Error("connection still open after shutdown")
	}
	ts.srv.mu.Lock()
	n := len(ts.srv.conns)
	ts.srv.mu.Unlock()
	if n != 0 {
		t.Errorf("%d connections still tracked after shutdown", n)
	}
	if _, err := net.DialTimeout("tcp", ts.addr, 5*time.Second); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}

// TestUsage checks flag validation.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frob"}, {"server", "-max-msg", "0"}, {"server", "-max-conns", "0"},
		{"client", "-ca", filepath.Join(t.TempDir(), "missing.pem")}} {
		if err := run(context.Background(), args, nil, io.Discard, io.Discard, nil); err == nil {
			t.Errorf("run(%q) = nil error", args)
		}
	}
	for _, args := range [][]string{{"server", "-h"}, {"client", "-h"}} {
		var usage bytes.Buffer
		if err := run(context.Background(), args, nil, io.Discard, &usage, nil); err != nil || !strings.Contains(usage.String(), "-max-msg") {
			t.Errorf("run(%q) = %v, usage %q; want nil and the flags", args, err, usage.String())
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCA(bad); err == nil {
		t.Error("loadCA(garbage) = nil error")
	}
}
