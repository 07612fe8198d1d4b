package secretbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"
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

// TestFernetFarFutureTimestamps: an authentic token whose 64-bit timestamp does not fit in an
// int64 (Python's cryptography makes and accepts them) is authenticated like any other and
// treated as far in the future: Decrypt, Timestamp and Rotate accept it, every TTL check fails
// with ErrExpired. The same token with a bad MAC is ErrAuth, whatever its timestamp.
func TestFernetFarFutureTimestamps(t *testing.T) {
	k, err := GenerateFernetKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFernet(k)
	t0 := time.Unix(1_700_000_000, 0)
	f.Now = func() time.Time { return t0 }
	for _, ts := range []uint64{math.MaxInt64, 1 << 63, 1<<63 + 1_700_000_000, math.MaxUint64} {
		t.Run(strconv.FormatUint(ts, 10), func(t *testing.T) {
			var iv [aes.BlockSize]byte
			tok, err := f.keys[0].encrypt([]byte("msg"), ts, &iv) // signed with the key: authentic
			if err != nil {
				t.Fatal(err)
			}
			if got, err := f.Decrypt(tok); err != nil || string(got) != "msg" {
				t.Errorf("Decrypt(token at %d) = %q, %v; want \"msg\", nil", ts, got, err)
			}
			for _, ttl := range []time.Duration{0, time.Hour, math.MaxInt64} {
				if got, err := f.DecryptTTLAt(tok, ttl, t0); !errors.Is(err, ErrExpired) {
					t.Errorf("DecryptTTLAt(token at %d, ttl %v) = %q, %v; want ErrExpired", ts, ttl, got, err)
				}
			}
			if got, err := f.DecryptTTL(tok, time.Hour); !errors.Is(err, ErrExpired) {
				t.Errorf("DecryptTTL(token at %d) = %q, %v; want ErrExpired", ts, got, err)
			}
			if got, err := f.Timestamp(tok); err != nil || !got.After(t0) {
				t.Errorf("Timestamp(token at %d) = %v, %v; want a time after %v", ts, got, err, t0)
			}
			rotated, err := f.Rotate(tok)
			if err != nil {
				t.Fatalf("Rotate(token at %d) = %v", ts, err)
			}
			raw, err := b64.DecodeString(string(rotated))
			if err != nil || binary.BigEndian.Uint64(raw[1:9]) != ts {
				t.Errorf("Rotate(token at %d) = a token at %d, %v; want the timestamp kept", ts, binary.BigEndian.Uint64(raw[1:9]), err)
			}
			raw, err = b64.DecodeString(string(tok))
			if err != nil {
				t.Fatal(err)
			}
			raw[len(raw)-1] ^= 1 // a bit of the MAC
			bad := []byte(b64.EncodeToString(raw))
			if _, err := f.Decrypt(bad); !errors.Is(err, ErrAuth) {
				t.Errorf("Decrypt(token at %d with a bad MAC) = %v, want ErrAuth", ts, err)
			}
			if _, err := f.DecryptTTLAt(bad, time.Hour, t0); !errors.Is(err, ErrAuth) {
				t.Errorf("DecryptTTLAt(token at %d with a bad MAC) = %v, want ErrAuth", ts, err)
			}
		})
	}
}
