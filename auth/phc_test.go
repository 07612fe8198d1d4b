package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// argon2Vectors are the known-answer tests of the Argon2 reference implementation,
// phc-winner-argon2, src/test.c (https://github.com/P-H-C/phc-winner-argon2/blob/master/src/test.c,
// CC0 1.0 / Apache 2.0): password, salt "somesalt" or "diffsalt", 32-byte output, version 0x13.
// The 1 GiB case (TEST_LARGE_RAM) is left out.
var argon2Vectors = []struct {
	password, salt string
	hex, phc       string
}{
	// Argon2i, version 0x13.
	{"password", "somesalt", "c1628832147d9720c5bd1cfd61367078729f6dfb6f8fea9ff98158e0d7816ed0", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"},
	{"password", "somesalt", "296dbae80b807cdceaad44ae741b506f14db0959267b183b118f9b24229bc7cb", "$argon2i$v=19$m=262144,t=2,p=1$c29tZXNhbHQ$KW266AuAfNzqrUSudBtQbxTbCVkmexg7EY+bJCKbx8s"},
	{"password", "somesalt", "89e9029f4637b295beb027056a7336c414fadd43f6b208645281cb214a56452f", "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8"},
	{"password", "somesalt", "4ff5ce2769a1d7f4c8a491df09d41a9fbe90e5eb02155a13e4c01e20cd4eab61", "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E"},
	{"password", "somesalt", "d168075c4d985e13ebeae560cf8b94c3b5d8a16c51916b6f4ac2da3ac11bbecf", "$argon2i$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$0WgHXE2YXhPr6uVgz4uUw7XYoWxRkWtvSsLaOsEbvs8"},
	{"password", "somesalt", "aaa953d58af3706ce3df1aefd4a64a84e31d7f54175231f1285259f88174ce5b", "$argon2i$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$qqlT1YrzcGzj3xrv1KZKhOMdf1QXUjHxKFJZ+IF0zls"},
	{"differentpassword", "somesalt", "14ae8da01afea8700c2358dcef7c5358d9021282bd88663a4562f59fb74d22ee", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$FK6NoBr+qHAMI1jc73xTWNkCEoK9iGY6RWL1n7dNIu4"},
	{"password", "diffsalt", "b0357cccfbef91f3860b0dba447b2348cbefecadaf990abfe9cc40726c521271", "$argon2i$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$sDV8zPvvkfOGCw26RHsjSMvv7K2vmQq/6cxAcmxSEnE"},
	// Argon2id, version 0x13.
	{"password", "somesalt", "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
	{"password", "somesalt", "78fe1ec91fb3aa5657d72e710854e4c3d9b9198c742f9616c2f085bed95b2e8c", "$argon2id$v=19$m=262144,t=2,p=1$c29tZXNhbHQ$eP4eyR+zqlZX1y5xCFTkw9m5GYx0L5YWwvCFvtlbLow"},
	{"password", "somesalt", "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
	{"password", "somesalt", "6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
	{"password", "somesalt", "f6a5adc1ba723dddef9b5ac1d464e180fcd9dffc9d1cbf76cca2fed795d9ca98", "$argon2id$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg"},
	{"password", "somesalt", "9025d48e68ef7395cca9079da4c4ec3affb3c8911fe4f86d1a2520856f63172c", "$argon2id$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$kCXUjmjvc5XMqQedpMTsOv+zyJEf5PhtGiUghW9jFyw"},
	{"differentpassword", "somesalt", "0b84d652cf6b0c4beaef0dfe278ba6a80df6696281d7e0d2891b817d8c458fde", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94"},
	{"password", "diffsalt", "bdf32b05ccc42eb15d58fd19b1f856b113da1e9a5874fdcc544308565aa8141c", "$argon2id$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$vfMrBczELrFdWP0ZsfhWsRPaHppYdP3MVEMIVlqoFBw"},
}

// TestArgon2ReferenceVectors checks the parser, the derivation and the encoder against the
// reference implementation: each PHC string parses to the reference parameters, derives the
// reference digest and re-encodes byte for byte; the small ones also go through Verify.
func TestArgon2ReferenceVectors(t *testing.T) {
	h, err := NewHasher(HasherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, v := range argon2Vectors {
		t.Run(v.phc[:30], func(t *testing.T) {
			ph, err := parsePHC(v.phc, &h.limits)
			if err != nil {
				t.Fatalf("parsePHC(%q) = %v", v.phc, err)
			}
			if string(ph.salt) != v.salt {
				t.Errorf("salt = %q, want %q", ph.salt, v.salt)
			}
			if got := ph.String(); got != v.phc {
				t.Errorf("String() = %q, want %q", got, v.phc)
			}
			// The 256 MiB derivations take most of this package's time under -race, which adds
			// nothing to them (one goroutine, no shared state): they run in every test run
			// without -race and -short. The 64 MiB and 256 KiB vectors run everywhere.
			if ph.memory >= 256<<10 && (testing.Short() || raceEnabled) {
				t.Skip("256 MiB derivation skipped under -short and -race; parse and format checked")
			}
			sum, err := deriveDigest(ph, []byte(v.password), 32)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(sum); got != v.hex {
				t.Errorf("deriveDigest(%q) = %s, want %s", v.phc, got, v.hex)
			}
			// The full Verify path, right and wrong password, on the small vectors only: the
			// derivation above already covers the large ones, which take seconds under -race.
			if ph.memory > 256 {
				return
			}
			if _, err := h.Verify(ctx, v.password, v.phc); err != nil {
				t.Errorf("Verify(%q, %q) = %v", v.password, v.phc, err)
			}
			if _, err := h.Verify(ctx, v.password+"x", v.phc); !errors.Is(err, ErrPasswordMismatch) {
				t.Errorf("Verify(wrong, %q) = %v, want ErrPasswordMismatch", v.phc, err)
			}
		})
	}
}

// TestHostileParamsAllocateNothing shows that refusing a hostile hash costs a few hundred
// bytes at most (the error), never what its parameters ask for.
func TestHostileParamsAllocateNothing(t *testing.T) {
	h, err := NewHasher(HasherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	hostile := []string{
		"$argon2id$v=19$m=4194304,t=100,p=255$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=2,p=0$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$scrypt$ln=30,r=8,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$2b$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
	}
	ctx := context.Background()
	for _, enc := range hostile {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const runs = 50
		for range runs {
			if _, err := h.Verify(ctx, "password", enc); !errors.Is(err, ErrHashParams) {
				t.Fatalf("Verify(%q) = %v, want ErrHashParams", enc, err)
			}
		}
		runtime.ReadMemStats(&after)
		if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 1024 {
			t.Errorf("Verify(%q) allocated %d bytes per call, want under 1 KiB", enc, perRun)
		}
	}
}

func TestPHCRoundTripAllAlgorithms(t *testing.T) {
	h, err := NewHasher(HasherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1,keyid=k-1.a$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
		"$scrypt$ln=4,r=8,p=1,keyid=k2$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
		"$pbkdf2-sha256$29000$N2YuJ.D7n3M.hj8OIRPf.w$qLrQ7aP8KAO34KjR.2dN1Q7xAqzfDiNrpwlrJTM2Wrw",
		"$pbkdf2-sha256$i=1000,keyid=k3$N2YuJ+D7n3M+hj8OIRPf+w$qLrQ7aP8KAO34KjR+2dN1Q7xAqzfDiNrpwlrJTM2Wrw",
		"$2y$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
		"pbkdf2_sha256$1000$xTWS0xzvC6C3$GQb3naRetxAU8e3Eb2V0E9uNzYSDcsOMG7S9M5vXWmM=",
		"argon2$argon2i$v=19$m=1024,t=1,p=8$SukdY6x1bi1FaG0tBWAMgQ$dhzo7od/0MC8iUh4hPnFaA",
	} {
		ph, err := parsePHC(enc, &h.limits)
		if err != nil {
			t.Errorf("parsePHC(%q) = %v", enc, err)
			continue
		}
		if got := ph.String(); got != enc {
			t.Errorf("parsePHC(%q).String() = %q", enc, got)
		}
	}
}

func TestLimiterCancelWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newMemoryLimiter(10, 100)
		if err := l.acquire(context.Background(), 6); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- l.acquire(ctx, 6) }()
		synctest.Wait() // the second acquire is now blocked
		select {
		case err := <-errc:
			t.Fatalf("acquire(6) over budget returned %v before release", err)
		default:
		}
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("acquire after cancel = %v, want context.Canceled", err)
		}
		if cur, _ := l.stats(); cur != 6 {
			t.Errorf("in use after a cancelled wait = %d, want 6", cur)
		}
		l.release(6)
		if cur, peak := l.stats(); cur != 0 || peak != 6 {
			t.Errorf("stats = %d, %d; want 0, 6", cur, peak)
		}
	})
}

func TestLimiterFIFOAndCancelledHead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newMemoryLimiter(10, 100)
		if err := l.acquire(context.Background(), 8); err != nil {
			t.Fatal(err)
		}
		// A large request waits at the head; a small one that would fit waits behind it.
		bigCtx, cancelBig := context.WithCancel(context.Background())
		bigErr := make(chan error, 1)
		go func() { bigErr <- l.acquire(bigCtx, 9) }()
		synctest.Wait()
		smallErr := make(chan error, 1)
		go func() { smallErr <- l.acquire(context.Background(), 2) }()
		synctest.Wait()
		select {
		case err := <-smallErr:
			t.Fatalf("a small request overtook the large one at the head of the queue (%v)", err)
		default:
		}
		// When the head gives up, the small request behind it is granted.
		cancelBig()
		if err := <-bigErr; !errors.Is(err, context.Canceled) {
			t.Errorf("big acquire = %v, want context.Canceled", err)
		}
		if err := <-smallErr; err != nil {
			t.Errorf("small acquire = %v, want nil", err)
		}
		if cur, _ := l.stats(); cur != 10 {
			t.Errorf("in use = %d, want 10", cur)
		}
	})
}

