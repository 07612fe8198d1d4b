package auth

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
	"golang.org/x/text/unicode/norm"
)

// Errors returned by [Hasher] methods. Test for them with [errors.Is]: most are wrapped with
// detail.
var (
	// ErrPasswordMismatch is the one opaque error for a failed login or verification: a wrong
	// password, an unknown user and a password that cannot match a legacy hash all return it,
	// so that the error cannot tell an attacker which case occurred.
	ErrPasswordMismatch = errors.New("auth: invalid credentials")

	// ErrPasswordTooLong is returned for a password longer than
	// [HasherConfig.MaxPasswordBytes] (1024 bytes by default), and by [Hasher.Hash] and
	// [Hasher.Verify] for a password longer than bcrypt's 72 bytes: rampart never truncates.
	ErrPasswordTooLong = errors.New("auth: password too long")

	// ErrEmptyPassword is returned by [Hasher.Hash] for an empty password.
	ErrEmptyPassword = errors.New("auth: empty password")

	// ErrMalformedHash is returned for a stored hash that is not a well-formed PHC string or
	// bcrypt hash.
	ErrMalformedHash = errors.New("auth: malformed password hash")

	// ErrUnsupportedHash is returned for a well-formed stored hash of an algorithm or version
	// this package does not implement (argon2d, argon2 v=16, bcrypt $2x$, ...).
	ErrUnsupportedHash = errors.New("auth: unsupported password hash")

	// ErrHashParams is returned for a stored hash whose parameters are invalid (p=0, t=0, a
	// salt shorter than 8 bytes) or exceed the caps of [HashLimits]. It is checked before any
	// memory is allocated for the hash.
	ErrHashParams = errors.New("auth: password hash parameters out of bounds")

	// ErrUnknownPepper is returned for a stored hash whose keyid= names no configured
	// [Pepper].
	ErrUnknownPepper = errors.New("auth: unknown pepper key ID")
)

// HashAlgorithm selects the algorithm [Hasher.Hash] uses for new hashes. Every algorithm is
// always accepted for verification, whatever the configured one.
type HashAlgorithm int

const (
	// Argon2id is RFC 9106's argon2id, the default and the right choice for new systems.
	Argon2id HashAlgorithm = iota
	// Bcrypt is for systems that must produce bcrypt hashes. Passwords are limited to 72 bytes.
	Bcrypt
	// Scrypt is RFC 7914's scrypt, in passlib's PHC form $scrypt$ln=..,r=..,p=..$salt$hash.
	Scrypt
	// PBKDF2SHA256 is RFC 8018's PBKDF2 with HMAC-SHA-256 (crypto/pbkdf2), for deployments
	// that require a FIPS 140 approved algorithm, in passlib's form
	// $pbkdf2-sha256$rounds$salt$hash.
	PBKDF2SHA256
)

// String returns the algorithm's PHC identifier.
func (a HashAlgorithm) String() string {
	switch a {
	case Argon2id:
		return "argon2id"
	case Bcrypt:
		return "bcrypt"
	case Scrypt:
		return "scrypt"
	case PBKDF2SHA256:
		return "pbkdf2-sha256"
	}
	return "HashAlgorithm(" + strconv.Itoa(int(a)) + ")"
}

// Argon2Params are argon2id's cost parameters. A zero field takes the default of OWASP's
// Password Storage Cheat Sheet: Memory 19456 KiB (19 MiB), Time 2, Threads 1.
//
// RFC 9106 section 4 recommends instead, when the memory is available, Memory 2 GiB
// (2097152 KiB), Time 1, Threads 4; or else Memory 64 MiB (65536 KiB), Time 3, Threads 4.
// Raise [HasherConfig.MemoryBudget] and [HashLimits.MaxMemory] to match.
type Argon2Params struct {
	Memory  uint32 // memory in KiB (argon2's m)
	Time    uint32 // passes over memory (argon2's t)
	Threads uint8  // lanes (argon2's p)
}

