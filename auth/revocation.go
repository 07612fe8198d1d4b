package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RevocationStore records which tokens must no longer verify. It holds two kinds of state:
//
//   - A generation counter per subject. Every token carries the generation its subject had when
//     it was signed, and a token whose generation is lower than the subject's current one is
//     revoked, so "log out everywhere" is a single [RevocationStore.IncrementGeneration].
//   - A denylist of token IDs, each entry kept until the expiry it was revoked with; after that
//     the token is dead anyway and the store may forget the entry.
//
// A [Keyring] configured with a store consults it (one [RevocationStore.Lookup]) on every
// verification and reads the generation when signing. Implementations must be safe for
// concurrent use. Every method takes the caller's context first and must return promptly with
// an error wrapping ctx.Err() once it is done. An error from the store never makes a token
// valid: verification fails with that error (not [ErrInvalidToken]), so callers can answer 503
// rather than log users out during an outage.
//
// [github.com/rampart-go/rampart/auth/authtest.TestRevocationStore] is the conformance test every
// implementation must pass. [MemoryRevocationStore] is the in-process implementation; the
// redisstore module provides a shared one.
type RevocationStore interface {
	// Generation returns subject's current generation: 0 for a subject never incremented.
	Generation(ctx context.Context, subject string) (uint64, error)

	// IncrementGeneration atomically adds one to subject's generation and returns the new
	// value. Concurrent increments are all counted. Counters must not expire or be evicted:
	// a counter that fell back to an earlier value would bring revoked tokens back to life.
	IncrementGeneration(ctx context.Context, subject string) (uint64, error)

	// Revoke puts id, a token of subject, on the denylist until expiry. Revoking an ID again
	// keeps the later of the two expiries. An expiry that is not in the future is a successful
	// no-op. The subject lets a store bound each user's share of the denylist (so one user
	// cannot fill it for everyone) and keep a user's entries beside their generation counter.
	Revoke(ctx context.Context, subject string, id TokenID, expiry time.Time) error

	// Lookup returns, in one round trip where the backend allows, subject's current generation
	// (as [RevocationStore.Generation] would) and whether id, revoked as a token of subject, is
	// on the denylist with an expiry still in the future. A store may file entries by subject,
	// since the keyring always looks a token up under the subject it names, and may drop a
	// subject's entries when its generation moves, since their tokens carry an older one.
	Lookup(ctx context.Context, subject string, id TokenID) (generation uint64, revoked bool, err error)
}

// RevokeOnceStore is a [RevocationStore] that can revoke an ID and tell, in the same atomic
// step, whether it was already revoked. [Sessions.ChangeRoles] and [Sessions.Reauthenticate]
// use it to retire the old session in one step with the check that nothing else retired it,
// so that of two replacements of one session racing from two requests exactly one wins: a
// demotion cannot be undone by a concurrent re-authentication, and a [Sessions.Logout] that
// lands first makes the replacement fail. (A logout of the old token that lands after a
// replacement ends only the old ID: the replacement lives on, as it would have had the two
// requests come one after the other.) With a store without it, a replacement checks the old
// session and revokes it after signing, and a racing request can slip between the two.
// [MemoryRevocationStore] and the redisstore module's store implement it.
type RevokeOnceStore interface {
	RevocationStore
	// RevokeOnce is [RevocationStore.Revoke] that reports whether this call put id on the
	// denylist (true) or found it there already with an expiry still in the future (false;
	// the later expiry is kept as by Revoke). Of concurrent calls for one id, at most one
	// reports true. An expiry that is not in the future revokes nothing and reports false.
	RevokeOnce(ctx context.Context, subject string, id TokenID, expiry time.Time) (bool, error)
}

// ErrRevocationStoreFull is returned by [MemoryRevocationStore] when recording a revocation would
// exceed its configured bounds even after expired entries were dropped. Revocation then fails
// loudly rather than silently forgetting an entry.
var ErrRevocationStoreFull = errors.New("auth: revocation store full")

// ErrNoRevocationStore is returned by [Keyring.Revoke], [Keyring.RevokeSubject] and the
// corresponding [Sessions] methods when the keyring has no [TokenConfig.Revocation] store.
var ErrNoRevocationStore = errors.New("auth: no revocation store configured")

// Revoke puts the token with claims c (as returned by [Keyring.Verify]) on the denylist of the
// keyring's [RevocationStore] until c.Expiry plus the leeway, after which it would fail anyway.
// Tokens of other IDs are unaffected. Pass c as Verify returned it: the store files the entry
// under c.Subject, and Verify looks it up under the token's own subject, so an entry filed
// under another spelling may never be found. Claims without a Subject or an Expiry are refused
// with an error wrapping [ErrInvalidClaims]. To revoke a session token known only by its ID
// (from an audit log, say), use [Sessions.RevokeID].
//
// Do not end a session this way: renewed tokens of a session share its ID and expire later
// than c, so they would verify again once c.Expiry passes. [Sessions.Logout] denylists the ID
// until the session's absolute deadline.
func (kr *Keyring) Revoke(ctx context.Context, c Claims) error {
	return kr.s.revoke(ctx, c.Subject, c.ID, c.Expiry)
}

func (kr *keyringState) revoke(ctx context.Context, subject string, id TokenID, expiry time.Time) error {
	if err := kr.checkRevoke(subject, id, expiry); err != nil {
		return err
	}
	if err := kr.store.Revoke(ctx, subject, id, expiry.Add(kr.leeway)); err != nil {
		return fmt.Errorf("auth: revoking token %v: %w", id, err)
	}
	return nil
}

// revokeOnce is revoke through [RevokeOnceStore.RevokeOnce]: it reports whether this call
// revoked id first.
func (kr *keyringState) revokeOnce(ctx context.Context, st RevokeOnceStore, subject string, id TokenID, expiry time.Time) (bool, error) {
	if err := kr.checkRevoke(subject, id, expiry); err != nil {
		return false, err
	}
	first, err := st.RevokeOnce(ctx, subject, id, expiry.Add(kr.leeway))
	if err != nil {
		return false, fmt.Errorf("auth: revoking token %v: %w", id, err)
	}
	return first, nil
}

// checkRevoke refuses a revocation that no store could honour.
func (kr *keyringState) checkRevoke(subject string, id TokenID, expiry time.Time) error {
	if kr.store == nil {
		return ErrNoRevocationStore
	}
	if subject == "" {
		// Stores may keep entries by subject and Lookup passes the token's own: an entry
		// without one would never be found.
		return fmt.Errorf("auth: revoking token %v: no subject: %w", id, ErrInvalidClaims)
	}
	if expiry.IsZero() {
		// Claims that did not come from Verify (an ID typed in by an operator): the entry
		// would expire at once and the token keep verifying.
		return fmt.Errorf("auth: revoking token %v: no expiry: %w", id, ErrInvalidClaims)
	}
	return nil
}

// RevokeSubject revokes every token of subject signed so far ("log out everywhere"): one
// increment of the subject's generation in the keyring's [RevocationStore]. Tokens signed
// afterwards carry the new generation and verify.
func (kr *Keyring) RevokeSubject(ctx context.Context, subject string) error {
	if kr.s.store == nil {
		return ErrNoRevocationStore
	}
	if _, err := kr.s.store.IncrementGeneration(ctx, subject); err != nil {
		return fmt.Errorf("auth: revoking the tokens of %q: %w", subject, err)
	}
	return nil
}