// TestHasherStaysWithinBudget runs many concurrent logins against a budget of three hashes
// and checks that the memory held never exceeded it.
func TestHasherStaysWithinBudget(t *testing.T) {
	const m = 1024 // KiB
	h, err := NewHasher(HasherConfig{Argon2: Argon2Params{Memory: m, Time: 1, Threads: 1}, MemoryBudget: 3 * m * 1024})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash(context.Background(), "budget-password")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			stored := enc
			if i%2 == 0 {
				stored = "" // unknown user
			}
			_, _ = h.Login(context.Background(), "budget-password", stored)
		})
	}
	wg.Wait()
	cur, peak := h.lim.stats()
	if cur != 0 || peak > 3*m*1024 || peak < m*1024 {
		t.Errorf("limiter cur=%d peak=%d, want cur 0 and peak between 1 and 3 hashes (%d bytes each)", cur, peak, m*1024)
	}
}

// TestConcurrencyCap checks that cheap hashes (PBKDF2, whose memory is small) are held to
// MaxConcurrent at once by the slot cap, not only by the memory budget, and that the slots
// all come back.
func TestConcurrencyCap(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  HasherConfig
		want int
	}{
		{"explicit", HasherConfig{Algorithm: PBKDF2SHA256, PBKDF2Iterations: 2000, MaxConcurrent: 3}, 3},
		{"default", HasherConfig{Algorithm: PBKDF2SHA256, PBKDF2Iterations: 2000}, 2 * runtime.GOMAXPROCS(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := NewHasher(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := h.Hash(context.Background(), "cap-password")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := range 64 {
				wg.Go(func() {
					stored := enc
					if i%2 == 0 {
						stored = ""
					}
					_, _ = h.Login(context.Background(), "cap-password", stored)
				})
			}
			wg.Wait()
			h.lim.mu.Lock()
			used, peakN, cur := h.lim.used, h.lim.peakN, h.lim.cur
			h.lim.mu.Unlock()
			if used != 0 || cur != 0 || peakN > tc.want || peakN < 1 {
				t.Errorf("slots used %d, bytes %d, peak %d running; want 0, 0 and a peak of 1 to %d", used, cur, peakN, tc.want)
			}
		})
	}
	if _, err := NewHasher(HasherConfig{MaxConcurrent: -1}); err == nil {
		t.Error("NewHasher(MaxConcurrent -1) succeeded, want an error")
	}
}

