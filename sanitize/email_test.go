package sanitize_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/sanitize"
)

func TestEmail(t *testing.T) {
	local64 := strings.Repeat("a", 64)
	label63 := strings.Repeat("b", 63)
	// 64 + 1 + 189 = 254 octets: the longest address allowed.
	domain189 := label63 + "." + label63 + "." + strings.Repeat("c", 57) + ".com"
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice@example.com", "alice@example.com", true},
		{"Alice.Smith@Example.COM", "Alice.Smith@example.com", true}, // local part keeps its case
		{"a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk", true},
		{"o'brien@example.ie", "o'brien@example.ie", true},
		{"!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~@example.com", true},
		{"user@bücher.example", "user@xn--bcher-kva.example", true},
		{"user@BÜCHER.example", "user@xn--bcher-kva.example", true},
		{"user@xn--bcher-kva.example", "user@xn--bcher-kva.example", true},
		{"user@ｅｘａｍｐｌｅ.com", "user@example.com", true}, // IDNA maps fullwidth
		{"user@münchen.de", "user@xn--mnchen-3ya.de", true},
		{local64 + "@example.com", local64 + "@example.com", true},
		{local64 + "@" + domain189, local64 + "@" + domain189, true},
		{"a@a-b.example", "a@a-b.example", true},

		{"", "", false},
		{"alice", "", false},
		{"alice@", "", false},
		{"@example.com", "", false},
		{"Alice <alice@example.com>", "", false},
		{"<alice@example.com>", "", false},
		{`"alice smith"@example.com`, "", false},
		{"alice(comment)@example.com", "", false},
		{"alice @example.com", "", false},
		{"alice@example.com ", "", false},
		{"alice@exa mple.com", "", false},
		{"alice\n@example.com", "", false},
		{"alice@example.com\r\nBcc: x@example.com", "", false},
		{"al\x00ice@example.com", "", false},
		{"alice@@example.com", "", false},
		{"a@b@example.com", "", false},
		{".alice@example.com", "", false},
		{"alice.@example.com", "", false},
		{"al..ice@example.com", "", false},
		{"alice@localhost", "", false},               // no dot
		{"alice@example", "", false},                 // no dot
		{"alice@example.com.", "", false},            // trailing dot: empty label
		{"alice@.example.com", "", false},            // empty label
		{"alice@exa..mple.com", "", false},           // empty label
		{"alice@-example.com", "", false},            // leading hyphen
		{"alice@example-.com", "", false},            // trailing hyphen
		{"alice@exa_mple.com", "", false},            // not LDH
		{"alice@[192.0.2.1]", "", false},             // address literal
		{"alice@192.0.2.1", "", false},               // numeric TLD
		{"alice@example.123", "", false},             // numeric TLD
		{"jörg@example.com", "", false},              // non-ASCII local part
		{local64 + "a@example.com", "", false},       // 65-octet local part
		{"a@" + label63 + "b.com", "", false},        // 64-octet label
		{local64 + "@" + domain189 + "m", "", false}, // 255 octets
		{"a@xn--a.com", "", false},                   // invalid punycode
		{"a@ex\u202eample.com", "", false},           // bidi override
		{"a@exam\u200bple.com", "", false},           // zero-width space: IDNA refuses
		// Review finding (issue 13): IDNA silently drops these default-ignorable marks, so the
		// address was accepted (as a@example.com) despite the documented refusal.
		{"a@exam\u034fple.com", "", false}, // COMBINING GRAPHEME JOINER
		{"a@exa\ufe0fmple.com", "", false}, // VARIATION SELECTOR-16
		{"a@example.com\U000e0100", "", false},
		{strings.Repeat("a", 5000) + "@example.com", "", false},
	}
	for _, tt := range tests {
		got, err := sanitize.Email(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("Email(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("Email(%q) = %q, want an error", tt.in, got)
			continue
		}
		var fe *sanitize.FieldError
		if !errors.Is(err, sanitize.ErrEmail) || !errors.As(err, &fe) {
			t.Errorf("Email(%q) error %v: want a *FieldError wrapping ErrEmail", tt.in, err)
		}
	}
}

// The normalized address is a fixed point.
func TestEmailIdempotent(t *testing.T) {
	for _, in := range []string{"A@BÜCHER.example", "x@ｅｘａｍｐｌｅ.com", "a.b+c@Sub.Example.org"} {
		once, err := sanitize.Email(in)
		if err != nil {
			t.Fatalf("Email(%q): %v", in, err)
		}
		twice, err := sanitize.Email(once)
		if err != nil || twice != once {
			t.Errorf("Email(Email(%q)) = %q, %v; want %q", in, twice, err, once)
		}
	}
}
