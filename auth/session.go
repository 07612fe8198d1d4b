package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Defaults of [SessionConfig].
const (
	DefaultSessionIdleTimeout     = 30 * time.Minute
	DefaultSessionAbsoluteTimeout = 12 * time.Hour
	DefaultSessionPurpose         = "session"
)

// SessionConfig holds the optional settings of [Sessions]. The zero value gives 30-minute idle
// and 12-hour absolute timeouts, renewal after half the idle window, and the purpose "session".
type SessionConfig struct {
	// IdleTimeout ends a session that has not been renewed for this long: each token expires
	// IdleTimeout after it was issued. Zero means [DefaultSessionIdleTimeout].
	IdleTimeout time.Duration

	// AbsoluteTimeout ends a session this long after the login, however active it is; renewal
	// never extends it. At least IdleTimeout. Zero means [DefaultSessionAbsoluteTimeout].
	AbsoluteTimeout time.Duration

	// RenewAfter is how old a token must be before [Sessions.Renew] re-issues it, so that busy
	// clients do not get a new token (and cookie) on every request. Less than IdleTimeout. Zero
	// means half of IdleTimeout.
	RenewAfter time.Duration

	// Purpose is the token purpose of session tokens. Zero means [DefaultSessionPurpose].
	// Services that run several kinds of session (say, users and admins) give each its own.
	Purpose string
}

// Sessions manages login sessions carried entirely in tokens signed by a [Keyring]: no
// server-side session table, only the keyring's [RevocationStore] (if any) for logouts.
//
// A session starts with [Sessions.Login], which mints a new random session ID (so a session
// identifier planted before login is worthless). [Sessions.Verify] enforces the idle and
// absolute timeouts; [Sessions.Renew] slides the idle window; [Sessions.ChangeRoles] and
// [Sessions.Reauthenticate] replace the token (and its ID) on privilege changes;
// [Sessions.Fresh] tells whether the user proved their identity recently enough for a sensitive
// operation. The session ID survives renewals, so [Sessions.Logout] ends the session for good.
//
// Make one with [NewSessions]; it is safe for concurrent use.
type Sessions struct {
	kr         *Keyring
	idle       time.Duration
	absolute   time.Duration
	renewAfter time.Duration
	purpose    string
}

// NewSessions returns a session manager signing with kr. It fails for inconsistent settings.
func NewSessions(kr *Keyring, cfg SessionConfig) (*Sessions, error) {
	if kr == nil {
		return nil, errors.New("auth: NewSessions needs a Keyring")
	}
	s := &Sessions{kr: kr, idle: cfg.IdleTimeout, absolute: cfg.AbsoluteTimeout, renewAfter: cfg.RenewAfter, purpose: cfg.Purpose}
	if s.idle == 0 {
		s.idle = DefaultSessionIdleTimeout
	}
	if s.absolute == 0 {
		s.absolute = DefaultSessionAbsoluteTimeout
	}
	if s.renewAfter == 0 {
		s.renewAfter = s.idle / 2
	}
	if s.purpose == "" {
		s.purpose = DefaultSessionPurpose
	}
	switch {
	case s.idle < time.Second:
		return nil, errors.New("auth: SessionConfig.IdleTimeout must be at least one second")
	case s.absolute < s.idle:
		return nil, errors.New("auth: SessionConfig.AbsoluteTimeout must be at least IdleTimeout")
	case s.renewAfter < 0 || s.renewAfter >= s.idle:
		return nil, errors.New("auth: SessionConfig.RenewAfter must be between 0 and IdleTimeout")
	}
	if err := checkTokenPurpose(s.purpose); err != nil {
		return nil, err
	}
	return s, nil
}

// Deadline returns the absolute end of the session c: its login time plus the absolute timeout.
func (s *Sessions) Deadline(c Claims) time.Time { return c.AuthTime.Add(s.absolute) }

