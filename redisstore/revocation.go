package redisstore

import (
	"context"
	_ "embed" // the Lua scripts
	"errors"
	"fmt"
	"strconv"
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
//   - "<prefix>deny:{<token ID in hex>}", a denylist entry that Redis expires at the token's
//     expiry (by Redis's clock), so the denylist holds only tokens that could still verify.
//
// [RevocationStore.Lookup], the call made on every verification, is one round trip (a
// two-command pipeline; on Redis Cluster the two keys may live on two nodes, which go-redis
// asks in parallel). It is safe for concurrent use.
type RevocationStore struct {
	client redis.UniversalClient
	cfg    settings
}

var _ auth.RevocationStore = (*RevocationStore)(nil)

// NewRevocationStore returns a store that keeps revocations in the Redis that client talks to.
// The client must set ContextTimeoutEnabled (otherwise [ErrContextTimeout]); the store does
// not close it. cfg is validated here.
func NewRevocationStore(client redis.UniversalClient, cfg Config) (*RevocationStore, error) {
	s, err := cfg.settings(client)
	if err != nil {
		return nil, err
	}
	return &RevocationStore{client: client, cfg: s}, nil
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
		return 0, wrap("generation", err)
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
		return 0, wrap("increment generation", err)
	}
	if g < 1 {
		return 0, fmt.Errorf("redisstore: increment generation: counter at %d", g)
	}
	return uint64(g), nil
}

// Revoke implements [auth.RevocationStore]. The entry expires at expiry by Redis's clock
// (rounded up to the millisecond); an expiry that Redis's clock has passed is a no-op.
func (s *RevocationStore) Revoke(ctx context.Context, id auth.TokenID, expiry time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: revoke: %w", err)
	}
	if expiry.Before(time.Unix(1, 0)) {
		return nil // the zero time, or the distant past: nothing to remember
	}
	ms := expiry.UnixMilli()
	if expiry.After(time.UnixMilli(ms)) {
		ms++
	}
	cctx, cancel := s.cfg.call(ctx)
	defer cancel()
	if _, err := revokeScript.run(cctx, s.client, []string{s.denyKey(id)}, []any{ms}); err != nil {
		return wrap("revoke", err)
	}
	return nil
}

// Lookup implements [auth.RevocationStore] in one round trip: a pipeline of GET (the
// generation) and EXISTS (the denylist entry).
func (s *RevocationStore) Lookup(ctx context.Context, subject string, id auth.TokenID) (uint64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, fmt.Errorf("redisstore: lookup: %w", err)
	}
	cctx, cancel := s.cfg.call(ctx)
	defer cancel()
	var (
		gen  *redis.StringCmd
		deny *redis.IntCmd
	)
	_, err := s.client.Pipelined(cctx, func(p redis.Pipeliner) error {
		gen = p.Get(cctx, s.genKey(subject))
		deny = p.Exists(cctx, s.denyKey(id))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, false, wrap("lookup", err)
	}
	v, err := gen.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, false, wrap("lookup", err)
	}
	g, err := parseGeneration(v)
	if err != nil {
		return 0, false, err
	}
	n, err := deny.Result()
	if err != nil {
		return 0, false, wrap("lookup", err)
	}
	return g, n > 0, nil
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

func (s *RevocationStore) denyKey(id auth.TokenID) string {
	return s.cfg.prefix + "deny:{" + id.String() + "}"
}
