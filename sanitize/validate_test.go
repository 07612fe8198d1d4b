package sanitize_test

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/rampart-go/rampart/sanitize"
)

var username = sanitize.Rule{
	Required:   true,
	MinLen:     3,
	MaxLen:     16,
	Allow:      sanitize.Letters | sanitize.Marks | sanitize.Digits,
	Extra:      "_-.",
	Identifier: true,
}

func TestRuleCheck(t *testing.T) {
	tests := []struct {
		name string
		rule sanitize.Rule
		in   string
		want string
		err  error
	}{
		{"zero rule, ASCII", sanitize.Rule{}, "hello, world!", "hello, world!", nil},
		{"zero rule, empty optional", sanitize.Rule{}, "", "", nil},
		{"required empty", sanitize.Rule{Required: true}, "", "", sanitize.ErrRequired},
		{"optional empty skips MinLen", sanitize.Rule{MinLen: 3}, "", "", nil},
		{"zero rule default max", sanitize.Rule{}, strings.Repeat("a", sanitize.DefaultMaxLen), strings.Repeat("a", sanitize.DefaultMaxLen), nil},
		{"zero rule over default max", sanitize.Rule{}, strings.Repeat("a", sanitize.DefaultMaxLen+1), "", sanitize.ErrTooLong},
		{"length counts code points", sanitize.Rule{MaxLen: 5}, "héllo", "héllo", nil},
		{"length counts code points, CJK", sanitize.Rule{MaxLen: 2}, "日本", "日本", nil},
		{"too long in code points", sanitize.Rule{MaxLen: 2}, "日本語", "", sanitize.ErrTooLong},
		{"emoji is one code point each", sanitize.Rule{MaxLen: 1}, "😀", "😀", nil},
		{"too short", sanitize.Rule{MinLen: 3}, "ab", "", sanitize.ErrTooShort},
		{"invalid UTF-8", sanitize.Rule{}, "a\xffb", "", sanitize.ErrEncoding},
		{"truncated UTF-8", sanitize.Rule{}, "a\xe6\x97", "", sanitize.ErrEncoding},
		{"encoded surrogate", sanitize.Rule{}, "\xed\xa0\x80", "", sanitize.ErrEncoding},
		{"NUL", sanitize.Rule{}, "a\x00b", "", sanitize.ErrControl},
		{"NUL even multiline", sanitize.Rule{Multiline: true}, "a\x00b", "", sanitize.ErrControl},
		{"escape", sanitize.Rule{}, "a\x1b[31mb", "", sanitize.ErrControl},
		{"DEL", sanitize.Rule{}, "a\x7f", "", sanitize.ErrControl},
		{"C1 control", sanitize.Rule{}, "a\u0085b", "", sanitize.ErrControl},
		{"newline refused", sanitize.Rule{}, "a\nb", "", sanitize.ErrControl},
		{"tab refused", sanitize.Rule{}, "a\tb", "", sanitize.ErrControl},
		{"newline multiline", sanitize.Rule{Multiline: true}, "a\r\n\tb", "a\r\n\tb", nil},
		{"line separator", sanitize.Rule{}, "a\u2028b", "", sanitize.ErrControl},
		{"RLO (Trojan Source)", sanitize.Rule{}, "admin\u202e", "", sanitize.ErrBidi},
		{"LRE", sanitize.Rule{}, "\u202aa", "", sanitize.ErrBidi},
		{"PDF", sanitize.Rule{}, "a\u202c", "", sanitize.ErrBidi},
		{"RLI isolate", sanitize.Rule{}, "a\u2067b", "", sanitize.ErrBidi},
		{"PDI isolate", sanitize.Rule{}, "a\u2069", "", sanitize.ErrBidi},
		{"bidi even multiline", sanitize.Rule{Multiline: true}, "a\u202eb", "", sanitize.ErrBidi},
		{"ZWJ emoji sequence in free text", sanitize.Rule{}, "👩\u200d💻", "👩\u200d💻", nil},
		{"unassigned code point", sanitize.Rule{}, "a\U000e0080", "", sanitize.ErrCharacter},
		{"private use", sanitize.Rule{}, "a\ue000", "", sanitize.ErrCharacter},
		{"class: ASCII letters only", sanitize.Rule{Allow: sanitize.ASCIILetters}, "abcXYZ", "abcXYZ", nil},
		{"class: ASCII letters refuse é", sanitize.Rule{Allow: sanitize.ASCIILetters}, "café", "", sanitize.ErrCharacter},
		{"class: Letters allow é", sanitize.Rule{Allow: sanitize.Letters}, "café", "café", nil},
		{"class: Letters refuse digit", sanitize.Rule{Allow: sanitize.Letters}, "a1", "", sanitize.ErrCharacter},
		{"class: Digits allow Arabic-Indic", sanitize.Rule{Allow: sanitize.Digits}, "١٢٣", "١٢٣", nil},
		{"class: ASCIIDigits refuse Arabic-Indic", sanitize.Rule{Allow: sanitize.ASCIIDigits}, "١٢٣", "", sanitize.ErrCharacter},
		{"class: space", sanitize.Rule{Allow: sanitize.Letters | sanitize.Space}, "a b", "a b", nil},
		{"class: no space", sanitize.Rule{Allow: sanitize.Letters}, "a b", "", sanitize.ErrCharacter},
		{"class: NBSP is not Space", sanitize.Rule{Allow: sanitize.Letters | sanitize.Space}, "a\u00a0b", "", sanitize.ErrCharacter},
		{"class: punctuation", sanitize.Rule{Allow: sanitize.Punctuation}, "!?,.", "!?,.", nil},
		{"class: symbols", sanitize.Rule{Allow: sanitize.Symbols}, "+$€", "+$€", nil},
		{"class: marks", sanitize.Rule{Allow: sanitize.Letters | sanitize.Marks}, "नमस्ते", "नमस्ते", nil},
		{"class: marks refused", sanitize.Rule{Allow: sanitize.Letters}, "नमस्ते", "", sanitize.ErrCharacter},
		{"extra runes", sanitize.Rule{Allow: sanitize.ASCIILetters, Extra: "-_"}, "a-b_c", "a-b_c", nil},
		{"extra runes only", sanitize.Rule{Extra: "xy"}, "xyz", "", sanitize.ErrCharacter},
		{"pattern", sanitize.Rule{Pattern: regexp.MustCompile(`^[a-z]+-[0-9]+$`)}, "abc-12", "abc-12", nil},
		{"pattern fails", sanitize.Rule{Pattern: regexp.MustCompile(`^[a-z]+-[0-9]+$`)}, "abc12", "", sanitize.ErrPattern},
		{"NFKC fullwidth", sanitize.Rule{NFKC: true}, "Ａｄｍｉｎ", "Admin", nil},
		{"NFKC ligature", sanitize.Rule{NFKC: true}, "ﬁle", "file", nil},
		{"NFKC composes", sanitize.Rule{NFKC: true}, "e\u0301", "é", nil},
		{"no NFKC keeps fullwidth", sanitize.Rule{}, "Ａ", "Ａ", nil},
		{"NFKC then class check: fullwidth <", sanitize.Rule{NFKC: true, Allow: sanitize.Letters}, "a＜b", "", sanitize.ErrCharacter},
		{"length after normalization (decomposed)", sanitize.Rule{NFKC: true, MaxLen: 1}, "e\u0301", "é", nil},
		{"identifier: fullwidth Admin", username, "Ａdmin", "admin", nil},
		{"identifier: upper case", username, "ADMIN", "admin", nil},
		{"identifier: German sharp s folds", username, "Straße", "strasse", nil},
		{"identifier: Kelvin sign", username, "\u212aelvin", "kelvin", nil},
		{"identifier: long s", username, "\u017fam", "sam", nil},
		{"identifier: too short", username, "ab", "", sanitize.ErrTooShort},
		{"identifier: too long", username, strings.Repeat("a", 17), "", sanitize.ErrTooLong},
		{"identifier: space refused", username, "a b c", "", sanitize.ErrCharacter},
		{"identifier: RLO refused", username, "abc\u202e", "", sanitize.ErrBidi},
		{"identifier: ZWJ refused by classes", username, "ab\u200dc", "", sanitize.ErrCharacter},
		{"identifier: required", username, "", "", sanitize.ErrRequired},
		{"huge input refused early", sanitize.Rule{MaxLen: 4}, strings.Repeat("é", 1000), "", sanitize.ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rule.Check(tt.in)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("Check(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("Check(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if err != nil {
				var fe *sanitize.FieldError
				if !errors.As(err, &fe) || fe.Message == "" {
					t.Errorf("Check(%q) error %v is not a *FieldError with a message", tt.in, err)
				}
				if tt.in != "" && strings.Contains(fe.Message, tt.in) {
					t.Errorf("Check(%q) message %q echoes the value", tt.in, fe.Message)
				}
			}
		})
	}
}

func TestIdentifierCollisions(t *testing.T) {
	same := [][]string{
		{"admin", "Admin", "ADMIN", "Ａdmin", "ａｄｍｉｎ", "ＡＤＭＩＮ"},
		{"kelvin", "Kelvin", "\u212aelvin"},
		{"strasse", "Straße", "STRASSE"},
		{"σοφια", "ΣΟΦΙΑ", "σοφια"},
	}
	for _, group := range same {
		want, err := username.Check(group[0])
		if err != nil {
			t.Fatalf("Check(%q): %v", group[0], err)
		}
		for _, s := range group[1:] {
			got, err := username.Check(s)
			if err != nil || got != want {
				t.Errorf("Check(%q) = %q, %v; want %q (collision with %q)", s, got, err, want, group[0])
			}
		}
	}
}

// An identifier must not differ from another only by characters that render as nothing:
// "ad\u200bmin" would otherwise be a second account that displays as "admin". Review
// finding (issue 13): Identifier accepted every one of these with a zero Allow.
func TestIdentifierRefusesInvisible(t *testing.T) {
	rule := sanitize.Rule{Identifier: true, MaxLen: 32}
	for _, in := range []string{
		"ad\u200bmin",     // ZERO WIDTH SPACE
		"ad\u200cmin",     // ZERO WIDTH NON-JOINER
		"ad\u200dmin",     // ZERO WIDTH JOINER
		"admin\u00ad",     // SOFT HYPHEN
		"a\u2060dmin",     // WORD JOINER
		"\ufeffadmin",     // ZERO WIDTH NO-BREAK SPACE (BOM)
		"\u200fadmin",     // RIGHT-TO-LEFT MARK
		"admin\u061c",     // ARABIC LETTER MARK
		"ad\u034fmin",     // COMBINING GRAPHEME JOINER
		"admin\ufe0f",     // VARIATION SELECTOR-16
		"admin\U000e0100", // VARIATION SELECTOR-17
		"\u3164admin",     // HANGUL FILLER
		"\uffa0admin",     // HALFWIDTH HANGUL FILLER (NFKC: U+1160)
		"\u115fadmin",     // HANGUL CHOSEONG FILLER
		"admin\U000e0041", // TAG LATIN CAPITAL LETTER A
		"ad\u2064min",     // INVISIBLE PLUS
	} {
		got, err := rule.Check(in)
		if !errors.Is(err, sanitize.ErrCharacter) {
			t.Errorf("Check(%+q) = %+q, %v; want ErrCharacter", in, got, err)
		}
		if _, err := username.Check(in); err == nil {
			t.Errorf("username.Check(%+q) accepted an invisible character", in)
		}
	}
	// Free text keeps them (emoji sequences need ZWJ), and Extra can allow one explicitly.
	if _, err := (sanitize.Rule{}).Check("ad\u200bmin"); err != nil {
		t.Errorf("zero Rule refused U+200B in free text: %v", err)
	}
	if got, err := (sanitize.Rule{Identifier: true, Allow: sanitize.ASCIILetters, Extra: "\u200d"}).Check("a\u200db"); err != nil || got != "a\u200db" {
		t.Errorf("Identifier with Extra ZWJ: %+q, %v", got, err)
	}
	// Visible non-ASCII identifiers still pass.
	for _, in := range []string{"café", "नमस्ते", "日本語", "σοφια"} {
		if _, err := rule.Check(in); err != nil {
			t.Errorf("Check(%q): %v", in, err)
		}
	}
}

func TestErrorsCollectAndJSON(t *testing.T) {
	var errs sanitize.Errors
	if errs.Err() != nil {
		t.Fatal("empty Errors.Err() != nil")
	}
	name := errs.Check("username", "Ａdmin", username)
	if name != "admin" {
		t.Errorf("Check(username) = %q, want admin", name)
	}
	bio := errs.Check("bio", "hi\u202eevil", sanitize.Rule{Multiline: true, MaxLen: 500})
	if bio != "" {
		t.Errorf("invalid field returned %q, want empty", bio)
	}
	errs.Check("nickname", strings.Repeat("x", 40), sanitize.Rule{MaxLen: 32})
	_, emailErr := sanitize.Email("Alice <alice@example.com>")
	errs.Add("email", emailErr)
	errs.Add("internal", errors.New("db: connection refused at 10.0.0.7"))
	errs.Add("ignored", nil)

	err := errs.Err()
	if err == nil {
		t.Fatal("Err() = nil with four failures")
	}
	if len(errs) != 4 {
		t.Fatalf("len(errs) = %d, want 4", len(errs))
	}
	for _, target := range []error{sanitize.ErrBidi, sanitize.ErrTooLong, sanitize.ErrEmail} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(err, %v) = false", target)
		}
	}
	if errors.Is(err, sanitize.ErrRequired) {
		t.Error("errors.Is(err, ErrRequired) = true, want false")
	}
	b, jerr := json.Marshal(err)
	if jerr != nil {
		t.Fatal(jerr)
	}
	want := `{"errors":[` +
		`{"field":"bio","message":"must not contain bidirectional control characters"},` +
		`{"field":"nickname","message":"must be at most 32 characters"},` +
		`{"field":"email","message":"must be a bare address such as name@example.com, without a display name"},` +
		`{"field":"internal","message":"is invalid"}]}`
	if string(b) != want {
		t.Errorf("json.Marshal(errs) =\n%s\nwant\n%s", b, want)
	}
	if strings.Contains(err.Error(), "10.0.0.7") && strings.Contains(string(b), "10.0.0.7") {
		t.Error("internal error text reached the client JSON")
	}
	var decoded struct {
		Errors []struct{ Field, Message string }
	}
	if err := json.Unmarshal(b, &decoded); err != nil || len(decoded.Errors) != 4 {
		t.Errorf("round trip: %v, %+v", err, decoded)
	}
}

