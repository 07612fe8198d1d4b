package logredact

// quickClean reports whether s certainly holds nothing a detector could match, by a cheaper pass
// than scan: no '@', ':' or '=' (e-mail, URL, key=value), no run of five dashes (PEM), fewer than
// 13 digits in all-digit words (cards), no word of 18 or more characters (tokens, API keys), and
// none of the short words that begin a detection (Bearer, Basic, xoxb, xapp, hooks, eyJ...). It is
// a screen for the short values of log attributes: false means only "scan it". FuzzRedact checks
// that a text it passes is never changed by scan.
func quickClean(s string) bool {
	digits, dashes := 0, 0
	for i, n := 0, len(s); i < n; {
		c := s[i]
		if acc := class[c]; acc&clWord != 0 {
			// A whole word at once; acc keeps clDigit only if every byte is a digit.
			j := i + 1
			for ; j < n; j++ {
				cl := class[s[j]]
				if cl&clWord == 0 {
					break
				}
				acc &= cl
			}
			wl := j - i
			if wl >= 18 {
				return false
			}
			if acc&clDigit != 0 {
				if digits += wl; digits >= 13 {
					return false
				}
			} else if startsDetection(s, i, wl) || class[c]&clDigit != 0 && startsAfterDigits(s, i, j) {
				return false
			}
			dashes, i = 0, j
			continue
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
		i++
	}
	return true
}

// startsAfterDigits reports whether the letters after the leading digits of the word s[i:j] begin
// a detection: scan, skipping a run of digit groups ("0 0xoxb-..."), resumes inside such a word.
func startsAfterDigits(s string, i, j int) bool {
	k := i
	for k < j && isDigit(s[k]) {
		k++
	}
	return k < j && startsDetection(s, k, j-k)
}

// startsDetection reports whether the short word s[ws:ws+wl] is one the word detectors look at:
// "x..." of 4 bytes, "h..." of 5, "b..." or "B..." of 5 or 6, "ey..." of 3 or more, "AQ", "AR"
// or "AS..." of 2 or more (a rampart session token). wordLook
// holds those lengths (with every length of 18 or more, which quickClean rejects before asking),
// so the test is one lookup rather than a switch.
func startsDetection(s string, ws, wl int) bool {
	c := s[ws]
	return wordLook[c]>>min(wl, 31)&1 != 0 && (c != 'e' || s[ws+1] == 'y') && (c != 'A' || wl >= 18 || tokenSecond(s[ws+1]))
}

// changes reports whether redacting s would change it.
func (r *Redactor) changes(s string) bool {
	if len(s) < 4 {
		return false // shorter than any detection (scan returns such text unchanged)
	}
	if len(s) <= 512 && quickClean(s) {
		return false
	}
	_, changed, _, _ := scan(r, s, nil)
	return changed
}
