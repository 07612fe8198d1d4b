package logredact

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// FuzzAccessLine checks that the access log's own encoding of a line is byte for byte what
// slog.JSONHandler writes for the same record, for any strings (invalid UTF-8, control
// characters, U+2028), instants, zones, levels and integers; and that it declines, writing
// nothing, exactly when slog.JSONHandler would report a year outside 0-9999.
func FuzzAccessLine(f *testing.F) {
	f.Add(int64(1795822200123456789), 0, 0, "http request", "GET", "/api/profile", "", "198.51.100.7", int64(200), int64(2), int64(1500), false)
	f.Add(int64(0), 3600, 4, "m\n\"", "P\x00ST", "/a\\b\u2028\u2029", "q=\xff\xfe", "::1", int64(-1), int64(1<<62), int64(-5), true)
	f.Add(int64(-62135596800000000000/1000), -30600, -8, "é\x7f", "\t", "", "a=<b>&c", "\r", int64(4111111111111111), int64(0), int64(0), true)
	f.Fuzz(func(t *testing.T, unixNano int64, offset, level int, msg, method, path, query, ip string, status, n, d int64, stringInts bool) {
		tm := time.Unix(0, unixNano).In(time.FixedZone("z", offset%(18*3600)))
		switch {
		case unixNano%7 == 0:
			tm = tm.AddDate(int(unixNano%20000), 0, 0) // far years too
		case unixNano%11 == 0:
			tm = time.Time{} // which slog leaves out
		}
		statusV, bytesV := slog.Int64Value(status), slog.Int64Value(n)
		if stringInts {
			statusV, bytesV = slog.StringValue(method), slog.StringValue(path)
		}
		lvl := slog.Level(level)

		var want bytes.Buffer
		rec := slog.NewRecord(tm, lvl, msg, 0)
		var attrs [len(accessKeys)]slog.Attr
		k := accessAttrs(&attrs, method, path, query, statusV, bytesV, time.Duration(d), ip)
		rec.AddAttrs(attrs[:k]...)
		if err := slog.NewJSONHandler(&want, &slog.HandlerOptions{Level: slog.Level(-100)}).Handle(context.Background(), rec); err != nil {
			t.Fatal(err)
		}

		var got bytes.Buffer
		h := NewJSONHandler(&got, nil).(*jsonHandler)
		levelJSON, msgJSON := string(appendJSONString(nil, lvl.String())), string(appendJSONString(nil, msg))
		ok := h.writeAccess(tm, levelJSON, msgJSON, method, path, query, statusV, bytesV, time.Duration(d), ip)
		farYear := tm.Year() < 0 || tm.Year() >= 10000
		switch {
		case ok == (farYear || tm.IsZero()):
			t.Fatalf("writeAccess(year %d) = %v", tm.Year(), ok)
		case !ok && got.Len() != 0:
			t.Fatalf("writeAccess declined but wrote %q", got.String())
		case ok && got.String() != want.String():
			t.Fatalf("writeAccess wrote\n%q\nslog.JSONHandler wrote\n%q", got.String(), want.String())
		}
	})
}

// TestAccessLogFastPathGate checks when the access log encodes its lines itself: below the
// Redactor's own handler over a handler made by NewJSONHandler, and not when the line would
// differ (WithAttrs, WithGroup, ReplaceAttr, AddSource), nor over another handler, nor under a
// sensitive group, nor with a message that redaction would change.
func TestAccessLogFastPathGate(t *testing.T) {
	r := MustNew(Config{})
	keep := func(_ []string, a slog.Attr) slog.Attr { return a }
	for _, tc := range []struct {
		name   string
		logger func(w *bytes.Buffer) *slog.Logger
		msg    string
		want   bool
	}{
		{"plain", func(w *bytes.Buffer) *slog.Logger { return slog.New(r.Handler(NewJSONHandler(w, nil))) }, "", true},
		{"level option", func(w *bytes.Buffer) *slog.Logger {
			return slog.New(r.Handler(NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
		}, "", true},
		{"with attrs", func(w *bytes.Buffer) *slog.Logger { return slog.New(r.Handler(NewJSONHandler(w, nil))).With("a", 1) }, "", false},
		{"with attrs below", func(w *bytes.Buffer) *slog.Logger {
			return slog.New(r.Handler(NewJSONHandler(w, nil).WithAttrs([]slog.Attr{slog.Int("a", 1)})))
		}, "", false},
		{"with group", func(w *bytes.Buffer) *slog.Logger { return slog.New(r.Handler(NewJSONHandler(w, nil))).WithGroup("g") }, "", false},
		{"sensitive group", func(w *bytes.Buffer) *slog.Logger {
			return slog.New(r.Handler(NewJSONHandler(w, nil)).WithGroup("credentials"))
		}, "", false},
		{"replace attr", func(w *bytes.Buffer) *slog.Logger {
			return slog.New(r.Handler(NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: keep})))
		}, "", false},
		{"add source", func(w *bytes.Buffer) *slog.Logger {
			return slog.New(r.Handler(NewJSONHandler(w, &slog.HandlerOptions{AddSource: true})))
		}, "", false},
		{"slog handler", func(w *bytes.Buffer) *slog.Logger { return slog.New(r.Handler(slog.NewJSONHandler(w, nil))) }, "", false},
		{"no redactor", func(w *bytes.Buffer) *slog.Logger { return slog.New(NewJSONHandler(w, nil)) }, "", false},
		{"other redactor", func(w *bytes.Buffer) *slog.Logger { return slog.New(MustNew(Config{}).Handler(NewJSONHandler(w, nil))) }, "", false},
		{"secret message", func(w *bytes.Buffer) *slog.Logger { return slog.New(r.Handler(NewJSONHandler(w, nil))) }, "jane@example.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			al := r.newAccessLog(tc.logger(&buf), AccessLogConfig{Message: tc.msg})
			if got := al.json != nil; got != tc.want {
				t.Errorf("fast path = %v, want %v", got, tc.want)
			}
		})
	}
}