func TestErrorsJSONEscapes(t *testing.T) {
	errs := sanitize.Errors{{Field: "a\"<script>\u2028\xff", Message: "m"}}
	b, _ := json.Marshal(errs)
	if strings.Contains(string(b), "<script>") || !json.Valid(b) {
		t.Errorf("Marshal = %s: not escaped or invalid", b)
	}
	var v struct{ Errors []struct{ Field string } }
	if err := json.Unmarshal(b, &v); err != nil || v.Errors[0].Field != "a\"<script>\u2028\ufffd" {
		t.Errorf("Unmarshal(%s) = %+v, %v", b, v, err)
	}
}

func TestRuleNoAlloc(t *testing.T) {
	cases := []struct {
		rule sanitize.Rule
		in   string
	}{
		{sanitize.Rule{}, "a perfectly ordinary comment."},
		{username, "alice_01"},
		{sanitize.Rule{Required: true, MaxLen: 64, Allow: sanitize.ASCIILetters | sanitize.ASCIIDigits, Pattern: regexp.MustCompile(`^[a-z][a-z0-9]*$`)}, "alice01"},
	}
	for _, c := range cases {
		var errs sanitize.Errors
		n := testing.AllocsPerRun(200, func() {
			_ = errs.Check("f", c.in, c.rule)
		})
		if n != 0 {
			t.Errorf("Errors.Check(%q) allocates %v times, want 0", c.in, n)
		}
	}
}

