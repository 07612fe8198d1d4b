package auth_test

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rampart-go/rampart/auth"
)

func TestGeneratePassword(t *testing.T) {
	tests := []struct {
		length   int
		alphabet string
		bits     float64
	}{
		{20, "", 20 * math.Log2(62)},
		{8, "01", 8},
		{12, "αβγδ", 24},
	}
	for _, tt := range tests {
		pw, bits, err := auth.GeneratePassword(tt.length, tt.alphabet)
		if err != nil {
			t.Fatalf("GeneratePassword(%d, %q) = %v", tt.length, tt.alphabet, err)
		}
		alphabet := tt.alphabet
		if alphabet == "" {
			alphabet = auth.AlphabetAlphanumeric
		}
		if utf8.RuneCountInString(pw) != tt.length || math.Abs(bits-tt.bits) > 1e-9 {
			t.Errorf("GeneratePassword(%d, %q) = %q, %v bits; want %d characters, %v bits", tt.length, tt.alphabet, pw, bits, tt.length, tt.bits)
		}
		for _, c := range pw {
			if !strings.ContainsRune(alphabet, c) {
				t.Errorf("GeneratePassword(%d, %q) = %q: %q is not in the alphabet", tt.length, tt.alphabet, pw, c)
			}
		}
	}
	if got := math.Round(20 * math.Log2(62)); got != 119 {
		t.Errorf("20 alphanumeric characters = %v bits, the docs say 119", got)
	}
	for _, bad := range []struct {
		n int
		a string
	}{{0, ""}, {1025, ""}, {8, "a"}, {8, "aa"}, {8, "\xff\xfe"}} {
		if _, _, err := auth.GeneratePassword(bad.n, bad.a); err == nil {
			t.Errorf("GeneratePassword(%d, %q) = nil error", bad.n, bad.a)
		}
	}
}

// TestGeneratePasswordUniform draws 64,000 characters from a 64-character alphabet and checks
// that every character appears about 1,000 times (a loose chi-squared bound: a biased
// generator, such as one taking a byte modulo the alphabet size, fails it).
func TestGeneratePasswordUniform(t *testing.T) {
	alphabet := auth.AlphabetAlphanumeric + "-_"
	counts := map[rune]int{}
	for range 64 {
		pw, _, err := auth.GeneratePassword(1000, alphabet)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pw {
			counts[c]++
		}
	}
	var chi2 float64
	for _, c := range alphabet {
		d := float64(counts[c]) - 1000
		chi2 += d * d / 1000
	}
	// 63 degrees of freedom: the 99.99th percentile is about 118.
	if len(counts) != 64 || chi2 > 118 {
		t.Errorf("character counts chi-squared = %.1f over %d characters, want <= 118 over 64", chi2, len(counts))
	}
}

func TestGeneratePassphrase(t *testing.T) {
	pp, bits, err := auth.GeneratePassphrase(6, " ")
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Split(pp, " ")
	if len(words) != 6 || math.Abs(bits-6*math.Log2(7776)) > 1e-9 {
		t.Errorf("GeneratePassphrase(6) = %q, %v bits; want 6 words, %v bits", pp, bits, 6*math.Log2(7776))
	}
	for _, w := range words {
		if len(w) < 3 || len(w) > 9 || strings.ToLower(w) != w {
			t.Errorf("GeneratePassphrase word %q is not from the EFF large list", w)
		}
	}
	other, _, err := auth.GeneratePassphrase(6, " ")
	if err != nil || other == pp {
		t.Errorf("two passphrases = %q and %q, %v; want different ones", pp, other, err)
	}
	for _, n := range []int{0, 65} {
		if _, _, err := auth.GeneratePassphrase(n, "-"); err == nil {
			t.Errorf("GeneratePassphrase(%d) = nil error", n)
		}
	}
	// A generated passphrase passes the default policy.
	p := &auth.PasswordPolicy{MinLength: 15}
	if err := p.Check(t.Context(), pp); err != nil {
		t.Errorf("PasswordPolicy.Check(%q) = %v", pp, err)
	}
}
