package logredact

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// AccessLogConfig holds the optional settings of [Redactor.AccessLog]. The zero value logs at
// slog.LevelInfo with the message "http request", the client IP taken from RemoteAddr, and time
// from time.Now.
type AccessLogConfig struct {
	// ClientIP returns the client address to log. Nil means the host part of
	// http.Request.RemoteAddr, the TCP peer, which behind a reverse proxy is the proxy. To log the
	// real client behind trusted proxies, pass the extractor of rampart's ratelimit package (or
	// any function that trusts forwarding headers only from your proxies); never read
	// X-Forwarded-For unconditionally, since any client can send it.
	ClientIP func(*http.Request) string
	// Level is the level of the access-log records.
	Level slog.Level
	// Message is the record message; empty means "http request".
	Message string
	// Now returns the current time, for measuring durations; nil means time.Now.
	Now func() time.Time
}

// AccessLog returns middleware that logs one record per request through logger, after the
// handler returns (or panics): method, path and query (both redacted: sensitive query parameters
// are replaced whole and every value is scanned), status, bytes written, duration and client IP,
// under the keys "method", "path", "query", "status", "bytes", "duration" and "client_ip";
// "query" is left out when the request has no query string, which keeps the common record
// within the attributes a slog.Record holds without allocating. It
// never logs request or response headers, so Authorization, Cookie and Set-Cookie values cannot
// appear. The path is scanned by the detectors only, as sent and segment by segment
// percent-decoded (a segment whose decoded form holds a secret, /users/jane%40example.com, is
// logged as that redacted decoded form): an opaque token in a path segment
// (/reset/8f3kq...) that no detector recognizes is logged as it is, so keep such tokens in query
// parameters with sensitive names, or out of URLs. The logger's own handler may redact again;
// that is harmless, since redaction is idempotent.
//
// When logger's handler is this Redactor's [Redactor.Handler] over a handler made by
// [NewJSONHandler], each line is encoded here, the cheapest way to log requests; logger.With,
// WithGroup and the ReplaceAttr and AddSource options turn that off (the lines are then logged
// through the handlers as usual).
//
// The ResponseWriter passed to next keeps http.Flusher and http.Hijacker working and unwraps for
// http.ResponseController.
func (r *Redactor) AccessLog(logger *slog.Logger, cfg AccessLogConfig) func(http.Handler) http.Handler {
	al := r.newAccessLog(logger, cfg)
	now := al.now
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			ctx := req.Context()
			if !logger.Enabled(ctx, cfg.Level) {
				next.ServeHTTP(w, req)
				return
			}
			start := now()
			rec := &recorder{ResponseWriter: w}
			done := false
			defer func() {
				status := rec.status
				switch {
				case status != 0:
				case !done:
					status = http.StatusInternalServerError // the handler panicked before writing
				default:
					status = http.StatusOK // it wrote nothing: net/http sends 200
				}
				al.logRequest(ctx, req, status, rec.bytes, start)
			}()
			next.ServeHTTP(rec, req)
			done = true
		})
	}
}

