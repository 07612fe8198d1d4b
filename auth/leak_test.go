package auth

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/rampart-go/rampart/internal/testenv"
)

// TestNoGoroutineOrMemoryLeaks runs concurrent logins (multi-lane argon2, which starts a
// goroutine per lane) against a budget of two hashes, cancelling half of them while they wait
// in line, then checks that every goroutine is gone, the limiter holds nothing and its queue is
// empty: neither a finished nor an abandoned login leaves anything behind.
func TestNoGoroutineOrMemoryLeaks(t *testing.T) {
	const m = 512 // KiB
	h, err := NewHasher(HasherConfig{Argon2: Argon2Params{Memory: m, Time: 1, Threads: 4}, MemoryBudget: 2 * m * 1024})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash(context.Background(), "leak-password")
	if err != nil {
		t.Fatal(err)
	}
	check := testenv.CheckGoroutines(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var cancelled, done int
	for i := range 32 {
		ctx, cancel := context.WithCancel(context.Background())
		if i%2 == 1 {
			cancel() // some give up before they start, others (below) while queued
		}
		wg.Go(func() {
			defer cancel()
			stored := enc
			if i%4 == 0 {
				stored = "" // unknown user
			}
			if i%3 == 0 {
				go cancel()
			}
			_, err := h.Login(ctx, "leak-password", stored)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, context.Canceled):
				cancelled++
			case err == nil || errors.Is(err, ErrPasswordMismatch):
				done++
			default:
				t.Errorf("Login = %v", err)
			}
		})
	}
	wg.Wait()
	if cancelled == 0 || done == 0 {
		t.Errorf("%d logins cancelled and %d completed: the test should exercise both", cancelled, done)
	}
	check()
	h.lim.mu.Lock()
	cur, queued := h.lim.cur, h.lim.waiters.Len()
	h.lim.mu.Unlock()
	if cur != 0 || queued != 0 {
		t.Errorf("limiter holds %d bytes with %d waiters after every login returned", cur, queued)
	}
}
