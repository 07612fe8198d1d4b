package logredact_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/cputime"
	"github.com/rampart-go/rampart/logredact"
)

func benignText(b *testing.B) string {
	return strings.Join(readLines(b, "benign.txt"), "\n") + "\n"
}

func denseText(b *testing.B) string {
	var sb strings.Builder
	for _, tmpl := range readLines(b, "secrets.txt") {
		in, _, _ := expand(b, tmpl)
		sb.WriteString(in)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// BenchmarkRedact measures value scanning in MB/s on secret-free log text (the benign corpus)
// and on text dense with secrets (the secret corpus, about one secret per 60 bytes).
func BenchmarkRedact(b *testing.B) {
	r := logredact.MustNew(logredact.Config{})
	for _, c := range []struct {
		name string
		text func(*testing.B) string
	}{{"benign", benignText}, {"dense", denseText}} {
		b.Run(c.name, func(b *testing.B) {
			s := c.text(b)
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				_ = r.Redact(s)
			}
		})
	}
}

// BenchmarkAppend is the Writer's path: bytes in, bytes out, no allocation.
func BenchmarkAppend(b *testing.B) {
	r := logredact.MustNew(logredact.Config{})
	src := []byte(benignText(b))
	dst := make([]byte, 0, 2*len(src))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		dst = r.Append(dst[:0], src)
	}
}

// BenchmarkAdversarial feeds inputs built to make each detector work hard (many triggers, long
// runs); all must stay linear.
func BenchmarkAdversarial(b *testing.B) {
	r := logredact.MustNew(logredact.Config{})
	inputs := map[string]string{
		"jwt-runs":   strings.Repeat("eyJ-", 1<<14),
		"slack-runs": strings.Repeat("xoxb-", 1<<14),
		"emails":     strings.Repeat(strings.Repeat("a", 60)+"@", 1<<10),
		"urls":       strings.Repeat("ab://"+strings.Repeat("u", 100), 1<<9),
		"digits":     strings.Repeat("4111 ", 1<<13),
		"keys":       strings.Repeat(strings.Repeat("k", 63)+"=", 1<<10),
		"quotes":     strings.Repeat(`"password":"`, 1<<12),
		"pem":        strings.Repeat("-----BEGIN PRIVATE KEY----- -----END X ", 1<<10),
		"pem-noend":  strings.Repeat("u=-----BEGIN PRIVATE KEY----- x\nQUJD\nok then\n", 1<<10),
	}
	for name, s := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				_ = r.Redact(s)
			}
		})
	}
}

func record6(ctx context.Context, l *slog.Logger) {
	l.LogAttrs(ctx, slog.LevelInfo, "request served",
		slog.String("method", "GET"),
		slog.String("path", "/api/v1/orders/12345"),
		slog.Int("status", 200),
		slog.Duration("duration", 1234*time.Microsecond),
		slog.String("request_id", "3fa85f64-5717-4562-b3fc-2c963f66afa6"),
		slog.String("user_agent", "Mozilla/5.0 (X11; Linux x86_64)"),
	)
}

// BenchmarkHandler compares the plain JSON handler with the redacting handler over it, on records
// with six secret-free attributes; the ratio of the two is the overhead.
func BenchmarkHandler(b *testing.B) {
	ctx := context.Background()
	r := logredact.MustNew(logredact.Config{})
	for _, c := range []struct {
		name string
		h    func() slog.Handler
	}{
		{"json", func() slog.Handler { return slog.NewJSONHandler(io.Discard, nil) }},
		{"redact+json", func() slog.Handler { return r.Handler(slog.NewJSONHandler(io.Discard, nil)) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := slog.New(c.h())
			b.ReportAllocs()
			for b.Loop() {
				record6(ctx, l)
			}
		})
	}
	b.Run("redact+json/secrets", func(b *testing.B) {
		l := slog.New(r.Handler(slog.NewJSONHandler(io.Discard, nil)))
		b.ReportAllocs()
		for b.Loop() {
			l.LogAttrs(ctx, slog.LevelInfo, "login", slog.String("user", "jane.doe@example.com"),
				slog.String("password", "hunter2"), slog.String("note", "card 4111 1111 1111 1111"),
				slog.Int("status", 200), slog.String("request_id", "3fa85f64-5717-4562-b3fc-2c963f66afa6"),
				slog.String("path", "/login"))
		}
	})
}

// BenchmarkWriter measures the redacting Writer on secret-free lines.
func BenchmarkWriter(b *testing.B) {
	r := logredact.MustNew(logredact.Config{})
	lines := readLines(b, "benign.txt")
	var total int
	for _, l := range lines {
		total += len(l) + 1
	}
	bl := make([][]byte, len(lines))
	for i, l := range lines {
		bl[i] = []byte(l + "\n")
	}
	w := r.Writer(io.Discard)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range bl {
			_, _ = w.Write(l)
		}
	}
}

