package sanitize_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rampart-go/rampart/sanitize"
)

// FuzzHTML asserts the XSS oracle on both HTML functions: whatever the input, the output
// parses to nothing executable (and StripHTML's to no elements at all).
func FuzzHTML(f *testing.F) {
	for _, s := range xssCorpus {
		f.Add(s)
	}
	f.Add(`<p>Hello <a href="https://example.com/">link</a></p>`)
	f.Add(`<table><tr><td>x</td></tr></table><img src="/a.png">`)
	f.Fuzz(func(t *testing.T, s string) {
		if out := sanitize.HTML(s); executable(out, true) != "" {
			t.Fatalf("HTML(%q) = %q: %s", s, out, executable(out, true))
		}
		if out := sanitize.StripHTML(s); executable(out, false) != "" {
			t.Fatalf("StripHTML(%q) = %q: %s", s, out, executable(out, false))
		}
	})
}

// FuzzEscapeHTML: the output holds no markup character and decodes back to the input (NUL
// aside), so nothing is ever escaped twice.
func FuzzEscapeHTML(f *testing.F) {
	for _, tt := range escapeCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitize.EscapeHTML(s)
		if strings.ContainsAny(out, "<>\"'\x00") {
			t.Fatalf("EscapeHTML(%q) = %q contains a markup character", s, out)
		}
		want := strings.ReplaceAll(s, "\x00", "\uFFFD")
		if got := html.UnescapeString(out); got != want {
			t.Fatalf("UnescapeString(EscapeHTML(%q)) = %q, want %q", s, got, want)
		}
	})
}

var fuzzRules = []sanitize.Rule{
	{},
	{Multiline: true, MaxLen: 1000},
	{NFKC: true},
	username,
	{Identifier: true, Allow: sanitize.Letters | sanitize.Marks | sanitize.Digits | sanitize.Punctuation | sanitize.Symbols | sanitize.Space},
	{Required: true, MinLen: 2, MaxLen: 8, Allow: sanitize.ASCIILetters | sanitize.ASCIIDigits, Pattern: regexp.MustCompile(`^[a-z]`)},
}

var ruleSentinels = []error{
	sanitize.ErrRequired, sanitize.ErrTooShort, sanitize.ErrTooLong, sanitize.ErrEncoding,
	sanitize.ErrControl, sanitize.ErrBidi, sanitize.ErrCharacter, sanitize.ErrPattern,
}

// FuzzRule: no panic; errors are the documented kind; an accepted value is valid UTF-8 and
// normalization is idempotent (checking the result returns it unchanged).
func FuzzRule(f *testing.F) {
	for _, s := range []string{"", "admin", "Ａdmin", "Straße", "\u212aelvin", "a\u202eb", "a\x00", "\xff",
		"e\u0301", "ﬁ", "ǅ", "ß", "İstanbul", "ΣΑΣ", "ﷺ", "㍿", "\u1e9e", "a\r\nb", "👩\u200d💻", "\u13a0\uab70", "ǰ̣"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, r := range fuzzRules {
			v, err := r.Check(s)
			if err != nil {
				var fe *sanitize.FieldError
				if !errors.As(err, &fe) || !isOneOf(err, ruleSentinels) || v != "" {
					t.Fatalf("rule %d: Check(%q) = %q, %v: undocumented error", i, s, v, err)
				}
				continue
			}
			if !utf8.ValidString(v) {
				t.Fatalf("rule %d: Check(%q) = %q, invalid UTF-8", i, s, v)
			}
			again, err := r.Check(v)
			if err != nil || again != v {
				t.Fatalf("rule %d: Check(%q) = %q, but Check(%q) = %q, %v: not idempotent", i, s, v, v, again, err)
			}
		}
	})
}

func isOneOf(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// FuzzEmail: errors wrap ErrEmail; an accepted address is within the limits and a fixed
// point of Email.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"a@example.com", "A@BÜCHER.example", "Alice <a@x.com>", "a@b", "a@xn--bcher-kva.example",
		"a..b@example.com", "a@[1.2.3.4]", "a@ｅｘａｍｐｌｅ.com", "\"q\"@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := sanitize.Email(s)
		if err != nil {
			if !errors.Is(err, sanitize.ErrEmail) || out != "" {
				t.Fatalf("Email(%q) = %q, %v: undocumented error", s, out, err)
			}
			return
		}
		local, _, _ := strings.Cut(out, "@")
		if len(out) > 254 || len(local) > 64 || strings.ContainsAny(out, " <>\"()\x00") {
			t.Fatalf("Email(%q) = %q breaks a limit", s, out)
		}
		if again, err := sanitize.Email(out); err != nil || again != out {
			t.Fatalf("Email(%q) = %q, but Email(%q) = %q, %v", s, out, out, again, err)
		}
	})
}

