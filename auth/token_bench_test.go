package auth_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/internal/cputime"
)

// benchTokKeyring returns a keyring of n keys whose primary is the last one, so verification finds
// the key by ID among n.
func benchTokKeyring(b *testing.B, n int) *auth.Keyring {
	b.Helper()
	keys := make([]auth.Key, n)
	for i := range keys {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			b.Fatal(err)
		}
		k, err := auth.NewKey(fmt.Sprintf("key-%03d", i), secret)
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = k
	}
	kr, err := auth.NewKeyring(auth.TokenConfig{}, keys[n-1], keys[:n-1]...)
	if err != nil {
		b.Fatal(err)
	}
	return kr
}

// tokenBenchLoop runs op in a b.Loop and also reports the process CPU time per operation.
func tokenBenchLoop(b *testing.B, op func() error) {
	b.Helper()
	b.ReportAllocs()
	cpu0, n := cputime.Process(), 0
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if cpu := cputime.Process() - cpu0; cpu > 0 && n > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
	}
}

var benchTokClaims = auth.Claims{Subject: "user-8c1f4e2a", Roles: []string{"admin", "billing"}}

func BenchmarkSign(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			kr := benchTokKeyring(b, n)
			ctx := b.Context()
			tokenBenchLoop(b, func() error {
				_, err := kr.Sign(ctx, "session", benchTokClaims)
				return err
			})
		})
	}
}

// BenchmarkVerify verifies a token with a subject and two roles (two allocations: the strings
// and the role slice) with 1 and 100 keys, and one that also carries 32 bytes of Extra (a third
// allocation).
func BenchmarkVerify(b *testing.B) {
	withExtra := benchTokClaims
	withExtra.Extra = make([]byte, 32)
	for _, tc := range []struct {
		name string
		keys int
		c    auth.Claims
	}{{"keys=1", 1, benchTokClaims}, {"keys=100", 100, benchTokClaims}, {"keys=1/extra", 1, withExtra}} {
		b.Run(tc.name, func(b *testing.B) {
			kr := benchTokKeyring(b, tc.keys)
			ctx := b.Context()
			tok, err := kr.Sign(ctx, "session", tc.c)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			b.SetBytes(int64(len(tok)))
			tokenBenchLoop(b, func() error {
				_, err := kr.VerifyAt(ctx, now, "session", tok)
				return err
			})
		})
	}
}

// BenchmarkVerifyWithMemoryStore adds the revocation lookup of a MemoryRevocationStore.
func BenchmarkVerifyWithMemoryStore(b *testing.B) {
	store, err := auth.NewMemoryRevocationStore(auth.MemoryRevocationConfig{})
	if err != nil {
		b.Fatal(err)
	}
	k, err := auth.NewKey("k", make32(b))
	if err != nil {
		b.Fatal(err)
	}
	kr, err := auth.NewKeyring(auth.TokenConfig{Revocation: store}, k)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	tok, err := kr.Sign(ctx, "session", benchTokClaims)
	if err != nil {
		b.Fatal(err)
	}
	tokenBenchLoop(b, func() error {
		_, err := kr.Verify(ctx, "session", tok)
		return err
	})
}

func make32(b *testing.B) []byte {
	s := make([]byte, 32)
	if _, err := rand.Read(s); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkVerifyAPIKey(b *testing.B) {
	key, hash, err := auth.NewAPIKey("rk")
	if err != nil {
		b.Fatal(err)
	}
	tokenBenchLoop(b, func() error { return auth.VerifyAPIKey(hash, key) })
}

// BenchmarkTokenBaselineHMAC is a yardstick for reading the figures above on a loaded machine:
// a bare hmac.New, Write and Sum over a token-sized message, which is what a straightforward
// HMAC token scheme pays before it even decodes or parses anything.
func BenchmarkTokenBaselineHMAC(b *testing.B) {
	key, msg := make32(b), make([]byte, 110)
	tokenBenchLoop(b, func() error {
		h := hmac.New(sha256.New, key)
		h.Write(msg)
		if len(h.Sum(nil)) != sha256.Size {
			return errors.New("short MAC")
		}
		return nil
	})
}
