package logredact

import (
	"encoding/base64"
	"hash/crc32"
	"unicode"
	"unicode/utf8"
)

// text is the type set the scanner works on, so one implementation serves strings (the slog
// handler) and byte slices (the writer) without copying either.
type text interface{ ~string | ~[]byte }

// Detector names, as they appear in typed replacements such as "[REDACTED:card]".
const (
	kindCard       = "card"
	kindJWT        = "jwt"
	kindBearer     = "bearer"
	kindBasic      = "basic"
	kindAWS        = "aws"
	kindGitHub     = "github"
	kindSlack      = "slack"
	kindStripe     = "stripe"
	kindPrivateKey = "private-key"
	kindURL        = "url-password"
	kindQuery      = "query"
	kindField      = "field"
	// kindFieldWords is a field value of several words (valueWords): replaced as kindField, and
	// described in Partial and Pseudonym modes by its first word alone.
	kindFieldWords = "field words"
	kindEmail      = "email"
	kindAPIKey     = "apikey"
	kindToken      = "rampart-token"
	kindOverlong   = "overlong"
)

// Character classes for the scanner's one table lookup per byte.
const (
	clWord    = 1 << iota // [A-Za-z0-9_]
	clDigit               // [0-9]
	clLower               // [a-z]
	clTrigger             // a punctuation byte that may start or anchor a detection: @ : = - [
	clB64URL              // [A-Za-z0-9_-]
	clToken68             // [A-Za-z0-9-._~+/] (RFC 9110 token68, without the trailing '=')
	clLocal               // e-mail local part: [A-Za-z0-9._%+-]
	clKey                 // key names in free text: [A-Za-z0-9_.-]
	clStart               // a letter some word detector starts with: A B b e g h r s w x
)

var class = func() (t [256]uint16) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnum := b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
		var v uint16
		if alnum || b == '_' {
			v |= clWord
		}
		if b >= '0' && b <= '9' {
			v |= clDigit
		}
		if b >= 'a' && b <= 'z' {
			v |= clLower
		}
		switch b {
		case '@', ':', '=', '-', '[', 0xEF: // 0xEF: the lead byte of full-width digits
			v |= clTrigger
		}
		if alnum || b == '_' || b == '-' {
			v |= clB64URL
		}
		if alnum || b == '-' || b == '.' || b == '_' || b == '~' || b == '+' || b == '/' {
			v |= clToken68
		}
		if alnum || b == '.' || b == '_' || b == '%' || b == '+' || b == '-' {
			v |= clLocal
		}
		if alnum || b == '_' || b == '.' || b == '-' {
			v |= clKey
		}
		switch b {
		case 'A', 'B', 'b', 'e', 'g', 'h', 'r', 's', 'w', 'x':
			v |= clStart
		}
		t[c] = v
	}
	return t
}()

// wordLook says which words that start with a letter or '_' reach the word detectors: bit w of
// wordLook[c] is set when a word of w bytes starting with c does. That is every word of 18 bytes
// or more (tokens, API keys), and the few short words that start a detection: "xoxb" and "xapp"
// (Slack, then '-'), "Basic" and "hooks" (hooks.slack.com), "Bearer", and "ey..." of 3 bytes or
// more (a JWT's "eyJ", which the scanner checks separately), and "A" followed by 'Q', 'R' or 'S'
// of 2 bytes or more (a rampart session token, whose first word may end at any '-'). One table
// lookup and one well-predicted branch replace a chain of comparisons whose outcome varies from
// word to word.
var wordLook = func() (t [256]uint32) {
	for c := range t {
		t[c] = 1<<32 - 1<<18
	}
	t['x'] |= 1 << 4
	t['h'] |= 1 << 5
	for _, c := range []byte{'b', 'B'} {
		t[c] |= 1<<5 | 1<<6
	}
	t['e'] |= 1<<32 - 1<<3
	t['A'] |= 1<<32 - 1<<2 // "AQ...", "AR...", "AS...": a rampart session token (tokenSecond)
	return t
}()

