package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/redisstore"
)

// newAPI builds one instance of a service whose rate limits and logouts hold across all of its
// instances: every instance runs newAPI with a client of the same Redis, the same cfg and the
// same session key.
func newAPI(rdb redis.UniversalClient, cfg redisstore.Config, key auth.Key) (http.Handler, *auth.Sessions, error) {
	// Rate limits: 10 requests per second with bursts of 20, and 1000 per hour, per client
	// address, decided in one round trip to Redis. If Redis fails, refuse (the default,
	// fail-closed); set ratelimit.Config.FailOpen to admit instead.
	limits, err := redisstore.NewLimitStore(rdb, cfg)
	if err != nil {
		return nil, nil, err
	}
	limiter, err := ratelimit.New(ratelimit.Config{Store: limits},
		ratelimit.Policy{Name: "burst", Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second, Burst: 20},
		ratelimit.Policy{Name: "hour", Algorithm: ratelimit.SlidingWindow, Limit: 1000, Window: time.Hour},
	)
	if err != nil {
		return nil, nil, err
	}

	// Sessions whose revocations (logout, log out everywhere) every instance sees.
	revocations, err := redisstore.NewRevocationStore(rdb, cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := revocations.CheckServer(context.Background()); err != nil {
		return nil, nil, err // a Redis that may evict revocations would un-revoke tokens
	}
	keyring, err := auth.NewKeyring(auth.TokenConfig{Revocation: revocations}, key)
	if err != nil {
		return nil, nil, err
	}
	sessions, err := auth.NewSessions(keyring, auth.SessionConfig{Purpose: "api"})
	if err != nil {
		return nil, nil, err
	}
	authn, err := auth.NewMiddleware(sessions, auth.MiddlewareConfig{})
	if err != nil {
		return nil, nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("GET /me", authn.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.ClaimsFromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"subject": c.Subject})
	})))
	mux.Handle("POST /logout-everywhere", authn.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := auth.ClaimsFromContext(r.Context())
		if err := sessions.LogoutEverywhere(r.Context(), c.Subject); err != nil {
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))

	// The rate limit comes first, so that floods are refused before any token is checked.
	// ClientIP's zero value trusts no proxy; list your load balancers in TrustedProxies.
	clientIP := &ratelimit.ClientIP{}
	return limiter.Middleware(clientIP.Key, ratelimit.MiddlewareConfig{})(mux), sessions, nil
}

// Share rate limits and session revocations between the instances of a service through Redis.
func Example() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  "localhost:6379",
		ContextTimeoutEnabled: true, // required: the stores' per-call timeout must reach the socket
	})
	defer rdb.Close()

	// The session key comes from your secret manager, the same on every instance; never
	// hard-code it. A fresh one is generated here only to keep the example self-contained.
	secret := make([]byte, auth.MinKeySize)
	if _, err := rand.Read(secret); err != nil {
		log.Fatal(err)
	}
	key, err := auth.NewKey("2026-11", secret)
	if err != nil {
		log.Fatal(err)
	}

	handler, _, err := newAPI(rdb, redisstore.Config{}, key)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
