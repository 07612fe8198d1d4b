package sanitize

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Sentinel errors returned (wrapped in a [*FieldError]) by [Rule.Check] and collected by
// [Errors.Check]. Test for them with errors.Is.
var (
	ErrRequired  = errors.New("sanitize: value is required")
	ErrTooShort  = errors.New("sanitize: value is too short")
	ErrTooLong   = errors.New("sanitize: value is too long")
	ErrEncoding  = errors.New("sanitize: value is not valid UTF-8")
	ErrControl   = errors.New("sanitize: value contains a control character")
	ErrBidi      = errors.New("sanitize: value contains a bidirectional override or isolate")
	ErrCharacter = errors.New("sanitize: value contains a character that is not allowed")
	ErrPattern   = errors.New("sanitize: value does not match the required format")
)

// DefaultMaxLen is the maximum length, in code points, that a [Rule] with a zero MaxLen allows.
const DefaultMaxLen = 256

// Class is a set of character classes a [Rule] allows. Combine classes with |.
type Class uint16

// The character classes. Letters, Marks and Digits are Unicode categories (L, M, Nd); the
// ASCII classes are their ASCII subsets.
const (
	ASCIILetters Class = 1 << iota // A-Z and a-z
	ASCIIDigits                    // 0-9
	Letters                        // Unicode letters (category L), ASCII included
	Marks                          // Unicode combining marks (category M), needed by many scripts
	Digits                         // Unicode decimal digits (category Nd), ASCII included
	Space                          // U+0020 SPACE only
	Punctuation                    // Unicode punctuation (category P)
	Symbols                        // Unicode symbols (category S)
)

// Rule describes what one string field may hold. The zero Rule accepts an optional value of at
// most [DefaultMaxLen] printable code points in valid UTF-8 without control characters or
// bidirectional overrides; every field of Rule only narrows or adjusts that.
//
// Checks run in this order: UTF-8 validity, control characters and bidi controls on the raw
// input; then normalization (NFKC, Identifier); then length, character classes and Pattern on
// the normalized value, so a fullwidth "＜" cannot slip past a class check by becoming "<".
//
// A Rule is a plain value, safe to share between goroutines.
type Rule struct {
	// Required refuses the empty string with ErrRequired. An empty optional value passes every
	// other check, MinLen included.
	Required bool

	// MinLen and MaxLen bound the length in code points (not bytes) of the normalized value.
	// MaxLen 0 means DefaultMaxLen. Input longer than 4×MaxLen code points is refused before
	// normalization, so normalization work is bounded.
	MinLen, MaxLen int

	// Allow restricts the value to these character classes plus the runes in Extra. When
	// both are zero any printable character is allowed: letters, marks, numbers, punctuation,
	// symbols, spaces, and format characters other than bidi controls (so emoji sequences
	// with U+200D ZERO WIDTH JOINER pass).
	Allow Class
	// Extra lists individual runes allowed in addition to Allow, such as "-_.".
	Extra string

	// Pattern, when set, must match the normalized value. Anchor it (^...$): a pattern
	// matches anywhere in the value otherwise.
	Pattern *regexp.Regexp

	// Multiline permits tab, line feed and carriage return. Every other control character,
	// NUL included, is always refused.
	Multiline bool

	// NFKC applies Unicode compatibility normalization (NFKC), folding fullwidth, ligature
	// and other look-alike compatibility forms into their plain equivalents.
	NFKC bool

	// Identifier is for names that must compare equal when users would think them equal
	// (user names, handles, tags): it applies NFKC, Unicode case folding and NFKC again, so
	// "Ａdmin", "ADMIN" and "admin" all become "admin". Store and compare the returned value.
	// It also refuses invisible characters (ErrCharacter): Unicode's default-ignorable code
	// points, such as U+200B ZERO WIDTH SPACE, U+00AD SOFT HYPHEN, U+200D ZERO WIDTH
	// JOINER, U+200F RIGHT-TO-LEFT MARK, U+3164 HANGUL FILLER, variation selectors and tag
	// characters, which would let "ad\u200bmin" look like "admin" yet differ from it. A rune
	// listed in Extra is allowed nevertheless.
	// It does not unify look-alikes from different scripts (Cyrillic "а" and Latin "a"
	// stay distinct, see UTS #39); where that matters, allow ASCIILetters only.
	Identifier bool
}

