package logredact

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// JSONHandler is a slog.Handler that writes exactly what [slog.NewJSONHandler] writes, one JSON
// object a line, and lets [Redactor.AccessLog] encode its per-request record itself: when the
// access log's logger is a Redactor's [Redactor.Handler] over a JSONHandler made by
// [NewJSONHandler] (not derived by WithAttrs or WithGroup, with no ReplaceAttr and no AddSource
// option), each request's line is written without building a slog.Record or walking its
// attributes, for about a third of the cost. Every other record, and every record of a derived
// handler, goes through the slog.JSONHandler inside.
//
// Every write to the writer is one Write call made under a lock shared by the handler and every
// handler derived from it, as with slog.JSONHandler.
type JSONHandler struct {
	inner slog.Handler
	out   *lockedWriter
	// access is true when the access log may encode its records itself: no derived state, no
	// ReplaceAttr, no AddSource.
	access bool
}

// NewJSONHandler returns a JSONHandler that writes to w with the options opts (nil means the
// defaults of slog.HandlerOptions), as slog.NewJSONHandler(w, opts) would.
func NewJSONHandler(w io.Writer, opts *slog.HandlerOptions) *JSONHandler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	out := &lockedWriter{w: w}
	return &JSONHandler{
		inner:  slog.NewJSONHandler(out, opts),
		out:    out,
		access: opts.ReplaceAttr == nil && !opts.AddSource,
	}
}

// Enabled reports whether the handler handles records at level, as the options' Level says.
func (h *JSONHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle writes r as one line of JSON.
func (h *JSONHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.Handle(ctx, r)
}

// WithAttrs returns a handler whose records carry attrs too.
func (h *JSONHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return &JSONHandler{inner: h.inner.WithAttrs(attrs), out: h.out}
}

// WithGroup returns a handler whose records' attributes are in the group name.
func (h *JSONHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &JSONHandler{inner: h.inner.WithGroup(name), out: h.out}
}

// lockedWriter serializes the writes of a JSONHandler's two paths, so lines never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// accessLine is the encoder of one access-log line, kept in a pool.
type accessLine struct{ b []byte }

var accessLines = sync.Pool{New: func() any { return &accessLine{b: make([]byte, 0, 512)} }}

// maxPooledLine is the capacity above which a line's buffer is dropped rather than pooled.
const maxPooledLine = 16 << 10

// writeAccess writes the access-log record that slog.JSONHandler would write for a record at t
// with the given level and message and the attributes that accessAttrs makes from the rest.
// levelJSON and msgJSON are the level's name and the message, already JSON-encoded; status and
// bytes are integers or strings. It reports false, writing nothing, when
// slog.JSONHandler would write the time differently (a year outside 0-9999).
func (h *JSONHandler) writeAccess(t time.Time, levelJSON, msgJSON, method, path, query string, status, bytes slog.Value, d time.Duration, ip string) bool {
	if y := t.Year(); y < 0 || y >= 10000 {
		return false
	}
	l := accessLines.Get().(*accessLine)
	b := append(l.b[:0], `{"time":"`...)
	b = appendRFC3339Nano(b, t)
	b = append(b, `","level":`...)
	b = append(b, levelJSON...)
	b = append(b, `,"msg":`...)
	b = append(b, msgJSON...)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, path)
	if query != "" {
		b = append(b, `,"query":`...)
		b = appendJSONString(b, query)
	}
	b = append(b, `,"status":`...)
	b = appendJSONIntOrString(b, status)
	b = append(b, `,"bytes":`...)
	b = appendJSONIntOrString(b, bytes)
	b = append(b, `,"duration":`...)
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, `,"client_ip":`...)
	b = appendJSONString(b, ip)
	b = append(b, "}\n"...)
	_, _ = h.out.Write(b) // slog.Logger ignores handler errors too
	if cap(b) <= maxPooledLine {
		l.b = b
		accessLines.Put(l)
	}
	return true
}

// appendRFC3339Nano appends what t.AppendFormat(b, time.RFC3339Nano) appends, for a year of
// 0-9999, in about half the time: the nanoseconds without trailing zeros (and without the dot
// when they are all zero), the zone as Z or as an offset in whole minutes.
func appendRFC3339Nano(b []byte, t time.Time) []byte {
	const pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
		"4041424344454647484950515253545556575859606162636465666768697071727374757677787980" +
		"81828384858687888990919293949596979899"
	two := func(b []byte, v int) []byte { return append(b, pairs[2*v], pairs[2*v+1]) }
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = two(two(b, y/100), y%100)
	b = two(append(two(append(b, '-'), int(mo)), '-'), d)
	b = two(append(two(append(two(append(b, 'T'), h), ':'), mi), ':'), s)
	if ns := t.Nanosecond(); ns != 0 {
		var f [10]byte
		f[0] = '.'
		for i := 9; i > 0; i-- {
			f[i] = "0123456789"[ns%10]
			ns /= 10
		}
		n := len(f)
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	_, off := t.Zone()
	if off == 0 {
		return append(b, 'Z')
	}
	zone := off / 60 // whole minutes, as the time package writes them
	if zone < 0 {
		b = append(b, '-')
		zone = -zone
	} else {
		b = append(b, '+')
	}
	if zh := zone / 60; zh < 100 {
		b = two(b, zh)
	} else {
		b = strconv.AppendInt(b, int64(zh), 10)
	}
	return two(append(b, ':'), zone%60)
}

// appendJSONIntOrString appends v, an Int64 or a String value, as slog.JSONHandler would.
func appendJSONIntOrString(b []byte, v slog.Value) []byte {
	if v.Kind() == slog.KindInt64 {
		return strconv.AppendInt(b, v.Int64(), 10)
	}
	return appendJSONString(b, v.String())
}

// appendJSONString appends s as a JSON string, escaped as slog.JSONHandler escapes it: '"', '\\'
// and control characters (\n, \r and \t by name, the others as \u00XX), each byte of invalid
// UTF-8 as \ufffd, and U+2028 and U+2029, which break JSONP; everything else as it is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&15])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