// tokenSecond reports whether c can be the second character of a rampart session token: the
// token starts with the byte 1 (its version) and the key ID's length (1 to 32), so its base64url
// form starts with 'A' and then 'Q', 'R' or 'S'.
func tokenSecond(c byte) bool { return c >= 'Q' && c <= 'S' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func lower(c byte) byte    { return c | 0x20 }
func isBase32(c byte) bool { return isUpper(c) || c >= '2' && c <= '7' }

func hasPrefix[T text](s T, i int, p string) bool {
	if len(s)-i < len(p) {
		return false
	}
	for k := 0; k < len(p); k++ {
		if s[i+k] != p[k] {
			return false
		}
	}
	return true
}

func equalFold[T text](s T, i, j int, p string) bool {
	if j-i != len(p) {
		return false
	}
	for k := 0; k < len(p); k++ {
		if lower(s[i+k]) != p[k] {
			return false
		}
	}
	return true
}

// index returns the first index >= from of p in s, or -1.
func index[T text](s T, from int, p string) int {
	for i := from; i+len(p) <= len(s); i++ {
		if s[i] == p[0] && hasPrefix(s, i, p) {
			return i
		}
	}
	return -1
}

// match is one detection: the bytes s[start:end] are replaced.
type match struct {
	start, end int
	kind       string
}

// tailState says how a scan ended, for the writer, which scans long lines in pieces.
type tailState uint8

const (
	tailNone      tailState = iota
	tailPEM                 // inside a private-key block whose END line has not been seen
	tailQuote               // inside a sensitive value quoted with '"'
	tailSQuote              // inside a sensitive value quoted with '\''
	tailEQuote              // inside a sensitive value quoted with `\"` (JSON inside JSON)
	tailLine                // inside a sensitive value that runs to the end of the line
	tailBare                // inside a sensitive bare value (password=hun|ter2), up to a space or quote
	tailKey                 // after a sensitive key's separator or a Bearer or Basic scheme, before the value
	tailClose               // after a value's closing bracket, which may be part of it (map[Pw:[abc]|def])
	tailCloseRun            // the same after "key=" or a quoted key: the value would go on to a space
	tailWords               // inside a word of a bare value after a sensitive "key=" (password=correct hor|se)
	tailWordsGap            // in the blanks after a word of such a value (password=correct |horse battery)
	tailWordsHeld           // in a later word of such a value, which may be the next field's key (password=correct u|ser=bob)
	tailWordsApos           // after the first word of such a value and an apostrophe (password=don'|t)
)

// scan appends to dst the redacted form of s, if anything in s is redacted. It reports whether
// it changed anything; when it did not, dst is returned unchanged (no copy of s is made). tail
// says what s leaves open for the Writer's next piece of the same line; with tailKey, s ends in a
// sensitive key and its separator (or a Bearer or Basic scheme) whose value is still to come, and
// s[key:] is that key with what follows it (see fieldAt).
func scan[T text](r *Redactor, s T, dst []byte) (out []byte, changed bool, tail tailState, key int) {
	n := len(s)
	if n < 3 {
		// The shortest detection is a four-byte "pw=x", the shortest key waiting for its value
		// a three-byte "pw=".
		return dst, false, tailNone, 0
	}
	last := 0
	for {
		m, ok, mtail := nextMatch(r, s, last)
		if !ok {
			break
		}
		if mtail == tailKey {
			// No replacement: s ends in a key whose value is still to come (fieldAt).
			tail, key = tailKey, m.start
			break
		}
		if m.kind != kindPrivateKey {
			// A value that swallowed the start of a key block must swallow the whole block.
			if p := index(s[m.start:min(n, m.end+10)], 0, "-----BEGIN "); p >= 0 && m.start+p < m.end {
				if pm, isKey, open := pemAt(s, m.start+p); isKey && (pm.end > m.end || open) {
					m.end, m.kind = pm.end, kindPrivateKey
					if open {
						mtail = tailPEM
					}
				}
			}
		}
		// Only a match that runs to the end of s, or up to the closing brackets or (for a value
		// that runs to the end of its line) the spaces that end s, leaves something open for the
		// Writer's next piece.
		tail = tailNone
		if m.end >= n || mtail == tailClose || mtail == tailCloseRun || mtail == tailLine || mtail == tailWordsGap || mtail == tailWordsHeld || mtail == tailWordsApos {
			tail = mtail
		}
		if !changed {
			changed = true
			if cap(dst)-len(dst) < n+32 {
				grown := make([]byte, len(dst), len(dst)+n+64)
				copy(grown, dst)
				dst = grown
			}
		}
		dst = append(dst, s[last:m.start]...)
		dst = appendReplacement(r, dst, m.kind, s[m.start:m.end])
		last = m.end
	}
	if tail != tailKey && last < n && (s[n-1] == ' ' || s[n-1] == '\t') {
		if start, ok := schemeAtEnd(s, last); ok {
			tail, key = tailKey, start
		}
	}
	if !changed {
		return dst, false, tail, key
	}
	dst = append(dst, s[last:]...)
	return dst, true, tail, key
}

// nextMatch returns the first detection in s from s[last] on (last is also the end of the previous
// replacement, which backward-looking detectors may not reach past), with the state a match
// running to the end of s leaves open. When s ends in a sensitive key waiting for its value, it
// returns tailKey and a match, no replacement, from where the key starts to the end of s (see
// fieldAt). It is the scanner's token loop, kept apart from scan's output handling so that
// the few values it carries stay in registers: on secret-free text it runs from the start of s to
// its end in one call.
func nextMatch[T text](r *Redactor, s T, last int) (match, bool, tailState) {
	n := len(s)
	i := last
	for i < n {
		c := s[i]
		cl := class[c]
		if cl&(clWord|clTrigger) == 0 {
			i = plainRunEnd(s, i+1)
			continue
		}
		next := i + 1
		// m, ok and tail are declared here, not carried round the loop: that keeps them out of
		// the registers the loop needs.
		var m match
		ok := false
		tail := tailNone
		if cl&clWord != 0 {
			// Most words are ordinary: each path that finds nothing to look at skips the word and
			// the plain bytes after it at once, rather than going round the loop for each, which
			// costs a hard-to-predict branch per token.
			var j int
			if cl&clDigit != 0 {
				// digitRunEnd(s, i+1), written out.
				j = i + 1
				for {
					if j+8 > n {
						j = digitRunEnd(s, j)
						break
					}
					if m := ^digitBytes(load8(s, j)) & swarHigh; m != 0 {
						j += firstMarked(m)
						break
					}
					j += 8
				}
				if j < n && class[s[j]]&clWord != 0 {
					// Digits running into letters: a hex string or an identifier, never a card.
					i = plainRunEnd(s, wordRunEnd(s, j+1))
					continue
				}
				next = j
				grouped := j+1 < n && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1])
				if !grouped && j-i < 13 {
					i = plainRunEnd(s, j)
					continue
				}
				if j-i < 13 {
					// Digit groups (dates, UUID parts, versions): skip the run at once unless it
					// holds enough digits for a card.
					total, k := j-i, j
					for total < 13 && k+1 < n && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) {
						k++
						for k < n && isDigit(s[k]) {
							k++
							total++
						}
					}
					if total < 13 {
						i = k
						continue
					}
				}
				var skip int
				m, ok, skip = cardAt(s, i)
				if !ok && skip > next {
					next = skip
				}
			} else {
				// A byte at a time: most words are short, and on current cores the loop's
				// well-predicted branches beat the eight-byte classification (wordRunEnd), whose
				// result the next token has to wait for. Digit runs and the hex words after them
				// (below) are long enough for wordRunEnd and digitRunEnd to win.
				j = i + 1
				for j < n && class[s[j]]&clWord != 0 {
					j++
				}
				// Only words long enough for a token, or the few short words that start one
				// (Bearer, Basic, xoxb-, hooks.slack.com, eyJ...), reach the word detectors.
				if w := j - i; wordLook[c]>>min(w, 31)&1 == 0 || w < 18 && (c == 'e' && s[i+1] != 'y' || c == 'A' && !tokenSecond(s[i+1])) {
					i = plainRunEnd(s, j)
					continue
				}
				next = j
				var skip int
				m, ok, skip = wordAt(s, i, j)
				if !ok && skip > next {
					next = skip
				}
			}
		} else {
			switch c {
			case '@':
				if !r.keepMail {
					m, ok = emailAt(s, i, last)
				}
			case ':':
				if i+2 < n && s[i+1] == '/' && s[i+2] == '/' {
					var skip int
					m, ok, skip = urlAt(s, i, last)
					if !ok && skip > next {
						next = skip
					}
				} else if i > 0 && i+1 < n && isDigit(s[i-1]) && isDigit(s[i+1]) {
					// a time of day, a port, an IPv6 group: not a key
				} else {
					m, ok, tail = fieldAt(r, s, i, last)
				}
			case '=':
				m, ok, tail = fieldAt(r, s, i, last)
			case '-':
				if i+10 < n && s[i+1] == '-' && hasPrefix(s, i, "-----BEGIN ") {
					var open bool
					m, ok, open = pemAt(s, i)
					if open {
						tail = tailPEM
					}
				}
			case 0xEF:
				var skip int
				m, ok, skip = fullwidthCardAt(s, i)
				if !ok && skip > next {
					next = skip
				}
			case '[':
				if e := markerEnd(s, i); e > 0 {
					next = e
				}
			}
		}
		if ok {
			return m, true, tail
		}
		i = plainRunEnd(s, next)
	}
	return match{}, false, tailNone
}