// FieldError is the error for one invalid field. Message is safe to show to the client who
// sent the value: it never contains the value itself. Err is one of this package's
// sentinels, so errors.Is(fieldErr, ErrTooLong) works.
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Err     error  `json:"-"`
}

// Error implements error.
func (e *FieldError) Error() string {
	if e.Field == "" {
		return "sanitize: " + e.Message
	}
	return "sanitize: " + e.Field + ": " + e.Message
}

// Unwrap returns the sentinel error.
func (e *FieldError) Unwrap() error { return e.Err }

// Check validates and normalizes s. It returns the normalized value, or "" and a
// [*FieldError] (with an empty Field) wrapping one of ErrRequired, ErrTooShort, ErrTooLong,
// ErrEncoding, ErrControl, ErrBidi, ErrCharacter or ErrPattern.
//
// Checking a valid ASCII value that normalization leaves unchanged does not allocate.
func (r Rule) Check(s string) (string, error) {
	if s == "" {
		if r.Required {
			return "", &FieldError{Message: "is required", Err: ErrRequired}
		}
		return "", nil
	}
	maxLen := r.maxLen()
	rawLimit := math.MaxInt // the prefilter on the raw input; 4×maxLen unless that overflows
	if maxLen <= math.MaxInt/4 {
		rawLimit = 4 * maxLen
	}
	ascii, err := r.scan(s, rawLimit)
	if err != nil {
		return "", err
	}
	v := s
	if r.NFKC || r.Identifier {
		var ok bool
		if v, ok = r.normalize(s, ascii); !ok {
			return "", &FieldError{Message: "contains a character that is not allowed", Err: ErrCharacter}
		}
		if v != s {
			// Normalization may introduce characters (fullwidth forms become ASCII
			// punctuation) or, in theory, controls: check the result again.
			if _, err := r.scan(v, rawLimit); err != nil {
				return "", err
			}
		}
	}
	if v == "" && r.Required {
		return "", &FieldError{Message: "is required", Err: ErrRequired}
	}
	if err := r.checkValue(v, maxLen); err != nil {
		return "", err
	}
	return v, nil
}

func (r Rule) maxLen() int {
	if r.MaxLen <= 0 {
		return DefaultMaxLen
	}
	return r.MaxLen
}

// scan checks encoding, controls and bidi controls, and reports whether s is pure ASCII. It
// refuses values longer than limit code points.
func (r Rule) scan(s string, limit int) (ascii bool, err error) {
	n := 0
	ascii = true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && (!r.Multiline || !isNewlineOrTab(c)) {
				return false, &FieldError{Message: "must not contain control characters", Err: ErrControl}
			}
			i++
			n++
			if n > limit {
				return false, tooLong(r.maxLen())
			}
			continue
		}
		ascii = false
		ru, size := utf8.DecodeRuneInString(s[i:])
		if ru == utf8.RuneError && size == 1 {
			return false, &FieldError{Message: "must be valid UTF-8", Err: ErrEncoding}
		}
		if isBidiControl(ru) {
			return false, &FieldError{Message: "must not contain bidirectional control characters", Err: ErrBidi}
		}
		// C1 controls, and the line and paragraph separators, which act as newlines.
		separator := ru == 0x2028 || ru == 0x2029
		if ru >= 0x80 && ru <= 0x9f || separator && !r.Multiline {
			return false, &FieldError{Message: "must not contain control characters", Err: ErrControl}
		}
		i += size
		n++
		if n > limit {
			return false, tooLong(r.maxLen())
		}
	}
	return ascii, nil
}

func isNewlineOrTab(c byte) bool { return c == '\t' || c == '\n' || c == '\r' }

