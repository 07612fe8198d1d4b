package auth

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// This file parses and formats stored password hashes: PHC strings
// (https://github.com/P-H-C/phc-string-format) for argon2id, argon2i, scrypt and
// pbkdf2-sha256, the modular-crypt bcrypt form $2a$/$2b$/$2y$, and Django's
// pbkdf2_sha256$... and argon2$argon2id$... forms (verify only: they are upgraded at login).
//
// Parsing is bounded: the whole string is capped at maxEncodedHashLen bytes, every numeric
// parameter is read without allocation and checked against the hasher's caps, and the salt and
// digest lengths are checked from their encoded lengths, all before anything is decoded or
// allocated. Only then are the salt and digest decoded.

// maxEncodedHashLen caps the length of a stored hash accepted by the parser. The longest hash
// this package accepts (64-byte salt, 64-byte digest, every parameter at its largest, a
// 32-character key ID) is well under 300 bytes.
const maxEncodedHashLen = 512

// Bounds on the salt and digest of a stored hash, in bytes. RFC 9106 asks for at least 8 bytes
// of salt (16 recommended); a digest shorter than 16 bytes would let random passwords match
// with a probability an attacker can exploit, so such hashes are refused outright.
const (
	phcMinSaltLen = 8
	phcMaxSaltLen = 64
	phcMinSumLen  = 16
	phcMaxSumLen  = 64
)

// phcAlg names the algorithm of a parsed hash, including the verify-only argon2i.
type phcAlg uint8

const (
	phcArgon2id phcAlg = iota + 1
	phcArgon2i
	phcBcrypt
	phcScrypt
	phcPBKDF2
)

// phcHash is a parsed stored hash. Only the fields of its algorithm are set.
type phcHash struct {
	alg phcAlg

	// argon2id, argon2i: memory in KiB, passes, lanes.
	memory  uint32
	time    uint32
	threads uint8

	// scrypt: N = 1<<logN, r, p.
	logN uint8
	r, p uint32

	// pbkdf2-sha256: iterations; ab64 is true for passlib's form ($pbkdf2-sha256$<rounds>$...),
	// whose salt and digest use '.' in place of '+'.
	iter int
	ab64 bool

	// bcrypt: cost, and the whole 60-byte hash (x/crypto/bcrypt parses it again).
	cost    int
	encoded string

	// django marks Django's forms: "argon2" before an argon2 PHC string, and
	// pbkdf2_sha256$<rounds>$<salt as text>$<padded base64 digest>.
	django bool

	keyID string // pepper key ID (keyid=), "" when the hash is not peppered
	salt  []byte
	sum   []byte
}

// hashLimits are the resolved caps on parameters read from stored hashes.
type hashLimits struct {
	memoryBytes int64 // argon2 m*1024 and scrypt 128*r*(N+p+2)
	time        uint32
	threads     uint8
	bcryptCost  int
	pbkdf2Iter  int
	scryptLogN  uint8
	scryptR     uint32
	scryptP     uint32
}

// parsePHC parses a stored hash, enforcing lim before any allocation. Its errors wrap
// ErrMalformedHash, ErrUnsupportedHash or ErrHashParams.
func parsePHC(s string, lim *hashLimits) (*phcHash, error) {
	if len(s) > maxEncodedHashLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedHashLen)
	}
	if strings.HasPrefix(s, "$2") {
		return parseBcrypt(s, lim)
	}
	if rest, ok := strings.CutPrefix(s, "pbkdf2_sha256$"); ok {
		return parseDjangoPBKDF2(rest, lim)
	}
	if rest, ok := strings.CutPrefix(s, djangoArgon2Prefix); ok && strings.HasPrefix(rest, "$argon2") {
		h, err := parsePHC(rest, lim)
		if err != nil {
			return nil, err
		}
		h.django = true
		return h, nil
	}
	rest, ok := strings.CutPrefix(s, "$")
	if !ok {
		return nil, fmt.Errorf("%w: no leading '$'", ErrMalformedHash)
	}
	id, rest, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, fmt.Errorf("%w: no parameters", ErrMalformedHash)
	}
	switch id {
	case "argon2id":
		return parseArgon2(phcArgon2id, rest, lim)
	case "argon2i":
		return parseArgon2(phcArgon2i, rest, lim)
	case "scrypt":
		return parseScrypt(rest, lim)
	case "pbkdf2-sha256":
		return parsePBKDF2(rest, lim)
	case "argon2d":
		return nil, fmt.Errorf("%w: argon2d is not supported (golang.org/x/crypto implements argon2id and argon2i only)", ErrUnsupportedHash)
	case "":
		return nil, fmt.Errorf("%w: empty algorithm identifier", ErrMalformedHash)
	}
	if len(id) > 32 || !isPHCSymbol(id) {
		return nil, fmt.Errorf("%w: invalid algorithm identifier", ErrMalformedHash)
	}
	return nil, fmt.Errorf("%w: algorithm %q", ErrUnsupportedHash, id)
}

