package redisstore

import (
	"bytes"
	"strings"
	"testing"
)

func TestKeyEncoding(t *testing.T) {
	plainEnc := newKeyEncoder(nil)
	macEnc := newKeyEncoder(bytes.Repeat([]byte{7}, MinKeySecret))
	tests := []struct {
		key       string
		wantPlain string // the prefix-free form without a secret; "" means hashed
	}{
		{"203.0.113.7/32", "k:203.0.113.7/32"},
		{"2001:db8:1:2::/64", "k:2001:db8:1:2::/64"},
		{"alice@example.com", "k:alice@example.com"},
		{"", "k:"},
		{"a{b}c", ""},
		{"user 1", ""},
		{"ユーザー", ""},
		{"alice\x00", ""},
		{strings.Repeat("x", maxPlainKey), "k:" + strings.Repeat("x", maxPlainKey)},
		{strings.Repeat("x", maxPlainKey+1), ""},
	}
	for _, tt := range tests {
		got := string(plainEnc.encode(nil, tt.key))
		if tt.wantPlain != "" && got != tt.wantPlain {
			t.Errorf("encode(%q) = %q, want %q", tt.key, got, tt.wantPlain)
		}
		if tt.wantPlain == "" && (!strings.HasPrefix(got, "s:") || len(got) != 2+43) {
			t.Errorf("encode(%q) = %q, want s: and 43 base64url characters", tt.key, got)
		}
		mac := string(macEnc.encode(nil, tt.key))
		if !strings.HasPrefix(mac, "m:") || len(mac) != 2+22 || strings.Contains(mac, tt.key) && tt.key != "" {
			t.Errorf("encode(%q) with a secret = %q, want m: and 22 base64url characters", tt.key, mac)
		}
	}
	other := newKeyEncoder(bytes.Repeat([]byte{8}, MinKeySecret))
	if a, b := macEnc.encode(nil, "alice"), other.encode(nil, "alice"); bytes.Equal(a, b) {
		t.Errorf("two secrets give the same encoding %q", a)
	}
}

// FuzzKeyEncoding checks, for any client key (attacker-controlled: a user name, a header), that
// the encoding never contains a brace (which would move the hash tag), stays short, and never
// maps two different keys to one Redis key.
func FuzzKeyEncoding(f *testing.F) {
	for _, s := range []string{"", "203.0.113.7/32", "a{b}c", "}{", "{", "k:x", "s:abc", "m:abc",
		"alice@example.com", "user 1", "\x00", "ユーザー", strings.Repeat("x", maxPlainKey+1)} {
		f.Add(s, "k:"+s)
	}
	encs := []keyEncoder{newKeyEncoder(nil), newKeyEncoder(bytes.Repeat([]byte{1}, MinKeySecret))}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, e := range encs {
			ea, eb := e.encode(nil, a), e.encode(nil, b)
			for _, enc := range [][]byte{ea, eb} {
				if bytes.ContainsAny(enc, "{}") {
					t.Fatalf("encoding %q contains a brace", enc)
				}
				if len(enc) > 2+maxPlainKey {
					t.Fatalf("encoding of length %d, want at most %d", len(enc), 2+maxPlainKey)
				}
			}
			if a != b && bytes.Equal(ea, eb) {
				t.Fatalf("keys %q and %q share the encoding %q", a, b, ea)
			}
			if a == b && !bytes.Equal(ea, eb) {
				t.Fatalf("key %q encodes as %q and %q", a, ea, eb)
			}
		}
	})
}
