package bench

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/logredact"
)

// sensitiveKeys is the key list of the hand-written ReplaceAttr filter: the names a careful
// author would list, matched case-insensitively.
var sensitiveKeys = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "access_token": true,
	"refresh_token": true, "api_key": true, "apikey": true, "authorization": true, "cookie": true,
	"session": true, "ssn": true, "card": true, "credit_card": true, "private_key": true,
}

func replaceSensitive(_ []string, a slog.Attr) slog.Attr {
	if sensitiveKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, "[REDACTED]")
	}
	return a
}

// logRecords are the records every handler writes: an ordinary request log of six secret-free
// attributes, and a login record with a password, an e-mail address and a card number.
var logRecords = []struct {
	name string
	log  func(context.Context, *slog.Logger)
}{
	{"benign", func(ctx context.Context, l *slog.Logger) {
		l.LogAttrs(ctx, slog.LevelInfo, "request served",
			slog.String("method", "GET"), slog.String("path", "/api/v1/orders/12345"), slog.Int("status", 200),
			slog.Duration("duration", 1234*time.Microsecond), slog.String("request_id", "3fa85f64-5717-4562-b3fc-2c963f66afa6"),
			slog.String("user_agent", "Mozilla/5.0 (X11; Linux x86_64)"))
	}},
	{"secrets", func(ctx context.Context, l *slog.Logger) {
		l.LogAttrs(ctx, slog.LevelInfo, "login",
			slog.String("user", "jane.doe@example.com"), slog.String("password", "hunter2"),
			slog.String("note", "card 4111 1111 1111 1111"), slog.Int("status", 200),
			slog.String("request_id", "3fa85f64-5717-4562-b3fc-2c963f66afa6"), slog.String("path", "/login"))
	}},
}

// BenchmarkRedaction logs the same records through slog's plain JSON handler (no redaction: the
// floor), through a JSON handler with a hand-written ReplaceAttr key filter (keys only: it
// misses the e-mail address and the card number in free text), and through rampart's redacting
// handler over the JSON handler (keys and values).
func BenchmarkRedaction(b *testing.B) {
	ctx := context.Background()
	r := logredact.MustNew(logredact.Config{})
	handlers := []struct {
		name string
		h    func() slog.Handler
	}{
		{"rampart", func() slog.Handler { return r.Handler(slog.NewJSONHandler(io.Discard, nil)) }},
		{"plain-json", func() slog.Handler { return slog.NewJSONHandler(io.Discard, nil) }},
		{"json-replaceattr-filter", func() slog.Handler {
			return slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{ReplaceAttr: replaceSensitive})
		}},
	}
	for _, rec := range logRecords {
		for _, h := range handlers {
			b.Run(rec.name+"/"+h.name, func(b *testing.B) {
				l := slog.New(h.h())
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					rec.log(ctx, l)
				}
			})
		}
	}
}
