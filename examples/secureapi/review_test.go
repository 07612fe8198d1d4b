package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// Regression tests for the findings of the independent review of the examples (issue 13).

// TestConcurrentLoginThrottle: parallel wrong passwords for one account get no more checks
// than sequential ones. Peeking at the limiters and charging failures after the (slow) password
// check let all 40 in-flight guesses through.
func TestConcurrentLoginThrottle(t *testing.T) {
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil, nil, "-rate", "1000")
	const n = 40
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			codes[i] = s.do("POST", "/api/login", creds("admin", fmt.Sprintf("wrong-guess-number-%03d", i))).status
		})
	}
	wg.Wait()
	checked, throttled := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
			throttled++
		}
	}
	if checked > 5 || checked+throttled != n {
		t.Errorf("%d of %d parallel guesses checked, %d throttled; want at most 5 checked (the per-user limit) and the rest throttled", checked, n, throttled)
	}
}