// issue signs a session token issued at now for a session that started (authenticated) at
// authTime.
func (s *Sessions) issue(ctx context.Context, c Claims, now time.Time, keepGeneration bool) (string, Claims, error) {
	c.IssuedAt = now
	c.NotBefore = time.Time{}
	c.Expiry = now.Add(s.idle)
	if d := s.Deadline(c); d.Before(c.Expiry) {
		c.Expiry = d
	}
	return s.kr.s.sign(ctx, s.purpose, c, keepGeneration)
}

// Login starts a new session for c.Subject with c.Roles and c.Extra, after the caller has
// authenticated the user. It draws a new session ID and stamps the login time as
// [Claims.AuthTime]; other fields of c are ignored. It returns the token to hand to the client
// (see [SessionCookie.Set]) and the claims it carries.
//
// If the request carried a previous session, end it with [Sessions.Logout].
func (s *Sessions) Login(ctx context.Context, c Claims) (string, Claims, error) {
	now := s.kr.s.now()
	return s.issue(ctx, Claims{Subject: c.Subject, Roles: c.Roles, Extra: c.Extra, AuthTime: now}, now, false)
}

// Verify checks a session token at the current time. See [Sessions.VerifyAt].
func (s *Sessions) Verify(ctx context.Context, token string) (Claims, error) {
	return s.VerifyAt(ctx, s.kr.s.now(), token)
}

// VerifyAt checks a session token as of t, with the errors of [Keyring.VerifyAt]: the idle
// timeout shows as [ErrExpired], and so does the absolute timeout (which is checked against the
// current configuration, so shortening it takes effect at once).
func (s *Sessions) VerifyAt(ctx context.Context, t time.Time, token string) (Claims, error) {
	return s.verifyAt(ctx, t, token, nil)
}

// verifyAt is VerifyAt with the roles storage of [keyringState.verify].
func (s *Sessions) verifyAt(ctx context.Context, t time.Time, token string, roles []string) (Claims, error) {
	c, err := s.kr.s.verify(ctx, t, s.purpose, token, roles)
	if err != nil {
		return Claims{}, err
	}
	if c.AuthTime.IsZero() {
		return Claims{}, ErrInvalidToken
	}
	if !t.Before(s.Deadline(c).Add(s.kr.s.leeway)) {
		return Claims{}, errTokenExpired
	}
	return c, nil
}

// Renew re-issues the session c (claims from [Sessions.Verify]) with a fresh idle window if
// at least RenewAfter has passed since its token was issued. It returns "" when no renewal is
// due, or when a new token would not expire later than the current one because the absolute
// deadline is near. The new token keeps the session ID, login time, roles, extra data and
// revocation generation.
func (s *Sessions) Renew(ctx context.Context, c Claims) (string, error) {
	return s.RenewAt(ctx, s.kr.s.now(), c)
}

// RenewAt is [Sessions.Renew] as of t.
func (s *Sessions) RenewAt(ctx context.Context, t time.Time, c Claims) (string, error) {
	tok, _, err := s.renew(ctx, t, c)
	return tok, err
}

// renew is RenewAt returning the new claims too.
func (s *Sessions) renew(ctx context.Context, t time.Time, c Claims) (string, Claims, error) {
	if t.Sub(c.IssuedAt) < s.renewAfter || c.AuthTime.IsZero() {
		return "", Claims{}, nil
	}
	exp := t.Add(s.idle)
	if d := s.Deadline(c); d.Before(exp) {
		exp = d
	}
	if exp.Unix() <= c.Expiry.Unix() {
		return "", Claims{}, nil
	}
	return s.issue(ctx, c, t, true)
}

