package redisstore_test

import (
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
