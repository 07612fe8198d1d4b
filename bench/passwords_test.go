package bench

import (
	"context"
	"testing"

	"github.com/alexedwards/argon2id"
	"github.com/rampart-go/rampart/auth"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// The password and the parameters every implementation uses: argon2id at OWASP's parameters
// (19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte key), rampart's defaults; bcrypt at cost 10.
const (
	benchPassword = "correct horse battery staple"
	argonMemory   = 19 * 1024
	argonTime     = 2
	argonThreads  = 1
	bcryptCost    = 10
)

// BenchmarkPasswords hashes and verifies one password with rampart's Hasher, with
// alexedwards/argon2id and with bare x/crypto (argon2.IDKey, the floor every argon2id library
// pays; the ratio to it is the library's overhead), and with bcrypt.
func BenchmarkPasswords(b *testing.B) {
	ctx := context.Background()
	hasher, err := auth.NewHasher(auth.HasherConfig{Argon2: auth.Argon2Params{Memory: argonMemory, Time: argonTime, Threads: argonThreads}})
	if err != nil {
		b.Fatal(err)
	}
	bhasher, err := auth.NewHasher(auth.HasherConfig{Algorithm: auth.Bcrypt, BcryptCost: bcryptCost})
	if err != nil {
		b.Fatal(err)
	}
	params := &argon2id.Params{Memory: argonMemory, Iterations: argonTime, Parallelism: argonThreads, SaltLength: 16, KeyLength: 32}
	salt := randBytes(b, 16)

	type impl struct {
		name   string
		hash   func() (string, error)
		verify func(stored string) error
	}
	groups := []struct {
		name  string
		impls []impl
	}{
		{"argon2id", []impl{
			{"rampart", func() (string, error) { return hasher.Hash(ctx, benchPassword) },
				func(s string) error { _, err := hasher.Verify(ctx, benchPassword, s); return err }},
			{"alexedwards-argon2id", func() (string, error) { return argon2id.CreateHash(benchPassword, params) },
				func(s string) error {
					ok, err := argon2id.ComparePasswordAndHash(benchPassword, s)
					if err == nil && !ok {
						err = auth.ErrPasswordMismatch
					}
					return err
				}},
			{"x-crypto-argon2", func() (string, error) {
				return string(argon2.IDKey([]byte(benchPassword), salt, argonTime, argonMemory, argonThreads, 32)), nil
			}, nil},
		}},
		{"bcrypt", []impl{
			{"rampart", func() (string, error) { return bhasher.Hash(ctx, benchPassword) },
				func(s string) error { _, err := bhasher.Verify(ctx, benchPassword, s); return err }},
			{"x-crypto-bcrypt", func() (string, error) {
				h, err := bcrypt.GenerateFromPassword([]byte(benchPassword), bcryptCost)
				return string(h), err
			}, func(s string) error { return bcrypt.CompareHashAndPassword([]byte(s), []byte(benchPassword)) }},
		}},
	}
	for _, g := range groups {
		for _, im := range g.impls {
			stored, err := im.hash()
			if err != nil {
				b.Fatal(err)
			}
			b.Run(g.name+"/hash/"+im.name, func(b *testing.B) {
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := im.hash(); err != nil {
						b.Fatal(err)
					}
				}
			})
			verify := im.verify
			if verify == nil {
				// Raw argon2 verification is one more IDKey and a comparison: the same work.
				continue
			}
			b.Run(g.name+"/verify/"+im.name, func(b *testing.B) {
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					if err := verify(stored); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
