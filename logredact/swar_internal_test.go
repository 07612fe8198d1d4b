package logredact

import (
	"strings"
	"testing"
)

// TestSWARClassifiers checks the eight-byte classifiers against the class table for every byte
// value in every lane, with every other lane holding a byte that could disturb it by a carry.
func TestSWARClassifiers(t *testing.T) {
	for _, fill := range []byte{0x00, '_', '9', 'z', 0x7f, 0x80, 0xff} {
		for c := 0; c < 256; c++ {
			for lane := 0; lane < 8; lane++ {
				var b [8]byte
				for k := range b {
					b[k] = fill
				}
				b[lane] = byte(c)
				x := load8(b[:], 0)
				w, d := ^nonWordBytes(x)&swarHigh, digitBytes(x)
				for k := range b {
					bit := uint64(0x80) << (8 * k)
					if got, want := w&bit != 0, class[b[k]]&clWord != 0; got != want {
						t.Fatalf("nonWordBytes(%q) lane %d: %v, want %v", b, k, got, want)
					}
					if got, want := d&bit != 0, isDigit(b[k]); got != want {
						t.Fatalf("digitBytes(%q) lane %d: %v, want %v", b, k, got, want)
					}
				}
				if nonWordBytes(x)&^swarHigh != 0 || d&^swarHigh != 0 {
					t.Fatalf("stray bits for %q: %x %x", b, w, d)
				}
			}
		}
	}
}

func TestRunEnds(t *testing.T) {
	for _, s := range []string{"", "a", "abc def", strings.Repeat("a", 8), strings.Repeat("a", 9) + " ",
		strings.Repeat("7", 23) + "x", "abc_123XYZ\xff", "0123456789abcdef-", "ab\x80cd"} {
		for j := 0; j <= len(s); j++ {
			we, de := j, j
			for we < len(s) && class[s[we]]&clWord != 0 {
				we++
			}
			for de < len(s) && isDigit(s[de]) {
				de++
			}
			if got := wordRunEnd(s, j); got != we {
				t.Errorf("wordRunEnd(%q, %d) = %d, want %d", s, j, got, we)
			}
			if got := digitRunEnd([]byte(s), j); got != de {
				t.Errorf("digitRunEnd(%q, %d) = %d, want %d", s, j, got, de)
			}
		}
	}
}

// TestKeyScreen checks the table screen against the loop over the names' letter sets, on every
// subset of the letters the names use plus random letter sets.
func TestKeyScreen(t *testing.T) {
	r := MustNew(Config{Keys: []string{"ssn", "iban"}})
	check := func(m uint32) {
		for _, query := range []bool{false, true} {
			want := maskMayMatch(m, builtinMasks) || query && maskMayMatch(m, queryMasks) || maskMayMatch(m, r.keyMasks)
			if got := r.mayBeSensitive(m, query); got != want {
				t.Fatalf("mayBeSensitive(%026b, %v) = %v, want %v", m, query, got, want)
			}
		}
	}
	var used uint32
	for _, n := range append(append([]string{"ssn", "iban"}, builtinNames...), queryNames...) {
		used |= maskOf(n)
	}
	// Every subset of the used letters, with and without an unused letter.
	for sub := used; ; sub = (sub - 1) & used {
		check(sub)
		check(sub | 1<<('q'-'a'))
		if sub == 0 {
			break
		}
	}
	x := uint32(2463534242)
	for range 20000 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		check(x & kbLetters)
	}
}

// TestKeyByte checks keyByte against the class table and letterMask.
func TestKeyByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		kb := keyByte[b]
		if got, want := kb != 0, class[b]&clKey != 0 || b == '%'; got != want {
			t.Errorf("keyByte[%q] = %x: key byte %v, want %v", b, kb, got, want)
		}
		if got, want := kb&kbLetters, letterMask([]byte{b}, 0, 1); got != want {
			t.Errorf("keyByte[%q] letters = %x, want %x", b, got, want)
		}
		want := letterMask([]byte{b}, 0, 1)
		switch {
		case b < 0x20 || b == '\\':
			want = kbStop
		case b == '"':
			want = kbDQuote
		case b == '\'':
			want = kbSQuote
		}
		if got := quotedKeyByte[b]; got != want {
			t.Errorf("quotedKeyByte[%q] = %x, want %x", b, got, want)
		}
	}
}

// TestPlainRunEnd checks that plainRunEnd passes only plain bytes and stops at every word byte
// and trigger.
func TestPlainRunEnd(t *testing.T) {
	for _, s := range []string{"", " ", "  a", `","ts":`, " \t\n  ,./!#$%&*()+{}|~\"'" + "x", strings.Repeat(" ", 20),
		strings.Repeat(",", 9) + "-", "  ?  ", "\xef\xbc\x94", " . . . . . . . . @", "       \x80"} {
		for j := 0; j <= len(s); j++ {
			e := plainRunEnd(s, j)
			for k := j; k < e; k++ {
				if class[s[k]]&(clWord|clTrigger) != 0 {
					t.Fatalf("plainRunEnd(%q, %d) = %d passes %q", s, j, e, s[k])
				}
			}
			exact := j
			for exact < len(s) && class[s[exact]]&(clWord|clTrigger) == 0 {
				exact++
			}
			if e > exact {
				t.Fatalf("plainRunEnd(%q, %d) = %d, past %d", s, j, e, exact)
			}
		}
	}
}
