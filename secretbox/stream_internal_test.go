package secretbox

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestStreamCounterLimit drives the writer and the reader to the last chunk index the format
// allows (2^64-2): a stream can never reuse a nonce by wrapping its counter around.
func TestStreamCounterLimit(t *testing.T) {
	k, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	wc, err := NewWriter(&out, ring, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := wc.(*writer)
	w.counter = 1<<64 - 2 // one chunk index left
	if _, err := w.Write(make([]byte, chunkSize)); err != nil {
		t.Fatal(err)
	}
	// More data makes the full chunk a middle chunk (index 2^64-2); the final chunk would then
	// need index 2^64-1, which is refused, so Close fails and every later call too.
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close sealed a chunk with counter 2^64-1")
	}
	if _, err := w.Write([]byte("y")); err == nil {
		t.Fatal("Write succeeded after the counter ran out")
	}

	// A stream whose last chunk has index 2^64-2 still reads; one more chunk is refused.
	var enc bytes.Buffer
	wc, err = NewWriter(&enc, ring, nil)
	if err != nil {
		t.Fatal(err)
	}
	wc.(*writer).counter = 1<<64 - 2
	if _, err := wc.Write([]byte("last")); err != nil {
		t.Fatal(err)
	}
	if err := wc.Close(); err != nil {
		t.Fatal(err)
	}
	for _, start := range []uint64{1<<64 - 2, 1<<64 - 1} {
		r, err := NewReader(bytes.NewReader(enc.Bytes()), ring, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.counter = start
		got, err := io.ReadAll(r)
		if start == 1<<64-2 && (err != nil || string(got) != "last") {
			t.Errorf("reading the chunk with index 2^64-2 = %q, %v", got, err)
		}
		if start == 1<<64-1 && !errors.Is(err, ErrAuth) {
			t.Errorf("reading at counter 2^64-1 = %v, want ErrAuth", err)
		}
	}
}

// TestReaderNotFromNewReader: a nil *Reader and the zero Reader fail closed, with errZeroReader
// from Read and WriteTo and false from Stale, instead of panicking.
func TestReaderNotFromNewReader(t *testing.T) {
	for name, r := range map[string]*Reader{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			if n, err := r.Read(make([]byte, 8)); n != 0 || !errors.Is(err, errZeroReader) {
				t.Errorf("Read = %d, %v; want 0, errZeroReader", n, err)
			}
			var out bytes.Buffer
			if n, err := r.WriteTo(&out); n != 0 || out.Len() != 0 || !errors.Is(err, errZeroReader) {
				t.Errorf("WriteTo = %d, %v; want 0, errZeroReader", n, err)
			}
			if n, err := io.Copy(&out, r); n != 0 || !errors.Is(err, errZeroReader) {
				t.Errorf("io.Copy = %d, %v; want 0, errZeroReader", n, err)
			}
			if r.Stale() {
				t.Error("Stale() = true, want false")
			}
		})
	}
}
