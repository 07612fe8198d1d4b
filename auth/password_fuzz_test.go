package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fuzzHasher has caps small enough that every hash the parser accepts costs at most about a
// millisecond to verify, so the fuzzer can also run the full Verify path.
func fuzzHasher(t testing.TB, alg HashAlgorithm) *Hasher {
	h, err := NewHasher(HasherConfig{
		Algorithm:    alg,
		Argon2:       Argon2Params{Memory: 64, Time: 1, Threads: 1},
		BcryptCost:   4,
		MemoryBudget: 1 << 20,
		Limits:       HashLimits{MaxTime: 2, MaxThreads: 2, MaxBcryptCost: 4, MaxPBKDF2Iterations: 1000},
		Peppers:      fuzzPeppers(alg),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func fuzzPeppers(alg HashAlgorithm) []Pepper {
	if alg == Bcrypt {
		return nil
	}
	return []Pepper{{ID: "k1", Key: []byte(strings.Repeat("k", 32))}}
}

// isDocumentedHashError reports whether err is one of the errors Verify documents for a
// stored hash it cannot use, or a mismatch.
func isDocumentedHashError(err error) bool {
	for _, e := range []error{ErrPasswordMismatch, ErrMalformedHash, ErrUnsupportedHash, ErrHashParams, ErrUnknownPepper, ErrPasswordTooLong} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// FuzzParsePHC feeds arbitrary stored hashes to the parser and to Verify: no panic, only the
// documented errors, parameters within the caps, and a parsed hash re-encodes to a string
// that parses to the same hash.
func FuzzParsePHC(f *testing.F) {
	for _, v := range argon2Vectors {
		f.Add(v.phc, v.password)
	}
	for _, s := range []string{
		"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=64,t=1,p=1,keyid=k1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=4194304,t=100,p=255$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=19456,t=2,p=0$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=65536,t=2,p=1,data=YWJj$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
		"$scrypt$ln=4,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
		"$scrypt$ln=16,r=8,p=1,keyid=k1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
		"$pbkdf2-sha256$1000$N2YuJ.D7n3M.hj8OIRPf.w$qLrQ7aP8KAO34KjR.2dN1Q7xAqzfDiNrpwlrJTM2Wrw",
		"$pbkdf2-sha256$i=1000,keyid=k1$N2YuJ+D7n3M+hj8OIRPf+w$qLrQ7aP8KAO34KjR+2dN1Q7xAqzfDiNrpwlrJTM2Wrw",
		"$2b$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
		"pbkdf2_sha256$1000$xTWS0xzvC6C3$GQb3naRetxAU8e3Eb2V0E9uNzYSDcsOMG7S9M5vXWmM=",
		"argon2$argon2i$v=19$m=64,t=1,p=1$SukdY6x1bi1FaG0tBWAMgQ$dhzo7od/0MC8iUh4hPnFaA",
		"$md5$x$y", "$", "", "$$$$", "$argon2id$v=19$m=1,t=1,p=1$$",
	} {
		f.Add(s, "password")
	}
	h := fuzzHasher(f, Argon2id)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, enc, password string) {
		ph, err := parsePHC(enc, &h.limits)
		if err != nil {
			if ph != nil || !isDocumentedHashError(err) {
				t.Fatalf("parsePHC(%q) = %v, %v; want nil and a documented error", enc, ph, err)
			}
		} else {
			if len(enc) > maxEncodedHashLen {
				t.Fatalf("parsePHC accepted %d bytes", len(enc))
			}
			if hashWeight(ph) > h.limits.memoryBytes && ph.alg != phcBcrypt && ph.alg != phcPBKDF2 {
				t.Fatalf("parsePHC(%q) accepted %d bytes of memory, cap %d", enc, hashWeight(ph), h.limits.memoryBytes)
			}
			if ph.time > h.limits.time || ph.threads > h.limits.threads || ph.iter > h.limits.pbkdf2Iter || ph.cost > h.limits.bcryptCost {
				t.Fatalf("parsePHC(%q) = %+v, beyond the caps", enc, ph)
			}
			again, err := parsePHC(ph.String(), &h.limits)
			if err != nil || again.String() != ph.String() {
				t.Fatalf("parsePHC(%q).String() = %q does not round-trip: %v", enc, ph.String(), err)
			}
		}
		if _, err := h.Verify(ctx, password, enc); err != nil && !isDocumentedHashError(err) {
			t.Fatalf("Verify(%q, %q) = %v, want a documented error", password, enc, err)
		}
		if _, err := h.Login(ctx, password, enc); err != nil && !isDocumentedHashError(err) {
			t.Fatalf("Login(%q, %q) = %v, want a documented error", password, enc, err)
		}
	})
}

// FuzzParseBcrypt mutates bcrypt hashes, which x/crypto/bcrypt parses again after our
// checks: no panic, only documented errors, and a cost above the cap is refused unverified.
func FuzzParseBcrypt(f *testing.F) {
	h := fuzzHasher(f, Bcrypt)
	ctx := context.Background()
	good, err := h.Hash(ctx, "fuzz-password")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "fuzz-password")
	f.Add("$2a"+good[3:], "fuzz-password")
	f.Add("$2y"+good[3:], "fuzz-password")
	f.Add("$2x"+good[3:], "fuzz-password")
	f.Add("$2b$31"+good[6:], "fuzz-password")
	f.Add("$2b$4$"+good[7:], "fuzz-password")
	f.Add(good[:59], "fuzz-password")
	f.Add(good+"x", "fuzz-password")
	f.Add(good, strings.Repeat("x", 73))
	f.Add("$2b$04$"+strings.Repeat(".", 53), "")
	f.Add("$2b$04$"+strings.Repeat("z", 53), "\x00")
	f.Fuzz(func(t *testing.T, enc, password string) {
		ph, err := parsePHC(enc, &h.limits)
		switch {
		case err != nil && !isDocumentedHashError(err):
			t.Fatalf("parsePHC(%q) = %v, want a documented error", enc, err)
		case err == nil && ph.alg == phcBcrypt && (ph.cost > 4 || len(enc) != 60):
			t.Fatalf("parsePHC(%q) accepted cost %d, length %d", enc, ph.cost, len(enc))
		}
		_, err = h.Verify(ctx, password, enc)
		if err != nil && !isDocumentedHashError(err) {
			t.Fatalf("Verify(%q, %q) = %v, want a documented error", password, enc, err)
		}
		if err == nil && len(password) > bcryptMaxPassword && strings.HasPrefix(enc, "$2") {
			t.Fatalf("Verify accepted a %d-byte password against bcrypt", len(password))
		}
	})
}

// FuzzPasswordPolicy checks arbitrary passwords and context words: no panic, and only nil or
// a *PolicyError.
func FuzzPasswordPolicy(f *testing.F) {
	for _, s := range []string{"password", "correct horse battery staple", "\xff\xfe", "ｐａｓｓｗｏｒｄ", "aaaa1111", "\uFDFA\uFDFA", "a\u030A\u030A\u030A\u030A\u030A\u030A\u030A\u030A", ""} {
		f.Add(s, "alice@example.com")
	}
	p := &PasswordPolicy{ContextWords: []string{"rampart"}}
	f.Fuzz(func(t *testing.T, password, word string) {
		err := p.Check(context.Background(), password, word)
		var perr *PolicyError
		if err != nil && (!errors.As(err, &perr) || len(perr.Reasons) == 0 || len(perr.Messages()) != len(perr.Reasons)) {
			t.Fatalf("Check(%q, %q) = %v, want nil or a *PolicyError with reasons", password, word, err)
		}
	})
}
