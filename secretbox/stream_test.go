package secretbox_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/rampart-go/rampart/secretbox"
)

const chunk = 64 << 10

// Header sizes (FORMAT.md): 22-byte prefix plus the wrap section.
const (
	keyringHeader    = 22 + 76
	passphraseHeader = 22 + 97
	encChunk         = chunk + 16
)

func encryptStream(t testing.TB, w secretbox.Wrapper, pt, ad []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	sw, err := secretbox.NewWriter(&buf, w, ad)
	if err != nil {
		t.Fatal(err)
	}
	// Write in uneven pieces to exercise buffering.
	for rest := pt; len(rest) > 0; {
		n := min(len(rest), 1000+len(rest)%7919)
		if m, err := sw.Write(rest[:n]); err != nil || m != n {
			t.Fatalf("Write = %d, %v", m, err)
		}
		rest = rest[n:]
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Write([]byte("x")); !errors.Is(err, secretbox.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if err := sw.Close(); !errors.Is(err, secretbox.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	return buf.Bytes()
}

func decryptStream(w secretbox.Wrapper, ct, ad []byte) ([]byte, error) {
	r, err := secretbox.NewReader(bytes.NewReader(ct), w, ad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestStreamRoundTrip(t *testing.T) {
	kr := mustKeyring(t, mustKey(t))
	sizes := []int{0, 1, 100, chunk - 1, chunk, chunk + 1, 2 * chunk, 3*chunk + 17}
	wrappers := map[string]secretbox.Wrapper{
		"keyring":  kr,
		"argon2id": fastPassphrase("correct horse", false),
		"scrypt":   fastPassphrase("correct horse", true),
	}
	for name, w := range wrappers {
		for _, n := range sizes {
			pt := pattern(n)
			ct := encryptStream(t, w, pt, []byte("file.txt"))
			hdr := keyringHeader
			if name != "keyring" {
				hdr = passphraseHeader
			}
			chunks := max(1, (n+chunk-1)/chunk)
			if want := hdr + n + 16*chunks; len(ct) != want {
				t.Errorf("%s/%d: ciphertext is %d bytes, want %d", name, n, len(ct), want)
			}
			got, err := decryptStream(w, ct, []byte("file.txt"))
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%s/%d: decrypt = %d bytes, %v", name, n, len(got), err)
			}
			// One byte at a time through a reader that returns short reads.
			r, err := secretbox.NewReader(iotest.OneByteReader(bytes.NewReader(ct)), w, []byte("file.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(iotest.OneByteReader(r)); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%s/%d: one-byte decrypt = %d bytes, %v", name, n, len(got), err)
			}
			if _, err := decryptStream(w, ct, []byte("other.txt")); !errors.Is(err, secretbox.ErrAuth) {
				t.Errorf("%s/%d: wrong ad = %v, want ErrAuth", name, n, err)
			}
		}
	}
	if _, err := decryptStream(fastPassphrase("wrong", false), encryptStream(t, fastPassphrase("right", false), []byte("x"), nil), nil); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("wrong passphrase = %v, want ErrAuth", err)
	}
	if _, err := decryptStream(kr, encryptStream(t, fastPassphrase("p", false), []byte("x"), nil), nil); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("keyring on a passphrase stream = %v, want ErrAuth", err)
	}
}

func TestStreamTamper(t *testing.T) {
	kr := mustKeyring(t, mustKey(t))
	ad := []byte("ad")
	check := func(t *testing.T, what string, ct []byte) {
		t.Helper()
		got, err := decryptStream(kr, ct, ad)
		if !errors.Is(err, secretbox.ErrAuth) {
			t.Fatalf("%s: decrypt = %d bytes, %v; want ErrAuth", what, len(got), err)
		}
		// The same through io.Copy (Reader.WriteTo), from a bytes.Buffer and from a plain reader.
		for _, src := range []io.Reader{bytes.NewBuffer(ct), struct{ io.Reader }{bytes.NewReader(ct)}} {
			r, err := secretbox.NewReader(src, kr, ad)
			if err == nil {
				_, err = io.Copy(io.Discard, r)
			}
			if !errors.Is(err, secretbox.ErrAuth) {
				t.Fatalf("%s: io.Copy = %v; want ErrAuth", what, err)
			}
		}
	}
	flip := func(ct []byte, bit int) []byte {
		m := bytes.Clone(ct)
		m[bit/8] ^= 1 << (bit % 8)
		return m
	}

	t.Run("every bit of a one-chunk stream", func(t *testing.T) {
		ct := encryptStream(t, kr, []byte("a short secret"), ad)
		for bit := range len(ct) * 8 {
			check(t, "flip", flip(ct, bit))
		}
		for n := range len(ct) {
			check(t, "truncate", ct[:n])
		}
		check(t, "append", append(bytes.Clone(ct), 0))
	})

	t.Run("every bit of the header of a passphrase stream", func(t *testing.T) {
		p := fastPassphrase("pw", false)
		ct := encryptStream(t, p, []byte("x"), ad)
		for bit := range passphraseHeader * 8 {
			_, err := decryptStream(p, flip(ct, bit), ad)
			if !errors.Is(err, secretbox.ErrAuth) {
				t.Fatalf("bit %d: %v, want ErrAuth", bit, err)
			}
		}
	})

	ct := encryptStream(t, kr, pattern(3*chunk+100), ad)
	body := ct[keyringHeader:]
	t.Run("bits around every chunk boundary", func(t *testing.T) {
		for c := range 4 {
			start := keyringHeader + c*encChunk
			for _, off := range []int{0, 1, 15, 16, 17, chunk, chunk + 15, -1, -16, -17} {
				pos := start + off
				if pos < keyringHeader || pos >= len(ct) {
					continue
				}
				for bit := range 8 {
					check(t, "flip", flip(ct, pos*8+bit))
				}
			}
		}
	})
	t.Run("truncation", func(t *testing.T) {
		for c := 0; c <= 4; c++ {
			boundary := keyringHeader + c*encChunk
			for _, off := range []int{-17, -16, -1, 0, 1, 16, 17, 1000} {
				n := boundary + off
				if n < 0 || n >= len(ct) {
					continue
				}
				check(t, "truncate", ct[:n])
			}
		}
		check(t, "header only", ct[:keyringHeader])
	})
	t.Run("reorder, duplicate, drop, append", func(t *testing.T) {
		hdr := ct[:keyringHeader]
		c := func(i int) []byte { return body[i*encChunk : min(len(body), (i+1)*encChunk)] }
		join := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{hdr}, parts...), nil) }
		check(t, "swap 0,1", join(c(1), c(0), c(2), c(3)))
		check(t, "duplicate 1", join(c(0), c(1), c(1), c(2), c(3)))
		check(t, "drop 1", join(c(0), c(2), c(3)))
		check(t, "drop last", join(c(0), c(1), c(2)))
		check(t, "last twice", join(c(0), c(1), c(2), c(3), c(3)))
		check(t, "trailing byte", append(bytes.Clone(ct), 0))
		check(t, "trailing chunk", join(c(0), c(1), c(2), c(3), c(0)))
		// A chunk from another stream under the same keyring.
		other := encryptStream(t, kr, pattern(3*chunk+100), ad)[keyringHeader:]
		check(t, "foreign chunk", join(c(0), other[encChunk:2*encChunk], c(2), c(3)))
	})
	t.Run("no plaintext from an unauthenticated chunk", func(t *testing.T) {
		m := flip(ct, (keyringHeader+encChunk+10)*8) // inside the second chunk
		r, err := secretbox.NewReader(bytes.NewReader(m), kr, ad)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if !errors.Is(err, secretbox.ErrAuth) || len(got) != chunk {
			t.Fatalf("ReadAll = %d bytes, %v; want exactly the first chunk and ErrAuth", len(got), err)
		}
		if _, err := r.Read(make([]byte, 1)); !errors.Is(err, secretbox.ErrAuth) {
			t.Errorf("Read after failure = %v; errors must be sticky", err)
		}
		r, _ = secretbox.NewReader(bytes.NewReader(m), kr, ad)
		var out bytes.Buffer
		if n, err := io.Copy(&out, r); !errors.Is(err, secretbox.ErrAuth) || n != chunk || out.Len() != chunk {
			t.Fatalf("io.Copy = %d bytes, %v; want exactly the first chunk and ErrAuth", n, err)
		}
		if _, err := r.Read(make([]byte, 1)); !errors.Is(err, secretbox.ErrAuth) {
			t.Errorf("Read after a failed WriteTo = %v; errors must be sticky", err)
		}
	})
}