// isBidiControl reports whether r is one of the explicit directional embedding, override or
// isolate controls of Unicode's bidirectional algorithm, the characters used by "Trojan
// Source" (CVE-2021-42574).
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

func tooLong(maxLen int) error {
	return &FieldError{Message: "must be at most " + strconv.Itoa(maxLen) + " characters", Err: ErrTooLong}
}

// normalize applies the Rule's normalization; ok is false when identifier folding does not
// reach a fixed point (no known input does; the check keeps Check idempotent regardless).
func (r Rule) normalize(s string, ascii bool) (v string, ok bool) {
	if ascii {
		// NFKC leaves ASCII unchanged and case folding of ASCII is lowering.
		if r.Identifier {
			return asciiLower(s), true
		}
		return s, true
	}
	s = norm.NFKC.String(s)
	if !r.Identifier {
		return s, true // NFKC is idempotent
	}
	// Fold, then NFKC again (folding can produce text that is not in NFKC), until nothing
	// changes. A Caser keeps state, so it is created per call rather than shared.
	for range 3 {
		t := norm.NFKC.String(foldCherokee(cases.Fold().String(s)))
		if t == s {
			return s, true
		}
		s = t
	}
	return "", false
}

// foldCherokee maps Cherokee small letters to capitals, the direction of Unicode's
// CaseFolding.txt: golang.org/x/text/cases.Fold swaps the two cases instead, which would
// make folding flip back and forth.
func foldCherokee(s string) string {
	if !strings.ContainsFunc(s, isCherokeeSmall) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xab70 && r <= 0xabbf:
			return r - 0xab70 + 0x13a0
		case r >= 0x13f8 && r <= 0x13fd:
			return r - 8
		}
		return r
	}, s)
}

func isCherokeeSmall(r rune) bool { return r >= 0xab70 && r <= 0xabbf || r >= 0x13f8 && r <= 0x13fd }

// asciiLower lowercases ASCII letters, allocating only when s has an upper-case letter.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// checkValue checks length, classes and pattern of the normalized value v.
func (r Rule) checkValue(v string, maxLen int) error {
	n := 0
	for i := 0; i < len(v); {
		c := v[i]
		var ru rune
		size := 1
		if c < utf8.RuneSelf {
			ru = rune(c)
		} else {
			ru, size = utf8.DecodeRuneInString(v[i:])
		}
		if !r.allowed(ru) {
			return &FieldError{Message: "contains a character that is not allowed", Err: ErrCharacter}
		}
		i += size
		n++
	}
	if n > maxLen {
		return tooLong(maxLen)
	}
	if n < r.MinLen {
		return &FieldError{Message: "must be at least " + strconv.Itoa(r.MinLen) + " characters", Err: ErrTooShort}
	}
	if r.Pattern != nil && !r.Pattern.MatchString(v) {
		return &FieldError{Message: "has an invalid format", Err: ErrPattern}
	}
	return nil
}

// allowed reports whether ru may appear in a value; controls and bidi controls were refused
// already by scan.
func (r Rule) allowed(ru rune) bool {
	if ru < 0x20 || ru == 0x7f {
		return r.Multiline // only tab, LF and CR got through scan
	}
	if r.Identifier && ru >= utf8.RuneSelf && isInvisible(ru) {
		return r.extra(ru)
	}
	if r.Allow == 0 && r.Extra == "" {
		if ru < utf8.RuneSelf {
			return true
		}
		return unicode.IsGraphic(ru) || unicode.Is(unicode.Cf, ru) || ru == 0x2028 || ru == 0x2029
	}
	a := r.Allow
	if ru < utf8.RuneSelf {
		switch {
		case 'a' <= ru && ru <= 'z' || 'A' <= ru && ru <= 'Z':
			if a&(ASCIILetters|Letters) != 0 {
				return true
			}
		case '0' <= ru && ru <= '9':
			if a&(ASCIIDigits|Digits) != 0 {
				return true
			}
		case ru == ' ':
			if a&Space != 0 {
				return true
			}
		default:
			if a&Punctuation != 0 && unicode.IsPunct(ru) || a&Symbols != 0 && unicode.IsSymbol(ru) {
				return true
			}
		}
		return r.extra(ru)
	}
	switch {
	case a&Letters != 0 && unicode.IsLetter(ru),
		a&Marks != 0 && unicode.IsMark(ru),
		a&Digits != 0 && unicode.Is(unicode.Nd, ru),
		a&Punctuation != 0 && unicode.IsPunct(ru),
		a&Symbols != 0 && unicode.IsSymbol(ru):
		return true
	}
	return r.extra(ru)
}

