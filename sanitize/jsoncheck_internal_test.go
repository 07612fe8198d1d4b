package sanitize

import (
	"bytes"
	"testing"
	"unicode"
	"unicode/utf8"
)

// foldRune must agree with bytes.EqualFold, which is what encoding/json's field matching
// is equivalent to: a rune and its fold are equal under EqualFold, and so is every member
// of its case orbit, which all fold to the same rune.
func TestFoldRuneMatchesEqualFold(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r == 0xd800 {
			r = 0xe000
		}
		f := foldRune(r)
		a, b := utf8.AppendRune(nil, r), utf8.AppendRune(nil, f)
		if !bytes.EqualFold(a, b) {
			t.Fatalf("foldRune(%U) = %U, but EqualFold disagrees", r, f)
		}
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if foldRune(o) != f {
				t.Fatalf("foldRune(%U) = %U but foldRune(%U) = %U: same orbit, different folds", r, f, o, foldRune(o))
			}
		}
	}
}
