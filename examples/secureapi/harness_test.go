package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testClock is the wall clock plus an offset that tests move forward, so that token expiry and
// rate-limit windows can be crossed without sleeping.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is a secureapi started in-process on a free loopback port, over verified TLS.
type testServer struct {
	t      *testing.T
	dir    string
	url    string
	client *http.Client
	clock  *testClock
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// startServer starts secureapi with the flags args (plus -addr 127.0.0.1:0 -data dir), the
// environment env, the clock clk, and optional changes to the parsed config.
func startServer(t *testing.T, dir string, env map[string]string, clk *testClock, tweak func(*config), args ...string) *testServer {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	cfg, err := parseConfig(append([]string{"-addr", "127.0.0.1:0", "-data", dir}, args...), getenv, io.Discard)
	if err != nil {
		t.Fatalf("parseConfig: %v", err)
	}
	if clk == nil {
		clk = &testClock{}
	}
	cfg.now = clk.now
	if tweak != nil {
		tweak(&cfg)
	}
	ready := make(chan string, 1)
	cfg.ready = func(addr string) { ready <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{t: t, dir: dir, clock: clk, stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- serve(ctx, cfg, s.stdout, s.stderr) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-s.done:
		cancel()
		t.Fatalf("serve() = %v before listening; stderr:\n%s", err, s.stderr)
	case <-time.After(2 * time.Minute):
		cancel()
		t.Fatal("secureapi did not start listening within 2 minutes")
	}
	t.Cleanup(s.stop)

	if cfg.plainHTTP {
		s.url = "http://" + addr
		s.client = &http.Client{Timeout: time.Minute}
	} else {
		s.url = "https://" + addr
		s.client = clientFor(t, filepath.Join(dir, "dev-ca.pem"))
	}
	return s
}

// clientFor returns an HTTPS client that trusts only the CA certificate in caPath and follows
// no redirects.
func clientFor(t *testing.T, caPath string) *http.Client {
	t.Helper()
	caPEM, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("%s holds no certificate", caPath)
	}
	transport := &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// stop shuts the server down gracefully and checks that it returned no error.
func (s *testServer) stop() {
	s.once.Do(func() {
		s.cancel()
		select {
		case err := <-s.done:
			if err != nil {
				s.t.Errorf("serve() after shutdown = %v, want nil", err)
			}
		case <-time.After(time.Minute):
			s.t.Error("serve() did not return within a minute of shutdown")
		}
	})
}

// response is a decoded API response.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// str returns the string at key in the JSON body ("" if absent).
func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// do sends a request. body is sent as JSON unless hdrs sets another Content-Type; hdrs are
// name, value pairs ("Authorization" given as a bare token becomes a Bearer header).
func (s *testServer) do(method, path, body string, hdrs ...string) response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdrs); i += 2 {
		req.Header.Set(hdrs[i], hdrs[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		s.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			s.t.Errorf("%s %s = %d with a body that is not a JSON object: %q", method, path, resp.StatusCode, raw)
		}
	}
	return r
}

// bearer returns the header pair for a Bearer token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// creds returns a JSON credentials body.
func creds(user, password string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": password})
	return string(b)
}

// login logs user in and returns the token, failing the test unless it gets 200.
func (s *testServer) login(user, password string) string {
	s.t.Helper()
	r := s.do("POST", "/api/login", creds(user, password))
	if r.status != http.StatusOK || r.str("message") != "Login successful" || r.str("token") == "" {
		s.t.Fatalf("login(%q) = %d %s, want 200 with a token", user, r.status, r.raw)
	}
	return r.str("token")
}

// want fails the test unless r has the status, and, when errMsg is not empty, the JSON error.
func want(t *testing.T, what string, r response, status int, errMsg string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s = %d %s, want %d", what, r.status, r.raw, status)
		return
	}
	if errMsg != "" && r.str("error") != errMsg {
		t.Errorf("%s = %d %s, want error %q", what, r.status, r.raw, errMsg)
	}
}