// isInvisible reports whether ru is a default-ignorable code point (Unicode's
// Default_Ignorable_Code_Point, approximated from above by format characters, variation
// selectors and Other_Default_Ignorable_Code_Point): it renders as nothing in most fonts.
func isInvisible(ru rune) bool {
	if ru < 0xad { // U+00AD SOFT HYPHEN is the first
		return false
	}
	return unicode.In(ru, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

func (r Rule) extra(ru rune) bool {
	for _, e := range r.Extra {
		if e == ru {
			return true
		}
	}
	return false
}

// Errors collects the [*FieldError]s of one request or form. The zero value is empty and
// ready to use. It serializes as {"errors":[{"field":"username","message":"..."}]}.
//
// An Errors value is not safe for concurrent use; use one per request.
type Errors []*FieldError

// Check validates value under rule, records a failure under field, and returns the
// normalized value ("" when invalid). It does not allocate for a valid ASCII value that
// normalization leaves unchanged.
func (e *Errors) Check(field, value string, rule Rule) string {
	v, err := rule.Check(value)
	if err != nil {
		e.Add(field, err)
		return ""
	}
	return v
}

// Add records err under field. A [*FieldError] (from this package's checks, [Email],
// [URLRule.Check], [FileNameRule.Check], [JoinPath]) keeps its client-safe message; any other
// error is recorded as "is invalid" so that internal details never reach the client. A nil
// err is ignored.
func (e *Errors) Add(field string, err error) {
	if err == nil {
		return
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		*e = append(*e, &FieldError{Field: field, Message: fe.Message, Err: fe.Err})
		return
	}
	*e = append(*e, &FieldError{Field: field, Message: "is invalid", Err: err})
}

// Err returns e as an error, or nil when it is empty. Return it from a validation function.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Error implements error, listing every field.
func (e Errors) Error() string {
	if len(e) == 0 {
		return "sanitize: no errors"
	}
	b := []byte("sanitize: ")
	for i, fe := range e {
		if i > 0 {
			b = append(b, "; "...)
		}
		if fe.Field != "" {
			b = append(b, fe.Field...)
			b = append(b, ": "...)
		}
		b = append(b, fe.Message...)
	}
	return string(b)
}

// Unwrap returns the field errors, so errors.Is(err, ErrTooLong) reports whether any field
// was too long.
func (e Errors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, fe := range e {
		errs[i] = fe
	}
	return errs
}

// MarshalJSON encodes e as {"errors":[{"field":"...","message":"..."},...]}.
func (e Errors) MarshalJSON() ([]byte, error) {
	b := []byte(`{"errors":[`)
	for i, fe := range e {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFieldJSON(b, fe.Field, fe.Message)
	}
	return append(b, "]}"...), nil
}

// appendFieldJSON appends {"field":...,"message":...}, omitting an empty field.
func appendFieldJSON(b []byte, field, message string) []byte {
	b = append(b, '{')
	if field != "" {
		b = append(b, `"field":`...)
		b = appendJSONString(b, field)
		b = append(b, ',')
	}
	b = append(b, `"message":`...)
	b = appendJSONString(b, message)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string with <, > and & escaped, like encoding/json,
// and invalid UTF-8 replaced.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		ru, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case ru == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case ru == 0x2028 || ru == 0x2029:
			b = append(b, '\\', 'u', '2', '0', '2', hex[ru&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
