package rampart_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/tlsutil"
)

// Two packages composed as ordinary middleware: security headers from tlsutil around a per-IP
// rate limit from ratelimit, around the application's mux.
func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") })

	limiter := ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 2, Window: time.Minute})
	perIP := limiter.Middleware((&ratelimit.ClientIP{}).Key, ratelimit.MiddlewareConfig{})
	handler := tlsutil.Headers{}.Handler(perIP(mux))

	for range 3 {
		r := httptest.NewRequest(http.MethodGet, "/hello", nil)
		r.RemoteAddr = "198.51.100.4:40000"
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Printf("%d nosniff=%v retry-after=%q\n", w.Code,
			w.Header().Get("X-Content-Type-Options") == "nosniff", w.Header().Get("Retry-After"))
	}
	// Output:
	// 200 nosniff=true retry-after=""
	// 200 nosniff=true retry-after=""
	// 429 nosniff=true retry-after="30"
}

// The README's server: the same stack behind a hardened http.Server with the Intermediate TLS
// profile, shut down gracefully on Ctrl-C.
func Example_server() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") })

	limiter := ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Limit: 60, Window: time.Minute})
	perIP := limiter.Middleware((&ratelimit.ClientIP{}).Key, ratelimit.MiddlewareConfig{})

	cert, err := tls.LoadX509KeyPair("cert.pem", "key.pem")
	if err != nil {
		log.Fatal(err)
	}
	cfg := tlsutil.ServerConfig(tlsutil.Intermediate)
	cfg.Certificates = []tls.Certificate{cert}
	srv, err := tlsutil.NewServer(tlsutil.Headers{}.Handler(perIP(mux)), tlsutil.ServerOptions{TLS: cfg})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := srv.ListenAndServeTLS(ctx, ":8443"); err != nil { // nil after a graceful shutdown
		log.Fatal(err)
	}
}