// ScryptParams are scrypt's cost parameters. A zero field takes OWASP's recommendation:
// LogN 17 (N = 131072), R 8, P 1, which uses 128 MiB per hash.
type ScryptParams struct {
	LogN uint8  // N = 1 << LogN
	R    uint32 // block size
	P    uint32 // parallelism
}

// HashLimits caps the parameters a [Hasher] accepts in stored hashes, so that a tampered or
// hostile hash (m=4194304, t=100, p=255) is refused with [ErrHashParams] before anything is
// allocated, rather than costing 4 GiB or minutes of CPU. A zero field takes its default; a
// cap below the hasher's own parameters is raised to them.
type HashLimits struct {
	// MaxMemory caps argon2's m*1 KiB and scrypt's 128*r*N bytes. Default 256 MiB; it is also
	// never more than [HasherConfig.MemoryBudget].
	MaxMemory int64
	// MaxTime caps argon2's t. Default 16.
	MaxTime uint32
	// MaxThreads caps argon2's p and scrypt's p. Default 16.
	MaxThreads uint8
	// MaxBcryptCost caps bcrypt's cost (2^cost rounds). Default 15.
	MaxBcryptCost int
	// MaxPBKDF2Iterations caps PBKDF2's rounds. Default 5,000,000.
	MaxPBKDF2Iterations int
}

// Pepper is a secret key mixed into every password by HMAC-SHA-256 before hashing, so that a
// stolen hash database is useless without the key, which lives elsewhere (a secret manager,
// an environment variable). Its ID is recorded in each hash as keyid=, so peppers can rotate:
// list the new one first and keep the old ones until [Hasher.Login] has upgraded their hashes.
//
// A Pepper prints only its ID through fmt (every verb), log/slog and encoding/json. fmt cannot
// call those methods on a Pepper held in an unexported struct field, where it would print the
// key's bytes: keep peppers in exported fields, or behind a pointer.
type Pepper struct {
	// ID names the key in stored hashes: 1 to 32 characters of [A-Za-z0-9.-].
	ID string
	// Key is the secret, at least 32 bytes from a CSPRNG.
	Key []byte
}

// String describes the pepper without its key.
func (p Pepper) String() string { return "auth.Pepper{ID:" + strconv.Quote(p.ID) + " Key:REDACTED}" }

// GoString implements [fmt.GoStringer] like [Pepper.String], so %#v hides the key too.
func (p Pepper) GoString() string { return p.String() }

// Format implements [fmt.Formatter] so that every verb (%x and %d included) prints
// [Pepper.String].
func (p Pepper) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// LogValue implements [slog.LogValuer]: the ID, never the key.
func (p Pepper) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", p.ID), slog.String("key", "REDACTED"))
}

// MarshalJSON implements [json.Marshaler]: the ID, never the key.
func (p Pepper) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}{p.ID, "REDACTED"})
}

