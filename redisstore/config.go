package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of [Config].
const (
	// DefaultPrefix starts every key the stores write.
	DefaultPrefix = "rampart:"

	// DefaultTimeout bounds each call to Redis. A decision is one round trip, well under a
	// millisecond on a local network; a quarter of a second means Redis is in trouble, and the
	// request should be decided by the fail-open or fail-closed choice instead of waiting.
	DefaultTimeout = 250 * time.Millisecond

	// MinKeySecret is the shortest [Config.KeySecret] accepted.
	MinKeySecret = 32

	// DefaultMaxRevokedTokensPerSubject is the per-subject denylist bound of a [RevocationStore]
	// whose MaxRevokedTokensPerSubject is zero, as auth.DefaultMaxRevokedTokensPerSubject.
	DefaultMaxRevokedTokensPerSubject = 1024
)

// Config holds the optional settings shared by [LimitStore] and [RevocationStore]. The zero
// value is ready to use.
type Config struct {
	// Prefix starts every Redis key the store writes, so that several applications (or a
	// staging and a production deployment) can share one Redis. Empty means [DefaultPrefix].
	// Every instance that must share limits or revocations must use the same prefix. It must
	// not contain '{' or '}', which Redis Cluster reads as a hash tag.
	Prefix string

	// Timeout bounds each call, that is each round trip to Redis, on top of the caller's
	// context. Zero means [DefaultTimeout]; it must not be negative. A call that times out
	// returns an error wrapping [ErrUnavailable] and is never retried.
	Timeout time.Duration

	// KeySecret, when set, makes the store replace every client key and subject by its
	// HMAC-SHA256 under this secret before it reaches Redis, so Redis (its keys, its backups,
	// MONITOR, SLOWLOG) never holds an IP address or a user name. It must be at least
	// [MinKeySecret] bytes of random data, the same on every instance, and kept secret;
	// changing it starts every client over with a full quota and forgets every generation
	// counter and denylist entry (every logged-out session verifies again), so never change it
	// while revocations must hold. Nil keeps readable keys.
	KeySecret []byte

	// Now is the clock [RevocationStore.Revoke] measures a token's time left with; nil means
	// time.Now. Give it the clock the auth.Keyring verifies expiry with (its TokenConfig.Now),
	// so that a denylist entry lives exactly as long as the keyring would accept the token.
	// Rate-limit decisions do not use it: they use Redis's TIME.
	Now func() time.Time

	// MaxRevokedTokensPerSubject bounds the unexpired denylist entries of one subject in a
	// [RevocationStore], so that one user who logs in and out in a loop cannot grow Redis
	// without bound. Past it, Revoke of that subject fails with an error wrapping
	// auth.ErrRevocationStoreFull (auth.Sessions.ChangeRoles and Reauthenticate then end every
	// session of the user; a logout handler can call LogoutEverywhere). Zero means
	// [DefaultMaxRevokedTokensPerSubject]; it must not be negative. [LimitStore] ignores it.
	MaxRevokedTokensPerSubject int
	// MaxBatch bounds how many concurrent decisions a [LimitStore] on a *redis.Client (a
	// standalone or Sentinel Redis) sends in one EVALSHA when more than two are in flight;
	// see Throughput in the package documentation. Zero means [DefaultMaxBatch]; 1 sends
	// every decision alone, which a proxy that routes a script by its first key needs; it
	// must be between 0 and 256. Stores on a cluster client, a ring or a wrapper never batch:
	// a batch holds keys of many hash slots. [RevocationStore] ignores it.
	MaxBatch int
}

// ErrUnavailable is wrapped by the errors returned when Redis could not be reached, did not
// answer within the timeout, or answered that it cannot serve now (OOM, LOADING, BUSY,
// READONLY, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, MISCONF). The error also wraps the underlying
// cause (a net.Error, context.DeadlineExceeded, a redis.Error...). An error caused by the
// caller's own context wraps its ctx.Err() (context.Canceled or DeadlineExceeded) instead.
var ErrUnavailable = errors.New("redisstore: redis unavailable")

// settings is a validated Config.
type settings struct {
	prefix  string
	timeout time.Duration
	keys    keyEncoder
	now     func() time.Time
	maxPer  int
	batch   int // Config.MaxBatch, defaulted
}