// isPHCSymbol reports whether s uses only the characters the PHC format allows in an
// algorithm identifier: [a-z0-9-].
func isPHCSymbol(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// phcParams iterates over "k=v" pairs separated by commas, without allocating.
type phcParams struct{ s string }

func (p *phcParams) next() (key, value string, ok bool, err error) {
	if p.s == "" {
		return "", "", false, nil
	}
	var pair string
	pair, p.s, _ = strings.Cut(p.s, ",")
	key, value, found := strings.Cut(pair, "=")
	if !found || key == "" || value == "" {
		return "", "", false, fmt.Errorf("%w: parameter %q is not name=value", ErrMalformedHash, phcTruncate(pair))
	}
	return key, value, true, nil
}

// phcTruncate keeps error messages short whatever the input.
func phcTruncate(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

// phcDecimal parses a decimal number without sign, leading zeros or overflow beyond max.
func phcDecimal(name, v string, maxValue uint64) (uint64, error) {
	if len(v) > 1 && v[0] == '0' {
		return 0, fmt.Errorf("%w: %s has a leading zero", ErrMalformedHash, name)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, fmt.Errorf("%w: %s is not a decimal number", ErrMalformedHash, name)
		}
	}
	if len(v) > 19 {
		return 0, fmt.Errorf("%w: %s=%s... exceeds the limit %d", ErrHashParams, name, v[:8], maxValue)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is not a decimal number", ErrMalformedHash, name)
	}
	if n > maxValue {
		return 0, fmt.Errorf("%w: %s=%d exceeds the limit %d", ErrHashParams, name, n, maxValue)
	}
	return n, nil
}

// validKeyID reports whether id may be used as a pepper key ID: 1 to 32 characters of
// [A-Za-z0-9.-], all of which the PHC format allows in a parameter value.
func validKeyID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// parseKeyID checks a keyid= parameter value.
func parseKeyID(v string) (string, error) {
	if !validKeyID(v) {
		return "", fmt.Errorf("%w: invalid keyid", ErrMalformedHash)
	}
	return v, nil
}

// decodeSaltAndSum splits "salt$sum", checks both lengths from their encoded size, then
// decodes them (strict, unpadded standard base64; with ab64, '.' stands for '+').
func decodeSaltAndSum(h *phcHash, rest string, ab64 bool) error {
	saltB64, sumB64, ok := strings.Cut(rest, "$")
	if !ok {
		return fmt.Errorf("%w: missing digest", ErrMalformedHash)
	}
	if strings.IndexByte(sumB64, '$') >= 0 {
		return fmt.Errorf("%w: too many fields", ErrMalformedHash)
	}
	enc := base64.RawStdEncoding.Strict()
	saltLen, sumLen := enc.DecodedLen(len(saltB64)), enc.DecodedLen(len(sumB64))
	if saltLen < phcMinSaltLen || saltLen > phcMaxSaltLen {
		return fmt.Errorf("%w: salt of %d bytes (want %d to %d)", ErrHashParams, saltLen, phcMinSaltLen, phcMaxSaltLen)
	}
	if sumLen < phcMinSumLen || sumLen > phcMaxSumLen {
		return fmt.Errorf("%w: digest of %d bytes (want %d to %d)", ErrHashParams, sumLen, phcMinSumLen, phcMaxSumLen)
	}
	if ab64 {
		saltB64 = strings.ReplaceAll(saltB64, ".", "+")
		sumB64 = strings.ReplaceAll(sumB64, ".", "+")
	}
	var err error
	if h.salt, err = enc.DecodeString(saltB64); err != nil {
		return fmt.Errorf("%w: salt is not unpadded base64", ErrMalformedHash)
	}
	if h.sum, err = enc.DecodeString(sumB64); err != nil {
		return fmt.Errorf("%w: digest is not unpadded base64", ErrMalformedHash)
	}
	return nil
}

// parseArgon2 parses "v=19$m=..,t=..,p=..[,keyid=..]$salt$sum".
func parseArgon2(alg phcAlg, rest string, lim *hashLimits) (*phcHash, error) {
	ver, rest, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, fmt.Errorf("%w: truncated argon2 hash", ErrMalformedHash)
	}
	if !strings.HasPrefix(ver, "v=") {
		// The reference encoder omits v= only for version 0x10.
		return nil, fmt.Errorf("%w: argon2 version 0x10 (no v= field); only v=19 is supported", ErrUnsupportedHash)
	}
	if ver != "v=19" {
		return nil, fmt.Errorf("%w: argon2 %s; only v=19 is supported", ErrUnsupportedHash, phcTruncate(ver))
	}
	params, rest, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, fmt.Errorf("%w: truncated argon2 hash", ErrMalformedHash)
	}
	h := &phcHash{alg: alg}
	it := phcParams{params}
	// m, t and p are required, in this order (as the reference decoder requires); keyid may follow.
	for i, want := range [...]string{"m", "t", "p"} {
		k, v, ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok || k != want {
			return nil, fmt.Errorf("%w: argon2 parameter %d must be %s", ErrMalformedHash, i+1, want)
		}
		switch k {
		case "m":
			n, err := phcDecimal("m", v, uint64(lim.memoryBytes/1024))
			if err != nil {
				return nil, err
			}
			h.memory = uint32(n) // #nosec G115 -- bounded by the memory cap, itself at most 4 TiB/1024
		case "t":
			n, err := phcDecimal("t", v, uint64(lim.time))
			if err != nil {
				return nil, err
			}
			h.time = uint32(n) // #nosec G115 -- bounded by lim.time, a uint32
		case "p":
			n, err := phcDecimal("p", v, uint64(lim.threads))
			if err != nil {
				return nil, err
			}
			h.threads = uint8(n) // #nosec G115 -- bounded by lim.threads, a uint8
		}
	}
	k, v, ok, err := it.next()
	if err != nil {
		return nil, err
	}
	if ok {
		switch k {
		case "keyid":
			if h.keyID, err = parseKeyID(v); err != nil {
				return nil, err
			}
		case "data":
			return nil, fmt.Errorf("%w: argon2 associated data (data=) is not supported", ErrUnsupportedHash)
		default:
			return nil, fmt.Errorf("%w: unknown argon2 parameter", ErrMalformedHash)
		}
		if _, _, more, err := it.next(); err != nil || more {
			return nil, fmt.Errorf("%w: unexpected argon2 parameter after keyid", ErrMalformedHash)
		}
	}
	if h.time < 1 {
		return nil, fmt.Errorf("%w: argon2 t=0", ErrHashParams)
	}
	if h.threads < 1 {
		return nil, fmt.Errorf("%w: argon2 p=0", ErrHashParams)
	}
	if h.memory < 8*uint32(h.threads) {
		return nil, fmt.Errorf("%w: argon2 m=%d is below 8*p", ErrHashParams, h.memory)
	}
	if err := decodeSaltAndSum(h, rest, false); err != nil {
		return nil, err
	}
	return h, nil
}

