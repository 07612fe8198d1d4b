package logredact

import "sync/atomic"

// Key matching. A key is normalized by lower-casing ASCII letters and dropping '-', '_', '.' and
// spaces, so "api_key", "api-key", "apiKey", "API_KEY" and "ApiKey" all become "apikey". A
// normalized key is sensitive when it
//   - contains password, passwd, passphrase, secret, privatekey, apikey, accesskey, credential,
//     authorization or cookie;
//   - ends with token, session, sessionid, sessid, pwd, sig, signature, cvv, cvv2, cvc, privkey,
//     signingkey, encryptionkey, masterkey, hmackey or sessionkey;
//   - is exactly pass or pw, or ends with a pass of its own: after a separator, a digit or a
//     camel-case boundary ("DB_PASS", "redisPass", "DBPass"), and not bypass, compass, surpass and the like
//     (passWords);
//   - in a URL query, is also exactly code (an OAuth authorization code), key or auth;
//   - equals or ends with one of the caller's [Config.Keys], normalized the same way.

// maxSpace bounds the run of spaces and tabs skipped on either side of the ':' or '=' between a
// key and its value in free text.
const maxSpace = 64

// maxKey bounds how much of a key is examined; longer keys are matched on their first maxKey
// normalized bytes.
const maxKey = 128

