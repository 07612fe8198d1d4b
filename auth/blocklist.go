package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rampart-go/rampart/auth/internal/passwordlists"
)

// minBlocklistCore is the shortest core (the password without leading and trailing digits and
// punctuation) that is looked up in the common-password list: shorter cores ("a1", "abc!")
// would reject too much.
const minBlocklistCore = 4

// isCommonPassword reports whether lower (normalized, lower-cased) is on Openwall's list of
// common passwords, as it is or once stripped of leading and trailing non-letters, so that
// "Password2024!" and "1qwerty" count as common too.
func isCommonPassword(lower string) bool {
	set := passwordlists.Common()
	if _, ok := set[lower]; ok {
		return true
	}
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if core == lower || utf8.RuneCountInString(core) < minBlocklistCore {
		return false
	}
	_, ok := set[core]
	return ok
}

// isRepetitive reports whether s is made of repetition or sequences, the patterns NIST SP
// 800-63B names ("aaaaaa", "1234abcd"): either s repeats a shorter prefix throughout
// ("abcabcabc", "passpass"), or it splits into at most two runs of at least three code points
// that each step by -1, 0 or +1 ("12345678", "aaaa1111", "1234abcd", "zyxwvuts").
func isRepetitive(s string) bool {
	r := []rune(s)
	n := len(r)
	if n < 2 {
		return false
	}
	for p := 1; p <= n/2; p++ {
		periodic := true
		for i := p; i < n; i++ {
			if r[i] != r[i-p] {
				periodic = false
				break
			}
		}
		if periodic {
			return true
		}
	}
	runs := 0
	for i := 0; i < n; {
		if n-i < 3 {
			return false
		}
		step := r[i+1] - r[i]
		if step < -1 || step > 1 {
			return false
		}
		j := i + 1
		for j+1 < n && r[j+1]-r[j] == step {
			j++
		}
		if j-i+1 < 3 {
			return false
		}
		runs++
		if runs > 2 {
			return false
		}
		i = j + 1
	}
	return true
}
