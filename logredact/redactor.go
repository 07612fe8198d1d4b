package logredact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
)

// Mode selects what replaces a secret.
type Mode int

const (
	// Typed is the default: it names the detector: "[REDACTED:card]". Values redacted because of their
	// key read "[REDACTED]".
	Typed Mode = iota
	// Fixed writes "[REDACTED]" for everything.
	Fixed
	// Partial keeps the last four characters of a secret of at least 16 characters (the last four
	// digits of a card, whatever its length), as "[REDACTED:card:****1111]"; shorter secrets are
	// replaced as in Typed.
	Partial
	// Pseudonym replaces a secret with a keyed hash, "[REDACTED:card:3f2a9c01b7de]": the first 48
	// bits of HMAC-SHA256 under [Config.PseudonymKey], hex-encoded, so the same secret correlates
	// across lines without being revealed. Values shorter than [MinPseudonymLen] bytes are refused
	// (replaced as in Typed): a short value is too easy to confirm by guessing if the key ever leaks.
	Pseudonym
)

// MinPseudonymLen is the shortest value, in bytes, that [Pseudonym] mode and
// [Redactor.Pseudonym] will pseudonymize.
const MinPseudonymLen = 8

// MinPseudonymKeyLen is the shortest accepted [Config.PseudonymKey], in bytes.
const MinPseudonymKeyLen = 32

// DefaultMaxLine is the line length at which a [Writer] stops buffering and redacts what it holds.
const DefaultMaxLine = 64 << 10

// Errors returned by this package.
var (
	// ErrPseudonymKey is returned by [New] when Mode is [Pseudonym] and the key is shorter than
	// [MinPseudonymKeyLen] bytes, and by [Redactor.Pseudonym] when the Redactor has no key.
	ErrPseudonymKey = errors.New("logredact: pseudonym key must be at least 32 bytes")
	// ErrTooShort is returned by [Redactor.Pseudonym] for values shorter than [MinPseudonymLen].
	ErrTooShort = errors.New("logredact: value too short to pseudonymize safely")
	// ErrClosed is returned by [Writer.Write] after [Writer.Close].
	ErrClosed = errors.New("logredact: writer is closed")
)

// Config holds the optional settings of a [Redactor]. The zero value is the secure default: every
// detector on (e-mail addresses included), typed replacements, the built-in key names, lines up to
// [DefaultMaxLine] bytes.
type Config struct {
	// Mode selects the replacement text; the zero value is [Typed].
	Mode Mode
	// PseudonymKey is the HMAC key for [Pseudonym] mode and [Redactor.Pseudonym]: at least
	// [MinPseudonymKeyLen] random bytes, kept secret and stable across restarts for pseudonyms to
	// correlate. Generate it with crypto/rand; never hard-code it.
	PseudonymKey []byte
	// Keys adds sensitive key names. Each is normalized like the built-in names (case, '-', '_',
	// '.' and spaces ignored) and matches keys equal to it or ending with it: "ssn" matches "SSN"
	// and "customer_ssn".
	Keys []string
	// KeepEmails turns off the e-mail address detector. Addresses are personal data; keep them only
	// where your privacy policy allows.
	KeepEmails bool
	// MaxLine is the longest line a [Writer] buffers, in bytes; zero means [DefaultMaxLine]. It must
	// be at least 1024. See [Writer] for what happens to longer lines.
	MaxLine int
}

// Redactor finds and replaces secrets. It is immutable after [New] and safe for concurrent use.
// The zero Redactor is usable and behaves like New(Config{}).
type Redactor struct {
	mode     Mode
	keys     [][]byte
	keyMasks []uint32
	keepMail bool
	maxLine  int
	hmacs    *sync.Pool // of hash.Hash keyed with PseudonymKey; nil without a key

	keyCache [256]atomic.Pointer[keyEntry] // recent SensitiveKey answers: 64 sets of 4 ways
}

// New returns a Redactor with the given settings. It returns [ErrPseudonymKey] when cfg.Mode is
// [Pseudonym] without a long enough key, and an error for an unknown mode or a MaxLine below 1024.
func New(cfg Config) (*Redactor, error) {
	r := &Redactor{mode: cfg.Mode, keepMail: cfg.KeepEmails, maxLine: cfg.MaxLine}
	switch cfg.Mode {
	case Typed, Fixed, Partial, Pseudonym:
	default:
		return nil, fmt.Errorf("logredact: unknown Mode %d", int(cfg.Mode))
	}
	if r.maxLine == 0 {
		r.maxLine = DefaultMaxLine
	}
	if r.maxLine < 1024 {
		return nil, fmt.Errorf("logredact: Config.MaxLine %d is below the minimum of 1024", cfg.MaxLine)
	}
	if len(cfg.PseudonymKey) > 0 || cfg.Mode == Pseudonym {
		if len(cfg.PseudonymKey) < MinPseudonymKeyLen {
			return nil, ErrPseudonymKey
		}
		key := append([]byte(nil), cfg.PseudonymKey...)
		r.hmacs = &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}
	}
	for _, k := range cfg.Keys {
		var buf [maxKey]byte
		nk := normalizeKey(&buf, k, 0, len(k))
		if len(nk) > 0 {
			r.keys = append(r.keys, append([]byte(nil), nk...))
			r.keyMasks = append(r.keyMasks, letterMask(nk, 0, len(nk)))
		}
	}
	return r, nil
}

