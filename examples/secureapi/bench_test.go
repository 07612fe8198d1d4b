package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/internal/cputime"
)

// BenchmarkMiddlewareStack measures what secureapi's middleware adds to a request: security
// headers, the per-IP rate limit, cross-origin protection, Bearer
// token verification with a revocation lookup, and the redacted JSON access log, around a bare
// handler. The difference between the "stack" and "bare" sub-benchmarks is the cost of the
// stack; the target is at most 5 µs.
func BenchmarkMiddlewareStack(b *testing.B) {
	_, mw, token := newTestApp(b)
	bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{}"))
	})
	// The layers are added one at a time, innermost first, so that each sub-benchmark's
	// difference from the previous one is the cost of one layer; "stack" is the whole stack.
	authn := mw.authn(bare)
	crossOrigin := mw.crossOrigin(authn)
	rateLimit := mw.rateLimit(crossOrigin)
	headers := mw.headers(rateLimit)
	stack := mw.accessLog(headers)

	req := httptest.NewRequest(http.MethodGet, "https://127.0.0.1:8443/api/profile", nil)
	req.RemoteAddr = "198.51.100.7:40000"
	req.Header.Set("Authorization", "Bearer "+token)

	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"+authn", authn}, {"+crossOrigin", crossOrigin}, {"+rateLimit", rateLimit},
		{"+headers", headers}, {"stack", stack}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			cpu0 := cputime.Process()
			cpuOK := cpu0 > 0
			n := 0
			for b.Loop() {
				clear(w.h)
				w.code = 0
				bc.h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
				n++
			}
			if cpu1 := cputime.Process(); cpu1 > 0 && cpuOK && n > 0 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(n), "cpu-ns/op")
			}
		})
	}
}

// newTestApp builds the app, its middleware and a session token of the user "alice" on a
// store in a temporary directory, for benchmarks and fuzz targets. Logs are discarded (through
// the redactor, so its cost is counted); the rate limit is out of reach.
func newTestApp(tb testing.TB) (*app, middleware, string) {
	tb.Helper()
	dir := tb.TempDir()
	k, err := loadKeys(dir, func(string) string { return "" }, nil)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := openStore(dir, k.store, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	redactor, logger := newLogger(io.Discard)
	cfg := config{rate: 1 << 30, sessionIdle: 30 * time.Minute, loginFailuresPerUser: 5, loginFailuresPerIP: 20, loginWindow: time.Minute}
	a, limiter, err := newApp(cfg, st, k.token, logger, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.createUser(user{Name: "alice", Role: roleUser}); err != nil {
		tb.Fatal(err)
	}
	token, _, err := a.sessions.Login(context.Background(), auth.Claims{Subject: "alice", Roles: []string{roleUser}})
	if err != nil {
		tb.Fatal(err)
	}
	mw := a.newMiddleware(limiter, apiHeaders(), redactor.AccessLog(logger, a.accessLogConfig()))
	return a, mw, token
}

// discardWriter is a minimal http.ResponseWriter, so that the benchmark measures the
// middleware rather than httptest.ResponseRecorder's copying of headers.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}

func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