// ChangeRoles replaces the session c by one with the given roles, as required whenever a
// user's privileges change: the new token has a new session ID, the old one is revoked. The
// login time, and so the absolute deadline and freshness, are kept. A session logged out since
// c was verified is not replaced: ChangeRoles then fails with an [ErrInvalidToken] matching
// [ErrRevoked]. With a [RevokeOnceStore] (the memory and Redis stores are), the old ID is
// revoked last, atomically with the check that no other call revoked it, so of concurrent
// replacements of one session (a demotion racing with a re-authentication, say) exactly one
// succeeds and the others fail with ErrRevoked; roles that cannot be signed change nothing.
//
// If the store cannot record the old token's revocation because it is full
// ([ErrRevocationStoreFull]), every session of the user is ended instead, this one included,
// and ChangeRoles fails with an error wrapping ErrRevocationStoreFull: the user logs in again.
//
// Without a [RevocationStore] the old token cannot be revoked: it stays valid until its idle
// expiry and, since renewal keeps its session ID, [Sessions.Renew] (and so the cookie-mode
// [Middleware]) keeps renewing it, with the old roles, until the session's absolute deadline.
// Configure a store wherever privileges can be reduced.
func (s *Sessions) ChangeRoles(ctx context.Context, c Claims, roles []string) (string, Claims, error) {
	// The generation is kept, so that a "log out everywhere" racing with this call still ends
	// the new session too.
	next := Claims{Subject: c.Subject, Roles: roles, Extra: c.Extra, AuthTime: c.AuthTime, Generation: c.Generation}
	return s.replace(ctx, c, next, s.kr.s.now())
}

// Reauthenticate replaces the session c after the user proved their identity again (entered
// their password for a sensitive operation): a new session ID, a new login time (so
// [Sessions.Fresh] holds and the absolute deadline restarts), the same roles and extra data.
// The old token is revoked as by [Sessions.ChangeRoles], and the revocation generation is kept
// as there, so that a re-authentication racing with "log out everywhere" yields no live session;
// a session logged out since c was verified is refused as by ChangeRoles, and a full store
// ends every session of the user as there.
func (s *Sessions) Reauthenticate(ctx context.Context, c Claims) (string, Claims, error) {
	now := s.kr.s.now()
	next := Claims{Subject: c.Subject, Roles: c.Roles, Extra: c.Extra, AuthTime: now, Generation: c.Generation}
	return s.replace(ctx, c, next, now)
}

// replace retires the session c and signs next, its replacement, at now. With a
// [RevokeOnceStore], next is signed first (so claims it cannot sign change nothing), c's
// generation is checked, and only then is the old ID revoked, atomically with the check that
// nobody had revoked it: of concurrent replacements of c, one wins and the others fail with
// ErrRevoked, and nothing can fail after the revocation. Otherwise c is checked, next signed
// and c revoked, in that order.
func (s *Sessions) replace(ctx context.Context, c Claims, next Claims, now time.Time) (string, Claims, error) {
	st, once := s.kr.s.store.(RevokeOnceStore)
	if !once {
		if err := s.checkNotRevoked(ctx, c); err != nil {
			return "", Claims{}, err
		}
	}
	tok, nc, err := s.issue(ctx, next, now, true)
	if err != nil {
		return "", Claims{}, err
	}
	if !once {
		if err := s.endOld(ctx, c); err != nil {
			return "", Claims{}, err
		}
		return tok, nc, nil
	}
	// The new token carries c's generation: a "log out everywhere" after this read still
	// ends it. The token is discarded unless the revocation below is this call's.
	g, err := st.Generation(ctx, c.Subject)
	if err != nil {
		return "", Claims{}, fmt.Errorf("auth: revocation lookup: %w", err)
	}
	if c.Generation < g {
		return "", Claims{}, errTokenRevoked
	}
	first, err := s.kr.s.revokeOnce(ctx, st, c.Subject, c.ID, s.Deadline(c))
	if err != nil {
		return "", Claims{}, s.fullStoreFallback(ctx, c, err)
	}
	if !first {
		return "", Claims{}, errTokenRevoked
	}
	return tok, nc, nil
}

// checkNotRevoked fails with an [ErrInvalidToken] matching [ErrRevoked] if the session c was
// logged out (its ID denylisted, or its generation outdated) since its claims were verified, so
// that replacing it under a new ID cannot revive it. Without a store there is nothing to check.
func (s *Sessions) checkNotRevoked(ctx context.Context, c Claims) error {
	st := s.kr.s.store
	if st == nil {
		return nil
	}
	g, revoked, err := st.Lookup(ctx, c.Subject, c.ID)
	if err != nil {
		return fmt.Errorf("auth: revocation lookup: %w", err)
	}
	if revoked || c.Generation < g {
		return errTokenRevoked
	}
	return nil
}

