package redisstore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"sync"
)

// maxPlainKey is the longest client key stored as it is; longer keys are hashed, so a client
// that controls its key (a user name typed into a login form) cannot make Redis keys grow.
const maxPlainKey = 128

// keyEncoder turns a client key (an IP address, a user name, a subject) into the part of a
// Redis key that goes between the braces of a hash tag.
//
// Without a secret, keys made only of safe characters and at most maxPlainKey bytes long are
// kept as they are (prefixed "k:") so operators can read them; any other key becomes "s:" and
// the base64url SHA-256 of the key. With a secret every key becomes "m:" and the base64url
// HMAC-SHA256 of the key, truncated to 128 bits: Redis then never sees an IP address or a user
// name, and nobody without the secret can tell which key belongs to whom. The prefixes keep the
// three forms apart, so two different client keys never share a Redis key.
type keyEncoder struct {
	macs *sync.Pool // of hash.Hash; nil without a secret
}

func newKeyEncoder(secret []byte) keyEncoder {
	if len(secret) == 0 {
		return keyEncoder{}
	}
	key := append([]byte(nil), secret...)
	return keyEncoder{macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// encode appends the encoded form of key to dst.
func (e keyEncoder) encode(dst []byte, key string) []byte {
	if e.macs != nil {
		m := e.macs.Get().(hash.Hash)
		m.Reset()
		m.Write([]byte(key))
		var sum [sha256.Size]byte
		m.Sum(sum[:0])
		e.macs.Put(m)
		dst = append(dst, "m:"...)
		return base64.RawURLEncoding.AppendEncode(dst, sum[:16])
	}
	if len(key) <= maxPlainKey && plain(key) {
		dst = append(dst, "k:"...)
		return append(dst, key...)
	}
	sum := sha256.Sum256([]byte(key))
	dst = append(dst, "s:"...)
	return base64.RawURLEncoding.AppendEncode(dst, sum[:])
}

// plain reports whether key is made only of characters that are safe inside a hash tag and
// readable in redis-cli: letters, digits and . : _ - @ / +. Braces in particular would change
// which part of the Redis key is the hash tag.
func plain(key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == ':', c == '_', c == '-', c == '@', c == '/', c == '+':
		default:
			return false
		}
	}
	return true
}
