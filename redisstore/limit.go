package redisstore

import (
	"context"
	"crypto/sha256"
	_ "embed" // the Lua scripts
	"encoding/base64"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/ratelimit"
)

//go:embed lua/limit.lua
var limitLua string

var limitScript = newScript(limitLua)

// bucketScript decides the commonest request, one token-bucket policy, as limitScript would
// (same arguments, state and reply) in less Redis time (about 10-15% less, measured).
//
//go:embed lua/bucket.lua
var bucketLua string

var bucketScript = newScript(bucketLua)

// windowScript is bucketScript's counterpart for one sliding-window counter policy.
//
//go:embed lua/window.lua
var windowLua string

var windowScript = newScript(windowLua)

// MaxPolicies is the largest number of policies one [LimitStore.Take] decides at once.
const MaxPolicies = 64

// syntheticTTL is added to the TTL of state written at a caller-supplied instant: Redis expires
// keys by its own clock, which does not follow the caller's, so state written at a synthetic
// instant lives a minute longer than it needs to rather than vanish while still in use.
const syntheticTTL = time.Minute

// maxMicros bounds caller-supplied instants so that they stay exact in Lua's doubles (2^52 µs
// from the Unix epoch is about 142 years either side).
const maxMicros = 1 << 52

// LimitStore is a [ratelimit.Store] kept in Redis, so that every instance of a service shares
// one view of each client's quota. Each decision is one EVALSHA of a Lua script that reads and
// writes all of the request's policies atomically with Redis's clock; under load, concurrent
// decisions share EVALSHAs ([Config.MaxBatch]). See the package documentation.
// It is safe for concurrent use and starts no goroutine.
type LimitStore struct {
	client redis.UniversalClient
	cfg    settings
	plans  sync.Map // ratelimit.Policy -> *plan
	nplans atomic.Int32
	batch  *batcher // nil: every decision goes alone
}

var (
	_ ratelimit.Store         = (*LimitStore)(nil)
	_ ratelimit.PolicyChecker = (*LimitStore)(nil)

	// The plan cache is keyed by Policy: this fails to compile if Policy stops being comparable.
	_ map[ratelimit.Policy]struct{}
)

// NewLimitStore returns a store that keeps rate-limit state in the Redis that client talks
// to. The client must set ContextTimeoutEnabled (otherwise [ErrContextTimeout]); the store
// does not close it. cfg is validated here.
func NewLimitStore(client redis.UniversalClient, cfg Config) (*LimitStore, error) {
	s, err := cfg.settings(client)
	if err != nil {
		return nil, err
	}
	ls := &LimitStore{client: client, cfg: s}
	if c, plain := client.(*redis.Client); plain && s.batch > 1 {
		ls.batch = newBatcher(client, s.timeout, s.batch, c.Options().PoolSize)
	}
	return ls, nil
}

