package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// A per-IP limit on a whole mux: 3 requests per minute for each client address, answered with
// 429 and Retry-After beyond that.
func Example() {
	limiter, err := ratelimit.New(ratelimit.Config{}, ratelimit.Policy{Limit: 3, Window: time.Minute})
	if err != nil {
		panic(err)
	}
	clientIP := &ratelimit.ClientIP{} // no proxy in front: the connection's address
	limit := limiter.Middleware(clientIP.Key, ratelimit.MiddlewareConfig{})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") })
	handler := limit(mux)

	for range 4 {
		r := httptest.NewRequest(http.MethodGet, "/hello", nil)
		r.RemoteAddr = "203.0.113.7:50123"
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("RateLimit-Policy"))
	}
	// Output:
	// 200 "3-in-60s";q=3;w=60
	// 200 "3-in-60s";q=3;w=60
	// 200 "3-in-60s";q=3;w=60
	// 429 "3-in-60s";q=3;w=60
}

// Two policies in one decision: a burst limit and a daily quota. A request is admitted only if
// both admit it, and a refused request is charged to neither. Synthetic instants make the
// example deterministic.
func Example_twoPolicies() {
	limiter := ratelimit.MustNew(ratelimit.Config{},
		ratelimit.Policy{Name: "burst", Algorithm: ratelimit.TokenBucket, Limit: 2, Window: time.Second},
		ratelimit.Policy{Name: "daily", Limit: 3, Window: 24 * time.Hour},
	)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, at := range []time.Duration{0, 0, 0, 2 * time.Second, 3 * time.Second} {
		d, err := limiter.AllowAt(ctx, "api-key-42", t0.Add(at), 1)
		if err != nil {
			panic(err)
		}
		name := limiter.Policies()[d.Policy].Name
		fmt.Printf("t+%v allowed=%v binding=%s remaining=%d retry-after=%v\n", at, d.Allowed, name, d.Remaining, d.RetryAfter)
	}
	// The daily window is a sliding-window counter: the 3 requests of today weigh 3·(1 − e/24h)
	// tomorrow, which falls to 2 eight hours into tomorrow, hence the last Retry-After.

	// Output:
	// t+0s allowed=true binding=burst remaining=1 retry-after=0s
	// t+0s allowed=true binding=burst remaining=0 retry-after=0s
	// t+0s allowed=false binding=burst remaining=0 retry-after=500ms
	// t+2s allowed=true binding=daily remaining=0 retry-after=0s
	// t+3s allowed=false binding=daily remaining=0 retry-after=19h59m57s
}

// errThrottled and errBadCredentials are what a login handler would map to 429 and 401.
var (
	errThrottled      = errors.New("too many failed attempts; try later")
	errBadCredentials = errors.New("invalid user name or password")
)

// Throttling failed logins per user name and per client IP so that only failures count. Per
// account, charge before checking the password and Reset after a success: a throttled client
// learns nothing from the check, a success costs nothing, and concurrent guesses cannot
// overrun the limit. Per address, Peek before the check and Allow after a failure, so that the
// successful logins of many users behind one NAT do not count.
func Example_loginThrottling() {
	perUser := ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: 5, Window: 15 * time.Minute})
	perIP := ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: 20, Window: time.Hour})
	checkPassword := func(user, password string) bool { return password == "correct horse" } // stand-in for a real hash check

	login := func(ctx context.Context, user, ip, password string) error {
		user = strings.ToLower(user) // one quota per account, however the name is typed
		if d, err := perIP.Peek(ctx, ip); err != nil || !d.Allowed {
			return errThrottled
		}
		if d, err := perUser.Allow(ctx, user); err != nil || !d.Allowed { // charged now...
			return errThrottled
		}
		if !checkPassword(user, password) {
			_, _ = perIP.Allow(ctx, ip) // only failures are charged to the address
			return errBadCredentials
		}
		_ = perUser.Reset(ctx, user) // ...and refunded, with the account's failures, on success
		return nil
	}

	ctx := context.Background()
	for i := range 7 {
		err := login(ctx, "Alice", "198.51.100.4/32", "guess"+fmt.Sprint(i))
		fmt.Println(i+1, err)
	}
	fmt.Println("right password while throttled:", login(ctx, "alice", "198.51.100.4/32", "correct horse"))
	fmt.Println("another account:", login(ctx, "bob", "198.51.100.4/32", "correct horse"))
	// Output:
	// 1 invalid user name or password
	// 2 invalid user name or password
	// 3 invalid user name or password
	// 4 invalid user name or password
	// 5 invalid user name or password
	// 6 too many failed attempts; try later
	// 7 too many failed attempts; try later
	// right password while throttled: too many failed attempts; try later
	// another account: <nil>
}

// Behind a load balancer at 10.0.0.0/8, the client is the rightmost X-Forwarded-For entry that
// is not the load balancer; whatever the client wrote further left is ignored.
func ExampleClientIP() {
	clientIP := &ratelimit.ClientIP{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:40000"                                    // the load balancer
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 2001:db8:aa:bb:1:2:3:4") // "6.6.6.6" is the client's lie
	key, err := clientIP.Key(r)
	fmt.Println(key, err)

	r.RemoteAddr = "192.0.2.9:40000" // not through the load balancer: headers are not believed
	key, err = clientIP.Key(r)
	fmt.Println(key, err)
	// Output:
	// 2001:db8:aa:bb::/64 <nil>
	// 192.0.2.9/32 <nil>
}

// Per-route limits by composition: a strict limit on one route, a general one on everything.
func ExampleLimiter_Middleware() {
	clientIP := &ratelimit.ClientIP{}
	general := ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Limit: 100, Window: time.Minute})
	search := ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Name: "search", Algorithm: ratelimit.TokenBucket, Limit: 60, Window: time.Hour, Burst: 2})

	mux := http.NewServeMux()
	mux.Handle("GET /search", search.Middleware(clientIP.Key, ratelimit.MiddlewareConfig{})(
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "results") })))
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "home") })
	handler := general.Middleware(clientIP.Key, ratelimit.MiddlewareConfig{
		Exempt: func(r *http.Request) bool { return r.URL.Path == "/healthz" },
	})(mux)

	for _, path := range []string{"/search", "/search", "/search", "/"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = "203.0.113.7:1"
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(path, w.Code, "retry-after:", w.Header().Get("Retry-After") != "")
	}
	// Output:
	// /search 200 retry-after: false
	// /search 200 retry-after: false
	// /search 429 retry-after: true
	// / 200 retry-after: false
}

type userKey struct{}

// A key function by authenticated user, falling back to the client address for anonymous
// requests; prefixes keep the two kinds of key apart.
func ExampleKeyFunc() {
	clientIP := &ratelimit.ClientIP{}
	byUser := func(r *http.Request) (string, error) {
		if user, ok := r.Context().Value(userKey{}).(string); ok {
			return "user:" + user, nil
		}
		ip, err := clientIP.Key(r)
		return "ip:" + ip, err
	}
	limiter := ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Limit: 1, Window: time.Minute})
	handler := limiter.Middleware(byUser, ratelimit.MiddlewareConfig{})(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))

	for _, user := range []string{"alice", "alice", "bob", ""} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "203.0.113.7:1"
		if user != "" {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, user))
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Printf("%q %d\n", user, w.Code)
	}
	// Output:
	// "alice" 200
	// "alice" 429
	// "bob" 200
	// "" 200
}
