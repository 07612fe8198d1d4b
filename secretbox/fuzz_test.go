package secretbox_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rampart-go/rampart/secretbox"
)

// The fuzz targets assert: no panic, errors only of the documented kinds, and success only for
// inputs that really are authentic (checked by re-encrypting where the format allows).

func FuzzFernetDecrypt(f *testing.F) {
	k, _ := secretbox.ParseFernetKey("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	fer := secretbox.NewFernet(k)
	good, _ := fer.Encrypt([]byte("hello"))
	f.Add(good)
	f.Add([]byte("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="))
	f.Add([]byte("gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA=="))
	f.Add([]byte(""))
	f.Add([]byte("===="))
	f.Add(append(bytes.Clone(good), '\n'))
	now := time.Unix(499_162_800, 0)
	f.Fuzz(func(t *testing.T, token []byte) {
		msg, err := fer.Decrypt(token)
		if err != nil {
			if !errors.Is(err, secretbox.ErrAuth) || msg != nil {
				t.Fatalf("Decrypt = %q, %v; want nil, ErrAuth", msg, err)
			}
		}
		_, errTTL := fer.DecryptTTLAt(token, time.Minute, now)
		switch {
		case err != nil && !errors.Is(errTTL, secretbox.ErrAuth):
			t.Fatalf("DecryptTTLAt of an inauthentic token = %v, want ErrAuth", errTTL)
		case err == nil && errTTL != nil && !errors.Is(errTTL, secretbox.ErrExpired):
			t.Fatalf("DecryptTTLAt of an authentic token = %v, want nil or ErrExpired", errTTL)
		}
		if _, errTS := fer.Timestamp(token); (errTS == nil) != (err == nil) {
			t.Fatalf("Timestamp error %v disagrees with Decrypt error %v", errTS, err)
		}
	})
}

func FuzzParseKeys(f *testing.F) {
	fk, _ := secretbox.GenerateFernetKey(nil)
	k, _ := secretbox.GenerateKey(nil)
	for _, s := range []string{fk.Encode(), k.Encode(), k.Encode() + "\n" + k.Encode(), "", "sbk1_", "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if fk, err := secretbox.ParseFernetKey(s); err != nil {
			if !errors.Is(err, secretbox.ErrInvalidKey) {
				t.Fatalf("ParseFernetKey error %v", err)
			}
		} else if fk2, err := secretbox.ParseFernetKey(fk.Encode()); err != nil || fk2.Encode() != fk.Encode() {
			t.Fatalf("re-encoding a parsed Fernet key: %v", err)
		}
		if k, err := secretbox.ParseKey(s); err != nil {
			if !errors.Is(err, secretbox.ErrInvalidKey) {
				t.Fatalf("ParseKey error %v", err)
			}
		} else if k.Encode() != s {
			t.Fatalf("ParseKey accepted a non-canonical encoding %q", s)
		}
		if _, err := secretbox.ParseKeyring(s); err != nil && !errors.Is(err, secretbox.ErrInvalidKey) {
			// Duplicate IDs are a construction error, not an encoding one.
			if !bytes.Contains([]byte(err.Error()), []byte("share the ID")) {
				t.Fatalf("ParseKeyring error %v", err)
			}
		}
	})
}

func FuzzOpen(f *testing.F) {
	kr := mustKeyring(f, mustKey(f), mustKey(f))
	good, _ := kr.Seal([]byte("hello"), []byte("ad"))
	f.Add(good, []byte("ad"))
	f.Add(good[:10], []byte(nil))
	f.Add([]byte{1, 0, 0, 0, 0}, []byte("ad"))
	f.Fuzz(func(t *testing.T, sealed, ad []byte) {
		pt, _, err := kr.Open(sealed, ad)
		if err != nil {
			if err != secretbox.ErrAuth || pt != nil { //nolint:errorlint // the opaque error must be returned exactly
				t.Fatalf("Open = %q, %v; want nil, ErrAuth", pt, err)
			}
			return
		}
		if !bytes.Equal(sealed, good) || string(ad) != "ad" {
			t.Fatalf("Open accepted a forgery: %x", sealed)
		}
	})
}

