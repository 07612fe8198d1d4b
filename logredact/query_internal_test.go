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
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
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
			if dv, err := url.QueryUnescape(v); err == nil && dv != v {
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
