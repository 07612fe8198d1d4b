package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrWeakPassword is matched (with [errors.Is]) by every [*PolicyError].
var ErrWeakPassword = errors.New("auth: password does not meet the policy")

// PolicyReason is one reason a [PasswordPolicy] rejected a password: a stable code that a UI
// can map to its own, translated, message ([PolicyError.Messages] gives English ones).
type PolicyReason string

// The reasons a password can be rejected.
const (
	PolicyTooShort   PolicyReason = "too_short"  // fewer code points than MinLength
	PolicyTooLong    PolicyReason = "too_long"   // more code points than MaxLength
	PolicyInvalid    PolicyReason = "invalid"    // not UTF-8, or has control characters
	PolicyCommon     PolicyReason = "common"     // on the embedded list of common passwords
	PolicyRepetitive PolicyReason = "repetitive" // repeated or sequential characters: aaaaaaaa, 12345678, abcabcabc
	PolicyContext    PolicyReason = "context"    // contains a context word: the user name, the service name
	PolicyBreached   PolicyReason = "breached"   // a BreachChecker reported it compromised
)

// PolicyError is the error [PasswordPolicy.Check] returns for a rejected password. It
// matches [ErrWeakPassword].
type PolicyError struct {
	// Reasons lists every reason found, in the order of the constants above.
	Reasons []PolicyReason
	// MinLength and MaxLength are the policy's bounds in code points, for messages.
	MinLength, MaxLength int
}

// Error returns "auth: password rejected: " and the reason codes.
func (e *PolicyError) Error() string {
	codes := make([]string, len(e.Reasons))
	for i, r := range e.Reasons {
		codes[i] = string(r)
	}
	return "auth: password rejected: " + strings.Join(codes, ", ")
}

// Unwrap returns [ErrWeakPassword].
func (e *PolicyError) Unwrap() error { return ErrWeakPassword }

// Messages returns one English sentence per reason, suitable to show the user.
func (e *PolicyError) Messages() []string {
	msgs := make([]string, 0, len(e.Reasons))
	for _, r := range e.Reasons {
		switch r {
		case PolicyTooShort:
			msgs = append(msgs, fmt.Sprintf("Use at least %d characters.", e.MinLength))
		case PolicyTooLong:
			msgs = append(msgs, fmt.Sprintf("Use at most %d characters.", e.MaxLength))
		case PolicyInvalid:
			msgs = append(msgs, "Use only printable characters.")
		case PolicyCommon:
			msgs = append(msgs, "This password is too common. Choose one that is harder to guess.")
		case PolicyRepetitive:
			msgs = append(msgs, "Avoid repeated or sequential characters such as aaaa or 1234.")
		case PolicyContext:
			msgs = append(msgs, "Do not use your user name or the name of this service in your password.")
		case PolicyBreached:
			msgs = append(msgs, "This password has appeared in a data breach. Choose a different one.")
		default:
			msgs = append(msgs, "Choose a different password.")
		}
	}
	return msgs
}

// BreachChecker reports whether a password is known to be compromised, for instance by asking
// a breached-password service (a k-anonymity range query sends only a hash prefix). The
// password it receives is NFKC-normalized. It must be safe for concurrent use. An error means
// the check could not be made; [PasswordPolicy.Check] returns it, wrapped, so that the caller
// decides whether to fail closed (refuse the password) or open.
type BreachChecker interface {
	Breached(ctx context.Context, password string) (bool, error)
}

// BreachCheckerFunc adapts a function to [BreachChecker].
type BreachCheckerFunc func(ctx context.Context, password string) (bool, error)

// Breached calls f.
func (f BreachCheckerFunc) Breached(ctx context.Context, password string) (bool, error) {
	return f(ctx, password)
}

// PasswordPolicy decides whether a new password is acceptable, following NIST SP 800-63B
// (revision 4, section 3.1.1.2): lengths count Unicode code points after NFKC normalization,
// there are no composition rules (no "one digit, one symbol"), and the password is checked
// against a blocklist of common, repetitive and context-specific values and, optionally,
// breached-password services.
//
// The zero value is ready to use: 8 to 64 code points and every built-in check. Check
// passwords when they are set or changed, not at login.
type PasswordPolicy struct {
	// MinLength in code points. Default 8, the least NIST allows; NIST asks for 15 when the
	// password is the only authentication factor.
	MinLength int
	// MaxLength in code points. Default 64; NIST asks to permit at least 64. Keep it within
	// [HasherConfig.MaxPasswordBytes] (1024 bytes: 256 code points of up to 4 bytes).
	MaxLength int
	// ContextWords are rejected as part of any password: the service name, the domain. Words
	// specific to one user (the user name, the e-mail address) go to [PasswordPolicy.Check].
	ContextWords []string
	// BreachCheckers are consulted, in order, for a password that passed every other check.
	BreachCheckers []BreachChecker
}

