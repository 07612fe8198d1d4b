package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/rampart-go/rampart/auth/internal/passwordlists"
)

// AlphabetAlphanumeric is the default alphabet of [GeneratePassword]: 62 characters, 5.954
// bits each.
const AlphabetAlphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Limits of the generators.
const (
	maxGeneratedLength = 1024
	maxPassphraseWords = 64
	maxAlphabetRunes   = 4096
)

// GeneratePassword returns a password of length characters drawn uniformly and independently
// from alphabet with crypto/rand, and its entropy in bits: length × log2(size of alphabet).
// An empty alphabet means [AlphabetAlphanumeric], for which 20 characters give 119 bits and
// 22 give 131. The alphabet must be valid UTF-8 without repeated characters, of 2 to 4096
// characters; length must be 1 to 1024.
func GeneratePassword(length int, alphabet string) (password string, entropyBits float64, err error) {
	if length < 1 || length > maxGeneratedLength {
		return "", 0, fmt.Errorf("auth: GeneratePassword length %d outside 1..%d", length, maxGeneratedLength)
	}
	if alphabet == "" {
		alphabet = AlphabetAlphanumeric
	}
	if !utf8.ValidString(alphabet) {
		return "", 0, errors.New("auth: GeneratePassword alphabet is not valid UTF-8")
	}
	chars := []rune(alphabet)
	if len(chars) < 2 || len(chars) > maxAlphabetRunes {
		return "", 0, fmt.Errorf("auth: GeneratePassword alphabet of %d characters, want 2..%d", len(chars), maxAlphabetRunes)
	}
	seen := make(map[rune]bool, len(chars))
	for _, c := range chars {
		if seen[c] {
			return "", 0, fmt.Errorf("auth: GeneratePassword alphabet repeats %q", c)
		}
		seen[c] = true
	}
	var sb strings.Builder
	for range length {
		i, err := randomIndex(len(chars))
		if err != nil {
			return "", 0, err
		}
		sb.WriteRune(chars[i])
	}
	return sb.String(), float64(length) * math.Log2(float64(len(chars))), nil
}

// GeneratePassphrase returns words words drawn uniformly and independently with crypto/rand
// from the EFF large word list (7,776 words, © 2016 Electronic Frontier Foundation, CC BY 3.0
// US), joined by separator, and its entropy in bits: words × 12.925. Six words give 77.5 bits,
// eight 103.4. words must be 1 to 64. The entropy assumes the attacker knows the list and the
// separator; four words of the list contain a hyphen, so prefer a space or another separator
// if the words must be recoverable from the passphrase.
func GeneratePassphrase(words int, separator string) (passphrase string, entropyBits float64, err error) {
	if words < 1 || words > maxPassphraseWords {
		return "", 0, fmt.Errorf("auth: GeneratePassphrase words %d outside 1..%d", words, maxPassphraseWords)
	}
	if !utf8.ValidString(separator) {
		return "", 0, errors.New("auth: GeneratePassphrase separator is not valid UTF-8")
	}
	list := passwordlists.EFFLarge()
	picked := make([]string, words)
	for i := range picked {
		j, err := randomIndex(len(list))
		if err != nil {
			return "", 0, err
		}
		picked[i] = list[j]
	}
	return strings.Join(picked, separator), float64(words) * math.Log2(float64(len(list))), nil
}

// randomIndex returns a uniform integer in [0, n) from crypto/rand.
func randomIndex(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("auth: reading randomness: %w", err)
	}
	return int(v.Int64()), nil
}