// MustNew is like [New] but panics on error; use it for configuration fixed at build time.
func MustNew(cfg Config) *Redactor {
	r, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return r
}

// Redact returns s with every secret the detectors find replaced. When nothing is found it returns
// s itself without allocating.
func (r *Redactor) Redact(s string) string {
	out, changed, _, _ := scan(r, s, nil)
	if !changed {
		return s
	}
	return string(out)
}

// Append appends the redacted form of src to dst and returns the extended slice.
func (r *Redactor) Append(dst, src []byte) []byte {
	out, changed, _, _ := scan(r, src, dst)
	if !changed {
		return append(dst, src...)
	}
	return out
}

// Pseudonym returns the keyed-hash pseudonym of value, the same text [Pseudonym] mode writes after
// the detector name: 12 hex digits of HMAC-SHA256 under [Config.PseudonymKey]. Use it to log a
// correlatable stand-in for an identifier such as an e-mail address. It returns [ErrPseudonymKey]
// if the Redactor has no key and [ErrTooShort] for values shorter than [MinPseudonymLen] bytes.
func (r *Redactor) Pseudonym(value string) (string, error) {
	if r.hmacs == nil {
		return "", ErrPseudonymKey
	}
	if len(value) < MinPseudonymLen {
		return "", ErrTooShort
	}
	return string(r.appendPseudonym(nil, value)), nil
}

func (r *Redactor) appendPseudonym(dst []byte, value string) []byte {
	h, _ := r.hmacs.Get().(hash.Hash)
	h.Reset()
	_, _ = h.Write([]byte(value))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	r.hmacs.Put(h)
	var hx [12]byte
	hex.Encode(hx[:], sum[:6])
	return append(dst, hx[:]...)
}

// appendReplacement appends the replacement for the secret found by the detector kind ("" for a
// value redacted because of its key).
func appendReplacement[T text](r *Redactor, dst []byte, kind string, secret T) []byte {
	if kind == kindFieldWords {
		kind = kindField
		w := 0
		for w < len(secret) && !isBlank(secret[w]) {
			w++
		}
		secret = secret[:w] // the value's first word identifies it
	}
	dst = append(dst, "[REDACTED"...)
	if r.mode == Fixed {
		return append(dst, ']')
	}
	if kind != "" {
		dst = append(dst, ':')
		dst = append(dst, kind...)
	}
	switch r.mode {
	case Partial:
		if last4, ok := lastFour(kind, secret); ok {
			dst = append(dst, ":****"...)
			dst = append(dst, last4[:]...)
		}
	case Pseudonym:
		if v := canonical(kind, secret); len(v) >= MinPseudonymLen {
			dst = append(dst, ':')
			dst = r.appendPseudonym(dst, v)
		}
	}
	return append(dst, ']')
}

// canonical is the form of a secret that is pseudonymized: a card's digits without separators,
// nothing for a private key (typed instead), anything else as found.
func canonical[T text](kind string, secret T) string {
	switch kind {
	case kindPrivateKey, kindOverlong:
		return "" // a key block is replaced whole, never correlated
	case kindCard:
	default:
		return string(secret)
	}
	var buf [32]byte
	n := 0
	for i := 0; i < len(secret) && n < len(buf); i++ {
		if isDigit(secret[i]) {
			buf[n] = secret[i]
			n++
		} else if d, ok := fullwidthDigit(secret, i); ok {
			buf[n] = d
			n++
			i += 2
		}
	}
	return string(buf[:n])
}

// lastFour returns the last four characters kept in Partial mode: a card's last four digits, or
// the last four characters of a secret of at least 16 bytes when they are alphanumeric.
func lastFour[T text](kind string, secret T) (out [4]byte, ok bool) {
	if kind == kindPrivateKey || kind == kindOverlong {
		return out, false
	}
	if kind == kindCard {
		n := 4
		for i := len(secret) - 1; i >= 0 && n > 0; i-- {
			if isDigit(secret[i]) {
				n--
				out[n] = secret[i]
			} else if d, ok := fullwidthDigit(secret, max(i-2, 0)); ok && i >= 2 {
				n--
				out[n] = d
				i -= 2
			}
		}
		return out, n == 0
	}
	if len(secret) < 16 {
		return out, false
	}
	for k := 0; k < 4; k++ {
		c := secret[len(secret)-4+k]
		if !isAlnum(c) {
			return out, false
		}
		out[k] = c
	}
	return out, true
}
