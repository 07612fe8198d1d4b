// Package passwordlists embeds the word lists of rampart's auth package: Openwall's common
// passwords (public domain) and the EFF large word list for passphrases (CC BY 3.0 US). See
// README.md in this directory for their provenance and licences.
package passwordlists

import (
	_ "embed" // for the go:embed directives
	"strings"
	"sync"
)

//go:embed password.lst
var passwordLst string

//go:embed eff_large_wordlist.txt
var effLarge string

// Common returns the set of common passwords, lower-cased. It is built on first use and
// must not be modified.
var Common = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 3500)
	for line := range strings.Lines(passwordLst) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#!comment:") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
})

// EFFLarge returns the 7,776 words of the EFF large word list, in the list's order. It is
// built on first use and must not be modified.
var EFFLarge = sync.OnceValue(func() []string {
	words := make([]string, 0, 7776)
	for line := range strings.Lines(effLarge) {
		_, word, ok := strings.Cut(strings.TrimRight(line, "\r\n"), "\t")
		if ok && word != "" {
			words = append(words, word)
		}
	}
	return words
})
