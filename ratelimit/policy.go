package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Algorithm selects how a [Policy] counts requests.
type Algorithm uint8

const (
	// SlidingWindow is the sliding-window counter (Cloudflare's weighted two-window
	// approximation): O(1) memory per key (two counts and a window start). It never admits more
	// than Limit in one fixed window, and in any interval of length d ≤ Window it admits at most
	// Limit·(1 + d/Window) cost units, so there is no burst at a window boundary; in the adversarial
	// worst case an interval of one full Window can see up to twice the Limit. It is the zero
	// value and the default.
	SlidingWindow Algorithm = iota
	// TokenBucket is the generic cell rate algorithm (GCRA), equivalent to a token bucket that
	// refills Limit tokens per Window up to Burst tokens (the semantics of
	// golang.org/x/time/rate with r = Limit/Window and b = Burst). One timestamp per key; counts
	// are exact.
	TokenBucket
	// SlidingLog is the exact sliding-window log: it remembers the instant of every admitted cost
	// unit in the last Window and admits a request only if at most Limit units fall in any
	// interval of length Window. Memory is 8 bytes per unit admitted in the last Window (up to
	// 8·Limit bytes per key), so it is meant for small limits (at most [MaxLogLimit]), such as
	// login attempts.
	SlidingLog
)

// MaxLogLimit is the largest Limit a [SlidingLog] policy accepts.
const MaxLogLimit = 10_000

// Bounds on policies, chosen so that every computation fits in an int64 of nanoseconds and a
// store can keep time at microsecond resolution.
const (
	maxLimit  = math.MaxInt32 // an int on every platform; counts fit a uint32
	minWindow = time.Millisecond
	maxWindow = 10 * 366 * 24 * time.Hour
)

// String returns the algorithm's name: "sliding-window", "token-bucket" or "sliding-log".
func (a Algorithm) String() string {
	switch a {
	case SlidingWindow:
		return "sliding-window"
	case TokenBucket:
		return "token-bucket"
	case SlidingLog:
		return "sliding-log"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// Policy is one limit: at most Limit cost units per Window for each key, counted by Algorithm.
//
// A [Limiter] may enforce several policies at once (say 10 per second and 1000 per day); a
// request is admitted only if every policy admits it, and a refused request consumes nothing.
type Policy struct {
	// Name identifies the policy in the RateLimit-Policy and RateLimit response headers and in
	// store keys. Printable ASCII without '"' or '\\', at most 64 bytes. Empty means a name
	// derived from the limit and window, such as "10-in-1s".
	Name string
	// Algorithm is the counting algorithm; the zero value is [SlidingWindow].
	Algorithm Algorithm
	// Limit is the number of cost units admitted per Window, from 1 to 2³¹−1.
	Limit int
	// Window is the period the Limit applies to, from 1ms to 10 years. For [TokenBucket] it
	// sets the refill rate: one unit every Window/Limit (at least 1ns).
	Window time.Duration
	// Burst is the bucket capacity of a [TokenBucket] policy: how many units may be spent at
	// once after an idle period, at most 2³¹−1. Zero means Limit. A full refill (Burst·Window/Limit) may take
	// at most 10 years. Other algorithms require zero.
	Burst int
}

// ErrInvalidPolicy is wrapped by the error [New] returns for a malformed [Policy].
var ErrInvalidPolicy = errors.New("ratelimit: invalid policy")

// Validate reports whether p is well formed; the error wraps [ErrInvalidPolicy].
func (p Policy) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidPolicy, fmt.Sprintf(format, args...))
	}
	if p.Algorithm > SlidingLog {
		return bad("unknown algorithm %d", p.Algorithm)
	}
	if p.Limit < 1 || p.Limit > maxLimit {
		return bad("limit %d out of range [1, %d]", p.Limit, maxLimit)
	}
	if p.Window < minWindow || p.Window > maxWindow {
		return bad("window %v out of range [%v, %v]", p.Window, minWindow, maxWindow)
	}
	switch p.Algorithm {
	case TokenBucket:
		if p.Burst < 0 || p.Burst > maxLimit {
			return bad("burst %d out of range [0, %d]", p.Burst, maxLimit)
		}
		ival := int64(p.Window) / int64(p.Limit)
		if ival < 1 {
			return bad("rate %d per %v is finer than one unit per nanosecond", p.Limit, p.Window)
		}
		if int64(p.Capacity()) > int64(maxWindow)/ival {
			return bad("burst %d takes longer than %v to refill", p.Burst, maxWindow)
		}
	case SlidingLog:
		if p.Limit > MaxLogLimit {
			return bad("sliding-log limit %d above MaxLogLimit %d", p.Limit, MaxLogLimit)
		}
		fallthrough
	default:
		if p.Burst != 0 {
			return bad("burst is only meaningful for the token bucket")
		}
	}
	if len(p.Name) > 64 {
		return bad("name longer than 64 bytes")
	}
	for i := 0; i < len(p.Name); i++ {
		if c := p.Name[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return bad("name %q has a byte that is not printable ASCII or is a quote or backslash", p.Name)
		}
	}
	return nil
}

// Capacity is the largest cost one request can have under p: Burst (or Limit) for a
// [TokenBucket], Limit otherwise.
func (p Policy) Capacity() int {
	if p.Algorithm == TokenBucket && p.Burst > 0 {
		return p.Burst
	}
	return p.Limit
}

// ID is a stable identifier of the policy's name and parameters, for a [Store] to keep the
// state of different policies apart: "<name>/<algorithm>/<limit>/<window ns>/<burst>". Two
// policies with the same ID share state in a shared store.
func (p Policy) ID() string {
	return p.HeaderName() + "/" + p.Algorithm.String() + "/" + strconv.Itoa(p.Limit) + "/" +
		strconv.FormatInt(int64(p.Window), 10) + "/" + strconv.Itoa(p.Burst)
}

// HeaderName is the policy's name as sent in the RateLimit-Policy and RateLimit headers: Name,
// or "<limit>-in-<seconds>s" when Name is empty.
func (p Policy) HeaderName() string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(p.Limit) + "-in-" + strconv.FormatInt(ceilSeconds(p.Window), 10) + "s"
}

// ceilSeconds rounds d up to whole seconds, with a minimum of 1 for any positive d.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