// HasherConfig configures a [Hasher]. The zero value is the secure default: argon2id with
// OWASP's parameters, passwords up to 1024 bytes, NFKC normalization, a 256 MiB memory budget
// for concurrent hashes and no pepper.
type HasherConfig struct {
	// Algorithm for new hashes. Default [Argon2id].
	Algorithm HashAlgorithm
	// Argon2 parameters, used when Algorithm is [Argon2id].
	Argon2 Argon2Params
	// BcryptCost, used when Algorithm is [Bcrypt]. Default 12; at least 10 is advised.
	BcryptCost int
	// Scrypt parameters, used when Algorithm is [Scrypt].
	Scrypt ScryptParams
	// PBKDF2Iterations, used when Algorithm is [PBKDF2SHA256]. Default 600,000 (OWASP).
	PBKDF2Iterations int

	// MaxPasswordBytes is the longest password accepted, in bytes of UTF-8, before and after
	// normalization. Default 1024; at least 64.
	MaxPasswordBytes int

	// MemoryBudget is the most memory, in bytes, that concurrent hash computations of this
	// Hasher may hold at once; further calls wait (honouring their context) until memory is
	// released. Default 256 MiB, raised to one hash's memory if that is larger; an explicit
	// value smaller than one hash is an error.
	MemoryBudget int64

	// MaxConcurrent is the most hash computations of this Hasher that run at once, whatever
	// their memory; further calls wait in the same line as for memory. bcrypt and PBKDF2 use
	// little memory but a whole core each, so without it a login flood would run thousands
	// at once. Default twice GOMAXPROCS (at the time of NewHasher); negative is an error.
	MaxConcurrent int

	// Limits caps the parameters accepted from stored hashes.
	Limits HashLimits

	// Peppers, if any, are HMAC keys applied before hashing. The first is used for new hashes;
	// the others only verify existing ones. A pepper cannot be used with [Bcrypt] as the
	// algorithm, since bcrypt hashes have no place for a key ID.
	Peppers []Pepper

	// SkipNormalization turns off NFKC normalization of passwords (NIST SP 800-63B
	// section 3.1.1.2), for hashes shared with systems that hash raw bytes. ASCII passwords
	// are unaffected either way. Imported hashes do not need it: with normalization on,
	// Verify and Login also try the raw bytes of a password that normalization changes, and
	// Login upgrades such a hash to one of the normalized password.
	SkipNormalization bool

	// Rand is the source of salts. Nil means crypto/rand.Reader. Bcrypt always uses
	// crypto/rand.
	Rand io.Reader
}

// Defaults.
const (
	defaultArgon2Memory   = 19 * 1024
	defaultArgon2Time     = 2
	defaultArgon2Threads  = 1
	defaultBcryptCost     = 12
	defaultScryptLogN     = 17
	defaultScryptR        = 8
	defaultScryptP        = 1
	defaultPBKDF2Iter     = 600_000
	defaultMaxPassword    = 1024
	defaultMemoryBudget   = 256 << 20
	defaultMaxMemory      = 256 << 20
	defaultMaxTime        = 16
	defaultMaxThreads     = 16
	defaultMaxBcryptCost  = 15
	defaultMaxPBKDF2Iter  = 5_000_000
	hashSaltLen           = 16
	hashKeyLen            = 32
	bcryptMaxPassword     = 72
	minPepperKeyLen       = 32
	smallHashMemory       = 64 << 10 // the limiter's charge for bcrypt and PBKDF2
	maxScryptLogN         = 30
	maxScryptR            = 64
	minMemoryBudget       = 1 << 20
	maxMaxPasswordBytes   = 1 << 16
	minMaxPasswordBytes   = 64
	bcryptDigestLen       = 23
	bcryptMinAllowedCost  = 4
	bcryptMaxAllowedCost  = 31
	argon2MinMemoryPerLan = 8
)

// bcryptB64 is bcrypt's unpadded base64 with its own alphabet.
var bcryptB64 = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

// Hasher hashes and verifies passwords. Create one with [NewHasher]; it is safe for
// concurrent use, and its methods bound their memory by [HasherConfig.MemoryBudget].
type Hasher struct {
	target    phcHash // algorithm and parameters of new hashes (no salt or digest)
	maxPass   int
	limits    hashLimits
	peppers   map[string]func() []byte // behind functions, so that fmt never prints a key
	lim       *memoryLimiter
	rand      io.Reader
	normalize bool
	dummy     *phcHash // a hash nothing matches, at the current parameters, for unknown users
}

