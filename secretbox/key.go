package secretbox

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

const (
	keySize   = 32
	keyPrefix = "sbk1_"
	// HKDF info strings separating the two uses of a keyring key.
	infoSeal = "rampart secretbox v1 seal"
	infoWrap = "rampart secretbox v1 wrap"
)

var rawB64 = base64.RawURLEncoding.Strict()

// Key is a 256-bit key for the sealed-message and stream formats, with a 32-bit key ID that is
// written into every header it produces so that [Keyring.Open] can find it. A Key redacts itself
// in fmt, slog and JSON output (only its ID is shown); [Key.Encode] is the one way to get the
// secret back out. A Key is immutable and safe for concurrent use.
type Key struct {
	id uint32
	m  *keyMaterial // nil for the zero Key
}

// keyMaterial holds a Key's secrets two pointers away from the Key. fmt does not call String or
// Format on the unexported fields of a caller's struct: it prints them by reflection, and with a
// verb such as %s it dereferences a pointer field once. Every field here is a pointer (or an
// interface holding one) so that what it can reach is printed as an address, never as key bytes.
type keyMaterial struct {
	secret *[keySize]byte
	seal   cipher.AEAD // XChaCha20-Poly1305 under HKDF(secret, infoSeal)
	wrap   cipher.AEAD // XChaCha20-Poly1305 under HKDF(secret, infoWrap)
}

// GenerateKey returns a new key with a random ID, both read from rand (nil means
// [crypto/rand.Reader]). IDs are random 32-bit values: [NewKeyring] refuses two keys with the same
// ID (about one chance in 4 billion for a pair), in which case generate another key.
func GenerateKey(rand io.Reader) (*Key, error) {
	var b [4 + keySize]byte
	if err := readRand(rand, b[:]); err != nil {
		return nil, err
	}
	return newKey(b[:]), nil
}

// newKey builds a key from its 4-byte big-endian ID followed by its 32 secret bytes.
func newKey(b []byte) *Key {
	secret := new([keySize]byte)
	copy(secret[:], b[4:])
	return &Key{id: binary.BigEndian.Uint32(b[:4]), m: &keyMaterial{
		secret: secret,
		seal:   subAEAD(secret[:], infoSeal),
		wrap:   subAEAD(secret[:], infoWrap),
	}}
}

func subAEAD(secret []byte, info string) cipher.AEAD {
	sub, err := hkdf.Key(sha256.New, secret, nil, info, chacha20poly1305.KeySize)
	if err != nil {
		panic(err) // unreachable: 32 bytes is far below HKDF's output limit
	}
	aead, err := chacha20poly1305.NewX(sub)
	if err != nil {
		panic(err) // unreachable: the key size is right
	}
	return aead
}

// ParseKey decodes a key produced by [Key.Encode]: "sbk1_" followed by the unpadded base64url
// encoding of the 4-byte big-endian key ID and the 32-byte key. Anything else, including
// surrounding whitespace, fails with [ErrInvalidKey].
func ParseKey(s string) (*Key, error) {
	rest, ok := strings.CutPrefix(s, keyPrefix)
	if !ok || len(rest) != rawB64.EncodedLen(4+keySize) {
		return nil, ErrInvalidKey
	}
	var b [4 + keySize]byte
	n, err := rawB64.Decode(b[:], []byte(rest))
	if err != nil || n != len(b) || strings.ContainsAny(rest, "\r\n") {
		return nil, ErrInvalidKey
	}
	return newKey(b[:]), nil
}

// Encode returns the key in the form [ParseKey] reads. It is the only method that reveals the
// key; store its result as a secret. The zero Key (which holds no key) encodes as "", which
// [ParseKey] refuses.
func (k *Key) Encode() string {
	if !k.valid() {
		return ""
	}
	var b [4 + keySize]byte
	binary.BigEndian.PutUint32(b[:4], k.id)
	copy(b[4:], k.m.secret[:])
	return keyPrefix + rawB64.EncodeToString(b[:])
}

// ID returns the key's ID, which is public: it is written in clear into every header.
func (k *Key) ID() uint32 {
	if k == nil {
		return 0
	}
	return k.id
}

// valid reports whether k was made by GenerateKey or ParseKey, rather than being nil or the zero
// Key, which hold no key and must never seal anything.
func (k *Key) valid() bool { return k != nil && k.m != nil }

// String returns a redacted description that shows only the key ID.
func (k Key) String() string { return fmt.Sprintf("secretbox.Key(id=%08x, REDACTED)", k.id) }

// Format writes the redacted description for every verb, so %x, %v and %#v reveal nothing.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue implements [slog.LogValuer]: a group holding only the key ID.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", fmt.Sprintf("%08x", k.id)), slog.String("secret", "REDACTED"))
}

// MarshalText returns the redacted description, so JSON and other encoders never see the key.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
