package secretbox_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/rampart-go/rampart/secretbox"
)

// Offsets in a passphrase stream header (FORMAT.md).
const (
	offType   = 21
	offParams = 22
)

// hostile returns a copy of a passphrase stream whose KDF parameters are replaced.
func hostile(ct []byte, typ byte, params []byte) []byte {
	m := bytes.Clone(ct)
	m[offType] = typ
	copy(m[offParams:offParams+9], params)
	return m
}

func argonParams(time, memKiB uint32, threads uint8) []byte {
	b := binary.BigEndian.AppendUint32(nil, time)
	b = binary.BigEndian.AppendUint32(b, memKiB)
	return append(b, threads)
}

func scryptParams(logN uint8, r, p uint32) []byte {
	b := append([]byte(nil), logN)
	b = binary.BigEndian.AppendUint32(b, r)
	return binary.BigEndian.AppendUint32(b, p)
}

func TestPassphraseLimits(t *testing.T) {
	p := fastPassphrase("pw", false)
	ct := encryptStream(t, p, []byte("data"), nil)
	tests := []struct {
		name   string
		typ    byte
		params []byte
	}{
		{"argon2id 4 GiB", 2, argonParams(1, 4<<20, 1)},
		{"argon2id 257 MiB", 2, argonParams(1, 256<<10+1, 1)},
		{"argon2id 2^32-1 passes", 2, argonParams(1<<32-1, 64, 1)},
		{"argon2id 11 passes", 2, argonParams(11, 64, 1)},
		{"argon2id 0 passes", 2, argonParams(0, 64, 1)},
		{"argon2id 0 threads", 2, argonParams(1, 64, 0)},
		{"argon2id 255 threads", 2, argonParams(1, 4096, 255)},
		{"argon2id memory below 8*threads", 2, argonParams(1, 8, 2)},
		{"scrypt N=2^40", 3, scryptParams(40, 8, 1)},
		{"scrypt N=2^19 r=8 (512 MiB)", 3, scryptParams(19, 8, 1)},
		{"scrypt logN 0", 3, scryptParams(0, 8, 1)},
		{"scrypt logN 255", 3, scryptParams(255, 8, 1)},
		{"scrypt r huge", 3, scryptParams(10, 1<<31, 1)},
		{"scrypt p huge", 3, scryptParams(10, 8, 1<<31)},
		{"scrypt r 0", 3, scryptParams(10, 0, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := decryptStream(p, hostile(ct, tt.typ, tt.params), nil)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, secretbox.ErrKDFLimit) || !errors.Is(err, secretbox.ErrAuth) {
				t.Fatalf("decrypt = %v, want ErrKDFLimit and ErrAuth", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Errorf("a refused header allocated %d bytes", grew)
			}
		})
	}

	// A caller may lower the cap below what a header asks for.
	strict := fastPassphrase("pw", false)
	strict.MaxMemory = 32
	if _, err := decryptStream(strict, ct, nil); !errors.Is(err, secretbox.ErrKDFLimit) {
		t.Errorf("MaxMemory below the header's 64 KiB = %v, want ErrKDFLimit", err)
	}
	// A floor refuses cheap headers, Argon2id and scrypt alike, and accepts the header at it.
	floor := fastPassphrase("pw", false)
	floor.MinMemory = 128
	if _, err := decryptStream(floor, ct, nil); !errors.Is(err, secretbox.ErrKDFLimit) || !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("MinMemory above the header's 64 KiB = %v, want ErrKDFLimit and ErrAuth", err)
	}
	if _, err := decryptStream(floor, hostile(ct, 3, scryptParams(4, 8, 1)), nil); !errors.Is(err, secretbox.ErrKDFLimit) {
		t.Errorf("MinMemory 128 KiB against a 16 KiB scrypt header = %v, want ErrKDFLimit", err)
	}
	floor.MinMemory = 64
	if got, err := decryptStream(floor, ct, nil); err != nil || len(got) == 0 {
		t.Errorf("MinMemory at the header's 64 KiB = %d bytes, %v; want the plaintext", len(got), err)
	}
	// Within the caps, other parameters are accepted and fail only on authentication.
	for _, hp := range []struct {
		typ    byte
		params []byte
	}{{2, argonParams(2, 128, 2)}, {3, scryptParams(4, 8, 1)}} {
		if _, err := decryptStream(p, hostile(ct, hp.typ, hp.params), nil); !errors.Is(err, secretbox.ErrAuth) || errors.Is(err, secretbox.ErrKDFLimit) {
			t.Errorf("params %x within the caps: %v, want plain ErrAuth", hp.params, err)
		}
	}

	// Writing parameters above the caps is refused too, so we never write what we cannot read.
	big := secretbox.NewPassphrase([]byte("pw"))
	big.KDF = secretbox.KDF{Memory: 512 << 10}
	if _, err := secretbox.NewWriter(&bytes.Buffer{}, big, nil); !errors.Is(err, secretbox.ErrKDFLimit) {
		t.Errorf("NewWriter with 512 MiB = %v, want ErrKDFLimit", err)
	}
}

func TestPassphraseDefaults(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the default KDF costs 64-128 MiB and seconds under -short or the race detector")
	}
	for _, scrypt := range []bool{false, true} {
		p := secretbox.NewPassphrase([]byte("correct horse battery staple"))
		p.KDF.Scrypt = scrypt
		ct := encryptStream(t, p, []byte("data"), nil)
		// The header records the defaults: argon2id t=3 m=64 MiB p=4, or scrypt N=2^17 r=8 p=1.
		want := argonParams(3, 64<<10, 4)
		if scrypt {
			want = scryptParams(17, 8, 1)
		}
		if got := ct[offParams : offParams+9]; !bytes.Equal(got, want) {
			t.Errorf("scrypt=%v: header params %x, want %x", scrypt, got, want)
		}
		q := secretbox.NewPassphrase([]byte("correct horse battery staple"))
		if got, err := decryptStream(q, ct, nil); err != nil || string(got) != "data" {
			t.Errorf("scrypt=%v: decrypt = %q, %v", scrypt, got, err)
		}
	}
}

func TestPassphraseRedacted(t *testing.T) {
	p := secretbox.NewPassphrase([]byte("hunter2-hunter2-hunter2"))
	assertRedacted(t, p, "hunter2-hunter2-hunter2")
	assertRedacted(t, *p, "hunter2-hunter2-hunter2")
}

func TestPassphraseSaltIsFresh(t *testing.T) {
	p := fastPassphrase("pw", false)
	a := encryptStream(t, p, []byte("same"), nil)
	b := encryptStream(t, p, []byte("same"), nil)
	if bytes.Equal(a[offParams+9:offParams+25], b[offParams+9:offParams+25]) {
		t.Error("two headers share a KDF salt")
	}
}