// normalizeKey writes the normalized form of k[i:j] into buf and returns it.
func normalizeKey[T text](buf *[maxKey]byte, k T, i, j int) []byte {
	n := 0
	for p := i; p < j && n < maxKey; p++ {
		c := k[p]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	return buf[:n]
}

func hasSuffixB(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

func hasPrefixB(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

// letterMask returns the set of ASCII letters in k[i:j], one bit per letter, case folded.
func letterMask[T text](k T, i, j int) uint32 {
	var m uint32
	for p := i; p < j; p++ {
		c := k[p] | 0x20
		if c >= 'a' && c <= 'z' {
			m |= 1 << (c - 'a')
		}
	}
	return m
}

func maskOf(s string) uint32 { return letterMask(s, 0, len(s)) }

// builtinNames are the minimal letter sets of the built-in names: a key whose letters include
// none of them cannot be sensitive, which rules out most keys ("level", "msg", "status",
// "request_id") without normalizing them. "pw" covers passw and pwd, "pass" covers passphrase,
// "cvv" covers cvc, "privkey" covers privatekey, "sig" covers signingkey, "token" covers
// encryptionkey. queryNames are the names sensitive only in a URL query.
var (
	builtinNames = []string{"pw", "pass", "privkey", "secret", "apikey", "accesskey", "authorization",
		"credential", "cookie", "token", "session", "sessid", "sig", "cvv", "masterkey", "hmackey"}
	queryNames = []string{"code", "key", "auth"}
)

// The letter-set screen in O(1). A name's letter set p is a candidate for a key with letter set m
// when p is a subset of m. Splitting the 26 letter bits into three parts (a-i, j-r, s-z), p is a
// subset of m exactly when each part of p is a subset of the same part of m; keyScreen[t][v] is
// the set of names (bit b for name b) whose part t is a subset of v, so the candidates are the AND
// of three table entries instead of a loop over every name. The tables take 5 KiB.
const (
	screenBuiltin = 1<<16 - 1        // bits of builtinNames
	screenQuery   = (1<<3 - 1) << 16 // bits of queryNames
)

var keyScreen = func() (t [3][512]uint32) {
	names := append(append([]string(nil), builtinNames...), queryNames...)
	for b, name := range names {
		pm := maskOf(name)
		for part, shift := range [3]int{0, 9, 18} {
			pp := pm >> shift & 511
			for v := uint32(0); v < 512; v++ {
				if pp&^v == 0 {
					t[part][v] |= 1 << b
				}
			}
		}
	}
	return t
}()

// screenCandidates returns the set of built-in and query names (screenBuiltin and screenQuery
// bits) whose letters are all in the letter set m.
func screenCandidates(m uint32) uint32 {
	return keyScreen[0][m&511] & keyScreen[1][m>>9&511] & keyScreen[2][m>>18&255]
}

// mayBeSensitive reports whether a key with the letter set m can be sensitive by its letters:
// under a built-in name, under a query name when query is set, or under a caller's name. The
// caller's names (Config.Keys, usually none) are screened one by one.
func (r *Redactor) mayBeSensitive(m uint32, query bool) bool {
	want := uint32(screenBuiltin)
	if query {
		want |= screenQuery
	}
	if screenCandidates(m)&want != 0 {
		return true
	}
	for _, pm := range r.keyMasks {
		if pm&^m == 0 {
			return true
		}
	}
	return false
}

// builtinSensitive reports whether the normalized key k is sensitive by the built-in rules.
func builtinSensitive(k []byte, query bool) bool {
	n := len(k)
	if n < 2 {
		return false
	}
	for i := 0; i+6 <= n; i++ {
		t := k[i:]
		switch k[i] {
		case 'p':
			if hasPrefixB(t, "passw") || hasPrefixB(t, "passphrase") || hasPrefixB(t, "privatekey") {
				return true
			}
		case 's':
			if hasPrefixB(t, "secret") {
				return true
			}
		case 'a':
			if hasPrefixB(t, "apikey") || hasPrefixB(t, "accesskey") || hasPrefixB(t, "authorization") {
				return true
			}
		case 'c':
			if hasPrefixB(t, "credential") || hasPrefixB(t, "cookie") {
				return true
			}
		}
	}
	switch k[n-1] {
	case 'n':
		if hasSuffixB(k, "token") || hasSuffixB(k, "session") {
			return true
		}
	case 'd':
		if hasSuffixB(k, "pwd") || hasSuffixB(k, "sessionid") || hasSuffixB(k, "sessid") {
			return true
		}
	case 'e':
		if hasSuffixB(k, "signature") || query && string(k) == "code" {
			return true
		}
	case 'g':
		if hasSuffixB(k, "sig") {
			return true
		}
	case 'v', 'c', '2':
		if hasSuffixB(k, "cvv") || hasSuffixB(k, "cvc") || hasSuffixB(k, "cvv2") {
			return true
		}
	case 's':
		if string(k) == "pass" {
			return true
		}
	case 'w':
		if string(k) == "pw" {
			return true
		}
	case 'y':
		if query && string(k) == "key" || hasSuffixB(k, "privkey") || hasSuffixB(k, "signingkey") ||
			hasSuffixB(k, "encryptionkey") || hasSuffixB(k, "masterkey") || hasSuffixB(k, "hmackey") ||
			hasSuffixB(k, "sessionkey") {
			return true
		}
	case 'h':
		if query && string(k) == "auth" {
			return true
		}
	}
	return false
}

// passSuffix reports whether the key k[i:j], whose normalized form ends in "pass", ends in a
// "pass" of its own: after a separator ("DB_PASS", "smtp-pass"), a digit, or a camel-case
// boundary ("redisPass", and "DBPass" after an acronym), so not "bypass" or "compass".
func passSuffix[T text](k T, i, j int) bool {
	for j > i && (k[j-1] == '-' || k[j-1] == '_' || k[j-1] == '.' || k[j-1] == ' ') {
		j--
	}
	if j-i < 5 {
		return false
	}
	p, c := k[j-4], k[j-5]
	switch {
	case c == '-' || c == '_' || c == '.' || c == ' ' || isDigit(c):
		return true
	case p == 'P' && c >= 'a' && c <= 'z':
		return true
	case p == 'P' && k[j-3] == 'a' && c >= 'A' && c <= 'Z': // after an acronym: "DBPass", "SMTPPass"
		return true
	}
	return false
}

// passWords are words ending in "pass" that name no password, even when written with a
// boundary before the "pass" ("ByPass", "over_pass").
var passWords = []string{"bypass", "compass", "encompass", "surpass", "trespass", "overpass", "underpass"}

// passWord reports whether the normalized key k ends in one of passWords.
func passWord(k []byte) bool {
	for _, w := range passWords {
		if hasSuffixB(k, w) {
			return true
		}
	}
	return false
}

// sensitive reports whether the key k[i:j] names a secret.
func sensitive[T text](r *Redactor, k T, i, j int, query bool) bool {
	return sensitiveLetters(r, k, i, j, query, letterMask(k, i, j))
}

// sensitiveLetters is sensitive for a caller that already has the key's letter set m.
func sensitiveLetters[T text](r *Redactor, k T, i, j int, query bool, m uint32) bool {
	if !r.mayBeSensitive(m, query) {
		return false
	}
	var buf [maxKey]byte
	nk := normalizeKey(&buf, k, i, j)
	if builtinSensitive(nk, query) || hasSuffixB(nk, "pass") && passSuffix(k, i, j) && !passWord(nk) {
		return true
	}
	for _, extra := range r.keys {
		if hasSuffixB(nk, string(extra)) {
			return true
		}
	}
	return false
}

// SensitiveKey reports whether an attribute, field or parameter named key is redacted whole by
// this Redactor's key rules (see the package documentation, "Keys").
func (r *Redactor) SensitiveKey(key string) bool {
	if len(key) > 64 {
		return sensitive(r, key, 0, len(key), false)
	}
	// Four ways per set: a key is looked for in each slot of its set, so the few dozen keys a
	// service logs stay cached even when several share a set (as "request_id" and "password"
	// shared a slot of the former direct-mapped cache, evicting each other on every record).
	h := keyHash(key)
	const ways = 4
	set := (*[ways]atomic.Pointer[keyEntry])(r.keyCache[h%uint32(len(r.keyCache)/ways)*ways:])
	if e := set[0].Load(); e != nil && e.key == key {
		return e.sens // the usual case: a set's first key fills its first way
	}
	for w := 1; w < ways; w++ {
		if e := set[w].Load(); e != nil && e.key == key {
			return e.sens
		}
	}
	sens := sensitive(r, key, 0, len(key), false)
	w := h >> 8 % ways // when the set is full, replace the way the key's hash picks
	for k := range set {
		if set[k].Load() == nil {
			w = uint32(k)
			break
		}
	}
	set[w].Store(&keyEntry{key: key, sens: sens})
	return sens
}

// keyEntry is one cached answer of the key rules. SensitiveKey keeps a small cache of recent
// answers: attribute keys are nearly always constants, so most lookups are one hash and one
// comparison. Entries are immutable; a collision just replaces one.
type keyEntry struct {
	key  string
	sens bool
}

// keyHash hashes a key's length and three of its bytes (first, last, middle): cheap, and with
// four ways per set, collisions cost nothing until five hot keys share one.
func keyHash(k string) uint32 {
	n := len(k)
	h := uint32(n&0xff) * 0x9e3779b1
	if n > 0 {
		h ^= uint32(k[0])<<16 ^ uint32(k[n-1])<<8 ^ uint32(k[n/2])
	}
	return h ^ h>>15
}

// keyByte classifies the bytes of a bare key in free text ([A-Za-z0-9_.-] and '%') for fieldAt's
// backward walk: a letter's entry is its bit in a letter set (as letterMask), '%' is kbPercent,
// the other key bytes are kbOther, and every byte that cannot be in a key is 0.
var keyByte = func() (t [256]uint32) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case b|0x20 >= 'a' && b|0x20 <= 'z':
			t[c] = 1 << (b | 0x20 - 'a')
		case b == '%':
			t[c] = kbPercent
		case class[b]&clKey != 0:
			t[c] = kbOther
		}
	}
	return t
}()