// parseScrypt parses passlib's scrypt form "ln=..,r=..,p=..[,keyid=..]$salt$sum".
func parseScrypt(rest string, lim *hashLimits) (*phcHash, error) {
	params, rest, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, fmt.Errorf("%w: truncated scrypt hash", ErrMalformedHash)
	}
	h := &phcHash{alg: phcScrypt}
	it := phcParams{params}
	for i, want := range [...]string{"ln", "r", "p"} {
		k, v, ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok || k != want {
			return nil, fmt.Errorf("%w: scrypt parameter %d must be %s", ErrMalformedHash, i+1, want)
		}
		switch k {
		case "ln":
			n, err := phcDecimal("ln", v, uint64(lim.scryptLogN))
			if err != nil {
				return nil, err
			}
			h.logN = uint8(n) // #nosec G115 -- bounded by lim.scryptLogN, a uint8
		case "r":
			n, err := phcDecimal("r", v, uint64(lim.scryptR))
			if err != nil {
				return nil, err
			}
			h.r = uint32(n) // #nosec G115 -- bounded by lim.scryptR, a uint32
		case "p":
			n, err := phcDecimal("p", v, uint64(lim.scryptP))
			if err != nil {
				return nil, err
			}
			h.p = uint32(n) // #nosec G115 -- bounded by lim.scryptP, a uint32
		}
	}
	k, v, ok, err := it.next()
	if err != nil {
		return nil, err
	}
	if ok {
		if k != "keyid" {
			return nil, fmt.Errorf("%w: unknown scrypt parameter", ErrMalformedHash)
		}
		if h.keyID, err = parseKeyID(v); err != nil {
			return nil, err
		}
		if _, _, more, err := it.next(); err != nil || more {
			return nil, fmt.Errorf("%w: unexpected scrypt parameter after keyid", ErrMalformedHash)
		}
	}
	if h.logN < 1 || h.r < 1 || h.p < 1 {
		return nil, fmt.Errorf("%w: scrypt ln, r and p must be positive", ErrHashParams)
	}
	if mem := scryptMemory(h.logN, h.r, h.p); mem > lim.memoryBytes {
		return nil, fmt.Errorf("%w: scrypt needs %d bytes of memory, above the limit %d", ErrHashParams, mem, lim.memoryBytes)
	}
	if err := decodeSaltAndSum(h, rest, false); err != nil {
		return nil, err
	}
	return h, nil
}

