package logredact

// quickClean reports whether s certainly holds nothing a detector could match, by a cheaper pass
// than scan: no '@', ':' or '=' (e-mail, URL, key=value), no run of five dashes (PEM), fewer than
// 13 digits in all-digit words (cards), no word of 18 or more characters (tokens, API keys), and
// none of the short words that begin a detection (Bearer, Basic, xoxb, xapp, hooks, eyJ...). It is
// a screen for the short values of log attributes: false means only "scan it". FuzzRedact checks
// that a text it passes is never changed by scan.
func quickClean(s string) bool {
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
			} else if startsDetection(s, ws, wl) {
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
		} else if startsDetection(s, ws, wl) {
			return false
		}
	}
	return digits < 13
}

// startsDetection reports whether the short word s[ws:ws+wl] is one the word detectors look at.
func startsDetection(s string, ws, wl int) bool {
	switch s[ws] {
	case 'x':
		return wl == 4
	case 'h':
		return wl == 5
	case 'b', 'B':
		return wl == 5 || wl == 6
	case 'e':
		return wl >= 3 && s[ws+1] == 'y'
	}
	return false
}

// changes reports whether redacting s would change it.
func (r *Redactor) changes(s string) bool {
	if len(s) <= 512 && quickClean(s) {
		return false
	}
	_, changed, _ := scan(r, s, nil)
	return changed
}
