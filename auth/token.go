package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Limits of a token and its claims. [Keyring.Sign] rejects claims beyond them with
// [ErrInvalidClaims]; [Keyring.Verify] rejects longer tokens before decoding anything.
const (
	// MaxTokenLen is the longest token, in bytes of its text form.
	MaxTokenLen = 4096
	// MaxPurposeLen is the longest purpose string.
	MaxPurposeLen = 64
	// MaxSubjectLen is the longest [Claims.Subject].
	MaxSubjectLen = 255
	// MaxRoles is the largest number of [Claims.Roles]; MaxRoleLen the longest role.
	MaxRoles   = 32
	MaxRoleLen = 64
	// MaxExtraLen is the longest [Claims.Extra].
	MaxExtraLen = 1024
)

const (
	tokenVersion = 1
	tokenTagSize = 32
	// tokenFixedClaims is ID (16) + issued-at, not-before, expiry, auth time (8 each) + generation (8).
	tokenFixedClaims = 16 + 5*8
	// tokenMinBody is the smallest token: version, key ID length, 1-byte key ID, fixed claims,
	// 1-byte subject with its length, role count, extra length, tag.
	tokenMinBody      = 2 + 1 + tokenFixedClaims + 2 + 1 + 2 + tokenTagSize
	tokenMaxBody      = 2 + MaxKeyIDLen + tokenFixedClaims + 1 + MaxSubjectLen + 1 + MaxRoles*(1+MaxRoleLen) + 2 + MaxExtraLen + tokenTagSize
	tokenMACPrefixMax = 1 + MaxPurposeLen
)

// Errors of token signing and verification.
var (
	// ErrInvalidToken is the one error every rejected token yields: malformed, too long,
	// tampered with, signed by an unknown or retired key, minted for another purpose, expired,
	// not yet valid or revoked all look alike to errors.Is and to the client. Where the reason
	// cannot help an attacker because the MAC already verified, the error also matches
	// [ErrExpired], [ErrNotYetValid] or [ErrRevoked].
	ErrInvalidToken = errors.New("auth: invalid token")

	// ErrExpired is the cause of an [ErrInvalidToken] for an authentic token past its expiry
	// (plus leeway).
	ErrExpired = errors.New("auth: token expired")

	// ErrNotYetValid is the cause of an [ErrInvalidToken] for an authentic token used before its
	// not-before or issued-at time (minus leeway).
	ErrNotYetValid = errors.New("auth: token not yet valid")

	// ErrRevoked is the cause of an [ErrInvalidToken] for an authentic token whose ID is on the
	// denylist or whose generation is older than its subject's.
	ErrRevoked = errors.New("auth: token revoked")

	// ErrInvalidClaims is returned by [Keyring.Sign] for claims it cannot sign (an empty or
	// over-long subject, too many or over-long roles, oversized extra data, or an expiry not
	// after the issue time; the message says which), by [Keyring.Revoke] for claims without a
	// subject or an expiry, and by [Sessions.Logout] for claims without a login time: such
	// claims did not come from Verify, and revoking them would file an entry that expired at
	// once, a silent no-op.
	ErrInvalidClaims = errors.New("auth: invalid claims")

	// ErrInvalidPurpose is returned by [Keyring.Sign] and [Keyring.Verify] for a purpose that is
	// empty or longer than [MaxPurposeLen]: a programming error, not a bad token.
	ErrInvalidPurpose = errors.New("auth: purpose must be 1 to 64 bytes")
)

// tokenError is an ErrInvalidToken with a cause that is safe to reveal to the caller.
type tokenError struct{ cause error }

func (e *tokenError) Error() string   { return ErrInvalidToken.Error() + ": " + e.cause.Error() }
func (e *tokenError) Unwrap() []error { return []error{ErrInvalidToken, e.cause} }

var (
	errTokenExpired  error = &tokenError{ErrExpired}
	errTokenEarly    error = &tokenError{ErrNotYetValid}
	errTokenRevoked  error = &tokenError{ErrRevoked}
	tokenBase64            = base64.RawURLEncoding
	errClaimsSubject       = fmt.Errorf("%w: subject must be 1 to %d bytes", ErrInvalidClaims, MaxSubjectLen)
	errClaimsRoles         = fmt.Errorf("%w: at most %d roles of 1 to %d bytes each", ErrInvalidClaims, MaxRoles, MaxRoleLen)
	errClaimsExtra         = fmt.Errorf("%w: extra data longer than %d bytes", ErrInvalidClaims, MaxExtraLen)
	errClaimsTimes         = fmt.Errorf("%w: expiry must be after issued-at and not-before", ErrInvalidClaims)
	errClaimsTooLong       = fmt.Errorf("%w: token would exceed %d bytes", ErrInvalidClaims, MaxTokenLen)
)