// TestLimiterSlots checks that a request waits for a place even when its memory fits, and
// starts when a holder releases.
func TestLimiterSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newMemoryLimiter(1<<20, 2)
		for range 2 {
			if err := l.acquire(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
		}
		errc := make(chan error, 1)
		go func() { errc <- l.acquire(context.Background(), 1) }()
		synctest.Wait()
		select {
		case err := <-errc:
			t.Fatalf("a third acquire with two places taken returned %v", err)
		default:
		}
		l.release(1)
		if err := <-errc; err != nil {
			t.Errorf("acquire after a release = %v, want nil", err)
		}
		l.release(1)
		l.release(1)
		if cur, _ := l.stats(); cur != 0 || l.used != 0 {
			t.Errorf("after every release: %d bytes, %d places in use; want 0, 0", cur, l.used)
		}
	})
}

// TestLoginComputationsKnownAndUnknown counts the hash computations a failed Login spends, for
// a known user (bcrypt hash, as imported) and an unknown one, with passwords that NFKC leaves
// alone, shortens below bcrypt's 72 bytes or lengthens past them: the counts must be equal, or
// timing tells the two apart. A password NFKC lengthens past 72 bytes still logs in against a
// hash of its raw bytes.
func TestLoginComputationsKnownAndUnknown(t *testing.T) {
	ctx := context.Background()
	legacy, err := NewHasher(HasherConfig{Algorithm: Bcrypt, BcryptCost: 4, SkipNormalization: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []HasherConfig{
		{Algorithm: Bcrypt, BcryptCost: 4},
		{Argon2: Argon2Params{Memory: 64, Time: 1, Threads: 1}},
	} {
		h, err := NewHasher(cfg)
		if err != nil {
			t.Fatal(err)
		}
		computations := func(password, stored string) int64 {
			h.lim.mu.Lock()
			before := h.lim.grants
			h.lim.mu.Unlock()
			_, _ = h.Login(ctx, password, stored)
			h.lim.mu.Lock()
			defer h.lim.mu.Unlock()
			return h.lim.grants - before
		}
		for _, tc := range []struct{ name, password, wrong string }{
			{"ASCII", "correct horse battery", "wrong horse battery"},
			{"full-width, 90 bytes typed, 30 normalized", strings.Repeat("ｗ", 30), strings.Repeat("ｘ", 30)},
			{"NFKC lengthens past 72 bytes", strings.Repeat("\u3300", 8), strings.Repeat("\u3301", 8)},
		} {
			// bcrypt cannot hash more than 72 bytes: a user whose password is longer as typed
			// has some other hash, which the wrong password meets all the same.
			hashed := tc.password
			if len(hashed) > 72 {
				hashed = "another password"
			}
			stored, err := legacy.Hash(ctx, hashed)
			if err != nil {
				t.Fatal(err)
			}
			known, unknown := computations(tc.wrong, stored), computations(tc.wrong, "")
			if known != unknown || known < 1 {
				t.Errorf("%v, %s: a wrong password costs %d computations for a known user, %d for an unknown one", cfg.Algorithm, tc.name, known, unknown)
			}
			if _, err := h.Login(ctx, hashed, stored); err != nil {
				t.Errorf("%v, %s: Login(correct password, raw-byte bcrypt hash) = %v", cfg.Algorithm, tc.name, err)
			}
		}
	}
}
