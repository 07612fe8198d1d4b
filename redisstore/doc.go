// Package redisstore keeps rampart's shared state in Redis: rate-limit quotas ([LimitStore],
// a [ratelimit.Store]) and token revocations ([RevocationStore], an [auth.RevocationStore]).
// A service that runs on several instances needs it, or a client gets N times its limit behind
// N instances and a logout on one instance is ignored by the others.
//
// For most uses, make one go-redis client with ContextTimeoutEnabled, then:
//
//	limits, err := redisstore.NewLimitStore(rdb, redisstore.Config{})
//	limiter, err := ratelimit.New(ratelimit.Config{Store: limits}, policies...)
//
//	revocations, err := redisstore.NewRevocationStore(rdb, redisstore.Config{})
//	keyring, err := auth.NewKeyring(auth.TokenConfig{Revocation: revocations}, key)
//
// The package lives in its own module (github.com/rampart-go/rampart/redisstore) so that the
// core module does not depend on Redis. A single-instance service does not need it:
// [ratelimit.Memory] and [auth.MemoryRevocationStore] are faster and have no moving parts.
//
// # Rate limits
//
// Every decision ([LimitStore.Take], which [ratelimit.Limiter] calls) is one round trip: one
// EVALSHA (shared by concurrent decisions under load, see Throughput) of a Lua script that
// reads the state of every policy of the request, decides each,
// and writes the new state only if all of them admit it, atomically, so concurrent instances
// can never overshoot a limit together and a refused request consumes nothing. The script
// computes exactly the formulas of the [ratelimit.Store] contract (a test replays random
// traffic against both stores and requires identical decisions):
//
//   - [ratelimit.TokenBucket] (GCRA) keeps one instant per key and policy: exact counts.
//   - [ratelimit.SlidingWindow] keeps a window start and two counts: at most Limit in any fixed
//     window, at most Limit·(1 + d/Window) in any interval of length d ≤ Window (the window must
//     be a whole number of microseconds).
//   - [ratelimit.SlidingLog] keeps one list entry per admitted unit, so it is for small limits
//     such as failed logins.
//
// The clock is Redis's TIME, so instances whose clocks disagree still decide alike; a request
// with a non-zero [ratelimit.Request.Now] (tests, or a [ratelimit.Config] with its own Now) is
// decided at that instant instead. If Redis answers NOSCRIPT (its script cache was flushed, or
// it restarted), the script is sent once with EVAL, which proves the first attempt did not
// run. No other failure is retried, whatever the client's MaxRetries: after a timeout the
// script may have run, and running it again would charge the request twice. The script works
// in doubles of nanoseconds relative to the decision instant, which are exact for windows up to
// about 104 days (2⁵³ ns); beyond that, Reset and RetryAfter may differ from [ratelimit.Memory]'s
// by under a microsecond (admissions do not).
//
// Keys are "<prefix>rl:{<encoded client key>}:<policy>", where the encoded key is "k:" and the
// key itself, "s:" and its base64url SHA-256, or "m:" and its HMAC (see below), and <policy> is
// a digest of the [ratelimit.Policy.ID], so all the keys of one decision share one hash tag and
// one Redis Cluster slot. Each key expires when its state becomes equivalent to a fresh key's: an idle
// client costs nothing. Redis's MEMORY USAGE reports 120 bytes per active client and policy
// for an IPv4 client key and the default prefix (token bucket and sliding window); a sliding
// log takes 200 bytes plus 25 per admitted unit still in its window.
//
// # Revocations
//
// [RevocationStore] keeps a generation counter per subject ("<prefix>gen:{<encoded subject>}"),
// incremented by "log out everywhere" and never expired, since a counter that fell back to zero
// would revive revoked tokens; and a denylist per subject ("<prefix>deny:{<encoded subject>}", a
// sorted set of token IDs scored by each token's expiry by the service's clock: [auth.Keyring]
// adds its leeway, which must cover the clock differences between instances). Expired entries
// are dropped as new ones arrive and the set expires with its last entry, so the denylist holds
// only tokens that could still verify, and at most [Config.MaxRevokedTokensPerSubject] of one user's.
// A subject's keys share one hash tag, so the check made on every verification,
// [RevocationStore.Lookup], is one round trip to one node, always a master (a cluster client
// that reads from replicas is refused with [ErrReplicaReads]). Entries written by versions
// before this layout are not read; this module has no release that wrote them.
//
// Revocations must never be evicted: an evicted counter or denylist entry brings revoked tokens
// back, and clients can fill Redis's memory on purpose by creating rate-limit keys (one per
// address and policy). Run the Redis that holds revocations with maxmemory-policy noeviction, so
// that a full Redis refuses writes (an error wrapping [ErrUnavailable]) rather than forgetting,
// and call [RevocationStore.CheckServer] at startup, which refuses any other policy with
// [ErrEviction]. Give it persistence (appendonly yes), or keep revocations in a Redis of their
// own; a failover to a replica can still lose the last acknowledged writes.
//
// # Client keys and privacy
//
// Without [Config.KeySecret], a client key made of letters, digits and . : _ - @ / + and at most
// 128 bytes long is stored as it is, so that operators can read it in redis-cli; any other key
// (a brace, a space, a long user name) is replaced by its SHA-256, so clients cannot choose the
// shape or the size of Redis keys. With KeySecret, every client key and subject is replaced by
// its HMAC-SHA256, and Redis (its dumps, MONITOR, SLOWLOG) never holds an IP address or a user
// name.
//
// # Failures
//
// Each call has a timeout ([Config.Timeout], [DefaultTimeout] 250 ms). A call that fails or
// times out, or that Redis answers with an error saying it cannot serve now (OOM, LOADING,
// READONLY...), returns an error wrapping [ErrUnavailable]; one that the caller's context ends
// wraps ctx.Err() instead (go-redis notices a cancellation only at the timeout, so a cancelled
// call returns within Config.Timeout, not at once). What happens then is the caller's
// choice: [ratelimit.Config.FailOpen] admits or refuses the request (the middleware's error
// handler answers 503 when it refuses), and a revocation check that fails makes verification
// fail with that error rather than accept a possibly revoked token. When Redis comes back,
// decisions resume on the same store and client: go-redis discards broken connections and
// dials new ones, and the script is reloaded through the NOSCRIPT fallback.
//
// The go-redis client must set ContextTimeoutEnabled: without it go-redis ignores context
// deadlines on its sockets and a hung Redis would hold every request for the client's
// ReadTimeout (3 s by default). [NewLimitStore] and [NewRevocationStore] refuse such a
// *redis.Client, *redis.ClusterClient or *redis.Ring with [ErrContextTimeout].
//
// # Throughput
//
// On a *redis.Client (standalone or Sentinel), a [LimitStore] batches concurrent decisions.
// A decision that finds fewer than two calls in flight goes at once and alone, exactly as
// without batching, so a lightly loaded service sees no change. Past that, decisions wait for
// a call to come back and then leave together (up to [Config.MaxBatch], 16 by default) in one
// EVALSHA of a script that runs each decision's own code in turn, atomically, at one reading
// of Redis's TIME; a full batch leaves at once on a call of its own, up to the client's pool
// size. Each decision still takes one round trip, now shared, and Redis spends about a third
// less time on each, the client far less. With 32 concurrent callers on a 2-core machine
// sharing client and server, batching measured 1.5-1.8 times the decisions per second of
// sending each alone for one policy, 1.1-1.2 times for three (BenchmarkTake; figures in the
// README); with Redis 10 ms away it measured 0.9 times (the callers' decisions are in flight
// either way). One decision's failure (an OOM reply to its write) fails that decision only.
//
// A decision whose caller gives up (its context ends, or [Config.Timeout] passes) while it
// waits is withdrawn and never charged; one already sent may have been, as after any
// timeout, and the caller cannot tell the two apart. A batch is sent by the caller that waits
// longest, bounded by its deadline, so no caller waits for a batch past its own. Stores on a cluster client or a ring, whose batches would span
// hash slots, send every decision alone. So must a store behind a proxy that routes a script
// by its first key or refuses keys of several slots in one script (twemproxy, Envoy's Redis
// proxy): set MaxBatch to 1 there.
//
// go-redis's automatic pipeliner (rdb.AutoPipeline(), experimental in go-redis) is the other
// way to share round trips: it sends the commands of concurrent callers together, each
// decision still one EVALSHA, and measured 1.0-1.4 times the throughput of a plain client
// (0.9 times for three policies per decision). A store on it does not batch. It bounds each
// pipeline by the client's ReadTimeout and WriteTimeout rather than by each call's context,
// so set those no higher than [Config.Timeout] when you use it.
//
// # Security
//
// Redis is trusted: whoever can write to it can reset any client's quota, un-revoke a token or
// read the client keys. Give the service its own Redis user (ACL) limited to its prefix, require
// a password, and use TLS (rediss://) on any network you do not control. The commands the stores
// need are, for the prefix "myapp:":
//
//	ACL SETUSER myapp on >password ~myapp:* +evalsha +eval +get +incr +del +zscore +info
//	    +time +mget +set +llen +lindex +ltrim +rpush +pexpire +pttl +zadd +zcount +zremrangebyscore
//
// (the second line being the commands the Lua scripts call; +info is for CheckServer). The stores never pass
// client data to Redis as code: the Lua scripts are constants and client keys are arguments.
//
// # Compatibility and concurrency
//
// The stores need Redis 5 or later (Lua scripts that write after reading TIME) and work with
// standalone Redis, Sentinel and Redis Cluster clients; the tests run against Redis 7. Both
// stores are safe for concurrent use, start no goroutines, and never close the client they
// were given.
package redisstore
