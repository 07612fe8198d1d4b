package secretbox_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/rampart-go/rampart/secretbox"
	"golang.org/x/crypto/chacha20poly1305"
)

// BenchmarkStream compares stream encryption and decryption with the raw chunk AEAD
// (ChaCha20-Poly1305 Seal/Open of 64 KiB chunks) in the same run; the stream should reach at
// least 85% of the raw throughput.
func BenchmarkStream(b *testing.B) {
	const size = 4 << 20
	pt := make([]byte, size)
	kr := mustKeyring(b, mustKey(b))
	ct := encryptStream(b, kr, pt, nil)

	b.Run("raw-seal", func(b *testing.B) {
		aead, _ := chacha20poly1305.New(make([]byte, 32))
		buf := make([]byte, 0, chunk+16)
		nonce := make([]byte, 12)
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for off := 0; off < size; off += chunk {
				nonce[0]++
				buf = aead.Seal(buf[:0], nonce, pt[off:off+chunk], nil)
				_, _ = io.Discard.Write(buf)
			}
		}
	})
	b.Run("raw-open", func(b *testing.B) {
		aead, _ := chacha20poly1305.New(make([]byte, 32))
		nonce := make([]byte, 12)
		// Distinct sealed chunks, so that the raw AEAD reads as much memory as the stream does.
		var sealed [][]byte
		for off := 0; off < size; off += chunk {
			sealed = append(sealed, aead.Seal(nil, nonce, pt[off:off+chunk], nil))
		}
		buf := make([]byte, 0, chunk+16)
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range sealed {
				var err error
				if buf, err = aead.Open(buf[:0], nonce, c, nil); err != nil {
					b.Fatal(err)
				}
				_, _ = io.Discard.Write(buf)
			}
		}
	})
	b.Run("encrypt", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			w, err := secretbox.NewWriter(io.Discard, kr, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(w, bytes.NewReader(pt)); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decrypt", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		src := bytes.NewReader(ct)
		for b.Loop() {
			src.Reset(ct)
			r, err := secretbox.NewReader(src, kr, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// zeroReader yields n zero bytes without allocating.
// BenchmarkStreamVsRaw interleaves, in every iteration, 4 MiB through the raw chunk AEAD and
// 4 MiB through the stream, encrypting and then decrypting, and reports the stream's throughput
// as a percentage of the raw AEAD's (enc-%-of-raw, dec-%-of-raw from a bytes.Reader,
// dec-pull-%-of-raw from a reader the stream must copy from). Each part is timed by the CPU
// time of the benchmark's (locked) thread, so that on a loaded machine the ratio is not skewed
// by the time the thread waits for a core; ns/op and MB/s remain wall-clock figures.
func BenchmarkStreamVsRaw(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const size = 4 << 20
	pt := make([]byte, size)
	kr := mustKeyring(b, mustKey(b))
	ct := encryptStream(b, kr, pt, nil)
	aead, _ := chacha20poly1305.New(make([]byte, 32))
	nonce := make([]byte, 12)
	var sealed [][]byte
	for off := 0; off < size; off += chunk {
		sealed = append(sealed, aead.Seal(nil, nonce, pt[off:off+chunk], nil))
	}
	buf := make([]byte, 0, chunk+16)
	src := bytes.NewReader(ct)
	var rawEnc, rawDec, streamEnc, streamDec, pullDec time.Duration
	b.SetBytes(5 * size)
	b.ReportAllocs()
	for b.Loop() {
		t0 := threadCPU()
		for off := 0; off < size; off += chunk {
			buf = aead.Seal(buf[:0], nonce, pt[off:off+chunk], nil)
			_, _ = io.Discard.Write(buf)
		}
		t1 := threadCPU()
		w, _ := secretbox.NewWriter(io.Discard, kr, nil)
		if _, err := io.Copy(w, bytes.NewReader(pt)); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		t2 := threadCPU()
		for _, c := range sealed {
			var err error
			if buf, err = aead.Open(buf[:0], nonce, c, nil); err != nil {
				b.Fatal(err)
			}
			_, _ = io.Discard.Write(buf)
		}
		t3 := threadCPU()
		src.Reset(ct)
		r, err := secretbox.NewReader(src, kr, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		t4 := threadCPU()
		// The same from a reader that is not in memory as far as the stream can tell (a file or a
		// socket): each chunk is first copied into the stream's buffer.
		src.Reset(ct)
		r, err = secretbox.NewReader(struct{ io.Reader }{src}, kr, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		t5 := threadCPU()
		rawEnc, streamEnc, rawDec, streamDec = rawEnc+t1-t0, streamEnc+t2-t1, rawDec+t3-t2, streamDec+t4-t3
		pullDec += t5 - t4
	}
	b.ReportMetric(100*float64(rawEnc)/float64(streamEnc), "enc-%-of-raw")
	b.ReportMetric(100*float64(rawDec)/float64(streamDec), "dec-%-of-raw")
	b.ReportMetric(100*float64(rawDec)/float64(pullDec), "dec-pull-%-of-raw")
}

type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.n)]
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// BenchmarkStream1GiB encrypts 1 GiB through a pipe into a decrypting reader and reports the
// bytes allocated during the whole operation (alloc-B/GiB), which bounds from above how much the
// streaming can add to the live heap at any moment.
// Run it alone: go test -run='^$' -bench=Stream1GiB -benchtime=1x ./secretbox
func BenchmarkStream1GiB(b *testing.B) {
	const size = 1 << 30
	kr := mustKeyring(b, mustKey(b))
	b.SetBytes(size)
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			w, err := secretbox.NewWriter(pw, kr, nil)
			if err == nil {
				_, err = io.Copy(w, &zeroReader{n: size})
			}
			if err == nil {
				err = w.Close()
			}
			pw.CloseWithError(err)
			done <- err
		}()
		r, err := secretbox.NewReader(pr, kr, nil)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil || n != size {
			b.Fatalf("decrypted %d bytes, %v", n, err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc), "alloc-B/GiB")
	}
}

func BenchmarkFernet(b *testing.B) {
	k, _ := secretbox.GenerateFernetKey(nil)
	f := secretbox.NewFernet(k)
	for _, size := range []int{1 << 10, 1 << 20} {
		msg := make([]byte, size)
		_, _ = rand.Read(msg)
		tok, _ := f.Encrypt(msg)
		name := fmt.Sprintf("%dKiB", size>>10)
		b.Run("encrypt/"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Encrypt(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decrypt/"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Decrypt(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkKeyringOpen shows that Open costs the same with 1 and 100 keys, opening a value
// sealed under the oldest key.
func BenchmarkKeyringOpen(b *testing.B) {
	for _, n := range []int{1, 100} {
		keys := make([]*secretbox.Key, n)
		for i := range keys {
			keys[i] = mustKey(b)
		}
		oldest := mustKeyring(b, keys[n-1])
		sealed, _ := oldest.Seal(make([]byte, 64), []byte("ad"))
		ring := mustKeyring(b, keys[0], keys[1:]...)
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ring.Open(sealed, []byte("ad")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkKeyringSeal(b *testing.B) {
	ring := mustKeyring(b, mustKey(b))
	msg := make([]byte, 64)
	b.SetBytes(64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Seal(msg, []byte("ad")); err != nil {
			b.Fatal(err)
		}
	}
}
