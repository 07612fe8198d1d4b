package secretbox_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/cputime"
	"github.com/rampart-go/rampart/secretbox"
	"golang.org/x/crypto/chacha20poly1305"
)

// loopCPU runs op in b.Loop on a locked thread and reports, besides the wall-clock figures,
// the thread's CPU time per op (cpu-ns/op) and, when size > 0, the throughput in CPU time
// (cpu-MB/s): on a machine shared with other work these stay put while ns/op swings.
func loopCPU(b *testing.B, size int64, op func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if size > 0 {
		b.SetBytes(size)
	}
	b.ReportAllocs()
	n := 0
	t0 := cputime.Thread()
	for b.Loop() {
		op()
		n++
	}
	perOp := float64(cputime.Thread()-t0) / float64(n)
	if t0 == 0 || n == 0 {
		return // no thread CPU clock on this platform: report wall time only
	}
	b.ReportMetric(perOp, "cpu-ns/op")
	if size > 0 {
		b.ReportMetric(float64(size)*1e3/perOp, "cpu-MB/s")
	}
}

// BenchmarkStream measures stream encryption and decryption of 4 MiB beside the raw chunk AEAD
// (ChaCha20-Poly1305 Seal/Open of 64 KiB chunks) in the same run. BenchmarkStreamVsRaw gives the
// ratio measured in interleaved iterations.
func BenchmarkStream(b *testing.B) {
	const size = 4 << 20
	pt := make([]byte, size)
	kr := mustKeyring(b, mustKey(b))
	ct := encryptStream(b, kr, pt, nil)
	aead, _ := chacha20poly1305.New(make([]byte, 32))
	nonce := make([]byte, 12)
	// Distinct sealed chunks, so that the raw AEAD reads as much memory as the stream does.
	var sealed [][]byte
	for off := 0; off < size; off += chunk {
		sealed = append(sealed, aead.Seal(nil, nonce, pt[off:off+chunk], nil)) //nolint:gosec // benchmark of the raw AEAD: the fixed nonce is never used for real data
	}
	buf := make([]byte, 0, chunk+16)

	b.Run("raw-seal", func(b *testing.B) {
		loopCPU(b, size, func() {
			for off := 0; off < size; off += chunk {
				buf = aead.Seal(buf[:0], nonce, pt[off:off+chunk], nil)
				_, _ = io.Discard.Write(buf)
			}
		})
	})
	b.Run("raw-open", func(b *testing.B) {
		loopCPU(b, size, func() {
			for _, c := range sealed {
				var err error
				if buf, err = aead.Open(buf[:0], nonce, c, nil); err != nil {
					b.Fatal(err)
				}
				_, _ = io.Discard.Write(buf)
			}
		})
	})
	b.Run("encrypt", func(b *testing.B) {
		loopCPU(b, size, func() {
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
		})
	})
	b.Run("decrypt", func(b *testing.B) {
		src := bytes.NewReader(ct)
		loopCPU(b, size, func() {
			src.Reset(ct)
			r, err := secretbox.NewReader(src, kr, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		})
	})
}

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
		t0 := ratioClock()
		for off := 0; off < size; off += chunk {
			buf = aead.Seal(buf[:0], nonce, pt[off:off+chunk], nil)
			_, _ = io.Discard.Write(buf)
		}
		t1 := ratioClock()
		w, _ := secretbox.NewWriter(io.Discard, kr, nil)
		if _, err := io.Copy(w, bytes.NewReader(pt)); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		t2 := ratioClock()
		for _, c := range sealed {
			var err error
			if buf, err = aead.Open(buf[:0], nonce, c, nil); err != nil {
				b.Fatal(err)
			}
			_, _ = io.Discard.Write(buf)
		}
		t3 := ratioClock()
		src.Reset(ct)
		r, err := secretbox.NewReader(src, kr, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		t4 := ratioClock()
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
		t5 := ratioClock()
		rawEnc, streamEnc, rawDec, streamDec = rawEnc+t1-t0, streamEnc+t2-t1, rawDec+t3-t2, streamDec+t4-t3
		pullDec += t5 - t4
	}
	b.ReportMetric(100*float64(rawEnc)/float64(streamEnc), "enc-%-of-raw")
	b.ReportMetric(100*float64(rawDec)/float64(streamDec), "dec-%-of-raw")
	b.ReportMetric(100*float64(rawDec)/float64(pullDec), "dec-pull-%-of-raw")
}

// ratioClock is the calling thread's CPU time where the platform has that clock, else wall
// time: the ratios of BenchmarkStreamVsRaw hold with either, CPU time being steadier on a busy
// machine.
func ratioClock() time.Duration {
	if t := cputime.Thread(); t > 0 {
		return t
	}
	return time.Duration(time.Now().UnixNano())
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
			loopCPU(b, int64(size), func() {
				if _, err := f.Encrypt(msg); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("decrypt/"+name, func(b *testing.B) {
			loopCPU(b, int64(size), func() {
				if _, err := f.Decrypt(tok); err != nil {
					b.Fatal(err)
				}
			})
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
			loopCPU(b, 0, func() {
				if _, _, err := ring.Open(sealed, []byte("ad")); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkKeyringSeal(b *testing.B) {
	ring := mustKeyring(b, mustKey(b))
	msg := make([]byte, 64)
	loopCPU(b, 64, func() {
		if _, err := ring.Seal(msg, []byte("ad")); err != nil {
			b.Fatal(err)
		}
	})
}
