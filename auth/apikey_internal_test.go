package auth

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestNewAPIKeyRejectionSampling feeds bytes that a biased modulo would map to characters and
// checks they are skipped: 248..255 must never be used.
func TestNewAPIKeyRejectionSampling(t *testing.T) {
	var src []byte
	for range 64 {
		src = append(src, 248, 249, 250, 251, 252, 253, 254, 255, 61, 0)
	}
	key, _, err := newAPIKey(bytes.NewReader(src), "rk")
	if err != nil {
		t.Fatal(err)
	}
	want := "rk_" + strings.Repeat("z0", 16)
	if !strings.HasPrefix(key, want+"_") {
		t.Errorf("newAPIKey = %q, want prefix %q", key, want)
	}
	if _, err := ParseAPIKey(key); err != nil {
		t.Errorf("ParseAPIKey(%q): %v", key, err)
	}
	boom := errors.New("no entropy")
	if _, _, err := newAPIKey(apiKeyErrReader{boom}, "rk"); !errors.Is(err, boom) {
		t.Errorf("newAPIKey(failing reader) error = %v, want %v", err, boom)
	}
}

type apiKeyErrReader struct{ err error }

func (r apiKeyErrReader) Read([]byte) (int, error) { return 0, r.err }
