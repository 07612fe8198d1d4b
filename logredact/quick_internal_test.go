package logredact

import (
	"strings"
	"testing"
)

// quickCleanReference is the byte-at-a-time form of quickClean, which the word-at-a-time version
// must agree with.
func quickCleanReference(s string) bool {
	digits, dashes := 0, 0
	ws, wl := 0, 0 // current word start and length
	allDigits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if cl := class[c]; cl&clWord != 0 {
			if wl == 0 {
				ws, allDigits = i, true
			}
			wl++
			if cl&clDigit == 0 {
				allDigits = false
			}
			if wl >= 18 {
				return false
			}
			dashes = 0
			continue
		}
		if wl > 0 {
			if allDigits {
				digits += wl
			} else if startsDetection(s, ws, wl) || isDigit(s[ws]) && startsAfterDigits(s, ws, ws+wl) {
				return false
			}
			wl = 0
		}
		switch c {
		case '@', ':', '=':
			return false
		case 0xEF:
			if _, ok := fullwidthDigit(s, i); ok {
				return false // a card in full-width digits
			}
		case '-':
			if dashes++; dashes >= 5 {
				return false
			}
		default:
			dashes = 0
		}
	}
	if wl > 0 {
		if allDigits {
			digits += wl
		} else if startsDetection(s, ws, wl) || isDigit(s[ws]) && startsAfterDigits(s, ws, ws+wl) {
			return false
		}
	}
	return digits < 13
}

func FuzzQuickCleanEquivalent(f *testing.F) {
	for _, s := range []string{
		"", "GET", "/api/v1/orders/12345", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "Mozilla/5.0 (X11; Linux x86_64)",
		"4111 1111 1111 1111", "411111111111", "4111111111111", "Bearer abc", "xoxb", "hooks", "eyJhb",
		"a-----b", "a----b", "abcdefghijklmnopq", "abcdefghijklmnopqr", "\uff14", "\xef\xbc\x94", "1 2 3 4 5 6 7 8 9 0 1 2 3",
		strings.Repeat("ab ", 100), "0 0xoxa-0000000000", "1 2bearer x", "a@b", "k=v", "x:y", "123456789012_", "_123",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := quickClean(s), quickCleanReference(s); got != want {
			t.Fatalf("quickClean(%q) = %v, reference %v", s, got, want)
		}
	})
}

// TestStartsDetection checks the table form of startsDetection against the switch it replaced,
// for every first byte and every word length quickClean asks about (below 18).
func TestStartsDetection(t *testing.T) {
	old := func(s string, ws, wl int) bool {
		switch s[ws] {
		case 'x':
			return wl == 4
		case 'h':
			return wl == 5
		case 'b', 'B':
			return wl == 5 || wl == 6
		case 'e':
			return wl >= 3 && s[ws+1] == 'y'
		case 'A':
			return wl >= 2 && s[ws+1] >= 'Q' && s[ws+1] <= 'S'
		}
		return false
	}
	for c := 0; c < 256; c++ {
		for _, second := range []byte{'y', 'z', '0', 'P', 'Q', 'S', 'T'} {
			for wl := 1; wl < 18; wl++ {
				w := []byte(strings.Repeat("a", wl))
				w[0] = byte(c)
				if wl > 1 {
					w[1] = second
				}
				if got, want := startsDetection(string(w), 0, wl), old(string(w), 0, wl); got != want {
					t.Fatalf("startsDetection(%q) = %v, want %v", w, got, want)
				}
			}
		}
	}
}