// parsePBKDF2 parses passlib's "<rounds>$salt$sum" (adapted base64) or the PHC form
// "i=<rounds>[,keyid=..]$salt$sum".
func parsePBKDF2(rest string, lim *hashLimits) (*phcHash, error) {
	params, rest, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, fmt.Errorf("%w: truncated pbkdf2 hash", ErrMalformedHash)
	}
	h := &phcHash{alg: phcPBKDF2}
	maxIter := uint64(lim.pbkdf2Iter) // #nosec G115 -- a positive int
	if params != "" && params[0] >= '0' && params[0] <= '9' {
		n, err := phcDecimal("rounds", params, maxIter)
		if err != nil {
			return nil, err
		}
		h.iter, h.ab64 = int(n), true // #nosec G115 -- bounded by lim.pbkdf2Iter, an int
	} else {
		it := phcParams{params}
		k, v, ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok || k != "i" {
			return nil, fmt.Errorf("%w: pbkdf2 parameter 1 must be i", ErrMalformedHash)
		}
		n, err := phcDecimal("i", v, maxIter)
		if err != nil {
			return nil, err
		}
		h.iter = int(n) // #nosec G115 -- bounded by lim.pbkdf2Iter, an int
		k, v, ok, err = it.next()
		if err != nil {
			return nil, err
		}
		if ok {
			if k != "keyid" {
				return nil, fmt.Errorf("%w: unknown pbkdf2 parameter", ErrMalformedHash)
			}
			if h.keyID, err = parseKeyID(v); err != nil {
				return nil, err
			}
			if _, _, more, err := it.next(); err != nil || more {
				return nil, fmt.Errorf("%w: unexpected pbkdf2 parameter after keyid", ErrMalformedHash)
			}
		}
	}
	if h.iter < 1 {
		return nil, fmt.Errorf("%w: pbkdf2 rounds=0", ErrHashParams)
	}
	// Both forms tolerate '.' for '+': standard base64 never contains '.', so this is unambiguous.
	if err := decodeSaltAndSum(h, rest, true); err != nil {
		return nil, err
	}
	return h, nil
}