// Claims are the statements a token carries. [Keyring.Sign] fills in IssuedAt, Expiry, ID and
// Generation when they are zero; [Keyring.Verify] returns them as signed. Times have one-second
// resolution and are returned in UTC.
type Claims struct {
	// Subject identifies the principal, typically a stable user ID (not an e-mail address that
	// may change hands): 1 to [MaxSubjectLen] bytes.
	Subject string

	// Roles are the principal's roles, checked by [Claims.HasRole] and
	// [Middleware.RequireRole]: at most [MaxRoles] of 1 to [MaxRoleLen] bytes.
	Roles []string

	// ID is the token's random 128-bit identifier, the key of its denylist entry. Zero means
	// "draw a new one", which is almost always right: never sign a revoked ID again, since a
	// store may forget the entries of a subject once its generation moves (see
	// [RevocationStore.Lookup]) and a new token with that ID would then verify.
	ID TokenID

	// IssuedAt is when the token was signed. Zero means now.
	IssuedAt time.Time

	// NotBefore, if set, is when the token starts to be valid.
	NotBefore time.Time

	// Expiry is when the token stops being valid. Zero means IssuedAt plus the keyring's TTL.
	Expiry time.Time

	// AuthTime is when the principal last proved their identity (entered a password), for
	// "fresh authentication" checks; see [Sessions.Fresh]. Zero means unknown.
	AuthTime time.Time

	// Generation is the subject's revocation generation when the token was signed. A keyring
	// with a [RevocationStore] sets it; set it yourself only without one.
	Generation uint64

	// Extra carries caller-defined claims, at most [MaxExtraLen] bytes, authenticated but not
	// encrypted (anyone holding the token can read it). Encode a typed value into it with
	// AppendBinary/UnmarshalBinary or encoding/binary; see the Keyring.Sign example.
	Extra []byte
}

// HasRole reports whether role is one of c.Roles.
func (c Claims) HasRole(role string) bool { return slices.Contains(c.Roles, role) }

// tokenBuf is the scratch space of one Sign or Verify call, pooled per keyring.
type tokenBuf struct {
	mac  [tokenMACPrefixMax + tokenMaxBody]byte // purpose prefix, then the binary token
	text [MaxTokenLen]byte                      // the text form, or the strings of a verified token
}

func (kr *keyringState) getBuf() *tokenBuf {
	if b, ok := kr.bufs.Get().(*tokenBuf); ok {
		return b
	}
	return new(tokenBuf)
}

// putTokenMACPrefix writes the length-prefixed purpose that starts every MAC input.
func putTokenMACPrefix(b []byte, purpose string) int {
	b[0] = byte(len(purpose)) // #nosec G115 -- len(purpose) <= MaxPurposeLen, checked by every caller
	return 1 + copy(b[1:], purpose)
}

func checkTokenPurpose(purpose string) error {
	if len(purpose) == 0 || len(purpose) > MaxPurposeLen {
		return ErrInvalidPurpose
	}
	return nil
}

func putTokenTime(b []byte, t time.Time) {
	var v int64
	if !t.IsZero() {
		v = t.Unix()
	}
	binary.BigEndian.PutUint64(b, uint64(v)) // #nosec G115 -- two's-complement round trip, decoded with int64()
}

func getTokenTime(b []byte) time.Time {
	v := int64(binary.BigEndian.Uint64(b)) // #nosec G115 -- inverse of putTokenTime
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(v, 0).UTC()
}

// Sign returns a token binding c to purpose, signed with the primary key. Zero IssuedAt,
// Expiry and ID are filled in (now, now plus the TTL, a random ID); with a [RevocationStore],
// Generation is set to the subject's current generation (read with ctx). A token signed for one
// purpose ("session", "password-reset", "email-verify") never verifies for another.
//
// Sign fails with [ErrInvalidPurpose], [ErrInvalidClaims], [ErrNoSigningKey], or an error of
// the revocation store or the random source.
func (kr *Keyring) Sign(ctx context.Context, purpose string, c Claims) (string, error) {
	tok, _, err := kr.s.sign(ctx, purpose, c, false)
	return tok, err
}

