// Package ratelimit limits how often each client may act: sliding windows and token buckets
// keyed by client, with bounded memory, client-IP extraction that cannot be spoofed by default,
// and net/http middleware that answers 429.
//
// For most uses, create a [Limiter] with one or more [Policy] values and wrap a handler with
// [Limiter.Middleware], giving it the key function that identifies the client:
//
//	limiter, err := ratelimit.New(ratelimit.Config{},
//		ratelimit.Policy{Name: "burst", Algorithm: ratelimit.TokenBucket, Limit: 10, Window: time.Second},
//		ratelimit.Policy{Name: "daily", Limit: 10_000, Window: 24 * time.Hour})
//	clientIP := &ratelimit.ClientIP{} // add TrustedProxies if a proxy sits in front
//	handler = limiter.Middleware(clientIP.Key, ratelimit.MiddlewareConfig{})(handler)
//
// Outside HTTP, call [Limiter.Allow] (or [Limiter.AllowAt] with an explicit instant) and act on
// the [Decision].
//
// # When to use it, and when not
//
// Use it to protect a service from abusive or runaway clients, to enforce per-customer quotas,
// and to slow down password guessing. It is not a load shedder (it counts per key, not the
// server's total concurrency) nor a scheduler that makes callers wait: it answers at once, and
// a caller that wants to wait can sleep for [Decision.RetryAfter]. For pacing one process's own
// outgoing calls, golang.org/x/time/rate's Wait is the simpler tool.
//
// # Algorithms
//
//   - [SlidingWindow] (the default): Cloudflare's sliding-window counter. O(1) memory per key.
//     It estimates the count over the last Window as cur + prev·(1 − e/Window), where e is the
//     time elapsed in the current fixed window. Error bound: it never admits more than Limit in
//     one fixed window, and in any interval of length d ≤ Window it admits at most
//     Limit·(1 + d/Window); so a client that spends its quota just before a window boundary gets
//     nothing just after it (no 2× burst at the boundary), and only an adversarially timed client
//     approaches 2·Limit over a full Window. Refusals come with an exact RetryAfter.
//   - [TokenBucket]: the generic cell rate algorithm, with x/time/rate semantics (Limit/Window
//     tokens per second, bucket of Burst). One timestamp per key, exact counts; best when bursts
//     should be allowed but the long-run rate held.
//   - [SlidingLog]: exact over any interval of length Window, at 8 bytes per unit admitted in
//     the last Window (so up to 8·Limit bytes per key); meant for small limits (at most
//     [MaxLogLimit]) such as failed logins.
//
// Every request has a cost ([Limiter.AllowN]); [Limiter.Peek] asks without charging;
// [Limiter.Reset] forgets a key. Several policies on one Limiter are decided together: a
// request is admitted only if all admit it, and a refusal is charged to none.
//
// # Client addresses
//
// [ClientIP] uses the connection's address unless TrustedProxies (or TrustedHops) are
// configured. Then, and only for connections from a trusted proxy, it reads X-Forwarded-For
// (or the RFC 7239 Forwarded header, if chosen) from the right and takes the first address that
// is not a trusted proxy: addresses further left were supplied by the client and are never
// believed. IPv4-mapped IPv6 addresses are unmapped, zones dropped, and IPv6 clients grouped by
// their /64 (configurable), since one host can rotate through its whole /64. Malformed input
// yields an error wrapping [ErrClientIP], never a panic.
//
// # HTTP middleware
//
// [Limiter.Middleware] sets the RateLimit-Policy and RateLimit headers of
// draft-ietf-httpapi-ratelimit-headers-10 on every response, refuses with 429 Too Many
// Requests, a Retry-After in whole seconds rounded up (a client that waits that long is
// admitted), and an RFC 9457 application/problem+json body. [MiddlewareConfig] adds a cost
// function, exemptions, custom deny and error handlers, an Observe hook for metrics and logs, a
// dry-run mode that reports without refusing, and legacy X-RateLimit-* headers. For per-route
// limits, wrap individual routes with their own limiter; the key function decides what a
// client is (an IP prefix, a user ID, a route joined with either).
//
// # Failed logins
//
// To throttle password guessing, count failures only, with one limiter per user name
// (normalized) and one per client IP: the first stops guessing against one account from many
// addresses, the second stops one address from trying many accounts. Per account, Allow before
// checking the password (refuse if throttled, without running the check) and Reset after a
// success, which refunds it along with the account's failures; since the attempt is charged
// before the check, concurrent guesses cannot overrun the limit. (Peek before the check and
// Allow after a failure would let every attempt in flight pass its Peek before any failure is
// charged: a botnet guessing in parallel against a slow password hash would get as many
// guesses per Window as it has requests in flight.) Per address, Peek before the check and
// Allow after a failure, so that the successful logins of many users behind one NAT do not
// count; one address can then exceed its limit by the attempts it has in flight, which a
// per-IP concurrency limit caps. Per-account limits let an attacker lock an account's owner
// out for the Window: prefer a SlidingLog of modest Window, and a per-(user, IP) key for the
// strictest limit if lockout is a concern. Attacker-chosen keys such as user names can also be
// minted to flood the store and evict a throttled entry (see below): the per-IP limit, checked
// first, bounds how fast one address can do that. See the login throttling example.
//
// # Stores, memory and failure
//
// The default store is [Memory]: a sharded hash table with a hard cap on the number of keys
// ([MemoryConfig].MaxKeys, default [DefaultMaxKeys]), CLOCK eviction of the least recently used
// key when full (keys seen only once go first), and lazy reuse of idle keys' entries, with no
// background goroutine. Keys are hashed with a random per-store seed to 64 bits, so each
// entry takes 24 bytes (about 30 with the table's headroom) whatever the key's length, and a
// flood of distinct keys can never grow memory past the cap. The cap is enforced per shard
// (MaxKeys divided by up to 64 shards), so eviction can begin a little before MaxKeys keys are
// held (0.3% early at a million keys). Eviction forgets a client's usage, which favours that
// client, and a client that can mint keys (user names at a login form, the /64s of a large
// IPv6 allocation, made-up API keys) can use it: once the store is full of live entries,
// sending on the order of MaxKeys requests under fresh keys (sometimes a fraction of that,
// depending on where the CLOCK hand stands) without touching its throttled key evicts that key
// and restores its quota. The secret seed keeps it from aiming at the shard or set of a key,
// so each reset costs it that many requests. Size the cap well above the number of keys
// active within a Window, and check a limit on something the client cannot mint (its address)
// before a limit on keys it can.
//
// A [Store] is the interface for distributed stores (the redisstore module provides one on
// Redis); every store must pass ratelimittest.TestStore. When a store fails, the Limiter
// returns an error wrapping [ErrStore] and a Decision that refuses (the default, fail-closed)
// or admits ([Config].FailOpen), and the middleware then calls its error handler (503) or lets
// the request through.
//
// # Time
//
// Every decision has a form taking an explicit instant ([Limiter.AllowAt], [Limiter.PeekAt]),
// so tests can step through synthetic instants; the other forms use [Config].Now, or the
// store's own clock (a monotonic clock for Memory, the server's clock for a distributed store).
// Memory's clock starts at the wall time and then advances monotonically, so a stepped wall
// clock neither resets nor freezes limits; instants given to the At forms are Unix times, so
// mixing the two forms on one key agrees unless the wall clock has been stepped since.
// Instants before 1708 or after 2231 are clamped (time stands still there), so that no
// computation overflows and a far-off instant never resets a limit.
//
// # Concurrency
//
// Limiter, Memory and ClientIP are safe for concurrent use. Decisions on one key are
// serialized by a shard lock; different keys rarely contend. On the in-memory store a decision
// takes tens of nanoseconds and allocates nothing.
package ratelimit
