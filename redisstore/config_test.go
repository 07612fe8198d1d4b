package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/redisstore"
)

func TestNewErrors(t *testing.T) {
	good := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = good.Close() })
	noCtx := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = noCtx.Close() })
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	t.Cleanup(func() { _ = cluster.Close() })
	tests := []struct {
		name    string
		client  redis.UniversalClient
		cfg     redisstore.Config
		wantErr bool
		is      error
	}{
		{"zero config", good, redisstore.Config{}, false, nil},
		{"all set", good, redisstore.Config{Prefix: "app:", Timeout: time.Second, KeySecret: make([]byte, 32)}, false, nil},
		{"nil client", nil, redisstore.Config{}, true, nil},
		{"no ContextTimeoutEnabled", noCtx, redisstore.Config{}, true, redisstore.ErrContextTimeout},
		{"cluster without ContextTimeoutEnabled", cluster, redisstore.Config{}, true, redisstore.ErrContextTimeout},
		{"negative timeout", good, redisstore.Config{Timeout: -time.Second}, true, nil},
		{"short secret", good, redisstore.Config{KeySecret: make([]byte, 31)}, true, nil},
		{"empty secret", good, redisstore.Config{KeySecret: []byte{}}, true, nil},
		{"brace in prefix", good, redisstore.Config{Prefix: "app{1}:"}, true, nil},
		{"largest MaxBatch", good, redisstore.Config{MaxBatch: 256}, false, nil},
		{"MaxBatch too large", good, redisstore.Config{MaxBatch: 257}, true, nil},
		{"negative MaxBatch", good, redisstore.Config{MaxBatch: -1}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err1 := redisstore.NewLimitStore(tt.client, tt.cfg)
			_, err2 := redisstore.NewRevocationStore(tt.client, tt.cfg)
			for _, err := range []error{err1, err2} {
				if (err != nil) != tt.wantErr {
					t.Fatalf("New(%s) error = %v, want error %v", tt.name, err, tt.wantErr)
				}
				if tt.is != nil && !errors.Is(err, tt.is) {
					t.Fatalf("New(%s) error = %v, want errors.Is %v", tt.name, err, tt.is)
				}
				if err != nil && !strings.HasPrefix(err.Error(), "redisstore: ") {
					t.Errorf("error %q does not start with the package name", err)
				}
			}
		})
	}
}

// TestTakeErrors covers the requests the store refuses before reaching Redis, and the error
// when Redis cannot be reached at all (nothing listens on port 1).
func TestTakeErrors(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisstore.NewLimitStore(c, redisstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	bucket := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	many := make([]ratelimit.Policy, redisstore.MaxPolicies+1)
	for i := range many {
		many[i] = bucket
		many[i].Name = "p" + strconv.Itoa(i)
	}
	tests := []struct {
		name string
		ctx  context.Context
		req  ratelimit.Request
		out  int
		is   error
	}{
		{"no policies", t.Context(), ratelimit.Request{Key: "k"}, 0, ratelimit.ErrConfig},
		{"too many policies", t.Context(), ratelimit.Request{Key: "k", Policies: many}, len(many), ratelimit.ErrConfig},
		{"same policy twice", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{bucket, bucket}}, 2, ratelimit.ErrConfig},
		{"short out", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{bucket, bucket}}, 1, ratelimit.ErrConfig},
		{"negative cost", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{bucket}, Cost: -1}, 1, ratelimit.ErrCost},
		{"cost above capacity", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{bucket}, Cost: 11}, 1, ratelimit.ErrCost},
		{"invalid policy", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{{Limit: 0, Window: time.Second}}}, 1, ratelimit.ErrInvalidPolicy},
		{"window below a microsecond", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{
			{Algorithm: ratelimit.SlidingWindow, Limit: 10, Window: time.Millisecond + time.Nanosecond}}, Cost: 1}, 1, ratelimit.ErrUnsupported},
		{"unknown algorithm", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{
			{Algorithm: 9, Limit: 10, Window: time.Second}}, Cost: 1}, 1, ratelimit.ErrInvalidPolicy},
		{"instant out of range", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{bucket}, Cost: 1,
			Now: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}, 1, nil},
		{"canceled", canceled, ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{bucket}, Cost: 1}, 1, context.Canceled},
		{"unreachable", t.Context(), ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{bucket}, Cost: 1}, 1, redisstore.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := make([]ratelimit.Decision, tt.out)
			err := s.Take(tt.ctx, &tt.req, out)
			if err == nil {
				t.Fatalf("Take(%s) = nil error, want one", tt.name)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("Take(%s) error = %v, want errors.Is %v", tt.name, err, tt.is)
			}
		})
	}
	// The limiter refuses at construction what every Take would refuse, so that FailOpen
	// cannot turn a misconfigured policy into no limit at all.
	sub := ratelimit.Policy{Algorithm: ratelimit.SlidingWindow, Limit: 10, Window: time.Second + time.Nanosecond}
	if _, err := ratelimit.New(ratelimit.Config{Store: s, FailOpen: true}, sub); !errors.Is(err, ratelimit.ErrUnsupported) {
		t.Errorf("ratelimit.New with a sub-microsecond window = %v, want ErrUnsupported", err)
	}
	if _, err := ratelimit.New(ratelimit.Config{Store: s, FailOpen: true}, bucket); err != nil {
		t.Errorf("ratelimit.New with a token bucket = %v", err)
	}
	if err := s.Reset(canceled, "k", []ratelimit.Policy{bucket}); !errors.Is(err, context.Canceled) {
		t.Errorf("Reset(canceled) = %v, want context.Canceled", err)
	}
	if err := s.Reset(t.Context(), "k", []ratelimit.Policy{bucket}); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("Reset(unreachable) = %v, want ErrUnavailable", err)
	}
	if err := s.Reset(t.Context(), "k", nil); err != nil {
		t.Errorf("Reset with no policies = %v, want nil", err)
	}
}

// TestBatchOnlyOnPlainClient: a LimitStore batches on a *redis.Client unless MaxBatch is 1, and
// never on a cluster client, a ring or a wrapper, whose batches would span hash slots or
// nodes.
func TestBatchOnlyOnPlainClient(t *testing.T) {
	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = plain.Close() })
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = cluster.Close() })
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = ring.Close() })
	tests := []struct {
		name    string
		client  redis.UniversalClient
		max     int
		batches bool
	}{
		{"plain", plain, 0, true},
		{"plain MaxBatch 2", plain, 2, true},
		{"plain MaxBatch 1", plain, 1, false},
		{"cluster", cluster, 0, false},
		{"ring", ring, 0, false},
		{"autopipeline", autoPipeline(t, plain), 0, false},
	}
	for _, tt := range tests {
		s, err := redisstore.NewLimitStore(tt.client, redisstore.Config{MaxBatch: tt.max})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if busy, _ := redisstore.BatchState(s); (busy == 0) != tt.batches {
			t.Errorf("%s: batches %v, want %v", tt.name, busy == 0, tt.batches)
		}
	}
}