// Take implements [ratelimit.Store]: one round trip that decides every policy of req at once
// and charges them all or none (shared with concurrent decisions when batched, see
// [Config.MaxBatch]). When req.Now is zero the decision uses Redis's TIME, so
// instances whose clocks disagree still decide alike. It supports [ratelimit.TokenBucket],
// [ratelimit.SlidingLog] and [ratelimit.SlidingWindow]; a SlidingWindow whose Window is not a
// whole number of microseconds gets an error wrapping [ratelimit.ErrUnsupported]. At most
// [MaxPolicies] policies and instants within 142 years of 1970 are accepted. Like
// [ratelimit.Memory], it checks the request first: a malformed policy gives an error wrapping
// [ratelimit.ErrInvalidPolicy], a cost below zero or above a policy's capacity one wrapping
// [ratelimit.ErrCost], and a mismatched out, no policy or the same policy twice one wrapping
// [ratelimit.ErrConfig].
// Errors from Redis wrap [ErrUnavailable] as described there; out is then left unchanged.
func (s *LimitStore) Take(ctx context.Context, req *ratelimit.Request, out []ratelimit.Decision) error {
	n := len(req.Policies)
	switch {
	case n == 0:
		return fmt.Errorf("redisstore: Take with no policies: %w", ratelimit.ErrConfig)
	case n > MaxPolicies:
		return fmt.Errorf("redisstore: %d policies in one Take, at most %d: %w", n, MaxPolicies, ratelimit.ErrConfig)
	case len(out) != n:
		return fmt.Errorf("redisstore: %d decisions for %d policies: %w", len(out), n, ratelimit.ErrConfig)
	case req.Cost < 0:
		return fmt.Errorf("redisstore: cost %d: %w", req.Cost, ratelimit.ErrCost)
	}
	for i := range req.Policies {
		p := &req.Policies[i]
		if err := p.Validate(); err != nil {
			return fmt.Errorf("redisstore: policy %d: %w", i, err)
		}
		if req.Cost > p.Capacity() {
			return fmt.Errorf("redisstore: cost %d above the capacity %d of policy %s: %w", req.Cost, p.Capacity(), p.HeaderName(), ratelimit.ErrCost)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: take: %w", err)
	}
	// The command's arguments, in the layout of script.runArgs: two slots for EVALSHA and the
	// digest, the key count, the keys, then ARGV.
	a := make([]any, 3+n, 3+n+5+4*n)
	a[2] = n
	a = append(a, req.Cost, "0", "", 0, 0)
	if req.Peek {
		a[3+n+1] = "1"
	}
	if !req.Now.IsZero() {
		sec := req.Now.Unix()
		if sec > maxMicros/1_000_000 || sec < -maxMicros/1_000_000 {
			return fmt.Errorf("redisstore: instant %v out of range", req.Now)
		}
		us := sec*1_000_000 + int64(req.Now.Nanosecond()/1_000)
		a[3+n+2] = us
		a[3+n+3] = req.Now.Nanosecond() % 1_000
		a[3+n+4] = syntheticTTL.Milliseconds()
	}
	// Each policy's key is the client's tag and the policy's suffix, built in one buffer (on
	// the stack for the usual key lengths): one allocation per key.
	var kb [160]byte
	kbuf := s.appendTag(kb[:0], req.Key)
	tagLen := len(kbuf)
	for i, p := range req.Policies {
		pl, err := s.plan(p)
		if err != nil {
			return err
		}
		kbuf = append(kbuf[:tagLen], pl.suffix...)
		k := string(kbuf)
		for _, prev := range a[3 : 3+i] {
			if prev == any(k) {
				// Both would read one key and the last write would win: the request would be
				// charged once where ratelimit.Memory charges it twice.
				return fmt.Errorf("redisstore: policy %s appears twice in one Take: %w", p.HeaderName(), ratelimit.ErrConfig)
			}
		}
		a[3+i] = k
		a = append(a, pl.args[:]...)
	}

	sc := limitScript
	if n == 1 {
		switch req.Policies[0].Algorithm {
		case ratelimit.TokenBucket:
			sc = bucketScript
		case ratelimit.SlidingWindow:
			sc = windowScript
		}
	}
	cctx, cancel := s.cfg.call(ctx)
	defer cancel()
	var v any
	var err error
	if s.batch != nil {
		v, err = s.batch.do(ctx, cctx, sc, a, n)
	} else {
		v, err = sc.runArgs(cctx, s.client, a)
	}
	if err != nil {
		return wrap(ctx, "take", err)
	}
	res, ok := v.([]any)
	if !ok || len(res) != 1+4*n {
		return fmt.Errorf("redisstore: take: unexpected reply %T of length %d", v, len(res))
	}
	for i := range n {
		var f [4]int64
		for j := range f {
			x, ok := res[1+4*i+j].(int64)
			if !ok {
				return fmt.Errorf("redisstore: take: unexpected reply element %T", res[1+4*i+j])
			}
			f[j] = x
		}
		out[i] = ratelimit.Decision{
			Allowed:    f[0] == 1,
			Limit:      req.Policies[i].Limit,
			Remaining:  int(max(f[1], 0)),
			RetryAfter: time.Duration(max(f[2], 0)),
			Reset:      time.Duration(max(f[3], 0)),
			Policy:     i,
		}
	}
	return nil
}

// Reset implements [ratelimit.Store]: it deletes key's state under every policy in one
// round trip.
func (s *LimitStore) Reset(ctx context.Context, key string, policies []ratelimit.Policy) error {
	if len(policies) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: reset: %w", err)
	}
	tag := string(s.appendTag(nil, key))
	keys := make([]string, len(policies))
	for i, p := range policies {
		keys[i] = policyKey(tag, p)
	}
	cctx, cancel := s.cfg.call(ctx)
	defer cancel()
	if err := s.client.Del(cctx, keys...).Err(); err != nil {
		return wrap(ctx, "reset", err)
	}
	return nil
}

