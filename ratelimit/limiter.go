package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors returned by [Limiter] methods; test for them with [errors.Is].
var (
	// ErrCost is returned for a cost below zero or above the smallest [Policy.Capacity] of the
	// limiter: such a request could never be admitted. The Decision returned with it refuses.
	ErrCost = errors.New("ratelimit: cost out of range")
	// ErrStore wraps every error from the [Store]. The Decision returned with it follows
	// Config.FailOpen.
	ErrStore = errors.New("ratelimit: store failed")
)

// Config holds a [Limiter]'s optional settings. The zero value is a fail-closed limiter on a new
// in-memory store.
type Config struct {
	// Store keeps the state. Nil means a new [Memory] store with default settings; pass your
	// own *Memory to set its key cap, or a distributed store to share limits across instances.
	Store Store
	// FailOpen admits requests when the store fails (a Redis outage, a timeout). The default,
	// false, refuses them: a limiter guarding logins or costly operations should keep failing
	// closed; one guarding ordinary traffic may prefer availability. Either way the error is
	// returned, wrapping [ErrStore], with a Decision whose Allowed field follows this choice.
	FailOpen bool
	// Now is the clock for calls without an explicit instant. Nil means the store's own clock
	// (a monotonic clock for [Memory], the server's clock for a distributed store).
	Now func() time.Time
}

// Limiter applies one or more policies to keys. It is safe for concurrent use; create one per
// kind of limit (API calls per IP, failed logins per user...) and share it.
type Limiter struct {
	ps       []prepared
	one      *prepared // the only policy, when the store is a *Memory and it is not a SlidingLog
	policies []Policy
	store    Store
	mem      *Memory
	failOpen bool
	now      func() time.Time
	minCap   int
	header   []string // RateLimit-Policy field value
}

// New returns a Limiter enforcing every policy at once: a request is admitted only if each
// policy admits it, and a refused request is charged to none of them. It returns an error
// wrapping [ErrInvalidPolicy] for a malformed policy, for duplicate policy names, or for no
// policy at all, and one wrapping [ErrUnsupported] for a policy the store refuses (see
// [PolicyChecker]).
func New(cfg Config, policies ...Policy) (*Limiter, error) {
	if len(policies) == 0 {
		return nil, fmt.Errorf("%w: no policy", ErrInvalidPolicy)
	}
	l := &Limiter{
		store:    cfg.Store,
		failOpen: cfg.FailOpen,
		now:      cfg.Now,
		policies: append([]Policy(nil), policies...),
		minCap:   maxLimit,
	}
	if l.store == nil {
		m, err := NewMemory(MemoryConfig{})
		if err != nil {
			return nil, err
		}
		l.store = m
	}
	l.mem, _ = l.store.(*Memory)
	names := make(map[string]bool, len(policies))
	for i, p := range policies {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("policy %d: %w", i, err)
		}
		if names[p.HeaderName()] {
			return nil, fmt.Errorf("%w: two policies are named %q", ErrInvalidPolicy, p.HeaderName())
		}
		names[p.HeaderName()] = true
		if c, ok := l.store.(PolicyChecker); ok {
			if err := c.CheckPolicy(p); err != nil {
				return nil, fmt.Errorf("policy %d: %w", i, err)
			}
		}
		var salt uint64
		if l.mem != nil {
			salt = l.mem.salt(p)
		}
		l.ps = append(l.ps, prepare(p, i, salt))
		l.minCap = min(l.minCap, p.Capacity())
	}
	if l.mem != nil && len(l.ps) == 1 && l.ps[0].Algorithm != SlidingLog {
		l.one = &l.ps[0]
	}
	l.header = []string{policyHeader(policies)}
	return l, nil
}

// MustNew is like [New] but panics on error; use it for limiters built at init time from
// constant policies.
func MustNew(cfg Config, policies ...Policy) *Limiter {
	l, err := New(cfg, policies...)
	if err != nil {
		panic(err)
	}
	return l
}

// Policies returns a copy of the limiter's policies, in the order given to [New].
func (l *Limiter) Policies() []Policy { return append([]Policy(nil), l.policies...) }

// Allow charges one unit to key now and reports whether it was admitted.
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	return l.decide(ctx, key, time.Time{}, 1, false)
}

// AllowN charges n units to key now, all or nothing. n must be between 0 and the smallest
// policy capacity, else the request is refused with [ErrCost].
func (l *Limiter) AllowN(ctx context.Context, key string, n int) (Decision, error) {
	return l.decide(ctx, key, time.Time{}, n, false)
}

// AllowAt is [Limiter.AllowN] at instant t; the zero t means now.
func (l *Limiter) AllowAt(ctx context.Context, key string, t time.Time, n int) (Decision, error) {
	return l.decide(ctx, key, t, n, false)
}

// Peek reports the Decision that Allow would return now, without charging anything.
func (l *Limiter) Peek(ctx context.Context, key string) (Decision, error) {
	return l.decide(ctx, key, time.Time{}, 1, true)
}

// PeekAt reports the Decision that AllowAt(ctx, key, t, n) would return, without charging.
func (l *Limiter) PeekAt(ctx context.Context, key string, t time.Time, n int) (Decision, error) {
	return l.decide(ctx, key, t, n, true)
}

// Reset forgets key's state under every policy, restoring its full quota (after a successful
// login, say). Its error wraps [ErrStore].
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if err := l.store.Reset(ctx, key, l.policies); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

// decide fills its named result d in place: with a local Decision returned by value, the
// compiler copies the six words to a temporary with 16-byte moves that read the shard's
// narrower stores before they retire (a store-forwarding stall), about a fifth of a hot-key
// decision (BenchmarkAllowHot).
func (l *Limiter) decide(ctx context.Context, key string, t time.Time, n int, peek bool) (d Decision, err error) {
	if n < 0 || n > l.minCap {
		return Decision{Limit: l.policies[0].Limit}, ErrCost
	}
	if t.IsZero() && l.now != nil {
		t = l.now()
	}
	if m := l.mem; m != nil {
		h, at := m.hash(key), m.instant(t)
		if l.one != nil { // the common case, straight to the shard
			m.shards[h&m.mask].decide1(m, &d, h, l.one, at, int64(n), peek)
			return d, nil
		}
		return m.decide(h, l.ps, at, int64(n), peek, nil), nil
	}
	out := make([]Decision, len(l.policies))
	err = l.store.Take(ctx, &Request{Key: key, Policies: l.policies, Cost: n, Peek: peek, Now: clampTime(t)}, out)
	if err != nil {
		return Decision{Allowed: l.failOpen, Limit: l.policies[0].Limit}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	for i := range out {
		out[i].Policy = i
	}
	return combine(out), nil
}