const (
	kbLetters = 1<<26 - 1 // the letter bits of keyByte
	kbPercent = 1 << 26
	kbOther   = 1 << 27
	kbStop    = 1 << 28 // quotedKeyByte: '\\' and control bytes
	kbDQuote  = 1 << 29 // quotedKeyByte: '"'
	kbSQuote  = 1 << 30 // quotedKeyByte: '\''
)

// quotedKeyByte classifies the bytes of a quoted key for fieldKey's backward walk: a letter's
// entry is its bit in a letter set, '\\' and control bytes are kbStop, the quotes kbDQuote and
// kbSQuote (a key quoted with one may hold the other), every other byte 0.
var quotedKeyByte = func() (t [256]uint32) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case b < 0x20 || b == '\\':
			t[c] = kbStop
		case b == '"':
			t[c] = kbDQuote
		case b == '\'':
			t[c] = kbSQuote
		default:
			t[c] = keyByte[c] & kbLetters
		}
	}
	return t
}()

// isKeyBoundary reports whether a key that starts at s[ks] stands on its own, so "password=" is a
// key but "xpassword=" inside a longer token is judged as the whole token.
func keyBoundary[T text](s T, ks, last int) (ok, query bool) {
	if ks == 0 || ks == last {
		return true, false
	}
	c := s[ks-1]
	switch c {
	case '?', '&':
		return true, true
	}
	return class[c]&clKey == 0, false
}

// fieldAt checks for a sensitive key followed by its value in free text, with the ':' or '=' at
// s[i]: key=value (logfmt, URL queries), key: value, "key":"value" (JSON), 'key': 'value', and
// \"key\":\"value\" (JSON inside a JSON string), with up to maxSpace spaces and tabs on either
// side of the separator. Only the value is replaced.
//
// When s ends before the value starts ("password=", "token: ", `"password":"`, "Authorization:
// Bearer "), fieldAt returns tailKey with ok set and a match that is no replacement: it runs from
// the start of the key's context (its opening quote, with the backslash before it when the key
// is quoted with \", or the '?' or '&' of a query parameter) to the end of s. The Writer, cut off there by a Flush or a long line,
// scans its next piece after that context, so the value is found as in the whole line.
func fieldAt[T text](r *Redactor, s T, i, last int) (match, bool, tailState) {
	ks, ke, quote, query, ok := fieldKey(r, s, i, last)
	if !ok {
		return match{}, false, tailNone
	}
	m, ok, tail := fieldValue(r, s, i, ks, ke, quote, query)
	if tail == tailKey {
		from := ks
		if quote != 0 {
			from-- // the opening quote
			if s[ke] == '\\' {
				from-- // and the backslash before it: \"token\":
			}
		}
		if query {
			from-- // the '?' or '&' that makes it a query parameter
		}
		return match{from, len(s), ""}, true, tailKey
	}
	return m, ok, tail
}