// NewHasher returns a Hasher for cfg, or an error if cfg is invalid.
func NewHasher(cfg HasherConfig) (*Hasher, error) {
	h := &Hasher{
		maxPass:   cfg.MaxPasswordBytes,
		rand:      cfg.Rand,
		normalize: !cfg.SkipNormalization,
	}
	if h.rand == nil {
		h.rand = rand.Reader
	}
	if h.maxPass == 0 {
		h.maxPass = defaultMaxPassword
	}
	if h.maxPass < minMaxPasswordBytes || h.maxPass > maxMaxPasswordBytes {
		return nil, fmt.Errorf("auth: HasherConfig.MaxPasswordBytes %d outside %d..%d", h.maxPass, minMaxPasswordBytes, maxMaxPasswordBytes)
	}

	t := &h.target
	switch cfg.Algorithm {
	case Argon2id:
		p := cfg.Argon2
		t.alg, t.memory, t.time, t.threads = phcArgon2id, passwordOrDefault(p.Memory, defaultArgon2Memory), passwordOrDefault(p.Time, defaultArgon2Time), passwordOrDefault(p.Threads, defaultArgon2Threads)
		if t.memory < argon2MinMemoryPerLan*uint32(t.threads) {
			return nil, fmt.Errorf("auth: Argon2Params.Memory %d KiB is below 8 KiB per thread", t.memory)
		}
	case Bcrypt:
		t.alg, t.cost = phcBcrypt, passwordOrDefault(cfg.BcryptCost, defaultBcryptCost)
		if t.cost < bcryptMinAllowedCost || t.cost > bcryptMaxAllowedCost {
			return nil, fmt.Errorf("auth: HasherConfig.BcryptCost %d outside 4..31", t.cost)
		}
		if len(cfg.Peppers) > 0 {
			return nil, errors.New("auth: a pepper cannot be used with Bcrypt: a bcrypt hash has no place for its key ID")
		}
	case Scrypt:
		p := cfg.Scrypt
		t.alg, t.logN, t.r, t.p = phcScrypt, passwordOrDefault(p.LogN, defaultScryptLogN), passwordOrDefault(p.R, defaultScryptR), passwordOrDefault(p.P, defaultScryptP)
		if t.logN > maxScryptLogN || t.r > maxScryptR || t.p > 255 || uint64(t.r)*uint64(t.p) >= 1<<30 {
			return nil, fmt.Errorf("auth: ScryptParams LogN=%d R=%d P=%d out of range", t.logN, t.r, t.p)
		}
	case PBKDF2SHA256:
		t.alg, t.iter = phcPBKDF2, passwordOrDefault(cfg.PBKDF2Iterations, defaultPBKDF2Iter)
		if t.iter < 1 {
			return nil, fmt.Errorf("auth: HasherConfig.PBKDF2Iterations %d is not positive", t.iter)
		}
	default:
		return nil, fmt.Errorf("auth: unknown %v", cfg.Algorithm)
	}
	weight := hashWeight(t)

	budget := cfg.MemoryBudget
	switch {
	case budget == 0:
		budget = max(defaultMemoryBudget, weight)
	case budget < minMemoryBudget:
		return nil, fmt.Errorf("auth: HasherConfig.MemoryBudget %d is below 1 MiB", budget)
	case budget < weight:
		return nil, fmt.Errorf("auth: HasherConfig.MemoryBudget %d is smaller than one %v hash (%d bytes)", budget, cfg.Algorithm, weight)
	}
	slots := cfg.MaxConcurrent
	switch {
	case slots == 0:
		slots = 2 * runtime.GOMAXPROCS(0)
	case slots < 0:
		return nil, fmt.Errorf("auth: HasherConfig.MaxConcurrent %d is negative", slots)
	}
	h.lim = newMemoryLimiter(budget, slots)

	l := cfg.Limits
	if l.MaxMemory < 0 || l.MaxBcryptCost < 0 || l.MaxPBKDF2Iterations < 0 {
		return nil, errors.New("auth: negative HashLimits field")
	}
	h.limits = hashLimits{
		memoryBytes: min(max(passwordOrDefault(l.MaxMemory, defaultMaxMemory), weight), budget),
		time:        max(passwordOrDefault(l.MaxTime, defaultMaxTime), t.time),
		threads:     max(passwordOrDefault(l.MaxThreads, defaultMaxThreads), t.threads, uint8(min(t.p, 255))), // #nosec G115 -- clamped to 255
		bcryptCost:  min(max(passwordOrDefault(l.MaxBcryptCost, defaultMaxBcryptCost), t.cost), bcryptMaxAllowedCost),
		pbkdf2Iter:  max(passwordOrDefault(l.MaxPBKDF2Iterations, defaultMaxPBKDF2Iter), t.iter),
		scryptLogN:  maxScryptLogN,
		scryptR:     maxScryptR,
	}
	h.limits.scryptP = uint32(h.limits.threads)

	if len(cfg.Peppers) > 0 {
		h.peppers = make(map[string]func() []byte, len(cfg.Peppers))
		for i, p := range cfg.Peppers {
			if !validKeyID(p.ID) {
				return nil, fmt.Errorf("auth: Pepper %d: ID %q is not 1 to 32 characters of [A-Za-z0-9.-]", i, p.ID)
			}
			if len(p.Key) < minPepperKeyLen {
				return nil, fmt.Errorf("auth: Pepper %q: key of %d bytes is shorter than %d", p.ID, len(p.Key), minPepperKeyLen)
			}
			if _, dup := h.peppers[p.ID]; dup {
				return nil, fmt.Errorf("auth: Pepper ID %q appears twice", p.ID)
			}
			key := append([]byte(nil), p.Key...)
			h.peppers[p.ID] = func() []byte { return key }
		}
		t.keyID = cfg.Peppers[0].ID
	}

	dummy, err := h.newDummy()
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// MustNewHasher is like [NewHasher] but panics on an invalid configuration. It is meant for
// package-level initialization with a constant configuration.
func MustNewHasher(cfg HasherConfig) *Hasher {
	h, err := NewHasher(cfg)
	if err != nil {
		panic(err)
	}
	return h
}

func passwordOrDefault[T int | int64 | uint8 | uint32](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// newDummy returns a hash at the target parameters with a random salt and digest, which no
// password matches except with probability 2^-256 (2^-184 for bcrypt).
func (h *Hasher) newDummy() (*phcHash, error) {
	d := h.target
	if d.alg == phcBcrypt {
		var raw [16 + bcryptDigestLen]byte
		if _, err := io.ReadFull(h.rand, raw[:]); err != nil {
			return nil, fmt.Errorf("auth: reading randomness: %w", err)
		}
		d.encoded = fmt.Sprintf("$2b$%02d$%s%s", d.cost, bcryptB64.EncodeToString(raw[:16]), bcryptB64.EncodeToString(raw[16:]))
		return &d, nil
	}
	buf := make([]byte, hashSaltLen+hashKeyLen)
	if _, err := io.ReadFull(h.rand, buf); err != nil {
		return nil, fmt.Errorf("auth: reading randomness: %w", err)
	}
	d.salt, d.sum = buf[:hashSaltLen], buf[hashSaltLen:]
	return &d, nil
}

// hashWeight is the memory, in bytes, that computing h allocates: what the limiter charges.
func hashWeight(h *phcHash) int64 {
	switch h.alg {
	case phcArgon2id, phcArgon2i:
		return int64(h.memory) * 1024
	case phcScrypt:
		return scryptMemory(h.logN, h.r, h.p)
	}
	return smallHashMemory
}

// prepare checks the password's length and normalizes it.
func (h *Hasher) prepare(password string) ([]byte, error) {
	pw, _, err := h.prepareBoth(password)
	return pw, err
}

// prepareBoth is prepare that also returns the password's raw bytes when normalization
// changed them (nil otherwise), for stored hashes made over raw bytes by other systems.
func (h *Hasher) prepareBoth(password string) (pw, raw []byte, err error) {
	if len(password) > h.maxPass {
		return nil, nil, fmt.Errorf("%w: more than %d bytes", ErrPasswordTooLong, h.maxPass)
	}
	if h.normalize && !norm.NFKC.IsNormalString(password) {
		n := norm.NFKC.String(password)
		if len(n) > h.maxPass {
			return nil, nil, fmt.Errorf("%w: more than %d bytes after NFKC normalization", ErrPasswordTooLong, h.maxPass)
		}
		return []byte(n), []byte(password), nil
	}
	return []byte(password), nil, nil
}

// matchCandidates checks a password's candidates against target in order: pw, as normalized,
// and raw, the bytes as typed when normalization changed them (nil otherwise), since a hash
// imported from a system that hashes raw bytes (passlib, PHP, an older service) matches only
// those; a hash made here, over normalized bytes, never matches raw, which is not normalized.
// Every candidate costs one computation, so a wrong password costs the same for every stored
// hash of one algorithm. It returns the index of the first candidate that matches, or -1 and
// the first candidate's error.
//
// With spendTruncated (Login), a candidate too long for bcrypt is checked truncated to 72
// bytes, to spend the computation an unknown user's would, and never counts; otherwise it fails
// with ErrPasswordTooLong at once. With usable false (the dummy hash of an unknown user), no
// match counts.
func (h *Hasher) matchCandidates(ctx context.Context, target *phcHash, pw, raw []byte, spendTruncated, usable bool) (int, error) {
	cands := [2][]byte{pw, raw}
	n := 1
	if raw != nil {
		n = 2
	}
	var first error
	for i, cand := range cands[:n] {
		counts := usable
		if spendTruncated && target.alg == phcBcrypt && len(cand) > bcryptMaxPassword {
			cand, counts = cand[:bcryptMaxPassword], false
		}
		err := h.check(ctx, target, cand)
		switch {
		case err == nil && counts:
			return i, nil
		case err == nil:
			err = ErrPasswordMismatch // a truncated password, or the dummy hash: worthless
		case !errors.Is(err, ErrPasswordMismatch) && !errors.Is(err, ErrPasswordTooLong):
			return -1, err // ctx done while waiting, or a stored hash beyond the budget
		}
		if first == nil {
			first = err
		}
	}
	return -1, first
}

// pepper returns HMAC-SHA-256(key, pw) for the hash's key ID, or pw when it has none.
func (h *Hasher) pepper(ph *phcHash, pw []byte) ([]byte, error) {
	if ph.keyID == "" {
		return pw, nil
	}
	keyOf, ok := h.peppers[ph.keyID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPepper, ph.keyID)
	}
	m := hmac.New(sha256.New, keyOf())
	m.Write(pw)
	return m.Sum(nil), nil
}

// deriveDigest computes the digest of pw (already peppered) with ph's algorithm, parameters and
// salt, producing keyLen bytes. The caller holds the limiter.
func deriveDigest(ph *phcHash, pw []byte, keyLen int) ([]byte, error) {
	switch ph.alg {
	case phcArgon2id:
		return argon2.IDKey(pw, ph.salt, ph.time, ph.memory, ph.threads, uint32(keyLen)), nil // #nosec G115 -- keyLen <= 64
	case phcArgon2i:
		return argon2.Key(pw, ph.salt, ph.time, ph.memory, ph.threads, uint32(keyLen)), nil // #nosec G115 -- keyLen <= 64
	case phcScrypt:
		return scrypt.Key(pw, ph.salt, 1<<ph.logN, int(ph.r), int(ph.p), keyLen)
	case phcPBKDF2:
		return pbkdf2.Key(sha256.New, string(pw), ph.salt, ph.iter, keyLen)
	}
	return nil, fmt.Errorf("%w: algorithm %d", ErrUnsupportedHash, ph.alg)
}

// check verifies the prepared password pw against ph, spending one full computation at ph's
// parameters. It returns nil on a match and ErrPasswordMismatch otherwise.
func (h *Hasher) check(ctx context.Context, ph *phcHash, pw []byte) error {
	if ph.alg == phcBcrypt && len(pw) > bcryptMaxPassword {
		return fmt.Errorf("%w: bcrypt uses at most %d bytes and this password has %d", ErrPasswordTooLong, bcryptMaxPassword, len(pw))
	}
	in, err := h.pepper(ph, pw)
	if err != nil {
		return err
	}
	w := hashWeight(ph)
	if w > h.lim.size {
		return fmt.Errorf("%w: needs %d bytes, above the memory budget %d", ErrHashParams, w, h.lim.size)
	}
	if err := h.lim.acquire(ctx, w); err != nil {
		return fmt.Errorf("auth: waiting for hash memory: %w", err)
	}
	defer h.lim.release(w)
	if ph.alg == phcBcrypt {
		err := bcrypt.CompareHashAndPassword([]byte(ph.encoded), in)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return ErrPasswordMismatch
		default:
			return fmt.Errorf("%w: %w", ErrMalformedHash, err)
		}
	}
	sum, err := deriveDigest(ph, in, len(ph.sum))
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(sum, ph.sum) != 1 {
		return ErrPasswordMismatch
	}
	return nil
}