// endOld revokes the replaced session c. A store that refuses the entry as full (a user at
// their share of the denylist, say) must not leave c valid with its old roles: every session of
// the user is ended instead, the replacement included (it carries c's generation), and the
// error, still wrapping [ErrRevocationStoreFull], says so.
func (s *Sessions) endOld(ctx context.Context, c Claims) error {
	if s.kr.s.store == nil {
		return nil
	}
	return s.fullStoreFallback(ctx, c, s.kr.s.revoke(ctx, c.Subject, c.ID, s.Deadline(c)))
}

// fullStoreFallback returns err, the error of revoking the session c; when it wraps
// [ErrRevocationStoreFull], every session of the user is ended first, and the error says so.
func (s *Sessions) fullStoreFallback(ctx context.Context, c Claims, err error) error {
	if errors.Is(err, ErrRevocationStoreFull) {
		if _, gerr := s.kr.s.store.IncrementGeneration(ctx, c.Subject); gerr == nil {
			return fmt.Errorf("%w; every session of the user was ended instead", err)
		}
	}
	return err
}

// Logout ends the session c, as [Sessions.Verify] returned it: its ID goes on the denylist
// until the session's absolute deadline, so no renewed token of it verifies again. It fails
// with [ErrNoRevocationStore] without a store; then the best a service can do is clear the
// cookie ([SessionCookie.Clear]). Claims without a Subject or an AuthTime (not from Verify)
// are refused with an error wrapping [ErrInvalidClaims]; to end a session known only by its
// ID, use [Sessions.RevokeID].
//
// If the store refuses the entry as full ([ErrRevocationStoreFull]: other users filled the
// denylist, say), the session must not stay valid: every session of the user is ended instead
// ([Sessions.LogoutEverywhere]), and Logout returns nil if that succeeded.
func (s *Sessions) Logout(ctx context.Context, c Claims) error {
	if c.AuthTime.IsZero() {
		return fmt.Errorf("auth: logout of session %v: no login time: %w", c.ID, ErrInvalidClaims)
	}
	err := s.kr.s.revoke(ctx, c.Subject, c.ID, s.Deadline(c))
	if errors.Is(err, ErrRevocationStoreFull) {
		if _, gerr := s.kr.s.store.IncrementGeneration(ctx, c.Subject); gerr == nil {
			return nil
		}
	}
	return err
}

// RevokeID ends the session of subject whose ID is id, for when only the ID is known (an
// operator copied it from an audit log; see [ParseTokenID]). Every token of a session expires
// by its login time plus the absolute timeout, and the login time of a session that exists is
// not later than now, so the ID goes on the denylist until now plus the absolute timeout (and
// the leeway). Errors are those of [Sessions.Logout], without the fallback: a full store's
// error is returned, and [Sessions.LogoutEverywhere] is then the remedy.
func (s *Sessions) RevokeID(ctx context.Context, subject string, id TokenID) error {
	return s.kr.s.revoke(ctx, subject, id, s.kr.s.now().Add(s.absolute))
}

// LogoutEverywhere ends every session of subject started so far, as [Keyring.RevokeSubject].
func (s *Sessions) LogoutEverywhere(ctx context.Context, subject string) error {
	return s.kr.RevokeSubject(ctx, subject)
}

// Fresh reports whether the user of session c authenticated within the last d, for operations
// (changing a password or e-mail address, deleting an account) that demand a recent proof of
// identity. When it is false, ask for the password again and call [Sessions.Reauthenticate].
func (s *Sessions) Fresh(c Claims, d time.Duration) bool { return s.FreshAt(s.kr.s.now(), c, d) }

// FreshAt is [Sessions.Fresh] as of t: whether c.AuthTime lies within d before t.
func (s *Sessions) FreshAt(t time.Time, c Claims, d time.Duration) bool {
	if c.AuthTime.IsZero() || d <= 0 {
		return false
	}
	age := t.Sub(c.AuthTime)
	return age <= d && age > -time.Second
}
