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
	// maxUnix is the latest Unix time, in seconds, that a time.Time can hold (in the year
	// 292277024627): it counts seconds from the year 1, 62135596800 seconds before 1970, in an int64.
	maxUnix = math.MaxInt64 - 62135596800
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
	block cipher.Block
	macs  *sync.Pool // of hash.Hash keyed with the signing key
}

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
			block: block,
			macs:  &sync.Pool{New: func() any { return hmac.New(sha256.New, sign) }},
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
	full := len(msg) &^ (aes.BlockSize - 1)
	padded := full + aes.BlockSize
	rawLen := fernetHeader + padded + fernetMACSize
	// The token is built in its own output buffer: the raw bytes first, then base64-encoded in
	// place from the end (see encodeInPlace), so there is one allocation and no copy of msg.
	out := make([]byte, b64.EncodedLen(rawLen))
	raw := out[:rawLen]
	raw[0] = fernetVersion
	binary.BigEndian.PutUint64(raw[1:9], ts)
	copy(raw[9:fernetHeader], iv[:])
	body := raw[fernetHeader : fernetHeader+padded]
	cbc := cipher.NewCBCEncrypter(k.block, iv[:])
	cbc.CryptBlocks(body[:full], msg[:full]) // straight from msg: no copy
	tail := body[full:]
	pad := byte(padded - len(msg)) // #nosec G115 -- between 1 and 16
	for i := copy(tail, msg[full:]); i < aes.BlockSize; i++ {
		tail[i] = pad
	}
	cbc.CryptBlocks(tail, tail) // the mode carries the chaining value over
	mac := k.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(raw[:fernetHeader+padded])
	mac.Sum(raw[:fernetHeader+padded])
	k.macs.Put(mac)
	encodeInPlace(out, rawLen)
	return out, nil
}

// Decrypt authenticates token with any of the keys and returns its plaintext, whatever the
// token's age or timestamp: it is the call for data at rest that never expires. Any failure is
// [ErrAuth].
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
// Timestamps are unsigned 64-bit seconds, compared without overflow: one of 2^63 or more (which
// Python's cryptography also makes and accepts) is authenticated like any other and then
// refused with [ErrExpired] as lying too far in the future.
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

// fresh reports whether a token stamped ts (unsigned, as in the specification) is valid at now
// under ttl and the skew allowance, with the specification's integer-second arithmetic:
// ts+ttl >= now and ts <= now+skew. A clock before 1970 accepts nothing.
func (f *Fernet) fresh(ts uint64, ttl time.Duration, now time.Time) bool {
	skew := f.Skew
	switch {
	case skew == 0:
		skew = defaultSkew
	case skew < 0:
		skew = 0
	}
	n := now.Unix()
	ttlSec := int64(ttl / time.Second)
	skewSec := int64(skew / time.Second)
	if n < 0 || ttlSec < 0 {
		return false
	}
	// n, ttlSec and skewSec are in [0, MaxInt64]: n-ttlSec cannot overflow, nor can n+skewSec
	// as a uint64, so both comparisons are exact for every ts in [0, 2^64).
	if n > ttlSec && ts < uint64(n-ttlSec) { // #nosec G115 -- n-ttlSec > 0; ts+ttl < n: too old
		return false
	}
	return ts <= uint64(n)+uint64(skewSec) // #nosec G115 -- both are non-negative
}

// Timestamp authenticates token with any of the keys and returns the time it was created. A
// timestamp later than a time.Time can hold (the year 292277024627; Fernet timestamps are
// unsigned 64-bit seconds) is reported as the latest time it can hold.
func (f *Fernet) Timestamp(token []byte) (time.Time, error) {
	_, ts, err := f.open(token)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(min(ts, maxUnix)), 0), nil // #nosec G115 -- at most maxUnix
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
	return f.keys[0].encrypt(msg, ts, &iv)
}