// FuzzReader feeds arbitrary streams to readers under a keyring and a passphrase with a small
// memory cap (so the fuzzer cannot make each run slow), and through Rewrap.
func FuzzReader(f *testing.F) {
	kr := mustKeyring(f, mustKey(f))
	p := fastPassphrase("pw", false)
	p.MaxMemory = 256 // KiB: keeps hostile-but-valid parameters cheap
	s := fastPassphrase("pw", true)
	var seeds [][]byte
	for _, w := range []secretbox.Wrapper{kr, p, s} {
		for _, n := range []int{0, 5, chunk, chunk + 1} {
			seeds = append(seeds, encryptStream(f, w, pattern(n), nil))
		}
	}
	for _, seed := range seeds {
		f.Add(seed)
		f.Add(seed[:len(seed)/2])
	}
	f.Add([]byte("RSBS\x01"))
	f.Fuzz(func(t *testing.T, ct []byte) {
		for _, w := range []secretbox.Wrapper{kr, p} {
			r, err := secretbox.NewReader(bytes.NewReader(ct), w, nil)
			if err != nil {
				if !errors.Is(err, secretbox.ErrAuth) || r != nil {
					t.Fatalf("NewReader = %v", err)
				}
				continue
			}
			n, err := io.Copy(io.Discard, r) // the push path: bytes.Reader's WriteTo
			if err != nil && !errors.Is(err, secretbox.ErrAuth) {
				t.Fatalf("Read error %v", err)
			}
			if n > int64(len(ct)) {
				t.Fatalf("read %d bytes of plaintext from %d bytes of input", n, len(ct))
			}
			// The pull path (Read) must agree with the push path.
			r2, err2 := secretbox.NewReader(bytes.NewReader(ct), w, nil)
			if err2 != nil {
				t.Fatalf("NewReader succeeded once, then failed: %v", err2)
			}
			got, err2 := io.ReadAll(r2)
			if int64(len(got)) != n || (err == nil) != (err2 == nil) {
				t.Fatalf("Read path: %d bytes, %v; WriteTo path: %d bytes, %v", len(got), err2, n, err)
			}
			err = secretbox.Rewrap(io.Discard, bytes.NewReader(ct), w, kr, nil)
			if err != nil && !errors.Is(err, secretbox.ErrAuth) {
				t.Fatalf("Rewrap error %v", err)
			}
		}
	})
}

// FuzzStreamRoundTrip writes arbitrary data in arbitrary pieces (through Write and ReadFrom)
// and checks that it decrypts to the same bytes; large sizes come from repeating the input so
// that chunk boundaries are crossed.
func FuzzStreamRoundTrip(f *testing.F) {
	kr := mustKeyring(f, mustKey(f))
	f.Add([]byte("hello"), uint16(1), uint8(0))
	f.Add([]byte{0}, uint16(65535), uint8(3))
	f.Add(pattern(300), uint16(219), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, repeat uint16, split uint8) {
		if len(data) == 0 {
			data = []byte{0}
		}
		pt := bytes.Repeat(data, int(repeat)%(3*chunk/len(data)+2))
		var buf bytes.Buffer
		w, err := secretbox.NewWriter(&buf, kr, nil)
		if err != nil {
			t.Fatal(err)
		}
		step := 1 + int(split)*997
		for rest := pt; len(rest) > 0; {
			n := min(step, len(rest))
			if split%2 == 0 {
				_, err = w.Write(rest[:n])
			} else {
				_, err = io.Copy(w, struct{ io.Reader }{bytes.NewReader(rest[:n])}) // hides WriteTo, so Copy uses ReadFrom
			}
			if err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := decryptStream(kr, buf.Bytes(), nil)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("round trip of %d bytes: got %d bytes, %v", len(pt), len(got), err)
		}
	})
}