// Normalization is idempotent for every code point, alone and after a letter (so that
// combining marks compose): an identifier checked twice is unchanged.
func TestIdentifierIdempotentAllRunes(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive over all code points")
	}
	// NFKC alone is idempotent by Unicode's stability policy; folding is what needs checking.
	rule := sanitize.Rule{Identifier: true, MaxLen: 64}
	assigned := []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs, unicode.Cf}
	n := 0
	for r := rune(0x80); r <= 0x10ffff; r++ {
		if !unicode.In(r, assigned...) {
			continue // refused by every rule anyway
		}
		n++
		for _, s := range []string{string(r), "A" + string(r), string(r) + string(r)} {
			v, err := rule.Check(s)
			if err != nil {
				continue
			}
			if again, err := rule.Check(v); err != nil || again != v {
				t.Fatalf("Check(%q) = %q, Check(%q) = %q, %v: not idempotent", s, v, v, again, err)
			}
		}
	}
	if n < 100000 {
		t.Fatalf("checked only %d code points", n)
	}
}

func TestRuleHugeMaxLen(t *testing.T) {
	r := sanitize.Rule{MaxLen: math.MaxInt}
	if v, err := r.Check("fine"); err != nil || v != "fine" {
		t.Errorf("Rule{MaxLen: MaxInt}.Check = %q, %v", v, err)
	}
}
