package ratelimit_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// Structured-field syntax (RFC 9651) of the two fields, as draft-ietf-httpapi-ratelimit-headers-10
// defines them: a List of Items whose value is an sf-string and whose parameters are Integers.
var (
	sfString    = `"[\x20\x21\x23-\x5b\x5d-\x7e]*"`
	policyItem  = sfString + `;q=\d{1,15};w=\d{1,15}`
	limitItem   = sfString + `;r=\d{1,15};t=\d{1,15}`
	policyField = regexp.MustCompile(`^` + policyItem + `(, ` + policyItem + `)*$`)
	limitField  = regexp.MustCompile(`^` + limitItem + `(, ` + limitItem + `)*$`)
)

func TestMiddlewareHeaders(t *testing.T) {
	c := &clock{now: t0}
	l, _ := ratelimit.New(ratelimit.Config{Now: c.Now},
		ratelimit.Policy{Name: "burst", Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second},
		ratelimit.Policy{Limit: 1000, Window: 24 * time.Hour})
	ip := &ratelimit.ClientIP{}
	h := l.Middleware(ip.Key, ratelimit.MiddlewareConfig{})(ok)
	rec := serve(h, request("192.0.2.1:1234"))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	pol, rl := rec.Header().Get("RateLimit-Policy"), rec.Header().Get("RateLimit")
	if !policyField.MatchString(pol) {
		t.Errorf("RateLimit-Policy = %q, not the draft's syntax", pol)
	}
	if want := `"burst";q=10;w=1, "1000-in-86400s";q=1000;w=86400`; pol != want {
		t.Errorf("RateLimit-Policy = %q, want %q", pol, want)
	}
	if !limitField.MatchString(rl) {
		t.Errorf("RateLimit = %q, not the draft's syntax", rl)
	}
	if want := `"burst";r=9;t=1`; rl != want {
		t.Errorf("RateLimit = %q, want %q", rl, want)
	}
	if rec.Header().Get("Retry-After") != "" || rec.Header().Get("X-RateLimit-Limit") != "" {
		t.Errorf("admitted response has Retry-After or legacy headers: %v", rec.Header())
	}
}

func TestMiddlewareDeny(t *testing.T) {
	c := &clock{now: t0}
	l, _ := ratelimit.New(ratelimit.Config{Now: c.Now}, ratelimit.Policy{Limit: 3, Window: 10 * time.Second})
	ip := &ratelimit.ClientIP{}
	called := 0
	h := l.Middleware(ip.Key, ratelimit.MiddlewareConfig{LegacyHeaders: true})(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		called++
	}))
	for range 3 {
		if rec := serve(h, request("192.0.2.1:1")); rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", rec.Code)
		}
	}
	// A spoofed X-Forwarded-For does not give a fresh quota.
	rec := serve(h, request("192.0.2.1:2", "X-Forwarded-For", "198.51.100.1"))
	if rec.Code != http.StatusTooManyRequests || called != 3 {
		t.Fatalf("status = %d after the quota (handler called %d times), want 429 and 3 calls", rec.Code, called)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var problem struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &problem); err != nil || problem.Status != 429 || problem.Title != "Too Many Requests" {
		t.Errorf("body %q = %+v, %v; want a problem with status 429", rec.Body, problem, err)
	}
	if !limitField.MatchString(rec.Header().Get("RateLimit")) || rec.Header().Get("RateLimit-Policy") == "" {
		t.Errorf("refusal lacks RateLimit headers: %v", rec.Header())
	}
	if rec.Header().Get("X-RateLimit-Limit") != "3" || rec.Header().Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("legacy headers = %v", rec.Header())
	}
	// Retry-After is whole seconds, rounded up, and trustworthy.
	ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || ra < 1 {
		t.Fatalf("Retry-After = %q, want a positive integer", rec.Header().Get("Retry-After"))
	}
	// The window is 10s aligned to T0; the 3 requests weigh 3·(1 − e/10s) in the next window,
	// which drops to 2 at 13.33s: Retry-After is 14.
	if ra != 14 {
		t.Errorf("Retry-After = %d, want 14", ra)
	}
	c.now = t0.Add(time.Duration(ra) * time.Second)
	if rec := serve(h, request("192.0.2.1:1")); rec.Code != http.StatusOK {
		t.Fatalf("status %d at Retry-After (%ds) later, want 200", rec.Code, ra)
	}
}

