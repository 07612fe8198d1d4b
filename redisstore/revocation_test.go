package redisstore_test

import (
	"errors"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authtest"
	"github.com/rampart-go/rampart/redisstore"
)

func TestRevocationStoreConformance(t *testing.T) {
	url := redisURL(t)
	for _, tc := range []struct {
		name string
		cfg  func(t *testing.T) redisstore.Config
	}{
		{"PlainKeys", func(t *testing.T) redisstore.Config {
			return redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout}
		}},
		{"KeySecret", func(t *testing.T) redisstore.Config {
			return redisstore.Config{Prefix: testPrefix(t), KeySecret: secret(t), Timeout: testTimeout}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			authtest.TestRevocationStore(t, func(t *testing.T) auth.RevocationStore {
				s, err := redisstore.NewRevocationStore(newClient(t, url), tc.cfg(t))
				if err != nil {
					t.Fatalf("NewRevocationStore: %v", err)
				}
				return s
			})
		})
	}
}

// TestSessionLogoutAcrossInstances: a logout on one instance (Sessions.Logout, which files the
// entry under the token's subject) makes the token fail on another instance sharing the Redis,
// for subjects of every shape, while the user's other session still verifies.
func TestSessionLogoutAcrossInstances(t *testing.T) {
	url := redisURL(t)
	key, err := auth.NewKey("k1", secret(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := redisstore.Config{Prefix: testPrefix(t), KeySecret: secret(t), Timeout: testTimeout}
	instance := func() *auth.Sessions {
		store, err := redisstore.NewRevocationStore(newClient(t, url), cfg)
		if err != nil {
			t.Fatal(err)
		}
		kr, err := auth.NewKeyring(auth.TokenConfig{Revocation: store}, key)
		if err != nil {
			t.Fatal(err)
		}
		s, err := auth.NewSessions(kr, auth.SessionConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := instance(), instance()
	for _, subject := range []string{"ada", "a{b}c", "ユーザー:1"} {
		tok, c, err := a.Login(t.Context(), auth.Claims{Subject: subject})
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := a.Login(t.Context(), auth.Claims{Subject: subject})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Verify(t.Context(), tok); err != nil {
			t.Fatalf("%q: Verify before logout: %v", subject, err)
		}
		if err := a.Logout(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Verify(t.Context(), tok); !errors.Is(err, auth.ErrRevoked) {
			t.Errorf("%q: Verify on the other instance after logout = %v, want ErrRevoked", subject, err)
		}
		if _, err := b.Verify(t.Context(), other); err != nil {
			t.Errorf("%q: the user's other session after logout: %v", subject, err)
		}
	}
}