// fieldKey finds and judges the key before the ':' or '=' at s[i], for fieldAt: it returns the
// key s[ks:ke], its quote character (0 for a bare key) and whether it is a URL query parameter,
// with ok set only when the key is sensitive. It is kept apart from the value parsing so that
// the common case, a key that is not sensitive, runs in a small function.
func fieldKey[T text](r *Redactor, s T, i, last int) (ks, ke int, quote byte, query, ok bool) {
	ke = i
	escaped := false
	var letters uint32 // the letters of the key, gathered while finding it
	// "key = value", "key => value", `"key" : "value"`, aligned "db.password    = value": up to
	// maxSpace spaces and tabs before the ':' or '='.
	for ke > last && i-ke < maxSpace && (s[ke-1] == ' ' || s[ke-1] == '\t') {
		ke--
	}
	if ke < i && (ke == last || s[ke-1] == ' ' || s[ke-1] == '\t') {
		return 0, 0, 0, false, false
	}
	pct := false // the key holds '%': judge its percent-decoded form too
	if ke > last && (s[ke-1] == '"' || s[ke-1] == '\'') {
		quote = s[ke-1]
		ke--
		if ke > last && s[ke-1] == '\\' {
			escaped = true
			ke--
		}
		// One branch per byte: quotedKeyByte flags the bytes that end a quoted key (the quote,
		// '\\', control bytes) and carries the letter bits of the others.
		stop := uint32(kbStop | kbDQuote)
		if quote == '\'' {
			stop = kbStop | kbSQuote
		}
		ks = ke
		lo := max(last, ke-64)
		for ks > lo {
			kb := quotedKeyByte[s[ks-1]]
			if kb&stop != 0 {
				break
			}
			letters |= kb
			ks--
		}
		letters &= kbLetters
		if ks == last || s[ks-1] != quote || escaped && (ks < 2 || s[ks-2] != '\\') {
			return 0, 0, 0, false, false
		}
	} else {
		ks = ke
		var seen uint32 // keyByte of every byte of the key, ORed: one branch per byte
		lo := max(last, ke-64)
		for ks > lo {
			kb := keyByte[s[ks-1]]
			if kb == 0 {
				break
			}
			seen |= kb
			ks--
		}
		if ke-ks >= 64 {
			return 0, 0, 0, false, false
		}
		letters, pct = seen&kbLetters, seen&kbPercent != 0
		for ks < ke && s[ks] == '%' && (ks+2 >= ke || !isHex(s[ks+1]) || !isHex(s[ks+2])) {
			ks++ // the '%' of "100%" before a key is not part of it
		}
	}
	var dec []byte // the percent-decoded key (Pass%77ord), when it differs
	if pct {
		dec = percentDecode(make([]byte, 0, 64), s, ks, ke)
		if len(dec) != ke-ks {
			letters = letterMask(dec, 0, len(dec))
		} else {
			dec = nil
		}
	}
	// The letter screen (inside sensitiveLetters) runs after keyBoundary, which tells whether the
	// query names apply: "code", "key" and "auth" have letters common in ordinary keys.
	if ke-ks < 2 || dec != nil && !r.mayBeSensitive(letters, true) {
		return 0, 0, 0, false, false
	}
	bstart := ks
	if quote != 0 {
		bstart = ks - 1
		if escaped {
			bstart--
		}
	}
	var okB bool
	okB, query = keyBoundary(s, bstart, last)
	if !okB {
		return 0, 0, 0, false, false
	}
	// No cache here: free text holds too many one-off "keys" (words before a colon).
	if dec == nil && !sensitiveLetters(r, s, ks, ke, query, letters) ||
		dec != nil && !sensitive(r, s, ks, ke, query) && !sensitiveLetters(r, dec, 0, len(dec), query, letters) {
		return 0, 0, 0, false, false
	}
	return ks, ke, quote, query, true
}