// schemeAtEnd reports whether s ends in a Bearer or Basic scheme, starting at s[start], and the
// one to four spaces or tabs authSchemeAt takes after it, with the token still to come; last is
// the end of the previous replacement.
func schemeAtEnd[T text](s T, last int) (start int, ok bool) {
	n := len(s)
	j := n
	for j > last && n-j < 4 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	i := j
	for i > last && class[s[i-1]]&clWord != 0 {
		i--
	}
	return i, j < n && (equalFold(s, i, j, "bearer") || equalFold(s, i, j, "basic"))
}

// markerEnd returns the end of a well-formed replacement marker starting at s[i] ("[REDACTED]",
// "[REDACTED:kind]", "[REDACTED:kind:detail]"), or 0. Markers are skipped whole, which is what
// makes redaction idempotent.
func markerEnd[T text](s T, i int) int {
	const p = "[REDACTED"
	if !hasPrefix(s, i, p) {
		return 0
	}
	j := i + len(p)
	if j < len(s) && s[j] == ']' {
		return j + 1
	}
	for part := 0; part < 3 && j < len(s) && s[j] == ':'; part++ {
		k := j + 1
		for k < len(s) && k-j <= 48 && (isAlnum(s[k]) || s[k] == '-' || s[k] == '*') {
			k++
		}
		if k == j+1 {
			return 0
		}
		j = k
		if j < len(s) && s[j] == ']' {
			return j + 1
		}
	}
	return 0
}

// cardAt looks for a payment card number in the run of digit groups starting at s[i]. Groups may
// be separated by one space or dash. Any run of consecutive groups holding 13 to 19 digits, with
// an issuer prefix that fits its length (see cardPrefixOK) and a valid Luhn check digit, is a card. skip is
// where scanning resumes when no card is found.
func cardAt[T text](s T, i int) (m match, ok bool, skip int) {
	n := len(s)
	// A fraction ("0.4111...") or a phone number ("+4111...") is not a card.
	if i > 0 && (s[i-1] == '+' || s[i-1] == '.' && i > 1 && isDigit(s[i-2])) {
		j := i
		for j < n && isDigit(s[j]) {
			j++
		}
		return m, false, j
	}
	// Fast path: a lone group that is too short or too long, or cannot start a card; a later group
	// of the run is then scanned on its own.
	e := i
	for e < n && isDigit(s[e]) {
		e++
	}
	grouped := e+1 < n && (s[e] == ' ' || s[e] == '-') && isDigit(s[e+1])
	if !grouped && (e-i < 13 || e-i > 19) || s[i] < '2' || s[i] > '6' {
		return m, false, e
	}
	const maxGroups = 12
	var gs, ge [maxGroups]int
	ng := 0
	j := i
	for {
		k := j
		for k < n && isDigit(s[k]) {
			k++
		}
		gs[ng], ge[ng] = j, k
		ng++
		if ng < maxGroups && k+1 < n && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) {
			j = k + 1
			continue
		}
		j = k
		break
	}
	// The run must end on a boundary: not inside a word, not the integer part of a decimal.
	endOK := j >= n || class[s[j]]&clWord == 0 && (s[j] != '.' || j+1 >= n || !isDigit(s[j+1]))
	starts, ends := gs[:ng], ge[:ng]
	if ng == 1 && (ends[0]-starts[0] < 13 || ends[0]-starts[0] > 19) {
		return m, false, j
	}
	capped := ng == maxGroups
	rest := 0 // digits in groups g0 and after
	for g := range ends {
		rest += ends[g] - starts[g]
	}
	for g0, a := range starts {
		if capped && g0 > 0 && rest < 20 {
			// Windows from here could reach past the groups parsed: resume here, so each group
			// starts windows once and the scan stays linear.
			return m, false, a
		}
		digits := 0
		best := -1
		if s[a] >= '2' && s[a] <= '6' {
			for g1 := g0; g1 < len(ends); g1++ {
				digits += ends[g1] - starts[g1]
				if digits > 19 {
					break
				}
				if digits < 13 || g1 == ng-1 && !endOK {
					continue
				}
				if cardPrefixOK(s, a, ends[g1], digits) && luhn(s, a, ends[g1]) {
					best = ends[g1]
				}
			}
		}
		if best >= 0 {
			return match{start: a, end: best, kind: kindCard}, true, 0
		}
		rest -= ends[g0] - starts[g0]
	}
	return m, false, j
}