// Hash returns a new hash of password with the configured algorithm and parameters: a PHC
// string, or a $2b$ string for [Bcrypt]. It waits, honouring ctx, while the memory budget is
// in use. Errors: [ErrEmptyPassword], [ErrPasswordTooLong], or ctx's error (wrapped).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if password == "" {
		return "", ErrEmptyPassword
	}
	pw, err := h.prepare(password)
	if err != nil {
		return "", err
	}
	return h.hashPrepared(ctx, pw)
}

func (h *Hasher) hashPrepared(ctx context.Context, pw []byte) (string, error) {
	t := h.target
	if t.alg == phcBcrypt {
		if len(pw) > bcryptMaxPassword {
			return "", fmt.Errorf("%w: bcrypt uses at most %d bytes and this password has %d", ErrPasswordTooLong, bcryptMaxPassword, len(pw))
		}
		if err := h.lim.acquire(ctx, smallHashMemory); err != nil {
			return "", fmt.Errorf("auth: waiting for hash memory: %w", err)
		}
		defer h.lim.release(smallHashMemory)
		out, err := bcrypt.GenerateFromPassword(pw, t.cost)
		if err != nil {
			return "", fmt.Errorf("auth: bcrypt: %w", err)
		}
		// x/crypto writes $2a$; its implementation has neither bug that $2b$ and $2y$ mark, so
		// the hash is also a valid $2b$ hash, the prefix every current implementation writes.
		return "$2b$" + strings.TrimPrefix(string(out), "$2a$"), nil
	}
	in, err := h.pepper(&t, pw)
	if err != nil {
		return "", err
	}
	t.salt = make([]byte, hashSaltLen)
	if _, err := io.ReadFull(h.rand, t.salt); err != nil {
		return "", fmt.Errorf("auth: reading randomness: %w", err)
	}
	w := hashWeight(&t)
	if err := h.lim.acquire(ctx, w); err != nil {
		return "", fmt.Errorf("auth: waiting for hash memory: %w", err)
	}
	t.sum, err = deriveDigest(&t, in, hashKeyLen)
	h.lim.release(w)
	if err != nil {
		return "", err
	}
	return t.String(), nil
}

