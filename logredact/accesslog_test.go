package logredact_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/logredact"
	"github.com/rampart-go/rampart/logredact/redacttest"
)

func TestAccessLog(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	gh := redacttest.FakeGitHubToken()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		target  string
		handler http.HandlerFunc
		ip      func(*http.Request) string
		want    map[string]any
		absent  []string // keys the record must not have
	}{
		{
			name:   "query redacted",
			target: "/v1/orders?page=2&access_token=" + gh + "&q=a%40b.example&sig=abc&code=xyz",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Set-Cookie", "session=topsecret-cookie")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "hello")
			},
			want: map[string]any{"method": "GET", "path": "/v1/orders", "status": 201.0, "bytes": 5.0,
				"query":     "page=2&access_token=[REDACTED:query]&q=[REDACTED:email]&sig=[REDACTED:query]&code=[REDACTED:query]",
				"client_ip": "192.0.2.1", "duration": float64(125 * time.Millisecond)},
		},
		{
			name:    "path token and default status",
			target:  "/reset/" + gh,
			handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) },
			ip:      func(*http.Request) string { return "203.0.113.9" },
			want: map[string]any{"path": "/reset/[REDACTED:github]", "status": 200.0, "bytes": 2.0,
				"client_ip": "203.0.113.9"},
			absent: []string{"query"}, // no query string, no "query" attribute
		},
		{
			name:    "percent-encoded path segments",
			target:  "/api/users/jane%40example.com/reset/%67hp_" + gh[4:] + "/a%2Fb/x/jane%40example.com%2F..%2Fadmin%0A",
			handler: func(http.ResponseWriter, *http.Request) {},
			// A redacted decoded segment keeps its '/', '%' and control characters escaped, so
			// the logged path cannot read as another ("/../admin", a forged line).
			want: map[string]any{"path": "/api/users/[REDACTED:email]/reset/[REDACTED:github]/a%2Fb/x/[REDACTED:email]%2F..%2Fadmin%0A"},
		},
		{
			name:    "no write",
			target:  "/empty",
			handler: func(http.ResponseWriter, *http.Request) {},
			want:    map[string]any{"status": 200.0, "bytes": 0.0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, nil))
			tick := t0
			now := func() time.Time { tick = tick.Add(125 * time.Millisecond); return tick }
			mw := r.AccessLog(logger, logredact.AccessLogConfig{ClientIP: tt.ip, Now: now})
			req := httptest.NewRequest(http.MethodGet, tt.target, nil)
			req.Header.Set("Authorization", "Bearer topsecret-authorization-header")
			req.Header.Set("Cookie", "session=topsecret-cookie")
			rw := httptest.NewRecorder()
			mw(tt.handler).ServeHTTP(rw, req)
			out := buf.String()
			for _, leak := range []string{"topsecret", gh[4:]} {
				if strings.Contains(out, leak) {
					t.Errorf("access log leaked %q: %s", leak, out)
				}
			}
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Fatalf("unmarshal %q: %v", out, err)
			}
			for k, v := range tt.want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v (record %s)", k, m[k], v, out)
				}
			}
			for _, k := range tt.absent {
				if v, ok := m[k]; ok {
					t.Errorf("%s = %v, want no such key (record %s)", k, v, out)
				}
			}
		})
	}
}

func TestAccessLogPanic(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	h := r.AccessLog(logger, logredact.AccessLogConfig{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/x", nil))
	}()
	if !strings.Contains(buf.String(), `"status":500`) {
		t.Errorf("a panicking handler must be logged with status 500: %s", buf.String())
	}
}

func TestAccessLogFlusher(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := r.AccessLog(logger, logredact.AccessLogConfig{})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("ResponseWriter lost http.Flusher")
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
	}))
	rw := httptest.NewRecorder()
	h.ServeHTTP(rw, httptest.NewRequest(http.MethodGet, "/", nil))
	if !rw.Flushed {
		t.Error("Flush did not reach the underlying writer")
	}
}