// djangoArgon2Prefix precedes the PHC string in Django's Argon2PasswordHasher hashes.
const djangoArgon2Prefix = "argon2"

// parseDjangoPBKDF2 parses the rest of Django's PBKDF2PasswordHasher form
// "pbkdf2_sha256$<rounds>$<salt>$<digest>": the salt is used as text (not base64), the digest
// is padded standard base64.
func parseDjangoPBKDF2(rest string, lim *hashLimits) (*phcHash, error) {
	rounds, rest, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, fmt.Errorf("%w: truncated Django pbkdf2 hash", ErrMalformedHash)
	}
	n, err := phcDecimal("rounds", rounds, uint64(lim.pbkdf2Iter)) // #nosec G115 -- a positive int
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("%w: pbkdf2 rounds=0", ErrHashParams)
	}
	salt, sum, ok := strings.Cut(rest, "$")
	if !ok || strings.IndexByte(sum, '$') >= 0 {
		return nil, fmt.Errorf("%w: Django pbkdf2 hash needs rounds$salt$digest", ErrMalformedHash)
	}
	if len(salt) < phcMinSaltLen || len(salt) > phcMaxSaltLen {
		return nil, fmt.Errorf("%w: salt of %d bytes (want %d to %d)", ErrHashParams, len(salt), phcMinSaltLen, phcMaxSaltLen)
	}
	for i := 0; i < len(salt); i++ {
		if salt[i] <= ' ' || salt[i] > '~' {
			return nil, fmt.Errorf("%w: Django salt is not printable ASCII", ErrMalformedHash)
		}
	}
	enc := base64.StdEncoding.Strict()
	if sumLen := enc.DecodedLen(len(sum)); sumLen < phcMinSumLen || sumLen > phcMaxSumLen+2 {
		return nil, fmt.Errorf("%w: digest of about %d bytes (want %d to %d)", ErrHashParams, sumLen, phcMinSumLen, phcMaxSumLen)
	}
	digest, err := enc.DecodeString(sum)
	if err != nil || len(digest) < phcMinSumLen || len(digest) > phcMaxSumLen {
		return nil, fmt.Errorf("%w: Django digest is not padded base64 of 16 to 64 bytes", ErrMalformedHash)
	}
	return &phcHash{alg: phcPBKDF2, django: true, iter: int(n), salt: []byte(salt), sum: digest}, nil // #nosec G115 -- bounded by lim.pbkdf2Iter, an int
}

