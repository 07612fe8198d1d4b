package secretbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
)

// Passphrase header sections (see FORMAT.md). Both KDF sections are 97 bytes.
const (
	kdfSaltSize    = 16
	kdfParamsSize  = 9 // argon2id: time(4) memory(4) threads(1); scrypt: logN(1) r(4) p(4)
	passWrapSize   = kdfParamsSize + kdfSaltSize + chacha20poly1305.NonceSizeX + wrappedKey
	defaultTime    = 3
	defaultMemory  = 64 << 10 // KiB: 64 MiB, RFC 9106's second recommended option
	defaultThreads = 4
	defaultScrypt  = 128 << 10 // KiB: N = 2^17, r = 8
	scryptR        = 8
	scryptP        = 1

	// Hard caps, checked before any KDF work or allocation.
	maxMemory  = 256 << 10 // KiB
	maxTime    = 10
	maxThreads = 16
	maxScryptP = 4
	maxScryptR = 32
)

// KDF selects the passphrase key-derivation function and its cost for new headers. The zero
// value is Argon2id with t=3, m=64 MiB, p=4 (RFC 9106, second recommended option). Headers
// always store the parameters they were written with, so changing KDF affects only new headers.
type KDF struct {
	// Scrypt selects scrypt (N a power of two, r=8, p=1) instead of Argon2id.
	Scrypt bool
	// Time is the number of Argon2id passes; 0 means 3. Ignored for scrypt.
	Time uint32
	// Memory is the memory cost in KiB; 0 means 64 MiB for Argon2id and 128 MiB for scrypt
	// (scrypt rounds it down to 128*8*N bytes with N a power of two). At most 256 MiB.
	Memory uint32
	// Threads is the Argon2id parallelism; 0 means 4. Ignored for scrypt.
	Threads uint8
}

// Passphrase wraps stream data keys under a key derived from a passphrase with a random 16-byte
// salt per header. Because the passphrase protects only a random data key, changing it
// rewrites only the header (see [Rewrap]). A Passphrase redacts itself in fmt, slog and JSON
// output. Set the exported fields before first use; it is then safe for concurrent use.
type Passphrase struct {
	// KDF is the function and cost used for new headers.
	KDF KDF
	// MaxMemory caps, in KiB, the memory a header may ask the KDF to use when decrypting; 0
	// means the hard cap of 256 MiB, which is also the most it may be. Argon2id headers must also
	// ask for at most 10 passes and 16 threads, scrypt headers for r <= 32 and p <= 4. A header
	// above a cap fails with [ErrAuth] and [ErrKDFLimit] before any work is done.
	MaxMemory uint32
	// MinMemory, if not zero, refuses when decrypting (with [ErrAuth] and [ErrKDFLimit], before
	// any work is done) a header whose KDF would use less memory than this many KiB. A header's
	// parameters are chosen by whoever wrote the stream: a service that decrypts streams other
	// people supply sets MinMemory (to its own KDF.Memory, say), so that they cannot make each
	// passphrase guess cheap. Zero accepts any memory cost down to the functions' minimum.
	MinMemory uint32
	// Rand supplies data keys, salts and nonces; nil means [crypto/rand.Reader]. Set it only in
	// tests: a predictable source makes the data keys predictable.
	Rand io.Reader

	m *passphraseMaterial // nil for the zero Passphrase
}

// passphraseMaterial keeps the passphrase two pointers away from the Passphrase, so that fmt
// printing a caller's struct by reflection shows addresses, never the secret (see keyMaterial).
type passphraseMaterial struct {
	secret *[]byte
}

// errEmptyPassphrase fails a Passphrase that holds no secret (the zero value, or NewPassphrase
// of an empty slice) closed.
var errEmptyPassphrase = errors.New("secretbox: empty passphrase")

// NewPassphrase returns a Passphrase holding a copy of secret, with the default KDF. An empty
// secret (like the zero Passphrase) is refused when used.
func NewPassphrase(secret []byte) *Passphrase {
	b := bytes.Clone(secret)
	return &Passphrase{m: &passphraseMaterial{secret: &b}}
}

// String returns a redacted description.
func (p Passphrase) String() string { return "secretbox.Passphrase(REDACTED)" }

// Format writes the redacted description for every verb.
func (p Passphrase) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// LogValue implements [slog.LogValuer] with the redacted description.
func (p Passphrase) LogValue() slog.Value { return slog.StringValue(p.String()) }

