package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/redisstore"
)

// Regression tests for the findings of the independent review of this module (issue 13).

func newRevocations(t *testing.T, c redis.UniversalClient) *redisstore.RevocationStore {
	t.Helper()
	s, err := redisstore.NewRevocationStore(c, redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// configSet changes a server setting for the rest of the test. A Redis given by REDIS_URL may
// refuse CONFIG (a managed service); the test is then skipped.
func configSet(t *testing.T, c *redis.Client, name, value string) {
	t.Helper()
	old, err := c.ConfigGet(t.Context(), name).Result()
	if err != nil {
		t.Skipf("CONFIG GET %s refused by this Redis: %v", name, err)
	}
	if err := c.ConfigSet(t.Context(), name, value).Err(); err != nil {
		t.Skipf("CONFIG SET %s refused by this Redis: %v", name, err)
	}
	t.Cleanup(func() { _ = c.ConfigSet(context.Background(), name, old[name]).Err() })
}

// TestRevokeTTLFromServiceClock: a denylist entry lives for the token's time left by the
// service's clock (the clock auth.Keyring checks expiry with), not until the expiry instant by
// Redis's clock, which a service whose clock runs behind Redis's would see end too early; plus
// the keyring's largest leeway, for instances whose clocks run behind this one's.
func TestRevokeTTLFromServiceClock(t *testing.T) {
	c := newClient(t, redisURL(t))
	prefix := testPrefix(t)
	s, err := redisstore.NewRevocationStore(c, redisstore.Config{Prefix: prefix, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	var id auth.TokenID
	id[0] = 1
	if err := s.Revoke(t.Context(), "alice", id, time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(t.Context(), prefix+"deny:{*}").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("denylist keys %q, %v", keys, err)
	}
	ttl, err := c.PTTL(t.Context(), keys[0]).Result()
	if want := 10*time.Second + auth.MaxTokenLeeway; err != nil || ttl <= want-time.Second || ttl > want+time.Millisecond {
		t.Fatalf("PTTL = %v, %v; want the 10 s left by the service's clock plus %v", ttl, err, auth.MaxTokenLeeway)
	}
}

// TestRevokeFarFuture: an expiry beyond what UnixMilli can represent still revokes (it wrapped
// to 0, and Revoke returned nil without writing anything).
func TestRevokeFarFuture(t *testing.T) {
	s := newRevocations(t, newClient(t, redisURL(t)))
	for i, expiry := range []time.Time{time.Unix(1<<62, 0), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)} {
		var id auth.TokenID
		id[0], id[1] = 2, byte(i)
		if err := s.Revoke(t.Context(), "alice", id, expiry); err != nil {
			t.Fatalf("Revoke(%v) = %v", expiry, err)
		}
		if _, revoked, err := s.Lookup(t.Context(), "alice", id); err != nil || !revoked {
			t.Errorf("Lookup after Revoke(%v) = %v, %v; want revoked", expiry, revoked, err)
		}
	}
}

// TestCheckServer: CheckServer accepts only maxmemory-policy noeviction, since an evicted
// generation counter or denylist entry brings revoked tokens back.
func TestCheckServer(t *testing.T) {
	c := newClient(t, redisURL(t))
	s := newRevocations(t, c)
	configSet(t, c, "maxmemory-policy", "noeviction")
	if err := s.CheckServer(t.Context()); err != nil {
		t.Fatalf("CheckServer with noeviction = %v", err)
	}
	for _, policy := range []string{"allkeys-lru", "volatile-lru", "allkeys-random"} {
		configSet(t, c, "maxmemory-policy", policy)
		if err := s.CheckServer(t.Context()); !errors.Is(err, redisstore.ErrEviction) {
			t.Errorf("CheckServer with %s = %v, want ErrEviction", policy, err)
		}
	}
}

// TestReplicaReadsRefused: a cluster client that may read from replicas is refused, since a
// lagging replica would let a revoked token verify.
func TestReplicaReadsRefused(t *testing.T) {
	for _, opt := range []redis.ClusterOptions{
		{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true, ReadOnly: true},
		{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true, RouteByLatency: true},
		{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true, RouteRandomly: true},
	} {
		c := redis.NewClusterClient(&opt)
		_, err := redisstore.NewRevocationStore(c, redisstore.Config{})
		if !errors.Is(err, redisstore.ErrReplicaReads) {
			t.Errorf("NewRevocationStore(%+v) = %v, want ErrReplicaReads", opt, err)
		}
		_ = c.Close()
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}, ContextTimeoutEnabled: true})
	defer c.Close()
	if _, err := redisstore.NewRevocationStore(c, redisstore.Config{}); err != nil {
		t.Errorf("NewRevocationStore(masters only) = %v", err)
	}
}

// TestOOMIsUnavailable: a Redis out of memory (maxmemory reached, noeviction) answers writes
// with an OOM error reply, which wraps ErrUnavailable like an outage does.
func TestOOMIsUnavailable(t *testing.T) {
	c := newClient(t, redisURL(t))
	configSet(t, c, "maxmemory-policy", "noeviction")
	configSet(t, c, "maxmemory", "1")
	limits, err := redisstore.NewLimitStore(c, redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second}
	out := make([]ratelimit.Decision, 1)
	if err := limits.Take(t.Context(), &ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p}, Cost: 1}, out); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("Take under OOM = %v, want ErrUnavailable", err)
	}
	s := newRevocations(t, c)
	if _, err := s.IncrementGeneration(t.Context(), "alice"); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("IncrementGeneration under OOM = %v, want ErrUnavailable", err)
	}
	if err := s.Revoke(t.Context(), "alice", auth.TokenID{3}, time.Now().Add(time.Hour)); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("Revoke under OOM = %v, want ErrUnavailable", err)
	}
}

