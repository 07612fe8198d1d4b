package redisstore_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/redisstore"
)

// Throttle failed logins per user name across every instance: five failures in fifteen
// minutes, counted exactly by a sliding log. Refuse logins while Redis is unreachable
// (ratelimit's default, fail-closed).
func ExampleNewLimitStore() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()

	store, err := redisstore.NewLimitStore(rdb, redisstore.Config{Prefix: "myapp:"})
	if err != nil {
		log.Fatal(err)
	}
	failures := ratelimit.MustNew(ratelimit.Config{Store: store},
		ratelimit.Policy{Name: "login-failures", Algorithm: ratelimit.SlidingLog, Limit: 5, Window: 15 * time.Minute})

	ctx := context.Background()
	user := "ada@example.com"
	if d, err := failures.Peek(ctx, user); err != nil || !d.Allowed {
		log.Printf("login refused for %s; retry in %v (%v)", user, d.RetryAfter, err)
		return
	}
	passwordOK := false // the result of checking the password
	if !passwordOK {
		_, _ = failures.Allow(ctx, user) // only failures count
		return
	}
	_ = failures.Reset(ctx, user) // a success forgets the failures
}

// Log a user out of every device, on every instance, with one increment in Redis.
func ExampleNewRevocationStore() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()

	revocations, err := redisstore.NewRevocationStore(rdb, redisstore.Config{Prefix: "myapp:"})
	if err != nil {
		log.Fatal(err)
	}
	// Refuse to start on a Redis that may evict revocations under memory pressure.
	if err := revocations.CheckServer(context.Background()); err != nil {
		log.Fatal(err)
	}
	key, err := loadSessionKey() // from your secret manager, the same on every instance
	if err != nil {
		log.Fatal(err)
	}
	keyring, err := auth.NewKeyring(auth.TokenConfig{Revocation: revocations}, key)
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := auth.NewSessions(keyring, auth.SessionConfig{})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	if err := sessions.LogoutEverywhere(ctx, "user-42"); errors.Is(err, redisstore.ErrUnavailable) {
		log.Print("Redis is unreachable; ask the user to try again")
	}
}

// loadSessionKey stands for reading the session key from a secret manager.
func loadSessionKey() (auth.Key, error) {
	return auth.Key{}, errors.New("no secret manager in this example")
}