// fieldValue finds the value after the sensitive key s[ks:ke] and its ':' or '=' at s[i]. When s
// ends before the value's first byte, it returns tailKey (see fieldAt).
func fieldValue[T text](r *Redactor, s T, i, ks, ke int, quote byte, query bool) (match, bool, tailState) {
	n := len(s)
	sep := s[i]
	kind := kindField
	if query {
		kind = kindQuery
	}
	v := i + 1
	if sep == '=' && v < n && (s[v] == '>' || s[v] == '=') {
		v++ // Ruby and Perl hashes ("password" => "..."), comparisons (==)
	}
	for v < n && v-i <= maxSpace && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if v >= n {
		return match{}, false, tailKey // the value is still to come
	}
	if schemeMarked(s, v) {
		return match{}, false, tailNone // "Bearer [REDACTED:bearer]", what an earlier pass left
	}
	// Quoted value.
	switch {
	case s[v] == '"' || s[v] == '\'':
		q := s[v]
		a := v + 1
		if a == n {
			return match{}, false, tailKey // the quoted value is still to come
		}
		e := a
		for e < n && s[e] != q && s[e] != '\n' {
			if s[e] == '\\' && e+1 < n && s[e+1] != '\n' {
				e++ // an escaped character, but never the line's end: values stay on their line
			}
			e++
		}
		if e > n {
			e = n
		}
		if e == a || markerEnd(s, a) == e {
			return match{}, false, tailNone
		}
		tail := tailNone
		if e >= n {
			tail = tailQuote
			if q == '\'' {
				tail = tailSQuote
			}
		}
		if m, ok := schemeValue(s, ks, ke, a, e); ok {
			return m, true, tail
		}
		return match{a, e, kind}, true, tail
	case s[v] == '\\' && v+1 < n && s[v+1] == '"':
		a := v + 2
		if a == n {
			return match{}, false, tailKey
		}
		e := a
		for e < n && (s[e] != '\\' || e+1 >= n || s[e+1] != '"') && s[e] != '\n' {
			if s[e] == '\\' && e+1 < n && s[e+1] == '\\' {
				e++
			}
			e++
		}
		if e > n {
			e = n
		}
		if e == a || markerEnd(s, a) == e {
			return match{}, false, tailNone
		}
		tail := tailNone
		if e >= n {
			tail = tailEQuote
		}
		return match{a, e, kind}, true, tail
	case s[v] == '{' || s[v] == '[' && markerEnd(s, v) == 0:
		// A structured value (["hunter2"] from json.Marshal(url.Values), [sid=...] from
		// fmt.Sprint(http.Header), {"value":"..."}) has all it holds replaced, up to its matching
		// bracket, which is kept ("[[REDACTED:field]]": a marker directly after the key would be
		// taken for a typed one and the text after it redacted on a second pass); with no match
		// within maxStructured bytes, it is replaced up to the end of the line. When the matching
		// bracket is not followed by what ends a value (closedAt), fmt printed a string with a
		// bracket in it unquoted (map[Password:[abc]def]): after a bare "key:" (fmt, YAML), whose
		// value runs to the end of the line, the rest of the line is replaced; after "key=" or a
		// quoted key, the value up to what ends a value (runValue).
		e, ok := bracketEnd(s, v)
		if !ok {
			return lineValue(s, v, kind)
		}
		closed, atEnd := closedAt(s, e)
		switch {
		case !closed:
			return unclosedValue(s, v, e, sep, quote, kind)
		case e-1 == v+1 || markerEnd(s, v+1) == e-1:
			return match{}, false, tailNone // empty, or redacted already
		case atEnd:
			return match{v + 1, e - 1, kind}, true, closeTail(sep, quote)
		}
		return match{v + 1, e - 1, kind}, true, tailNone
	}
	// Any sensitive key whose value is "Bearer <token>" or "Basic <credentials>": keep the scheme,
	// replace the credentials.
	if w := wordEnd(s, v); w < n && w > v && s[w] == ' ' {
		if m, ok := authSchemeAt(s, v, w, true); ok {
			return m, true, credentialsTail(m, n)
		}
		if end, ok := schemeOnly(s, v, w); ok {
			// No credentials on the line: nothing to replace, or, at the end of s, still to come.
			if end == n {
				return match{}, false, tailKey
			}
			return match{}, false, tailNone
		}
	}
	// An Authorization-like key: keep the scheme, replace the credentials.
	if hasSuffixB(normalizeKey(new([maxKey]byte), s, ks, ke), "authorization") {
		e := v
		for e < n && s[e] != '\n' && s[e] != '\r' {
			e++
		}
		w := v
		for w < e && isAlpha(s[w]) {
			w++
		}
		if w < e && w > v && s[w] == ' ' {
			if m, ok := authSchemeAt(s, v, w, true); ok {
				return m, true, credentialsTail(m, n)
			}
			if end, ok := schemeOnly(s, v, w); ok {
				if end == n {
					return match{}, false, tailKey
				}
				return match{}, false, tailNone
			}
		}
		// Another scheme (Digest, AWS4-HMAC-SHA256, Negotiate, ...): its parameters run to the end
		// of the line.
		w = v
		for w < e && isAlpha(s[w]) {
			w++
		}
		if w < e && w > v && s[w] == ' ' {
			v = w + 1
		}
		if e > v && !redactedAlready(s, v, e) {
			return match{v, e, kind}, true, lineTail(e, n)
		}
		if v >= n {
			return match{}, false, tailKey // "Authorization: Digest ", its parameters to come
		}
		return match{}, false, tailNone
	}
	// "key: value" with a bare key (HTTP headers, YAML, prose): the value is the rest of the line.
	if sep == ':' && quote == 0 {
		e := v
		for e < n && s[e] != '\n' && s[e] != '\r' {
			e++
		}
		end := e // the value goes on in the Writer's next piece if the line does
		for e > v && isSpace(s[e-1]) {
			e--
		}
		if e > v && !redactedAlready(s, v, e) {
			return match{v, e, kind}, true, lineTail(end, n)
		}
		return match{}, false, tailNone
	}
	e := v
	for e < n {
		c := s[e]
		if c == '\'' && sep == '=' && !query && inWord(s, e) {
			e++ // an apostrophe inside a word (password=don't tell)
			continue
		}
		if isSpace(c) || c == '"' || c == '\'' || c == '&' && query || c == '#' && query {
			break
		}
		if sep == ':' && (c == ',' || c == '}' || c == ']') {
			break
		}
		if c == '[' && e == v {
			if me := markerEnd(s, e); me > 0 {
				return match{}, false, tailNone
			}
		}
		e++
	}
	tail := tailNone
	if sep == ':' && e < n && (s[e] == ']' || s[e] == '}') {
		// The bracket that closes the object or array around the value ({"token":123}), or one
		// inside the value ({"token":abc]def}): see closedAt.
		closed, atEnd := closedAt(s, e)
		switch {
		case !closed:
			return unclosedValue(s, v, e, sep, quote, kind)
		case atEnd:
			tail = closeTail(sep, quote)
		}
	}
	if e == v {
		return match{}, false, tailNone
	}
	if sep == ':' && quote != 0 && (equalFold(s, v, e, "null") || equalFold(s, v, e, "true") || equalFold(s, v, e, "false")) {
		return match{}, false, tailNone
	}
	if markerEnd(s, v) == e {
		return match{}, false, tailNone
	}
	if e >= n {
		// The value may go on in the Writer's next piece (after a Flush or a cut), and a lone
		// backslash may be the first half of a `\"` that opens it.
		if e == v+1 && s[v] == '\\' {
			return match{v, e, kind}, true, tailEQuote
		}
		if sep == '=' && !query {
			return match{v, e, kind}, true, tailWords
		}
		return match{v, e, kind}, true, tailBare
	}
	if sep == '=' && !query && aposAtEnd(s, e) {
		return match{v, e, kind}, true, tailWordsApos
	}
	if sep == '=' && !query && isBlank(s[e]) {
		if end, t := valueWords(s, e); end > e {
			// The value's identity, for Partial and Pseudonym, is its first word: prose after it
			// must not change a token's pseudonym.
			return match{v, end, kindFieldWords}, true, t
		} else if t != tailNone {
			tail = t
		}
	}
	return match{v, e, kind}, true, tail
}

