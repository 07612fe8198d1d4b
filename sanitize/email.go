package sanitize

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrEmail is wrapped (in a [*FieldError]) by every error [Email] returns.
var ErrEmail = errors.New("sanitize: invalid e-mail address")

// Limits of an e-mail address, from RFC 5321 section 4.5.3.1 (local part) and RFC 3696
// erratum 1690 (the 254-octet path limit).
const (
	maxEmailLen = 254
	maxLocalLen = 64
	maxDomain   = 253
	maxLabelLen = 63
)

// Email checks that s is a single bare address (an RFC 5322 addr-spec in its common dot-atom
// form) and returns it normalized: the domain lowercased and converted to its ASCII (IDNA
// A-label) form with golang.org/x/net/idna, the local part unchanged because only the
// receiving server may interpret its case.
//
// It refuses display names ("Alice <a@example.com>"), comments, quoted local parts,
// address-literal domains ("a@[192.0.2.1]"), invalid UTF-8, whitespace, control characters
// and invisible (default-ignorable) characters anywhere (IDNA would silently drop U+200B,
// U+00AD, U+034F COMBINING GRAPHEME JOINER and variation selectors such as U+FE0F),
// non-ASCII local parts, a local part longer than 64 octets, a normalized address longer
// than 254 octets, and domains without a dot, with an empty, over-long (63) or malformed
// label, or with an all-numeric top-level label.
//
// A valid syntax says nothing about whether the mailbox exists or belongs to the user:
// confirm ownership by sending a message with a single-use token. Every error is a
// [*FieldError] wrapping [ErrEmail].
func Email(s string) (string, error) {
	if len(s) > 4*maxEmailLen {
		return "", emailError("is too long")
	}
	if strings.ContainsAny(s, `<>"()`) {
		return "", emailError("must be a bare address such as name@example.com, without a display name")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r >= 0x80 && r <= 0xa0 {
			return "", emailError("must not contain spaces or control characters")
		}
		if r == utf8.RuneError {
			return "", emailError("must be valid UTF-8")
		}
		if isInvisible(r) || unicode.IsSpace(r) {
			return "", emailError("must not contain invisible characters")
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", emailError("must be an e-mail address such as name@example.com")
	}
	local, domain := s[:at], s[at+1:]
	if !validLocal(local) {
		if len(local) > maxLocalLen {
			return "", emailError("has a local part longer than 64 characters")
		}
		return "", emailError("has an invalid local part")
	}
	d, err := normalizeDomain(domain)
	if err != nil {
		return "", emailError("has an invalid domain")
	}
	out := local + "@" + d
	if len(out) > maxEmailLen {
		return "", emailError("is too long")
	}
	return out, nil
}

func emailError(msg string) error { return &FieldError{Message: msg, Err: ErrEmail} }

// validLocal reports whether local is an RFC 5322 dot-atom of at most 64 octets.
func validLocal(local string) bool {
	if local == "" || len(local) > maxLocalLen || local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '.':
			if local[i-1] == '.' {
				return false
			}
		case !isAtext(c):
			return false
		}
	}
	return true
}

// isAtext reports whether c is an RFC 5322 atext character.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// normalizeDomain converts a host name to lower-case ASCII with IDNA (UTS #46 lookup
// processing, which also checks STD3 rules, hyphens, joiners and bidi), then checks the DNS
// limits and that it has a dot and a non-numeric top-level label.
func normalizeDomain(domain string) (string, error) {
	if domain == "" || len(domain) > 4*maxDomain {
		return "", errInvalidDomain
	}
	a, err := idna.Lookup.ToASCII(domain)
	if err != nil {
		return "", errInvalidDomain
	}
	if len(a) > maxDomain || !strings.Contains(a, ".") {
		return "", errInvalidDomain
	}
	allDigits := true
	for label := range strings.SplitSeq(a, ".") {
		if label == "" || len(label) > maxLabelLen || label[0] == '-' || label[len(label)-1] == '-' {
			return "", errInvalidDomain
		}
		allDigits = true
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case '0' <= c && c <= '9':
			case 'a' <= c && c <= 'z', c == '-':
				allDigits = false
			default:
				return "", errInvalidDomain
			}
		}
	}
	if allDigits { // the last label: "a@1.2.3.4" is not a domain
		return "", errInvalidDomain
	}
	return a, nil
}

var errInvalidDomain = errors.New("sanitize: invalid domain")
