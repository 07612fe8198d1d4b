package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"testing"
)

// The Fernet fast paths (encodeInPlace, decodeToken, cbcDecryptInPlace) must agree exactly with
// the standard library they replace.

func TestEncodeInPlace(t *testing.T) {
	for n := range 300 {
		raw := make([]byte, n)
		for i := range raw {
			raw[i] = byte(i*37 + n)
		}
		buf := make([]byte, b64.EncodedLen(n))
		copy(buf, raw)
		encodeInPlace(buf, n)
		if want := base64.URLEncoding.EncodeToString(raw); string(buf) != want {
			t.Fatalf("encodeInPlace(%d bytes) = %q, want %q", n, buf, want)
		}
	}
}

// checkDecodeToken compares decodeToken with base64.URLEncoding.Strict() on src: both must
// accept or refuse it (decodeToken also refuses CR and LF, which the standard decoder skips),
// and decode it to the same bytes.
func checkDecodeToken(t *testing.T, src []byte) {
	t.Helper()
	if len(src) == 0 || len(src)%4 != 0 {
		return
	}
	want := make([]byte, len(src))
	n, err := b64.Decode(want, src)
	wantOK := err == nil && !bytes.ContainsAny(src, "\r\n")
	got := make([]byte, len(src)/4*3)
	m, ok := decodeToken(got, src)
	if ok != wantOK || (ok && !bytes.Equal(got[:m], want[:n])) {
		t.Fatalf("decodeToken(%q) = %x, %v; want %x, %v", src, got[:m], ok, want[:n], wantOK)
	}
}

func TestDecodeToken(t *testing.T) {
	for n := range 100 {
		raw := make([]byte, n)
		for i := range raw {
			raw[i] = byte(i*91 + n)
		}
		enc := []byte(base64.URLEncoding.EncodeToString(raw))
		checkDecodeToken(t, enc)
		for i := range enc { // every position: each special character, and a flipped low bit
			for _, c := range []byte{'=', '\n', '\r', '+', '/', ' ', 0, 0x80, enc[i] ^ 1} {
				m := bytes.Clone(enc)
				m[i] = c
				checkDecodeToken(t, m)
			}
		}
	}
}

func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{"AAAA", "AA==", "AAA=", "AB==", "AAA\n", "AAAAAAAA", "QUJD\nREVG", "____----", "A===", "=AAA"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkDecodeToken(t, src) })
}

func TestCBCDecryptInPlace(t *testing.T) {
	block, err := aes.NewCipher([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	iv := []byte("fedcba9876543210")
	for blocks := range 20 {
		ct := make([]byte, blocks*aes.BlockSize)
		for i := range ct {
			ct[i] = byte(i*13 + blocks)
		}
		want := make([]byte, len(ct))
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(want, ct)
		got := bytes.Clone(ct)
		cbcDecryptInPlace(block, iv, got)
		if !bytes.Equal(got, want) {
			t.Fatalf("cbcDecryptInPlace(%d blocks) differs from cipher.NewCBCDecrypter", blocks)
		}
	}
}
