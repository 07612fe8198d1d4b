package logredact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/rampart-go/rampart/logredact"
	"github.com/rampart-go/rampart/logredact/redacttest"
)

func TestHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	r := logredact.MustNew(logredact.Config{})
	h := r.Handler(slog.NewJSONHandler(&buf, nil))
	if err := slogtest.TestHandler(h, func() []map[string]any { return jsonLines(t, buf.Bytes()) }); err != nil {
		t.Fatal(err)
	}
}

// jsonLines decodes the JSON object of every non-empty line of b.
func jsonLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var ms []map[string]any
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("unmarshal %q: %v", line, err)
		}
		ms = append(ms, m)
	}
	return ms
}

func TestHandlerSlogtestRun(t *testing.T) {
	var buf bytes.Buffer
	r := logredact.MustNew(logredact.Config{})
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return r.Handler(slog.NewJSONHandler(&buf, nil))
	}, func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("unmarshal %q: %v", buf.Bytes(), err)
		}
		return m
	})
}

// logOne logs with a JSON handler behind the redacting handler and returns the decoded record.
func logOne(t *testing.T, cfg logredact.Config, f func(l *slog.Logger)) (string, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	r := logredact.MustNew(cfg)
	l := slog.New(r.Handler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})))
	f(l)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("unmarshal %q: %v", buf.Bytes(), err)
	}
	return strings.TrimSpace(buf.String()), m
}

type lv struct{ v string }

func (l lv) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token", l.v), slog.String("note", l.v))
}

type user struct {
	Name     string            `json:"name"`
	Email    string            `json:"email"`
	Password string            `json:"password"`
	APIKey   logredact.Secret  `json:"api_key"`
	Ref      string            `json:"ref" redact:"true"`
	Token    string            `json:"token" redact:"false"`
	Meta     map[string]string `json:"meta"`
	Tags     []string          `json:"tags"`
	note     string
}

type stringerErr struct{ msg string }

func (e stringerErr) Error() string { return "failed: " + e.msg }

