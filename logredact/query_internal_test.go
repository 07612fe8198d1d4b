package logredact

import (
	"net/url"
	"strings"
	"testing"
)

// redactQueryReference is the straightforward form of redactQuery (split, Redact every part),
// which the allocation-free version must agree with.
func (r *Redactor) redactQueryReference(raw string) string {
	cut := false
	if len(raw) > maxQueryLog {
		raw, cut = raw[:maxQueryLog], true
	}
	var b strings.Builder
	for i, part := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, v, hasV := strings.Cut(part, "=")
		dk := unescapeLenient(k, true)
		rk := r.Redact(k)
		b.WriteString(rk)
		if !hasV {
			continue
		}
		b.WriteByte('=')
		switch {
		case v == "":
		case rk != k || sensitive(r, dk, 0, len(dk), true):
			b.Write(appendReplacement(r, nil, kindQuery, v))
		default:
			if rv := r.Redact(v); rv != v {
				b.WriteString(rv)
				break
			}
			if dv := unescapeLenient(v, true); dv != v {
				if rdv := r.Redact(dv); rdv != dv {
					b.WriteString(rdv)
					break
				}
			}
			b.WriteString(v)
		}
	}
	if cut {
		b.WriteString("[REDACTED:" + kindOverlong + "]")
	}
	return b.String()
}

func FuzzRedactQuery(f *testing.F) {
	for _, s := range []string{
		"", "&", "&&", "=", "a", "a=", "=b", "page=2&sort=created&filter=open%20orders",
		"password=hunter2&email=jane.doe%40example.com", "q=Bearer%20abcdefghijklmnopqrstuvwxyz0123&a&=&b=",
		"next=https%3A%2F%2Fuser%3Apass%40example.com%2F&token=x", "card=4111+1111+1111+1111&n=4111111111111111",
		"a=1%ZZ&password%3D=secret&api_key=sk_live_abcdefghijklmnopqrstuvwx", "x=1&jane.doe@example.com&y",
		strings.Repeat("a=b&", 3000), strings.Repeat("password=x&", 1000),
	} {
		f.Add(s)
	}
	r := MustNew(Config{})
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := r.redactQuery(raw), r.redactQueryReference(raw); got != want {
			t.Fatalf("redactQuery(%q)\n got  %q\n want %q", raw, got, want)
		}
	})
}

// TestUnescapeLenient checks the decoding of query and path parts with invalid escapes kept.
func TestUnescapeLenient(t *testing.T) {
	for _, tc := range []struct {
		in   string
		plus bool
		want string
	}{
		{"", true, ""},
		{"abc", true, "abc"},
		{"a+b%20c", true, "a b c"},
		{"a+b%20c", false, "a+b c"},
		{"4111%201111%201111%201111%ZZ", true, "4111 1111 1111 1111%ZZ"},
		{"%ZZ4111%2", true, "%ZZ4111%2"},
		{"jane%40example.com%", true, "jane@example.com%"},
		{"%4a%4A%%41", true, "JJ%A"},
		{"%", false, "%"},
		{"%%", false, "%%"},
	} {
		if got := unescapeLenient(tc.in, tc.plus); got != tc.want {
			t.Errorf("unescapeLenient(%q, %v) = %q, want %q", tc.in, tc.plus, got, tc.want)
		}
	}
}

// FuzzUnescapeLenient checks that unescapeLenient agrees with url.QueryUnescape and
// url.PathUnescape wherever they succeed, and never grows its input.
func FuzzUnescapeLenient(f *testing.F) {
	for _, s := range []string{"", "a+b%20c", "%ZZ%41", "%", "%4", "%e2%80%a8", "100%", "a%2Fb%2fc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, plus := range []bool{true, false} {
			got := unescapeLenient(s, plus)
			if len(got) > len(s) {
				t.Fatalf("unescapeLenient(%q, %v) = %q grew", s, plus, got)
			}
			want, err := url.PathUnescape(s)
			if plus {
				want, err = url.QueryUnescape(s)
			}
			if err == nil && got != want {
				t.Fatalf("unescapeLenient(%q, %v) = %q, want %q", s, plus, got, want)
			}
		}
	})
}

// FuzzRedactPath checks that the access log's redacted path is a fixed point of Redact, as the
// direct record paths assume (they do not redact the path again).
func FuzzRedactPath(f *testing.F) {
	for _, s := range []string{
		"", "/", "/api/profile", "/u/jane%40example.com", "/u/jane%40example.com~%25%30%30%30%30%30%30%30%30%30%30%30%30%31%39",
		"/a%2F..%2Fadmin", "/x/4111%201111%201111%201111", "/%ZZ/%", "/t/Bearer%20abcdefghijklmnopqrstuvwxyz0123",
	} {
		f.Add(s)
	}
	r := MustNew(Config{})
	f.Fuzz(func(t *testing.T, escaped string) {
		p := r.redactPath(escaped)
		if rp := r.Redact(p); rp != p {
			t.Fatalf("redactPath(%q) = %q, which Redact changes to %q", escaped, p, rp)
		}
	})
}