// CheckPolicy implements [ratelimit.PolicyChecker], so that [ratelimit.New] refuses at once a
// policy this store cannot decide: a SlidingWindow whose Window is not a whole number of
// microseconds (an error wrapping [ratelimit.ErrUnsupported]), or an invalid policy.
func (s *LimitStore) CheckPolicy(p ratelimit.Policy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("redisstore: %w", err)
	}
	_, err := s.plan(p)
	return err
}

// plan is what Take sends for one policy, computed once per policy and store.
type plan struct {
	suffix string // policyKey(tag, p) = tag + suffix
	args   [4]any // the policy's four ARGV elements, already converted to interfaces
}

// maxPlans bounds the plan cache. Policies come from the service's code, so a few are usual;
// past the bound, plans are computed on every call rather than cached.
const maxPlans = 256

// plan returns the plan of a validated policy, from the cache when it is there. It fails for a
// policy the script does not support.
func (s *LimitStore) plan(p ratelimit.Policy) (*plan, error) {
	if v, ok := s.plans.Load(p); ok {
		if pl, ok := v.(*plan); ok { // always: only *plan is stored
			return pl, nil
		}
	}
	pl := &plan{suffix: policyKey("", p)}
	switch p.Algorithm {
	case ratelimit.TokenBucket:
		t := int64(p.Window) / int64(p.Limit) // at least 1: Validate checked
		pl.args = [4]any{"g", p.Limit, t, int64(p.Capacity()) * t}
	case ratelimit.SlidingWindow:
		if p.Window%time.Microsecond != 0 || p.Window <= 0 {
			return nil, fmt.Errorf("redisstore: policy %s: window %v is not a whole number of microseconds: %w",
				p.HeaderName(), p.Window, ratelimit.ErrUnsupported)
		}
		pl.args = [4]any{"w", p.Limit, p.Window.Microseconds(), 0}
	case ratelimit.SlidingLog:
		pl.args = [4]any{"l", p.Limit, int64(p.Window), 0}
	default: // unreachable: Validate knows the algorithms
		return nil, fmt.Errorf("redisstore: policy %s: algorithm %v: %w", p.HeaderName(), p.Algorithm, ratelimit.ErrUnsupported)
	}
	if s.nplans.Load() < maxPlans {
		if _, loaded := s.plans.LoadOrStore(p, pl); !loaded {
			s.nplans.Add(1)
		}
	}
	return pl, nil
}

// policyKey returns the Redis key of a policy's state for the client whose tag is tag: the tag
// and 11 base64url characters (the first 64 bits) of the SHA-256 of the policy's ID. A policy ID is up to
// a hundred bytes long; the digest keeps the key, which Redis stores once per client and
// policy, short.
func policyKey(tag string, p ratelimit.Policy) string {
	sum := sha256.Sum256([]byte(p.ID()))
	b := make([]byte, 0, len(tag)+11)
	b = append(b, tag...)
	return string(base64.RawURLEncoding.AppendEncode(b, sum[:8])[:len(tag)+11])
}

// appendTag appends to b the common start of the Redis keys of a client: the prefix, "rl:"
// and the encoded client key as a hash tag, followed by ":".
func (s *LimitStore) appendTag(b []byte, key string) []byte {
	b = append(b, s.cfg.prefix...)
	b = append(b, "rl:{"...)
	b = s.cfg.keys.encode(b, key)
	return append(b, "}:"...)
}
