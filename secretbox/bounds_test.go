package secretbox_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/secretbox"
)

// slack absorbs what the runtime and the testing package allocate in the background while
// allocated measures (TotalAlloc is process-wide).
const slack = 1024

// allocated returns the average number of bytes f allocates per run.
func allocated(runs int, f func()) uint64 {
	f() // warm up pools and lazily initialised state
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// TestHostileInputBounded feeds each decoder input that fails authentication and checks the
// documented allocation bound: nothing before authentication beyond the input's own size (a
// sealed message or Fernet token) or the fixed header sizes (streams); in particular no 64 KiB
// chunk buffer and no KDF memory for a stream whose header is not authentic.
func TestHostileInputBounded(t *testing.T) {
	k := mustKey(t)
	ring := mustKeyring(t, k)
	const runs = 50

	t.Run("Open", func(t *testing.T) {
		sealed, _ := ring.Seal(make([]byte, 1000), nil)
		unknownID := bytes.Clone(sealed)
		binary.BigEndian.PutUint32(unknownID[1:5], k.ID()+1)
		tampered := bytes.Clone(sealed)
		tampered[len(tampered)-1] ^= 1
		for name, tc := range map[string]struct {
			in  []byte
			max uint64
		}{
			"unknown key ID": {unknownID, 0},
			"bad version":    {append([]byte{2}, sealed[1:]...), 0},
			"short":          {sealed[:44], 0},
			// The output buffer (its own length) is allocated before the tag is checked.
			"bad tag": {tampered, uint64(len(tampered)) + 64},
		} {
			var err error
			got := allocated(runs, func() { _, _, err = ring.Open(tc.in, nil) })
			if !errors.Is(err, secretbox.ErrAuth) {
				t.Errorf("%s: Open = %v, want ErrAuth", name, err)
			}
			if got > tc.max+slack {
				t.Errorf("%s: Open allocated %d bytes, want at most %d", name, got, tc.max)
			}
		}
	})

	t.Run("NewReader", func(t *testing.T) {
		ct := encryptStream(t, ring, make([]byte, 3*chunk), nil)
		wrongKey := bytes.Clone(ct)
		binary.BigEndian.PutUint32(wrongKey[22:26], k.ID()+1)
		badTag := bytes.Clone(ct)
		badTag[keyringHeader-1] ^= 1
		badMagic := bytes.Clone(ct)
		badMagic[0] = 'X'
		for name, in := range map[string][]byte{"unknown key ID": wrongKey, "bad header tag": badTag, "bad magic": badMagic, "truncated header": ct[:50]} {
			var err error
			got := allocated(runs, func() { _, err = secretbox.NewReader(bytes.NewReader(in), ring, nil) })
			if !errors.Is(err, secretbox.ErrAuth) {
				t.Errorf("%s: NewReader = %v, want ErrAuth", name, err)
			}
			if got > 1024 {
				t.Errorf("%s: NewReader allocated %d bytes for a header it refused, want at most 1 KiB", name, got)
			}
		}
		// An authentic header followed by a forged body: one chunk buffer, however long the body.
		forged := append(bytes.Clone(ct[:keyringHeader]), make([]byte, 64*encChunk)...)
		var err error
		got := allocated(10, func() {
			r, e := secretbox.NewReader(bytes.NewReader(forged), ring, nil)
			if e == nil {
				_, e = io.Copy(io.Discard, r)
			}
			err = e
		})
		if !errors.Is(err, secretbox.ErrAuth) {
			t.Errorf("forged body: %v, want ErrAuth", err)
		}
		if got > encChunk+16<<10 {
			t.Errorf("forged body of 64 chunks: allocated %d bytes, want about one chunk (%d)", got, encChunk)
		}
	})

	// A Fernet token allocates at most its own length (the decoded token) before it is refused.
	t.Run("Fernet", func(t *testing.T) {
		fk, _ := secretbox.GenerateFernetKey(nil)
		f := secretbox.NewFernet(fk)
		tok, _ := f.Encrypt(make([]byte, 4096))
		forged := bytes.Clone(tok)
		forged[100] ^= 1 // still valid base64 of the same length? keep it in the alphabet
		if forged[100] == '-' || forged[100] == '_' || !isB64(forged[100]) {
			forged[100] = 'A'
		}
		for name, tc := range map[string]struct {
			in  []byte
			max uint64
		}{
			"not base64":    {append([]byte("!"), tok[1:]...), uint64(len(tok))},
			"bad length":    {tok[:len(tok)-1], 0},
			"newline":       {append(bytes.Clone(tok[:len(tok)-4]), '\n', 'A', 'A', '='), uint64(len(tok))},
			"forged MAC":    {forged, uint64(len(forged)) + 64},
			"other key MAC": {mustToken(t, 4096), uint64(len(tok)) + 64},
		} {
			var err error
			got := allocated(runs, func() { _, err = f.Decrypt(tc.in) })
			if !errors.Is(err, secretbox.ErrAuth) {
				t.Errorf("%s: Decrypt = %v, want ErrAuth", name, err)
			}
			if got > tc.max+slack {
				t.Errorf("%s: Decrypt allocated %d bytes, want at most %d", name, got, tc.max)
			}
		}
	})
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func mustToken(t *testing.T, n int) []byte {
	t.Helper()
	fk, _ := secretbox.GenerateFernetKey(nil)
	tok, err := secretbox.NewFernet(fk).Encrypt(make([]byte, n))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestNoGoroutineLeak runs every operation, including Argon2id with several threads, and checks
// that no goroutine outlives it: the package starts none of its own.
func TestNoGoroutineLeak(t *testing.T) {
	check := testenv.CheckGoroutines(t)
	ring := mustKeyring(t, mustKey(t))
	pass := secretbox.NewPassphrase([]byte("pw"))
	pass.KDF = secretbox.KDF{Time: 1, Memory: 256, Threads: 4}
	for _, w := range []secretbox.Wrapper{ring, pass} {
		pt := pattern(2*chunk + 5)
		ct := encryptStream(t, w, pt, []byte("ad"))
		if got, err := decryptStream(w, ct, []byte("ad")); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("round trip: %v", err)
		}
		r, err := secretbox.NewReader(bytes.NewBuffer(ct), w, []byte("ad"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Fatal(err)
		}
		// Abandoned half-way: nothing may keep running for it.
		r, err = secretbox.NewReader(bytes.NewReader(ct), w, []byte("ad"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(t.TempDir(), "f")
		if err := secretbox.EncryptFile(name, bytes.NewReader(pt), w, nil); err != nil {
			t.Fatal(err)
		}
		if err := secretbox.DecryptFile(name, io.Discard, w, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(name); err != nil {
			t.Fatal(err)
		}
	}
	sealed, _ := ring.Seal([]byte("x"), nil)
	if _, _, err := ring.Open(sealed, nil); err != nil {
		t.Fatal(err)
	}
	fk, _ := secretbox.GenerateFernetKey(nil)
	f := secretbox.NewFernet(fk)
	tok, _ := f.Encrypt([]byte("x"))
	if _, err := f.DecryptTTL(tok, time.Hour); err != nil {
		t.Fatal(err)
	}
	check()
}
