package passwordlists

import "testing"

func TestCommon(t *testing.T) {
	set := Common()
	if len(set) != 3410 {
		t.Errorf("len(Common()) = %d, want 3410 (3,546 lines, one of them empty, case-folded)", len(set))
	}
	for _, pw := range []string{"123456", "password", "qwerty", "letmein"} {
		if _, ok := set[pw]; !ok {
			t.Errorf("Common() lacks %q", pw)
		}
	}
	for pw := range set {
		if len(pw) > 0 && pw[0] == '#' && len(pw) > 9 && pw[:9] == "#!comment" {
			t.Errorf("Common() holds a header line %q", pw)
		}
	}
}

func TestEFFLarge(t *testing.T) {
	words := EFFLarge()
	if len(words) != 7776 {
		t.Fatalf("len(EFFLarge()) = %d, want 7776", len(words))
	}
	seen := map[string]bool{}
	for _, w := range words {
		if seen[w] {
			t.Errorf("EFFLarge() repeats %q", w)
		}
		seen[w] = true
		for _, c := range w {
			if (c < 'a' || c > 'z') && c != '-' {
				t.Errorf("EFFLarge() word %q has %q", w, c)
			}
		}
	}
	if words[0] != "abacus" || words[7775] != "zoom" {
		t.Errorf("EFFLarge() runs %q..%q, want abacus..zoom", words[0], words[7775])
	}
}