func TestRewrap(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	before := mustKeyring(t, oldKey)
	after := mustKeyring(t, newKey, oldKey)
	pt := pattern(2*chunk + 5)
	ct := encryptStream(t, before, pt, []byte("ad"))

	r, err := secretbox.NewReader(bytes.NewReader(ct), after, []byte("ad"))
	if err != nil || !r.Stale() {
		t.Fatalf("NewReader after rotation: stale %v, %v; want stale", r != nil && r.Stale(), err)
	}
	var out bytes.Buffer
	if err := secretbox.Rewrap(&out, bytes.NewReader(ct), after, after, []byte("ad")); err != nil {
		t.Fatal(err)
	}
	re := out.Bytes()
	if !bytes.Equal(re[keyringHeader:], ct[keyringHeader:]) {
		t.Error("Rewrap changed the body")
	}
	r, err = secretbox.NewReader(bytes.NewReader(re), after, []byte("ad"))
	if err != nil || r.Stale() {
		t.Fatalf("NewReader(rewrapped): stale %v, %v", r != nil && r.Stale(), err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("rewrapped stream = %d bytes, %v", len(got), err)
	}
	if _, err := decryptStream(mustKeyring(t, newKey), re, []byte("ad")); err != nil {
		t.Errorf("new key alone cannot read the rewrapped stream: %v", err)
	}
	if _, err := decryptStream(before, re, []byte("ad")); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("old keyring reads the rewrapped stream: %v", err)
	}

	// Changing a passphrase rewrites only the header, and the old one stops working.
	p1, p2 := fastPassphrase("old pass", false), fastPassphrase("new pass", true)
	pct := encryptStream(t, p1, pt, nil)
	out.Reset()
	if err := secretbox.Rewrap(&out, bytes.NewReader(pct), p1, p2, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes()[passphraseHeader:], pct[passphraseHeader:]) {
		t.Error("passphrase Rewrap changed the body")
	}
	if got, err := decryptStream(p2, out.Bytes(), nil); err != nil || !bytes.Equal(got, pt) {
		t.Errorf("new passphrase: %d bytes, %v", len(got), err)
	}
	if _, err := decryptStream(p1, out.Bytes(), nil); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("old passphrase after change = %v, want ErrAuth", err)
	}
	// Passphrase to keyring and back.
	out.Reset()
	if err := secretbox.Rewrap(&out, bytes.NewReader(pct), p1, after, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := decryptStream(after, out.Bytes(), nil); err != nil || !bytes.Equal(got, pt) {
		t.Errorf("passphrase to keyring: %d bytes, %v", len(got), err)
	}
	if err := secretbox.Rewrap(io.Discard, bytes.NewReader(pct), p2, p1, nil); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("Rewrap with the wrong from = %v, want ErrAuth", err)
	}
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