// BenchmarkHandlerOverhead logs the same six-attribute, secret-free record alternately through
// the plain JSON handler and through the redacting handler over it, in batches, and reports the
// ratio of the CPU time the calling thread spent in each ("x-json"). Interleaving and thread CPU
// time make the ratio hold on a loaded machine, where wall-clock ns/op of two separate benchmarks
// can differ by 3x from run to run.
func BenchmarkHandlerOverhead(b *testing.B) {
	defer cputime.LockThread()()
	ctx := context.Background()
	r := logredact.MustNew(logredact.Config{})
	plain := slog.New(slog.NewJSONHandler(io.Discard, nil))
	red := slog.New(r.Handler(slog.NewJSONHandler(io.Discard, nil)))
	const batch = 32
	var tPlain, tRed time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := cputime.Thread()
		ok := t0 > 0
		if !ok {
			b.Skip("no per-thread CPU time on this platform")
		}
		for range batch {
			record6(ctx, plain)
		}
		t1 := cputime.Thread()
		for range batch {
			record6(ctx, red)
		}
		t2 := cputime.Thread()
		tPlain += t1 - t0
		tRed += t2 - t1
	}
	if tPlain > 0 {
		b.ReportMetric(float64(tRed)/float64(tPlain), "x-json")
		b.ReportMetric(float64(tPlain.Nanoseconds())/float64(b.N*batch), "json-cpu-ns/rec")
		b.ReportMetric(float64(tRed.Nanoseconds())/float64(b.N*batch), "redact-cpu-ns/rec")
	}
}

// BenchmarkRedactCPU reports scanning throughput in MB per CPU-second of the calling thread
// ("cpu-MB/s"), which a loaded machine does not distort the way it distorts wall-clock MB/s.
func BenchmarkRedactCPU(b *testing.B) {
	r := logredact.MustNew(logredact.Config{})
	for _, c := range []struct {
		name string
		text func(*testing.B) string
	}{{"benign", benignText}, {"dense", denseText}} {
		b.Run(c.name, func(b *testing.B) {
			defer cputime.LockThread()()
			s := c.text(b)
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			t0 := cputime.Thread()
			ok := t0 > 0
			if !ok {
				b.Skip("no per-thread CPU time on this platform")
			}
			for b.Loop() {
				_ = r.Redact(s)
			}
			t1 := cputime.Thread()
			if d := t1 - t0; d > 0 {
				b.ReportMetric(float64(len(s))*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
			}
		})
	}
}

// BenchmarkRegexpBaseline runs the approach the package replaces, three regular expressions over
// each line (cards, e-mail addresses, bearer tokens), on the same secret-free text, for
// comparison with BenchmarkRedact/benign in the same run.
func BenchmarkRegexpBaseline(b *testing.B) {
	res := []*regexp.Regexp{
		regexp.MustCompile(`\b(?:\d[ -]?){13,19}\b`),
		regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`),
		regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/-]+=*`),
	}
	s := benignText(b)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		out := s
		for _, re := range res {
			out = re.ReplaceAllString(out, "[REDACTED]")
		}
		_ = out
	}
}

// sink keeps the reference loop from being optimized away.
var sink int

// BenchmarkRedactVsByteLoop calibrates scanning against the cheapest possible pass over the same
// text, a loop that reads every byte and tests it against a 256-entry table, interleaved on one
// thread. "x-byteloop" is how many such passes one Redact costs; since a table loop runs at
// roughly 1-2 GB/s on current hardware, it turns a measurement on a loaded machine into an
// estimate that does not depend on the load.
func BenchmarkRedactVsByteLoop(b *testing.B) {
	defer cputime.LockThread()()
	r := logredact.MustNew(logredact.Config{})
	s := benignText(b)
	var table [256]bool
	for _, c := range "@:=-[" {
		table[c] = true
	}
	var tScan, tLoop time.Duration
	for b.Loop() {
		t0 := cputime.Thread()
		ok := t0 > 0
		if !ok {
			b.Skip("no per-thread CPU time on this platform")
		}
		_ = r.Redact(s)
		t1 := cputime.Thread()
		n := 0
		for i := 0; i < len(s); i++ {
			if table[s[i]] {
				n++
			}
		}
		sink += n
		t2 := cputime.Thread()
		tScan += t1 - t0
		tLoop += t2 - t1
	}
	if tLoop > 0 {
		b.ReportMetric(float64(tScan)/float64(tLoop), "x-byteloop")
		b.ReportMetric(float64(len(s))*float64(b.N)/tLoop.Seconds()/1e6, "byteloop-cpu-MB/s")
	}
}

// BenchmarkAccessLog measures the access-log middleware around a handler writing two bytes, on a
// GET with a query string, logging through the redacting handler over slog.NewJSONHandler or
// NewJSONHandler (which lets the access log encode its line itself), to io.Discard.
func BenchmarkAccessLog(b *testing.B) {
	benchAccessLog(b, "/api/v1/orders/12345?page=2&sort=created&filter=open%20orders", nil)
}

// benchAccessLog runs the access-log benchmark on a GET of target with the given ClientIP, once
// through each JSON handler.
func benchAccessLog(b *testing.B, target string, clientIP func(*http.Request) string) {
	r := logredact.MustNew(logredact.Config{})
	for _, bc := range []struct {
		name string
		h    slog.Handler
	}{
		{"slog.JSONHandler", slog.NewJSONHandler(io.Discard, nil)},
		{"JSONHandler", logredact.NewJSONHandler(io.Discard, nil)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			logger := slog.New(r.Handler(bc.h))
			h := r.AccessLog(logger, logredact.AccessLogConfig{ClientIP: clientIP})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte("ok"))
			}))
			req := httptest.NewRequest(http.MethodGet, target, nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				w.Body.Reset()
				h.ServeHTTP(w, req)
			}
		})
	}
}