func (c Config) settings(client redis.UniversalClient) (settings, error) {
	if client == nil {
		return settings{}, errors.New("redisstore: nil client")
	}
	if err := checkClient(client); err != nil {
		return settings{}, err
	}
	s := settings{prefix: c.Prefix, timeout: c.Timeout, now: c.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if strings.ContainsAny(s.prefix, "{}") {
		return settings{}, fmt.Errorf("redisstore: Prefix %q contains a brace, which would change the keys' hash tag", c.Prefix)
	}
	if s.timeout < 0 {
		return settings{}, fmt.Errorf("redisstore: negative Timeout %v", c.Timeout)
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	switch s.maxPer = c.MaxRevokedTokensPerSubject; {
	case s.maxPer < 0:
		return settings{}, fmt.Errorf("redisstore: negative MaxRevokedTokensPerSubject %d", c.MaxRevokedTokensPerSubject)
	case s.maxPer == 0:
		s.maxPer = DefaultMaxRevokedTokensPerSubject
	}
	switch s.batch = c.MaxBatch; {
	case s.batch < 0 || s.batch > maxMaxBatch:
		return settings{}, fmt.Errorf("redisstore: MaxBatch %d out of range [0, %d]", c.MaxBatch, maxMaxBatch)
	case s.batch == 0:
		s.batch = DefaultMaxBatch
	}
	if c.KeySecret != nil && len(c.KeySecret) < MinKeySecret {
		return settings{}, fmt.Errorf("redisstore: KeySecret has %d bytes, want at least %d", len(c.KeySecret), MinKeySecret)
	}
	s.keys = newKeyEncoder(c.KeySecret)
	return s, nil
}

// checkClient refuses clients that would not honour the per-call timeout: go-redis ignores
// context deadlines on its sockets unless ContextTimeoutEnabled is set, and would then wait for
// its own ReadTimeout (3 s by default) while Redis hangs.
func checkClient(client redis.UniversalClient) error {
	var enabled bool
	switch c := client.(type) {
	case *redis.Client:
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		enabled = c.Options().ContextTimeoutEnabled
	default:
		return nil // a wrapper: its documentation is all we have
	}
	if !enabled {
		return ErrContextTimeout
	}
	return nil
}

// ErrContextTimeout is returned by [NewLimitStore] and [NewRevocationStore] for a go-redis
// client whose options do not set ContextTimeoutEnabled: such a client ignores the per-call
// timeout, so an unresponsive Redis would stall every request for the client's ReadTimeout.
var ErrContextTimeout = errors.New("redisstore: the go-redis client must set ContextTimeoutEnabled: true")

// call bounds ctx by the store's timeout.
func (s *settings) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// wrap turns an error of go-redis into the store's error, for a call made under the caller's
// ctx:
//   - the caller's own cancellation or deadline wraps ctx.Err() (go-redis notices a cancelled
//     context only at the call's timeout, and reports an i/o timeout then);
//   - an error reply that says Redis cannot serve right now (OOM, LOADING, BUSY, READONLY,
//     MASTERDOWN, CLUSTERDOWN, TRYAGAIN, MISCONF) wraps ErrUnavailable;
//   - any other error reply (a WRONGTYPE because something else wrote the key, a script error)
//     is wrapped as it is;
//   - anything else (a refused connection, a broken one, the per-call timeout) wraps
//     ErrUnavailable.
func wrap(ctx context.Context, op string, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		// The caller's deadline has passed but its timer has not fired yet: the socket
		// deadline, set from the same instant, can fire first.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil {
		return fmt.Errorf("redisstore: %s: %w", op, errors.Join(cerr, err))
	}
	var re redis.Error
	if errors.As(err, &re) {
		if unavailableReply(re.Error()) {
			return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
		}
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// unavailableReply reports whether an error reply means that Redis cannot serve the command
// now (out of memory, loading, busy with a script, a replica, a cluster or persistence
// failure) rather than that the command is wrong. Redis 5 and 6 report the error a script's
// redis.call got inside their own, as in "ERR Error running script (call to f_...):
// @user_script:49: -OOM command not allowed ..."; that inner reply counts.
func unavailableReply(msg string) bool {
	code, rest, _ := strings.Cut(msg, " ")
	if code == "ERR" && strings.HasPrefix(rest, "Error running script") {
		if i := strings.LastIndex(rest, ": -"); i >= 0 {
			code, _, _ = strings.Cut(rest[i+len(": -"):], " ")
		}
	}
	switch code {
	case "OOM", "LOADING", "BUSY", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "MISCONF", "NOREPLICAS":
		return true
	}
	return false
}
