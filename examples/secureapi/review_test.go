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

// TestLoginsInFlightPerAddress (finding 1, follow-up): one address sends parallel wrong
// passwords for many different accounts, so that the per-account limit never triggers. The
// per-address failure limit (20) is peeked before the slow password check and charged after
// it; without a cap on logins in flight, all 40 passed the same peek and were checked. With at
// most 2 in flight, at most 20+1 are checked and the excess gets 429 with Retry-After: 1.
func TestLoginsInFlightPerAddress(t *testing.T) {
	s := startServer(t, t.TempDir(), map[string]string{"SECUREAPI_ADMIN_PASSWORD": newPassword(t)}, nil, nil, "-rate", "1000")
	const n = 40
	var wg sync.WaitGroup
	res := make([]response, n)
	for i := range n {
		wg.Go(func() {
			res[i] = s.do("POST", "/api/login", creds(fmt.Sprintf("victim%03d", i), fmt.Sprintf("wrong-guess-number-%03d", i)))
		})
	}
	wg.Wait()
	checked, inFlight := 0, 0
	for _, r := range res {
		switch {
		case r.status == http.StatusUnauthorized:
			checked++
		case r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "1" &&
			r.str("error") == "Too many login attempts in progress; try again later":
			inFlight++
		case r.status != http.StatusTooManyRequests:
			t.Errorf("parallel login = %d %s, want 401 or 429", r.status, r.raw)
		}
	}
	if checked > 21 {
		t.Errorf("%d of %d parallel guesses against distinct accounts from one address were checked, want at most 21 (per-address limit 20 + 2 in flight - 1)", checked, n)
	}
	if inFlight == 0 {
		t.Errorf("no parallel login was refused for being in flight (429 with Retry-After: 1); %d checked", checked)
	}
}

// TestLoginSlots checks the bookkeeping of logins in flight: two slots per address, others
// independent, and entries deleted at zero so the map stays bounded by the requests in flight.
func TestLoginSlots(t *testing.T) {
	var a app
	if !a.enterLogin("192.0.2.1/32") || !a.enterLogin("192.0.2.1/32") {
		t.Fatal("the first two logins of an address were refused")
	}
	if a.enterLogin("192.0.2.1/32") {
		t.Error("a third login in flight from one address was admitted")
	}
	if !a.enterLogin("192.0.2.2/32") {
		t.Error("another address was refused")
	}
	a.leaveLogin("192.0.2.1/32")
	if !a.enterLogin("192.0.2.1/32") {
		t.Error("a freed slot was not given again")
	}
	a.leaveLogin("192.0.2.1/32")
	a.leaveLogin("192.0.2.1/32")
	a.leaveLogin("192.0.2.2/32")
	if len(a.loginInFlight) != 0 {
		t.Errorf("loginInFlight = %v after every login left, want empty", a.loginInFlight)
	}
}