// newAccessLog returns the state of an AccessLog middleware.
func (r *Redactor) newAccessLog(logger *slog.Logger, cfg AccessLogConfig) *accessLog {
	msg := cfg.Message
	if msg == "" {
		msg = "http request"
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	// When logger writes through this Redactor's own handler (not under a sensitive group), the
	// record is built here from redacted parts and passed to the next handler directly, after the
	// checks that handler would make: redacting each part again would change nothing, since
	// redaction is idempotent.
	al := &accessLog{r: r, logger: logger, cfg: cfg, msg: msg, now: now, wallClock: cfg.Now == nil}
	if h, ok := logger.Handler().(*handler); ok && h.r == r && !h.whole && !r.changes(msg) && !r.anyAccessKeySensitive() {
		al.direct = h.next
		if j, ok := h.next.(*jsonHandler); ok && j.access {
			// The line is encoded here, as j's slog.JSONHandler would encode the record.
			al.json = j
			al.levelJSON = string(appendJSONString(nil, cfg.Level.String()))
			al.msgJSON = string(appendJSONString(nil, msg))
		}
	}
	return al
}

// accessLog is the state of one [Redactor.AccessLog] middleware.
type accessLog struct {
	r      *Redactor
	logger *slog.Logger
	// direct, if not nil, is the handler below the Redactor's own handler in logger, to which
	// records go straight.
	direct slog.Handler
	cfg    AccessLogConfig
	msg    string
	now    func() time.Time
	// wallClock means now is time.Now, so the end of a request is also the record's time.
	wallClock bool
	// json, if not nil, is direct as a handler made by NewJSONHandler that lets logRequest
	// encode the line itself; levelJSON and msgJSON are then the record's level and message,
	// JSON-encoded.
	json               *jsonHandler
	levelJSON, msgJSON string
	// pc is the program counter that slog.Logger.LogAttrs would record for a call from
	// logRequest (the same on every call), found on the first record; 0 until then.
	pc atomic.Uintptr
}

// accessKeys are the attribute keys of the access-log record.
var accessKeys = [...]string{"method", "path", "query", "status", "bytes", "duration", "client_ip"}

// anyAccessKeySensitive reports whether the key rules would replace an access-log attribute whole.
func (r *Redactor) anyAccessKeySensitive() bool {
	for _, k := range accessKeys {
		if r.SensitiveKey(k) {
			return true
		}
	}
	return false
}

// logRequest logs the access-log record of a request that started at start. If al.direct is not
// nil, the record goes straight to it: every string attribute is already the output of Redact
// (idempotent), the query is redacted again only if that would change it, and the integers get
// the card check of the handler.
func (al *accessLog) logRequest(ctx context.Context, req *http.Request, status int, n int64, start time.Time) {
	end := al.now()
	d := end.Sub(start)
	r, logger, direct, cfg, msg := al.r, al.logger, al.direct, &al.cfg, al.msg
	ip := ""
	if cfg.ClientIP != nil {
		ip = cfg.ClientIP(req)
	} else if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		ip = host
	} else {
		ip = req.RemoteAddr
	}
	path := ""
	if req.URL != nil {
		path = r.redactPath(req.URL.EscapedPath())
	}
	query := ""
	if req.URL != nil && req.URL.RawQuery != "" {
		query = r.redactQuery(req.URL.RawQuery)
	}
	method := r.redactShort(truncate(req.Method, 64))
	ip = r.redactShort(truncate(ip, 128))
	if direct == nil {
		var attrs [len(accessKeys)]slog.Attr
		k := accessAttrs(&attrs, method, path, query, slog.IntValue(status), slog.Int64Value(n), d, ip)
		logger.LogAttrs(ctx, cfg.Level, msg, attrs[:k]...)
		return
	}
	if !direct.Enabled(ctx, cfg.Level) {
		return
	}
	if r.changes(query) {
		query = r.Redact(query)
	}
	statusV, bytesV := slog.IntValue(status), slog.Int64Value(n)
	if intIsCard(int64(status)) {
		statusV = slog.StringValue(r.cardNumber(statusV.String()))
	}
	if intIsCard(n) {
		bytesV = slog.StringValue(r.cardNumber(bytesV.String()))
	}
	t := end
	if !al.wallClock {
		t = time.Now() // the record's time is the wall clock's, as slog.Logger's is
	}
	if al.json != nil && al.json.writeAccess(t, al.levelJSON, al.msgJSON, method, path, query, statusV, bytesV, d, ip) {
		return
	}
	pc := al.pc.Load()
	if pc == 0 {
		var pcs [1]uintptr
		runtime.Callers(1, pcs[:]) // logRequest, the caller slog.Logger.LogAttrs would record
		pc = pcs[0]
		al.pc.Store(pc) // racing first calls store the same value
	}
	rec := slog.NewRecord(t, cfg.Level, msg, pc)
	var attrs [len(accessKeys)]slog.Attr
	k := accessAttrs(&attrs, method, path, query, statusV, bytesV, d, ip)
	rec.AddAttrs(attrs[:k]...)
	_ = direct.Handle(ctx, rec) // slog.Logger ignores handler errors too
}