// bcryptAlphabet is bcrypt's own base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// parseBcrypt checks "$2a$NN$<53 characters>" (also $2b$ and $2y$) and its cost.
func parseBcrypt(s string, lim *hashLimits) (*phcHash, error) {
	if len(s) < 4 || s[3] != '$' {
		return nil, fmt.Errorf("%w: bcrypt prefix", ErrMalformedHash)
	}
	switch s[2] {
	case 'a', 'b', 'y':
	case 'x':
		return nil, fmt.Errorf("%w: bcrypt $2x$ (the crypt_blowfish sign-extension bug) is not supported", ErrUnsupportedHash)
	default:
		return nil, fmt.Errorf("%w: bcrypt variant $2%c$", ErrUnsupportedHash, s[2])
	}
	if len(s) != 60 || s[6] != '$' {
		return nil, fmt.Errorf("%w: a bcrypt hash is 60 characters: $2b$NN$ then 53 characters", ErrMalformedHash)
	}
	c1, c2 := s[4], s[5]
	if c1 < '0' || c1 > '9' || c2 < '0' || c2 > '9' {
		return nil, fmt.Errorf("%w: bcrypt cost is not two digits", ErrMalformedHash)
	}
	cost := int(c1-'0')*10 + int(c2-'0')
	if cost < 4 || cost > 31 {
		return nil, fmt.Errorf("%w: bcrypt cost %d outside 4..31", ErrHashParams, cost)
	}
	if cost > lim.bcryptCost {
		return nil, fmt.Errorf("%w: bcrypt cost %d exceeds the limit %d", ErrHashParams, cost, lim.bcryptCost)
	}
	for i := 7; i < len(s); i++ {
		if strings.IndexByte(bcryptAlphabet, s[i]) < 0 {
			return nil, fmt.Errorf("%w: bcrypt salt or digest has a character outside its alphabet", ErrMalformedHash)
		}
	}
	// Position 28 is the last salt character: it encodes only 2 bits, so only 4 of 64 values
	// are canonical. Non-canonical salts are accepted here as other implementations do.
	return &phcHash{alg: phcBcrypt, cost: cost, encoded: s}, nil
}

// scryptMemory is the memory scrypt allocates for these parameters: 128*r*N for V plus
// 128*r*p for B plus 256*r for XY (golang.org/x/crypto/scrypt).
func scryptMemory(logN uint8, r, p uint32) int64 {
	if logN >= 62 {
		return 1<<63 - 1
	}
	n := int64(1) << logN
	return 128 * int64(r) * (n + int64(p) + 2)
}

// String formats h as a PHC string (or bcrypt's own form).
func (h *phcHash) String() string {
	b64 := base64.RawStdEncoding
	var sb strings.Builder
	switch h.alg {
	case phcBcrypt:
		return h.encoded
	case phcArgon2id, phcArgon2i:
		if h.django {
			sb.WriteString(djangoArgon2Prefix)
		}
		if h.alg == phcArgon2i {
			sb.WriteString("$argon2i$v=19$m=")
		} else {
			sb.WriteString("$argon2id$v=19$m=")
		}
		sb.WriteString(strconv.FormatUint(uint64(h.memory), 10))
		sb.WriteString(",t=")
		sb.WriteString(strconv.FormatUint(uint64(h.time), 10))
		sb.WriteString(",p=")
		sb.WriteString(strconv.FormatUint(uint64(h.threads), 10))
	case phcScrypt:
		sb.WriteString("$scrypt$ln=")
		sb.WriteString(strconv.FormatUint(uint64(h.logN), 10))
		sb.WriteString(",r=")
		sb.WriteString(strconv.FormatUint(uint64(h.r), 10))
		sb.WriteString(",p=")
		sb.WriteString(strconv.FormatUint(uint64(h.p), 10))
	case phcPBKDF2:
		if h.django {
			return "pbkdf2_sha256$" + strconv.Itoa(h.iter) + "$" + string(h.salt) + "$" + base64.StdEncoding.EncodeToString(h.sum)
		}
		if h.keyID == "" {
			// passlib's form, so that passlib verifies it.
			sb.WriteString("$pbkdf2-sha256$")
			sb.WriteString(strconv.Itoa(h.iter))
			sb.WriteByte('$')
			sb.WriteString(strings.ReplaceAll(b64.EncodeToString(h.salt), "+", "."))
			sb.WriteByte('$')
			sb.WriteString(strings.ReplaceAll(b64.EncodeToString(h.sum), "+", "."))
			return sb.String()
		}
		sb.WriteString("$pbkdf2-sha256$i=")
		sb.WriteString(strconv.Itoa(h.iter))
	}
	if h.keyID != "" {
		sb.WriteString(",keyid=")
		sb.WriteString(h.keyID)
	}
	sb.WriteByte('$')
	sb.WriteString(b64.EncodeToString(h.salt))
	sb.WriteByte('$')
	sb.WriteString(b64.EncodeToString(h.sum))
	return sb.String()
}
