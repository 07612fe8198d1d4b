package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// TestLoginRecipeConcurrent: the documented per-account recipe (Allow before the password
// check, Reset after a success) bounds the guesses against one account even when all of them
// are in flight at once, as a botnet guessing in parallel against a slow hash would arrange.
// Every attempt decides before any check finishes; at most Limit of them may reach the check.
func TestLoginRecipeConcurrent(t *testing.T) {
	const limit, attempts = 5, 64
	perUser := ratelimit.MustNew(ratelimit.Config{}, ratelimit.Policy{Algorithm: ratelimit.SlidingLog, Limit: limit, Window: 15 * time.Minute})
	ctx := context.Background()

	var decided sync.WaitGroup // every attempt has been refused or has reached the check
	decided.Add(attempts)
	release := make(chan struct{}) // the slow hash finishes only once all have decided
	var checks atomic.Int64
	checkPassword := func(string) bool {
		checks.Add(1)
		decided.Done()
		<-release
		return false
	}
	login := func(user, password string) error {
		if d, err := perUser.Allow(ctx, user); err != nil || !d.Allowed {
			decided.Done()
			return errThrottled
		}
		if !checkPassword(password) {
			return errBadCredentials
		}
		return perUser.Reset(ctx, user)
	}

	var done sync.WaitGroup
	for i := range attempts {
		done.Go(func() { _ = login("alice", fmt.Sprint("guess", i)) })
	}
	decided.Wait()
	close(release)
	done.Wait()
	if n := checks.Load(); n > limit {
		t.Fatalf("%d concurrent guesses reached the password check, want at most %d", n, limit)
	}
	if d, _ := perUser.Peek(ctx, "alice"); d.Allowed {
		t.Fatalf("after %d failures the account is not throttled: %+v", limit, d)
	}
}