// Verify reports whether password matches the stored hash encoded, which may be any supported
// format (argon2id, argon2i, bcrypt $2a$/$2b$/$2y$, scrypt, pbkdf2-sha256, and Django's
// pbkdf2_sha256 and argon2 forms). It returns nil
// on a match, and then reports in needsRehash whether encoded uses another algorithm,
// weaker or different parameters, or an older pepper than the Hasher's configuration, or
// matched only the password's raw bytes before NFKC normalization (a hash imported from a
// system that does not normalize; see [Hasher.Login]).
//
// Errors: [ErrPasswordMismatch]; [ErrPasswordTooLong]; [ErrMalformedHash],
// [ErrUnsupportedHash], [ErrHashParams] or [ErrUnknownPepper] for a stored hash it cannot
// use; ctx's error (wrapped). For logins, prefer [Hasher.Login], which also handles unknown
// users without a timing difference.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (needsRehash bool, err error) {
	pw, raw, err := h.prepareBoth(password)
	if err != nil {
		return false, err
	}
	ph, err := parsePHC(encoded, &h.limits)
	if err != nil {
		return false, err
	}
	matched, err := h.matchCandidates(ctx, ph, pw, raw, false, true)
	if err != nil {
		return false, err
	}
	return matched == 1 || h.needsRehash(ph), nil
}

