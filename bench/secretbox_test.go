package bench

import (
	"bytes"
	"crypto/rand"
	"io"
	"strconv"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/fernet/fernet-go"
	"github.com/rampart-go/rampart/secretbox"
	"golang.org/x/crypto/chacha20poly1305"
)

// BenchmarkFernet encrypts and decrypts the same messages with rampart's Fernet and fernet-go,
// both with one key and a one-hour TTL check on decryption.
func BenchmarkFernet(b *testing.B) {
	rk, err := secretbox.GenerateFernetKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	// The same key for both: fernet-go decodes rampart's encoding.
	fk, err := fernet.DecodeKey(rk.Encode())
	if err != nil {
		b.Fatal(err)
	}
	rf := secretbox.NewFernet(rk)
	fkeys := []*fernet.Key{fk}
	for _, size := range []int{1 << 10, 1 << 20} {
		msg := randBytes(b, size)
		name := strconv.Itoa(size>>10) + "KiB"
		tok, err := rf.Encrypt(msg)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(fernet.VerifyAndDecrypt(tok, time.Hour, fkeys), msg) {
			b.Fatal("fernet-go cannot read rampart's token")
		}
		impls := []struct {
			name    string
			encrypt func() ([]byte, error)
			decrypt func() ([]byte, error)
		}{
			{"rampart", func() ([]byte, error) { return rf.Encrypt(msg) },
				func() ([]byte, error) { return rf.DecryptTTL(tok, time.Hour) }},
			{"fernet-go", func() ([]byte, error) { return fernet.EncryptAndSign(msg, fk) },
				func() ([]byte, error) {
					if m := fernet.VerifyAndDecrypt(tok, time.Hour, fkeys); m != nil {
						return m, nil
					}
					return nil, secretbox.ErrAuth
				}},
		}
		for _, im := range impls {
			b.Run("encrypt/"+name+"/"+im.name, func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := im.encrypt(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("decrypt/"+name+"/"+im.name, func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := im.decrypt(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

const (
	streamSize  = 64 << 20
	streamChunk = 64 << 10
)

// BenchmarkStream encrypts and decrypts 64 MiB from memory to io.Discard with rampart's stream,
// with the bare AEAD it is built on (ChaCha20-Poly1305 Seal/Open of 64 KiB chunks into one
// reused buffer, the floor of any chunked format) and with age (X25519 recipient; age's payload
// is also ChaCha20-Poly1305 in 64 KiB chunks).
func BenchmarkStream(b *testing.B) {
	pt := randBytes(b, streamSize)
	key, err := secretbox.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	kr, err := secretbox.NewKeyring(key)
	if err != nil {
		b.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	aead, err := chacha20poly1305.New(randBytes(b, chacha20poly1305.KeySize))
	if err != nil {
		b.Fatal(err)
	}

	var rampartCT, ageCT bytes.Buffer
	w, err := secretbox.NewWriter(&rampartCT, kr, nil)
	if err == nil {
		_, err = w.Write(pt)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	aw, err := age.Encrypt(&ageCT, id.Recipient())
	if err == nil {
		_, err = aw.Write(pt)
	}
	if err == nil {
		err = aw.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	var nonce [chacha20poly1305.NonceSize]byte
	var sealed [][]byte
	for off := 0; off < streamSize; off += streamChunk {
		nonce[0]++
		sealed = append(sealed, aead.Seal(nil, nonce[:], pt[off:off+streamChunk], nil))
	}
	buf := make([]byte, 0, streamChunk+chacha20poly1305.Overhead)

	impls := []struct {
		name             string
		encrypt, decrypt func() error
	}{
		{"rampart", func() error {
			w, err := secretbox.NewWriter(io.Discard, kr, nil)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, bytes.NewReader(pt)); err != nil {
				return err
			}
			return w.Close()
		}, func() error {
			r, err := secretbox.NewReader(bytes.NewReader(rampartCT.Bytes()), kr, nil)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, r)
			return err
		}},
		{"raw-chacha20poly1305", func() error {
			for off := 0; off < streamSize; off += streamChunk {
				nonce[0]++
				buf = aead.Seal(buf[:0], nonce[:], pt[off:off+streamChunk], nil)
				_, _ = io.Discard.Write(buf)
			}
			return nil
		}, func() error {
			nonce[0] = 0
			for _, c := range sealed {
				nonce[0]++
				var err error
				if buf, err = aead.Open(buf[:0], nonce[:], c, nil); err != nil {
					return err
				}
				_, _ = io.Discard.Write(buf)
			}
			return nil
		}},
		{"age", func() error {
			w, err := age.Encrypt(io.Discard, id.Recipient())
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, bytes.NewReader(pt)); err != nil {
				return err
			}
			return w.Close()
		}, func() error {
			r, err := age.Decrypt(bytes.NewReader(ageCT.Bytes()), id)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, r)
			return err
		}},
	}
	for _, im := range impls {
		b.Run("encrypt/64MiB/"+im.name, func(b *testing.B) {
			b.SetBytes(streamSize)
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if err := im.encrypt(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decrypt/64MiB/"+im.name, func(b *testing.B) {
			b.SetBytes(streamSize)
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if err := im.decrypt(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
