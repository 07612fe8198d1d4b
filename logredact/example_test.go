package logredact_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/rampart-go/rampart/logredact"
)

// noTime drops the time attribute so example output is deterministic.
func noTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// Wrap the JSON handler a service already uses: secrets go by key and by value.
func Example() {
	r := logredact.MustNew(logredact.Config{})
	logger := slog.New(r.Handler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})))

	logger.Info("login",
		"user", "jane.doe@example.com",
		"password", "hunter2",
		"note", "paid with 4111 1111 1111 1111, thanks",
		slog.Group("req", "url", "https://api.example.com/cb?code=abc123&state=xyz"))
	logger.With("apiKey", "k-123").Warn("retrying")
	// Output:
	// {"level":"INFO","msg":"login","user":"[REDACTED:email]","password":"[REDACTED]","note":"paid with [REDACTED:card], thanks","req":{"url":"https://api.example.com/cb?code=[REDACTED:query]&state=xyz"}}
	// {"level":"WARN","msg":"retrying","apiKey":"[REDACTED]"}
}

// A Secret prints as [REDACTED] everywhere; only Reveal returns the value.
func ExampleSecret() {
	type config struct {
		User     string
		Password logredact.Secret
	}
	var c config
	_ = json.Unmarshal([]byte(`{"User":"app","Password":"hunter2"}`), &c)

	fmt.Printf("%v | %+v | %s | %q\n", c.Password, c, c.Password, c.Password)
	fmt.Printf("%#v\n", c.Password)
	out, _ := json.Marshal(c)
	fmt.Println(string(out))
	fmt.Println(c.Password.Reveal() == "hunter2")
	// Output:
	// [REDACTED] | {User:app Password:[REDACTED]} | [REDACTED] | "[REDACTED]"
	// logredact.Secret{[REDACTED]}
	// {"User":"app","Password":"[REDACTED]"}
	// true
}

// The Writer redacts the output of the standard log package line by line.
func ExampleRedactor_Writer() {
	r := logredact.MustNew(logredact.Config{})
	w := r.Writer(os.Stdout)
	defer w.Close()
	l := log.New(w, "app: ", 0)

	l.Printf("connecting to postgres://svc:s3cret@db.internal:5432/app")
	l.Printf("Authorization: Bearer abc.def.ghi for request 42")
	// Output:
	// app: connecting to postgres://svc:[REDACTED:url-password]@db.internal:5432/app
	// app: Authorization: Bearer [REDACTED:bearer] for request 42
}

// Redact works on any string.
func ExampleRedactor_Redact() {
	r := logredact.MustNew(logredact.Config{Mode: logredact.Partial})
	fmt.Println(r.Redact("charged 5555-5555-5555-4444 for order 1001"))
	fmt.Println(r.Redact(`{"password":"correct horse battery staple"}`))
	// Output:
	// charged [REDACTED:card:****4444] for order 1001
	// {"password":"[REDACTED:field:****aple]"}
}

// Pseudonyms let one value correlate across lines without revealing it. The key must be secret
// and stable; load it from your secret store. Never hard-code it.
func ExampleRedactor_Pseudonym() {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	r := logredact.MustNew(logredact.Config{Mode: logredact.Pseudonym, PseudonymKey: key})
	a := r.Redact("user jane.doe@example.com logged in")
	b := r.Redact("user jane.doe@example.com logged out")
	fmt.Println(strings.TrimSuffix(a, " logged in") == strings.TrimSuffix(b, " logged out"))
	_, err := r.Pseudonym("1234")
	fmt.Println(err)
	// Output:
	// true
	// logredact: value too short to pseudonymize safely
}

// The access log records method, path, redacted query, status, size, duration and client IP, and
// never headers.
func ExampleRedactor_AccessLog() {
	r := logredact.MustNew(logredact.Config{})
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
			if a.Key == "duration" {
				return slog.Attr{}
			}
			return noTime(g, a)
		},
	}))
	app := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	h := r.AccessLog(logger, logredact.AccessLogConfig{})(app)

	req := httptest.NewRequest(http.MethodGet, "/v1/items?page=2&access_token=abc123", nil)
	req.Header.Set("Authorization", "Bearer abc123")
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// level=INFO msg="http request" method=GET path=/v1/items query="page=2&access_token=[REDACTED:query]" status=204 bytes=0 client_ip=192.0.2.1
}

// NewJSONHandler writes what slog.NewJSONHandler writes; below a Redactor's handler, it lets the
// access log encode each request's line itself.
func ExampleNewJSONHandler() {
	r := logredact.MustNew(logredact.Config{})
	var out bytes.Buffer // os.Stderr in a service
	logger := slog.New(r.Handler(logredact.NewJSONHandler(&out, nil)))
	app := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		logger.Info("login", "user", "jane@example.com", "password", "hunter2")
		w.WriteHeader(http.StatusNoContent)
	})
	h := r.AccessLog(logger, logredact.AccessLogConfig{})(app)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/login?token=abc123", nil))

	// Print each line without its time and duration, which change from run to run.
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			panic(err)
		}
		delete(m, "time")
		delete(m, "duration")
		b, _ := json.Marshal(m) // sorted keys
		fmt.Println(string(b))
	}
	// Output:
	// {"level":"INFO","msg":"login","password":"[REDACTED]","user":"[REDACTED:email]"}
	// {"bytes":0,"client_ip":"192.0.2.1","level":"INFO","method":"GET","msg":"http request","path":"/login","query":"token=[REDACTED:query]","status":204}
}