func TestHandlerRedacts(t *testing.T) {
	gh := redacttest.FakeGitHubToken()
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want string
	}{
		{"message", func(l *slog.Logger) { l.Info("token " + gh + " used") },
			`{"level":"INFO","msg":"token [REDACTED:github] used"}`},
		{"by key", func(l *slog.Logger) {
			l.Info("m", "password", "hunter2", "apiKey", "x", "X-Api-Key", "y", "refresh_token", 42)
		},
			`{"level":"INFO","msg":"m","password":"[REDACTED]","apiKey":"[REDACTED]","X-Api-Key":"[REDACTED]","refresh_token":"[REDACTED]"}`},
		{"by value", func(l *slog.Logger) { l.Info("m", "note", "card 4111 1111 1111 1111 ok") },
			`{"level":"INFO","msg":"m","note":"card [REDACTED:card] ok"}`},
		{"int card", func(l *slog.Logger) { l.Info("m", "n", int64(4111111111111111), "ts", int64(1732713600000)) },
			`{"level":"INFO","msg":"m","n":"[REDACTED:card]","ts":1732713600000}`},
		{"float card", func(l *slog.Logger) {
			l.Info("m", "n", float64(4111111111111111), "ts", float64(1732713600000), "f", 4111111111111111.5)
		}, `{"level":"INFO","msg":"m","n":"[REDACTED:card]","ts":1732713600000,"f":4111111111111111.5}`},
		{"float card from json.Unmarshal", func(l *slog.Logger) {
			var body map[string]any
			if err := json.Unmarshal([]byte(`{"pan":4111111111111111,"amount":12}`), &body); err != nil {
				panic(err)
			}
			l.Info("m", "body", body, "list", []any{body["pan"]})
		}, `{"level":"INFO","msg":"m","body":{"amount":12,"pan":"[REDACTED:card]"},"list":["[REDACTED:card]"]}`},
		{"with", func(l *slog.Logger) { l.With("session", "abc", "u", "a@b.example").Info("m") },
			`{"level":"INFO","msg":"m","session":"[REDACTED]","u":"[REDACTED:email]"}`},
		{"groups", func(l *slog.Logger) {
			l.WithGroup("req").With("cookie", "c=1").Info("m", slog.Group("h", slog.String("Authorization", "Bearer abc"), slog.String("ok", "fine")))
		}, `{"level":"INFO","msg":"m","req":{"cookie":"[REDACTED]","h":{"Authorization":"[REDACTED]","ok":"fine"}}}`},
		{"sensitive group", func(l *slog.Logger) { l.Info("m", slog.Group("credentials", slog.String("user", "u"))) },
			`{"level":"INFO","msg":"m","credentials":"[REDACTED]"}`},
		{"logvaluer", func(l *slog.Logger) { l.Info("m", "v", lv{gh}) },
			`{"level":"INFO","msg":"m","v":{"token":"[REDACTED]","note":"[REDACTED:github]"}}`},
		{"error", func(l *slog.Logger) { l.Info("m", "err", stringerErr{"key " + gh}) },
			`{"level":"INFO","msg":"m","err":"failed: key [REDACTED:github]"}`},
		{"wrapped error", func(l *slog.Logger) { l.Info("m", "err", fmt.Errorf("x: %w", errors.New("a@b.example"))) },
			`{"level":"INFO","msg":"m","err":"x: [REDACTED:email]"}`},
		{"clean error untouched", func(l *slog.Logger) { l.Info("m", "err", errors.New("boom")) },
			`{"level":"INFO","msg":"m","err":"boom"}`},
		{"bytes", func(l *slog.Logger) { l.Info("m", "b", []byte("auth=Bearer "+gh)) },
			`{"level":"INFO","msg":"m","b":"auth=Bearer [REDACTED:bearer]"}`},
		{"map", func(l *slog.Logger) { l.Info("m", "m", map[string]any{"pwd": "x", "n": 1, "e": "a@b.example"}) },
			`{"level":"INFO","msg":"m","m":{"e":"[REDACTED:email]","n":1,"pwd":"[REDACTED]"}}`},
		{"slice", func(l *slog.Logger) { l.Info("m", "s", []string{"ok", gh}) },
			`{"level":"INFO","msg":"m","s":["ok","[REDACTED:github]"]}`},
		{"struct", func(l *slog.Logger) {
			l.Info("m", "u", &user{Name: "n", Email: "a@b.example", Password: "p", APIKey: logredact.NewSecret("k"), Ref: "r", Token: "t",
				Meta: map[string]string{"client_secret": "s"}, Tags: []string{"x"}, note: "hidden"})
		}, `{"level":"INFO","msg":"m","u":{"api_key":"[REDACTED]","email":"[REDACTED:email]","meta":{"client_secret":"[REDACTED]"},"name":"n","password":"[REDACTED]","ref":"[REDACTED]","tags":["x"],"token":"t"}}`},
		{"clean struct untouched", func(l *slog.Logger) { l.Info("m", "u", struct{ A, B string }{"a", "b"}) },
			`{"level":"INFO","msg":"m","u":{"A":"a","B":"b"}}`},
		{"secret", func(l *slog.Logger) { l.Info("m", "s", logredact.NewSecret(gh)) },
			`{"level":"INFO","msg":"m","s":"[REDACTED]"}`},
		{"time and numbers", func(l *slog.Logger) {
			l.Info("m", "d", time.Second, "f", 0.4285714285714286, "b", true, "t", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		}, `{"level":"INFO","msg":"m","d":1000000000,"f":0.4285714285714286,"b":true,"t":"2026-01-02T03:04:05Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := logOne(t, logredact.Config{}, tt.log)
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// jsonError is an error that also marshals itself: slog's JSON handler prints MarshalJSON, not
// Error.
type jsonError struct{ token string }

func (e *jsonError) Error() string { return "upstream refused the request" }
func (e *jsonError) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"auth": "Bearer " + e.token})
}

// textError is an error that is also a TextMarshaler: slog's text handler prints MarshalText.
type textError struct{ dsn string }

func (e textError) Error() string                { return "db unreachable" }
func (e textError) MarshalText() ([]byte, error) { return []byte("dsn " + e.dsn), nil }

// fieldError is an error with exported fields: nested in a struct, slice or map, json.Marshal
// prints its fields, not its Error text.
type fieldError struct {
	URL    string
	Header map[string]string
}

func (e *fieldError) Error() string { return "request failed" }

// dbConfig marshals itself with a pointer receiver: encoding/json calls that method on the
// addressable field of a value logged by pointer.
// failingError is an error whose MarshalJSON and MarshalText fail (slog then prints the
// failure); its Error text is clean, so the redactor has nothing to hide.
type failingError struct{ msg string }

func (e failingError) Error() string                { return e.msg }
func (e failingError) MarshalJSON() ([]byte, error) { return nil, errors.New("no JSON form") }
func (e failingError) MarshalText() ([]byte, error) { return nil, errors.New("no text form") }

type dbConfig struct{ pw string }

func (c *dbConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"password": c.pw})
}

type service struct {
	Name string
	DB   dbConfig
}

// TestHandlerPrintedForms: a value is judged by every form a handler may print (Error,
// MarshalJSON, MarshalText, String, of the value or of a pointer to it) and by its fields; an
// earlier version judged an error by its Error text alone and missed pointer-receiver methods.
func TestHandlerPrintedForms(t *testing.T) {
	const pw = "hunter2-printed-forms"
	tok := redacttest.FakeGitHubToken()
	tests := []struct {
		name string
		text bool // through slog's text handler rather than its JSON handler
		log  func(l *slog.Logger)
		want string
	}{
		{"error with MarshalJSON", false, func(l *slog.Logger) { l.Error("m", "err", &jsonError{tok}) },
			`{"level":"ERROR","msg":"m","err":"upstream refused the request"}`},
		{"error with MarshalText", true, func(l *slog.Logger) { l.Error("m", "err", textError{"postgres://app:" + pw + "@db/x"}) },
			`level=ERROR msg=m err="db unreachable"`},
		{"error fields in a struct", false, func(l *slog.Logger) {
			l.Error("m", "result", struct{ Err error }{&fieldError{URL: "https://api", Header: map[string]string{"X-Api-Key": pw}}})
		}, `{"level":"ERROR","msg":"m","result":{"Err":"request failed"}}`},
		{"error fields in a slice", false, func(l *slog.Logger) {
			l.Error("m", "errs", []error{&fieldError{Header: map[string]string{"Authorization": "Token " + pw}}})
		}, `{"level":"ERROR","msg":"m","errs":["request failed"]}`},
		{"error fields in a map", false, func(l *slog.Logger) {
			l.Error("m", "errs", map[string]error{"a": &fieldError{Header: map[string]string{"Cookie": pw}}})
		}, `{"level":"ERROR","msg":"m","errs":{"a":"request failed"}}`},
		{"pointer-receiver MarshalJSON of a field", false, func(l *slog.Logger) {
			l.Info("m", "svc", &service{Name: "api", DB: dbConfig{pw}})
		}, `{"level":"INFO","msg":"m","svc":{"DB":"{\"password\":\"[REDACTED:field]\"}","Name":"api"}}`},
		{"clean error with fields untouched", false, func(l *slog.Logger) {
			l.Error("m", "result", struct{ Err error }{&fieldError{URL: "https://api"}})
		}, `{"level":"ERROR","msg":"m","result":{"Err":{"URL":"https://api","Header":null}}}`},
		{"clean error with MarshalText untouched", true, func(l *slog.Logger) { l.Error("m", "err", textError{"db:5432"}) },
			`level=ERROR msg=m err="dsn db:5432"`},
		{"pointer to a pointer with MarshalJSON", false, func(l *slog.Logger) {
			p := &dbConfig{pw}
			l.Info("m", "c", &p)
		}, `{"level":"INFO","msg":"m","c":"{\"password\":\"[REDACTED:field]\"}"}`},
		{"error whose marshalers fail, left to the handler", true, func(l *slog.Logger) {
			l.Error("m", "err", failingError{"plain failure"})
		}, `level=ERROR msg=m err="!ERROR:no text form"`}, // as slog prints it, not wiped
	}
	r := logredact.MustNew(logredact.Config{})
	noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			var next slog.Handler = slog.NewJSONHandler(&buf, noTime)
			if tt.text {
				next = slog.NewTextHandler(&buf, noTime)
			}
			tt.log(slog.New(r.Handler(next)))
			got := strings.TrimSpace(buf.String())
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if strings.Contains(got, pw) || strings.Contains(got, tok) {
				t.Errorf("secret leaked: %s", got)
			}
		})
	}
}

func TestHandlerUnexportedSecretField(t *testing.T) {
	type inner struct {
		name string
		pw   logredact.Secret
	}
	var buf bytes.Buffer
	l := slog.New(logredact.MustNew(logredact.Config{}).Handler(slog.NewTextHandler(&buf, nil)))
	l.Info("m", "v", inner{name: "n", pw: logredact.NewSecret("hunter2-unexported")})
	if strings.Contains(buf.String(), "hunter2") {
		t.Errorf("unexported Secret field leaked through the text handler: %s", buf.String())
	}
}

func TestHandlerModes(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		cfg  logredact.Config
		want string
	}{
		{logredact.Config{Mode: logredact.Fixed}, `"c":"[REDACTED]","pw":"[REDACTED]"`},
		{logredact.Config{Mode: logredact.Typed}, `"c":"[REDACTED:card]","pw":"[REDACTED]"`},
		{logredact.Config{Mode: logredact.Partial}, `"c":"[REDACTED:card:****1111]","pw":"[REDACTED]"`},
		{logredact.Config{Mode: logredact.Pseudonym, PseudonymKey: key}, `"c":"[REDACTED:card:`},
	}
	for _, tt := range tests {
		got, _ := logOne(t, tt.cfg, func(l *slog.Logger) { l.Info("m", "c", "4111-1111-1111-1111", "pw", "short") })
		if !strings.Contains(got, tt.want) {
			t.Errorf("mode %d: got %s, want it to contain %s", tt.cfg.Mode, got, tt.want)
		}
	}
}

func TestHandlerRedacttest(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, name := range []string{"json", "text"} {
		t.Run(name, func(t *testing.T) {
			redacttest.Check(t, func(w io.Writer) *slog.Logger {
				if name == "json" {
					return slog.New(r.Handler(slog.NewJSONHandler(w, nil)))
				}
				return slog.New(r.Handler(slog.NewTextHandler(w, nil)))
			})
		})
	}
}

type countingValuer struct{ n *int }

func (c countingValuer) LogValue() slog.Value {
	*c.n++
	return slog.StringValue("token " + redacttest.FakeGitHubToken())
}

// TestHandlerWithAttrsOnce: attributes given to With are resolved and redacted once, when added,
// not on every record.
func TestHandlerWithAttrsOnce(t *testing.T) {
	n := 0
	var buf bytes.Buffer
	l := slog.New(logredact.MustNew(logredact.Config{}).Handler(slog.NewJSONHandler(&buf, nil))).With("v", countingValuer{&n})
	for i := 0; i < 3; i++ {
		l.Info("m")
	}
	if n != 1 {
		t.Errorf("LogValue called %d times, want 1", n)
	}
	if strings.Contains(buf.String(), redacttest.FakeGitHubToken()) || strings.Count(buf.String(), "token [REDACTED:github]") != 3 {
		t.Errorf("output: %s", buf.String())
	}
}

func TestHandlerEnabledAndGroups(t *testing.T) {
	var buf bytes.Buffer
	h := logredact.MustNew(logredact.Config{}).Handler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Error("Enabled does not follow the wrapped handler")
	}
	if h.WithGroup("") != h || h.WithAttrs(nil) != h {
		t.Error("WithGroup(\"\") and WithAttrs(nil) must return the handler itself")
	}
}

