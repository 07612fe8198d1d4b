package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// FuzzTokenVerify feeds arbitrary strings to Keyring.VerifyAt. It must never panic, must fail with
// ErrInvalidToken and nothing else for anything it rejects, and may accept only a token that
// re-signing its claims reproduces byte for byte (the encoding is canonical, and nothing but the
// key holder can produce an accepted token).
func FuzzTokenVerify(f *testing.F) {
	kr := newTokKeyring(f, auth.TokenConfig{}, mustTokKey(f, "k1", 1), mustTokKey(f, "k2", 2))
	kr2 := newTokKeyring(f, auth.TokenConfig{}, mustTokKey(f, "k2", 2))
	seeds := []auth.Claims{
		{Subject: "u"},
		{Subject: "alice", Roles: []string{"admin", "ops"}, Extra: []byte{1, 2, 3}, AuthTime: tokT0},
		{Subject: strings.Repeat("s", 255), NotBefore: tokT0, Generation: 1 << 40},
	}
	for _, c := range seeds {
		f.Add(tokSign(f, kr, "session", c))
	}
	f.Add(tokSign(f, kr2, "session", auth.Claims{Subject: "u"}))
	f.Add("")
	f.Add("AQ")
	f.Add(strings.Repeat("A", 200))
	f.Add(strings.Repeat("_", auth.MaxTokenLen+1))
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := kr.VerifyAt(t.Context(), tokT0.Add(time.Minute), "session", tok)
		if err != nil {
			if !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("VerifyAt(%q) error = %v, want ErrInvalidToken", tok, err)
			}
			return
		}
		again, err1 := kr.Sign(t.Context(), "session", c)
		again2, err2 := kr2.Sign(t.Context(), "session", c)
		if err1 != nil || err2 != nil {
			t.Fatalf("Sign(claims of accepted token %q): %v, %v", tok, err1, err2)
		}
		if again != tok && again2 != tok {
			t.Fatalf("accepted %q, but its claims sign to %q (k1) and %q (k2)", tok, again, again2)
		}
	})
}

func FuzzParseTokenID(f *testing.F) {
	f.Add("00112233445566778899aabbccddeeff")
	f.Add("00112233445566778899AABBCCDDEEFF")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := auth.ParseTokenID(s)
		if err != nil {
			if !errors.Is(err, auth.ErrInvalidTokenID) {
				t.Fatalf("ParseTokenID(%q) error = %v", s, err)
			}
			return
		}
		if id.String() != s {
			t.Fatalf("ParseTokenID(%q) = %v, which prints differently", s, id)
		}
	})
}

// FuzzTokenTamper modifies a valid token at fuzzer-chosen places (XOR with a mask, then
// optionally truncates or extends it): unless the result equals the original, it must fail with
// the bare ErrInvalidToken, never a cause that only authentic tokens may carry.
func FuzzTokenTamper(f *testing.F) {
	kr := newTokKeyring(f, auth.TokenConfig{})
	tok := tokSign(f, kr, "session", auth.Claims{Subject: "alice", Roles: []string{"admin"}, Extra: []byte("x")})
	f.Add(0, []byte{1}, 0)
	f.Add(len(tok)-1, []byte{0x20}, 0)
	f.Add(10, []byte{0xff, 0xff, 0xff}, 5)
	f.Add(3, []byte{0}, -4)
	f.Fuzz(func(t *testing.T, at int, mask []byte, resize int) {
		b := []byte(tok)
		for i, m := range mask {
			if j := at + i; j >= 0 && j < len(b) {
				b[j] ^= m
			}
		}
		switch {
		case resize < 0 && -resize < len(b):
			b = b[:len(b)+resize]
		case resize > 0 && resize < 8192:
			b = append(b, strings.Repeat("A", resize)...)
		}
		mod := string(b)
		if mod == tok {
			return
		}
		_, err := kr.VerifyAt(t.Context(), tokT0, "session", mod)
		if !errors.Is(err, auth.ErrInvalidToken) || errors.Is(err, auth.ErrExpired) ||
			errors.Is(err, auth.ErrNotYetValid) || errors.Is(err, auth.ErrRevoked) {
			t.Fatalf("VerifyAt(tampered %q) error = %v, want the bare ErrInvalidToken", mod, err)
		}
	})
}