var errWrite = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestStreamWriteErrors(t *testing.T) {
	kr := mustKeyring(t, mustKey(t))
	if _, err := secretbox.NewWriter(&failWriter{}, kr, nil); !errors.Is(err, errWrite) {
		t.Errorf("NewWriter on a failing writer = %v", err)
	}
	sw, err := secretbox.NewWriter(&failWriter{n: keyringHeader}, kr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Write(pattern(3 * chunk)); !errors.Is(err, errWrite) {
		t.Errorf("Write = %v, want the underlying error", err)
	}
	if err := sw.Close(); !errors.Is(err, errWrite) {
		t.Errorf("Close after a failed Write = %v, want the sticky error", err)
	}
	if _, err := secretbox.NewWriter(io.Discard, nil, nil); err == nil {
		t.Error("NewWriter with a nil Wrapper succeeded")
	}
	r := iotest.ErrReader(errWrite)
	if _, err := secretbox.NewReader(r, kr, nil); !errors.Is(err, errWrite) {
		t.Errorf("NewReader on a failing reader = %v, want the I/O error", err)
	}
	// A failing destination stops WriteTo with its error, in both the pull and the push paths.
	ct := encryptStream(t, kr, pattern(3*chunk), nil)
	for _, src := range []io.Reader{bytes.NewReader(ct), struct{ io.Reader }{bytes.NewReader(ct)}} {
		sr, err := secretbox.NewReader(src, kr, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sr.WriteTo(&failWriter{n: chunk + 5}); !errors.Is(err, errWrite) {
			t.Errorf("WriteTo a failing writer = %v, want its error", err)
		}
	}
}

// TestStreamCopyPaths checks that io.Copy through the writer's ReadFrom and the reader's
// WriteTo produces the same bytes as plain Write and Read, for sizes around chunk boundaries
// and sources that return short reads.
func TestStreamCopyPaths(t *testing.T) {
	k := mustKey(t)
	for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 2*chunk + 1} {
		pt := pattern(n)
		viaWrite := mustKeyring(t, k)
		viaWrite.Rand = &countReader{next: 9}
		want := encryptStream(t, viaWrite, pt, nil)

		for name, src := range map[string]io.Reader{
			"bytes":    bytes.NewReader(pt),
			"one-byte": iotest.OneByteReader(bytes.NewReader(pt)),
			"plain":    struct{ io.Reader }{bytes.NewReader(pt)}, // no WriteTo: io.Copy uses ReadFrom
			"half":     iotest.HalfReader(bytes.NewReader(pt)),
			"data-eof": iotest.DataErrReader(bytes.NewReader(pt)),
		} {
			kr := mustKeyring(t, k)
			kr.Rand = &countReader{next: 9}
			var buf bytes.Buffer
			w, err := secretbox.NewWriter(&buf, kr, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m, err := io.Copy(w, src); err != nil || m != int64(n) {
				t.Fatalf("%d/%s: io.Copy = %d, %v", n, name, m, err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("%d/%s: ReadFrom output differs from Write output", n, name)
			}
		}
		for name, src := range map[string]func() io.Reader{
			"bytes.Reader": func() io.Reader { return bytes.NewReader(want) },
			"bytes.Buffer": func() io.Reader { return bytes.NewBuffer(bytes.Clone(want)) },
			"plain":        func() io.Reader { return struct{ io.Reader }{bytes.NewReader(want)} },
		} {
			// io.Copy from the start, and after a few bytes were taken with Read.
			for _, first := range []int{0, 1, 10, chunk, chunk + 1} {
				r, err := secretbox.NewReader(src(), mustKeyring(t, k), nil)
				if err != nil {
					t.Fatal(err)
				}
				head := make([]byte, min(first, n))
				if _, err := io.ReadFull(r, head); err != nil {
					t.Fatal(err)
				}
				out := bytes.NewBuffer(head)
				if m, err := io.Copy(out, r); err != nil || m != int64(n-len(head)) || !bytes.Equal(out.Bytes(), pt) {
					t.Fatalf("%d/%s/%d: io.Copy from Reader = %d, %v", n, name, first, m, err)
				}
				if m, err := r.Read(make([]byte, 1)); m != 0 || err != io.EOF { //nolint:errorlint // io.EOF is returned unwrapped
					t.Fatalf("%d/%s: Read after WriteTo = %d, %v; want io.EOF", n, name, m, err)
				}
			}
		}
		if n > 0 {
			r, _ := secretbox.NewReader(bytes.NewReader(want[:len(want)-1]), mustKeyring(t, k), nil)
			if _, err := io.Copy(io.Discard, r); !errors.Is(err, secretbox.ErrAuth) {
				t.Errorf("%d: io.Copy of a truncated stream = %v, want ErrAuth", n, err)
			}
		}
	}
	// ReadFrom passes a source's error through, and the writer stays usable only via Close's error.
	kr := mustKeyring(t, k)
	w, _ := secretbox.NewWriter(io.Discard, kr, nil)
	if _, err := io.Copy(w, iotest.ErrReader(errWrite)); !errors.Is(err, errWrite) {
		t.Errorf("io.Copy from a failing source = %v", err)
	}
}

// TestRewrapKeepsDataKey backs the documented limit of Rewrap: the data key does not change, so
// the old header (kept in a backup, say) still opens the rewrapped body with the old passphrase.
func TestRewrapKeepsDataKey(t *testing.T) {
	old, cur := fastPassphrase("old", false), fastPassphrase("new", false)
	pt := pattern(chunk + 10)
	ct := encryptStream(t, old, pt, nil)
	var rewrapped bytes.Buffer
	if err := secretbox.Rewrap(&rewrapped, bytes.NewReader(ct), old, cur, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := decryptStream(old, rewrapped.Bytes(), nil); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("old passphrase on the new header = %v, want ErrAuth", err)
	}
	spliced := append(bytes.Clone(ct[:passphraseHeader]), rewrapped.Bytes()[passphraseHeader:]...)
	if got, err := decryptStream(old, spliced, nil); err != nil || !bytes.Equal(got, pt) {
		t.Errorf("old header + rewrapped body = %v; the data key was expected to be unchanged", err)
	}
}

// shortWriter takes at most max bytes of each Write and reports no error. It breaks the
// io.Writer contract; the stream code must report io.ErrShortWrite, as io.Copy does, rather than
// drop the rest of the data silently.
type shortWriter struct {
	max int
	bytes.Buffer
}

func (w *shortWriter) Write(p []byte) (int, error) { return w.Buffer.Write(p[:min(len(p), w.max)]) }

// TestStreamShortWrites: a destination that writes less than it was given, without an error,
// fails every writing path with io.ErrShortWrite, and the writer's error is sticky.
func TestStreamShortWrites(t *testing.T) {
	kr := mustKeyring(t, mustKey(t))
	pt := pattern(3*chunk + 5)
	newWriter := func(t *testing.T, dst io.Writer) io.WriteCloser {
		t.Helper()
		w, err := secretbox.NewWriter(dst, kr, nil)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	tests := []struct {
		name string
		max  int
		run  func(t *testing.T, dst io.Writer) []error // the errors of each call, in order
	}{
		{"NewWriter header", 10, func(_ *testing.T, dst io.Writer) []error {
			_, err := secretbox.NewWriter(dst, kr, nil)
			return []error{err}
		}},
		{"Write", 1000, func(t *testing.T, dst io.Writer) []error {
			w := newWriter(t, dst)
			_, err1 := w.Write(pt)
			err2 := w.Close()
			_, err3 := w.Write([]byte("x"))
			return []error{err1, err2, err3}
		}},
		{"ReadFrom", 1000, func(t *testing.T, dst io.Writer) []error {
			w := newWriter(t, dst)
			_, err1 := io.Copy(w, struct{ io.Reader }{bytes.NewReader(pt)}) // no WriteTo: uses ReadFrom
			return []error{err1, w.Close()}
		}},
		{"Close", 1000, func(t *testing.T, dst io.Writer) []error {
			w := newWriter(t, dst)
			if _, err := w.Write(pt[:5000]); err != nil { // buffered: nothing written yet
				t.Fatal(err)
			}
			return []error{w.Close(), w.Close()}
		}},
		{"Rewrap header", 50, func(t *testing.T, dst io.Writer) []error {
			// The 98-byte header is cut short; the 21-byte body would be written whole.
			small := encryptStream(t, kr, []byte("hello"), nil)
			return []error{secretbox.Rewrap(dst, bytes.NewReader(small), kr, kr, nil)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, err := range tt.run(t, &shortWriter{max: tt.max}) {
				if !errors.Is(err, io.ErrShortWrite) {
					t.Errorf("%s, call %d, to a writer of at most %d bytes a call = %v, want io.ErrShortWrite", tt.name, i+1, tt.max, err)
				}
			}
		})
	}
}

// TestStreamWriteToShortWrite: the reader's WriteTo (io.Copy's fast path) reports
// io.ErrShortWrite to a destination that writes less than it was given, from an in-memory source
// (chunks pushed from the source's memory) and from any other reader (chunks pulled); what the
// destination did take is a prefix of the plaintext.
func TestStreamWriteToShortWrite(t *testing.T) {
	kr := mustKeyring(t, mustKey(t))
	pt := pattern(3*chunk + 5)
	ct := encryptStream(t, kr, pt, nil)
	for name, src := range map[string]func() io.Reader{
		"bytes.Reader": func() io.Reader { return bytes.NewReader(ct) },
		"bytes.Buffer": func() io.Reader { return bytes.NewBuffer(bytes.Clone(ct)) },
		"plain":        func() io.Reader { return struct{ io.Reader }{bytes.NewReader(ct)} },
	} {
		t.Run(name, func(t *testing.T) {
			r, err := secretbox.NewReader(src(), kr, nil)
			if err != nil {
				t.Fatal(err)
			}
			dst := &shortWriter{max: 1000}
			n, err := io.Copy(dst, r)
			if !errors.Is(err, io.ErrShortWrite) {
				t.Errorf("io.Copy(writer of at most 1000 bytes a call, Reader) = %d, %v; want io.ErrShortWrite", n, err)
			}
			if got := dst.Bytes(); int64(len(got)) != n || !bytes.HasPrefix(pt, got) {
				t.Errorf("io.Copy = %d; the destination holds %d bytes, want that many bytes of the plaintext", n, len(got))
			}
		})
	}
}
