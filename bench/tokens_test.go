package bench

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/securecookie"
	"github.com/rampart-go/rampart/auth"
)

// The token every implementation signs and verifies: a subject, two roles, a random 128-bit ID,
// issued-at and expiry. All are signed with HMAC-SHA256 under 32-byte keys and not encrypted.
var (
	tokSubject = "user-8c1f4e2a"
	tokRoles   = []string{"admin", "billing"}
	tokPurpose = "session"
)

// cookieClaims is the value securecookie and jwt carry (securecookie adds its own timestamp).
type cookieClaims struct {
	Subject string    `json:"sub"`
	Roles   []string  `json:"roles"`
	ID      string    `json:"jti"`
	Issued  time.Time `json:"iat"`
	Expiry  time.Time `json:"exp"`
}

type jwtClaims struct {
	Roles []string `json:"roles"`
	jwt.RegisteredClaims
}

// tokenImpl signs with its newest key and verifies a token signed with its oldest one, the
// worst case of a rotation (for 1 key the two are the same).
type tokenImpl struct {
	name string
	// setup returns sign (with the newest key) and verify functions and a token signed with
	// the oldest key, for n keys.
	setup func(tb testing.TB, n int) (sign func() (string, error), verify func(tok string) error, oldTok string)
}

var tokenImpls = []tokenImpl{
	{name: "rampart", setup: rampartTokens},
	{name: "securecookie", setup: securecookieTokens},
	{name: "jwt-HS256", setup: jwtTokens},
}

func rampartTokens(tb testing.TB, n int) (func() (string, error), func(string) error, string) {
	ctx := context.Background()
	keys := make([]auth.Key, n)
	for i := range keys {
		k, err := auth.NewKey("k"+strconv.Itoa(i), randBytes(tb, 32))
		if err != nil {
			tb.Fatal(err)
		}
		keys[i] = k
	}
	kr, err := auth.NewKeyring(auth.TokenConfig{}, keys[n-1], keys[:n-1]...)
	if err != nil {
		tb.Fatal(err)
	}
	old, err := auth.NewKeyring(auth.TokenConfig{}, keys[0])
	if err != nil {
		tb.Fatal(err)
	}
	claims := auth.Claims{Subject: tokSubject, Roles: tokRoles}
	tok, err := old.Sign(ctx, tokPurpose, claims)
	if err != nil {
		tb.Fatal(err)
	}
	sign := func() (string, error) { return kr.Sign(ctx, tokPurpose, claims) }
	verify := func(tok string) error {
		c, err := kr.Verify(ctx, tokPurpose, tok)
		if err == nil && c.Subject != tokSubject {
			err = errors.New("wrong subject")
		}
		return err
	}
	return sign, verify, tok
}

func newCookieClaims(tb testing.TB) cookieClaims {
	now := time.Now()
	return cookieClaims{Subject: tokSubject, Roles: tokRoles, ID: hex.EncodeToString(randBytes(tb, 16)), Issued: now, Expiry: now.Add(time.Hour)}
}

// securecookieTokens uses hash keys only (authenticated, not encrypted, like the others) and the
// JSON serializer, with EncodeMulti/DecodeMulti over the codecs newest first: DecodeMulti tries
// each in turn, as securecookie's rotation does.
func securecookieTokens(tb testing.TB, n int) (func() (string, error), func(string) error, string) {
	codecs := make([]securecookie.Codec, n)
	for i := range codecs {
		sc := securecookie.New(randBytes(tb, 32), nil)
		sc.SetSerializer(securecookie.JSONEncoder{})
		codecs[i] = sc
	}
	// codecs[0] is the newest; codecs[n-1] the oldest.
	old, err := securecookie.EncodeMulti(tokPurpose, newCookieClaims(tb), codecs[n-1])
	if err != nil {
		tb.Fatal(err)
	}
	sign := func() (string, error) {
		now := time.Now()
		c := cookieClaims{Subject: tokSubject, Roles: tokRoles, ID: "0123456789abcdef0123456789abcdef", Issued: now, Expiry: now.Add(time.Hour)}
		return securecookie.EncodeMulti(tokPurpose, c, codecs...)
	}
	verify := func(tok string) error {
		var c cookieClaims
		if err := securecookie.DecodeMulti(tokPurpose, tok, &c, codecs...); err != nil {
			return err
		}
		if c.Subject != tokSubject || time.Now().After(c.Expiry) {
			return errors.New("invalid claims")
		}
		return nil
	}
	return sign, verify, old
}

// jwtTokens signs HS256 with a "kid" header and verifies with a Keyfunc that finds the key by
// its ID, jwt's documented way to rotate keys, restricted to HS256.
func jwtTokens(tb testing.TB, n int) (func() (string, error), func(string) error, string) {
	keys := make(map[string][]byte, n)
	for i := range n {
		keys["k"+strconv.Itoa(i)] = randBytes(tb, 32)
	}
	newest, oldest := "k"+strconv.Itoa(n-1), "k0"
	claims := func() jwtClaims {
		now := time.Now()
		return jwtClaims{Roles: tokRoles, RegisteredClaims: jwt.RegisteredClaims{
			Subject: tokSubject, ID: "0123456789abcdef0123456789abcdef", Audience: jwt.ClaimStrings{tokPurpose},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		}}
	}
	signWith := func(kid string) (string, error) {
		t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims())
		t.Header["kid"] = kid
		return t.SignedString(keys[kid])
	}
	old, err := signWith(oldest)
	if err != nil {
		tb.Fatal(err)
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(tokPurpose), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	keyfunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := keys[kid]
		if !ok {
			return nil, errors.New("unknown key")
		}
		return k, nil
	}
	verify := func(tok string) error {
		var c jwtClaims
		if _, err := parser.ParseWithClaims(tok, &c, keyfunc); err != nil {
			return err
		}
		if c.Subject != tokSubject {
			return errors.New("wrong subject")
		}
		return nil
	}
	return func() (string, error) { return signWith(newest) }, verify, old
}

// BenchmarkTokens signs a token with the newest key and verifies one signed with the oldest, with
// 1 and 3 keys in rotation.
func BenchmarkTokens(b *testing.B) {
	for _, n := range []int{1, 3} {
		for _, impl := range tokenImpls {
			b.Run("sign/keys="+strconv.Itoa(n)+"/"+impl.name, func(b *testing.B) {
				sign, verify, _ := impl.setup(b, n)
				tok, err := sign()
				if err != nil {
					b.Fatal(err)
				}
				if err := verify(tok); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := sign(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("verify/keys="+strconv.Itoa(n)+"/"+impl.name, func(b *testing.B) {
				_, verify, tok := impl.setup(b, n)
				b.SetBytes(int64(len(tok)))
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					if err := verify(tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