// sign is Sign returning the claims as signed. keepGeneration keeps c.Generation even with a
// revocation store (for renewing a session, which must not outlive a "log out everywhere").
func (kr *keyringState) sign(ctx context.Context, purpose string, c Claims, keepGeneration bool) (string, Claims, error) {
	if err := checkTokenPurpose(purpose); err != nil {
		return "", Claims{}, err
	}
	if len(c.Subject) == 0 || len(c.Subject) > MaxSubjectLen {
		return "", Claims{}, errClaimsSubject
	}
	if len(c.Roles) > MaxRoles {
		return "", Claims{}, errClaimsRoles
	}
	for _, r := range c.Roles {
		if len(r) == 0 || len(r) > MaxRoleLen {
			return "", Claims{}, errClaimsRoles
		}
	}
	if len(c.Extra) > MaxExtraLen {
		return "", Claims{}, errClaimsExtra
	}
	now := kr.now()
	ks := kr.primary
	if !ks.key.validAt(now) {
		return "", Claims{}, ErrNoSigningKey
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	c.IssuedAt = time.Unix(c.IssuedAt.Unix(), 0).UTC()
	if c.Expiry.IsZero() {
		c.Expiry = c.IssuedAt.Add(kr.ttl)
	}
	c.Expiry = time.Unix(c.Expiry.Unix(), 0).UTC()
	if !c.NotBefore.IsZero() {
		c.NotBefore = time.Unix(c.NotBefore.Unix(), 0).UTC()
	}
	if !c.AuthTime.IsZero() {
		c.AuthTime = time.Unix(c.AuthTime.Unix(), 0).UTC()
	}
	if !c.Expiry.After(c.IssuedAt) || (!c.NotBefore.IsZero() && !c.Expiry.After(c.NotBefore)) {
		return "", Claims{}, errClaimsTimes
	}
	if kr.store != nil && !keepGeneration {
		g, err := kr.store.Generation(ctx, c.Subject)
		if err != nil {
			return "", Claims{}, fmt.Errorf("auth: reading the revocation generation: %w", err)
		}
		c.Generation = g
	}

	buf := kr.getBuf()
	defer kr.bufs.Put(buf)
	b := buf.mac[:]
	start := putTokenMACPrefix(b, purpose)
	p := start
	b[p] = tokenVersion
	b[p+1] = byte(len(ks.key.ID)) // #nosec G115 -- key IDs are at most MaxKeyIDLen bytes
	p += 2 + copy(b[p+2:], ks.key.ID)
	if c.ID.IsZero() {
		if err := kr.readRand(b[p : p+16]); err != nil {
			return "", Claims{}, err
		}
		copy(c.ID[:], b[p:p+16])
	} else {
		copy(b[p:], c.ID[:])
	}
	p += 16
	putTokenTime(b[p:], c.IssuedAt)
	putTokenTime(b[p+8:], c.NotBefore)
	putTokenTime(b[p+16:], c.Expiry)
	putTokenTime(b[p+24:], c.AuthTime)
	binary.BigEndian.PutUint64(b[p+32:], c.Generation)
	p += 40
	b[p] = byte(len(c.Subject)) // #nosec G115 -- len(c.Subject) <= MaxSubjectLen (255), checked above
	p += 1 + copy(b[p+1:], c.Subject)
	b[p] = byte(len(c.Roles)) // #nosec G115 -- len(c.Roles) <= MaxRoles, checked above
	p++
	for _, r := range c.Roles {
		b[p] = byte(len(r)) // #nosec G115 -- len(r) <= MaxRoleLen, checked above
		p += 1 + copy(b[p+1:], r)
	}
	binary.BigEndian.PutUint16(b[p:], uint16(len(c.Extra))) // #nosec G115 -- len(c.Extra) <= MaxExtraLen, checked above
	p += 2 + copy(b[p+2:], c.Extra)
	if tokenBase64.EncodedLen(p+tokenTagSize-start) > MaxTokenLen {
		return "", Claims{}, errClaimsTooLong
	}
	m := ks.getMAC()
	m.h.Write(b[:p])
	m.h.Sum(b[p:p]) // appends the tag in place
	ks.macs.Put(m)
	p += tokenTagSize
	n := tokenBase64.EncodedLen(p - start)
	tokenBase64.Encode(buf.text[:n], b[start:p])
	return string(buf.text[:n]), c, nil
}

func (kr *keyringState) readRand(b []byte) error {
	var err error
	if kr.rand == nil {
		_, err = rand.Read(b)
	} else {
		_, err = io.ReadFull(kr.rand, b)
	}
	if err != nil {
		return fmt.Errorf("auth: reading a random token ID: %w", err)
	}
	return nil
}

// Verify checks a token signed for purpose at the current time and returns its claims. See
// [Keyring.VerifyAt].
func (kr *Keyring) Verify(ctx context.Context, purpose, token string) (Claims, error) {
	return kr.s.verify(ctx, kr.s.now(), purpose, token, nil)
}

// VerifyAt checks a token signed for purpose as of the instant t and returns its claims.
//
// Every rejected token yields an error matching [ErrInvalidToken] and nothing else about a token
// that is not authentic. For an authentic token the error also matches [ErrExpired],
// [ErrNotYetValid] or [ErrRevoked]. With a [RevocationStore], a failing store lookup returns
// the store's error wrapped (not ErrInvalidToken): the token may be fine, the service is not.
// A token signed for another purpose is invalid like any other; only a purpose that is itself
// malformed (empty, too long: a programming error) yields [ErrInvalidPurpose].
//
// The token is checked, in order, for: length at most [MaxTokenLen]; canonical unpadded
// base64url; version; a known key ID; the HMAC-SHA256 tag (constant-time); the exact binary
// layout with nothing trailing; the key's validity window at t; expiry, not-before and
// issued-at with the keyring's leeway; and finally the revocation store.
func (kr *Keyring) VerifyAt(ctx context.Context, t time.Time, purpose, token string) (Claims, error) {
	return kr.s.verify(ctx, t, purpose, token, nil)
}

// verify is [Keyring.VerifyAt]. The claims' Roles use roles[:n:n] when the n roles fit in its
// capacity, else a new slice.
func (kr *keyringState) verify(ctx context.Context, t time.Time, purpose, token string, roles []string) (Claims, error) {
	if err := checkTokenPurpose(purpose); err != nil {
		return Claims{}, err
	}
	if len(token) > MaxTokenLen || len(token) < tokenBase64.EncodedLen(tokenMinBody) {
		return Claims{}, ErrInvalidToken
	}
	buf := kr.getBuf()
	defer kr.bufs.Put(buf)
	b := buf.mac[:]
	start := putTokenMACPrefix(b, purpose)
	n, ok := decodeTokenBase64(b[start:], token)
	if !ok || n < tokenMinBody {
		return Claims{}, ErrInvalidToken
	}
	body := b[start : start+n]
	kl := int(body[1])
	if body[0] != tokenVersion || kl == 0 || kl > MaxKeyIDLen || 2+kl+tokenFixedClaims+5+tokenTagSize > n {
		return Claims{}, ErrInvalidToken
	}
	ks := kr.keys[string(body[2:2+kl])]
	if ks == nil {
		return Claims{}, ErrInvalidToken
	}
	m := ks.getMAC()
	m.h.Write(b[:start+n-tokenTagSize])
	m.h.Sum(m.sum[:0])
	good := hmac.Equal(m.sum[:], body[n-tokenTagSize:])
	ks.macs.Put(m)
	if !good {
		return Claims{}, ErrInvalidToken
	}
	c, ok := parseTokenClaims(body[2+kl:n-tokenTagSize], buf.text[:], roles)
	if !ok || !ks.key.validAt(t) {
		return Claims{}, ErrInvalidToken
	}
	if !t.Before(c.Expiry.Add(kr.leeway)) {
		return Claims{}, errTokenExpired
	}
	if early := t.Add(kr.leeway); early.Before(c.IssuedAt) || early.Before(c.NotBefore) {
		return Claims{}, errTokenEarly
	}
	if kr.store != nil {
		g, revoked, err := kr.store.Lookup(ctx, c.Subject, c.ID)
		if err != nil {
			return Claims{}, fmt.Errorf("auth: revocation lookup: %w", err)
		}
		if revoked || c.Generation < g {
			return Claims{}, errTokenRevoked
		}
	}
	return c, nil
}

// parseTokenClaims decodes the claims between the key ID and the tag. It requires every byte to be
// consumed and the subject and each role to be non-empty. scratch (at least as long as p) holds
// the subject and roles contiguously so they share one string allocation. The n roles go in
// roles[:n:n] if they fit in its capacity (the caller's storage), else in a new slice.
func parseTokenClaims(p, scratch []byte, roles []string) (Claims, bool) {
	var c Claims
	copy(c.ID[:], p)
	c.IssuedAt = getTokenTime(p[16:])
	c.NotBefore = getTokenTime(p[24:])
	c.Expiry = getTokenTime(p[32:])
	c.AuthTime = getTokenTime(p[40:])
	c.Generation = binary.BigEndian.Uint64(p[48:])
	p = p[tokenFixedClaims:]
	if c.IssuedAt.IsZero() || c.Expiry.IsZero() {
		return Claims{}, false
	}
	// Subject.
	sl := int(p[0])
	if sl == 0 || 1+sl >= len(p) {
		return Claims{}, false
	}
	s := copy(scratch, p[1:1+sl])
	p = p[1+sl:]
	// Roles.
	nr := int(p[0])
	p = p[1:]
	if nr > MaxRoles {
		return Claims{}, false
	}
	var ends [MaxRoles]int
	for i := range nr {
		if len(p) == 0 {
			return Claims{}, false
		}
		rl := int(p[0])
		if rl == 0 || rl > MaxRoleLen || 1+rl > len(p) {
			return Claims{}, false
		}
		s += copy(scratch[s:], p[1:1+rl])
		ends[i] = s
		p = p[1+rl:]
	}
	// Extra, then nothing.
	if len(p) < 2 {
		return Claims{}, false
	}
	el := int(binary.BigEndian.Uint16(p))
	if el > MaxExtraLen || 2+el != len(p) {
		return Claims{}, false
	}
	strs := string(scratch[:s])
	c.Subject = strs[:sl]
	if nr > 0 {
		if nr <= cap(roles) {
			c.Roles = roles[:nr:nr]
		} else {
			c.Roles = make([]string, nr)
		}
		prev := sl
		for i := range nr {
			c.Roles[i] = strs[prev:ends[i]]
			prev = ends[i]
		}
	}
	if el > 0 {
		c.Extra = append([]byte(nil), p[2:]...)
	}
	return c, true
}

// decodeTokenBase64 decodes src, which must be canonical unpadded base64url (no padding, no
// line breaks, zero unused bits), into dst and returns the decoded length.
func decodeTokenBase64(dst []byte, src string) (int, bool) {
	if len(src)%4 == 1 || len(dst) < len(src)/4*3+2 {
		return 0, false
	}
	n := 0
	// Eight characters (48 bits) at a time, stored as one big-endian 64-bit word whose last two
	// bytes the next store overwrites (dst has room: see the length check above).
	for len(src) >= 8 && len(dst)-n >= 8 {
		_ = src[7]
		c0, c1, c2, c3 := tokenB64Val(src[0]), tokenB64Val(src[1]), tokenB64Val(src[2]), tokenB64Val(src[3])
		c4, c5, c6, c7 := tokenB64Val(src[4]), tokenB64Val(src[5]), tokenB64Val(src[6]), tokenB64Val(src[7])
		if c0|c1|c2|c3|c4|c5|c6|c7 > 63 {
			return 0, false
		}
		binary.BigEndian.PutUint64(dst[n:], uint64(c0)<<58|uint64(c1)<<52|uint64(c2)<<46|uint64(c3)<<40|
			uint64(c4)<<34|uint64(c5)<<28|uint64(c6)<<22|uint64(c7)<<16)
		n += 6
		src = src[8:]
	}
	i := 0
	for ; i+4 <= len(src); i += 4 {
		a, b, c, d := tokenB64Val(src[i]), tokenB64Val(src[i+1]), tokenB64Val(src[i+2]), tokenB64Val(src[i+3])
		if a|b|c|d > 63 {
			return 0, false
		}
		v := uint(a)<<18 | uint(b)<<12 | uint(c)<<6 | uint(d)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v) // #nosec G115 -- deliberate truncation to bytes of a 24-bit group
		n += 3
	}
	switch len(src) - i {
	case 2:
		a, b := tokenB64Val(src[i]), tokenB64Val(src[i+1])
		if a|b > 63 || b&0x0f != 0 {
			return 0, false
		}
		dst[n] = a<<2 | b>>4
		n++
	case 3:
		a, b, c := tokenB64Val(src[i]), tokenB64Val(src[i+1]), tokenB64Val(src[i+2])
		if a|b|c > 63 || c&0x03 != 0 {
			return 0, false
		}
		dst[n], dst[n+1] = a<<2|b>>4, b<<4|c>>2
		n += 2
	}
	return n, true
}

// tokenB64Table maps a byte to its base64url value, or 0xff for bytes outside the alphabet.
const tokenB64Table = "" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x3e\xff\xff" +
	"\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\xff\xff\xff\xff\xff\xff" +
	"\xff\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e" +
	"\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\xff\xff\xff\xff\x3f" +
	"\xff\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x24\x25\x26\x27\x28" +
	"\x29\x2a\x2b\x2c\x2d\x2e\x2f\x30\x31\x32\x33\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

func tokenB64Val(c byte) byte { return tokenB64Table[c] }
