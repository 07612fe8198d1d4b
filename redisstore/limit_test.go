package redisstore_test

import (
	"testing"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/ratelimittest"
	"github.com/rampart-go/rampart/redisstore"
)

func TestLimitStoreConformance(t *testing.T) {
	url := redisURL(t)
	for _, tc := range []struct {
		name string
		cfg  func(t *testing.T) redisstore.Config
	}{
		{"PlainKeys", func(t *testing.T) redisstore.Config { return redisstore.Config{Prefix: testPrefix(t)} }},
		{"KeySecret", func(t *testing.T) redisstore.Config {
			return redisstore.Config{Prefix: testPrefix(t), KeySecret: secret(t)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
				s, err := redisstore.NewLimitStore(newClient(t, url), tc.cfg(t))
				if err != nil {
					t.Fatalf("NewLimitStore: %v", err)
				}
				return s
			})
		})
	}
}
