package redisstore

import (
	"context"
	"crypto/sha1" // #nosec G505 -- SHA-1 names a Lua script for EVALSHA, as Redis requires; no security role
	"encoding/hex"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// script is a Lua script run with EVALSHA, falling back to EVAL only when Redis answers
// NOSCRIPT (its script cache was flushed or the server restarted), which proves the script did
// not run. No other failure is ever retried: after a timeout or a broken connection the script
// may have run, and running it again would count one request twice.
type script struct {
	src    string
	sha    string
	shaArg any // sha, converted to an interface once rather than on every call
}

func newScript(src string) *script {
	sum := sha1.Sum([]byte(src)) // #nosec G401 -- EVALSHA digest, not a security function
	sha := hex.EncodeToString(sum[:])
	return &script{src: src, sha: sha, shaArg: sha}
}

// run executes the script in one round trip (two only right after a NOSCRIPT answer).
func (s *script) run(ctx context.Context, c redis.UniversalClient, keys []string, args []any) (any, error) {
	a := make([]any, 0, 3+len(keys)+len(args))
	a = append(a, nil, nil, len(keys))
	for _, k := range keys {
		a = append(a, k)
	}
	return s.runArgs(ctx, c, append(a, args...))
}

// runArgs is run with the command's arguments laid out by the caller, to save copies on hot
// paths: a is {_, _, numkeys, keys..., args...}, and runArgs fills in its first two elements.
func (s *script) runArgs(ctx context.Context, c redis.UniversalClient, a []any) (any, error) {
	a[0], a[1] = "evalsha", s.shaArg
	cmd := evalCmd(ctx, a)
	err := c.Process(ctx, cmd)
	if err != nil && isNoScript(err) {
		b := append([]any{"eval", s.src}, a[2:]...) // a fresh slice: a belongs to the first command
		cmd = evalCmd(ctx, b)
		err = c.Process(ctx, cmd)
	}
	if err != nil {
		return nil, err
	}
	return cmd.Val(), nil
}

func isNoScript(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), "NOSCRIPT")
}

// noRetryCmd is a redis.Cmd that go-redis never sends twice: its retry loop honours NoRetry
// whatever the client's MaxRetries says, on a plain client and on a cluster client alike.
type noRetryCmd struct {
	*redis.Cmd
}

// NoRetry reports true: an EVALSHA that timed out may have run.
func (noRetryCmd) NoRetry() bool { return true }

// Clone keeps the NoRetry property on copies go-redis makes internally.
func (c noRetryCmd) Clone() redis.Cmder {
	if cc, ok := c.Cmd.Clone().(*redis.Cmd); ok {
		return noRetryCmd{cc}
	}
	return c.Cmd.Clone()
}

// evalCmd is the command for a = {"evalsha" or "eval", digest or body, numkeys, keys...,
// args...}.
func evalCmd(ctx context.Context, a []any) noRetryCmd {
	cmd := redis.NewCmd(ctx, a...)
	if n, _ := a[2].(int); n > 0 {
		cmd.SetFirstKeyPos(3) // so a cluster client routes by the first key
	}
	return noRetryCmd{cmd}
}
