package redisstore

import (
	"context"
	_ "embed" // the Lua scripts
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
)

//go:embed lua/revoke.lua
var revokeLua string

var revokeScript = newScript(revokeLua)

// RevocationStore is an [auth.RevocationStore] kept in Redis, so that a logout on one instance
// holds on every other. It keeps two kinds of keys:
//
//   - "<prefix>gen:{<subject>}", the subject's generation counter, incremented with INCR and
//     never given a TTL: a counter that expired would fall back to zero and bring revoked tokens
//     back to life. Only subjects that were logged out everywhere have one.
//   - "<prefix>deny:{<subject>}", the subject's denylist: a sorted set of token IDs (hex)
//     scored by their expiry by the service's clock (see [RevocationStore.Revoke]). Expired
//     entries are dropped as new ones arrive, the set expires with its last entry, and it holds
//     at most [Config.MaxRevokedTokensPerSubject] unexpired entries, so the denylist holds only tokens
//     that could still verify and one user cannot grow it without bound.
//
// Both keys of a subject share its hash tag, so they live in one hash slot, on one node of a
// Redis Cluster.
//
// Both kinds must never be evicted: an evicted counter or entry brings revoked tokens back. Keep
// revocations in a Redis whose maxmemory-policy is noeviction (check it at startup with
// [RevocationStore.CheckServer]), with persistence (appendonly yes), or in a Redis of their own;
// a failover to a replica can still lose the last acknowledged revocations.
//
// [RevocationStore.Lookup], the call made on every verification, is one round trip to one node
// (a two-command pipeline). It is safe for concurrent use.
type RevocationStore struct {
	client redis.UniversalClient
	cfg    settings
}

var _ auth.RevocationStore = (*RevocationStore)(nil)

// NewRevocationStore returns a store that keeps revocations in the Redis that client talks to.
// The client must set ContextTimeoutEnabled (otherwise [ErrContextTimeout]); a
// *redis.ClusterClient set to read from replicas is refused with [ErrReplicaReads]. The store
// does not close the client. cfg is validated here. Call [RevocationStore.CheckServer] once at
// startup: it also refuses a client whose server is a replica (Sentinel with ReplicaOnly, or
// a replica's address).
func NewRevocationStore(client redis.UniversalClient, cfg Config) (*RevocationStore, error) {
	s, err := cfg.settings(client)
	if err != nil {
		return nil, err
	}
	if c, ok := client.(*redis.ClusterClient); ok {
		if o := c.Options(); o.ReadOnly || o.RouteByLatency || o.RouteRandomly {
			return nil, ErrReplicaReads
		}
	}
	return &RevocationStore{client: client, cfg: s}, nil
}

// ErrReplicaReads is returned by [NewRevocationStore] for a cluster client that may read from
// replicas (ReadOnly, RouteByLatency or RouteRandomly), and wrapped by the error of
// [RevocationStore.CheckServer] when the client talks to a replica: a replica that lags behind
// its master would let a revoked token verify until it caught up.
var ErrReplicaReads = errors.New("redisstore: revocations must be read from masters; the cluster client reads from replicas")

// ErrEviction is returned by [RevocationStore.CheckServer] when Redis may evict keys to free
// memory: an evicted generation counter or denylist entry brings revoked tokens back, and rate
// limit keys, which clients create, can be used to fill memory on purpose.
var ErrEviction = errors.New("redisstore: redis may evict revocations: set maxmemory-policy noeviction")

// CheckServer checks that the Redis behind the store (every master, on a cluster or ring) will
// not evict revocations and is not a replica. Its maxmemory-policy must be noeviction, so that a
// full Redis refuses writes (and the fail-closed choices apply) rather than forgetting
// revocations: otherwise the error wraps [ErrEviction]. A plain client must talk to a master:
// otherwise the error wraps [ErrReplicaReads]. If Redis cannot be asked, the error wraps
// [ErrUnavailable]. It uses INFO, which managed Redis services allow where CONFIG is disabled.
// Call it at startup.
func (s *RevocationStore) CheckServer(ctx context.Context) error {
	check := func(ctx context.Context, c *redis.Client) error {
		cctx, cancel := s.cfg.call(ctx)
		defer cancel()
		info, err := c.Info(cctx, "memory").Result()
		if err != nil {
			return wrap(ctx, "check server", err)
		}
		policy := "unknown"
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "maxmemory_policy:"); ok {
				policy = v
			}
		}
		if policy != "noeviction" {
			return fmt.Errorf("%w (%s has maxmemory-policy %s)", ErrEviction, c.Options().Addr, policy)
		}
		repl, err := c.Info(cctx, "replication").Result()
		if err != nil {
			return wrap(ctx, "check server", err)
		}
		if strings.Contains(repl, "role:slave") {
			return fmt.Errorf("%w (%s is a replica)", ErrReplicaReads, c.Options().Addr)
		}
		return nil
	}
	switch c := s.client.(type) {
	case *redis.Client:
		return check(ctx, c)
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, check)
	case *redis.Ring:
		return c.ForEachShard(ctx, check)
	}
	return fmt.Errorf("redisstore: check server: cannot inspect a %T; check maxmemory-policy yourself", s.client)
}

// Generation implements [auth.RevocationStore].
func (s *RevocationStore) Generation(ctx context.Context, subject string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("redisstore: generation: %w", err)
	}
	cctx, cancel := s.cfg.call(ctx)
	defer cancel()
	v, err := s.client.Get(cctx, s.genKey(subject)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, wrap(ctx, "generation", err)
	}
	return parseGeneration(v)
}

