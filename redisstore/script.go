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
	src string
	sha string
}

func newScript(src string) *script {
	sum := sha1.Sum([]byte(src)) // #nosec G401 -- EVALSHA digest, not a security function
	return &script{src: src, sha: hex.EncodeToString(sum[:])}
}

// run executes the script in one round trip (two only right after a NOSCRIPT answer).
func (s *script) run(ctx context.Context, c redis.UniversalClient, keys []string, args []any) (any, error) {
	cmd := evalCmd(ctx, "evalsha", s.sha, keys, args)
	err := c.Process(ctx, cmd)
	if err != nil && isNoScript(err) {
		cmd = evalCmd(ctx, "eval", s.src, keys, args)
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

func evalCmd(ctx context.Context, name, body string, keys []string, args []any) noRetryCmd {
	a := make([]any, 0, 3+len(keys)+len(args))
	a = append(a, name, body, len(keys))
	for _, k := range keys {
		a = append(a, k)
	}
	a = append(a, args...)
	cmd := redis.NewCmd(ctx, a...)
	if len(keys) > 0 {
		cmd.SetFirstKeyPos(3) // so a cluster client routes by the first key
	}
	return noRetryCmd{cmd}
}