// TestAccessLogAdversarial sends requests an attacker or a careless client would, with the secret
// in every place the access log reads or might read, and checks that no secret reaches the output
// and that the middleware leaves no goroutine behind.
func TestAccessLogAdversarial(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	gh := redacttest.FakeGitHubToken()
	const pw = "hunter2-Zq9"
	targets := []string{
		"/x?Pass%77ord=" + pw,
		"/x?%70assword=" + pw + "&password=" + pw + "&PASSWORD=" + pw,
		"/x?a=1;password=" + pw,
		"/x?next=%2F%3Ftoken%3D" + pw,
		"/x?redirect=https%3A%2F%2Fu%3A" + pw + "%40db.example",
		"/x?q=password%3D" + pw,
		"/x?access%5Ftoken=" + pw,
		"/login;jsessionid=" + pw,
		"/api/keys/" + gh,
		"/x?t=" + gh,
		"/x?t=Bearer%20" + gh,
	}
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	mw := r.AccessLog(logger, logredact.AccessLogConfig{})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Set-Cookie", "session="+pw)
		w.WriteHeader(http.StatusNoContent)
	}))
	check := testenv.CheckGoroutines(t)
	for _, target := range targets {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer "+pw)
		req.Header.Set("Proxy-Authorization", "Basic "+pw)
		req.Header.Set("Cookie", "session="+pw)
		req.Header.Set("X-Api-Key", pw)
		mw.ServeHTTP(httptest.NewRecorder(), req)
	}
	check()
	out := buf.String()
	if n := strings.Count(out, "\n"); n != len(targets) {
		t.Fatalf("%d records for %d requests:\n%s", n, len(targets), out)
	}
	for _, leak := range []string{pw, gh} {
		if strings.Contains(out, leak) {
			t.Errorf("access log leaks %q:\n%s", leak, out)
		}
	}
}

// wrapHandler hides the redacting handler's type, so that AccessLog takes the path through
// slog.Logger.LogAttrs.
type wrapHandler struct{ slog.Handler }

// TestAccessLogDirectMatchesLogger checks that the record AccessLog passes straight to the
// handler below the Redactor's own handler is the one the redacting handler would have produced.
func TestAccessLogDirectMatchesLogger(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	targets := []string{
		"/api/v1/orders/12345?page=2&sort=created&filter=open%20orders",
		"/x?password=hunter2&email=jane.doe%40example.com",
		"/x?q=Bearer%20abcdefghijklmnopqrstuvwxyz0123&a&=&b=",
		"/x?next=https%3A%2F%2Fuser%3Apass%40example.com%2F&token=x",
		"/jane.doe@example.com/x?card=4111+1111+1111+1111&n=4111111111111111",
		"/x?a=1%ZZ&password%3D=secret&api_key=sk_live_abcdefghijklmnopqrstuvwx",
	}
	strip := func(s string) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("%v: %q", err, s)
		}
		delete(m, "time")
		delete(m, "duration")
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	for _, target := range targets {
		var direct, viaLogger, encoded bytes.Buffer
		for _, c := range []struct {
			buf *bytes.Buffer
			h   func(slog.Handler) slog.Handler
			enc bool // through NewJSONHandler, which lets the access log encode the line
		}{
			{&direct, r.Handler, false},
			{&viaLogger, func(h slog.Handler) slog.Handler { return wrapHandler{r.Handler(h)} }, false},
			{&encoded, r.Handler, true},
		} {
			var jh slog.Handler = slog.NewJSONHandler(c.buf, nil)
			if c.enc {
				jh = logredact.NewJSONHandler(c.buf, nil)
			}
			logger := slog.New(c.h(jh))
			h := r.AccessLog(logger, logredact.AccessLogConfig{})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte("ok"))
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
		}
		if d, v := strip(direct.String()), strip(viaLogger.String()); d != v {
			t.Errorf("%s:\n direct %s\n logger %s", target, d, v)
		}
		if e, v := strip(encoded.String()), strip(viaLogger.String()); e != v {
			t.Errorf("%s:\n encoded %s\n logger  %s", target, e, v)
		}
		if strings.Contains(direct.String(), "hunter2") || strings.Contains(direct.String(), "4111111111111111") {
			t.Errorf("%s: secret logged: %s", target, direct.String())
		}
	}
}

// TestAccessLogDirectSourceAndTime checks the parts of a record that the direct path (the
// logger writes through the Redactor's own handler) fills in itself rather than through
// slog.Logger: the source is the access log's, on every record; the record time is the wall
// clock's even with an injected Now, which only measures durations; and without one, the record
// time lies within the request.
func TestAccessLogDirectSourceAndTime(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	t0 := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, fake := range []bool{true, false} {
		var buf bytes.Buffer
		logger := slog.New(r.Handler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{AddSource: true})))
		cfg := logredact.AccessLogConfig{}
		if fake {
			tick := t0
			cfg.Now = func() time.Time { tick = tick.Add(125 * time.Millisecond); return tick }
		}
		h := r.AccessLog(logger, cfg)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("ok"))
		}))
		var sources []string
		for range 3 {
			buf.Reset()
			before := time.Now()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x?password=hunter2", nil))
			after := time.Now()
			var rec struct {
				Time     time.Time
				Duration int64
				Query    string
				Source   struct {
					Function, File string
					Line           int
				}
			}
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			if rec.Time.Before(before.Truncate(time.Millisecond)) || rec.Time.After(after) {
				t.Errorf("fake clock %v: record time %v outside the request [%v, %v]", fake, rec.Time, before, after)
			}
			if fake && rec.Duration != int64(125*time.Millisecond) {
				t.Errorf("duration %v, want 125ms from the injected clock", time.Duration(rec.Duration))
			}
			if rec.Query != "password=[REDACTED:query]" {
				t.Errorf("query %q", rec.Query)
			}
			if !strings.HasSuffix(rec.Source.File, "accesslog.go") || !strings.Contains(rec.Source.Function, "logredact.") || rec.Source.Line <= 0 {
				t.Errorf("source %+v, want the access log's", rec.Source)
			}
			sources = append(sources, rec.Source.File+":"+rec.Source.Function+":"+strconv.Itoa(rec.Source.Line))
		}
		if sources[0] != sources[1] || sources[1] != sources[2] {
			t.Errorf("sources differ: %q", sources)
		}
	}
}

