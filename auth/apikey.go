package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// API key format, shared byte for byte with the secret scanner of package logredact:
//
//	key      = prefix "_" random "_" checksum
//	prefix   = [a-z][a-z0-9]{1,15}
//	random   = 32 base62 characters [0-9A-Za-z] from crypto/rand, unbiased (about 190 bits)
//	checksum = CRC-32 (IEEE) of `prefix "_" random` as 6 base62 digits, most significant first
const (
	apiKeyRandomLen   = 32
	apiKeyChecksumLen = 6
	apiKeyMaxPrefix   = 16
	base62Alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// MaxAPIKeyLen is the longest well-formed API key.
	MaxAPIKeyLen = apiKeyMaxPrefix + 1 + apiKeyRandomLen + 1 + apiKeyChecksumLen
)

// ErrInvalidAPIKey is the one error for an API key that is malformed, fails its checksum, or
// does not match the stored digest.
var ErrInvalidAPIKey = errors.New("auth: invalid API key")

// ErrInvalidAPIKeyPrefix is returned by [NewAPIKey] for a prefix outside [a-z][a-z0-9]{1,15}.
var ErrInvalidAPIKeyPrefix = errors.New("auth: API key prefix must match [a-z][a-z0-9]{1,15}")

// APIKeyHash is the SHA-256 digest of an API key: the only form of the key a service stores.
// Look keys up by it (see [HashAPIKey]) and confirm with [VerifyAPIKey]. A digest is not a
// secret in itself (the key's 190 random bits make it irreversible), but it lets nobody in.
type APIKeyHash [sha256.Size]byte

// String returns the digest as 64 lower-case hexadecimal digits.
func (h APIKeyHash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements [encoding.TextMarshaler] with the form of [APIKeyHash.String].
func (h APIKeyHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], accepting 64 hexadecimal digits.
func (h *APIKeyHash) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return errors.New("auth: API key hash must be 64 hexadecimal digits")
	}
	var v APIKeyHash
	if _, err := hex.Decode(v[:], b); err != nil {
		return errors.New("auth: API key hash must be 64 hexadecimal digits")
	}
	*h = v
	return nil
}

// NewAPIKey generates an API key with the given prefix (which names the service or the key's
// kind, like "rk" or "acme"). Show the key to its owner once and store only the hash.
func NewAPIKey(prefix string) (key string, hash APIKeyHash, err error) {
	return newAPIKey(rand.Reader, prefix)
}

func newAPIKey(r io.Reader, prefix string) (string, APIKeyHash, error) {
	if !validAPIKeyPrefix(prefix) {
		return "", APIKeyHash{}, ErrInvalidAPIKeyPrefix
	}
	b := make([]byte, 0, len(prefix)+2+apiKeyRandomLen+apiKeyChecksumLen)
	b = append(b, prefix...)
	b = append(b, '_')
	var pool [64]byte
	for n := 0; n < apiKeyRandomLen; {
		if _, err := io.ReadFull(r, pool[:]); err != nil {
			return "", APIKeyHash{}, fmt.Errorf("auth: reading randomness for an API key: %w", err)
		}
		for _, v := range pool {
			// Rejection sampling: 248 = 4*62, so v%62 is uniform over the accepted bytes.
			if v < 248 && n < apiKeyRandomLen {
				b = append(b, base62Alphabet[v%62])
				n++
			}
		}
	}
	sum := crc32.ChecksumIEEE(b)
	b = appendAPIKeyChecksum(append(b, '_'), sum)
	key := string(b)
	return key, sha256.Sum256(b), nil
}

// appendAPIKeyChecksum appends c as 6 base62 digits, most significant first.
func appendAPIKeyChecksum(b []byte, c uint32) []byte {
	var d [apiKeyChecksumLen]byte
	v := uint64(c)
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = base62Alphabet[v%62]
		v /= 62
	}
	return append(b, d[:]...)
}

func validAPIKeyPrefix(p string) bool {
	if len(p) < 2 || len(p) > apiKeyMaxPrefix || p[0] < 'a' || p[0] > 'z' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if c := p[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func isAPIKeyBase62(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// ParseAPIKey checks the shape and checksum of key, without any lookup, and returns its prefix.
// It fails with [ErrInvalidAPIKey]; a typo or a truncated paste fails here.
func ParseAPIKey(key string) (prefix string, err error) {
	if len(key) > MaxAPIKeyLen || len(key) < 2+1+apiKeyRandomLen+1+apiKeyChecksumLen {
		return "", ErrInvalidAPIKey
	}
	body := len(key) - apiKeyChecksumLen - 1 // index of the second '_'
	pl := body - apiKeyRandomLen - 1         // prefix length
	if key[body] != '_' || key[pl] != '_' || !validAPIKeyPrefix(key[:pl]) {
		return "", ErrInvalidAPIKey
	}
	for i := pl + 1; i < len(key); i++ {
		if i != body && !isAPIKeyBase62(key[i]) {
			return "", ErrInvalidAPIKey
		}
	}
	var sum [apiKeyChecksumLen]byte
	if string(appendAPIKeyChecksum(sum[:0], crc32.ChecksumIEEE([]byte(key[:body])))) != key[body+1:] {
		return "", ErrInvalidAPIKey
	}
	return key[:pl], nil
}

// HashAPIKey checks key as [ParseAPIKey] does and returns its digest, the value to look the key
// up by. A malformed key fails with [ErrInvalidAPIKey] before any lookup.
func HashAPIKey(key string) (APIKeyHash, error) {
	if _, err := ParseAPIKey(key); err != nil {
		return APIKeyHash{}, err
	}
	return sha256.Sum256([]byte(key)), nil
}

// VerifyAPIKey reports, as a nil error, whether key is well formed and hashes to stored,
// comparing the digests in constant time. Otherwise it returns [ErrInvalidAPIKey].
func VerifyAPIKey(stored APIKeyHash, key string) error {
	h, err := HashAPIKey(key)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(h[:], stored[:]) != 1 {
		return ErrInvalidAPIKey
	}
	return nil
}