// IncrementGeneration implements [auth.RevocationStore] with INCR. An error (a timeout) does
// not say whether the increment happened; calling again is safe, because a generation that
// went up by two revokes the same tokens as one that went up by one.
func (s *RevocationStore) IncrementGeneration(ctx context.Context, subject string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("redisstore: increment generation: %w", err)
	}
	cctx, cancel := s.cfg.call(ctx)
	defer cancel()
	g, err := s.client.Incr(cctx, s.genKey(subject)).Result()
	if err != nil {
		return 0, wrap(ctx, "increment generation", err)
	}
	if g < 1 {
		return 0, fmt.Errorf("redisstore: increment generation: counter at %d", g)
	}
	return uint64(g), nil
}

// Revoke implements [auth.RevocationStore]. The entry lives until expiry by this service's
// clock ([Config.Now]), the clock [auth.Keyring] judges a token's expiry by: it is scored with
// that instant, [RevocationStore.Lookup] compares the score with the same clock, and the
// subject's set is kept in Redis for at least the token's time left (rounded up to the
// millisecond), however Redis's clock differs. Instances whose clocks differ from each other
// need the keyring's Leeway to cover the difference. An expiry already past is a no-op. A
// subject with [Config.MaxRevokedTokensPerSubject] unexpired entries gets an error wrapping
// [auth.ErrRevocationStoreFull]; re-revoking an ID it holds is not a new entry. An entry counts,
// and stays in Redis, until [auth.MaxTokenLeeway] after its expiry by the revoking instance's
// clock, so that an instance whose clock runs ahead never drops one that another still needs.
func (s *RevocationStore) Revoke(ctx context.Context, subject string, id auth.TokenID, expiry time.Time) error {
	_, err := s.RevokeOnce(ctx, subject, id, expiry)
	return err
}

// RevokeOnce implements [auth.RevokeOnceStore] with the same script as Revoke, whose read of
// the old entry and write of the new one are one atomic step in Redis: it reports whether the
// ID had no unexpired entry before.
func (s *RevocationStore) RevokeOnce(ctx context.Context, subject string, id auth.TokenID, expiry time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("redisstore: revoke: %w", err)
	}
	now := s.cfg.now()
	left := expiry.Sub(now) // saturates rather than wraps for the distant future or past
	if left <= 0 {
		return false, nil // the zero time, or already expired: nothing to remember
	}
	ms := left.Milliseconds()
	if left > time.Duration(ms)*time.Millisecond {
		ms++
	}
	nowMs := now.UnixMilli()
	// Entries are scored by the clocks of the instances that verify tokens, which may differ
	// by up to the keyring's leeway: judge others' entries expired only that much later, so
	// that an instance whose clock runs ahead neither drops nor miscounts an entry that one
	// running behind still needs.
	horizon := nowMs - auth.MaxTokenLeeway.Milliseconds()
	cctx, cancel := s.cfg.call(ctx)
	defer cancel()
	v, err := revokeScript.run(cctx, s.client, []string{s.denyKey(subject)},
		[]any{id.String(), nowMs + ms, horizon, ms + auth.MaxTokenLeeway.Milliseconds(), s.cfg.maxPer, nowMs})
	if err != nil {
		return false, wrap(ctx, "revoke", err)
	}
	n, ok := v.(int64)
	switch {
	case !ok:
		return false, fmt.Errorf("redisstore: revoke: unexpected reply %T", v)
	case n < 0:
		return false, fmt.Errorf("redisstore: revoke: the subject has %d unexpired denylist entries: %w",
			s.cfg.maxPer, auth.ErrRevocationStoreFull)
	}
	return n == 2, nil
}

// Lookup implements [auth.RevocationStore] in one round trip to one node: a pipeline of GET
// (the generation) and ZSCORE (the entry's expiry, compared with [Config.Now]).
func (s *RevocationStore) Lookup(ctx context.Context, subject string, id auth.TokenID) (uint64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, fmt.Errorf("redisstore: lookup: %w", err)
	}
	cctx, cancel := s.cfg.call(ctx)
	defer cancel()
	var (
		gen  *redis.StringCmd
		deny *redis.FloatCmd
	)
	_, err := s.client.Pipelined(cctx, func(p redis.Pipeliner) error {
		gen = p.Get(cctx, s.genKey(subject))
		deny = p.ZScore(cctx, s.denyKey(subject), id.String())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, false, wrap(ctx, "lookup", err)
	}
	v, err := gen.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, false, wrap(ctx, "lookup", err)
	}
	g, err := parseGeneration(v)
	if err != nil {
		return 0, false, err
	}
	exp, err := deny.Result()
	if errors.Is(err, redis.Nil) {
		return g, false, nil
	}
	if err != nil {
		return 0, false, wrap(ctx, "lookup", err)
	}
	return g, exp > float64(s.cfg.now().UnixMilli()), nil
}

func parseGeneration(v string) (uint64, error) {
	if v == "" {
		return 0, nil
	}
	g, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("redisstore: generation counter holds %q", v)
	}
	return g, nil
}

func (s *RevocationStore) genKey(subject string) string {
	b := make([]byte, 0, len(s.cfg.prefix)+8+len(subject)+44)
	b = append(b, s.cfg.prefix...)
	b = append(b, "gen:{"...)
	b = s.cfg.keys.encode(b, subject)
	return string(append(b, '}'))
}

// denyKey is the key of subject's denylist, a sorted set in the hash slot of genKey(subject).
func (s *RevocationStore) denyKey(subject string) string {
	b := make([]byte, 0, len(s.cfg.prefix)+8+len(subject)+44)
	b = append(b, s.cfg.prefix...)
	b = append(b, "deny:{"...)
	b = s.cfg.keys.encode(b, subject)
	return string(append(b, '}'))
}