const (
	defaultPolicyMin   = 8
	defaultPolicyMax   = 64
	nistMinLength      = 8
	nistMaxLengthFloor = 64
	minContextToken    = 4 // shorter parts of context words are only rejected as the whole password
)

// Check returns nil if password is acceptable, a [*PolicyError] (matching [ErrWeakPassword])
// listing every reason if it is not, or another error if the policy is misconfigured or a
// [BreachChecker] failed. contextWords are words specific to this user, such as the user name
// and e-mail address: a password containing one (ignoring case) is rejected.
func (p *PasswordPolicy) Check(ctx context.Context, password string, contextWords ...string) error {
	minLen, maxLen := p.MinLength, p.MaxLength
	if minLen == 0 {
		minLen = defaultPolicyMin
	}
	if maxLen == 0 {
		maxLen = max(defaultPolicyMax, minLen)
	}
	switch {
	case minLen < nistMinLength:
		return fmt.Errorf("auth: PasswordPolicy.MinLength %d is below NIST SP 800-63B's minimum of %d", minLen, nistMinLength)
	case maxLen < nistMaxLengthFloor:
		return fmt.Errorf("auth: PasswordPolicy.MaxLength %d is below the %d NIST SP 800-63B asks to permit", maxLen, nistMaxLengthFloor)
	case maxLen < minLen:
		return fmt.Errorf("auth: PasswordPolicy.MaxLength %d is below MinLength %d", maxLen, minLen)
	}
	perr := &PolicyError{MinLength: minLen, MaxLength: maxLen}
	reject := func(r PolicyReason) error {
		perr.Reasons = append(perr.Reasons, r)
		return perr
	}
	// Bound the work before normalizing: more than 64 bytes per allowed code point is too long
	// whatever it normalizes to (composition merges a few code points into one, not dozens).
	if len(password) > 16*4*maxLen {
		return reject(PolicyTooLong)
	}
	if !utf8.ValidString(password) {
		return reject(PolicyInvalid)
	}
	pw := norm.NFKC.String(password)
	n := utf8.RuneCountInString(pw)
	if strings.ContainsFunc(pw, unicode.IsControl) {
		perr.Reasons = append(perr.Reasons, PolicyInvalid)
	}
	if n < minLen {
		perr.Reasons = append(perr.Reasons, PolicyTooShort)
	}
	if n > maxLen {
		perr.Reasons = append(perr.Reasons, PolicyTooLong)
		return perr // no further checks on an over-long input
	}
	lower := strings.ToLower(pw)
	if isCommonPassword(lower) {
		perr.Reasons = append(perr.Reasons, PolicyCommon)
	}
	if isRepetitive(lower) {
		perr.Reasons = append(perr.Reasons, PolicyRepetitive)
	}
	if containsContextWord(lower, p.ContextWords) || containsContextWord(lower, contextWords) {
		perr.Reasons = append(perr.Reasons, PolicyContext)
	}
	if len(perr.Reasons) > 0 {
		return perr
	}
	for _, c := range p.BreachCheckers {
		breached, err := c.Breached(ctx, pw)
		if err != nil {
			return fmt.Errorf("auth: breached-password check: %w", err)
		}
		if breached {
			return reject(PolicyBreached)
		}
	}
	return nil
}

// containsContextWord reports whether lower (a normalized, lower-cased password) equals one
// of words or contains one of their parts of at least minContextToken code points (words are
// split at anything but letters and digits, so "alice.smith@example.com" gives "alice",
// "smith", "example").
func containsContextWord(lower string, words []string) bool {
	for _, w := range words {
		w = strings.ToLower(norm.NFKC.String(w))
		if w == "" {
			continue
		}
		if w == lower {
			return true
		}
		if utf8.RuneCountInString(w) >= minContextToken && strings.Contains(lower, w) {
			return true
		}
		for tok := range strings.FieldsFuncSeq(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if tok == lower || (utf8.RuneCountInString(tok) >= minContextToken && strings.Contains(lower, tok)) {
				return true
			}
		}
	}
	return false
}
