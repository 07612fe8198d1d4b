package ratelimit

import "time"

// Decision is the outcome of one rate-limit check.
//
// When a [Limiter] enforces several policies, its Decision describes the binding one: for a
// refusal, the refusing policy with the longest RetryAfter; for an admission, the policy with the
// fewest units remaining. Policy is that policy's index in the list given to [New].
type Decision struct {
	// Allowed reports whether the request is admitted (and, unless it was a Peek, charged).
	Allowed bool
	// Limit is the binding policy's Limit.
	Limit int
	// Remaining is how many more cost units the binding policy would admit right now (after
	// this request's cost, if it was admitted and charged). It is never negative.
	Remaining int
	// RetryAfter is zero when Allowed. Otherwise it is how long the client must wait before the
	// same request can be admitted, assuming no other traffic on the key; a request made at or
	// after that moment is admitted.
	RetryAfter time.Duration
	// Reset is how long until the binding policy's quota is fully restored, assuming no
	// further traffic on the key.
	Reset time.Duration
	// Policy is the index of the binding policy.
	Policy int
}

// combine folds the per-policy decisions of one all-or-nothing check into one Decision.
func combine(ds []Decision) Decision {
	allowed := true
	for i := range ds {
		if !ds[i].Allowed {
			allowed = false
			break
		}
	}
	best := -1
	for i := range ds {
		d := &ds[i]
		switch {
		case allowed:
			if best < 0 || d.Remaining < ds[best].Remaining ||
				(d.Remaining == ds[best].Remaining && d.Reset > ds[best].Reset) {
				best = i
			}
		case !d.Allowed:
			if best < 0 || d.RetryAfter > ds[best].RetryAfter {
				best = i
			}
		}
	}
	out := ds[best]
	out.Allowed = allowed
	if allowed {
		out.RetryAfter = 0
	}
	return out
}