func TestMiddlewareRetryAfterRoundsUp(t *testing.T) {
	// A token bucket refilling one unit per 1.5s: Retry-After must say 2, not 1.
	c := &clock{now: t0}
	l, _ := ratelimit.New(ratelimit.Config{Now: c.Now}, ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 2, Window: 3 * time.Second, Burst: 1})
	h := l.Middleware(func(*http.Request) (string, error) { return "k", nil }, ratelimit.MiddlewareConfig{})(ok)
	serve(h, request("192.0.2.1:1"))
	rec := serve(h, request("192.0.2.1:1"))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("status %d, Retry-After %q; want 429 and 2", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestMiddlewareOptions(t *testing.T) {
	newH := func(cfg ratelimit.MiddlewareConfig) http.Handler {
		l, _ := ratelimit.New(ratelimit.Config{}, ratelimit.Policy{Limit: 2, Window: time.Hour})
		return l.Middleware((&ratelimit.ClientIP{}).Key, cfg)(ok)
	}
	t.Run("DryRun", func(t *testing.T) {
		var refused int
		h := newH(ratelimit.MiddlewareConfig{DryRun: true, Observe: func(_ *http.Request, d ratelimit.Decision, _ error) {
			if !d.Allowed {
				refused++
			}
		}})
		for i := range 5 {
			if rec := serve(h, request("192.0.2.1:1")); rec.Code != http.StatusOK {
				t.Fatalf("dry run: request %d status %d, want 200", i+1, rec.Code)
			}
		}
		if refused != 3 {
			t.Fatalf("dry run observed %d refusals, want 3", refused)
		}
	})
	t.Run("Exempt", func(t *testing.T) {
		h := newH(ratelimit.MiddlewareConfig{Exempt: func(r *http.Request) bool { return r.URL.Path == "/healthz" }})
		for range 5 {
			r := request("192.0.2.1:1")
			r.URL.Path = "/healthz"
			if rec := serve(h, r); rec.Code != http.StatusOK || rec.Header().Get("RateLimit") != "" {
				t.Fatalf("exempt request: status %d, RateLimit %q; want 200 and no header", rec.Code, rec.Header().Get("RateLimit"))
			}
		}
		if rec := serve(h, request("192.0.2.1:1")); rec.Code != http.StatusOK {
			t.Fatal("exempt requests were charged")
		}
	})
	t.Run("Cost", func(t *testing.T) {
		h := newH(ratelimit.MiddlewareConfig{Cost: func(*http.Request) int { return 2 }})
		if rec := serve(h, request("192.0.2.1:1")); rec.Code != http.StatusOK {
			t.Fatal("first request of cost 2 refused")
		}
		if rec := serve(h, request("192.0.2.1:1")); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("second request of cost 2: status %d, want 429", rec.Code)
		}
		h = newH(ratelimit.MiddlewareConfig{Cost: func(*http.Request) int { return 3 }})
		if rec := serve(h, request("192.0.2.1:1")); rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("cost above capacity: status %d, want 503 from the error handler", rec.Code)
		}
	})
	t.Run("OnDeny", func(t *testing.T) {
		var got ratelimit.Decision
		h := newH(ratelimit.MiddlewareConfig{OnDeny: func(w http.ResponseWriter, _ *http.Request, d ratelimit.Decision) {
			got = d
			w.WriteHeader(http.StatusTeapot)
		}})
		serve(h, request("192.0.2.1:1"))
		serve(h, request("192.0.2.1:1"))
		rec := serve(h, request("192.0.2.1:1"))
		if rec.Code != http.StatusTeapot || got.Allowed || got.RetryAfter <= 0 || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("custom deny handler: status %d, decision %+v, headers %v", rec.Code, got, rec.Header())
		}
	})
	t.Run("KeyError", func(t *testing.T) {
		if rec := serve(newH(ratelimit.MiddlewareConfig{}), request("garbage")); rec.Code != http.StatusBadRequest {
			t.Fatalf("unusable RemoteAddr: status %d, want 400", rec.Code)
		}
		var got error
		l, _ := ratelimit.New(ratelimit.Config{}, ratelimit.Policy{Limit: 2, Window: time.Hour})
		errNoUser := errors.New("no user")
		h := l.Middleware(func(*http.Request) (string, error) { return "", errNoUser }, ratelimit.MiddlewareConfig{
			OnError: func(w http.ResponseWriter, _ *http.Request, err error) {
				got = err
				w.WriteHeader(http.StatusUnauthorized)
			},
		})(ok)
		if rec := serve(h, request("192.0.2.1:1")); rec.Code != http.StatusUnauthorized || !errors.Is(got, errNoUser) {
			t.Fatalf("key error with custom handler: status %d, error %v", rec.Code, got)
		}
	})
}

