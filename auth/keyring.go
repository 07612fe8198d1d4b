package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits of keys.
const (
	// MinKeySize is the smallest secret [NewKey] accepts: 32 bytes, the HMAC-SHA256 output size.
	MinKeySize = 32
	// MaxKeyIDLen is the longest key ID; IDs use only [A-Za-z0-9._-].
	MaxKeyIDLen      = 32
	maxKeySecretSize = 1024
)

// Defaults of [TokenConfig].
const (
	// DefaultTokenTTL is the lifetime of a token whose [Claims] carry no expiry.
	DefaultTokenTTL = time.Hour
	// MaxTokenLeeway bounds [TokenConfig.Leeway].
	MaxTokenLeeway = 5 * time.Minute
)

// ErrNoSigningKey is returned by [Keyring.Sign] when the primary key is outside its validity
// window at the time of signing.
var ErrNoSigningKey = errors.New("auth: primary key not valid now")

// A Key is an HMAC-SHA256 secret with an ID that tokens carry, so that a [Keyring] can verify
// tokens signed with any of its keys. Make keys with [NewKey]: a Key literal has no secret and
// [NewKeyring] rejects it.
//
// A Key never reveals its secret: fmt (every verb, including %#v, and also for a Key in an
// unexported field, where fmt prints fields without calling methods), encoding/json and
// log/slog all print only the ID and the validity window.
type Key struct {
	// ID names the key in every token it signs: 1 to [MaxKeyIDLen] bytes of [A-Za-z0-9._-],
	// unique within a keyring. A date works well ("2026-11").
	ID string

	// NotBefore, if set, is when the key starts to sign and verify.
	NotBefore time.Time

	// NotAfter, if set, is when the key stops to sign and verify: tokens it signed are invalid
	// from that instant on, whatever their expiry. Set it on a retired key to the moment its last
	// tokens must die, typically its retirement plus the longest token lifetime.
	NotAfter time.Time

	// secret returns the HMAC secret (nil for a Key literal). It is a function because fmt
	// prints the fields of a struct held in an unexported field without calling its methods,
	// and follows pointers (for %s and other verbs a pointer does not take), but prints a
	// function as its address.
	secret func() []byte
}

// NewKey returns a key with the given ID and a copy of secret, which must hold at least
// [MinKeySize] bytes from a cryptographically secure source (crypto/rand, a secret manager);
// never a password or a hard-coded string.
func NewKey(id string, secret []byte) (Key, error) {
	if err := checkKeyID(id); err != nil {
		return Key{}, err
	}
	if len(secret) < MinKeySize || len(secret) > maxKeySecretSize {
		return Key{}, fmt.Errorf("auth: key %q: secret must be %d to %d bytes, got %d", id, MinKeySize, maxKeySecretSize, len(secret))
	}
	b := append([]byte(nil), secret...)
	return Key{ID: id, secret: func() []byte { return b }}, nil
}

func checkKeyID(id string) error {
	if len(id) == 0 || len(id) > MaxKeyIDLen {
		return fmt.Errorf("auth: key ID %q must be 1 to %d bytes", id, MaxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if !isKeyIDChar(id[i]) {
			return fmt.Errorf("auth: key ID %q may hold only [A-Za-z0-9._-]", id)
		}
	}
	return nil
}

func isKeyIDChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// validAt reports whether t lies inside the key's validity window.
func (k *Key) validAt(t time.Time) bool {
	return (k.NotBefore.IsZero() || !t.Before(k.NotBefore)) && (k.NotAfter.IsZero() || t.Before(k.NotAfter))
}

// String describes the key without its secret.
func (k Key) String() string {
	var b strings.Builder
	b.WriteString("auth.Key{ID:")
	b.WriteString(strconv.Quote(k.ID))
	if !k.NotBefore.IsZero() {
		b.WriteString(" NotBefore:" + k.NotBefore.UTC().Format(time.RFC3339))
	}
	if !k.NotAfter.IsZero() {
		b.WriteString(" NotAfter:" + k.NotAfter.UTC().Format(time.RFC3339))
	}
	b.WriteString(" secret:REDACTED}")
	return b.String()
}

// GoString implements [fmt.GoStringer] like [Key.String], so %#v hides the secret too.
func (k Key) GoString() string { return k.String() }

// Format implements [fmt.Formatter]: every verb prints [Key.String].
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue implements [slog.LogValuer]: the ID and validity window, never the secret.
func (k Key) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("id", k.ID)}
	if !k.NotBefore.IsZero() {
		attrs = append(attrs, slog.Time("not_before", k.NotBefore))
	}
	if !k.NotAfter.IsZero() {
		attrs = append(attrs, slog.Time("not_after", k.NotAfter))
	}
	return slog.GroupValue(append(attrs, slog.String("secret", "REDACTED"))...)
}

// MarshalJSON implements [json.Marshaler]: the ID and validity window, never the secret.
func (k Key) MarshalJSON() ([]byte, error) {
	type public struct {
		ID        string     `json:"id"`
		NotBefore *time.Time `json:"not_before,omitempty"`
		NotAfter  *time.Time `json:"not_after,omitempty"`
		Secret    string     `json:"secret"`
	}
	p := public{ID: k.ID, Secret: "REDACTED"}
	if !k.NotBefore.IsZero() {
		p.NotBefore = &k.NotBefore
	}
	if !k.NotAfter.IsZero() {
		p.NotAfter = &k.NotAfter
	}
	return json.Marshal(p)
}