// isBlank reports whether c separates the words of a value on one line.
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' }

// inWord reports whether the apostrophe at s[i] joins two letters or digits, as in don't and 90's.
func inWord[T text](s T, i int) bool {
	return i > 0 && i+1 < len(s) && isAlnum(s[i-1]) && isAlnum(s[i+1])
}

// aposAtEnd reports whether s ends in an apostrophe at s[i] after a letter or digit: in the
// Writer's next piece the word may go on (don|'t) or end.
func aposAtEnd[T text](s T, i int) bool {
	return i > 0 && i+1 == len(s) && s[i] == '\'' && isAlnum(s[i-1])
}

// valueWords extends a bare value after a sensitive "key=" that a blank ended at s[e] over the
// words after it on its line, up to the first that looks like the next field: a word that holds
// '=' or ':' or is followed by one after blanks (user=bob, ts:1700000000, "user":, user = bob,
// [REDACTED:email]), or a Bearer or Basic scheme with credentials after it, which the Bearer
// and Basic detectors replace. A word cut by a quote (other than an apostrophe between letters)
// ends the value there ({"q":"pw=a b","u":1}), as does the end of the line (or of s). A
// passphrase printed unquoted (fmt.Sprintf("password=%s", pw)) has later words as secret as its
// first, so password=correct horse battery user=bob keeps only user=bob; prose after such a
// value goes with it (fail closed). It returns the value's new end and the Writer's tail state:
// tailWordsGap when s ends in blanks after the value, tailWordsHeld when it ends in a word of
// the value (or blanks after one) that the next piece may show to be the next field's key.
func valueWords[T text](s T, e int) (int, tailState) {
	n := len(s)
	k := e
	for {
		for k < n && isBlank(s[k]) {
			k++
		}
		if k >= n {
			return e, tailWordsGap
		}
		if hasPrefix(s, k, "-----BEGIN") {
			return e, tailNone // a key block's marker: the private-key detector takes the block
		}
		w := k
		for w < n && !isSpace(s[w]) && !isBlank(s[w]) {
			c := s[w]
			if c == '=' || c == ':' {
				return e, tailNone
			}
			if c == '"' || c == '\'' && !inWord(s, w) {
				break
			}
			w++
		}
		if w == k {
			return e, tailNone // a line end or a quote
		}
		if equalFold(s, k, w, "bearer") || equalFold(s, k, w, "basic") {
			if _, ok := authSchemeAt(s, k, w, false); ok {
				return e, tailNone
			}
		}
		if aposAtEnd(s, w) {
			return w, tailWordsHeld // don|'t: the next piece decides
		}
		if w < n && (s[w] == '"' || s[w] == '\'') {
			return w, tailNone
		}
		p := w
		for p < n && isBlank(s[p]) {
			p++
		}
		if p < n && (s[p] == '=' || s[p] == ':') {
			return e, tailNone // a spaced key: user = bob
		}
		if p >= n {
			return w, tailWordsHeld // the word, or "user " with its separator still to come
		}
		e, k = w, w
	}
}

