package redisstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authtest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/ratelimittest"
	"github.com/rampart-go/rampart/redisstore"
)

// startCluster starts a one-node Redis Cluster owning every slot. One node is enough to prove
// cluster safety: Redis refuses, with CROSSSLOT, a script whose keys lie in different slots
// even when one node owns them all.
func startCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	srv := startServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	admin := newClient(t, srv.URL())
	if err := admin.Do(t.Context(), "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := admin.ClusterInfo(t.Context()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ready: %q, %v", info, err)
		}
		time.Sleep(20 * time.Millisecond) // polling an external process, not test logic
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr()}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestCluster runs both conformance suites, and a decision with several policies and a client
// key full of braces, through a cluster client.
func TestCluster(t *testing.T) {
	c := startCluster(t)
	cfg := func(t *testing.T) redisstore.Config {
		return redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout}
	}
	t.Run("LimitStore", func(t *testing.T) {
		ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
			s, err := redisstore.NewLimitStore(c, cfg(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("RevocationStore", func(t *testing.T) {
		authtest.TestRevocationStore(t, func(t *testing.T) auth.RevocationStore {
			s, err := redisstore.NewRevocationStore(c, cfg(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("BracesAndPolicies", func(t *testing.T) {
		s, err := redisstore.NewLimitStore(c, cfg(t))
		if err != nil {
			t.Fatal(err)
		}
		ps := []ratelimit.Policy{
			{Name: "{a}", Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second},
			{Name: "}b{", Algorithm: ratelimit.SlidingWindow, Limit: 100, Window: time.Minute},
			{Name: "c", Algorithm: ratelimit.SlidingLog, Limit: 5, Window: time.Minute},
		}
		for _, key := range []string{"{x}", "}{", "a{b}c", "203.0.113.7/32", ""} {
			out := make([]ratelimit.Decision, len(ps))
			if err := s.Take(t.Context(), &ratelimit.Request{Key: key, Policies: ps, Cost: 1}, out); err != nil {
				t.Fatalf("Take(%q) on a cluster: %v", key, err)
			}
			for i, d := range out {
				if !d.Allowed {
					t.Fatalf("Take(%q) policy %d = %+v, want allowed", key, i, d)
				}
			}
			if err := s.Reset(t.Context(), key, ps); err != nil {
				t.Fatalf("Reset(%q) on a cluster: %v", key, err)
			}
		}
	})
}