// cardPrefixOK accepts the issuer ranges and lengths of the card networks (ISO/IEC 7812 IINs):
// 13 digits: Visa (4); 14: Diners Club (30, 36, 38, 39); 15: American Express (34, 37); 16 to 19:
// Mastercard (2221-2720, 51-55), Visa (4), JCB (35), Diners (36), Maestro and Discover (5, 6),
// UnionPay (62). Leaving out 1, 7, 8, 9 and 0 keeps Unix timestamps in milliseconds and
// nanoseconds, 13 and 19 digits long, from ever looking like cards; tying short lengths to their
// networks keeps most 13-15 digit identifiers out, and 13 and 14 digit numbers with a valid GS1
// check digit are taken for product codes (EAN-13, GTIN-14).
func cardPrefixOK[T text](s T, i, j, n int) bool {
	var d [4]int
	got := 0
	for k := i; k < len(s) && got < 4; k++ {
		if isDigit(s[k]) {
			d[got] = int(s[k] - '0')
			got++
		}
	}
	two := d[0]*10 + d[1]
	switch n {
	case 13:
		return d[0] == 4 && !gs1(s, i, j)
	case 14:
		return (two == 30 || two == 36 || two == 38 || two == 39) && !gs1(s, i, j)
	case 15:
		return two == 34 || two == 37
	}
	switch d[0] {
	case 4, 5, 6:
		return true
	case 3:
		return two == 35 || two == 36
	case 2:
		v := two*100 + d[2]*10 + d[3]
		return v >= 2221 && v <= 2720
	}
	return false
}

// gs1 reports whether the digits in s[i:j] carry a valid GS1 check digit (EAN-13, GTIN-14: weights
// 3 and 1 from the right). Product codes of 13 and 14 digits that pass it are not taken for cards;
// a 13 or 14 digit card passes it only by chance, one time in ten.
func gs1[T text](s T, i, j int) bool {
	sum := 0
	w := 0
	check := -1
	for k := j - 1; k >= i; k-- {
		if !isDigit(s[k]) {
			continue
		}
		d := int(s[k] - '0')
		if check < 0 {
			check = d
			continue
		}
		if w%2 == 0 {
			sum += 3 * d
		} else {
			sum += d
		}
		w++
	}
	return (10-sum%10)%10 == check
}

