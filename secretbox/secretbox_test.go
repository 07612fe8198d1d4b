package secretbox_test

import (
	"encoding/base64"
	"testing"

	"github.com/rampart-go/rampart/secretbox"
)

func decodeB64(s string) ([]byte, error) { return base64.URLEncoding.DecodeString(s) }

func encodeB64(b []byte) []byte { return []byte(base64.URLEncoding.EncodeToString(b)) }

// countReader is a deterministic Rand for known-answer tests: it yields the bytes
// seed, seed+1, seed+2, ... (mod 256). Never use anything like it outside tests.
type countReader struct{ next byte }

func (c *countReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.next
		c.next++
	}
	return len(p), nil
}

func mustKey(t testing.TB) *secretbox.Key {
	t.Helper()
	k, err := secretbox.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustKeyring(t testing.TB, primary *secretbox.Key, older ...*secretbox.Key) *secretbox.Keyring {
	t.Helper()
	r, err := secretbox.NewKeyring(primary, older...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fastPassphrase returns a Passphrase with a cheap KDF so tests run quickly.
func fastPassphrase(secret string, scrypt bool) *secretbox.Passphrase {
	p := secretbox.NewPassphrase([]byte(secret))
	p.KDF = secretbox.KDF{Scrypt: scrypt, Time: 1, Memory: 64, Threads: 1}
	return p
}
