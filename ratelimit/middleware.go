package ratelimit

import (
	"errors"
	"net/http"
	"strconv"
	"time"
)

// KeyFunc returns the rate-limit key of a request: the client's address ([ClientIP.Key]), the
// authenticated user, an API key's ID, a route joined with any of those... An error stops the
// request (see MiddlewareConfig.OnError).
type KeyFunc func(r *http.Request) (string, error)

// MiddlewareConfig holds the optional settings of [Limiter.Middleware]. The zero value
// charges one unit per request, exempts nothing, sends the RateLimit-Policy and RateLimit
// headers, and answers refusals with 429 and errors with 503 (400 for an unusable client
// address).
type MiddlewareConfig struct {
	// Cost returns the units a request spends (a bulk call may cost more). Nil means 1. A cost
	// outside [0, capacity] is an error ([ErrCost]).
	Cost func(r *http.Request) int
	// Exempt reports whether a request bypasses the limiter entirely (health checks, an
	// allow-listed partner). Nil exempts nothing.
	Exempt func(r *http.Request) bool
	// OnDeny writes the response to a refused request. The middleware has already set the
	// RateLimit-Policy, RateLimit and Retry-After headers. Nil means a 429 Too Many Requests
	// with an RFC 9457 application/problem+json body.
	OnDeny func(w http.ResponseWriter, r *http.Request, d Decision)
	// OnError writes the response when no decision could be made: the key function failed,
	// the cost was out of range, or the store failed and the limiter fails closed. Nil means a
	// problem+json 400 Bad Request for an [ErrClientIP] error and 503 Service Unavailable
	// otherwise; the error text is never sent to the client. When the store fails and the
	// limiter fails open, the request proceeds and OnError is not called.
	OnError func(w http.ResponseWriter, r *http.Request, err error)
	// Observe, if set, is called with every decision (and error) before the response is
	// written: the place for metrics and logs, and for watching a dry run.
	Observe func(r *http.Request, d Decision, err error)
	// DryRun computes and reports decisions (to Observe, and in the headers) but never
	// refuses a request: for rolling out a new limit safely.
	DryRun bool
	// LegacyHeaders also sends X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset
	// (seconds until the quota is restored) for clients that predate the RateLimit fields.
	LegacyHeaders bool
}

// Middleware returns net/http middleware that charges each request to the key returned by key
// and refuses it when any policy is exhausted. It panics if key is nil.
//
// Every response carries RateLimit-Policy and RateLimit headers
// (draft-ietf-httpapi-ratelimit-headers-10); a refusal is a 429 with Retry-After in whole
// seconds, rounded up, so a client that waits that long is admitted. Compose several
// middlewares for per-route limits; give one Limiter several policies for several limits in
// one decision.
func (l *Limiter) Middleware(key KeyFunc, cfg MiddlewareConfig) func(http.Handler) http.Handler {
	if key == nil {
		panic("ratelimit: Middleware needs a key function")
	}
	onDeny := cfg.OnDeny
	if onDeny == nil {
		onDeny = deny
	}
	onError := cfg.OnError
	if onError == nil {
		onError = failure
	}
	names := make([]string, len(l.policies))
	for i, p := range l.policies {
		names[i] = p.HeaderName()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if cfg.Exempt != nil && cfg.Exempt(r) {
				next.ServeHTTP(w, r)
				return
			}
			var d Decision
			k, err := key(r)
			if err == nil {
				cost := 1
				if cfg.Cost != nil {
					cost = cfg.Cost(r)
				}
				d, err = l.decide(r.Context(), k, time.Time{}, cost, false)
			}
			if cfg.Observe != nil {
				cfg.Observe(r, d, err)
			}
			if err != nil {
				if cfg.DryRun || (d.Allowed && errors.Is(err, ErrStore)) {
					next.ServeHTTP(w, r)
					return
				}
				onError(w, r, err)
				return
			}
			h := w.Header()
			h["Ratelimit-Policy"] = l.header
			var buf [128]byte
			vals := new([2]string) // one allocation for both header values
			vals[0] = string(appendRateLimit(buf[:0], names[d.Policy], d))
			h["Ratelimit"] = vals[0:1:1]
			if cfg.LegacyHeaders {
				h["X-Ratelimit-Limit"] = []string{strconv.Itoa(d.Limit)}
				h["X-Ratelimit-Remaining"] = []string{strconv.Itoa(d.Remaining)}
				h["X-Ratelimit-Reset"] = []string{strconv.FormatInt(ceilSeconds(d.Reset), 10)}
			}
			if d.Allowed || cfg.DryRun {
				next.ServeHTTP(w, r)
				return
			}
			vals[1] = strconv.FormatInt(d.RetryAfterSeconds(), 10) // no allocation below 100
			h["Retry-After"] = vals[1:2:2]
			onDeny(w, r, d)
		})
	}
}

// RetryAfterSeconds is the Retry-After value for d: RetryAfter in whole seconds, rounded up and
// at least 1 for a refusal, so that a client that waits that long is admitted; 0 when allowed.
func (d Decision) RetryAfterSeconds() int64 {
	if d.Allowed {
		return 0
	}
	return max(ceilSeconds(d.RetryAfter), 1)
}

func deny(w http.ResponseWriter, _ *http.Request, d Decision) {
	writeProblem(w, http.StatusTooManyRequests,
		"Rate limit exceeded; retry after "+strconv.FormatInt(d.RetryAfterSeconds(), 10)+" seconds.")
}

func failure(w http.ResponseWriter, _ *http.Request, err error) {
	if errors.Is(err, ErrClientIP) {
		writeProblem(w, http.StatusBadRequest, "The client address could not be determined.")
		return
	}
	writeProblem(w, http.StatusServiceUnavailable, "The request could not be checked against the rate limit.")
}

// writeProblem writes an RFC 9457 problem details body.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"type":"about:blank","title":"` + http.StatusText(status) +
		`","status":` + strconv.Itoa(status) + `,"detail":"` + detail + `"}`))
}