// accessAttrs fills attrs with the access-log record's attributes, in the order of accessKeys,
// and returns their number: "query" is left out when it is empty.
func accessAttrs(attrs *[len(accessKeys)]slog.Attr, method, path, query string, status, bytes slog.Value, d time.Duration, ip string) int {
	attrs[0] = slog.String("method", method)
	attrs[1] = slog.String("path", path)
	k := 2
	if query != "" {
		attrs[k] = slog.String("query", query)
		k++
	}
	attrs[k] = slog.Attr{Key: "status", Value: status}
	attrs[k+1] = slog.Attr{Key: "bytes", Value: bytes}
	attrs[k+2] = slog.Duration("duration", d)
	attrs[k+3] = slog.String("client_ip", ip)
	return k + 4
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// maxQueryLog bounds the query string the access log inspects and writes.
const maxQueryLog = 8 << 10

// redactQuery returns the raw query with sensitive parameters replaced whole and every other
// value scanned by the detectors, both as sent and percent-decoded. A query with nothing to
// redact is returned as it is, without allocating.
func (r *Redactor) redactQuery(raw string) string {
	cut := false
	if len(raw) > maxQueryLog {
		raw, cut = raw[:maxQueryLog], true
	}
	var b []byte // nil until a part changes
	for pos := 0; ; {
		part, _, more := strings.Cut(raw[pos:], "&")
		out := r.redactQueryPart(part)
		switch {
		case b != nil:
			if pos > 0 {
				b = append(b, '&')
			}
			b = append(b, out...)
		case out != part:
			b = make([]byte, 0, len(raw)+32)
			b = append(b, raw[:pos]...) // the unchanged parts and their separators
			b = append(b, out...)
		}
		if !more {
			break
		}
		pos += len(part) + 1
	}
	if cut {
		if b == nil {
			b = append(make([]byte, 0, len(raw)+32), raw...)
		}
		b = append(b, "[REDACTED:"+kindOverlong+"]"...)
	}
	if b == nil {
		return raw
	}
	return string(b)
}

// redactQueryPart redacts one key=value part of a query; it returns part itself if nothing changes.
func (r *Redactor) redactQueryPart(part string) string {
	k, v, hasV := strings.Cut(part, "=")
	rk := r.redactShort(k)
	if !hasV {
		return rk
	}
	rv := v
	if v != "" {
		dk := unescapeLenient(k, true)
		switch {
		case rk != k || sensitive(r, dk, 0, len(dk), true):
			rv = string(appendReplacement(r, nil, kindQuery, v))
		default:
			if rv = r.redactShort(v); rv != v {
				break
			}
			if dv := unescapeLenient(v, true); dv != v {
				if rdv := r.redactShort(dv); rdv != dv {
					rv = rdv
				}
			}
		}
	}
	if rk == k && rv == v {
		return part
	}
	return rk + "=" + rv
}

// redactPath returns the escaped path redacted as sent and, segment by segment, percent-decoded:
// a segment whose decoded form changes (/users/jane%40example.com) is logged as that redacted
// decoded form. A path with nothing to redact is returned as it is.
func (r *Redactor) redactPath(escaped string) string {
	p := r.redactShort(escaped)
	if strings.IndexByte(p, '%') < 0 {
		return p
	}
	var b []byte // nil until a segment changes
	for pos := 0; ; {
		seg, _, more := strings.Cut(p[pos:], "/")
		out := seg
		if strings.IndexByte(seg, '%') >= 0 {
			if dec := unescapeLenient(seg, false); dec != seg {
				if rd := r.redactShort(dec); rd != dec {
					out = escapeSegment(rd)
				}
			}
		}
		switch {
		case b != nil:
			b = append(b, '/')
			b = append(b, out...)
		case out != seg:
			b = make([]byte, 0, len(p)+32)
			b = append(b, p[:pos]...) // the unchanged segments and their separators
			b = append(b, out...)
		}
		if !more {
			break
		}
		pos += len(seg) + 1
	}
	if b == nil {
		return p
	}
	// Re-escaping can make text the detectors see ("%25" followed by digits reads as a card
	// number beginning 25): redact the result again, so that the path is a fixed point of
	// Redact and every access-log path writes the same.
	return r.Redact(string(b))
}

// unescapeLenient percent-decodes s as url.QueryUnescape (plus true: '+' is a space) or
// url.PathUnescape would, except that an invalid escape ("%ZZ", a '%' at the end) is kept as it
// is instead of failing the whole string: one bad escape must not hide the secret that the valid
// ones around it spell (n=4111%201111%201111%201111%ZZ). It returns s itself when nothing is
// decoded.
func unescapeLenient(s string, plus bool) string {
	i := strings.IndexByte(s, '%')
	if plus {
		if j := strings.IndexByte(s, '+'); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	changed := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+' && plus:
			b = append(b, ' ')
			changed = true
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			changed = true
		default:
			b = append(b, c)
		}
	}
	if !changed {
		return s
	}
	return string(b)
}

// escapeSegment percent-encodes, in a redacted decoded path segment, what would make the
// logged path read differently from the request's: '/', '%', spaces and control characters
// ("a%2F..%2Fadmin" must not be logged as "a/../admin"). Redaction markers need none of it.
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' || c == '%' || c <= ' ' || c == 0x7f {
			if b == nil {
				b = append(make([]byte, 0, len(s)+8), s[:i]...)
			}
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else if b != nil {
			b = append(b, c)
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// redactShort is Redact with the quickClean screen of [Redactor.changes] in front, for the short
// parts of a request.
func (r *Redactor) redactShort(s string) string {
	if len(s) <= 512 && quickClean(s) {
		return s
	}
	return r.Redact(s)
}

// recorder captures the status and size of a response. It is 32 bytes, a size class of its own.
type recorder struct {
	http.ResponseWriter
	status int // 0 until the response is written, or its header is (1xx informational ones aside)
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying ResponseWriter.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher when the underlying writer supports flushing.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker when the underlying writer does.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}