// TestCallerCancellation: a caller that cancels while Redis does not answer gets an error
// wrapping context.Canceled (go-redis itself notices only at the store's timeout, and reports an
// i/o timeout).
func TestCallerCancellation(t *testing.T) {
	c := newClient(t, redisURL(t))
	admin := newClient(t, redisURL(t))
	limits, err := redisstore.NewLimitStore(c, redisstore.Config{Prefix: testPrefix(t), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p := ratelimit.Policy{Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second}
	out := make([]ratelimit.Decision, 1)
	req := &ratelimit.Request{Key: "k", Policies: []ratelimit.Policy{p}, Cost: 1}
	if err := limits.Take(t.Context(), req, out); err != nil { // connect and load the script first
		t.Fatal(err)
	}
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", "1500", "ALL").Err(); err != nil {
		t.Skipf("CLIENT PAUSE refused: %v", err)
	}
	t.Cleanup(func() { _ = admin.Do(context.Background(), "CLIENT", "UNPAUSE").Err() })
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(30*time.Millisecond, cancel)
	if err := limits.Take(ctx, req, out); !errors.Is(err, context.Canceled) {
		t.Errorf("Take cancelled by the caller = %v, want context.Canceled", err)
	}
}

// TestCheckServerReplica: CheckServer refuses a client that talks to a replica (a Sentinel
// client with ReplicaOnly, or a replica's address), which NewRevocationStore cannot see.
func TestCheckServerReplica(t *testing.T) {
	bin := testenv.LookPath(t, "redis-server")
	master := newClient(t, redisURL(t))
	configSet(t, master, "maxmemory-policy", "noeviction")
	srv, err := newServer(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	replica := newClient(t, srv.URL())
	opt := master.Options()
	host, port, _ := strings.Cut(opt.Addr, ":")
	if err := replica.Do(t.Context(), "REPLICAOF", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	s := newRevocations(t, replica)
	if err := s.CheckServer(t.Context()); !errors.Is(err, redisstore.ErrReplicaReads) {
		t.Errorf("CheckServer on a replica = %v, want ErrReplicaReads", err)
	}
}

// TestRevokeUsesConfigNow: the time left is measured with Config.Now, the keyring's clock, so a
// keyring on a clock behind the wall clock still gets its revocations stored.
func TestRevokeUsesConfigNow(t *testing.T) {
	c := newClient(t, redisURL(t))
	past := time.Now().Add(-time.Hour)
	s, err := redisstore.NewRevocationStore(c, redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout,
		Now: func() time.Time { return past }})
	if err != nil {
		t.Fatal(err)
	}
	id := auth.TokenID{4}
	// Expired by the wall clock, 10 minutes left by the store's clock.
	if err := s.Revoke(t.Context(), "alice", id, past.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, revoked, err := s.Lookup(t.Context(), "alice", id); err != nil || !revoked {
		t.Errorf("Lookup = %v, %v; want revoked", revoked, err)
	}
}

// TestRevocationKeysShareSlot: a subject's generation counter and denylist entries carry the
// same hash tag, so that Lookup reads one hash slot (one node of a Redis Cluster), whatever
// bytes the subject holds.
func TestRevocationKeysShareSlot(t *testing.T) {
	c := newClient(t, redisURL(t))
	prefix := testPrefix(t)
	s, err := redisstore.NewRevocationStore(c, redisstore.Config{Prefix: prefix, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	for i, subject := range []string{"alice", "b{o}b", "}{", "ünï:cøde", ""} {
		id := auth.TokenID{5, byte(i)}
		if err := s.Revoke(t.Context(), subject, id, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.IncrementGeneration(t.Context(), subject); err != nil {
			t.Fatal(err)
		}
		keys, err := c.Keys(t.Context(), prefix+"*").Result()
		if err != nil || len(keys) != 2 {
			t.Fatalf("subject %q: keys %q, %v; want a counter and an entry", subject, keys, err)
		}
		// The hash tag Redis Cluster hashes: from the first "{" to the next "}".
		tag := func(k string) string {
			_, rest, ok := strings.Cut(k, "{")
			tag, _, ok2 := strings.Cut(rest, "}")
			if !ok || !ok2 || tag == "" {
				t.Fatalf("key %q has no hash tag", k)
			}
			return tag
		}
		if tag(keys[0]) != tag(keys[1]) {
			t.Errorf("subject %q: keys %q have different hash tags", subject, keys)
		}
		if g, revoked, err := s.Lookup(t.Context(), subject, id); err != nil || !revoked || g != 1 {
			t.Errorf("subject %q: Lookup = %d, %v, %v; want 1, true, nil", subject, g, revoked, err)
		}
		if err := c.Del(t.Context(), keys...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRevokePerSubjectCap: one subject's unexpired entries are bounded (so one user cannot grow
// Redis without bound by logging in and out), other subjects are unaffected, re-revoking a held
// ID is not a new entry, and entries that expire by the service's clock free their room.
func TestRevokePerSubjectCap(t *testing.T) {
	c := newClient(t, redisURL(t))
	now := time.Now()
	s, err := redisstore.NewRevocationStore(c, redisstore.Config{Prefix: testPrefix(t), Timeout: testTimeout,
		Now: func() time.Time { return now }, MaxRevokedTokensPerSubject: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for i := range 3 {
		if err := s.Revoke(ctx, "mallory", auth.TokenID{byte(i)}, now.Add(time.Duration(i+1)*time.Minute)); err != nil {
			t.Fatalf("Revoke #%d: %v", i, err)
		}
	}
	if err := s.Revoke(ctx, "mallory", auth.TokenID{9}, now.Add(time.Hour)); !errors.Is(err, auth.ErrRevocationStoreFull) {
		t.Fatalf("Revoke past the cap = %v, want ErrRevocationStoreFull", err)
	}
	if err := s.Revoke(ctx, "mallory", auth.TokenID{0}, now.Add(time.Hour)); err != nil {
		t.Fatalf("Revoke of a held ID at the cap: %v", err)
	}
	if err := s.Revoke(ctx, "alice", auth.TokenID{10}, now.Add(time.Hour)); err != nil {
		t.Fatalf("another subject's Revoke: %v", err)
	}
	// Entries 1 and 2 expire; 0 was extended. Their room is freed once they are expired by
	// every instance's clock: past the keyring's largest leeway.
	now = now.Add(3*time.Minute + auth.MaxTokenLeeway + time.Second)
	for _, tc := range []struct {
		id   byte
		want bool
	}{{0, true}, {1, false}, {2, false}, {9, false}} {
		if _, revoked, err := s.Lookup(ctx, "mallory", auth.TokenID{tc.id}); err != nil || revoked != tc.want {
			t.Errorf("Lookup(mallory, %d) = %v, %v; want %v", tc.id, revoked, err, tc.want)
		}
	}
	for i := range 2 {
		if err := s.Revoke(ctx, "mallory", auth.TokenID{byte(20 + i)}, now.Add(time.Hour)); err != nil {
			t.Fatalf("Revoke after expiry freed room, #%d: %v", i, err)
		}
	}
	if err := s.Revoke(ctx, "mallory", auth.TokenID{22}, now.Add(time.Hour)); !errors.Is(err, auth.ErrRevocationStoreFull) {
		t.Errorf("Revoke past the cap after expiry = %v, want ErrRevocationStoreFull", err)
	}
	if _, err := redisstore.NewRevocationStore(c, redisstore.Config{MaxRevokedTokensPerSubject: -1}); err == nil {
		t.Error("a negative MaxRevokedTokensPerSubject was accepted")
	}
}

// TestRevokeKeepsEntriesLiveOnSlowerInstances: instance A's clock runs 2 s ahead of instance
// B's (within any keyring's leeway). B revokes T1 until B's now + 1 s; A then revokes another
// token of the same user. A must not trim T1's entry, which it sees expired but B does not.
// (A's own view, Lookup and RevokeOnce, follows A's clock: see TestRevokeOnceAfterExpiry.)
func TestRevokeKeepsEntriesLiveOnSlowerInstances(t *testing.T) {
	c := newClient(t, redisURL(t))
	prefix := testPrefix(t)
	base := time.Now().Truncate(time.Millisecond)
	store := func(now time.Time) *redisstore.RevocationStore {
		s, err := redisstore.NewRevocationStore(c, redisstore.Config{Prefix: prefix, Timeout: testTimeout,
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	b, a := store(base), store(base.Add(2*time.Second))
	var t1, t2 auth.TokenID
	t1[0], t2[0] = 1, 2
	if err := b.Revoke(t.Context(), "alice", t1, base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(t.Context(), "alice", t2, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, revoked, err := b.Lookup(t.Context(), "alice", t1); err != nil || !revoked {
		t.Errorf("B's Lookup of T1 after A's Revoke of another token = %v, %v; want revoked (B's clock is 1 s before T1's expiry)", revoked, err)
	}
}

// TestRevokeOnceAfterExpiry: an ID whose denylist entry has expired by the instance's clock is
// not revoked (Lookup says so), and RevokeOnce of it is a first revocation, as in the memory
// store, even while the entry is kept for slower instances.
func TestRevokeOnceAfterExpiry(t *testing.T) {
	c := newClient(t, redisURL(t))
	prefix := testPrefix(t)
	base := time.Now().Truncate(time.Millisecond)
	now := base
	s, err := redisstore.NewRevocationStore(c, redisstore.Config{Prefix: prefix, Timeout: testTimeout,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	id := auth.TokenID{7}
	if first, err := s.RevokeOnce(t.Context(), "alice", id, base.Add(time.Second)); err != nil || !first {
		t.Fatalf("first RevokeOnce = %v, %v; want true", first, err)
	}
	now = base.Add(2 * time.Second)
	if _, revoked, err := s.Lookup(t.Context(), "alice", id); err != nil || revoked {
		t.Fatalf("Lookup after expiry = %v, %v; want not revoked", revoked, err)
	}
	if first, err := s.RevokeOnce(t.Context(), "alice", id, now.Add(time.Hour)); err != nil || !first {
		t.Errorf("RevokeOnce after expiry = %v, %v; want true, as Lookup says the ID is not revoked", first, err)
	}
	// The set outlives the entry by the largest leeway, by Redis's clock.
	ttl, err := c.PTTL(t.Context(), prefix+"deny:{k:alice}").Result()
	if err != nil || ttl < time.Hour+auth.MaxTokenLeeway-time.Minute {
		t.Errorf("the denylist set expires in %v (%v), want at least the time left plus %v", ttl, err, auth.MaxTokenLeeway)
	}
}