// credentialsTail is the tail state after the credentials m of a Bearer or Basic scheme: when
// they run to the end of s, the Writer's next piece may go on with them.
func credentialsTail(m match, n int) tailState {
	if m.end >= n {
		return tailBare
	}
	return tailNone
}

// schemeMarked reports whether s[v:] is a Bearer or Basic scheme, one to four spaces or tabs and
// a replacement marker not followed by a letter or digit: credentials an earlier pass replaced,
// which redacting again would change.
func schemeMarked[T text](s T, v int) bool {
	w := wordEnd(s, v)
	if !equalFold(s, v, w, "bearer") && !equalFold(s, v, w, "basic") {
		return false
	}
	a := w
	for a < len(s) && a-w < 4 && (s[a] == ' ' || s[a] == '\t') {
		a++
	}
	if a == w {
		return false
	}
	me := markerEnd(s, a)
	return me > 0 && (me == len(s) || !isAlnum(s[me]) && s[me] < 0x80)
}

// lineValue replaces the value from s[v] to the end of its line.
func lineValue[T text](s T, v int, kind string) (match, bool, tailState) {
	e := v
	for e < len(s) && s[e] != '\n' && s[e] != '\r' {
		e++
	}
	return match{v, e, kind}, true, lineTail(e, len(s))
}

// closedAt reports whether the ']' or '}' at s[e-1] or s[e] (and any more of ']', '}' and ')'
// from s[e] on) ends the value under a sensitive key before it: it does when they are followed
// by the end of s (atEnd: in the Writer, the next piece decides), a space, ',', ';', '&' or a
// quote. Anything else means the bracket was part of the value, as in Go's fmt form of maps and
// structs, which prints strings unquoted (map[Password:[abc]def], {Token:x]y}): the caller then
// replaces the value to the end of its line rather than guess where it ends.
func closedAt[T text](s T, e int) (closed, atEnd bool) {
	k := e
	for k < len(s) && (s[k] == ']' || s[k] == '}' || s[k] == ')') {
		if k-e == 64 {
			return false, false // deeper than any value ends: judge it unclosed
		}
		k++
	}
	if k == len(s) {
		return true, true
	}
	return endsValue(s[k]), false
}

// endsValue reports whether c ends a bare value after a bracket: a space, ',', ';', '&' or a
// quote.
func endsValue(c byte) bool {
	return isSpace(c) || c == ',' || c == ';' || c == '&' || c == '"' || c == '\''
}

// lineForm reports whether a bare value after the separator sep of a key quoted with quote (0:
// unquoted) runs to the end of its line: a bare "key:" (fmt's map[Key:value], YAML, headers).
func lineForm(sep, quote byte) bool { return sep == ':' && quote == 0 }

// closeTail is the tail state after a value whose closing brackets end s: the Writer's next
// piece decides whether they closed it (tailClose: or else the rest of the line is the value;
// tailCloseRun: or else the value goes on up to what ends a value).
func closeTail(sep, quote byte) tailState {
	if lineForm(sep, quote) {
		return tailClose
	}
	return tailCloseRun
}

// unclosedValue replaces the value from s[v] whose bracket before s[e] turned out to be part of
// it: to the end of the line after a bare "key:" (lineForm), up to what ends a value otherwise.
func unclosedValue[T text](s T, v, e int, sep, quote byte, kind string) (match, bool, tailState) {
	if lineForm(sep, quote) {
		return lineValue(s, v, kind)
	}
	return runValue(s, v, e, kind)
}