// MarshalText returns the redacted description, so JSON and other encoders never see the secret.
func (p Passphrase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// empty reports whether p holds no passphrase (nil, the zero Passphrase, or an empty one).
func (p *Passphrase) empty() bool { return p == nil || p.m == nil || len(*p.m.secret) == 0 }

func (p *Passphrase) wrapType() byte {
	if p != nil && p.KDF.Scrypt {
		return wrapScrypt
	}
	return wrapArgon2id
}

func (p *Passphrase) random() io.Reader {
	if p == nil {
		return nil
	}
	return p.Rand
}

// kdfParams is the decoded parameter block of a passphrase header.
type kdfParams struct {
	scrypt  bool
	time    uint32 // argon2id
	memory  uint32 // argon2id, KiB
	threads uint8  // argon2id
	logN    uint8  // scrypt
	r, p    uint32 // scrypt
}

// params returns the parameters for a new header.
func (p *Passphrase) params() kdfParams {
	k := p.KDF
	if k.Scrypt {
		mem := k.Memory
		if mem == 0 {
			mem = defaultScrypt
		}
		// 128*r*N bytes = mem KiB, so N = mem*1024/(128*8) = mem; take the largest power of two.
		logN := uint8(1)
		for uint64(1)<<(logN+1) <= uint64(mem) && logN < 62 {
			logN++
		}
		return kdfParams{scrypt: true, logN: logN, r: scryptR, p: scryptP}
	}
	kp := kdfParams{time: k.Time, memory: k.Memory, threads: k.Threads}
	if kp.time == 0 {
		kp.time = defaultTime
	}
	if kp.memory == 0 {
		kp.memory = defaultMemory
	}
	if kp.threads == 0 {
		kp.threads = defaultThreads
	}
	return kp
}

func (kp *kdfParams) encode(b []byte) []byte {
	if kp.scrypt {
		b = append(b, kp.logN)
		b = binary.BigEndian.AppendUint32(b, kp.r)
		return binary.BigEndian.AppendUint32(b, kp.p)
	}
	b = binary.BigEndian.AppendUint32(b, kp.time)
	b = binary.BigEndian.AppendUint32(b, kp.memory)
	return append(b, kp.threads)
}

func decodeParams(typ byte, b []byte) kdfParams {
	if typ == wrapScrypt {
		return kdfParams{scrypt: true, logN: b[0], r: binary.BigEndian.Uint32(b[1:5]), p: binary.BigEndian.Uint32(b[5:9])}
	}
	return kdfParams{time: binary.BigEndian.Uint32(b[0:4]), memory: binary.BigEndian.Uint32(b[4:8]), threads: b[8]}
}

// check enforces the caps and the floor (memory in KiB; minMem 0 for none) and the functions'
// own preconditions.
func (kp *kdfParams) check(minMem, maxMem uint32) error {
	if maxMem == 0 || maxMem > maxMemory {
		maxMem = maxMemory
	}
	if kp.scrypt {
		// scrypt allocates 128*r*N bytes for V plus 128*r*p for B.
		if kp.logN < 1 || kp.logN > 40 || kp.r < 1 || kp.r > maxScryptR || kp.p < 1 || kp.p > maxScryptP {
			return ErrKDFLimit
		}
		if mem := (uint64(128) * uint64(kp.r) << kp.logN) >> 10; mem > uint64(maxMem) || mem < uint64(minMem) {
			return ErrKDFLimit
		}
		return nil
	}
	if kp.time < 1 || kp.time > maxTime || kp.threads < 1 || kp.threads > maxThreads ||
		kp.memory < 8*uint32(kp.threads) || kp.memory > maxMem || kp.memory < minMem {
		return ErrKDFLimit
	}
	return nil
}

func (kp *kdfParams) derive(secret, salt []byte) ([]byte, error) {
	if kp.scrypt {
		return scrypt.Key(secret, salt, 1<<kp.logN, int(kp.r), int(kp.p), chacha20poly1305.KeySize)
	}
	return argon2.IDKey(secret, salt, kp.time, kp.memory, kp.threads, chacha20poly1305.KeySize), nil
}

// wrapKey appends the passphrase wrap section (parameters, salt, nonce, wrapped key) to hdr.
func (p *Passphrase) wrapKey(hdr []byte, dk *[dataKeySize]byte, ad []byte) ([]byte, error) {
	if p.empty() {
		return nil, errEmptyPassphrase
	}
	kp := p.params()
	if err := kp.check(0, 0); err != nil {
		return nil, fmt.Errorf("secretbox: Passphrase.KDF: %w", err)
	}
	hdr = kp.encode(hdr)
	n := len(hdr)
	hdr = append(hdr, make([]byte, kdfSaltSize+chacha20poly1305.NonceSizeX)...)
	if err := readRand(p.Rand, hdr[n:]); err != nil {
		return nil, err
	}
	kek, err := kp.derive(*p.m.secret, hdr[n:n+kdfSaltSize])
	if err != nil {
		return nil, fmt.Errorf("secretbox: deriving the passphrase key: %w", err)
	}
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, err
	}
	aad := append(bytes.Clone(hdr[:n+kdfSaltSize]), ad...)
	return aead.Seal(hdr, hdr[n+kdfSaltSize:], dk[:], aad), nil
}

// unwrapKey reads a passphrase wrap section after prefix from src, checks its parameters
// against the caps, and recovers the data key.
func (p *Passphrase) unwrapKey(prefix []byte, src io.Reader, ad []byte) (dk [dataKeySize]byte, stale bool, err error) {
	if p.empty() {
		return dk, false, errEmptyPassphrase
	}
	typ := prefix[len(prefix)-1]
	if typ != wrapArgon2id && typ != wrapScrypt {
		return dk, false, ErrAuth
	}
	var b [passWrapSize]byte
	if _, err := io.ReadFull(src, b[:]); err != nil {
		return dk, false, readErr(err)
	}
	kp := decodeParams(typ, b[:kdfParamsSize])
	if err := kp.check(p.MinMemory, p.MaxMemory); err != nil {
		return dk, false, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	salt := b[kdfParamsSize : kdfParamsSize+kdfSaltSize]
	kek, err := kp.derive(*p.m.secret, salt)
	if err != nil {
		return dk, false, ErrAuth
	}
	aead, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return dk, false, ErrAuth
	}
	aad := make([]byte, 0, len(prefix)+kdfParamsSize+kdfSaltSize+len(ad))
	aad = append(append(append(aad, prefix...), b[:kdfParamsSize+kdfSaltSize]...), ad...)
	nonce := b[kdfParamsSize+kdfSaltSize : kdfParamsSize+kdfSaltSize+chacha20poly1305.NonceSizeX]
	if _, err := aead.Open(dk[:0], nonce, b[kdfParamsSize+kdfSaltSize+chacha20poly1305.NonceSizeX:], aad); err != nil {
		return dk, false, ErrAuth
	}
	return dk, false, nil
}
