package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Fernet token layout (https://github.com/fernet/spec/blob/master/Spec.md).
const (
	fernetVersion  = 0x80
	fernetHeader   = 1 + 8 + aes.BlockSize // version, timestamp, IV
	fernetMACSize  = sha256.Size
	fernetMinRaw   = fernetHeader + aes.BlockSize + fernetMACSize
	fernetKeySize  = 32
	defaultSkew    = 60 * time.Second
	fernetMaxToken = math.MaxInt32 // keeps every length computation far from overflow
)

var b64 = base64.URLEncoding.Strict()

// FernetKey is a Fernet key: 16 bytes of HMAC-SHA256 signing key followed by 16 bytes of
// AES-128 encryption key. It redacts itself in fmt, slog and JSON output; [FernetKey.Encode] is
// the one way to get the secret back out.
type FernetKey struct {
	m *fernetKeyMaterial // nil for the zero FernetKey
}

// fernetKeyMaterial keeps the key bytes two pointers away from the FernetKey, so that fmt
// printing a caller's struct by reflection shows addresses, never the key (see keyMaterial).
type fernetKeyMaterial struct {
	secret *[fernetKeySize]byte
}

func newFernetKey() *FernetKey {
	return &FernetKey{m: &fernetKeyMaterial{secret: new([fernetKeySize]byte)}}
}

// GenerateFernetKey returns a new random key read from rand (nil means [crypto/rand.Reader]).
func GenerateFernetKey(rand io.Reader) (*FernetKey, error) {
	k := newFernetKey()
	if err := readRand(rand, k.m.secret[:]); err != nil {
		return nil, err
	}
	return k, nil
}

// ParseFernetKey decodes a key in the form Python's Fernet.generate_key produces: 32 bytes in
// padded base64url (44 characters). Anything else fails with [ErrInvalidKey]. For compatibility
// with keys stored by other tools, unpadded base64url is accepted too; surrounding whitespace is not.
func ParseFernetKey(s string) (*FernetKey, error) {
	var raw [fernetKeySize + 3]byte
	var n int
	var err error
	switch len(s) {
	case 44:
		n, err = b64.Decode(raw[:], []byte(s))
	case 43:
		n, err = base64.RawURLEncoding.Strict().Decode(raw[:], []byte(s))
	default:
		return nil, ErrInvalidKey
	}
	if err != nil || n != fernetKeySize || bytes.ContainsAny([]byte(s), "\r\n") {
		return nil, ErrInvalidKey
	}
	k := newFernetKey()
	copy(k.m.secret[:], raw[:n])
	return k, nil
}

// Encode returns the key in padded base64url, the form Python's Fernet accepts. It is the only
// method that reveals the key. A nil or zero FernetKey (which holds no key) encodes as "".
func (k *FernetKey) Encode() string {
	if k == nil || k.m == nil {
		return ""
	}
	return b64.EncodeToString(k.m.secret[:])
}

// String returns a redacted description of the key.
func (k FernetKey) String() string { return "secretbox.FernetKey(REDACTED)" }

// Format writes the redacted description for every verb, so %x, %v and %#v reveal nothing.
func (k FernetKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue implements [slog.LogValuer] with the redacted description.
func (k FernetKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalText returns the redacted description, so JSON and other encoders never see the key.
func (k FernetKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// errNoFernetKeys fails the zero Fernet closed.
var errNoFernetKeys = errors.New("secretbox: Fernet has no keys; use NewFernet")

// Fernet encrypts and decrypts Fernet tokens with one or more keys: it encrypts with the first
// key and decrypts with any of them (Python's MultiFernet). Set the exported fields before first
// use; a Fernet is then safe for concurrent use. The zero Fernet (and a nil *Fernet) holds no
// keys: it encrypts nothing and fails every decryption with [ErrAuth].
type Fernet struct {
	// Skew is how far in the future a token's timestamp may be when decrypting with a TTL.
	// Zero means 60 seconds, as in the specification and Python; a negative value allows none.
	Skew time.Duration
	// Now returns the current time; nil means [time.Now].
	Now func() time.Time
	// Rand supplies IVs; nil means [crypto/rand.Reader]. Set it only in tests: predictable IVs
	// weaken AES-CBC.
	Rand io.Reader

	// keys are pointers so that fmt, printing a caller's struct that holds a Fernet by value,
	// shows their addresses rather than the AES key schedule (see keyMaterial).
	keys []*fernetKey
}

type fernetKey struct {
	block   cipher.Block
	macs    *sync.Pool // of hash.Hash keyed with the signing key
	scratch *sync.Pool // of *[scratchSize]byte for encrypting short messages
}

// scratchSize bounds the pooled buffers that hold a short token before base64 encoding; they
// only ever hold public data (header, ciphertext, MAC) when returned to the pool.
const scratchSize = 4 << 10

// NewFernet returns a Fernet that encrypts with keys[0] and decrypts with any of keys. It
// panics if no key is given or a key is nil or the zero FernetKey (programmer error).
func NewFernet(keys ...*FernetKey) *Fernet {
	if len(keys) == 0 {
		panic("secretbox: NewFernet needs at least one key")
	}
	f := &Fernet{keys: make([]*fernetKey, len(keys))}
	for i, k := range keys {
		if k == nil || k.m == nil {
			panic("secretbox: NewFernet given a nil or zero key; use GenerateFernetKey or ParseFernetKey")
		}
		block, err := aes.NewCipher(k.m.secret[16:])
		if err != nil {
			panic(err) // unreachable: the key is always 16 bytes
		}
		sign := bytes.Clone(k.m.secret[:16])
		f.keys[i] = &fernetKey{
			block:   block,
			macs:    &sync.Pool{New: func() any { return hmac.New(sha256.New, sign) }},
			scratch: &sync.Pool{New: func() any { return new([scratchSize]byte) }},
		}
	}
	return f
}

func (f *Fernet) now() time.Time {
	if f != nil && f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Encrypt returns a token holding msg, stamped with the current time, under the first key.
func (f *Fernet) Encrypt(msg []byte) ([]byte, error) {
	if f == nil || len(f.keys) == 0 {
		return nil, errNoFernetKeys
	}
	var iv [aes.BlockSize]byte
	if err := readRand(f.Rand, iv[:]); err != nil {
		return nil, err
	}
	ts := f.now().Unix()
	if ts < 0 {
		return nil, errors.New("secretbox: Fernet cannot encode a time before 1970")
	}
	return f.keys[0].encrypt(msg, uint64(ts), &iv)
}

func (k *fernetKey) encrypt(msg []byte, ts uint64, iv *[aes.BlockSize]byte) ([]byte, error) {
	if len(msg) > fernetMaxToken/2 {
		return nil, errors.New("secretbox: message too large for a Fernet token")
	}
	padded := (len(msg)/aes.BlockSize + 1) * aes.BlockSize
	var raw []byte
	if need := fernetHeader + padded + fernetMACSize; need <= scratchSize {
		buf := k.scratch.Get().(*[scratchSize]byte)
		defer k.scratch.Put(buf) // by then it holds only the public token bytes
		raw = buf[:need]
	} else {
		raw = make([]byte, need)
	}
	raw[0] = fernetVersion
	binary.BigEndian.PutUint64(raw[1:9], ts)
	copy(raw[9:fernetHeader], iv[:])
	body := raw[fernetHeader : fernetHeader+padded]
	copy(body, msg)
	pad := byte(padded - len(msg)) // #nosec G115 -- between 1 and 16
	for i := len(msg); i < padded; i++ {
		body[i] = pad
	}
	cipher.NewCBCEncrypter(k.block, iv[:]).CryptBlocks(body, body)
	mac := k.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(raw[:fernetHeader+padded])
	mac.Sum(raw[:fernetHeader+padded])
	k.macs.Put(mac)
	out := make([]byte, b64.EncodedLen(len(raw)))
	b64.Encode(out, raw)
	return out, nil
}

// Decrypt authenticates token with any of the keys and returns its plaintext, whatever the
// token's age: it is the call for data at rest that never expires. Any failure is [ErrAuth].
func (f *Fernet) Decrypt(token []byte) ([]byte, error) {
	msg, _, err := f.open(token)
	return msg, err
}

// DecryptTTL is [Fernet.DecryptTTLAt] at the current time.
func (f *Fernet) DecryptTTL(token []byte, ttl time.Duration) ([]byte, error) {
	return f.DecryptTTLAt(token, ttl, f.now())
}

// DecryptTTLAt authenticates token and returns its plaintext if, at now, the token is at most
// ttl old (whole seconds, as in the specification) and at most the skew allowance in the future.
// An inauthentic token fails with [ErrAuth]; only an authentic one can fail with [ErrExpired].
func (f *Fernet) DecryptTTLAt(token []byte, ttl time.Duration, now time.Time) ([]byte, error) {
	msg, ts, err := f.open(token)
	if err != nil {
		return nil, err
	}
	if !f.fresh(ts, ttl, now) {
		return nil, ErrExpired
	}
	return msg, nil
}

// fresh reports whether a token stamped ts is valid at now under ttl and the skew allowance,
// with the specification's integer-second arithmetic: ts+ttl >= now and ts <= now+skew.
func (f *Fernet) fresh(ts int64, ttl time.Duration, now time.Time) bool {
	skew := f.Skew
	switch {
	case skew == 0:
		skew = defaultSkew
	case skew < 0:
		skew = 0
	}
	n := now.Unix()
	ttlSec := int64(ttl / time.Second)
	if ttlSec < 0 {
		return false
	}
	// ts+ttl < n without overflow (ts, n and ttlSec are all in [0, MaxInt64] or n negative).
	if n > 0 && ts < n-ttlSec {
		return false
	}
	skewSec := int64(skew / time.Second)
	if n >= 0 && n <= math.MaxInt64-skewSec {
		return ts <= n+skewSec
	}
	return n >= 0 // n+skew overflows: nothing is further in the future
}

// Timestamp authenticates token with any of the keys and returns the time it was created.
func (f *Fernet) Timestamp(token []byte) (time.Time, error) {
	_, ts, err := f.open(token)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(ts, 0), nil
}

// Rotate authenticates token with any of the keys and re-encrypts its plaintext under the first
// key with a fresh IV, keeping the original timestamp (as Python's MultiFernet.rotate does). It
// applies no TTL.
func (f *Fernet) Rotate(token []byte) ([]byte, error) {
	msg, ts, err := f.open(token)
	if err != nil {
		return nil, err
	}
	if len(f.keys) == 0 {
		return nil, errNoFernetKeys
	}
	var iv [aes.BlockSize]byte
	if err := readRand(f.Rand, iv[:]); err != nil {
		return nil, err
	}
	return f.keys[0].encrypt(msg, uint64(ts), &iv) // #nosec G115 -- open guarantees 0 <= ts
}

// open decodes and authenticates token, returning the plaintext and timestamp.
func (f *Fernet) open(token []byte) ([]byte, int64, error) {
	if f == nil {
		return nil, 0, ErrAuth
	}
	// Strict canonical padded base64url: the decoder ignores CR and LF, so reject them here.
	if len(token) > fernetMaxToken || len(token)%4 != 0 || bytes.IndexByte(token, '\n') >= 0 || bytes.IndexByte(token, '\r') >= 0 {
		return nil, 0, ErrAuth
	}
	raw := make([]byte, b64.DecodedLen(len(token)))
	n, err := b64.Decode(raw, token)
	if err != nil {
		return nil, 0, ErrAuth
	}
	raw = raw[:n]
	if n < fernetMinRaw || raw[0] != fernetVersion || (n-fernetHeader-fernetMACSize)%aes.BlockSize != 0 {
		return nil, 0, ErrAuth
	}
	ts := binary.BigEndian.Uint64(raw[1:9])
	if ts > math.MaxInt64 {
		return nil, 0, ErrAuth
	}
	signed, tag := raw[:n-fernetMACSize], raw[n-fernetMACSize:]
	var sum [sha256.Size]byte
	var key *fernetKey
	for i := range f.keys {
		k := f.keys[i]
		mac := k.macs.Get().(hash.Hash)
		mac.Reset()
		mac.Write(signed)
		mac.Sum(sum[:0])
		k.macs.Put(mac)
		if hmac.Equal(sum[:], tag) && key == nil {
			key = k
		}
	}
	if key == nil {
		return nil, 0, ErrAuth
	}
	body := raw[fernetHeader : n-fernetMACSize]
	cipher.NewCBCDecrypter(key.block, raw[9:fernetHeader]).CryptBlocks(body, body)
	msg, ok := unpad(body)
	if !ok {
		return nil, 0, ErrAuth
	}
	return msg, int64(ts), nil
}

// unpad removes PKCS #7 padding. It runs only on authenticated plaintext (the MAC is checked
// first), so its timing reveals nothing an attacker could not already compute.
func unpad(b []byte) ([]byte, bool) {
	p := int(b[len(b)-1])
	if p == 0 || p > aes.BlockSize {
		return nil, false
	}
	for _, c := range b[len(b)-p:] {
		if int(c) != p {
			return nil, false
		}
	}
	return b[:len(b)-p], true
}

// readRand fills b from r, or from crypto/rand when r is nil.
func readRand(r io.Reader, b []byte) error {
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("secretbox: reading randomness: %w", err)
	}
	return nil
}
