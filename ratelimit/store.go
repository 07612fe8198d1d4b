package ratelimit

import (
	"context"
	"errors"
	"time"
)

// Store keeps rate-limit state and makes decisions on it atomically. [Memory] is the in-memory
// store and the default; distributed stores (such as the Redis store in the redisstore module)
// implement the same interface so that every instance of a service shares one view of each key.
//
// Every Store must pass [github.com/rampart-go/rampart/ratelimit/ratelimittest.TestStore].
//
// # Contract
//
// Take decides req for every policy in req.Policies at once, atomically with respect to every
// other Take and Reset on the same key: either every policy admits req.Cost and all of them are
// charged, or the request is refused and no policy is charged. It writes one [Decision] per
// policy into out (len(out) == len(req.Policies)), each describing that policy alone: its
// Allowed field says whether that policy would admit the cost, and Remaining, RetryAfter and
// Reset follow the formulas below (Decision.Policy is the policy's index). A Peek request
// returns the decisions the same request would get, but charges nothing. Take returns an error only when the store itself fails (a network error, a
// timeout, a cancelled context); a refusal is not an error. A store that does not implement an
// algorithm returns an error wrapping [ErrUnsupported] and decides nothing.
//
// Reset forgets the state of key under every policy in policies, so that the next request
// starts from a full quota.
//
// State must be kept per (key, [Policy.ID]) so that different policies, and different limiters
// sharing the store, never share counters. State that has been idle long enough to be
// equivalent to a fresh key (Reset has elapsed) should be dropped or expire, so that idle keys
// cost nothing. Stores may assume the policies were checked by [Policy.Validate] and that
// 0 ≤ Cost ≤ every policy's [Policy.Capacity].
//
// # Clock
//
// When req.Now is the zero time, the store uses its own clock (a Redis store uses Redis's TIME,
// so that instances with skewed clocks agree). Otherwise it uses req.Now, which is how tests
// step through synthetic instants. Time may be kept at microsecond resolution. Time that goes
// backwards must not grant extra quota.
//
// # Algorithms
//
// With t the current time in nanoseconds, W = Window and L = Limit (both as nanoseconds and
// counts), a store computes exactly the following, so that every store decides alike:
//
// [TokenBucket] (GCRA) keeps one instant TAT per key, initially 0. With T = W/L (integer
// division) and τ = Capacity·T: tat = max(TAT, t); next = tat + Cost·T. Admit iff next − t ≤ τ,
// then set TAT = next; Remaining = ⌊(τ − (next − t))/T⌋ and Reset = next − t. If refused,
// RetryAfter = next − τ − t, Remaining = ⌊max(0, τ − (tat − t))/T⌋ and Reset = tat − t. The state
// may expire once t ≥ TAT.
//
// [SlidingWindow] keeps the start S of the current fixed window and the counts cur (this
// window) and prev (the window before). With s = t − (t mod W): if s ≥ S+2W, or there is no
// state, prev = cur = 0; if s = S+W, prev = cur and cur = 0; if s < S (the clock went back) the
// stored window is kept and t is treated as S. With e = t − s the time elapsed in the current
// window and the weighted previous count p = prev·(W−e)/W computed in float64 in that order
// (multiply, then divide), admit iff p + float64(cur + Cost) ≤ float64(L), then cur += Cost.
// Remaining = max(0, ⌊L − p − cur⌋) (after charging). Reset = s + 2W − t if cur > 0, s + W − t if
// only prev > 0, else 0. If refused, RetryAfter is the smallest wait after which the same test
// admits Cost, assuming no other traffic: within the current window if cur + Cost ≤ L, else in
// the next one (where prev becomes cur). The state may expire at S + 2W.
//
// [SlidingLog] keeps the instants of admitted units (an instant repeated Cost times). Instants
// at or before t − W are dropped; with n the number left, admit iff n + Cost ≤ L, then record t
// Cost times. Remaining = L − n (after charging). Reset = newest + W − t. If refused,
// RetryAfter = i + W − t where i is the (n + Cost − L)-th oldest instant. The state may expire at
// newest + W.
type Store interface {
	Take(ctx context.Context, req *Request, out []Decision) error
	Reset(ctx context.Context, key string, policies []Policy) error
}

// Request is one question put to a [Store].
type Request struct {
	// Key identifies the client (an IP prefix, a user name...).
	Key string
	// Policies are the limits to apply, all at once.
	Policies []Policy
	// Cost is how many units the request spends, from 0 to the smallest [Policy.Capacity].
	Cost int
	// Peek asks whether Cost would be admitted, without charging anything.
	Peek bool
	// Now is the decision instant; the zero time means the store's own clock.
	Now time.Time
}

// PolicyChecker is implemented by a [Store] that supports only some policies (an algorithm, a
// window resolution). [New] calls CheckPolicy for each policy of a limiter on such a store, so
// that an unsupported policy is refused when the limiter is built, rather than by every Take,
// which a limiter with FailOpen would silently turn into no limit at all. CheckPolicy returns
// an error wrapping [ErrUnsupported] for a policy the store cannot decide.
type PolicyChecker interface {
	CheckPolicy(p Policy) error
}

// ErrUnsupported is wrapped by the error a [Store] returns for an algorithm it does not
// implement.
var ErrUnsupported = errors.New("ratelimit: algorithm not supported by this store")