func TestMiddlewareStoreFailure(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		mem, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{})
		l, _ := ratelimit.New(ratelimit.Config{Store: &failingStore{mem: mem}, FailOpen: failOpen}, ratelimit.Policy{Limit: 2, Window: time.Hour})
		var observed error
		h := l.Middleware((&ratelimit.ClientIP{}).Key, ratelimit.MiddlewareConfig{
			Observe: func(_ *http.Request, _ ratelimit.Decision, err error) { observed = err },
		})(ok)
		rec := serve(h, request("192.0.2.1:1"))
		want := http.StatusServiceUnavailable
		if failOpen {
			want = http.StatusOK
		}
		if rec.Code != want || !errors.Is(observed, ratelimit.ErrStore) {
			t.Fatalf("FailOpen=%v: status %d (want %d), observed error %v (want ErrStore)", failOpen, rec.Code, want, observed)
		}
	}
}

func TestMiddlewareNilKeyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Middleware(nil, ...) did not panic")
		}
	}()
	ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Limit: 1, Window: time.Second}).Middleware(nil, ratelimit.MiddlewareConfig{})
}

// TestMiddlewareBindingPolicy: the RateLimit field names the policy that decided.
func TestMiddlewareBindingPolicy(t *testing.T) {
	c := &clock{now: t0}
	l, _ := ratelimit.New(ratelimit.Config{Now: c.Now},
		ratelimit.Policy{Name: "burst", Algorithm: ratelimit.TokenBucket, Limit: 5, Window: time.Second},
		ratelimit.Policy{Name: "hourly", Limit: 3, Window: time.Hour})
	h := l.Middleware(func(*http.Request) (string, error) { return "k", nil }, ratelimit.MiddlewareConfig{})(ok)
	want := []string{`"hourly";r=2;t=7200`, `"hourly";r=1;t=7200`, `"hourly";r=0;t=7200`}
	for i, w := range want {
		rec := serve(h, request("192.0.2.1:1"))
		if got := rec.Header().Get("RateLimit"); rec.Code != http.StatusOK || got != w {
			t.Fatalf("request %d: status %d, RateLimit %q; want 200 and %q", i+1, rec.Code, got, w)
		}
	}
	rec := serve(h, request("192.0.2.1:1"))
	if got := rec.Header().Get("RateLimit"); rec.Code != http.StatusTooManyRequests || got != `"hourly";r=0;t=7200` {
		t.Fatalf("refusal: status %d, RateLimit %q; want 429 naming the hourly policy", rec.Code, got)
	}
}