type panicky struct{}

func (panicky) String() string { panic("boom") }

type deep struct{ Next *deep }

func TestHandlerLimits(t *testing.T) {
	d := &deep{}
	cur := d
	for i := 0; i < 40; i++ {
		cur.Next = &deep{}
		cur = cur.Next
	}
	big := make([]string, 20000)
	big[19999] = "a@b.example"
	got, _ := logOne(t, logredact.Config{}, func(l *slog.Logger) { l.Info("m", "p", panicky{}, "d", d, "big", big) })
	for _, want := range []string{`"p":"[REDACTED:unprintable]"`, `[REDACTED:truncated]`} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %s: %.300s", want, got)
		}
	}
	if strings.Contains(got, "a@b.example") {
		t.Error("an element beyond the inspection budget leaked")
	}
}

func TestHandlerConcurrent(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
	l := slog.New(logredact.MustNew(logredact.Config{}).Handler(slog.NewJSONHandler(w, nil))).With("session", "s")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 50; i++ {
				l.Info("m", "password", "p", "n", i)
			}
		})
	}
	wg.Wait()
	if c := strings.Count(buf.String(), `"session":"[REDACTED]","password":"[REDACTED]"`); c != 400 {
		t.Errorf("%d redacted records, want 400", c)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestHandlerSensitiveWithGroup: attributes logged under Logger.WithGroup with a sensitive name
// are replaced whole, like the members of a slog.Group attribute of that name.
func TestHandlerSensitiveWithGroup(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	var buf bytes.Buffer
	base := slog.New(r.Handler(slog.NewJSONHandler(&buf, nil)))
	base.WithGroup("credentials").Info("m", "value", "hunter2", "n", 987654321, slog.Group("", "inline", "hunter3"))
	base.WithGroup("db").WithGroup("password").With("cached", "hunter4").Info("m")
	base.WithGroup("Client-Secret").WithGroup("inner").Info("m", slog.Group("g", "x", "hunter5"))
	base.WithGroup("request").Info("m", "id", "abc") // not sensitive: kept
	out := buf.String()
	for _, leak := range []string{"hunter2", "987654321", "hunter3", "hunter4", "hunter5"} {
		if strings.Contains(out, leak) {
			t.Errorf("output leaks %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{`"credentials":{"value":"[REDACTED]","n":"[REDACTED]","inline":"[REDACTED]"}`, `"request":{"id":"abc"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

// TestSensitiveKeyCacheHolds checks that the answers for the keys a service logs stay cached:
// looking them up again, in turn, allocates nothing (a miss allocates a cache entry).
func TestSensitiveKeyCacheHolds(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	keys := []string{"method", "path", "status", "duration", "request_id", "user_agent", "msg", "level", "time",
		"user", "password", "note", "error", "err", "trace_id", "span_id", "user_id", "remote_addr", "url", "host",
		"latency", "size", "bytes", "component", "service", "version", "token", "authorization", "email", "query"}
	for _, k := range keys {
		r.SensitiveKey(k)
	}
	if n := testing.AllocsPerRun(20, func() {
		for _, k := range keys {
			r.SensitiveKey(k)
		}
	}); n != 0 {
		t.Errorf("looking up %d cached keys allocated %.0f times per round", len(keys), n)
	}
}

// TestHandlerMapKeysKept checks that a redacted map keeps every entry when two keys print alike
// (1 and "1" in a map[any]any) or redact alike (two e-mail addresses): no value is lost.
func TestHandlerMapKeysKept(t *testing.T) {
	r := logredact.MustNew(logredact.Config{})
	for _, tc := range []struct {
		name string
		m    any
		want []string // values that must all be present
	}{
		{"printed alike", map[any]any{1: "one", "1": "two", "password": "hunter2"}, []string{"one", "two"}},
		{"redacted alike", map[string]int{"jane@example.com": 10, "john@example.com": 20, "[REDACTED:email]#2": 30}, []string{"10", "20", "30"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(r.Handler(slog.NewJSONHandler(&buf, nil))).Info("m", "m", tc.m)
			var rec struct{ M map[string]any }
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			if got, want := len(rec.M), mapLen(tc.m); got != want {
				t.Errorf("logged %d entries, want %d: %s", got, want, buf.String())
			}
			for _, w := range tc.want {
				found := false
				for _, v := range rec.M {
					if fmt.Sprint(v) == w {
						found = true
					}
				}
				if !found {
					t.Errorf("value %s lost: %s", w, buf.String())
				}
			}
			if strings.Contains(buf.String(), "hunter2") || strings.Contains(buf.String(), "@example.com") {
				t.Errorf("secret logged: %s", buf.String())
			}
		})
	}
}

func mapLen(m any) int {
	switch m := m.(type) {
	case map[any]any:
		return len(m)
	case map[string]int:
		return len(m)
	}
	return -1
}
