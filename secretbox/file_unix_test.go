//go:build unix

package secretbox_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-go/rampart/secretbox"
)

// TestReadKeyFileFIFO: a FIFO at the key path must be refused at once, not block the caller
// (opening a FIFO for reading waits for a writer).
func TestReadKeyFileFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "keys")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := secretbox.ReadKeyFile(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, secretbox.ErrInsecurePermissions) {
			t.Errorf("ReadKeyFile(FIFO) = %v, want ErrInsecurePermissions", err)
		}
	case <-time.After(20 * time.Second): // a watchdog, not a timing assumption: it should return at once
		t.Error("ReadKeyFile(FIFO) blocks waiting for a writer")
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil { // release it
			_ = w.Close()
		}
		t.Logf("after release: %v", <-done)
	}
}

// TestReadKeyFileOwner: a private (0600) key file is accepted only if the effective user owns
// it; a file owned by anyone else (who could rewrite it or chmod it open) is refused. Changing a
// file's owner needs root, so the test runs only as root.
func TestReadKeyFileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a key file to another user (chown)")
	}
	const nobody = 65534
	tests := []struct {
		name string
		uid  int
		want error
	}{
		{"owned by the effective user", os.Geteuid(), nil},
		{"owned by another user", nobody, secretbox.ErrInsecurePermissions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "keys")
			if err := os.WriteFile(name, []byte("sbk1_key"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(name, tt.uid, -1); err != nil {
				t.Fatal(err)
			}
			b, err := secretbox.ReadKeyFile(name)
			if !errors.Is(err, tt.want) || (err == nil && string(b) != "sbk1_key") {
				t.Errorf("ReadKeyFile(file of uid %d) = %q, %v; want %v", tt.uid, b, err, tt.want)
			}
		})
	}
}
