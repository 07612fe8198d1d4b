package logredact

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/cputime"
)

// The scanner as it was before the word-at-a-time rewrite (commit b5a2701): a byte at a time,
// with a key's letter set tested against each name's letter set in a loop. It is kept as the
// oracle that FuzzScanEquivalent checks the fast scanner against: the two must produce the same
// output and the same tail state for every input. Only the scanning loop, fieldAt's key finding
// and the key screen are kept here; the detectors they call, and fieldValue, are shared.

// scan appends to dst the redacted form of s, if anything in s is redacted. It reports whether
// it changed anything; when it did not, dst is returned unchanged (no copy of s is made).
func scanReference[T text](r *Redactor, s T, dst []byte) (out []byte, changed bool, tail tailState, key int) {
	n := len(s)
	if n < 3 {
		return dst, false, tailNone, 0 // the shortest detection is a four-byte "pw=x", the shortest open key "pw="
	}
	last := 0
	i := 0
	for i < n {
		c := s[i]
		cl := class[c]
		if cl&(clWord|clTrigger) == 0 {
			i++
			for i < n && class[s[i]]&(clWord|clTrigger) == 0 {
				i++
			}
			continue
		}
		var m match
		ok := false
		next := i + 1
		if cl&clWord != 0 {
			j := i + 1
			if cl&clDigit != 0 {
				for j < n && isDigit(s[j]) {
					j++
				}
				if j < n && class[s[j]]&clWord != 0 {
					// Digits running into letters: a hex string or an identifier, never a card.
					for j < n && class[s[j]]&clWord != 0 {
						j++
					}
					i = j
					continue
				}
				next = j
				if j-i < 13 && j+1 < n && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
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
				if j-i >= 13 || j+1 < n && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
					var skip int
					m, ok, skip = cardAt(s, i)
					if !ok && skip > next {
						next = skip
					}
				}
			} else {
				for j < n && class[s[j]]&clWord != 0 {
					j++
				}
				next = j
				// Only words long enough for a token, or the few short words that start one
				// (Bearer, Basic, xoxb-, hooks.slack.com, eyJ...), reach the word detectors.
				if w := j - i; w >= 18 || cl&clStart != 0 && (w == 4 && c == 'x' || w == 5 && (c|0x20 == 'b' || c == 'h') ||
					w == 6 && c|0x20 == 'b' || w >= 3 && c == 'e' && s[i+1] == 'y' || w >= 2 && c == 'A' && tokenSecond(s[i+1])) {
					var skip int
					m, ok, skip = wordAt(s, i, j)
					if !ok && skip > next {
						next = skip
					}
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
					m, ok, tail = fieldAtReference(r, s, i, last)
				}
			case '=':
				m, ok, tail = fieldAtReference(r, s, i, last)
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
		if ok && tail == tailKey {
			key = m.start // the key's value is still to come: nothing after it to scan
			break
		}
		if !ok {
			if tail != tailPEM {
				tail = tailNone
			}
			i = next
			continue
		}
		if m.kind != kindPrivateKey {
			// A value that swallowed the start of a key block must swallow the whole block.
			if p := index(s[m.start:min(n, m.end+10)], 0, "-----BEGIN "); p >= 0 && m.start+p < m.end {
				if pm, isKey, open := pemAt(s, m.start+p); isKey && (pm.end > m.end || open) {
					m.end, m.kind = pm.end, kindPrivateKey
					if open {
						tail = tailPEM
					}
				}
			}
		}
		if m.end < n && tail != tailClose && tail != tailCloseRun && tail != tailLine && tail != tailWordsGap && tail != tailWordsHeld && tail != tailWordsApos {
			tail = tailNone
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
		i = m.end
	}
	if tail != tailKey && last < n && (s[n-1] == ' ' || s[n-1] == '\t') {
		// Shared, as the detectors are: a Bearer or Basic scheme whose token is still to come.
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

// fieldAt checks for a sensitive key followed by its value in free text, with the ':' or '=' at
// s[i]: key=value (logfmt, URL queries), key: value, "key":"value" (JSON), 'key': 'value', and
// \"key\":\"value\" (JSON inside a JSON string). Only the value is replaced.
func fieldAtReference[T text](r *Redactor, s T, i, last int) (match, bool, tailState) {
	ke := i
	var ks int
	quote := byte(0)
	escaped := false
	var letters uint32 // the letters of the key, gathered while finding it
	for sp := 0; sp < maxSpace && ke > last && (s[ke-1] == ' ' || s[ke-1] == '\t'); sp++ {
		ke--
	}
	if ke < i && (ke == last || s[ke-1] == ' ' || s[ke-1] == '\t') {
		return match{}, false, tailNone
	}
	pct := false // the key holds '%': judge its percent-decoded form too
	if ke > last && (s[ke-1] == '"' || s[ke-1] == '\'') {
		quote = s[ke-1]
		ke--
		if ke > last && s[ke-1] == '\\' {
			escaped = true
			ke--
		}
		ks = ke
		for ks > last && ke-ks < 64 && s[ks-1] != quote && s[ks-1] != '\\' && s[ks-1] >= 0x20 {
			ks--
			if c := s[ks] | 0x20; c >= 'a' && c <= 'z' {
				letters |= 1 << (c - 'a')
			}
		}
		if ks == last || s[ks-1] != quote || escaped && (ks < 2 || s[ks-2] != '\\') {
			return match{}, false, tailNone
		}
	} else {
		ks = ke
		for ks > last && ke-ks < 64 && (class[s[ks-1]]&clKey != 0 || s[ks-1] == '%') {
			ks--
			if s[ks] == '%' {
				pct = true
			}
			if c := s[ks] | 0x20; c >= 'a' && c <= 'z' {
				letters |= 1 << (c - 'a')
			}
		}
		if ke-ks >= 64 {
			return match{}, false, tailNone
		}
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
	if ke-ks < 2 || !maskMayMatch(letters, builtinMasks) && !maskMayMatch(letters, queryMasks) && !maskMayMatch(letters, r.keyMasks) {
		return match{}, false, tailNone
	}
	bstart := ks
	if quote != 0 {
		bstart = ks - 1
		if escaped {
			bstart--
		}
	}
	okB, query := keyBoundary(s, bstart, last)
	if !okB {
		return match{}, false, tailNone
	}
	// No cache here: free text holds too many one-off "keys" (words before a colon).
	if !sensitiveReference(r, s, ks, ke, query) && (dec == nil || !sensitiveReference(r, dec, 0, len(dec), query)) {
		return match{}, false, tailNone
	}
	// The value is parsed by the shared fieldValue: the rewrite changed only the scanning loop and
	// the key screen.
	m, ok, tail := fieldValue(r, s, i, ks, ke, quote, query)
	if tail == tailKey {
		m.start, m.end, ok = bstart, len(s), true
		if query {
			m.start--
		}
	}
	return m, ok, tail
}

// sensitive reports whether the key k[i:j] names a secret.
func sensitiveReference[T text](r *Redactor, k T, i, j int, query bool) bool {
	m := letterMask(k, i, j)
	if !maskMayMatch(m, builtinMasks) && (!query || !maskMayMatch(m, queryMasks)) && !maskMayMatch(m, r.keyMasks) {
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

// FuzzScanEquivalent checks the scanner against scanReference, its byte-at-a-time form, on
// strings and byte slices, under Redactors with and without caller keys and e-mail detection.
func FuzzScanEquivalent(f *testing.F) {
	if b, err := os.ReadFile("testdata/benign.txt"); err == nil {
		lines := strings.Split(string(b), "\n")
		for i := 0; i < len(lines); i += 37 {
			f.Add(lines[i])
		}
	}
	if b, err := os.ReadFile("testdata/secrets.txt"); err == nil {
		lines := strings.Split(string(b), "\n")
		for i := 0; i < len(lines); i += 5 {
			f.Add(lines[i])
		}
	}
	for _, s := range []string{
		"", "password=hunter2", `{"token":"abc","customer_id":"x"}`, "cache.go:355 key=user:18731",
		"4111 1111 1111 1111", "4111-1111-1111-1111x", "AKIAIOSFODNN7EXAMPLE", "a@b.co", "https://u:p@h/x",
		"x-api-id: 42", "SSN=123", "customer_ssn: 1", "Pass%77ord=x", strings.Repeat("abcdefgh", 5) + "_",
		"eyJhbGciOiJIUzI1NiJ9.e30.x", "xoxb-1-2 hooks.slack.com/services/T0/B0/x", "-----BEGIN RSA PRIVATE KEY-----\nQUJD\n",
		"\uff14\uff11\uff11\uff11", "0 0xoxa-0000000000", "12345678 1234 5678 9012 3456",
	} {
		f.Add(s)
	}
	rs := []*Redactor{
		MustNew(Config{}),
		MustNew(Config{KeepEmails: true, Keys: []string{"ssn", "x-api-id", "Z"}}),
		MustNew(Config{Mode: Partial, Keys: []string{"qqqqqqqqq", "vault", "jwk", "iban", "bic", "pin", "otp", "mfa", "dob", "tan",
			"cvn", "zip", "nid", "tin", "ein", "vin", "uuid", "imei", "imsi", "msisdn", "iccid", "seed", "mnemonic",
			"salt", "nonce", "xyzzy", "plugh", "fnord", "kludge", "quux", "frob", "wibble", "wobble", "wubble", "flob"}}),
	}
	f.Fuzz(func(t *testing.T, s string) {
		for ri, r := range rs {
			got, gc, gt, gk := scan(r, s, nil)
			want, wc, wt, wk := scanReference(r, s, nil)
			if gc != wc || gt != wt || gk != wk || !bytes.Equal(got, want) {
				t.Fatalf("redactor %d, %q:\n scan      %v %d %d %q\n reference %v %d %d %q", ri, s, gc, gt, gk, got, wc, wt, wk, want)
			}
			got, gc, gt, gk = scan(r, []byte(s), []byte("p"))
			want, wc, wt, wk = scanReference(r, []byte(s), []byte("p"))
			if gc != wc || gt != wt || gk != wk || !bytes.Equal(got, want) {
				t.Fatalf("redactor %d, []byte %q:\n scan      %v %d %d %q\n reference %v %d %d %q", ri, s, gc, gt, gk, got, wc, wt, wk, want)
			}
		}
	})
}

// BenchmarkScanVsReference runs the scanner and scanReference alternately on the benign corpus,
// on one thread, and reports how many times faster the scanner is ("x-faster"), by CPU time of
// the thread: a ratio measured in one run holds on a loaded machine.
func BenchmarkScanVsReference(b *testing.B) {
	defer cputime.LockThread()()
	raw, err := os.ReadFile("testdata/benign.txt")
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	r := MustNew(Config{})
	var tNew, tRef time.Duration
	for b.Loop() {
		t0 := cputime.Thread()
		if t0 == 0 {
			b.Skip("no per-thread CPU time on this platform")
		}
		_, _, _, _ = scan(r, s, nil)
		t1 := cputime.Thread()
		_, _, _, _ = scanReference(r, s, nil)
		t2 := cputime.Thread()
		tNew += t1 - t0
		tRef += t2 - t1
	}
	if tNew > 0 {
		b.ReportMetric(float64(tRef)/float64(tNew), "x-faster")
		b.ReportMetric(float64(len(s))*float64(b.N)/tNew.Seconds()/1e6, "cpu-MB/s")
	}
}

// maskMayMatch is the screen the key screen replaced: a loop over the letter sets.
func maskMayMatch(m uint32, masks []uint32) bool {
	for _, pm := range masks {
		if pm&^m == 0 {
			return true
		}
	}
	return false
}

var (
	builtinMasks = masksOf(builtinNames)
	queryMasks   = masksOf(queryNames)
)

func masksOf(names []string) []uint32 {
	ms := make([]uint32, len(names))
	for i, n := range names {
		ms[i] = maskOf(n)
	}
	return ms
}