// luhn reports whether the digits in s[i:j] (separators skipped) pass the Luhn check.
func luhn[T text](s T, i, j int) bool {
	sum := 0
	double := false
	for k := j - 1; k >= i; k-- {
		c := s[k]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// wordAt runs the detectors that start at a word beginning with a letter or '_': s[i:j] is the
// word ([A-Za-z0-9_]+).
func wordAt[T text](s T, i, j int) (m match, ok bool, skip int) {
	n := len(s)
	w := j - i
	switch s[i] {
	case 'A':
		// Only where a base64url run starts: '-' is base64url but ends a word, so "AQ-AQ-AQ-..."
		// would otherwise start a scan of up to 4 KiB every three bytes (quadratic time on
		// hostile input); a run is scanned once, from its start.
		if tokenSecond(s[i+1]) && (i == 0 || b64URLValue[s[i-1]] == 0xFF) {
			if end, ok := tokenAt(s, i); ok {
				return match{i, end, kindToken}, true, 0
			}
		}
		// AWS access key IDs, after gitleaks' aws-access-token rule (MIT):
		// \b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b
		if w == 20 && (hasPrefix(s, i, "AKIA") || hasPrefix(s, i, "ASIA") || hasPrefix(s, i, "ABIA") ||
			hasPrefix(s, i, "ACCA") || hasPrefix(s, i, "A3T") && (isUpper(s[i+3]) || isDigit(s[i+3]))) {
			okAll := true
			for k := i + 4; k < j; k++ {
				if !isBase32(s[k]) {
					okAll = false
					break
				}
			}
			if okAll {
				return match{i, j, kindAWS}, true, 0
			}
		}
	case 'e':
		if w >= 3 && hasPrefix(s, i, "eyJ") {
			end, ok := jwtAt(s, i)
			if ok {
				return match{i, end, kindJWT}, true, 0
			}
			skip = end
		}
	case 'g':
		// GitHub tokens, after gitleaks' github-pat, github-oauth, github-app-token,
		// github-refresh-token and github-fine-grained-pat rules (MIT):
		// gh[pousr]_[0-9a-zA-Z]{36} and github_pat_\w{82}.
		if w >= 40 && s[i+1] == 'h' && s[i+3] == '_' {
			switch s[i+2] {
			case 'p', 'o', 'u', 's', 'r':
				if allAlnum(s, i+4, j) {
					return match{i, j, kindGitHub}, true, 0
				}
			}
		}
		if w >= 11+82 && hasPrefix(s, i, "github_pat_") {
			return match{i, j, kindGitHub}, true, 0
		}
	case 'x':
		// Slack tokens, after gitleaks' slack-bot-token, slack-user-token, slack-app-token,
		// slack-config-access-token and slack-legacy-token rules (MIT): xox[abeoprs]-..., xapp-...,
		// xoxe.xox[bp]-....
		end, ok := slackAt(s, i, j)
		if ok {
			return match{i, end, kindSlack}, true, 0
		}
		skip = end
	case 'h':
		// Slack webhook URLs, after gitleaks' slack-webhook-url rule (MIT):
		// hooks.slack.com/(services|workflows|triggers)/...
		if hasPrefix(s, i, "hooks.slack.com/") {
			k := i + len("hooks.slack.com/")
			for _, p := range [...]string{"services/", "workflows/", "triggers/"} {
				if hasPrefix(s, k, p) {
					a := k + len(p)
					e := a
					for e < n && (class[s[e]]&clB64URL != 0 || s[e] == '/') {
						e++
					}
					if e-a >= 8 {
						return match{a, e, kindSlack}, true, 0
					}
				}
			}
		}
	case 's', 'r':
		// Stripe secret and restricted keys, after gitleaks' stripe-access-token rule (MIT):
		// (?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99}. Publishable keys (pk_) are public.
		if w >= 18 && s[i+1] == 'k' && s[i+2] == '_' &&
			(hasPrefix(s, i+3, "live_") || hasPrefix(s, i+3, "test_") || hasPrefix(s, i+3, "prod_")) &&
			allAlnum(s, i+8, j) {
			return match{i, j, kindStripe}, true, 0
		}
	case 'w':
		// Stripe webhook signing secrets: whsec_ followed by at least 24 alphanumerics.
		if w >= 30 && hasPrefix(s, i, "whsec_") && allAlnum(s, i+6, j) {
			return match{i, j, kindStripe}, true, 0
		}
	case 'B', 'b':
		if m, ok := authSchemeAt(s, i, j, false); ok {
			return m, true, 0
		}
	}
	if class[s[i]]&clLower != 0 && w >= 42 && w <= 56 && apiKeyOK(s, i, j) {
		return match{i, j, kindAPIKey}, true, 0
	}
	return match{}, false, skip
}

// The text lengths of rampart session tokens (auth.Keyring's version 1): the base64url form of at
// least 96 bytes, and at most auth.MaxTokenLen characters.
const (
	minTokenText = 128
	maxTokenText = 4096
)

// b64URLValue maps a base64url character to its 6-bit value, and any other byte to 0xFF.
var b64URLValue = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range t {
		t[i] = 0xFF
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// tokenAt checks for a rampart session token (the format of auth.Keyring, version 1) starting at
// s[i], and returns the end of the base64url run there. The run must decode (unpadded) to: the
// version 1; the key ID's length, 1 to 32, and the key ID; 56 bytes of fixed claims; the
// subject's length and the subject; the number of roles, at most 32, and each role's length (at
// most 64) and bytes; the extra data's 16-bit length, at most 1024, and bytes; and a 32-byte tag
// that ends the token exactly. Random text of the right shape passes all of those length checks
// with negligible probability, so the detector reports no false positives in practice.
func tokenAt[T text](s T, i int) (end int, ok bool) {
	e := i
	for e < len(s) && e-i <= maxTokenText && b64URLValue[s[e]] != 0xFF {
		e++
	}
	l := e - i
	if l < minTokenText || l > maxTokenText || l%4 == 1 {
		return e, false
	}
	var buf [maxTokenText * 3 / 4]byte
	n := 0
	var acc uint32
	bitsIn := 0
	for k := i; k < e; k++ {
		acc = acc<<6 | uint32(b64URLValue[s[k]])
		bitsIn += 6
		if bitsIn >= 8 {
			bitsIn -= 8
			buf[n] = byte(acc >> bitsIn) // #nosec G115 -- keeps the low 8 bits on purpose
			n++
		}
	}
	b := buf[:n]
	if b[0] != 1 || b[1] < 1 || b[1] > 32 {
		return e, false
	}
	p := 2 + int(b[1]) + 56
	if p >= n {
		return e, false
	}
	p += 1 + int(b[p]) // subject
	if p >= n || b[p] > 32 {
		return e, false
	}
	roles := int(b[p])
	p++
	for range roles {
		if p >= n || b[p] > 64 {
			return e, false
		}
		p += 1 + int(b[p])
	}
	if p+2 > n {
		return e, false
	}
	extra := int(b[p])<<8 | int(b[p+1])
	if extra > 1024 {
		return e, false
	}
	p += 2 + extra
	return e, p+32 == n
}

func allAlnum[T text](s T, i, j int) bool {
	for k := i; k < j; k++ {
		if !isAlnum(s[k]) {
			return false
		}
	}
	return i < j
}

func isBase62(c byte) bool { return isAlnum(c) }

// base62 is the checksum alphabet of the rampart API-key format: '0'..'9', 'A'..'Z', 'a'..'z'.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// apiKeyOK checks s[i:j] against the rampart API-key format: prefix "_" random "_" checksum, where
// prefix is [a-z][a-z0-9]{1,15}, random is 32 base62 characters and checksum is the CRC-32 (IEEE)
// of `prefix "_" random` written as 6 base62 digits, most significant first.
func apiKeyOK[T text](s T, i, j int) bool {
	cs := j - 6   // checksum start
	rs := cs - 33 // random start
	if rs-1-i < 2 || rs-1-i > 16 || s[cs-1] != '_' || s[rs-1] != '_' {
		return false
	}
	for k := i + 1; k < rs-1; k++ {
		if class[s[k]]&clLower == 0 && !isDigit(s[k]) {
			return false
		}
	}
	for k := rs; k < cs-1; k++ {
		if !isBase62(s[k]) {
			return false
		}
	}
	var buf [64]byte
	nb := copy(buf[:], s[i:cs-1])
	sum := crc32.ChecksumIEEE(buf[:nb])
	for k := j - 1; k >= cs; k-- {
		if s[k] != base62[sum%62] {
			return false
		}
		sum /= 62
	}
	return sum == 0
}

// jwtAt checks for a JSON Web Token (RFC 7519) in compact form starting at s[i] ("eyJ"): three
// base64url segments (JWS, RFC 7515) or five (JWE, RFC 7516), the first decoding to a JSON object
// with an "alg" member. It returns the end of the token.
func jwtAt[T text](s T, i int) (int, bool) {
	n := len(s)
	var segEnd [5]int
	parts := 0
	j := i
	for parts < 5 {
		k := j
		for k < n && class[s[k]]&clB64URL != 0 {
			k++
		}
		segEnd[parts] = k
		parts++
		if k+1 < n && s[k] == '.' && parts < 5 && class[s[k+1]]&clB64URL != 0 {
			j = k + 1
			continue
		}
		if k < n && s[k] == '.' && parts == 2 {
			// An unsecured JWT ("alg":"none") has an empty signature: header.payload.
			segEnd[2] = k + 1
			parts = 3
		}
		break
	}
	hdrEnd := segEnd[0]
	if parts < 3 || hdrEnd-i > 2048 || (hdrEnd-i)%4 == 1 {
		return hdrEnd, false
	}
	var enc [2048]byte
	var dec [1536]byte
	ne := copy(enc[:], s[i:hdrEnd])
	nd, err := base64.RawURLEncoding.Decode(dec[:], enc[:ne])
	if err != nil || nd < 8 || dec[0] != '{' || dec[nd-1] != '}' || index(dec[:nd], 0, `"alg"`) < 0 {
		return hdrEnd, false
	}
	if segEnd[1]-(hdrEnd+1) < 2 {
		return hdrEnd, false
	}
	end := segEnd[2]
	if parts == 5 {
		end = segEnd[4]
	}
	return end, true
}

// slackAt checks for a Slack token at the word s[i:j] ("xoxb", "xapp", ...).
func slackAt[T text](s T, i, j int) (int, bool) {
	n := len(s)
	if j >= n {
		return 0, false
	}
	switch {
	case j-i == 4 && hasPrefix(s, i, "xox") && (s[j] == '-' || s[j] == '.' && s[i+3] == 'e'):
		switch s[i+3] {
		case 'a', 'b', 'e', 'o', 'p', 'r', 's':
		default:
			return 0, false
		}
	case j-i == 4 && hasPrefix(s, i, "xapp") && s[j] == '-':
	default:
		return 0, false
	}
	k := j
	digits := 0
	for k < n && (isAlnum(s[k]) || s[k] == '-' || s[k] == '.') {
		if isDigit(s[k]) {
			digits++
		}
		k++
	}
	for k > j && (s[k-1] == '.' || s[k-1] == '-') {
		k--
	}
	if k-i < 15 || digits < 1 {
		return k, false
	}
	return k, true
}

// authSchemeAt checks for "Bearer <token>" or "Basic <credentials>" with the scheme word at
// s[i:j]. In free text (ctx false) a Bearer token must look like one: at least 8 token68
// characters with a digit or punctuation, or at least 20; Basic credentials must decode to
// "user:password". After an Authorization key (ctx true) any token is taken. Only the token is
// replaced.
func authSchemeAt[T text](s T, i, j int, ctx bool) (match, bool) {
	bearer := equalFold(s, i, j, "bearer")
	if !bearer && !equalFold(s, i, j, "basic") {
		return match{}, false
	}
	n := len(s)
	a := j
	for a < n && a-j < 4 && (s[a] == ' ' || s[a] == '\t') {
		a++
	}
	if a == j {
		return match{}, false
	}
	e := a
	marks := 0
	for e < n && class[s[e]]&clToken68 != 0 {
		if !isAlpha(s[e]) {
			marks++
		}
		e++
	}
	if e == a {
		return match{}, false
	}
	eq, marksEq := e, marks
	for e < n && s[e] == '=' && e-a < 4096 {
		e++
		marks++
	}
	if e > eq && e < n && !isSpace(s[e]) && s[e] != '"' && s[e] != '\'' && s[e] != ',' && s[e] != ';' {
		// "name=value" is an auth-param, not token68 padding: the token ends before the '='.
		e, marks = eq, marksEq
	}
	if markerEnd(s, a) > 0 {
		return match{}, false
	}
	if bearer {
		if ctx || e-a >= 20 || e-a >= 8 && marks > 0 {
			return match{a, e, kindBearer}, true
		}
		return match{}, false
	}
	if ctx || basicOK(s, a, e) {
		return match{a, e, kindBasic}, true
	}
	return match{}, false
}

// basicOK reports whether s[a:e] is standard base64 of printable "user:password".
func basicOK[T text](s T, a, e int) bool {
	if e-a < 4 || e-a > 1024 || (e-a)%4 == 1 {
		return false
	}
	var enc [1024]byte
	var dec [768]byte
	ne := copy(enc[:], s[a:e])
	src := enc[:ne]
	for len(src) > 0 && src[len(src)-1] == '=' {
		src = src[:len(src)-1]
	}
	nd, err := base64.RawStdEncoding.Decode(dec[:], src)
	if err != nil || nd < 2 {
		return false
	}
	colon := false
	for _, c := range dec[:nd] {
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c == ':' {
			colon = true
		}
	}
	return colon
}

// emailAt checks for an e-mail address around the '@' at s[at]; the local part may not reach
// back before last (the end of the previous replacement). Both the local part and the domain
// labels may hold non-ASCII letters, digits and marks in UTF-8 (andré@example.com,
// jane@例え.jp); an ASCII byte costs one table lookup, as before.
func emailAt[T text](s T, at, last int) (match, bool) {
	n := len(s)
	// The local part runs back over every byte an address may hold there, even past the 64 an
	// address allows: what such a run is glued to goes with it (fail closed), or a card number
	// before it would be left standing, glued to letters, and found on a second pass only, next to
	// the replacement. Runs end at an '@', so these backward scans never overlap: linear time.
	a := at
	for a > last {
		c := s[a-1]
		if c < utf8.RuneSelf {
			if class[c]&clLocal == 0 {
				break
			}
			a--
			continue
		}
		r, size := runeBefore(s, a, last)
		if size == 0 || !emailRune(r) {
			break
		}
		a -= size
	}
	for a < at && (s[a] == '.' || s[a] == '-' || s[a] == '+') {
		a++
	}
	if a == at || s[at-1] == '.' {
		return match{}, false
	}
	k := at + 1
	labels := 0
	tldAlpha := false
	for k < n && k-at <= 254 {
		ls := k
		alpha := true
		for k < n {
			c := s[k]
			if c < utf8.RuneSelf {
				if !isAlnum(c) && c != '-' {
					break
				}
				if !isAlpha(c) {
					alpha = false
				}
				k++
				continue
			}
			r, size := runeAt(s, k)
			if size == 0 || !emailRune(r) {
				break
			}
			if !unicode.IsLetter(r) {
				alpha = false
			}
			k += size
		}
		if k == ls || k-ls > 63 {
			return match{}, false
		}
		labels++
		tldAlpha = alpha && k-ls >= 2
		if k+1 < n && s[k] == '.' && labelStart(s, k+1) {
			k++
			continue
		}
		break
	}
	if labels < 2 || !tldAlpha {
		return match{}, false
	}
	// "git@github.com:org/repo.git" is an SSH remote, not an address.
	if k+1 < n && s[k] == ':' && !isSpace(s[k+1]) {
		return match{}, false
	}
	return match{a, k, kindEmail}, true
}

// emailRune reports whether the non-ASCII rune r may be part of an address: a letter, digit or
// combining mark (not punctuation or a space, such as "：" or an ideographic space before it).
func emailRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// labelStart reports whether a domain label starts at s[k].
func labelStart[T text](s T, k int) bool {
	if c := s[k]; c < utf8.RuneSelf {
		return isAlnum(c)
	}
	r, size := runeAt(s, k)
	return size > 0 && emailRune(r)
}

// runeAt decodes the UTF-8 rune at s[i]; size is 0 when the bytes there are not valid UTF-8.
func runeAt[T text](s T, i int) (rune, int) {
	var buf [utf8.UTFMax]byte
	nb := copy(buf[:], s[i:min(len(s), i+utf8.UTFMax)])
	r, size := utf8.DecodeRune(buf[:nb])
	if r == utf8.RuneError {
		return r, 0
	}
	return r, size
}

// runeBefore decodes the UTF-8 rune that ends just before s[i], not reaching back before lo; size
// is 0 when the bytes there are not valid UTF-8.
func runeBefore[T text](s T, i, lo int) (rune, int) {
	j := i - 1
	for j > lo && i-j < utf8.UTFMax && s[j]&0xC0 == 0x80 {
		j--
	}
	var buf [utf8.UTFMax]byte
	nb := copy(buf[:], s[j:i])
	r, size := utf8.DecodeRune(buf[:nb])
	if r == utf8.RuneError || size != nb {
		return r, 0
	}
	return r, size
}

// urlAt checks for credentials in a URL whose scheme ends at the ':' of "://" at s[i]. Only the
// password is replaced: "postgres://app:[REDACTED:url-password]@db:5432".
//
// When the password is already a replacement marker, urlAt matches nothing but returns skip, the
// index of the '@': the user info is then passed over as a whole, as it was when the password was
// replaced, so that a second pass does not judge "user:[REDACTED:url-password]" as a key and its
// value (FuzzRedact: "A0://token:0@0").
func urlAt[T text](s T, i, last int) (m match, ok bool, skip int) {
	n := len(s)
	b := i
	for b > last && i-b < 32 && (isAlnum(s[b-1]) || s[b-1] == '+' || s[b-1] == '-' || s[b-1] == '.') {
		b--
	}
	if i-b < 2 || !isAlpha(s[b]) {
		return match{}, false, 0
	}
	a := i + 3
	at := -1
	k := a
	for k < n && k-a < 1024 {
		c := s[k]
		if c == '/' || c == '?' || c == '#' || isSpace(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' || c == '`' {
			break
		}
		if c == '@' {
			at = k
		}
		k++
	}
	if at < 0 {
		return match{}, false, 0
	}
	colon := -1
	for p := a; p < at; p++ {
		if s[p] == '[' {
			if me := markerEnd(s, p); me > 0 {
				p = me - 1 // a replacement's own ':' is not the user:password separator
				continue
			}
		}
		if s[p] == ':' {
			colon = p
			break
		}
	}
	if colon >= 0 && colon+1 < at && markerEnd(s, colon+1) == at {
		return match{}, false, at // already redacted: pass over the user info
	}
	if colon < 0 || colon+1 == at {
		return match{}, false, 0
	}
	return match{colon + 1, at, kindURL}, true, 0
}

// pemAt checks for a PEM private-key block ("-----BEGIN ... PRIVATE KEY-----", RFC 7468, which
// also covers "OPENSSH PRIVATE KEY" and "PGP PRIVATE KEY BLOCK") at s[i] and returns it whole: the
// rest of the BEGIN line, the lines of key material after it, and the END line that follows them.
// Without that END line the block ends before the first line of ordinary text, or at the end of s
// (open).
func pemAt[T text](s T, i int) (m match, ok, open bool) {
	a := i + len("-----BEGIN ")
	k := a
	for k < len(s) && k-a < 64 && (isUpper(s[k]) || isDigit(s[k]) || s[k] == ' ') {
		k++
	}
	if !hasPrefix(s, k, "-----") || index(s[a:k], 0, "PRIVATE KEY") < 0 {
		return match{}, false, false
	}
	// The block runs over lines of key material (pemBodyLine) to the first line with an END marker
	// (which may be the BEGIN line itself). Without one, it ends before the first line of ordinary
	// text, as in the Writer, which sees one line at a time; so a planted BEGIN line cannot hide
	// what follows it. Each line is read once, so scanning stays linear.
	e, eol := pemEndInLine(s, k+5)
	for e < 0 {
		if eol == len(s) {
			return match{i, len(s), kindPrivateKey}, true, true
		}
		var next int
		e, next = pemEndInLine(s, eol+1)
		if e < 0 && !pemBodyLine(s[eol+1:next]) {
			return match{i, eol, kindPrivateKey}, true, false
		}
		eol = next
	}
	return match{i, e, kindPrivateKey}, true, false
}

// pemEndInLine looks for an END marker ("-----END ...-----") in the line from s[from]: it returns
// the index just after the marker, or -1 and the index of the line's '\n' (len(s) if none).
func pemEndInLine[T text](s T, from int) (end, eol int) {
	for j := from; j < len(s); j++ {
		switch s[j] {
		case '\n':
			return -1, j
		case '-':
			if hasPrefix(s, j, "-----END ") {
				k := j + len("-----END ")
				for k < len(s) && k-j < 80 && (isUpper(s[k]) || isDigit(s[k]) || s[k] == ' ') {
					k++
				}
				if hasPrefix(s, k, "-----") {
					return k + 5, 0
				}
			}
		}
	}
	return -1, len(s)
}

// pemBodyLine reports whether line (without its '\n') can be part of a PEM or OpenPGP armored key
// block: empty, only base64 characters, or an RFC 1421 or OpenPGP armor header.
func pemBodyLine[T text](line T) bool {
	n := len(line)
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	i0 := 0
	for i0 < n && (line[i0] == ' ' || line[i0] == '\t') {
		i0++ // indented, as in YAML
	}
	i := i0
	base64 := true
	for ; i < n; i++ {
		if c := line[i]; !isAlnum(c) && c != '+' && c != '/' && c != '=' {
			base64 = false
			break
		}
	}
	if base64 {
		return true
	}
	for _, h := range [...]string{"Proc-Type: ", "DEK-Info: ", "Version: ", "Comment: ", "Hash: ", "Charset: "} {
		if hasPrefix(line, i0, h) {
			return true
		}
	}
	return false
}

// pemEnd returns the index just after the first "-----END ...-----" at or after from, or -1.
func pemEnd[T text](s T, from int) int {
	for {
		e := index(s, from, "-----END ")
		if e < 0 {
			return -1
		}
		k := e + len("-----END ")
		for k < len(s) && k-e < 80 && (isUpper(s[k]) || isDigit(s[k]) || s[k] == ' ') {
			k++
		}
		if hasPrefix(s, k, "-----") {
			return k + 5
		}
		from = e + 1
	}
}

// fullwidthDigit returns the ASCII digit of the full-width digit (U+FF10 to U+FF19) at s[i], if
// one starts there.
func fullwidthDigit[T text](s T, i int) (byte, bool) {
	if i+2 < len(s) && s[i] == 0xEF && s[i+1] == 0xBC && s[i+2] >= 0x90 && s[i+2] <= 0x99 {
		return '0' + s[i+2] - 0x90, true
	}
	return 0, false
}

// fullwidthCardAt checks for a card number typed in full-width digits (as East Asian input
// methods produce), optionally grouped by spaces, ideographic spaces, dashes or full-width
// hyphen-minus signs, starting at s[i]. The run is folded to ASCII and judged by cardAt, so the
// same issuer, length, Luhn and GS1 rules apply.
func fullwidthCardAt[T text](s T, i int) (m match, ok bool, skip int) {
	n := len(s)
	if _, d := fullwidthDigit(s, i); !d || i > 0 && class[s[i-1]]&clWord != 0 {
		return m, false, i + 1
	}
	var buf [48]byte
	nb, end, endBuf := 0, i, 0
	j := i
	for j < n && nb < len(buf) {
		if d, isD := fullwidthDigit(s, j); isD {
			buf[nb] = d
			nb, j = nb+1, j+3
			end, endBuf = j, nb
			continue
		}
		switch {
		case isDigit(s[j]):
			buf[nb] = s[j]
			nb, j = nb+1, j+1
			end, endBuf = j, nb
			continue
		case s[j] == ' ' || s[j] == '-':
			buf[nb] = s[j]
			nb, j = nb+1, j+1
			continue
		case j+2 < n && s[j] == 0xE3 && s[j+1] == 0x80 && s[j+2] == 0x80: // ideographic space
			buf[nb] = ' '
			nb, j = nb+1, j+3
			continue
		case j+2 < n && s[j] == 0xEF && s[j+1] == 0xBC && s[j+2] == 0x8D: // full-width hyphen-minus
			buf[nb] = '-'
			nb, j = nb+1, j+3
			continue
		}
		break
	}
	// When the run is not one card, scanning resumes just after this digit, not after the run:
	// the run may hold an ASCII card ("３ 378282246310005", found by FuzzPlanted), which the
	// ordinary scanner must still see, or a full-width card after a stray digit. The buffer
	// bounds each attempt, so a long run costs linear time.
	if nb == len(buf) || end < n && class[s[end]]&clWord != 0 {
		return m, false, i + 3
	}
	cm, isCard, _ := cardAt(buf[:endBuf], 0)
	if !isCard || cm.start != 0 || cm.end != endBuf {
		return m, false, i + 3
	}
	return match{i, end, kindCard}, true, end
}