// NeedsRehash reports whether the stored hash encoded should be replaced by a new hash: it
// uses another algorithm, different parameters or an older pepper than the configuration,
// or it cannot be parsed. It does no hashing.
func (h *Hasher) NeedsRehash(encoded string) bool {
	ph, err := parsePHC(encoded, &h.limits)
	if err != nil {
		return true
	}
	return h.needsRehash(ph)
}

func (h *Hasher) needsRehash(ph *phcHash) bool {
	t := &h.target
	if ph.alg != t.alg || ph.keyID != t.keyID || ph.django {
		return true
	}
	switch ph.alg {
	case phcBcrypt:
		return ph.cost != t.cost
	case phcArgon2id:
		if ph.memory != t.memory || ph.time != t.time || ph.threads != t.threads {
			return true
		}
	case phcScrypt:
		if ph.logN != t.logN || ph.r != t.r || ph.p != t.p {
			return true
		}
	case phcPBKDF2:
		if ph.iter != t.iter {
			return true
		}
	}
	return len(ph.salt) < hashSaltLen || len(ph.sum) != hashKeyLen
}

// Login verifies a login attempt. stored is the user's stored hash, or "" when the user does
// not exist: then Login verifies against a dummy hash at the current parameters, so an
// unknown user costs the same full hash computation as a wrong password and the two cannot
// be told apart by timing or by the error (both return [ErrPasswordMismatch]).
//
// On success it returns a nil error and, when the stored hash needs upgrading (see
// [Hasher.NeedsRehash]), a new hash of the password to store in place of the old one;
// otherwise newHash is "". Computing the new hash is a second hash computation, made only
// after a successful login; if it fails (ctx done while waiting for memory) the login still
// succeeds and newHash is "", so the upgrade happens at a later login.
//
// A password that cannot match the stored hash (more than 72 bytes against a bcrypt hash)
// and a stored hash naming an unknown pepper also spend the dummy computation and return
// [ErrPasswordMismatch] and [ErrUnknownPepper] respectively. A malformed or out-of-bounds
// stored hash spends it too and returns [ErrMalformedHash], [ErrUnsupportedHash] or
// [ErrHashParams]. A password longer than [HasherConfig.MaxPasswordBytes] is refused at once
// with [ErrPasswordTooLong], whoever the user.
//
// A password that NFKC normalization changes (full-width characters, ligatures) is checked
// as normalized and, failing that, as typed, since a hash imported from a system that hashes
// raw bytes matches only the latter; a match as typed is upgraded like an old hash. Such a
// wrong password costs two hash computations, for an unknown user as for a known one.
func (h *Hasher) Login(ctx context.Context, password, stored string) (newHash string, err error) {
	pw, raw, err := h.prepareBoth(password)
	if err != nil {
		return "", err
	}
	target := h.dummy
	fail := ErrPasswordMismatch
	var ph *phcHash
	if stored != "" {
		ph, err = parsePHC(stored, &h.limits)
		switch {
		case err != nil:
			fail, ph = err, nil
		case ph.keyID != "" && h.peppers[ph.keyID] == nil:
			fail, ph = fmt.Errorf("%w: %q", ErrUnknownPepper, ph.keyID), nil
		default:
			target = ph
		}
	}
	matched, err := h.matchCandidates(ctx, target, pw, raw, true, ph != nil)
	if err != nil && !errors.Is(err, ErrPasswordMismatch) {
		return "", err
	}
	switch {
	case ph == nil:
		return "", fail
	case matched < 0:
		return "", ErrPasswordMismatch
	case matched == 0 && !h.needsRehash(ph):
		return "", nil
	}
	newHash, err = h.hashPrepared(ctx, pw)
	if err != nil {
		// The login succeeded; the upgrade is retried at the next login.
		return "", nil
	}
	return newHash, nil
}