// open decodes and authenticates token, returning the plaintext and timestamp. Every timestamp
// is accepted here, including those of 2^63 or more: only the MAC decides authenticity, and
// the callers judge the time.
func (f *Fernet) open(token []byte) ([]byte, uint64, error) {
	if f == nil {
		return nil, 0, ErrAuth
	}
	// Strict canonical padded base64url, nothing else: decodeToken refuses CR and LF as well.
	if len(token) > fernetMaxToken || len(token) < 4 || len(token)%4 != 0 {
		return nil, 0, ErrAuth
	}
	raw := make([]byte, len(token)/4*3)
	n, ok := decodeToken(raw, token)
	if !ok {
		return nil, 0, ErrAuth
	}
	raw = raw[:n]
	if n < fernetMinRaw || raw[0] != fernetVersion || (n-fernetHeader-fernetMACSize)%aes.BlockSize != 0 {
		return nil, 0, ErrAuth
	}
	ts := binary.BigEndian.Uint64(raw[1:9])
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
	cbcDecryptInPlace(key.block, raw[9:fernetHeader], body)
	msg, ok := unpad(body)
	if !ok {
		return nil, 0, ErrAuth
	}
	return msg, ts, nil
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

// cbcDecryptInPlace decrypts buf (whole blocks) in place in CBC mode. It works from the last
// block back to the first, so that the ciphertext block each step XORs in is still intact, and
// XORs with two 64-bit words instead of cipher.NewCBCDecrypter's per-block generic XOR call
// (about twice as fast on amd64, where the standard library has no assembly for CBC).
func cbcDecryptInPlace(b cipher.Block, iv, buf []byte) {
	for i := len(buf) - aes.BlockSize; i >= 0; i -= aes.BlockSize {
		blk := buf[i : i+aes.BlockSize]
		b.Decrypt(blk, blk)
		prev := iv
		if i > 0 {
			prev = buf[i-aes.BlockSize : i]
		}
		binary.LittleEndian.PutUint64(blk[:8], binary.LittleEndian.Uint64(blk[:8])^binary.LittleEndian.Uint64(prev[:8]))
		binary.LittleEndian.PutUint64(blk[8:], binary.LittleEndian.Uint64(blk[8:])^binary.LittleEndian.Uint64(prev[8:16]))
	}
}

// b64Pairs maps 12 bits to their two base64url characters, the first in the low byte (so that
// four entries make eight characters of a little-endian store), halving the table lookups of
// encodeInPlace. It is built on first use (8 KiB).
var b64Pairs = sync.OnceValue(func() *[4096]uint16 {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	t := new([4096]uint16)
	for i := range t {
		t[i] = uint16(alphabet[i>>6]) | uint16(alphabet[i&63])<<8
	}
	return t
})

// encodeInPlace base64url-encodes (padded) the first rawLen bytes of buf into all of buf, which
// must be b64.EncodedLen(rawLen) long. It works from the last group of three bytes back to the
// first: group g is read (into a register) before its four characters are written at 4g, and
// every group not yet encoded lies below 3g <= 4g, so nothing unread is overwritten.
func encodeInPlace(buf []byte, rawLen int) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	pairs := b64Pairs()
	g := rawLen / 3
	switch rawLen % 3 {
	case 1:
		v := uint(buf[3*g]) << 16
		o := buf[4*g : 4*g+4]
		o[0], o[1], o[2], o[3] = alphabet[v>>18], alphabet[v>>12&63], '=', '='
	case 2:
		v := uint(buf[3*g])<<16 | uint(buf[3*g+1])<<8
		o := buf[4*g : 4*g+4]
		o[0], o[1], o[2], o[3] = alphabet[v>>18], alphabet[v>>12&63], alphabet[v>>6&63], '='
	}
	// Two groups (6 bytes, 8 characters) at a time, with one 8-byte load: for g <= G-2 (G full
	// groups) the load ends at 3g+8 <= 3G+2 <= len(buf), and its last two bytes, which belong
	// to group g+2 and are ignored, have not been overwritten (group g+2 was written at 4g+8).
	for g -= 2; g >= 0; g -= 2 {
		x := binary.BigEndian.Uint64(buf[3*g : 3*g+8])
		v, w := x>>40, x>>16&0xffffff
		binary.LittleEndian.PutUint64(buf[4*g:4*g+8], uint64(pairs[v>>12])|uint64(pairs[v&0xfff])<<16|
			uint64(pairs[w>>12])<<32|uint64(pairs[w&0xfff])<<48)
	}
	if g == -1 {
		v := uint(buf[0])<<16 | uint(buf[1])<<8 | uint(buf[2])
		p, q := pairs[v>>12], pairs[v&0xfff]
		buf[0], buf[1], buf[2], buf[3] = byte(p), byte(p>>8), byte(q), byte(q>>8) // #nosec G115 -- deliberate truncation to bytes
	}
}

// b64PairsDec maps two base64url characters (first<<8 | second) to their 12 bits, or to
// 0xffff when either is not in the alphabet (padding, CR, LF and anything else). It is built on
// first use (128 KiB) and halves the table lookups of decodeToken.
var b64PairsDec = sync.OnceValue(func() *[1 << 16]uint16 {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var single [256]uint16
	for i := range single {
		single[i] = 0xffff
	}
	for i := range len(alphabet) {
		single[alphabet[i]] = uint16(i) // #nosec G115 -- i < 64
	}
	t := new([1 << 16]uint16)
	for i := range t {
		hi, lo := single[i>>8], single[i&0xff]
		if hi == 0xffff || lo == 0xffff {
			t[i] = 0xffff
		} else {
			t[i] = hi<<6 | lo
		}
	}
	return t
})

// decodeToken decodes canonical padded base64url src (len(src) a positive multiple of 4) into
// dst, which must be at least len(src)/4*3 bytes, and reports the decoded length. It accepts
// exactly what b64.Decode accepts, minus the CR and LF that b64.Decode skips: every quantum but
// the last must be four alphabet characters, and the last is decoded by b64 itself, which checks
// the padding and that the unused bits are zero.
func decodeToken(dst, src []byte) (int, bool) {
	t := b64PairsDec()
	body, last := src[:len(src)-4], src[len(src)-4:]
	o := 0
	// Eight characters (six bytes) at a time. The 8-byte store runs two bytes past the six, which
	// is safe: at least the last quantum's three bytes of dst follow and are written later.
	for len(body) >= 8 {
		a := uint64(t[uint(body[0])<<8|uint(body[1])])
		b := uint64(t[uint(body[2])<<8|uint(body[3])])
		c := uint64(t[uint(body[4])<<8|uint(body[5])])
		d := uint64(t[uint(body[6])<<8|uint(body[7])])
		if (a|b|c|d)&0xf000 != 0 {
			return 0, false
		}
		binary.BigEndian.PutUint64(dst[o:o+8], (a<<36|b<<24|c<<12|d)<<16)
		body = body[8:]
		o += 6
	}
	if len(body) == 4 {
		a := uint(t[uint(body[0])<<8|uint(body[1])])
		b := uint(t[uint(body[2])<<8|uint(body[3])])
		if (a|b)&0xf000 != 0 {
			return 0, false
		}
		v := a<<12 | b
		dst[o], dst[o+1], dst[o+2] = byte(v>>16), byte(v>>8), byte(v) // #nosec G115 -- deliberate truncation to bytes
		o += 3
	}
	m, err := b64.Decode(dst[o:o+3], last)
	if err != nil || bytes.IndexByte(last, '\n') >= 0 || bytes.IndexByte(last, '\r') >= 0 {
		return 0, false
	}
	return o + m, true
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