// runValue replaces the value from s[v], whose bracket before s[from] turned out to be part of
// it, up to what ends a value (endsValue) or the end of s, where the Writer's next piece may go
// on with it: map[Password:[abc]def] User:bob] keeps " User:bob]".
func runValue[T text](s T, v, from int, kind string) (match, bool, tailState) {
	e := from
	for e < len(s) && !endsValue(s[e]) {
		e++
	}
	if e >= len(s) {
		return match{v, e, kind}, true, tailBare
	}
	return match{v, e, kind}, true, tailNone
}

// lineTail is the tail state of a value that runs to the end of its line, ending at s[e] in a
// text of n bytes: at the end of the text, the line may go on in the Writer's next piece.
func lineTail(e, n int) tailState {
	if e >= n {
		return tailLine
	}
	return tailNone
}

// maxStructured bounds the search for the bracket that closes a structured value under a
// sensitive key.
const maxStructured = 4096

// bracketEnd returns the index just after the ']' or '}' that closes the '[' or '{' at s[v],
// counting nested brackets of both kinds and skipping double-quoted strings, if it lies within
// maxStructured bytes and on the same line: the Writer, which sees one line at a time, must
// redact a text as Redact does. (A value that opens on one line and closes on a later one is
// replaced to the end of its first line; the lines after it are judged on their own.)
func bracketEnd[T text](s T, v int) (int, bool) {
	n := min(len(s), v+maxStructured)
	depth := 0
	for k := v; k < n; k++ {
		switch s[k] {
		case '\n':
			return 0, false
		case '[', '{':
			depth++
		case ']', '}':
			if depth--; depth == 0 {
				return k + 1, true
			}
		case '"':
			for k++; k < n && s[k] != '"'; k++ {
				if s[k] == '\n' {
					return 0, false
				}
				if s[k] == '\\' && k+1 < n && s[k+1] != '\n' {
					k++
				}
			}
		}
	}
	return 0, false
}

// redactedAlready reports whether the rest-of-line value s[v:e] is a replacement marker followed
// by nothing but punctuation: what an earlier pass left ("token:[REDACTED:url-password]@" from
// "token:pw@" inside a URL), which redacting again would change. A marker followed by letters or
// digits ("[REDACTED] hunter2", typed by someone) is not: that value is redacted whole.
func redactedAlready[T text](s T, v, e int) bool {
	me := markerEnd(s, v)
	if me == 0 || me > e {
		return false
	}
	for k := me; k < e; k++ {
		if isAlnum(s[k]) || s[k] >= 0x80 {
			return false
		}
	}
	return true
}

// schemeOnly reports whether s[v:w] is the Bearer or Basic scheme followed by nothing but the one
// to four spaces or tabs that authSchemeAt takes before the credentials, up to the end of its
// line or of s; end is where those spaces end. The credentials are then missing, or, at the end
// of s, still to come.
func schemeOnly[T text](s T, v, w int) (end int, ok bool) {
	if !equalFold(s, v, w, "bearer") && !equalFold(s, v, w, "basic") {
		return 0, false
	}
	end = w
	for end < len(s) && end-w < 4 && (s[end] == ' ' || s[end] == '\t') {
		end++
	}
	return end, end > w && (end == len(s) || s[end] == '\n' || s[end] == '\r')
}

func wordEnd[T text](s T, v int) int {
	w := v
	for w < len(s) && isAlpha(s[w]) {
		w++
	}
	return w
}

// schemeValue handles the value s[a:e] of a key ending in "authorization" that starts with the
// Bearer or Basic scheme: only the credentials after the scheme are replaced, typed as bearer or
// basic. It declines when the value holds more than the scheme and one token.
func schemeValue[T text](s T, ks, ke, a, e int) (match, bool) {
	if !hasSuffixB(normalizeKey(new([maxKey]byte), s, ks, ke), "authorization") {
		return match{}, false
	}
	w := a
	for w < e && isAlpha(s[w]) {
		w++
	}
	if w == a || w >= e || s[w] != ' ' {
		return match{}, false
	}
	m, ok := authSchemeAt(s, a, w, true)
	if !ok || m.end != e {
		return match{}, false
	}
	return m, true
}

// percentDecode appends the percent-decoded form of s[i:j] to dst; a '%' not followed by two hex
// digits is kept as it is.
func percentDecode[T text](dst []byte, s T, i, j int) []byte {
	for p := i; p < j; p++ {
		c := s[p]
		if c == '%' && p+2 < j && isHex(s[p+1]) && isHex(s[p+2]) {
			dst = append(dst, unhex(s[p+1])<<4|unhex(s[p+2]))
			p += 2
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