// FuzzURL: errors wrap ErrURL; an accepted URL starts with an allowed scheme, has no
// userinfo, and is a fixed point.
func FuzzURL(f *testing.F) {
	for _, s := range []string{"https://example.com/", "HTTP://EXAMPLE.COM:80", "javascript:alert(1)", "java\tscript:x",
		"https://u:p@example.com/", "https://bücher.example/a?b#c", "https://[::1]:8080/", "https://0x7f.1/",
		"https://example.com/%zz", "https://example.com/a/../b"} {
		f.Add(s)
	}
	rules := []sanitize.URLRule{{}, {Schemes: []string{"https", "mailto"}, Hosts: []string{"example.com", ".example.org"}}}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range rules {
			out, err := r.Check(s)
			if err != nil {
				if !errors.Is(err, sanitize.ErrURL) || out != "" {
					t.Fatalf("Check(%q) = %q, %v: undocumented error", s, out, err)
				}
				continue
			}
			if !strings.HasPrefix(out, "http://") && !strings.HasPrefix(out, "https://") && !strings.HasPrefix(out, "mailto:") {
				t.Fatalf("Check(%q) = %q: scheme not allowlisted", s, out)
			}
			if again, err := r.Check(out); err != nil || again != out {
				t.Fatalf("Check(%q) = %q, but Check(%q) = %q, %v", s, out, out, again, err)
			}
		}
	})
}

// FuzzPath: FileNameRule and JoinPath never panic, fail with ErrPath, and JoinPath's result
// is always under the root.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"a.txt", "../x", "a/../../b", "CON", "a\x00b", ".env", "dir/file", "/abs", `..\x`} {
		f.Add(s)
	}
	root := filepath.FromSlash("/srv/root")
	f.Fuzz(func(t *testing.T, s string) {
		if err := (sanitize.FileNameRule{}).Check(s); err != nil && !errors.Is(err, sanitize.ErrPath) {
			t.Fatalf("Check(%q) = %v: undocumented error", s, err)
		} else if err == nil && (strings.ContainsAny(s, "/\\\x00") || s == ".." || s[0] == '.') {
			t.Fatalf("Check(%q) accepted an unsafe name", s)
		}
		p, err := sanitize.JoinPath(root, s)
		if err != nil {
			if !errors.Is(err, sanitize.ErrPath) {
				t.Fatalf("JoinPath(%q) = %v: undocumented error", s, err)
			}
			return
		}
		if !strings.HasPrefix(p, root+string(filepath.Separator)) && p != root {
			t.Fatalf("JoinPath(%q, %q) = %q escapes the root", root, s, p)
		}
	})
}

// FuzzDecodeJSON: no panic; every refusal is a *RequestError with a documented sentinel;
// an accepted body is valid JSON without keys that collide ignoring case; and valid UTF-8
// JSON within the depth limit and without surrogate escapes is never refused as malformed.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a","role":"user"}`, `{"role":"user","ROLE":"admin"}`, `{"a":1}{"a":2}`,
		`{"k":1,"\u212a":2}`, `[[[[[]]]]]`, `{"name":"\ud800"}`, `{"a":{"b":{"c":[1,2,{"d":null}]}}}`,
		`{"x":-0.5e+3,"y":true,"z":false}`, "{\"a\":\"\xff\"}", ``, `{"a":"\u00e9\t"}`} {
		f.Add([]byte(s))
	}
	sentinels := []error{sanitize.ErrBodyTooLarge, sanitize.ErrJSON, sanitize.ErrDuplicateKey,
		sanitize.ErrUnknownField, sanitize.ErrInvalidJSONType}
	f.Fuzz(func(t *testing.T, body []byte) {
		dec := sanitize.JSON{MaxBytes: 1 << 16, AllowUnknownFields: true}
		var v any
		err := dec.Decode(httptest.NewRecorder(), jsonRequest(string(body)), &v)
		if err != nil {
			var re *sanitize.RequestError
			if !errors.As(err, &re) || !isOneOf(err, sentinels) || re.Message == "" {
				t.Fatalf("Decode(%q) = %v: undocumented error", body, err)
			}
			if errors.Is(err, sanitize.ErrJSON) && json.Valid(body) && utf8.Valid(body) &&
				!bytes.Contains(bytes.ToLower(body), []byte(`\ud`)) && jsonDepth(body) <= sanitize.DefaultMaxDepth {
				t.Fatalf("Decode(%q) = %v, but encoding/json accepts it", body, err)
			}
			if errors.Is(err, sanitize.ErrDuplicateKey) && !hasFoldedDuplicate(body) {
				t.Fatalf("Decode(%q) = %v, but it has no duplicate key", body, err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("Decode(%q) accepted invalid JSON", body)
		}
		if hasFoldedDuplicate(body) {
			t.Fatalf("Decode(%q) accepted keys that collide ignoring case", body)
		}
	})
}

// jsonDepth returns the maximum nesting of valid JSON, counted independently of the package.
func jsonDepth(b []byte) int {
	d := json.NewDecoder(bytes.NewReader(b))
	depth, maxDepth := 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			return maxDepth
		}
		if delim, ok := tok.(json.Delim); ok {
			if delim == '{' || delim == '[' {
				depth++
				maxDepth = max(maxDepth, depth)
			} else {
				depth--
			}
		}
	}
}

// hasFoldedDuplicate reports whether valid JSON has an object with two keys equal under
// bytes.EqualFold, the comparison encoding/json uses to match fields.
func hasFoldedDuplicate(b []byte) bool {
	d := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		object bool
		keys   []string
		expect bool // next string token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := d.Token()
		if err == io.EOF || err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expect {
			if key, ok := tok.(string); ok {
				for _, k := range top.keys {
					if bytes.EqualFold([]byte(k), []byte(key)) {
						return true
					}
				}
				top.keys = append(top.keys, key)
				top.expect = false
				continue
			}
		}
		if delim, ok := tok.(json.Delim); ok {
			switch delim {
			case '{':
				stack = append(stack, &frame{object: true, expect: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expect = true // a value ended; a key comes next
		}
	}
}