// TokenConfig holds the optional settings of a [Keyring]. The zero value is a secure default:
// one-hour tokens, no clock-skew leeway, no revocation store.
type TokenConfig struct {
	// TTL is the lifetime given to tokens signed without an expiry. Zero means
	// [DefaultTokenTTL].
	TTL time.Duration

	// Leeway tolerates clock skew between the signing and the verifying machines: a token is
	// accepted until Leeway after its expiry and from Leeway before its not-before and
	// issued-at times. Zero means none; at most [MaxTokenLeeway].
	Leeway time.Duration

	// Revocation, if set, is consulted on every verification (revoked tokens fail with
	// [ErrInvalidToken] wrapping [ErrRevoked]) and read on every signature (to stamp the
	// subject's generation). Without it, [Keyring.Revoke] and [Keyring.RevokeSubject] fail.
	Revocation RevocationStore

	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// Rand is the source of token IDs; nil means crypto/rand.Reader. Only tests set it.
	Rand io.Reader
}

// A Keyring signs tokens with its primary key and verifies tokens signed with any of its keys.
// The key is found by the ID in the token, so verification costs the same for one key or a
// hundred. A Keyring is immutable and safe for concurrent use; to rotate keys, build a new one
// and swap it in (an atomic.Pointer works well). See the package documentation, section
// "Tokens", for the rotation procedure.
//
// Like [Key], a Keyring never prints or marshals its secrets. Make keyrings with
// [NewKeyring]; the zero Keyring is not usable.
type Keyring struct {
	s *keyringState // behind a pointer so that even a copied Keyring value prints no secret
}

type keyringState struct {
	primary *tokenKeyState
	keys    map[string]*tokenKeyState
	ids     []string // in the order given, primary first, for String

	ttl    time.Duration
	leeway time.Duration
	store  RevocationStore
	now    func() time.Time
	rand   io.Reader

	bufs sync.Pool // *tokenBuf
}

// tokenKeyState is a key with a pool of HMAC states keyed with it.
type tokenKeyState struct {
	key  Key
	macs sync.Pool // *tokenMACState
}

type tokenMACState struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

func (ks *tokenKeyState) getMAC() *tokenMACState {
	if m, ok := ks.macs.Get().(*tokenMACState); ok {
		m.h.Reset()
		return m
	}
	return &tokenMACState{h: hmac.New(sha256.New, ks.key.secret())}
}

// NewKeyring returns a keyring that signs with primary and verifies with primary and others.
// Key IDs must be unique and every key must come from [NewKey]. cfg is validated here.
func NewKeyring(cfg TokenConfig, primary Key, others ...Key) (*Keyring, error) {
	if cfg.TTL < 0 {
		return nil, errors.New("auth: TokenConfig.TTL must not be negative")
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxTokenLeeway {
		return nil, fmt.Errorf("auth: TokenConfig.Leeway must be between 0 and %v", MaxTokenLeeway)
	}
	kr := &keyringState{
		keys:   make(map[string]*tokenKeyState, 1+len(others)),
		ttl:    cfg.TTL,
		leeway: cfg.Leeway,
		store:  cfg.Revocation,
		now:    cfg.Now,
		rand:   cfg.Rand,
	}
	if kr.ttl == 0 {
		kr.ttl = DefaultTokenTTL
	}
	if kr.now == nil {
		kr.now = time.Now
	}
	for _, k := range append([]Key{primary}, others...) {
		if err := checkKeyID(k.ID); err != nil {
			return nil, err
		}
		if k.secret == nil || len(k.secret()) < MinKeySize {
			return nil, fmt.Errorf("auth: key %q has no secret: make keys with NewKey", k.ID)
		}
		if !k.NotBefore.IsZero() && !k.NotAfter.IsZero() && !k.NotAfter.After(k.NotBefore) {
			return nil, fmt.Errorf("auth: key %q: NotAfter must be after NotBefore", k.ID)
		}
		if _, dup := kr.keys[k.ID]; dup {
			return nil, fmt.Errorf("auth: duplicate key ID %q", k.ID)
		}
		ks := &tokenKeyState{key: k}
		kr.keys[k.ID] = ks
		kr.ids = append(kr.ids, k.ID)
		if kr.primary == nil {
			kr.primary = ks
		}
	}
	return &Keyring{s: kr}, nil
}

// PrimaryKeyID returns the ID of the key that signs.
func (kr *Keyring) PrimaryKeyID() string { return kr.s.primary.key.ID }

// String lists the key IDs, primary first, without secrets.
func (kr Keyring) String() string {
	if kr.s == nil {
		return "auth.Keyring{}"
	}
	return "auth.Keyring{keys:[" + strings.Join(kr.s.ids, " ") + "]}"
}

// GoString implements [fmt.GoStringer] like [Keyring.String].
func (kr Keyring) GoString() string { return kr.String() }

// Format implements [fmt.Formatter]: every verb prints [Keyring.String].
func (kr Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, kr.String()) }

// LogValue implements [slog.LogValuer]: the key IDs, never the secrets.
func (kr Keyring) LogValue() slog.Value {
	if kr.s == nil {
		return slog.GroupValue()
	}
	return slog.GroupValue(slog.String("primary", kr.s.primary.key.ID), slog.Any("keys", kr.s.ids))
}

// MarshalJSON implements [json.Marshaler]: the key IDs, never the secrets.
func (kr Keyring) MarshalJSON() ([]byte, error) {
	var v struct {
		Primary string   `json:"primary"`
		Keys    []string `json:"keys"`
	}
	if kr.s != nil {
		v.Primary, v.Keys = kr.s.primary.key.ID, kr.s.ids
	}
	return json.Marshal(v)
}
