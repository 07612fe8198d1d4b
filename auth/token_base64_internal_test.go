package auth

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// decodeTokenBase64Reference is what decodeTokenBase64 must agree with: the standard library's
// strict unpadded base64url decoder, which however skips line breaks, so they are refused first.
func decodeTokenBase64Reference(src string) ([]byte, bool) {
	if strings.ContainsAny(src, "\r\n") {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(src)
	return b, err == nil
}

func checkDecodeTokenBase64(t *testing.T, src string) {
	t.Helper()
	want, wantOK := decodeTokenBase64Reference(src)
	dst := make([]byte, len(src)/4*3+2)
	n, ok := decodeTokenBase64(dst, src)
	if ok != wantOK || ok && !bytes.Equal(dst[:n], want) {
		t.Fatalf("decodeTokenBase64(%q) = %x, %v; want %x, %v", src, dst[:n], ok, want, wantOK)
	}
}

// TestDecodeTokenBase64 compares the decoder with the standard library's on every length up to
// 40 (each of the eight-, four- and tail-character paths), with a bad character or non-zero
// unused bits at each position.
func TestDecodeTokenBase64(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for n := range 41 {
		var sb strings.Builder
		for i := range n {
			sb.WriteByte(alphabet[(i*37+n)%64])
		}
		src := sb.String()
		checkDecodeTokenBase64(t, src)
		valid := base64.RawURLEncoding.EncodeToString([]byte(src))
		checkDecodeTokenBase64(t, valid)
		for i := range len(valid) {
			for _, bad := range []byte{'=', '+', '/', '\n', '\r', ' ', 0, 0x80, 0xff, 'A', 'B', '_'} {
				checkDecodeTokenBase64(t, valid[:i]+string([]byte{bad})+valid[i+1:])
			}
		}
	}
	if _, ok := decodeTokenBase64(make([]byte, 4), "AAAAAAAA"); ok {
		t.Error("decoding into a short buffer succeeded")
	}
}

// FuzzDecodeTokenBase64 checks the decoder against the standard library's on any input.
func FuzzDecodeTokenBase64(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "AAAAAAAA", "AAAAAAAAAAA", "AAAAAAAAAAAAA",
		"aGVsbG8gd29ybGQ", "aGVsbG8gd29ybGQh", "aGVs\nbG8", "aGVsbG8=", "-_-_-_-_-_", "+/+/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > MaxTokenLen {
			return
		}
		checkDecodeTokenBase64(t, src)
	})
}

func BenchmarkDecodeTokenBase64(b *testing.B) {
	src := base64.RawURLEncoding.EncodeToString(make([]byte, 110))
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, ok := decodeTokenBase64(dst, src); !ok {
			b.Fatal("invalid")
		}
	}
}
