package secretbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sealed-message layout (see FORMAT.md): version, key ID, nonce, ciphertext and tag.
const (
	msgVersion  = 0x01
	msgHeader   = 1 + 4
	msgNonce    = chacha20poly1305.NonceSizeX
	msgOverhead = msgHeader + msgNonce + chacha20poly1305.Overhead
	// maxAD bounds the associated data so header+AD never overflows; 1 GiB is far beyond use.
	maxAD = 1 << 30
)

// errNoKeys fails the zero Keyring closed: it seals nothing and opens nothing.
var errNoKeys = errors.New("secretbox: Keyring has no keys; use NewKeyring")

// Keyring holds one primary key, which seals, and any number of older keys, which only open.
// [Keyring.Open] finds the key by the ID in the header with one map lookup, so its cost does not
// depend on the number of keys. Set Rand before first use; a Keyring is then safe for concurrent
// use. A Keyring is also a [Wrapper] for streams and files. The zero Keyring (and a nil
// *Keyring) holds no keys: it fails every Seal and Open.
type Keyring struct {
	// Rand supplies nonces and stream data keys; nil means [crypto/rand.Reader]. Set it only
	// in tests: a source that repeats itself repeats nonces, which breaks both confidentiality
	// and authenticity.
	Rand io.Reader

	primary *Key
	keys    map[uint32]*Key
}

// NewKeyring returns a keyring that seals with primary and opens with primary or any of older.
// It fails if a key is nil or the zero Key (not made by [GenerateKey] or [ParseKey]), or if two
// keys share an ID.
func NewKeyring(primary *Key, older ...*Key) (*Keyring, error) {
	r := &Keyring{primary: primary, keys: make(map[uint32]*Key, 1+len(older))}
	for _, k := range append([]*Key{primary}, older...) {
		if k == nil {
			return nil, fmt.Errorf("secretbox: NewKeyring given a nil key")
		}
		if !k.valid() {
			return nil, fmt.Errorf("secretbox: NewKeyring given a zero Key; use GenerateKey or ParseKey")
		}
		if _, dup := r.keys[k.id]; dup {
			return nil, fmt.Errorf("secretbox: two keys share the ID %08x", k.id)
		}
		r.keys[k.id] = k
	}
	return r, nil
}

// ParseKeyring parses keys encoded by [Key.Encode], separated by white space (one a line is
// usual); the first is the primary. Malformed keys fail with [ErrInvalidKey].
func ParseKeyring(s string) (*Keyring, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, ErrInvalidKey
	}
	keys := make([]*Key, len(fields))
	for i, f := range fields {
		k, err := ParseKey(f)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	return NewKeyring(keys[0], keys[1:]...)
}

// Primary returns the key that seals (nil for the zero or a nil Keyring).
func (r *Keyring) Primary() *Key {
	if r == nil {
		return nil
	}
	return r.primary
}

// Seal encrypts and authenticates plaintext under the primary key, binding it to ad (associated
// data such as a row ID, user ID or file name, which is authenticated but not stored: pass the
// same ad to Open). The result is len(plaintext)+45 bytes. Seal fails only if Rand fails, if
// plaintext or ad is larger than 1 GiB (use a stream), or on the zero or a nil Keyring.
func (r *Keyring) Seal(plaintext, ad []byte) ([]byte, error) {
	if len(ad) > maxAD || len(plaintext) > maxAD {
		return nil, fmt.Errorf("secretbox: Seal input larger than 1 GiB; use a stream")
	}
	if r == nil || r.primary == nil {
		return nil, errNoKeys
	}
	k := r.primary
	out := make([]byte, msgHeader+msgNonce, msgOverhead+len(plaintext))
	out[0] = msgVersion
	binary.BigEndian.PutUint32(out[1:msgHeader], k.id)
	if err := readRand(r.Rand, out[msgHeader:]); err != nil {
		return nil, err
	}
	return k.m.seal.Seal(out, out[msgHeader:], plaintext, msgAD(out[:msgHeader], ad)), nil
}

// Open authenticates and decrypts a value made by [Keyring.Seal] with the same ad, using the key
// named in its header. stale reports that the value was sealed under a key other than the
// current primary and should be re-sealed. Every failure is [ErrAuth].
func (r *Keyring) Open(sealed, ad []byte) (plaintext []byte, stale bool, err error) {
	if r == nil || len(sealed) < msgOverhead || sealed[0] != msgVersion || len(ad) > maxAD {
		return nil, false, ErrAuth
	}
	k, ok := r.keys[binary.BigEndian.Uint32(sealed[1:msgHeader])]
	if !ok {
		return nil, false, ErrAuth
	}
	nonce, ct := sealed[msgHeader:msgHeader+msgNonce], sealed[msgHeader+msgNonce:]
	pt, err := k.m.seal.Open(make([]byte, 0, len(ct)-chacha20poly1305.Overhead), nonce, ct, msgAD(sealed[:msgHeader], ad))
	if err != nil {
		return nil, false, ErrAuth
	}
	return pt, k != r.primary, nil
}

// msgAD is the AEAD associated data of a sealed message: its 5-byte header, then the caller's ad.
func msgAD(header, ad []byte) []byte {
	if len(ad) == 0 {
		return header
	}
	b := make([]byte, 0, len(header)+len(ad))
	return append(append(b, header...), ad...)
}

// wrapType implements Wrapper.
func (r *Keyring) wrapType() byte { return wrapKeyring }

func (r *Keyring) random() io.Reader {
	if r == nil {
		return nil
	}
	return r.Rand
}

// wrapKey appends the keyring wrap section (key ID, nonce, wrapped data key) to hdr.
func (r *Keyring) wrapKey(hdr []byte, dk *[dataKeySize]byte, ad []byte) ([]byte, error) {
	if r == nil || r.primary == nil {
		return nil, errNoKeys
	}
	k := r.primary
	hdr = binary.BigEndian.AppendUint32(hdr, k.id)
	aad := append([]byte(nil), hdr...)
	n := len(hdr)
	hdr = append(hdr, make([]byte, chacha20poly1305.NonceSizeX)...)
	if err := readRand(r.Rand, hdr[n:]); err != nil {
		return nil, err
	}
	return k.m.wrap.Seal(hdr, hdr[n:], dk[:], append(aad, ad...)), nil
}

// unwrapKey reads the keyring wrap section after prefix from src and recovers the data key.
func (r *Keyring) unwrapKey(prefix []byte, src io.Reader, ad []byte) (dk [dataKeySize]byte, stale bool, err error) {
	if r == nil || prefix[len(prefix)-1] != wrapKeyring {
		return dk, false, ErrAuth
	}
	var b [keyringWrapSize]byte
	if _, err := io.ReadFull(src, b[:]); err != nil {
		return dk, false, readErr(err)
	}
	k, ok := r.keys[binary.BigEndian.Uint32(b[:4])]
	if !ok {
		return dk, false, ErrAuth
	}
	aad := make([]byte, 0, len(prefix)+4+len(ad))
	aad = append(append(append(aad, prefix...), b[:4]...), ad...)
	nonce := b[4 : 4+chacha20poly1305.NonceSizeX]
	if _, err := k.m.wrap.Open(dk[:0], nonce, b[4+chacha20poly1305.NonceSizeX:], aad); err != nil {
		return dk, false, ErrAuth
	}
	return dk, k != r.primary, nil
}
