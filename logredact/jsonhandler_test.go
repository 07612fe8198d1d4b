package logredact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/rampart-go/rampart/logredact"
)

// TestJSONHandlerSlogtest runs the standard library's handler conformance tests.
func TestJSONHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	h := logredact.NewJSONHandler(&buf, nil)
	if err := slogtest.TestHandler(h, func() []map[string]any { return jsonLines(t, buf.Bytes()) }); err != nil {
		t.Error(err)
	}
}

// TestJSONHandlerMatchesSlog checks that records, derived handlers and options produce the bytes
// slog.JSONHandler produces.
func TestJSONHandlerMatchesSlog(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 23, 30, 0, 123456789, time.UTC)
	dropTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}
	for _, tc := range []struct {
		name string
		opts *slog.HandlerOptions
		use  func(slog.Handler) slog.Handler
	}{
		{"plain", nil, func(h slog.Handler) slog.Handler { return h }},
		{"attrs", nil, func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.Int("a", 1)}) }},
		{"group", nil, func(h slog.Handler) slog.Handler {
			return h.WithGroup("g").WithAttrs([]slog.Attr{slog.Bool("b", true)})
		}},
		{"level", &slog.HandlerOptions{Level: slog.LevelWarn}, func(h slog.Handler) slog.Handler { return h }},
		{"replace", &slog.HandlerOptions{ReplaceAttr: dropTime}, func(h slog.Handler) slog.Handler { return h }},
		{"source", &slog.HandlerOptions{AddSource: true}, func(h slog.Handler) slog.Handler { return h }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, want bytes.Buffer
			hs := []slog.Handler{tc.use(logredact.NewJSONHandler(&got, tc.opts)), tc.use(slog.NewJSONHandler(&want, tc.opts))}
			for _, h := range hs {
				for _, level := range []slog.Level{slog.LevelInfo, slog.LevelError} {
					if !h.Enabled(context.Background(), level) {
						continue
					}
					r := slog.NewRecord(t0, level, "hello \"world\"\n", 0)
					r.AddAttrs(slog.String("s", "<x>\u2028"), slog.Duration("d", time.Second), slog.Any("m", map[string]int{"k": 1}))
					if err := h.Handle(context.Background(), r); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got.String() != want.String() {
				t.Errorf("NewJSONHandler wrote\n%s\nslog.NewJSONHandler wrote\n%s", got.String(), want.String())
			}
		})
	}
}

// TestJSONHandlerAccessLogOptions checks that the access log encodes lines itself only when the
// handler's output would be the same: a derived handler keeps its attributes and group, the
// ReplaceAttr and AddSource options are applied, a disabled level is honored.
func TestJSONHandlerAccessLogOptions(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, tc := range []struct {
		name  string
		opts  *slog.HandlerOptions
		use   func(slog.Handler) slog.Handler
		check func(t *testing.T, line map[string]any, raw string)
	}{
		{"plain", nil, func(h slog.Handler) slog.Handler { return h }, func(t *testing.T, m map[string]any, _ string) {
			if m["path"] != "/x" || m["status"] != float64(http.StatusTeapot) || m["msg"] != "http request" || m["level"] != "INFO" {
				t.Errorf("line %v", m)
			}
		}},
		{"with attrs", nil, func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.String("svc", "api")}) },
			func(t *testing.T, m map[string]any, _ string) {
				if m["svc"] != "api" || m["path"] != "/x" {
					t.Errorf("line %v, want svc=api and the request", m)
				}
			}},
		{"with group", nil, func(h slog.Handler) slog.Handler { return h.WithGroup("http") },
			func(t *testing.T, m map[string]any, _ string) {
				g, _ := m["http"].(map[string]any)
				if g["path"] != "/x" {
					t.Errorf("line %v, want the request under \"http\"", m)
				}
			}},
		{"replace attr", &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == "client_ip" {
				return slog.String("client_ip", "hidden")
			}
			return a
		}}, func(h slog.Handler) slog.Handler { return h }, func(t *testing.T, m map[string]any, _ string) {
			if m["client_ip"] != "hidden" {
				t.Errorf("line %v, want ReplaceAttr applied", m)
			}
		}},
		{"add source", &slog.HandlerOptions{AddSource: true}, func(h slog.Handler) slog.Handler { return h },
			func(t *testing.T, m map[string]any, _ string) {
				src, _ := m["source"].(map[string]any)
				if f, _ := src["file"].(string); !strings.HasSuffix(f, "accesslog.go") {
					t.Errorf("line %v, want the access log's source", m)
				}
			}},
		{"disabled level", &slog.HandlerOptions{Level: slog.LevelWarn}, func(h slog.Handler) slog.Handler { return h },
			func(t *testing.T, _ map[string]any, raw string) {
				if raw != "" {
					t.Errorf("logged %q below the handler's level", raw)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(r.Handler(tc.use(logredact.NewJSONHandler(&buf, tc.opts))))
			h := r.AccessLog(logger, logredact.AccessLogConfig{})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusTeapot)
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
			var m map[string]any
			if buf.Len() > 0 {
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					t.Fatalf("%v: %q", err, buf.String())
				}
			}
			tc.check(t, m, buf.String())
		})
	}
}

// TestJSONHandlerConcurrent writes access-log lines and ordinary records from many goroutines
// at once: every line must be a whole JSON object (the two paths share one lock).
func TestJSONHandlerConcurrent(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	var buf bytes.Buffer
	logger := slog.New(r.Handler(logredact.NewJSONHandler(&buf, nil)))
	h := r.AccessLog(logger, logredact.AccessLogConfig{})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	const goroutines, each = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if g%2 == 0 {
					h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x?password=hunter2", nil))
				} else {
					logger.With("g", g).Info("event", "i", i, "token", "hunter2")
				}
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != goroutines*each {
		t.Fatalf("%d lines, want %d", len(lines), goroutines*each)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line is not JSON: %q", l)
		}
		if strings.Contains(l, "hunter2") {
			t.Fatalf("secret logged: %q", l)
		}
	}
}