// BenchmarkAccessLogSimple measures the access log of a request without a query string, with a
// ClientIP function, as in an API behind authentication (examples/secureapi); the handler
// writes two bytes. The logger writes through slog.JSONHandler, or through NewJSONHandler,
// which lets the access log encode the line itself.
func BenchmarkAccessLogSimple(b *testing.B) {
	benchAccessLog(b, "/api/profile", func(*http.Request) string { return "198.51.100.7" })
}

// TestAccessLogStatus checks the status the access log records: the first final status written
// (informational 1xx headers do not count), 200 for a body or a flush without a header, 200 for
// a handler that writes nothing, and 500 for one that panics before writing, even after a 1xx.
func TestAccessLogStatus(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"header", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }, `"status":204`},
		{"two headers", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			w.WriteHeader(http.StatusOK)
		}, `"status":404`},
		{"early hints first", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
		}, `"status":201`},
		{"body", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("x")) }, `"status":200,"bytes":1`},
		{"flush", func(w http.ResponseWriter, _ *http.Request) { w.(http.Flusher).Flush() }, `"status":200`},
		{"nothing", func(http.ResponseWriter, *http.Request) {}, `"status":200,"bytes":0`},
		{"panic after early hints", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			panic(http.ErrAbortHandler)
		}, `"status":500`},
		{"panic after the header", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			panic(http.ErrAbortHandler)
		}, `"status":202`},
	} {
		var buf bytes.Buffer
		logger := slog.New(r.Handler(slog.NewJSONHandler(&buf, nil)))
		h := r.AccessLog(logger, logredact.AccessLogConfig{})(tc.handler)
		func() {
			defer func() { _ = recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
		}()
		if !strings.Contains(buf.String(), tc.want) {
			t.Errorf("%s: %s, want %s", tc.name, buf.String(), tc.want)
		}
	}
}

// TestAccessLogInvalidEscapes checks that one invalid percent escape in a query key or value
// does not switch off the inspection of the decoded form: the valid escapes around it are
// decoded and the result scanned. (net/http refuses such escapes in the path before any handler
// runs, and URL.EscapedPath never returns one.) The access log must not leak through any of its paths
// (the logger's own handler, the direct record, NewJSONHandler's encoded line).
func TestAccessLogInvalidEscapes(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	targets := []string{
		"/x?n=4111%201111%201111%201111%ZZ",
		"/x?n=4111+1111+1111+1111%ZZ",
		"/x?n=%25ZZ%204111%201111%201111%201111",
		"/x?e=jane%40example.com%ZZ",
		"/x?e=jane%40example.com%",
		"/x?a%ZZpassword=hunter2",
		"/x?a%ZZ%70assword=hunter2",
	}
	for _, h := range []struct {
		name string
		mk   func(*bytes.Buffer) slog.Handler
	}{
		{"handler", func(b *bytes.Buffer) slog.Handler { return r.Handler(slog.NewJSONHandler(b, nil)) }},
		{"logger", func(b *bytes.Buffer) slog.Handler { return wrapHandler{r.Handler(slog.NewJSONHandler(b, nil))} }},
		{"encoded", func(b *bytes.Buffer) slog.Handler { return r.Handler(logredact.NewJSONHandler(b, nil)) }},
		{"plain", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		for _, target := range targets {
			var buf bytes.Buffer
			mw := r.AccessLog(slog.New(h.mk(&buf)), logredact.AccessLogConfig{})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			}))
			mw.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
			out := buf.String()
			for _, leak := range []string{"4111", "jane", "hunter2"} {
				if strings.Contains(out, leak) {
					t.Errorf("%s: AccessLog(%q) leaks %q: %s", h.name, target, leak, out)
				}
			}
		}
	}
}
